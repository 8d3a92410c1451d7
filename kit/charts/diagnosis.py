"""The evidence chart beside each finding of section 4: the figure that shows the problem.

``evidence_chart(finding, daily)`` picks the chart for the finding's rule: the daily
series with the dated drop shaded, or the value beside its comparison. Findings whose
evidence has no comparable pair get no chart (None).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from kit.charts import (
    DOWN,
    GREY,
    MAIN,
    TEXT,
    axes,
    change_colour,
    date_axis,
    legend,
    number_axis,
    pct_axis,
    use_theme,
)
from kit.i18n import Locale
from kit.i18n.numbers import good_when_up

PAIRS = (  # evidence value, its comparison, whether it is a rate (shown in %)
    ("rate", "rate_prev", True),
    ("abandonment_rate", "abandonment_rate_prev", True),
    ("return_rate", "return_rate_prev", True),
    ("customers", "customers_prev", False),
    ("roi", "roi_prev", False),
    ("top_share", None, True),
)


def dated_drop_chart(daily: pl.DataFrame, finding: dict, loc: Locale, ax=None):
    """The daily conversion of the finding's step and group, the drop's days shaded, with
    the rates before and during the drop as dashed lines."""
    use_theme()
    ev, where = finding["evidence"], finding["where"]
    dimension = next((k for k in where if k != "step"), "all")
    group = where.get(dimension, "all")
    series = daily.filter((pl.col("dimension") == dimension) & (pl.col("group") == group)
                          & (pl.col("step") == where["step"])).sort("date")
    ax = axes(ax, "wide", height=2.6)
    ax.plot(series["date"].to_list(), series["rate"].to_list(), color=MAIN, marker="o", markersize=2, linewidth=1.2)
    start, end = date.fromisoformat(ev["start"]), date.fromisoformat(ev["end"])
    ax.axvspan(start, end, color=DOWN, alpha=0.12, label=loc.t("diag.chart.drop_days"))
    ax.axhline(ev["rate_before"], color=GREY, linestyle="--", linewidth=1, label=loc.t("diag.chart.before"))
    ax.axhline(ev["rate_during"], color=DOWN, linestyle="--", linewidth=1, label=loc.t("diag.chart.during"))
    if series.height:
        date_axis(ax, series["date"].min(), series["date"].max(), max_ticks=8)
    pct_axis(ax, "y", loc=loc)
    ax.set_ylabel(loc.t("diag.chart.rate"))
    legend(ax)
    ax.set_title(finding["title"])
    return ax


def comparison_chart(finding: dict, loc: Locale, ax=None):
    """Two bars: the finding's value in the period and in the comparison period (or the
    shop's overall rate for a group below it), each labelled; the period's bar green when it
    is the better of the two and red when the worse, by the metric's direction (a higher
    churn, return or abandonment rate is worse: :func:`kit.i18n.numbers.good_when_up` of the
    rule and the value's name). None when the evidence has no pair."""
    ev = finding["evidence"]
    for value, before, is_rate in PAIRS:
        if ev.get(value) is None:
            continue
        other_key = before if before and ev.get(before) is not None else ("overall_rate" if "overall_rate" in ev else None)
        if other_key is None:
            continue
        use_theme()
        ax = axes(ax, "half", height=1.6, grid="none")
        labels = [loc.t("diag.chart.now"),
                  loc.t("diag.chart.overall" if other_key == "overall_rate" else "diag.chart.previous")]
        values = [ev[value], ev[other_key]]
        good_up = good_when_up(f"{finding['rule']}.{value}")
        # colour by the change as the evidence writes it: in points for rates, relative otherwise
        change = values[0] - values[1] if is_rate else (values[0] / values[1] - 1 if values[1] else 0.0)
        ax.barh([0, 1], values, height=0.6, color=[change_colour(change, good_up), GREY])
        for y, v in enumerate(values):
            ax.annotate(loc.pct(v) if is_rate else loc.number(v, 2), (v, y), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=TEXT)
        ax.set_yticks([0, 1], labels)
        ax.set_ylim(1.5, -0.5)
        ax.set_xlim(0, max(values) * 1.25 or 1)
        if is_rate:
            pct_axis(ax, "x", loc=loc)
        else:
            number_axis(ax, "x", loc)
        return ax
    return None


def evidence_chart(finding: dict, daily: pl.DataFrame | None, loc: Locale):
    """The chart for one finding (a matplotlib Figure), or None."""
    if finding["rule"] == "funnel.dated_drop" and daily is not None:
        return dated_drop_chart(daily, finding, loc)
    return comparison_chart(finding, loc)
