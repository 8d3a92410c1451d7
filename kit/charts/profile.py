"""Charts of section 1 (customer profile). Each takes a small table from
:mod:`kit.metrics.profile` and returns its Axes (the traffic sources' two panels: their
Figure); groups with an order of their own (age bands, city tiers, orders per customer)
are drawn in that order, other groups largest first."""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.collections import PatchCollection
from matplotlib.patches import Rectangle

from kit.charts import (
    ACCENT,
    GREY,
    MAIN,
    SEQUENTIAL,
    TEXT,
    axes,
    change_colour,
    chart,
    count_axis,
    diverging,
    figure,
    heatmap,
    legend,
    money_axis,
    note,
    number_axis,
    pct_axis,
    text_colour,
)
from kit.i18n import Locale
from kit.i18n.labels import group_name, in_order, is_ordered

CLIP_SHARE = 0.95
"""A histogram's axis ends where this share of the data is covered; the rest is its last bar."""

PROVINCE_GRID: dict[str, tuple[int, int]] = {
    "黑龙江": (0, 8),
    "新疆": (1, 1), "甘肃": (1, 3), "内蒙古": (1, 5), "吉林": (1, 8),
    "青海": (2, 2), "宁夏": (2, 4), "山西": (2, 5), "北京": (2, 6), "天津": (2, 7), "辽宁": (2, 8),
    "西藏": (3, 1), "四川": (3, 3), "陕西": (3, 4), "河南": (3, 5), "河北": (3, 6), "山东": (3, 7),
    "云南": (4, 2), "重庆": (4, 3), "湖北": (4, 4), "安徽": (4, 5), "江苏": (4, 6), "上海": (4, 7),
    "贵州": (5, 3), "湖南": (5, 4), "江西": (5, 5), "浙江": (5, 6),
    "广西": (6, 3), "广东": (6, 4), "福建": (6, 5), "台湾": (6, 7),
    "澳门": (7, 3), "海南": (7, 4), "香港": (7, 5),
}
"""A tile-grid map of China: province -> (row, column), roughly where it lies (north on top)."""
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def province_key(name: str | None) -> str | None:
    """The :data:`PROVINCE_GRID` name of a province (``广东省`` -> ``广东``), or None."""
    if not name:
        return None
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in PROVINCE_GRID:
            return name[: -len(suffix)]
    return name if name in PROVINCE_GRID else None


def _has_prev(table: pl.DataFrame, value: str) -> bool:
    return f"{value}_prev" in table.columns and table[f"{value}_prev"].is_not_null().any()


@chart
def age_gender_pyramid(table: pl.DataFrame, loc: Locale, ax=None):
    """Population pyramid: share of active customers per age band (youngest on top), women
    to the left and men to the right (customers of unknown gender are not drawn; their share
    is in the table)."""
    bands = in_order("age_band", table["age_band"].to_list())
    shares = {g: [table.filter((pl.col("age_band") == b) & (pl.col("gender") == g))["share"].sum() for b in bands]
              for g in ("F", "M")}
    names = [group_name("age_band", b, loc) for b in bands]
    ax = axes(ax, "wide", height=max(2.2, 0.28 * len(bands) + 1.0), grid="x")
    y = np.arange(len(bands))
    ax.barh(y, [-s for s in shares["F"]], color=ACCENT, label=group_name("gender", "F", loc))
    ax.barh(y, shares["M"], color=MAIN, label=group_name("gender", "M", loc))
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    widest = max([*shares["F"], *shares["M"], 0.0]) * 1.08 or 1.0
    ax.set_xlim(-widest, widest)
    ax.axvline(0, color=GREY, linewidth=0.8)
    pct_axis(ax, "x", absolute=True)
    ax.set_xlabel(loc.t("profile.axis.share_customers"))
    ax.set_title(loc.t("profile.chart.age_gender"))
    legend(ax)
    return ax


def paired_bars(ax, labels: list[str], series: list[tuple[list, str, str]]) -> None:
    """Horizontal bars, one group per label (first label on top), the series of each group
    side by side in the given colours: ``series`` = [(values, colour, legend label), ...]."""
    y = np.arange(len(labels))
    height = 0.8 / max(len(series), 1)
    for k, (values, colour, name) in enumerate(series):
        ax.barh(y - 0.4 + height * (k + 0.5), [v or 0 for v in values], height=height * 0.95, color=colour,
                label=name)
    ax.set_yticks(y, labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)


@chart
def share_bars(table: pl.DataFrame, loc: Locale, title: str = "profile.chart.region",
               axis: str = "profile.axis.share_customers", top: int = 12, ax=None):
    """Horizontal bars of each group's share (first column of the table), this period beside
    the comparison period when there is one. Groups with an order of their own (city tiers,
    orders per customer ...) keep it, all of them; others are largest first, at most ``top``."""
    column = table.columns[0]
    if is_ordered(column):
        order = in_order(column, table[column].to_list())
        data = table.join(pl.DataFrame({column: order, "_o": range(len(order))}, schema_overrides={
            column: table.schema[column]}), on=column).sort("_o")
    else:
        data = table.sort(["share", column], descending=[True, False], nulls_last=True).head(top)
    labels = [group_name(column, v, loc) for v in data[column].to_list()]
    series = [(data["share"].to_list(), MAIN, loc.t("profile.legend.current"))]
    if _has_prev(data, "share"):
        series.append((data["share_prev"].to_list(), GREY, loc.t("profile.legend.previous")))
    ax = axes(ax, "wide", height=max(1.8, (0.26 if len(series) > 1 else 0.2) * len(labels) + 0.9), grid="x")
    paired_bars(ax, labels, series)
    ax.set_xlabel(loc.t(axis))
    ax.set_title(loc.t(title))
    pct_axis(ax, "x")
    if len(series) > 1:
        legend(ax)
    return ax


@chart
def province_map(table: pl.DataFrame, loc: Locale, ax=None):
    """Tile-grid map: one square per province at its :data:`PROVINCE_GRID` place, coloured
    by its share of active customers (provinces without customers in light grey), its name
    and share dark or white by the tile's luminance."""
    shares = {province_key(p): s for p, s in zip(table["province"].to_list(), table["share"].to_list(), strict=True)
              if province_key(p) is not None}
    top = max(shares.values(), default=0) or 1
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap(SEQUENTIAL)
    ax = axes(ax, "wide", height=4.0, grid="none")
    tiles, colours = [], []
    for name, (row, col) in PROVINCE_GRID.items():
        s = shares.get(name)
        colour = cmap(0.15 + 0.85 * s / top) if s else "#eeeeee"
        tiles.append(Rectangle((col + 0.04, -row + 0.04), 0.92, 0.92))
        colours.append(colour)
        ink = text_colour(colour)
        # inside their tiles: not measured by the layout
        ax.text(col + 0.5, -row + 0.62, name, ha="center", va="center", fontsize=TEXT, color=ink, in_layout=False)
        if s:
            ax.text(col + 0.5, -row + 0.3, loc.pct(s), ha="center", va="center", fontsize=TEXT, color=ink,
                    in_layout=False)
    # one collection for the 34 tiles: one artist to add and draw instead of 34
    ax.add_collection(PatchCollection(tiles, facecolors=colours, edgecolors="white"), autolim=False)
    ax.set_xlim(0, 9)
    ax.set_ylim(-7, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(loc.t("profile.chart.province_map"))
    return ax


@chart
def new_by_tier_bars(table: pl.DataFrame, loc: Locale, ax=None):
    """New customers per city tier (一线 first); each bar labelled with its growth vs the
    comparison period, green when it grew and red when it fell; the fastest-growing tier in
    the accent colour."""
    tiers = in_order("city_tier", table["city_tier"].to_list())
    rows = {r["city_tier"]: r for r in table.iter_rows(named=True)}
    labels = [group_name("city_tier", v, loc) for v in tiers]
    counts = [rows[t]["new_customers"] or 0 for t in tiers]
    growth = [rows[t]["new_customers_change_rel"] for t in tiers]
    known = [g for g in growth if g is not None]
    best = max(known) if known else None
    colours = [ACCENT if best is not None and g == best and best > 0 else MAIN for g in growth]
    ax = axes(ax, "wide", height=2.6, grid="y")
    ax.bar(labels, counts, color=colours)
    for i, (n, g) in enumerate(zip(counts, growth, strict=True)):
        if g is not None:
            ax.annotate(loc.change(g, 0), (i, n), xytext=(0, 2), textcoords="offset points", ha="center",
                        va="bottom", fontsize=TEXT, color=change_colour(g, digits=0))
    ax.margins(y=0.12)
    ax.set_ylabel(loc.t("profile.axis.new_customers"))
    ax.set_title(loc.t("profile.chart.new_by_tier"))
    count_axis(ax, "y")
    return ax


@chart
def source_chart(table: pl.DataFrame, loc: Locale):
    """Two panels per traffic source: share of sessions, and visit-to-pay conversion."""
    data = table.filter(pl.col("sessions") > 0).sort(["sessions", "source"], descending=[True, False])
    labels = [group_name("source", v, loc) for v in data["source"].to_list()]
    fig, (left, right) = figure("wide", height=max(2.0, 0.24 * len(labels) + 1.0), ncols=2, grid="x")
    y = np.arange(len(labels))
    left.barh(y, data["share"].to_list(), color=MAIN)
    left.set_yticks(y, labels)
    left.set_ylim(len(labels) - 0.5, -0.5)
    left.set_xlabel(loc.t("profile.axis.share_sessions"))
    pct_axis(left, "x")
    right.barh(y, data["visit_to_pay"].fill_null(0).to_list(), color=ACCENT)
    right.set_xlabel(loc.t("profile.axis.visit_to_pay"))
    right.set_yticks([])
    right.set_ylim(len(labels) - 0.5, -0.5)
    pct_axis(right, "x")
    fig.suptitle(loc.t("profile.chart.source"))
    return fig


@chart
def duration_histogram(histogram: pl.DataFrame, loc: Locale, ax=None):
    """Share of sessions per duration bin (minutes); the last bin is open-ended."""
    labels = [f"{a:g}-{b:g}" if b is not None else f"{a:g}+" for a, b in
              zip(histogram["bin_start_min"].to_list(), histogram["bin_end_min"].to_list(), strict=True)]
    ax = axes(ax, "half", height=2.4, grid="y")
    ax.bar(labels, histogram["share"].fill_null(0).to_list(), color=MAIN)
    ax.set_xlabel(loc.t("profile.axis.minutes"))
    ax.set_ylabel(loc.t("profile.axis.share_sessions"))
    ax.set_title(loc.t("profile.chart.duration"))
    pct_axis(ax, "y")
    return ax


@chart
def visit_heatmap_chart(heatmap_table: pl.DataFrame, peaks: pl.DataFrame | None, loc: Locale, ax=None):
    """Visits per weekday (rows, Monday on top) x hour (columns), per date of the weekday when
    the table has ``visits_per_day`` (:func:`kit.metrics.profile.visit_heatmap`), sequential
    colours with a colour bar; peak hours' tick labels in the accent colour."""
    values = "visits_per_day" if "visits_per_day" in heatmap_table.columns else "visits"
    grid = heatmap_table.pivot(on="hour", index="weekday", values=values, sort_columns=True)
    days = in_order("weekday", sorted(grid["weekday"].to_list()))
    grid = grid.join(pl.DataFrame({"weekday": days, "_o": range(len(days))},
                                  schema_overrides={"weekday": grid.schema["weekday"]}), on="weekday").sort("_o")
    hours = [c for c in grid.columns if c not in ("weekday", "_o")]
    ax = axes(ax, "wide", height=2.5, grid="none")
    mesh = heatmap(ax, grid.select(hours).to_numpy().astype(float), hours,
                   [group_name("weekday", d, loc) for d in grid["weekday"].to_list()], cmap=SEQUENTIAL, colorbar=True)
    number_axis(mesh.colorbar.ax, "y", loc)
    peak_hours = {str(h) for h in peaks["hour"].to_list()} if peaks is not None else set()
    for tick in ax.get_xticklabels():
        if tick.get_text() in peak_hours:
            tick.set_color(ACCENT)
            tick.set_fontweight("bold")
    ax.set_xlabel(loc.t("profile.axis.hour"))
    ax.set_title(loc.t("profile.chart.heatmap"))
    return ax


def clip_bins(starts: list[float], ends: list, shares: list[float], covered: float = CLIP_SHARE):
    """Where a histogram's axis ends: after the first bin (in order) that brings the data
    covered to ``covered``, or before the open-ended last bin; the bins after become one
    open bar. Returns the kept ``starts, ends, shares``, the open bar's share (0 when nothing
    is cut) and where it starts (None when nothing is cut)."""
    total, keep = 0.0, len(shares)
    for i, (end, share) in enumerate(zip(ends, shares, strict=True)):
        if end is None:
            keep = i
            break
        total += share
        if total >= covered - 1e-12:
            keep = i + 1
            break
    rest = sum(shares[keep:])
    cut = (ends[keep - 1] if keep else starts[0]) if keep < len(shares) else None
    return starts[:keep], ends[:keep], shares[:keep], rest, cut


@chart
def order_value_histogram(distribution: pl.DataFrame, loc: Locale, ax=None):
    """Share of paid orders per order-value bin (bar at the bin start, bin width wide). The
    axis ends where 95% of the orders are covered (:func:`clip_bins`), the orders above it
    are the last, hatched bar, and a note under the axis says where it was cut and how many
    orders the last bar holds."""
    ax = axes(ax, "half", height=2.6, grid="y")
    if distribution.height:
        data = distribution.sort("bin_start")
        starts, ends, shares = data["bin_start"].to_list(), data["bin_end"].to_list(), data["share"].to_list()
        closed = [(a, b) for a, b in zip(starts, ends, strict=True) if b is not None]
        # every bin has the same width; a lone open-ended bin gets an arbitrary one
        width = (closed[0][1] - closed[0][0]) if closed else max(starts[0], 1.0)
        starts, ends, shares, rest, cut = clip_bins(starts, ends, shares)
        ax.bar(starts, shares, width=width * 0.95, align="edge", color=MAIN)
        if cut is not None:
            ax.bar([cut], [rest], width=width * 0.95, align="edge", color="white", edgecolor=MAIN, hatch="////",
                   linewidth=0.8)
            ax.set_xlim(0 if min(starts or [cut]) >= 0 else None, cut + width)
            note(ax, loc.t("profile.note.clipped", edge=loc.money(cut), covered=loc.pct(1 - rest),
                           rest=loc.pct(rest)))
    ax.set_xlabel(loc.t("profile.axis.order_value"))
    ax.set_ylabel(loc.t("profile.axis.share_orders"))
    ax.set_title(loc.t("profile.chart.order_value"))
    money_axis(ax, loc, "x")
    pct_axis(ax, "y")
    return ax


def orders_per_customer_bars(table: pl.DataFrame, loc: Locale, ax=None):
    """Share of active customers by number of paid orders in the period, in order (1, 2, 3,
    4, 5+), with the comparison period beside when there is one."""
    return share_bars(table, loc, title="profile.chart.orders_per_customer", axis="profile.axis.share_customers",
                      top=table.height, ax=ax)


@chart
def aov_category_bars(table: pl.DataFrame, loc: Locale, top: int = 15, ax=None):
    """Spend per order by category (category GMV / orders containing it), highest on top."""
    data = table.filter(pl.col("aov").is_not_null()).sort(["aov", "category"], descending=[True, False]).head(top)
    labels = [group_name("category", v, loc) for v in data["category"].to_list()]
    ax = axes(ax, "wide", height=max(1.8, 0.2 * len(labels) + 0.9), grid="x")
    paired_bars(ax, labels, [(data["aov"].to_list(), MAIN, "")])
    ax.set_xlabel(loc.t("profile.axis.aov"))
    ax.set_title(loc.t("profile.chart.aov_category"))
    money_axis(ax, loc, "x")
    return ax


@chart
def category_bars(table: pl.DataFrame, loc: Locale, top: int = 15, ax=None):
    """Per category, side by side: share of GMV and share of buyers (largest GMV on top)."""
    data = table.filter(pl.col("gmv") > 0).sort(["gmv", "category"], descending=[True, False]).head(top)
    labels = [group_name("category", v, loc) for v in data["category"].to_list()]
    ax = axes(ax, "wide", height=max(2.0, 0.3 * len(labels) + 0.9), grid="x")
    paired_bars(ax, labels, [(data["gmv_share"].to_list(), MAIN, loc.t("profile.legend.gmv_share")),
                             (data["buyer_share"].to_list(), ACCENT, loc.t("profile.legend.buyer_share"))])
    ax.set_xlabel(loc.t("profile.axis.share"))
    ax.set_title(loc.t("profile.chart.category"))
    pct_axis(ax, "x")
    legend(ax)
    return ax


@chart
def preference_heatmap(table: pl.DataFrame, by: str, loc: Locale, ax=None):
    """Preference index per group (rows, in their own order for age bands) x category
    (columns), diverging colours centred on 100 (= the group buys the category like
    everyone) whose colour bar spans only indexes that can occur (none below 0); cells
    annotated with the index. The title names the grouping (by region, by age band)."""
    groups = in_order(by, table[by].to_list())
    grid = table.pivot(on="category", index=by, values="index", sort_columns=True)
    grid = grid.join(pl.DataFrame({by: groups, "_o": list(range(len(groups)))},
                                  schema_overrides={by: grid.schema[by]}), on=by).sort("_o").drop("_o")
    categories = [c for c in grid.columns if c != by]
    matrix = grid.select(categories).to_numpy().astype(float)
    ax = axes(ax, "wide", height=max(2.2, 0.3 * len(groups) + 1.1), grid="none")
    cmap, norm = diverging(matrix, 100, lowest=0)
    labels = [["" if not np.isfinite(v) else loc.integer(v) for v in row] for row in matrix]
    heatmap(ax, matrix, [group_name("category", c, loc) for c in categories],
            [group_name(by, g, loc) for g in grid[by].to_list()], cmap=cmap, norm=norm, labels=labels, colorbar=True)
    ax.set_title(loc.t("profile.chart.preference", dimension=loc.label("profile.dimension", by)))
    return ax
