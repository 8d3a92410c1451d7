"""Section 2.1, the funnel: how far visits get along session -> product view -> add to
cart -> checkout -> pay, where they stop, for whom it works worse, and on which days.

The unit: a *journey*
---------------------
Every figure here counts journeys, built once per run by :func:`journeys`:

- ``unit="session"`` (default): a journey is a session. It belongs to the period (and
  the day) of its **first event**, so a session spanning midnight counts on the day it
  started and keeps its events after midnight.
- ``unit="user"``: a journey is a user within ``window_days`` of their first event in
  the period: the events of that user from that first event ``t0`` up to
  ``t0 + window_days`` (boundary included), across sessions.

Reaching a step, in time order: a journey reaches the first step at its start (when the
first step is ``view``, any event of the journey counts as the session view; another
first step needs its own event), and reaches step ``k`` at the time of its first step-``k``
event at or after the time it reached step ``k-1``. So a checkout logged before the first
add to cart does not count, and a pay without a cart in between reaches neither checkout
nor pay. Repeated events of a step change nothing (the first one in order counts).
Rows may come in any order: times, not row order, decide; events logged in the same
instant count in step order. A journey's device and source: those of the session's first
event, or of the user's first event in the window for a user journey.

Session journeys come from the run's session table (:mod:`kit.metrics.sessions`, one row
per session with each step's first and last event time): those times decide almost every
session, and only the few they leave ambiguous are replayed from their events.

New vs returning (breakdown ``visitor``): a journey is *returning* when its user had an
event before the journey's start, or a paid order (``orders``, when given) before it;
otherwise *new*. History before the data's first day is unknown, so the first days of a
data set read as more "new" than they are.

Every figure function takes the collected-then-lazy journeys table (see
:func:`journeys`), the period and the comparison period, and returns a small DataFrame.
The figures that only count journeys (the funnel, its breakdowns, the daily series) take
the journeys' counts (:func:`journey_counts`) as well, and the time to convert takes the
paid journeys' minutes counted (:func:`convert_times`): a published run keeps only those,
not a row per session. A prepared dataset counts its session journeys and paths once, by
day (:func:`session_journey_tables`, :func:`path_counts`), and a run cuts them to its
periods (:func:`kit.metrics.common.of_periods`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from kit.contract import EVENT_STEPS
from kit.metrics.common import (
    UNKNOWN,
    add_change,
    compare,
    in_period,
    period_label,
    proportion_tests,
    safe_div,
    weighted_summary,
)
from kit.metrics.customers import first_purchases
from kit.metrics.sessions import FIRST, LAST, session_table
from kit.periods import Period

AT = "at:"
"""Prefix of the journeys' step columns: ``at:<step>`` = when the journey reached it (null: never)."""

DIMENSIONS: tuple[str, ...] = ("device", "source", "visitor")
"""Breakdowns of the funnel: device and traffic source of the journey, new vs returning."""



# ------------------------------------------------------------------------------ journeys

def _in_order(frame: pl.LazyFrame, key: str, steps: Sequence[str]) -> pl.LazyFrame:
    """The rows sorted once by journey ``key``, time, then step order (so a step logged in
    the same instant as the step before it counts as after it), with ``_new`` marking each
    journey's first row."""
    rank = pl.col("event").replace_strict(list(steps), list(range(len(steps))), default=len(steps),
                                          return_dtype=pl.Int32)
    return frame.sort(key, "event_time", rank).with_columns(
        (pl.col(key) != pl.col(key).shift(1)).fill_null(True).alias("_new"))


def _ever_in_journey(hit: pl.Expr) -> pl.Expr:
    """On rows sorted by journey: True from the journey's first ``hit`` row to its last row.

    A running count of hits that restarts at each journey's first row (``_new``), from
    global cumulative sums, so there is no per-group window or per-group evaluation.
    """
    h = hit.cast(pl.Int64)
    running = h.cum_sum()
    at_start = pl.when(pl.col("_new")).then(running - h).forward_fill()
    return (running - at_start) > 0


def _mark_steps(ordered: pl.LazyFrame, steps: Sequence[str]) -> pl.LazyFrame:
    """Add ``_hit<i>``: the row is the step-i event that advances the journey, i.e. a step-i
    event on a row where the journey has already reached step i-1 (reached = ``_ever_in_journey``
    of the previous hits). The first step ``view`` is the journey's first row, whatever its event."""
    for i, step in enumerate(steps):
        if i == 0:
            hit = pl.col("_new") if step == "view" else pl.col("event") == step
        else:
            hit = (pl.col("event") == step) & pl.col(f"_reached{i - 1}")
        ordered = ordered.with_columns(hit.alias(f"_hit{i}")).with_columns(
            _ever_in_journey(pl.col(f"_hit{i}")).alias(f"_reached{i}"))
    return ordered


def _journey_value(column: str, names: Sequence[str]) -> pl.Expr:
    """``column`` of a user journey: its value at the user's first event in the window
    (``unknown`` when null or no such column); users change devices and sources between sessions."""
    if column not in names:
        return pl.lit(UNKNOWN).alias(column)
    return pl.col(column).min_by("event_time").fill_null(UNKNOWN).alias(column)


def _exact_reach(frame: pl.LazyFrame, key: str, steps: Sequence[str]) -> pl.LazyFrame:
    """``key`` and ``at:<step>`` from the rows in time order: the exact rule, for any journey."""
    marked = _mark_steps(_in_order(frame.select(key, "event_time", "event"), key, steps), steps)
    return marked.group_by(key).agg(
        pl.when(pl.col(f"_hit{i}")).then(pl.col("event_time")).min().alias(AT + s) for i, s in enumerate(steps)
    )


def _reach_from_first_and_last(summary: pl.LazyFrame, steps: Sequence[str]) -> pl.LazyFrame:
    """``at:<step>`` from each step's first and last event time (``_first<i>``, ``_last<i>``),
    and ``_ambiguous`` where those do not decide it.

    Given the time ``t`` step i-1 was reached: if the step's first event is at or after
    ``t``, step i is reached then; if its last event is before ``t`` (or it has none), never;
    otherwise (step-i events both before and after ``t``) the events in between decide, and
    the journey is ``_ambiguous``: its times are recomputed exactly by :func:`_exact_reach`.
    """
    first = pl.col("start") if steps[0] == "view" else pl.col("_first0")
    summary = summary.with_columns(first.alias(AT + steps[0]), pl.lit(False).alias("_ambiguous"))
    for i, step in enumerate(steps[1:], start=1):
        before, lo, hi = pl.col(AT + steps[i - 1]), pl.col(f"_first{i}"), pl.col(f"_last{i}")
        summary = summary.with_columns(
            pl.when(before.is_not_null() & (lo >= before)).then(lo).alias(AT + step),
            (pl.col("_ambiguous") | (before.is_not_null() & (lo < before) & (hi >= before))).fill_null(False)
            .alias("_ambiguous"),
        )
    return summary


def _replay_ambiguous(decided: pl.LazyFrame, frame: pl.LazyFrame, key: str, steps: Sequence[str]) -> pl.LazyFrame:
    """``decided`` (from :func:`_reach_from_first_and_last`) with the ``at:<step>`` of its
    ``_ambiguous`` journeys recomputed exactly from their rows in ``frame`` (a step's events
    on both sides of the time the previous step was reached: the events in between decide)."""
    ambiguous = frame.join(decided.filter(pl.col("_ambiguous")).select(key), on=key, how="semi")
    exact = _exact_reach(ambiguous, key, steps).rename({AT + s: f"_exact{i}" for i, s in enumerate(steps)})
    return decided.join(exact, on=key, how="left").with_columns(
        pl.when(pl.col("_ambiguous")).then(pl.col(f"_exact{i}")).otherwise(pl.col(AT + s)).alias(AT + s)
        for i, s in enumerate(steps)
    ).drop([f"_exact{i}" for i in range(len(steps))])


def _step_times(steps: Sequence[str]) -> list[pl.Expr]:
    """Each step's first and last event time in a journey (``_first<i>``, ``_last<i>``)."""
    times = []
    for i, step in enumerate(steps):
        at_step = pl.when(pl.col("event") == step).then(pl.col("event_time"))
        times += [at_step.min().alias(f"_first{i}"), at_step.max().alias(f"_last{i}")]
    return times


def _first_seen(sessions: pl.LazyFrame | None, orders: pl.LazyFrame | None) -> pl.LazyFrame | None:
    """Per user: ``first_seen`` = start of their first session or their first paid order
    (the new-vs-returning cut; either table may be None, and None when both are)."""
    parts = []
    if sessions is not None:
        parts.append(sessions.group_by("user_id").agg(pl.col("start").min().alias("first_seen")))
    if orders is not None:
        parts.append(first_purchases(orders).select(pl.col("customer_id").alias("user_id"),
                                                    pl.col("first_order_time").alias("first_seen")))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else pl.concat(parts).group_by("user_id").agg(pl.col("first_seen").min())


SESSION_MARGIN = timedelta(days=1)
"""Events up to this long before/after the periods are read, so that sessions spanning
midnight at a period boundary are whole; a session longer than this across a boundary is cut."""


def _session_journeys(events: pl.LazyFrame, sessions: pl.LazyFrame, periods: Sequence[Period] | None,
                      steps: Sequence[str], orders: pl.LazyFrame | None) -> pl.LazyFrame:
    """Session journeys from the session table's step times; the events are read only when
    some sessions are ambiguous, for those sessions. ``periods=None``: every session, without
    a period (the prepared dataset's, :func:`session_journey_tables`)."""
    if periods is None:
        labelled = sessions.with_columns(pl.lit(None, dtype=pl.String).alias("period"))
    else:
        labelled = sessions.with_columns(period_label("start", periods)).filter(pl.col("period").is_not_null())
    summary = (
        labelled
        .select("session_id", "user_id", "start", "device", "source", "period", "first_visit",
                *[pl.col(c).alias(f"_{side}{i}") for i, s in enumerate(steps)
                  for side, c in (("first", FIRST + s), ("last", LAST + s))])
    )
    decided = _reach_from_first_and_last(summary, steps)
    # one read of the step times first: when they decide every session (the usual case), the
    # events are not read at all
    if decided.select(pl.col("_ambiguous").any()).collect(engine="streaming").item():
        near = events
        if periods is not None:
            lo = min(p.start_dt for p in periods) - SESSION_MARGIN
            hi = max(p.end_dt for p in periods) + SESSION_MARGIN
            near = events.filter((pl.col("event_time") >= lo) & (pl.col("event_time") < hi))
        decided = _replay_ambiguous(decided, near, "session_id", steps)
    # a session that is not its user's first visit is returning; a first visit only when the
    # user paid an order before it (so only first visits are joined to the orders)
    firsts = _with_returning(decided.filter(pl.col("first_visit")), _first_seen(None, orders))
    later = decided.filter(~pl.col("first_visit")).with_columns(pl.lit(True).alias("_returning"))
    return pl.concat([firsts, later], how="diagonal").rename({"session_id": "journey_id"})


def _user_journeys(events: pl.LazyFrame, periods: Sequence[Period], steps: Sequence[str],
                   window_days: int) -> pl.LazyFrame:
    lo = min(p.start_dt for p in periods)
    hi = max(p.end_dt for p in periods) + timedelta(days=window_days)
    events = events.filter((pl.col("event_time") >= lo) & (pl.col("event_time") <= hi))
    parts = []
    for p in periods:
        t0 = events.filter(in_period("event_time", p)).group_by("user_id").agg(pl.col("event_time").min().alias("_t0"))
        window = (
            events.join(t0, on="user_id", how="inner")
            .filter((pl.col("event_time") >= pl.col("_t0"))
                    & (pl.col("event_time") <= pl.col("_t0") + pl.duration(days=window_days)))
            .drop("_t0")
        )
        names = window.collect_schema().names()
        summary = window.group_by("user_id").agg(
            pl.col("event_time").min().alias("start"),
            _journey_value("device", names),
            _journey_value("source", names),
            *_step_times(steps),
        )
        parts.append(
            _replay_ambiguous(_reach_from_first_and_last(summary, steps), window,
                              "user_id", steps)
            .with_columns(pl.col("user_id").alias("journey_id"), pl.lit(p.label).alias("period"))
        )
    return pl.concat(parts, how="diagonal")


def journeys(events: pl.LazyFrame, period: Period, comparison: Period | None = None,
             steps: Sequence[str] = EVENT_STEPS, unit: str = "session", window_days: int = 7,
             orders: pl.LazyFrame | None = None, sessions: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per journey starting in the period or the comparison period (see module doc).

    Columns: ``period`` (the period's label), ``journey_id``, ``user_id``, ``start``,
    ``date`` (of ``start``), ``device``, ``source``, ``visitor`` (new | returning) and
    ``at:<step>`` for each step (when reached, null when not).

    ``sessions`` is the run's session table (``run.sessions``); without it, it is built
    from the events here (:func:`kit.metrics.sessions.session_table`). Session journeys
    read the step times once first, to learn whether any session needs its events; the
    rest is one lazy plan: collect it once and pass it on to the figure functions:
    ``j = journeys(...).collect(engine="streaming").lazy()``.
    """
    periods = [period] if comparison is None else [period, comparison]
    if sessions is None:
        sessions = session_table(events)
    if unit == "user":
        table = _with_returning(_user_journeys(events, periods, steps, window_days), _first_seen(sessions, orders))
    else:
        table = _session_journeys(events, sessions, periods, steps, orders)
    return _journey_columns(table, steps)


def _journey_columns(table: pl.LazyFrame, steps: Sequence[str]) -> pl.LazyFrame:
    """The columns of :func:`journeys` from a journey table of either unit."""
    return (
        table.with_columns(
            pl.col("start").dt.date().alias("date"),
            pl.when(pl.col("_returning")).then(pl.lit("returning")).otherwise(pl.lit("new")).alias("visitor"),
        )
        .select("period", "journey_id", "user_id", "start", "date", "device", "source", "visitor",
                *[AT + s for s in steps])
    )


def session_journey_tables(events: pl.LazyFrame, sessions: pl.LazyFrame, steps: Sequence[str],
                           orders: pl.LazyFrame | None = None) -> dict[str, pl.DataFrame]:
    """What the funnel's figures read, counted over every session of a prepared dataset (the
    session journeys of :func:`journeys`, with no period): ``journey_counts``
    (:func:`journey_counts` by ``date, device, source, visitor``) and ``convert_times``
    (:func:`convert_times` by ``date, minutes``). A run takes the rows of its periods' dates
    (:func:`kit.metrics.common.of_periods`): a session journey belongs to the period of its
    start's date, so these counts serve any period. ``steps`` must be steps of the session table
    (:func:`prepared_steps`)."""
    table = _journey_columns(_session_journeys(events, sessions, None, steps, orders), steps).cache()
    counts, times = pl.collect_all([journey_counts(table).drop("period"), convert_times(table).drop("period")],
                                   engine="streaming")
    return {"journey_counts": counts, "convert_times": times}


def user_journey_tables(events: pl.LazyFrame, sessions: pl.LazyFrame, orders: pl.LazyFrame | None,
                        period: Period, comparison: Period | None, steps: Sequence[str],
                        window_days: int) -> dict[str, pl.DataFrame]:
    """What the funnel's figures read for user journeys (``funnel_unit: user``), counted when the
    data is prepared: the user journeys of :func:`journeys` starting in the period or the
    comparison period, counted (``user_journey_counts``: :func:`journey_counts`; ``user_convert_times``:
    :func:`convert_times`). Unlike session journeys they depend on the periods (a user's journey
    starts at their first event in the period), so they are counted for a run's periods."""
    table = journeys(events, period, comparison, steps=steps, unit="user", window_days=window_days, orders=orders,
                     sessions=sessions).cache()
    counts, times = pl.collect_all([journey_counts(table), convert_times(table)], engine="streaming")
    return {"user_journey_counts": counts, "user_convert_times": times}


def prepared_steps(steps: Sequence[str]) -> bool:
    """Whether the session table has the times of every step (each once), so that the
    dataset can count the session journeys of these steps (:func:`session_journey_tables`)."""
    return len(set(steps)) == len(steps) and set(steps) <= set(EVENT_STEPS)


def _with_returning(table: pl.LazyFrame, first_seen: pl.LazyFrame | None) -> pl.LazyFrame:
    """Add ``_returning``: the journey's user was seen (``first_seen``) before its start."""
    if first_seen is None:
        return table.with_columns(pl.lit(False).alias("_returning"))
    return table.join(first_seen, on="user_id", how="left").with_columns(
        (pl.col("first_seen") < pl.col("start")).fill_null(False).alias("_returning"))


def steps_of(journeys: pl.LazyFrame | pl.DataFrame) -> list[str]:
    """The funnel steps of a journeys table, in order."""
    names = journeys.collect_schema().names() if isinstance(journeys, pl.LazyFrame) else journeys.columns
    return [c[len(AT):] for c in names if c.startswith(AT)]


def _of(journeys: pl.LazyFrame, p: Period) -> pl.LazyFrame:
    return journeys.filter(pl.col("period") == p.label)


COUNT_KEYS: tuple[str, ...] = ("period", "date", "device", "source", "visitor")
"""What :func:`journey_counts` counts journeys by: everything the count figures group by."""


def journey_counts(journeys: pl.LazyFrame) -> pl.LazyFrame:
    """The journeys counted, one row per ``period, date, device, source, visitor``:
    ``journeys`` = how many journeys, ``at:<step>`` = how many of them reached the step.

    The funnel, its breakdowns and the daily series only count journeys: they take this
    table (thousands of rows on a shop with millions of sessions) as well as the journeys,
    and give the same figures from either (:func:`_step_counts`).
    """
    steps = steps_of(journeys)
    return journeys.group_by(list(COUNT_KEYS)).agg(
        pl.len().cast(pl.Int64).alias("journeys"),
        *[pl.col(AT + s).is_not_null().sum().cast(pl.Int64).alias(AT + s) for s in steps])


def _step_counts(journeys: pl.LazyFrame, by: Sequence[str] = ()) -> pl.LazyFrame:
    """Long table: ``*by, step_index, step, count`` = journeys that reached the step, from
    the journeys or from their :func:`journey_counts` (which hold the count of each step)."""
    steps = steps_of(journeys)
    counted = "journeys" in journeys.collect_schema().names()
    counts = [(pl.col(AT + s).sum() if counted else pl.col(AT + s).is_not_null().sum()).cast(pl.Float64).alias(s)
              for s in steps]
    wide = journeys.group_by(list(by)).agg(counts) if by else journeys.select(counts)
    index = pl.LazyFrame({"step": steps, "step_index": list(range(1, len(steps) + 1))})
    return (
        wide.unpivot(index=list(by), on=steps, variable_name="step", value_name="count")
        .join(index, on="step", how="left")
    )


def _with_entered(counts: pl.LazyFrame, by: Sequence[str] = ()) -> pl.LazyFrame:
    """Add ``entered`` = count of the step before (the first step enters with its own count)."""
    before = pl.col("count").shift(1)
    if by:
        before = before.over(list(by))
    return counts.sort([*by, "step_index"]).with_columns(before.fill_null(pl.col("count")).alias("entered"))


# ------------------------------------------------------------------------------ the funnel

def funnel_table(journeys: pl.LazyFrame, period: Period, comparison: Period | None = None) -> pl.DataFrame:
    """The funnel, one row per step, each value beside the comparison period.

    - ``count``: journeys that reached the step (in order, see module doc);
    - ``step_conversion`` = count_k / count_(k-1) (1 for the first step);
    - ``from_start`` = count_k / count_1;
    - ``drop_off`` = count_(k-1) - count_k, journeys lost at this step (0 for the first);
    - ``is_weakest``: the step (after the first) with the lowest step conversion in the period.
    """

    def one(p: Period) -> pl.LazyFrame:
        counts = _with_entered(_step_counts(_of(journeys, p)))
        first = pl.col("count").sort_by("step_index").first()
        return counts.with_columns(
            safe_div(pl.col("count"), pl.col("entered")).alias("step_conversion"),
            safe_div(pl.col("count"), first).alias("from_start"),
            (pl.col("entered") - pl.col("count")).alias("drop_off"),
        ).select("step_index", "step", "count", "step_conversion", "from_start", "drop_off")

    out = compare(one, period, comparison, on=("step_index", "step")).sort("step_index")
    candidates = out.filter((pl.col("step_index") > 1) & pl.col("step_conversion").is_not_null())
    weakest = candidates.sort("step_conversion", "step_index")["step_index"][0] if candidates.height else None
    return out.with_columns((pl.col("step_index") == pl.lit(weakest, dtype=pl.Int64)).fill_null(False).alias("is_weakest"))


def weakest_step(funnel: pl.DataFrame) -> dict | None:
    """The row of :func:`funnel_table` with the lowest step conversion (None without journeys)."""
    rows = funnel.filter(pl.col("is_weakest"))
    return rows.row(0, named=True) if rows.height else None


# ------------------------------------------------------------------------------ breakdowns

def step_conversion_by(journeys: pl.LazyFrame, dimension: str, period: Period,
                       comparison: Period | None = None) -> pl.DataFrame:
    """Step conversion per group of ``dimension`` (device | source | visitor), one row per
    group and step after the first.

    ``entered`` = the group's journeys that reached the step before, ``converted`` = reached
    this step, ``rate`` = converted / entered (with ``rate_prev``, ``rate_change`` ...),
    ``ci_low``/``ci_high`` its 95% Wilson interval, ``rest_rate``, ``z``, ``p_value`` the
    test against the other groups at the same step (see :func:`_tests`).
    """

    def one(p: Period) -> pl.LazyFrame:
        counts = _with_entered(_step_counts(_of(journeys, p), by=[dimension]), by=[dimension])
        return (
            counts.filter(pl.col("step_index") > 1)
            .rename({dimension: "group", "count": "converted"})
            .with_columns(safe_div(pl.col("converted"), pl.col("entered")).alias("rate"))
            .select("group", "step_index", "step", "entered", "converted", "rate")
        )

    out = compare(one, period, comparison, on=("group", "step_index", "step"), values=("rate", "entered", "converted"))
    out = out.filter(pl.col("entered").is_not_null())  # groups seen only in the comparison period
    return proportion_tests(out, ["step"]).with_columns(pl.lit(dimension).alias("dimension")).sort("step_index", "group")


def conversion_by(by_step: pl.DataFrame) -> pl.DataFrame:
    """Whole-funnel conversion per group, from the step table of one dimension
    (:func:`step_conversion_by`, so the journeys are not grouped again): ``entered`` = the
    group's journeys that reached the first step (all of them when it is the session view),
    ``converted`` = those that reached the last step, ``rate`` = converted / entered beside
    the comparison period (``rate_prev`` ...), with the Wilson interval and the z-test of the
    group against all other journeys (see :func:`kit.metrics.common.proportion_tests`).
    Sorted by rate, worst first."""
    first, last = by_step["step_index"].min(), by_step["step_index"].max()
    starts = by_step.filter(pl.col("step_index") == first).select("dimension", "group", "entered", "entered_prev")
    ends = by_step.filter(pl.col("step_index") == last).select("group", "converted", "converted_prev")
    out = starts.join(ends, on="group", how="inner").with_columns(
        safe_div(pl.col("converted"), pl.col("entered")).alias("rate"),
        safe_div(pl.col("converted_prev"), pl.col("entered_prev")).alias("rate_prev"),
    )
    out = add_change(out, ["rate"]).select("group", "rate", "rate_prev", "rate_change", "rate_change_rel",
                                           "entered", "converted", "dimension")
    return proportion_tests(out, ["dimension"]).sort("rate", "group")


# ------------------------------------------------------------------------------ daily series

def daily_step_conversion(journeys: pl.LazyFrame, period: Period,
                          dimensions: Sequence[str] = ("device", "source")) -> pl.DataFrame:
    """Day-by-day step conversion in the period, the input of
    :func:`kit.diagnosis.changepoint.find_dated_drops`.

    One row per ``date`` (of the journey's start), ``dimension`` (``all`` with group
    ``all``, then each of ``dimensions``), ``group``, ``step`` (every step after the first),
    with ``entered`` (journeys that reached the step before), ``converted`` (reached
    ``step``) and ``rate`` = converted / entered. Days without journeys have no row.
    """
    current = _of(journeys, period)
    parts = []
    for dim in ("all", *dimensions):
        by = ["date"] if dim == "all" else ["date", dim]
        counts = _with_entered(_step_counts(current, by=by), by=by).filter(pl.col("step_index") > 1)
        group = pl.lit("all") if dim == "all" else pl.col(dim)
        parts.append(counts.select(
            "date", pl.lit(dim).alias("dimension"), group.alias("group"), "step_index", "step",
            pl.col("entered").cast(pl.Int64), pl.col("count").cast(pl.Int64).alias("converted"),
        ))
    return (
        pl.concat(parts)
        .with_columns(safe_div(pl.col("converted"), pl.col("entered")).alias("rate"))
        .sort("dimension", "group", "step_index", "date")
        .drop("step_index")
        .collect(engine="streaming")
    )


# ------------------------------------------------------------------------------ time to convert

def convert_times(journeys: pl.LazyFrame) -> pl.LazyFrame:
    """The journeys that reached the last step, counted by ``period, date`` and ``minutes``
    from reaching the second step (the first product view) to reaching the last (pay):
    ``journeys`` = how many. What :func:`time_to_convert` reads."""
    steps = steps_of(journeys)
    start, end = pl.col(AT + steps[1 if len(steps) > 1 else 0]), pl.col(AT + steps[-1])
    minutes = (end - start).dt.total_seconds(fractional=True) / 60
    return (journeys.filter(end.is_not_null())
            .group_by("period", "date", minutes.alias("minutes")).agg(pl.len().cast(pl.Int64).alias("journeys")))


def time_to_convert(times: pl.LazyFrame, period: Period, comparison: Period | None = None) -> pl.DataFrame:
    """Minutes from the journey's first product view (the second step) to pay (the last
    step), over journeys that paid, from :func:`convert_times`: ``converted``,
    ``median_minutes``, ``p90_minutes`` (linear-interpolated quantiles of the journeys'
    minutes), each beside the comparison period."""

    def one(p: Period) -> pl.LazyFrame:
        counted = (times.filter(pl.col("period") == p.label).group_by("minutes").agg(pl.col("journeys").sum())
                   .sort("minutes").collect())
        return weighted_summary(counted["minutes"].to_list(), counted["journeys"].to_list(),
                                {"converted": None, "median_minutes": 0.5, "p90_minutes": 0.9})

    return compare(one, period, comparison)


# ------------------------------------------------------------------------------ paths
#
# A session's *path*: its step events in time order (ties in step order), a step repeated in
# a row kept once. In most sessions each step's events come in one block (all of them before,
# or all after, every other step's): their path is the steps ordered by first time, read from
# the session table. Only the other sessions' events are read and sorted.

MOVE_SCHEMA = {"date": pl.Date, "from_step": pl.String, "to_step": pl.String, "count": pl.Int64}
PATH_SCHEMA = {"date": pl.Date, "bought": pl.Boolean, "code": pl.Int64, "cut": pl.Boolean, "sessions": pl.Int64}


def _longest_coded_path(steps: Sequence[str]) -> int:
    """How many steps a path code holds: codes are base ``len(steps) + 1`` numbers in an Int64."""
    return min(16, int(62 * math.log(2) / math.log(len(steps) + 1)))


def _paths_from_step_times(steps: Sequence[str]) -> bool:
    """Whether the session table's step times can give the paths (steps it has, each once,
    as many as a path code holds)."""
    return prepared_steps(steps) and len(steps) <= _longest_coded_path(steps)


def _one_block_per_step(steps: Sequence[str]) -> pl.Expr:
    """True when, for every two steps i < j the session has, all of i's events come before
    all of j's (``last_i <= first_j``: same-instant events count in step order) or all after
    (``last_j < first_i``)."""
    first, last = [pl.col(FIRST + s) for s in steps], [pl.col(LAST + s) for s in steps]
    pairs = [first[i].is_null() | first[j].is_null() | (last[i] <= first[j]) | (last[j] < first[i])
             for i in range(len(steps)) for j in range(i + 1, len(steps))]
    return pl.all_horizontal(pairs) if pairs else pl.lit(True)


def _block_path_code(steps: Sequence[str]) -> pl.Expr:
    """The path code of a one-block-per-step session: step i (digit i + 1) sits at the
    position = number of the session's steps whose first event comes before step i's first
    (same instant: the earlier step first)."""
    base, first = len(steps) + 1, [pl.col(FIRST + s) for s in steps]
    terms = []
    for i in range(len(steps)):
        before = [(first[j] <= first[i]) if j < i else (first[j] < first[i]) for j in range(len(steps)) if j != i]
        position = pl.sum_horizontal([b.fill_null(False).cast(pl.Int64) for b in before]) if before else pl.lit(0)
        digit = pl.lit(i + 1, dtype=pl.Int64) * pl.lit(base, dtype=pl.Int64).pow(position)
        terms.append(pl.when(first[i].is_not_null()).then(digit).otherwise(pl.lit(0, dtype=pl.Int64)))
    return pl.sum_horizontal(terms)


def _path_steps(code: int, steps: Sequence[str]) -> list[str]:
    """The steps of a path code, first position in the lowest digit."""
    names, base = [], len(steps) + 1
    while code:
        code, d = divmod(code, base)
        names.append(steps[d - 1])
    return names


def _path_code(path: Sequence[str], steps: Sequence[str]) -> int:
    base = len(steps) + 1
    return sum((steps.index(s) + 1) * base ** k for k, s in enumerate(path))


def _block_path_counts(codes: pl.DataFrame, steps: Sequence[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Moves and path counts (as :func:`_moves_plan` and :func:`_paths_plan`) of the
    one-block sessions, from the count of sessions per date and whole-path code (a few
    hundred codes a day at most: the orders of the steps)."""
    moves: Counter[tuple] = Counter()
    paths: Counter[tuple] = Counter()
    for day, code, sessions in codes.select("date", "code", "len").iter_rows():
        path = _path_steps(code, steps)
        for a, b in zip(path, [*path[1:], "exit"], strict=True):
            moves[(day, a, b)] += sessions
        bought = steps[-1] in path
        paths[(day, bought, _path_code(path[: path.index(steps[-1]) + 1] if bought else path, steps))] += sessions
    return (
        pl.DataFrame([(*key, n) for key, n in moves.items()], schema=MOVE_SCHEMA, orient="row"),
        pl.DataFrame([(day, bought, code, False, n) for (day, bought, code), n in paths.items()],
                     schema=PATH_SCHEMA, orient="row"),
    )


def _path_rows(events: pl.LazyFrame, steps: Sequence[str]) -> pl.LazyFrame:
    """Step events of the given sessions in time order (ties in step order), a step repeated
    in a row kept once: ``session_id, event, _new`` (the session's first row), ``_pos``
    (0-based position in the session's path)."""
    step_events = events.filter(pl.col("event").is_in(list(steps))).select("session_id", "event_time", "event")
    row = pl.int_range(pl.len())
    repeat = ~pl.col("_new") & (pl.col("event") == pl.col("event").shift(1))
    return (
        _in_order(step_events, "session_id", steps)
        .filter(~repeat)
        .with_columns((row - pl.when(pl.col("_new")).then(row).forward_fill()).alias("_pos"))
        .select("session_id", "event", "_new", "_pos")
    )


def _moves_plan(rows: pl.LazyFrame) -> pl.LazyFrame:
    """``date, from_step, to_step, count``: each path row followed by the next one, or ``exit``
    (rows of :func:`_path_rows` with their session's ``date``)."""
    last_of_session = pl.col("_new").shift(-1).fill_null(True)
    return (
        rows.with_columns(pl.when(last_of_session).then(pl.lit("exit")).otherwise(pl.col("event").shift(-1))
                          .alias("to_step"))
        .group_by("date", pl.col("event").alias("from_step"), "to_step").agg(pl.len().cast(pl.Int64).alias("count"))
    )


def _paths_plan(rows: pl.LazyFrame, steps: Sequence[str]) -> pl.LazyFrame:
    """``date, bought, code, cut, sessions``: sessions per date and path code (a purchase path
    ends at its first pay; ``cut`` when the path is longer than a code holds)."""
    base, longest, last = len(steps) + 1, _longest_coded_path(steps), steps[-1]
    digit = pl.col("event").replace_strict(list(steps), list(range(1, base)), return_dtype=pl.Int64)
    is_last = (pl.col("event") == last).cast(pl.Int64)
    done_before = is_last.cum_sum() - is_last - pl.when(pl.col("_new")).then(is_last.cum_sum() - is_last).forward_fill()
    per_session = (
        rows.filter(done_before == 0)
        .group_by("session_id").agg(
            pl.col("date").first(),
            pl.when(pl.col("_pos") < longest).then(digit * pl.lit(base, dtype=pl.Int64).pow(pl.col("_pos"))).sum()
            .alias("code"),
            (pl.col("_pos").max() >= longest).alias("cut"),
            (pl.col("event") == last).any().alias("bought"),
        )
    )
    return per_session.group_by("date", "bought", "code", "cut").agg(pl.len().cast(pl.Int64).alias("sessions"))


def path_counts(events: pl.LazyFrame, sessions: pl.LazyFrame, steps: Sequence[str]) -> dict[str, pl.DataFrame]:
    """The paths of ``sessions`` through ``steps``, counted by the date of the session's start:
    ``path_moves`` (``date, from_step, to_step, count``) and ``path_counts`` (``date, bought,
    code, cut, sessions``), what :func:`path_tables` reads (see there). One-block sessions are
    read from the session table, the others from their sorted events (read only if there are
    any). Over every session of a prepared dataset, a run takes its period's dates."""
    started = sessions.with_columns(pl.col("start").dt.date().alias("date"))
    if _paths_from_step_times(steps):
        started = started.filter(pl.any_horizontal([pl.col(FIRST + s).is_not_null() for s in steps]))
        started = started.with_columns(_one_block_per_step(steps).alias("_block")).cache()
        codes, others = pl.collect_all([
            started.filter(pl.col("_block")).group_by("date", _block_path_code(steps).alias("code")).agg(pl.len()),
            started.filter(~pl.col("_block")).select("session_id", "date"),
        ], engine="streaming")
        moves, counted = _block_path_counts(codes, steps)
        if others.height == 0:
            return {"path_moves": moves, "path_counts": counted}
        others = others.lazy()
    else:
        moves, counted = pl.DataFrame(schema=MOVE_SCHEMA), pl.DataFrame(schema=PATH_SCHEMA)
        others = started.select("session_id", "date")
    rows = (_path_rows(events.join(others, on="session_id", how="semi"), steps)
            .join(others, on="session_id", how="left", maintain_order="left")).cache()
    more_moves, more_counted = pl.collect_all([_moves_plan(rows), _paths_plan(rows, steps)], engine="streaming")
    return {"path_moves": _summed(moves, more_moves, "count"), "path_counts": _summed(counted, more_counted, "sessions")}


def _summed(one: pl.DataFrame, other: pl.DataFrame, count: str) -> pl.DataFrame:
    """Two count tables of the same keys as one, a row per key (block and sorted paths may share one)."""
    keys = [c for c in one.columns if c != count]
    return pl.concat([one, other.select(one.columns)]).group_by(keys).agg(pl.col(count).sum()).select(one.columns)


def _top_moves(moves: pl.DataFrame, top: int) -> pl.DataFrame:
    return (
        moves.group_by("from_step", "to_step").agg(pl.col("count").sum())
        .with_columns(
            (pl.col("count") / pl.col("count").sum().over("from_step")).alias("share"),
            (pl.col("count") / pl.col("count").sum()).alias("share_of_all"),
        )
        .sort(["count", "from_step", "to_step"], descending=[True, False, False])
        .head(top)
    )


def _top_paths(counted: pl.DataFrame, steps: Sequence[str], top: int) -> pl.DataFrame:
    counted = (
        counted.group_by("bought", "code", "cut").agg(pl.col("sessions").sum())
        .with_columns((pl.col("sessions") / pl.col("sessions").sum().over("bought")).alias("share"))
        .sort(["bought", "sessions", "code"], descending=[True, True, False])
        .group_by("bought", maintain_order=True).head(top)
    )
    return counted.select(
        pl.when(pl.col("bought")).then(pl.lit("purchase")).otherwise(pl.lit("exit")).alias("outcome"),
        pl.Series("path", [" > ".join(_path_steps(c, steps) + (["…"] if cut else []))
                           for c, cut in zip(counted["code"], counted["cut"], strict=True)], dtype=pl.String),
        pl.col("sessions"), pl.col("share"),
    )


def path_tables(events: pl.LazyFrame, period: Period, steps: Sequence[str] = EVENT_STEPS,
                top_transitions: int = 20, top_paths: int = 5,
                sessions: pl.LazyFrame | None = None,
                counted: dict[str, pl.LazyFrame] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The most common moves between steps and the most common whole paths of the sessions
    starting in the period (``start`` in the session table ``sessions``, the run's
    ``run.sessions``; built from the events when not given), or from ``counted``: the
    :func:`path_counts` of every session of the data (the prepared dataset's), cut to the
    period's dates.

    A session's path: its step events in time order (same instant: in step order), a step
    repeated in a row kept once.

    - moves: each step of a path followed by the next one, or by ``exit`` after the last:
      ``from_step, to_step, count``, ``share`` = count / all moves out of ``from_step``,
      ``share_of_all`` = count / all moves; the ``top_transitions`` largest counts.
    - paths, for the sessions that reach the last step (``outcome = purchase``: the path up
      to its first occurrence) and those that do not (``outcome = exit``): ``outcome, path``
      (steps joined by " > "; "…" after the first 16 steps, fewer with more than 5 steps),
      ``sessions``, ``share`` = sessions / sessions of that outcome; the ``top_paths`` of each.

    A path is counted as a number (digit i = step of the i-th position, base steps + 1), so
    grouping needs no per-session strings; only the top paths are spelled out.
    """
    if counted is None:
        if sessions is None:
            sessions = session_table(events)
        counted = {name: table.lazy() for name, table in
                   path_counts(events, sessions.filter(in_period("start", period)), steps).items()}
    moves, paths = pl.collect_all([counted[name].filter(in_period("date", period))
                                   for name in ("path_moves", "path_counts")])
    return _top_moves(moves, top_transitions), _top_paths(paths, steps, top_paths)


def transitions(events: pl.LazyFrame, period: Period, steps: Sequence[str] = EVENT_STEPS,
                top: int = 20, sessions: pl.LazyFrame | None = None) -> pl.DataFrame:
    """The moves table of :func:`path_tables`."""
    return path_tables(events, period, steps, top_transitions=top, sessions=sessions)[0]


def top_paths(events: pl.LazyFrame, period: Period, steps: Sequence[str] = EVENT_STEPS,
              top: int = 5, sessions: pl.LazyFrame | None = None) -> pl.DataFrame:
    """The paths table of :func:`path_tables`."""
    return path_tables(events, period, steps, top_paths=top, sessions=sessions)[1]
