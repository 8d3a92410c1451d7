"""Load every table a run's params name: read, map, parse, validate.

``load_tables`` returns LazyFrames in the contract's shape plus the list of problems.
It does not cut by period or slice: :mod:`kit.run` does that when it prepares a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from kit.contract import TABLES
from kit.data import conform, validate
from kit.data.read import PARQUET_SUFFIXES, scan_source
from kit.data.validate import Problem
from kit.params import RunParams, check_sources_exist


@dataclass
class Loaded:
    tables: dict[str, pl.LazyFrame]
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return validate.errors(self.problems)


def load_table(name: str, params: RunParams) -> tuple[pl.LazyFrame | None, list[Problem], list[Path]]:
    """Read and conform one table; ``None`` with error problems when it cannot be used."""
    source = params.data.sources()[name]
    table = TABLES[name]
    raw, files = scan_source(name, source, params.resolve(source.path))
    schema = raw.collect_schema()
    label = f"{source.path}"
    problems = validate.missing_required(name, schema.names(), table.required, label)
    if problems:
        return None, problems, files
    from_text = all(f.suffix.lower() not in PARQUET_SUFFIXES for f in files)
    parse = conform.conform_expressions(table, schema, params.timezone, source.datetime_format, from_text)
    fallible = {c: e for c, e in parse.items() if conform.can_fail(table.column(c).dtype, schema[c])}
    problems += validate.parse_failures(name, raw, fallible, table.required)
    typed = raw.select(list(parse.values()))
    values = conform.value_expressions(name, typed.collect_schema(), source.values, params.events)
    if name == "events" and "event" in values:
        problems += validate.unmapped_events(typed, values["event"])
    typed = typed.with_columns(list(values.values()))
    if name == "events":
        typed = typed.filter(pl.col("event").is_not_null())
    # rows whose required values are unusable are dropped (they were reported above)
    typed = typed.drop_nulls([c for c in table.required if c in parse and c != "customer_id"])
    typed = conform.add_defaults(name, typed)
    return conform.contract_columns(name, typed), problems, files


def load_tables(params: RunParams) -> Loaded:
    """Load and validate every table the params name."""
    check_sources_exist(params)
    loaded = Loaded(tables={})
    for name in params.data.sources():
        lf, problems, files = load_table(name, params)
        loaded.problems += problems
        loaded.files[name] = files
        if lf is not None:
            loaded.tables[name] = lf
    if not loaded.errors:
        loaded.problems += validate.table_checks(loaded.tables)
        first_needed = (params.previous or params.current).start
        loaded.problems += validate.history_check(loaded.tables, first_needed)
    return loaded
