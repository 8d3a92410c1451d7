"""The executive summary's chart: the GMV bridge as a waterfall."""

from __future__ import annotations

import polars as pl

from kit.charts import DOWN, GREY, MAIN, TEXT, UP, axes, chart, money_axis
from kit.i18n import Locale


@chart
def bridge_waterfall(bridge: pl.DataFrame, comparison_label: str, period_label: str, loc: Locale, ax=None):
    """GMV of the comparison period, each factor's part of the change (green when it adds, red
    when it takes away) floating from where the one before ended, and the period's GMV
    (``bridge``: :func:`kit.figures.summary.gmv_bridge`; the bars close exactly)."""
    rows = bridge.to_dicts()
    start = 1.0
    for r in rows:  # GMV = product of the factors
        start *= r["value_prev"]
    ax = axes(ax, "wide", height=1.3)
    labels = [comparison_label] + [loc.t(f"summary.factor.{r['factor']}") for r in rows] + [period_label]
    level = start
    ax.bar(0, start, color=GREY, width=0.6)
    for i, r in enumerate(rows, start=1):
        effect = r["effect"]
        ax.bar(i, effect, bottom=level, color=UP if effect >= 0 else DOWN, width=0.6)
        ax.text(i, level + max(effect, 0), ("+" if effect >= 0 else "-") + loc.money(abs(effect)),
                ha="center", va="bottom", fontsize=TEXT)
        level += effect
    ax.bar(len(rows) + 1, level, color=MAIN, width=0.6)
    for x, v in ((0, start), (len(rows) + 1, level)):
        ax.text(x, v, loc.money(v), ha="center", va="bottom", fontsize=TEXT)
    ax.set_xticks(range(len(labels)), labels)
    low = min(start, level, *(start + sum(r["effect"] for r in rows[:k]) for k in range(len(rows) + 1)))
    ax.set_ylim(max(0.0, low * 0.85), max(start, level) * 1.08)
    money_axis(ax, loc, "y")
    ax.set_title(loc.t("summary.bridge.title"))
    return ax
