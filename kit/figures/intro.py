"""The introduction (引言): what the report is about, on which data, and the definitions it uses.

- :func:`scope`: the period, the comparison period and the slice, with their dates;
- :func:`sources`: per table the run read (and the sessions made from the events): where it
  came from, its rows as used (deduplicated, cut to the slice, the events to the run's
  window: ``run.meta["rows"]``) and its first and last date;
- :func:`definitions`: the glossary's terms the introduction names (:data:`DEFINITIONS`),
  from the one glossary (:func:`kit.figures.appendix.glossary`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import polars as pl

from kit.figures.appendix import glossary
from kit.metrics.quality import FIRST, LAST
from kit.run import Run

DEFINITIONS = ("active_customers", "new_customers", "paid_orders", "session", "churn_rate", "stage_at_risk",
               "stage_churned", "p_alive")
"""The definitions the introduction shows: active, new, paid order, session, and the three
ways the report speaks of losing customers (the KPI, the lifecycle stages, the model)."""

DATES = {"orders": "order_time", "customers": "signup_date", "order_items": "order_time", "events": "event_time",
         "sessions": "start", "marketing_spend": "date"}
"""The date each table's range is read from."""


class Scope(NamedTuple):
    period: str
    start: str
    end: str
    comparison: str | None
    comparison_start: str | None
    comparison_end: str | None
    slice: dict


def scope(run: Run) -> Scope:
    """The period, the comparison period (None without one) and the slice."""
    p, c = run.period, run.comparison
    return Scope(p.label, p.start.isoformat(), p.end.isoformat(), c.label if c else None,
                 c.start.isoformat() if c else None, c.end.isoformat() if c else None, dict(run.params.slice))


def _source(run: Run, name: str) -> str:
    """Where a table came from: its file or folder as the params name it, or the database
    table (never a URL: it names the host and user)."""
    loc = run.locale
    if name == "sessions":
        return loc.t("intro.source.derived")
    source = run.params.data.sources().get(name)
    if source is None:
        return ""
    if source.database is not None:
        what = source.database.table or loc.t("intro.source.query")
        return loc.t("intro.source.database", what=what)
    return Path(source.path).name if source.path else ""


def sources(run: Run) -> pl.DataFrame:
    """``table, name, source, rows, first, last, note``: one row per table the run used,
    in the contract's order, the sessions after the events."""
    loc = run.locale
    rows_used = run.meta.get("rows", {})
    conv = run.params.conversion
    out = []
    for name in ("orders", "customers", "order_items", "events", "sessions", "marketing_spend"):
        frame = run.table(name)
        if frame is None:
            continue
        first, last = _dates(run, name, frame)
        note = {"events": loc.t("intro.note.events", hours=loc.number(conv.cart_window_hours, 0)),
                "sessions": loc.t("intro.note.sessions", minutes=conv.session_gap_minutes)}.get(
            name, loc.t(f"intro.note.{name}"))
        out.append({"table": name, "name": loc.t(f"intro.table.{name}"), "source": _source(run, name),
                    "rows": float(rows_used.get(name, 0)), "first": _day(first), "last": _day(last), "note": note})
    return pl.DataFrame(out, schema={"table": pl.String, "name": pl.String, "source": pl.String, "rows": pl.Float64,
                                     "first": pl.String, "last": pl.String, "note": pl.String})


def _dates(run: Run, name: str, frame: pl.LazyFrame) -> tuple:
    """The table's first and last date (:data:`DATES`). The events' come from their counts per
    event name (``run.event_checks``) and the sessions' from their lengths counted by day
    (``run.visit_durations``) where the run has them, so that no row per event or session is read."""
    counted = {"events": (run.event_checks, FIRST, LAST), "sessions": (run.visit_durations, "date", "date")}
    own = (frame, DATES[name], DATES[name])
    table, low, high = counted.get(name, own)
    if table is None or low not in table.collect_schema().names():
        table, low, high = own
    if low not in table.collect_schema().names():
        return None, None
    return table.select(pl.col(low).min(), pl.col(high).max().alias("_high")).collect().row(0)


def _day(value) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()


def definitions(run: Run) -> pl.DataFrame:
    """The definitions the introduction shows (:data:`DEFINITIONS`): ``key, group, term, definition``."""
    return glossary(run, DEFINITIONS)


def source_columns(run: Run) -> dict[str, tuple[str, str]]:
    """The sources table's columns (:func:`kit.display.table`)."""
    loc = run.locale
    return {"name": (loc.t("intro.col.table"), "text"), "source": (loc.t("intro.col.source"), "text"),
            "rows": (loc.t("intro.col.rows"), "int"), "first": (loc.t("intro.col.first"), "text"),
            "last": (loc.t("intro.col.last"), "text")}


def definition_columns(run: Run) -> dict[str, tuple[str, str]]:
    loc = run.locale
    return {"term": (loc.t("glossary.col.term"), "text"), "definition": (loc.t("glossary.col.definition"), "text")}
