"""Do first-time buyers come back? N-day repurchase of first-time buyers, overall or per
group (acquisition channel, first order's channel or device ...).

Definition: a first-time buyer *repurchases within N days* when they place another paid
order at most N days after the first one (``0 < t2 - t1 <= N`` days; a second paid order at
the same instant counts).

Which buyers a period reports on: those whose N-day window *closes* in the period, i.e.
whose first paid order falls in the period shifted back by N days
(``[start - N days, end - N days]``). The buyers of the period itself cannot be followed
for 90 days by the period's end, so this is the most recent cohort the period can judge;
the comparison period is shifted the same way. Buyers whose window runs past the last
order in the data are left out (``buyers_<N>`` counts only observable buyers).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from kit.metrics.common import compare, in_period, safe_div
from kit.metrics.customers import first_purchases
from kit.periods import Period

WINDOWS: tuple[int, ...] = (30, 60, 90)


def _group_column(orders: pl.LazyFrame, customers: pl.LazyFrame | None, by: str) -> pl.LazyFrame:
    """``customer_id, group``: the customers table's column when it has it, else the column of
    the customer's first paid order."""
    if customers is not None and by in customers.collect_schema().names():
        return customers.select("customer_id", pl.col(by).cast(pl.String).alias("group"))
    first = first_purchases(orders).select("customer_id", pl.col("first_order_id").alias("order_id"))
    return first.join(orders.select("order_id", pl.col(by).cast(pl.String).alias("group")), on="order_id").drop("order_id")


def first_purchase_repurchase(orders: pl.LazyFrame, period: Period, comparison: Period | None = None,
                              customers: pl.LazyFrame | None = None, by: str | None = None,
                              windows: Sequence[int] = WINDOWS, groups: pl.LazyFrame | None = None) -> pl.DataFrame:
    """N-day repurchase of first-time buyers, beside the comparison period (module doc).

    Groups: ``by`` (a column, see :func:`_group_column`) or ``groups`` (``customer_id, group``).
    Per group (or one row): ``buyers`` (first paid order in the period itself), and for
    each N in ``windows``: ``buyers_<N>`` (first order in the period shifted back N days,
    observable), ``repurchased_<N>`` and ``rate_<N>`` = repurchased_<N> / buyers_<N>; each
    with ``_prev``, ``_change``, ``_change_rel``.
    """
    data_end = orders.select(pl.col("order_time").max().alias("data_end"))
    base = first_purchases(orders).join(data_end, how="cross")
    keys = ["group"] if by or groups is not None else []
    if keys:
        group_of = groups if groups is not None else _group_column(orders, customers, by)
        base = base.join(group_of, on="customer_id", how="left").with_columns(pl.col("group").fill_null("unknown"))

    def per_period(p: Period) -> pl.LazyFrame:
        aggs = [in_period("first_order_time", p).sum().cast(pl.Float64).alias("buyers")]
        for n in windows:
            window = pl.duration(days=n)
            cohort = (pl.col("first_order_time") >= pl.lit(p.start_dt) - window) & (
                pl.col("first_order_time") < pl.lit(p.end_dt) - window)
            observable = cohort & (pl.col("data_end") - pl.col("first_order_time") >= window)
            back = pl.col("next_order_time").is_not_null() & (pl.col("next_order_time") - pl.col("first_order_time") <= window)
            aggs += [observable.sum().cast(pl.Float64).alias(f"buyers_{n}"),
                     (observable & back).sum().cast(pl.Float64).alias(f"repurchased_{n}")]
        grouped = base.group_by(keys).agg(aggs) if keys else base.select(aggs)
        return grouped.with_columns([safe_div(pl.col(f"repurchased_{n}"), pl.col(f"buyers_{n}")).alias(f"rate_{n}")
                                     for n in windows])

    values = ["buyers"] + [f"{k}_{n}" for n in windows for k in ("buyers", "repurchased", "rate")]
    out = compare(per_period, period, comparison, on=keys, values=values)
    return out.sort("buyers", descending=True, nulls_last=True) if keys else out
