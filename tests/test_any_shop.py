"""Any shop's data publishes: every optional table and column dropped in turn, periods of every
length and position, shops of every size, and foreign exports with their own names.

Each group is published as one batch (``--jobs 2``, no PDF) from data the tests build:
copies of a small generated shop with a table or column removed, and hand-made shops.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import polars as pl
import pytest

from kit.contract import TABLES
from kit.demo import generate
from kit.figures import conversion, diagnosis, profile, summary, value
from kit.figures.schema import validate_metrics
from kit.publish.batch import publish

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("any_shop")]

SHOP_CUSTOMERS = 300
FIGURE_MODULES = (summary, profile, conversion, value, diagnosis)


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


def _flat(doc, path: str = "") -> dict:
    if isinstance(doc, dict):
        return {k: v for key, item in doc.items() for k, v in _flat(item, f"{path}.{key}" if path else key).items()}
    if isinstance(doc, list):
        return {k: v for i, item in enumerate(doc) for k, v in _flat(item, f"{path}[{i}]").items()}
    return {path: doc}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _missing_notes(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<div class="kit-missing">(.*?)</div>', html, re.S)]


# ---------------------------------------------------------------- drop each optional table and column


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
}
"""Which figure records each key of metrics.json."""


AFFECTED: dict[str, set[str]] = {
    # what a drop may change in metrics.json beyond the figures that need it (which disappear):
    # the dropped values feed these figures without being required by them
    "events": {"summary.kpis", "conversion", "diagnosis"},
    "events.session_id": {"summary.kpis", "profile", "conversion", "diagnosis"},  # sessions from 30-min gaps
    "events.customer_id": {"conversion.cart", "conversion.funnel", "diagnosis"},  # pays attributed by user
    "events.visitor_id": {"conversion.cart", "conversion.funnel", "diagnosis"},  # logins stitched by visitor
    "events.value": {"conversion.cart", "diagnosis"},
    "events.device": {"diagnosis"},
    "events.source": {"diagnosis"},
    "orders.status": {"summary", "profile", "retention", "rfm", "clv", "conversion.funnel", "diagnosis"},
    "orders.channel": {"diagnosis"},
    "customers": {"diagnosis"},
    "customers.region": {"diagnosis"},
    "customers.acquisition_channel": {"diagnosis"},
    "order_items": {"diagnosis"},
    "order_items.quantity": {"diagnosis"},
    "order_items.returned": {"diagnosis"},
    "order_items.rating": {"diagnosis"},
    "marketing_spend": {"diagnosis"},
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
        params.append(_params(folder, label.replace(".", "-"), tables))
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
    full = _flat(json.loads((_report(out, "full") / "metrics.json").read_text(encoding="utf-8"))["sections"])
    mine = _flat(doc["sections"])
    differ = sorted(k for k in set(full) | set(mine)
                    if not (k in full and k in mine and _same(full[k], mine[k])) and not _may_differ(k, table, column))
    assert not differ, f"{label} changed {differ[:8]}"
