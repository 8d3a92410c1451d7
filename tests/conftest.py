"""Shared fixtures: a small demo shop generated once per test session (per xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO_CUSTOMERS = 1500


def flat_json(doc, skip=(), path: str = "") -> dict:
    """A JSON document (metrics.json, findings.json) as ``{"a.b[0].c": value}``, leaving out the
    keys in ``skip`` at any depth: two documents compared key by key."""
    if isinstance(doc, dict):
        return {k: v for key, item in doc.items() if key not in skip
                for k, v in flat_json(item, skip, f"{path}.{key}" if path else key).items()}
    if isinstance(doc, list):
        return {k: v for i, item in enumerate(doc) for k, v in flat_json(item, skip, f"{path}[{i}]").items()}
    return {path: doc}


@pytest.fixture(autouse=True)
def collector_resumed_after_each_test():
    """Resume the garbage collector a chart left paused, as a notebook does after each cell
    (tests close their figures with ``plt.close``, not ``kit.charts.close``)."""
    yield
    import sys

    if "kit.charts" in sys.modules:
        sys.modules["kit.charts"].release_collector()


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """A small demo shop (with the planted stories) as Parquet folders."""
    from kit.demo import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, customers=DEMO_CUSTOMERS)
    return out


OTHER_SETTINGS = ("conversion: {cart_window_hours: 48, funnel_steps: [view, add_to_cart, pay]}\n"
                  "experiments: {steps: [checkout], window_days: 5}\n")
"""Settings whose counted tables differ from those of a dataset prepared with the defaults."""


def write_params(folder: Path, demo: Path, text: str = "", name: str = "t.yaml") -> Path:
    """A params file over ``demo`` with extra YAML ``text`` appended."""
    tables = "\n".join(f"  {t}: {{path: '{demo / t}'}}" for t in
                       ("orders", "customers", "order_items", "events", "marketing_spend", "experiments"))
    path = folder / name
    path.write_text(f"name: t\ntitle: 测试报告\nperiod: 2025-Q4\ndata:\n{tables}\n{text}", encoding="utf-8")
    return path


def make_unreadable(monkeypatch, *names: str) -> None:
    """From now on, reading any row of the runs' tables ``names`` fails the test (their schema
    can still be read): what is said to come from a prepared table must not read them."""
    import polars as pl

    from kit.run import Run

    table = Run.table

    def unreadable(self, name):
        frame = table(self, name)
        if name not in names or frame is None:
            return frame
        return frame.filter(pl.lit(True).map_batches(lambda _: pytest.fail(f"read the {name}"), return_dtype=pl.Boolean))

    monkeypatch.setattr(Run, "table", unreadable)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (tests/pg.py), for the tests marked ``postgres``.

    Skips, saying why, where the server cannot be had (no initdb, not root to install it); in CI
    (``CI`` set), where ``make system`` installs it, a missing server fails instead."""
    import os

    import pg

    try:
        cluster = pg.start()
    except (FileNotFoundError, RuntimeError) as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL server for the database tests: {e}")
    os.environ[pg.PASSWORD_ENV] = pg.PASSWORD
    yield cluster
    pg.stop(cluster)


@pytest.fixture(scope="session")
def published_small_demo(request, tmp_path_factory) -> Path:
    """The small demo shop published once, HTML and PDF: the run folder (``t_2025-Q4``).

    For the tests that look at a real report (test_pdf_layout, test_screens). Under xdist the
    workers share it: the first one publishes into the run's common temporary folder while
    holding a lock, the others wait and read it. (Their modules also carry the xdist group
    "published_report", but with pytest 9.2 and xdist 3.8 loadgroup does not group: xdist's
    nodeid suffix no longer takes effect, pytest-xdist issue 1386.)"""
    import fcntl
    import os

    from kit.publish.batch import publish

    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None
    folder = (tmp_path_factory.getbasetemp().parent if shared else tmp_path_factory.mktemp("p")) / "published"
    folder.mkdir(parents=True, exist_ok=True)
    run = folder / "output" / "t_2025-Q4"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (run / "report.pdf").exists():
            params = write_params(folder, request.getfixturevalue("small_demo"))
            assert publish([str(params)], jobs=1, quiet=True, output=folder / "output") == 0
    return run
