"""Load every table a run's params name: read, map, parse, validate.

``load_tables`` returns LazyFrames in the contract's shape plus the list of problems.
It does not cut by period or slice: :mod:`kit.run` does that when it prepares a run
(a database source is the exception: only the rows the run needs are fetched, see
:func:`windows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from kit.contract import TABLES
from kit.data import conform, validate
from kit.data.read import CSV_SUFFIXES, HEAD_BYTES, Scanned, scan_table
from kit.data.validate import Problem
from kit.errors import DataError
from kit.params import RunParams, check_sources_exist, is_remote


@dataclass
class Loaded:
    tables: dict[str, pl.LazyFrame]
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, list[Path]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    """Rows of each table as read (before rows with missing required values are left out)."""

    @property
    def errors(self) -> list[Problem]:
        return validate.errors(self.problems)


def windows(params: RunParams) -> dict[str, tuple[datetime, datetime]]:
    """The rows of each table a run needs, by time, where a database can be asked for fewer.

    Events: from the comparison's start to the period's end plus the cart window, exactly the
    events :func:`kit.run.prepare_run` keeps. Orders are read whole: first purchases, RFM
    history and churn look back before the comparison, and repurchase windows and the CLV
    holdout look at every order after the period up to the data's end. Order lines follow
    their orders; customers and marketing spend are small."""
    first = (params.previous or params.current).start_dt
    last = params.current.end_dt + timedelta(hours=params.conversion.cart_window_hours)
    return {"events": (first, last)}


def _read_error(e: Exception, scanned: Scanned, table: str) -> DataError:
    """A reader's error while scanning a table, as one message naming the source."""
    first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
    hint = ""
    if "utf-8" in first.lower() or "utf8" in first.lower():
        hint = f" The file is not UTF-8 throughout: set data.{table}.csv.encoding (e.g. gb18030)."
    quoted = [(f, _unclosed_quote_line(f)) for f in scanned.files if f.suffix.lower() in CSV_SUFFIXES]
    quoted = [(f, line) for f, line in quoted if line]
    if quoted:
        f, line = quoted[0]
        hint = (f" Line {line} of {f.name} opens a quote (\") that is never closed, which makes the rest of the file "
                "one value: fix that line and export again.")
    return DataError(f"data.{table}: {scanned.label} cannot be read ({first}).{hint}")


def _unclosed_quote_line(file: Path) -> int | None:
    """The first line of a CSV's head with an odd number of double quotes (a quote never
    closed makes the reader take the rest of the file as one value), or None."""
    with open(file, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    for number, line in enumerate(head.splitlines(), start=1):
        if line.count(b'"') % 2:
            return number
    return None


def _empty_table(name: str, scanned: Scanned) -> list[Problem]:
    """A table with no row: an unclosed quote when its CSV has lines after the header, else a warning."""
    for f in scanned.files:
        if f.suffix.lower() in CSV_SUFFIXES:
            with open(f, "rb") as fh:
                lines = [line for line in fh.read(HEAD_BYTES).splitlines() if line.strip()]
            if len(lines) > 1:
                at = _unclosed_quote_line(f)
                where = f" (line {at} opens a quote)" if at else ""
                return [Problem("error", name, "no_rows",
                                f"{f} has lines after its header but no row could be read{where}: a quote (\") that "
                                "is never closed makes the rest of the file one value. Fix that line and export again.")]
    return [Problem("warning", name, "no_rows", f"{scanned.label} has no rows")]


def load_table(name: str, params: RunParams, window=None) -> tuple[pl.LazyFrame | None, list[Problem], list[Path]]:
    """Read and conform one table; ``None`` with error problems when it cannot be used."""
    lf, problems, files, _ = _load_table(name, params, window)
    return lf, problems, files


def _load_table(name: str, params: RunParams, window=None):
    source = params.data.sources()[name]
    table = TABLES[name]
    scanned = scan_table(name, source, params.resolve(source.path) if source.path else None, window,
                         params.timezone)
    raw = scanned.frame
    label = scanned.label
    problems = [Problem("info", name, "read_as", note) for note in scanned.notes]
    if scanned.kind == "database":
        problems.append(Problem("info", name, "read_as", f"read from the database: {label}"))
    schema = raw.collect_schema()
    if name == "orders" and "order_id" not in schema.names() and "order_id" not in source.columns:
        # one row per order, as many public order logs are: the row is the order
        raw = raw.with_row_index("order_id", offset=1).with_columns(pl.col("order_id").cast(pl.String))
        schema = raw.collect_schema()
        problems.append(Problem("info", name, "numbered_orders",
                                f"{label} has no order id column: each row is taken as one order and numbered "
                                "1, 2, ... in the file's order (map one with data.orders.columns.order_id if it has one)",
                                column="order_id"))
    problems += validate.missing_required(name, schema.names(), table.required, label)
    problems += validate.incompatible_types(name, schema, table, label)
    if validate.errors(problems):
        return None, problems, scanned.files, 0
    excel = scanned.kind == "excel"
    parse = conform.conform_expressions(table, schema, params.timezone, source.datetime_format, scanned.from_text,
                                        excel)
    fallible = {c for c in parse if conform.can_fail(table.column(c).dtype, schema[c], excel)}
    try:
        value_problems, rows = validate.value_checks(name, raw, parse, table, fallible, label)
    except pl.exceptions.PolarsError as e:  # the first full read: a bad byte or row deep in the file
        raise _read_error(e, scanned, name) from None
    problems += value_problems
    if rows == 0:
        problems += _empty_table(name, scanned)
    typed = raw.select(list(parse.values())).with_columns(conform.blanks_as_missing(parse, table))
    floats = [c for c in parse if table.column(c).dtype == pl.Float64]
    if floats:
        # NaN and infinite numbers are missing values from here on (counted above)
        typed = typed.with_columns(pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c)
                                   for c in floats)
    values = conform.value_expressions(name, typed.collect_schema(), source.values, params.events)
    if name == "events" and "event" in values:
        counted = typed.group_by("event").len().collect()
        problems += validate.unmapped_events(counted, values["event"])
        values["event"] = conform.lookup_by_name(counted["event"], values["event"]).alias("event")
    typed = typed.with_columns(list(values.values()))
    if name == "events":
        typed = typed.filter(pl.col("event").is_not_null())
    # rows whose required values are missing or unusable are left out (counted above)
    typed = typed.drop_nulls([c for c in table.required if c in parse])
    typed = conform.add_defaults(name, typed)
    return conform.contract_columns(name, typed), problems, scanned.files, rows


def check_sources(params: RunParams) -> None:
    """What can be checked of a run's sources without reading their rows, before any kernel
    starts: the files exist and are what their names say, can be decoded, have a header with
    the required columns (or the mapped ones) of usable types; a database answers, with the
    columns. Raises the run's one message (:class:`DataError`) on the first problem."""
    from kit.run import data_errors_message

    check_sources_exist(params)
    problems: list[Problem] = []
    for name, source in params.data.sources().items():
        if source.path is not None and is_remote(source.path):
            continue  # read by Spark only, where the dataset is prepared
        scanned = scan_table(name, source, params.resolve(source.path) if source.path else None, None,
                             params.timezone, schema_only=True)
        schema = scanned.frame.collect_schema()
        names = schema.names()
        if name == "orders" and "order_id" not in names and "order_id" not in source.columns:
            names = [*names, "order_id"]  # numbered by the loader
        problems += validate.missing_required(name, names, TABLES[name].required, scanned.label)
        problems += validate.incompatible_types(name, schema, TABLES[name], scanned.label)
    if validate.errors(problems):
        raise DataError(data_errors_message(params, validate.errors(problems)))


def load_tables(params: RunParams, history: bool = True) -> Loaded:
    """Load and validate every table the params name. ``history``: also warn when the data
    starts after the run's comparison period (a prepared dataset, shared by runs of other
    periods, leaves it to each run: :func:`kit.run.prepare_run`)."""
    check_sources_exist(params)
    loaded = Loaded(tables={})
    window = windows(params)
    for name in params.data.sources():
        lf, problems, files, rows = _load_table(name, params, window.get(name))
        loaded.problems += problems
        loaded.files[name] = files
        loaded.rows[name] = rows
        if lf is not None:
            loaded.tables[name] = lf
    numbered = any(p.check == "numbered_orders" for p in loaded.problems)
    if numbered and "order_items" in params.data.sources():
        loaded.problems.append(Problem(
            "error", "order_items", "unknown_order",
            "order lines refer to their order by order_id, but the orders have no order id column; map the orders' "
            "id with data.orders.columns.order_id, or leave order_items out", column="order_id"))
    if not loaded.errors:
        loaded.problems += validate.table_checks(loaded.tables)
        if history:
            loaded.problems += validate.history_check(loaded.tables, (params.previous or params.current).start)
    return loaded
