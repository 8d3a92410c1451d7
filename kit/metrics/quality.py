"""The events' data-quality counts, made once with the other tables counted from the events.

The appendix (:func:`kit.figures.appendix.quality_counts`) shows the events per funnel step,
the anonymous visitors' events and each column's missing values. It sums these counts
(:func:`event_checks`, a row per event name) instead of reading the events: a report made from
what the preparation reduced the events to (on Spark, :func:`kit.spark.tables.event_checks`)
needs no row per event.
"""

from __future__ import annotations

import polars as pl

ROWS = "_rows"
"""The column of :func:`event_checks` that counts the events."""
FIRST, LAST = "_first", "_last"
"""The columns of :func:`event_checks` with the first and last ``event_time`` (the introduction's
sources table shows the events' dates from them)."""
NOT_COLUMNS = (ROWS, FIRST, LAST)
"""The columns of :func:`event_checks` that are not a column's missing values."""


def event_checks(events: pl.LazyFrame) -> pl.LazyFrame:
    """``event, _rows, _first, _last, <column> ...``: per event name, its events (``_rows``),
    their first and last ``event_time`` and, under each other column's own name, the events
    where that column is missing (null)."""
    others = [c for c in events.collect_schema().names() if c != "event"]
    return (events.group_by("event")
            .agg(pl.len().cast(pl.Int64).alias(ROWS), pl.col("event_time").min().alias(FIRST),
                 pl.col("event_time").max().alias(LAST), *[pl.col(c).null_count().cast(pl.Int64) for c in others])
            .sort("event"))
