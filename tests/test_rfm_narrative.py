"""Sentences after each RFM chart in zh and en (kit.narrative.rfm), the translation table of
every segment, and smoke tests of the charts (kit.charts.rfm)."""

from __future__ import annotations

from datetime import date

import matplotlib.pyplot as plt
import polars as pl
import pytest

from kit.charts.rfm import lorenz_chart, migration_heatmap, rf_heatmap, segment_sizes_chart
from kit.figures.value import Method
from kit.i18n import TEXT, Locale
from kit.i18n.labels import segment_name, suggested_action
from kit.metrics.segments import (
    NEW,
    SEGMENTS,
    lorenz_curve,
    revenue_concentration,
    rf_grid,
    segment_customers,
    segment_migration,
    segment_profiles,
    segment_sizes,
)
from kit.narrative.rfm import (
    concentration_sentences,
    few_levels_notes,
    grid_sentences,
    method_sentence,
    migration_sentences,
    size_change_sentences,
    sizes_sentences,
)
from tests.test_rfm import Q1, hand_orders

ZH, EN = Locale("zh"), Locale("en")


def profiles() -> pl.DataFrame:
    """Hand-built profile rows: B is largest (60%), A brings most revenue (70%) from 30% of customers."""
    return pl.DataFrame({"segment": ["champions", "hibernating", "at_risk"], "customers": [300, 600, 100],
                         "share": [0.3, 0.6, 0.1], "revenue_share": [0.7, 0.2, 0.1]})


def test_every_segment_has_a_name_and_an_action_in_both_languages():
    for scheme, names in SEGMENTS.items():
        for code in names:
            for kind in ("segment", "action"):
                entry = TEXT[f"rfm.{kind}.{code}"]
                assert entry["zh"] and entry["en"], (scheme, code, kind)
    assert segment_name("important_value", ZH) == "重要价值客户"
    assert segment_name("cant_lose", EN) == "Can't Lose Them"
    assert segment_name(NEW, ZH) == "新客户"
    assert suggested_action("nonexistent", EN) == ""


def test_sizes_sentences_zh_en():
    zh = sizes_sentences(profiles(), ZH)
    assert zh[0] == "客户最多的是「休眠客户」，共600人，占60.0%。"
    assert "冠军客户" in zh[1] and "70.0%" in zh[1] and "30.0%" in zh[1]
    en = sizes_sentences(profiles(), EN)
    assert en[0] == "The largest segment is Hibernating with 600 customers (60.0%)."
    assert en[1] == "Champions brings the most revenue: 70.0% of it from 30.0% of the customers."


def test_migration_sentences_name_the_biggest_flow():
    migration = pl.DataFrame({
        "from_segment": ["champions", "champions", "at_risk", NEW, NEW],
        "to_segment": ["champions", "at_risk", "hibernating", "champions", "at_risk"],
        "customers": [500, 120, 80, 30, 10],
        "share": [500 / 620, 120 / 620, 1.0, 0.75, 0.25],
    })
    en = migration_sentences(migration, EN)
    # the largest flow between different segments (new customers aside): champions -> at_risk 120 = 19.4% of 620
    assert en[0] == "The biggest move is from Champions to At Risk: 120 customers (19.4% of Champions)."
    assert en[1] == "Next: At Risk -> Hibernating 80."
    assert en[2] == "40 new customers joined, most of them in Champions (75.0%)."
    zh = migration_sentences(migration, ZH)
    assert zh[0].startswith("最大的迁移是从「冠军客户」到「流失风险」：120人")


def test_migration_without_moves():
    stay = pl.DataFrame({"from_segment": ["loyal"], "to_segment": ["loyal"], "customers": [3], "share": [1.0]})
    assert migration_sentences(stay, EN) == ["No customer moved between segments between the two dates."]


def test_concentration_sentences_with_change():
    now = pl.DataFrame({"customers": [100], "revenue": [1.0], "top_customers": [20], "top_revenue": [0.7],
                        "top_share": [0.7]})
    before = now.with_columns(pl.lit(0.65).alias("top_share"))
    en = concentration_sentences(now, before, EN)
    assert en == ["The top 20% of customers (20) bring 70.0% of the period's GMV.",
                  "In the comparison period it was 65.0% (+5.0 pp)."]
    zh = concentration_sentences(now, None, ZH)
    assert zh == ["消费额最高的前20%客户（20人）贡献了本期70.0%的GMV。"]


def test_grid_sentence_and_size_changes_and_notes():
    segmented = segment_customers(hand_orders(), Q1, "rfm-grid")
    # F = 1 for b and d -> 2 of 4 = 50%; nobody scores 5/5 with 4 customers
    assert grid_sentences(rf_grid(segmented), segmented, EN) == [
        "50.0% of customers have bought once; 0 customers score 5 on both R and F."]
    sizes = pl.DataFrame({"segment": ["champions", "loyal"], "customers": [80.0, 5.0], "customers_prev": [100.0, 4.0],
                          "customers_change_rel": [-0.2, 0.25]})
    assert size_change_sentences(sizes, EN) == ["Champions went from 100 to 80 customers (-20.0%)."]
    levels = pl.DataFrame({"score": ["r_score", "f_score", "m_score"], "levels": [5, 2, 5]})
    assert few_levels_notes(levels, ZH) == ["注意：F分只有2个不同分值（大量客户取值相同）。"]
    assert few_levels_notes(None, ZH) == []
    assert "2025-03-31" in method_sentence(Method("cn8", "median", None, None), date(2025, 3, 31), ZH)
    assert "中位数" in method_sentence(Method("cn8", "median", None, None), date(2025, 3, 31), ZH)
    assert "k=4" in method_sentence(Method("kmeans", "mean", 4, None), date(2025, 3, 31), EN)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_smoke(lang):
    now = segment_customers(hand_orders(), Q1, "rfm-grid")
    before = segment_customers(hand_orders(), Q1.previous(), "rfm-grid")
    loc = Locale(lang)
    panels = [
        segment_sizes_chart(segment_profiles(now), loc, "rfm-grid"),
        rf_heatmap(rf_grid(now), loc),
        rf_heatmap(rf_grid(now), loc, value="revenue"),
        migration_heatmap(segment_migration(now, before), loc, "rfm-grid", "2024-Q4", "2025-Q1"),
        lorenz_chart(lorenz_curve(now), revenue_concentration(now), loc),
    ]
    titles = [ax.get_title() for ax in panels]
    assert all(titles)
    # the migration heatmap has a row per source segment (hibernating and new) and a column per target
    heat = panels[3]
    assert len(heat.get_yticklabels()) == 2 and len(heat.get_xticklabels()) == 4
    assert segment_sizes(now, before).height == 4
    for ax in panels:
        plt.close(ax.figure)
