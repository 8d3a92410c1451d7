"""Who counts as an active, new or returning customer: one definition for every section."""

from __future__ import annotations

import polars as pl

from kit.contract import paid
from kit.metrics.common import in_period
from kit.periods import Period


def first_purchases(orders: pl.LazyFrame) -> pl.LazyFrame:
    """Each customer's first paid order ever: ``customer_id, first_order_time, first_order_id``.

    Ties on the same instant are broken by the smaller order_id so the result is stable.
    """
    return (
        paid(orders)
        .sort(["customer_id", "order_time", "order_id"])
        .group_by("customer_id")
        .agg(pl.col("order_time").first().alias("first_order_time"), pl.col("order_id").first().alias("first_order_id"))
    )


def active_customers(orders: pl.LazyFrame, period: Period) -> pl.LazyFrame:
    """Customers with at least one paid order in the period: ``customer_id``."""
    return paid(orders).filter(in_period("order_time", period)).select("customer_id").unique()


def new_customers(orders: pl.LazyFrame, period: Period) -> pl.LazyFrame:
    """Customers whose first paid order ever falls in the period: ``customer_id, first_order_time``.

    "Ever" means in all the history the data holds, so a shop whose data starts inside
    the period counts every customer as new: the loader warns when history is that short.
    """
    return first_purchases(orders).filter(in_period("first_order_time", period)).select(
        "customer_id", "first_order_time"
    )
