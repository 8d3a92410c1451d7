"""Charts of sections 2.1 (funnel) and 2.2 (cart abandonment). Each takes a small table
from :mod:`kit.metrics.funnel` or :mod:`kit.metrics.cart` and returns its Axes (small
multiples: their Figure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
from matplotlib.collections import PatchCollection
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from kit.charts import (
    ACCENT,
    GREY,
    LABEL,
    MAIN,
    TEXT,
    axes,
    change_colour,
    chart,
    count_axis,
    date_axis,
    figure,
    legend,
    palette,
    pct_axis,
)
from kit.i18n import Locale
from kit.i18n.labels import dimension_name, group_name, step_name
from kit.i18n.numbers import good_when_up

REFERENCE = "#bdbdbd"
"""The grey of the whole shop's line behind each group's in the small panels."""
MAX_LINES = 4
"""A daily panel draws at most this many groups' lines; more become one small panel per group."""


@chart
def funnel_chart(funnel: pl.DataFrame, loc: Locale, unit: str = "session", ax=None):
    """Horizontal bars: journeys reaching each step (first step on top), the weakest step in
    the accent colour, the comparison period's count as a grey tick; each bar labelled with
    its step conversion (count_k / count_(k-1)) and the change in points vs the comparison
    period, green when it rose and red when it fell. ``funnel`` is
    :func:`kit.metrics.funnel.funnel_table`."""
    pdf = funnel.sort("step_index").to_pandas()
    names = [step_name(s, loc) for s in pdf["step"]]
    y = np.arange(len(names))
    ax = axes(ax, "wide", height=max(2.0, 0.36 * len(names) + 0.9), grid="x")
    colors = [ACCENT if weak else MAIN for weak in pdf["is_weakest"]]
    ax.barh(y, pdf["count"], color=colors, height=0.7, label=loc.t("conv.chart.current"))
    has_prev = bool(pdf["count_prev"].notna().any())
    if has_prev:
        ax.scatter(pdf["count_prev"], y, marker="|", s=300, color=GREY, zorder=3, label=loc.t("conv.chart.previous"))
    top = float(np.nanmax([pdf["count"].max(), pdf["count_prev"].max() if has_prev else 0]))
    for yi, row in zip(y, pdf.itertuples(), strict=True):
        if row.step_index == 1:
            continue
        x = max(row.count, row.count_prev if has_prev and pd.notna(row.count_prev) else 0) + top * 0.015
        label = ax.annotate(loc.pct(row.step_conversion), (x, yi), va="center", fontsize=TEXT)
        if pd.notna(row.step_conversion_prev):
            change = loc.t("conv.chart.change_label", change=loc.pp(row.step_conversion_change))
            ax.annotate(change, (1, 0.5), xycoords=label, xytext=(2, 0), textcoords="offset points", va="center",
                        ha="left", fontsize=TEXT, color=change_colour(row.step_conversion_change))
    ax.set_yticks(y, names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(0, top * 1.45 if top > 0 else 1)
    ax.set_xlabel(loc.t("conv.chart.count", unit=loc.t(f"conv.unit.{unit}")))
    ax.set_title(loc.t("conv.chart.funnel"))
    count_axis(ax, "x")
    if has_prev:
        legend(ax)
    return ax


@chart
def breakdown_chart(by_step: pl.DataFrame, loc: Locale, ax=None):
    """Step conversion per group of one dimension (dots) with its 95% Wilson interval
    (bars), one cluster per step. ``by_step`` is :func:`kit.metrics.funnel.step_conversion_by`."""
    data = by_step.filter(pl.col("rate").is_not_null()).sort("step_index", "group")
    dimension = by_step["dimension"][0] if by_step.height else "device"
    steps = data.select("step_index", "step").unique().sort("step_index")["step"].to_list()
    groups = sorted(data["group"].unique().to_list())
    colors = palette(len(groups))
    ax = axes(ax, "wide", height=2.6, grid="y")
    width = 0.8 / max(len(groups), 1)
    for gi, group in enumerate(groups):
        part = data.filter(pl.col("group") == group).to_pandas()
        x = np.array([steps.index(s) for s in part["step"]]) - 0.4 + width * (gi + 0.5)
        err = np.vstack([part["rate"] - part["ci_low"], part["ci_high"] - part["rate"]])
        ax.errorbar(x, part["rate"], yerr=err, fmt="o", markersize=4, color=colors[gi], capsize=2,
                    label=group_name(dimension, group, loc))
    ax.set_xticks(range(len(steps)), [step_name(s, loc) for s in steps])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(loc.t("conv.chart.step_conversion"))
    ax.set_title(loc.t("conv.chart.breakdown", dimension=dimension_name(dimension, loc)))
    pct_axis(ax, "y")
    if groups:
        legend(ax)
    return ax


def _daily_series(data: pl.DataFrame) -> dict[tuple[str, str], tuple[list, list]]:
    """(step, group) -> (dates, rates) in date order."""
    return {(step, group): (part["date"].to_list(), part["rate"].to_list())
            for (step, group), part in data.sort("date").partition_by(["step", "group"], as_dict=True).items()}


def _same_scale(panels: list, rates: pl.Series, first, last, max_ticks: int, nbins) -> None:
    """Give ``panels`` one y scale (the range of ``rates``, padded) and one date axis, set on
    each: panels that share an axis through matplotlib measure every sibling's tick labels
    whenever one of them places its axis label, which made the small multiples slow."""
    rates = rates.drop_nulls()
    low, high = (float(rates.min()), float(rates.max())) if rates.len() else (0.0, 1.0)
    pad = (high - low) * 0.06 or 0.01
    for ax in panels:
        ax.set_ylim(max(0.0, low - pad), min(1.0, high + pad) if high <= 1 else high + pad)
        pct_axis(ax, "y", nbins=nbins)
        if first is not None:
            date_axis(ax, first, last, max_ticks=max_ticks)
            ax.set_xlim(first, last)


@chart
def daily_chart(daily: pl.DataFrame, dimension: str, loc: Locale, max_groups: int = 6):
    """Small multiples of daily step conversion (converted / entered) of each group of
    ``dimension`` (``all``, ``device`` or ``source``; the ``max_groups`` groups with most
    journeys), so that a dated drop shows as a dip in one panel. Up to :data:`MAX_LINES`
    groups: one panel per step with a line per group, all on one scale. More: one small
    panel per group and step (rows: groups, columns: steps; a column on one scale), each
    with the whole shop's rate in grey behind it.
    ``daily`` is :func:`kit.metrics.funnel.daily_step_conversion`."""
    data = daily.filter(pl.col("dimension") == dimension)
    steps = list(dict.fromkeys(data["step"].to_list()))
    volume = data.group_by("group").agg(pl.col("entered").sum()).sort(["entered", "group"], descending=[True, False])
    groups = volume["group"].head(max_groups).to_list()
    title = loc.t("conv.chart.daily") + ("" if dimension == "all" else f" · {dimension_name(dimension, loc)}")
    first, last = (data["date"].min(), data["date"].max()) if data.height else (None, None)
    if len(groups) > MAX_LINES:
        return _daily_grid(daily, data, steps, groups, dimension, title, first, last, loc)
    colors = palette(max(len(groups), 1))
    fig, panels = figure("wide", height=2.2, ncols=max(len(steps), 1), squeeze=False)
    row = list(panels[0])
    series = _daily_series(data)
    for si, step in enumerate(steps):
        ax = row[si]
        for gi, group in enumerate(groups):
            dates, rates = series.get((step, group), ((), ()))
            ax.plot(dates, rates, color=colors[gi] if dimension != "all" else MAIN, linewidth=1.0,
                    label=group_name(dimension, group, loc))
        ax.set_title(step_name(step, loc), fontsize=LABEL)
        if si:
            ax.tick_params(axis="y", labelleft=False)
    shown = data.filter(pl.col("group").is_in(groups))
    _same_scale(row, shown["rate"], first, last, 3, 4)
    row[0].set_ylabel(loc.t("conv.chart.rate"))
    if dimension != "all" and groups:
        legend(row[-1])
    fig.suptitle(title)
    return fig


def _daily_grid(daily: pl.DataFrame, data: pl.DataFrame, steps: list, groups: list, dimension: str, title: str,
                first, last, loc: Locale):
    """One small panel per group (rows) and step (columns), the whole shop's rate in grey
    behind each line; the panels of a column share its scale. A column is one Axes whose
    panels are bands stacked with a gap (named above, in the first column), so that 24
    panels cost 4 Axes."""
    overall = _daily_series(daily.filter(pl.col("dimension") == "all"))
    series = _daily_series(data)
    colors = palette(len(groups))
    n, gap = len(groups), 0.45  # the gap between two panels, in panel heights
    fig, panels = figure("wide", height=0.55 * n + 1.0, ncols=max(len(steps), 1), squeeze=False, grid="none")
    fig.get_layout_engine().set(w_pad=0.02, wspace=0.02)
    for si, step in enumerate(steps):
        ax = panels[0][si]
        ref = overall.get((step, "all"))
        rates = [r for g in groups for r in series.get((step, g), ((), ()))[1]] + (ref[1] if ref else [])
        rates = [r for r in rates if r is not None]
        low, high = (min(rates), max(rates)) if rates else (0.0, 1.0)
        pad = (high - low) * 0.08 or 0.01
        low, high = low - pad, high + pad
        ticks = [t for t in MaxNLocator(nbins=2, steps=[1, 2, 5, 10]).tick_values(low, high) if low <= t <= high]
        ticks = ticks[:1] + ticks[-1:] if len(ticks) > 2 else ticks  # two labels fit a small panel
        labels = loc.ticks(ticks, "pct")
        y_ticks, y_labels, backs, ref_x, ref_y = [], [], [], [], []
        for gi, group in enumerate(groups):
            base = (n - 1 - gi) * (1 + gap)

            def band(values, base=base, low=low, high=high):
                return [base + (v - low) / (high - low) if v is not None else None for v in values]

            backs.append(Rectangle((0, base), 1, 1))
            if ref is not None:  # a NaN after each band's copy breaks the one grey line between panels
                ref_x += [*ref[0], ref[0][-1]]
                ref_y += [*band(ref[1]), float("nan")]
            dates, values = series.get((step, group), ((), ()))
            ax.plot(dates, band(values), color=colors[gi], linewidth=0.9)
            y_ticks += band(ticks)
            y_labels += labels
            if si == 0:
                ax.text(0.0, base + 1 + gap * 0.12, group_name(dimension, group, loc), transform=ax.get_yaxis_transform(),
                        ha="left", va="bottom", fontsize=TEXT)
        # the panels' backgrounds and the whole shop's lines: one artist each, not one per panel
        ax.add_collection(PatchCollection(backs, facecolor="#f4f4f4", linewidth=0, zorder=0,
                                          transform=ax.get_yaxis_transform()), autolim=False)
        if ref_x:
            ax.plot(ref_x, ref_y, color=REFERENCE, linewidth=0.8, zorder=1.5)  # behind the groups
        ax.set_yticks(y_ticks, y_labels)
        ax.tick_params(axis="y", length=0, pad=2)
        ax.set_ylim(-0.05, n * (1 + gap) - gap * 0.3)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if first is not None:
            date_axis(ax, first, last, max_ticks=2)
            ax.set_xlim(first, last)
        ax.set_title(step_name(step, loc), fontsize=LABEL)
    if overall:
        fig.supxlabel(loc.t("conv.chart.overall_line"), fontsize=TEXT, color="#6b6b6b")
    fig.suptitle(title)
    return fig


@chart
def cart_chart(by_tables: list[pl.DataFrame], loc: Locale, max_groups: int = 8):
    """One panel per dimension (device, source, category ...): abandonment rate per group
    (abandoned carts / carts), the highest in the accent colour, the comparison period's
    rate as a grey tick, and the change in points beside each bar: a fall green, a rise
    red (abandonment is lower-is-better). Each table is
    :func:`kit.metrics.cart.abandonment_by` or :func:`kit.metrics.cart.abandonment_by_category`."""
    tables = [tb for tb in by_tables if tb.height]
    rows = max([min(tb.height, max_groups) for tb in tables] or [1])
    fig, panels = figure("wide", height=max(2.0, 0.26 * rows + 1.0), ncols=max(len(tables), 1), squeeze=False,
                        grid="x")
    good_up = good_when_up("abandonment_rate")
    for ax, table in zip(panels[0], tables, strict=False):
        pdf = table.sort(["carts", "group"], descending=[True, False]).head(max_groups) \
            .sort(["abandonment_rate", "group"], descending=[True, False]).to_pandas()
        dimension = pdf["dimension"].iloc[0]
        names = [group_name(dimension, g, loc) for g in pdf["group"]]
        y = np.arange(len(names))
        colors = [ACCENT if i == 0 else MAIN for i in range(len(names))]
        ax.barh(y, pdf["abandonment_rate"], color=colors, height=0.7)
        if pdf["abandonment_rate_prev"].notna().any():
            ax.scatter(pdf["abandonment_rate_prev"], y, marker="|", s=150, color=GREY, zorder=3)
            for yi, row in zip(y, pdf.itertuples(), strict=True):
                if pd.notna(row.abandonment_rate_prev):
                    change = row.abandonment_rate - row.abandonment_rate_prev
                    ax.annotate(loc.pp(change, unit=False), (max(row.abandonment_rate, row.abandonment_rate_prev),
                                                             yi),
                                xytext=(4, 0), textcoords="offset points", va="center", fontsize=TEXT,
                                color=change_colour(change, good_up))
        ax.set_yticks(y, names)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.set_title(dimension_name(dimension, loc), fontsize=LABEL)
        pct_axis(ax, "x")
    has_prev = any(tb["abandonment_rate_prev"].is_not_null().any() for tb in tables)
    panels[0][0].set_xlabel(loc.t("conv.chart.abandonment_rate"))
    if has_prev:
        fig.supxlabel(loc.t("conv.chart.cart_note"), fontsize=TEXT, color="#6b6b6b")
    fig.suptitle(loc.t("conv.chart.cart"))
    return fig
