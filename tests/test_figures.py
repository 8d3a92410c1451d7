"""kit.figures: one function per figure, from a Run. The notebooks and the bench call these
and nothing else of kit.metrics; a figure whose data is missing says what and how to add it;
metrics.json has a schema."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import pytest
from conftest import REPO, write_params
from pydantic import ValidationError

from kit.figures import (
    Missing,
    conversion,
    diagnosis,
    experiments,
    products,
    profile,
    summary,
    value,
)
from kit.figures.schema import schema_markdown, validate_metrics
from kit.i18n import Locale
from kit.params import load_params
from kit.run import prepare_run

SECTIONS = (profile, conversion, value, products, experiments, diagnosis, summary)


@pytest.fixture(scope="module")
def run(tmp_path_factory, small_demo):
    folder = tmp_path_factory.mktemp("figures")
    return prepare_run(load_params(write_params(folder, small_demo))[0], folder / "work")


def _code_of(notebook) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("notebook", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_call_kit_figures_and_not_kit_metrics(notebook):
    code = _code_of(notebook)
    assert not re.search(r"kit\.metrics|from kit import .*\bmetrics\b", code), notebook.name
    assert re.search(r"from kit\.figures import", code), notebook.name


def test_the_bench_times_the_figures_the_notebooks_call():
    code = (REPO / "bench" / "sections.py").read_text(encoding="utf-8")
    assert "kit.metrics" not in code
    for module in ("profile", "conversion", "value", "diagnosis"):
        assert f"from kit.figures import {module}" in code or f", {module}" in code


def _without(run, table: str, column: str | None = None):
    """A copy of the run as if its data had no ``table`` (or no ``table.column``)."""
    original = run.table
    run = dataclasses.replace(run, memory={})

    def table_of(name):
        frame = original(name)
        if name != table or frame is None:
            return frame
        return None if column is None else frame.drop(column)

    run.table = table_of
    return run


def _figures_needing(kind: str):
    for module in SECTIONS:
        for figure in module.FIGURES:
            for table, columns in getattr(figure, "needs", {}).items():
                if table == "comparison":
                    continue
                if kind == "table":
                    yield pytest.param(figure, table, None, id=f"{figure.__name__}-{table}")
                else:
                    for spec in columns:
                        for column in spec.split("|")[:1]:
                            if "|" not in spec:  # an either-or column needs both dropped; see the next test
                                yield pytest.param(figure, table, column, id=f"{figure.__name__}-{table}.{column}")


@pytest.mark.parametrize(("figure", "table", "column"), list(_figures_needing("table")))
def test_a_figure_without_a_table_it_needs_returns_a_note_naming_it(run, figure, table, column):
    result = figure(_without(run, table))
    assert isinstance(result, Missing) and result.needs == (table,)
    note = result.note(Locale("en"))
    assert f"the {table} table" in note and f"data.{table}" in note


@pytest.mark.parametrize(("figure", "table", "column"), list(_figures_needing("column")))
def test_a_figure_without_a_column_it_needs_returns_a_note_naming_it(run, figure, table, column):
    result = figure(_without(run, table, column))
    assert isinstance(result, Missing) and result.needs == (f"{table}.{column}",)
    assert f"{table}.{column}" in result.note(Locale("zh")) and f"data.{table}.columns" in result.note(Locale("zh"))


def test_either_of_two_columns_will_do(run):
    both_gone = _without(run, "customers", "birth_year")
    assert not isinstance(profile.age_gender(both_gone), Missing)  # age is still there
    lacking = _without(both_gone, "customers", "age")
    result = profile.age_gender(lacking)
    assert result.needs == ("customers.birth_year", "customers.age")
    assert "customers.birth_year / customers.age" in result.note(Locale("en"))


def test_a_figure_that_compares_periods_says_so_without_a_comparison(tmp_path, small_demo):
    params = load_params(write_params(tmp_path, small_demo, "comparison: none\n"))[0]
    lone = prepare_run(params, tmp_path / "work")
    result = value.migration(lone)
    assert result == Missing(("comparison",))
    assert "comparison: none" in result.note(Locale("en"))
    assert isinstance(conversion.churn_by_region(lone), Missing)


def test_an_attribute_from_either_customers_or_orders(run):
    assert not isinstance(conversion.churn_by(run, "region"), Missing)  # customers.region
    result = conversion.churn_by(run, "member_tier_that_no_shop_has")
    assert result.needs == ("customers.member_tier_that_no_shop_has", "orders.member_tier_that_no_shop_has")


def test_figures_the_diagnosis_reads_are_kept_and_reused(run):
    computed = conversion.funnel(run)
    kept = conversion.funnel(run, reuse=True)
    assert kept.equals(computed)
    # the kept table is what the run saved: reuse reads it even when the data would now differ
    run.save_result("funnel", computed.head(1))
    assert conversion.funnel(run, reuse=True).height == 1
    assert conversion.funnel(run).height == computed.height  # a section computes afresh


def test_figures_record_their_headline_numbers(run):
    profile.aov(run)
    value.segment_sizes(run)
    recorded = run.metrics()
    assert recorded["profile"]["aov"]["aov"] == pytest.approx(profile.aov(run)["aov"][0])
    assert recorded["rfm"]["scheme"] == run.params.rfm_scheme and recorded["rfm"]["segments"]


# ---------------------------------------------------------------- metrics.json schema

def _doc(sections: dict) -> dict:
    return {"schema_version": "1.0", "generated_at": "2025-01-01T00:00:00",
            "run": {"run_name": "r", "period": "2025-Q4", "period_start": "2025-10-01", "period_end": "2025-12-31",
                    "lang": "zh", "currency": "¥", "fingerprint": "x", "kit_version": "0"},
            "sections": sections}


def test_the_schema_accepts_what_the_figures_record(run):
    from kit.publish.report import write_metrics

    summary.kpis(run)
    conversion.cart_abandonment(run)
    conversion.lifecycle(run)
    value.lifetime_value(run)
    path = run.work_dir / "metrics.json"
    write_metrics(run, path, {"prepare": 1.0})
    doc = validate_metrics(json.loads(path.read_text(encoding="utf-8")))
    assert {k.kpi for k in doc.sections.summary.kpis} >= {"gmv", "aov", "visit_to_pay"}
    assert doc.sections.conversion.cart.abandonment_rate is not None


@pytest.mark.parametrize("sections", [
    {"profile": {"aov": {"aov": 1.0, "aov_typo": 2.0}}},       # a key the schema does not define
    {"summary": {"kpis": [{"kpi": "gmv", "unit": "money"}]}},  # good_when_up missing
    {"summary": {"kpis": [{"kpi": "profit", "unit": "money", "good_when_up": True}]}},  # an unknown KPI
    {"newsection": {}},
])
def test_the_schema_rejects_what_it_does_not_define(sections):
    with pytest.raises(ValidationError):
        validate_metrics(_doc(sections))


def test_docs_metrics_schema_is_generated_from_the_code():
    assert (REPO / "docs" / "metrics-schema.md").read_text(encoding="utf-8") == schema_markdown()
    out = subprocess.run([sys.executable, "-m", "kit", "schema", "--metrics"], capture_output=True, text=True,
                         check=True).stdout
    assert out == schema_markdown()
    assert "`sections.retention`" in out and "compared values `buyers`" in out


def test_the_cart_figures_are_cut_from_the_carts_counted_once_per_dataset(tmp_path, small_demo, monkeypatch):
    """Section 2's cart figures read the carts the dataset counted for its payment window,
    not a row per cart; hiding those counts, the run counts its own from the cart table and
    every figure is the same. A run with another window counts its own, and its carts are
    those of its window."""
    from polars.testing import assert_frame_equal

    from kit.metrics import cart as ct
    from kit.run import Run

    params = load_params(write_params(tmp_path, small_demo))[0]
    prepared = prepare_run(params, tmp_path / "work")
    assert ct.window_of(prepared.cart_counts) == params.conversion.cart_window_hours
    counted = []
    real = ct.counted_carts
    monkeypatch.setattr(ct, "counted_carts", lambda *a: counted.append(a[2]) or real(*a))
    figures = (conversion.cart_abandonment, lambda r: conversion.cart_abandonment_by(r, "device"),
               lambda r: conversion.cart_abandonment_by(r, "category"))
    cut = [f(prepared) for f in figures]
    assert counted == [] and cut[0]["carts"][0] > cut[0]["abandoned"][0] > 0
    assert cut[0]["median_hours_to_pay"][0] > 0

    own = Run(params, prepared.work_dir)
    monkeypatch.setattr(Run, "cart_counts", property(lambda self: None))
    for figure, expected in zip(figures, cut, strict=True):
        assert_frame_equal(figure(own), expected)
    assert counted == [params.conversion.cart_window_hours]
    monkeypatch.undo()

    monkeypatch.setattr(ct, "counted_carts", lambda *a: counted.append(a[2]) or real(*a))
    shorter = params.model_copy(update={"conversion": params.conversion.model_copy(update={"cart_window_hours": 1})})
    short = conversion.cart_abandonment(Run(shorter, prepared.work_dir))
    assert counted[-1] == 1
    rows = ct.carts(prepared.cart_table, prepared.period, None, 1).collect()
    assert short["abandoned"][0] == rows["abandoned"].sum() > cut[0]["abandoned"][0]


def test_the_funnel_is_cut_from_the_journeys_counted_once_per_dataset(tmp_path, small_demo, monkeypatch):
    """Section 2's funnel and path figures read the session journeys and paths the dataset
    counted for its steps, without building the run's own; hiding those counts, the run builds
    its own from the session table and the events, and every figure is the same. Other steps
    are built."""
    from polars.testing import assert_frame_equal

    from kit.metrics import funnel as fn
    from kit.run import Run

    params = load_params(write_params(tmp_path, small_demo))[0]
    prepared = prepare_run(params, tmp_path / "work")
    assert prepared.journey_counts is not None and prepared.convert_times is not None
    built = []
    real = fn.journeys
    monkeypatch.setattr(fn, "journeys", lambda *a, **k: built.append(k["steps"]) or real(*a, **k))
    figures = (conversion.funnel, conversion.time_to_convert, conversion.daily_steps,
               lambda r: conversion.funnel_by(r, "visitor"), lambda r: conversion.top_paths(r).moves,
               lambda r: conversion.top_paths(r).paths)
    cut = [f(prepared) for f in figures]
    assert built == []
    assert cut[0]["count"].sum() > 0 and cut[1]["converted"][0] > 0

    paths_read = []
    real_paths = fn.path_counts
    monkeypatch.setattr(fn, "path_counts", lambda *a: paths_read.append(a) or real_paths(*a))
    assert conversion.top_paths(prepared).paths.height and paths_read == []
    own = Run(params, prepared.work_dir)
    monkeypatch.setattr(Run, "journey_counts", property(lambda self: None))
    for figure, expected in zip(figures, cut, strict=True):
        assert_frame_equal(figure(own), expected)
    assert built == [params.conversion.funnel_steps] and len(paths_read) == 2
    monkeypatch.undo()

    shorter = params.model_copy(update={"conversion": params.conversion.model_copy(
        update={"funnel_steps": ["view", "add_to_cart", "pay"]})})
    monkeypatch.setattr(fn, "journeys", lambda *a, **k: built.append(k["steps"]) or real(*a, **k))
    assert conversion.funnel(Run(shorter, prepared.work_dir))["step"].to_list() == ["view", "add_to_cart", "pay"]
    assert built[-1] == ["view", "add_to_cart", "pay"]
