"""The appendix (附录): the metric glossary and the data-quality counts of the run.

- :func:`glossary`: every term of :data:`kit.i18n.glossary.TERMS` in the run's language, its
  definition filled with the run's parameters (:func:`parameters`); the introduction shows
  the few it names (:data:`kit.figures.intro.DEFINITIONS`);
- :func:`quality_counts`: counts of the data the run used, always (0 when all is well): rows
  per table, missing values per column (a column missing from every row is one the data does
  not have, and is not listed), orders per status, orders of customers missing from the
  customers table, events per funnel step and of anonymous visitors, returned and rated
  lines. Shares are of the table's rows;
- :func:`quality_notes`: what the loader said (duplicates dropped, values it could not
  parse, events it could not map, the slice ...), with its counts (``run.quality``).
"""

from __future__ import annotations

import polars as pl

from kit.i18n.glossary import GROUPS, RULE_FORMULAS, TERMS
from kit.metrics.quality import NOT_COLUMNS, ROWS, event_checks
from kit.run import Run

QUALITY_TABLES = ("orders", "customers", "order_items", "events", "marketing_spend")
"""The tables whose counts the appendix shows, in order."""
KEYS = {"orders": ("order_id", "customer_id", "order_time", "amount", "status"), "customers": ("customer_id",),
        "order_items": ("order_id", "customer_id", "order_time"), "events": ("event_time", "event", "session_id", "user_id"),
        "marketing_spend": ()}
"""Columns never missing in a prepared table (required, or the order's, joined onto its lines):
not counted."""
DERIVED = ("user_id", "order_paid", "prev_paid_time", "next_paid_time")
"""Columns the kit adds when it prepares a run (not the data's own)."""


def parameters(run: Run) -> dict[str, str]:
    """The run's parameters the glossary's definitions name, as they read."""
    conv, th = run.params.conversion, run.params.diagnosis
    loc = run.locale
    return {"at_risk_days": str(conv.at_risk_days), "churn_days": str(conv.churn_days),
            "cart_window_hours": loc.number(conv.cart_window_hours, 0) if float(conv.cart_window_hours).is_integer()
            else loc.number(conv.cart_window_hours, 1),
            "session_gap_minutes": str(conv.session_gap_minutes), "horizon_months": str(run.params.clv.horizon_months),
            "significance": f"{th.significance:g}", "min_drop": loc.pct(th.changepoint_min_drop, 0),
            "currency": run.params.currency}


def glossary(run: Run, keys: tuple[str, ...] | None = None) -> pl.DataFrame:
    """``key, group, term, definition``: every term (or those of ``keys``, in that order), in
    the run's language, grouped as :data:`kit.i18n.glossary.GROUPS`."""
    loc, values = run.locale, parameters(run)
    terms = [t for t in TERMS if keys is None or t.key in keys]
    if keys is not None:
        terms.sort(key=lambda t: keys.index(t.key))
    else:
        terms.sort(key=lambda t: GROUPS.index(t.group))
    rows = [{"key": t.key, "group": loc.t(f"glossary.group.{t.group}"), "term": loc.t(f"glossary.{t.key}.term"),
             "definition": loc.t(f"glossary.{t.key}.def", **values)} for t in terms]
    if keys is None:  # the whole glossary ends with each rule's money-at-stake formula
        rows += [{"key": f"rule.{key}", "group": loc.t("glossary.group.diagnosis"),
                  "term": loc.t(f"glossary.rule.{key}"), "definition": loc.t(f"diag.formula.{key}")}
                 for key, _, _ in RULE_FORMULAS]
    return pl.DataFrame(rows, schema={"key": pl.String, "group": pl.String, "term": pl.String, "definition": pl.String})


def by_group(table: pl.DataFrame, column: str) -> list[tuple[str, pl.DataFrame]]:
    """The table split by ``column`` in order of first appearance (one short table per glossary
    group or data table, each kept on one page)."""
    return [(key[0], part) for key, part in table.group_by(column, maintain_order=True)]


def quality_counts(run: Run) -> pl.DataFrame:
    """``table, check, count, share`` (module doc), in the run's language."""
    loc = run.locale
    rows: list[dict] = []

    def add(table: str, check: str, count, total) -> None:
        rows.append({"table": loc.t(f"intro.table.{table}"), "check": check, "count": float(count),
                     "share": (count / total) if total else None})

    for name in QUALITY_TABLES:
        frame = run.table(name)
        if frame is None:
            continue
        if name == "events":  # summed from the events counted once, not read again
            per_event = event_counts(run)
            names = [c for c in per_event.columns if c not in DERIVED and c not in NOT_COLUMNS]
            checked = [c for c in names if c not in KEYS[name]]
            counted = per_event.select(pl.col(ROWS).sum(), *[pl.col(c).sum() for c in checked])
        else:
            names = [c for c in frame.collect_schema().names() if c not in DERIVED]
            checked = [c for c in names if c not in KEYS[name]]
            counted = frame.select(pl.len().alias(ROWS), *[pl.col(c).null_count() for c in checked]).collect()
        total = counted[ROWS][0]
        add(name, loc.t("appendix.check.rows"), total, None)
        if name == "orders":
            statuses = frame.group_by(pl.col("status").fill_null("null")).agg(pl.len()).sort("status").collect()
            for status, n in statuses.iter_rows():
                add(name, loc.t("appendix.check.status", status=status), n, total)
            customers = run.table("customers")
            if customers is not None:
                lost = frame.join(customers.select("customer_id"), on="customer_id", how="anti").select(pl.len())
                add(name, loc.t("appendix.check.no_customer"), lost.collect().item(), total)
        if name == "order_items":
            for column, check in (("returned", "appendix.check.returned"), ("rating", "appendix.check.rated")):
                if column in names:
                    value = pl.col(column).fill_null(False).sum() if column == "returned" else pl.col(column).is_not_null().sum()
                    add(name, loc.t(check), frame.select(value).collect().item(), total)
        if name == "events":
            by_step = dict(per_event.select("event", ROWS).iter_rows())
            for step in run.params.conversion.funnel_steps:
                add(name, loc.t("appendix.check.event", event=step), by_step.get(step, 0), total)
            if "customer_id" in names:
                add(name, loc.t("appendix.check.anonymous"), counted["customer_id"][0] if "customer_id" in counted.columns
                    else 0, total)
        for column in checked:
            if column == "customer_id" and name == "events":
                continue  # counted as the anonymous visitors' events
            if total and counted[column][0] == total:
                continue  # a column the data does not have (the figures that need it say so)
            add(name, loc.t("appendix.check.missing", column=column), counted[column][0], total)
    return pl.DataFrame(rows, schema={"table": pl.String, "check": pl.String, "count": pl.Float64,
                                      "share": pl.Float64})


def event_counts(run: Run) -> pl.DataFrame:
    """The run's events counted per event name with each column's missing values
    (:func:`kit.metrics.quality.event_checks`): prepared with the run (``run.event_checks``),
    else counted from its events."""
    prepared = run.event_checks
    return (prepared if prepared is not None else event_checks(run.events)).collect()


def quality_notes(run: Run) -> pl.DataFrame:
    """What the loader reported for this run (``run.quality``): ``level, table, check, count,
    message``; empty when it reported nothing."""
    rows = [{"level": q.get("level"), "table": q.get("table"), "check": q.get("check"),
             "count": None if q.get("count") is None else float(q["count"]), "message": q.get("message")}
            for q in run.quality]
    return pl.DataFrame(rows, schema={"level": pl.String, "table": pl.String, "check": pl.String,
                                      "count": pl.Float64, "message": pl.String})


def glossary_columns(run: Run) -> dict[str, tuple[str, str]]:
    """The glossary table's columns (:func:`kit.display.table`)."""
    loc = run.locale
    return {"term": (loc.t("glossary.col.term"), "text"), "definition": (loc.t("glossary.col.definition"), "text")}


def quality_columns(run: Run) -> dict[str, tuple[str, str]]:
    loc = run.locale
    return {"check": (loc.t("appendix.col.check"), "text"), "count": (loc.t("appendix.col.count"), "int"),
            "share": (loc.t("appendix.col.share"), "pct")}


def notes_columns(run: Run) -> dict[str, tuple[str, str]]:
    loc = run.locale
    return {"level": (loc.t("report.quality_level"), "text"), "table": (loc.t("report.quality_table"), "text"),
            "check": (loc.t("report.quality_check"), "text"), "count": (loc.t("report.quality_count"), "int"),
            "message": (loc.t("report.quality_message"), "text")}
