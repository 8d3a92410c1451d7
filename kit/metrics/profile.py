"""Section 1, customer profile (客户画像): who the customers are, how they visit, what they buy.

Whose profile: unless a function says otherwise, the *active customers* of a period, i.e.
the customers with >= 1 paid order (``status == "paid"``) whose ``order_time`` falls in
it. Attribute nulls are shown as the group ``"unknown"`` rather than dropped, so shares add
up to 100% of the active customers.

Behaviour figures (1.2) are counted in *sessions*: :func:`sessions` takes the period's
rows of the run's session table (built once per run from the events, see
:mod:`kit.metrics.sessions`) and every behaviour figure reads that. A session's device
and source are those of its first event, its duration is last event - first event, and
it belongs to the period of its first event.

Tables beside the comparison period carry ``x, x_prev, x_change, x_change_rel`` for each
value ``x`` (see :mod:`kit.metrics.common`); for shares ``x_change`` is in points.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from kit.contract import AGE_BANDS, CITY_TIERS, is_mobile, paid, paid_lines
from kit.errors import DataError
from kit.metrics.common import (
    UNKNOWN,
    add_change,
    compare,
    in_period,
    or_unknown,
    safe_div,
    share,
    weighted_summary,
)
from kit.metrics.customers import active_customers, new_customers
from kit.metrics.sessions import FIRST, pays
from kit.periods import Period

DURATION_BINS_MIN: tuple[float, ...] = (0, 1, 3, 5, 10, 20, 30, 60)
"""Lower edges (minutes) of the session-duration histogram; the last bin is open (60+)."""
ORDERS_PER_CUSTOMER_MAX = 5
"""Orders-per-customer buckets are 1, 2, 3, 4 and 5+."""
ORDERS_PER_CUSTOMER_BUCKETS = tuple(str(i) for i in range(1, ORDERS_PER_CUSTOMER_MAX)) + (f"{ORDERS_PER_CUSTOMER_MAX}+",)
"""The buckets of :func:`orders_per_customer`, in their order."""
WEEKDAYS = 7
HOURS = 24


# ------------------------------------------------------------------ shared helpers

def require(frame: pl.LazyFrame | pl.DataFrame, table: str, *columns: str) -> None:
    """Raise a :class:`DataError` naming the columns of ``table`` this figure needs but lacks."""
    names = frame.collect_schema().names()
    absent = [c for c in columns if c not in names]
    if absent:
        raise DataError(f"this figure needs column(s) {', '.join(absent)} of table {table!r}, "
                        f"which the data does not have (it has: {', '.join(names)})")


def _names(frame: pl.LazyFrame | pl.DataFrame) -> list[str]:
    return frame.collect_schema().names()


def age_band(period: Period, names: Sequence[str]) -> pl.Expr:
    """Age band at the period end: age = year(period end) - birth_year, or the ``age``
    column when there is no birth_year; bands <18, 18-24, 25-34, 35-44, 45-54, 55+; null ->
    ``unknown``."""
    if "birth_year" in names:
        age = pl.lit(period.end.year) - pl.col("birth_year")
    elif "age" in names:
        age = pl.col("age")
    else:
        raise DataError("the age figures need column birth_year or age of table 'customers', "
                        "which the data does not have")
    return (
        pl.when(age.is_null()).then(pl.lit(UNKNOWN))
        .when(age < 18).then(pl.lit("<18"))
        .when(age < 25).then(pl.lit("18-24"))
        .when(age < 35).then(pl.lit("25-34"))
        .when(age < 45).then(pl.lit("35-44"))
        .when(age < 55).then(pl.lit("45-54"))
        .otherwise(pl.lit("55+"))
        .alias("age_band")
    )


def _order_by(frame: pl.DataFrame, column: str, order: Sequence[str]) -> pl.DataFrame:
    """Rows in the given order of ``column`` values, unlisted values after them by name."""
    rank = {v: i for i, v in enumerate(order)}
    keys = pl.col(column).replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
    return frame.sort([keys, pl.col(column)])


def _complete(frame: pl.DataFrame, counts: Sequence[str], shares: Sequence[str],
              comparison: Period | None) -> pl.DataFrame:
    """Groups seen in one period only: their count on the other side is 0 (not null), and
    their share 0 when that side has any units at all; then the changes are recomputed.

    Without a comparison period the ``_prev`` side stays null.
    """
    sides = [""] + (["_prev"] if comparison is not None else [])
    fills = []
    for side in sides:
        for c in counts:
            fills.append(pl.col(f"{c}{side}").fill_null(0.0))
        if counts:
            any_units = pl.col(f"{counts[0]}{side}").fill_null(0.0).sum() > 0
            for s in shares:
                fills.append(pl.when(any_units).then(pl.col(f"{s}{side}").fill_null(0.0))
                             .otherwise(pl.col(f"{s}{side}")).alias(f"{s}{side}"))
    return add_change(frame.with_columns(fills), [*counts, *shares])


def _active_with(customers: pl.LazyFrame, orders: pl.LazyFrame, period: Period, *columns: str) -> pl.LazyFrame:
    """The period's active customers with the given customer columns (customers missing
    from the customers table get nulls, shown later as ``unknown``)."""
    return active_customers(orders, period).join(customers.select("customer_id", *columns), on="customer_id",
                                                 how="left")


def _counts_and_shares(frame: pl.LazyFrame, by: Sequence[str], unit: str) -> pl.LazyFrame:
    """``by..., <unit>, share``: rows per group and the group's share of all rows."""
    return (frame.group_by(by).agg(pl.len().cast(pl.Float64).alias(unit))
            .with_columns(share(unit).alias("share")))


# ------------------------------------------------------------------ 1.1 basic attributes

def age_gender(customers: pl.LazyFrame, orders: pl.LazyFrame, period: Period,
               comparison: Period | None) -> pl.DataFrame:
    """Active customers per age band x gender (the pyramid).

    ``age_band, gender, customers, share`` (+ comparison columns), where
    share = customers in the cell / all active customers. Age at the period end (see
    :func:`age_band`); gender F / M, null -> ``unknown``. Rows in :data:`AGE_BANDS` order.
    """
    require(customers, "customers", "gender")
    names = _names(customers)
    age_cols = [c for c in ("birth_year", "age") if c in names]

    def cells(p: Period) -> pl.LazyFrame:
        who = _active_with(customers, orders, p, "gender", *age_cols)
        return _counts_and_shares(who.with_columns(age_band(p, names), or_unknown("gender")),
                                  ["age_band", "gender"], "customers")

    out = compare(cells, period, comparison, on=["age_band", "gender"], values=["customers", "share"])
    out = _complete(out, ["customers"], ["share"], comparison)
    return _order_by(out.sort("gender"), "age_band", AGE_BANDS)


def attribute_share(customers: pl.LazyFrame, orders: pl.LazyFrame, period: Period, comparison: Period | None,
                    column: str) -> pl.DataFrame:
    """Active customers per value of a customers ``column`` (region, province, city,
    city_tier, age_band, gender, member_level ...).

    ``<column>, customers, share`` (+ comparison columns): share = customers with that
    value / all active customers; null -> ``unknown``. Largest first (city tiers and age
    bands in their natural order).
    """
    names = _names(customers)
    if column == "age_band":
        value = age_band  # computed per period
    else:
        require(customers, "customers", column)

    def groups(p: Period) -> pl.LazyFrame:
        if column == "age_band":
            age_cols = [c for c in ("birth_year", "age") if c in names]
            who = _active_with(customers, orders, p, *age_cols).with_columns(value(p, names))
        else:
            who = _active_with(customers, orders, p, column).with_columns(or_unknown(column))
        return _counts_and_shares(who, [column], "customers")

    out = compare(groups, period, comparison, on=[column], values=["customers", "share"])
    out = _complete(out, ["customers"], ["share"], comparison)
    if column == "city_tier":
        return _order_by(out, column, CITY_TIERS)
    if column == "age_band":
        return _order_by(out, column, AGE_BANDS)
    return out.sort(["customers", column], descending=[True, False])


def region_share(customers: pl.LazyFrame, orders: pl.LazyFrame, period: Period, comparison: Period | None,
                 level: str = "region") -> pl.DataFrame:
    """Share of active customers per region, province or city (``level``):
    ``<level>, customers, share`` (+ comparison); see :func:`attribute_share`."""
    if level not in ("region", "province", "city"):
        raise ValueError(f"level must be region, province or city, not {level!r}")
    return attribute_share(customers, orders, period, comparison, level)


def city_tier_share(customers: pl.LazyFrame, orders: pl.LazyFrame, period: Period,
                    comparison: Period | None) -> pl.DataFrame:
    """Share of active customers per city tier: ``city_tier, customers, share`` (+ comparison),
    tiers in :data:`CITY_TIERS` order; see :func:`attribute_share`."""
    return attribute_share(customers, orders, period, comparison, "city_tier")


def new_customers_by_tier(customers: pl.LazyFrame, orders: pl.LazyFrame, period: Period,
                          comparison: Period | None) -> pl.DataFrame:
    """New customers (first paid order ever in the period) per city tier and their growth.

    ``city_tier, new_customers, share`` (+ comparison); growth of a tier =
    ``new_customers_change_rel`` = (new - new_prev) / new_prev ("下沉市场增速" reads the
    lower tiers' growth). Tiers in :data:`CITY_TIERS` order.
    """
    require(customers, "customers", "city_tier")

    def per_tier(p: Period) -> pl.LazyFrame:
        who = new_customers(orders, p).join(customers.select("customer_id", "city_tier"), on="customer_id",
                                            how="left")
        return _counts_and_shares(who.with_columns(or_unknown("city_tier")), ["city_tier"], "new_customers")

    out = compare(per_tier, period, comparison, on=["city_tier"], values=["new_customers", "share"])
    return _order_by(_complete(out, ["new_customers"], ["share"], comparison), "city_tier", CITY_TIERS)


# ------------------------------------------------------------------ 1.2 behaviour (sessions)

def visit_counts(table: pl.LazyFrame) -> pl.LazyFrame:
    """The session table (``run.sessions``, :func:`kit.metrics.sessions.session_table`)
    counted for the visit figures, whatever the period: one row per ``hour`` (the session's
    first event, truncated to the hour), ``device``, ``source`` (those of its first event,
    ``unknown`` when absent) and ``paid`` (it has a ``pay`` event): ``sessions``.

    Prepared once per dataset (``visits.parquet``): the visit figures read it, not a row per
    session (the 1M shop's 28M sessions are a few hundred thousand rows here). Periods are
    whole days, so a session's hour tells its period."""
    require(table, "sessions (run.sessions, or kit.metrics.sessions.session_table(events))", "start", "device",
            "source", FIRST + "pay")
    return table.group_by(pl.col("start").dt.truncate("1h").alias("hour"), "device", "source",
                          pays().alias("paid")).agg(pl.len().cast(pl.Int64).alias("sessions"))


def duration_counts(table: pl.LazyFrame) -> pl.LazyFrame:
    """The session table counted by length, whatever the period: one row per ``date`` (of the
    session's first event) and ``duration_s`` (last - first event time, in whole seconds; a
    one-event session lasts 0): ``sessions``. Prepared once per dataset (``visit_durations.parquet``)."""
    require(table, "sessions (run.sessions, or kit.metrics.sessions.session_table(events))", "start", "end")
    return table.group_by(pl.col("start").dt.date().alias("date"),
                          (pl.col("end") - pl.col("start")).dt.total_seconds().alias("duration_s")).agg(
        pl.len().cast(pl.Int64).alias("sessions"))


def _in(visits: pl.DataFrame | pl.LazyFrame, p: Period) -> pl.LazyFrame:
    """The rows of :func:`visit_counts` (by ``hour``) or :func:`duration_counts` (by ``date``) in the period."""
    when = "hour" if "hour" in _names(visits) else "date"
    return visits.lazy().filter(in_period(when, p))


def _sessions() -> pl.Expr:
    return pl.col("sessions").sum().cast(pl.Float64).alias("sessions")


def session_count(visits: pl.DataFrame | pl.LazyFrame, period: Period) -> int:
    """Sessions that start in the period (from :func:`visit_counts`)."""
    return int(_in(visits, period).select(pl.col("sessions").sum()).collect().item() or 0)


def device_share(visits: pl.DataFrame | pl.LazyFrame, period: Period, comparison: Period | None) -> pl.DataFrame:
    """Sessions per device (device of the session's first event), from :func:`visit_counts`:
    ``device, sessions, share, mobile`` (+ comparison), share = device sessions / all
    sessions; ``mobile`` is False only for PC. Largest first."""

    def per_device(p: Period) -> pl.LazyFrame:
        return _in(visits, p).group_by("device").agg(_sessions()).with_columns(share("sessions").alias("share"))

    out = compare(per_device, period, comparison, on=["device"], values=["sessions", "share"])
    out = _complete(out, ["sessions"], ["share"], comparison)
    return out.with_columns(is_mobile(pl.col("device")).alias("mobile")).sort(
        ["sessions", "device"], descending=[True, False])


def mobile_share(visits: pl.DataFrame | pl.LazyFrame, period: Period, comparison: Period | None) -> pl.DataFrame:
    """One row, from :func:`visit_counts`: ``sessions, mobile_sessions, mobile_share`` (+
    comparison), where mobile_share = sessions on a mobile device (anything but PC) / all sessions."""

    def one(p: Period) -> pl.LazyFrame:
        return _in(visits, p).select(
            _sessions(),
            pl.col("sessions").filter(is_mobile(pl.col("device"))).sum().cast(pl.Float64).alias("mobile_sessions"),
        ).with_columns(safe_div(pl.col("mobile_sessions"), pl.col("sessions")).alias("mobile_share"))

    return compare(one, period, comparison)


def session_duration_stats(durations: pl.DataFrame | pl.LazyFrame, period: Period,
                           comparison: Period | None) -> pl.DataFrame:
    """One row, from :func:`duration_counts`: ``sessions, median_min, p90_min`` (+
    comparison): the median and 90th percentile of session duration (last event - first
    event) in minutes; a one-event session lasts 0. Percentiles by linear interpolation;
    null when there is no session."""

    def one(p: Period) -> pl.LazyFrame:
        counted = (_in(durations, p).group_by("duration_s").agg(pl.col("sessions").sum()).sort("duration_s")
                   .collect())
        return weighted_summary((counted["duration_s"].cast(pl.Float64) / 60).to_list(),
                                counted["sessions"].to_list(), {"sessions": None, "median_min": 0.5, "p90_min": 0.9})

    return compare(one, period, comparison)


def session_duration_histogram(durations: pl.DataFrame | pl.LazyFrame, period: Period) -> pl.DataFrame:
    """Sessions per duration bin of the period, from :func:`duration_counts`:
    ``bin_start_min, bin_end_min, sessions, share``, bins from :data:`DURATION_BINS_MIN`
    ([start, end) minutes; the last has no end); share = sessions in the bin / all sessions.
    Every bin is listed, empty ones with 0."""
    edges = list(DURATION_BINS_MIN)
    ends = edges[1:] + [None]
    grid = pl.LazyFrame({"bin_start_min": [float(e) for e in edges]},
                        schema={"bin_start_min": pl.Float64})
    minutes = pl.col("duration_s").cast(pl.Float64) / 60
    bin_of = pl.lit(float(edges[0]))
    for e in edges[1:]:
        bin_of = pl.when(minutes >= e).then(pl.lit(float(e))).otherwise(bin_of)
    counted = _in(durations, period).group_by(bin_of.alias("bin_start_min")).agg(_sessions())
    out = (grid.join(counted, on="bin_start_min", how="left").with_columns(pl.col("sessions").fill_null(0.0))
           .with_columns(share("sessions").alias("share")).sort("bin_start_min").collect())
    return out.with_columns(pl.Series("bin_end_min", [None if e is None else float(e) for e in ends],
                                      dtype=pl.Float64)).select("bin_start_min", "bin_end_min", "sessions", "share")


def weekday_dates(period: Period) -> pl.DataFrame:
    """How many dates of each weekday the period holds: ``weekday`` (1 = Monday ... 7 =
    Sunday), ``days``. A quarter of 92 days has 14 of one weekday and 13 of the others;
    a period shorter than a week has 0 of some."""
    dates = pl.date_range(period.start, period.end, interval="1d", eager=True)
    counted = pl.DataFrame({"weekday": dates.dt.weekday().cast(pl.Int8)}).group_by("weekday").agg(
        pl.len().cast(pl.Float64).alias("days"))
    return (pl.DataFrame({"weekday": list(range(1, WEEKDAYS + 1))}, schema={"weekday": pl.Int8})
            .join(counted, on="weekday", how="left").with_columns(pl.col("days").fill_null(0.0)).sort("weekday"))


def visit_heatmap(visits: pl.DataFrame | pl.LazyFrame, period: Period) -> pl.DataFrame:
    """Visits (sessions, by the hour of their first event; from :func:`visit_counts`) per weekday x hour of the period:
    ``weekday`` (1 = Monday ... 7 = Sunday), ``hour`` (0-23), ``visits``, ``days`` = dates
    of that weekday in the period (:func:`weekday_dates`), ``visits_per_day`` = visits /
    days (null when the period has no such date), ``share`` = visits_per_day / the sum of
    all cells' visits_per_day (the cell's share of an average week). All 7 x 24 cells,
    empty ones with 0 visits.

    Per day of the weekday, not in total: a quarter with 14 Wednesdays and 13 of every
    other day would otherwise make Wednesday look 1/13 busier than it is."""
    grid = pl.LazyFrame({"weekday": list(range(1, WEEKDAYS + 1))}, schema={"weekday": pl.Int8}).join(
        pl.LazyFrame({"hour": list(range(HOURS))}, schema={"hour": pl.Int8}), how="cross")
    counted = _in(visits, period).group_by(
        pl.col("hour").dt.weekday().cast(pl.Int8).alias("weekday"),
        pl.col("hour").dt.hour().cast(pl.Int8),
    ).agg(pl.col("sessions").sum().cast(pl.Float64).alias("visits"))
    return (grid.join(counted, on=["weekday", "hour"], how="left").with_columns(pl.col("visits").fill_null(0.0))
            .join(weekday_dates(period).lazy(), on="weekday", how="left")
            .with_columns(safe_div(pl.col("visits"), pl.col("days")).alias("visits_per_day"))
            .with_columns(share("visits_per_day").alias("share")).sort("weekday", "hour").collect())


def weekday_visits(visits: pl.DataFrame | pl.LazyFrame, period: Period) -> pl.DataFrame:
    """Visits per weekday of the period, per date of that weekday (from :func:`visit_counts`):

    - ``days`` = dates of the weekday in the period (:func:`weekday_dates`);
    - ``visits`` = sessions starting on those dates;
    - ``visits_per_day`` = visits / days (null without such a date);
    - ``sd_per_day`` = sample standard deviation of the visits of each of those dates
      (dates without a visit count as 0; null with fewer than two dates): the spread
      :func:`kit.metrics.significance.welch_p` compares two weekdays with;
    - ``share`` = visits_per_day / the sum over weekdays (the weekday's share of an
      average week).

    Weekdays in order, Monday first."""
    dates = pl.date_range(period.start, period.end, interval="1d", eager=True)
    per_date = (_in(visits, period).group_by(pl.col("hour").dt.date().alias("date"))
                .agg(pl.col("sessions").sum().cast(pl.Float64).alias("visits")))
    daily = (pl.LazyFrame({"date": dates}).join(per_date, on="date", how="left")
             .with_columns(pl.col("visits").fill_null(0.0), pl.col("date").dt.weekday().cast(pl.Int8).alias("weekday")))
    stats = daily.group_by("weekday").agg(pl.col("visits").sum(), pl.col("visits").std().alias("sd_per_day"))
    return (weekday_dates(period).lazy().join(stats, on="weekday", how="left")
            .with_columns(pl.col("visits").fill_null(0.0))
            .with_columns(safe_div(pl.col("visits"), pl.col("days")).alias("visits_per_day"))
            .with_columns(share("visits_per_day").alias("share"))
            .select("weekday", "days", "visits", "visits_per_day", "sd_per_day", "share")
            .sort("weekday").collect())


def peak_hours(heatmap: pl.DataFrame, n: int = 2, min_gap: int = 3) -> pl.DataFrame:
    """The ``n`` busiest peaks of the day, found from the data: ``hour, visits, share``.

    Visits per hour = sum over weekdays. A peak is an hour with at least as many visits as
    both neighbours (the day wraps: 23 neighbours 0) and more than one of them; peaks are
    taken by visits (earlier hour first on a tie), skipping any within ``min_gap`` hours of
    a peak already taken, so one wide peak is not named twice. Sorted by hour.
    """
    hourly = heatmap.group_by("hour").agg(pl.col("visits").sum()).sort("hour")
    by_hour = dict(zip(hourly["hour"].to_list(), hourly["visits"].to_list(), strict=True))
    visits = [float(by_hour.get(h, 0.0)) for h in range(HOURS)]
    total = sum(visits)
    candidates = []
    for h, v in enumerate(visits):
        before, after = visits[(h - 1) % HOURS], visits[(h + 1) % HOURS]
        if v > 0 and v >= before and v >= after and (v > before or v > after):
            candidates.append((h, v))
    chosen: list[tuple[int, float]] = []
    for h, v in sorted(candidates, key=lambda hv: (-hv[1], hv[0])):
        if len(chosen) == n:
            break
        if all(min(abs(h - c), HOURS - abs(h - c)) >= min_gap for c, _ in chosen):
            chosen.append((h, v))
    chosen.sort()
    return pl.DataFrame(
        {"hour": [h for h, _ in chosen], "visits": [v for _, v in chosen],
         "share": [v / total if total else None for _, v in chosen]},
        schema={"hour": pl.Int8, "visits": pl.Float64, "share": pl.Float64},
    )


def source_performance(visits: pl.DataFrame | pl.LazyFrame, orders: pl.LazyFrame | None, period: Period,
                       comparison: Period | None) -> pl.DataFrame:
    """Per traffic source (source of the session's first event; sessions from :func:`visit_counts`):

    - ``sessions``, ``share`` = source sessions / all sessions;
    - ``visit_to_pay`` = sessions with a ``pay`` event / sessions;
    - ``paid_orders``, ``gmv`` = paid orders with ``orders.channel`` = the source and their
      amount; ``aov`` = gmv / paid_orders (null without orders or when they have no channel);

    each beside the comparison period. Sources seen only in orders are listed too. Largest
    share first.
    """
    has_channel = orders is not None and "channel" in _names(orders)

    def per_source(p: Period) -> pl.LazyFrame:
        counted = _in(visits, p).group_by("source").agg(
            _sessions(),
            pl.col("sessions").filter(pl.col("paid")).sum().cast(pl.Float64).alias("paying_sessions"),
        )
        if has_channel:
            bought = (paid(orders).filter(in_period("order_time", p)).with_columns(or_unknown("channel"))
                      .group_by(pl.col("channel").alias("source"))
                      .agg(pl.len().cast(pl.Float64).alias("paid_orders"), pl.col("amount").sum().alias("gmv")))
        else:
            bought = counted.select("source", pl.lit(None, pl.Float64).alias("paid_orders"),
                                    pl.lit(None, pl.Float64).alias("gmv"))
        return (counted.join(bought, on="source", how="full", coalesce=True)
                .with_columns(pl.col("sessions", "paying_sessions").fill_null(0.0))
                .with_columns(share("sessions").alias("share"),
                              safe_div(pl.col("paying_sessions"), pl.col("sessions")).alias("visit_to_pay"),
                              safe_div(pl.col("gmv"), pl.col("paid_orders")).alias("aov")))

    out = compare(per_source, period, comparison, on=["source"],
                  values=["sessions", "share", "visit_to_pay", "paid_orders", "gmv", "aov"])
    out = _complete(out, ["sessions"], ["share"], comparison)
    return out.sort(["sessions", "source"], descending=[True, False], nulls_last=True)


# ------------------------------------------------------------------ 1.3 consumption

def _item_value(items: pl.LazyFrame) -> pl.Expr:
    """Item GMV = quantity x unit_price (quantity 1 when absent)."""
    qty = pl.col("quantity").fill_null(1) if "quantity" in _names(items) else pl.lit(1)
    return (qty * pl.col("unit_price")).alias("value")


def _paid_lines(orders: pl.LazyFrame, items: pl.LazyFrame, p: Period) -> pl.LazyFrame:
    """Lines of the period's paid orders: ``order_id, customer_id, category, value``."""
    require(items, "order_items", "order_id", "category", "unit_price")
    return paid_lines(items, orders).filter(in_period("order_time", p)).select(
        "order_id", "customer_id", or_unknown("category"), _item_value(items))


def aov_overall(orders: pl.LazyFrame, period: Period, comparison: Period | None) -> pl.DataFrame:
    """One row: ``paid_orders, gmv, aov`` (+ comparison), AOV (客单价) = GMV / paid orders,
    GMV = sum of the paid orders' amount."""

    def one(p: Period) -> pl.LazyFrame:
        return paid(orders).filter(in_period("order_time", p)).select(
            pl.len().cast(pl.Float64).alias("paid_orders"), pl.col("amount").sum().alias("gmv"),
        ).with_columns(safe_div(pl.col("gmv"), pl.col("paid_orders")).alias("aov"))

    return compare(one, period, comparison)


def aov_by(orders: pl.LazyFrame, column: str, period: Period) -> pl.DataFrame:
    """Per value of the orders' ``column`` (device, channel): ``paid_orders, gmv, aov`` in the
    period, AOV = GMV / paid orders (unknown values grouped as ``unknown``)."""
    return (paid(orders).filter(in_period("order_time", period)).with_columns(or_unknown(column))
            .group_by(column).agg(pl.len().cast(pl.Float64).alias("paid_orders"), pl.col("amount").sum().alias("gmv"))
            .with_columns(safe_div(pl.col("gmv"), pl.col("paid_orders")).alias("aov"))
            .sort(column).collect())


def aov_by_category(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period,
                    comparison: Period | None) -> pl.DataFrame:
    """Per category: ``category, paid_orders, gmv, aov`` (+ comparison) where paid_orders =
    paid orders with a line of the category, gmv = sum of the category's lines
    (quantity x unit_price), aov = gmv / paid_orders (the category's spend per order that
    buys it). Highest aov first."""

    def per_category(p: Period) -> pl.LazyFrame:
        return _paid_lines(orders, items, p).group_by("category").agg(
            pl.col("order_id").n_unique().cast(pl.Float64).alias("paid_orders"), pl.col("value").sum().alias("gmv"),
        ).with_columns(safe_div(pl.col("gmv"), pl.col("paid_orders")).alias("aov"))

    out = compare(per_category, period, comparison, on=["category"], values=["paid_orders", "gmv", "aov"])
    return out.sort(["aov", "category"], descending=[True, False], nulls_last=True)


def order_value_stats(orders: pl.LazyFrame, period: Period, comparison: Period | None) -> pl.DataFrame:
    """One row: ``paid_orders, mean, p25, median, p75, p90`` of the paid orders' amount
    (+ comparison); percentiles by linear interpolation, null without orders."""

    def one(p: Period) -> pl.LazyFrame:
        amount = pl.col("amount")
        return paid(orders).filter(in_period("order_time", p)).select(
            pl.len().cast(pl.Float64).alias("paid_orders"),
            amount.mean().alias("mean"),
            amount.quantile(0.25, interpolation="linear").alias("p25"),
            amount.median().alias("median"),
            amount.quantile(0.75, interpolation="linear").alias("p75"),
            amount.quantile(0.9, interpolation="linear").alias("p90"),
        )

    return compare(one, period, comparison)


def _nice_step(raw: pl.Expr) -> pl.Expr:
    """The 1, 2, 5 x 10^k step just at or above ``raw`` (a readable bin width)."""
    mag = pl.lit(10.0).pow(raw.log10().floor())
    ratio = raw / mag
    return (pl.when(ratio <= 1).then(mag).when(ratio <= 2).then(2 * mag)
            .when(ratio <= 5).then(5 * mag).otherwise(10 * mag))


def order_value_distribution(orders: pl.LazyFrame, period: Period, bins: int = 20,
                             quantile: float = 0.99) -> pl.DataFrame:
    """Paid orders per order-value bin of the period: ``bin_start, bin_end, paid_orders, share``.

    Bin width = the 1-2-5 step at or above the ``quantile`` of the amounts (p99 by default) /
    ``bins``, so the long tail above it does not squash the chart; orders beyond the last bin
    are counted in it (its ``bin_end`` is null: open-ended). share = paid orders in the bin /
    all. Only non-empty bins are listed.
    """
    in_p = paid(orders).filter(in_period("order_time", period)).select("amount")
    width = _nice_step(pl.max_horizontal(pl.col("amount").quantile(quantile, interpolation="linear") / bins,
                                         pl.lit(1e-9)))
    binned = in_p.with_columns(width.alias("width")).with_columns(
        pl.min_horizontal((pl.col("amount") / pl.col("width")).floor(), pl.lit(bins - 1.0)).alias("k"))
    out = binned.group_by("k").agg(pl.len().cast(pl.Float64).alias("paid_orders"), pl.col("width").first()).sort("k")
    out = out.with_columns(
        (pl.col("k") * pl.col("width")).alias("bin_start"),
        pl.when(pl.col("k") < bins - 1).then((pl.col("k") + 1) * pl.col("width")).otherwise(None).alias("bin_end"),
        share("paid_orders").alias("share"),
    )
    return out.select("bin_start", "bin_end", "paid_orders", "share").collect()


def orders_per_customer(orders: pl.LazyFrame, period: Period, comparison: Period | None) -> pl.DataFrame:
    """Active customers by number of paid orders in the period: ``orders`` ("1", "2", "3",
    "4", "5+"), ``customers``, ``share`` (+ comparison), share = customers in the bucket /
    active customers. All buckets listed, empty ones with 0."""
    top = ORDERS_PER_CUSTOMER_MAX
    labels = list(ORDERS_PER_CUSTOMER_BUCKETS)

    def buckets(p: Period) -> pl.LazyFrame:
        n = paid(orders).filter(in_period("order_time", p)).group_by("customer_id").agg(pl.len().alias("n"))
        bucket = pl.when(pl.col("n") >= top).then(pl.lit(f"{top}+")).otherwise(pl.col("n").cast(pl.String))
        counted = n.group_by(bucket.alias("orders")).agg(pl.len().cast(pl.Float64).alias("customers"))
        grid = pl.LazyFrame({"orders": labels})
        return (grid.join(counted, on="orders", how="left").with_columns(pl.col("customers").fill_null(0.0))
                .with_columns(share("customers").alias("share")))

    out = compare(buckets, period, comparison, on=["orders"], values=["customers", "share"])
    return _order_by(_complete(out, ["customers"], ["share"], comparison), "orders", labels)


def category_share(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period,
                   comparison: Period | None) -> pl.DataFrame:
    """Per category, over the lines of the period's paid orders:

    - ``gmv`` = sum(quantity x unit_price), ``gmv_share`` = gmv / all categories' gmv;
    - ``buyers`` = customers with a paid line of the category, ``buyer_share`` = buyers /
      customers with any paid line (a customer may buy several categories, so buyer
      shares add up to more than 100%);

    each beside the comparison period. Largest GMV first.
    """

    def per_category(p: Period) -> pl.LazyFrame:
        lines = _paid_lines(orders, items, p)
        all_buyers = lines.select(pl.col("customer_id").n_unique().cast(pl.Float64).alias("_all"))
        return (lines.group_by("category").agg(pl.col("value").sum().alias("gmv"),
                                               pl.col("customer_id").n_unique().cast(pl.Float64).alias("buyers"))
                .join(all_buyers, how="cross")
                .with_columns(share("gmv").alias("gmv_share"),
                              safe_div(pl.col("buyers"), pl.col("_all")).alias("buyer_share"))
                .drop("_all"))

    out = compare(per_category, period, comparison, on=["category"],
                  values=["gmv", "gmv_share", "buyers", "buyer_share"])
    out = _complete(out, ["gmv", "buyers"], ["gmv_share", "buyer_share"], comparison)
    return out.sort(["gmv", "category"], descending=[True, False])


def preference_index(orders: pl.LazyFrame, items: pl.LazyFrame, customers: pl.LazyFrame, period: Period,
                     by: str = "region") -> pl.DataFrame:
    """Category preference of each customer group (region, age_band or any customers column):
    ``<by>, category, gmv, group_share, overall_share, index``.

    index = (category GMV in the group / the group's GMV) / (category GMV / all GMV) x 100:
    100 = the group buys the category like everyone, 150 = half as much again. GMV of paid
    lines in the period; customers with no value for ``by`` form the group ``unknown``.
    """
    names = _names(customers)
    group = age_band(period, names) if by == "age_band" else or_unknown(by)
    if by != "age_band":
        require(customers, "customers", by)
    cols = [c for c in ("birth_year", "age") if c in names] if by == "age_band" else [by]
    lines = _paid_lines(orders, items, period).join(customers.select("customer_id", *cols), on="customer_id",
                                                    how="left").with_columns(group)
    cells = lines.group_by(by, "category").agg(pl.col("value").sum().alias("gmv"))
    out = cells.with_columns(
        safe_div(pl.col("gmv"), pl.col("gmv").sum().over(by)).alias("group_share"),
        safe_div(pl.col("gmv").sum().over("category"), pl.col("gmv").sum()).alias("overall_share"),
    ).with_columns((safe_div(pl.col("group_share"), pl.col("overall_share")) * 100).alias("index"))
    out = out.collect()
    return _order_by(out.sort("category"), by, AGE_BANDS) if by == "age_band" else out.sort(by, "category")


def long_tail_categories(category_table: pl.DataFrame, max_share: float = 0.05, top: int = 5) -> pl.DataFrame:
    """Long-tail categories that grow fastest, from :func:`category_share`: categories with
    ``gmv_share`` < ``max_share`` and GMV in both periods, sorted by GMV growth
    (``gmv_change_rel`` = (gmv - gmv_prev) / gmv_prev) fastest first, at most ``top``.
    Empty without a comparison period."""
    return (category_table.filter((pl.col("gmv_share") < max_share) & pl.col("gmv_change_rel").is_not_null()
                                  & (pl.col("gmv") > 0))
            .sort(["gmv_change_rel", "category"], descending=[True, False]).head(top))
