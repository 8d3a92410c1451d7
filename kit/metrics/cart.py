"""Section 2.2, cart abandonment: carts that never turn into a payment.

- A **cart** is a session with at least one ``add_to_cart`` event. It belongs to the
  period (and day) of the session's first event, like the funnel's journeys; its time
  ``cart_time`` is the session's first ``add_to_cart``; its ``value`` is the sum of the
  ``value`` of all the session's ``add_to_cart`` events (null values count as 0); its
  device and source are those of the session's first event. All from the run's session
  table (:mod:`kit.metrics.sessions`).
- A cart is **paid** when the same user has a ``pay`` event (in any session) at or after
  ``cart_time`` and at most ``window_hours`` later (exactly ``window_hours`` counts as
  paid); otherwise it is **abandoned**. Only events are used, so events without orders
  are enough. One payment can settle several carts of the user within its window.
- **abandonment rate** = abandoned carts / carts; **abandoned value** = sum of the
  abandoned carts' value; **hours to pay** = first such pay - ``cart_time``, over paid carts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from kit.metrics.common import UNKNOWN, compare, in_period, safe_div
from kit.metrics.sessions import FIRST, session_table
from kit.periods import Period


def carts(events: pl.LazyFrame, period: Period, comparison: Period | None = None,
          window_hours: float = 24, sessions: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per cart of the period and the comparison period (see module doc):
    ``period`` (label), ``session_id``, ``user_id``, ``cart_time``, ``device``, ``source``,
    ``value``, ``pay_time`` (first pay within the window, null when none), ``abandoned``,
    ``hours_to_pay``.

    ``sessions`` is the run's session table (``run.sessions``); without it, it is built
    from the events here. The events are read for their ``pay`` events only. One lazy
    plan; collect it once and pass it on: ``c = carts(...).collect(engine="streaming").lazy()``.
    """
    periods = [period] if comparison is None else [period, comparison]
    if sessions is None:
        sessions = session_table(events)
    period_of = pl.lit(None, dtype=pl.String)
    for p in reversed(periods):
        period_of = pl.when(in_period("start", p)).then(pl.lit(p.label)).otherwise(period_of)
    cart_rows = (
        sessions.filter(pl.col(FIRST + "add_to_cart").is_not_null())
        .with_columns(period_of.alias("period"))
        .filter(pl.col("period").is_not_null())
        .select("period", "session_id", "user_id", pl.col(FIRST + "add_to_cart").alias("cart_time"), "device",
                "source", pl.col("cart_value").alias("value"))
        .sort("cart_time")
    )
    first = min(p.start_dt for p in periods)
    pays = (
        events.filter((pl.col("event") == "pay") & (pl.col("event_time") >= first))
        .select("user_id", pl.col("event_time").alias("pay_time"))
        .sort("pay_time")
    )
    # the first pay of the same user at or after the cart, no later than the window
    matched = cart_rows.join_asof(
        pays, left_on="cart_time", right_on="pay_time", by="user_id", strategy="forward",
        tolerance=timedelta(hours=window_hours), check_sortedness=False,  # both sides sorted by time above
    )
    hours = (pl.col("pay_time") - pl.col("cart_time")).dt.total_seconds(fractional=True) / 3600
    return matched.select(
        "period", "session_id", "user_id", "cart_time", "device", "source", "value", "pay_time",
        pl.col("pay_time").is_null().alias("abandoned"),
        hours.alias("hours_to_pay"),
    )


def _abandonment(cart_rows: pl.LazyFrame, by: Sequence[str] = ()) -> pl.LazyFrame:
    aggs = [
        pl.len().cast(pl.Float64).alias("carts"),
        pl.col("abandoned").sum().cast(pl.Float64).alias("abandoned"),
        pl.col("value").filter(pl.col("abandoned")).sum().alias("abandoned_value"),
    ]
    table = cart_rows.group_by(list(by)).agg(aggs) if by else cart_rows.select(aggs)
    return table.with_columns(safe_div(pl.col("abandoned"), pl.col("carts")).alias("abandonment_rate"))


def _of(cart_rows: pl.LazyFrame, p: Period) -> pl.LazyFrame:
    return cart_rows.filter(pl.col("period") == p.label)


def cart_abandonment(cart_rows: pl.LazyFrame, period: Period, comparison: Period | None = None) -> pl.DataFrame:
    """One row: ``carts``, ``abandoned``, ``abandonment_rate`` = abandoned / carts,
    ``abandoned_value``, ``median_hours_to_pay`` and ``p90_hours_to_pay`` (over paid
    carts, linear-interpolated), each beside the comparison period."""

    def one(p: Period) -> pl.LazyFrame:
        rows = _of(cart_rows, p)
        timing = rows.filter(~pl.col("abandoned")).select(
            pl.col("hours_to_pay").median().alias("median_hours_to_pay"),
            pl.col("hours_to_pay").quantile(0.9, interpolation="linear").alias("p90_hours_to_pay"),
        )
        return pl.concat([_abandonment(rows), timing], how="horizontal")

    return compare(one, period, comparison)


def abandonment_by(cart_rows: pl.LazyFrame, dimension: str, period: Period,
                   comparison: Period | None = None) -> pl.DataFrame:
    """Per group of ``dimension`` (device | source): ``group, carts, abandoned,
    abandoned_value, abandonment_rate`` beside the comparison period, worst rate first."""

    def one(p: Period) -> pl.LazyFrame:
        return _abandonment(_of(cart_rows, p), by=[dimension]).rename({dimension: "group"})

    out = compare(one, period, comparison, on=("group",))
    return (
        out.filter(pl.col("carts").is_not_null())
        .with_columns(pl.lit(dimension).alias("dimension"))
        .sort(["abandonment_rate", "group"], descending=[True, False])
    )


def abandonment_by_category(events: pl.LazyFrame, cart_rows: pl.LazyFrame, period: Period,
                            comparison: Period | None = None) -> pl.DataFrame:
    """Per product category put in carts: ``group`` (category, ``unknown`` when missing),
    ``carts`` = carts holding the category, ``abandoned`` = those abandoned,
    ``abandonment_rate``, ``abandoned_value`` = value of that category's add-to-cart events
    in abandoned carts; beside the comparison period, worst rate first. A cart with two
    categories counts once in each."""
    names = events.collect_schema().names()
    category = pl.col("category").fill_null(UNKNOWN) if "category" in names else pl.lit(UNKNOWN)
    value = pl.col("value").fill_null(0.0) if "value" in names else pl.lit(0.0)
    lines = (
        events.filter(pl.col("event") == "add_to_cart")
        .group_by("session_id", category.alias("group"))
        .agg(value.sum().alias("value"))
    )

    # one join for both periods (the two sides of the comparison share it)
    per_cart = lines.join(cart_rows.select("session_id", "period", "abandoned"), on="session_id", how="inner")

    def one(p: Period) -> pl.LazyFrame:
        return _abandonment(_of(per_cart, p), by=["group"])

    out = compare(one, period, comparison, on=("group",))
    return (
        out.filter(pl.col("carts").is_not_null())
        .with_columns(pl.lit("category").alias("dimension"))
        .sort(["abandonment_rate", "group"], descending=[True, False])
    )
