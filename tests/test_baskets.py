"""Association rules and cross-sell (kit.metrics.baskets) on hand-checked baskets, and the
rules against mlxtend's association_rules on a random basket set."""

from datetime import datetime as dt

import numpy as np
import polars as pl
import pytest

from kit.metrics.baskets import (
    association_rules,
    basket_items,
    cross_sell,
    cross_sell_customers,
    pair_lift,
    unordered,
    with_previous,
)
from kit.periods import parse_period

Q4, Q3 = parse_period("2025-Q4"), parse_period("2025-Q3")

# order -> (customer, time, status, categories)
ORDERS = {
    "o1": ("c1", dt(2025, 10, 1), "paid", "AB"),
    "o2": ("c2", dt(2025, 10, 2), "paid", "ABC"),
    "o3": ("c3", dt(2025, 10, 3), "paid", "AC"),
    "o4": ("c4", dt(2025, 10, 4), "paid", "B"),
    "o5": ("c5", dt(2025, 10, 5), "paid", "AB"),
    "o6": ("c6", dt(2025, 10, 6), "paid", "CD"),
    "o7": ("c7", dt(2025, 10, 7), "cancelled", "AD"),  # not paid: not a basket
    "o0": ("c3", dt(2025, 8, 1), "paid", "B"),         # before the period: c3 already owns B
}


def tables(spec=ORDERS):
    orders = pl.LazyFrame([(o, c, t, 10.0, s) for o, (c, t, s, _) in spec.items()],
                          schema={"order_id": pl.String, "customer_id": pl.String, "order_time": pl.Datetime("us"),
                                  "amount": pl.Float64, "status": pl.String}, orient="row")
    lines = [(o, k, 1, 10.0 * (1 + "ABCD".index(k))) for o, (_, _, _, cats) in spec.items() for k in cats]
    items = pl.LazyFrame(lines, schema={"order_id": pl.String, "category": pl.String, "quantity": pl.Int64,
                                        "unit_price": pl.Float64}, orient="row")
    return orders, items


def rule(rules, a, b):
    return rules.filter((pl.col("antecedent") == a) & (pl.col("consequent") == b)).row(0, named=True)


def test_rules_on_hand_checked_baskets():
    orders, items = tables()
    out = association_rules(basket_items(orders, items, Q4), min_support=0.0, min_baskets=2)
    # six paid baskets; A in 4, B in 4, C in 3, D in 1 (below 2 baskets: dropped); AB in 3, AC in 2, BC in 1
    assert (out.baskets, out.skipped) == (6, 0)
    assert set(zip(out.rules["antecedent"], out.rules["consequent"], strict=True)) == {
        ("A", "B"), ("B", "A"), ("A", "C"), ("C", "A")}
    ab = rule(out.rules, "A", "B")
    assert ab["baskets"] == 3 and ab["support"] == pytest.approx(3 / 6)
    assert ab["confidence"] == pytest.approx(3 / 4) and ab["lift"] == pytest.approx((3 / 4) / (4 / 6))
    ca = rule(out.rules, "C", "A")
    assert ca["confidence"] == pytest.approx(2 / 3) and ca["lift"] == pytest.approx((2 / 3) / (4 / 6))
    assert out.rules["lift"].to_list() == sorted(out.rules["lift"].to_list(), reverse=True)
    # the confidence floor drops A -> C (0.5) and keeps C -> A (0.67)
    floor = association_rules(basket_items(orders, items, Q4), min_support=0.0, min_baskets=2, min_confidence=0.6)
    assert ("A", "C") not in set(zip(floor.rules["antecedent"], floor.rules["consequent"], strict=True))
    assert rule(floor.rules, "C", "A")["baskets"] == 2


def test_big_baskets_are_skipped_and_counted():
    orders, items = tables()
    out = association_rules(basket_items(orders, items, Q4), min_support=0.0, min_baskets=2, max_items=2)
    # o2 (A, B, C) is skipped: 5 baskets, A in 3, B in 3, AB in 2
    assert (out.baskets, out.skipped) == (5, 1)
    ab = rule(out.rules, "A", "B")
    assert ab["baskets"] == 2 and ab["lift"] == pytest.approx((2 / 3) / (3 / 5))
    assert out.rules.height == 2  # AC is now in one basket only


def test_min_support_and_kept_items():
    orders, items = tables()
    # 3 baskets of 6 = support 0.5: only AB is frequent enough
    out = association_rules(basket_items(orders, items, Q4), min_support=0.5, min_baskets=1)
    assert sorted(out.rules["antecedent"].to_list()) == ["A", "B"]
    kept = association_rules(basket_items(orders, items, Q4), min_support=0.0, min_baskets=2, keep=["A", "C"])
    assert set(kept.rules["antecedent"]) == {"A", "C"} and kept.baskets == 6


def test_previous_pairs_and_heatmap_grid():
    orders, items = tables()
    now = association_rules(basket_items(orders, items, Q4), min_support=0.0, min_baskets=2).rules
    before = now.filter(pl.col("antecedent") == "A").with_columns(pl.col("lift") / 2)
    joined = with_previous(now, before)
    assert rule(joined, "A", "B")["lift_prev"] == pytest.approx(rule(now, "A", "B")["lift"] / 2)
    assert rule(joined, "B", "A")["lift_prev"] is None
    grid = pair_lift(now, ["A", "B", "C"])
    assert grid.height == 6 and rule(grid, "B", "C")["lift"] is None
    # A -> C below a confidence floor of 0.6: the heatmap takes C -> A's lift (the same number)
    floored = now.filter(pl.col("confidence") >= 0.6)
    assert rule(pair_lift(floored, ["A", "C"]), "A", "C")["lift"] == pytest.approx(rule(now, "C", "A")["lift"])
    assert unordered(now).height == 2
    # a pair whose A -> C fell below the floor keeps its one row, as C -> A
    pairs = unordered(floored)
    assert pairs.height == unordered(now).height
    assert {(r["antecedent"], r["consequent"]) for r in pairs.iter_rows(named=True)} >= {("C", "A")}


def test_cross_sell_counts_buyers_who_never_bought_the_consequent():
    orders, items = tables()
    rules = association_rules(basket_items(orders, items, Q4), min_support=0.0, min_baskets=2).rules
    out = cross_sell(orders, items, rules, Q4, min_lift=1.0, min_baskets=2)
    # lift > 1: A -> B and B -> A (1.125); A -> C has lift 1 exactly
    assert set(zip(out["antecedent"], out["consequent"], strict=True)) == {("A", "B"), ("B", "A")}
    ab, ba = rule(out, "A", "B"), rule(out, "B", "A")
    # A's buyers in Q4: c1, c2, c3, c5; all but c3 bought B in Q4, and c3 bought B in Q3: no prospect
    assert ab["prospects"] == 0 and ab["value"] == 0
    # B's buyers in Q4: c1, c2, c4, c5; c4 never bought A: one prospect, at B -> A's confidence (3/4)
    # x A's GMV per basket with A (4 lines of 10 / 4 baskets)
    assert ba["prospects"] == 1
    assert ba["value"] == pytest.approx(1 * 3 / 4 * 10.0)
    who = cross_sell_customers(orders, items, Q4, "B", "A").collect()
    assert who["customer_id"].to_list() == ["c4"] and who["antecedent_spend"].to_list() == [20.0]


def test_rules_match_mlxtend():
    mlxtend = pytest.importorskip("mlxtend.frequent_patterns")
    import pandas as pd

    rng = np.random.default_rng(3)
    names = [f"i{k}" for k in range(8)]
    p = np.array([0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05])
    onehot = rng.random((400, 8)) < p
    onehot[:, 1] |= onehot[:, 0] & (rng.random(400) < 0.5)  # i0 pulls i1 into its baskets: lift > 1
    onehot = onehot[onehot.any(axis=1)]
    rows = [(f"o{b}", names[k]) for b, k in zip(*np.nonzero(onehot), strict=True)]
    baskets = pl.LazyFrame(rows, schema={"order_id": pl.String, "item": pl.String}, orient="row")
    ours = association_rules(baskets, min_support=0.05, min_baskets=1).rules
    frame = pd.DataFrame(onehot, columns=names)
    frequent = mlxtend.apriori(frame, min_support=0.05, use_colnames=True, max_len=2)
    try:
        theirs = mlxtend.association_rules(frequent, num_itemsets=len(frame), metric="lift", min_threshold=0.0)
    except TypeError:  # mlxtend < 0.23.2 has no num_itemsets
        theirs = mlxtend.association_rules(frequent, metric="lift", min_threshold=0.0)
    theirs = {(next(iter(r.antecedents)), next(iter(r.consequents))): r for r in theirs.itertuples()}
    assert len(theirs) == ours.height > 10
    for r in ours.iter_rows(named=True):
        ref = theirs[(r["antecedent"], r["consequent"])]
        assert r["support"] == pytest.approx(ref.support)
        assert r["confidence"] == pytest.approx(ref.confidence)
        assert r["lift"] == pytest.approx(ref.lift)
