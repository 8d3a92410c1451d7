"""Sentences of sections 2.1 (funnel) and 2.2 (cart abandonment), from the tables of
:mod:`kit.metrics.funnel` and :mod:`kit.metrics.cart` and the templates under ``conv.``
in :mod:`kit.i18n`."""

from __future__ import annotations

import math

import polars as pl

from kit.i18n import Locale
from kit.i18n.labels import dimension_name, group_name, step_name
from kit.i18n.numbers import fmt_num

SIGNIFICANT = 0.05
"""p-value below which a group's difference from the rest is called significant."""


def duration(minutes, loc: Locale) -> str:
    """A duration in the unit that reads best: minutes under 1 h, hours under 2 days, else days."""
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return "–"
    if minutes < 60:
        return loc.t("conv.minutes", n=loc.number(minutes, 0 if minutes >= 10 else 1))
    if minutes < 48 * 60:
        return loc.t("conv.hours", n=loc.number(minutes / 60, 1))
    return loc.t("conv.days", n=loc.number(minutes / 1440, 1))


def _p(value) -> str:
    """``p < 0.001`` or ``p = 0.123``."""
    return "p < 0.001" if value is not None and value < 0.001 else f"p = {fmt_num(value, 3)}"


def funnel_sentences(funnel: pl.DataFrame, loc: Locale, unit: str = "session") -> list[str]:
    """The weakest step with its conversion beside the comparison period, and the overall
    conversion (journeys reaching the last step / journeys reaching the first).

    ``funnel`` is :func:`kit.metrics.funnel.funnel_table`."""
    rows = funnel.sort("step_index")
    first, last = rows.row(0, named=True), rows.row(-1, named=True)
    if not first["count"]:
        return [loc.t("conv.no_journeys")]
    units = loc.t(f"conv.unit.{unit}")
    sentences = []
    weak = rows.filter(pl.col("is_weakest"))
    if weak.height:
        w = weak.row(0, named=True)
        before = rows.filter(pl.col("step_index") == w["step_index"] - 1).row(0, named=True)
        values = {"step": step_name(w["step"], loc), "before": step_name(before["step"], loc), "unit": units,
                  "rate": loc.pct(w["step_conversion"])}
        if w["step_conversion_prev"] is None:
            sentences.append(loc.t("conv.weakest_no_prev", **values))
        else:
            sentences.append(loc.t("conv.weakest", **values, rate_prev=loc.pct(w["step_conversion_prev"]),
                               change=loc.pp(w["step_conversion_change"])))
    sentences.append(loc.t("conv.overall", journeys=loc.integer(first["count"]), converted=loc.integer(last["count"]),
                       unit=units, last=step_name(last["step"], loc), rate=loc.pct(last["from_start"])))
    return sentences


def worst_group_sentence(by_group: pl.DataFrame, loc: Locale, unit: str = "session") -> str | None:
    """The group of one dimension with the lowest whole-funnel conversion, its gap to the
    rest of the journeys in points (unsigned: the sentence says "below") and the p-value of the z-test; None with fewer than two
    groups. ``by_group`` is :func:`kit.metrics.funnel.conversion_by`."""
    rows = by_group.filter(pl.col("rate").is_not_null() & (pl.col("entered") > 0))
    if rows.height < 2:
        return None
    worst = rows.sort("rate", "group").row(0, named=True)
    key = "conv.worst_group" if worst["p_value"] is not None and worst["p_value"] < SIGNIFICANT else "conv.worst_group_ns"
    dimension = worst["dimension"]
    return loc.t(key, dimension=dimension_name(dimension, loc), group=group_name(dimension, worst["group"], loc),
             unit=loc.t(f"conv.unit.{unit}"), rate=loc.pct(worst["rate"]), rest_rate=loc.pct(worst["rest_rate"]),
             gap=loc.number(abs(worst["rate"] - worst["rest_rate"]) * 100, 1), p=_p(worst["p_value"]))


def time_to_convert_sentence(ttc: pl.DataFrame, loc: Locale, unit: str = "session") -> str | None:
    """Median and p90 time from first product view to pay (:func:`kit.metrics.funnel.time_to_convert`);
    None when nobody paid."""
    row = ttc.row(0, named=True)
    if not row["converted"]:
        return None
    units = loc.t(f"conv.unit.{unit}")
    return loc.t("conv.time_to_convert", unit=units, unit_cap=units[:1].upper() + units[1:],
             median=duration(row["median_minutes"], loc), p90=duration(row["p90_minutes"], loc))


def cart_sentences(summary: pl.DataFrame, by_tables: list[pl.DataFrame], loc: Locale, window_hours: float = 24) -> list[str]:
    """Cart abandonment beside the comparison period with the abandoned value, the group
    abandoning most in each of ``by_tables`` (:func:`kit.metrics.cart.abandonment_by`),
    and the time from cart to pay. ``summary`` is :func:`kit.metrics.cart.cart_abandonment`."""
    row = summary.row(0, named=True)
    if not row["carts"]:
        return [loc.t("conv.no_carts")]
    values = {"carts": loc.integer(row["carts"]), "abandoned": loc.integer(row["abandoned"]),
              "hours": loc.number(window_hours, 0 if float(window_hours).is_integer() else 1),
              "rate": loc.pct(row["abandonment_rate"]), "value": loc.money(row["abandoned_value"])}
    if row["abandonment_rate_prev"] is None:
        sentences = [loc.t("conv.cart_no_prev", **values)]
    else:
        sentences = [loc.t("conv.cart", **values, rate_prev=loc.pct(row["abandonment_rate_prev"]),
                       change=loc.pp(row["abandonment_rate_change"]))]
    for table in by_tables:
        rows = table.filter(pl.col("carts") > 0)
        if rows.height < 2:
            continue
        worst = rows.sort(["abandonment_rate", "carts", "group"], descending=[True, True, False]).row(0, named=True)
        sentences.append(loc.t("conv.cart_worst", dimension=dimension_name(worst['dimension'], loc),
                           group=group_name(worst["dimension"], worst["group"], loc),
                           rate=loc.pct(worst["abandonment_rate"]), carts=loc.integer(worst["carts"])))
    if row["median_hours_to_pay"] is not None:
        sentences.append(loc.t("conv.cart_timing", median=duration(row["median_hours_to_pay"] * 60, loc),
                           p90=duration(row["p90_hours_to_pay"] * 60, loc)))
    return sentences


def path_rows(paths: pl.DataFrame, loc: Locale) -> pl.DataFrame:
    """The top-paths table (:func:`kit.metrics.funnel.top_paths`) with its steps and outcome
    in the report's language (``访问 → 浏览商品 → 支付``)."""
    spelled = [" → ".join(step_name(s, loc) for s in p.split(" > ")) for p in paths["path"].to_list()]
    outcome = [loc.t(f"conv.outcome.{o}") for o in paths["outcome"].to_list()]
    return paths.with_columns(pl.Series("path", spelled, dtype=pl.String), pl.Series("outcome", outcome, dtype=pl.String))


def roi_sentence(roi: pl.DataFrame, loc: Locale) -> str:
    """After the channel ROI table (:func:`kit.metrics.channels.channel_roi`): the channel with
    the best and the worst return on spend (ROI = GMV / spend), and the largest fall."""
    rows = roi.filter(pl.col("roi").is_not_null()).sort("roi", descending=True)
    if rows.height == 0:
        return ""
    best, worst = rows.row(0, named=True), rows.row(rows.height - 1, named=True)
    sentences = [loc.t("conv.roi.best_worst", best=best["channel"], best_roi=loc.number(best["roi"], 2),
                   worst=worst["channel"], worst_roi=loc.number(worst["roi"], 2))]
    falling = rows.filter(pl.col("roi_change_rel").is_not_null()).sort("roi_change_rel")
    if falling.height and falling["roi_change_rel"][0] < 0:
        f = falling.row(0, named=True)
        sentences.append(loc.t("conv.roi.fall", channel=f["channel"], roi_prev=loc.number(f["roi_prev"], 2),
                           roi=loc.number(f["roi"], 2)))
    return loc.sentences(sentences)


def path_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    """The top-paths table's columns (:func:`path_rows`)."""
    return {"outcome": (loc.t("conv.col.outcome"), "text"), "path": (loc.t("conv.col.path"), "text"),
            "sessions": (loc.t("conv.col.sessions"), "int"), "share": (loc.t("conv.col.share"), "pct")}


def roi_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    """The channel ROI table's columns."""
    return {"channel": (loc.t("conv.col.channel"), "text"), "spend": (loc.t("conv.col.spend"), "money"),
            "gmv": (loc.t("conv.col.gmv"), "money"), "roi": (loc.t("conv.col.roi"), "num"),
            "roi_change_rel": (loc.t("conv.col.change"), "change"),
            "new_customers": (loc.t("conv.col.new_customers"), "int"), "cac": (loc.t("conv.col.cac"), "money")}
