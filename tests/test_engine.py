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
