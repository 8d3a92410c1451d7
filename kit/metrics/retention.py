"""Section 2.3, repurchase and retention: how often customers buy again, how cohorts
hold up month after month, where each customer stands in its lifecycle, and which first
orders bring customers back.

N-day repurchase of first-time buyers is defined once, in :mod:`kit.metrics.repurchase`;
the repurchase rate of the period is a KPI (:mod:`kit.metrics.kpis`).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from kit.contract import paid
from kit.metrics.common import compare, in_period, proportion_tests, safe_div
from kit.metrics.customers import NEXT, PREV, first_purchases, with_paid_neighbours
from kit.metrics.repurchase import first_purchase_repurchase
from kit.periods import Period

INTERVAL_BINS: tuple[int, ...] = (0, 7, 14, 30, 60, 90, 180)
"""Lower bounds (days) of the inter-purchase interval histogram; the last bin is open."""

STAGES: tuple[str, ...] = ("new", "active", "at_risk", "churned")


# ---------------------------------------------------------------- inter-purchase interval

def _intervals(orders: pl.LazyFrame) -> pl.LazyFrame:
    """Every gap between consecutive paid orders of a customer: ``order_time`` (the later
    order) and ``days`` = (later - earlier) in days, fractional."""
    return (
        paid(with_paid_neighbours(orders)).filter(pl.col(PREV).is_not_null())
        .select("customer_id", "order_time",
                (pl.col("order_time") - pl.col(PREV)).dt.total_seconds().truediv(86400).alias("days"))
    )


def purchase_intervals(orders: pl.LazyFrame, period: Period, comparison: Period | None = None) -> pl.DataFrame:
    """Days between consecutive paid orders of a customer, for the gaps whose later order
    falls in the period: ``intervals, p25, median, p75`` (days) beside the comparison
    period. A customer with one paid order has no interval."""
    gaps = _intervals(orders)

    def stats(p: Period) -> pl.LazyFrame:
        mine = gaps.filter(in_period("order_time", p))
        return mine.select(pl.len().cast(pl.Float64).alias("intervals"),
                           pl.col("days").quantile(0.25, "linear").alias("p25"),
                           pl.col("days").median().alias("median"),
                           pl.col("days").quantile(0.75, "linear").alias("p75"))

    return compare(stats, period, comparison)


def interval_histogram(orders: pl.LazyFrame, period: Period) -> pl.DataFrame:
    """The period's intervals in bins of :data:`INTERVAL_BINS` days: ``bin_start, bin_end,
    intervals, share`` (bin_end null for the last, open bin)."""
    lows = list(INTERVAL_BINS)
    gaps = _intervals(orders).filter(in_period("order_time", period))
    binned = gaps.with_columns(_band(pl.col("days"), lows[1:], lows, closed_left=True).alias("bin_start"))
    counts = binned.group_by("bin_start").agg(pl.len().alias("intervals"))
    frame = pl.LazyFrame({"bin_start": lows, "bin_end": lows[1:] + [None]}, schema={"bin_start": pl.Int64,
                                                                                     "bin_end": pl.Int64})
    return (frame.join(counts, on="bin_start", how="left").with_columns(pl.col("intervals").fill_null(0))
            .with_columns(safe_div(pl.col("intervals"), pl.col("intervals").sum()).alias("share"))
            .sort("bin_start").collect())


def _band(value: pl.Expr, edges: list, labels: list, closed_left: bool = False) -> pl.Expr:
    """The label of the band ``value`` falls in: ``labels[i]`` for edges[i-1] < value <= edges[i]
    (``<`` and ``>=`` with ``closed_left``), the last label above the last edge; null stays null."""
    expr = pl.lit(labels[-1])
    for edge, lab in reversed(list(zip(edges, labels[:-1], strict=True))):
        inside = value < edge if closed_left else value <= edge
        expr = pl.when(inside).then(pl.lit(lab)).otherwise(expr)
    return pl.when(value.is_null()).then(None).otherwise(expr)


# ---------------------------------------------------------------- cohorts

def cohort_matrix(orders: pl.LazyFrame, period: Period, months: int = 12) -> pl.DataFrame:
    """Monthly cohort retention up to the period end.

    Cohort = the month of a customer's first paid order, for the ``months`` months ending
    with the period's last month. Per cohort and ``month`` since the first order (0 = the
    first month): ``customers`` = cohort customers with a paid order in that calendar
    month, ``cohort_size`` and ``share`` = customers / cohort_size (month 0 is 100%). Every
    month from 0 up to the period end is present, 0 when nobody came back; months after the
    period end are not shown, nor orders placed after it.
    """
    end_month = date(period.end.year, period.end.month, 1)
    first_month = _add_months(end_month, -(months - 1))
    firsts = first_purchases(orders).with_columns(pl.col("first_order_time").dt.truncate("1mo").dt.date().alias("cohort"))
    firsts = firsts.filter((pl.col("cohort") >= first_month) & (pl.col("cohort") <= end_month))
    month_of = pl.col("order_time").dt.truncate("1mo").dt.date()
    active = (paid(orders).filter(pl.col("order_time") < pl.lit(period.end_dt))
              .select("customer_id", month_of.alias("month_start")).unique())
    index = ((pl.col("month_start").dt.year() - pl.col("cohort").dt.year()) * 12
             + pl.col("month_start").dt.month().cast(pl.Int32) - pl.col("cohort").dt.month().cast(pl.Int32))
    sizes = firsts.group_by("cohort").agg(pl.len().alias("cohort_size"))
    counts = (active.join(firsts.select("customer_id", "cohort"), on="customer_id")
              .with_columns(index.alias("month"))
              .group_by("cohort", "month").agg(pl.len().alias("customers")))
    # every month a cohort has lived through up to the period end, so a month nobody came back is a 0, not a gap
    months_to_end = (end_month.year * 12 + end_month.month
                     - pl.col("cohort").dt.year() * 12 - pl.col("cohort").dt.month().cast(pl.Int32))
    cells = (sizes.join(pl.LazyFrame({"month": list(range(months))}, schema={"month": pl.Int32}), how="cross")
             .filter(pl.col("month") <= months_to_end))
    return (
        cells.join(counts, on=["cohort", "month"], how="left")
        .with_columns(pl.col("customers").fill_null(0).cast(pl.Int64))
        .with_columns((pl.col("customers") / pl.col("cohort_size")).alias("share"))
        .select("cohort", "month", "customers", "cohort_size", "share")
        .sort("cohort", "month")
        .collect()
    )


def _add_months(d: date, n: int) -> date:
    k = d.year * 12 + d.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


# ---------------------------------------------------------------- lifecycle

def _stages_at(orders: pl.LazyFrame, ends: dict[str, Period], at_risk_days: int, churn_days: int) -> pl.LazyFrame:
    """``customer_id`` and, for each ``name: period`` of ``ends``, column ``name`` = the
    customer's stage at that period's end (null when they had no paid order by then), from
    one read of the orders: per customer, their first paid order and their last before each end."""
    latest = max(p.end_dt for p in ends.values())
    is_first = pl.col(PREV).is_null()
    is_last = [(pl.col("order_time") < p.end_dt) & (pl.col(NEXT).is_null() | (pl.col(NEXT) >= p.end_dt))
               for p in ends.values()]
    per = (
        paid(with_paid_neighbours(orders)).filter((pl.col("order_time") < latest) & pl.any_horizontal(is_first, *is_last))
        .group_by("customer_id")
        .agg(pl.col("order_time").min().alias("_first"),
             *[pl.when(pl.col("order_time") < p.end_dt).then(pl.col("order_time")).max().alias(f"_last_{name}")
               for name, p in ends.items()])
    )
    stages = []
    for name, p in ends.items():
        last = pl.col(f"_last_{name}")
        days = (pl.lit(p.end) - last.dt.date()).dt.total_days()
        stages.append(pl.when(last.is_null()).then(None)
                      .when(pl.col("_first") >= pl.lit(p.start_dt)).then(pl.lit("new"))
                      .when(days < at_risk_days).then(pl.lit("active"))
                      .when(days < churn_days).then(pl.lit("at_risk"))
                      .otherwise(pl.lit("churned")).alias(name))
    return per.select("customer_id", *stages)


def lifecycle_stages(orders: pl.LazyFrame, period: Period, at_risk_days: int = 90,
                     churn_days: int = 180) -> pl.LazyFrame:
    """Each customer's stage at the end of ``period`` (customers with a paid order by then):

    - ``new``: first paid order inside the period;
    - ``active``: otherwise, last paid order less than ``at_risk_days`` days before the end;
    - ``at_risk``: last paid order ``at_risk_days`` to less than ``churn_days`` days before;
    - ``churned``: ``churn_days`` days or more before.

    Days before the end = (period end date - date of the last paid order), whole days, so a
    customer who last bought exactly ``at_risk_days`` days before is at risk.
    Returns ``customer_id, stage``.
    """
    return _stages_at(orders, {"stage": period}, at_risk_days, churn_days).filter(pl.col("stage").is_not_null())


def lifecycle_counts(orders: pl.LazyFrame, period: Period, comparison: Period | None, at_risk_days: int = 90,
                     churn_days: int = 180) -> pl.DataFrame:
    """Customers per stage at the period end beside the comparison period's end:
    ``stage, customers, share`` (+ comparison), stages in :data:`STAGES` order."""
    ends = {"now": period} | ({"before": comparison} if comparison is not None else {})
    stages = _stages_at(orders, ends, at_risk_days, churn_days).collect().lazy()

    def counts(p: Period) -> pl.LazyFrame:
        column = "now" if p == period else "before"
        per = (stages.filter(pl.col(column).is_not_null())
               .group_by(pl.col(column).alias("stage")).agg(pl.len().cast(pl.Float64).alias("customers")))
        full = pl.LazyFrame({"stage": list(STAGES)}).join(per, on="stage", how="left").with_columns(
            pl.col("customers").fill_null(0.0))
        return full.with_columns(safe_div(pl.col("customers"), pl.col("customers").sum()).alias("share"))

    out = compare(counts, period, comparison, on=["stage"], values=["customers", "share"])
    order = pl.col("stage").replace_strict(list(STAGES), list(range(len(STAGES))), return_dtype=pl.Int32)
    return out.sort(order)


def lifecycle_flows(orders: pl.LazyFrame, period: Period, comparison: Period, at_risk_days: int = 90,
                    churn_days: int = 180) -> pl.DataFrame:
    """How customers moved between stages from the comparison end to the period end:
    ``from_stage, to_stage, customers`` (customers new in the period come ``from_stage``
    = ``none``)."""
    stages = _stages_at(orders, {"to_stage": period, "from_stage": comparison}, at_risk_days, churn_days)
    return (stages.filter(pl.col("to_stage").is_not_null()).with_columns(pl.col("from_stage").fill_null("none"))
            .group_by("from_stage", "to_stage").agg(pl.len().alias("customers"))
            .sort("customers", descending=True).collect())


# ---------------------------------------------------------------- repurchase drivers

def first_order_attributes(orders: pl.LazyFrame, items: pl.LazyFrame | None = None,
                           customers: pl.LazyFrame | None = None,
                           first_in: list[tuple] | None = None) -> tuple[pl.LazyFrame, list[str]]:
    """Per customer, what their first paid order looked like, as text attributes:
    ``category`` (the category with the most value in the order), ``channel``, ``device``,
    ``discount`` (used / not used), ``delivery`` (days band), ``rating`` (band of the
    order's mean rating), and the customer's ``member_level`` and ``acquisition_channel``:
    whichever the data has. ``first_in``: only customers whose first paid order falls in
    one of these ``[start, end)`` datetime ranges (the cohorts asked about; keeps the joins
    small on big shops). Returns the frame and the attribute names present."""
    # the first paid orders themselves (no earlier paid order), with all their columns
    first_orders = paid(with_paid_neighbours(orders)).filter(pl.col(PREV).is_null())
    if first_in:
        inside = [(pl.col("order_time") >= lo) & (pl.col("order_time") < hi) for lo, hi in first_in]
        first_orders = first_orders.filter(pl.any_horizontal(inside))
    first = first_orders.select("customer_id", "order_id")
    names = orders.collect_schema().names()
    cols, exprs = [], []
    for c in ("channel", "device"):
        if c in names:
            cols.append(c)
            exprs.append(pl.col(c).cast(pl.String))
    if "discount" in names:
        cols.append("discount")
        exprs.append(pl.when(pl.col("discount").fill_null(0) > 0).then(pl.lit("used")).otherwise(pl.lit("none"))
                     .alias("discount"))
    if "delivery_days" in names:
        cols.append("delivery")
        exprs.append(_band(pl.col("delivery_days"), [2, 4, 7], ["≤2", "2-4", "4-7", ">7"]).alias("delivery"))
    frame = first_orders.select("customer_id", "order_id", *exprs)
    if items is not None:
        item_names = items.collect_schema().names()
        value = (pl.col("quantity").fill_null(1) if "quantity" in item_names else pl.lit(1)) * pl.col("unit_price")
        lines = items.join(first, on="order_id", how="semi")
        main = (lines.group_by("order_id", "category").agg(value.sum().alias("v"))
                .sort("v", "category", descending=[True, False]).group_by("order_id").agg(pl.col("category").first()))
        frame = frame.join(main, on="order_id", how="left")
        cols.append("category")
        if "rating" in item_names:
            rated = lines.group_by("order_id").agg(pl.col("rating").mean().alias("_r"))
            frame = frame.join(rated, on="order_id", how="left").with_columns(
                _band(pl.col("_r"), [2.5, 3.5, 4.5], ["≤2.5", "2.5-3.5", "3.5-4.5", ">4.5"]).alias("rating")).drop("_r")
            cols.append("rating")
    if customers is not None:
        customer_names = customers.collect_schema().names()
        extra = [c for c in ("member_level", "acquisition_channel") if c in customer_names]
        if extra:
            frame = frame.join(customers.select("customer_id", *[pl.col(c).cast(pl.String) for c in extra]),
                               on="customer_id", how="left")
            cols += extra
    return frame.drop("order_id"), cols


_SEP = "\x1f"  # joins attribute and value into one group key; never part of a value


def repurchase_drivers(orders: pl.LazyFrame, period: Period, items: pl.LazyFrame | None = None,
                       customers: pl.LazyFrame | None = None, days: int = 90, min_buyers: int = 20,
                       comparison: Period | None = None) -> pl.DataFrame:
    """Which first orders bring customers back: the ``days``-day repurchase of first-time
    buyers (the cohort whose window closes in the period, see :mod:`kit.metrics.repurchase`)
    per value of each first-order attribute (:func:`first_order_attributes`; a missing value
    is ``unknown``).

    Per ``attribute, value``: ``buyers``, ``repurchased``, ``rate`` = repurchased / buyers,
    ``lift`` = rate / overall rate (overall = all the attribute's buyers, the same for every
    attribute), the 95% Wilson interval ``ci_low, ci_high``, ``rest_rate``, ``z`` and
    ``p_value`` (two-proportion test against the attribute's other values), ``score`` =
    |lift - 1| x sqrt(buyers) (a big difference on many buyers ranks first), and the
    comparison period's ``buyers_prev, rate_prev, lift_prev`` (null without one).
    Values with fewer than ``min_buyers`` buyers are left out; ranked by score. Empty when no
    first-time buyer came back (there is no rate to lift).
    """
    window = timedelta(days=days)
    cohorts = [(p.start_dt - window, p.end_dt - window) for p in (period, comparison) if p is not None]
    attributes, names = first_order_attributes(orders, items, customers, first_in=cohorts)
    empty = pl.DataFrame(schema={"attribute": pl.String, "value": pl.String, "buyers": pl.Float64,
                                 "repurchased": pl.Float64, "rate": pl.Float64, "lift": pl.Float64,
                                 "ci_low": pl.Float64, "ci_high": pl.Float64, "p_value": pl.Float64,
                                 "score": pl.Float64, "buyers_prev": pl.Float64, "rate_prev": pl.Float64,
                                 "lift_prev": pl.Float64})
    if not names:
        return empty
    # one (customer, attribute, value) row per attribute, so a single pass groups them all
    groups = (attributes.unpivot(on=names, index="customer_id", variable_name="attribute", value_name="value")
              .select("customer_id", (pl.col("attribute") + _SEP + pl.col("value").fill_null("unknown")).alias("group")))
    table = first_purchase_repurchase(orders, period, comparison, groups=groups, windows=(days,))
    # customers outside both cohorts have no attribute row and land in a group "unknown" without a separator
    # (with no buyers): drop it
    table = table.filter(pl.col("group").str.contains(_SEP, literal=True))
    n, k = f"buyers_{days}", f"repurchased_{days}"
    split = pl.col("group").str.split_exact(_SEP, 1)
    frame = table.select(split.struct.field("field_0").alias("attribute"), split.struct.field("field_1").alias("value"),
                         pl.col(n).fill_null(0).alias("entered"), pl.col(k).fill_null(0).alias("converted"),
                         pl.col(f"{n}_prev").alias("buyers_prev"), pl.col(f"{k}_prev").alias("_k_prev"))
    frame = frame.with_columns(
        safe_div(pl.col("_k_prev"), pl.col("buyers_prev")).alias("rate_prev"),
        safe_div(pl.col("_k_prev").sum().over("attribute"), pl.col("buyers_prev").sum().over("attribute"))
        .alias("overall_prev")).drop("_k_prev")
    overall = safe_div(pl.col("converted").sum().over("attribute"), pl.col("entered").sum().over("attribute"))
    frame = frame.with_columns(safe_div(pl.col("converted"), pl.col("entered")).alias("rate"), overall.alias("overall"))
    if frame.height == 0 or not (frame["overall"].fill_null(0) > 0).any():
        return empty  # nobody came back: no first-order attribute raises or lowers a rate of zero
    tested = proportion_tests(frame, ["attribute"])
    return (tested.filter(pl.col("entered") >= min_buyers)
            .with_columns(safe_div(pl.col("rate"), pl.col("overall")).alias("lift"),
                          safe_div(pl.col("rate_prev"), pl.col("overall_prev")).alias("lift_prev"))
            .with_columns(((pl.col("lift") - 1).abs() * pl.col("entered").sqrt()).alias("score"))
            .rename({"entered": "buyers", "converted": "repurchased"})
            .select("attribute", "value", "buyers", "repurchased", "rate", "lift", "ci_low", "ci_high", "rest_rate",
                    "z", "p_value", "score", "overall", "buyers_prev", "rate_prev", "lift_prev")
            .sort("score", "attribute", "value", descending=[True, False, False]))


def channel_repurchase(orders: pl.LazyFrame, customers: pl.LazyFrame | None, period: Period,
                       comparison: Period | None = None, by: str = "acquisition_channel",
                       days: int = 90) -> pl.DataFrame | None:
    """The ``days``-day repurchase of first-time buyers per acquisition channel (the
    customers table's ``by`` column, else the first order's), to spot a channel that brings
    buyers who do not come back.

    Per ``group``: ``buyers`` (= buyers_<days>), ``repurchased``, ``rate``, ``lift`` = rate /
    overall rate, 95% Wilson ``ci_low, ci_high``, ``p_value`` against the other channels, and
    ``buyers_prev, rate_prev, rate_change`` (points). None when neither table has the column.
    """
    in_customers = customers is not None and by in customers.collect_schema().names()
    if not in_customers and by not in orders.collect_schema().names():
        return None
    table = first_purchase_repurchase(orders, period, comparison, customers, by=by, windows=(days,))
    n, k, rate = f"buyers_{days}", f"repurchased_{days}", f"rate_{days}"
    frame = table.select("group", pl.col(n).fill_null(0).alias("entered"), pl.col(k).fill_null(0).alias("converted"),
                         pl.col(rate).alias("rate"), pl.col(f"{n}_prev").alias("buyers_prev"),
                         pl.col(f"{rate}_prev").alias("rate_prev"), pl.col(f"{rate}_change").alias("rate_change"))
    overall = safe_div(pl.col("converted").sum(), pl.col("entered").sum())
    tested = proportion_tests(frame.with_columns(pl.lit("all").alias("_all")), ["_all"]).drop("_all")
    return (tested.with_columns(safe_div(pl.col("rate"), overall).alias("lift"))
            .rename({"entered": "buyers", "converted": "repurchased"})
            .select("group", "buyers", "repurchased", "rate", "lift", "ci_low", "ci_high", "p_value",
                    "buyers_prev", "rate_prev", "rate_change")
            .sort("buyers", "group", descending=[True, False]))
