"""Each rule of the diagnosis on hand-built figures: fires, does not fire, and the
threshold boundaries (reaching a threshold triggers it)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from kit.diagnosis import rules
from kit.i18n import Locale
from kit.params import Diagnosis

CTX = rules.Context(loc=Locale("zh", "¥"), thresholds=Diagnosis(), aov=100.0)
EN = rules.Context(loc=Locale("en", "$"), thresholds=Diagnosis(), aov=100.0)


def severities(findings):
    return [f.severity for f in findings]


# ---------------------------------------------------------------- product quality

def quality(rate, rating, returned_value=1000.0):
    """服饰 (100 lines worth 10,000) beside 图书, whose 900 lines are returned 5% of the time."""
    return pl.DataFrame({"category": ["服饰", "图书"], "return_rate": [rate, 0.05], "rating": [rating, 4.6],
                         "returned_value": [returned_value, 450.0], "lines": [100.0, 900.0],
                         "gmv": [10_000.0, 9_000.0], "return_rate_prev": [None, None]},
                        schema_overrides={"return_rate_prev": pl.Float64, "rating": pl.Float64})


@pytest.mark.parametrize(("rate", "rating", "expected"), [
    (0.15, 3.8, ["high"]),      # both thresholds reached exactly (return_rate_high 0.15, rating_low 3.8)
    (0.149, 3.8, ["medium"]),   # returns at half the threshold or more with a low rating
    (0.075, 3.8, ["medium"]),
    (0.07, 3.8, []),
    (0.30, 3.81, []),           # rating above the threshold: not a quality problem by this rule
    (0.15, None, ["medium"]),   # returns high, rating unknown
])
def test_product_quality_boundaries(rate, rating, expected):
    assert severities(rules.product_quality(quality(rate, rating), CTX)) == expected


def test_product_quality_money_and_text():
    (f,) = rules.product_quality(quality(0.3, 3.2, 2500.0), CTX)
    # the returns above the other categories' 5%: sales 10,000 x (30% - 5%) = 2,500 (not all 3,000 returned)
    assert f.money_at_stake == pytest.approx(2500.0) and f.where == {"category": "服饰"}
    assert f.reference["kind"] == "shop_norm" and "5.0%" in f.reference["label"]
    assert f.stake == "returns" and f.owner == "merchandising" and f.area == "product_ux"
    assert f.action["expected_recovery"] == pytest.approx(1250.0) and "50%" in f.action["assumption"]
    assert "17.5%" in f.action["target"]  # halfway from 30% back to the norm
    assert "服饰" in f.title and "30.0%" in f.title and "3.2" in f.title
    assert "¥2,500" in f.recommendations[0]
    (g,) = rules.product_quality(quality(0.3, 3.2, 2500.0), EN)
    assert "$2,500" in g.recommendations[0] and "returns" in g.recommendations[0]


# ---------------------------------------------------------------- channel ROI

def roi(roi_now, roi_prev, spend=1000.0):
    return pl.DataFrame({"channel": ["信息流广告"], "spend": [spend], "roi": [roi_now], "roi_prev": [roi_prev],
                         "roi_change_rel": [(roi_now - roi_prev) / roi_prev], "cac": [10.0], "cac_prev": [8.0]})


@pytest.mark.parametrize(("now", "prev", "expected"), [
    (6.5, 10.0, ["high"]),     # -35% reaches roi_drop_high
    (8.0, 10.0, ["medium"]),   # -20% reaches roi_drop_medium
    (8.1, 10.0, []),           # -19%
    (12.0, 10.0, []),          # rising
])
def test_channel_roi_drop_boundaries(now, prev, expected):
    assert severities(rules.channel_roi_drop(roi(now, prev), CTX)) == expected


def test_channel_roi_money_is_the_gmv_the_spend_no_longer_returns():
    (f,) = rules.channel_roi_drop(roi(5.0, 10.0, spend=2000.0), CTX)
    assert f.money_at_stake == pytest.approx((10.0 - 5.0) * 2000.0)


# ---------------------------------------------------------------- segments and regions

def sizes(segment, now, before, share=None, share_prev=None, by=None):
    frame = pl.DataFrame({"segment": [segment], "customers": [float(now)], "customers_prev": [float(before)],
                          "customers_change": [float(now - before)], "customers_change_rel": [(now - before) / before],
                          "share": [share], "share_prev": [share_prev],
                          "share_change_rel": [None if share is None else (share - share_prev) / share_prev]},
                         schema_overrides={"share": pl.Float64, "share_prev": pl.Float64, "share_change_rel": pl.Float64})
    return frame.with_columns(pl.lit(by).alias("region")) if by else frame


PROFILES = pl.DataFrame({"segment": ["important_value", "general_winback"], "customers": [100, 900],
                         "period_revenue": [300_000.0, 90_000.0]})


def test_high_value_shrink_severity_significance_and_money():
    # 1000 -> 840: -16% (>= 15% high); |840-1000| / sqrt(1840) = 3.7 sd: more than chance
    (f,) = rules.high_value_shrink(sizes("important_value", 840, 1000), PROFILES, frozenset({"important_value"}), CTX)
    assert f.severity == "high" and f.target_size == 160
    assert f.money_at_stake == pytest.approx(160 * 3000.0)  # period revenue per important_value customer
    # 1000 -> 880: -12%: medium (120 / sqrt(1880) = 2.8 sd, p = 0.006)
    assert severities(rules.high_value_shrink(sizes("important_value", 880, 1000), PROFILES,
                                              frozenset({"important_value"}), CTX)) == ["medium"]
    # 1000 -> 900: -10% but 100 / sqrt(1900) = 2.3 sd, p = 0.02 > significance 0.01: not reported
    assert rules.high_value_shrink(sizes("important_value", 900, 1000), PROFILES, frozenset({"important_value"}), CTX) == []
    # 20 -> 16: -20% but 4 customers is chance (|4| / sqrt(36) = 0.67 sd)
    assert rules.high_value_shrink(sizes("important_value", 16, 20), PROFILES, frozenset({"important_value"}), CTX) == []
    # another segment is not watched
    assert rules.high_value_shrink(sizes("general_value", 500, 1000), PROFILES, frozenset({"important_value"}), CTX) == []


def test_churned_growth_reads_the_share_not_the_count():
    # count +20% but share flat (the whole base grew): no finding
    flat = sizes("general_winback", 1200, 1000, share=0.5, share_prev=0.5)
    assert rules.churned_growth(flat, PROFILES, frozenset({"general_winback"}), CTX) == []
    # share 0.40 -> 0.48 (+20%), count 1000 -> 1200 (beyond chance): high
    grown = sizes("general_winback", 1200, 1000, share=0.48, share_prev=0.40, by="东北")
    (f,) = rules.churned_growth(grown, PROFILES, frozenset({"general_winback"}), CTX, by="region")
    assert f.severity == "high" and f.where == {"region": "东北", "segment": "general_winback"}
    assert f.id == "rfm.churned_growth.region.东北.general_winback"


def test_churn_by_place_against_the_rest_of_the_shop():
    churn = pl.DataFrame({"region": ["华东", "东北", "西北"], "was_active": [1000, 200, 20], "lost": [550, 150, 15],
                          "churn_rate": [0.55, 0.75, 0.75], "value_before": [1e5, 40_000.0, 2_000.0]})
    (f,) = rules.churn_by_place(churn, CTX)
    # 东北 0.75 vs the rest (550 + 15) / 1020 = 0.554: +35% (>= 20%: high); z = 5.1
    rest = 565 / 1020
    assert f.where == {"region": "东北"} and f.severity == "high"
    assert f.money_at_stake == pytest.approx((0.75 - rest) * 200 * 200.0)  # 40,000 / 200 paid per customer
    assert f.reference["kind"] == "rest_of_shop" and f.stake == "customers"
    # 西北 has the same rate on 20 customers: chance (z = 1.8)
    assert all(x.where["region"] != "西北" for x in rules.churn_by_place(churn, CTX))


def test_churn_by_place_money_is_the_gmv_of_its_former_share():
    churn = pl.DataFrame({"region": ["华东", "东北"], "was_active": [1000, 200], "lost": [550, 150],
                          "churn_rate": [0.55, 0.75], "value_before": [1e5, 40_000.0]})
    gmv = pl.DataFrame({"region": ["东北"], "share": [0.03], "share_before": [0.06], "share_prev": [0.05],
                        "rest_gmv": [970_000.0], "before_label": ["2025-01-01 – 2025-06-30"]})
    (f,) = rules.churn_by_place(churn, CTX, gmv=gmv)
    # at its former 6% the region would have made 970,000 x 0.06 / 0.94 = 61,915; it made 970,000 x 0.03 / 0.97
    assert f.money_at_stake == pytest.approx(970_000 * (0.06 / 0.94 - 0.03 / 0.97))
    assert f.reference["kind"] == "former_share" and "6.0%" in f.reference["label"]
    assert "2025-01-01" in f.reference["label"]
    # against the comparison period's 5% only part of it is new
    assert f.explains_change == pytest.approx(970_000 * (0.05 / 0.95 - 0.03 / 0.97))


def test_churn_by_place_medium_boundary():
    # 东北 0.605 vs the rest 0.55 -> +10% exactly: medium, with enough customers to be more than chance
    churn = pl.DataFrame({"region": ["华东", "东北"], "was_active": [20_000, 20_000], "lost": [11_000, 12_100],
                          "churn_rate": [0.55, 0.605], "value_before": [1.0, 1.0]})
    assert severities(rules.churn_by_place(churn, CTX)) == ["medium"]


def test_concentration_thresholds():
    def conc(share):
        return pl.DataFrame({"customers": [1000], "top_customers": [200], "top_revenue": [1.0], "top_share": [share]})
    assert severities(rules.concentration_risk(conc(0.80), CTX)) == ["high"]
    assert severities(rules.concentration_risk(conc(0.65), CTX)) == ["medium"]
    assert rules.concentration_risk(conc(0.6499), CTX) == []


# ---------------------------------------------------------------- funnel and carts

FUNNEL = pl.DataFrame({
    "step_index": [1, 2, 3], "step": ["view", "checkout", "pay"],
    "count": [10_000.0, 2_000.0, 1_200.0], "count_prev": [10_000.0, 2_000.0, 1_400.0],
    "step_conversion": [1.0, 0.2, 0.6], "step_conversion_prev": [1.0, 0.2, 0.7],
    "is_weakest": [False, True, False],
})


def test_overall_step_drop_is_significant_and_costs_the_lost_payments():
    (f,) = rules.funnel_step_drops(FUNNEL, {}, CTX)
    # pay: 0.7 -> 0.6 = -14.3% (>= 10%: high); lost = 0.1 x 2000 entered x onward 1 (pay is last) = 200 payments
    assert f.severity == "high" and f.where == {"step": "pay"}
    assert f.money_at_stake == pytest.approx(200 * 100.0)
    assert f.reference["kind"] == "comparison" and f.explains_change == f.money_at_stake
    assert f.stake == "orders" and f.owner == "product_tech" and f.action["audience_size"] == 2000


def test_a_lost_payment_is_worth_the_aov_of_its_device():
    ctx = rules.Context(loc=Locale("zh"), aov=100.0, aov_by={("device", "App"): 250.0})
    by = pl.DataFrame({"group": ["App", "App"], "step_index": [2, 3], "step": ["checkout", "pay"],
                       "rate": [0.2, 0.5], "rate_prev": [0.2, 0.7], "entered": [10_000.0, 2_000.0],
                       "converted": [2_000.0, 1_000.0]})
    (f,) = rules.funnel_step_drops(None, {"device": by}, ctx)
    assert f.money_at_stake == pytest.approx(0.2 * 2000 * 1.0 * 250.0)


def test_step_drop_below_the_threshold_or_explained_by_a_dated_drop_is_not_reported():
    small = FUNNEL.with_columns(pl.Series("step_conversion", [1.0, 0.2, 0.67]))  # -4.3%
    assert rules.funnel_step_drops(small, {}, CTX) == []
    assert rules.funnel_step_drops(FUNNEL, {}, CTX, explained={("all", "all", "pay")}) == []


def test_group_step_drop_needs_significance():
    by = pl.DataFrame({"group": ["App", "App"], "step_index": [2, 3], "step": ["checkout", "pay"],
                       "rate": [0.2, 0.5], "rate_prev": [0.2, 0.7], "entered": [100.0, 20.0],
                       "converted": [20.0, 10.0]})
    # pay 0.7 -> 0.5 on 20 journeys: z = 0.2 / sqrt(0.6 x 0.4 x 2 / 20) = 1.29, p = 0.2: chance
    assert rules.funnel_step_drops(None, {"device": by}, CTX) == []
    big = by.with_columns(pl.Series("entered", [10_000.0, 2_000.0]), pl.Series("converted", [2_000.0, 1_000.0]))
    (f,) = rules.funnel_step_drops(None, {"device": big}, CTX)
    assert f.where == {"device": "App", "step": "pay"} and f.id == "funnel.step_drop.device.App.pay"


def drop(dimension, group, step, start, end, rel):
    return {"dimension": dimension, "group": group, "step": step, "start": start, "end": end,
            "days": (end - start).days + 1, "rate_before": 0.7, "rate_during": 0.7 * (1 - rel), "rate_after": 0.7,
            "abs_drop": 0.7 * rel, "rel_drop": rel, "p_value": 1e-6, "lost_conversions": 100.0,
            "entered_during": 500, "converted_during": 200}


def test_dated_drops_of_one_incident_are_one_finding_where_it_is_sharpest():
    drops = pl.DataFrame([
        drop("all", "all", "pay", date(2025, 11, 4), date(2025, 11, 16), 0.2),
        drop("device", "App", "pay", date(2025, 11, 3), date(2025, 11, 16), 0.45),
        drop("source", "自然搜索", "pay", date(2025, 11, 3), date(2025, 11, 17), 0.15),
        drop("device", "PC", "pay", date(2025, 12, 20), date(2025, 12, 24), 0.06),   # another incident
    ])
    found = rules.dated_drops(drops, {"pay": 1.0}, CTX)
    assert [f.where for f in found] == [{"device": "App", "step": "pay"}, {"device": "PC", "step": "pay"}]
    app, pc = found
    assert app.severity == "high" and pc.severity == "medium"  # 6% >= step_drop_medium 5%
    assert app.evidence["start"] == "2025-11-03" and app.evidence["end"] == "2025-11-16"
    assert "全店" in app.evidence["also_seen_in"] and "自然搜索" in app.evidence["also_seen_in"]
    assert app.money_at_stake == pytest.approx(100 * 1.0 * 100.0)
    assert "11-03" in app.title and "11-16" in app.title
    assert app.reference["kind"] == "before_drop" and "70.0%" in app.reference["label"]
    # the rate came back: a post-incident action (win back 30%, monitor), for the failed journeys
    assert "监控" in app.action["lever"] and app.action["expected_recovery"] == pytest.approx(0.3 * 10_000)
    assert app.action["audience_size"] == round(500 * (1 - 0.7 * (1 - 0.45)))  # entered x (1 - rate during)


def test_a_drop_that_has_not_recovered_is_to_be_fixed():
    ongoing = dict(drop("device", "App", "pay", date(2025, 12, 1), date(2025, 12, 31), 0.4), rate_after=None)
    (f,) = rules.dated_drops(pl.DataFrame([ongoing]), {"pay": 1.0}, CTX)
    assert "立即排查" in f.action["lever"] and f.action["expected_recovery"] == pytest.approx(0.5 * f.money_at_stake)


@pytest.mark.parametrize(("rate", "expected"), [(0.80, ["high"]), (0.70, ["medium"]), (0.6999, [])])
def test_cart_abandonment_thresholds(rate, expected):
    cart = pl.DataFrame({"carts": [1000.0], "abandoned": [rate * 1000], "abandoned_value": [rate * 1000 * 50.0],
                         "abandonment_rate": [rate], "abandonment_rate_prev": [None]},
                        schema_overrides={"abandonment_rate_prev": pl.Float64})
    found = rules.cart_abandonment(cart, CTX)
    assert severities(found) == expected
    if found:  # carts abandoned beyond the tolerated 70%, at 50 each
        assert found[0].money_at_stake == pytest.approx((rate - 0.70) * 1000 * 50.0)


# ---------------------------------------------------------------- repurchase

OVERALL = pl.DataFrame({"buyers": [1000.0], "buyers_90": [1000.0], "repurchased_90": [200.0], "rate_90": [0.2],
                        "buyers_90_prev": [1000.0], "rate_90_prev": [0.2]})


def by_channel(n, k):
    return pl.DataFrame({"group": ["信息流广告"], "buyers": [n], "buyers_90": [n], "repurchased_90": [k],
                         "rate_90": [k / n], "rate_90_prev": [None]}, schema_overrides={"rate_90_prev": pl.Float64})


def test_first_repurchase_of_a_channel_far_below_the_rest():
    # feed: 6/300 = 2%; the rest: 194/700 = 27.7%: significant, and 2% <= repurchase_low 10%: high
    (f,) = rules.first_repurchase(by_channel(300.0, 6.0), OVERALL, CTX)
    assert f.severity == "high" and f.where == {"acquisition_channel": "信息流广告"}
    assert f.evidence["overall_rate"] == pytest.approx(194 / 700)
    assert f.money_at_stake == pytest.approx((194 / 700 - 0.02) * 300 * 100.0)
    assert f.stake == "customers" and f.reference["kind"] == "rest_of_shop"
    # a paid channel: its spend on customers who do not come back as the others do
    paid = rules.Context(loc=Locale("zh"), aov=100.0, spend={"信息流广告": 30_000.0})
    (g,) = rules.first_repurchase(by_channel(300.0, 6.0), OVERALL, paid)
    assert g.money_at_stake == pytest.approx(30_000 * (194 / 700 - 0.02)) and g.stake == "spend"
    assert g.owner == "marketing" and "投放" in g.action["lever"]
    # 36/300 = 12% vs the rest 164/700 = 23.4%: below half? no (11.7%): nothing
    assert rules.first_repurchase(by_channel(300.0, 36.0), OVERALL, CTX) == []
    # 30/300 = 10% vs 170/700 = 24.3%: at the low threshold exactly: high
    assert severities(rules.first_repurchase(by_channel(300.0, 30.0), OVERALL, CTX)) == ["high"]
    # a tiny channel is never significant: 0/5
    assert rules.first_repurchase(by_channel(5.0, 0.0), OVERALL, CTX) == []


def test_falling_repurchase_overall():
    falling = OVERALL.with_columns(pl.lit(0.15).alias("rate_90"))  # 0.20 -> 0.15: -25%, 1000 buyers each side
    (f,) = rules.falling_repurchase(falling, CTX)
    assert f.severity == "high" and f.money_at_stake == pytest.approx(0.05 * 1000 * 100.0)
    assert rules.falling_repurchase(OVERALL, CTX) == []
