"""Charts of section 1 (customer profile). Each takes a small table from
:mod:`kit.metrics.profile` and returns a matplotlib Figure; pandas only at the hand-over
to seaborn/matplotlib."""

from __future__ import annotations

import numpy as np
import polars as pl
import seaborn as sns

from kit.charts import (
    ACCENT,
    DIVERGING,
    GREY,
    MAIN,
    SEQUENTIAL,
    axes,
    figure,
    pct_axis,
    thousands_axis,
    use_theme,
)
from kit.i18n import Locale
from kit.i18n.labels import group_name

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


def age_gender_pyramid(table: pl.DataFrame, loc: Locale, ax=None):
    """Population pyramid: share of active customers per age band, women to the left and men
    to the right (customers of unknown gender are not drawn; their share is in the table)."""
    use_theme()
    bands = list(dict.fromkeys(table["age_band"].to_list()))
    shares = {g: [table.filter((pl.col("age_band") == b) & (pl.col("gender") == g))["share"].sum() for b in bands]
              for g in ("F", "M")}
    names = [group_name("age_band", b, loc) for b in bands]
    ax = axes(ax, "wide", height=max(2.6, 0.4 * len(bands) + 1))
    y = np.arange(len(bands))
    ax.barh(y, [-s for s in shares["F"]], color=ACCENT, label=group_name("gender", "F", loc))
    ax.barh(y, shares["M"], color=MAIN, label=group_name("gender", "M", loc))
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color=GREY, linewidth=0.8)
    ax.xaxis.set_major_formatter(lambda v, _: f"{abs(v) * 100:.0f}%")
    ax.set_xlabel(loc.t("profile.axis.share_customers"))
    ax.set_title(loc.t("profile.chart.age_gender"))
    ax.legend(loc="lower right")
    return ax


def share_bars(table: pl.DataFrame, loc: Locale, title: str = "profile.chart.region",
               axis: str = "profile.axis.share_customers", top: int = 12, ax=None):
    """Horizontal bars of each group's share (first column of the table), this period beside
    the comparison period when there is one; at most ``top`` groups, largest first."""
    use_theme()
    column = table.columns[0]
    data = table.sort("share", descending=True, nulls_last=True).head(top)
    labels = [group_name(column, v, loc) for v in data[column].to_list()]
    n = len(labels)
    long = {"group": list(labels), "share": data["share"].to_list(), "period": [loc.t("profile.legend.current")] * n}
    if _has_prev(data, "share"):
        long["group"] += labels
        long["share"] += data["share_prev"].to_list()
        long["period"] += [loc.t("profile.legend.previous")] * n
    ax = axes(ax, "wide", height=max(2.4, 0.35 * len(labels) + 1.2))
    sns.barplot(pl.DataFrame(long).to_pandas(), y="group", x="share", hue="period", palette=[MAIN, GREY][: len(set(long["period"]))], ax=ax)
    ax.set_ylabel("")
    ax.set_xlabel(loc.t(axis))
    ax.set_title(loc.t(title))
    pct_axis(ax, "x")
    ax.legend(title="")
    return ax


def province_map(table: pl.DataFrame, loc: Locale, ax=None):
    """Tile-grid map: one square per province at its :data:`PROVINCE_GRID` place, coloured
    by its share of active customers (provinces without customers in light grey)."""
    use_theme()
    shares = {province_key(p): s for p, s in zip(table["province"].to_list(), table["share"].to_list(), strict=True)
              if province_key(p) is not None}
    top = max(shares.values(), default=0) or 1
    cmap = sns.color_palette(SEQUENTIAL, as_cmap=True)
    ax = axes(ax, "wide", height=4.6)
    for name, (row, col) in PROVINCE_GRID.items():
        s = shares.get(name)
        colour = cmap(0.15 + 0.85 * s / top) if s else "#eeeeee"
        ax.add_patch(_tile(col, -row, colour))
        text_colour = "white" if s and s / top > 0.55 else "#333333"
        ax.text(col + 0.5, -row + 0.6, name, ha="center", va="center", fontsize=8, color=text_colour)
        if s:
            ax.text(col + 0.5, -row + 0.3, f"{s * 100:.1f}%", ha="center", va="center", fontsize=7, color=text_colour)
    ax.set_xlim(0, 9)
    ax.set_ylim(-7, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(loc.t("profile.chart.province_map"))
    return ax


def _tile(x: float, y: float, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((x + 0.04, y + 0.04), 0.92, 0.92, facecolor=colour, edgecolor="white")


def new_by_tier_bars(table: pl.DataFrame, loc: Locale, ax=None):
    """New customers per city tier; each bar labelled with its growth vs the comparison
    period; the fastest-growing tier in the accent colour."""
    use_theme()
    labels = [group_name("city_tier", v, loc) for v in table["city_tier"].to_list()]
    growth = table["new_customers_change_rel"].to_list()
    known = [g for g in growth if g is not None]
    best = max(known) if known else None
    colours = [ACCENT if best is not None and g == best and best > 0 else MAIN for g in growth]
    ax = axes(ax, "wide", height=3.4)
    ax.bar(labels, table["new_customers"].to_list(), color=colours)
    for i, (n, g) in enumerate(zip(table["new_customers"].to_list(), growth, strict=True)):
        if g is not None:
            ax.annotate(f"{g * 100:+.0f}%", (i, n), ha="center", va="bottom", fontsize=9)
    ax.set_ylabel(loc.t("profile.axis.new_customers"))
    ax.set_title(loc.t("profile.chart.new_by_tier"))
    thousands_axis(ax, "y")
    return ax


def source_chart(table: pl.DataFrame, loc: Locale):
    """Two panels per traffic source: share of sessions, and visit-to-pay conversion."""
    use_theme()
    data = table.filter(pl.col("sessions") > 0).sort("sessions", descending=True)
    labels = [group_name("source", v, loc) for v in data["source"].to_list()]
    fig, (left, right) = figure("wide", height=max(2.6, 0.35 * len(labels) + 1.2), ncols=2)
    left.barh(labels[::-1], data["share"].to_list()[::-1], color=MAIN)
    left.set_xlabel(loc.t("profile.axis.share_sessions"))
    pct_axis(left, "x")
    right.barh(labels[::-1], data["visit_to_pay"].fill_null(0).to_list()[::-1], color=ACCENT)
    right.set_xlabel(loc.t("profile.axis.visit_to_pay"))
    right.set_yticklabels([])
    pct_axis(right, "x", digits=1)
    fig.suptitle(loc.t("profile.chart.source"), fontweight="bold")
    return fig


def duration_histogram(histogram: pl.DataFrame, loc: Locale, ax=None):
    """Share of sessions per duration bin (minutes); the last bin is open-ended."""
    use_theme()
    labels = [f"{a:g}-{b:g}" if b is not None else f"{a:g}+" for a, b in
              zip(histogram["bin_start_min"].to_list(), histogram["bin_end_min"].to_list(), strict=True)]
    ax = axes(ax, "half", height=3.2)
    ax.bar(labels, histogram["share"].fill_null(0).to_list(), color=MAIN)
    ax.set_xlabel(loc.t("profile.axis.minutes"))
    ax.set_ylabel(loc.t("profile.axis.share_sessions"))
    ax.tick_params(axis="x", rotation=45)
    ax.set_title(loc.t("profile.chart.duration"))
    pct_axis(ax, "y")
    return ax


def visit_heatmap_chart(heatmap: pl.DataFrame, peaks: pl.DataFrame | None, loc: Locale, ax=None):
    """Visits per weekday (rows) x hour (columns), per date of the weekday when the table has
    ``visits_per_day`` (:func:`kit.metrics.profile.visit_heatmap`), sequential colours; peak
    hours' tick labels in the accent colour."""
    use_theme()
    values = "visits_per_day" if "visits_per_day" in heatmap.columns else "visits"
    grid = heatmap.pivot(on="hour", index="weekday", values=values, sort_columns=True).sort("weekday")
    matrix = grid.drop("weekday").to_numpy()
    ax = axes(ax, "wide", height=3.4)
    sns.heatmap(matrix, cmap=SEQUENTIAL, ax=ax, cbar=True, linewidths=0.3,
                xticklabels=[c for c in grid.columns if c != "weekday"],
                yticklabels=[group_name("weekday", d, loc) for d in grid["weekday"].to_list()])
    peak_hours = set(peaks["hour"].to_list()) if peaks is not None else set()
    for tick in ax.get_xticklabels():
        if tick.get_text().isdigit() and int(tick.get_text()) in peak_hours:
            tick.set_color(ACCENT)
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", rotation=0)
    ax.set_xlabel(loc.t("profile.axis.hour"))
    ax.set_ylabel("")
    ax.set_title(loc.t("profile.chart.heatmap"))
    return ax


def order_value_histogram(distribution: pl.DataFrame, loc: Locale, ax=None):
    """Share of paid orders per order-value bin (bar at the bin start, bin width wide);
    the last bin collects the orders above the 99th-percentile range."""
    use_theme()
    ax = axes(ax, "half", height=3.2)
    if distribution.height:
        starts = distribution["bin_start"].to_list()
        closed = distribution.filter(pl.col("bin_end").is_not_null())
        # every bin has the same width; a lone open-ended bin gets an arbitrary one
        width = (closed["bin_end"][0] - closed["bin_start"][0]) if closed.height else max(starts[0], 1.0)
        ax.bar(starts, distribution["share"].to_list(), width=width * 0.95, align="edge", color=MAIN)
    ax.set_xlabel(loc.t("profile.axis.order_value"))
    ax.set_ylabel(loc.t("profile.axis.share_orders"))
    ax.set_title(loc.t("profile.chart.order_value"))
    thousands_axis(ax, "x", prefix=loc.currency)
    pct_axis(ax, "y")
    return ax


def orders_per_customer_bars(table: pl.DataFrame, loc: Locale, ax=None):
    """Share of active customers by number of paid orders in the period (1 ... 5+), with the
    comparison period beside when there is one."""
    return share_bars(table, loc, title="profile.chart.orders_per_customer", axis="profile.axis.share_customers",
                      top=table.height, ax=ax)


def aov_category_bars(table: pl.DataFrame, loc: Locale, top: int = 15, ax=None):
    """Spend per order by category (category GMV / orders containing it), highest on top."""
    use_theme()
    data = table.filter(pl.col("aov").is_not_null()).sort("aov", descending=True).head(top)
    labels = [group_name("category", v, loc) for v in data["category"].to_list()]
    ax = axes(ax, "wide", height=max(2.4, 0.35 * len(labels) + 1))
    ax.barh(labels[::-1], data["aov"].to_list()[::-1], color=MAIN)
    ax.set_xlabel(loc.t("profile.axis.aov"))
    ax.set_title(loc.t("profile.chart.aov_category"))
    thousands_axis(ax, "x", prefix=loc.currency)
    return ax


def category_bars(table: pl.DataFrame, loc: Locale, top: int = 15, ax=None):
    """Per category, side by side: share of GMV and share of buyers (largest GMV on top)."""
    use_theme()
    data = table.filter(pl.col("gmv") > 0).sort("gmv", descending=True).head(top)
    labels = [group_name("category", v, loc) for v in data["category"].to_list()]
    long = pl.DataFrame({
        "category": labels * 2,
        "share": data["gmv_share"].to_list() + data["buyer_share"].to_list(),
        "measure": [loc.t("profile.legend.gmv_share")] * len(labels) + [loc.t("profile.legend.buyer_share")] * len(labels),
    })
    ax = axes(ax, "wide", height=max(2.6, 0.4 * len(labels) + 1.2))
    sns.barplot(long.to_pandas(), y="category", x="share", hue="measure", palette=[MAIN, ACCENT], ax=ax)
    ax.set_ylabel("")
    ax.set_xlabel(loc.t("profile.axis.share"))
    ax.set_title(loc.t("profile.chart.category"))
    pct_axis(ax, "x")
    ax.legend(title="")
    return ax


def preference_heatmap(table: pl.DataFrame, by: str, loc: Locale, ax=None):
    """Preference index per group (rows) x category (columns), diverging colours centred
    on 100 (= the group buys the category like everyone); cells annotated with the index."""
    use_theme()
    groups = list(dict.fromkeys(table[by].to_list()))
    grid = table.pivot(on="category", index=by, values="index", sort_columns=True)
    grid = grid.join(pl.DataFrame({by: groups, "_o": list(range(len(groups)))}), on=by).sort("_o").drop("_o")
    categories = [c for c in grid.columns if c != by]
    matrix = grid.select(categories).to_numpy().astype(float)
    ax = axes(ax, "wide", height=max(2.8, 0.4 * len(groups) + 1.5))
    spread = np.nanmax(np.abs(matrix - 100)) if np.isfinite(matrix).any() else 50
    sns.heatmap(matrix, cmap=DIVERGING, center=100, vmin=100 - spread, vmax=100 + spread, annot=True, fmt=".0f",
                ax=ax, linewidths=0.3, xticklabels=[group_name("category", c, loc) for c in categories],
                yticklabels=[group_name(by, g, loc) for g in grid[by].to_list()])
    ax.tick_params(axis="y", rotation=0)  # seaborn turns labels it finds overlapping on their side
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(loc.t("profile.chart.preference"))
    return ax
