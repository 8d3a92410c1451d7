"""The experiment readout (A/B测试): each experiment of the ``experiments`` table read as a growth
team reads it in GrowthBook or Statsig, from the orders (and events) the kit already has.

**Units.** One row of ``experiments`` is one exposure of a customer or a visitor. A unit is the
customer: ``customer_id`` when the row has one, else the customer the visitor is seen logged in
as in the events (the first one by time, as :func:`kit.metrics.sessions.stitch_users` decides),
else the visitor itself (``v:<visitor_id>``: an anonymous unit, who has no order). A unit's
exposure is its first; a unit seen in several variants of one experiment is counted and left
out of the analysis (GrowthBook's *multiple exposures*).

**Outcomes**, per unit, from its exposure ``e`` to ``e + window_days`` (each experiment's own
window, default 3 days, GrowthBook's 72-hour conversion window):

- ``conversion``: 1 when it has a paid order in the window, else 0 (a proportion);
- ``revenue``: the amount of its paid orders in the window (refunded and cancelled orders are
  not paid: refunds are netted), ``orders``: their number (means per exposed unit);
- ``order_value``: Σ revenue / Σ orders over the arm's units (a ratio metric);
- ``repurchase``: 1 when it has two paid orders or more within ``repurchase_days`` (30) of ``e``;
- ``step:<s>``: 1 when one of its sessions reaches funnel step ``s`` in the window (events).

Windows still open at the data's end count what they hold (GrowthBook includes in-progress
conversions); the readout says how many. Each outcome's value over the ``cuped_lookback_days``
(14) before ``e`` is its CUPED covariate.

**Segments** are read before the exposure, so the treatment cannot move a unit between them:
``device`` (its latest session starting before the exposure, else its latest paid order),
``visitor`` (``returning`` with a paid order before the exposure, else ``new``) and ``region``
(the customers' region, else the latest paid order's).

The statistics are :mod:`kit.metrics.ab_stats`; :func:`readout` assembles one table per part of
the report: the experiments, their variants, the results per metric and variant, the segments
and the cumulative difference day by day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import NamedTuple

import numpy as np
import polars as pl

from kit.contract import is_paid
from kit.metrics import ab_stats as ab
from kit.metrics.common import UNKNOWN
from kit.periods import Period

CONTROL_NAMES = ("control", "ctrl", "baseline", "original", "default", "对照", "对照组", "控制组", "a")
"""Variant names taken as the control when neither the params nor ``is_control`` name it (in this order)."""
PROPORTIONS = ("conversion", "repurchase")
MEANS = ("revenue", "orders")
RATIO = "order_value"
MIN_SEGMENT_UNITS = 30
"""A segment is tested when each of its arms has at least this many units."""
MIN_DAILY_UNITS = 10
"""The cumulative series starts on the first day each arm has this many units."""
SESSION_SLACK = timedelta(minutes=30)
"""An exposure happens inside a visit: the session started up to this long after it still places the unit's device."""
DAY = timedelta(days=1)


class Readout(NamedTuple):
    """The experiment readout of a run, one table per part of the report (see :func:`readout`)."""

    experiments: pl.DataFrame
    """One row per experiment with exposures in the period: what it is, its status and its checks."""
    variants: pl.DataFrame
    """One row per experiment and variant: units, their share and the planned share."""
    results: pl.DataFrame
    """One row per experiment, metric and variant other than the control: the comparison with the control."""
    segments: pl.DataFrame
    """The primary metric per segment cut, variant against control within the segment."""
    daily: pl.DataFrame
    """The cumulative difference of the primary metric, day by day of exposure."""


def is_proportion(metric: str) -> bool:
    return metric in PROPORTIONS or metric.startswith("step:")


# ---------------------------------------------------------------- units


def visitor_links(events: pl.LazyFrame | None) -> pl.LazyFrame | None:
    """``visitor_id, linked``: the customer each visitor is seen logged in as (the first by time;
    at one instant, the least id), or None when the events cannot tell (no events, or no visitor
    or customer ids). Prepared once per dataset and per slice (``visitor_links.parquet``, a row
    per visitor who logged in): the readout reads it, not the events."""
    if events is None:
        return None
    names = events.collect_schema().names()
    if "visitor_id" not in names or "customer_id" not in names:
        return None
    return (events.filter(pl.col("customer_id").is_not_null() & pl.col("visitor_id").is_not_null())
            .group_by("visitor_id").agg(pl.col("customer_id").sort_by("event_time", "customer_id").first()
                                        .alias("linked")))


def exposures(experiments: pl.LazyFrame, links: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per experiment and unit: ``experiment_id, unit, variant`` (null when the unit saw
    several), ``variants`` (how many it saw), ``exposure_time`` (its first), ``linked`` (the unit
    is a customer, whose orders can be read). A visitor is the customer it logged in as
    (``links``: :func:`visitor_links`). Rows naming nobody are left out."""
    names = experiments.collect_schema().names()
    customer = pl.col("customer_id") if "customer_id" in names else pl.lit(None, pl.String)
    visitor = pl.col("visitor_id") if "visitor_id" in names else pl.lit(None, pl.String)
    rows = experiments.with_columns(customer.alias("_customer"), visitor.alias("_visitor"))
    if "visitor_id" in names and links is not None:
        rows = rows.join(links.rename({"visitor_id": "_visitor"}), on="_visitor", how="left")
    else:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("linked"))
    rows = rows.with_columns(
        pl.coalesce("_customer", "linked", "v:" + pl.col("_visitor")).alias("unit"),
        (pl.col("_customer").is_not_null() | pl.col("linked").is_not_null()).alias("linked"),
    ).filter(pl.col("unit").is_not_null())
    return rows.group_by("experiment_id", "unit").agg(
        pl.col("variant").n_unique().alias("variants"),
        pl.col("variant").min_by("exposure_time").alias("variant"),
        pl.col("exposure_time").min(),
        pl.col("linked").any(),
    ).with_columns(pl.when(pl.col("variants") == 1).then(pl.col("variant")).alias("variant"))


def control_of(variants: list[str], flagged: list[str], named: str | None = None) -> str:
    """The control variant: the one the params name, else one the data flags (``is_control``),
    else the first of :data:`CONTROL_NAMES` present (any case), else the first by name."""
    if named is not None and named in variants:
        return named
    for v in sorted(flagged):
        if v in variants:
            return v
    lowered = {v.lower(): v for v in variants}
    for name in CONTROL_NAMES:
        if name in lowered:
            return lowered[name]
    return sorted(variants)[0]


# ---------------------------------------------------------------- outcomes


def _us(days: pl.Expr | float) -> pl.Expr:
    """A duration of ``days`` (a column or a number)."""
    days = days if isinstance(days, pl.Expr) else pl.lit(days)
    return pl.duration(microseconds=(days * 86_400_000_000).round(0).cast(pl.Int64))


def outcomes(units: pl.LazyFrame, orders: pl.LazyFrame, sessions: pl.LazyFrame | None = None,
             steps: tuple[str, ...] = (), visits: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Each unit's outcomes and their pre-exposure values (see the module's docstring).

    ``units``: ``experiment_id, unit, exposure_time`` and the unit's experiment's settings
    ``window_days, repurchase_days, lookback_days``. Adds, for each metric ``m``, ``y:m`` (in the
    window) and ``x:m`` (in the lookback before the exposure), and ``returning``,
    ``refunded_orders``, ``refunded_amount`` (refunds in the window, not counted). The steps'
    reach comes from ``visits`` (:func:`session_outcomes` of these units, prepared) or else
    from the ``sessions``."""
    e = pl.col("exposure_time")
    units = units.with_columns(
        (e + _us(pl.col("window_days"))).alias("_w_end"),
        (e + _us(pl.col("repurchase_days"))).alias("_r_end"),
        (e - _us(pl.col("lookback_days"))).alias("_pre"),
    )
    heads = orders.select(pl.col("customer_id").alias("unit"), "order_time", "amount", is_paid().alias("_paid"),
                          (pl.col("status") == "refunded").alias("_refunded"))
    t = pl.col("order_time")
    joined = units.select("experiment_id", "unit", "exposure_time", "_w_end", "_r_end", "_pre").join(
        heads, on="unit", how="inner")
    in_w = pl.col("_paid") & (t >= e) & (t < pl.col("_w_end"))
    in_pre = pl.col("_paid") & (t >= pl.col("_pre")) & (t < e)
    in_rep = pl.col("_paid") & (t >= e) & (t < pl.col("_r_end"))
    refunded = pl.col("_refunded") & (t >= e) & (t < pl.col("_w_end"))
    per_unit = joined.group_by("experiment_id", "unit").agg(
        in_w.any().cast(pl.Float64).alias("y:conversion"),
        in_w.sum().cast(pl.Float64).alias("y:orders"),
        pl.col("amount").filter(in_w).sum().round(2).alias("y:revenue"),
        (in_rep.sum() >= 2).cast(pl.Float64).alias("y:repurchase"),
        in_pre.any().cast(pl.Float64).alias("x:conversion"),
        in_pre.sum().cast(pl.Float64).alias("x:orders"),
        pl.col("amount").filter(in_pre).sum().round(2).alias("x:revenue"),
        (in_pre.sum() >= 2).cast(pl.Float64).alias("x:repurchase"),
        (pl.col("_paid") & (t < e)).any().alias("returning"),
        refunded.sum().alias("refunded_orders"),
        pl.col("amount").filter(refunded).sum().round(2).alias("refunded_amount"),
    )
    filled = [c for c in per_unit.collect_schema().names() if c not in ("experiment_id", "unit")]
    out = units.join(per_unit, on=["experiment_id", "unit"], how="left").with_columns(
        pl.col(c).fill_null(False if c == "returning" else 0) for c in filled)
    if visits is None and sessions is not None and steps:
        visits = session_outcomes(units, sessions, steps)
    if visits is not None and steps:
        reach = [f"{k}:step:{s}" for s in steps for k in ("y", "x")]
        out = out.join(visits.select("experiment_id", "unit", *reach), on=["experiment_id", "unit"],
                       how="left").with_columns(pl.col(c).fill_null(0.0) for c in reach)
    return out.drop("_w_end", "_r_end", "_pre")


def session_outcomes(units: pl.LazyFrame, sessions: pl.LazyFrame, steps: tuple[str, ...]) -> pl.LazyFrame:
    """What a unit's sessions say of it: ``experiment_id, unit`` of ``units`` (with
    ``exposure_time, window_days, lookback_days``) and ``y:step:<s>`` (1 when one of its sessions
    reaches step ``s`` between the exposure ``e`` and ``e + window_days``: the step's first time
    in the session before the window's end and its last at or after ``e``), ``x:step:<s>`` (the
    same over the ``lookback_days`` before ``e``), and, when the sessions have devices,
    ``device``: that of its latest session starting before ``e`` + :data:`SESSION_SLACK` (null
    when none). Prepared once per dataset for every unit (:func:`experiment_visits`), so that the
    readout reads no session."""
    from kit.metrics.sessions import FIRST, LAST

    e = pl.col("exposure_time")
    out = units.select("experiment_id", "unit")
    if steps:
        visits = units.select("experiment_id", "unit", "exposure_time", (e + _us(pl.col("window_days"))).alias("_w_end"),
                              (e - _us(pl.col("lookback_days"))).alias("_pre")).join(
            # a session reaching none of the steps adds nothing
            sessions.filter(pl.any_horizontal(pl.col(FIRST + s).is_not_null() for s in steps))
            .select(pl.col("user_id").alias("unit"), *[FIRST + s for s in steps], *[LAST + s for s in steps]),
            on="unit", how="inner")
        reached = visits.group_by("experiment_id", "unit").agg(
            [((pl.col(LAST + s) >= e) & (pl.col(FIRST + s) < pl.col("_w_end"))).any().cast(pl.Float64)
             .alias(f"y:step:{s}") for s in steps]
            + [((pl.col(LAST + s) >= pl.col("_pre")) & (pl.col(FIRST + s) < e)).any().cast(pl.Float64)
               .alias(f"x:step:{s}") for s in steps])
        out = out.join(reached, on=["experiment_id", "unit"], how="left").with_columns(
            pl.col(f"{k}:step:{s}").fill_null(0.0) for s in steps for k in ("y", "x"))
    if "device" in sessions.collect_schema().names():
        out = out.join(session_devices(units, sessions), on=["experiment_id", "unit"], how="left")
    return out


def session_devices(units: pl.LazyFrame, sessions: pl.LazyFrame) -> pl.LazyFrame:
    """``experiment_id, unit, device``: the device of the unit's latest session (``device`` not
    unknown) starting before its exposure + :data:`SESSION_SLACK`; of several starting then, the
    greatest name. Units without one are left out. (A join and a group-by: an as-of join sorted
    the 1M shop's sessions, 12 s against 5 s.)"""
    at = units.select("experiment_id", "unit", (pl.col("exposure_time") + SESSION_SLACK).alias("_at"))
    theirs = sessions.select(pl.col("user_id").alias("unit"), "start", "device").filter(pl.col("device") != UNKNOWN)
    return (at.join(theirs, on="unit").filter(pl.col("start") <= pl.col("_at"))
            .group_by("experiment_id", "unit").agg(pl.col("device").sort_by("start", "device").last()))


def windows(ids: list[str], settings: Callable[[str], dict]) -> pl.DataFrame:
    """``experiment_id, window_days, repurchase_days, lookback_days``: each experiment's windows."""
    conf = {i: settings(i) for i in ids}
    return pl.DataFrame({"experiment_id": ids,
                         "window_days": [float(conf[i]["window_days"]) for i in ids],
                         "repurchase_days": [float(conf[i]["repurchase_days"]) for i in ids],
                         "lookback_days": [float(conf[i]["cuped_lookback_days"]) for i in ids]},
                        schema={"experiment_id": pl.String, "window_days": pl.Float64, "repurchase_days": pl.Float64,
                                "lookback_days": pl.Float64})


def visit_steps(settings: Callable[[str], dict], session_columns: list[str]) -> tuple[str, ...]:
    """The steps whose reach is prepared: those of the experiments' settings the sessions time."""
    from kit.metrics.sessions import FIRST

    return tuple(s for s in sorted(settings("")["steps"]) if FIRST + s in session_columns)


def experiment_visits(experiments: pl.LazyFrame, links: pl.LazyFrame | None, sessions: pl.LazyFrame,
                      settings: Callable[[str], dict]) -> pl.LazyFrame:
    """:func:`session_outcomes` of every unit of every experiment (its first exposure, its
    experiment's windows from ``settings``, the steps of :func:`visit_steps`), with
    ``window_days, lookback_days``: the readout reads it when they are the run's
    (``experiment_visits.parquet``, prepared once per dataset and per slice)."""
    units = exposures(experiments, links).select("experiment_id", "unit", "exposure_time")
    ids = sorted(experiments.select("experiment_id").drop_nulls().unique().collect()["experiment_id"].to_list())
    span = windows(ids, settings).drop("repurchase_days")
    read = session_outcomes(units.join(span.lazy(), on="experiment_id"), sessions,
                            visit_steps(settings, sessions.collect_schema().names()))
    return read.join(span.lazy(), on="experiment_id").sort("experiment_id", "unit")


def _prepared_visits(visits: pl.LazyFrame | None, frame: pl.DataFrame, steps: tuple[str, ...]) -> pl.LazyFrame | None:
    """The prepared ``visits`` when they hold every step and the windows of ``frame`` (:func:`windows`)."""
    if visits is None:
        return None
    names = visits.collect_schema().names()
    if any(f"y:step:{s}" not in names for s in steps):
        return None
    keys = ["experiment_id", "window_days", "lookback_days"]
    have = visits.select(keys).unique().collect()
    return None if frame.select(keys).join(have, on=keys, how="anti").height else visits


def _latest_before(units: pl.LazyFrame, frame: pl.LazyFrame, time: str, value: str, slack: timedelta) -> pl.LazyFrame:
    """``experiment_id, unit, <value>``: the value of the unit's latest ``frame`` row at or before
    its exposure (+ ``slack``; of several at that time, the greatest value); ``frame`` has
    ``unit``, ``time`` and ``value``."""
    left = units.select("experiment_id", "unit", (pl.col("exposure_time") + slack).alias("_at")).sort("_at")
    right = frame.select("unit", pl.col(time).alias("_t"), value).drop_nulls(["unit", "_t"]).sort("_t", value)
    return left.join_asof(right, left_on="_at", right_on="_t", by="unit", strategy="backward",
                          check_sortedness=False).select(
        "experiment_id", "unit", value)


def segments_of(units: pl.LazyFrame, cuts: tuple[str, ...], orders: pl.LazyFrame,
                sessions: pl.LazyFrame | None = None, customers: pl.LazyFrame | None = None,
                visits: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """``units`` with a column per segment cut of ``cuts`` (``device``, ``visitor``, ``region``), each
    read before the exposure; ``unknown`` when the data cannot tell. ``visitor`` needs the
    ``returning`` column of :func:`outcomes`; the device of the latest session comes from
    ``visits`` (:func:`session_outcomes`, prepared) or else from the ``sessions``."""
    out = units
    order_names = orders.collect_schema().names()
    paid_orders = orders.filter(is_paid()).rename({"customer_id": "unit"})
    for cut in cuts:
        if cut == "visitor":
            out = out.with_columns(pl.when(pl.col("returning")).then(pl.lit("returning")).otherwise(pl.lit("new"))
                                   .alias("visitor"))
            continue
        sources = []
        if cut == "device" and visits is not None and "device" in visits.collect_schema().names():
            sources.append(visits.select("experiment_id", "unit", "device"))
        elif cut == "device" and sessions is not None and "device" in sessions.collect_schema().names():
            sources.append(session_devices(units, sessions))
        if cut == "region" and customers is not None and "region" in customers.collect_schema().names():
            sources.append(customers.select(pl.col("customer_id").alias("unit"), "region").unique("unit"))
        if cut in order_names:
            sources.append(_latest_before(units, paid_orders, "order_time", cut, timedelta(0)))
        column = pl.lit(None, pl.String)
        for k, source in enumerate(sources):
            keys = ["unit"] if "experiment_id" not in source.collect_schema().names() else ["experiment_id", "unit"]
            out = out.join(source.rename({cut: f"_{cut}{k}"}), on=keys, how="left")
            column = pl.coalesce(column, pl.col(f"_{cut}{k}").cast(pl.String))
        out = out.with_columns(column.fill_null(UNKNOWN).alias(cut)).drop(
            [f"_{cut}{k}" for k in range(len(sources))])
    return out


# ---------------------------------------------------------------- sums and comparisons


def _per_unit_terms(frame: pl.DataFrame, metrics: list[str]) -> dict[str, np.ndarray]:
    """The per-unit terms whose sums are the sufficient statistics of every metric: ``n`` (1);
    per metric ``s|m`` = y, ``ss|m`` = y², ``sx|m`` = x, ``sxx|m`` = x², ``sxy|m`` = xy; for the
    ratio, ``s|rev*orders`` = revenue x orders."""
    terms = {"n": np.ones(frame.height)}
    for m in _base_metrics(metrics):
        y, x = frame[f"y:{m}"].to_numpy().astype(float), frame[f"x:{m}"].to_numpy().astype(float)
        terms |= {f"s|{m}": y, f"ss|{m}": y * y, f"sx|{m}": x, f"sxx|{m}": x * x, f"sxy|{m}": x * y}
    if RATIO in metrics:
        terms["s|rev*orders"] = frame["y:revenue"].to_numpy() * frame["y:orders"].to_numpy()
    return terms


def _base_metrics(metrics: list[str]) -> list[str]:
    """The per-unit outcomes a list of metrics needs (the ratio needs revenue and orders)."""
    base = [m for m in metrics if m != RATIO]
    if RATIO in metrics:
        base += [m for m in ("revenue", "orders") if m not in base]
    return base


def value_of(sums: dict, metric: str) -> np.ndarray:
    """The metric's value in a group from its sums: a mean per unit, or Σ revenue / Σ orders."""
    if metric == RATIO:
        return ab._div(sums["s|revenue"], sums["s|orders"])
    return ab._div(sums[f"s|{metric}"], sums["n"])


def compare(c: dict, t: dict, metric: str, cuped: bool, alpha: float) -> dict[str, np.ndarray]:
    """Treatment sums ``t`` against control sums ``c`` (dicts of arrays from :func:`_sums_by`) on
    one metric: the difference, lift, intervals and p-value (:mod:`kit.metrics.ab_stats`), with
    ``method`` (``welch`` or ``delta``), ``cuped`` (whether adjusted), ``variance_reduction``
    (1 - se² adjusted / se² unadjusted) and ``control_value``, ``value``."""
    if metric == RATIO:
        arms = [ab.ratio_moments(a["n"], a["s|revenue"], a["s|orders"], a["ss|revenue"], a["ss|orders"],
                                 a["s|rev*orders"]) for a in (c, t)]
        out = ab.compare_ratios(*arms[0], *arms[1], alpha=alpha)
        return out | {"method": "delta", "cuped": False, "variance_reduction": np.full(np.shape(out["diff"]), np.nan),
                      "control_value": arms[0][0], "value": arms[1][0]}
    m = metric
    stats = []
    for a in (c, t):
        mean_y, var_y = ab.mean_var(a["n"], a[f"s|{m}"], a[f"ss|{m}"])
        mean_x, var_x = ab.mean_var(a["n"], a[f"sx|{m}"], a[f"sxx|{m}"])
        cov = ab.covariance(a["n"], a[f"sx|{m}"], a[f"s|{m}"], a[f"sxy|{m}"])
        stats.append((a["n"], mean_y, var_y, mean_x, var_x, cov))
    (n_c, my_c, vy_c, mx_c, vx_c, cov_c), (n_t, my_t, vy_t, mx_t, vx_t, cov_t) = stats
    plain = ab.compare_means(n_c, my_c, vy_c, n_t, my_t, vy_t, alpha=alpha)
    if not cuped:
        return plain | {"method": "welch", "cuped": False, "variance_reduction": np.full(np.shape(plain["diff"]), np.nan),
                        "control_value": my_c, "value": my_t}
    pooled = {k: np.asarray(c[k]) + np.asarray(t[k]) for k in ("n", f"sx|{m}", f"sxx|{m}", f"s|{m}", f"sxy|{m}")}
    theta = ab.cuped_theta(pooled["n"], pooled[f"sx|{m}"], pooled[f"sxx|{m}"], pooled[f"s|{m}"], pooled[f"sxy|{m}"])
    adjusted = ab.compare_cuped(theta, n_c, my_c, vy_c, mx_c, vx_c, cov_c, n_t, my_t, vy_t, mx_t, vx_t, cov_t,
                                alpha=alpha)
    reduction = 1 - ab._div(adjusted["se"] ** 2, plain["se"] ** 2)
    return adjusted | {"method": "welch", "cuped": True, "variance_reduction": reduction,
                       "control_value": my_c, "value": my_t}


def _sums_by(frame: pl.DataFrame, keys: list[str], metrics: list[str]) -> pl.DataFrame:
    """The sufficient statistics per group of ``keys`` (one row each, sorted by the keys).

    Summed by numpy over the units sorted by the keys and the unit id, so that the same units
    give the same sums to the last bit whatever order the data arrived in (a Parquet file or a
    database, one run or the next): a parallel group-by adds in no fixed order."""
    frame = frame.sort([*keys, "unit"])
    if not frame.height:
        return pl.DataFrame(schema={**{k: frame.schema[k] for k in keys},
                                    **dict.fromkeys(_per_unit_terms(frame, metrics), pl.Float64)})
    starts = np.flatnonzero(frame.select(pl.struct(keys).is_first_distinct()).to_series().to_numpy())
    sums = {name: np.add.reduceat(values, starts) for name, values in _per_unit_terms(frame, metrics).items()}
    return frame.select(keys)[starts].with_columns(pl.Series(k, v) for k, v in sums.items())


def _row_sums(frame: pl.DataFrame) -> dict:
    return {c: frame[c].to_numpy() for c in frame.columns}


# ---------------------------------------------------------------- the readout


def readout(experiments: pl.LazyFrame, orders: pl.LazyFrame, period: Period, settings: Callable[[str], dict],
            data_end: date | None = None, links: pl.LazyFrame | None = None, sessions: pl.LazyFrame | None = None,
            customers: pl.LazyFrame | None = None, visits: pl.LazyFrame | None = None) -> Readout:
    """Every experiment with units first exposed in ``period``, read through the period's end
    (its units exposed since it started, their outcomes up to ``data_end``, the data's last
    day). ``settings(experiment_id)`` gives its settings (:meth:`kit.params.Experiments.settings_for`);
    ``links`` the visitors' logins (:func:`visitor_links`); ``visits`` what the units' sessions
    say (:func:`experiment_visits`, prepared), read instead of the ``sessions`` when prepared
    with the run's steps and windows. Each table is described on :class:`Readout`."""
    units = exposures(experiments, links).filter(pl.col("exposure_time") < period.end_dt).collect()
    in_period = units.filter(pl.col("exposure_time") >= period.start_dt)
    ids = sorted(in_period["experiment_id"].unique().to_list())
    if not ids:
        return _empty()
    units = units.filter(pl.col("experiment_id").is_in(ids))
    names = experiments.collect_schema().names()
    labels = _labels(experiments, ids, names)
    observed_end = datetime.combine(data_end, datetime.min.time()) + DAY if data_end else period.end_dt
    after = (experiments.filter(pl.col("experiment_id").is_in(ids) & (pl.col("exposure_time") >= period.end_dt))
             .select("experiment_id").unique().collect()["experiment_id"].to_list())
    conf = {i: settings(i) for i in ids}
    has_steps = sessions is not None
    metrics_of = {i: [*conf[i]["metrics"], *([f"step:{s}" for s in conf[i]["steps"]] if has_steps else [])]
                  for i in ids}
    steps = tuple(sorted({s for i in ids for s in conf[i]["steps"]})) if has_steps else ()
    frame = windows(ids, settings)
    single = units.filter(pl.col("variants") == 1).join(frame, on="experiment_id")
    visits = _prepared_visits(visits, frame, steps) if has_steps else None
    read = outcomes(single.lazy(), orders, sessions, steps, visits)
    cuts = tuple(sorted({c for i in ids for c in conf[i]["segments"]}))
    # sorted: every sum below adds the units in one order, whatever order the joins left them in
    read = segments_of(read, cuts, orders, sessions, customers, visits).collect().sort("experiment_id", "unit").rechunk()
    parts = [_experiment(i, conf[i], metrics_of[i], labels, units.filter(pl.col("experiment_id") == i),
                         read.filter(pl.col("experiment_id") == i), period, observed_end, i in after)
             for i in ids]
    return Readout(*(pl.concat([p[k] for p in parts], how="diagonal_relaxed") for k in range(5)))


def _labels(experiments: pl.LazyFrame, ids: list[str], names: list[str]) -> dict[str, dict]:
    """Per experiment: its name in the data and the variants flagged as the control."""
    aggs = [pl.col("experiment_name").drop_nulls().first().alias("name") if "experiment_name" in names
            else pl.lit(None, pl.String).alias("name")]
    if "is_control" in names:
        aggs.append(pl.col("variant").filter(pl.col("is_control").fill_null(False)).unique().alias("flagged"))
    else:
        aggs.append(pl.lit([], pl.List(pl.String)).alias("flagged"))
    table = experiments.filter(pl.col("experiment_id").is_in(ids)).group_by("experiment_id").agg(aggs).collect()
    return {r["experiment_id"]: r for r in table.to_dicts()}


def _experiment(eid: str, conf: dict, metrics: list[str], labels: dict, units: pl.DataFrame, read: pl.DataFrame,
                period: Period, observed_end: datetime, exposed_after: bool) -> tuple[pl.DataFrame, ...]:
    """The five readout tables of one experiment."""
    alpha, power = conf["alpha"], conf["power"]
    counts = read.group_by("variant").agg(pl.len().alias("units"), (pl.col("exposure_time") >= period.start_dt)
                                          .sum().alias("period_units")).sort("variant")
    variants = counts["variant"].to_list()
    if not variants:  # every unit saw several variants
        variants = sorted(units["variant"].drop_nulls().unique().to_list()) or ["?"]
    control = control_of(variants, labels[eid].get("flagged") or [], conf.get("control"))
    others = [v for v in sorted(variants) if v != control]
    order = [control, *others]
    n_of = dict(zip(counts["variant"], counts["units"], strict=True))
    split = conf.get("split") or {v: 1.0 for v in order}
    weights = [float(split.get(v, 0.0)) for v in order]
    unplanned = any(w == 0 and n_of.get(v, 0) for v, w in zip(order, weights, strict=True))
    srm_stat, srm_p = ab.srm_test([n_of.get(v, 0) for v in order], weights)
    if unplanned:
        srm_p = 0.0
    total_w = sum(weights) or 1.0
    variant_rows = pl.DataFrame({
        "experiment_id": eid, "variant": order, "is_control": [v == control for v in order],
        "units": [int(n_of.get(v, 0)) for v in order],
        "period_units": [int(dict(zip(counts["variant"], counts["period_units"], strict=True)).get(v, 0)) for v in order],
        "planned_share": [w / total_w for w in weights]},
        schema_overrides={"units": pl.Int64, "period_units": pl.Int64})
    variant_rows = variant_rows.with_columns((pl.col("units") / pl.col("units").sum()).alias("share"))

    primary = conf["primary_metric"] if conf["primary_metric"] in metrics else metrics[0]
    sums = _sums_by(read, ["variant"], metrics)
    results = _results(eid, sums, control, others, metrics, conf, alpha, power)
    seg = _segments(eid, read, control, others, primary, conf, alpha)
    daily = _daily(eid, read, control, others, primary, conf, alpha, period)

    first, last = units["exposure_time"].min(), units["exposure_time"].max()
    running_since = period.end_dt - timedelta(days=conf["running_days"])
    status = conf.get("status") or ("running" if exposed_after or last >= running_since else "concluded")
    multiple = int((units["variants"] > 1).sum())
    window = timedelta(days=float(conf["window_days"]))
    total = read.height
    best = (results.filter((pl.col("metric") == primary) & (pl.col("verdict") == "win")).sort("lift", descending=True)
            if results.height else results)
    paid = float(np.sum(read["y:orders"].to_numpy()))
    overview = pl.DataFrame([{
        "experiment_id": eid, "name": conf.get("name") or labels[eid]["name"] or eid, "control": control,
        "variants": len(order), "status": status, "first_exposure": first, "last_exposure": last,
        "units": total, "period_units": int(variant_rows["period_units"].sum()),
        "multiple_exposures": multiple, "multiple_share": multiple / (total + multiple) if total + multiple else 0.0,
        "multiple_warning": multiple / (total + multiple) > conf["multiple_exposure_warning"] if total + multiple else False,
        "unlinked": int((~read["linked"]).sum()) if total else 0,
        "open_windows": int((read["exposure_time"] + window > observed_end).sum()) if total else 0,
        "refunded_orders": int(read["refunded_orders"].sum()) if total else 0,
        "refunded_amount": round(float(np.sum(read["refunded_amount"].to_numpy())), 2) if total else 0.0,
        "srm_statistic": srm_stat, "srm_p": srm_p, "srm_ok": bool(srm_p >= conf["srm_alpha"]),
        "srm_alpha": float(conf["srm_alpha"]), "correction": conf["correction"],
        "segment_correction": conf["segment_correction"], "cuped_lookback_days": int(conf["cuped_lookback_days"]),
        "multiple_exposure_warning": float(conf["multiple_exposure_warning"]),
        "planned_split": ", ".join(f"{v} {w / total_w:.0%}" for v, w in zip(order, weights, strict=True)),
        "primary_metric": primary, "window_days": float(conf["window_days"]), "cuped": bool(conf["cuped"]),
        "mde_target": float(conf["mde"]), "alpha": float(alpha), "power": float(power),
        "order_value": float(np.sum(read["y:revenue"].to_numpy()) / paid) if paid else None,
        "conversions": float(read["y:conversion"].sum()) if total else 0.0,
        "winner": best["variant"][0] if best.height else None, "area": conf["area"],
    }])
    return overview, variant_rows, results, seg, daily


def _pairs(sums: pl.DataFrame, key: str, control: str, others: list[str]) -> tuple[dict, dict, list[str]]:
    """The control's sums repeated beside each other variant's, as arrays (variants absent get zeros)."""
    rows = {r[key]: r for r in sums.to_dicts()}
    present = [v for v in others if v in rows]
    zero = {k: 0.0 for k in sums.columns if k != key}
    c = {k: np.array([rows.get(control, zero)[k] for _ in present], dtype=float) for k in zero}
    t = {k: np.array([rows[v][k] for v in present], dtype=float) for k in zero}
    return c, t, present


def _results(eid, sums, control, others, metrics, conf, alpha, power) -> pl.DataFrame:
    rows = []
    c, t, present = _pairs(sums, "variant", control, others)
    if not present:
        return _none()
    correction = ab.CORRECTIONS[conf["correction"]]
    for metric in metrics:
        out = compare(c, t, metric, conf["cuped"] and metric != RATIO, alpha)
        adjusted = correction(out["p_value"])
        detectable = ab.mde(out["se"], alpha, power)
        for k, variant in enumerate(present):
            base = float(np.abs(out["control_value"][k])) if np.isfinite(out["control_value"][k]) else np.nan
            mde_rel = float(detectable[k] / base) if base else None
            rows.append({
                "experiment_id": eid, "metric": metric, "variant": variant, "control": control,
                "units": int(t["n"][k]), "control_units": int(c["n"][k]),
                "control_value": _f(out["control_value"][k]), "value": _f(out["value"][k]),
                "diff": _f(out["diff"][k]), "diff_low": _f(out["diff_low"][k]), "diff_high": _f(out["diff_high"][k]),
                "lift": _f(out["lift"][k]), "lift_low": _f(out["lift_low"][k]), "lift_high": _f(out["lift_high"][k]),
                "p_value": _f(out["p_value"][k]), "p_adjusted": _f(adjusted[k]), "method": out["method"],
                "cuped": bool(out["cuped"]), "variance_reduction": _f(out["variance_reduction"][k]),
                "mde": _f(detectable[k]), "mde_rel": _f(mde_rel),
                "underpowered": bool(mde_rel is None or not np.isfinite(mde_rel) or mde_rel > conf["mde"]),
                "verdict": ab.verdict(adjusted[k], out["diff"][k], alpha),
            })
    return pl.DataFrame(rows)


def _segments(eid, read, control, others, primary, conf, alpha) -> pl.DataFrame:
    rows = []
    for cut in conf["segments"]:
        if cut not in read.columns:
            continue
        sums = _sums_by(read, [cut, "variant"], [primary])
        for value in sorted(sums[cut].unique().to_list()):
            part = sums.filter(pl.col(cut) == value).drop(cut)
            c, t, present = _pairs(part, "variant", control, others)
            if not present:
                continue
            out = compare(c, t, primary, conf["cuped"] and primary != RATIO, alpha)
            for k, variant in enumerate(present):
                tested = min(c["n"][k], t["n"][k]) >= MIN_SEGMENT_UNITS
                rows.append({"experiment_id": eid, "dimension": cut, "segment": str(value), "variant": variant,
                             "metric": primary, "units": int(t["n"][k]), "control_units": int(c["n"][k]),
                             "control_value": _f(out["control_value"][k]), "value": _f(out["value"][k]),
                             "lift": _f(out["lift"][k]) if tested else None,
                             "lift_low": _f(out["lift_low"][k]) if tested else None,
                             "lift_high": _f(out["lift_high"][k]) if tested else None,
                             "diff": _f(out["diff"][k]), "p_value": _f(out["p_value"][k]) if tested else None})
    if not rows:
        return _none()
    table = pl.DataFrame(rows, infer_schema_length=None)
    p = table["p_value"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    adjusted = ab.CORRECTIONS[conf["segment_correction"]](p)
    table = table.with_columns(pl.Series("p_adjusted", adjusted).fill_nan(None))
    return table.with_columns(pl.Series("verdict", [ab.verdict(p, d, alpha) for p, d in
                                                   zip(adjusted, table["diff"].fill_null(0.0), strict=True)]))


def _daily(eid, read, control, others, primary, conf, alpha, period) -> pl.DataFrame:
    """The primary metric's lift with its interval on each day of exposure, over the units
    exposed up to that day (their outcomes as observed now)."""
    if not read.height:
        return _none()
    by_day = read.with_columns(pl.col("exposure_time").dt.date().alias("date"))
    sums = _sums_by(by_day, ["variant", "date"], [primary])
    days = pl.DataFrame({"date": pl.date_range(by_day["date"].min(), min(by_day["date"].max(), period.end),
                                               "1d", eager=True)})
    stat_cols = [c for c in sums.columns if c not in ("variant", "date")]
    cumulative = {}
    for variant in [control, *others]:
        part = days.join(sums.filter(pl.col("variant") == variant), on="date", how="left").sort("date")
        cumulative[variant] = {c: part[c].fill_null(0.0).cum_sum().to_numpy() for c in stat_cols}
    frames = []
    for variant in others:
        c, t = cumulative[control], cumulative[variant]
        out = compare(c, t, primary, conf["cuped"] and primary != RATIO, alpha)
        enough = np.minimum(c["n"], t["n"]) >= MIN_DAILY_UNITS
        frames.append(pl.DataFrame({
            "experiment_id": eid, "variant": variant, "date": days["date"], "metric": primary,
            "units": t["n"].astype(np.int64), "control_units": c["n"].astype(np.int64),
            **{k: np.where(enough, out[k], np.nan) for k in ("lift", "lift_low", "lift_high", "diff", "diff_low",
                                                              "diff_high")},
        }).with_columns(pl.col(k).fill_nan(None) for k in ("lift", "lift_low", "lift_high", "diff", "diff_low",
                                                          "diff_high")))
    return pl.concat(frames) if frames else _none()


def _f(x) -> float | None:
    """A plain float, None for NaN or infinity."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _none() -> pl.DataFrame:
    """A table without rows (it still has its key, so that filters and saving work)."""
    return pl.DataFrame(schema={"experiment_id": pl.String})


def _empty() -> Readout:
    return Readout(*(_none() for _ in range(5)))
