"""Segments under every scheme, profiles, sizes, migration and concentration (kit.metrics.segments),
on the hand-built customers of test_rfm and on hand-built segment frames."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.metrics.rfm import add_scores
from kit.metrics.segments import (
    CN8,
    GRID,
    KMEANS_PROFILES,
    NEW,
    SEGMENTS,
    biggest_moves,
    choose_k,
    cn8_flags,
    cn8_segment,
    customer_attribute,
    grid_segment,
    kmeans_features,
    kmeans_segments,
    lorenz_curve,
    name_clusters,
    revenue_concentration,
    rf_grid,
    segment_customers,
    segment_migration,
    segment_mix,
    segment_profiles,
    segment_sizes,
    segment_sizes_by,
    segment_top_categories,
    segments_table,
)
from kit.periods import parse_period
from tests.test_rfm import Q1, hand_orders


def seg(frame: pl.DataFrame) -> dict[str, str]:
    return dict(frame.select("customer_id", "segment").iter_rows())


# ------------------------------------------------------------------ schemes on hand data

def test_cn8_mean_split_by_hand():
    # R a0 b120 c30 d21, mean 42.75 -> recent: a, c, d; F mean 1.5 -> high: a, c;
    # M a30 b30 c10 d100, mean 42.5 -> high: d
    got = seg(segment_customers(hand_orders(), Q1, "cn8"))
    assert got == {"a": "general_value", "c": "general_value", "b": "general_winback", "d": "important_develop"}


def test_cn8_median_split_by_hand():
    # R median (21 + 30) / 2 = 25.5 -> recent: a, d (c at 30 is not); F median 1.5 -> a, c;
    # M median (30 + 30) / 2 = 30, strictly above -> d only
    got = seg(segment_customers(hand_orders(), Q1, "cn8", split="median"))
    assert got == {"a": "general_value", "c": "general_retain", "b": "general_winback", "d": "important_develop"}


def test_rfm_grid_by_hand():
    # (r, f) from test_rfm: a (4, 3) b (1, 1) c (2, 3) d (3, 1)
    got = seg(segment_customers(hand_orders(), Q1, "rfm-grid"))
    assert got == {"a": "potential_loyalists", "b": "hibernating", "c": "at_risk", "d": "about_to_sleep"}


def test_unknown_scheme_fails():
    with pytest.raises(ValueError, match="unknown RFM scheme"):
        segment_customers(hand_orders(), Q1, "abc")


def test_segments_table_columns_per_scheme():
    base = ["customer_id", "recency", "frequency", "monetary", "monetary_mean"]
    grid = segments_table(segment_customers(hand_orders(), Q1, "rfm-grid"))
    assert grid.columns == [*base, "r_score", "f_score", "m_score", "segment"]
    cn8 = segments_table(segment_customers(hand_orders(), Q1, "cn8"))
    assert cn8.columns == [*base, "r_high", "f_high", "m_high", "segment"]
    assert grid.height == cn8.height == 4


# ------------------------------------------------------------------ coverage: exactly one segment

def test_grid_table_covers_every_cell_once():
    assert set(GRID) == set(itertools.product(range(1, 6), repeat=2))
    assert set(GRID.values()) == set(SEGMENTS["rfm-grid"])


def test_every_score_combination_maps_to_one_grid_segment():
    combos = list(itertools.product(range(1, 6), repeat=3))
    frame = pl.DataFrame(combos, schema={"r_score": pl.Int8, "f_score": pl.Int8, "m_score": pl.Int8}, orient="row")
    out = frame.with_columns(grid_segment().alias("segment"))
    assert out.height == 125 and out["segment"].null_count() == 0
    assert set(out["segment"]) == set(SEGMENTS["rfm-grid"])
    # spot checks of the standard grid
    lookup = {(r, f): s for r, f, _, s in out.iter_rows()}
    assert lookup[(5, 5)] == "champions" and lookup[(1, 5)] == "cant_lose" and lookup[(5, 1)] == "new_customers"
    assert lookup[(3, 3)] == "need_attention" and lookup[(4, 1)] == "promising" and lookup[(1, 1)] == "hibernating"


def test_every_flag_combination_maps_to_a_distinct_cn8_segment():
    combos = list(itertools.product([True, False], repeat=3))
    frame = pl.DataFrame(combos, schema={"r_high": pl.Boolean, "f_high": pl.Boolean, "m_high": pl.Boolean}, orient="row")
    out = frame.with_columns(cn8_segment().alias("segment"))
    assert out["segment"].n_unique() == 8
    got = {(r, f, m): s for r, f, m, s in out.iter_rows()}
    assert got == CN8
    assert got[(True, True, True)] == "important_value" and got[(True, False, True)] == "important_develop"
    assert got[(False, True, True)] == "important_retain" and got[(False, False, True)] == "important_winback"
    assert got[(False, False, False)] == "general_winback"


rfm_rows = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 30), st.floats(0, 5000, allow_nan=False)),
    min_size=1, max_size=60,
)


def as_rfm(rows) -> pl.DataFrame:
    return pl.DataFrame(
        [(str(i), r, f, m) for i, (r, f, m) in enumerate(rows)],
        schema={"customer_id": pl.String, "recency": pl.Int64, "frequency": pl.Int64, "monetary": pl.Float64},
        orient="row",
    )


@settings(max_examples=60, deadline=None)
@given(rfm_rows, st.sampled_from(["mean", "median"]))
def test_random_data_one_segment_each_cn8_and_grid(rows, split):
    rfm = as_rfm(rows)
    cn8 = cn8_flags(rfm, split).with_columns(cn8_segment().alias("segment"))
    grid = add_scores(rfm).with_columns(grid_segment().alias("segment"))
    for frame, scheme in ((cn8, "cn8"), (grid, "rfm-grid")):
        assert frame.height == rfm.height
        assert frame["segment"].null_count() == 0
        assert set(frame["segment"]) <= set(SEGMENTS[scheme])
    assert grid.select(pl.col("r_score", "f_score", "m_score").is_between(1, 5).all()).row(0) == (True, True, True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rfm_rows)
def test_random_data_one_segment_each_kmeans(rows):
    rfm = as_rfm(rows)
    out = kmeans_segments(rfm, 2, 5, seed=3)
    assert out.height == rfm.height and out["segment"].null_count() == 0
    assert set(out["segment"]) <= set(SEGMENTS["kmeans"])
    # names unique: one name per cluster
    assert out.select("cluster", "segment").unique().height == out["cluster"].n_unique() == out["segment"].n_unique()


# ------------------------------------------------------------------ k-means

def blobs(seed: int = 0) -> pl.DataFrame:
    """Three well-separated groups: loyal big spenders, long-gone one-timers, recent one-timers."""
    rng = np.random.default_rng(seed)
    parts = []
    for recency, frequency, monetary in ((2, 20, 3000.0), (300, 1, 20.0), (5, 1, 25.0)):
        parts.append(np.column_stack([recency + rng.integers(0, 2, 100), np.full(100, frequency),
                                      monetary * rng.uniform(0.95, 1.05, 100)]))
    x = np.vstack(parts)
    return pl.DataFrame({"customer_id": [str(i) for i in range(len(x))], "recency": x[:, 0].astype(int),
                         "frequency": x[:, 1].astype(int), "monetary": x[:, 2]})


def test_kmeans_chooses_k_by_silhouette_and_names_by_profile():
    rfm = blobs()
    k, _, scores = choose_k(kmeans_features(rfm), 2, 5, seed=7)
    assert k == 3 and scores[3] == max(scores.values())
    out = kmeans_segments(rfm, 2, 5, seed=7)
    groups = out.group_by("segment").agg(pl.col("recency").mean(), pl.col("frequency").mean(), pl.len())
    by = {r["segment"]: r for r in groups.iter_rows(named=True)}
    # the frequent big spenders are recent, frequent, high value; the one-timers from 300 days ago churned
    assert by["km_loyal_high_value"]["frequency"] == 20 and by["km_loyal_high_value"]["len"] == 100
    assert by["km_churned"]["recency"] >= 300 and by["km_churned"]["len"] == 100


def test_kmeans_is_deterministic_for_a_seed():
    rng = np.random.default_rng(1)
    n = 400
    rfm = pl.DataFrame({"customer_id": [str(i) for i in range(n)], "recency": rng.integers(0, 365, n),
                        "frequency": rng.geometric(0.5, n), "monetary": rng.gamma(2, 80, n)})
    first = kmeans_segments(rfm, 3, 6, seed=11)
    second = kmeans_segments(rfm, 3, 6, seed=11)
    assert first["cluster"].to_list() == second["cluster"].to_list()
    assert first["segment"].to_list() == second["segment"].to_list()


def test_name_clusters_by_corner_and_unique():
    # centroids in standardised (R, F, M); recent = low R
    centroids = np.array([[-1.0, 1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, -1.0, -1.0]])
    assert name_clusters(centroids) == ["km_loyal_high_value", "km_churned", "km_potential"]
    # two centroids near the same corner: profile (-R, F, M) (1, 1, 1) costs 0 there and
    # (0.9, 1.1, 0.7) costs 0.03; the second goes to its next nearest corner (+, +, -):
    # 0.01 + 0.01 + 1.7^2 = 2.91 (vs (-, +, +): 1.9^2 + 0.01 + 0.09 = 3.71)
    twins = np.array([[-1.0, 1.0, 1.0], [-0.9, 1.1, 0.7]])
    assert name_clusters(twins) == ["km_loyal_high_value", "km_frequent_low_value"]
    assert len(set(KMEANS_PROFILES.values())) == 8


def test_kmeans_scheme_end_to_end_on_orders():
    out = segment_customers(hand_orders(), Q1, "kmeans", k_min=2, k_max=3, seed=1)
    assert out.height == 4 and out["segment"].null_count() == 0 and "cluster" in out.columns


# ------------------------------------------------------------------ profiles

def test_segment_profiles_by_hand():
    prof = {r["segment"]: r for r in segment_profiles(segment_customers(hand_orders(), Q1, "cn8")).iter_rows(named=True)}
    gv = prof["general_value"]  # a (R0 F2 M30, 30 in Q1) and c (R30 F2 M10, 10 in Q1)
    assert gv["customers"] == 2 and gv["share"] == 0.5
    assert gv["revenue"] == 40.0 and gv["revenue_share"] == pytest.approx(40 / 170)  # all M: 30+30+10+100
    assert gv["period_revenue_share"] == pytest.approx(40 / 140)  # Q1 amounts: 30 + 0 + 10 + 100
    assert (gv["mean_recency"], gv["mean_frequency"], gv["mean_monetary"]) == (15.0, 2.0, 20.0)
    assert gv["aov"] == 10.0  # 40 / 4 orders
    assert prof["important_develop"]["aov"] == 100.0


def test_segment_top_categories_by_hand():
    items = pl.LazyFrame({
        "order_id": ["o1", "o2", "o4", "o5", "o6", "o7"],
        "category": ["X", "Y", "X", "Z", "X", "Y"],
        "quantity": [2, 1, 1, 1, 1, 1],
        "unit_price": [5.0, 25.0, 5.0, 5.0, 5.0, 100.0],
    })
    segmented = segment_customers(hand_orders(), Q1, "cn8")
    top = segment_top_categories(hand_orders(), items, segmented, Q1, n=1)
    got = {r["segment"]: (r["category"], r["revenue"], r["share"]) for r in top.iter_rows(named=True)}
    # general_value (a, c): Y 25, X 2x5 + 5 + 5 = 20 (Z sits on the refunded o5) -> Y, 25/45
    assert got["general_value"] == ("Y", 25.0, pytest.approx(25 / 45))
    assert got["important_develop"] == ("Y", 100.0, 1.0)
    assert "general_winback" not in got  # b's order has no items


def test_customer_attribute_from_last_paid_order_and_mix():
    orders = hand_orders().with_columns(
        pl.col("order_id").replace_strict({"o1": "north", "o2": "south", "o3": "east", "o4": "west", "o5": "north",
                                           "o6": "west", "o7": "south", "o8": "east", "o9": "east"}).alias("region"))
    attr = dict(customer_attribute(orders, None, "region", Q1).collect().iter_rows())
    # a's last paid order o2 -> south; c's last paid o6 -> west; e's order is after the period
    assert attr == {"a": "south", "b": "east", "c": "west", "d": "south"}
    customers = pl.LazyFrame({"customer_id": ["a", "b"], "region": ["R1", "R2"]})
    assert dict(customer_attribute(orders, customers, "region", Q1).collect().iter_rows()) == {"a": "R1", "b": "R2"}
    mix = segment_mix(segment_customers(orders, Q1, "cn8"), customer_attribute(orders, None, "region", Q1), "region")
    gv = {r["region"]: r["share"] for r in mix.filter(pl.col("segment") == "general_value").iter_rows(named=True)}
    assert gv == {"south": 0.5, "west": 0.5}  # a south, c west


# ------------------------------------------------------------------ sizes and migration

def frames():
    before = pl.DataFrame({"customer_id": ["x", "y", "z"], "segment": ["A", "A", "B"]})
    now = pl.DataFrame({"customer_id": ["x", "y", "z", "w"], "segment": ["A", "B", "B", "A"]})
    return now, before


def test_migration_matrix_by_hand():
    now, before = frames()
    got = {(r["from_segment"], r["to_segment"]): (r["customers"], r["share"])
           for r in segment_migration(now, before).iter_rows(named=True)}
    # x stays A, y A->B, z stays B, w is new -> A; shares within the source segment
    assert got == {("A", "A"): (1, 0.5), ("A", "B"): (1, 0.5), ("B", "B"): (1, 1.0), (NEW, "A"): (1, 1.0)}
    moves = biggest_moves(segment_migration(now, before))
    assert moves.select("from_segment", "to_segment").rows() == [("A", "B")]
    assert biggest_moves(segment_migration(now, before), include_new=True).height == 2


def test_migration_on_orders_two_periods():
    now = segment_customers(hand_orders(), Q1, "cn8")
    before = segment_customers(hand_orders(), Q1.previous(), "cn8")
    # by 2024-12-31 only b has paid (R30 F1 M30, a lone customer equals every mean -> all low)
    assert seg(before) == {"b": "general_winback"}
    got = {(r["from_segment"], r["to_segment"]): r["customers"] for r in segment_migration(now, before).iter_rows(named=True)}
    assert got == {("general_winback", "general_winback"): 1, (NEW, "general_value"): 2, (NEW, "important_develop"): 1}


def test_segment_sizes_by_hand():
    now, before = frames()
    got = {r["segment"]: r for r in segment_sizes(*frames()).iter_rows(named=True)}
    # A: 2 of 4 now (x, w), 2 of 3 before; B: 2 of 4 now, 1 of 3 before
    assert (got["A"]["customers"], got["A"]["customers_prev"], got["A"]["customers_change_rel"]) == (2, 2, 0.0)
    assert got["B"]["customers_change_rel"] == 1.0
    assert got["A"]["share_change"] == pytest.approx(0.5 - 2 / 3)
    alone = segment_sizes(now, None)
    assert alone["customers_prev"].null_count() == 2


def test_segment_sizes_by_region_by_hand():
    now, before = frames()
    attr = pl.LazyFrame({"customer_id": ["x", "y", "z", "w"], "region": ["north", "north", "south", "south"]})
    got = {(r["region"], r["segment"]): r for r in segment_sizes_by(now, before, attr, "region").iter_rows(named=True)}
    # north: now x A, y B; before x A, y A -> A 1 vs 2, B 1 vs 0
    assert (got[("north", "A")]["customers"], got[("north", "A")]["customers_prev"]) == (1, 2)
    assert (got[("north", "B")]["customers"], got[("north", "B")]["customers_prev"]) == (1, 0)
    assert got[("north", "A")]["share"] == 0.5 and got[("north", "A")]["share_prev"] == 1.0
    # south: now z B, w A; before z B
    assert (got[("south", "A")]["customers"], got[("south", "A")]["customers_prev"]) == (1, 0)


# ------------------------------------------------------------------ concentration

def concentration_frame(values, inactive: int = 1) -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame({
        "period_monetary": [float(v) for v in values] + [0.0] * inactive,
        "period_orders": [1] * n + [0] * inactive,
        "monetary": [float(v) for v in values] + [99.0] * inactive,
    })


def test_top20_share_by_hand():
    out = revenue_concentration(concentration_frame(range(1, 11))).row(0, named=True)
    # 10 active customers 1..10 (sum 55), the inactive one left out; top ceil(0.2 x 10) = 2 -> 10 + 9 = 19
    assert (out["customers"], out["top_customers"], out["top_revenue"]) == (10, 2, 19.0)
    assert out["top_share"] == pytest.approx(19 / 55)
    # 6 customers: ceil(1.2) = 2 -> 6 + 5 = 11 of 21
    six = revenue_concentration(concentration_frame(range(1, 7))).row(0, named=True)
    assert six["top_customers"] == 2 and six["top_share"] == pytest.approx(11 / 21)
    assert math.isclose(revenue_concentration(concentration_frame([5] * 5))["top_share"][0], 0.2)


def test_lorenz_points_by_hand():
    frame = concentration_frame([6, 1, 2, 1])
    # sorted 1, 1, 2, 6 (sum 10): cumulative 0.1, 0.2, 0.4, 1.0
    four = lorenz_curve(frame, points=4).rows()
    assert four == [(0.0, 0.0), (0.25, pytest.approx(0.1)), (0.5, pytest.approx(0.2)), (0.75, pytest.approx(0.4)),
                    (1.0, pytest.approx(1.0))]
    # two points: buckets ceil(i x 2 / 4) -> i 1, 2 | 3, 4; the last of each
    assert lorenz_curve(frame, points=2).rows() == [(0.0, 0.0), (0.5, pytest.approx(0.2)), (1.0, pytest.approx(1.0))]


def test_rf_grid_by_hand():
    grid = rf_grid(segment_customers(hand_orders(), Q1, "cn8"))  # cn8 has no scores: computed
    assert grid.height == 25 and grid["customers"].sum() == 4
    cells = {(r, f): (c, v) for r, f, c, v in grid.iter_rows()}
    # a (4,3) M30, b (1,1) M30, c (2,3) M10, d (3,1) M100
    assert cells[(4, 3)] == (1, 30.0) and cells[(3, 1)] == (1, 100.0) and cells[(5, 5)] == (0, 0.0)


def test_empty_history_gives_no_rows():
    early = parse_period("2020-01")
    for scheme in ("cn8", "rfm-grid", "kmeans"):
        assert segment_customers(hand_orders(), early, scheme).height == 0


def test_section_3_makes_each_segments_table_once_per_kernel(tmp_path, small_demo, monkeypatch):
    """Every figure of section 3 reads the segments; they are made once per kernel (each is a
    group-by of every paid order, 0.5 s at 1M customers) and saved once for the diagnosis."""
    from conftest import write_params

    from kit.figures import value
    from kit.metrics import segments as seg
    from kit.params import load_params
    from kit.run import prepare_run

    run = prepare_run(load_params(write_params(tmp_path, small_demo))[0], tmp_path / "work")
    made = []
    real = seg.segment_customers
    monkeypatch.setattr(seg, "segment_customers", lambda orders, period, **kw: made.append(period.label)
                        or real(orders, period, **kw))
    for figure in value.FIGURES:
        figure(run)
    value.segments_file(run)
    assert made == [run.period.label, run.comparison.label]
    assert run.result("segments_period").equals(value.segments(run))
    assert run.result("segments_comparison").equals(value.segments(run, "comparison"))
