"""Product quality per category: how often it comes back and how buyers rate it.

Used by the diagnosis rule "a category with a high return rate and a low rating".
"""

from __future__ import annotations

import polars as pl

from kit.contract import paid_lines
from kit.metrics.common import compare, in_period, safe_div
from kit.periods import Period


def category_quality(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period,
                     comparison: Period | None) -> pl.DataFrame:
    """Per category, over the lines of the paid orders placed in the period:

    - ``lines``: order lines; ``gmv`` = sum(quantity x unit_price);
    - ``return_rate`` = returned lines / lines (null when the data has no ``returned``);
    - ``returned_value`` = sum(quantity x unit_price) of returned lines;
    - ``rating`` = mean rating of the rated lines (null when none is rated);

    each beside the comparison period (``x_prev``, ``x_change``, ``x_change_rel``).
    Refunded orders are not paid orders, so a return that was refunded in full is not
    counted here; ``returned`` marks the lines returned from orders that stayed paid.
    """
    names = items.collect_schema().names()
    qty = pl.col("quantity").fill_null(1) if "quantity" in names else pl.lit(1)
    value = qty * pl.col("unit_price")
    returned = pl.col("returned").fill_null(False) if "returned" in names else pl.lit(None, pl.Boolean)
    rating = pl.col("rating") if "rating" in names else pl.lit(None, pl.Float64)

    def per_category(p: Period) -> pl.LazyFrame:
        lines = paid_lines(items, orders).filter(in_period("order_time", p))
        return lines.group_by("category").agg(
            pl.len().cast(pl.Float64).alias("lines"),
            value.sum().alias("gmv"),
            safe_div(returned.cast(pl.Float64).sum(), pl.len().cast(pl.Float64)).alias("return_rate"),
            (value * returned.cast(pl.Float64)).sum().alias("returned_value"),
            rating.mean().cast(pl.Float64).alias("rating"),
        )

    out = compare(per_category, period, comparison, on=["category"],
                  values=["lines", "gmv", "return_rate", "returned_value", "rating"])
    return out.filter(pl.col("lines").is_not_null()).sort("gmv", descending=True)
