"""The prepared dataset's layout, taken from the local engine: each table's column names, order
and types are what the local functions give on an empty frame with the same input columns.

So the Spark tables are cast to exactly what :func:`kit.dataset._build` writes, and a column the
local engine adds, drops or retypes changes the Spark output with it (and the equality tests
then check the values).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from kit.contract import TABLES, lines_with_orders
from kit.metrics.cart import cart_lines, cart_table, counted_carts
from kit.metrics.customers import with_paid_neighbours
from kit.metrics.experiments import experiment_visits, visitor_links
from kit.metrics.funnel import (
    path_counts,
    prepared_steps,
    session_journey_tables,
    user_journey_tables,
)
from kit.metrics.profile import duration_counts, visit_counts
from kit.metrics.quality import event_checks
from kit.metrics.sessions import derive_sessions, session_table, stitch_users
from kit.periods import parse_period


def local_schemas(columns: dict[str, list[str]], gap_minutes: int, steps: Sequence[str],
                  experiments: Callable[[str], dict] | None = None) -> dict[str, pl.Schema]:
    """The schema of each prepared table (and those made from the events, with the funnel
    ``steps`` and the ``experiments`` settings) the local engine writes when the loaded tables
    have ``columns`` (contract columns, by table)."""
    empty = {name: pl.LazyFrame(schema={c: TABLES[name].schema[c] for c in cols}) for name, cols in columns.items()}
    # the same steps as kit.dataset._build, on no rows
    if "orders" in empty:
        empty["orders"] = with_paid_neighbours(empty["orders"])
    if "events" in empty:
        empty["events"] = derive_sessions(stitch_users(empty["events"]), gap_minutes)
    if "order_items" in empty and "orders" in empty:
        empty["order_items"] = lines_with_orders(empty["order_items"], empty["orders"])
    schemas = {name: lf.collect_schema() for name, lf in empty.items()}
    if "events" in empty:
        sessions = session_table(empty["events"])
        carts = cart_table(empty["events"], sessions)
        schemas |= {"event_checks": event_checks(empty["events"]).collect_schema(), "sessions": sessions.collect_schema(), "visits": visit_counts(sessions).collect_schema(),
                    "visit_durations": duration_counts(sessions).collect_schema(), "carts": carts.collect_schema(),
                    "cart_lines": cart_lines(empty["events"], carts).collect_schema()}
        links = visitor_links(empty["events"])
        if links is not None:
            schemas["visitor_links"] = links.collect_schema()
        if "experiments" in empty and experiments is not None:
            schemas["experiment_visits"] = experiment_visits(empty["experiments"], links, sessions,
                                                             experiments).collect_schema()
        # the counted carts' columns are the same for any window
        schemas |= {name: table.collect_schema()
                    for name, table in counted_carts(carts, cart_lines(empty["events"], carts), 24).items()}
        if prepared_steps(steps):
            tables = (session_journey_tables(empty["events"], sessions, steps, empty.get("orders"))
                      | path_counts(empty["events"], sessions, steps)
                      # the user journeys' columns are the same for any period and window
                      | user_journey_tables(empty["events"], sessions, empty.get("orders"), parse_period("2025-01"),
                                            None, steps, 7))
            schemas |= {name: table.schema for name, table in tables.items()}
    return schemas


def conform_to(frame, schema: pl.Schema):
    """A Spark frame with exactly ``schema``'s columns, in its order, of its types."""
    from pyspark.sql import functions as F

    from kit.spark.load import spark_type

    missing = [c for c in schema.names() if c not in frame.columns]
    if missing:
        raise RuntimeError(f"the Spark preparation lacks the columns {missing} the local engine writes")
    return frame.select(*[F.col(f"`{c}`").cast(spark_type(t)).alias(c) for c, t in schema.items()])
