"""Any shop's data publishes: every optional table and column dropped in turn, periods of every
length and position, shops of every size, and foreign exports with their own names.

Each group is published as one batch (``--jobs 2``, no PDF) from data the tests build:
copies of a small generated shop with a table or column removed, and hand-made shops.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import flat_json, write_params

from kit.contract import TABLES
from kit.demo import generate
from kit.figures import conversion, diagnosis, experiments, products, profile, summary, value
from kit.figures.schema import validate_metrics
from kit.publish.batch import publish
from kit.publish.export import check_html

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("any_shop")]

SHOP_CUSTOMERS = 300
FIGURE_MODULES = (summary, profile, conversion, value, products, experiments, diagnosis)


def _write_shop(folder: Path, tables: dict[str, pl.DataFrame]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.write_parquet(folder / f"{name}.parquet")


def _params(folder: Path, name: str, tables, extra: str = "", period: str = "2025-Q4") -> str:
    lines = "\n".join(f"  {t}: {{path: '{folder / (t + '.parquet')}'}}" for t in tables)
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nperiod: {period}\ndata:\n{lines}\n{extra}", encoding="utf-8")
    return str(path)


def _report(out: Path, name: str) -> Path:
    found = [p for p in out.iterdir() if p.name.rsplit("_", 1)[0] == name]
    assert len(found) == 1, f"{name}: {sorted(p.name for p in out.iterdir())}"
    return found[0]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _missing_notes(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<div class="kit-missing">(.*?)</div>', html, re.S)]


# ---------------------------------------------------------------- drop each optional table and column


FIGURE_SECTIONS = ("01_profile", "02_conversion", "03_rfm", "06_products", "05_experiments", "04_diagnosis")
"""The sections whose figures a drop may change (with the summary, which every run has)."""

DROPS = [(f"no-{t}", t, None) for t in TABLES if t != "orders"] + [
    (f"no-{name}.{c.name}", name, c.name) for name, table in TABLES.items() for c in table.columns if not c.required]
"""Every optional table of the data contract, and every optional column, dropped in turn."""

RECORDED_BY = {
    "summary.kpis": summary.kpis, "profile.region_share": profile.region_share,
    "profile.mobile_share": profile.device_share, "profile.session_minutes": profile.session_durations,
    "profile.peak_hours": profile.visit_heatmap, "profile.aov": profile.aov, "profile.order_value": profile.order_values,
    "conversion.funnel": conversion.funnel, "conversion.cart": conversion.cart_abandonment,
    "retention.first_repurchase": conversion.first_repurchase, "retention.intervals": conversion.purchase_intervals,
    "retention.lifecycle": conversion.lifecycle, "rfm.scheme": value.segment_sizes, "rfm.segments": value.segment_sizes,
    "rfm.top20_share": value.concentration, "clv": value.lifetime_value, "diagnosis": diagnosis.findings,
    "experiments.readouts": experiments.readout,
    "products.missing_columns": products.coverage, "products.categories": products.category_margin,
    "products.quadrants": products.category_margin, "products.quadrants_moves": products.category_margin,
    "products.quadrants_splits": products.category_margin, "products.top_products": products.product_margin,
    "products.product_quadrants": products.product_margin, "products.product_quadrants_moves": products.product_margin,
    "products.product_quadrants_splits": products.product_margin, "products.assortment": products.pareto,
    "products.quality": products.quality, "products.product_quality": products.quality,
    "products.category_rules": products.basket_rules, "products.product_rules": products.basket_rules,
    "products.cross_sell": products.cross_sell,
}
"""Which figure records each key of metrics.json."""


AFFECTED: dict[str, set[str]] = {
    # what a drop may change in metrics.json beyond the figures that need it (which disappear):
    # the dropped values feed these figures without being required by them
    "events": {"summary.kpis", "conversion", "diagnosis", "experiments"},  # visitors linked to customers
    "events.session_id": {"summary.kpis", "profile", "conversion", "diagnosis"},  # sessions from 30-min gaps
    "events.customer_id": {"conversion.cart", "conversion.funnel", "diagnosis", "experiments"},  # pays attributed by user
    "events.visitor_id": {"conversion.cart", "conversion.funnel", "diagnosis", "experiments"},  # logins stitched by visitor
    "events.value": {"conversion.cart", "diagnosis"},
    "events.device": {"diagnosis"},
    "events.source": {"diagnosis"},
    "orders.status": {"summary", "profile", "retention", "rfm", "clv", "conversion.funnel", "diagnosis", "experiments",
                      "products"},
    "orders.channel": {"diagnosis"},
    "orders.device": {"diagnosis"},  # a lost payment is worth its device's AOV
    "customers": {"diagnosis"},
    "customers.region": {"diagnosis"},
    "customers.acquisition_channel": {"diagnosis"},
    "order_items": {"diagnosis"},
    "order_items.quantity": {"diagnosis", "products"},  # every line's value
    "order_items.returned": {"diagnosis", "products.missing_columns", "products.quality", "products.product_quality"},
    "order_items.rating": {"diagnosis", "products.missing_columns", "products.quality", "products.product_quality"},
    # the product-level figures and what reads products (the catalogue, the product rules, their cross-sell)
    "order_items.product_id": {"diagnosis", "products.missing_columns", "products.top_products",
                               "products.product_quadrants", "products.product_quadrants_moves",
                               "products.product_quadrants_splits", "products.assortment", "products.product_quality",
                               "products.product_rules", "products.cross_sell"},
    # no cost, no margin: the matrices' margins and quadrants, and the margin findings
    "order_items.unit_cost": {"diagnosis", "products.missing_columns", "products.categories", "products.quadrants",
                              "products.quadrants_moves", "products.quadrants_splits", "products.top_products",
                              "products.product_quadrants", "products.product_quadrants_moves",
                              "products.product_quadrants_splits"},
    "marketing_spend": {"diagnosis"},
    "experiments": {"diagnosis"},
    "experiments.customer_id": {"experiments", "diagnosis"},  # the customers' exposures are left without a unit
    "experiments.visitor_id": {"experiments", "diagnosis"},  # likewise the visitors'
    "experiments.experiment_name": {"experiments"},  # the names shown are the ids
}
"""Everything not listed (and not a figure that needs the dropped table or column) must be unchanged."""


def _needs(figure, table: str, column: str | None) -> bool:
    """Whether ``figure`` cannot be drawn without ``table`` (or ``table.column``, when no other
    column can stand in for it)."""
    needs = getattr(figure, "needs", {})
    return table in needs and (column is None or column in needs[table])


def _needs_exactly(table: str, column: str | None) -> list[str]:
    """The figures the notebooks show that need what was dropped."""
    return [f.__name__ for module in FIGURE_MODULES for f in module.FIGURES if _needs(f, table, column)]


def _may_differ(key: str, table: str, column: str | None) -> bool:
    """A metrics.json key may change or disappear when its figure needs what was dropped or the
    drop is known to feed it (:data:`AFFECTED`)."""
    section_key = ".".join(key.split("[")[0].split(".")[:2])
    recorder = RECORDED_BY.get(section_key) or RECORDED_BY.get(section_key.split(".")[0])
    if recorder is not None and _needs(recorder, table, column):
        return True
    allowed = AFFECTED.get(f"{table}.{column}" if column else table, set())
    return any(section_key == a or section_key.startswith(a + ".") for a in allowed)


@pytest.fixture(scope="module")
def dropped(tmp_path_factory):
    root = tmp_path_factory.mktemp("drop-one")
    generate(root / "generated", customers=SHOP_CUSTOMERS)
    shop = {t: pl.read_parquet(root / "generated" / t) for t in TABLES}
    params = []
    for label, table, column in [("full", None, None), *DROPS]:
        assert column is None or column in shop[table].columns, f"the demo shop lacks {table}.{column}"
        tables = {t: (frame.drop(column) if t == table and column else frame) for t, frame in shop.items()
                  if not (t == table and column is None)}
        folder = root / label
        _write_shop(folder, tables)
        # a dropped column runs the sections with figures (the introduction and the appendix list
        # tables and count columns whatever they are: they run for each dropped table)
        extra = f"sections: [{', '.join(FIGURE_SECTIONS)}]\n" if column else ""
        params.append(_params(folder, label.replace(".", "-"), tables, extra))
    out = root / "output"
    return out, publish(params, jobs=2, quiet=True, output=out, pdf=False)


def test_every_drop_publishes(dropped):
    out, code = dropped
    failed = sorted(p.name for p in (out / "_failed").iterdir()) if (out / "_failed").exists() else []
    assert code == 0 and not failed, failed
    assert len([p for p in out.iterdir() if (p / "report.html").exists()]) == len(DROPS) + 1


@pytest.mark.parametrize(("label", "table", "column"), DROPS, ids=[d[0] for d in DROPS])
def test_a_dropped_table_or_column_is_named_where_its_figures_were_and_the_rest_is_unchanged(
        dropped, label, table, column):
    out, _ = dropped
    folder = _report(out, label.replace(".", "-"))
    html = (folder / "report.html").read_text(encoding="utf-8")
    if _needs_exactly(table, column):
        wanted = f"{table}.{column}" if column else f"data.{table}"
        notes = _missing_notes(html)
        assert any(wanted in n for n in notes), (label, notes)
    doc = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    validate_metrics(doc)
    full = flat_json(json.loads((_report(out, "full") / "metrics.json").read_text(encoding="utf-8"))["sections"])
    mine = flat_json(doc["sections"])
    differ = sorted(k for k in set(full) | set(mine)
                    if not (k in full and k in mine and _same(full[k], mine[k])) and not _may_differ(k, table, column))
    assert not differ, f"{label} changed {differ[:8]}"


# ---------------------------------------------------------------- periods of every length and position, shops of every size

PERIODS = {  # name -> (period, extra params): on a shop of orders 2024-01..2025-12 and events 2025-07..2025-12
    "one-day": ("2025-11-05..2025-11-05", ""),
    "one-week": ("2025-W46", ""),
    "one-month": ("2025-11", ""),
    "eighteen-months": ("2024-07-01..2025-12-31", ""),
    "before-the-data": ("2023-10-01..2024-03-31", ""),  # starts before the first order
    "after-the-data": ("2025-11-01..2026-02-28", ""),  # ends after the last
    "no-comparison": ("2025-Q4", "comparison: none\n"),
    "year-on-year": ("2025-Q4", "comparison: year\n"),
}


def _orders(rows: list[tuple[str, str, str, float, str]]) -> pl.DataFrame:
    """Orders from (order_id, customer_id, order_time, amount, status) tuples."""
    return pl.DataFrame(rows, schema=["order_id", "customer_id", "order_time", "amount", "status"], orient="row")\
        .with_columns(pl.col("order_time").str.to_datetime())


def _customers(ids) -> pl.DataFrame:
    return pl.DataFrame({"customer_id": list(ids), "region": ["华东"] * len(ids), "gender": ["F"] * len(ids)})


def _tiny_shops() -> dict[str, dict[str, pl.DataFrame]]:
    one = _orders([("1", "c1", "2025-11-03 10:00:00", 99.0, "paid")])
    ten = _orders([(str(i), f"c{i % 10}", f"2025-{7 + i % 6:02d}-{1 + i % 27:02d} 12:00:00", 50.0 + i, "paid")
                   for i in range(40)])
    once = _orders([(str(i), f"c{i}", f"2025-{7 + i % 6:02d}-{1 + i % 27:02d} 09:30:00", 20.0 + i, "paid")
                    for i in range(60)])
    return {
        "one-customer": {"orders": one, "customers": _customers(["c1"])},
        "ten-customers": {"orders": ten, "customers": _customers([f"c{i}" for i in range(10)])},
        "nobody-bought-twice": {"orders": once, "customers": _customers([f"c{i}" for i in range(60)])},
    }


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    root = tmp_path_factory.mktemp("matrix")
    generate(root / "generated", customers=SHOP_CUSTOMERS)
    shop = {t: pl.read_parquet(root / "generated" / t) for t in TABLES}
    _write_shop(root / "shop", shop)
    params = [_params(root / "shop", name, shop, extra, period) for name, (period, extra) in PERIODS.items()]
    for name, tables in _tiny_shops().items():
        _write_shop(root / name, tables)
        params.append(_params(root / name, name, tables, "", "2025-Q4"))
    out = root / "output"
    return out, publish(params, jobs=2, quiet=True, output=out, pdf=False)


def test_every_period_and_shop_size_publishes(matrix):
    out, code = matrix
    failed = sorted(p.name for p in (out / "_failed").iterdir()) if (out / "_failed").exists() else []
    assert code == 0 and not failed, [((out / "_failed" / f / "run.log").read_text()[-400:]) for f in failed]


@pytest.mark.parametrize("name", [*PERIODS, *_tiny_shops()])
def test_each_report_of_the_matrix_is_whole(matrix, name):
    out, _ = matrix
    folder = _report(out, name)
    doc = validate_metrics(json.loads((folder / "metrics.json").read_text(encoding="utf-8")))
    assert check_html(folder / "report.html", "zh") == []  # no traceback, warning or broken link
    for stem in ("00_summary", "01_profile", "02_conversion", "03_rfm", "04_diagnosis"):
        assert (folder / "notebooks" / f"{stem}.ipynb").exists()
    kpis = {k.kpi: k for k in doc.sections.summary.kpis}
    if name in ("one-customer",):
        assert kpis["paid_orders"].value == 1 and kpis["gmv"].value == 99.0
    if name == "no-comparison":
        assert doc.run.comparison is None and kpis["gmv"].value_prev is None
    if name == "year-on-year":
        assert doc.run.comparison == "2025-Q4 -1y" and kpis["gmv"].value_prev > 0


@pytest.mark.parametrize(("name", "period", "tables", "message"), [
    ("no-data", "2023-01", None, "2023-01"),
    ("nothing-paid", "2025-Q4", {"orders": _orders([("1", "c1", "2025-11-03 10:00:00", 99.0, "cancelled")])},
     "no paid order"),
])
def test_a_period_without_paid_orders_stops_with_one_clear_message(tmp_path, small_demo, capsys, name, period,
                                                                   tables, message):
    from kit.cli import main

    if tables is None:
        params = write_params(tmp_path, small_demo, name="no-data.yaml").read_text(encoding="utf-8")
        path = tmp_path / f"{name}.yaml"
        path.write_text(params.replace("period: 2025-Q4", f"period: '{period}'"), encoding="utf-8")
    else:
        _write_shop(tmp_path / "shop", tables)
        path = Path(_params(tmp_path / "shop", name, tables, "", period))
    out = tmp_path / "output"
    assert main(["publish", str(path), "--output", str(out), "--quiet", "--no-pdf"]) == 2
    said = capsys.readouterr()
    assert "Traceback" not in said.err + said.out
    assert message in said.err + said.out
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]


# ---------------------------------------------------------------- foreign exports


@pytest.fixture(scope="module")
def foreign(tmp_path_factory):
    """Two exports the generator did not make: a clickstream alone (its own column and event
    names, CSV) and an 18-month orders log without order ids or statuses."""
    root = tmp_path_factory.mktemp("foreign")
    generate(root / "generated", customers=SHOP_CUSTOMERS)
    names = {"view": "page_view", "product_view": "view_item", "add_to_cart": "add_to_basket",
             "checkout": "begin_checkout", "pay": "purchase"}
    clicks = (pl.read_parquet(root / "generated" / "events").with_columns(pl.col("event").replace(names))
              .rename({"event": "action", "event_time": "ts", "visitor_id": "anon", "customer_id": "user"}))
    clicks.write_csv(root / "clickstream.csv")
    (root / "clicks.yaml").write_text(
        "name: clicks\nperiod: 2025-Q4\ndata:\n  events:\n    path: clickstream.csv\n"
        "    columns: {event_time: ts, event: action, visitor_id: anon, customer_id: user}\n"
        "events: {page_view: view, view_item: product_view, add_to_basket: add_to_cart, "
        "begin_checkout: checkout, purchase: pay}\n", encoding="utf-8")
    log = (pl.read_parquet(root / "generated" / "orders").filter(pl.col("status") == "paid")
           .filter(pl.col("order_time") >= datetime(2024, 7, 1)).select("customer_id", "order_time", "amount"))
    log.write_csv(root / "orders_log.csv")
    (root / "log.yaml").write_text("name: log\nperiod: 2024-07-01..2025-12-31\ncomparison: none\n"
                                   "data:\n  orders: {path: orders_log.csv}\n", encoding="utf-8")
    out = root / "output"
    return out, log.height, publish([str(root / "clicks.yaml"), str(root / "log.yaml")], jobs=2, quiet=True,
                                    output=out, pdf=False)


def test_a_clickstream_alone_publishes_its_funnel_and_says_what_else_it_needs(foreign):
    out, _, code = foreign
    assert code == 0
    folder = _report(out, "clicks")
    doc = validate_metrics(json.loads((folder / "metrics.json").read_text(encoding="utf-8")))
    assert doc.sections.conversion.funnel[0].count > 0 and [k.kpi for k in doc.sections.summary.kpis] == ["visit_to_pay"]
    notes = _missing_notes((folder / "report.html").read_text(encoding="utf-8"))
    assert any("data.orders" in n for n in notes)


def test_an_orders_log_without_ids_or_statuses_publishes_every_order_as_paid(foreign):
    out, rows, code = foreign
    assert code == 0
    folder = _report(out, "log")
    doc = validate_metrics(json.loads((folder / "metrics.json").read_text(encoding="utf-8")))
    kpis = {k.kpi: k for k in doc.sections.summary.kpis}
    assert kpis["paid_orders"].value == rows and kpis["gmv"].value_prev is None
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "order_id" in html  # the data-quality appendix says the rows were numbered
