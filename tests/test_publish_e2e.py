"""End to end: publish reports from a small demo shop and read them as a stakeholder would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import REPO, write_params

from kit.publish.batch import publish
from kit.publish.export import check_html, check_pdf

pytestmark = pytest.mark.e2e


def _code_cells(nb) -> list:
    """A notebook's code cells (the Markdown heading cells for JupyterLab's table of contents
    come and go with the headings: counting every cell would hit one of them)."""
    return [c for c in nb.cells if c.cell_type == "code"]


def test_publish_one_report_html_pdf_and_files(small_demo, tmp_path):
    params = write_params(tmp_path, small_demo)
    out = tmp_path / "output"
    assert publish([str(params)], jobs=1, quiet=True, output=out) == 0
    run = out / "t_2025-Q4"
    for name in ("report.html", "report.pdf", "metrics.json", "params.yaml", "run.log", "notebooks/00_summary.ipynb"):
        assert (run / name).exists(), name
    assert check_html(run / "report.html", lang="zh") == []
    assert check_pdf(run / "report.pdf", ["测试报告", "摘要"]) == []
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    kpis = {k["kpi"]: k for k in metrics["sections"]["summary"]["kpis"]}
    assert kpis["gmv"]["value"] > 0 and kpis["gmv"]["value_prev"] > 0
    assert metrics["run"]["period"] == "2025-Q4" and metrics["run"]["comparison"] == "2025-Q3"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "t_2025-Q4/report.html" in index and "t_2025-Q4/report.pdf" in index
    assert not list(out.glob(".tmp-*")), "no temporary folder is left behind"


def test_matrix_gives_four_reports_and_an_index_of_four(small_demo, tmp_path):
    params = write_params(tmp_path, small_demo, "lang: en\nmatrix:\n  region: [华东, 华南]\n  period: [2025-Q3, 2025-Q4]\n")
    out = tmp_path / "output"
    assert publish([str(params)], jobs=2, quiet=True, output=out, pdf=False) == 0
    names = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    assert names == ["t_2025-Q3_华东", "t_2025-Q3_华南", "t_2025-Q4_华东", "t_2025-Q4_华南"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert sum(index.count(f"{n}/report.html") for n in names) == 4
    assert index.index("<h2>2025-Q4</h2>") < index.index("<h2>2025-Q3</h2>")  # newest period first
    html = (out / "t_2025-Q4_华东" / "report.html").read_text(encoding="utf-8")
    assert "Executive summary" in html and "region = 华东" in html


def test_failed_run_keeps_the_earlier_report_and_others_succeed(small_demo, tmp_path):
    out = tmp_path / "output"
    good = write_params(tmp_path, small_demo, "matrix:\n  region: [华东]\n", name="a.yaml")
    assert publish([str(good)], jobs=1, quiet=True, output=out, pdf=False) == 0
    earlier = (out / "t_2025-Q4_华东" / "report.html").read_bytes()

    # same run again but with a broken notebook, plus an unknown region, plus a good run
    notebooks = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", notebooks)
    nb = nbformat.read(notebooks / "00_summary.ipynb", as_version=4)
    third = _code_cells(nb)[2]  # its [4] once papermill injects the parameters after [1]
    third.source = "raise RuntimeError('boom in a test copy')\n" + third.source
    nbformat.write(nb, notebooks / "00_summary.ipynb")
    env = {**os.environ, "KIT_NOTEBOOKS": str(notebooks)}
    broken = write_params(tmp_path, small_demo, "matrix:\n  region: [华东]\n", name="b.yaml")
    proc = subprocess.run([sys.executable, "-m", "kit", "publish", str(broken), "--output", str(out), "--quiet",
                           "--no-pdf"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1  # a cell raising RuntimeError is a bug, not bad input
    # the summary names the section, the cell and the reason, not only run.log
    assert "t_2025-Q4_华东 FAILED: 00_summary.ipynb, cell [4]: RuntimeError: boom in a test copy" in proc.stdout
    assert (out / "t_2025-Q4_华东" / "report.html").read_bytes() == earlier, "the earlier report is untouched"
    failed = out / "_failed" / "t_2025-Q4_华东"
    log = (failed / "run.log").read_text(encoding="utf-8")
    # [4]: the parameters cell is [1], papermill's injected parameters [2], start() [3]
    assert "00_summary.ipynb, cell [4]: RuntimeError: boom in a test copy" in log
    executed = nbformat.read(failed / "notebooks" / "00_summary.ipynb", as_version=4)
    assert any(o.get("output_type") == "error" for c in executed.cells if c.cell_type == "code" for o in c.outputs)

    mixed = write_params(tmp_path, small_demo, "matrix:\n  region: [华南, 火星]\n", name="c.yaml")
    assert publish([str(mixed)], jobs=2, quiet=True, output=out, pdf=False) == 2  # failed on bad input alone
    assert (out / "t_2025-Q4_华南" / "report.html").exists()
    failed_log = (out / "_failed" / "t_2025-Q4_火星" / "run.log").read_text(encoding="utf-8")
    assert "region: 火星 matches no row" in failed_log


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="sections run side by side only with a core to spare")
def test_a_failing_section_beside_another_fails_the_run_after_both_finish(small_demo, tmp_path):
    """With a core to spare, sections 1 and 3 run in one kernel while section 2 runs in another:
    section 2 failing fails the run, names its notebook, and keeps what the other kernel did."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", notebooks)
    nb = nbformat.read(notebooks / "02_conversion.ipynb", as_version=4)
    third = _code_cells(nb)[2]
    third.source = "raise RuntimeError('boom in section 2')\n" + third.source
    nbformat.write(nb, notebooks / "02_conversion.ipynb")
    params = write_params(tmp_path, small_demo)
    out = tmp_path / "output"
    env = {**os.environ, "KIT_NOTEBOOKS": str(notebooks)}
    proc = subprocess.run([sys.executable, "-m", "kit", "publish", str(params), "--output", str(out), "--quiet",
                           "--no-pdf", "--jobs", "1"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1
    failed = out / "_failed" / "t_2025-Q4"
    assert "02_conversion.ipynb, cell [4]: RuntimeError: boom in section 2" in (failed / "run.log").read_text(
        encoding="utf-8")
    executed = {p.stem for p in (failed / "notebooks").glob("*.ipynb")}
    # the other kernel's sections finished; the diagnosis and the summary, which come after, did not run
    assert {"01_profile", "02_conversion", "03_rfm"} <= executed and not {"04_diagnosis", "00_summary"} & executed
    assert not (out / "t_2025-Q4").exists()


def test_cli_errors_are_one_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("period: 2025-Q4\ndata: {orders: {path: missing.csv}}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kit", "publish", str(bad), "--quiet"], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "data.orders.path 'missing.csv' does not exist" in proc.stderr


def test_kernel_warm_up_imports_and_draws_without_error():
    from kit.notebook import warm_up

    warm_up()  # what kit publish runs in each run's kernel while it prepares the data
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # its throwaway figure is closed, not shown in the first section
