"""The figures more than one part of the report uses, computed one way for a run.

A section notebook calls these to show a figure; the diagnosis (section 4) calls the same
functions with ``reuse=True`` and gets the table the section saved in the run's work
folder (``results/<name>.parquet``), so its findings quote exactly the numbers the
sections show. Without a saved table (a notebook run on its own) the figure is computed
here, the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from kit.run import Run


def _shared(run: Run, name: str, compute: Callable[[], pl.DataFrame | None], reuse: bool) -> pl.DataFrame | None:
    if reuse:
        saved = run.result(name)
        if saved is not None:
            return saved
    frame = compute()
    if frame is not None:
        run.save_result(name, frame)
    return frame


# ---------------------------------------------------------------- section 1: regions

def region_share(run: Run, reuse: bool = False) -> pl.DataFrame | None:
    """Active customers per region beside the comparison period (None without customers.region)."""
    from kit.metrics.profile import region_share as compute

    if run.orders is None or not run.has("customers", "region"):
        return None
    return _shared(run, "region_share", lambda: compute(run.customers, run.orders, run.period, run.comparison), reuse)


def churn_by(run: Run, column: str, reuse: bool = False) -> pl.DataFrame | None:
    """Churn of the comparison period's buyers per value of ``column`` (e.g. region); None
    without a comparison period or without the column."""
    from kit.metrics.customers import churn_by as compute

    if run.orders is None or run.comparison is None or not _has_attribute(run, column):
        return None
    return _shared(run, f"churn_by_{column}",
                   lambda: compute(run.orders, run.customers, column, run.period, run.comparison), reuse)


# ---------------------------------------------------------------- section 3: segments

def segments(run: Run, at: str = "period", reuse: bool = False) -> pl.DataFrame | None:
    """Every customer's RFM and segment as of the end of the period (``at="period"``) or of
    the comparison period (``at="comparison"``, None without one), under the run's scheme."""
    from kit.metrics.segments import scheme_options, segment_customers

    period = run.period if at == "period" else run.comparison
    if period is None or run.orders is None:
        return None
    return _shared(run, f"segments_{at}", lambda: segment_customers(run.orders, period, **scheme_options(run.params)),
                   reuse)


def segment_sizes(run: Run, by: str | None = None, reuse: bool = False) -> pl.DataFrame | None:
    """Segment sizes at the period end beside the comparison end, overall or per ``by``
    (a customers column such as ``region``)."""
    from kit.metrics import segments as seg

    def compute():
        now, before = segments(run, reuse=True), segments(run, "comparison", reuse=True)
        if now is None:
            return None
        if by is None:
            return seg.segment_sizes(now, before)
        attribute = seg.customer_attribute(run.orders, run.customers, by, run.period)
        return seg.segment_sizes_by(now, before, attribute, by=by)

    if by is not None and not _has_attribute(run, by):
        return None
    return _shared(run, f"segment_sizes_{by or 'all'}", compute, reuse)


def concentration(run: Run, reuse: bool = False) -> pl.DataFrame | None:
    """Revenue concentration: the GMV share of the top 20% of the period's buyers."""
    from kit.metrics.segments import revenue_concentration

    now = segments(run, reuse=True)
    return None if now is None else _shared(run, "concentration", lambda: revenue_concentration(now), reuse)


def write_segments_csv(run: Run, segmented: pl.DataFrame, clv_customers: pl.DataFrame | None) -> Path:
    """``segments.csv`` beside the report: per customer R, F, M, scores, segment and, when the
    CLV fit succeeded, ``p_alive, expected_purchases, expected_value`` (for marketing to act on)."""
    from kit.metrics.segments import segments_table

    table = segments_table(segmented)
    if clv_customers is not None:
        table = table.join(clv_customers.select("customer_id", "p_alive", "expected_purchases", "expected_value"),
                           on="customer_id", how="left")
    path = run.work_dir / "segments.csv"
    table.write_csv(path)
    return path


def _has_attribute(run: Run, column: str) -> bool:
    return run.has("customers", column) or run.has("orders", column)


# ---------------------------------------------------------------- products and channels

def category_quality(run: Run, reuse: bool = False) -> pl.DataFrame | None:
    """Return rate, returned value and rating per category (None without order lines)."""
    from kit.metrics.products import category_quality as compute

    if run.order_items is None or run.orders is None or not run.has("order_items", "category"):
        return None
    return _shared(run, "category_quality",
                   lambda: compute(run.orders, run.order_items, run.period, run.comparison), reuse)


def channel_roi(run: Run, reuse: bool = False) -> pl.DataFrame | None:
    """Spend, GMV, ROI and CAC per paid channel (None without marketing spend)."""
    from kit.metrics.channels import channel_roi as compute

    if run.marketing_spend is None or run.orders is None or not run.has("orders", "channel"):
        return None
    return _shared(run, "channel_roi",
                   lambda: compute(run.orders, run.marketing_spend, run.period, run.comparison, run.customers), reuse)


# ---------------------------------------------------------------- section 2: funnel and carts

def _journeys(run: Run) -> dict[str, pl.LazyFrame]:
    """The run's journeys (sessions, or users within the window; see :mod:`kit.metrics.funnel`),
    built once per kernel and kept in memory as what the figures read: their counts
    (:func:`kit.metrics.funnel.journey_counts`) and the journeys that reached the last step
    (``period`` and the step times). A row per session is never kept: on big shops that was
    gigabytes, and grouping it again for every breakdown took seconds each."""
    from kit.metrics.funnel import AT, journey_counts, journeys

    if "journeys" not in run.memory:
        conv = run.params.conversion
        built = journeys(run.events, run.period, run.comparison, steps=conv.funnel_steps, unit=conv.funnel_unit,
                         window_days=conv.user_window_days, orders=run.orders, sessions=run.sessions).cache()
        paid = built.filter(pl.col(AT + conv.funnel_steps[-1]).is_not_null()).select(
            "period", *[AT + s for s in conv.funnel_steps])
        counts, converted = pl.collect_all([journey_counts(built), paid], engine="streaming")
        run.memory["journeys"] = {"counts": counts.lazy(), "converted": converted.lazy()}
    return run.memory["journeys"]


def journey_counts(run: Run) -> pl.LazyFrame | None:
    """The run's journeys counted per period, day, device, source and visitor (None without events)."""
    return None if run.events is None else _journeys(run)["counts"]


def converted_journeys(run: Run) -> pl.LazyFrame | None:
    """The run's journeys that reached the last step: ``period`` and ``at:<step>`` (None without events)."""
    return None if run.events is None else _journeys(run)["converted"]


def funnel(run: Run, reuse: bool = False) -> pl.DataFrame | None:
    """The funnel: per step count, step conversion, conversion from start, drop-off."""
    from kit.metrics.funnel import funnel_table

    if run.events is None:
        return None
    return _shared(run, "funnel", lambda: funnel_table(journey_counts(run), run.period, run.comparison), reuse)


def funnel_by(run: Run, dimension: str, reuse: bool = False) -> pl.DataFrame | None:
    """Step conversion per group of ``dimension`` (device, source, visitor) with intervals and tests."""
    from kit.metrics.funnel import step_conversion_by

    if run.events is None:
        return None
    return _shared(run, f"funnel_by_{dimension}",
                   lambda: step_conversion_by(journey_counts(run), dimension, run.period, run.comparison), reuse)


def daily_steps(run: Run, reuse: bool = False) -> pl.DataFrame | None:
    """Daily step conversion overall, per device and per source (the change-point input)."""
    from kit.metrics.funnel import daily_step_conversion

    if run.events is None:
        return None
    return _shared(run, "daily_steps", lambda: daily_step_conversion(journey_counts(run), run.period), reuse)


def carts(run: Run) -> pl.LazyFrame | None:
    """The run's carts (sessions with an add to cart, paid or not within the window), kept in memory."""
    from kit.metrics.cart import carts as build

    if run.events is None:
        return None
    if "carts" not in run.memory:
        run.memory["carts"] = build(run.events, run.period, run.comparison, run.params.conversion.cart_window_hours,
                                    sessions=run.sessions).collect(engine="streaming").lazy()
    return run.memory["carts"]


def cart_abandonment(run: Run, reuse: bool = False) -> pl.DataFrame | None:
    """Carts, abandoned carts, their value and the abandonment rate, beside the comparison period."""
    from kit.metrics.cart import cart_abandonment as compute

    if run.events is None:
        return None
    return _shared(run, "cart_abandonment", lambda: compute(carts(run), run.period, run.comparison), reuse)


def cart_abandonment_by(run: Run, dimension: str, reuse: bool = False) -> pl.DataFrame | None:
    """Cart abandonment per device, source or category."""
    from kit.metrics import cart

    if run.events is None:
        return None
    if dimension == "category":
        def compute():
            return cart.abandonment_by_category(run.events, carts(run), run.period, run.comparison)
    else:
        def compute():
            return cart.abandonment_by(carts(run), dimension, run.period, run.comparison)
    return _shared(run, f"cart_abandonment_by_{dimension}", compute, reuse)


# ---------------------------------------------------------------- section 2.3: repurchase

def first_repurchase(run: Run, reuse: bool = False) -> pl.DataFrame | None:
    """30/60/90-day repurchase of the period's first-time buyers (one row)."""
    from kit.metrics.repurchase import first_purchase_repurchase

    if run.orders is None:
        return None
    return _shared(run, "first_repurchase",
                   lambda: first_purchase_repurchase(run.orders, run.period, run.comparison), reuse)


def first_repurchase_by(run: Run, column: str, reuse: bool = False) -> pl.DataFrame | None:
    """The same per group of ``column`` (customers' column, else the first order's)."""
    from kit.metrics.repurchase import first_purchase_repurchase

    if run.orders is None or not _has_attribute(run, column):
        return None
    return _shared(run, f"first_repurchase_by_{column}",
                   lambda: first_purchase_repurchase(run.orders, run.period, run.comparison, run.customers, by=column),
                   reuse)
