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

import math
from collections.abc import Callable, Sequence

import polars as pl
from scipy.special import ndtr

from kit.periods import Period

UNKNOWN = "unknown"
"""The group of rows whose attribute is missing (null or blank): shown, not dropped."""


def or_unknown(column: str) -> pl.Expr:
    """A grouping column with nulls and blank strings shown as :data:`UNKNOWN`."""
    col = pl.col(column).cast(pl.String)
    return pl.when(col.is_null() | (col.str.strip_chars() == "")).then(pl.lit(UNKNOWN)).otherwise(col).alias(column)


def in_period(column: str, period: Period) -> pl.Expr:
    """Rows whose datetime/date ``column`` falls inside ``period`` (whole days, end inclusive)."""
    col = pl.col(column)
    return (col >= pl.lit(period.start_dt)) & (col < pl.lit(period.end_dt))


def in_periods(column: str, period: Period, comparison: Period | None) -> pl.Expr:
    """Rows whose ``column`` falls inside the period or, when there is one, the comparison period."""
    inside = in_period(column, period)
    return inside if comparison is None else inside | in_period(column, comparison)


def period_label(column: str, periods: Sequence[Period]) -> pl.Expr:
    """``period``: the label of the period of ``periods`` that ``column`` falls in (the first
    one when they overlap), null when none."""
    label = pl.lit(None, dtype=pl.String)
    for p in reversed(periods):
        label = pl.when(in_period(column, p)).then(pl.lit(p.label)).otherwise(label)
    return label.alias("period")


def of_periods(counted: pl.LazyFrame, period: Period, comparison: Period | None = None) -> pl.LazyFrame:
    """The rows of a table counted by ``date`` (:func:`kit.metrics.funnel.session_journey_tables`,
    :func:`kit.metrics.cart.counted_carts`) whose date is in the period or the comparison
    period, labelled with it (``period`` first)."""
    periods = [period] if comparison is None else [period, comparison]
    return (counted.with_columns(period_label("date", periods)).filter(pl.col("period").is_not_null())
            .select("period", pl.exclude("period")))


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


Z95 = 1.959963984540054  # standard normal quantile of 0.975


def proportion_tests(frame: pl.DataFrame, over: Sequence[str]) -> pl.DataFrame:
    """Add the 95% Wilson interval of ``rate`` = converted / entered and a two-proportion
    z-test of each row against the rest of its ``over`` group (e.g. the other devices at
    the same funnel step): columns ``ci_low, ci_high, rest_rate, z, p_value``.

    Wilson: ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``, z = 1.96.
    Test: ``rest_rate = (K - k) / (N - n)``, pooled ``q = K / N``,
    ``z = (p - rest_rate) / sqrt(q (1-q) (1/n + 1/(N-n)))``, ``p_value = 2 (1 - Φ(|z|))``;
    null when the group is alone or the pooled rate is 0 or 1.
    """
    n, k, z2 = pl.col("entered"), pl.col("converted"), Z95 ** 2
    p = safe_div(k, n)
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * (p * (1 - p) / n + z2 / (4 * n ** 2)).sqrt() / (1 + z2 / n)
    big_n, big_k = n.sum().over(over), k.sum().over(over)
    rest_n, rest_k = big_n - n, big_k - k
    q = safe_div(big_k, big_n)
    se = (q * (1 - q) * (1 / n + 1 / rest_n)).sqrt()
    rest_rate = safe_div(rest_k, rest_n)
    z = pl.when((n > 0) & (rest_n > 0) & (se > 0)).then((p - rest_rate) / se).otherwise(None)
    out = frame.with_columns(
        # min/max: the Wilson interval holds p, but at p = 0 or 1 rounding can put a bound a hair past it
        pl.when(n > 0).then(pl.min_horizontal(centre - half, p)).otherwise(None).alias("ci_low"),
        pl.when(n > 0).then(pl.max_horizontal(centre + half, p)).otherwise(None).alias("ci_high"),
        rest_rate.alias("rest_rate"),
        z.alias("z"),
    )
    # ndtr = the normal CDF (scipy.special: scipy.stats costs ~1.5 s to import in every process)
    p_value = 2 * ndtr(-out["z"].abs().fill_null(float("nan")).to_numpy())
    return out.with_columns(pl.Series("p_value", p_value).fill_nan(None))


def weighted_quantile(values: list[float], weights: list[int], q: float) -> float | None:
    """The ``q`` quantile, linear-interpolated, of the values each repeated its weight's times
    (sorted ascending): what polars' ``quantile(q, interpolation="linear")`` gives on the
    repeated values, without repeating them. None without values."""
    n = sum(weights)
    if n == 0:
        return None
    position = q * (n - 1)
    lower = math.floor(position)
    below, at = 0, []
    for value, weight in zip(values, weights, strict=True):
        while len(at) < 2 and lower + len(at) < below + weight:
            at.append(value)
        below += weight
        if len(at) == 2:
            break
    lo = at[0]
    hi = at[1] if len(at) > 1 else lo
    return lo + (hi - lo) * (position - lower)


def weighted_summary(values: list[float], weights: list[int], columns: dict[str, float | None]) -> pl.LazyFrame:
    """One row from values counted ``weights`` times each (sorted ascending): for each of
    ``columns``, the :func:`weighted_quantile` it names, or the count of values (the sum of
    the weights) where it names None. Every column Float64."""
    row = {name: [float(sum(weights)) if q is None else weighted_quantile(values, weights, q)]
           for name, q in columns.items()}
    return pl.LazyFrame(row, schema=dict.fromkeys(columns, pl.Float64))
