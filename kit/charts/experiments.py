"""The experiment readout's chart: the cumulative difference of an experiment's primary metric
with its 95% interval, day by day of exposure (:func:`kit.metrics.experiments.readout`'s
``daily`` table, one experiment)."""

from __future__ import annotations

import polars as pl

from kit.charts import GREY, axes, chart, date_axis, legend, palette, pct_axis
from kit.i18n import Locale
from kit.narrative.experiments import metric_name


@chart
def cumulative_chart(daily: pl.DataFrame, info: dict, loc: Locale, ax=None):
    """One line per variant: its lift over the control (``lift``) on the units exposed up to each
    day, the 95% interval as a band, the zero line in grey; days before each arm has a few units
    are left out. ``info`` is the experiment's row (name, control, primary metric)."""
    ax = axes(ax, "wide", height=2.8)
    data = daily.filter(pl.col("lift").is_not_null()).sort("variant", "date") if daily.height else daily
    variants = data["variant"].unique(maintain_order=True).to_list() if data.height else []
    colors = palette(max(len(variants), 1))
    for k, variant in enumerate(variants):
        part = data.filter(pl.col("variant") == variant).to_pandas()
        label = loc.t("exp.chart.vs", variant=variant, control=info["control"])
        ax.fill_between(part["date"], part["lift_low"], part["lift_high"], color=colors[k], alpha=0.18, linewidth=0)
        ax.plot(part["date"], part["lift"], color=colors[k], linewidth=1.8, marker="o", markersize=2.5, label=label)
    ax.axhline(0, color=GREY, linewidth=1, linestyle="--")
    if data.height:
        date_axis(ax, data["date"].min(), data["date"].max(), max_ticks=5)
        legend(ax)
    pct_axis(ax, "y", loc=loc)
    metric = metric_name(info["primary_metric"], loc)
    ax.set_xlabel(loc.t("exp.chart.x"))
    ax.set_ylabel(loc.t("exp.chart.y", metric=metric))
    ax.set_title(f"{loc.t('exp.chart.cumulative')} · {info['name']}")
    return ax
