"""Charts of section 2.3 (repurchase and retention). Each takes a small table from
:mod:`kit.metrics.retention` (or :mod:`kit.metrics.repurchase`) and returns its Axes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

from kit.charts import (
    ACCENT,
    DOWN,
    GREY,
    MAIN,
    SEQUENTIAL,
    UP,
    axes,
    chart,
    count_axis,
    heatmap,
    legend,
    pct_axis,
)
from kit.i18n import Locale
from kit.i18n.labels import attribute_name, stage_name, value_name
from kit.metrics.retention import STAGES


def _side_by_side(ax, names: list[str], now: list, prev: list | None, loc: Locale, key: str) -> None:
    """Vertical bars of this period, with the comparison period's beside them in grey."""
    x = np.arange(len(names))
    width = 0.4 if prev is not None else 0.6
    ax.bar(x - (0.2 if prev is not None else 0), [v or 0 for v in now], width=width, color=MAIN,
           label=loc.t(f"{key}.now"))
    if prev is not None:
        ax.bar(x + 0.2, [v or 0 for v in prev], width=width, color=GREY, label=loc.t(f"{key}.previous"))
        legend(ax)
    ax.set_xticks(x, names)


@chart
def nday_bars(first: pl.DataFrame, loc: Locale, windows=(30, 60, 90), ax=None):
    """N-day repurchase of first-time buyers, this period beside the comparison period."""
    row = first.row(0, named=True)
    ax = axes(ax, "half", height=2.4, grid="y")
    prev = [row.get(f"rate_{n}_prev") for n in windows]
    _side_by_side(ax, [loc.t("ret.chart.days", n=n) for n in windows], [row[f"rate_{n}"] for n in windows],
                  prev if any(p is not None for p in prev) else None, loc, "ret.chart")
    pct_axis(ax, "y")
    ax.set_title(loc.t("ret.chart.nday"))
    return ax


@chart
def interval_chart(histogram: pl.DataFrame, loc: Locale, ax=None):
    """Share of inter-purchase intervals per band of days."""
    labels = [f"{a}-{b}" if b is not None else f"{a}+" for a, b in zip(histogram["bin_start"], histogram["bin_end"],
                                                                       strict=True)]
    ax = axes(ax, "half", height=2.4, grid="y")
    ax.bar(labels, histogram["share"].fill_null(0).to_list(), color=MAIN)
    pct_axis(ax, "y")
    ax.set_xlabel(loc.t("ret.chart.interval_days"))
    ax.set_title(loc.t("ret.chart.interval"))
    return ax


@chart
def cohort_heatmap(matrix: pl.DataFrame, loc: Locale, ax=None):
    """Cohort retention: first-order month (rows) x months since the first order (columns),
    colour and label = share of the cohort buying in that month; month 0 (always 100%) is left
    out so the colour scale shows the months that differ, blank = not reached by the period end.
    Labels are dark on light cells and white on dark ones."""
    wide = matrix.with_columns(pl.col("cohort").dt.strftime("%Y-%m")).pivot(
        on="month", index="cohort", values="share", sort_columns=True).sort("cohort")
    pdf = wide.to_pandas().set_index("cohort")
    pdf.columns = [int(c) for c in pdf.columns]
    pdf = pdf[sorted(pdf.columns)].drop(columns=[0], errors="ignore")
    values = pdf.to_numpy(dtype=float)
    labels = [["" if pd.isna(v) else loc.pct(v, 0) for v in row] for row in values]
    ax = axes(ax, "wide", height=0.2 * max(len(pdf), 4) + 1.0, grid="none")
    heatmap(ax, values, [str(c) for c in pdf.columns], list(pdf.index), cmap=SEQUENTIAL, labels=labels)
    ax.set_xlabel(loc.t("ret.chart.months_since"))
    ax.set_ylabel(loc.t("ret.chart.cohort"))
    ax.set_title(loc.t("ret.chart.cohorts"))
    return ax


@chart
def lifecycle_chart(counts: pl.DataFrame, loc: Locale, ax=None):
    """Customers per lifecycle stage at the period end beside the comparison end."""
    names = [stage_name(s, loc) for s in counts["stage"]]
    ax = axes(ax, "half", height=2.4, grid="y")
    prev = counts["customers_prev"].to_list() if counts["customers_prev"].is_not_null().any() else None
    _side_by_side(ax, names, counts["customers"].to_list(), prev, loc, "ret.chart")
    count_axis(ax, "y", loc)
    ax.set_title(loc.t("ret.chart.lifecycle"))
    return ax


@chart
def flows_chart(flows: pl.DataFrame, loc: Locale, ax=None):
    """Customers moving from their stage at the comparison end (rows; ``none`` = not yet a
    customer) to their stage at the period end (columns), as an annotated heatmap."""
    sources = [s for s in ("none", *STAGES) if s in set(flows["from_stage"])]
    targets = [s for s in STAGES if s in set(flows["to_stage"])]
    grid = np.zeros((len(sources), len(targets)))
    for row in flows.iter_rows(named=True):
        grid[sources.index(row["from_stage"]), targets.index(row["to_stage"])] = row["customers"]
    ax = axes(ax, "half", height=0.3 * max(len(sources), 3) + 1.1, grid="none")
    heatmap(ax, grid, [stage_name(s, loc) for s in targets], [stage_name(s, loc) for s in sources], cmap=SEQUENTIAL,
            labels=[[loc.integer(v) for v in row] for row in grid])
    ax.set_xlabel(loc.t("ret.chart.to_stage"))
    ax.set_ylabel(loc.t("ret.chart.from_stage"))
    ax.set_title(loc.t("ret.chart.flows"))
    return ax


@chart
def drivers_chart(drivers: pl.DataFrame, loc: Locale, top: int = 12, ax=None):
    """The strongest repurchase drivers: each attribute value's rate with its 95% interval,
    the overall rate as a vertical line; above the overall in green, below in red."""
    data = drivers.head(top)
    ax = axes(ax, "wide", height=0.2 * max(data.height, 4) + 1.0, grid="x")
    labels = [loc.t("report.name_value", name=attribute_name(a, loc), value=value_name(v, loc))
              for a, v in zip(data["attribute"], data["value"], strict=True)]
    y = np.arange(data.height)
    colors = [UP if lift > 1 else DOWN for lift in data["lift"]]
    ax.errorbar(data["rate"].to_numpy(), y, xerr=[(data["rate"] - data["ci_low"]).to_numpy(),
                                                  (data["ci_high"] - data["rate"]).to_numpy()],
                fmt="none", ecolor=GREY, elinewidth=1)
    ax.scatter(data["rate"].to_numpy(), y, c=colors, s=20, zorder=3)
    if data.height:
        overall = data["overall"][0] if "overall" in data.columns else (data["rate"] / data["lift"]).drop_nulls().mean()
        ax.axvline(overall, color=ACCENT, linestyle="--", linewidth=1, label=loc.t("ret.chart.overall"))
        legend(ax)
    ax.set_yticks(y, labels)
    ax.set_ylim(max(data.height, 1) - 0.5, -0.5)
    pct_axis(ax, "x")
    ax.set_title(loc.t("ret.chart.drivers"))
    return ax
