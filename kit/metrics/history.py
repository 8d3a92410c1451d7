"""Monthly series over the whole data: the history behind a finding of the diagnosis.

A finding compares the period with the comparison period (or a group with the rest of the
shop). Its history shows the same measure month by month, from the first month of the
data to the last whole month of the period, for the finding's group, for the rest of its
group pooled and for each other member (region, channel, category, device ...), so that a
reader sees since when it is so and whether the others share it.

Every series here is a ratio of two sums per ``month`` and ``group``: ``k`` over ``n``,
``value = k / n`` (null when n is 0), so that groups pool by adding their ``k`` and ``n``
(:func:`roles`). Months are calendar months (``month`` = their first day); only months
that end on or before ``through`` (the period's last day) are kept, so that a partial
month never reads as a fall and nothing after the period shows.

- :func:`monthly_churn`: ``n`` = customers with a paid order in the month before,
  ``k`` = those of them with no paid order in the month: the KPI churn
  (:mod:`kit.metrics.kpis`, :func:`kit.metrics.customers.churn_by`) from one month to the next;
- :func:`monthly_cohort_repurchase`: ``n`` = first-time buyers of the month (their first
  paid order ever), ``k`` = those who bought again within ``days`` days (the N-day
  repurchase of :mod:`kit.metrics.repurchase`); a cohort month shows once the window of its
  last buyer has closed by ``through``;
- :func:`repurchase_curves`: per group and horizon ``days``, ``n`` = first-time buyers since
  ``since`` observable for that many days by ``through``, ``k`` = those who bought again
  within them (the cohorts' repurchase curve);
- :func:`monthly_returns`: ``n`` = lines of paid orders, ``k`` = returned lines, per category
  (:func:`kit.metrics.products.category_quality`'s return rate);
- :func:`monthly_roi`: ``n`` = marketing spend, ``k`` = GMV of the channel's paid orders,
  per channel (:func:`kit.metrics.channels.channel_roi`'s ROI);
- :func:`monthly_step_conversion`: ``n`` = journeys that reached the step before, ``k`` =
  those that reached the step (:mod:`kit.metrics.funnel`), from the journeys' counts;
- :func:`monthly_cart_abandonment`: ``n`` = carts, ``k`` = abandoned carts (:mod:`kit.metrics.cart`);
- :func:`monthly_concentration`: ``n`` = the month's GMV, ``k`` = the GMV of its top 20% of
  buyers (:func:`kit.metrics.segments.revenue_concentration`, per month).

The event series (steps, carts) cover the events the run reads: the comparison period and
the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import polars as pl

from kit.contract import paid, paid_lines
from kit.metrics.common import UNKNOWN, safe_div
from kit.metrics.customers import first_purchases
from kit.metrics.funnel import AT

SCHEMA = {"month": pl.Date, "group": pl.String, "k": pl.Float64, "n": pl.Float64, "value": pl.Float64}
"""Columns of every monthly series."""

ROLES = ("focus", "rest", "peer", "all")
"""What a row of :func:`roles` is: the finding's group, the rest of its group pooled, one
other member, or the whole shop (findings without a group)."""

CURVE_DAYS: tuple[int, ...] = (30, 60, 90, 120, 150, 180)
"""Horizons of the repurchase curves."""


# ---------------------------------------------------------------- months

def last_whole_month(through: date) -> date:
    """The first day of the last calendar month that ends on or before ``through``."""
    following = through + timedelta(days=1)
    start = date(following.year, following.month, 1)
    return add_months(start, -1)


def add_months(d: date, n: int) -> date:
    """The first day of the month ``n`` months after ``d``'s (before, for a negative ``n``)."""
    k = d.year * 12 + d.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def _month_end_dt(month: date) -> datetime:
    """The first instant after ``month``."""
    return datetime.combine(add_months(month, 1), datetime.min.time())


def _month(column: str) -> pl.Expr:
    return pl.col(column).dt.truncate("1mo").dt.date().alias("month")


def _finish(frame: pl.LazyFrame, last: date) -> pl.DataFrame:
    """The series' common shape, months up to ``last`` (a month start), sorted."""
    return (frame.filter(pl.col("month") <= pl.lit(last))
            .with_columns(pl.col("group").cast(pl.String).fill_null(UNKNOWN), pl.col("k", "n").cast(pl.Float64))
            .with_columns(safe_div(pl.col("k"), pl.col("n")).alias("value"))
            .select(list(SCHEMA)).sort("group", "month").collect())


def _with_group(frame: pl.LazyFrame, groups: pl.LazyFrame | None) -> pl.LazyFrame:
    """``frame`` with ``group`` from ``groups`` (``customer_id, group``), ``all`` without one."""
    if groups is None:
        return frame.with_columns(pl.lit("all").alias("group"))
    return frame.join(groups.select("customer_id", pl.col("group").cast(pl.String)), on="customer_id", how="left")


# ---------------------------------------------------------------- customers

def monthly_churn(orders: pl.LazyFrame, through: date, groups: pl.LazyFrame | None = None) -> pl.DataFrame:
    """Per ``month`` and ``group``: ``n`` = customers with a paid order in the month before,
    ``k`` = those of them with no paid order in the month, ``value = k / n``. ``groups``:
    ``customer_id, group`` (a customer without one is ``unknown``); without it one group ``all``."""
    last = last_whole_month(through)
    active = (paid(orders).filter(pl.col("order_time") < pl.lit(_month_end_dt(last)))
              .select("customer_id", _month("order_time")).unique())
    before = active.with_columns(pl.col("month").dt.offset_by("1mo"))  # last month's buyers, on this month
    kept = active.with_columns(pl.lit(True).alias("_bought"))
    series = (_with_group(before.join(kept, on=["customer_id", "month"], how="left"), groups)
              .group_by("month", "group")
              .agg(pl.len().alias("n"), pl.col("_bought").is_null().sum().alias("k")))
    return _finish(series, last)


def _repurchase_base(orders: pl.LazyFrame, groups: pl.LazyFrame | None) -> pl.LazyFrame:
    return _with_group(first_purchases(orders), groups)


def _back_within(days: int) -> pl.Expr:
    """A first-time buyer bought again within ``days`` days (:mod:`kit.metrics.repurchase`)."""
    return pl.col("next_order_time").is_not_null() & (
        pl.col("next_order_time") - pl.col("first_order_time") <= pl.duration(days=days))


def monthly_cohort_repurchase(orders: pl.LazyFrame, through: date, groups: pl.LazyFrame | None = None,
                              days: int = 90) -> pl.DataFrame:
    """Per first-purchase ``month`` (the cohort) and ``group``: ``n`` = customers whose first
    paid order ever falls in the month, ``k`` = those who bought again within ``days`` days.
    A cohort month is shown when its window has closed: month end + ``days`` <= the day
    after ``through``."""
    closed_by = datetime.combine(through + timedelta(days=1), datetime.min.time()) - timedelta(days=days)
    # the cohort of month m has closed when the start of month m + 1 is at or before closed_by
    last = add_months(date(closed_by.year, closed_by.month, 1), -1)
    series = (_repurchase_base(orders, groups)
              .filter(pl.col("first_order_time") < pl.lit(_month_end_dt(last)))
              .with_columns(_month("first_order_time"))
              .group_by("month", "group").agg(pl.len().alias("n"), _back_within(days).sum().alias("k")))
    return _finish(series, last)


def repurchase_curves(orders: pl.LazyFrame, through: date, since: date, groups: pl.LazyFrame | None = None,
                      horizons: Sequence[int] = CURVE_DAYS) -> pl.DataFrame:
    """The cohorts' repurchase curves: per ``group`` and horizon ``days``, ``n`` = first-time
    buyers whose first paid order falls between ``since`` and ``through`` minus the horizon
    (observable for that long by the end of ``through``), ``k`` = those who bought again
    within ``days`` days, ``value = k / n``."""
    end = datetime.combine(through + timedelta(days=1), datetime.min.time())
    start = datetime.combine(since, datetime.min.time())
    base = _repurchase_base(orders, groups).filter(pl.col("first_order_time") >= pl.lit(start))
    parts = [base.filter(pl.col("first_order_time") <= pl.lit(end - timedelta(days=h)))
             .group_by("group").agg(pl.len().alias("n"), _back_within(h).sum().alias("k"))
             .with_columns(pl.lit(h, dtype=pl.Int64).alias("days")) for h in horizons]
    return (pl.concat(parts).with_columns(pl.col("group").cast(pl.String).fill_null(UNKNOWN),
                                          pl.col("k", "n").cast(pl.Float64))
            .with_columns(safe_div(pl.col("k"), pl.col("n")).alias("value"))
            .select("group", "days", "k", "n", "value").sort("group", "days").collect())


def monthly_concentration(orders: pl.LazyFrame, through: date, top: float = 0.2) -> pl.DataFrame:
    """Per ``month`` (group ``all``): ``n`` = GMV of the month's paid orders, ``k`` = the part
    paid by its top ``top`` of buyers (the ``ceil(top x buyers)`` who paid most that month)."""
    last = last_whole_month(through)
    per_customer = (paid(orders).filter(pl.col("order_time") < pl.lit(_month_end_dt(last)))
                    .group_by(_month("order_time"), "customer_id").agg(pl.col("amount").sum()))
    series = (per_customer.with_columns(
        pl.col("amount").rank("ordinal", descending=True).over("month").alias("_rank"),
        (pl.len().over("month").cast(pl.Float64) * top).ceil().alias("_top"))
        .group_by("month").agg(pl.col("amount").sum().alias("n"),
                               pl.col("amount").filter(pl.col("_rank") <= pl.col("_top")).sum().alias("k"))
        .with_columns(pl.lit("all").alias("group")))
    return _finish(series, last)


# ---------------------------------------------------------------- products and channels

def monthly_returns(orders: pl.LazyFrame, items: pl.LazyFrame, through: date) -> pl.DataFrame:
    """Per ``month`` and ``group`` (the category): ``n`` = lines of paid orders, ``k`` =
    returned lines (a null ``returned`` is not returned)."""
    last = last_whole_month(through)
    names = items.collect_schema().names()
    returned = pl.col("returned").fill_null(False) if "returned" in names else pl.lit(None, pl.Boolean)
    series = (paid_lines(items, orders).filter(pl.col("order_time") < pl.lit(_month_end_dt(last)))
              .group_by(_month("order_time"), pl.col("category").alias("group"))
              .agg(pl.len().alias("n"), returned.cast(pl.Float64).sum().alias("k")))
    return _finish(series, last)


def monthly_roi(orders: pl.LazyFrame, spend: pl.LazyFrame, through: date) -> pl.DataFrame:
    """Per ``month`` and ``group`` (the channel with spend): ``n`` = marketing spend dated in
    the month, ``k`` = GMV of the paid orders with that ``orders.channel`` (``value`` = ROI)."""
    last = last_whole_month(through)
    cost = (spend.filter(pl.col("date") < pl.lit(add_months(last, 1)))
            .group_by(pl.col("date").cast(pl.Date).dt.truncate("1mo").alias("month"), pl.col("channel").alias("group"))
            .agg(pl.col("spend").sum().alias("n")))
    gmv = (paid(orders).filter(pl.col("order_time") < pl.lit(_month_end_dt(last)))
           .group_by(_month("order_time"), pl.col("channel").cast(pl.String).alias("group"))
           .agg(pl.col("amount").sum().alias("k")))
    series = cost.join(gmv, on=["month", "group"], how="left").with_columns(pl.col("k").fill_null(0.0))
    return _finish(series, last)


# ---------------------------------------------------------------- visits

def monthly_step_conversion(counts: pl.LazyFrame, step: str, steps: Sequence[str], through: date,
                            dimension: str | None = None) -> pl.DataFrame:
    """Per ``month`` and ``group`` (of ``dimension``, ``all`` without one): ``n`` = journeys
    that reached the step before ``step``, ``k`` = those that reached ``step``, from the
    journeys' counts (:func:`kit.metrics.funnel.journey_counts`: ``date``, the dimensions,
    ``at:<step>``)."""
    before = steps[steps.index(step) - 1]
    group = pl.col(dimension).cast(pl.String) if dimension else pl.lit("all")
    series = (counts.group_by(_month("date"), group.alias("group"))
              .agg(pl.col(AT + before).sum().alias("n"), pl.col(AT + step).sum().alias("k")))
    return _finish(series, last_whole_month(through))


def monthly_cart_abandonment(counts: pl.LazyFrame, through: date, dimension: str | None = None) -> pl.DataFrame:
    """Per ``month`` (of the cart's time) and ``group`` (of ``dimension``, ``all`` without one):
    ``n`` = carts, ``k`` = abandoned carts, from the carts counted
    (:func:`kit.metrics.cart.cart_counts`: ``cart_date``, the dimensions, ``paid``, ``carts``)."""
    group = pl.col(dimension).cast(pl.String) if dimension else pl.lit("all")
    series = (counts.group_by(_month("cart_date"), group.alias("group"))
              .agg(pl.col("carts").sum().alias("n"), pl.col("carts").filter(~pl.col("paid")).sum().alias("k")))
    return _finish(series, last_whole_month(through))


# ---------------------------------------------------------------- the finding's group and its peers

def roles(series: pl.DataFrame, focus: str | None, key: str = "month") -> pl.DataFrame:
    """The series as a chart reads it: ``month, role, group, k, n, value`` with, per month
    (per ``key``: ``days`` for the repurchase curves),

    - ``focus``: the finding's group (``focus``); ``rest``: every other group pooled
      (``k`` and ``n`` added, ``unknown`` included, as the rules compare a group with the
      rest of the shop); ``peer``: each other group but ``unknown``;
    - without a ``focus`` (a finding about the whole shop): ``all``, every group pooled,
      and each group as a ``peer`` when there are several.
    """
    pooled = [pl.col("k").sum(), pl.col("n").sum()]
    if focus is None:
        whole = series.group_by(key).agg(*pooled).with_columns(pl.lit("all").alias("role"),
                                                                     pl.lit("all").alias("group"))
        parts = [whole]
        if series["group"].n_unique() > 1:
            parts.append(series.filter(pl.col("group") != UNKNOWN).with_columns(pl.lit("peer").alias("role")))
    else:
        mine = pl.col("group") == focus
        rest = (series.filter(~mine).group_by(key).agg(*pooled)
                .with_columns(pl.lit("rest").alias("role"), pl.lit("rest").alias("group")))
        parts = [series.filter(mine).with_columns(pl.lit("focus").alias("role")), rest,
                 series.filter(~mine & (pl.col("group") != UNKNOWN)).with_columns(pl.lit("peer").alias("role"))]
    return (pl.concat([p.select(key, "role", "group", pl.col("k").cast(pl.Float64), pl.col("n").cast(pl.Float64))
                       for p in parts])
            .with_columns(safe_div(pl.col("k"), pl.col("n")).alias("value"))
            .sort(pl.col("role").replace_strict(list(ROLES), list(range(len(ROLES))), return_dtype=pl.Int8),
                  "group", key))
