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
                       ("orders", "customers", "order_items", "events", "marketing_spend"))
    path = folder / name
    path.write_text(f"name: t\ntitle: 测试报告\nperiod: 2025-Q4\ndata:\n{tables}\n{text}", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def published_small_demo(small_demo, tmp_path_factory) -> Path:
    """The small demo shop published once, HTML and PDF: the run folder (``t_2025-Q4``).

    For the tests that look at a real report (test_pdf_layout, test_screens); their modules share
    the xdist group "published report" so that it is published once."""
    from kit.publish.batch import publish

    folder = tmp_path_factory.mktemp("published")
    params = write_params(folder, small_demo)
    assert publish([str(params)], jobs=1, quiet=True, output=folder / "output") == 0
    return folder / "output" / "t_2025-Q4"
