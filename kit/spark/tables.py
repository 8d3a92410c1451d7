"""The prepared tables on Spark: each one the twin of a local function, with the same meaning
(see the local function's docstring for what each column is). ``tests/test_spark.py`` holds
each pair equal on the test shops.

Ties the local engine leaves to the order of rows are broken here by the read position
(:data:`kit.spark.load.POSITION`): the first row of a duplicate id is the first read, as with
polars' ``unique(keep="first", maintain_order=True)``.
"""

from __future__ import annotations

from kit.contract import EVENT_STEPS
from kit.metrics.common import UNKNOWN
from kit.metrics.customers import NEXT, PREV
from kit.metrics.sessions import FIRST, LAST
from kit.spark.load import POSITION, _strip


def first_of_each(frame, key: str):
    """One row per ``key``: the first read (twin of ``unique(key, keep="first", maintain_order=True)``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy(key).orderBy(*POSITION)
    return frame.withColumn("_n", F.row_number().over(w)).filter(F.col("_n") == 1).drop("_n")


def is_paid():
    """Twin of :func:`kit.contract.is_paid`, null counted as not paid."""
    from pyspark.sql import functions as F

    return F.coalesce((F.col("status") == "paid") & (F.col("amount") >= 0), F.lit(False))


def with_paid_neighbours(orders):
    """Twin of :func:`kit.metrics.customers.with_paid_neighbours`: on each paid order, the time of
    the customer's previous and next paid order (same instant: by order_id)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy("customer_id").orderBy("order_time", "order_id")
    paid = orders.filter(is_paid())
    others = orders.filter(~is_paid())
    none = F.lit(None).cast("timestamp_ntz")
    return paid.withColumns({PREV: F.lag("order_time").over(w), NEXT: F.lead("order_time").over(w)}) \
        .unionByName(others.withColumns({PREV: none, NEXT: none}))


def lines_with_orders(items, orders):
    """Twin of :func:`kit.contract.lines_with_orders`: the lines of known orders with their order's
    ``customer_id``, ``order_time`` and ``order_paid``."""
    heads = orders.select("order_id", "customer_id", "order_time", is_paid().alias("order_paid"))
    return items.join(heads, on="order_id", how="inner")


def stitch_users(events):
    """Twin of :func:`kit.metrics.sessions.stitch_users`: ``user_id`` = the customer id, else the
    customer the visitor is first seen logged in as, else ``"v:" + visitor_id``."""
    from pyspark.sql import functions as F

    names = events.columns
    if "visitor_id" not in names:
        return events.withColumn("user_id", F.col("customer_id"))
    if "customer_id" not in names:
        return events.withColumn("user_id", F.concat(F.lit("v:"), F.col("visitor_id")))
    logins = (events.filter(F.col("customer_id").isNotNull() & F.col("visitor_id").isNotNull())
              .groupBy("visitor_id")
              # the customer of the earliest login; at one instant, the first read (as polars' min_by)
              .agg(F.min_by("customer_id", F.struct("event_time", *POSITION)).alias("_known_as")))
    return (events.join(logins, on="visitor_id", how="left")
            .withColumn("user_id", F.coalesce("customer_id", "_known_as", F.concat(F.lit("v:"), F.col("visitor_id"))))
            .drop("_known_as"))


def derive_sessions(events, gap_minutes: int):
    """Twin of :func:`kit.metrics.sessions.derive_sessions`: where the data has no session id,
    ``<user_id>#<n>``, a new n after more than ``gap_minutes`` without an event."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if "session_id" in events.columns:
        given = events.filter(F.col("session_id").isNotNull())
        missing = events.filter(F.col("session_id").isNull()).drop("session_id")
    else:
        given, missing = None, events
    order = Window.partitionBy("user_id").orderBy("event_time", *POSITION)
    running = order.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    before = F.lag("event_time").over(order)
    # strictly more than the gap starts a session, as the local diff() > gap
    new = F.when(before.isNull() | (F.col("event_time") > before + F.expr(f"INTERVAL {int(gap_minutes)} MINUTES")), 1) \
        .otherwise(0)
    derived = (missing.withColumn("_new", new)
               .withColumn("_n", F.sum("_new").over(running))
               .withColumn("session_id", F.concat(F.col("user_id"), F.lit("#"), F.col("_n").cast("string")))
               .drop("_new", "_n"))
    if given is None:
        return derived
    return given.unionByName(derived)


def session_table(events):
    """Twin of :func:`kit.metrics.sessions.session_table`: one row per session (its user, start,
    end, number of events, first device and source, first and last time of each step, cart value,
    whether one known user holds all its events, whether it is the user's first)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    names = events.columns
    # the first event's device: the events are read back from Parquet, without their read
    # position; at one instant the smallest value (the local engine takes either one's)
    aggs = [F.min("user_id").alias("user_id"), F.min("event_time").alias("start"), F.max("event_time").alias("end"),
            F.count(F.lit(1)).cast("int").alias("events")]
    for column in ("device", "source"):
        aggs.append(F.min_by(column, F.struct("event_time", column)).alias(column) if column in names
                    else F.lit(None).cast("string").alias(column))
    for step in EVENT_STEPS:
        at = F.when(F.col("event") == step, F.col("event_time"))
        aggs += [F.min(at).alias(FIRST + step), F.max(at).alias(LAST + step)]
    value = F.coalesce(F.col("value"), F.lit(0.0)) if "value" in names else F.lit(0.0)
    # polars sums an all-null column to 0, Spark to null
    aggs.append(F.coalesce(F.sum(F.when(F.col("event") == "add_to_cart", value)), F.lit(0.0)).alias("cart_value"))
    aggs.append(F.coalesce((F.min("user_id") == F.max("user_id")) & (F.count("user_id") == F.count(F.lit(1))),
                           F.lit(False)).alias("single_user"))
    table = events.groupBy("session_id").agg(*aggs)
    for column in ("device", "source"):  # twin of kit.metrics.common.or_unknown
        c = F.col(column).cast("string")
        table = table.withColumn(column, F.when(c.isNull() | (_strip(c) == ""), F.lit(UNKNOWN)).otherwise(c))
    first_start = F.min("start").over(Window.partitionBy("user_id"))
    # an unknown user's session is a first visit (polars joins no null key)
    return table.withColumn("first_visit", F.when(F.col("user_id").isNull(), F.lit(True))
                            .otherwise(F.col("start") == first_start))


def cart_table(events, sessions):
    """Twin of :func:`kit.metrics.cart.cart_table`: one row per cart (a session with an add to
    cart) with ``next_pay``, the same user's first pay at or after the cart's time."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    carts = sessions.filter(F.col(FIRST + "add_to_cart").isNotNull()).select(
        "session_id", "user_id", "start", F.col(FIRST + "add_to_cart").alias("cart_time"), "device", "source",
        F.col("cart_value").alias("value"))
    # carts and pays on one timeline per user, a pay at a cart's instant after the cart (it counts);
    # a cart without a user has no pay (the local as-of join matches no null key)
    timeline = carts.select("session_id", "user_id", F.col("cart_time").alias("_t"), F.lit(0).alias("_kind")) \
        .unionByName(events.filter((F.col("event") == "pay") & F.col("user_id").isNotNull())
                     .select(F.lit(None).cast("string").alias("session_id"), "user_id",
                             F.col("event_time").alias("_t"), F.lit(1).alias("_kind")))
    ahead = Window.partitionBy("user_id").orderBy("_t", "_kind").rowsBetween(Window.currentRow,
                                                                            Window.unboundedFollowing)
    next_pay = (timeline.withColumn("next_pay", F.first(F.when(F.col("_kind") == 1, F.col("_t")), ignorenulls=True)
                                    .over(ahead))
                .filter(F.col("_kind") == 0).select("session_id", "next_pay"))
    return carts.join(next_pay, on="session_id", how="left")


def cart_lines(events, carts):
    """Twin of :func:`kit.metrics.cart.cart_lines`: one row per cart and category put in it,
    with the category's add-to-cart value and the cart's start, time and next pay."""
    from pyspark.sql import functions as F

    names = events.columns
    category = F.coalesce(F.col("category"), F.lit(UNKNOWN)) if "category" in names else F.lit(UNKNOWN)
    value = F.coalesce(F.col("value"), F.lit(0.0)) if "value" in names else F.lit(0.0)
    lines = (events.filter(F.col("event") == "add_to_cart")
             .groupBy("session_id", category.alias("group")).agg(F.sum(value).alias("value")))
    return lines.join(carts.select("session_id", "start", "cart_time", "next_pay"), on="session_id", how="inner")


def counted_carts(carts, lines, window_hours: float) -> dict:
    """Twin of :func:`kit.metrics.cart.counted_carts`: the carts and cart lines counted for one
    payment window (``cart_counts``, ``pay_delays``, ``cart_line_counts``)."""
    from datetime import timedelta

    from pyspark.sql import functions as F

    window_us = timedelta(hours=window_hours) // timedelta(microseconds=1)  # as the local timedelta compares
    delay_us = F.unix_micros(F.col("next_pay")) - F.unix_micros(F.col("cart_time"))
    paid = F.coalesce(delay_us <= F.lit(window_us), F.lit(False))
    date = F.to_date("start").alias("date")
    cart_counts = (carts.groupBy(date, F.to_date("cart_time").alias("cart_date"), "device", "source", paid.alias("paid"))
                   .agg(F.count(F.lit(1)).alias("carts"), F.sum("value").alias("value"))
                   .withColumn("window_hours", F.lit(float(window_hours))))
    hours = delay_us.cast("double") / 1e6 / 3600
    pay_delays = (carts.filter(paid).groupBy(date, hours.alias("hours_to_pay"))
                  .agg(F.count(F.lit(1)).alias("carts")))
    line_counts = (lines.groupBy(date, "group", paid.alias("paid"))
                   .agg(F.count(F.lit(1)).alias("carts"), F.sum("value").alias("value")))
    return {"cart_counts": cart_counts, "pay_delays": pay_delays, "cart_line_counts": line_counts}


def event_checks(events):
    """Twin of :func:`kit.metrics.quality.event_checks`: per event name, its events and each other
    column's missing values."""
    from pyspark.sql import functions as F

    from kit.metrics.quality import FIRST, LAST, ROWS

    others = [c for c in events.columns if c != "event"]
    return events.groupBy("event").agg(F.count(F.lit(1)).alias(ROWS), F.min("event_time").alias(FIRST),
                                       F.max("event_time").alias(LAST),
                                       *[F.count_if(F.col(f"`{c}`").isNull()).alias(c) for c in others])


def visitor_links(events):
    """Twin of :func:`kit.metrics.experiments.visitor_links`: per visitor who logged in, the
    customer of its first login (at one instant, the least id); None without both ids."""
    from pyspark.sql import functions as F

    if "visitor_id" not in events.columns or "customer_id" not in events.columns:
        return None
    return (events.filter(F.col("customer_id").isNotNull() & F.col("visitor_id").isNotNull())
            .groupBy("visitor_id").agg(F.min_by("customer_id", F.struct("event_time", "customer_id")).alias("linked")))


def _shift(days: str, sign: int):
    """``exposure_time`` moved by ``sign`` x the column ``days`` of days, to the microsecond (as
    :func:`kit.metrics.experiments._us`)."""
    from pyspark.sql import functions as F

    micros = F.round(F.col(days) * 86_400_000_000, 0).cast("long")
    return F.timestamp_micros(F.unix_micros(F.col("exposure_time")) + F.lit(sign) * micros)


def experiment_visits(experiments, links, sessions, windows, steps):
    """Twin of :func:`kit.metrics.experiments.experiment_visits`: every unit of every experiment
    (its first exposure), the steps its sessions reach in its experiment's window and lookback
    (``windows``: ``experiment_id, window_days, lookback_days``), and the device of its latest
    session starting before the exposure + :data:`kit.metrics.experiments.SESSION_SLACK` (of
    several at that time, the greatest name)."""
    from pyspark.sql import functions as F

    from kit.metrics.experiments import SESSION_SLACK

    names = experiments.columns
    customer = F.col("customer_id") if "customer_id" in names else F.lit(None).cast("string")
    visitor = F.col("visitor_id") if "visitor_id" in names else F.lit(None).cast("string")
    rows = experiments.select("experiment_id", "exposure_time", customer.alias("_customer"), visitor.alias("_visitor"))
    if "visitor_id" in names and links is not None:
        rows = rows.join(links.withColumnRenamed("visitor_id", "_visitor"), on="_visitor", how="left")
    else:
        rows = rows.withColumn("linked", F.lit(None).cast("string"))
    unit = F.coalesce("_customer", "linked", F.concat(F.lit("v:"), F.col("_visitor")))
    units = (rows.select("experiment_id", "exposure_time", unit.alias("unit")).filter(F.col("unit").isNotNull())
             .groupBy("experiment_id", "unit").agg(F.min("exposure_time").alias("exposure_time"))
             .join(F.broadcast(windows), on="experiment_id"))
    keys = ["experiment_id", "unit"]
    out = units.select(*keys, "window_days", "lookback_days")
    e = F.col("exposure_time")
    if steps:
        reaches_any = F.lit(False)
        for s in steps:
            reaches_any = reaches_any | F.col(f"`{FIRST + s}`").isNotNull()
        visits = units.select(*keys, "exposure_time", _shift("window_days", 1).alias("_w_end"),
                              _shift("lookback_days", -1).alias("_pre")).join(
            # a session reaching none of the steps adds nothing (as the local engine)
            sessions.filter(reaches_any)
            .select(F.col("user_id").alias("unit"), *[F.col(f"`{FIRST + s}`") for s in steps],
                    *[F.col(f"`{LAST + s}`") for s in steps]), on="unit")

        def reached(cond, name):
            return F.max(F.coalesce(cond, F.lit(False))).cast("double").alias(name)

        counted = visits.groupBy(*keys).agg(
            *[reached((F.col(f"`{LAST + s}`") >= e) & (F.col(f"`{FIRST + s}`") < F.col("_w_end")), f"y:step:{s}")
              for s in steps],
            *[reached((F.col(f"`{LAST + s}`") >= F.col("_pre")) & (F.col(f"`{FIRST + s}`") < e), f"x:step:{s}")
              for s in steps])
        reach = [f"{k}:step:{s}" for s in steps for k in ("y", "x")]
        out = out.join(counted, on=keys, how="left").select(
            *[c for c in out.columns], *[F.coalesce(F.col(f"`{c}`"), F.lit(0.0)).alias(c) for c in reach])
    if "device" in sessions.columns:
        at = F.timestamp_micros(F.unix_micros(e) + F.lit(int(SESSION_SLACK.total_seconds() * 1_000_000)))
        devices = (units.select(*keys, at.alias("_at"))
                   .join(sessions.filter(F.col("device") != UNKNOWN)
                         .select(F.col("user_id").alias("unit"), F.col("start").alias("_t"), "device")
                         .filter(F.col("unit").isNotNull() & F.col("_t").isNotNull()), on="unit")
                   .filter(F.col("_t") <= F.col("_at"))
                   .groupBy(*keys).agg(F.max_by("device", F.struct("_t", "device")).alias("device")))
        out = out.join(devices, on=keys, how="left")
    return out


def visit_counts(sessions):
    """Twin of :func:`kit.metrics.profile.visit_counts`: sessions per hour of their start, device,
    source and paid."""
    from pyspark.sql import functions as F

    return sessions.groupBy(F.date_trunc("hour", F.col("start")).alias("hour"), "device", "source",
                            F.col(FIRST + "pay").isNotNull().alias("paid")).agg(F.count(F.lit(1)).alias("sessions"))


def duration_counts(sessions):
    """Twin of :func:`kit.metrics.profile.duration_counts`: sessions per date of their start and
    length in whole seconds."""
    from pyspark.sql import functions as F

    return sessions.groupBy(F.to_date("start").alias("date"),
                            F.expr("timestampdiff(SECOND, start, `end`)").alias("duration_s")).agg(
        F.count(F.lit(1)).alias("sessions"))


def session_journey_tables(events, sessions, steps, orders=None) -> dict:
    """Twin of :func:`kit.metrics.funnel.session_journey_tables`: every session's journey through
    ``steps`` counted by date, device, source and visitor (``journey_counts``) and, for those
    that paid, by date and minutes from the second step to the last (``convert_times``).

    Each step is reached at the first time of its event at or after the time the step before
    was reached (the first step: the session's start for ``view``, else its first event), the
    rule of :mod:`kit.metrics.funnel` in time order; here it is computed for every session by
    one join per step, where the local engine reads most sessions' times from the session table."""
    from pyspark.sql import functions as F

    from kit.metrics.funnel import AT

    first = F.col("start") if steps[0] == "view" else F.col(FIRST + steps[0])
    at = sessions.select("session_id", "user_id", "start", "device", "source", "first_visit", first.alias("_at0"))
    at = _reach(at, events, "session_id", steps)
    # a first visit is returning when its user paid an order before it; a later visit always is
    if orders is not None:
        first_paid = (orders.filter(is_paid() & F.col("customer_id").isNotNull()).groupBy("customer_id")
                      .agg(F.min("order_time").alias("_first_paid")))
        at = at.join(first_paid, at["user_id"] == first_paid["customer_id"], how="left").drop("customer_id")
        paid_before = F.coalesce(F.col("_first_paid") < F.col("start"), F.lit(False))
    else:
        paid_before = F.lit(False)
    journeys = at.select(
        F.to_date("start").alias("date"), "device", "source",
        F.when(~F.col("first_visit") | paid_before, F.lit("returning")).otherwise(F.lit("new")).alias("visitor"),
        *[F.col(f"_at{i}").alias(AT + s) for i, s in enumerate(steps)])
    counts, times = _counted_journeys(journeys, steps, ())
    return {"journey_counts": counts, "convert_times": times}


def _reach(at, step_events, key: str, steps) -> object:
    """``at`` (one row per journey ``key`` with ``_at0``, when its first step was reached) with
    ``_at<i>`` for each later step: the first time of its event in ``step_events`` (the journey's
    events: ``key, event, event_time``) at or after the time the step before was reached."""
    from pyspark.sql import functions as F

    for i, step in enumerate(steps[1:], start=1):
        reached = (step_events.filter(F.col("event") == step).select(key, "event_time")
                   .join(at.select(key, F.col(f"_at{i - 1}").alias("_before")), on=key)
                   .filter(F.col("event_time") >= F.col("_before"))
                   .groupBy(key).agg(F.min("event_time").alias(f"_at{i}")))
        at = at.join(reached, on=key, how="left")
    return at


def _counted_journeys(journeys, steps, by: tuple[str, ...]):
    """Twins of :func:`kit.metrics.funnel.journey_counts` and :func:`kit.metrics.funnel.convert_times`
    over journeys with ``date, device, source, visitor`` and ``at:<step>`` (and ``by``: the period)."""
    from pyspark.sql import functions as F

    from kit.metrics.funnel import AT

    counts = journeys.groupBy(*by, "date", "device", "source", "visitor").agg(
        F.count(F.lit(1)).alias("journeys"),
        *[F.sum(F.col(f"`{AT + s}`").isNotNull().cast("long")).alias(AT + s) for s in steps])
    viewed, paid = AT + steps[1 if len(steps) > 1 else 0], AT + steps[-1]
    # as polars' total_seconds(fractional=True) / 60: microseconds to seconds, then minutes
    minutes = F.expr(f"timestampdiff(MICROSECOND, `{viewed}`, `{paid}`)").cast("double") / 1e6 / 60
    times = (journeys.filter(F.col(f"`{paid}`").isNotNull()).select(*by, "date", minutes.alias("minutes"))
             .groupBy(*by, "date", "minutes").agg(F.count(F.lit(1)).alias("journeys")))
    return counts, times


def _instant(moment):
    """A naive datetime as Spark's TIMESTAMP_NTZ literal."""
    from pyspark.sql import functions as F

    return F.lit(moment.isoformat(sep=" ")).cast("timestamp_ntz")


def user_journey_tables(events, sessions, orders, periods, steps, window_days: int) -> dict:
    """Twin of :func:`kit.metrics.funnel.user_journey_tables`: per period, each user's journey from
    their first event in the period to ``window_days`` later (its device and source: those of
    that first event), its steps reached as in :func:`session_journey_tables`, new or returning by
    whether the user was seen (a session or a paid order) before it; counted by period, date,
    device, source and visitor (``user_journey_counts``) and by minutes to pay (``user_convert_times``)."""
    from datetime import timedelta

    from pyspark.sql import functions as F

    from kit.metrics.funnel import AT

    names = events.columns
    lo = min(p.start_dt for p in periods)
    hi = max(p.end_dt for p in periods) + timedelta(days=window_days)
    near = events.filter((F.col("event_time") >= _instant(lo)) & (F.col("event_time") <= _instant(hi)))
    seen = sessions.groupBy("user_id").agg(F.min("start").alias("first_seen"))
    if orders is not None:
        paid = (orders.filter(is_paid() & F.col("customer_id").isNotNull())
                .select(F.col("customer_id").alias("user_id"), F.col("order_time").alias("first_seen")))
        seen = seen.unionByName(paid).groupBy("user_id").agg(F.min("first_seen").alias("first_seen"))
    parts = []
    for p in periods:
        inside = (F.col("event_time") >= _instant(p.start_dt)) & (F.col("event_time") < _instant(p.end_dt))
        t0 = near.filter(inside & F.col("user_id").isNotNull()).groupBy("user_id").agg(
            F.min("event_time").alias("_t0"))
        window = (near.join(t0, on="user_id")
                  .filter((F.col("event_time") >= F.col("_t0"))
                          & (F.col("event_time") <= F.col("_t0") + F.expr(f"INTERVAL {int(window_days)} DAYS"))))
        firsts = [F.coalesce(F.min_by(c, F.struct("event_time", c)), F.lit(UNKNOWN)).alias(c) if c in names
                  else F.lit(UNKNOWN).alias(c) for c in ("device", "source")]
        first = (F.min("event_time") if steps[0] == "view"
                 else F.min(F.when(F.col("event") == steps[0], F.col("event_time"))))
        at = window.groupBy("user_id").agg(F.min("event_time").alias("start"), *firsts, first.alias("_at0"))
        at = _reach(at, window.select("user_id", "event", "event_time"), "user_id", steps)
        at = at.join(seen, on="user_id", how="left")
        parts.append(at.select(
            F.lit(p.label).alias("period"), F.to_date("start").alias("date"), "device", "source",
            F.when(F.coalesce(F.col("first_seen") < F.col("start"), F.lit(False)), F.lit("returning"))
            .otherwise(F.lit("new")).alias("visitor"),
            *[F.col(f"_at{i}").alias(AT + s) for i, s in enumerate(steps)]))
    journeys = parts[0]
    for part in parts[1:]:
        journeys = journeys.unionByName(part)
    counts, times = _counted_journeys(journeys, steps, ("period",))
    return {"user_journey_counts": counts, "user_convert_times": times}


def path_counts(events, sessions, steps) -> dict:
    """Twin of :func:`kit.metrics.funnel.path_counts`: every session's path through ``steps`` (its
    step events in time order, same instant in step order, a step repeated in a row kept once)
    counted by the date of its start, as moves (``path_moves``) and as path codes
    (``path_counts``). Here every path comes from its sorted events; the local engine reads
    most of them from the session table."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from kit.metrics.funnel import _longest_coded_path

    base, longest, last = len(steps) + 1, _longest_coded_path(steps), steps[-1]
    rank = F.lit(None).cast("int")
    for i, step in enumerate(steps):
        rank = F.when(F.col("event") == step, F.lit(i)).otherwise(rank)
    order = Window.partitionBy("session_id").orderBy("event_time", "_rank")
    step_events = events.filter(F.col("event").isin(list(steps))).select("session_id", "event_time", "event",
                                                                         rank.alias("_rank"))
    rows = (step_events.withColumn("_previous", F.lag("event").over(order))
            .filter(F.col("_previous").isNull() | (F.col("_previous") != F.col("event")))
            .withColumns({"_pos": F.row_number().over(order) - 1, "_next": F.lead("event").over(order)})
            .join(sessions.select("session_id", F.to_date("start").alias("date")), on="session_id"))
    moves = rows.groupBy("date", F.col("event").alias("from_step"),
                         F.coalesce(F.col("_next"), F.lit("exit")).alias("to_step")).agg(
        F.count(F.lit(1)).alias("count"))
    # a purchase path ends at its first pay: the rows with no pay before them
    pays_before = F.sum((F.col("event") == last).cast("long")).over(
        order.rowsBetween(Window.unboundedPreceding, -1))
    digit = (F.col("_rank") + 1).cast("long") * F.pow(F.lit(base), F.col("_pos")).cast("long")
    per_session = (rows.withColumn("_before", F.coalesce(pays_before, F.lit(0))).filter(F.col("_before") == 0)
                   .groupBy("session_id", "date").agg(
                       F.sum(F.when(F.col("_pos") < longest, digit)).alias("code"),
                       (F.max("_pos") >= longest).alias("cut"),
                       F.max((F.col("event") == last).cast("int")).cast("boolean").alias("bought")))
    counted = per_session.groupBy("date", "bought", "code", "cut").agg(F.count(F.lit(1)).alias("sessions"))
    return {"path_moves": moves, "path_counts": counted}
