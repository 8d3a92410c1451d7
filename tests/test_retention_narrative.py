"""Sentences of section 2.3 in zh and en (kit.narrative.retention) on hand-made tables,
the translation table of its labels, and smoke tests of its charts (kit.charts.retention)."""

from __future__ import annotations

from datetime import date

import matplotlib.pyplot as plt
import polars as pl
import pytest

from kit.charts import retention as charts
from kit.i18n import TEXT, Locale
from kit.i18n.labels import stage_name
from kit.metrics.retention import STAGES
from kit.narrative import retention as text

ZH, EN = Locale("zh"), Locale("en")


def kpis(value, change):
    return pl.DataFrame({"kpi": ["active_customers", "repurchase_rate"], "value": [100.0, value],
                         "value_change": [None, change]})


def test_repurchase_rate_sentence_with_and_without_comparison():
    assert text.repurchase_rate_text(kpis(0.25, 0.05), ZH) == (
        "本期复购率（下单2次及以上的客户占购买客户的比例）为25.0%，较上期+5.0个百分点。")
    assert text.repurchase_rate_text(kpis(0.25, None), EN) == (
        "The repurchase rate (customers with two or more paid orders among all buyers) is 25.0%.")
    assert text.repurchase_rate_text(kpis(None, None), EN) == ""


def first(rate90_change=-0.031, buyers90=400.0):
    return pl.DataFrame({"buyers": [500.0], "buyers_30": [450.0], "rate_30": [0.1], "buyers_60": [420.0],
                         "rate_60": [0.15], "buyers_90": [buyers90], "rate_90": [0.2], "rate_90_change": [rate90_change]})


def test_n_day_repurchase_sentence():
    assert text.repurchase_text(first(), EN) == (
        "First-time buyers came back within 30/60/90 days at 10.0%/15.0%/20.0% (400 buyers followed for 90 days)"
        " (-3.1 pp on the previous period).")
    assert text.repurchase_text(first(None), ZH) == "首次购买客户的30/60/90天复购率分别为10.0%/15.0%/20.0%（90天口径覆盖400名新客）。"
    assert text.repurchase_text(first(None, 0.0), ZH) == "数据不足，无法计算该口径。"


def cohorts():
    # month 1: Oct 30%, Nov 20%, Dec 10% -> latest Dec 10.0% vs earlier mean 25.0%; month 3: only Oct (no earlier)
    rows = [(date(2025, m, 1), k, s) for m, k, s in [(10, 1, 0.3), (11, 1, 0.2), (12, 1, 0.1), (10, 3, 0.05)]]
    return pl.DataFrame(rows, schema={"cohort": pl.Date, "month": pl.Int32, "share": pl.Float64}, orient="row")


def test_cohort_sentence_compares_the_latest_cohort_with_earlier_ones():
    assert text.cohort_text(cohorts(), ZH) == (
        "2025-12首购客户在第1个月的留存率为10.0%，此前各月同类客户平均为25.0%。"
        "2025-10首购客户在第3个月的留存率为5.0%。")
    assert text.cohort_text(cohorts(), EN).startswith(
        "Of the customers who first bought in 2025-12, 10.0% bought again in month 1 (earlier cohorts: 25.0% on average). ")
    assert text.cohort_text(cohorts().head(0), EN) == "Not enough history to measure this."


def test_lifecycle_sentence_names_the_biggest_move_between_two_stages():
    counts = pl.DataFrame({"stage": list(STAGES), "customers": [10.0, 30.0, 20.0, 40.0], "share": [0.1, 0.3, 0.2, 0.4],
                           "share_prev": [0.2, 0.3, 0.2, 0.3]})
    # live = new + active = 40% now, 50% before: -10.0 pp; the none -> new and stay-put flows are not moves
    flows = pl.DataFrame({"from_stage": ["none", "active", "active", "at_risk"], "to_stage": ["new", "active", "at_risk",
                                                                                             "churned"],
                          "customers": [500, 400, 120, 80]})
    assert text.lifecycle_text(counts, flows, ZH) == (
        "期末新客与活跃客户合计占全部客户的40.0%，较上期-10.0个百分点。最大的阶段流动是从「活跃」到「流失风险」，共120人。")
    assert text.lifecycle_text(counts, None, EN) == (
        "At the period end 40.0% of all customers are new or active (-10.0 pp on the previous period).")


def drivers():
    return pl.DataFrame({"attribute": ["discount", "channel", "device"], "value": ["used", "live", "pc"],
                         "rate": [0.3, 0.1, 0.5], "lift": [1.5, 0.5, 2.5], "p_value": [0.001, 0.01, 0.2],
                         "ci_low": [0.25, 0.05, 0.1], "ci_high": [0.35, 0.15, 0.9], "overall": [0.2, 0.2, 0.2]})


def test_drivers_sentence_keeps_significant_values_only():
    # device pc has the highest lift but p = 0.2: left out
    assert text.drivers_text(drivers(), ZH) == (
        "首单优惠为「使用」的新客复购最好：30.0%，是整体的1.50倍。首单渠道为「live」的新客复购最差：10.0%（整体的0.50倍）。")
    assert text.drivers_text(drivers().filter(pl.col("p_value") > 0.1), EN) == (
        "No first-order attribute changes repurchase significantly.")


def test_channel_sentence():
    channels = pl.DataFrame({"group": ["ads", "seo"], "buyers": [1200.0, 800.0], "rate": [0.3, 0.1],
                             "lift": [1.4, 0.4], "p_value": [0.001, 0.001]})
    assert text.channel_text(channels, EN) == (
        "First-time buyers from the seo channel come back least: 10.0% within 90 days, 0.40 times the overall rate"
        " (800 buyers).")
    assert text.channel_text(channels.with_columns(pl.lit(0.5).alias("p_value")), ZH) == "各获客渠道新客的复购率没有显著差异。"
    assert text.channel_text(None, ZH) == ""


def test_every_key_has_both_languages_and_every_stage_a_name():
    keys = [k for k in TEXT if k.startswith("ret.")]
    assert keys and all(set(TEXT[k]) >= {"zh", "en"} for k in keys)
    for stage in (*STAGES, "none"):
        assert stage_name(stage, ZH) != stage_name(stage, EN)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_draw(lang):
    histogram = pl.DataFrame({"bin_start": [0, 7, 180], "bin_end": [7, 14, None], "intervals": [3, 1, 0],
                              "share": [0.75, 0.25, 0.0]})
    matrix = pl.DataFrame({"cohort": [date(2025, 10, 1)] * 3 + [date(2025, 11, 1)] * 2, "month": [0, 1, 2, 0, 1],
                           "customers": [10, 3, 2, 8, 0], "cohort_size": [10, 10, 10, 8, 8],
                           "share": [1.0, 0.3, 0.2, 1.0, 0.0]})
    counts = pl.DataFrame({"stage": list(STAGES), "customers": [1.0, 2.0, 3.0, 4.0],
                           "customers_prev": [2.0, 2.0, 2.0, 2.0]})
    flows = pl.DataFrame({"from_stage": ["none", "new", "active"], "to_stage": ["new", "active", "churned"],
                          "customers": [5, 3, 1]})
    loc = Locale(lang)
    panels = [charts.nday_bars(first(), loc), charts.interval_chart(histogram, loc),
              charts.cohort_heatmap(matrix, loc), charts.lifecycle_chart(counts, loc),
              charts.flows_chart(flows, loc), charts.drivers_chart(drivers(), loc)]
    for ax in panels:
        assert ax.get_title()
        plt.close(ax.figure)
