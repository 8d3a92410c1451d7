"""Sentences of sections 2.1 and 2.2 in both languages, from hand-built figure tables."""

from __future__ import annotations

import polars as pl
import pytest

from kit.i18n import TEXT, Locale
from kit.narrative import conversion as nv

ZH, EN = Locale("zh"), Locale("en")


def funnel(prev: bool = True) -> pl.DataFrame:
    # 1000 -> 600 -> 300 -> 120 -> 100: step conversion 0.6, 0.5, 0.4, 0.8333; weakest = checkout (0.4)
    # comparison: checkout converted 0.5, so the change is -10 points
    return pl.DataFrame({
        "step_index": [1, 2, 3, 4, 5],
        "step": ["view", "product_view", "add_to_cart", "checkout", "pay"],
        "count": [1000.0, 600, 300, 120, 100],
        "step_conversion": [1.0, 0.6, 0.5, 0.4, 100 / 120],
        "step_conversion_prev": [1.0, 0.6, 0.5, 0.5, 0.8] if prev else [None] * 5,
        "step_conversion_change": [0.0, 0, 0, -0.1, 100 / 120 - 0.8] if prev else [None] * 5,
        "from_start": [1.0, 0.6, 0.3, 0.12, 0.1],
        "is_weakest": [False, False, False, True, False],
    }, schema_overrides={"step_conversion_prev": pl.Float64, "step_conversion_change": pl.Float64})


def test_funnel_sentences_zh_and_en():
    zh = nv.funnel_sentences(funnel(), ZH)
    assert zh[0] == "最薄弱的环节是「提交订单」：到达「加入购物车」的会话中只有40.0%继续到这一步，对比期为50.0%（-10.0个百分点）。"
    assert zh[1] == "共1,000个会话，其中100个完成「支付」，整体转化率10.0%。"
    en = nv.funnel_sentences(funnel(), EN, unit="user")
    assert en[0] == ("The weakest step is Checkout: only 40.0% of the users that reached Add to cart went on to it, "
                     "against 50.0% in the comparison period (-10.0 pp).")
    assert en[1] == "Of 1,000 users, 100 reached Pay: an overall conversion of 10.0%."
    assert "comparison" not in nv.funnel_sentences(funnel(prev=False), EN)[0]


def test_funnel_sentences_without_journeys():
    empty = funnel().with_columns(pl.lit(0.0).alias("count"), pl.lit(False).alias("is_weakest"))
    assert nv.funnel_sentences(empty, EN) == [TEXT["conv.no_journeys"]["en"]]


def by_device(p_worst: float) -> pl.DataFrame:
    return pl.DataFrame({
        "group": ["PC", "App", "小程序"], "entered": [200.0, 500, 300], "converted": [10.0, 60, 30],
        "rate": [0.05, 0.12, 0.10], "rest_rate": [90 / 800, 0.08, 0.1143],
        "p_value": [p_worst, 0.01, 0.4], "dimension": ["device"] * 3,
    })


def test_worst_group_sentence_significant_or_not():
    # PC 5.0% vs the rest 90/800 = 11.25%: gap 6.25 points -> "6.3" (half away from zero)
    zh = nv.worst_group_sentence(by_device(0.0004), ZH)
    assert zh == "按设备看，「PC」转化最差：5.0%，比其余会话（11.3%）低6.3个百分点（p < 0.001，差异显著）。"
    en = nv.worst_group_sentence(by_device(0.2), EN)
    assert en == ("By device, PC converts lowest: 5.0% against 11.3% for the other sessions "
                  "(6.3 pp lower; p = 0.200, not a significant difference).")


def test_worst_group_needs_two_groups_and_translates_visitor():
    assert nv.worst_group_sentence(by_device(0.01).head(1), EN) is None
    visitors = pl.DataFrame({"group": ["new", "returning"], "entered": [10.0, 10], "converted": [1.0, 3],
                             "rate": [0.1, 0.3], "rest_rate": [0.3, 0.1], "p_value": [0.03, 0.03],
                             "dimension": ["visitor", "visitor"]})
    assert "「新访客」" in nv.worst_group_sentence(visitors, ZH)
    assert nv.worst_group_sentence(visitors, EN).startswith("By new vs returning, New converts worst")


def test_time_to_convert_sentence():
    ttc = pl.DataFrame({"converted": [5.0], "median_minutes": [42.0], "p90_minutes": [180.0]})
    assert nv.time_to_convert_sentence(ttc, EN) == (
        "Sessions that paid took a median of 42 min from their first product view to pay; 90% within 3.0 h.")
    assert nv.time_to_convert_sentence(ttc, ZH) == "完成支付的会话从首次浏览商品到支付的中位时长为42分钟，90%在3.0小时以内。"
    none = pl.DataFrame({"converted": [0.0], "median_minutes": [None], "p90_minutes": [None]},
                        schema_overrides={"median_minutes": pl.Float64, "p90_minutes": pl.Float64})
    assert nv.time_to_convert_sentence(none, EN) is None


def test_duration_units():
    assert nv.duration(5.5, EN) == "5.5 min"
    assert nv.duration(90, EN) == "1.5 h"
    assert nv.duration(3 * 1440, ZH) == "3.0天"


def cart_summary(prev: float | None) -> pl.DataFrame:
    return pl.DataFrame({
        "carts": [400.0], "abandoned": [300.0], "abandonment_rate": [0.75], "abandoned_value": [12345.6],
        "abandonment_rate_prev": [prev], "abandonment_rate_change": [None if prev is None else 0.75 - prev],
        "median_hours_to_pay": [0.5], "p90_hours_to_pay": [6.0],
    }, schema_overrides={"abandonment_rate_prev": pl.Float64, "abandonment_rate_change": pl.Float64})


def cart_by_source() -> pl.DataFrame:
    return pl.DataFrame({"group": ["搜索", "直播", "unknown"], "carts": [100.0, 250, 50],
                         "abandonment_rate": [0.9, 0.7, 0.6], "dimension": ["source"] * 3})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cart_sentences(lang):
    s = nv.cart_sentences(cart_summary(0.70), [cart_by_source()], Locale(lang, "¥"))
    assert len(s) == 3
    if lang == "zh":
        assert s[0] == ("400个加购会话中有300个在24小时内未支付，购物车放弃率75.0%，对比期为70.0%（+5.0个百分点）；"
                        "放弃的购物车价值¥1.2万。")
        assert s[1] == "按流量来源看，「搜索」放弃率最高：90.0%（100个购物车）。"
        assert s[2] == "已支付的购物车从加购到支付的中位时长为30分钟，90%在6.0小时以内。"
    else:
        assert s[0] == ("300 of 400 carts were not paid within 24 hours: a cart abandonment of 75.0%, against 70.0% "
                        "in the comparison period (+5.0 pp); the abandoned carts were worth ¥12,346.")
        assert s[1] == "By source, 搜索 abandons most: 90.0% of 100 carts."
        assert s[2] == "Paid carts were paid a median of 30 min after the add to cart; 90% within 6.0 h."


def test_cart_sentences_without_comparison_or_carts():
    s = nv.cart_sentences(cart_summary(None), [], EN, window_hours=12)
    assert s[0].startswith("300 of 400 carts were not paid within 12 hours") and "comparison" not in s[0]
    empty = cart_summary(None).with_columns(pl.lit(0.0).alias("carts"))
    assert nv.cart_sentences(empty, [], ZH) == [TEXT["conv.no_carts"]["zh"]]


def test_every_conv_key_has_both_languages_and_same_placeholders():
    import string

    for key, entry in TEXT.items():
        if not key.startswith("conv."):
            continue
        assert set(entry) == {"zh", "en"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("zh", "en")]
        # the English time sentence capitalises the unit at the start (unit_cap), zh does not need it
        assert fields[0] - {"unit"} <= fields[1] - {"unit_cap"} | {"unit"}, key


def test_roi_sentence_names_best_worst_and_the_largest_fall():
    from kit.narrative.conversion import roi_sentence

    roi = pl.DataFrame({"channel": ["付费搜索", "信息流广告", "邮件短信"], "roi": [5.0, 1.5, 8.0],
                        "roi_prev": [6.0, 3.0, None], "roi_change_rel": [-1 / 6, -0.5, None]})
    # best 邮件短信 8.00, worst 信息流广告 1.50; largest fall: 信息流广告 -50% (3.00 -> 1.50)
    assert roi_sentence(roi, ZH) == ("投入产出比最高的渠道是邮件短信（ROI 8.00），最低的是信息流广告（1.50）。"
                                       "信息流广告的ROI由上期的3.00降至1.50。")
    assert "fell from 3.00 to 1.50" in roi_sentence(roi, EN)
