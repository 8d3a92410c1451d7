"""Who counts as an active, new or returning customer: one definition for every section."""

from __future__ import annotations

import polars as pl

from kit.contract import is_paid, paid
from kit.metrics.common import in_period
from kit.periods import Period

PREV, NEXT = "prev_paid_time", "next_paid_time"
"""Columns of :func:`with_paid_neighbours`: the time of the customer's previous / next paid order."""


def with_paid_neighbours(orders: pl.LazyFrame) -> pl.LazyFrame:
    """The orders with, on each paid order, ``prev_paid_time`` and ``next_paid_time``: the
    time of the same customer's previous and next paid order (null for their first and
    last, and on unpaid orders). Paid orders at the same instant follow in order_id order.

    It answers every "first order", "next order" and "gap between orders" question with a
    filter. A prepared run's orders carry these columns (one sort of the orders when the run
    is prepared, see :mod:`kit.run`); other orders are sorted here.
    """
    if {PREV, NEXT} <= set(orders.collect_schema().names()):
        return orders
    same_before = pl.col("customer_id") == pl.col("customer_id").shift(1)
    same_after = pl.col("customer_id") == pl.col("customer_id").shift(-1)
    in_sequence = paid(orders).sort("customer_id", "order_time", "order_id").with_columns(
        pl.when(same_before).then(pl.col("order_time").shift(1)).alias(PREV),
        pl.when(same_after).then(pl.col("order_time").shift(-1)).alias(NEXT),
    )
    none = pl.lit(None, dtype=orders.collect_schema()["order_time"])
    others = orders.filter(~is_paid().fill_null(False)).with_columns(none.alias(PREV), none.alias(NEXT))
    return pl.concat([in_sequence, others])


def first_purchases(orders: pl.LazyFrame) -> pl.LazyFrame:
    """Each customer's first paid order ever: ``customer_id, first_order_time, first_order_id``
    and ``next_order_time``, the time of their second paid order (null for one-time buyers;
    equal to the first when two orders share the first instant).

    Ties on the first instant go to the smaller order_id, so the result is stable.
    """
    return paid(with_paid_neighbours(orders)).filter(pl.col(PREV).is_null()).select(
        "customer_id", pl.col("order_time").alias("first_order_time"), pl.col("order_id").alias("first_order_id"),
        pl.col(NEXT).alias("next_order_time"),
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


def churn_by(orders: pl.LazyFrame, customers: pl.LazyFrame | None, by: str, period: Period,
             before: Period) -> pl.DataFrame:
    """Churn per group (e.g. region) from one period to the next.

    Per value of ``by`` (the customers table's column, else the column of the customer's
    last paid order in ``before``): ``was_active`` = customers with a paid order in
    ``before``; ``lost`` = those of them with no paid order in ``period``;
    ``churn_rate`` = lost / was_active; ``value_before`` = their paid amount in ``before``.
    """
    earlier = paid(orders).filter(in_period("order_time", before))
    if customers is not None and by in customers.collect_schema().names():
        groups = customers.select("customer_id", pl.col(by).cast(pl.String).fill_null("unknown").alias(by))
    else:
        groups = (earlier.sort("order_time").group_by("customer_id")
                  .agg(pl.col(by).last().cast(pl.String).fill_null("unknown")))
    was = earlier.group_by("customer_id").agg(pl.col("amount").sum().alias("value_before"))
    now = active_customers(orders, period).with_columns(pl.lit(True).alias("kept"))
    return (
        was.join(groups, on="customer_id", how="left").join(now, on="customer_id", how="left")
        .with_columns(pl.col(by).fill_null("unknown"), pl.col("kept").fill_null(False))
        .group_by(by)
        .agg(pl.len().alias("was_active"), (~pl.col("kept")).sum().alias("lost"), pl.col("value_before").sum())
        .with_columns((pl.col("lost") / pl.col("was_active")).alias("churn_rate"))
        .sort("was_active", descending=True)
        .collect()
    )


def gmv_by(orders: pl.LazyFrame, customers: pl.LazyFrame | None, by: str, period: Period,
           before: Period, comparison: Period | None = None) -> pl.DataFrame:
    """Each place's paid GMV and its share of the shop's, in ``period``, in ``before`` (a
    baseline window, e.g. the half-year before the comparison period) and in ``comparison``.

    Per value of ``by`` (the customers table's column, else the order's own): ``gmv``,
    ``share`` = gmv / the shop's GMV, ``rest_gmv`` = the shop's GMV - gmv (all in the period),
    ``gmv_before``, ``share_before`` (null when the baseline has no order), ``share_prev``
    (the comparison period's; null without one) and ``before_label`` (the baseline's dates).
    The diagnosis holds a shrinking place against its former share.
    """
    if customers is not None and by in customers.collect_schema().names():
        groups = customers.select("customer_id", pl.col(by).cast(pl.String).alias("_place"))
        rows = paid(orders).join(groups, on="customer_id", how="left")
    else:
        rows = paid(orders).with_columns(pl.col(by).cast(pl.String).alias("_place"))
    rows = rows.with_columns(pl.col("_place").fill_null("unknown"))

    def one(p: Period, name: str) -> pl.LazyFrame:
        return rows.filter(in_period("order_time", p)).group_by("_place").agg(pl.col("amount").sum().alias(name))

    out = one(period, "gmv").join(one(before, "gmv_before"), on="_place", how="full", coalesce=True)
    if comparison is not None:
        out = out.join(one(comparison, "gmv_prev"), on="_place", how="full", coalesce=True)
    else:
        out = out.with_columns(pl.lit(None, pl.Float64).alias("gmv_prev"))
    out = out.with_columns(pl.col("gmv").fill_null(0.0))
    total, total_before, total_prev = pl.col("gmv").sum(), pl.col("gmv_before").sum(), pl.col("gmv_prev").sum()
    return (
        out.with_columns(
            (pl.col("gmv") / total).alias("share"), (total - pl.col("gmv")).alias("rest_gmv"),
            pl.when(total_before > 0).then(pl.col("gmv_before").fill_null(0.0) / total_before).otherwise(None)
            .alias("share_before"),
            pl.when(total_prev > 0).then(pl.col("gmv_prev").fill_null(0.0) / total_prev).otherwise(None)
            .alias("share_prev"),
            pl.lit(f"{before.start.isoformat()} – {before.end.isoformat()}").alias("before_label"),
        )
        .rename({"_place": by})
        .sort("gmv", descending=True)
        .collect()
    )
