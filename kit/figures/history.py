"""Section 4: each finding as a trend and against its peers (the history behind a finding).

:func:`finding_history` is the one entry point: for a finding of the diagnosis (its dict, as
``findings.json`` and ``kit.figures.diagnosis.by_severity`` give it) it returns a
:class:`History`: the finding's measure month by month over the whole data
(:mod:`kit.metrics.history`) for its group, the rest of the group pooled and each other
member; the onset, when the monthly change-point scan finds one (:mod:`kit.diagnosis.onset`);
the period's value of every member of the group, from the table the section kept (so the
bars quote the numbers the report shows); and for a channel whose buyers do not come back,
the cohorts' repurchase curves beside the other channels'.

What each rule's history is (``where`` names the group):

============================  ==================================================  ====================================
rule                          monthly series (higher is worse?)                   the period, per member
============================  ==================================================  ====================================
customers.churn               churn from one month to the next, by the place (yes) churn by place (section 2.3)
rfm.high_value_shrink,        the same, by region when the finding has one, else  churn by region
rfm.churned_growth            the whole shop's
rfm.concentration             the top 20% buyers' share of each month's GMV (yes) —
retention.first_repurchase    90-day repurchase by first-purchase month (no)      90-day repurchase by channel, and the
                                                                                  repurchase curves of every channel
retention.falling_repurchase  the same, whole shop                                the same, every channel
product.quality               return rate (yes)                                   return rate by category
channel.roi_drop              ROI = GMV / spend (no)                              ROI by channel
funnel.step_drop              the step's conversion, by device / source (no)     the step's conversion by the group's
                                                                                  dimension (device for the whole shop)
funnel.weakest_step           the step's conversion (no)                          every step's conversion
cart.abandonment              cart abandonment (yes)                              abandonment by device
============================  ==================================================  ====================================

A dated drop (``funnel.dated_drop``) is an incident with its own daily chart: no history
(None), as for a rule this module does not know. The event series cover the events the run
reads (the comparison period and the period).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from kit.diagnosis.onset import Onset, find_onset
from kit.figures import Missing, attribute_missing, in_memory, missing, present, profile
from kit.figures import conversion as conv
from kit.metrics import history as h
from kit.metrics.common import proportion_tests
from kit.metrics.repurchase import _group_column
from kit.metrics.segments import customer_attribute
from kit.run import Run

REPURCHASE_DAYS = 90
"""The repurchase window the rules read (``rate_90``)."""
CURVE_MONTHS = 12
"""The repurchase curves follow the first-time buyers of the last 12 months of the period."""

KINDS = ("pct", "ratio")
"""How a measure reads: a share (in %) or a ratio (ROI)."""


@dataclass(frozen=True)
class History:
    """A finding's history and peers (module doc).

    - ``measure``: which measure (``churn``, ``repurchase``, ``returns``, ``roi``, ``step``,
      ``abandonment``, ``concentration``); ``kind``: ``pct`` or ``ratio``;
      ``higher_is_worse``: the direction of "worse";
    - ``dimension``, ``focus``: the group's column and the finding's member (None for a
      finding about the whole shop); ``step``: the funnel step of a funnel finding;
    - ``series``: ``month, role, group, k, n, value`` (:func:`kit.metrics.history.roles`);
    - ``onset``: the onset of the focus's series against the rest (of the shop's series
      without a focus), None when the scan finds none or the measure is not a rate of counts;
    - ``peers``: the period's value per member of the group: ``group, role (focus | peer),
      k, n, value, ci_low, ci_high`` (95% Wilson interval for shares), None when the rule
      has no group; ``peers_rest``: the rest of the group pooled in the period (the whole
      shop without a focus);
    - ``curves``: ``role, group, days, k, n, value``, the repurchase curves (repurchase
      findings only);
    - ``period``: the period's first and last day (the chart marks it); for repurchase, the
      first purchases it judges (those whose window closes in it).
    """

    rule: str
    measure: str
    kind: str
    higher_is_worse: bool
    dimension: str | None
    focus: str | None
    series: pl.DataFrame
    onset: Onset | None = None
    peers: pl.DataFrame | None = None
    peers_rest: float | None = None
    curves: pl.DataFrame | None = None
    step: str | None = None
    period: tuple[date, date] | None = None

    @property
    def counted(self) -> bool:
        """Whether the measure is a rate of counts (a share of customers, lines, carts ...),
        which the onset scan and the tests can read; ROI and a share of money are not."""
        return self.measure not in ("roi", "concentration")

    def focus_series(self) -> pl.DataFrame:
        """The series of the finding's member (of the whole shop without one)."""
        return self.series.filter(pl.col("role") == ("all" if self.focus is None else "focus"))

    def rest_series(self) -> pl.DataFrame | None:
        """The rest of the group pooled, month by month (None without a focus)."""
        return None if self.focus is None else self.series.filter(pl.col("role") == "rest")


def finding_history(run: Run, finding: dict) -> History | Missing | None:
    """The history of one finding (module doc): a :class:`History`, a :class:`Missing` when
    the run's data lacks what it needs, or None for a dated incident or an unknown rule."""
    builder = BUILDERS.get(finding.get("rule"))
    if builder is None:
        return None
    found = builder(run, finding)
    if isinstance(found, History) and found.period is None:
        found = replace(found, period=(run.period.start, run.period.end))
    return found


# ---------------------------------------------------------------- helpers

def _place(where: dict, ignore: tuple[str, ...] = ("step", "segment")) -> tuple[str | None, str | None]:
    """The finding's group column and member from its ``where`` (the step and segment are not groups)."""
    for key, value in where.items():
        if key not in ignore:
            return key, str(value)
    return None, None


def _onset(run: Run, series: pl.DataFrame, focus: str | None, higher_is_worse: bool) -> Onset | None:
    th = run.params.diagnosis
    if focus is None:
        return find_onset(series.filter(pl.col("role") == "all"), higher_is_worse, min_drop=th.changepoint_min_drop,
                          alpha=th.significance)
    return find_onset(series.filter(pl.col("role") == "focus"), higher_is_worse,
                      series.filter(pl.col("role") == "rest"), min_drop=th.changepoint_min_drop, alpha=th.significance)


def _peers(frame: pl.DataFrame | None, group: str, k: pl.Expr, n: pl.Expr, focus: str | None,
           kind: str = "pct") -> tuple[pl.DataFrame | None, float | None]:
    """The period's members from a section's table: ``group, role, k, n, value, ci_low,
    ci_high`` and the rest pooled (all members without a focus)."""
    if frame is None or frame.height == 0:
        return None, None
    table = frame.select(pl.col(group).cast(pl.String).alias("group"), k.cast(pl.Float64).alias("k"),
                         n.cast(pl.Float64).alias("n")).filter(pl.col("n") > 0)
    if table.height == 0:
        return None, None
    role = pl.when(pl.col("group") == pl.lit(focus, pl.String)).then(pl.lit("focus")).otherwise(pl.lit("peer"))
    table = table.with_columns(role.alias("role"), (pl.col("k") / pl.col("n")).alias("value"))
    others = table.filter(pl.col("role") != "focus")
    rest = others["k"].sum() / others["n"].sum() if others.height and others["n"].sum() else None
    if kind == "pct":
        tested = proportion_tests(table.with_columns(pl.col("n").alias("entered"), pl.col("k").alias("converted"),
                                                     pl.lit(1).alias("_all")), ["_all"])
        table = tested.select("group", "role", "k", "n", "value", "ci_low", "ci_high")
    else:
        table = table.with_columns(pl.lit(None, pl.Float64).alias("ci_low"), pl.lit(None, pl.Float64).alias("ci_high"))
    return table.select("group", "role", "k", "n", "value", "ci_low", "ci_high"), rest


def _groups(run: Run, column: str) -> pl.LazyFrame:
    """``customer_id, group``: the customer's ``column`` (customers table, else last paid order)."""
    return customer_attribute(run.orders, run.customers, column, run.period).select(
        "customer_id", pl.col(column).cast(pl.String).alias("group"))


# ---------------------------------------------------------------- customers

def churn_history(run: Run, finding: dict) -> History | Missing:
    """customers.churn and rfm.* (module doc)."""
    if (gap := missing(run, orders=())) is not None:
        return gap
    column, focus = _place(finding.get("where") or {})
    if column is None and (run.has("customers", "region") or run.has("orders", "region")):
        column = "region"  # a whole-shop segment finding: the regions are its peers
    if column is not None and attribute_missing(run, column) is not None:
        column, focus = None, None
    groups = _groups(run, column) if column else None
    raw = in_memory(run, f"history_churn_{column}", lambda: h.monthly_churn(run.orders, run.period.end, groups))
    series = h.roles(raw, focus)
    peers, rest = (None, None)
    if column is not None and run.comparison is not None:
        churn = present(conv.churn_by(run, column, reuse=True))
        peers, rest = _peers(churn, column, pl.col("lost"), pl.col("was_active"), focus)
    return History(finding["rule"], "churn", "pct", True, column, focus, series, _onset(run, series, focus, True),
                   peers, rest)


def concentration_history(run: Run, finding: dict) -> History | Missing:
    """rfm.concentration: the top 20% buyers' share of each month's GMV (no peers, no onset:
    a share of money, not of counts)."""
    if (gap := missing(run, orders=())) is not None:
        return gap
    series = h.roles(h.monthly_concentration(run.orders, run.period.end), None)
    return History(finding["rule"], "concentration", "pct", True, None, None, series)


def repurchase_history(run: Run, finding: dict) -> History | Missing:
    """retention.first_repurchase and retention.falling_repurchase (module doc)."""
    if (gap := missing(run, orders=())) is not None:
        return gap
    column, focus = _place(finding.get("where") or {})
    if column is None:
        column = "acquisition_channel"
    if attribute_missing(run, column) is not None:
        column, focus = None, None
    # grouped as the repurchase figures group first-time buyers (the customers' column, else the first order's)
    groups = _group_column(run.orders, run.customers, column) if column else None
    end = run.period.end
    series = h.roles(h.monthly_cohort_repurchase(run.orders, end, groups, REPURCHASE_DAYS), focus)
    since = h.add_months(h.last_whole_month(end), -(CURVE_MONTHS - 1))
    curves = h.roles(h.repurchase_curves(run.orders, end, since, groups), focus, key="days")
    peers, rest = (None, None)
    if column is not None:
        by = present(conv.first_repurchase_by(run, column, reuse=True))
        n, k = f"buyers_{REPURCHASE_DAYS}", f"repurchased_{REPURCHASE_DAYS}"
        peers, rest = _peers(by, "group", pl.col(k).fill_null(0), pl.col(n).fill_null(0), focus)
    # the period judges the first purchases whose 90-day window closes in it
    window = timedelta(days=REPURCHASE_DAYS)
    return History(finding["rule"], "repurchase", "pct", False, column, focus, series,
                   _onset(run, series, focus, False), peers, rest, curves,
                   period=(run.period.start - window, run.period.end - window))


# ---------------------------------------------------------------- products and channels

def returns_history(run: Run, finding: dict) -> History | Missing:
    """product.quality: the return rate by category (module doc)."""
    if (gap := missing(run, orders=(), order_items=("category", "returned"))) is not None:
        return gap
    _, focus = _place(finding.get("where") or {})
    raw = in_memory(run, "history_returns", lambda: h.monthly_returns(run.orders, run.order_items, run.period.end))
    series = h.roles(raw, focus)
    quality = present(profile.category_quality(run, reuse=True))
    peers, rest = _peers(quality, "category", pl.col("return_rate").fill_null(0) * pl.col("lines"), pl.col("lines"),
                         focus)
    return History(finding["rule"], "returns", "pct", True, "category", focus, series, _onset(run, series, focus, True),
                   peers, rest)


def roi_history(run: Run, finding: dict) -> History | Missing:
    """channel.roi_drop: ROI = GMV / spend by channel (no onset: a ratio of money)."""
    if (gap := missing(run, orders=("channel",), marketing_spend=("spend",))) is not None:
        return gap
    _, focus = _place(finding.get("where") or {})
    series = h.roles(h.monthly_roi(run.orders, run.marketing_spend, run.period.end), focus)
    roi = present(conv.channel_roi(run, reuse=True))
    peers, rest = _peers(roi, "channel", pl.col("gmv"), pl.col("spend"), focus, kind="ratio")
    return History(finding["rule"], "roi", "ratio", False, "channel", focus, series, None, peers, rest)


# ---------------------------------------------------------------- visits

def _journey_counts(run: Run) -> pl.LazyFrame:
    """The journeys' counts section 2 saved (:func:`kit.metrics.funnel.journey_counts`), else
    counted again from the events."""
    saved = run.result("journey_counts")
    return saved.lazy() if saved is not None else conv._journeys(run)["counts"]


def step_history(run: Run, finding: dict) -> History | Missing:
    """funnel.step_drop and funnel.weakest_step (module doc)."""
    if (gap := missing(run, events=("event",))) is not None:
        return gap
    where = finding.get("where") or {}
    step = where.get("step")
    steps = run.params.conversion.funnel_steps
    if step not in steps or steps.index(step) == 0:
        return None
    dimension, focus = _place(where)
    counts = _journey_counts(run)
    series_dim = dimension or ("device" if finding.get("rule") == "funnel.step_drop" and run.has("events", "device")
                               else None)
    raw = h.monthly_step_conversion(counts, step, steps, run.period.end, series_dim)
    series = h.roles(raw, focus)
    if finding.get("rule") == "funnel.weakest_step":
        funnel = present(conv.funnel(run, reuse=True))
        table = None if funnel is None else funnel.sort("step_index").with_columns(
            pl.col("count").shift(1).alias("entered")).filter(pl.col("step_index") > 1)
        peers, _ = _peers(table, "step", pl.col("count"), pl.col("entered"), step)
        # the other steps pooled mean nothing: no reference line
        return History(finding["rule"], "step", "pct", False, "step", None, series,
                       _onset(run, series, None, False), peers, None, step=step)
    peers, rest = (None, None)
    if series_dim is not None:
        by = present(conv.funnel_by(run, series_dim, reuse=True))
        table = None if by is None else by.filter(pl.col("step") == step)
        peers, rest = _peers(table, "group", pl.col("converted"), pl.col("entered"), focus)
    return History(finding["rule"], "step", "pct", False, series_dim, focus, series,
                   _onset(run, series, focus, False), peers, rest, step=step)


def cart_history(run: Run, finding: dict) -> History | Missing:
    """cart.abandonment: the shop's monthly abandonment, devices as peers."""
    if (gap := missing(run, events=("event",))) is not None:
        return gap
    dimension = "device" if run.has("events", "device") else None
    raw = h.monthly_cart_abandonment(conv.counted_carts(run)["cart_counts"], run.period.end, dimension)
    series = h.roles(raw, None)
    peers, rest = (None, None)
    if dimension is not None:
        by = present(conv.cart_abandonment_by(run, dimension, reuse=True))
        peers, rest = _peers(by, "group", pl.col("abandoned"), pl.col("carts"), None)
    return History(finding["rule"], "abandonment", "pct", True, dimension, None, series,
                   _onset(run, series, None, True), peers, rest)


BUILDERS = {
    "customers.churn": churn_history,
    "rfm.high_value_shrink": churn_history,
    "rfm.churned_growth": churn_history,
    "rfm.concentration": concentration_history,
    "retention.first_repurchase": repurchase_history,
    "retention.falling_repurchase": repurchase_history,
    "product.quality": returns_history,
    "channel.roi_drop": roi_history,
    "funnel.step_drop": step_history,
    "funnel.weakest_step": step_history,
    "cart.abandonment": cart_history,
}
"""The history of each rule (module doc); rules not listed (dated drops) have none."""
