"""Building blocks shared by every metric: period filters and the comparison shape.

Every metric function takes polars LazyFrames (already cut to the run's slice, not to
its period) and returns a small, collected polars DataFrame. Where a figure is shown
beside the comparison period, its table carries, for each value column ``x``:

- ``x``            the value in the period,
- ``x_prev``       the value in the comparison period (null when there is none),
- ``x_change``     ``x - x_prev``,
- ``x_change_rel`` ``(x - x_prev) / x_prev`` (null when ``x_prev`` is 0 or null).

For shares and rates ``x_change`` is the change in percentage points (as a fraction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from kit.periods import Period


def in_period(column: str, period: Period) -> pl.Expr:
    """Rows whose datetime/date ``column`` falls inside ``period`` (whole days, end inclusive)."""
    col = pl.col(column)
    return (col >= pl.lit(period.start_dt)) & (col < pl.lit(period.end_dt))


def add_change(frame: pl.LazyFrame | pl.DataFrame, values: Sequence[str]) -> pl.LazyFrame | pl.DataFrame:
    """Add ``x_change`` and ``x_change_rel`` for each ``x`` that has an ``x_prev`` column."""
    exprs = []
    for v in values:
        cur, prev = pl.col(v), pl.col(f"{v}_prev")
        exprs.append((cur - prev).alias(f"{v}_change"))
        exprs.append(
            pl.when(prev.is_null() | (prev == 0)).then(None).otherwise((cur - prev) / prev.abs()).alias(f"{v}_change_rel")
        )
    return frame.with_columns(exprs)


def compare(
    metric: Callable[[Period], pl.LazyFrame],
    period: Period,
    comparison: Period | None,
    on: Sequence[str] = (),
    values: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Evaluate ``metric`` (a function of a period returning a lazy table) for the period and
    the comparison period, join them on the ``on`` columns and add the change columns.

    Collected once, at the end. Groups present in only one period get nulls on the other side.
    """
    current = metric(period)
    names = current.collect_schema().names()
    values = list(values) if values is not None else [c for c in names if c not in on]
    if comparison is None:
        out = current.with_columns([pl.lit(None, dtype=pl.Float64).alias(f"{v}_prev") for v in values])
    else:
        prev = metric(comparison).select([*on, *values]).rename({v: f"{v}_prev" for v in values})
        out = current.join(prev, on=list(on), how="full", coalesce=True) if on else current.join(prev, how="cross")
    out = add_change(out, values)
    ordered = [*on] + [c for v in values for c in (v, f"{v}_prev", f"{v}_change", f"{v}_change_rel")]
    rest = [c for c in out.collect_schema().names() if c not in ordered]
    return out.select([*ordered, *rest]).collect()


def share(column: str, over: Sequence[str] = ()) -> pl.Expr:
    """``column`` as a fraction of its total (within the ``over`` groups when given)."""
    total = pl.col(column).sum().over(over) if over else pl.col(column).sum()
    return pl.when(total > 0).then(pl.col(column) / total).otherwise(None)


def safe_div(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """``num / den``, null where ``den`` is 0 or null."""
    return pl.when(den.is_null() | (den == 0)).then(None).otherwise(num / den)
