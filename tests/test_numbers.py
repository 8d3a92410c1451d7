"""How numbers read (kit.i18n.numbers) and the Locale that writes them in the report's language."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from kit.i18n import Locale, tidy
from kit.i18n.numbers import (
    direction,
    fmt_change,
    fmt_int,
    fmt_money,
    fmt_num,
    fmt_pct,
    good_when_up,
    tick_labels,
    tone,
)

ZH, EN = Locale("zh"), Locale("en")


# ------------------------------------------------------------------ fmt_*

def test_fmt_int_thousands_and_half_up_rounding():
    assert fmt_int(1234567) == "1,234,567"
    # Python's round() gives 2 for 2.5 (to even); readers expect 3, and -2.5 -> -3
    assert fmt_int(2.5) == "3"
    assert fmt_int(-2.5) == "-3"
    assert fmt_int(999.4) == "999"
    assert fmt_int(np.int64(12000)) == "12,000"


def test_missing_values_show_a_dash():
    for fmt in (EN.integer, EN.number, EN.money, EN.pct, EN.pp, EN.change):
        assert fmt(None) == "–"
        assert fmt(float("nan")) == "–"
        assert fmt(math.inf) == "–"
    assert fmt_num(np.float32("nan")) == "–"


def test_fmt_num_digits():
    assert fmt_num(1234.56) == "1,234.6"
    assert fmt_num(1234.56, 0) == "1,235"
    # 2.675 is stored as 2.67499999...; shown as written it rounds up to 2.68
    assert fmt_num(2.675, 2) == "2.68"
    assert fmt_num(-0.04) == "0.0"  # rounds to zero: no "-0.0"


def test_fmt_money():
    assert EN.money(12345.6) == "¥12,346"
    assert ZH.money(35.2) == "¥35.20"  # below 100 keeps cents
    assert ZH.money(-1234.5) == "-¥1,235"  # sign before the symbol, half away from zero
    assert Locale("en", "$").money(-35.2) == "-$35.20"
    assert ZH.money(-0.001) == "¥0.00"  # no "-¥0.00"
    assert Locale("en", "€").money(1234.5, digits=1) == "€1,234.5"


def test_chinese_money_in_wan_and_yi():
    # the GMV: 5,686,496 = 568.6496万, one decimal, half away from zero
    assert ZH.money(5_686_496) == "¥568.6万"
    assert EN.money(5_686_496) == "¥5,686,496"  # English keeps the whole number
    assert ZH.money(5_686_500) == "¥568.7万"
    assert ZH.money(123_456_789) == "¥1.23亿"
    assert ZH.money(-248_822) == "-¥24.9万"
    # below 10,000: whole units from 100, two decimals below
    assert [ZH.money(x) for x in (9_600, 100, 99.996, 99.994, 35.2)] == ["¥9,600", "¥100", "¥100", "¥99.99", "¥35.20"]
    # the unit follows the number as rounded: 9,999.6 is written 10,000, so 1.0万
    assert ZH.money(9_999.4) == "¥9,999"
    assert ZH.money(9_999.6) == "¥1.0万"
    assert ZH.money(99_949_999) == "¥9,995.0万"
    assert ZH.money(99_999_999) == "¥1.00亿"  # not 10,000.0万
    assert ZH.money(10_000) == "¥1.0万"
    assert ZH.money(-0.004) == "¥0.00"
    assert fmt_money(5_686_496, "¥") == "¥5,686,496"  # without a language: the plain rule


def test_a_figure_reads_the_same_in_a_table_and_in_a_sentence():
    from kit.display import table_html

    gmv = 5_686_496.0
    sentence = ZH.t("kpi.summary_sentence", period="2025-Q4", gmv=ZH.money(gmv), gmv_change="较上期下降4.9%",
                    orders=ZH.integer(20652), active=ZH.integer(3127), aov=ZH.money(275.34))
    cell = table_html(pl.DataFrame({"gmv": [gmv], "aov": [275.34]}), None, ZH)
    assert "¥568.6万" in sentence and ">¥568.6万<" in cell
    assert "客单价¥275" in sentence and ">¥275<" in cell


def test_fmt_pct_pp_and_change():
    assert fmt_pct(0.3821) == "38.2%"
    assert fmt_pct(12.3456) == "1,234.6%"
    assert fmt_pct(-0.00001) == "0.0%"
    # 0.015 = 1.5 points; Chinese writes no space before the unit
    assert EN.pp(0.015) == "+1.5 pp"
    assert ZH.pp(-0.015) == "-1.5个百分点"
    assert fmt_change(0.23) == "+23.0%"
    assert fmt_change(-0.0555) == "-5.6%"  # -5.55 rounds away from zero
    assert fmt_change(-0.0001) == "+0.0%"  # shows as zero: no "-0.0%"


def test_a_change_that_shows_as_zero_is_flat():
    # "+0.0 个百分点" is written 持平, in every place a Locale writes a change
    assert ZH.pp(0.0) == "持平" and ZH.pp(0.0004) == "持平" and ZH.pp(-0.0004) == "持平"
    assert ZH.pp(0.0005) == "+0.1个百分点"  # shows as +0.1: not flat
    assert ZH.change(0.0004) == "持平" and ZH.change(-0.0006) == "-0.1%"
    assert EN.pp(0.0) == "flat" and EN.change(0.0) == "flat"
    assert ZH.value(0.0, "pp") == "持平" and ZH.value(0.0, "change") == "持平"
    assert ZH.change(0.004, 0) == "持平" and ZH.change(0.006, 0) == "+1%"  # the digits shown decide
    assert ZH.pp(None) == "–"


def test_direction_follows_the_printed_number():
    assert direction(0.01) == "up"
    assert direction(-0.01) == "down"
    assert direction(0.0004) == "flat"  # printed +0.0%
    assert direction(0.0005) == "up"  # printed +0.1%
    assert direction(None) == "flat"


def test_locale_value_writes_each_kind():
    loc = Locale("zh", "$")
    assert [loc.value(0.1234, k) for k in ("int", "num", "money", "pct", "pp", "change", "text")] == [
        "0", "0.12", "$0.12", "12.3%", "+12.3个百分点", "+12.3%", "0.1234"]
    assert loc.value(None, "money") == "–"


def test_locale_joins_lists_and_sentences_in_its_language():
    assert ZH.join(["华东", "华南"]) == "华东、华南"
    assert EN.join(["East", "South"]) == "East, South"
    assert ZH.sentences(["甲。", "", "乙。"]) == "甲。乙。"
    assert EN.sentences(["One.", "", "Two."]) == "One. Two."


def test_locale_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        Locale("fr")


# ------------------------------------------------------------------ colour direction

def test_lower_is_better_metrics_read_a_fall_as_good():
    for name in ("return_rate_change", "churn_rate", "abandonment_rate_change", "cac", "lost"):
        assert not good_when_up(name), name
    for name in ("visit_to_pay_change", "gmv_change_rel", "repurchase_rate", "roi_change_rel", "share_change"):
        assert good_when_up(name), name
    assert tone(-0.008, good_when_up("return_rate_change")) == "good"
    assert tone(0.017, good_when_up("churn_rate")) == "bad"
    assert tone(0.017, good_when_up("visit_to_pay")) == "good"
    assert tone(0.0004, False) == "flat"  # shows as +0.0: neither
    # a finding's rule and value name: churn and the churned segment growing are bad, the
    # high-value segment or a repurchase rate growing good
    assert not good_when_up("customers.churn.rate") and not good_when_up("rfm.churned_growth.customers")
    assert not good_when_up("cart.abandonment.abandonment_rate") and not good_when_up("product.quality.return_rate")
    assert good_when_up("rfm.high_value_shrink.customers") and good_when_up("retention.first_repurchase.rate")


# ------------------------------------------------------------------ Chinese spacing

def test_no_ascii_space_next_to_a_chinese_character():
    # the examples: generated names and template spaces
    assert tidy("设备 App「支付」", "zh") == "设备App「支付」"
    assert tidy("地区 东北客户", "zh") == "地区东北客户"
    assert tidy("信息流广告 的 ROI 由上期的 1.80 降至 1.54。", "zh") == "信息流广告的ROI由上期的1.80降至1.54。"
    assert tidy("较上期下降 1.5 个百分点，GMV ¥568.6万", "zh") == "较上期下降1.5个百分点，GMV ¥568.6万"
    # spaces between Western words and around symbols stay
    assert tidy("（p < 0.001，差异显著）", "zh") == "（p < 0.001，差异显著）"
    assert tidy("访问 → 浏览商品", "zh") == "访问 → 浏览商品"
    assert tidy("BG/NBD + Gamma-Gamma 模型", "zh") == "BG/NBD + Gamma-Gamma模型"
    # English is left alone
    assert tidy("Channel 信息流广告: ROI down", "en") == "Channel 信息流广告: ROI down"


def test_sentences_of_a_paragraph_join_without_a_space_after_a_chinese_one():
    from kit.notebook import join_sentences

    # what nbk.say(*text.funnel_sentences(...)) shows
    assert join_sentences(["最薄弱的环节是「提交订单」。", "共1,000个会话。", ""]) == "最薄弱的环节是「提交订单」。共1,000个会话。"
    assert join_sentences(["The weakest step is Checkout.", "1,000 sessions."]) == "The weakest step is Checkout. 1,000 sessions."


def test_every_chinese_text_follows_the_spacing_rule():
    from kit.i18n import TEXT, label

    # the templates and the placeholders put into them
    assert ZH.t("conv.roi.fall", channel="信息流广告", roi_prev="1.80", roi="1.54") == "信息流广告的ROI由上期的1.80降至1.54。"
    assert ZH.t("diag.churn.title", where="地区 东北", rate="80.4%", rest="56.2%") == "地区东北客户流失率80.4%，高于其他地区（56.2%）"
    assert ZH.t("diag.funnel.step_drop.title", where="设备 App", step="支付", rate_prev="69.3%", rate="41.4%") \
        == "设备App「支付」转化率由69.3%降至41.4%"
    assert label("profile.age_band", "18-24", "zh") == "18-24岁"
    assert EN.t("conv.roi.fall", channel="Feed ads", roi_prev="1.80", roi="1.54") == "Feed ads's ROI fell from 1.80 to 1.54."
    for key, entry in TEXT.items():
        text = ZH.t(key) if "{" not in entry.get("zh", "") else None
        if text:
            assert tidy(text, "zh") == text, key


# ------------------------------------------------------------------ axis ticks

def test_tick_labels_share_one_unit_and_one_number_of_decimals():
    # the chart that read "0% 0% 1% 2% 2%"
    assert tick_labels([0, 0.005, 0.01, 0.015, 0.02], "pct") == ["0%", "0.5%", "1.0%", "1.5%", "2.0%"]
    assert tick_labels([0, 0.2, 0.4], "pct") == ["0%", "20%", "40%"]
    assert tick_labels([-0.2, -0.1, 0, 0.1], "pct", absolute=True) == ["20%", "10%", "0%", "10%"]
    # money axes read as the text: 万 in Chinese when the largest tick reaches it
    assert ZH.ticks([0, 5e5, 1e6, 1.5e6], "money") == ["¥0", "¥50万", "¥100万", "¥150万"]
    assert ZH.ticks([0, 5000, 10000, 15000], "money") == ["¥0", "¥0.5万", "¥1.0万", "¥1.5万"]
    assert ZH.ticks([0, 2e8, 4e8], "money") == ["¥0", "¥2亿", "¥4亿"]
    assert ZH.ticks([0, 200, 400], "money") == ["¥0", "¥200", "¥400"]
    assert EN.ticks([0, 5e5, 1e6], "money") == ["¥0", "¥500,000", "¥1,000,000"]
    assert tick_labels([0, 2000, 12000], "num") == ["0", "2,000", "12,000"]
