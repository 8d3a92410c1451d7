"""Section 2.3 metrics and sentences on hand-built orders (worked answers in comments)."""

from datetime import date
from datetime import datetime as dt

import polars as pl
import pytest

from kit.i18n import TEXT, Locale
from kit.metrics import retention as r
from kit.narrative import retention as text
from kit.periods import parse_period

ZH, EN = Locale("zh"), Locale("en")

Q4, Q3 = parse_period("2025-Q4"), parse_period("2025-Q3")


def orders(rows):
    return pl.LazyFrame(rows, schema={"order_id": pl.String, "customer_id": pl.String, "order_time": pl.Datetime("us"),
                                      "amount": pl.Float64, "status": pl.String}, orient="row")


def test_purchase_intervals_count_gaps_whose_later_order_is_in_the_period():
    o = orders([
        ("a1", "a", dt(2025, 9, 25), 1.0, "paid"), ("a2", "a", dt(2025, 10, 5), 1.0, "paid"),   # 10 days, later in Q4
        ("a3", "a", dt(2025, 10, 25), 1.0, "paid"),                                             # 20 days
        ("b1", "b", dt(2025, 10, 1), 1.0, "paid"), ("b2", "b", dt(2025, 10, 3), 1.0, "refunded"),  # refund: no gap
        ("b3", "b", dt(2025, 10, 31), 1.0, "paid"),                                             # 30 days
        ("c1", "c", dt(2025, 11, 1), 1.0, "paid"),                                              # one order: no gap
        ("d1", "d", dt(2025, 8, 1), 1.0, "paid"), ("d2", "d", dt(2025, 8, 5), 1.0, "paid"),     # 4 days, in Q3
    ])
    row = r.purchase_intervals(o, Q4, Q3).row(0, named=True)
    # Q4 gaps: 10, 20, 30 -> median 20, p25 15, p75 25 (linear); Q3: the gap of 4 days (a1 - nothing earlier)
    assert row["intervals"] == 3 and row["median"] == pytest.approx(20) and row["p25"] == pytest.approx(15)
    assert row["p75"] == pytest.approx(25) and row["median_prev"] == pytest.approx(4)
    hist = {x["bin_start"]: x["intervals"] for x in r.interval_histogram(o, Q4).to_dicts()}
    assert hist[7] == 1 and hist[14] == 1 and hist[30] == 1 and hist[0] == 0  # 10 in 7-14, 20 in 14-30, 30 in 30-60


def test_cohort_matrix_cell_by_cell():
    o = orders([
        ("a1", "a", dt(2025, 11, 3), 1.0, "paid"), ("a2", "a", dt(2025, 12, 9), 1.0, "paid"),
        ("b1", "b", dt(2025, 11, 20), 1.0, "paid"),
        ("c1", "c", dt(2025, 12, 1), 1.0, "paid"), ("c2", "c", dt(2025, 12, 2), 1.0, "paid"),  # same month twice
        ("d1", "d", dt(2026, 1, 5), 1.0, "paid"),   # after the period: not shown
    ])
    m = {(x["cohort"], x["month"]): x for x in r.cohort_matrix(o, Q4, months=2).to_dicts()}
    nov, dec = date(2025, 11, 1), date(2025, 12, 1)
    assert (m[(nov, 0)]["customers"], m[(nov, 0)]["cohort_size"]) == (2, 2)
    assert m[(nov, 1)]["customers"] == 1 and m[(nov, 1)]["share"] == pytest.approx(0.5)  # a came back in December
    assert m[(dec, 0)]["customers"] == 1 and (dec, 1) not in m


def test_lifecycle_stages_at_their_boundaries():
    end = Q4.end  # 2025-12-31
    o = orders([
        ("n1", "new", dt(2025, 10, 2), 1.0, "paid"),
        ("a1", "act", dt(2025, 1, 1), 1.0, "paid"), ("a2", "act", dt(2025, 10, 3), 1.0, "paid"),   # 89 days before
        ("r1", "risk", dt(2025, 1, 1), 1.0, "paid"), ("r2", "risk", dt(2025, 10, 2), 1.0, "paid"),  # exactly 90 days
        ("s1", "risk2", dt(2025, 7, 5), 1.0, "paid"),                                                # 179 days
        ("c1", "gone", dt(2025, 7, 4), 1.0, "paid"),                                                 # exactly 180 days
    ])
    assert (end - date(2025, 10, 2)).days == 90 and (end - date(2025, 7, 4)).days == 180
    stages = dict(r.lifecycle_stages(o, Q4, 90, 180).collect().iter_rows())
    assert stages == {"new": "new", "act": "active", "risk": "at_risk", "risk2": "at_risk", "gone": "churned"}
    counts = {x["stage"]: x for x in r.lifecycle_counts(o, Q4, Q3, 90, 180).to_dicts()}
    assert counts["at_risk"]["customers"] == 2 and counts["churned"]["customers"] == 1
    # at the Q3 end (09-30): new = first order in Q3 (risk2, gone); act and risk last bought 01-01 (272 d): churned
    assert counts["new"]["customers_prev"] == 2 and counts["churned"]["customers_prev"] == 2
    flows = {(x["from_stage"], x["to_stage"]): x["customers"] for x in r.lifecycle_flows(o, Q4, Q3, 90, 180).to_dicts()}
    assert flows[("none", "new")] == 1 and flows[("churned", "active")] == 1 and flows[("new", "at_risk")] == 1


def test_no_driver_when_nobody_came_back():
    """40 first-time buyers in July and none back within 90 days: every rate is 0, so no
    attribute value lifts it (the drivers' chart once failed on the null lifts)."""
    rows = [(f"f{i}", f"c{i}", dt(2025, 7, 10), 10.0, "paid", 5.0 if i < 20 else 0.0) for i in range(40)]
    rows.append(("z", "z", dt(2025, 12, 31), 1.0, "paid", 0.0))
    o = pl.LazyFrame(rows, schema={"order_id": pl.String, "customer_id": pl.String, "order_time": pl.Datetime("us"),
                                   "amount": pl.Float64, "status": pl.String, "discount": pl.Float64}, orient="row")
    drivers = r.repurchase_drivers(o, Q4, min_buyers=10)
    assert drivers.height == 0
    assert text.drivers_text(drivers, EN) == TEXT["ret.no_driver"]["en"]


def test_repurchase_drivers_lift_and_interval():
    rows, customers = [], []
    # 40 first-time buyers in July (90-day window closes in Q4); 20 used a discount, 15 of them came back;
    # 20 did not, 5 came back. Overall 20/40 = 50%; discount "used" 75% -> lift 1.5
    for i in range(40):
        used = i < 20
        back = (i < 15) or (20 <= i < 25)
        rows.append((f"f{i}", f"c{i}", dt(2025, 7, 10), 10.0, "paid", 5.0 if used else 0.0))
        if back:
            rows.append((f"s{i}", f"c{i}", dt(2025, 8, 1), 10.0, "paid", 0.0))
        customers.append(f"c{i}")
    rows.append(("z", "z", dt(2025, 12, 31), 1.0, "paid", 0.0))  # data end
    o = pl.LazyFrame(rows, schema={"order_id": pl.String, "customer_id": pl.String, "order_time": pl.Datetime("us"),
                                   "amount": pl.Float64, "status": pl.String, "discount": pl.Float64}, orient="row")
    d = {x["value"]: x for x in r.repurchase_drivers(o, Q4, min_buyers=10).to_dicts() if x["attribute"] == "discount"}
    assert d["used"]["buyers"] == 20 and d["used"]["rate"] == pytest.approx(0.75) and d["used"]["lift"] == pytest.approx(1.5)
    assert d["none"]["lift"] == pytest.approx(0.5)
    # Wilson 95% for 15/20: centre (0.75 + 1.92/20)/(1 + 3.84/20) = 0.7098, half-width 0.1871
    assert d["used"]["ci_low"] == pytest.approx(0.5313, abs=1e-3) and d["used"]["ci_high"] == pytest.approx(0.8881, abs=1e-3)
    assert d["used"]["p_value"] < 0.01
    assert text.drivers_text(r.repurchase_drivers(o, Q4, min_buyers=10), EN).startswith(
        'First-time buyers with first-order discount "used" came back most: 75.0%, 1.50 times')


def test_sentences_in_both_languages():
    intervals = pl.DataFrame({"intervals": [3.0], "p25": [15.0], "median": [20.0], "p75": [25.0], "median_prev": [4.0]})
    assert text.interval_text(intervals, ZH) == "相邻两次购买的间隔中位数为20.0天，一半的间隔在15.0–25.0天之间（上期中位数4.0天）。"
    assert text.interval_text(intervals, EN).endswith("(previous period: 4.0 days).")
    churn = pl.DataFrame({"region": ["华东", "东北"], "was_active": [100, 50], "lost": [50, 40], "churn_rate": [0.5, 0.8]})
    # total (50 + 40) / 150 = 60%
    assert text.churn_text(churn, "region", ZH) == "上期购买的客户中，东北本期未回购的比例最高（80.0%），全店为60.0%。"


EMPTY = parse_period("2024-Q4")  # a comparison period with no orders at all


def test_intervals_with_ties_single_order_customers_and_an_empty_comparison():
    o = orders([
        ("t1", "t", dt(2025, 10, 5, 10), 1.0, "paid"), ("t2", "t", dt(2025, 10, 5, 10), 1.0, "paid"),  # tie: 0 days
        ("t3", "t", dt(2025, 10, 20, 10), 1.0, "paid"),                                               # 15 days
        ("u1", "u", dt(2025, 10, 1), 1.0, "paid"), ("u2", "u", dt(2025, 10, 1, 12), 1.0, "paid"),     # 0.5 days
        ("s1", "s", dt(2025, 11, 1), 1.0, "paid"),                                                    # single order
    ])
    row = r.purchase_intervals(o, Q4, EMPTY).row(0, named=True)
    # gaps sorted 0, 0.5, 15: median 0.5; p25 = 0 + 0.5 * 0.5 = 0.25; p75 = 0.5 + 0.5 * 14.5 = 7.75
    assert row["intervals"] == 3 and row["median"] == pytest.approx(0.5)
    assert row["p25"] == pytest.approx(0.25) and row["p75"] == pytest.approx(7.75)
    assert row["intervals_prev"] == 0 and row["median_prev"] is None
    hist = {x["bin_start"]: (x["intervals"], x["share"]) for x in r.interval_histogram(o, Q4).to_dicts()}
    assert hist[0] == (2, pytest.approx(2 / 3)) and hist[14] == (1, pytest.approx(1 / 3)) and hist[180][0] == 0
    assert r.interval_histogram(o, EMPTY)["share"].is_null().all()  # no interval: no share rather than 0/0


def test_cohort_matrix_window_zero_cells_and_refunds():
    o = orders([
        ("w1", "w", dt(2025, 9, 1), 1.0, "paid"), ("w2", "w", dt(2025, 10, 2), 1.0, "paid"),  # September cohort: outside
        ("x1", "x", dt(2025, 10, 5), 1.0, "paid"), ("x2", "x", dt(2025, 11, 3), 1.0, "refunded"),
        ("x3", "x", dt(2025, 12, 3), 1.0, "paid"),
        ("y1", "y", dt(2025, 10, 20), 1.0, "paid"), ("y2", "y", dt(2026, 1, 4), 1.0, "paid"),  # January: after the end
        ("v1", "v", dt(2025, 11, 30, 23, 59), 1.0, "paid"),
    ])
    got = {(x["cohort"].month, x["month"]): (x["customers"], x["cohort_size"], x["share"])
           for x in r.cohort_matrix(o, Q4, months=3).to_dicts()}
    # cohorts Oct..Dec: Oct = {x, y}: month 0 both, month 1 (Nov) nobody (x's Nov order was refunded), month 2 x;
    # Nov = {v}: month 0 v, month 1 nobody; no December cohort; w's cohort (Sep) is before the 3-month window
    assert got == {(10, 0): (2, 2, 1.0), (10, 1): (0, 2, 0.0), (10, 2): (1, 2, 0.5),
                   (11, 0): (1, 1, 1.0), (11, 1): (0, 1, 0.0)}


def test_lifecycle_flows_cover_every_customer_and_an_empty_comparison():
    o = orders([
        ("a1", "a", dt(2025, 8, 1), 1.0, "paid"), ("a2", "a", dt(2025, 11, 1), 1.0, "paid"),  # new at Q3 end -> active
        ("b1", "b", dt(2025, 4, 1), 1.0, "paid"),   # Q3 end: 182 d -> churned; Q4 end: churned
        ("c1", "c", dt(2025, 9, 1), 1.0, "paid"),   # Q3 end: new; Q4 end (121 d): at risk
        ("d1", "d", dt(2025, 12, 1), 1.0, "paid"),  # Q4 end: new, not a customer at Q3 end
    ])
    flows = {(x["from_stage"], x["to_stage"]): x["customers"] for x in r.lifecycle_flows(o, Q4, Q3).to_dicts()}
    assert flows == {("new", "active"): 1, ("churned", "churned"): 1, ("new", "at_risk"): 1, ("none", "new"): 1}
    counts = r.lifecycle_counts(o, Q4, EMPTY)
    assert counts["stage"].to_list() == ["new", "active", "at_risk", "churned"]
    assert counts["customers"].to_list() == [1, 1, 1, 1] and counts["share"].to_list() == [0.25] * 4
    assert counts["customers_prev"].to_list() == [0, 0, 0, 0] and counts["share_prev"].is_null().all()
    assert {x["from_stage"] for x in r.lifecycle_flows(o, Q4, EMPTY).to_dicts()} == {"none"}


def _first_buyers():
    """Q4's 90-day cohort: first orders 2025-07-03..10-02 (q*); Q3's: 04-02..07-01 (p*)."""
    rows, items, customers = [], [], []
    back_q, back_p = {"q0", "q1", "q2"}, {"p0", "p4", "p5"}
    for c, day in [(f"q{i}", dt(2025, 7, 10)) for i in range(6)] + [(f"p{i}", dt(2025, 5, 10)) for i in range(6)]:
        rows.append((f"{c}-1", c, day, 50.0, "paid"))
        if c in back_q | back_p:
            rows.append((f"{c}-2", c, dt(day.year, day.month + 1, 1), 10.0, "paid"))  # 22 days later
        i = int(c[1])
        # main category by value: A (30 vs 20) for 0-2, a tie 25/25 for 3 (A first alphabetically), only B for 4-5
        lines = [("A", 30.0), ("B", 20.0)] if i < 3 else [("B", 25.0), ("A", 25.0)] if i == 3 else [("B", 50.0)]
        items += [(f"{c}-1", cat, 1, price) for cat, price in lines]
        customers.append((c, "ads" if i < 3 else "seo"))
    rows.append(("z", "z", dt(2025, 12, 31), 1.0, "paid"))
    items_lf = pl.LazyFrame(items, schema={"order_id": pl.String, "category": pl.String, "quantity": pl.Int64,
                                           "unit_price": pl.Float64}, orient="row")
    customers_lf = pl.LazyFrame(customers, schema={"customer_id": pl.String, "acquisition_channel": pl.String},
                                orient="row")
    return orders(rows), items_lf, customers_lf


def test_drivers_by_main_category_with_comparison_and_ranking():
    o, items, customers = _first_buyers()
    d = r.repurchase_drivers(o, Q4, items, customers, min_buyers=1, comparison=Q3)
    cat = {x["value"]: x for x in d.to_dicts() if x["attribute"] == "category"}
    # category A = q0..q3, 3 came back (q0-q2): 0.75; B = q4, q5: 0/2; overall 3/6 = 0.5 -> lift 1.5 and 0
    assert (cat["A"]["buyers"], cat["A"]["repurchased"]) == (4, 3) and cat["A"]["lift"] == pytest.approx(1.5)
    assert cat["B"]["rate"] == 0 and cat["B"]["lift"] == 0
    # Wilson at k = 0, n = 2: low 0, high (z²/2) / (1 + z²/2) = 1.92073 / 2.92073 = 0.6576
    assert cat["B"]["ci_low"] == pytest.approx(0, abs=1e-12) and cat["B"]["ci_high"] == pytest.approx(0.6576, abs=1e-4)
    # score |lift - 1| sqrt(n): A 0.5 x 2 = 1, B 1 x 1.414: B first among the categories
    order = [x["value"] for x in d.to_dicts() if x["attribute"] == "category"]
    assert order == ["B", "A"] and cat["B"]["score"] == pytest.approx(2 ** 0.5)
    # Q3: A = p0..p3, p0 back: 0.25; B = p4, p5 both back: 1.0; overall 3/6 -> lift_prev 0.5 and 2
    assert cat["A"]["rate_prev"] == pytest.approx(0.25) and cat["B"]["lift_prev"] == pytest.approx(2.0)
    acq = {x["value"]: x for x in d.to_dicts() if x["attribute"] == "acquisition_channel"}
    assert acq["ads"]["rate"] == 1.0 and acq["seo"]["rate"] == 0.0  # ads = q0..q2 all back
    assert r.repurchase_drivers(o, Q4, items, customers, min_buyers=3)["value"].to_list().count("B") == 0  # 2 < 3


def test_channel_repurchase_table():
    o, _, customers = _first_buyers()
    ch = {x["group"]: x for x in r.channel_repurchase(o, customers, Q4, Q3).to_dicts()}
    # ads: q0..q2 3/3 = 1 (lift 2); seo: 0/3 (lift 0); Q3: ads p0 1/3, seo p4, p5 2/3
    assert ch["ads"]["rate"] == 1.0 and ch["ads"]["lift"] == pytest.approx(2.0) and ch["seo"]["lift"] == 0
    assert ch["ads"]["rate_change"] == pytest.approx(2 / 3) and ch["seo"]["rate_prev"] == pytest.approx(2 / 3)
    # z = (1 - 0) / sqrt(0.5 x 0.5 x (1/3 + 1/3)) = 2.449 -> two-sided p = 0.0143
    assert ch["seo"]["p_value"] == pytest.approx(0.0143, abs=1e-3)
    assert r.channel_repurchase(o, None, Q4) is None  # no acquisition channel anywhere
