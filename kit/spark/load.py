"""Read, map, conform and check one table of the contract on Spark: the Spark twin of
:func:`kit.data.load._load_table`, for Parquet and CSV sources (local paths or any URI Spark
reads: ``hdfs://``, ``s3a://`` ...).

What is redone on Spark (it reads every row): the column mapping, the parsing of each column
into the contract's type (the same date formats, currency signs, decimal commas, id
clean-up, value maps), the row counts and the counts of values that cannot be parsed, are
missing or infinite (with their examples: values, or row numbers for missing ones), the
unmapped event names, and the checks across tables (:func:`table_checks`).

What stays on the local side, on the driver: a local source's files are checked by the local
reader first (format against extension, a readable Parquet footer, CSV encoding, separator and
header; the ``read_as`` notes), since it reads only their heads. A remote source gets none of
these: its CSV is read as UTF-8 with the configured (else default) separator. Excel and database
sources, and orders without an order id column (numbered by the local loader), are not read on
Spark: one message says to use ``engine: local`` or Parquet.

Rows keep their read position (file, block, row within the block: ``_file``, ``_block``,
``_row``), so "the first row of each duplicate id" is the same row the local engine keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from kit.contract import EVENT_STEPS, TABLES
from kit.data import conform, validate
from kit.data.conform import (
    AWARE_FORMATS,
    BOOLEAN_FALSE,
    BOOLEAN_TRUE,
    CURRENCY_SIGNS,
    DATE_FORMATS,
    DATETIME_FORMATS,
    DECIMAL_COMMA,
    GENDER_VALUES,
    STATUS_VALUES,
)
from kit.data.validate import MAX_EXAMPLES, Problem, value_problem
from kit.errors import DataError
from kit.params import is_remote

POSITION = ("_file", "_block", "_row")
"""Columns holding a row's read position; dropped before a table is written."""


@dataclass
class SparkLoaded:
    """The tables as Spark DataFrames in the contract's shape (plus :data:`POSITION`), the problems
    found, the files read and each table's rows as read."""

    tables: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, list] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return validate.errors(self.problems)


# ------------------------------------------------------------------ types

def polars_dtype(spark_type) -> pl.DataType:
    """The polars type a Spark column type reads as (to share the local loader's decisions:
    which columns can fail to parse, which types cannot hold the contract's)."""
    from pyspark.sql import types as T

    simple = {T.StringType: pl.String(), T.LongType: pl.Int64(), T.IntegerType: pl.Int32(),
              T.ShortType: pl.Int16(), T.ByteType: pl.Int8(), T.DoubleType: pl.Float64(),
              T.FloatType: pl.Float32(), T.BooleanType: pl.Boolean(), T.DateType: pl.Date(),
              T.TimestampNTZType: pl.Datetime("us"), T.TimestampType: pl.Datetime("us", "UTC"),
              T.BinaryType: pl.Binary(), T.NullType: pl.Null(), T.DecimalType: pl.Float64()}
    for kind, dtype in simple.items():
        if isinstance(spark_type, kind):
            return dtype
    if isinstance(spark_type, T.ArrayType):
        return pl.List(pl.Null())
    if isinstance(spark_type, T.StructType | T.MapType):
        return pl.Struct([])
    return pl.Object()


def spark_type(dtype: pl.DataType):
    """The Spark type written for a polars type of the prepared layout."""
    from pyspark.sql import types as T

    if isinstance(dtype, pl.Datetime):
        return T.TimestampNTZType()
    return {pl.String: T.StringType(), pl.Int64: T.LongType(), pl.Int32: T.IntegerType(),
            pl.Float64: T.DoubleType(), pl.Boolean: T.BooleanType(), pl.Date: T.DateType(),
            pl.UInt32: T.LongType()}[dtype.base_type()]


# ------------------------------------------------------------------ formats

_STRFTIME = [("%Y", "yyyy"), ("%m", "M"), ("%d", "d"), ("%H", "H"), ("%M", "m"), ("%S", "s"), ("%.f", "[.SSSSSSSSS]"),
             ("%f", "SSSSSS"), ("%y", "yy"), ("%b", "MMM"), ("%B", "MMMM"), ("%I", "h"), ("%p", "a"),
             ("%z", "xx"), ("%T", "H:m:s"), ("%F", "yyyy-M-d")]


def spark_pattern(fmt: str, zone: str = "xx") -> str:
    """A strftime format (as the local loader uses, chrono's dialect) as a Spark datetime pattern.
    Single-letter fields, which Spark parses with one or two digits, as chrono does. ``zone``:
    the pattern of ``%z`` (``xx`` reads +0800, ``XXX`` reads +08:00; chrono's %z reads both)."""
    out, literal, i = [], "", 0
    while i < len(fmt):
        for code, pattern in _STRFTIME:
            if fmt.startswith(code, i):
                pattern = zone if code == "%z" else pattern
                if literal:
                    out.append("'" + literal.replace("'", "''") + "'")
                    literal = ""
                out.append(pattern)
                i += len(code)
                break
        else:
            ch = fmt[i]
            if ch.isalpha() or ord(ch) > 127 or ch == "'":
                literal += ch
            else:
                if literal:
                    out.append("'" + literal.replace("'", "''") + "'")
                    literal = ""
                out.append(ch)
            i += 1
    if literal:
        out.append("'" + literal.replace("'", "''") + "'")
    return "".join(out)


def _local_time(instant, timezone: str):
    """An instant (Spark's TIMESTAMP, read in the session's UTC) as the naive time in ``timezone``."""
    from pyspark.sql import functions as F

    return F.convert_timezone(F.lit("UTC"), F.lit(timezone), instant.cast("timestamp_ntz"))


WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) \
    + "\u2028\u2029\u202f\u205f\u3000"
"""Unicode's White_Space characters: what polars' ``strip_chars()`` strips (Spark's ``trim``
strips only the ASCII space unless told the set)."""


def _strip(c):
    from pyspark.sql import functions as F

    # trim with the set, not a regular expression: a regex per value was the slowest part on 57M events
    return F.trim(c, F.lit(WHITE_SPACE))


def parse_datetime(c, dtype: pl.DataType, timezone: str, fmt: str | None = None):
    """The Spark twin of :func:`kit.data.conform.parse_datetime` (Excel excepted)."""
    from pyspark.sql import functions as F

    if isinstance(dtype, pl.Datetime):
        return _local_time(c, timezone) if dtype.time_zone else c
    if isinstance(dtype, pl.Date):
        return c.cast("timestamp_ntz")
    if dtype.is_numeric():
        seconds = c.cast("long")
        instant = F.when(F.abs(c) > 10**11, F.timestamp_millis(seconds)).otherwise(F.timestamp_seconds(seconds))
        return _local_time(instant, timezone)
    s = _strip(c.cast("string"))
    if fmt:
        return F.to_timestamp_ntz(s, F.lit(spark_pattern(fmt)))
    with_offset = s.rlike(r"(Z|[+-]\d{2}:?\d{2})$")
    with_z = F.regexp_replace(s, "Z$", "+00:00")
    aware = F.coalesce(*[F.to_timestamp_ltz(with_z, F.lit(spark_pattern(f, zone)))
                         for f in AWARE_FORMATS for zone in ("XXX", "xx")])
    naive = F.coalesce(*[F.to_timestamp_ntz(s, F.lit(spark_pattern(f))) for f in DATETIME_FORMATS],
                       *[F.to_date(s, spark_pattern(f)).cast("timestamp_ntz") for f in DATE_FORMATS])
    return F.when(with_offset, _local_time(aware, timezone)).otherwise(naive)


def parse_number(c, dtype: pl.DataType, target: pl.DataType):
    from pyspark.sql import functions as F

    kind = "double" if target == pl.Float64 else "long"
    if dtype.is_numeric():
        return c.cast(kind)
    s = F.regexp_replace(_strip(c.cast("string")), rf"[{CURRENCY_SIGNS}\s\u00a0]", "")
    s = F.when(s.rlike(DECIMAL_COMMA), F.regexp_replace(s, ",", ".")).otherwise(F.regexp_replace(s, ",", ""))
    number = s.cast("double")
    return number if kind == "double" else number.cast("long")


def parse_bool(c, dtype: pl.DataType):
    from pyspark.sql import functions as F

    if dtype == pl.Boolean:
        return c
    if dtype.is_numeric():
        return c != 0
    s = F.lower(_strip(c.cast("string")))
    return F.when(s.isin(list(BOOLEAN_TRUE)), F.lit(True)).when(s.isin(list(BOOLEAN_FALSE)), F.lit(False)) \
        .otherwise(F.lit(None).cast("boolean"))


def conform_columns(table, schema: dict[str, pl.DataType], timezone: str, datetime_format: str | None,
                    from_text: bool) -> dict:
    """One parsing expression per contract column present (the twin of
    :func:`kit.data.conform.conform_expressions`)."""
    from pyspark.sql import functions as F

    exprs = {}
    for column in table.columns:
        if column.name not in schema:
            continue
        dtype, c = schema[column.name], F.col(column.name)
        if isinstance(column.dtype, pl.Datetime):
            expr = parse_datetime(c, dtype, timezone, datetime_format)
        elif isinstance(column.dtype, pl.Date):
            expr = c if isinstance(dtype, pl.Date) else F.to_date(parse_datetime(c, dtype, timezone))
        elif column.dtype in (pl.Float64, pl.Int64):
            expr = parse_number(c, dtype, column.dtype)
        elif column.dtype == pl.Boolean:
            expr = parse_bool(c, dtype)
        elif column.name.endswith("_id") and dtype.is_float():
            expr = c.cast("long").cast("string")
        else:
            expr = _strip(c.cast("string"))
            if dtype == pl.String:
                expr = F.when(expr == "", F.lit(None).cast("string")).otherwise(expr)
            if column.name.endswith("_id") and from_text:
                expr = F.regexp_replace(expr, r"^(-?\d+)\.0+$", "$1")
        exprs[column.name] = expr
    return exprs


def map_values(expr, mapping: dict[str, str], otherwise=None):
    """Each value found in ``mapping`` replaced by its target, others ``otherwise`` (null)."""
    from pyspark.sql import functions as F

    out = otherwise if otherwise is not None else F.lit(None).cast("string")
    keys_of: dict[str, list[str]] = {}
    for key, target in mapping.items():
        keys_of.setdefault(target, []).append(key)
    for target, keys in keys_of.items():
        out = F.when(expr.isin(keys), F.lit(target)).otherwise(out)
    return out


def value_columns(table: str, names: list[str], value_maps: dict, event_map: dict) -> dict:
    """The twin of :func:`kit.data.conform.value_expressions`."""
    from pyspark.sql import functions as F

    exprs = {}
    for col, mapping in value_maps.items():
        if col in names:
            exprs[col] = map_values(F.col(col), mapping, otherwise=F.col(col))
    if table == "orders" and "status" in names:
        lowered = F.lower(_strip(exprs.get("status", F.col("status")).cast("string")))
        exprs["status"] = map_values(lowered, STATUS_VALUES, otherwise=lowered)
    if table == "customers" and "gender" in names:
        base = exprs.get("gender", F.col("gender"))
        exprs["gender"] = map_values(F.lower(_strip(base.cast("string"))), GENDER_VALUES)
    if table == "events" and "event" in names:
        base = exprs.get("event", F.col("event"))
        exprs["event"] = map_values(_strip(base.cast("string")), {**{s: s for s in EVENT_STEPS}, **event_map})
    return exprs


# ------------------------------------------------------------------ reading

def remote_listing(params, table: str, uri: str) -> list[list]:
    """A remote source's identity for the dataset's key: each file's path, size and modification
    time, listed on the cluster's file system (it starts Spark: the key of a remote source is only
    known where Spark runs)."""
    from kit.spark.session import session_for

    return [list(f) for f in list_remote(session_for(params), table, uri)]


def list_remote(spark, table: str, uri: str) -> list[tuple[str, int, int]]:
    """:func:`remote_files`, with one message naming the table when the path cannot be listed."""
    try:
        return remote_files(spark, uri)
    except Exception as e:  # noqa: BLE001 - e.g. no file system for the scheme, no credentials
        lines = str(e).strip().splitlines() or [type(e).__name__]
        # py4j's first line is "An error occurred while calling o12.getFileSystem."; the Java error follows
        first = lines[1] if lines[0].startswith("An error occurred") and len(lines) > 1 else lines[0]
        first = first[:300]
        raise DataError(f"data.{table}: Spark cannot list {uri} ({first.lstrip(': ')}). Check the path, and that "
                        "the cluster's file system (its jars, credentials: spark.conf) is configured.") from None


def remote_files(spark, uri: str) -> list[tuple[str, int, int]]:
    """``(path, size, modification time ms)`` of each data file a remote path names (the file,
    a folder's files, or a glob's matches), through the cluster's Hadoop file system."""
    from kit.data.read import DATA_SUFFIXES

    jvm = spark.sparkContext._jvm
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(hadoop)
    statuses = fs.globStatus(path) or []
    found = []
    for status in statuses:
        if status.isDirectory():
            walk = fs.listFiles(status.getPath(), True)
            while walk.hasNext():
                found.append(walk.next())
        else:
            found.append(status)
    files = [(str(s.getPath().toString()), int(s.getLen()), int(s.getModificationTime())) for s in found]
    return sorted(f for f in files if f[0].lower().endswith(DATA_SUFFIXES)
                  and not f[0].rsplit("/", 1)[-1].startswith((".", "_")))


def _kind(files: list[str], table: str, where: str) -> str:
    from kit.data.read import CSV_SUFFIXES, PARQUET_SUFFIXES

    kinds = {"parquet" if f.lower().endswith(PARQUET_SUFFIXES) else "csv" if f.lower().endswith(CSV_SUFFIXES)
             else "other" for f in files}
    if kinds == {"parquet"} or kinds == {"csv"}:
        return kinds.pop()
    raise DataError(f"data.{table}: {where} holds {' and '.join(sorted(kinds))} files; engine: spark reads Parquet "
                    "or CSV files (one format per table): export them as Parquet, or use engine: local.")


@dataclass
class Read:
    frame: object  # a Spark DataFrame, the user's columns mapped onto the contract's, with POSITION
    files: list
    kind: str
    notes: list[str]
    label: str


def read_source(spark, name: str, params) -> Read:
    """One table's files read by Spark with their read position and the mapping applied."""
    source = params.data.sources()[name]
    if source.database is not None:
        raise DataError(f"data.{name}: engine: spark reads files (Parquet or CSV), not a database; use engine: local, "
                        "or export the table to Parquet where the cluster can read it.")
    notes: list[str] = []
    separator, encoding = source.csv.separator, source.csv.encoding or "UTF-8"
    if is_remote(source.path):
        label = source.path
        listed = list_remote(spark, name, source.path)
        if not listed:
            raise DataError(f"data.{name}: no data file at {source.path}. Check data.{name}.path in the params file.")
        files = [f for f, _, _ in listed]
        kind = _kind(files, name, label)
    else:
        from kit.data.read import csv_layout, scan_table

        path = params.resolve(source.path.removeprefix("file://"))
        # the local reader's checks of the files (format, footer, encoding, separator, header): heads only
        scanned = scan_table(name, source, path, None, params.timezone, schema_only=True)
        if scanned.kind not in ("parquet", "csv"):
            raise DataError(f"data.{name}: {path} holds {scanned.kind} files; engine: spark reads Parquet or CSV: "
                            "export them as Parquet, or use engine: local.")
        label, kind, notes = scanned.label, scanned.kind, list(scanned.notes)
        files = [str(f) for f in scanned.files]
        if kind == "csv":
            layout = csv_layout(scanned.files[0], source, name)
            separator, encoding = layout.separator, layout.encoding
            if layout.cr_only:
                raise DataError(f"data.{name}: {scanned.files[0]} ends its lines with a lone CR, which Spark does not "
                                "split on; save it with ordinary line ends, or use engine: local.")
    try:
        frame = _read(spark, kind, files, source, separator, encoding)
    except Exception as e:  # noqa: BLE001 - Spark's errors (AnalysisException, Py4JJavaError) name no table
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        raise DataError(f"data.{name}: Spark cannot read {label} ({first}). Check data.{name}.path and that every "
                        "executor can reach it.") from None
    return Read(_map_columns(frame, name, source, label), files, kind, notes, label)


def _read(spark, kind: str, files: list[str], source, separator: str | None, encoding: str):
    """The files as one Spark frame, with each row's read position (:data:`POSITION`)."""
    from pyspark.sql import functions as F

    reader = spark.read
    if kind == "csv":
        sep = separator or ("\t" if files[0].lower().endswith(".tsv") else ",")
        frame = reader.csv(files, header=True, inferSchema=False, sep=sep, encoding=encoding, quote='"',
                           escape='"', multiLine=False, mode="PERMISSIVE")
        nulls = list(source.csv.null_values)
        frame = frame.select([F.when(F.col(f"`{c}`").isin(nulls), F.lit(None).cast("string"))
                              .otherwise(F.col(f"`{c}`")).alias(c) for c in frame.columns]
                             + [F.col("_metadata.file_path").alias("_file"),
                                F.col("_metadata.file_block_start").alias("_block")])
    else:
        frame = reader.parquet(*files).select("*", F.col("_metadata.file_path").alias("_file"),
                                             F.col("_metadata.file_block_start").alias("_block"))
    frame = frame.withColumn("_row", F.monotonically_increasing_id())
    frame.schema  # noqa: B018 - resolves the files now, so a missing path is reported here
    return frame


def _map_columns(frame, table: str, source, where: str):
    names = [c for c in frame.columns if c not in POSITION]
    cleaned = {n: n.lstrip("\ufeff").strip() for n in names}
    for ours, theirs in source.columns.items():
        if theirs not in cleaned.values():
            raise DataError(f"data.{table}.columns maps {ours!r} to {theirs!r}, but {where} has no column {theirs!r}. "
                            f"Its columns are: {', '.join(cleaned.values())}.")
    rename = {theirs: ours for ours, theirs in source.columns.items()}
    return frame.toDF(*[rename.get(cleaned[c], cleaned[c]) if c in cleaned else c for c in frame.columns])


# ------------------------------------------------------------------ one table

def load_table(spark, name: str, params) -> tuple[object | None, list[Problem], list, int]:
    """One table read, conformed and checked: ``(frame or None, problems, files, rows as read)``."""
    from pyspark.sql import functions as F

    source = params.data.sources()[name]
    table = TABLES[name]
    read = read_source(spark, name, params)
    raw, label = read.frame, read.label
    problems = [Problem("info", name, "read_as", note) for note in read.notes]
    schema = {f.name: polars_dtype(f.dataType) for f in raw.schema.fields if f.name not in POSITION}
    if name == "orders" and "order_id" not in schema:
        problems.append(Problem("error", name, "missing_column",
                                f"{label} has no order id column; engine: spark does not number orders: map one with "
                                "data.orders.columns.order_id, or use engine: local", column="order_id"))
        return None, problems, read.files, 0
    problems += validate.missing_required(name, list(schema), table.required, label)
    problems += validate.incompatible_types(name, pl.Schema(schema), table, label)
    if validate.errors(problems):
        return None, problems, read.files, 0
    from_text = read.kind == "csv"
    parse = conform_columns(table, schema, params.timezone, source.datetime_format, from_text)
    fallible = {c for c in parse if conform.can_fail(table.column(c).dtype, schema[c])}
    value_problems, rows = value_checks(name, raw, parse, table, fallible, label)
    problems += value_problems
    if rows == 0:
        problems.append(Problem("warning", name, "no_rows", f"{label} has no rows"))
    typed = raw.select(*[e.alias(c) for c, e in parse.items()], *POSITION)
    for c in parse:
        if table.column(c).dtype == pl.Float64:
            # NaN and infinite numbers are missing values from here on (counted above)
            finite = ~F.isnan(F.col(c)) & (F.abs(F.col(c)) != float("inf"))
            typed = typed.withColumn(c, F.when(finite, F.col(c)))
    values = value_columns(name, list(parse), source.values, params.events)
    if name == "events" and "event" in values:
        problems += unmapped_events(typed, values["event"])
    if values:
        typed = typed.withColumns(values)
    if name == "events":
        typed = typed.filter(F.col("event").isNotNull())
    typed = typed.dropna(subset=[c for c in table.required if c in parse])
    typed = add_defaults(name, typed)
    keep = [c.name for c in table.columns if c.name in typed.columns]
    return typed.select(*keep, *POSITION), problems, read.files, rows


def add_defaults(table: str, frame):
    """The twin of :func:`kit.data.conform.add_defaults`."""
    from pyspark.sql import functions as F

    if table == "orders":
        if "status" not in frame.columns:
            frame = frame.withColumn("status", F.lit("paid"))
        if "discount" not in frame.columns:
            frame = frame.withColumn("discount", F.lit(0.0))
    if table == "order_items" and "quantity" not in frame.columns:
        frame = frame.withColumn("quantity", F.lit(1).cast("long"))
    return frame


# ------------------------------------------------------------------ checks

def _first(frame, n: int = MAX_EXAMPLES):
    """The first ``n`` rows in read order."""
    return frame.orderBy(*POSITION).limit(n)


def _row_numbers(raw, examples) -> list[int]:
    """1-based row numbers (in read order, as the local loader counts) of the rows ``examples``
    (a few rows with their position): one pass counting the rows before each."""
    from pyspark.sql import functions as F

    def before(p):
        f, b, r = F.col("_file"), F.col("_block"), F.col("_row")
        return (f < p["_file"]) | ((f == p["_file"]) & ((b < p["_block"]) | ((b == p["_block"]) & (r < p["_row"]))))

    if not examples:
        return []
    counts = raw.select(*[F.sum(F.when(before(p), 1).otherwise(0)).alias(f"n{i}") for i, p in enumerate(examples)])
    return [int(v or 0) + 1 for v in counts.first()]


def value_checks(table: str, raw, parse: dict, contract, fallible: set[str], where: str):
    """The twin of :func:`kit.data.validate.value_checks`: one pass of counts, then examples."""
    from pyspark.sql import functions as F

    def count(cond):
        return F.sum(F.when(cond, 1).otherwise(0))

    def is_nan(e):
        return F.isnan(e) & e.isNotNull()

    def is_infinite(e):
        return F.abs(e) == float("inf")

    required = set(contract.required)
    aggs = [F.count(F.lit(1)).alias("rows")]
    missing_of = {}
    for c, e in parse.items():
        target = contract.column(c).dtype
        if c in fallible:
            aggs.append(count(F.col(c).isNotNull() & e.isNull()).alias(f"unparseable|{c}"))
        if c in required:
            missing = F.col(c).isNull() if c in fallible else e.isNull()
            if target == pl.Float64:
                missing = missing | F.coalesce(is_nan(e), F.lit(False))
            missing_of[c] = missing
            aggs.append(count(missing).alias(f"missing|{c}"))
        if target == pl.Float64:
            aggs.append(count(is_infinite(e)).alias(f"infinite|{c}"))
    counts = raw.select(*aggs).first().asDict()
    rows = int(counts.pop("rows"))
    problems = []
    for key, n in counts.items():
        n = int(n or 0)
        if not n:
            continue
        check, c = key.split("|")
        e = parse[c]
        if check == "unparseable":
            examples = [r[0] for r in _first(raw.filter(F.col(c).isNotNull() & e.isNull())
                                             .select(F.col(c).cast("string"), *POSITION)).collect()]
        elif check == "missing" and n < rows:
            at = _first(raw.filter(missing_of[c]).select(*POSITION)).collect()
            examples = _row_numbers(raw, [r.asDict() for r in at])
        elif check == "infinite":
            examples = [r[0] for r in _first(raw.filter(is_infinite(e)).select(F.col(c).cast("string"), *POSITION))
                        .collect()]
        else:
            examples = []
        problems.append(value_problem(check, table, c, n, rows, where, c in required, examples))
    return problems, rows


def unmapped_events(typed, mapped) -> list[Problem]:
    from pyspark.sql import functions as F

    names = (typed.filter(mapped.isNull() & F.col("event").isNotNull()).groupBy("event").count()
             .orderBy(F.col("count").desc(), F.col("event")).collect())
    if not names:
        return []
    total = sum(int(r["count"]) for r in names)
    return [Problem(
        "info", "events", "unmapped_event",
        f"{total:,} events have names that are not funnel steps and are left out; map the ones that are "
        "under `events:` in the params (e.g. 加入购物车: add_to_cart)",
        column="event", count=total, examples=[r["event"] for r in names[:MAX_EXAMPLES]])]


def _count_problem(level, table, check, column, frame, message: str, example_cols: list[str],
                   order: list[str] | None = None) -> list[Problem]:
    n = frame.count()
    if not n:
        return []
    examples = frame.orderBy(*(order or example_cols)).select(*example_cols).limit(MAX_EXAMPLES).collect()
    return [Problem(level, table, check, message.format(n=n), column=column, count=n,
                    examples=[r.asDict() for r in examples])]


def table_checks(tables: dict) -> list[Problem]:
    """The twin of :func:`kit.data.validate.table_checks` (examples in read order where the local
    engine's are, else sorted)."""
    from pyspark.sql import functions as F

    problems: list[Problem] = []
    orders, customers = tables.get("orders"), tables.get("customers")
    items, events = tables.get("order_items"), tables.get("events")
    if orders is not None:
        dups = orders.groupBy("order_id").agg(F.count(F.lit(1)).alias("len")).filter(F.col("len") > 1)
        problems += _count_problem("warning", "orders", "duplicate_id", "order_id", dups,
                                   "{n:,} order ids appear more than once; only the first row of each is used",
                                   ["order_id", "len"])
        problems += _count_problem("warning", "orders", "negative_amount", "amount", orders.filter(F.col("amount") < 0),
                                   "{n:,} orders have a negative amount; they are left out of GMV",
                                   ["order_id", "amount"], list(POSITION))
        statuses = orders.filter(~F.col("status").isin(["paid", "cancelled", "refunded"]) & F.col("status").isNotNull())
        problems += _count_problem("warning", "orders", "unknown_status", "status", statuses,
                                   "{n:,} orders have a status that is not paid/cancelled/refunded; they count as not "
                                   "paid (map them with data.orders.values.status)", ["order_id", "status"],
                                   list(POSITION))
        if customers is not None:
            unknown = orders.join(customers.select("customer_id"), on="customer_id", how="left_anti")
            problems += _count_problem("warning", "orders", "unknown_customer", "customer_id", unknown,
                                       "{n:,} orders belong to customers missing from the customers table; "
                                       "their attributes show as unknown", ["order_id", "customer_id"], list(POSITION))
        if items is not None:
            orphan = items.join(orders.select("order_id"), on="order_id", how="left_anti")
            problems += _count_problem("warning", "order_items", "unknown_order", "order_id", orphan,
                                       "{n:,} order lines refer to orders missing from the orders table and are ignored",
                                       ["order_id"], list(POSITION))
    if customers is not None:
        dups = customers.groupBy("customer_id").agg(F.count(F.lit(1)).alias("len")).filter(F.col("len") > 1)
        problems += _count_problem("warning", "customers", "duplicate_id", "customer_id", dups,
                                   "{n:,} customer ids appear more than once; only the first row of each is used",
                                   ["customer_id", "len"])
    if events is not None:
        if "customer_id" not in events.columns and "visitor_id" not in events.columns:
            problems.append(Problem("error", "events", "missing_column",
                                    "events need a customer_id or a visitor_id column to tell visitors apart; map one "
                                    "with data.events.columns", column="visitor_id"))
        if orders is not None:
            lo, hi = orders.select(F.min("order_time"), F.max("order_time")).first()
            if lo is not None:
                # naive datetimes go in as text: a Python datetime literal would be shifted by the local zone
                low = F.lit(lo.isoformat(sep=" ")).cast("timestamp_ntz")
                high = F.lit(hi.isoformat(sep=" ")).cast("timestamp_ntz") + F.expr("INTERVAL 1 DAY")
                outside = events.filter((F.col("event_time") < low) | (F.col("event_time") > high))
                problems += _count_problem(
                    "warning", "events", "outside_range", "event_time", outside,
                    f"{{n:,}} events fall outside the orders' date range ({lo:%Y-%m-%d} to {hi:%Y-%m-%d})",
                    ["event_time", "event"], list(POSITION))
    experiments = tables.get("experiments")
    if experiments is not None and "customer_id" not in experiments.columns and "visitor_id" not in experiments.columns:
        problems.append(Problem("error", "experiments", "missing_column",
                                "experiments need a customer_id or a visitor_id column to tell who was exposed; "
                                "map one with data.experiments.columns", column="customer_id"))
    return problems


def load_tables(spark, params) -> SparkLoaded:
    """Every table the params name, on Spark, with the problems (the twin of
    :func:`kit.data.load.load_tables`, without the history check, which each run makes)."""
    loaded = SparkLoaded()
    for name in params.data.sources():
        frame, problems, files, rows = load_table(spark, name, params)
        loaded.problems += problems
        loaded.files[name] = files
        loaded.rows[name] = rows
        if frame is not None:
            loaded.tables[name] = frame
    if not loaded.errors:
        loaded.problems += table_checks(loaded.tables)
    return loaded
