"""RFM values and rank scores on hand-built customers (kit.metrics.rfm)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from kit.metrics.rfm import add_scores, rank_score, rfm_table, score_levels
from kit.periods import parse_period

Q1 = parse_period("2025-Q1")  # as of 2025-03-31


def hand_orders() -> pl.LazyFrame:
    """a: two paid orders, the last on the as-of date itself (R = 0);
    b: one paid order on 2024-12-01, before the period;
    c: paid, refunded, paid (the refund counts nowhere);
    d: one big paid order on 2025-03-10;
    e: paid only after the period end (no row); f: only a cancelled order (no row)."""
    rows = [
        ("o1", "a", datetime(2025, 1, 5, 9), 10.0, "paid"),
        ("o2", "a", datetime(2025, 3, 31, 23, 30), 20.0, "paid"),
        ("o3", "b", datetime(2024, 12, 1, 12), 30.0, "paid"),
        ("o4", "c", datetime(2025, 2, 1), 5.0, "paid"),
        ("o5", "c", datetime(2025, 2, 2), 5.0, "refunded"),
        ("o6", "c", datetime(2025, 3, 1, 8), 5.0, "paid"),
        ("o7", "d", datetime(2025, 3, 10), 100.0, "paid"),
        ("o8", "e", datetime(2025, 4, 1), 7.0, "paid"),
        ("o9", "f", datetime(2025, 3, 2), 50.0, "cancelled"),
    ]
    return pl.LazyFrame(rows, schema={"order_id": pl.String, "customer_id": pl.String,
                                      "order_time": pl.Datetime("us"), "amount": pl.Float64, "status": pl.String},
                        orient="row")


def by_customer(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["customer_id"]: r for r in frame.iter_rows(named=True)}


def test_rfm_values_by_hand():
    rfm = by_customer(rfm_table(hand_orders(), Q1).collect())
    assert set(rfm) == {"a", "b", "c", "d"}  # e paid after the end, f never paid
    # a: last order 2025-03-31 23:30 -> same day as the as-of date -> R = 0; 10 + 20 = 30
    assert (rfm["a"]["recency"], rfm["a"]["frequency"], rfm["a"]["monetary"]) == (0, 2, 30.0)
    assert rfm["a"]["monetary_mean"] == 15.0
    assert (rfm["a"]["period_orders"], rfm["a"]["period_monetary"]) == (2, 30.0)
    # b: 2024-12-01 -> 2025-03-31 = 30 (rest of Dec) + 31 + 28 + 31 = 120 days; nothing in the period
    assert (rfm["b"]["recency"], rfm["b"]["frequency"], rfm["b"]["monetary"]) == (120, 1, 30.0)
    assert (rfm["b"]["period_orders"], rfm["b"]["period_monetary"]) == (0, 0.0)
    # c: the refunded order o5 is no paid order: F = 2, M = 10, last paid 2025-03-01 -> R = 30
    assert (rfm["c"]["recency"], rfm["c"]["frequency"], rfm["c"]["monetary"]) == (30, 2, 10.0)
    # d: 2025-03-10 -> 21 days
    assert (rfm["d"]["recency"], rfm["d"]["frequency"], rfm["d"]["monetary_mean"]) == (21, 1, 100.0)


def test_scores_by_hand_with_ties():
    scored = by_customer(add_scores(rfm_table(hand_orders(), Q1)).collect())
    # n = 4, score = 1 + floor(5 * below / 4)
    # R (recency a0 b120 c30 d21; below = strictly larger recency): a 3 -> 4, b 0 -> 1, c 1 -> 2, d 2 -> 3
    assert {k: v["r_score"] for k, v in scored.items()} == {"a": 4, "b": 1, "c": 2, "d": 3}
    # F (a2 b1 c2 d1): ties share a score: 1s have 0 below -> 1, 2s have 2 below -> 1 + 10 // 4 = 3
    assert {k: v["f_score"] for k, v in scored.items()} == {"a": 3, "b": 1, "c": 3, "d": 1}
    # M (a30 b30 c10 d100): c 0 -> 1, a and b 1 below -> 2, d 3 below -> 4
    assert {k: v["m_score"] for k, v in scored.items()} == {"a": 2, "b": 2, "c": 1, "d": 4}


def test_score_levels_counts_distinct_scores():
    levels = score_levels(add_scores(rfm_table(hand_orders(), Q1)))
    # from the scores above: R {1,2,3,4}, F {1,3}, M {1,2,4}
    assert dict(levels.iter_rows()) == {"r_score": 4, "f_score": 2, "m_score": 3}


def test_rank_score_spreads_heavy_ties():
    # 10 customers, 6 bought once: F=1 -> 0 below -> 1; F=2 -> 6 below -> 1 + 30 // 10 = 4;
    # F=3 -> 8 below -> 1 + 40 // 10 = 5; F=5 -> 9 below -> 1 + 45 // 10 = 5
    frame = pl.DataFrame({"frequency": [1, 1, 1, 1, 1, 1, 2, 2, 3, 5]})
    scores = frame.select(rank_score("frequency"))["frequency"].to_list()
    assert scores == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]


def test_rank_score_without_ties_uses_all_five_levels():
    # 10 distinct values: below = 0..9 -> 1 + floor(5 * below / 10) = 1,1,2,2,3,3,4,4,5,5
    frame = pl.DataFrame({"x": list(range(10, 0, -1))})
    assert frame.select(rank_score("x"))["x"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # lower is better (recency): the order flips
    assert frame.select(rank_score("x", higher_is_better=False))["x"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


@pytest.mark.parametrize("period", ["2025-Q1", "2025-03"])
def test_period_columns_only_count_the_period(period):
    p = parse_period(period)
    rfm = by_customer(rfm_table(hand_orders(), p).collect())
    # in March alone a has o2 (20), c has o6 (5), d has o7 (100); in Q1 a also has o1 and c o4
    expected = {"2025-Q1": {"a": 30.0, "c": 10.0, "d": 100.0}, "2025-03": {"a": 20.0, "c": 5.0, "d": 100.0}}[period]
    assert {k: v["period_monetary"] for k, v in rfm.items() if v["period_orders"]} == expected
