"""Charts of sections 2.1 (funnel) and 2.2 (cart abandonment). Each takes a small table
from :mod:`kit.metrics.funnel` or :mod:`kit.metrics.cart` and returns a matplotlib Figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

from kit.charts import (
    ACCENT,
    GREY,
    MAIN,
    axes,
    date_axis,
    figure,
    palette,
    pct_axis,
    thousands_axis,
    use_theme,
)
from kit.i18n import Locale
from kit.i18n.labels import dimension_name, group_name, step_name


def funnel_chart(funnel: pl.DataFrame, loc: Locale, unit: str = "session", ax=None):
    """Horizontal bars: journeys reaching each step (first step on top), the weakest step in
    the accent colour, the comparison period's count as a grey tick; each bar labelled with
    its step conversion (count_k / count_(k-1)) and the change in points vs the comparison period.
    ``funnel`` is :func:`kit.metrics.funnel.funnel_table`."""
    use_theme()
    pdf = funnel.sort("step_index").to_pandas()
    names = [step_name(s, loc) for s in pdf["step"]]
    y = np.arange(len(names))[::-1]
    ax = axes(ax, "wide", height=max(2.6, 0.55 * len(names) + 1))
    colors = [ACCENT if weak else MAIN for weak in pdf["is_weakest"]]
    ax.barh(y, pdf["count"], color=colors, label=loc.t("conv.chart.current"))
    if pdf["count_prev"].notna().any():
        ax.scatter(pdf["count_prev"], y, marker="|", s=400, color=GREY, zorder=3, label=loc.t("conv.chart.previous"))
        ax.legend(loc="lower right")
    top = float(np.nanmax([pdf["count"].max(), pdf["count_prev"].max() if pdf["count_prev"].notna().any() else 0]))
    for yi, row in zip(y, pdf.itertuples(), strict=True):
        if row.step_index == 1:
            continue
        text = loc.pct(row.step_conversion)
        if pd.notna(row.step_conversion_prev):
            text = loc.t("conv.chart.rate_label", rate=text, change=loc.pp(row.step_conversion_change))
        ax.text(row.count + top * 0.01, yi, text, va="center", fontsize=9)
    ax.set_yticks(y, names)
    ax.set_xlim(0, top * 1.35 if top > 0 else 1)
    ax.set_xlabel(loc.t("conv.chart.count", unit=loc.t(f"conv.unit.{unit}")))
    ax.set_title(loc.t("conv.chart.funnel"))
    thousands_axis(ax, "x")
    return ax


def breakdown_chart(by_step: pl.DataFrame, loc: Locale, ax=None):
    """Step conversion per group of one dimension (dots) with its 95% Wilson interval
    (bars), one cluster per step. ``by_step`` is :func:`kit.metrics.funnel.step_conversion_by`."""
    use_theme()
    data = by_step.filter(pl.col("rate").is_not_null()).sort("step_index", "group")
    dimension = by_step["dimension"][0] if by_step.height else "device"
    steps = data.select("step_index", "step").unique().sort("step_index")["step"].to_list()
    groups = sorted(data["group"].unique().to_list())
    colors = palette(len(groups))
    ax = axes(ax, "wide", height=3.6)
    width = 0.8 / max(len(groups), 1)
    for gi, group in enumerate(groups):
        part = data.filter(pl.col("group") == group).to_pandas()
        x = np.array([steps.index(s) for s in part["step"]]) - 0.4 + width * (gi + 0.5)
        err = np.vstack([part["rate"] - part["ci_low"], part["ci_high"] - part["rate"]])
        ax.errorbar(x, part["rate"], yerr=err, fmt="o", color=colors[gi], capsize=3,
                    label=group_name(dimension, group, loc))
    ax.set_xticks(range(len(steps)), [step_name(s, loc) for s in steps])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(loc.t("conv.chart.step_conversion"))
    ax.set_title(loc.t("conv.chart.breakdown", dimension=dimension_name(dimension, loc)))
    pct_axis(ax, "y")
    if groups:
        ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def daily_chart(daily: pl.DataFrame, dimension: str, loc: Locale, max_groups: int = 6):
    """Small multiples, one panel per step: daily step conversion (converted / entered) of
    each group of ``dimension`` (``all``, ``device`` or ``source``; the ``max_groups``
    groups with most journeys), so that a dated drop shows as a dip in one panel.
    ``daily`` is :func:`kit.metrics.funnel.daily_step_conversion`."""
    use_theme()
    data = daily.filter(pl.col("dimension") == dimension)
    steps = list(dict.fromkeys(data["step"].to_list()))
    volume = data.group_by("group").agg(pl.col("entered").sum()).sort(["entered", "group"], descending=[True, False])
    groups = volume["group"].head(max_groups).to_list()
    colors = palette(max(len(groups), 1))
    fig, axes = figure("wide", height=2.6, ncols=max(len(steps), 1), sharex=True, sharey=True, squeeze=False)
    for si, step in enumerate(steps):
        ax = axes[0][si]
        for gi, group in enumerate(groups):
            part = data.filter((pl.col("step") == step) & (pl.col("group") == group)).sort("date").to_pandas()
            ax.plot(part["date"], part["rate"], color=colors[gi] if dimension != "all" else MAIN, linewidth=1.2,
                    marker="o", markersize=2, label=group_name(dimension, group, loc))
        ax.set_title(step_name(step, loc), fontsize=10)
        ax.tick_params(axis="x", labelsize=7)
        pct_axis(ax, "y")
    if data.height:  # the panels share their x axis: one set of ticks serves all
        date_axis(axes[0][0], data["date"].min(), data["date"].max(), max_ticks=3)
    axes[0][0].set_ylabel(loc.t("conv.chart.rate"))
    if dimension != "all" and groups:
        axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1, 1))
    fig.suptitle(loc.t("conv.chart.daily") + ("" if dimension == "all" else f" · {dimension_name(dimension, loc)}"))
    return fig


def cart_chart(by_tables: list[pl.DataFrame], loc: Locale, max_groups: int = 8):
    """One panel per dimension (device, source, category ...): abandonment rate per group
    (abandoned carts / carts), the highest in the accent colour, the comparison period's
    rate as a grey tick. Each table is :func:`kit.metrics.cart.abandonment_by` or
    :func:`kit.metrics.cart.abandonment_by_category`."""
    use_theme()
    tables = [tb for tb in by_tables if tb.height]
    fig, axes = figure("wide", height=max(2.6, 0.35 * max([min(tb.height, max_groups) for tb in tables] or [1]) + 1.2),
                       ncols=max(len(tables), 1), squeeze=False)
    for ax, table in zip(axes[0], tables, strict=False):
        pdf = table.sort(["carts", "group"], descending=[True, False]).head(max_groups) \
            .sort("abandonment_rate", descending=True).to_pandas()
        dimension = pdf["dimension"].iloc[0]
        names = [group_name(dimension, g, loc) for g in pdf["group"]]
        y = np.arange(len(names))[::-1]
        colors = [ACCENT if i == 0 else MAIN for i in range(len(names))]
        ax.barh(y, pdf["abandonment_rate"], color=colors)
        if pdf["abandonment_rate_prev"].notna().any():
            ax.scatter(pdf["abandonment_rate_prev"], y, marker="|", s=200, color=GREY, zorder=3,
                       label=loc.t("conv.chart.previous"))
        ax.set_yticks(y, names)
        ax.set_xlim(0, 1)
        ax.set_title(dimension_name(dimension, loc), fontsize=10)
        pct_axis(ax, "x")
    axes[0][0].set_xlabel(loc.t("conv.chart.abandonment_rate"))
    fig.suptitle(loc.t("conv.chart.cart"))
    return fig
