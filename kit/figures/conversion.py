"""Section 2, conversion path and repurchase (客户行为路径与转化): the funnel and its
breakdowns, the daily series, paths, cart abandonment, channel ROI, repurchase, cohorts,
lifecycle, repurchase drivers and churn by place.

Each function is one figure of the section, from the run (see :mod:`kit.figures`);
definitions are in :mod:`kit.metrics.funnel`, :mod:`kit.metrics.cart`,
:mod:`kit.metrics.retention`, :mod:`kit.metrics.repurchase` and :mod:`kit.metrics.customers`.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from kit.figures import Missing, attribute_missing, in_memory, kept, needs
from kit.metrics import cart, retention
from kit.metrics import funnel as fn
from kit.metrics.channels import channel_roi as _channel_roi
from kit.metrics.common import of_periods
from kit.metrics.customers import churn_by as _churn_by
from kit.metrics.customers import gmv_by
from kit.metrics.kpis import repurchase_kpi
from kit.metrics.repurchase import first_purchase_repurchase
from kit.periods import Period
from kit.run import Run

DIMENSIONS = fn.DIMENSIONS
"""The funnel's breakdowns: device, source, new vs returning."""

# ------------------------------------------------------------------ 2.1 funnel


def _journeys(run: Run) -> dict[str, pl.LazyFrame]:
    """What the funnel's figures read, kept in memory per kernel: the run's journeys counted
    (:func:`kit.metrics.funnel.journey_counts`) and the paid ones' minutes to pay
    (:func:`kit.metrics.funnel.convert_times`). Session journeys of the steps the data was
    prepared for (the dataset's, or those counted for the run's steps: :func:`kit.dataset.counted_for`)
    are cut from the prepared counts (:func:`kit.metrics.common.of_periods`), and user journeys
    counted for the run's periods are read as they are; journeys of steps the session table does
    not time are built here from the session table and the events."""

    def build() -> dict[str, pl.LazyFrame]:
        conv = run.params.conversion
        if conv.funnel_unit == "session" and _prepared_for_steps(run):
            plans = [of_periods(run.journey_counts, run.period, run.comparison),
                     of_periods(run.convert_times, run.period, run.comparison)]
        elif conv.funnel_unit == "user" and _prepared_user_journeys(run):
            plans = [run.table("user_journey_counts"), run.table("user_convert_times")]
        else:
            built = fn.journeys(run.events, run.period, run.comparison, steps=conv.funnel_steps,
                                unit=conv.funnel_unit, window_days=conv.user_window_days, orders=run.orders,
                                sessions=run.sessions).cache()
            plans = [fn.journey_counts(built), fn.convert_times(built)]
        counts, times = pl.collect_all(plans, engine="streaming")
        run.save_result("journey_counts", counts)  # the diagnosis' monthly step series (kit.figures.history)
        return {"counts": counts.lazy(), "times": times.lazy()}

    return in_memory(run, "journeys", build)


def _prepared_user_journeys(run: Run) -> bool:
    """Whether the data counted the user journeys of the run's steps and periods
    (:func:`kit.metrics.funnel.user_journey_tables`: a slice's, or those counted for the run's
    settings, :func:`kit.dataset.counted_for`)."""
    counts = run.table("user_journey_counts")
    if counts is None or fn.steps_of(counts) != run.params.conversion.funnel_steps:
        return False
    labels = {p.label for p in (run.period, run.comparison) if p is not None}
    return set(counts.select("period").unique().collect().to_series().drop_nulls()) <= labels


def _prepared_for_steps(run: Run) -> bool:
    """Whether the data counted the session journeys and paths of the run's funnel steps
    (:func:`kit.metrics.funnel.session_journey_tables`, :func:`kit.metrics.funnel.path_counts`)."""
    counts = run.journey_counts
    return counts is not None and fn.steps_of(counts) == run.params.conversion.funnel_steps


@needs(events=("event",))
def funnel(run: Run, reuse: bool = False) -> pl.DataFrame:
    """The funnel: per step count, step conversion, conversion from start, drop-off, the
    weakest step; beside the comparison period."""
    table = kept(run, "funnel", lambda: fn.funnel_table(_journeys(run)["counts"], run.period, run.comparison), reuse)
    if not reuse:
        run.record("conversion", {"funnel": table.to_dicts()})
    return table


@needs(events=("event",))
def funnel_by(run: Run, dimension: str, reuse: bool = False) -> pl.DataFrame:
    """Step conversion per group of ``dimension`` (device, source, visitor) with 95% intervals
    and the test of each group against the rest (kept for the diagnosis)."""
    return kept(run, f"funnel_by_{dimension}",
                lambda: fn.step_conversion_by(_journeys(run)["counts"], dimension, run.period, run.comparison),
                reuse)


class Breakdown(NamedTuple):
    dimension: str
    by_step: pl.DataFrame
    """Step conversion per group (:func:`funnel_by`)."""
    by_group: pl.DataFrame
    """Whole-funnel conversion per group, worst first (:func:`kit.metrics.funnel.conversion_by`)."""


@needs(events=("event",))
def funnel_breakdowns(run: Run) -> list[Breakdown]:
    """The funnel by device, source and new vs returning: the dimensions with two groups or more."""
    out = []
    for dimension in DIMENSIONS:
        by_step = funnel_by(run, dimension)
        if by_step["group"].n_unique() >= 2:
            out.append(Breakdown(dimension, by_step, fn.conversion_by(by_step)))
    return out


@needs(events=("event",))
def time_to_convert(run: Run) -> pl.DataFrame:
    """Median and p90 minutes from the first product view to pay, over journeys that paid."""
    return fn.time_to_convert(_journeys(run)["times"], run.period, run.comparison)


class Paths(NamedTuple):
    moves: pl.DataFrame
    """The most common moves between steps."""
    paths: pl.DataFrame
    """The most common whole paths of sessions that bought and that did not."""


@needs(events=("event",))
def top_paths(run: Run) -> Paths:
    """The sessions' most common paths through the steps (:func:`kit.metrics.funnel.path_tables`),
    from the paths the data counted for the run's steps, else from the session table and events."""
    counted = {"path_moves": run.path_moves, "path_counts": run.path_counts}
    if not _prepared_for_steps(run) or any(table is None for table in counted.values()):
        counted = None
    moves, paths = fn.path_tables(run.events, run.period, run.params.conversion.funnel_steps, sessions=run.sessions,
                                  counted=counted)
    return Paths(moves, paths)


@needs(events=("event",))
def daily_steps(run: Run, reuse: bool = False) -> pl.DataFrame:
    """Daily step conversion overall, per device and per source (the change-point input)."""
    return kept(run, "daily_steps", lambda: fn.daily_step_conversion(_journeys(run)["counts"], run.period), reuse)


@needs(orders=("channel",), marketing_spend=("spend",))
def channel_roi(run: Run, reuse: bool = False) -> pl.DataFrame:
    """Spend, GMV, ROI (GMV / spend) and CAC per paid channel (kept for the diagnosis)."""
    return kept(run, "channel_roi",
                lambda: _channel_roi(run.orders, run.marketing_spend, run.period, run.comparison, run.customers),
                reuse)


# ------------------------------------------------------------------ 2.2 carts


def carts(run: Run) -> pl.LazyFrame:
    """The run's carts, one row per cart of both periods (:func:`kit.metrics.cart.carts`) from
    the prepared cart table: for the diagnosis' audience of abandoned carts, a list of
    customers; the figures read the carts counted (:func:`counted_carts`)."""
    return cart.carts(run.cart_table, run.period, run.comparison, run.params.conversion.cart_window_hours)


def counted_carts(run: Run) -> dict[str, pl.LazyFrame]:
    """What the cart figures read, kept in memory per kernel: the carts counted for the run's
    window (:func:`kit.metrics.cart.counted_carts`) and cut to its periods. Counted when the
    dataset is prepared, and once for each other window (:func:`kit.dataset.counted_for`); should
    a run's counts be of another window all the same, it counts its carts here, from the cart
    table and the cart lines."""

    def build() -> dict[str, pl.LazyFrame]:
        window = run.params.conversion.cart_window_hours
        prepared = {"cart_counts": run.cart_counts, "pay_delays": run.pay_delays,
                    "cart_line_counts": run.cart_line_counts}
        if any(table is None for table in prepared.values()) or \
                cart.window_of(prepared["cart_counts"]) not in (None, float(window)):
            prepared = cart.counted_carts(run.cart_table, run.cart_lines, window)
        cut = pl.collect_all([of_periods(table, run.period, run.comparison) for table in prepared.values()],
                             engine="streaming")
        return {name: table.lazy() for name, table in zip(prepared, cut, strict=True)}

    return in_memory(run, "counted_carts", build)


@needs(events=("event",))
def cart_abandonment(run: Run, reuse: bool = False) -> pl.DataFrame:
    """Carts, abandoned carts, their value and the abandonment rate, beside the comparison period."""
    def compute() -> pl.DataFrame:
        counted = counted_carts(run)
        return cart.cart_abandonment(counted["cart_counts"], counted["pay_delays"], run.period, run.comparison)

    table = kept(run, "cart_abandonment", compute, reuse)
    if not reuse:
        run.record("conversion", {"cart": table.to_dicts()[0]})
    return table


@needs(events=("event",))
def cart_abandonment_by(run: Run, dimension: str, reuse: bool = False) -> pl.DataFrame:
    """Cart abandonment per device, source or category (kept for the diagnosis)."""
    if dimension == "category":
        def compute():
            return cart.abandonment_by_category(counted_carts(run)["cart_line_counts"], run.period, run.comparison)
    else:
        def compute():
            return cart.abandonment_by(counted_carts(run)["cart_counts"], dimension, run.period, run.comparison)
    return kept(run, f"cart_abandonment_by_{dimension}", compute, reuse)


@needs(events=("event",))
def cart_breakdowns(run: Run) -> list[pl.DataFrame]:
    """Cart abandonment by device, source and category, for the dimensions the events have."""
    return [cart_abandonment_by(run, d) for d in ("device", "source", "category") if run.has("events", d)]


# ------------------------------------------------------------------ 2.3 repurchase


@needs(orders=())
def repurchase_rate(run: Run) -> pl.DataFrame:
    """The repurchase rate (customers with >= 2 paid orders / active customers) beside the
    comparison period: the KPI row of the headline KPIs, computed alone (:func:`kit.metrics.kpis.repurchase_kpi`)."""
    return repurchase_kpi(run.orders, run.period, run.comparison)


@needs(orders=())
def first_repurchase(run: Run, reuse: bool = False) -> pl.DataFrame:
    """30/60/90-day repurchase of the period's first-time buyers (one row)."""
    table = kept(run, "first_repurchase", lambda: first_purchase_repurchase(run.orders, run.period, run.comparison),
                 reuse)
    if not reuse:
        run.record("retention", {"first_repurchase": table.to_dicts()[0]})
    return table


@needs(orders=())
def first_repurchase_by(run: Run, column: str, reuse: bool = False) -> pl.DataFrame | Missing:
    """The same per group of ``column`` (the customers' column, else the first order's)."""
    if (gap := attribute_missing(run, column)) is not None:
        return gap
    return kept(run, f"first_repurchase_by_{column}",
                lambda: first_purchase_repurchase(run.orders, run.period, run.comparison, run.customers, by=column),
                reuse)


class Intervals(NamedTuple):
    stats: pl.DataFrame
    """One row: intervals, median, p25, p75 days, beside the comparison period."""
    histogram: pl.DataFrame
    """Share of the period's intervals per band of days."""


@needs(orders=())
def purchase_intervals(run: Run) -> Intervals:
    """Days between consecutive paid orders of a customer."""
    result = in_memory(run, "intervals", lambda: Intervals(
        retention.purchase_intervals(run.orders, run.period, run.comparison),
        retention.interval_histogram(run.orders, run.period)))
    run.record("retention", {"intervals": result.stats.to_dicts()[0]})
    return result


@needs(orders=())
def cohorts(run: Run) -> pl.DataFrame:
    """Monthly cohort retention: first-order month x months since, share of the cohort buying."""
    return retention.cohort_matrix(run.orders, run.period)


class Lifecycle(NamedTuple):
    stages: pl.DataFrame
    """Customers per lifecycle stage at the period end beside the comparison end."""
    flows: pl.DataFrame | None
    """Customers moving between stages since the comparison end (None without a comparison period)."""


@needs(orders=())
def lifecycle(run: Run) -> Lifecycle:
    """Lifecycle stages (new, active, at risk, churned) and the moves between them."""
    conv, P, C = run.params.conversion, run.period, run.comparison
    stages = retention.lifecycle_counts(run.orders, P, C, conv.at_risk_days, conv.churn_days)
    flows = retention.lifecycle_flows(run.orders, P, C, conv.at_risk_days, conv.churn_days) if C else None
    run.record("retention", {"lifecycle": stages.to_dicts()})
    return Lifecycle(stages, flows)


@needs(orders=())
def repurchase_drivers(run: Run) -> pl.DataFrame:
    """Repurchase rate by first-order attribute with lift vs overall and a 95% interval, ranked."""
    return retention.repurchase_drivers(run.orders, run.period, run.order_items, run.customers,
                                        comparison=run.comparison)


@needs(orders=(), customers=("acquisition_channel",))
def channel_repurchase(run: Run) -> pl.DataFrame | None:
    """Repurchase of first-time buyers per acquisition channel against the other channels."""
    return retention.channel_repurchase(run.orders, run.customers, run.period, run.comparison)


@needs(comparison=True, orders=())
def churn_by(run: Run, column: str, reuse: bool = False) -> pl.DataFrame | Missing:
    """Churn of the comparison period's buyers per value of ``column`` (e.g. region)."""
    if (gap := attribute_missing(run, column)) is not None:
        return gap
    return kept(run, f"churn_by_{column}",
                lambda: _churn_by(run.orders, run.customers, column, run.period, run.comparison), reuse)


@needs(comparison=True, orders=())
def gmv_by_place(run: Run, column: str, reuse: bool = False) -> pl.DataFrame | Missing:
    """Each place's GMV and share of the shop's in the period and in the two periods before
    the comparison period (the baseline a shrinking place is held against; kept for the diagnosis)."""
    if (gap := attribute_missing(run, column)) is not None:
        return gap
    last = run.comparison.previous()
    first = last.previous()
    before = Period(first.start, last.end, f"{first.label}..{last.label}", "range")
    return kept(run, f"gmv_by_{column}",
                lambda: gmv_by(run.orders, run.customers, column, run.period, before, run.comparison), reuse)


def churn_by_region(run: Run, reuse: bool = False) -> pl.DataFrame | Missing:
    """Churn of the comparison period's buyers per region (the section's table; the diagnosis' input)."""
    return churn_by(run, "region", reuse)


FIGURES = (funnel, funnel_breakdowns, time_to_convert, top_paths, daily_steps, channel_roi, cart_abandonment,
           cart_breakdowns, repurchase_rate, first_repurchase, purchase_intervals, cohorts, lifecycle,
           repurchase_drivers, channel_repurchase, churn_by_region)
"""Every figure of the section in report order (the bench times each)."""
