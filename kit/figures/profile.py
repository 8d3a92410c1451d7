"""Section 1, customer profile (客户画像): who the customers are, how they visit, how they buy.

Each function is one figure of the section, from the run (see :mod:`kit.figures`);
definitions and formulas are in the docstrings of :mod:`kit.metrics.profile`.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from kit.contract import paid, paid_lines
from kit.figures import in_memory, kept, needs
from kit.metrics import profile as m
from kit.metrics.common import in_periods
from kit.metrics.products import category_quality as _category_quality
from kit.run import Run

# ------------------------------------------------------------------ what the figures read


def _of_both_periods(run: Run, name: str, rows: pl.LazyFrame) -> pl.LazyFrame:
    """``rows`` (every column) placed in the period or the comparison period, read once per
    kernel: most figures of the section count the paid orders or lines of the two periods,
    and grouping them in memory is what keeps the section fast, instead of each figure
    scanning the shop's whole history (the figures still cut each period themselves)."""

    return in_memory(run, name, lambda: rows.filter(in_periods("order_time", run.period, run.comparison))
                     .collect().lazy())


def _orders(run: Run) -> pl.LazyFrame | None:
    """The paid orders of both periods (:func:`_of_both_periods`); None without orders."""
    return None if run.orders is None else _of_both_periods(run, "period_orders", paid(run.orders))


def _lines(run: Run) -> pl.LazyFrame:
    """The lines of the paid orders of both periods (:func:`_of_both_periods`)."""
    return _of_both_periods(run, "period_lines", paid_lines(run.order_items, run.orders))


# ------------------------------------------------------------------ 1.1 basic attributes


@needs(orders=(), customers=("gender", "birth_year|age"))
def age_gender(run: Run) -> pl.DataFrame:
    """Active customers per age band x gender, with shares, beside the comparison period."""
    return m.age_gender(run.customers, _orders(run), run.period, run.comparison)


@needs(orders=(), customers=("region",))
def region_share(run: Run, reuse: bool = False) -> pl.DataFrame:
    """Active customers per region beside the comparison period (kept for the diagnosis)."""
    table = kept(run, "region_share", lambda: m.region_share(run.customers, _orders(run), run.period, run.comparison),
                 reuse)
    if not reuse:
        run.record("profile", {"region_share": table.select("region", "share", "share_prev").to_dicts()})
    return table


@needs(orders=(), customers=("province",))
def province_share(run: Run) -> pl.DataFrame:
    """Active customers per province beside the comparison period (the tile map)."""
    return m.region_share(run.customers, _orders(run), run.period, run.comparison, level="province")


@needs(orders=(), customers=("city_tier",))
def city_tier_share(run: Run) -> pl.DataFrame:
    """Active customers per city tier beside the comparison period."""
    return m.city_tier_share(run.customers, _orders(run), run.period, run.comparison)


@needs(orders=(), customers=("city_tier",))
def new_customers_by_tier(run: Run) -> pl.DataFrame:
    """New customers per city tier and their growth against the comparison period (下沉市场增速)."""
    return m.new_customers_by_tier(run.customers, run.orders, run.period, run.comparison)


# ------------------------------------------------------------------ 1.2 behaviour


def _visits(run: Run) -> pl.DataFrame:
    """The run's sessions counted by hour, device, source and paid (:func:`kit.metrics.profile.visit_counts`,
    prepared with the dataset), read once per kernel."""
    return in_memory(run, "visits", lambda: run.visits.collect())


def _durations(run: Run) -> pl.DataFrame:
    """The run's sessions counted by day and length (:func:`kit.metrics.profile.duration_counts`)."""
    return in_memory(run, "visit_durations", lambda: run.visit_durations.collect())


@needs(events=())
def session_count(run: Run) -> int:
    """Sessions that start in the period (for the small-sample note)."""
    return m.session_count(_visits(run), run.period)


class DeviceShare(NamedTuple):
    devices: pl.DataFrame
    """Share of sessions per device beside the comparison period."""
    mobile: pl.DataFrame
    """One row: the mobile share of sessions (every device but PC) and its change."""


@needs(events=("device",))
def device_share(run: Run) -> DeviceShare:
    """Sessions per device and the mobile share."""
    visits = _visits(run)
    result = DeviceShare(m.device_share(visits, run.period, run.comparison),
                         m.mobile_share(visits, run.period, run.comparison))
    run.record("profile", {"mobile_share": result.mobile.to_dicts()[0]})
    return result


class SessionDurations(NamedTuple):
    stats: pl.DataFrame
    """One row: sessions, median and p90 minutes, beside the comparison period."""
    histogram: pl.DataFrame
    """Share of the period's sessions per duration bin."""


@needs(events=())
def session_durations(run: Run) -> SessionDurations:
    """Session length (last event - first event) in minutes."""
    durations = _durations(run)
    result = SessionDurations(m.session_duration_stats(durations, run.period, run.comparison),
                              m.session_duration_histogram(durations, run.period))
    run.record("profile", {"session_minutes": result.stats.to_dicts()[0]})
    return result


class VisitHeatmap(NamedTuple):
    grid: pl.DataFrame
    """Visits per weekday x hour in the period, per date of the weekday, with shares."""
    peaks: pl.DataFrame
    """The peak hours found in it (:func:`kit.metrics.profile.peak_hours`)."""
    weekdays: pl.DataFrame
    """Visits per weekday, per date of that weekday, with the day-to-day spread
    (:func:`kit.metrics.profile.weekday_visits`): what the busiest-day sentence tests."""


@needs(events=())
def visit_heatmap(run: Run) -> VisitHeatmap:
    """When customers visit: weekday x hour (per date of each weekday), and the peak hours."""
    visits = _visits(run)
    grid = m.visit_heatmap(visits, run.period)
    result = VisitHeatmap(grid, m.peak_hours(grid), m.weekday_visits(visits, run.period))
    run.record("profile", {"peak_hours": result.peaks["hour"].to_list()})
    return result


@needs(events=("source",))
def source_performance(run: Run) -> pl.DataFrame:
    """Per traffic source: share of sessions, visit-to-pay conversion and AOV."""
    return m.source_performance(_visits(run), _orders(run), run.period, run.comparison)


# ------------------------------------------------------------------ 1.3 consumption


@needs(orders=())
def aov(run: Run) -> pl.DataFrame:
    """One row: GMV, paid orders and AOV (客单价 = GMV / paid orders) beside the comparison period."""
    table = m.aov_overall(_orders(run), run.period, run.comparison)
    run.record("profile", {"aov": table.to_dicts()[0]})
    return table


@needs(orders=())
def aov_by(run: Run, column: str) -> pl.DataFrame:
    """AOV (GMV / paid orders) per value of an orders column (device, channel) in the period;
    an empty table when the orders lack the column (the diagnosis values a lost payment with it)."""
    if not run.has("orders", column):
        return pl.DataFrame(schema={column: pl.String, "paid_orders": pl.Float64, "gmv": pl.Float64,
                                    "aov": pl.Float64})
    return m.aov_by(_orders(run), column, run.period)


class OrderValues(NamedTuple):
    stats: pl.DataFrame
    """One row: mean, median, p90 order value beside the comparison period."""
    distribution: pl.DataFrame
    """Share of paid orders per order-value bin."""


@needs(orders=())
def order_values(run: Run) -> OrderValues:
    """The distribution of paid order values: 25 bins up to the 95th percentile, the orders
    above it in the open last bin (the chart's axis ends there and says so)."""
    result = OrderValues(m.order_value_stats(_orders(run), run.period, run.comparison),
                         m.order_value_distribution(_orders(run), run.period, bins=25, quantile=0.95))
    run.record("profile", {"order_value": result.stats.to_dicts()[0]})
    return result


@needs(orders=())
def orders_per_customer(run: Run) -> pl.DataFrame:
    """Share of active customers by number of paid orders in the period (1 ... 5+)."""
    return m.orders_per_customer(_orders(run), run.period, run.comparison)


@needs(orders=(), order_items=("category",))
def category_aov(run: Run) -> pl.DataFrame:
    """Spend per order by category (category GMV / orders containing it)."""
    return m.aov_by_category(run.orders, _lines(run), run.period, run.comparison)


@needs(orders=(), order_items=("category",))
def category_share(run: Run) -> pl.DataFrame:
    """Per category: share of GMV and of buyers, with growth against the comparison period."""
    return in_memory(run, "category_share",
                     lambda: m.category_share(run.orders, _lines(run), run.period, run.comparison))


@needs(orders=(), order_items=("category",))
def long_tail(run: Run) -> pl.DataFrame:
    """Long-tail categories (small GMV share) that grow fastest (empty without a comparison period)."""
    return m.long_tail_categories(category_share(run))


@needs(orders=(), order_items=("category",), customers=("region",))
def preference_by_region(run: Run) -> pl.DataFrame:
    """Category preference index per region: region's category share / overall share x 100."""
    return m.preference_index(run.orders, _lines(run), run.customers, run.period, by="region")


@needs(orders=(), order_items=("category",), customers=("birth_year|age",))
def preference_by_age(run: Run) -> pl.DataFrame:
    """Category preference index per age band: band's category share / overall share x 100."""
    return m.preference_index(run.orders, _lines(run), run.customers, run.period, by="age_band")


@needs(orders=(), order_items=("category", "returned|rating"))
def category_quality(run: Run, reuse: bool = False) -> pl.DataFrame:
    """Per category: GMV, return rate, returned value and mean rating (kept for the diagnosis)."""
    return kept(run, "category_quality",
                lambda: _category_quality(run.orders, _lines(run), run.period, run.comparison), reuse)


FIGURES = (age_gender, region_share, province_share, city_tier_share, new_customers_by_tier, session_count,
           device_share, session_durations, visit_heatmap, source_performance, aov, order_values,
           orders_per_customer, category_aov, category_share, long_tail, preference_by_region, preference_by_age,
           category_quality)
"""Every figure of the section in report order (the bench times each)."""
