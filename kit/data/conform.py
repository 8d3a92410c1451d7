"""Turn a table as read into the contract's columns, types and values.

Dates and datetimes are parsed from the common formats (``2025-11-03 12:34:56``,
``2025/11/03 12:34``, ISO 8601 with ``T`` and an offset, a bare date, Unix epoch
seconds or milliseconds; in an Excel sheet, numbers are Excel's serial days). Values
with a time zone are converted to the run's time zone and stored naive; naive values
are taken as already local. Numbers may carry currency signs and thousands separators
(``¥1,250.00``) or a decimal comma (``12,5``). Text is trimmed, and an empty text is
missing. Status, gender and event names are normalised; :mod:`kit.data.validate`
counts what could not be parsed.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kit.contract import EVENT_STEPS, TABLES, Table

DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y%m%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
)
AWARE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z", "%Y/%m/%d %H:%M:%S%z")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m", "%d/%m/%Y", "%Y年%m月%d日")

STATUS_VALUES = {
    "paid": "paid", "pay": "paid", "payed": "paid", "completed": "paid", "complete": "paid", "success": "paid",
    "succeeded": "paid", "delivered": "paid", "shipped": "paid", "done": "paid", "finished": "paid",
    "已支付": "paid", "已付款": "paid", "已完成": "paid", "交易成功": "paid", "已发货": "paid", "已签收": "paid",
    "cancelled": "cancelled", "canceled": "cancelled", "cancel": "cancelled", "unpaid": "cancelled",
    "closed": "cancelled", "failed": "cancelled", "pending": "cancelled",
    "已取消": "cancelled", "未支付": "cancelled", "待付款": "cancelled", "交易关闭": "cancelled",
    "refunded": "refunded", "refund": "refunded", "returned": "refunded",
    "已退款": "refunded", "退款成功": "refunded", "已退货": "refunded",
}
GENDER_VALUES = {
    "f": "F", "female": "F", "woman": "F", "w": "F", "女": "F", "女性": "F", "2": "F",
    "m": "M", "male": "M", "man": "M", "男": "M", "男性": "M", "1": "M",
}
BOOLEAN_TRUE = ("true", "1", "yes", "y", "t", "是", "已退货", "returned")
BOOLEAN_FALSE = ("false", "0", "no", "n", "f", "否", "")


EXCEL_EPOCH = datetime(1899, 12, 30)
"""Day 0 of Excel's serial dates (1900 date system, with its phantom 29 February 1900 behind it)."""


def parse_datetime(col: str, dtype: pl.DataType, timezone: str, fmt: str | None = None,
                   excel: bool = False) -> pl.Expr:
    """Parse ``col`` into a naive local Datetime("us") whatever it arrives as; numbers are
    epoch seconds (or milliseconds), or Excel serial days when ``excel``."""
    c = pl.col(col)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone:
            return c.dt.convert_time_zone(timezone).dt.replace_time_zone(None).dt.cast_time_unit("us")
        return c.dt.cast_time_unit("us")
    if isinstance(dtype, pl.Date):
        return c.cast(pl.Datetime("us"))
    if dtype.is_numeric() and excel:
        return _excel_serial(c.cast(pl.Float64))
    if excel:
        # a column mixing date cells and serial numbers arrives as text: numbers are serial days
        return pl.coalesce(parse_datetime(col, dtype, timezone, fmt),
                           _excel_serial(c.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)))
    if dtype.is_numeric():
        # epoch seconds, or milliseconds when the numbers are that large
        return (
            pl.when(c.abs() > 10**11).then(pl.from_epoch(c.cast(pl.Int64), time_unit="ms"))
            .otherwise(pl.from_epoch(c.cast(pl.Int64), time_unit="s"))
            .dt.replace_time_zone("UTC").dt.convert_time_zone(timezone).dt.replace_time_zone(None)
            .dt.cast_time_unit("us")
        )
    s = c.cast(pl.String).str.strip_chars()
    if fmt:
        return s.str.strptime(pl.Datetime("us"), fmt, strict=False)
    with_offset = s.str.contains(r"(Z|[+-]\d{2}:?\d{2})$")
    with_z = s.str.replace(r"Z$", "+00:00")
    aware = (
        pl.coalesce([with_z.str.strptime(pl.Datetime("us", "UTC"), f, strict=False) for f in AWARE_FORMATS])
        .dt.convert_time_zone(timezone)
        .dt.replace_time_zone(None)
    )
    naive = pl.coalesce(
        [s.str.strptime(pl.Datetime("us"), f, strict=False) for f in DATETIME_FORMATS]
        + [s.str.strptime(pl.Date, f, strict=False).cast(pl.Datetime("us")) for f in DATE_FORMATS]
    )
    return pl.when(with_offset).then(aware).otherwise(naive)


def _excel_serial(days: pl.Expr) -> pl.Expr:
    """Excel serial days (the fraction is the time of day); out of Excel's range (1900..9999): null."""
    micros = (days * 86_400_000_000).round(0).cast(pl.Int64)
    return (pl.when((days >= 1) & (days < 2958466)).then(pl.lit(EXCEL_EPOCH) + pl.duration(microseconds=micros))
            .otherwise(None).dt.cast_time_unit("us"))


def parse_date(col: str, dtype: pl.DataType, timezone: str, fmt: str | None = None, excel: bool = False) -> pl.Expr:
    if isinstance(dtype, pl.Date):
        return pl.col(col)
    return parse_datetime(col, dtype, timezone, fmt, excel).dt.date()


CURRENCY_SIGNS = r"¥￥$€£₩₹元"
DECIMAL_COMMA = r"^[+-]?\d+,\d{1,2}$"
"""``12,5`` or ``1250,00``: a decimal comma (a thousands separator is followed by three digits)."""


def _parse_number(col: str, dtype: pl.DataType, target: pl.DataType) -> pl.Expr:
    c = pl.col(col)
    if dtype.is_numeric():
        return c.cast(target, strict=False)
    # currency signs, spaces and thousands separators are common in exports (¥1,250.00)
    s = c.cast(pl.String).str.strip_chars().str.replace_all(rf"[{CURRENCY_SIGNS}\s\u00a0]", "")
    s = pl.when(s.str.contains(DECIMAL_COMMA)).then(s.str.replace(",", ".", literal=True)).otherwise(
        s.str.replace_all(",", "", literal=True))
    number = s.cast(pl.Float64, strict=False)
    return number if target == pl.Float64 else number.cast(target, strict=False)


def _parse_bool(col: str, dtype: pl.DataType) -> pl.Expr:
    c = pl.col(col)
    if dtype == pl.Boolean:
        return c
    if dtype.is_numeric():
        return c != 0
    s = c.cast(pl.String).str.strip_chars().str.to_lowercase()
    return pl.when(s.is_in(list(BOOLEAN_TRUE))).then(True).when(s.is_in(list(BOOLEAN_FALSE))).then(False).otherwise(None)


def conform_expressions(
    table: Table, schema: pl.Schema, timezone: str, datetime_format: str | None = None, from_text: bool = True,
    excel: bool = False,
) -> dict[str, pl.Expr]:
    """One parsing expression per contract column present in ``schema``; ``from_text``:
    the values were read as text (CSV), not typed (Parquet); ``excel``: from an Excel sheet
    (numbers in date columns are serial days)."""
    exprs: dict[str, pl.Expr] = {}
    for column in table.columns:
        if column.name not in schema:
            continue
        dtype = schema[column.name]
        if isinstance(column.dtype, pl.Datetime):
            expr = parse_datetime(column.name, dtype, timezone, datetime_format, excel)
        elif isinstance(column.dtype, pl.Date):
            expr = parse_date(column.name, dtype, timezone, None, excel)
        elif column.dtype in (pl.Float64, pl.Int64):
            expr = _parse_number(column.name, dtype, column.dtype)
        elif column.dtype == pl.Boolean:
            expr = _parse_bool(column.name, dtype)
        elif column.name.endswith("_id") and dtype.is_float():
            # ids stored as floats (1001.0) must match their integer twins in other tables
            expr = pl.col(column.name).cast(pl.Int64, strict=False).cast(pl.String)
        else:
            # trimmed here; a blank cell becomes a missing value after (blanks_as_missing)
            expr = pl.col(column.name).cast(pl.String).str.strip_chars()
            if column.name.endswith("_id") and from_text:
                # ids written as floats by spreadsheets ("1001.0") must match their integer twins;
                # typed (Parquet) string ids skip this regex, which costs seconds on 50M events
                expr = expr.str.replace(r"^(-?\d+)\.0+$", "$1")
        exprs[column.name] = expr.alias(column.name)
    return exprs


def blanks_as_missing(parse: dict[str, pl.Expr], table: Table) -> list[pl.Expr]:
    """The second step of parsing, over the columns :func:`conform_expressions` made: a text
    value that is blank once trimmed is a missing value (null). A step of its own so that each
    value is trimmed once: written as one expression (the blank test and the value, each
    trimmed), every value was trimmed twice, 4 s of each pass over the 1M shop's 57M events."""
    return [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
            for c in parse if table.column(c).dtype == pl.String]


def can_fail(target: pl.DataType, dtype: pl.DataType, excel: bool = False) -> bool:
    """Whether parsing a ``dtype`` column into ``target`` can turn a value into null: text
    parsed into another type can, and so can an Excel serial number out of range (typed
    Parquet columns are not re-checked)."""
    if excel and target.is_temporal() and dtype.is_numeric():
        return True
    return target != pl.String and dtype == pl.String


def incompatible(target: pl.DataType, dtype: pl.DataType) -> bool:
    """Whether a typed column (Parquet, Excel, database) cannot hold the contract's ``target``
    type at all: a true/false amount, a date as a number of items, a nested value... These would
    parse into nothing but nulls, so they stop the run instead."""
    if dtype == pl.Null or dtype == pl.String or dtype == target:
        return False
    if isinstance(dtype, pl.List | pl.Array | pl.Struct | pl.Binary | pl.Object):
        return True
    if target in (pl.Float64, pl.Int64):
        return not dtype.is_numeric()
    if target.is_temporal():
        return dtype == pl.Boolean
    if target == pl.Boolean:
        return not (dtype.is_numeric() or dtype == pl.Boolean)
    return False


def map_values(expr: pl.Expr, mapping: dict[str, str], otherwise: pl.Expr | None = None) -> pl.Expr:
    """``expr`` with each value found in ``mapping`` replaced by its target; other values
    become ``otherwise`` (null when not given).

    A chain of ``is_in`` tests, one per target: ``replace``/``replace_strict`` are not run
    by the streaming engine and held 12 GB to map the names of 57M events.
    """
    keys_of: dict[str, list[str]] = {}
    for key, target in mapping.items():
        keys_of.setdefault(target, []).append(key)
    out = otherwise if otherwise is not None else pl.lit(None, dtype=pl.String)
    for target, keys in keys_of.items():
        out = pl.when(expr.is_in(keys)).then(pl.lit(target)).otherwise(out)
    return out


MAX_LOOKUP_NAMES = 10_000
"""Above this many distinct event names, :func:`lookup_by_name` keeps the expression as it is."""


def lookup_by_name(names: pl.Series, mapped: pl.Expr) -> pl.Expr:
    """``mapped`` (an expression of the ``event`` column alone: trimmed, then mapped to a step)
    as a lookup of the names the data holds, ``names``: the same values without trimming each
    event's name again (2 s of the 1M shop's prepared events)."""
    if names.len() > MAX_LOOKUP_NAMES:
        return mapped
    table = pl.DataFrame({"event": names}).with_columns(mapped.alias("_step")).drop_nulls()
    return map_values(pl.col("event").cast(pl.String), dict(zip(table["event"], table["_step"], strict=True)))


def value_expressions(table: str, schema: pl.Schema, value_maps: dict[str, dict[str, str]],
                      event_map: dict[str, str]) -> dict[str, pl.Expr]:
    """Normalise the categorical values the metrics rely on (after types are parsed)."""
    exprs: dict[str, pl.Expr] = {}
    for col, mapping in value_maps.items():
        if col in schema:
            exprs[col] = map_values(pl.col(col), mapping, otherwise=pl.col(col))
    if table == "orders" and "status" in schema:
        base = exprs.get("status", pl.col("status"))
        lowered = base.cast(pl.String).str.strip_chars().str.to_lowercase()
        exprs["status"] = map_values(lowered, STATUS_VALUES, otherwise=lowered).alias("status")
    if table == "customers" and "gender" in schema:
        base = exprs.get("gender", pl.col("gender"))
        exprs["gender"] = map_values(base.cast(pl.String).str.strip_chars().str.to_lowercase(),
                                     GENDER_VALUES).alias("gender")
    if table == "events" and "event" in schema:
        base = exprs.get("event", pl.col("event"))
        mapping = {**{s: s for s in EVENT_STEPS}, **event_map}
        exprs["event"] = map_values(base.cast(pl.String).str.strip_chars(), mapping).alias("event")
    return {k: v.alias(k) for k, v in exprs.items()}


def add_defaults(table: str, lf: pl.LazyFrame) -> pl.LazyFrame:
    """Fill the optional columns the metrics expect with their documented defaults."""
    names = lf.collect_schema().names()
    if table == "orders":
        if "status" not in names:
            lf = lf.with_columns(pl.lit("paid").alias("status"))
        if "discount" not in names:
            lf = lf.with_columns(pl.lit(0.0).alias("discount"))
    if table == "order_items" and "quantity" not in names:
        lf = lf.with_columns(pl.lit(1, dtype=pl.Int64).alias("quantity"))
    return lf


def contract_columns(table: str, lf: pl.LazyFrame) -> pl.LazyFrame:
    """Keep the contract's columns, in the contract's order (extra columns are dropped)."""
    names = set(lf.collect_schema().names())
    return lf.select([c.name for c in TABLES[table].columns if c.name in names])
