"""Who a finding's action targets: the customers behind a problem, one row per customer.

Each function returns a LazyFrame of ``customer_id`` plus the values that put the customer
on the list (the action lists ``actions/<finding-id>.csv`` beside a report are made from
these). Only known customers are listed: anonymous visitors (no customer id, or a visitor
id ``v:...`` that never logged in) cannot be reached.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from kit.contract import paid
from kit.metrics.common import in_period
from kit.metrics.customers import first_purchases
from kit.metrics.sessions import FIRST
from kit.periods import Period


def _known(user: pl.Expr) -> pl.Expr:
    return user.is_not_null() & ~user.str.starts_with("v:")


def failed_at_step(sessions: pl.LazyFrame, start: datetime, end: datetime, step: str, before: str,
                   where: dict[str, str]) -> pl.LazyFrame:
    """The customers whose sessions starting in [``start``, ``end``) reached ``before`` (the
    step before) but never ``step``, on the place ``where`` (device or source of the session):
    ``customer_id, sessions, failed_value`` (their carts' value), ``first_failure``."""
    rows = sessions.filter((pl.col("start") >= start) & (pl.col("start") < end)
                           & pl.col(FIRST + before).is_not_null() & pl.col(FIRST + step).is_null()
                           & _known(pl.col("user_id")))
    for column, value in where.items():
        if column in ("device", "source"):
            rows = rows.filter(pl.col(column) == value)
    return (rows.group_by(pl.col("user_id").alias("customer_id"))
            .agg(pl.len().alias("sessions"), pl.col("cart_value").sum().alias("failed_value"),
                 pl.col("start").min().alias("first_failure")))


def abandoned_carts(carts: pl.LazyFrame, period_label: str) -> pl.LazyFrame:
    """The customers with carts of the period that were not paid within the window:
    ``customer_id, carts, abandoned_value, last_cart``."""
    return (carts.filter((pl.col("period") == period_label) & pl.col("abandoned") & _known(pl.col("user_id")))
            .group_by(pl.col("user_id").alias("customer_id"))
            .agg(pl.len().alias("carts"), pl.col("value").sum().alias("abandoned_value"),
                 pl.col("cart_time").max().alias("last_cart")))


def not_returned(orders: pl.LazyFrame, customers: pl.LazyFrame | None, period: Period, days: int = 90,
                 column: str | None = None, group: str | None = None) -> pl.LazyFrame:
    """First-time buyers who have not bought again: those whose first paid order falls between
    ``days`` before the period and its end (the 90-day cohort and the period's new buyers), with
    no later paid order in the data; of the ``column`` = ``group`` (e.g. an acquisition channel,
    from the customers table, else the first order's) when given.
    ``customer_id, first_order_time, first_amount``."""
    lo = period.start_dt - timedelta(days=days)
    firsts = first_purchases(orders).filter((pl.col("first_order_time") >= lo)
                                            & (pl.col("first_order_time") < period.end_dt))
    once = paid(orders).group_by("customer_id").agg(pl.len().alias("_orders"), pl.col("amount").first())
    rows = firsts.join(once.filter(pl.col("_orders") == 1), on="customer_id", how="inner")
    if column is not None:
        if customers is not None and column in customers.collect_schema().names():
            attribute = customers.select("customer_id", pl.col(column).cast(pl.String))
        else:
            attribute = (paid(orders).sort("order_time").group_by("customer_id")
                         .agg(pl.col(column).first().cast(pl.String)))
        rows = rows.join(attribute, on="customer_id", how="left").filter(pl.col(column) == group)
    return rows.select("customer_id", "first_order_time", pl.col("amount").alias("first_amount"))


def lapsed(orders: pl.LazyFrame, customers: pl.LazyFrame | None, period: Period, before: Period,
           column: str, group: str) -> pl.LazyFrame:
    """The place's customers (``column`` = ``group``) who bought in ``before`` and not in the
    period: ``customer_id, orders_before, value_before, last_order_time``."""
    earlier = paid(orders).filter(in_period("order_time", before))
    if customers is not None and column in customers.collect_schema().names():
        place = customers.select("customer_id", pl.col(column).cast(pl.String))
        earlier = earlier.join(place.filter(pl.col(column) == group), on="customer_id", how="semi")
    else:
        earlier = earlier.filter(pl.col(column).cast(pl.String) == group)
    now = paid(orders).filter(in_period("order_time", period)).select("customer_id").unique()
    return (earlier.join(now, on="customer_id", how="anti").group_by("customer_id")
            .agg(pl.len().alias("orders_before"), pl.col("amount").sum().alias("value_before"),
                 pl.col("order_time").max().alias("last_order_time")))


def segment_leavers(now: pl.DataFrame, before: pl.DataFrame, watched: frozenset, where: dict[str, str],
                    attribute: pl.DataFrame | None = None) -> pl.LazyFrame:
    """Customers in a ``watched`` segment at the comparison end who are not in it at the period
    end (``now`` / ``before``: segmented customers), of the place ``where`` (through
    ``attribute``, customer_id -> the place's column) when given:
    ``customer_id, segment_before, segment_now, monetary``."""
    was = before.lazy().filter(pl.col("segment").is_in(sorted(watched))).select(
        "customer_id", pl.col("segment").alias("segment_before"))
    rows = was.join(now.lazy().select("customer_id", pl.col("segment").alias("segment_now"), "monetary"),
                    on="customer_id", how="left").filter(~pl.col("segment_now").is_in(sorted(watched))
                                                          | pl.col("segment_now").is_null())
    return _in_place(rows, where, attribute)


def segment_joiners(now: pl.DataFrame, before: pl.DataFrame | None, watched: frozenset, where: dict[str, str],
                    attribute: pl.DataFrame | None = None) -> pl.LazyFrame:
    """Customers in a ``watched`` segment at the period end who were not in it at the comparison
    end: ``customer_id, segment_now, recency, monetary``."""
    rows = now.lazy().filter(pl.col("segment").is_in(sorted(watched))).select(
        "customer_id", pl.col("segment").alias("segment_now"), "recency", "monetary")
    if before is not None:
        was = before.lazy().filter(pl.col("segment").is_in(sorted(watched))).select("customer_id")
        rows = rows.join(was, on="customer_id", how="anti")
    return _in_place(rows, where, attribute)


def top_customers(segmented: pl.DataFrame, top: float = 0.2, column: str = "period_monetary") -> pl.LazyFrame:
    """The period's top ``top`` share of buyers by their paid amount in the period:
    ``customer_id, period_monetary, frequency``."""
    buyers = segmented.lazy().filter(pl.col(column) > 0)
    n = buyers.select(pl.len()).collect().item()
    keep = max(1, int(round(n * top))) if n else 0
    return buyers.sort(column, descending=True).head(keep).select("customer_id", column, "frequency")


def _in_place(rows: pl.LazyFrame, where: dict[str, str], attribute: pl.DataFrame | None) -> pl.LazyFrame:
    places = {k: v for k, v in where.items() if k != "segment"}
    if not places or attribute is None:
        return rows
    (column, value), = places.items()
    return rows.join(attribute.lazy().filter(pl.col(column) == value).select("customer_id"),
                     on="customer_id", how="semi")
