"""Section 3, customer value (客户价值评估): RFM segments, their profiles and migration,
revenue concentration, lifetime value.

Each function is one figure of the section, from the run (see :mod:`kit.figures`);
definitions are in :mod:`kit.metrics.rfm`, :mod:`kit.metrics.segments` and :mod:`kit.metrics.clv`.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import polars as pl

from kit.figures import Missing, attribute_missing, in_memory, kept, needs
from kit.metrics import clv as clv_metrics
from kit.metrics import rfm
from kit.metrics import segments as seg
from kit.run import Run

HIGH_VALUE, CHURNED, NEW = seg.HIGH_VALUE, seg.CHURNED, seg.NEW
"""The segments the diagnosis watches (shrinking high value, growing churned) and the code of
customers new since the comparison end."""

# ------------------------------------------------------------------ 3.1 segments


@needs(orders=())
def segments(run: Run, at: str = "period", reuse: bool = False) -> pl.DataFrame | None:
    """Every customer's RFM and segment as of the end of the period (``at="period"``) or of
    the comparison period (``at="comparison"``, None without one), under the run's scheme
    (kept for the diagnosis)."""
    period = run.period if at == "period" else run.comparison
    if period is None:
        return None
    # every figure of the section reads them: made once per kernel (0.5 s each at 1M customers)
    return in_memory(run, f"segments_{at}", lambda: kept(
        run, f"segments_{at}", lambda: seg.segment_customers(run.orders, period, **seg.scheme_options(run.params)),
        reuse))


class Method(NamedTuple):
    scheme: str
    """cn8, rfm-grid or kmeans."""
    split: str
    """mean or median (cn8's high/low split)."""
    clusters: int | None
    """k of the k-means scheme (None for the others)."""
    score_levels: pl.DataFrame | None
    """Distinct levels per score (rfm-grid; a score with fewer than 5 levels is noted)."""


@needs(orders=())
def method(run: Run) -> Method:
    """How the segments were made, for the line under the section heading."""
    now = segments(run)
    scheme = run.params.rfm_scheme
    return Method(scheme, run.params.rfm.split, now["cluster"].n_unique() if "cluster" in now.columns else None,
                  rfm.score_levels(now) if scheme == "rfm-grid" else None)


@needs(orders=())
def segment_profiles(run: Run) -> pl.DataFrame:
    """Per segment: customers, shares of customers and revenue, mean R/F/M, AOV."""
    return in_memory(run, "segment_profiles", lambda: seg.segment_profiles(segments(run)))


@needs(orders=())
def rf_grid(run: Run) -> pl.DataFrame:
    """Customers per R score x F score (the R x F heatmap)."""
    return seg.rf_grid(segments(run))


@needs(orders=())
def segment_sizes(run: Run, by: str | None = None, reuse: bool = False) -> pl.DataFrame | Missing:
    """Segment sizes at the period end beside the comparison end, overall or per ``by``
    (a customers or orders column such as ``region``)."""
    if by is not None and (gap := attribute_missing(run, by)) is not None:
        return gap

    def compute() -> pl.DataFrame:
        now, before = segments(run, reuse=True), segments(run, "comparison", reuse=True)
        if by is None:
            return seg.segment_sizes(now, before)
        attribute = seg.customer_attribute(run.orders, run.customers, by, run.period)
        return seg.segment_sizes_by(now, before, attribute, by=by)

    table = kept(run, f"segment_sizes_{by or 'all'}", compute, reuse)
    if by is None and not reuse:
        run.record("rfm", {"scheme": run.params.rfm_scheme, "segments": table.to_dicts()})
    return table


@needs(orders=(), order_items=("category",))
def segment_top_categories(run: Run) -> pl.DataFrame:
    """Each segment's top categories by GMV in the period."""
    return seg.segment_top_categories(run.orders, run.order_items, segments(run), run.period)


# ------------------------------------------------------------------ 3.2 concentration and migration


class Concentration(NamedTuple):
    now: pl.DataFrame
    """One row: the top 20% of the period's buyers, their GMV share (kept for the diagnosis)."""
    before: pl.DataFrame | None
    """The same at the comparison end (None without a comparison period)."""
    curve: pl.DataFrame
    """The Lorenz curve of the period's revenue over customers."""


@needs(orders=())
def concentration(run: Run, reuse: bool = False) -> Concentration:
    """Revenue concentration: the GMV share of the top 20% of the period's buyers, and its curve."""
    now = segments(run, reuse=True)
    before = segments(run, "comparison", reuse=True)
    table = kept(run, "concentration", lambda: seg.revenue_concentration(now), reuse)
    if not reuse:
        run.record("rfm", {"top20_share": table["top_share"][0]})
    return Concentration(table, seg.revenue_concentration(before) if before is not None else None,
                         seg.lorenz_curve(now))


@needs(comparison=True, orders=())
def migration(run: Run) -> pl.DataFrame:
    """Customers moving from each segment at the comparison end to each segment at the period end."""
    return seg.segment_migration(segments(run), segments(run, "comparison"))


# ------------------------------------------------------------------ 3.3 lifetime value


class LifetimeValue(NamedTuple):
    fit: clv_metrics.ClvFit
    """BG/NBD and Gamma-Gamma parameters (``fit.ok`` False: why it is not shown)."""
    customers: pl.DataFrame | None
    """Per customer: p_alive, expected purchases, spend and value over the horizon."""
    totals: pl.DataFrame | None
    """One row: the sums and the share likely alive."""
    by_segment: pl.DataFrame | None
    """Expected value per segment."""
    p_alive: pl.DataFrame | None
    """Customers per probability-alive band."""
    holdout: pl.DataFrame | None
    """Predicted vs actual repeat purchases after the period (None when the data ends with it)."""
    holdout_start: date
    holdout_end: date | None


@needs(orders=())
def lifetime_value(run: Run) -> LifetimeValue:
    """BG/NBD + Gamma-Gamma lifetime value of every customer as of the period end
    (:func:`kit.metrics.clv.customer_lifetime_value`), per segment and in total."""

    def build() -> LifetimeValue:
        c = run.params.clv
        value = clv_metrics.customer_lifetime_value(run.orders, run.period.end, c.horizon_months, c.time_unit,
                                                    c.min_repeat_buyers)
        run.record("clv", value.fit.to_dict())
        start, end = run.period.end + timedelta(days=1), run.meta.get("data_end")
        if not value.fit.ok:
            return LifetimeValue(value.fit, None, None, None, None, None, start, None)
        by_segment = clv_metrics.clv_by_segment(value.customers, segments(run))
        run.save_result("clv_by_segment", by_segment)
        run.save_result("clv_customers", value.customers.select("customer_id", "p_alive", "expected_value"))
        return LifetimeValue(value.fit, value.customers, clv_metrics.clv_totals(value.customers), by_segment,
                             clv_metrics.p_alive_distribution(value.customers), value.holdout, start,
                             date.fromisoformat(end) if end else None)

    return in_memory(run, "lifetime_value", build)


@needs(orders=())
def segments_file(run: Run) -> Path:
    """``segments.csv`` beside the report: per customer R, F, M, scores, segment and, when the
    CLV fit succeeded, ``p_alive, expected_purchases, expected_value`` (for marketing to act on)."""
    table = seg.segments_table(segments(run))
    value = lifetime_value(run)
    if value.customers is not None:
        table = table.join(value.customers.select("customer_id", "p_alive", "expected_purchases", "expected_value"),
                           on="customer_id", how="left")
    path = run.work_dir / "segments.csv"
    table.write_csv(path)
    return path


FIGURES = (segments, method, segment_profiles, rf_grid, segment_sizes, segment_top_categories, concentration,
           migration, lifetime_value)
"""Every figure of the section in report order (the bench times each)."""
