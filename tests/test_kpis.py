from datetime import datetime as dt

import polars as pl
import pytest

from kit.metrics.kpis import headline_kpis, repurchase_kpi
from kit.periods import parse_period

Q4, Q3 = parse_period("2025-Q4"), parse_period("2025-Q3")


def orders():
    rows = [
        # id, customer, time, amount, status
        ("o1", "a", dt(2025, 8, 1), 100.0, "paid"),      # Q3: a
        ("o2", "b", dt(2025, 9, 1), 50.0, "paid"),       # Q3: b
        ("o3", "a", dt(2025, 10, 5), 200.0, "paid"),     # Q4: a (returning)
        ("o4", "a", dt(2025, 11, 5), 100.0, "paid"),     # Q4: a again -> repurchaser
        ("o5", "c", dt(2025, 12, 31, 23, 59), 60.0, "paid"),  # Q4: c, new, last minute of the period
        ("o6", "c", dt(2025, 12, 1), 999.0, "refunded"),  # not a paid order
        ("o7", "d", dt(2025, 11, 1), 10.0, "cancelled"),  # not a paid order, d never active
        ("o8", "e", dt(2026, 1, 1), 10.0, "paid"),       # after the period
    ]
    return pl.LazyFrame(rows, schema=["order_id", "customer_id", "order_time", "amount", "status"], orient="row")


def events():
    rows = [
        ("s1", "a", dt(2025, 10, 1, 10), "view"), ("s1", "a", dt(2025, 10, 1, 10, 5), "pay"),
        ("s2", "b", dt(2025, 10, 2, 10), "view"),
        ("s3", "a", dt(2025, 9, 30, 23, 50), "view"), ("s3", "a", dt(2025, 10, 1, 0, 5), "pay"),  # starts in Q3
        ("s4", "v:x", dt(2025, 9, 1), "view"),
    ]
    return pl.LazyFrame(rows, schema=["session_id", "user_id", "event_time", "event"], orient="row")


def test_headline_kpis_by_hand():
    k = {r["kpi"]: r for r in headline_kpis(orders(), events(), Q4, Q3).to_dicts()}
    # Q4 paid: o3, o4 (a), o5 (c) -> 3 orders, GMV 360, active {a, c}, new {c}
    assert k["paid_orders"]["value"] == 3 and k["gmv"]["value"] == 360
    assert k["aov"]["value"] == pytest.approx(120)
    assert k["active_customers"]["value"] == 2 and k["new_customers"]["value"] == 1
    assert k["repurchase_rate"]["value"] == pytest.approx(0.5)  # a has 2 of {a, c}
    # Q3 active {a, b}; b did not buy in Q4 -> churn 1/2
    assert k["churn_rate"]["value"] == pytest.approx(0.5)
    # Q3: 2 orders, GMV 150, active 2, new 2 (a and b first bought in Q3)
    assert k["gmv"]["value_prev"] == 150 and k["gmv"]["value_change"] == 210
    assert k["gmv"]["value_change_rel"] == pytest.approx(210 / 150)
    assert k["new_customers"]["value_prev"] == 2
    # Q3's churn looks at Q2 buyers: none -> null
    assert k["churn_rate"]["value_prev"] is None
    # sessions starting in Q4: s1 (paid), s2 -> 1/2; Q3: s3 (paid), s4 -> 1/2
    assert k["visit_to_pay"]["value"] == pytest.approx(0.5) and k["visit_to_pay"]["value_prev"] == pytest.approx(0.5)


@pytest.mark.parametrize("comparison", [Q3, None])
def test_the_repurchase_kpi_alone_is_the_headline_row(comparison):
    alone = repurchase_kpi(orders(), Q4, comparison)
    assert alone.equals(headline_kpis(orders(), None, Q4, comparison).filter(pl.col("kpi") == "repurchase_rate"))
    row = alone.row(0, named=True)
    # Q4: a has 2 of {a, c}; Q3: a and b one order each
    assert row["value"] == pytest.approx(0.5)
    assert row["value_prev"] == (0 if comparison else None)


def test_visit_to_pay_reads_the_run_s_counted_visits_when_given():
    """The summary passes the run's counted visits; the rate is the one the events give. Visits
    that say otherwise change it, so they are what is read."""
    from kit.metrics.profile import visit_counts
    from kit.metrics.sessions import session_table

    given = visit_counts(session_table(events()))
    by_events = headline_kpis(orders(), events(), Q4, Q3)
    assert headline_kpis(orders(), events(), Q4, Q3, visits=given).equals(by_events)
    no_pay = given.with_columns(pl.lit(False).alias("paid"))
    row = headline_kpis(orders(), events(), Q4, Q3, visits=no_pay).filter(pl.col("kpi") == "visit_to_pay")
    assert row["value"][0] == 0 and row["value_prev"][0] == 0


def test_without_comparison_and_without_events():
    df = headline_kpis(orders(), None, Q4, None)
    assert "visit_to_pay" not in df["kpi"].to_list()
    assert df["value_prev"].is_null().all()
    assert df.filter(pl.col("kpi") == "churn_rate")["value"][0] is None


def test_events_only():
    df = headline_kpis(None, events(), Q4, Q3)
    assert df["kpi"].to_list() == ["visit_to_pay"]


def test_churn_by_region_counts_last_periods_buyers_who_did_not_come_back():
    from datetime import datetime as dt

    from kit.metrics.customers import churn_by
    from kit.periods import parse_period

    orders = pl.LazyFrame(
        [("o1", "a", dt(2025, 8, 1), 100.0, "paid", "x"), ("o2", "a", dt(2025, 11, 1), 10.0, "paid", "x"),
         ("o3", "b", dt(2025, 8, 2), 50.0, "paid", "x"), ("o4", "b", dt(2025, 11, 2), 50.0, "refunded", "x"),
         ("o5", "c", dt(2025, 9, 1), 20.0, "paid", "y"), ("o6", "d", dt(2025, 11, 5), 30.0, "paid", "y")],
        schema={"order_id": pl.String, "customer_id": pl.String, "order_time": pl.Datetime("us"), "amount": pl.Float64,
                "status": pl.String, "region": pl.String}, orient="row")
    customers = pl.LazyFrame({"customer_id": ["a", "b", "c", "d"], "region": ["东北", "东北", "华东", "华东"]})
    out = {r["region"]: r for r in churn_by(orders, customers, "region", parse_period("2025-Q4"),
                                            parse_period("2025-Q3")).to_dicts()}
    # 东北: a and b bought in Q3; a came back, b's Q4 order was refunded -> lost 1 of 2
    assert (out["东北"]["was_active"], out["东北"]["lost"], out["东北"]["churn_rate"]) == (2, 1, 0.5)
    assert out["东北"]["value_before"] == 150.0
    # 华东: c bought in Q3 and not in Q4 (d is new in Q4, not churn) -> 1 of 1
    assert (out["华东"]["was_active"], out["华东"]["lost"]) == (1, 1)
    # without a customers table the region of the last Q3 order decides (column "region" of orders)
    by_orders = {r["region"]: r["was_active"] for r in
                 churn_by(orders, None, "region", parse_period("2025-Q4"), parse_period("2025-Q3")).to_dicts()}
    assert by_orders == {"x": 2, "y": 1}
