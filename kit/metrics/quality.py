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
"""The column of :func:`event_checks` that counts the events (not a column's missing values)."""


def event_checks(events: pl.LazyFrame) -> pl.LazyFrame:
    """``event, _rows, <column> ...``: per event name, its events (``_rows``) and, under each
    other column's own name, the events where that column is missing (null)."""
    others = [c for c in events.collect_schema().names() if c != "event"]
    return (events.group_by("event")
            .agg(pl.len().cast(pl.Int64).alias(ROWS), *[pl.col(c).null_count().cast(pl.Int64) for c in others])
            .sort("event"))
