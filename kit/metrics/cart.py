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

What the figures read is prepared once per dataset: the :func:`cart_table` (a row per cart
with the user's next pay, for any window, ``carts.parquet``) and the :func:`cart_lines` (a row
per cart and category, ``cart_lines.parquet``), then both counted for the payment window of
the params that prepare the data (:func:`counted_carts`): carts by day, device, source and
paid, paid carts by day and hours to pay, carts by day, category and paid. A run cuts the
counts to its periods (:func:`kit.metrics.common.of_periods`), so the figures read neither
the events nor a row per cart; a run with another window counts its carts itself. Only the
diagnosis' audience of abandoned carts (a list of customers) reads the cart rows
(:func:`carts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from kit.metrics.common import UNKNOWN, compare, period_label, safe_div, weighted_summary
from kit.metrics.sessions import FIRST, session_table
from kit.periods import Period


def cart_table(events: pl.LazyFrame, sessions: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per cart of the data, whatever the period (see module doc): ``session_id``,
    ``user_id``, ``start`` (of the session), ``cart_time``, ``device``, ``source``, ``value``,
    and ``next_pay``: the same user's first ``pay`` event at or after ``cart_time``, however
    much later (null when none, and for a cart without a user). Whether that pay falls within
    a run's window is decided by :func:`carts`.

    ``sessions`` is the session table of the same events (built here when not given); the
    events are read for their ``pay`` events only."""
    if sessions is None:
        sessions = session_table(events)
    cart_rows = (
        sessions.filter(pl.col(FIRST + "add_to_cart").is_not_null())
        .select("session_id", "user_id", "start", pl.col(FIRST + "add_to_cart").alias("cart_time"), "device",
                "source", pl.col("cart_value").alias("value"))
        .sort("cart_time")
    )
    pays = (
        events.filter(pl.col("event") == "pay")
        .select("user_id", pl.col("event_time").alias("next_pay"))
        .sort("next_pay")
    )
    # the first pay of the same user at or after the cart
    return cart_rows.join_asof(pays, left_on="cart_time", right_on="next_pay", by="user_id", strategy="forward",
                               check_sortedness=False)  # both sides sorted by time above


def cart_lines(events: pl.LazyFrame, table: pl.LazyFrame) -> pl.LazyFrame:
    """One row per cart and product category put in it: ``session_id``, ``group`` (the
    category, ``unknown`` when missing), ``value`` (of that category's ``add_to_cart``
    events, null as 0), with the cart's ``start``, ``cart_time`` and ``next_pay`` from
    ``table`` (:func:`cart_table` of the same events)."""
    names = events.collect_schema().names()
    category = pl.col("category").fill_null(UNKNOWN) if "category" in names else pl.lit(UNKNOWN)
    value = pl.col("value").fill_null(0.0) if "value" in names else pl.lit(0.0)
    lines = (
        events.filter(pl.col("event") == "add_to_cart")
        .group_by("session_id", category.alias("group"))
        .agg(value.sum().alias("value"))
    )
    return lines.join(table.select("session_id", "start", "cart_time", "next_pay"), on="session_id", how="inner")


def _hours_to(pay: str) -> pl.Expr:
    """Hours from the cart's time to the pay in column ``pay``."""
    return (pl.col(pay) - pl.col("cart_time")).dt.total_seconds(fractional=True) / 3600


def _start_date() -> pl.Expr:
    """``date``: the day of the cart's session start, which decides its period."""
    return pl.col("start").dt.date().alias("date")


def _pay_within(window_hours: float) -> pl.Expr:
    """The cart's pay when it came within the window (exactly ``window_hours`` counts), else null."""
    return pl.when(pl.col("next_pay") - pl.col("cart_time") <= timedelta(hours=window_hours)).then(pl.col("next_pay"))


def _in_periods(rows: pl.LazyFrame, periods: Sequence[Period], window_hours: float) -> pl.LazyFrame:
    """The rows of carts whose session started in the periods, with ``period``, ``pay_time`` and ``abandoned``."""
    return (rows.with_columns(period_label("start", periods), _pay_within(window_hours).alias("pay_time"))
            .filter(pl.col("period").is_not_null())
            .with_columns(pl.col("pay_time").is_null().alias("abandoned")))


def carts(table: pl.LazyFrame, period: Period, comparison: Period | None = None,
          window_hours: float = 24) -> pl.LazyFrame:
    """One row per cart of the period and the comparison period (see module doc), from the
    :func:`cart_table`: ``period`` (label), ``session_id``, ``user_id``, ``cart_time``,
    ``device``, ``source``, ``value``, ``pay_time`` (first pay within the window, null when
    none), ``abandoned``, ``hours_to_pay``. One lazy plan; collect it once and pass it on:
    ``c = carts(...).collect(engine="streaming").lazy()``."""
    periods = [period] if comparison is None else [period, comparison]
    return _in_periods(table, periods, window_hours).select(
        "period", "session_id", "user_id", "cart_time", "device", "source", "value", "pay_time", "abandoned",
        _hours_to("pay_time").alias("hours_to_pay"),
    )


def _paid_within(window_hours: float) -> pl.Expr:
    """Whether the cart was paid within the window (the first pay at most ``window_hours`` after it)."""
    return _pay_within(window_hours).is_not_null()


def cart_counts(table: pl.LazyFrame, window_hours: float) -> pl.LazyFrame:
    """The carts of the :func:`cart_table` counted for one window: per ``date`` (of the
    session's start: the cart's period), ``cart_date`` (of the cart's time: its month in the
    monthly series), ``device``, ``source`` and ``paid`` (within the window): ``carts`` and
    ``value`` (their sum), with the ``window_hours`` they were counted for."""
    return (table.group_by(_start_date(), pl.col("cart_time").dt.date().alias("cart_date"),
                           "device", "source", _paid_within(window_hours).alias("paid"))
            .agg(pl.len().cast(pl.Int64).alias("carts"), pl.col("value").sum())
            .with_columns(pl.lit(float(window_hours)).alias("window_hours")))


def pay_delays(table: pl.LazyFrame, window_hours: float) -> pl.LazyFrame:
    """The carts paid within the window counted per ``date`` (of the session's start) and
    ``hours_to_pay`` (first pay - ``cart_time``, in hours): ``carts``."""
    return (table.filter(_paid_within(window_hours))
            .group_by(_start_date(), _hours_to("next_pay").alias("hours_to_pay"))
            .agg(pl.len().cast(pl.Int64).alias("carts")))


def cart_line_counts(lines: pl.LazyFrame, window_hours: float) -> pl.LazyFrame:
    """The :func:`cart_lines` counted for one window: per ``date`` (of the session's start),
    ``group`` (the category) and ``paid``: ``carts`` holding the category and ``value`` (of its
    add-to-cart events)."""
    return (lines.group_by(_start_date(), "group", _paid_within(window_hours).alias("paid"))
            .agg(pl.len().cast(pl.Int64).alias("carts"), pl.col("value").sum()))


def counted_carts(table: pl.LazyFrame, lines: pl.LazyFrame, window_hours: float) -> dict[str, pl.LazyFrame]:
    """What the cart figures read, for one payment window: ``cart_counts`` (:func:`cart_counts`),
    ``pay_delays`` (:func:`pay_delays`) and ``cart_line_counts`` (:func:`cart_line_counts`)."""
    return {"cart_counts": cart_counts(table, window_hours), "pay_delays": pay_delays(table, window_hours),
            "cart_line_counts": cart_line_counts(lines, window_hours)}


def window_of(counts: pl.LazyFrame | pl.DataFrame) -> float | None:
    """The window the :func:`cart_counts` were counted for (None when they hold no cart)."""
    windows = counts.lazy().select(pl.col("window_hours").unique()).collect()["window_hours"]
    return float(windows[0]) if len(windows) else None


def _abandonment(counts: pl.LazyFrame, by: Sequence[str] = ()) -> pl.LazyFrame:
    abandoned = ~pl.col("paid")
    aggs = [
        pl.col("carts").sum().cast(pl.Float64).alias("carts"),
        pl.col("carts").filter(abandoned).sum().cast(pl.Float64).alias("abandoned"),
        pl.col("value").filter(abandoned).sum().alias("abandoned_value"),
    ]
    table = counts.group_by(list(by)).agg(aggs) if by else counts.select(aggs)
    return table.with_columns(safe_div(pl.col("abandoned"), pl.col("carts")).alias("abandonment_rate"))


def _of(counted: pl.LazyFrame, p: Period) -> pl.LazyFrame:
    return counted.filter(pl.col("period") == p.label)


def cart_abandonment(counts: pl.LazyFrame, delays: pl.LazyFrame, period: Period,
                     comparison: Period | None = None) -> pl.DataFrame:
    """One row: ``carts``, ``abandoned``, ``abandonment_rate`` = abandoned / carts,
    ``abandoned_value``, ``median_hours_to_pay`` and ``p90_hours_to_pay`` (over paid carts,
    linear-interpolated), each beside the comparison period. From the :func:`cart_counts` and
    :func:`pay_delays` cut to the periods (:func:`kit.metrics.common.of_periods`)."""

    def one(p: Period) -> pl.LazyFrame:
        paid = (_of(delays, p).group_by("hours_to_pay").agg(pl.col("carts").sum())
                .sort("hours_to_pay").collect())
        timing = weighted_summary(paid["hours_to_pay"].to_list(), paid["carts"].to_list(),
                                  {"median_hours_to_pay": 0.5, "p90_hours_to_pay": 0.9})
        return pl.concat([_abandonment(_of(counts, p)), timing], how="horizontal")

    return compare(one, period, comparison)


def abandonment_by(counts: pl.LazyFrame, dimension: str, period: Period,
                   comparison: Period | None = None) -> pl.DataFrame:
    """Per group of ``dimension`` (device | source | category): ``group, carts, abandoned,
    abandoned_value, abandonment_rate`` beside the comparison period, worst rate first. From
    the :func:`cart_counts` cut to the periods."""

    def one(p: Period) -> pl.LazyFrame:
        return _abandonment(_of(counts, p), by=[dimension]).rename({dimension: "group"})

    out = compare(one, period, comparison, on=("group",))
    return (
        out.filter(pl.col("carts").is_not_null())
        .with_columns(pl.lit(dimension).alias("dimension"))
        .sort(["abandonment_rate", "group"], descending=[True, False])
    )


def abandonment_by_category(line_counts: pl.LazyFrame, period: Period, comparison: Period | None = None) -> pl.DataFrame:
    """Per product category put in carts, from the :func:`cart_line_counts` cut to the periods:
    ``group`` (category, ``unknown`` when missing), ``carts`` = carts holding the category,
    ``abandoned`` = those abandoned, ``abandonment_rate``, ``abandoned_value`` = value of that
    category's add-to-cart events in abandoned carts; beside the comparison period, worst rate
    first (:func:`abandonment_by` on the category). A cart with two categories counts once in each."""
    return abandonment_by(line_counts.rename({"group": "category"}), "category", period, comparison)
