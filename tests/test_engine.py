"""The papermill engine kit notebooks run through: a failed cell is named as the [n] a user sees,
from papermill's own error fields, and the kit's bad-input errors are told from bugs."""

from __future__ import annotations

import logging

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kit.publish import batch
from kit.publish.kernel import KERNEL, code_position, start_kernel, stop_kernel


def test_code_position_counts_code_cells_only():
    cells = [("code", 0.1), ("code", 0.0), ("markdown", None), ("code", 1.0), ("markdown", None), ("code", None)]
    assert [code_position(cells, i) for i in range(len(cells))] == [1, 2, None, 3, None, 4]
    assert code_position(cells, None) is None and code_position(cells, 9) is None


def test_a_failing_cell_is_named_by_its_place_among_code_cells(tmp_path, monkeypatch):
    def notebook(stem: str, raising: str) -> None:
        nb = new_notebook(cells=[
            new_code_cell("x = 1", metadata={"tags": ["parameters"]}),  # [1]; papermill injects [2] after it
            new_markdown_cell("# a heading"),
            new_code_cell("y = x + 1"),  # [3]
            new_markdown_cell("some text"),
            new_code_cell(raising),  # [4]
            new_code_cell("z = 3"),
        ])
        nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
        nbformat.write(nb, tmp_path / f"{stem}.ipynb")

    notebook("bug", "raise RuntimeError('a bug')")
    notebook("bad", "from kit.errors import DataError\nraise DataError('orders.csv: no amount column')")
    monkeypatch.setattr(batch, "NOTEBOOKS", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    km = start_kernel(tmp_path)
    try:
        with pytest.raises(batch.SectionFailed) as bug:
            batch.execute_section(batch.Section("bug"), out, {"x": 2}, logging.getLogger("t"), km)
        with pytest.raises(batch.SectionFailed) as bad:
            batch.execute_section(batch.Section("bad"), out, {"x": 2}, logging.getLogger("t"), km)
    finally:
        stop_kernel(km)
    assert str(bug.value) == "bug.ipynb, cell [4]: RuntimeError: a bug" and not bug.value.bad_input
    assert str(bad.value) == "bad.ipynb, cell [4]: DataError: orders.csv: no amount column" and bad.value.bad_input


def test_a_thread_waiting_on_a_kernel_ends_when_the_kernel_is_stopped(tmp_path):
    """A failed run drops its kernels while one may still be warming up in a thread; the
    thread must end then (a batch worker waits for its threads before it exits: with the old
    wait for the reply, a batch with one bad region took two minutes more), not at the timeout."""
    import threading
    import time

    from nbclient.util import run_sync

    from kit.publish.kernel import run_silently

    km = start_kernel(tmp_path)
    errors: list[BaseException] = []

    def warm_up():
        try:
            run_silently(km, "import time; time.sleep(3600)", timeout=3600)
        except BaseException as e:  # noqa: BLE001 - the test looks at what it raised
            errors.append(e)

    waiting = threading.Thread(target=warm_up, daemon=True)
    waiting.start()
    time.sleep(1.0)  # the code is running in the kernel
    # the kernel shut down while the thread holds a client the stop did not know of (a client
    # made after the stop dropped the kernel's clients: the race a failed run's warm-up loses)
    run_sync(km.shutdown_kernel)(now=True)
    waiting.join(120)  # a hang guard only: the thread ends a second or two after the stop
    assert not waiting.is_alive(), "the thread still waits for a reply from a stopped kernel"
    stop_kernel(km)
    assert len(errors) == 1 and "the kernel stopped" in str(errors[0])
