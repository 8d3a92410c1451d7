"""The goods' figures (kit.metrics.products) on hand-checked lines: sales x margin and its
quadrants, Pareto / ABC and 动销率, returns vs rating with the value at risk."""

from datetime import datetime as dt

import polars as pl
import pytest

from kit.metrics.products import (
    assortment,
    flagged_quality,
    item_quality,
    pareto_curve,
    product_gmv,
    quadrant_moves,
    quadrant_summary,
    quadrants,
    sales_margin,
    top_items,
)
from kit.periods import parse_period

Q4, Q3 = parse_period("2025-Q4"), parse_period("2025-Q3")


def orders(rows):
    return pl.LazyFrame(rows, schema={"order_id": pl.String, "customer_id": pl.String, "order_time": pl.Datetime("us"),
                                      "amount": pl.Float64, "status": pl.String}, orient="row")


ORDERS = orders([
    ("o1", "a", dt(2025, 10, 1), 0.0, "paid"),
    ("o2", "b", dt(2025, 11, 1), 0.0, "paid"),
    ("o3", "c", dt(2025, 12, 1), 0.0, "cancelled"),  # not paid: not sold, but its product is in the catalogue
    ("o4", "d", dt(2025, 8, 1), 0.0, "paid"),        # comparison period
])
# product, category, quantity, price, cost
LINES = pl.LazyFrame([
    ("o1", "p1", "X", 2, 50.0, 30.0),   # X: value 100, cost 60
    ("o1", "p2", "Y", 1, 200.0, 100.0),  # Y: value 200, cost 100
    ("o2", "p3", "Y", 1, 100.0, None),   # no cost: in GMV, not in the margin
    ("o2", "p4", "Z", 4, 25.0, 5.0),     # Z: value 100, cost 20
    ("o3", "p5", "Z", 1, 10.0, 1.0),
    ("o4", "p1", "X", 1, 100.0, 30.0),   # Q3: X value 100, cost 30
], schema={"order_id": pl.String, "product_id": pl.String, "category": pl.String, "quantity": pl.Int64,
           "unit_price": pl.Float64, "unit_cost": pl.Float64}, orient="row")


def by_key(frame, key="category"):
    return {r[key]: r for r in frame.to_dicts()}


def test_sales_margin_per_category():
    out = by_key(sales_margin(ORDERS, LINES, Q4, Q3))
    assert set(out) == {"X", "Y", "Z"}
    assert out["Y"]["gmv"] == pytest.approx(300.0) and out["Y"]["lines"] == 2
    assert out["Y"]["gmv_share"] == pytest.approx(300 / 500)
    assert out["Y"]["margin_rate"] == pytest.approx((200 - 100) / 200)  # the uncosted line left out
    assert out["Z"]["margin_rate"] == pytest.approx(80 / 100)
    assert out["X"]["margin_rate"] == pytest.approx(40 / 100)
    assert out["X"]["margin_rate_prev"] == pytest.approx(70 / 100)
    assert out["X"]["margin_rate_change"] == pytest.approx(-0.30)
    assert out["X"]["gmv_share_prev"] == pytest.approx(1.0)
    assert out["X"]["gross_profit"] == pytest.approx(40.0)
    assert top_items(sales_margin(ORDERS, LINES, Q4, Q3), 1)["category"].to_list() == ["Y"]


def test_sales_margin_without_costs_has_no_margin():
    out = sales_margin(ORDERS, LINES.drop("unit_cost"), Q4, None)
    assert out["margin_rate"].null_count() == out.height and out["gmv"].sum() == pytest.approx(500.0)


def test_quadrants_split_at_medians_or_thresholds():
    table = sales_margin(ORDERS, LINES, Q4, Q3)
    out = by_key(quadrants(table))
    # medians: share 0.2 (X, Z 0.2; Y 0.6), margin 0.5 (X 0.4, Y 0.5, Z 0.8)
    assert out["Y"]["quadrant"] == "star"       # share 0.6 >= 0.2, margin 0.5 >= 0.5
    assert out["X"]["quadrant"] == "traffic"    # share 0.2 >= 0.2, margin 0.4 < 0.5
    assert out["Z"]["quadrant"] == "star"
    fixed = by_key(quadrants(table, sales_split=0.5, margin_split=0.6))
    assert (fixed["Y"]["quadrant"], fixed["X"]["quadrant"], fixed["Z"]["quadrant"]) == ("traffic", "improve", "profit")
    # Q3: X alone, at its own medians: star; it moved to traffic
    assert out["X"]["quadrant_prev"] == "star" and out["Y"]["quadrant_prev"] is None
    assert quadrant_moves(quadrants(table))["category"].to_list() == ["X"]
    summary = {r["quadrant"]: r for r in quadrant_summary(quadrants(table)).to_dicts()}
    assert list(summary) == ["star", "traffic", "profit", "improve"]
    assert summary["star"]["items"] == 2 and summary["star"]["gmv_share"] == pytest.approx(0.8)
    assert summary["star"]["items_prev"] == 1 and summary["profit"]["items"] == 0


def test_pareto_abc_and_sell_through():
    gmv = product_gmv(ORDERS, LINES, Q4)
    # p2 200, p1 100, p3 100, p4 100 of 500: before p2 0% (A), before p1 40% (A), p3 60% (A), p4 80% (B)
    assert gmv["product_id"].to_list() == ["p2", "p1", "p3", "p4"]
    assert gmv["abc"].to_list() == ["A", "A", "A", "B"]
    assert gmv["cum_share"][-1] == pytest.approx(1.0)
    out = assortment(ORDERS, LINES, Q4, Q3).row(0, named=True)
    assert out["products_sold"] == 4 and out["catalogue"] == 5  # p5 only on a cancelled order
    assert out["sell_through"] == pytest.approx(4 / 5)
    assert out["top_share_80"] == pytest.approx(3 / 4)
    assert (out["a_count"], out["b_count"], out["c_count"]) == (3, 1, 0)
    assert out["long_tail_share"] == pytest.approx(0.0)
    # Q3: p1 sold, the catalogue then holds p1 only
    assert out["sell_through_prev"] == pytest.approx(1.0) and out["sell_through_change"] == pytest.approx(-0.2)
    curve = pareto_curve(gmv)
    assert curve["product_share"].to_list() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve["cum_share"][1] == pytest.approx(0.4)


def test_item_quality_value_at_risk_and_flags():
    o = orders([(f"o{k}", f"c{k}", dt(2025, 10, 1), 0.0, "paid") for k in range(6)])
    lines = pl.LazyFrame({
        "order_id": [f"o{k}" for k in range(6)],
        "product_id": ["p1", "p1", "p1", "p1", "p2", "p2"],
        "quantity": [1] * 6,
        "unit_price": [10.0] * 4 + [20.0, 20.0],
        "returned": [True, True, False, False, False, True],
        "rating": [1.0, 2.0, 3.0, None, 5.0, 4.0],
    })
    out = by_key(item_quality(o, lines, Q4, None, by="product_id"), "product_id")
    # p1: 2 of 4 returned; the others (p2): 1 of 2 -> no excess
    assert out["p1"]["return_rate"] == pytest.approx(0.5) and out["p1"]["others_return_rate"] == pytest.approx(0.5)
    assert out["p1"]["gmv_at_risk"] == pytest.approx(0.0)
    assert out["p1"]["rating"] == pytest.approx(2.0)
    lines = lines.with_columns(pl.Series("returned", [True, True, True, False, False, False]))
    out = item_quality(o, lines, Q4, None, by="product_id")
    p1 = by_key(out, "product_id")["p1"]
    # p1: 3 of 4 returned against 0 of 2: value 40 x 0.75 at risk
    assert p1["gmv_at_risk"] == pytest.approx(40 * 0.75)
    assert flagged_quality(out, min_lines=3, return_rate_high=0.5, rating_low=3.0)["product_id"].to_list() == ["p1"]
    assert flagged_quality(out, min_lines=5, return_rate_high=0.5, rating_low=3.0).height == 0
