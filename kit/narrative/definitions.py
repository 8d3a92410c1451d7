"""Which definition of a lost customer a section uses, said where it is used (templates under
``defs.``): the lifecycle section's "churned" is not the KPI churn rate, and the CLV section's
probability alive is a model estimate, not a churn definition (:mod:`kit.figures.definitions`)."""

from __future__ import annotations

import polars as pl

from kit.i18n import Locale


def lifecycle_note(stages: pl.DataFrame, kpi_churn: float | None, at_risk_days: int, churn_days: int,
                   loc: Locale) -> str:
    """After the lifecycle chart: its "churned" (by the last purchase) with its share of the
    customers at the period end (:func:`kit.metrics.retention.lifecycle_counts`), beside the
    KPI churn rate and what that one counts."""
    churned = stages.filter(pl.col("stage") == "churned")
    share = loc.pct(churned["share"][0]) if churned.height and churned["share"][0] is not None else loc.pct(None)
    values = {"churn_days": churn_days, "at_risk_days": at_risk_days, "share": share}
    if kpi_churn is None:
        return loc.t("defs.lifecycle_alone", **values)
    return loc.t("defs.lifecycle", **values, kpi=loc.pct(kpi_churn))


def alive_note(by_stage: pl.DataFrame, loc: Locale) -> str:
    """Before the side-by-side table: P(alive) is a model estimate; the mean P(alive) of the
    churned and of the active stage (:func:`kit.figures.definitions.alive_by_stage`)."""
    mean = {r["stage"]: r["mean_p_alive"] for r in by_stage.iter_rows(named=True)}
    return loc.t("defs.alive", churned=loc.pct(mean.get("churned")), active=loc.pct(mean.get("active")))


def alive_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    """The side-by-side table's columns (:func:`kit.display.table`)."""
    return {"stage_name": (loc.t("defs.col.stage"), "text"), "definition": (loc.t("defs.col.definition"), "text"),
            "customers": (loc.t("defs.col.customers"), "int"),
            "mean_p_alive": (loc.t("defs.col.mean_p_alive"), "pct"),
            "likely_alive_share": (loc.t("defs.col.likely_alive_share"), "pct")}
