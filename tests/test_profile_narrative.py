"""Section 1 sentences on hand-made figure tables in both languages, and a smoke test of
each chart on a tiny input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kit.charts import profile as C  # noqa: E402
from kit.charts import title_of  # noqa: E402
from kit.i18n import Locale
from kit.narrative import profile as N  # noqa: E402

ZH, EN = Locale("zh"), Locale("en")

TIERS = pl.DataFrame({  # 1,000 customers in each period (unknown tier: 118, before 33)
    "city_tier": ["一线", "三线", "unknown"],
    "customers": [382.0, 500.0, 118.0], "customers_prev": [367.0, 600.0, 33.0],
    "share": [0.382, 0.5, 0.118], "share_prev": [0.367, 0.6, 0.033], "share_change": [0.015, -0.1, 0.085],
})


def test_share_text_top_group_with_change_then_the_next():
    # 三线 500 vs 一线 382: z = 118 / sqrt(882) = 3.97, p = 7e-5 (larger); its share 50% vs 60% of 1,000:
    # pooled 0.55, z = 0.1 / sqrt(0.55 x 0.45 x 2 / 1000) = 4.49, p = 7e-6 (a change). The largest significant
    # shift (三线, -10 pp) is the top group already and unknown's is not named, so the second group is
    assert N.share_text(TIERS, ZH) == "三线城市占比最高（50.0%），较上期下降10.0个百分点。其次是一线城市（38.2%）。"
    assert N.share_text(TIERS, EN) == ("tier-3 cities are the largest group (50.0%), down 10.0 pp on the previous "
                                         "period. Next come tier-1 cities (38.2%).")


def test_share_text_names_the_mover_and_ties_without_comparison():
    regions = pl.DataFrame({"region": ["华东", "华北", "华南"], "customers": [4000.0, 3500.0, 2500.0],
                            "customers_prev": [4100.0, 2500.0, 3400.0], "share": [0.4, 0.35, 0.25],
                            "share_prev": [0.41, 0.25, 0.34], "share_change": [-0.01, 0.10, -0.09]})
    # 华东 4000 vs 华北 3500: z = 500 / sqrt(7500) = 5.8 (larger). 华东's -1 pp of 10,000: pooled 0.405,
    # z = 0.01 / sqrt(0.405 x 0.595 x 2 / 10000) = 1.44, p = 0.15 > 0.01: about the same. 华北 +10 pp: z = 15.6
    assert N.share_text(regions, ZH) == "华东占比最高（40.0%），与上期基本持平。变化最大的是华北，占比提升10.0个百分点至35.0%。"
    # at alpha 0.2 华东's change passes
    assert N.share_text(regions, ZH, alpha=0.2).startswith("华东占比最高（40.0%），较上期下降1.0个百分点。")
    tied = pl.DataFrame({"device": ["App", "PC"], "sessions": [5.0, 5.0], "share": [0.5, 0.5],
                         "share_prev": [None, None], "share_change": [None, None]})
    assert N.share_text(tied, EN) == "App and PC are tied as the largest groups (50.0% each)."


def test_share_text_similar_groups_and_no_significant_shift_in_both_languages():
    # 60 vs 50 customers: z = 10 / sqrt(110) = 0.95, p = 0.34: not clearly larger. Shares 60/110 = 54.5% and
    # 45.5%, before 55/110 = 50% each: 华东 +4.5 pp, pooled 0.523, z = 0.045 / sqrt(0.523 x 0.477 x 2 / 110)
    # = 0.67, p = 0.50: no significant shift
    table = pl.DataFrame({"region": ["华东", "华北"], "customers": [60.0, 50.0], "customers_prev": [55.0, 55.0],
                          "share": [60 / 110, 50 / 110], "share_prev": [0.5, 0.5],
                          "share_change": [60 / 110 - 0.5, 50 / 110 - 0.5]})
    assert N.share_text(table, ZH) == ("华东（54.5%）与华北（45.5%）占比最高，两者无明显差异。"
                                       "其余各组的占比与上期相比无明显变化。")
    assert N.share_text(table, EN) == ("华东 (54.5%) and 华北 (45.5%) are the largest groups, with no clear difference "
                                       "between them. The other groups' shares are similar to the previous period's.")


def test_age_gender_text_sums_genders_and_gives_the_share_of_women():
    table = pl.DataFrame({
        "age_band": ["25-34", "25-34", "35-44", "unknown"], "gender": ["F", "M", "F", "unknown"],
        "customers": [30.0, 10.0, 20.0, 40.0], "customers_prev": [None] * 4,
        "share": [0.3, 0.1, 0.2, 0.4], "share_prev": [None] * 4,
    })
    # 25-34 = 0.3 + 0.1 = 40% ties with unknown 40%; women among known gender = 50 / 60
    assert N.age_gender_text(table, ZH) == "25-34岁、年龄未知并列占比最高（各40.0%）。已知性别的客户中女性占83.3%。"
    assert N.age_gender_text(table, EN) == ("25-34 and age unknown are tied as the largest groups (40.0% each). "
                                              "Women are 83.3% of the customers whose gender is known.")


def test_new_by_tier_text_names_the_fastest_tiers():
    table = pl.DataFrame({"city_tier": ["一线", "三线", "四线及以下"], "new_customers": [1000.0, 1230.0, 2460.0],
                          "new_customers_prev": [1000.0, 500.0, 1000.0],
                          "new_customers_change_rel": [0.0, 1.46, 1.46]})
    # total 4690 vs 2500 -> +87.6%: z = 2190 / sqrt(7190) = 25.8. 三线 and 四线及以下 tie at +146%; their shares of
    # the new customers rise from 20% to 26.2% (z = 5.9) and from 40% to 52.5% (z = 10.1): both faster than the rest
    assert N.new_by_tier_text(table, ZH) == "本期新客4,690人，较上期增长87.6%。三线城市、四线及以下城市新客增速最快（+146.0%）。"
    assert N.new_by_tier_text(table, EN) == ("4,690 new customers this period, up 87.6% on the previous period. New "
                                               "customers grow fastest in tier-3 cities and tier-4 and smaller cities (+146.0%).")


def test_new_by_tier_text_says_the_tiers_grew_alike_when_no_tier_outgrew_the_rest():
    table = pl.DataFrame({"city_tier": ["一线", "三线", "四线及以下"], "new_customers": [100.0, 123.0, 246.0],
                          "new_customers_prev": [100.0, 100.0, 200.0],
                          "new_customers_change_rel": [0.0, 0.23, 0.23]})
    # total 469 vs 400: z = 69 / sqrt(869) = 2.34, p = 0.019 > 0.01: flat. 三线's share 100/400 = 25% -> 123/469
    # = 26.2%: z = 0.42, p = 0.67: not faster than the others
    assert N.new_by_tier_text(table, ZH) == "本期新客469人，与上期持平。各城市级别的新客增速无明显差异。"
    assert N.new_by_tier_text(table, EN) == ("469 new customers this period, flat on the previous period. New customers "
                                               "grew at similar rates in every city tier.")


def test_heatmap_text_peaks_and_busiest_day():
    heat = pl.DataFrame({"weekday": [1, 1, 6, 6], "hour": [12, 20, 12, 20], "visits": [26.0, 26.0, 39.0, 13.0],
                         "share": [1 / 4, 1 / 4, 3 / 8, 1 / 8]})
    peaks = pl.DataFrame({"hour": [12, 20], "visits": [65.0, 39.0], "share": [0.625, 0.375]})
    # 13 Mondays of 4 +- 1 visits a day, 13 Saturdays of 4 +- 0.5: Welch t = 0 -> similar; the busiest-day test
    # itself is in tests/test_weekdays.py
    days = pl.DataFrame({"weekday": [1, 6], "days": [13.0, 13.0], "visits": [52.0, 52.0], "visits_per_day": [4.0, 4.0],
                         "sd_per_day": [1.0, 0.5], "share": [0.5, 0.5]})
    assert N.heatmap_text(heat, peaks, ZH, days) == "访问高峰出现在12:00、20:00。一周各天的日均访问量无明显差异（每天4次）。"
    assert N.heatmap_text(heat, peaks, EN, days) == ("Visits peak at 12:00 and 20:00. Visits per day are similar on "
                                                     "every weekday (4 a day).")
    assert N.heatmap_text(heat, peaks, EN) == "Visits peak at 12:00 and 20:00."  # without the weekdays: no day named


def test_aov_and_long_tail_texts():
    overall = pl.DataFrame({"paid_orders": [4.0], "gmv": [260.0], "aov": [65.0], "aov_prev": [50.0],
                            "aov_change_rel": [0.3]})
    by_cat = pl.DataFrame({"category": ["z", "x"], "aov": [80.0, 55.0]})
    assert N.aov_text(overall, by_cat, Locale("en", "$")) == ("AOV is $65.00 this period, up 30.0% on the previous period. "
                                                      "z has the highest spend per order ($80.00) and x the lowest ($55.00).")
    tail = pl.DataFrame({"category": ["茶具"], "gmv_share": [0.02], "gmv_change_rel": [1.5]})
    assert N.long_tail_text(tail, True, ZH) == "长尾品类中增长最快的是茶具（+150.0%，占GMV 2.0%）。"
    assert N.long_tail_text(tail.clear(), False, EN) == "Without a comparison period the growth of small categories is unknown."


def test_no_data_sentence():
    empty = TIERS.clear()
    assert N.share_text(empty, ZH) == "本期没有可用数据。"


# ------------------------------------------------------------------ charts (smoke)

SHARES = pl.DataFrame({"device": ["App", "PC"], "sessions": [2.0, 1.0], "share": [2 / 3, 1 / 3],
                       "share_prev": [0.5, 0.5]})
CHARTS = {
    "pyramid": lambda: C.age_gender_pyramid(pl.DataFrame({"age_band": ["25-34", "25-34", "unknown"],
                                                          "gender": ["F", "M", "unknown"], "share": [0.5, 0.3, 0.2]}), ZH),
    "share_bars": lambda: C.share_bars(SHARES, EN, "profile.chart.device", "profile.axis.share_sessions"),
    "province_map": lambda: C.province_map(pl.DataFrame({"province": ["广东省", "北京"], "share": [0.6, 0.4]}), ZH),
    "new_by_tier": lambda: C.new_by_tier_bars(pl.DataFrame({"city_tier": ["一线", "三线"], "new_customers": [3.0, 5.0],
                                                           "new_customers_change_rel": [None, 0.25]}), ZH),
    "source": lambda: C.source_chart(pl.DataFrame({"source": ["ads", "seo"], "sessions": [2.0, 1.0],
                                                   "share": [2 / 3, 1 / 3], "visit_to_pay": [0.5, None]}), EN),
    "duration": lambda: C.duration_histogram(pl.DataFrame({"bin_start_min": [0.0, 1.0], "bin_end_min": [1.0, None],
                                                           "share": [0.4, 0.6]}), ZH),
    "heatmap": lambda: C.visit_heatmap_chart(pl.DataFrame({"weekday": [1, 1, 2, 2], "hour": [0, 1, 0, 1],
                                                           "visits": [1.0, 2.0, 0.0, 3.0]}),
                                             pl.DataFrame({"hour": [1]}), ZH),
    "order_value": lambda: C.order_value_histogram(pl.DataFrame({"bin_start": [0.0, 5.0], "bin_end": [5.0, None],
                                                                 "share": [0.5, 0.5]}), Locale("en", "$")),
    "aov_category": lambda: C.aov_category_bars(pl.DataFrame({"category": ["x", "y"], "aov": [55.0, None]}), ZH),
    "category": lambda: C.category_bars(pl.DataFrame({"category": ["x", "y"], "gmv": [10.0, 5.0],
                                                      "gmv_share": [2 / 3, 1 / 3], "buyer_share": [0.5, 1.0]}), ZH),
    "preference": lambda: C.preference_heatmap(pl.DataFrame({"region": ["华东", "华东", "华北"],
                                                             "category": ["x", "y", "x"], "index": [80.0, 150.0, 120.0]}),
                                               "region", EN),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_draws_with_a_title(name):
    chart = CHARTS[name]()
    fig = chart if isinstance(chart, Figure) else chart.figure  # multi-panel charts return their Figure
    assert isinstance(chart, Figure) == (name == "source")
    assert title_of(fig)
    plt.close(fig)


def test_a_chart_draws_on_a_given_axes_so_figures_compose():
    fig, (left, right) = plt.subplots(1, 2)
    assert C.share_bars(SHARES, EN, "profile.chart.device", ax=right) is right
    assert right.get_title() == "Sessions by device" and not left.get_title()
    assert title_of(fig) == "Sessions by device"
    plt.close(fig)


def test_quality_text_names_the_most_returned_and_lowest_rated_category():
    from kit.narrative.profile import quality_text

    table = pl.DataFrame({"category": ["服饰", "食品", "图书"], "lines": [10.0, 30.0, 10.0],
                          "return_rate": [0.3, 0.0, 0.1], "rating": [3.2, 4.6, None]})
    # overall = (0.3*10 + 0*30 + 0.1*10) / 50 = 4 / 50 = 8.0%
    assert quality_text(table, ZH) == "退货率最高的品类是服饰（30.0%），全店为8.0%。评分最低的是服饰（平均3.2分）。"
    assert quality_text(table, EN).startswith("服饰 is returned most often (30.0% of lines, against 8.0% for the shop).")
