"""Publishing interrupted (Ctrl-C, SIGTERM): nothing is left in output/ but the previous report."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_params

pytestmark = pytest.mark.e2e


def _kernels_of(pid: int) -> list[int]:
    """The kernel processes started by the kit process ``pid`` (jupyter_client tells a kernel its
    parent in JPY_PARENT_PID)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"JPY_PARENT_PID={pid}".encode() in env:
            found.append(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_ctrl_c_during_a_run_removes_its_folder_and_kernels_and_keeps_the_previous_report(small_demo, tmp_path):
    # a sliced run: it writes its customers' data into its temporary folder (an unsliced run reads the
    # prepared dataset in place)
    params = write_params(tmp_path, small_demo, "slice: {region: 华东}\n")
    out = tmp_path / "output"
    previous = out / "t_2025-Q4_华东" / "report.html"
    previous.parent.mkdir(parents=True)
    previous.write_text("<html>the previous report</html>", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "kit", "publish", str(params), "--output", str(out), "--quiet",
                             "--no-pdf"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        # wait until the run holds customer-level data in its temporary folder and a kernel runs
        while time.monotonic() < deadline and not (list(out.glob(".tmp-*/.work/data/orders.parquet"))
                                                   and _kernels_of(proc.pid)):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        kernels = _kernels_of(proc.pid)
        assert kernels and list(out.glob(".tmp-*")), "the run did not start"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert not list(out.glob(".tmp-*")) and not list(out.glob(".old-*")), "no temporary folder is left"
    assert not (out / "_failed").exists(), "an interrupted run is not a failed run"
    assert previous.read_text(encoding="utf-8") == "<html>the previous report</html>"
    time.sleep(1)
    assert not [k for k in kernels if _alive(k)], "its kernels are stopped"
