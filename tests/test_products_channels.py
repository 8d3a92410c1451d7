from datetime import date
from datetime import datetime as dt

import polars as pl
import pytest

from kit.metrics.channels import channel_roi
from kit.metrics.products import category_quality
from kit.periods import parse_period

Q4, Q3 = parse_period("2025-Q4"), parse_period("2025-Q3")


def orders(rows):
    return pl.LazyFrame(rows, schema={"order_id": pl.String, "customer_id": pl.String, "order_time": pl.Datetime("us"),
                                      "amount": pl.Float64, "status": pl.String, "channel": pl.String}, orient="row")


def test_category_quality_counts_lines_of_paid_orders_only():
    o = orders([
        ("o1", "a", dt(2025, 10, 1), 100.0, "paid", "x"),
        ("o2", "b", dt(2025, 10, 2), 50.0, "paid", "x"),
        ("o3", "c", dt(2025, 10, 3), 80.0, "cancelled", "x"),  # not paid: its line is ignored
        ("o4", "d", dt(2025, 8, 1), 30.0, "paid", "x"),       # comparison period
    ])
    items = pl.LazyFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4"],
        "category": ["服饰", "服饰", "食品", "服饰", "服饰"],
        "quantity": [1, 2, 1, 1, 1],
        "unit_price": [40.0, 30.0, 50.0, 80.0, 30.0],
        "returned": [True, False, None, True, False],
        "rating": [2.0, None, 5.0, 1.0, 4.0],
    })
    out = {r["category"]: r for r in category_quality(o, items, Q4, Q3).to_dicts()}
    # 服饰 in Q4: lines o1a (1x40, returned, rating 2) and o1b (2x30, kept, unrated)
    assert out["服饰"]["lines"] == 2
    assert out["服饰"]["gmv"] == pytest.approx(100.0)
    assert out["服饰"]["return_rate"] == pytest.approx(0.5)
    assert out["服饰"]["returned_value"] == pytest.approx(40.0)
    assert out["服饰"]["rating"] == pytest.approx(2.0)
    # Q3: one line, not returned: rate 0 -> change +0.5
    assert out["服饰"]["return_rate_prev"] == pytest.approx(0.0)
    assert out["服饰"]["return_rate_change"] == pytest.approx(0.5)
    # 食品: one line with returned = null counts as kept
    assert out["食品"]["return_rate"] == pytest.approx(0.0)
    assert out["食品"]["lines_prev"] is None


def test_channel_roi_and_cac():
    o = orders([
        ("o1", "a", dt(2025, 10, 1), 300.0, "paid", "信息流广告"),
        ("o2", "b", dt(2025, 10, 5), 100.0, "paid", "信息流广告"),
        ("o3", "a", dt(2025, 11, 1), 100.0, "paid", "信息流广告"),
        ("o4", "c", dt(2025, 8, 1), 200.0, "paid", "付费搜索"),
        ("o5", "c", dt(2025, 10, 9), 50.0, "refunded", "付费搜索"),  # refunded: no GMV
    ])
    customers = pl.LazyFrame({"customer_id": ["a", "b", "c"], "acquisition_channel": ["信息流广告", "付费搜索", "付费搜索"]})
    spend = pl.LazyFrame({"date": [date(2025, 10, 1), date(2025, 12, 31), date(2025, 10, 1), date(2025, 9, 30)],
                          "channel": ["信息流广告", "信息流广告", "付费搜索", "付费搜索"],
                          "spend": [100.0, 100.0, 50.0, 40.0]})
    out = {r["channel"]: r for r in channel_roi(o, spend, Q4, Q3, customers).to_dicts()}
    feed = out["信息流广告"]
    # spend 200; GMV 300+100+100 = 500; ROI 2.5; new: a (acquired via feed, first order in Q4) -> CAC 200
    assert feed["spend"] == 200 and feed["gmv"] == 500 and feed["roi"] == pytest.approx(2.5)
    assert feed["new_customers"] == 1 and feed["cac"] == pytest.approx(200)
    assert feed["spend_prev"] is None  # no feed spend in Q3
    search = out["付费搜索"]
    # Q4: spend 50, GMV 0 (o5 refunded), new customers: b (first order o2 in Q4, acquired via 付费搜索)
    assert search["gmv"] == 0 and search["roi"] == pytest.approx(0.0) and search["new_customers"] == 1
    # Q3: spend 40, GMV 200 -> ROI 5; new: c -> CAC 40
    assert search["roi_prev"] == pytest.approx(5.0) and search["cac_prev"] == pytest.approx(40.0)
    assert search["roi_change"] == pytest.approx(-5.0)
