"""Sentences of section 2.3 (repurchase and retention), from the tables of
:mod:`kit.metrics.retention`, :mod:`kit.metrics.repurchase` and
:func:`kit.metrics.customers.churn_by`, with the templates under ``ret.`` in :mod:`kit.i18n`."""

from __future__ import annotations

import polars as pl

from kit.i18n import Locale
from kit.i18n.labels import attribute_name, stage_name, value_name


def _change(change, loc: Locale) -> str:
    """The comparison clause for a change of a rate in points (empty without one)."""
    return "" if change is None else loc.t("ret.vs_prev", change=loc.pp(change))


def repurchase_rate_text(kpis: pl.DataFrame, loc: Locale) -> str:
    """The period's repurchase rate (customers with >= 2 paid orders / active customers)
    beside the comparison period, from :func:`kit.metrics.kpis.headline_kpis`."""
    rows = kpis.filter(pl.col("kpi") == "repurchase_rate")
    if rows.height == 0 or rows["value"][0] is None:
        return ""
    row = rows.row(0, named=True)
    return loc.t("ret.rate", rate=loc.pct(row["value"]), change=_change(row["value_change"], loc))


def channel_text(channels: pl.DataFrame | None, loc: Locale, significant: float = 0.05) -> str:
    """The acquisition channel whose first-time buyers come back least, when it is
    significantly below the other channels (:func:`kit.metrics.retention.channel_repurchase`)."""
    if channels is None:
        return ""
    low = channels.filter((pl.col("p_value") < significant) & (pl.col("lift") < 1)).sort("lift")
    if low.height == 0:
        return loc.t("ret.channel_even")
    row = low.row(0, named=True)
    return loc.t("ret.channel_low", channel=row["group"], rate=loc.pct(row["rate"]), lift=loc.number(row["lift"], 2),
             buyers=loc.integer(row["buyers"]))


def repurchase_text(first: pl.DataFrame, loc: Locale, windows=(30, 60, 90)) -> str:
    """N-day repurchase of first-time buyers (:func:`kit.metrics.repurchase.first_purchase_repurchase`):
    the three rates, and the 90-day one beside the comparison period."""
    row = first.row(0, named=True)
    if not row.get(f"buyers_{windows[-1]}"):
        return loc.t("ret.no_cohort")
    rates = "/".join(loc.pct(row[f"rate_{n}"]) for n in windows)
    last = windows[-1]
    return loc.t("ret.nday", days="/".join(str(n) for n in windows), rates=rates,
             buyers=loc.integer(row[f"buyers_{last}"]), change=_change(row.get(f"rate_{last}_change"), loc))


def interval_text(intervals: pl.DataFrame, loc: Locale) -> str:
    """Median and quartiles of the days between consecutive orders (:func:`purchase_intervals`)."""
    row = intervals.row(0, named=True)
    if not row["intervals"]:
        return loc.t("ret.no_intervals")
    sentence = loc.t("ret.interval", median=loc.number(row["median"], 1), p25=loc.number(row["p25"], 1),
                 p75=loc.number(row["p75"], 1))
    if row.get("median_prev") is not None:
        sentence += loc.t("ret.interval_prev", median_prev=loc.number(row["median_prev"], 1))
    return sentence


def cohort_text(matrix: pl.DataFrame, loc: Locale) -> str:
    """Retention at month 1 and month 3 of the latest cohort that has reached it, against
    the mean of the earlier cohorts (:func:`cohort_matrix`)."""
    sentences = []
    for month in (1, 3):
        rows = matrix.filter(pl.col("month") == month).sort("cohort")
        if rows.height == 0:
            continue
        latest = rows.row(rows.height - 1, named=True)
        earlier = rows.head(rows.height - 1)
        mean = earlier["share"].mean() if earlier.height else None
        sentences.append(loc.t("ret.cohort", month=month, cohort=latest["cohort"].strftime("%Y-%m"),
                           share=loc.pct(latest["share"]),
                           earlier="" if mean is None else loc.t("ret.cohort_earlier", share=loc.pct(mean))))
    return loc.sentences(sentences) or loc.t("ret.no_cohort")


def lifecycle_text(counts: pl.DataFrame, flows: pl.DataFrame | None, loc: Locale) -> str:
    """The share of customers active (new or active) at the period end beside the
    comparison end, and the largest move between two different stages (:func:`lifecycle_counts`,
    :func:`lifecycle_flows`)."""
    rows = {r["stage"]: r for r in counts.to_dicts()}
    live = sum((rows.get(s, {}).get("share") or 0) for s in ("new", "active"))
    live_prev = sum((rows.get(s, {}).get("share_prev") or 0) for s in ("new", "active"))
    sentences = [loc.t("ret.lifecycle", share=loc.pct(live),
                   change="" if rows.get("new", {}).get("share_prev") is None else _change(live - live_prev, loc))]
    if flows is not None:
        moves = flows.filter((pl.col("from_stage") != pl.col("to_stage")) & (pl.col("from_stage") != "none"))
        if moves.height:
            top = moves.sort("customers", descending=True).row(0, named=True)
            sentences.append(loc.t("ret.flow", source=stage_name(top["from_stage"], loc),
                               target=stage_name(top["to_stage"], loc), customers=loc.integer(top["customers"])))
    return loc.sentences(sentences)


def drivers_text(drivers: pl.DataFrame, loc: Locale, significant: float = 0.05) -> str:
    """The first-order attribute values that raise and that lower repurchase most
    (:func:`repurchase_drivers`), significant ones only."""
    sig = drivers.filter(pl.col("p_value") < significant)
    sentences = []
    for up, key in ((True, "ret.driver_up"), (False, "ret.driver_down")):
        side = sig.filter((pl.col("lift") > 1) if up else (pl.col("lift") < 1))
        if side.height:
            r = side.row(0, named=True)
            sentences.append(loc.t(key, attribute=attribute_name(r["attribute"], loc),
                               value=value_name(r["value"], loc),
                               rate=loc.pct(r["rate"]), lift=loc.number(r["lift"], 2)))
    return loc.sentences(sentences) or loc.t("ret.no_driver")


def churn_text(churn: pl.DataFrame, column: str, loc: Locale) -> str:
    """The place whose last-period customers came back least (:func:`kit.metrics.customers.churn_by`)."""
    rows = churn.filter(pl.col("was_active") > 0)
    if rows.height == 0:
        return ""
    total = rows["lost"].sum() / rows["was_active"].sum()
    worst = rows.sort("churn_rate", descending=True).row(0, named=True)
    return loc.t("ret.churn", place=worst[column], rate=loc.pct(worst["churn_rate"]), total=loc.pct(total))


def channel_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    """The acquisition channels' repurchase table's columns."""
    return {"group": (loc.t("ret.col.group"), "text"), "buyers": (loc.t("ret.col.buyers"), "int"),
            "rate": (loc.t("ret.col.rate"), "pct"), "lift": (loc.t("ret.col.lift"), "num"),
            "rate_prev": (loc.t("ret.col.rate_prev"), "pct")}


def churn_columns(column: str, loc: Locale) -> dict[str, tuple[str, str]]:
    """The churn-by-place table's columns (``column``: the place, e.g. region)."""
    return {column: (loc.t(f"ret.col.{column}") if loc.has(f"ret.col.{column}") else column, "text"),
            "was_active": (loc.t("ret.col.was_active"), "int"), "lost": (loc.t("ret.col.lost"), "int"),
            "churn_rate": (loc.t("ret.col.churn_rate"), "pct")}
