"""Sentences of section 2.3 (repurchase and retention), from the tables of
:mod:`kit.metrics.retention`, :mod:`kit.metrics.repurchase` and
:func:`kit.metrics.customers.churn_by`, with the templates under ``ret.`` in :mod:`kit.i18n`."""

from __future__ import annotations

import polars as pl

from kit.display import fmt_int, fmt_num, fmt_pct, fmt_pp
from kit.i18n import label, t


def _join(sentences: list[str], lang: str) -> str:
    return ("" if lang == "zh" else " ").join(s for s in sentences if s)


def _change(change, lang: str) -> str:
    """The comparison clause for a change of a rate in points (empty without one)."""
    return "" if change is None else t("ret.vs_prev", lang, change=fmt_pp(change, lang=lang))


def attribute_name(attribute: str, lang: str) -> str:
    return label("ret.attribute", attribute, lang)


def value_name(value: str, lang: str) -> str:
    """A driver value: the data's own text, except the kit's ``used``/``none``/``unknown``."""
    return label("ret.value", value, lang)


def stage_name(stage: str, lang: str) -> str:
    return label("ret.stage", stage, lang)


def repurchase_rate_text(kpis: pl.DataFrame, lang: str = "zh") -> str:
    """The period's repurchase rate (customers with >= 2 paid orders / active customers)
    beside the comparison period, from :func:`kit.metrics.kpis.headline_kpis`."""
    rows = kpis.filter(pl.col("kpi") == "repurchase_rate")
    if rows.height == 0 or rows["value"][0] is None:
        return ""
    row = rows.row(0, named=True)
    return t("ret.rate", lang, rate=fmt_pct(row["value"]), change=_change(row["value_change"], lang))


def channel_text(channels: pl.DataFrame | None, lang: str = "zh", significant: float = 0.05) -> str:
    """The acquisition channel whose first-time buyers come back least, when it is
    significantly below the other channels (:func:`kit.metrics.retention.channel_repurchase`)."""
    if channels is None:
        return ""
    low = channels.filter((pl.col("p_value") < significant) & (pl.col("lift") < 1)).sort("lift")
    if low.height == 0:
        return t("ret.channel_even", lang)
    row = low.row(0, named=True)
    return t("ret.channel_low", lang, channel=row["group"], rate=fmt_pct(row["rate"]), lift=fmt_num(row["lift"], 2),
             buyers=fmt_int(row["buyers"]))


def repurchase_text(first: pl.DataFrame, lang: str = "zh", windows=(30, 60, 90)) -> str:
    """N-day repurchase of first-time buyers (:func:`kit.metrics.repurchase.first_purchase_repurchase`):
    the three rates, and the 90-day one beside the comparison period."""
    row = first.row(0, named=True)
    if not row.get(f"buyers_{windows[-1]}"):
        return t("ret.no_cohort", lang)
    rates = "/".join(fmt_pct(row[f"rate_{n}"]) for n in windows)
    last = windows[-1]
    return t("ret.nday", lang, days="/".join(str(n) for n in windows), rates=rates,
             buyers=fmt_int(row[f"buyers_{last}"]), change=_change(row.get(f"rate_{last}_change"), lang))


def interval_text(intervals: pl.DataFrame, lang: str = "zh") -> str:
    """Median and quartiles of the days between consecutive orders (:func:`purchase_intervals`)."""
    row = intervals.row(0, named=True)
    if not row["intervals"]:
        return t("ret.no_intervals", lang)
    sentence = t("ret.interval", lang, median=fmt_num(row["median"], 1), p25=fmt_num(row["p25"], 1),
                 p75=fmt_num(row["p75"], 1))
    if row.get("median_prev") is not None:
        sentence += t("ret.interval_prev", lang, median_prev=fmt_num(row["median_prev"], 1))
    return sentence


def cohort_text(matrix: pl.DataFrame, lang: str = "zh") -> str:
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
        sentences.append(t("ret.cohort", lang, month=month, cohort=latest["cohort"].strftime("%Y-%m"),
                           share=fmt_pct(latest["share"]),
                           earlier="" if mean is None else t("ret.cohort_earlier", lang, share=fmt_pct(mean))))
    return _join(sentences, lang) or t("ret.no_cohort", lang)


def lifecycle_text(counts: pl.DataFrame, flows: pl.DataFrame | None, lang: str = "zh") -> str:
    """The share of customers active (new or active) at the period end beside the
    comparison end, and the largest move between two different stages (:func:`lifecycle_counts`,
    :func:`lifecycle_flows`)."""
    rows = {r["stage"]: r for r in counts.to_dicts()}
    live = sum((rows.get(s, {}).get("share") or 0) for s in ("new", "active"))
    live_prev = sum((rows.get(s, {}).get("share_prev") or 0) for s in ("new", "active"))
    sentences = [t("ret.lifecycle", lang, share=fmt_pct(live),
                   change="" if rows.get("new", {}).get("share_prev") is None else _change(live - live_prev, lang))]
    if flows is not None:
        moves = flows.filter((pl.col("from_stage") != pl.col("to_stage")) & (pl.col("from_stage") != "none"))
        if moves.height:
            top = moves.sort("customers", descending=True).row(0, named=True)
            sentences.append(t("ret.flow", lang, source=stage_name(top["from_stage"], lang),
                               target=stage_name(top["to_stage"], lang), customers=fmt_int(top["customers"])))
    return _join(sentences, lang)


def drivers_text(drivers: pl.DataFrame, lang: str = "zh", significant: float = 0.05) -> str:
    """The first-order attribute values that raise and that lower repurchase most
    (:func:`repurchase_drivers`), significant ones only."""
    sig = drivers.filter(pl.col("p_value") < significant)
    sentences = []
    for up, key in ((True, "ret.driver_up"), (False, "ret.driver_down")):
        side = sig.filter((pl.col("lift") > 1) if up else (pl.col("lift") < 1))
        if side.height:
            r = side.row(0, named=True)
            sentences.append(t(key, lang, attribute=attribute_name(r["attribute"], lang),
                               value=value_name(r["value"], lang),
                               rate=fmt_pct(r["rate"]), lift=fmt_num(r["lift"], 2)))
    return _join(sentences, lang) or t("ret.no_driver", lang)


def churn_text(churn: pl.DataFrame, column: str, lang: str = "zh") -> str:
    """The place whose last-period customers came back least (:func:`kit.metrics.customers.churn_by`)."""
    rows = churn.filter(pl.col("was_active") > 0)
    if rows.height == 0:
        return ""
    total = rows["lost"].sum() / rows["was_active"].sum()
    worst = rows.sort("churn_rate", descending=True).row(0, named=True)
    return t("ret.churn", lang, place=worst[column], rate=fmt_pct(worst["churn_rate"]), total=fmt_pct(total))
