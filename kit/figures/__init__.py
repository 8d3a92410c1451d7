"""The report's figures: one function per figure, from a :class:`~kit.run.Run`.

Each figure function owns everything between the run and the table a chart draws:

- passing the run's tables and periods to the metric functions of :mod:`kit.metrics`;
- the availability guard: when the run's data lacks a table, a column or a comparison
  period the figure needs (declared with :func:`needs`), it returns a :class:`Missing`
  instead, which the notebook shows as a note saying what is missing and how to add it;
- keeping the tables the diagnosis reads (``reuse=True`` returns the table the section
  saved in the run's work folder, so findings quote exactly the numbers the report shows);
- its record in ``metrics.json`` (:meth:`kit.run.Run.record`, schema in :mod:`kit.figures.schema`).

Notebooks, the diagnosis and ``bench/sections.py`` call these functions and nothing else of
``kit.metrics``. One module per report section: :mod:`~kit.figures.summary`,
:mod:`~kit.figures.profile`, :mod:`~kit.figures.conversion`, :mod:`~kit.figures.value`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from kit.i18n import Locale
from kit.run import Run


@dataclass(frozen=True)
class Missing:
    """A figure the run's data cannot give. ``needs`` is the first unmet requirement:
    ``("events",)`` a table, ``("customers.birth_year", "customers.age")`` a column (any
    one of them would do), ``("comparison",)`` a comparison period."""

    needs: tuple[str, ...]

    def note(self, loc: Locale) -> str:
        """The visible line that replaces the figure: what is missing and how to add it."""
        first = self.needs[0]
        if first == "comparison":
            return loc.t("note.missing_comparison")
        table = first.split(".")[0]
        if "." not in first:
            return loc.t("note.missing_table", table=table)
        columns = " / ".join(f"{table}.{need.split('.', 1)[1]}" for need in self.needs)
        return loc.t("note.missing_column", columns=columns, table=table)


def missing(run: Run, comparison: bool = False, **tables: tuple[str, ...]) -> Missing | None:
    """The first of the requirements the run's data does not meet, or None.

    ``tables`` maps a table to the columns needed (``"a|b"``: either column), e.g.
    ``missing(run, orders=(), customers=("gender", "birth_year|age"))``; ``comparison``
    asks for a comparison period.
    """
    for table, columns in tables.items():
        frame = run.table(table)
        if frame is None:
            return Missing((table,))
        names = frame.collect_schema().names()
        for spec in columns:
            options = spec.split("|")
            if not any(o in names for o in options):
                return Missing(tuple(f"{table}.{o}" for o in options))
    if comparison and run.comparison is None:
        return Missing(("comparison",))
    return None


def attribute_missing(run: Run, column: str) -> Missing | None:
    """A per-customer attribute (region, acquisition channel ...) is read from the customers
    table, else from the orders: Missing when neither has the column."""
    if run.has("customers", column) or run.has("orders", column):
        return None
    return Missing((f"customers.{column}", f"orders.{column}"))


def present(figure):
    """The figure's data, or None when the run's data cannot give it (a :class:`Missing`)."""
    return None if isinstance(figure, Missing) else figure


def needs(comparison: bool = False, **tables: tuple[str, ...]):
    """Declare what a figure needs (see :func:`missing`): the decorated figure returns the
    :class:`Missing` instead of running when the run lacks it. The requirements stay
    readable on the function as ``.needs`` (the drop-one-table tests read them)."""

    def decorate(figure: Callable) -> Callable:
        @functools.wraps(figure)
        def guarded(run: Run, *args, **kwargs):
            gap = missing(run, comparison, **tables)
            return gap if gap is not None else figure(run, *args, **kwargs)

        guarded.needs = {"comparison": comparison, **tables}
        return guarded

    return decorate


def kept(run: Run, name: str, compute: Callable[[], pl.DataFrame], reuse: bool) -> pl.DataFrame:
    """A figure's table, saved in the run for the diagnosis (``results/<name>.parquet``);
    with ``reuse`` the saved table when there is one (else it is computed, as in a notebook
    run on its own)."""
    if reuse:
        saved = run.result(name)
        if saved is not None:
            return saved
    frame = compute()
    run.save_result(name, frame)
    return frame


def in_memory(run: Run, name: str, build: Callable[[], object]):
    """A large intermediate (sessions, journeys, carts) built once per kernel and kept in
    ``run.memory`` for the figures that read it."""
    if name not in run.memory:
        run.memory[name] = build()
    return run.memory[name]
