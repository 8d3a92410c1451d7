"""Charts of the products and baskets section: the sales x margin matrix, the Pareto curve,
returns vs rating and the lift heatmap. Each takes a small table of :mod:`kit.figures.products`
and returns its Axes."""

from __future__ import annotations

import numpy as np
import polars as pl

from kit.charts import (
    ACCENT,
    GREY,
    MAIN,
    axes,
    chart,
    diverging,
    heatmap,
    label_points,
    legend,
    note,
    number_axis,
    pct_axis,
)
from kit.i18n import Locale

LABELLED = 12
"""At most this many bubbles carry their name (the most important first: the largest by GMV,
the flagged ones), each where it covers no other name or bubble (:func:`kit.charts.label_points`)."""


def _bubble_sizes(lines: np.ndarray, largest: float = 900.0) -> np.ndarray:
    """Marker areas proportional to the order lines, the largest ``largest`` points²."""
    top = np.nanmax(lines) if lines.size and np.nanmax(lines) > 0 else 1.0
    return np.maximum(largest * lines / top, 12.0)


def _quadrant_names(ax, loc: Locale) -> None:
    """The four quadrants' names in the corners of the plot area."""
    for key, x, y, ha, va in (("star", 0.99, 0.98, "right", "top"), ("traffic", 0.99, 0.02, "right", "bottom"),
                              ("profit", 0.01, 0.98, "left", "top"), ("improve", 0.01, 0.02, "left", "bottom")):
        ax.text(x, y, loc.t(f"products.quadrant.{key}"), transform=ax.transAxes, ha=ha, va=va, color=GREY,
                fontweight="bold")


@chart
def margin_matrix(table: pl.DataFrame, loc: Locale, level: str = "category", title: str = "", ax=None):
    """The sales x margin matrix: each item at (its share of the period's sales, its gross
    margin), bubble area = order lines, the quadrant split as dashed lines, the quadrants
    named in the corners; every item named beside its bubble where its name has room (covers
    no other name or bubble), the largest by sales first."""
    data = table.filter(pl.col("margin_rate").is_not_null() & pl.col("gmv_share").is_not_null())
    ax = axes(ax, "wide", height=3.6)
    x, y = data["gmv_share"].to_numpy(), data["margin_rate"].to_numpy()
    sizes = _bubble_sizes(data["lines"].to_numpy())
    ax.scatter(x, y, s=sizes, color=MAIN, alpha=0.45, edgecolor=MAIN, linewidth=0.8)
    if data.height:
        ax.axvline(data["sales_split"][0], color=GREY, linestyle="--", linewidth=1)
        ax.axhline(data["margin_split"][0], color=GREY, linestyle="--", linewidth=1)
        pad_x = (x.max() - x.min()) * 0.12 or 0.01
        pad_y = (y.max() - y.min()) * 0.15 or 0.02
        ax.set_xlim(max(0.0, x.min() - pad_x), x.max() + pad_x)
        ax.set_ylim(y.min() - pad_y, y.max() + pad_y)
        named = data.with_columns(pl.Series("_area", sizes)).sort("gmv", descending=True)
        label_points(ax, named["gmv_share"].to_numpy(), named["margin_rate"].to_numpy(), named[level].to_list(),
                     named["_area"].to_numpy())
    _quadrant_names(ax, loc)
    ax.set_title(title)
    ax.set_xlabel(loc.t("products.axis.gmv_share"))
    ax.set_ylabel(loc.t("products.axis.margin_rate"))
    pct_axis(ax, "x", loc=loc)
    pct_axis(ax, "y", loc=loc)
    return ax


@chart
def pareto_chart(curve: pl.DataFrame, loc: Locale, top_share: float | None = None, ax=None):
    """The cumulative share of sales against the share of products (largest first), with the
    80% line and the share of products that reach it marked."""
    ax = axes(ax, "half", height=2.8)
    ax.plot(curve["product_share"].to_list(), curve["cum_share"].to_list(), color=MAIN)
    ax.axhline(0.8, color=GREY, linestyle="--", linewidth=1, label=loc.t("products.legend.eighty"))
    if top_share is not None:
        ax.vlines(top_share, 0, 0.8, color=ACCENT, linewidth=1.5)
        ax.annotate(loc.pct(top_share), (top_share, 0.05), xytext=(4, 0), textcoords="offset points", color=ACCENT)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(loc.t("products.chart.pareto"))
    ax.set_xlabel(loc.t("products.axis.product_share"))
    ax.set_ylabel(loc.t("products.axis.cum_share"))
    pct_axis(ax, "x", loc=loc)
    pct_axis(ax, "y", loc=loc)
    legend(ax)
    return ax


@chart
def quality_scatter(quality, loc: Locale, return_rate_high: float, rating_low: float, ax=None):
    """Returns vs rating (``quality``: :class:`kit.figures.products.Quality`): each item at
    (return rate, mean rating), bubble area = order lines, the shop's norms as dashed lines,
    the items flagged (returns high, rating low) in the accent colour and named."""
    data = quality.items.filter(pl.col("return_rate").is_not_null() & pl.col("rating").is_not_null())
    flagged = set(quality.flagged[quality.level].cast(pl.String).to_list())
    ax = axes(ax, "wide", height=3.2)
    is_flagged = np.array([str(v) in flagged for v in data[quality.level].to_list()], dtype=bool)
    sizes = _bubble_sizes(data["lines"].to_numpy(), 500.0)
    x, y = data["return_rate"].to_numpy(), data["rating"].to_numpy()
    ax.scatter(x[~is_flagged], y[~is_flagged], s=sizes[~is_flagged], color=MAIN, alpha=0.4, linewidth=0)
    if is_flagged.any():
        ax.scatter(x[is_flagged], y[is_flagged], s=sizes[is_flagged], color=ACCENT, alpha=0.8, linewidth=0,
                   label=loc.t("products.legend.flagged"))
    if quality.norm_return_rate is not None:
        ax.axvline(quality.norm_return_rate, color=GREY, linestyle="--", linewidth=1, label=loc.t("products.legend.norm"))
    if quality.norm_rating is not None:
        ax.axhline(quality.norm_rating, color=GREY, linestyle="--", linewidth=1)
    if y.size:
        ax.set_ylim(float(y.min()) - 0.15, float(y.max()) + 0.15)
        # the flagged items first, then the others from the highest return rate down
        order = sorted(range(data.height), key=lambda i: (not is_flagged[i], -x[i]))
        label_points(ax, x[order], y[order], [str(data[quality.level][i]) for i in order], sizes[order], limit=LABELLED)
    ax.set_title(loc.t("products.chart.quality", level=loc.t(f"products.level.{quality.level}")))
    ax.set_xlabel(loc.t("products.axis.return_rate"))
    ax.set_ylabel(loc.t("products.axis.rating"))
    pct_axis(ax, "x", loc=loc)
    number_axis(ax, "y", loc)
    legend(ax)
    return ax


@chart
def lift_heatmap(grid: pl.DataFrame, loc: Locale, ax=None):
    """The lift between categories (``grid``: :func:`kit.figures.products.category_lift`), coloured
    around 1 (independent): warm above, cool below; blank where no rule passed the thresholds."""
    names = sorted(set(grid["antecedent"].to_list()))
    lookup = {(r["antecedent"], r["consequent"]): r["lift"] for r in grid.iter_rows(named=True)}
    values = np.array([[lookup.get((a, b)) if a != b and lookup.get((a, b)) is not None else np.nan for b in names]
                       for a in names], dtype=float)
    finite = values[np.isfinite(values)]
    cmap, norm = diverging(finite if finite.size else [1.0], 1.0, lowest=0.0)
    ax = axes(ax, "wide", height=max(2.6, 0.3 * len(names) + 1.2), grid="none")
    labels = [["" if not np.isfinite(v) else loc.number(v, 1) for v in row] for row in values]
    heatmap(ax, values, names, names, cmap=cmap, norm=norm, labels=labels)
    ax.set_title(loc.t("products.chart.lift"))
    ax.set_ylabel(loc.t("products.col.antecedent"))
    ax.set_xlabel(loc.t("products.col.consequent"))
    note(ax, loc.t("products.lift.note"))
    return ax
