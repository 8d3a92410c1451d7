"""Shared fixtures: a small demo shop generated once per test session (per xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO_CUSTOMERS = 1500


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """A small demo shop (with the planted stories) as Parquet folders."""
    from kit.demo import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, customers=DEMO_CUSTOMERS)
    return out


def write_params(folder: Path, demo: Path, text: str = "", name: str = "t.yaml") -> Path:
    """A params file over ``demo`` with extra YAML ``text`` appended."""
    tables = "\n".join(f"  {t}: {{path: '{demo / t}'}}" for t in
                       ("orders", "customers", "order_items", "events", "marketing_spend", "experiments"))
    path = folder / name
    path.write_text(f"name: t\ntitle: 测试报告\nperiod: 2025-Q4\ndata:\n{tables}\n{text}", encoding="utf-8")
    return path


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
