"""Validation: what is wrong with the input data, counted, with a few example rows.

Errors stop a run with one clear message; warnings go to the report's data-quality
appendix. Each :class:`Problem` says which table and column, how many rows, and what
to do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import polars as pl

MAX_EXAMPLES = 5


@dataclass
class Problem:
    level: str  # error | warning | info
    table: str
    check: str
    message: str
    column: str | None = None
    count: int = 0
    examples: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        examples = f" e.g. {', '.join(map(repr, self.examples[:3]))}" if self.examples else ""
        return f"[{self.level}] {where}: {self.message}{examples}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == "error"]


def missing_required(table: str, names: list[str], required: tuple[str, ...], source: str) -> list[Problem]:
    problems = []
    for col in required:
        if col not in names:
            problems.append(Problem(
                "error", table, "missing_column",
                f"required column {col!r} is missing from {source}. Its columns are: {', '.join(names)}. "
                f"Map yours with data.{table}.columns: {{{col}: <your column name>}} in the params file.",
                column=col,
            ))
    return problems


def incompatible_types(table: str, schema: pl.Schema, contract, where: str) -> list[Problem]:
    """Typed columns (Parquet, Excel, a database) whose type cannot hold the contract's: errors."""
    from kit.data.conform import incompatible

    problems = []
    for column in contract.columns:
        if column.name in schema and incompatible(column.dtype, schema[column.name]):
            problems.append(Problem(
                "error", table, "wrong_type",
                f"{column.name} is {schema[column.name]} in {where}, but the contract wants {column.dtype} "
                f"({column.meaning.rstrip('.')}). Map the right column with data.{table}.columns, or fix the "
                "file's type.",
                column=column.name))
    return problems


NOUNS = {"orders": "orders", "customers": "customers", "order_items": "order lines", "events": "events",
         "marketing_spend": "spend rows", "experiments": "exposures"}


def value_checks(table: str, raw: pl.LazyFrame, parse: dict[str, pl.Expr], contract, fallible: set[str],
                 where: str) -> tuple[list[Problem], int]:
    """One pass over a table as read: its row count, and per column the values that cannot be
    parsed into the contract's type, the required values that are missing (blank, null or NaN,
    the marker pandas writes for a missing number) and the infinite numbers.

    Levels, and why: an unparseable required value is an error (usually a format the kit does
    not know, which the params can name); a missing required value is a warning, and its rows
    are left out and counted (a blank cell in a shop's export is common and says nothing about
    the rest), unless no row has one (an error: the wrong column is mapped); an infinite number
    is an error in a required column (no amount is infinite: the export is broken) and a warning
    in an optional one (treated as missing)."""
    required = set(contract.required)
    aggs = [pl.len().alias("rows")]
    for c, e in parse.items():
        target = contract.column(c).dtype
        if c in fallible:
            aggs.append((pl.col(c).is_not_null() & e.is_null()).sum().alias(f"unparseable|{c}"))
        if c in required:
            missing = _missing(c, e, target, fallible)
            aggs.append(missing.sum().alias(f"missing|{c}"))
        if target == pl.Float64:
            aggs.append(e.is_infinite().sum().alias(f"infinite|{c}"))
    counts = raw.select(aggs).collect().row(0, named=True)
    rows = counts.pop("rows")
    problems = []
    for key, n in counts.items():
        if not n:
            continue
        check, c = key.split("|")
        e = parse[c]
        if check == "unparseable":
            bad = raw.filter(pl.col(c).is_not_null() & e.is_null()).select(pl.col(c).cast(pl.String)).head(MAX_EXAMPLES)
            examples = bad.collect().to_series().to_list()
        elif check == "missing" and n < rows:
            missing = _missing(c, e, contract.column(c).dtype, fallible)
            at = raw.with_row_index("row", offset=1).filter(missing).select("row").head(MAX_EXAMPLES)
            examples = at.collect().to_series().to_list()
        elif check == "infinite":
            bad = raw.filter(e.is_infinite()).select(pl.col(c).cast(pl.String)).head(MAX_EXAMPLES)
            examples = bad.collect().to_series().to_list()
        else:
            examples = []
        problems.append(value_problem(check, table, c, n, rows, where, c in required, examples))
    return problems, rows


def _missing(column: str, parsed: pl.Expr, target: pl.DataType, fallible: set[str]) -> pl.Expr:
    """A required value that is missing: null as read (a column that can fail to parse, whose
    failures are counted apart), null once parsed, NaN, or blank text (see
    :func:`kit.data.conform.blanks_as_missing`)."""
    missing = pl.col(column).is_null() if column in fallible else parsed.is_null()
    if target == pl.Float64:
        missing = missing | parsed.is_nan()
    if target == pl.String:
        missing = missing | (parsed == "")
    return missing


def value_problem(check: str, table: str, column: str, n: int, rows: int, where: str, required: bool,
                  examples: list) -> Problem:
    """The data-quality note of one count of :func:`value_checks` (``unparseable``, ``missing``
    or ``infinite`` values of ``column``: ``n`` of ``rows``), worded once for every engine; the
    levels are explained there."""
    c = column
    if check == "unparseable":
        level = "error" if required else "warning"
        what = "these rows cannot be used" if level == "error" else "they are treated as missing"
        return Problem(level, table, "unparseable", f"{n:,} values in {where} cannot be parsed ({what}); fix them or set "
                       f"the format in the params (data.{table}.datetime_format for dates)", column=c, count=n,
                       examples=examples)
    if check == "missing" and n == rows:
        return Problem("error", table, "missing_value", f"no row of {where} has a {c} (all {n:,} are blank, null or "
                       f"NaN); map the right column with data.{table}.columns.{c}", column=c, count=n)
    if check == "missing":
        return Problem("warning", table, "missing_value", f"{n:,} {NOUNS.get(table, 'rows')} of {where} have no {c} "
                       "(blank, null or NaN) and are left out; examples are row numbers (after the header)",
                       column=c, count=n, examples=examples)
    level = "error" if required else "warning"
    what = f"each {c} must be a finite number" if level == "error" else "they are treated as missing"
    return Problem(level, table, "infinite", f"{n:,} values in {where} are infinite; {what}", column=c, count=n,
                   examples=examples)


def unmapped_events(counted: pl.DataFrame, mapped: pl.Expr) -> list[Problem]:
    """The events whose names ``mapped`` (an expression of the ``event`` column alone) leaves
    null, from the events counted per name as read (``event, len``): only the names are
    mapped (mapping each of the 1M shop's 57M events' names took 4 s)."""
    names = (
        counted.filter(mapped.is_null() & pl.col("event").is_not_null())
        .sort(["len", "event"], descending=[True, False])
    )
    if names.is_empty():
        return []
    total = int(names["len"].sum())
    return [Problem(
        "info", "events", "unmapped_event",
        f"{total:,} events have names that are not funnel steps and are left out; map the ones that are "
        "under `events:` in the params (e.g. 加入购物车: add_to_cart)",
        column="event", count=total, examples=names["event"].head(MAX_EXAMPLES).to_list())]


def _count_problem(level, table, check, column, frame: pl.LazyFrame, message: str, example_cols: list[str]) -> list[Problem]:
    n = frame.select(pl.len()).collect().item()
    if not n:
        return []
    examples = frame.select(example_cols).head(MAX_EXAMPLES).collect().to_dicts()
    return [Problem(level, table, check, message.format(n=n), column=column, count=n, examples=examples)]


def table_checks(tables: dict[str, pl.LazyFrame]) -> list[Problem]:
    """Checks across rows and tables, on the conformed tables."""
    problems: list[Problem] = []
    orders = tables.get("orders")
    customers = tables.get("customers")
    items = tables.get("order_items")
    events = tables.get("events")
    if orders is not None:
        dups = orders.group_by("order_id").len().filter(pl.col("len") > 1)
        problems += _count_problem("warning", "orders", "duplicate_id", "order_id", dups,
                                   "{n:,} order ids appear more than once; only the first row of each is used",
                                   ["order_id", "len"])
        problems += _count_problem("warning", "orders", "negative_amount", "amount", orders.filter(pl.col("amount") < 0),
                                   "{n:,} orders have a negative amount; they are left out of GMV",
                                   ["order_id", "amount"])
        statuses = orders.filter(~pl.col("status").is_in(["paid", "cancelled", "refunded"]) & pl.col("status").is_not_null())
        problems += _count_problem("warning", "orders", "unknown_status", "status", statuses,
                                   "{n:,} orders have a status that is not paid/cancelled/refunded; they count as not "
                                   "paid (map them with data.orders.values.status)", ["order_id", "status"])
        if customers is not None:
            unknown = orders.join(customers.select("customer_id"), on="customer_id", how="anti")
            problems += _count_problem("warning", "orders", "unknown_customer", "customer_id", unknown,
                                       "{n:,} orders belong to customers missing from the customers table; "
                                       "their attributes show as unknown", ["order_id", "customer_id"])
        if items is not None:
            orphan = items.join(orders.select("order_id"), on="order_id", how="anti")
            problems += _count_problem("warning", "order_items", "unknown_order", "order_id", orphan,
                                       "{n:,} order lines refer to orders missing from the orders table and are ignored",
                                       ["order_id"])
    experiments = tables.get("experiments")
    if experiments is not None:
        names = experiments.collect_schema().names()
        if "customer_id" not in names and "visitor_id" not in names:
            problems.append(Problem("error", "experiments", "missing_column",
                                    "experiments need a customer_id or a visitor_id column to tell who was exposed; "
                                    "map one with data.experiments.columns", column="customer_id"))
    if customers is not None:
        dups = customers.group_by("customer_id").len().filter(pl.col("len") > 1)
        problems += _count_problem("warning", "customers", "duplicate_id", "customer_id", dups,
                                   "{n:,} customer ids appear more than once; only the first row of each is used",
                                   ["customer_id", "len"])
    if events is not None:
        names = events.collect_schema().names()
        if "customer_id" not in names and "visitor_id" not in names:
            problems.append(Problem("error", "events", "missing_column",
                                    "events need a customer_id or a visitor_id column to tell visitors apart; map one "
                                    "with data.events.columns", column="visitor_id"))
        if orders is not None:
            bounds = orders.select(pl.col("order_time").min().alias("lo"), pl.col("order_time").max().alias("hi")).collect()
            lo, hi = bounds.row(0)
            if lo is not None:
                outside = events.filter((pl.col("event_time") < lo) | (pl.col("event_time") > hi + pl.duration(days=1)))
                problems += _count_problem(
                    "warning", "events", "outside_range", "event_time", outside,
                    f"{{n:,}} events fall outside the orders' date range ({lo:%Y-%m-%d} to {hi:%Y-%m-%d})",
                    ["event_time", "event"])
    return problems


def history_check(tables: dict[str, pl.LazyFrame], first_needed) -> list[Problem]:
    """Warn when the data starts after the comparison period starts (figures would be partial)."""
    problems = []
    for name, col in (("orders", "order_time"), ("events", "event_time")):
        lf = tables.get(name)
        if lf is None:
            continue
        first = lf.select(pl.col(col).min()).collect().item()
        if first is not None and first.date() > first_needed:
            problems.append(Problem(
                "warning", name, "short_history",
                f"the data starts on {first:%Y-%m-%d}, after {first_needed}, the start of the comparison period: "
                "comparison figures are partial and customers look newer than they are", column=col))
    return problems
