"""Sentences of sections 2.1 (funnel) and 2.2 (cart abandonment), from the tables of
:mod:`kit.metrics.funnel` and :mod:`kit.metrics.cart` and the templates under ``conv.``
in :mod:`kit.i18n`."""

from __future__ import annotations

import math

import polars as pl

from kit.display import fmt_int, fmt_money, fmt_num, fmt_pct, fmt_pp
from kit.i18n import label, t

SIGNIFICANT = 0.05
"""p-value below which a group's difference from the rest is called significant."""


def step_name(step: str, lang: str) -> str:
    """A step's display name (``conv.step.<step>``), or the step itself for a custom step."""
    return label("conv.step", step, lang)


def group_name(dimension: str, group, lang: str) -> str:
    """A group's display name: new/returning and unknown translated, devices and sources as they are."""
    if group is None or group == "unknown":
        return t("conv.group.unknown", lang)
    if dimension == "visitor":
        return label("conv.visitor", group, lang)
    return str(group)


def duration(minutes, lang: str) -> str:
    """A duration in the unit that reads best: minutes under 1 h, hours under 2 days, else days."""
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return "–"
    if minutes < 60:
        return t("conv.minutes", lang, n=fmt_num(minutes, 0 if minutes >= 10 else 1))
    if minutes < 48 * 60:
        return t("conv.hours", lang, n=fmt_num(minutes / 60, 1))
    return t("conv.days", lang, n=fmt_num(minutes / 1440, 1))


def _p(value) -> str:
    """``p < 0.001`` or ``p = 0.123``."""
    return "p < 0.001" if value is not None and value < 0.001 else f"p = {fmt_num(value, 3)}"


def funnel_sentences(funnel: pl.DataFrame, lang: str = "zh", unit: str = "session") -> list[str]:
    """The weakest step with its conversion beside the comparison period, and the overall
    conversion (journeys reaching the last step / journeys reaching the first).

    ``funnel`` is :func:`kit.metrics.funnel.funnel_table`."""
    rows = funnel.sort("step_index")
    first, last = rows.row(0, named=True), rows.row(-1, named=True)
    if not first["count"]:
        return [t("conv.no_journeys", lang)]
    units = t(f"conv.unit.{unit}", lang)
    sentences = []
    weak = rows.filter(pl.col("is_weakest"))
    if weak.height:
        w = weak.row(0, named=True)
        before = rows.filter(pl.col("step_index") == w["step_index"] - 1).row(0, named=True)
        values = {"step": step_name(w["step"], lang), "before": step_name(before["step"], lang), "unit": units,
                  "rate": fmt_pct(w["step_conversion"])}
        if w["step_conversion_prev"] is None:
            sentences.append(t("conv.weakest_no_prev", lang, **values))
        else:
            sentences.append(t("conv.weakest", lang, **values, rate_prev=fmt_pct(w["step_conversion_prev"]),
                               change=fmt_pp(w["step_conversion_change"], lang=lang)))
    sentences.append(t("conv.overall", lang, journeys=fmt_int(first["count"]), converted=fmt_int(last["count"]),
                       unit=units, last=step_name(last["step"], lang), rate=fmt_pct(last["from_start"])))
    return sentences


def worst_group_sentence(by_group: pl.DataFrame, lang: str = "zh", unit: str = "session") -> str | None:
    """The group of one dimension with the lowest whole-funnel conversion, its gap to the
    rest of the journeys in points (unsigned: the sentence says "below") and the p-value of the z-test; None with fewer than two
    groups. ``by_group`` is :func:`kit.metrics.funnel.conversion_by`."""
    rows = by_group.filter(pl.col("rate").is_not_null() & (pl.col("entered") > 0))
    if rows.height < 2:
        return None
    worst = rows.sort("rate", "group").row(0, named=True)
    key = "conv.worst_group" if worst["p_value"] is not None and worst["p_value"] < SIGNIFICANT else "conv.worst_group_ns"
    dimension = worst["dimension"]
    return t(key, lang, dimension=t(f"conv.dimension.{dimension}", lang), group=group_name(dimension, worst["group"], lang),
             unit=t(f"conv.unit.{unit}", lang), rate=fmt_pct(worst["rate"]), rest_rate=fmt_pct(worst["rest_rate"]),
             gap=fmt_num(abs(worst["rate"] - worst["rest_rate"]) * 100, 1), p=_p(worst["p_value"]))


def time_to_convert_sentence(ttc: pl.DataFrame, lang: str = "zh", unit: str = "session") -> str | None:
    """Median and p90 time from first product view to pay (:func:`kit.metrics.funnel.time_to_convert`);
    None when nobody paid."""
    row = ttc.row(0, named=True)
    if not row["converted"]:
        return None
    units = t(f"conv.unit.{unit}", lang)
    return t("conv.time_to_convert", lang, unit=units, unit_cap=units[:1].upper() + units[1:],
             median=duration(row["median_minutes"], lang), p90=duration(row["p90_minutes"], lang))


def cart_sentences(summary: pl.DataFrame, by_tables: list[pl.DataFrame] = (), lang: str = "zh",
                   currency: str = "¥", window_hours: float = 24) -> list[str]:
    """Cart abandonment beside the comparison period with the abandoned value, the group
    abandoning most in each of ``by_tables`` (:func:`kit.metrics.cart.abandonment_by`),
    and the time from cart to pay. ``summary`` is :func:`kit.metrics.cart.cart_abandonment`."""
    row = summary.row(0, named=True)
    if not row["carts"]:
        return [t("conv.no_carts", lang)]
    values = {"carts": fmt_int(row["carts"]), "abandoned": fmt_int(row["abandoned"]),
              "hours": fmt_num(window_hours, 0 if float(window_hours).is_integer() else 1),
              "rate": fmt_pct(row["abandonment_rate"]), "value": fmt_money(row["abandoned_value"], currency)}
    if row["abandonment_rate_prev"] is None:
        sentences = [t("conv.cart_no_prev", lang, **values)]
    else:
        sentences = [t("conv.cart", lang, **values, rate_prev=fmt_pct(row["abandonment_rate_prev"]),
                       change=fmt_pp(row["abandonment_rate_change"], lang=lang))]
    for table in by_tables:
        rows = table.filter(pl.col("carts") > 0)
        if rows.height < 2:
            continue
        worst = rows.sort(["abandonment_rate", "carts", "group"], descending=[True, True, False]).row(0, named=True)
        sentences.append(t("conv.cart_worst", lang, dimension=t(f"conv.dimension.{worst['dimension']}", lang),
                           group=group_name(worst["dimension"], worst["group"], lang),
                           rate=fmt_pct(worst["abandonment_rate"]), carts=fmt_int(worst["carts"])))
    if row["median_hours_to_pay"] is not None:
        sentences.append(t("conv.cart_timing", lang, median=duration(row["median_hours_to_pay"] * 60, lang),
                           p90=duration(row["p90_hours_to_pay"] * 60, lang)))
    return sentences


def path_rows(paths: pl.DataFrame, lang: str = "zh") -> pl.DataFrame:
    """The top-paths table (:func:`kit.metrics.funnel.top_paths`) with its steps and outcome
    in the report's language (``访问 → 浏览商品 → 支付``)."""
    spelled = [" → ".join(step_name(s, lang) for s in p.split(" > ")) for p in paths["path"].to_list()]
    outcome = [t(f"conv.outcome.{o}", lang) for o in paths["outcome"].to_list()]
    return paths.with_columns(pl.Series("path", spelled, dtype=pl.String), pl.Series("outcome", outcome, dtype=pl.String))


def roi_sentence(roi: pl.DataFrame, lang: str = "zh") -> str:
    """After the channel ROI table (:func:`kit.metrics.channels.channel_roi`): the channel with
    the best and the worst return on spend (ROI = GMV / spend), and the largest fall."""
    rows = roi.filter(pl.col("roi").is_not_null()).sort("roi", descending=True)
    if rows.height == 0:
        return ""
    best, worst = rows.row(0, named=True), rows.row(rows.height - 1, named=True)
    sentences = [t("conv.roi.best_worst", lang, best=best["channel"], best_roi=fmt_num(best["roi"], 2),
                   worst=worst["channel"], worst_roi=fmt_num(worst["roi"], 2))]
    falling = rows.filter(pl.col("roi_change_rel").is_not_null()).sort("roi_change_rel")
    if falling.height and falling["roi_change_rel"][0] < 0:
        f = falling.row(0, named=True)
        sentences.append(t("conv.roi.fall", lang, channel=f["channel"], roi_prev=fmt_num(f["roi_prev"], 2),
                           roi=fmt_num(f["roi"], 2)))
    return ("" if lang == "zh" else " ").join(sentences)
