"""Section 1 (customer profile) metrics on a tiny hand-built shop; every expected number is
worked out by hand in the comments.

The shop (period 2025-02, comparison 2025-01):

customers  a F 2000 华东 一线 | b M 1990 华东 三线 | c - - 华北 三线 | d F 1960 - - | e F 2001 华北 三线
orders     1 a 02-01 100 paid ads | 2 a 02-03 50 paid ads | 3 b 02-05 30 paid (no channel)
           4 c 01-05 20 paid seo | 5 d 01-20 10 paid seo | 6 e 02-10 40 cancelled | 7 e 02-11 60 refunded
           8 c 02-12 80 paid seo
=> active Feb: a, b, c (e's orders are not paid); active Jan: c, d.
   first paid orders: a Feb, b Feb, c Jan, d Jan -> new in Feb: a, b; new in Jan: c, d.
Age at the end of 2025: a 25 (25-34), b 35 (35-44), d 65 (55+), e 24 (18-24), c unknown.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime as dt

import polars as pl
import pytest

from kit.errors import DataError
from kit.metrics import profile as P
from kit.metrics.common import weighted_quantile
from kit.metrics.sessions import session_table
from kit.periods import parse_period

FEB, JAN, DEC = parse_period("2025-02"), parse_period("2025-01"), parse_period("2024-12")

CUSTOMERS = pl.LazyFrame({
    "customer_id": ["a", "b", "c", "d", "e"],
    "gender": ["F", "M", None, "F", "F"],
    "birth_year": [2000, 1990, None, 1960, 2001],
    "region": ["华东", "华东", "华北", None, "华北"],
    "city_tier": ["一线", "三线", "三线", None, "三线"],
})
ORDERS = pl.LazyFrame({
    "order_id": ["1", "2", "3", "4", "5", "6", "7", "8"],
    "customer_id": ["a", "a", "b", "c", "d", "e", "e", "c"],
    "order_time": [dt(2025, 2, 1, 10), dt(2025, 2, 3), dt(2025, 2, 5), dt(2025, 1, 5), dt(2025, 1, 20),
                   dt(2025, 2, 10), dt(2025, 2, 11), dt(2025, 2, 12)],
    "amount": [100.0, 50.0, 30.0, 20.0, 10.0, 40.0, 60.0, 80.0],
    "status": ["paid", "paid", "paid", "paid", "paid", "cancelled", "refunded", "paid"],
    "channel": ["ads", "ads", None, "seo", "seo", "ads", "ads", "seo"],
})
# Feb lines of paid orders: x 60 (o1,a) + 50 (o2,a); y 2x20 (o1,a) + 30 (o3,b, quantity null = 1); z 2x40 (o8,c)
ITEMS = pl.LazyFrame({
    "order_id": ["1", "1", "2", "3", "4", "5", "6", "8"],
    "category": ["x", "y", "x", "y", "x", "z", "x", "z"],
    "quantity": [1, 2, 1, None, 1, 1, 1, 2],
    "unit_price": [60.0, 20.0, 50.0, 30.0, 20.0, 10.0, 40.0, 40.0],
})
# sessions: s1 Sat 02-01 12:00-12:05 App ads paid | s2 Sun 02-02 20:00 PC seo (one event)
#           s4 Mon 02-03 12:30-12:32:30 App ads (2nd event on PC: the first event decides)
#           s3 Fri 01-03 12:00 App, no source | s5 Fri 01-31 23:50 - 02-01 00:10 小程序 ads (belongs to Jan)
EVENTS = pl.LazyFrame({
    "session_id": ["s1", "s1", "s2", "s4", "s4", "s4", "s3", "s5", "s5"],
    "user_id": ["a", "a", "b", "a", "a", "a", "c", "d", "d"],
    "event_time": [dt(2025, 2, 1, 12), dt(2025, 2, 1, 12, 5), dt(2025, 2, 2, 20), dt(2025, 2, 3, 12, 31),
                   dt(2025, 2, 3, 12, 30), dt(2025, 2, 3, 12, 32, 30), dt(2025, 1, 3, 12), dt(2025, 1, 31, 23, 50),
                   dt(2025, 2, 1, 0, 10)],
    "event": ["view", "pay", "view", "product_view", "view", "add_to_cart", "view", "view", "pay"],
    "device": ["App", "App", "PC", "PC", "App", "App", "App", "小程序", "小程序"],
    "source": ["ads", "ads", "seo", "ads", "ads", "ads", None, "ads", "ads"],
})


def rows(frame: pl.DataFrame, key: str) -> dict:
    return {r[key]: r for r in frame.iter_rows(named=True)}


@pytest.fixture(scope="module")
def sessions():
    """The hand-made sessions counted by hour, device, source and paid."""
    return P.visit_counts(session_table(EVENTS)).collect()


@pytest.fixture(scope="module")
def durations():
    return P.duration_counts(session_table(EVENTS)).collect()


# ------------------------------------------------------------------ 1.1

def test_age_gender_cells_shares_and_order():
    out = P.age_gender(CUSTOMERS, ORDERS, FEB, JAN)
    # Feb: (25-34,F) a, (35-44,M) b, (unknown,unknown) c -> 1/3 each; Jan: (unknown,unknown) c, (55+,F) d -> 1/2 each
    assert out.select("age_band", "gender").rows() == [("25-34", "F"), ("35-44", "M"), ("55+", "F"),
                                                        ("unknown", "unknown")]
    r = {(x["age_band"], x["gender"]): x for x in out.iter_rows(named=True)}
    assert r[("25-34", "F")]["customers"] == 1 and r[("25-34", "F")]["customers_prev"] == 0
    assert r[("55+", "F")]["customers"] == 0 and r[("55+", "F")]["share_prev"] == pytest.approx(0.5)
    assert r[("unknown", "unknown")]["share"] == pytest.approx(1 / 3)
    assert r[("unknown", "unknown")]["share_change"] == pytest.approx(1 / 3 - 1 / 2)


def test_age_band_from_age_column_when_no_birth_year():
    customers = CUSTOMERS.drop("birth_year").with_columns(pl.Series("age", [17, 45, None, 80, 30]))
    out = P.age_gender(customers, ORDERS, FEB, None)
    # a 17 -> <18, b 45 -> 45-54, c null -> unknown
    assert set(out["age_band"].to_list()) == {"<18", "45-54", "unknown"}
    assert out["customers_prev"].is_null().all()  # no comparison period: prev stays null, not 0


def test_missing_column_raises_a_clear_error():
    with pytest.raises(DataError, match="gender"):
        P.age_gender(CUSTOMERS.drop("gender"), ORDERS, FEB, JAN)
    with pytest.raises(DataError, match="birth_year or age"):
        P.age_gender(CUSTOMERS.drop("birth_year"), ORDERS, FEB, JAN)
    with pytest.raises(DataError, match="city_tier"):
        P.city_tier_share(CUSTOMERS.drop("city_tier"), ORDERS, FEB, JAN)


def test_empty_comparison_period_gives_zero_counts_and_null_shares():
    out = P.age_gender(CUSTOMERS, ORDERS, FEB, DEC)
    # December has no orders: 0 customers, but a share of nothing is undefined
    assert out["customers_prev"].to_list() == [0, 0, 0]
    assert out["share_prev"].is_null().all()


def test_empty_current_period_does_not_raise():
    out = P.city_tier_share(CUSTOMERS, ORDERS, parse_period("2025-06"), parse_period("2025-05"))
    assert out.height == 0
    opc = P.orders_per_customer(ORDERS, parse_period("2025-06"), None)
    assert opc["customers"].to_list() == [0, 0, 0, 0, 0] and opc["share"].is_null().all()


def test_city_tier_share_in_tier_order():
    out = P.city_tier_share(CUSTOMERS, ORDERS, FEB, JAN)
    # Feb a 一线, b 三线, c 三线 -> 1/3, 2/3; Jan c 三线, d null -> 1/2, 1/2
    assert out["city_tier"].to_list() == ["一线", "三线", "unknown"]
    r = rows(out, "city_tier")
    assert r["三线"]["share"] == pytest.approx(2 / 3)
    assert r["三线"]["share_change"] == pytest.approx(2 / 3 - 1 / 2)
    assert r["unknown"]["share"] == 0 and r["unknown"]["share_prev"] == pytest.approx(0.5)


def test_region_share_largest_first():
    out = P.region_share(CUSTOMERS, ORDERS, FEB, JAN)
    # Feb 华东 a,b; 华北 c. Jan 华北 c; unknown d
    assert out["region"].to_list() == ["华东", "华北", "unknown"]
    assert out["customers"].to_list() == [2, 1, 0]
    assert out["customers_prev"].to_list() == [0, 1, 1]
    with pytest.raises(ValueError):
        P.region_share(CUSTOMERS, ORDERS, FEB, JAN, level="country")


def test_new_customers_by_tier_growth():
    out = P.new_customers_by_tier(CUSTOMERS, ORDERS, FEB, JAN)
    # new Feb: a 一线, b 三线; new Jan: c 三线, d unknown
    r = rows(out, "city_tier")
    assert r["一线"]["new_customers"] == 1 and r["一线"]["new_customers_change_rel"] is None  # from 0
    assert r["三线"]["new_customers_change_rel"] == 0  # 1 vs 1
    assert r["unknown"]["new_customers_change_rel"] == -1  # 0 vs 1
    assert r["三线"]["share"] == pytest.approx(0.5)


# ------------------------------------------------------------------ 1.2

def test_sessions_counted_by_the_hour_of_their_first_event(sessions, durations):
    r = {(x["hour"], x["device"]): x for x in sessions.iter_rows(named=True)}  # each session its own hour
    s1, s2, s3 = r[(dt(2025, 2, 1, 12), "App")], r[(dt(2025, 2, 2, 20), "PC")], r[(dt(2025, 1, 3, 12), "App")]
    s4, s5 = r[(dt(2025, 2, 3, 12), "App")], r[(dt(2025, 1, 31, 23), "小程序")]
    assert sessions["sessions"].sum() == 5 and sessions.height == 5
    assert s3["source"] == "unknown"
    assert s1["paid"] and not s4["paid"] and s5["paid"] and not s2["paid"]
    d = {(x["date"], x["duration_s"]): x["sessions"] for x in durations.iter_rows(named=True)}
    assert d == {(date(2025, 2, 1), 300): 1, (date(2025, 2, 2), 0): 1, (date(2025, 1, 3), 0): 1,
                 (date(2025, 2, 3), 150): 1, (date(2025, 1, 31), 1200): 1}  # 12:30 -> 12:32:30; 23:50 -> 00:10
    assert P.session_count(sessions, FEB) == 3 and P.session_count(sessions, JAN) == 2


def test_weighted_quantiles_equal_polars_on_the_repeated_values():
    values, weights = [0.0, 1.5, 2.0, 7.25], [3, 1, 4, 2]
    repeated = pl.Series([v for v, w in zip(values, weights, strict=True) for _ in range(w)])
    for q in (0.0, 0.1, 0.5, 0.9, 0.95, 1.0):
        assert weighted_quantile(values, weights, q) == pytest.approx(repeated.quantile(q, "linear"), rel=1e-12)
    assert weighted_quantile(values, weights, 0.5) == pytest.approx(repeated.median(), rel=1e-12)
    assert weighted_quantile([], [], 0.5) is None and weighted_quantile([3.0], [1], 0.9) == 3.0


def test_device_and_mobile_share(sessions):
    out = P.device_share(sessions, FEB, JAN)
    # Feb sessions s1 App, s2 PC, s4 App -> App 2/3; Jan s3 App, s5 小程序 -> 1/2 each
    r = rows(out, "device")
    assert out["device"][0] == "App"
    assert r["App"]["share_change"] == pytest.approx(2 / 3 - 1 / 2)
    assert r["小程序"]["sessions"] == 0 and r["小程序"]["mobile"] and not r["PC"]["mobile"]
    m = P.mobile_share(sessions, FEB, JAN).row(0, named=True)
    assert m["mobile_share"] == pytest.approx(2 / 3) and m["mobile_share_change"] == pytest.approx(2 / 3 - 1)


def test_session_duration_stats_and_histogram(durations):
    s = P.session_duration_stats(durations, FEB, JAN).row(0, named=True)
    # Feb durations 5, 0, 2.5 min: median 2.5; p90 at rank 0.9*2 = 1.8 -> 2.5 + 0.8*(5-2.5) = 4.5
    # Jan 0, 20: median 10; p90 = 0.9*20 = 18
    assert (s["sessions"], s["median_min"], s["p90_min"]) == (3, 2.5, pytest.approx(4.5))
    assert (s["median_min_prev"], s["p90_min_prev"]) == (10, pytest.approx(18))
    h = P.session_duration_histogram(durations, FEB)
    assert h["bin_start_min"].to_list() == [0, 1, 3, 5, 10, 20, 30, 60]
    assert h["bin_end_min"].to_list() == [1, 3, 5, 10, 20, 30, 60, None]
    assert h["sessions"].to_list() == [1, 1, 0, 1, 0, 0, 0, 0]  # 0 -> [0,1), 2.5 -> [1,3), 5 -> [5,10)


def test_visit_heatmap_and_peaks_from_data(sessions):
    h = P.visit_heatmap(sessions, FEB)
    assert h.height == 7 * 24 and h["visits"].sum() == 3
    cell = {(r["weekday"], r["hour"]): r["visits"] for r in h.iter_rows(named=True)}
    assert cell[(6, 12)] == 1 and cell[(7, 20)] == 1 and cell[(1, 12)] == 1  # Sat noon, Sun 20h, Mon noon
    peaks = P.peak_hours(h)
    assert peaks["hour"].to_list() == [12, 20] and peaks["share"].to_list() == pytest.approx([2 / 3, 1 / 3])


def test_peak_hours_skip_a_wide_peak_and_break_ties_by_hour():
    visits = {h: 1.0 for h in range(24)} | {11: 5.0, 12: 8.0, 13: 7.0, 19: 6.0, 20: 6.0, 21: 2.0}
    heat = pl.DataFrame({"weekday": [1] * 24, "hour": list(range(24)), "visits": [visits[h] for h in range(24)]})
    # local maxima: 12 (8), 19 and 20 (6 each, a plateau); 20 is within 3 h of 19 so never named
    assert P.peak_hours(heat, n=3)["hour"].to_list() == [12, 19]
    assert P.peak_hours(heat, n=1)["hour"].to_list() == [12]


def test_source_performance(sessions):
    out = P.source_performance(sessions, ORDERS, FEB, JAN)
    r = rows(out, "source")
    # Feb sessions ads s1 (paid), s4; seo s2. Feb paid orders: ads 100+50, seo 80, no channel 30
    assert r["ads"]["share"] == pytest.approx(2 / 3) and r["ads"]["visit_to_pay"] == 0.5
    assert r["ads"]["aov"] == 75 and r["seo"]["aov"] == 80 and r["seo"]["visit_to_pay"] == 0
    assert r["unknown"]["sessions"] == 0 and r["unknown"]["aov"] == 30
    # Jan: seo orders 20 + 10 -> aov 15, no seo session; ads 1 session (s5) of 2
    assert r["seo"]["aov_prev"] == 15 and r["seo"]["sessions_prev"] == 0
    assert r["ads"]["share_prev"] == 0.5 and r["ads"]["visit_to_pay_prev"] == 1.0  # s5 has a pay event


# ------------------------------------------------------------------ 1.3

def test_aov_overall_and_by_category():
    o = P.aov_overall(ORDERS, FEB, JAN).row(0, named=True)
    # Feb paid 100, 50, 30, 80 -> 260 / 4 = 65; Jan 20 + 10 -> 15
    assert (o["paid_orders"], o["gmv"], o["aov"], o["aov_prev"]) == (4, 260, 65, 15)
    assert o["aov_change_rel"] == pytest.approx(50 / 15)
    c = P.aov_by_category(ORDERS, ITEMS, FEB, JAN)
    # x 110 over orders 1, 2 -> 55; y 40 + 30 over orders 1, 3 -> 35; z 80 over order 8 -> 80
    assert c["category"].to_list() == ["z", "x", "y"]
    assert c["aov"].to_list() == [80, 55, 35]
    assert rows(c, "category")["x"]["aov_prev"] == 20


def test_order_value_stats_and_distribution():
    s = P.order_value_stats(ORDERS, FEB, None).row(0, named=True)
    # sorted 30, 50, 80, 100: mean 65, median 65, p25 at rank .75 -> 45, p75 at 2.25 -> 85, p90 at 2.7 -> 94
    assert (s["mean"], s["median"]) == (65, 65)
    assert (s["p25"], s["p75"], s["p90"]) == (pytest.approx(45), pytest.approx(85), pytest.approx(94))
    d = P.order_value_distribution(ORDERS, FEB)
    # p99 = 80 + .97*20 = 99.4; /20 = 4.97 -> width 5; 100 lands past bin 19 -> counted in the open last bin
    assert d["bin_start"].to_list() == [30, 50, 80, 95]
    assert d["bin_end"].to_list() == [35, 55, 85, None]
    assert d["share"].to_list() == [0.25] * 4


def test_orders_per_customer_buckets():
    out = P.orders_per_customer(ORDERS, FEB, JAN)
    # Feb a 2, b 1, c 1; Jan c 1, d 1
    assert out["orders"].to_list() == ["1", "2", "3", "4", "5+"]
    assert out["customers"].to_list() == [2, 1, 0, 0, 0]
    assert out["share_change"][0] == pytest.approx(2 / 3 - 1)
    many = pl.LazyFrame({"order_id": [str(i) for i in range(12)], "customer_id": ["p"] * 5 + ["q"] * 7,
                         "order_time": [dt(2025, 2, 1 + i) for i in range(12)], "amount": [1.0] * 12,
                         "status": ["paid"] * 12})
    assert P.orders_per_customer(many, FEB, None)["customers"].to_list() == [0, 0, 0, 0, 2]


def test_category_share_and_long_tail():
    out = P.category_share(ORDERS, ITEMS, FEB, JAN)
    # Feb gmv x 110, z 80, y 70 of 260; buyers x {a}, y {a,b}, z {c} of 3. Jan x 20 (c), z 10 (d) of 30, 2 buyers
    assert out["category"].to_list() == ["x", "z", "y"]
    r = rows(out, "category")
    assert r["x"]["gmv_share"] == pytest.approx(110 / 260) and r["y"]["buyer_share"] == pytest.approx(2 / 3)
    assert r["x"]["gmv_change_rel"] == pytest.approx(4.5) and r["z"]["gmv_change_rel"] == pytest.approx(7)
    assert r["y"]["gmv_prev"] == 0 and r["y"]["gmv_share_prev"] == 0 and r["y"]["gmv_change_rel"] is None
    assert r["x"]["buyer_share_prev"] == 0.5
    # long tail below 35%: z (30.8%, +700%); y (26.9%) has no growth figure (new), x is too large
    assert P.long_tail_categories(out, max_share=0.35)["category"].to_list() == ["z"]
    assert P.long_tail_categories(out, max_share=0.5)["category"].to_list() == ["z", "x"]
    assert P.long_tail_categories(P.category_share(ORDERS, ITEMS, FEB, None)).height == 0


def test_preference_index_by_region_and_age_band():
    out = P.preference_index(ORDERS, ITEMS, CUSTOMERS, FEB, by="region")
    idx = {(r["region"], r["category"]): r["index"] for r in out.iter_rows(named=True)}
    # 华东 (a, b) x 110, y 70 of 180; 华北 (c) z 80; overall x 110, y 70, z 80 of 260
    assert idx[("华东", "x")] == pytest.approx((110 / 180) / (110 / 260) * 100)
    assert idx[("华东", "y")] == pytest.approx((70 / 180) / (70 / 260) * 100)
    assert idx[("华北", "z")] == pytest.approx(1 / (80 / 260) * 100)
    ages = P.preference_index(ORDERS, ITEMS, CUSTOMERS, FEB, by="age_band")
    idx = {(r["age_band"], r["category"]): r["index"] for r in ages.iter_rows(named=True)}
    # a 25-34: x 110, y 40 of 150; b 35-44: y 30; c unknown: z 80
    assert idx[("25-34", "y")] == pytest.approx((40 / 150) / (70 / 260) * 100)
    assert idx[("unknown", "z")] == pytest.approx(325)
    assert ages["age_band"].to_list()[0] == "25-34"


def test_prepared_lines_carrying_their_orders_give_the_same_figures():
    from kit.contract import lines_with_orders

    prepared = lines_with_orders(ITEMS, ORDERS).collect().lazy()  # as a prepared run stores order_items
    assert "order_paid" in prepared.collect_schema().names()
    assert P.category_share(ORDERS, prepared, FEB, JAN).equals(P.category_share(ORDERS, ITEMS, FEB, JAN))
    assert P.aov_by_category(ORDERS, prepared, FEB, JAN).equals(P.aov_by_category(ORDERS, ITEMS, FEB, JAN))
    assert P.preference_index(ORDERS, prepared, CUSTOMERS, FEB).equals(P.preference_index(ORDERS, ITEMS, CUSTOMERS, FEB))


def test_figures_read_the_periods_orders_and_lines_once_and_equal_the_metrics_on_every_row(tmp_path, small_demo):
    """Most figures of section 1 group the paid orders and lines of both periods, read once per
    kernel; their tables equal the metrics computed over all of the shop's orders and lines."""
    from conftest import write_params
    from polars.testing import assert_frame_equal

    from kit.figures import profile as F
    from kit.metrics.products import category_quality
    from kit.params import load_params
    from kit.run import prepare_run

    run = prepare_run(load_params(write_params(tmp_path, small_demo))[0], tmp_path / "work")
    o, i, c, p, q = run.orders, run.order_items, run.customers, run.period, run.comparison
    expected = {
        F.age_gender: P.age_gender(c, o, p, q),
        F.region_share: P.region_share(c, o, p, q),
        F.province_share: P.region_share(c, o, p, q, level="province"),
        F.city_tier_share: P.city_tier_share(c, o, p, q),
        F.source_performance: P.source_performance(P.visit_counts(run.sessions), o, p, q),
        F.aov: P.aov_overall(o, p, q),
        lambda run: F.aov_by(run, "device"): P.aov_by(o, "device", p),
        lambda run: F.order_values(run).stats: P.order_value_stats(o, p, q),
        lambda run: F.order_values(run).distribution: P.order_value_distribution(o, p, bins=25, quantile=0.95),
        F.orders_per_customer: P.orders_per_customer(o, p, q),
        F.category_aov: P.aov_by_category(o, i, p, q),
        F.category_share: P.category_share(o, i, p, q),
        F.preference_by_region: P.preference_index(o, i, c, p, by="region"),
        F.preference_by_age: P.preference_index(o, i, c, p, by="age_band"),
        F.category_quality: category_quality(o, i, p, q),
    }
    for figure, table in expected.items():
        assert_frame_equal(figure(run), table, check_row_order=False, rel_tol=1e-12)
    orders, lines = run.memory["period_orders"].collect(), run.memory["period_lines"].collect()
    # only the two periods, only paid
    assert orders.height < o.select(pl.len()).collect().item() and lines.height < i.select(pl.len()).collect().item()
    assert (orders["status"] == "paid").all() and lines["order_paid"].all()
    assert min(orders["order_time"].min(), lines["order_time"].min()) >= q.start_dt
    assert max(orders["order_time"].max(), lines["order_time"].max()) < p.end_dt
