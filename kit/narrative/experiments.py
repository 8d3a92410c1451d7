"""Sentences and tables of the experiment readout (A/B测试), from the tables of
:func:`kit.metrics.experiments.readout` (one experiment at a time, see
:func:`kit.figures.experiments.each`) and the templates under ``exp.`` in :mod:`kit.i18n`."""

from __future__ import annotations

import polars as pl

from kit.i18n import Locale
from kit.i18n.labels import group_name, step_name
from kit.i18n.numbers import fixed, fmt_num, is_missing
from kit.metrics.experiments import MIN_SEGMENT_UNITS, RATIO, is_proportion


def metric_name(metric: str, loc: Locale) -> str:
    """``conversion`` -> 转化率 / conversion; ``step:add_to_cart`` -> 到达「加入购物车」的比例."""
    if metric.startswith("step:"):
        return loc.t("exp.metric.step", step=step_name(metric.split(":", 1)[1], loc))
    return loc.t(f"exp.metric.{metric}")


def value_text(metric: str, x, loc: Locale) -> str:
    """A metric's value: a rate in percent, revenue and order value in money, orders per unit as a number."""
    if is_proportion(metric):
        return loc.pct(x)
    if metric in ("revenue", RATIO):
        return loc.money(x)
    return loc.value(x, "num")


def p_text(p) -> str:
    """``< 0.001`` or ``= 0.123`` (``= –`` when the test could not be read)."""
    if is_missing(p):
        return "= –"
    return "< 0.001" if p < 0.001 else f"= {fmt_num(p, 3)}"


def split_text(variants: pl.DataFrame, column: str, loc: Locale) -> str:
    """``A 49.0%, B 51.0%``: each variant's share (``share`` or ``planned_share``)."""
    return loc.join(loc.t("exp.split_part", variant=r["variant"], share=loc.pct(r[column]))
                    for r in variants.to_dicts())


def _day(x) -> str:
    return x.strftime("%Y-%m-%d") if hasattr(x, "strftime") else str(x)[:10]


def overview_sentence(info: dict, variants: pl.DataFrame, loc: Locale) -> str:
    """Who was exposed when, the planned and the actual split, the primary metric and its window."""
    return loc.t("exp.overview", id=info["experiment_id"], start=_day(info["first_exposure"]),
                 end=_day(info["last_exposure"]), units=loc.integer(info["units"]),
                 planned=split_text(variants, "planned_share", loc), actual=split_text(variants, "share", loc),
                 metric=metric_name(info["primary_metric"], loc),
                 window=loc.t("exp.window", n=fmt_num(info["window_days"], 0 if info["window_days"] % 1 == 0 else 1)))


def srm_sentence(info: dict, loc: Locale) -> str | None:
    """The sample ratio check when it passes (None when it fails: see :func:`srm_warning`)."""
    return loc.t("exp.srm.ok", p=fmt_num(info["srm_p"], 3)) if info["srm_ok"] else None


def srm_warning(info: dict, variants: pl.DataFrame, loc: Locale) -> tuple[str, str] | None:
    """The warning put above a failing experiment's results: ``(title, text)``, or None when it passes."""
    if info["srm_ok"]:
        return None
    return loc.t("exp.srm.title"), loc.t(
        "exp.srm.fail", planned=split_text(variants, "planned_share", loc), actual=split_text(variants, "share", loc),
        p=p_text(info["srm_p"]), alpha=fmt_num(info["srm_alpha"], 3))


def result_sentences(info: dict, results: pl.DataFrame, loc: Locale) -> list[str]:
    """Per variant, on the primary metric: its value against the control's, the lift with its
    interval and p-value (adjusted when there are several variants), the verdict; the minimum
    detectable effect beside it (and whether the test was powered for the planned effect); what
    CUPED achieved."""
    primary = info["primary_metric"]
    rows = results.filter(pl.col("metric") == primary).to_dicts() if results.height else []
    several = len(rows) > 1
    sentences = []
    for r in rows:
        p = (loc.t("exp.p_adjusted", method=loc.t(f"exp.correction.{info['correction']}"), p=p_text(r["p_adjusted"]))
             if several else loc.t("exp.p", p=p_text(r["p_value"])))
        method = loc.t("exp.method.delta" if r["method"] == "delta" else "exp.method.welch_lift")
        sentences.append(loc.t(
            "exp.result", variant=r["variant"], control=r["control"], metric=metric_name(primary, loc),
            value=value_text(primary, r["value"], loc), control_value=value_text(primary, r["control_value"], loc),
            lift=loc.change(r["lift"]), low=loc.change(r["lift_low"]), high=loc.change(r["lift_high"]), method=method,
            p=p, verdict=loc.t(f"exp.verdict.{r['verdict']}"),
            untrusted="" if info["srm_ok"] else loc.t("exp.untrusted")))
        mde = loc.t("exp.mde", mde=loc.pct(r["mde_rel"]), alpha=fmt_num(info["alpha"], 2),
                    power=loc.pct(info["power"], 0))
        if r["verdict"] != "flat":
            tail = loc.t("exp.mde.significant")
        elif r["underpowered"]:
            tail = loc.t("exp.mde.under", target=loc.pct(info["mde_target"], 0))
        else:
            tail = loc.t("exp.mde.ok", target=loc.pct(info["mde_target"], 0))
        sentences.append(mde + tail)
        if r["cuped"] and not is_missing(r["variance_reduction"]):
            sentences.append(loc.t("exp.cuped", days=info["cuped_lookback_days"],
                                   reduction=loc.pct(max(r["variance_reduction"], 0))))
    if results.height and results["metric"].n_unique() > 1:
        sentences.append(loc.t("exp.others"))
    return sentences


def guardrail_sentences(info: dict, loc: Locale) -> list[str]:
    """Units that saw several variants (counted, left out), refunds netted, visitors never linked."""
    out = []
    warn_above = info["multiple_exposure_warning"]
    if info["multiple_exposures"]:
        warn = (loc.t("exp.guard.multiple_warn", limit=loc.pct(warn_above, 0))
                if info["multiple_share"] > warn_above else "")
        out.append(loc.t("exp.guard.multiple", n=loc.integer(info["multiple_exposures"]),
                         share=loc.pct(info["multiple_share"]), warn=warn))
    else:
        out.append(loc.t("exp.guard.no_multiple"))
    if info["refunded_orders"]:
        out.append(loc.t("exp.guard.refunds", n=loc.integer(info["refunded_orders"]),
                         amount=loc.money(info["refunded_amount"])))
    else:
        out.append(loc.t("exp.guard.no_refunds"))
    if info["unlinked"]:
        out.append(loc.t("exp.guard.unlinked", n=loc.integer(info["unlinked"])))
    return out


def status_sentence(info: dict, loc: Locale) -> str:
    """Still running (the result may move; windows still open), or ended."""
    if info["status"] == "running":
        return loc.t("exp.status.running", last=_day(info["last_exposure"]), open=loc.integer(info["open_windows"]))
    return loc.t("exp.status.concluded", last=_day(info["last_exposure"]))


def segment_name(cut: str, value: str, loc: Locale) -> str:
    if cut == "visitor":
        return loc.label("exp.visitor", value)
    return group_name(cut, value, loc)


def segment_sentences(segments: pl.DataFrame, info: dict, loc: Locale) -> list[str]:
    """That segments are exploratory (and how they are corrected), and the clearest one if any is
    significant after the correction."""
    if not segments.height:
        return []
    cuts = loc.join(loc.t(f"exp.cut.{c}") for c in dict.fromkeys(segments["dimension"].to_list()))
    out = [loc.t("exp.segments.intro", cuts=cuts, method=loc.t(f"exp.correction.{info['segment_correction']}"),
                 n=MIN_SEGMENT_UNITS)]
    found = segments.filter(pl.col("verdict") != "flat").sort("p_adjusted", "dimension", "segment")
    if found.height:
        r = found.row(0, named=True)
        out.append(loc.t("exp.segments.top", cut=loc.t(f"exp.cut.{r['dimension']}"),
                         segment=segment_name(r["dimension"], r["segment"], loc), variant=r["variant"],
                         lift=loc.change(r["lift"]), p=p_text(r["p_adjusted"])))
    else:
        out.append(loc.t("exp.segments.none"))
    return out


def daily_sentence(info: dict, loc: Locale) -> str:
    return loc.t("exp.daily", metric=metric_name(info["primary_metric"], loc))


# ---------------------------------------------------------------- tables


def _interval(value: str, low: str, high: str, loc: Locale, unit: str = "") -> str:
    return loc.t("exp.interval", value=value, low=low, high=high, unit=unit).strip()


def diff_interval(metric: str, x, low, high, loc: Locale) -> str:
    """An absolute difference and its interval, the unit written once: ``+6.6（+3.0 ~ +10.1）个百分点``,
    ``-¥136（-¥301 ~ +¥28）``, ``+0.10（-0.27 ~ +0.48）``."""
    values = (x, low, high)
    if any(is_missing(v) for v in values):
        return loc.value(None, "num")
    if is_proportion(metric):
        parts = [fixed(v * 100, 1, signed=True) for v in values]
        return _interval(*parts, loc, unit=loc.t("report.unit.pp").strip())
    if metric in ("revenue", RATIO):
        digits = 0 if max(abs(v) for v in values) >= 100 else 2
        parts = [("+" if v > 0 else "") + loc.money(v, digits) for v in values]
    else:
        parts = [fixed(v, 2, signed=True) for v in values]
    return _interval(*parts, loc)


def lift_interval(lift, low, high, loc: Locale) -> str:
    """``+7.9%（+3.4% ~ +12.5%）``."""
    return _interval(loc.change(lift), loc.change(low), loc.change(high), loc)


def verdict_text(r: dict, loc: Locale) -> str:
    """The verdict with the minimum detectable effect beside it: ``胜出（可检出 ≥6.2%）``."""
    verdict = loc.t(f"exp.verdict.{r['verdict']}")
    return loc.t("exp.verdict_mde", verdict=verdict, mde=loc.pct(r["mde_rel"])) if r.get("mde_rel") is not None \
        else verdict


def result_rows(results: pl.DataFrame, loc: Locale) -> pl.DataFrame:
    """One row per metric and variant, every cell written out (metrics mix rates, money and counts)."""
    rows = []
    for r in results.to_dicts() if results.height else []:
        m = r["metric"]
        rows.append({
            "metric": metric_name(m, loc), "variant": r["variant"],
            "units": f"{loc.integer(r['units'])} / {loc.integer(r['control_units'])}",
            "values": f"{value_text(m, r['value'], loc)} / {value_text(m, r['control_value'], loc)}",
            "diff": diff_interval(m, r["diff"], r["diff_low"], r["diff_high"], loc),
            "lift": lift_interval(r["lift"], r["lift_low"], r["lift_high"], loc),
            "p": p_text(r["p_adjusted"]).removeprefix("= "),
            "verdict": verdict_text(r, loc),
        })
    return pl.DataFrame(rows, schema=dict.fromkeys(RESULT_COLUMNS, pl.String))


RESULT_COLUMNS = ("metric", "variant", "units", "values", "diff", "lift", "p", "verdict")


def result_columns(loc: Locale, rows: pl.DataFrame | None = None) -> dict[str, tuple[str, str]]:
    """The results table's columns; without the variant when ``rows`` compare a single variant
    (the sentence above the table names it)."""
    shown = [c for c in RESULT_COLUMNS if c != "variant" or rows is None or rows["variant"].n_unique() > 1]
    return {c: (loc.t("exp.col.verdict_mde" if c == "verdict" else f"exp.col.{c}"), "text") for c in shown}


def result_table(results: pl.DataFrame, loc: Locale) -> tuple[pl.DataFrame, dict[str, tuple[str, str]]]:
    """:func:`result_rows` and their columns, ready for :func:`kit.display.table`."""
    rows = result_rows(results, loc)
    return rows, result_columns(loc, rows)


SEGMENT_COLUMNS = ("cut", "segment", "variant", "units", "values", "lift", "p", "verdict")


def segment_rows(segments: pl.DataFrame, loc: Locale) -> pl.DataFrame:
    """The tested segment cells (each arm with at least :data:`MIN_SEGMENT_UNITS` units)."""
    rows = []
    tested = segments.filter(pl.col("lift").is_not_null()) if segments.height else segments
    for r in tested.to_dicts():
        m = r["metric"]
        rows.append({
            "cut": loc.t(f"exp.cut.{r['dimension']}"), "segment": segment_name(r["dimension"], r["segment"], loc),
            "variant": r["variant"], "units": f"{loc.integer(r['units'])} / {loc.integer(r['control_units'])}",
            "values": f"{value_text(m, r['value'], loc)} / {value_text(m, r['control_value'], loc)}",
            "lift": lift_interval(r["lift"], r["lift_low"], r["lift_high"], loc),
            "p": p_text(r["p_adjusted"]).removeprefix("= "), "verdict": loc.t(f"exp.verdict.{r['verdict']}"),
        })
    return pl.DataFrame(rows, schema=dict.fromkeys(SEGMENT_COLUMNS, pl.String))


def segment_columns(loc: Locale, rows: pl.DataFrame | None = None) -> dict[str, tuple[str, str]]:
    """The segments table's columns (without the variant when there is one, as the results')."""
    shown = [c for c in SEGMENT_COLUMNS if c != "variant" or rows is None or rows["variant"].n_unique() > 1]
    return {c: (loc.t(f"exp.col.{c}"), "text") for c in shown}


def segment_table(segments: pl.DataFrame, loc: Locale) -> tuple[pl.DataFrame, dict[str, tuple[str, str]]]:
    """:func:`segment_rows` and their columns."""
    rows = segment_rows(segments, loc)
    return rows, segment_columns(loc, rows)
