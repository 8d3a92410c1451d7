"""The headline figures of the cover (KPI cards), each beside the comparison period.

- active customers: customers with >= 1 paid order in the period;
- new customers: customers whose first paid order ever falls in the period;
- paid orders: count of paid orders (``status == "paid"``) in the period;
- GMV: sum of the paid orders' ``amount`` (refunded orders are not paid orders, so
  refunds are netted out);
- AOV (客单价): GMV / paid orders;
- visit-to-pay conversion: sessions with a ``pay`` event / sessions (sessions counted
  by the time of their first event);
- repurchase rate: customers with >= 2 paid orders in the period / active customers;
- churn rate: share of the customers active in the comparison period who placed no
  paid order in this period (so it is null without a comparison period).
"""

from __future__ import annotations

import polars as pl

from kit.contract import paid
from kit.metrics.common import compare, in_period, safe_div
from kit.metrics.customers import active_customers, new_customers
from kit.metrics.profile import visit_counts
from kit.metrics.sessions import session_table
from kit.periods import Period

KPIS: tuple[tuple[str, str, bool], ...] = (
    # key, unit, good when up
    ("active_customers", "int", True),
    ("new_customers", "int", True),
    ("paid_orders", "int", True),
    ("gmv", "money", True),
    ("aov", "money", True),
    ("visit_to_pay", "pct", True),
    ("repurchase_rate", "pct", True),
    ("churn_rate", "pct", False),
)


def _paid_in(orders: pl.LazyFrame, period: Period) -> pl.LazyFrame:
    """The paid orders placed in the period."""
    return paid(orders).filter(in_period("order_time", period))


def _per_customer(paid_in_period: pl.LazyFrame) -> pl.LazyFrame:
    """``customer_id, n``: the period's active customers and their paid orders in it."""
    return paid_in_period.group_by("customer_id").agg(pl.len().alias("n"))


def _repurchase(per_customer: pl.LazyFrame) -> pl.LazyFrame:
    """One row: active_customers, repurchase_rate = customers with >= 2 paid orders in the
    period / active customers (from :func:`_per_customer`)."""
    return per_customer.select(
        pl.len().alias("active_customers"),
        safe_div((pl.col("n") >= 2).sum(), pl.len()).alias("repurchase_rate"),
    )


def order_kpis(orders: pl.LazyFrame, period: Period, before: Period | None) -> pl.LazyFrame:
    """One row: active_customers, new_customers, paid_orders, gmv, aov, repurchase_rate, churn_rate."""
    in_p = _paid_in(orders, period)
    per_customer = _per_customer(in_p)
    base = in_p.select(pl.len().alias("paid_orders"), pl.col("amount").sum().alias("gmv"))
    customers = _repurchase(per_customer)
    new = new_customers(orders, period).select(pl.len().alias("new_customers"))
    if before is None:
        churn = pl.LazyFrame({"churn_rate": [None]}, schema={"churn_rate": pl.Float64})
    else:
        earlier = active_customers(orders, before)
        lost = earlier.join(per_customer.select("customer_id"), on="customer_id", how="anti")
        churn = pl.concat(
            [earlier.select(pl.len().alias("was")), lost.select(pl.len().alias("lost"))], how="horizontal"
        ).select(safe_div(pl.col("lost"), pl.col("was")).alias("churn_rate"))
    out = pl.concat([customers, new, base, churn], how="horizontal")
    return out.with_columns(
        safe_div(pl.col("gmv"), pl.col("paid_orders")).alias("aov"),
        pl.col("active_customers", "new_customers", "paid_orders").cast(pl.Float64),
    )


def visit_to_pay(visits: pl.LazyFrame, period: Period) -> pl.LazyFrame:
    """One row: sessions, paying_sessions, visit_to_pay = paying_sessions / sessions, from the
    sessions counted by hour (:func:`kit.metrics.profile.visit_counts` of the session table: a
    session starts at its first event, and pays when it has a ``pay`` event)."""
    return visits.filter(in_period("hour", period)).select(
        pl.col("sessions").sum().cast(pl.Float64).alias("sessions"),
        pl.col("sessions").filter(pl.col("paid")).sum().cast(pl.Float64).alias("paying_sessions"),
    ).with_columns(safe_div(pl.col("paying_sessions"), pl.col("sessions")).alias("visit_to_pay"))


def headline_kpis(orders: pl.LazyFrame | None, events: pl.LazyFrame | None,
                  period: Period, comparison: Period | None, visits: pl.LazyFrame | None = None) -> pl.DataFrame:
    """The KPI cards: ``kpi, unit, good_when_up, value, value_prev, value_change, value_change_rel``.

    KPIs whose table is missing are left out (orders-only or events-only reports). ``visits``
    is the run's sessions counted (``run.visits``); without it, they are counted from the
    events here (grouping every event by session twice took 4.5 s of the summary at 1M).
    """
    if events is not None and visits is None:
        visits = visit_counts(session_table(events))

    def one_row(p: Period) -> pl.LazyFrame:
        before = p.previous() if comparison is not None else None
        if p == period:
            before = comparison
        parts = []
        if orders is not None:
            parts.append(order_kpis(orders, p, before))
        if events is not None:
            parts.append(visit_to_pay(visits, p).select("visit_to_pay"))
        return pl.concat(parts, how="horizontal")

    return _kpi_rows(compare(one_row, period, comparison))


def repurchase_kpi(orders: pl.LazyFrame, period: Period, comparison: Period | None) -> pl.DataFrame:
    """The repurchase-rate row of :func:`headline_kpis` alone (section 2's KPI), without the
    other KPIs' group-bys over the whole history (first purchases for new customers, the
    period before the comparison for churn)."""
    return _kpi_rows(compare(lambda p: _repurchase(_per_customer(_paid_in(orders, p))).select("repurchase_rate"),
                             period, comparison))


def _kpi_rows(wide: pl.DataFrame) -> pl.DataFrame:
    """The KPI cards (see :func:`headline_kpis`) of a one-row table with each KPI's value,
    ``_prev``, ``_change`` and ``_change_rel`` columns (:func:`kit.metrics.common.compare`)."""
    rows = []
    for key, unit, good_up in KPIS:
        if key not in wide.columns:
            continue
        rows.append({"kpi": key, "unit": unit, "good_when_up": good_up, "value": wide[key][0],
                     "value_prev": wide[f"{key}_prev"][0], "value_change": wide[f"{key}_change"][0],
                     "value_change_rel": wide[f"{key}_change_rel"][0]})
    return pl.DataFrame(rows, schema={"kpi": pl.String, "unit": pl.String, "good_when_up": pl.Boolean,
                                      "value": pl.Float64, "value_prev": pl.Float64, "value_change": pl.Float64,
                                      "value_change_rel": pl.Float64})


BRIDGE_FACTORS: tuple[str, ...] = ("active_customers", "orders_per_customer", "aov")
"""GMV = active customers x orders per active customer x AOV (paid orders / active customers,
GMV / paid orders): the factors of the GMV bridge, in the order the waterfall shows them."""


def gmv_bridge(kpis: pl.DataFrame) -> pl.DataFrame | None:
    """The GMV bridge from the comparison period to the period: how much of the change in GMV
    comes from each factor of GMV = A x F x V (active customers, orders per customer, AOV).

    The parts are the factors' Shapley values: each factor's effect averaged over the orders
    in which the factors can be changed one at a time from their old to their new value,

        effect_i = sum over subsets S of the other factors of |S|! (2 - |S|)! / 3!
                   x (GMV(S + i at new values) - GMV(S at new values)),

    so the parts add up exactly to GMV - GMV_prev and none depends on an arbitrary order (a
    log-mean decomposition would be exact too, but fails when a factor is 0). ``kpis`` is
    :func:`headline_kpis`; returns ``factor, value_prev, value, effect`` (one row per factor)
    or None without a comparison period or orders.
    """
    from itertools import combinations
    from math import factorial

    k = {r["kpi"]: r for r in kpis.to_dicts()}
    if "gmv" not in k or k["gmv"]["value_prev"] is None:
        return None

    def factors(side: str) -> dict[str, float]:
        a, orders, gmv = k["active_customers"][side] or 0.0, k["paid_orders"][side] or 0.0, k["gmv"][side] or 0.0
        return {"active_customers": a, "orders_per_customer": orders / a if a else 0.0,
                "aov": gmv / orders if orders else 0.0}

    old, new = factors("value_prev"), factors("value")
    names = list(BRIDGE_FACTORS)

    def gmv(changed: set[str]) -> float:
        out = 1.0
        for f in names:
            out *= new[f] if f in changed else old[f]
        return out

    n = len(names)
    rows = []
    for f in names:
        others = [o for o in names if o != f]
        effect = 0.0
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for subset in combinations(others, size):
                effect += weight * (gmv(set(subset) | {f}) - gmv(set(subset)))
        rows.append({"factor": f, "value_prev": old[f], "value": new[f], "effect": effect})
    return pl.DataFrame(rows, schema={"factor": pl.String, "value_prev": pl.Float64, "value": pl.Float64,
                                      "effect": pl.Float64})
