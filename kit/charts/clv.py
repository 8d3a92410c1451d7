"""Charts of section 3.3 (customer lifetime value). Each takes a small table from
:mod:`kit.metrics.clv` and returns its Axes."""

from __future__ import annotations

import polars as pl

from kit.charts import (
    ACCENT,
    GREY,
    MAIN,
    axes,
    chart,
    legend,
    money_axis,
    number_axis,
    pct_axis,
)
from kit.charts.profile import paired_bars
from kit.i18n import Locale
from kit.i18n.labels import segment_name
from kit.metrics.clv import FREQUENCY_BUCKETS


@chart
def value_by_segment(by_segment: pl.DataFrame, loc: Locale, months: int = 12, ax=None):
    """Horizontal bars: expected value over the horizon per segment (sum over its customers of
    expected purchases x expected spend), largest on top; the largest bar in the accent colour."""
    data = by_segment.sort("expected_value", descending=True)
    names = [segment_name(s, loc) for s in data["segment"].to_list()]
    values = data["expected_value"].to_list()
    ax = axes(ax, "wide", height=max(1.8, 0.22 * len(names) + 0.9), grid="x")
    paired_bars(ax, names, [(values, MAIN, "")])
    if ax.patches:
        ax.patches[0].set_color(ACCENT)
    ax.set_title(loc.t("clv.chart.by_segment", months=months))
    ax.set_xlabel(loc.t("clv.axis.expected_value"))
    money_axis(ax, loc, "x")
    return ax


@chart
def p_alive_histogram(distribution: pl.DataFrame, loc: Locale, ax=None):
    """Share of customers per probability-alive band (:func:`kit.metrics.clv.p_alive_distribution`);
    bands below 0.5 (likely inactive) in grey."""
    bins = distribution.height
    pdf = distribution.to_pandas()
    ax = axes(ax, "half", height=2.4, grid="y")
    colors = [GREY if lower < 0.5 else MAIN for lower in pdf["lower"]]
    ax.bar(pdf["lower"] + 0.5 / bins, pdf["share"], width=0.9 / bins, color=colors)
    ax.set_xlim(0, 1)
    ax.set_title(loc.t("clv.chart.p_alive"))
    ax.set_xlabel(loc.t("clv.axis.p_alive"))
    ax.set_ylabel(loc.t("clv.axis.share_customers"))
    pct_axis(ax, "x")
    pct_axis(ax, "y")
    return ax


@chart
def holdout_predicted_vs_actual(holdout: pl.DataFrame, loc: Locale, ax=None):
    """Mean repeat purchases in the holdout per calibration-frequency bucket, predicted by
    BG/NBD (E[Y(t) | x, t_x, T] averaged over the bucket) against actual; the last bucket is 7+."""
    pdf = holdout.sort("frequency_bucket").to_pandas()
    ticks = [f"{b}+" if b == FREQUENCY_BUCKETS else str(b) for b in pdf["frequency_bucket"]]
    ax = axes(ax, "half", height=2.4)
    ax.plot(ticks, pdf["actual"], marker="o", markersize=4, color=MAIN, label=loc.t("clv.actual"))
    ax.plot(ticks, pdf["predicted"], marker="o", markersize=4, linestyle="--", color=ACCENT,
            label=loc.t("clv.predicted"))
    ax.set_title(loc.t("clv.chart.holdout"))
    ax.set_xlabel(loc.t("clv.axis.calibration_purchases"))
    ax.set_ylabel(loc.t("clv.axis.holdout_purchases"))
    number_axis(ax, "y", loc)
    legend(ax)
    return ax
