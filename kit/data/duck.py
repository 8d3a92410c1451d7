"""The session table built by DuckDB, for the preparation of large datasets.

The session table is the one group-by of all events (by session) that a dataset's preparation
makes, and on a large shop the heaviest step of it: 57M events into 28M sessions took polars
~10 GB (every group's state in memory at once). DuckDB makes the same table within a memory
limit, spilling to a folder beside the output when it must, and was faster in the same bench
run (see the README's benchmark table). The definition is
:func:`kit.metrics.sessions.session_table`; the SQL below is that definition written for
DuckDB, and ``tests/test_sessions.py`` checks the two give the same table on hand-made
events (nulls, ties at a session's first instant, sessions without a user, missing columns).
Figures read the result as polars frames, like every prepared table.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from kit.contract import EVENT_STEPS
from kit.metrics.common import UNKNOWN
from kit.metrics.sessions import FIRST, LAST

MEMORY_LIMIT = os.environ.get("KIT_DUCKDB_MEMORY", "3GB")
"""DuckDB's memory limit while it builds the table; beyond it, it spills to disk."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _session_rows_sql(source: str, columns: list[str]) -> str:
    """The SELECT of every column of :func:`kit.metrics.sessions.session_table` but
    ``first_visit``, over the events of ``source`` (what follows FROM: a Parquet read, with a
    WHERE when only some sessions are wanted) that have ``columns``, in DuckDB's SQL."""
    firsts = []
    for column in ("device", "source"):
        # arg_min_null: the value of the first event even when it is null (as polars' min_by)
        firsts.append(f"arg_min_null({_quote(column)}, event_time) AS {_quote(column)}" if column in columns
                      else f"CAST(NULL AS VARCHAR) AS {_quote(column)}")
    steps = []
    for step in EVENT_STEPS:
        steps.append(f"min(event_time) FILTER (WHERE event = {_literal(step)}) AS {_quote(FIRST + step)}")
        steps.append(f"max(event_time) FILTER (WHERE event = {_literal(step)}) AS {_quote(LAST + step)}")
    value = "coalesce(value, 0.0)" if "value" in columns else "0.0"
    unknown = _literal(UNKNOWN)
    shown = [f"CASE WHEN {_quote(c)} IS NULL OR trim({_quote(c)}) = '' THEN {unknown} ELSE {_quote(c)} END "
             f"AS {_quote(c)}" for c in ("device", "source")]
    return f"""
SELECT session_id, user_id, start, "end", events, {", ".join(shown)},
       {", ".join(_quote(FIRST + s) + ", " + _quote(LAST + s) for s in EVENT_STEPS)}, cart_value, single_user
FROM (
  SELECT session_id, min(user_id) AS user_id, min(event_time) AS start, max(event_time) AS "end",
         CAST(count(*) AS INTEGER) AS events,
         {", ".join(firsts)},
         {", ".join(steps)},
         coalesce(sum(CAST({value} AS DOUBLE)) FILTER (WHERE event = 'add_to_cart'), 0.0) AS cart_value,
         coalesce(min(user_id) = max(user_id) AND count(user_id) = count(*), false) AS single_user
  FROM {source}
  GROUP BY session_id
)
"""


def _with_first_visit(rows: str) -> str:
    """The session rows of the SELECT ``rows`` with ``first_visit`` (no session of the same
    user starts earlier; a session without a user is a first visit)."""
    return f"""
SELECT *, CASE WHEN user_id IS NULL THEN true ELSE start = min(start) OVER (PARTITION BY user_id) END AS first_visit
FROM ({rows})
"""


def session_table_sql(events: str, columns: list[str]) -> str:
    """The SELECT of :func:`kit.metrics.sessions.session_table` over the Parquet file(s)
    ``events`` (with ``columns``), in DuckDB's SQL."""
    return _with_first_visit(_session_rows_sql(f"read_parquet({_literal(events)})", columns))


def slice_session_table_sql(sessions: str, events: str, columns: list[str]) -> str:
    """The session table of a slice's ``events``, cut from the whole dataset's session table
    ``sessions`` where it can be: when a slice keeps every event of its customers, a session
    whose events all carry one known user (``single_user``) is the same in the slice as in
    the dataset when its user is in the slice, and absent otherwise. Only the other sessions
    are built again from the slice's events; ``first_visit`` is computed over the slice's
    sessions. The result equals :func:`session_table_sql` over ``events``."""
    dataset, sliced = f"read_parquet({_literal(sessions)})", f"read_parquet({_literal(events)})"
    kept = (f"SELECT * EXCLUDE (first_visit) FROM {dataset} "
            f"WHERE single_user AND user_id IN (SELECT user_id FROM {sliced})")
    rebuilt = _session_rows_sql(f"{sliced} WHERE session_id IN (SELECT session_id FROM {dataset} WHERE NOT single_user)",
                                columns)
    return _with_first_visit(f"{kept} UNION ALL BY NAME ({rebuilt})")


def write_session_table(events: Path, out: Path, dataset_sessions: str | Path | None = None) -> None:
    """``out``: the session table of the events in the Parquet file ``events``, made by DuckDB
    (all cores, at most :data:`MEMORY_LIMIT` of memory, spilling beside ``out``). For a slice
    that keeps all the events of its customers, ``dataset_sessions`` is the whole dataset's
    session table, cut rather than built again (:func:`slice_session_table_sql`)."""
    import duckdb

    columns = list(pl.read_parquet_schema(events))
    select = (session_table_sql(str(events), columns) if dataset_sessions is None
              else slice_session_table_sql(str(dataset_sessions), str(events), columns))
    spill = out.parent / f".{out.stem}.spill"
    con = duckdb.connect()
    try:
        con.execute(f"SET threads = {os.cpu_count() or 1}")
        con.execute(f"SET memory_limit = {_literal(MEMORY_LIMIT)}")
        con.execute(f"SET temp_directory = {_literal(str(spill))}")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"COPY ({select}) TO {_literal(str(out))} (FORMAT parquet)")
    finally:
        con.close()
        if spill.exists():
            import shutil

            shutil.rmtree(spill, ignore_errors=True)
