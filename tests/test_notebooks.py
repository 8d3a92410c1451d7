"""The section notebooks under nbval: every cell runs without error, on the small demo
shop and on an orders-only copy of it (the sections then show notes instead of figures).

Each notebook is parameterised the way ``kit publish`` does it (``work_dir`` of a run
prepared once) and handed to nbval in a child pytest, so a notebook is checked exactly as
an analyst would run it in JupyterLab.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
import yaml
from conftest import REPO, write_params
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from kit.params import load_params
from kit.run import prepare_run

NOTEBOOKS = [s["notebook"] for s in
             yaml.safe_load((REPO / "notebooks" / "sections.yaml").read_text(encoding="utf-8"))["sections"]]
ORDERS_ONLY = ["01_profile", "02_conversion", "03_rfm", "05_experiments", "04_diagnosis", "00_summary"]

pytestmark = pytest.mark.xdist_group("notebooks")


def _prepared(tmp_path_factory, demo, extra: str, tag: str):
    folder = tmp_path_factory.mktemp(tag)
    params_file = write_params(folder, demo, extra)
    params = load_params(params_file)[0]
    return prepare_run(params, folder / "work")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, small_demo):
    return _prepared(tmp_path_factory, small_demo, "", "nb-demo")


@pytest.fixture(scope="module")
def orders_only_run(tmp_path_factory, small_demo):
    folder = tmp_path_factory.mktemp("nb-orders")
    params_file = folder / "orders_only.yaml"
    params_file.write_text(f"name: t\nperiod: 2025-Q4\nlang: en\ndata:\n  orders: {{path: '{small_demo / 'orders'}'}}\n",
                           encoding="utf-8")
    return prepare_run(load_params(params_file)[0], folder / "work")


def run_nbval(notebook: str, work_dir, tmp_path) -> subprocess.CompletedProcess:
    nb = load_notebook_node(str(REPO / "notebooks" / f"{notebook}.ipynb"))  # as papermill reads it (tags filled in)
    nb = parameterize_notebook(nb, {"work_dir": str(work_dir)})
    copy = tmp_path / f"{notebook}.ipynb"
    nbformat.write(nb, copy)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", "-q",
         "-p", "no:xdist", "--rootdir", str(tmp_path), str(copy)],
        cwd=REPO / "notebooks", capture_output=True, text=True, timeout=600,
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_on_the_demo_shop(notebook, demo_run, tmp_path):
    proc = run_nbval(notebook, demo_run.work_dir, tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


@pytest.mark.parametrize("notebook", [n for n in ORDERS_ONLY if n in NOTEBOOKS])
def test_notebook_runs_on_orders_only(notebook, orders_only_run, tmp_path):
    proc = run_nbval(notebook, orders_only_run.work_dir, tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_prepared_orders_carry_their_sequence_and_give_the_same_figures(demo_run):
    from kit.metrics import retention
    from kit.metrics.customers import NEXT, PREV
    from kit.metrics.repurchase import first_purchase_repurchase

    orders, P, C = demo_run.orders, demo_run.period, demo_run.comparison
    assert {PREV, NEXT} <= set(orders.collect_schema().names())
    raw = orders.drop(PREV, NEXT)  # as a notebook would have them without a prepared run
    assert retention.purchase_intervals(orders, P, C).equals(retention.purchase_intervals(raw, P, C))
    assert retention.lifecycle_counts(orders, P, C).equals(retention.lifecycle_counts(raw, P, C))
    assert retention.cohort_matrix(orders, P).equals(retention.cohort_matrix(raw, P))
    assert first_purchase_repurchase(orders, P, C).equals(first_purchase_repurchase(raw, P, C))
