"""The goods (货) of the shop: sales x margin, Pareto / ABC, 动销率, returns vs rating.

One figure, one definition: the diagnosis' rules read these tables as the report shows them
(``product.quality`` reads :func:`item_quality`, the margin rule :func:`sales_margin`, the
catalogue rule :func:`assortment`). Items are categories (``by="category"``) or products
(``by="product_id"``). Every figure is over the lines of the paid orders placed in the period
(:func:`kit.contract.paid_lines`), beside the comparison period.

Line value = quantity x unit_price (quantity 1 when absent); line cost = quantity x unit_cost.
"""

from __future__ import annotations

import polars as pl

from kit.contract import lines_with_orders, paid_lines
from kit.metrics.common import compare, in_period, safe_div
from kit.periods import Period

QUADRANTS: tuple[str, ...] = ("star", "traffic", "profit", "improve")
"""The sales x margin quadrants: ``star`` 明星款 (high sales, high margin), ``traffic`` 引流款
(high sales, low margin: seed 002's 爆款引流款), ``profit`` 利润款 (low sales, high margin: its
利润贡献款), ``improve`` 待优化款 (low sales, low margin)."""

ABC_A, ABC_B = 0.80, 0.95
"""ABC classes by cumulative GMV share: A up to 80% of GMV, B up to 95%, C the long tail."""


def _quantity(names: list[str]) -> pl.Expr:
    return pl.col("quantity").fill_null(1) if "quantity" in names else pl.lit(1)


def line_value(names: list[str]) -> pl.Expr:
    """quantity x unit_price of a line."""
    return _quantity(names) * pl.col("unit_price")


def _period_lines(orders: pl.LazyFrame, items: pl.LazyFrame, p: Period) -> pl.LazyFrame:
    return paid_lines(items, orders).filter(in_period("order_time", p))


# ---------------------------------------------------------------- returns vs rating


def item_quality(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period, comparison: Period | None,
                 by: str = "category") -> pl.DataFrame:
    """Per item (``by``: category or product_id), over the lines of the paid orders placed in the period:

    - ``lines``: order lines; ``gmv`` = sum(quantity x unit_price);
    - ``return_rate`` = returned lines / lines (null when the data has no ``returned``);
    - ``returned_value`` = sum(quantity x unit_price) of returned lines;
    - ``rating`` = mean rating of the rated lines (null when none is rated);

    each beside the comparison period (``x_prev``, ``x_change``, ``x_change_rel``), then the
    shop's norm and the excess (period only):

    - ``others_return_rate`` = returned lines / lines of all the other items (the shop's norm);
    - ``gmv_at_risk`` = gmv x max(0, return_rate - others_return_rate): the value of the returns
      above the norm (the diagnosis' money at stake of a quality problem).

    Refunded orders are not paid orders, so a return that was refunded in full is not
    counted here; ``returned`` marks the lines returned from orders that stayed paid.
    """
    names = items.collect_schema().names()
    value = line_value(names)
    returned = pl.col("returned").fill_null(False) if "returned" in names else pl.lit(None, pl.Boolean)
    rating = pl.col("rating") if "rating" in names else pl.lit(None, pl.Float64)

    def per_item(p: Period) -> pl.LazyFrame:
        return _period_lines(orders, items, p).group_by(by).agg(
            pl.len().cast(pl.Float64).alias("lines"),
            value.sum().alias("gmv"),
            safe_div(returned.cast(pl.Float64).sum(), pl.len().cast(pl.Float64)).alias("return_rate"),
            (value * returned.cast(pl.Float64)).sum().alias("returned_value"),
            rating.mean().cast(pl.Float64).alias("rating"),
        )

    out = compare(per_item, period, comparison, on=[by],
                  values=["lines", "gmv", "return_rate", "returned_value", "rating"])
    out = out.filter(pl.col("lines").is_not_null())
    returned_lines = (pl.col("lines") * pl.col("return_rate")).fill_null(0.0)
    others = safe_div(returned_lines.sum() - returned_lines, pl.col("lines").sum() - pl.col("lines"))
    out = out.with_columns(others.alias("others_return_rate"))
    excess = (pl.col("return_rate") - pl.col("others_return_rate")).clip(lower_bound=0.0)
    return out.with_columns((pl.col("gmv") * excess).alias("gmv_at_risk")).sort("gmv", descending=True)


def category_quality(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period,
                     comparison: Period | None) -> pl.DataFrame:
    """:func:`item_quality` per category (the diagnosis rule "a category with a high return
    rate and a low rating" reads it)."""
    return item_quality(orders, items, period, comparison, by="category")


def flagged_quality(quality: pl.DataFrame, min_lines: int, return_rate_high: float, rating_low: float) -> pl.DataFrame:
    """The items of :func:`item_quality` with at least ``min_lines`` lines whose return rate is
    at or above ``return_rate_high`` while their mean rating is at or below ``rating_low``,
    the largest value at risk first."""
    return quality.filter(
        (pl.col("lines") >= min_lines) & (pl.col("return_rate") >= return_rate_high - 1e-12)
        & (pl.col("rating") <= rating_low + 1e-12)
    ).sort("gmv_at_risk", descending=True)


# ---------------------------------------------------------------- sales x margin


def sales_margin(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period, comparison: Period | None,
                 by: str = "category") -> pl.DataFrame:
    """Per item (``by``), beside the comparison period:

    - ``lines``: order lines (the bubble's size); ``gmv`` = sum(quantity x unit_price);
    - ``gmv_share`` = gmv / the period's GMV of all items;
    - ``margin_rate`` = (sum of value - sum of cost) / sum of value, over the lines that
      have a ``unit_cost`` (gross-margin rate, 毛利率); null without ``unit_cost``;
    - ``gross_profit`` = margin_rate x gmv.
    """
    names = items.collect_schema().names()
    value = line_value(names)
    has_cost = "unit_cost" in names
    costed = pl.col("unit_cost").is_not_null() if has_cost else pl.lit(False)
    cost = _quantity(names) * pl.col("unit_cost") if has_cost else pl.lit(None, pl.Float64)

    def per_item(p: Period) -> pl.LazyFrame:
        grouped = _period_lines(orders, items, p).group_by(by).agg(
            pl.len().cast(pl.Float64).alias("lines"),
            value.sum().cast(pl.Float64).alias("gmv"),
            value.filter(costed).sum().cast(pl.Float64).alias("_costed_value"),
            cost.filter(costed).sum().cast(pl.Float64).alias("_cost"),
        )
        margin = safe_div(pl.col("_costed_value") - pl.col("_cost"), pl.col("_costed_value"))
        return grouped.with_columns(
            safe_div(pl.col("gmv"), pl.col("gmv").sum()).alias("gmv_share"),
            (margin if has_cost else pl.lit(None, pl.Float64)).alias("margin_rate"),
        ).with_columns((pl.col("margin_rate") * pl.col("gmv")).alias("gross_profit")).drop("_costed_value", "_cost")

    out = compare(per_item, period, comparison, on=[by],
                  values=["lines", "gmv", "gmv_share", "margin_rate", "gross_profit"])
    return out.filter(pl.col("lines").is_not_null()).sort("gmv", descending=True)


def top_items(table: pl.DataFrame, n: int) -> pl.DataFrame:
    """The ``n`` items of the period with the largest GMV (ties by name, so runs agree)."""
    by = table.columns[0]
    return table.sort(["gmv", by], descending=[True, False], nulls_last=True).head(n)


def quadrants(table: pl.DataFrame, sales_split: float | None = None,
              margin_split: float | None = None) -> pl.DataFrame:
    """:func:`sales_margin` with each item's quadrant in the period (``quadrant``) and in the
    comparison period (``quadrant_prev``): high sales when gmv_share >= the split, high margin
    when margin_rate >= the split. The splits are the given thresholds, else each period's
    median over the items of the table (``sales_split``, ``margin_split`` and their ``_prev``
    columns say which values were used). Items without a margin get no quadrant."""
    def split(column: str, fixed: float | None) -> float | None:
        values = table[column].drop_nulls()
        return fixed if fixed is not None else (float(values.median()) if values.len() else None)

    def quadrant(share: str, margin: str, s: float | None, m: float | None) -> pl.Expr:
        if s is None or m is None:
            return pl.lit(None, pl.String)
        high_s, high_m = pl.col(share) >= s, pl.col(margin) >= m
        return (pl.when(pl.col(share).is_null() | pl.col(margin).is_null()).then(None)
                .when(high_s & high_m).then(pl.lit("star")).when(high_s).then(pl.lit("traffic"))
                .when(high_m).then(pl.lit("profit")).otherwise(pl.lit("improve")))

    s, m = split("gmv_share", sales_split), split("margin_rate", margin_split)
    s_prev, m_prev = split("gmv_share_prev", sales_split), split("margin_rate_prev", margin_split)
    return table.with_columns(
        quadrant("gmv_share", "margin_rate", s, m).alias("quadrant"),
        quadrant("gmv_share_prev", "margin_rate_prev", s_prev, m_prev).alias("quadrant_prev"),
        pl.lit(s, pl.Float64).alias("sales_split"), pl.lit(m, pl.Float64).alias("margin_split"),
        pl.lit(s_prev, pl.Float64).alias("sales_split_prev"), pl.lit(m_prev, pl.Float64).alias("margin_split_prev"),
    )


def quadrant_summary(table: pl.DataFrame) -> pl.DataFrame:
    """Per quadrant (all four, in :data:`QUADRANTS` order): ``items`` and ``gmv_share`` (the
    sum of its items' shares) in the period, ``items_prev`` and ``gmv_share_prev`` in the
    comparison period, from :func:`quadrants`."""
    base = pl.DataFrame({"quadrant": list(QUADRANTS)})
    now = table.group_by("quadrant").agg(pl.len().cast(pl.Float64).alias("items"),
                                         pl.col("gmv_share").sum().alias("gmv_share"))
    before = table.group_by("quadrant_prev").agg(pl.len().cast(pl.Float64).alias("items_prev"),
                                                 pl.col("gmv_share_prev").sum().alias("gmv_share_prev"))
    out = base.join(now, on="quadrant", how="left").join(before, left_on="quadrant", right_on="quadrant_prev",
                                                          how="left")
    return out.with_columns(pl.col("items", "items_prev").fill_null(0.0),
                            pl.col("gmv_share", "gmv_share_prev").fill_null(0.0))


def quadrant_moves(table: pl.DataFrame) -> pl.DataFrame:
    """The items of :func:`quadrants` whose quadrant changed since the comparison period
    (both known), the largest GMV first."""
    return table.filter(pl.col("quadrant").is_not_null() & pl.col("quadrant_prev").is_not_null()
                        & (pl.col("quadrant") != pl.col("quadrant_prev"))).sort("gmv", descending=True)


# ---------------------------------------------------------------- Pareto / ABC and 动销率


def product_gmv(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period) -> pl.DataFrame:
    """Per product sold in the period: ``gmv``, then ranked by GMV (largest first, ties by id)
    with ``cum_share`` = cumulative GMV share and ``abc`` = A while the GMV before it is under
    :data:`ABC_A` of the total, B under :data:`ABC_B`, else C (the product that crosses a line
    belongs to the class below it, so A always reaches 80%)."""
    names = items.collect_schema().names()
    per = (_period_lines(orders, items, period).group_by("product_id")
           .agg(line_value(names).sum().cast(pl.Float64).alias("gmv"))
           .sort(["gmv", "product_id"], descending=[True, False]))
    total = pl.col("gmv").sum()
    before = (pl.col("gmv").cum_sum() - pl.col("gmv")) / total
    return per.with_columns((pl.col("gmv").cum_sum() / total).alias("cum_share"),
                            pl.when(before < ABC_A - 1e-12).then(pl.lit("A"))
                            .when(before < ABC_B - 1e-12).then(pl.lit("B")).otherwise(pl.lit("C")).alias("abc"),
                            ).collect()


def catalogue_size(items: pl.LazyFrame, orders: pl.LazyFrame, until: Period) -> int:
    """The catalogue: distinct products seen on any order line (any status) placed up to the
    end of ``until`` (the data's history as of that period)."""
    lines = lines_with_orders(items, orders).filter(pl.col("order_time") < pl.lit(until.end_dt))
    return int(lines.select(pl.col("product_id").n_unique()).collect().item())


def assortment(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period, comparison: Period | None) -> pl.DataFrame:
    """One row, beside the comparison period (:func:`product_gmv` for each):

    - ``gmv``: the period's GMV of the lines; ``products_sold``: products with a paid line in the period; ``catalogue``: :func:`catalogue_size`;
    - ``sell_through`` (动销率) = products_sold / catalogue;
    - ``top_share_80`` = products needed to reach 80% of GMV / products_sold (the A class);
    - ``a_count``, ``b_count``, ``c_count``: products per ABC class;
    - ``long_tail_share``: GMV share of the C class.
    """
    def one(p: Period) -> dict:
        g = product_gmv(orders, items, p)
        sold, catalogue = g.height, catalogue_size(items, orders, p)
        counts = {k: float((g["abc"] == k).sum()) for k in "ABC"}
        total = g["gmv"].sum()
        return {"gmv": float(total), "products_sold": float(sold), "catalogue": float(catalogue),
                "sell_through": sold / catalogue if catalogue else None,
                "top_share_80": counts["A"] / sold if sold else None,
                "a_count": counts["A"], "b_count": counts["B"], "c_count": counts["C"],
                "long_tail_share": float(g.filter(pl.col("abc") == "C")["gmv"].sum() / total) if total else None}

    values = ["gmv", "products_sold", "catalogue", "sell_through", "top_share_80", "a_count", "b_count", "c_count",
              "long_tail_share"]
    return compare(lambda p: pl.LazyFrame([one(p)], schema={v: pl.Float64 for v in values}),
                   period, comparison, values=values)


def pareto_curve(gmv: pl.DataFrame, points: int = 200) -> pl.DataFrame:
    """The Pareto curve of :func:`product_gmv`: ``product_share`` (the top k products / all
    sold) against ``cum_share``, at most ``points`` points (plus the origin)."""
    n = gmv.height
    if not n:
        return pl.DataFrame({"product_share": [0.0], "cum_share": [0.0]})
    step = max(1, n // points)
    curve = gmv.with_row_index("k", offset=1).filter(((pl.col("k") % step) == 0) | (pl.col("k") == n))
    curve = curve.select((pl.col("k") / n).alias("product_share"), "cum_share")
    return pl.concat([pl.DataFrame({"product_share": [0.0], "cum_share": [0.0]}), curve])
