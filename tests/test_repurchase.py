from datetime import datetime as dt

import polars as pl
import pytest

from kit.metrics.repurchase import first_purchase_repurchase
from kit.periods import parse_period

APR = parse_period("2025-04")   # 30-day cohort: first orders 03-02..03-31; 60-day: 01-31..03-01
MAR = parse_period("2025-03")   # 30-day cohort: first orders 01-30..02-28 (both bounds: start - 30 d, end + 1 d - 30 d)


def orders(rows):
    return pl.LazyFrame(rows, schema={"order_id": pl.String, "customer_id": pl.String, "order_time": pl.Datetime("us"),
                                      "amount": pl.Float64, "status": pl.String, "channel": pl.String}, orient="row")


ORDERS = orders([
    ("a1", "a", dt(2025, 3, 5), 10.0, "paid", "feed"),
    ("a2", "a", dt(2025, 4, 4), 10.0, "paid", "feed"),       # exactly 30 days later: counts
    ("b1", "b", dt(2025, 3, 5), 10.0, "paid", "search"),
    ("b2", "b", dt(2025, 4, 4, 0, 0, 1), 10.0, "paid", "search"),  # 30 days + 1 s: not within 30
    ("c1", "c", dt(2025, 3, 20), 10.0, "paid", "feed"),
    ("c2", "c", dt(2025, 3, 25), 10.0, "refunded", "feed"),   # refunded: not a repurchase
    ("d1", "d", dt(2025, 2, 10), 10.0, "paid", "feed"),      # March's 30-day cohort and April's 60-day cohort
    ("d2", "d", dt(2025, 3, 1), 10.0, "paid", "feed"),       # 19 days later
    ("e1", "e", dt(2025, 4, 10), 10.0, "paid", "feed"),      # first order in April itself: counted in buyers only
    ("z1", "z", dt(2025, 1, 1), 10.0, "paid", "feed"),       # 60-day window ends 03-02: before April's cohort
    ("z2", "z", dt(2025, 4, 25), 10.0, "paid", "feed"),      # sets the data end (04-25)
])


def test_n_day_repurchase_of_the_cohort_whose_window_closes_in_the_period():
    row = first_purchase_repurchase(ORDERS, APR, MAR, windows=(30, 60)).row(0, named=True)
    assert row["buyers"] == 1  # e: first order in April
    # 30-day cohort of April: first orders 03-02..03-31 -> a, b, c; observable until 04-25: a (03-05 + 30 = 04-04),
    # b (04-04), c (04-19) all observable; repurchased within 30 d: a only
    assert (row["buyers_30"], row["repurchased_30"], row["rate_30"]) == (3, 1, pytest.approx(1 / 3))
    # 60-day cohort: first orders 01-31..03-01 -> d (02-10; 02-10 + 60 = 04-11 <= 04-25 observable), came back 03-01
    assert (row["buyers_60"], row["repurchased_60"]) == (1, 1)
    # March's 30-day cohort: 01-30..02-28 -> d, back after 19 days -> 1/1
    assert row["rate_30_prev"] == pytest.approx(1.0)


def test_buyers_whose_window_runs_past_the_data_are_left_out():
    late = orders([("a1", "a", dt(2025, 3, 30), 1.0, "paid", "x"), ("z", "z", dt(2025, 4, 20), 1.0, "paid", "x")])
    # a's 30-day window ends 04-29, after the last order (04-20): not observable
    assert first_purchase_repurchase(late, APR, None, windows=(30,))["buyers_30"][0] == 0


def test_by_group_uses_the_customers_column_or_the_first_orders():
    by_channel = {r["group"]: r for r in first_purchase_repurchase(ORDERS, APR, None, by="channel", windows=(30,)).to_dicts()}
    # 30-day cohort: a (feed), b (search), c (feed)
    assert by_channel["feed"]["buyers_30"] == 2 and by_channel["search"]["buyers_30"] == 1
    assert by_channel["feed"]["repurchased_30"] == 1 and by_channel["search"]["repurchased_30"] == 0
    customers = pl.LazyFrame({"customer_id": ["a", "b", "c"], "acquisition_channel": ["x", "x", None]})
    by_acq = {r["group"]: r for r in
              first_purchase_repurchase(ORDERS, APR, None, customers, by="acquisition_channel", windows=(30,)).to_dicts()}
    assert by_acq["x"]["buyers_30"] == 2 and by_acq["x"]["rate_30"] == pytest.approx(0.5)
    assert by_acq["unknown"]["buyers_30"] == 1  # c has no channel; d, e, z are not in the customers table either
