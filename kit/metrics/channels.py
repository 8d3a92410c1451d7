"""What each marketing channel costs and brings: spend, new customers, GMV, ROI.

Used by the diagnosis rule "a channel whose conversion or ROI falls" when the data has
marketing spend. Channels are matched by name: ``marketing_spend.channel`` =
``orders.channel`` = ``customers.acquisition_channel``.
"""

from __future__ import annotations

import polars as pl

from kit.contract import paid
from kit.metrics.common import compare, in_period, safe_div
from kit.metrics.customers import new_customers
from kit.periods import Period


def channel_roi(orders: pl.LazyFrame, spend: pl.LazyFrame, period: Period, comparison: Period | None,
                customers: pl.LazyFrame | None = None) -> pl.DataFrame:
    """Per channel that has spend in the period or the comparison period:

    - ``spend`` = sum of marketing spend dated in the period;
    - ``gmv`` = sum of paid order amounts with ``orders.channel`` = the channel;
    - ``roi`` = gmv / spend (GMV returned per unit spent; null without spend);
    - ``new_customers`` = customers acquired by the channel (``customers.acquisition_channel``,
      or the channel of their first paid order when customers are absent) whose first
      paid order falls in the period;
    - ``cac`` = spend / new_customers (cost of acquiring one customer);

    each beside the comparison period.
    """
    has_acq = customers is not None and "acquisition_channel" in customers.collect_schema().names()

    def per_channel(p: Period) -> pl.LazyFrame:
        cost = (spend.filter((pl.col("date") >= p.start) & (pl.col("date") <= p.end))
                .group_by("channel").agg(pl.col("spend").sum()))
        gmv = (paid(orders).filter(in_period("order_time", p)).group_by("channel")
               .agg(pl.col("amount").sum().alias("gmv")))
        new = new_customers(orders, p)
        if has_acq:
            new = new.join(customers.select("customer_id", pl.col("acquisition_channel").alias("channel")),
                           on="customer_id", how="left")
        else:
            first = paid(orders).sort("order_time").group_by("customer_id").agg(pl.col("channel").first())
            new = new.join(first, on="customer_id", how="left")
        acquired = new.group_by("channel").agg(pl.len().cast(pl.Float64).alias("new_customers"))
        return (
            cost.join(gmv, on="channel", how="left").join(acquired, on="channel", how="left")
            .with_columns(pl.col("gmv", "new_customers").fill_null(0.0))
            .with_columns(safe_div(pl.col("gmv"), pl.col("spend")).alias("roi"),
                          safe_div(pl.col("spend"), pl.col("new_customers")).alias("cac"))
        )

    out = compare(per_channel, period, comparison, on=["channel"],
                  values=["spend", "gmv", "roi", "new_customers", "cac"])
    return out.sort("spend", descending=True, nulls_last=True)
