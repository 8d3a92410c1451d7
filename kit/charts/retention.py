"""Charts of section 2.3 (repurchase and retention). Each takes a small table from
:mod:`kit.metrics.retention` (or :mod:`kit.metrics.repurchase`) and returns a Figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import seaborn as sns

from kit.charts import ACCENT, DOWN, GREY, MAIN, SEQUENTIAL, UP, axes, pct_axis, use_theme
from kit.i18n import Locale
from kit.i18n.labels import attribute_name, stage_name, value_name
from kit.metrics.retention import STAGES


def nday_bars(first: pl.DataFrame, loc: Locale, windows=(30, 60, 90), ax=None):
    """N-day repurchase of first-time buyers, this period beside the comparison period."""
    use_theme()
    row = first.row(0, named=True)
    ax = axes(ax, "half", height=2.8)
    x = np.arange(len(windows))
    now = [row[f"rate_{n}"] or 0 for n in windows]
    prev = [row.get(f"rate_{n}_prev") for n in windows]
    ax.bar(x - 0.2, now, width=0.4, color=MAIN, label=loc.t("ret.chart.now"))
    if any(p is not None for p in prev):
        ax.bar(x + 0.2, [p or 0 for p in prev], width=0.4, color=GREY, label=loc.t("ret.chart.previous"))
        ax.legend()
    ax.set_xticks(x, [loc.t("ret.chart.days", n=n) for n in windows])
    pct_axis(ax, "y")
    ax.set_title(loc.t("ret.chart.nday"))
    return ax


def interval_chart(histogram: pl.DataFrame, loc: Locale, ax=None):
    """Share of inter-purchase intervals per band of days."""
    use_theme()
    labels = [f"{a}-{b}" if b is not None else f"{a}+" for a, b in zip(histogram["bin_start"], histogram["bin_end"],
                                                                       strict=True)]
    ax = axes(ax, "half", height=2.8)
    ax.bar(labels, histogram["share"].fill_null(0).to_list(), color=MAIN)
    pct_axis(ax, "y")
    ax.set_xlabel(loc.t("ret.chart.interval_days"))
    ax.set_title(loc.t("ret.chart.interval"))
    return ax


def cohort_heatmap(matrix: pl.DataFrame, loc: Locale, ax=None):
    """Cohort retention: first-order month (rows) x months since the first order (columns),
    colour and label = share of the cohort buying in that month; month 0 (always 100%) is left
    out so the colour scale shows the months that differ, blank = not reached by the period end."""
    use_theme()
    wide = matrix.with_columns(pl.col("cohort").dt.strftime("%Y-%m")).pivot(
        on="month", index="cohort", values="share", sort_columns=True).sort("cohort")
    pdf = wide.to_pandas().set_index("cohort")
    pdf.columns = [int(c) for c in pdf.columns]
    pdf = pdf[sorted(pdf.columns)].drop(columns=[0], errors="ignore")
    ax = axes(ax, "wide", height=0.32 * max(len(pdf), 4) + 1.2)
    labels = pdf.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    sns.heatmap(pdf * 100, annot=labels, fmt="", cmap=SEQUENTIAL, cbar=False, ax=ax, annot_kws={"fontsize": 7})
    ax.set_xlabel(loc.t("ret.chart.months_since"))
    ax.set_ylabel(loc.t("ret.chart.cohort"))
    ax.tick_params(axis="y", rotation=0)
    ax.set_title(loc.t("ret.chart.cohorts"))
    return ax


def lifecycle_chart(counts: pl.DataFrame, loc: Locale, ax=None):
    """Customers per lifecycle stage at the period end beside the comparison end."""
    use_theme()
    names = [stage_name(s, loc) for s in counts["stage"]]
    x = np.arange(len(names))
    ax = axes(ax, "half", height=2.8)
    ax.bar(x - 0.2, counts["customers"].to_list(), width=0.4, color=MAIN, label=loc.t("ret.chart.now"))
    if counts["customers_prev"].is_not_null().any():
        ax.bar(x + 0.2, counts["customers_prev"].fill_null(0).to_list(), width=0.4, color=GREY,
               label=loc.t("ret.chart.previous"))
        ax.legend()
    ax.set_xticks(x, names)
    ax.set_title(loc.t("ret.chart.lifecycle"))
    return ax


def flows_chart(flows: pl.DataFrame, loc: Locale, ax=None):
    """Customers moving from their stage at the comparison end (rows; ``none`` = not yet a
    customer) to their stage at the period end (columns), as an annotated heatmap."""
    use_theme()
    sources = [s for s in ("none", *STAGES) if s in set(flows["from_stage"])]
    targets = [s for s in STAGES if s in set(flows["to_stage"])]
    grid = np.zeros((len(sources), len(targets)))
    for row in flows.iter_rows(named=True):
        grid[sources.index(row["from_stage"]), targets.index(row["to_stage"])] = row["customers"]
    frame = pd.DataFrame(grid, index=[stage_name(s, loc) for s in sources],
                         columns=[stage_name(s, loc) for s in targets])
    ax = axes(ax, "half", height=0.45 * max(len(sources), 3) + 1.2)
    sns.heatmap(frame, annot=True, fmt=",.0f", cmap=SEQUENTIAL, cbar=False, ax=ax, annot_kws={"fontsize": 8})
    ax.set_xlabel(loc.t("ret.chart.to_stage"))
    ax.set_ylabel(loc.t("ret.chart.from_stage"))
    ax.tick_params(axis="y", rotation=0)
    ax.set_title(loc.t("ret.chart.flows"))
    return ax


def drivers_chart(drivers: pl.DataFrame, loc: Locale, top: int = 12, ax=None):
    """The strongest repurchase drivers: each attribute value's rate with its 95% interval,
    the overall rate as a vertical line; above the overall in green, below in red."""
    use_theme()
    data = drivers.head(top).reverse()
    ax = axes(ax, "wide", height=0.3 * max(data.height, 4) + 1.2)
    labels = [f"{attribute_name(a, loc)}: {value_name(v, loc)}"
              for a, v in zip(data["attribute"], data["value"], strict=True)]
    y = np.arange(data.height)
    colors = [UP if lift > 1 else DOWN for lift in data["lift"]]
    ax.errorbar(data["rate"].to_numpy(), y, xerr=[(data["rate"] - data["ci_low"]).to_numpy(),
                                                  (data["ci_high"] - data["rate"]).to_numpy()],
                fmt="none", ecolor=GREY, elinewidth=1)
    ax.scatter(data["rate"].to_numpy(), y, c=colors, zorder=3)
    if data.height:
        overall = data["overall"][0] if "overall" in data.columns else (data["rate"] / data["lift"]).drop_nulls().mean()
        ax.axvline(overall, color=ACCENT, linestyle="--", linewidth=1, label=loc.t("ret.chart.overall"))
        ax.legend(loc="lower right")
    ax.set_yticks(y, labels)
    pct_axis(ax, "x")
    ax.set_title(loc.t("ret.chart.drivers"))
    return ax
