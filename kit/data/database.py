"""Read a table from PostgreSQL through ADBC (``adbc-driver-postgresql``) into polars.

A source names a table or a query (see :class:`kit.params.Database`). The kit asks only for
what the run uses: the contract's columns that the source has (after the params' column
mapping), and for a table with a time window (:func:`kit.data.load.windows`: the events) only
the rows inside it, compared in the database so that it can use an index. Rows arrive as
Arrow, the driver's native format, with the database's types (numeric, timestamp,
timestamptz, text); the conform step parses them like a typed file.

The password comes from the environment variable ``password_env`` names, is put into the
connection URL only in memory, and is blanked out of any error message.
"""

from __future__ import annotations

import os
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

import polars as pl

from kit.contract import TABLES
from kit.errors import DataError
from kit.params import Source


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relation(table: str) -> str:
    """``schema.table`` or ``table``, each part quoted."""
    return ".".join(_quote_ident(part) for part in table.split("."))


def connection_url(source: Source, table: str) -> tuple[str, str | None]:
    """The URL to connect with (the password from the environment put in) and the password."""
    db = source.database
    if not db.password_env:
        return db.url, None
    password = os.environ.get(db.password_env)
    if password is None:
        raise DataError(f"data.{table}.database.password_env: the environment variable {db.password_env} is not set; "
                        f"set it to the database password (export {db.password_env}=...) before running the kit.")
    parts = urlsplit(db.url)
    user, _, hostport = parts.netloc.rpartition("@")
    if not user:
        raise DataError(f"data.{table}.database.url: {db.url} names no user; write postgresql://USER@HOST/DBNAME.")
    netloc = f"{user}:{quote(password, safe='')}@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), password


def _scrub(message: str, password: str | None) -> str:
    if password:
        for secret in {password, quote(password, safe="")}:
            message = message.replace(secret, "***")
    return (message.strip().splitlines() or [""])[0][:300]


def scan_database(table: str, source: Source, window: tuple[datetime, datetime] | None,
                  timezone: str = "UTC", schema_only: bool = False) -> tuple[pl.LazyFrame, str]:
    """The table's rows the run needs, and a label naming where they came from (no password)."""
    import adbc_driver_postgresql.dbapi as pg

    db = source.database
    label = f"data.{table}.database ({db.describe()})"
    url, password = connection_url(source, table)
    base = f"SELECT * FROM {_relation(db.table)}" if db.table else db.query.strip().rstrip(";")
    try:
        with pg.connect(url) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT * FROM ({base}) AS kit_source LIMIT 0")
            schema = cur.fetch_arrow_table().schema
            names = schema.names
            wanted = [source.columns.get(c.name, c.name) for c in TABLES[table].columns]
            if table == "orders" and "order_id" not in source.columns and "order_id" not in names:
                wanted = [w for w in wanted if w != "order_id"]
            columns = [w for w in wanted if w in names]
            for ours, theirs in source.columns.items():
                if theirs not in names:
                    raise DataError(f"data.{table}.columns maps {ours!r} to {theirs!r}, but {label} has no column "
                                    f"{theirs!r}. Its columns are: {', '.join(names)}.")
            select = ", ".join(_quote_ident(c) for c in columns) if columns else "*"
            sql, parameters = f"SELECT {select} FROM ({base}) AS kit_source", ()
            if schema_only:
                sql += " LIMIT 0"
            time_col = {"events": "event_time", "orders": "order_time"}.get(table)
            theirs = source.columns.get(time_col, time_col) if time_col else None
            if window is not None and theirs in names and not schema_only:
                import pyarrow as pa

                kind = schema.field(theirs).type
                if pa.types.is_timestamp(kind) and kind.tz is None:
                    sql += f" WHERE {_quote_ident(theirs)} >= $1 AND {_quote_ident(theirs)} < $2"
                    parameters = (window[0], window[1])
                elif pa.types.is_timestamp(kind):
                    # timestamptz: the window's local times are in the run's time zone
                    sql += (f" WHERE {_quote_ident(theirs)} >= ($1::timestamp AT TIME ZONE $3) "
                            f"AND {_quote_ident(theirs)} < ($2::timestamp AT TIME ZONE $3)")
                    parameters = (window[0], window[1], timezone)
            if parameters:
                cur.execute(sql, parameters)
            else:
                cur.execute(sql)
            data = cur.fetch_arrow_table()
    except DataError:
        raise
    except Exception as e:  # noqa: BLE001 - the driver's errors become one message naming the source
        raise DataError(f"{label}: {_scrub(str(e), password)}. Check the url, the password variable and the "
                        f"{'table' if db.table else 'query'}.") from None
    frame = pl.from_arrow(_plain(data))
    if not isinstance(frame, pl.DataFrame):
        frame = frame.to_frame()
    return frame.lazy(), label


def _plain(data):
    """The Arrow table with extension columns as their storage: the driver hands PostgreSQL types
    Arrow has none for (numeric, for one) as an opaque extension over their text, which the
    conform step then parses (and checks) like text."""
    import pyarrow as pa

    for i, f in enumerate(data.schema):
        if isinstance(f.type, pa.BaseExtensionType):
            column = data.column(i)
            storage = pa.chunked_array([chunk.storage for chunk in column.chunks], type=f.type.storage_type)
            data = data.set_column(i, f.name, storage)
    return data
