"""Who did what, in which visit: users stitched across login, and sessions.

Clickstream exports name a visitor by a device/cookie id until the visitor logs in, then
by the customer id. Both functions here run once per run, when the run is prepared, so
every section counts the same users and the same sessions.
"""

from __future__ import annotations

import polars as pl

from kit.contract import EVENT_STEPS
from kit.metrics.common import or_unknown


def stitch_users(events: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``user_id``: the customer behind each event, anonymous events included.

    ``user_id`` = the event's ``customer_id`` when set; otherwise the customer this
    ``visitor_id`` is seen logged in as (the first such customer, by time); otherwise
    ``"v:" + visitor_id`` (a visitor who never logs in stays one anonymous user).
    """
    names = events.collect_schema().names()
    has_customer, has_visitor = "customer_id" in names, "visitor_id" in names
    if not has_visitor:
        return events.with_columns(pl.col("customer_id").alias("user_id"))
    if not has_customer:
        return events.with_columns(("v:" + pl.col("visitor_id")).alias("user_id"))
    # The login table (a row per visitor) is made first, in memory: left lazy, both sides of
    # the join read the same events, and the optimiser kept those events (57M rows of the 1M
    # shop, 9.8 GB) in memory to read them once; made first, they are read twice, streaming
    # (0.8 GB). The join builds its hash table on the logins, not on the events.
    logins = (
        events.filter(pl.col("customer_id").is_not_null() & pl.col("visitor_id").is_not_null())
        .group_by("visitor_id")
        .agg(pl.col("customer_id").min_by("event_time").alias("_known_as"))
        .collect()
        .lazy()
    )
    return (
        events.join(logins, on="visitor_id", how="left", build_side="prefer_right")
        .with_columns(pl.coalesce("customer_id", "_known_as", "v:" + pl.col("visitor_id")).alias("user_id"))
        .drop("_known_as")
    )


def derive_sessions(events: pl.LazyFrame, gap_minutes: int = 30) -> pl.LazyFrame:
    """Fill ``session_id`` where the data has none, from inactivity gaps.

    A user's events (by ``user_id``, in time order) start a new session when more than
    ``gap_minutes`` pass since the previous event. Derived ids read ``<user_id>#<n>``,
    n counting from 1. Given session ids are kept as they are.
    """
    names = events.collect_schema().names()
    if "session_id" in names:
        given = events.filter(pl.col("session_id").is_not_null())
        missing = events.filter(pl.col("session_id").is_null()).drop("session_id")
    else:
        given, missing = None, events
    gap = pl.duration(minutes=gap_minutes)
    derived = (
        missing.sort("user_id", "event_time")
        .with_columns(
            (pl.col("event_time").diff().over("user_id").fill_null(gap + pl.duration(seconds=1)) > gap)
            .cast(pl.Int64)
            .cum_sum()
            .over("user_id")
            .alias("_n")
        )
        .with_columns((pl.col("user_id") + "#" + pl.col("_n").cast(pl.String)).alias("session_id"))
        .drop("_n")
    )
    if given is None:
        return derived
    return pl.concat([given, derived.select(given.collect_schema().names())], how="vertical")


def with_sessions(events: pl.LazyFrame, gap_minutes: int = 30) -> pl.LazyFrame:
    """The events with users stitched (:func:`stitch_users`) and sessions derived where they
    are missing (:func:`derive_sessions`). When every event already carries its session id
    (read from one column: Parquet's statistics often answer without reading it), the events
    are only stitched: derive_sessions would plan a second pass over all events for the rows
    without a session, and the stitching's login table twice."""
    names = events.collect_schema().names()
    given = "session_id" in names and not events.select(pl.col("session_id").is_null().any()).collect().item()
    stitched = stitch_users(events)
    return stitched if given else derive_sessions(stitched, gap_minutes)


FIRST, LAST = "first:", "last:"
"""Prefixes of the session table's step columns: ``first:<event>`` / ``last:<event>`` = time
of the session's first / last event of that name (null: none)."""


def pays() -> pl.Expr:
    """On the session table: the session has a ``pay`` event (a paying session)."""
    return pl.col(FIRST + "pay").is_not_null()


def session_table(events: pl.LazyFrame) -> pl.LazyFrame:
    """One row per session: the facts every visit figure needs, from one pass over the events.

    ``session_id``, ``user_id`` (the session's user; its smallest when a login switches
    users mid-session), ``start`` / ``end`` = first / last event time, ``events`` = its
    number of events, ``device`` / ``source`` = those of its first event (``unknown``
    when absent; when two events share the first instant, either one's), ``first:<e>`` /
    ``last:<e>`` for each event name ``e`` of :data:`EVENT_STEPS`, ``cart_value`` =
    sum of the ``value`` of its ``add_to_cart`` events (null values count as 0),
    ``single_user``: all its events carry one known user (a slice by customer keeps such a
    session whole, so it is cut from the dataset's table, not built again), and
    ``first_visit``: no session of the same user starts earlier (the new-visitor side of
    the funnel's new vs returning, which costs a group-by of all sessions by user); a
    session whose user is unknown (no customer or visitor id) counts as a first visit.

    Prepared runs build it once (``sessions.parquet`` beside the events): it is the one
    group-by of the events by session, which sections 1 and 2 read instead of the events.
    """
    names = events.collect_schema().names()
    aggs = [
        pl.col("user_id").min(),
        pl.col("event_time").min().alias("start"),
        pl.col("event_time").max().alias("end"),
        pl.len().cast(pl.Int32).alias("events"),
    ]
    for column in ("device", "source"):
        if column in names:
            # categorical: low-cardinality strings aggregate faster and lighter on 50M rows
            aggs.append(pl.col(column).cast(pl.Categorical).min_by("event_time").cast(pl.String).alias(column))
        else:
            aggs.append(pl.lit(None, pl.String).alias(column))
    for step in EVENT_STEPS:
        at = pl.when(pl.col("event") == step).then(pl.col("event_time"))
        aggs += [at.min().alias(FIRST + step), at.max().alias(LAST + step)]
    value = pl.col("value").fill_null(0.0) if "value" in names else pl.lit(0.0)
    aggs.append(pl.when(pl.col("event") == "add_to_cart").then(value).sum().alias("cart_value"))
    aggs.append(((pl.col("user_id").min() == pl.col("user_id").max()) & (pl.col("user_id").null_count() == 0))
                .fill_null(False).alias("single_user"))
    table = events.group_by("session_id").agg(aggs).with_columns(or_unknown("device"), or_unknown("source"))
    first_start = table.group_by("user_id").agg(pl.col("start").min().alias("_first_start"))
    return (table.join(first_start, on="user_id", how="left")
            .with_columns((pl.col("start") == pl.col("_first_start")).fill_null(True).alias("first_visit"))
            .drop("_first_start"))
