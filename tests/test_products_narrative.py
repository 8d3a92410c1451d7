"""The products section's sentences (kit.narrative.products) and charts on hand-made tables:
the numbers they quote, both languages, no ASCII space next to Chinese."""

import re

import matplotlib.pyplot as plt
import polars as pl

from kit.charts import products as charts
from kit.figures.products import BasketRules, Quality
from kit.i18n import Locale
from kit.metrics.products import quadrant_summary, quadrants
from kit.narrative import products as text
from kit.params import Products

ZH, EN = Locale("zh"), Locale("en")
SPACE_NEXT_TO_HAN = re.compile(r"[\u4e00-\u9fff] | [\u4e00-\u9fff]")

MATRIX = quadrants(pl.DataFrame({
    "category": ["家电", "食品", "图书"], "lines": [100.0, 300.0, 50.0], "gmv": [5000.0, 3000.0, 500.0],
    "gmv_share": [5000 / 8500, 3000 / 8500, 500 / 8500], "margin_rate": [0.27, 0.41, 0.40],
    "margin_rate_prev": [0.38, 0.41, 0.40], "margin_rate_change": [-0.11, 0.0, 0.0],
    "gmv_share_prev": [0.6, 0.3, 0.1],
}))


def test_matrix_sentences_quote_the_quadrants_and_the_largest_margin_change():
    summary = quadrant_summary(MATRIX)
    zh = text.matrix_sentences(MATRIX, summary, "category", ZH)
    # medians: share 3000/8500, margin 0.40; 食品 star, 家电 traffic, 图书 profit
    assert zh[0].startswith("1个明星款贡献35.3%的销售额；引流款1个，贡献58.8%")
    assert "毛利率最高的是「食品」（41.0%），最低的是「家电」（27.0%）" in zh[1]
    assert "「家电」：38.0% → 27.0%（-11.0个百分点）" in zh[2]
    en = text.matrix_sentences(MATRIX, summary, "category", EN)
    assert en[2] == "The largest margin change against the comparison period is 家电's: 38.0% -> 27.0% (-11.0 pp)."
    assert not any(SPACE_NEXT_TO_HAN.search(s) for s in zh)
    assert "中位数" in text.matrix_method(MATRIX, ZH, fixed=False)


def test_basket_and_cross_sell_sentences():
    rules = pl.DataFrame({"antecedent": ["母婴", "图书"], "consequent": ["图书", "母婴"], "baskets": [765, 765],
                          "support": [0.037, 0.037], "confidence": [0.329, 0.323], "lift": [2.89, 2.89],
                          "lift_prev": [2.77, 2.77]})
    found = BasketRules(rules, 20714, 3, "category")
    (zh,) = text.basket_sentences(found, ZH, 1.5)
    assert "买「母婴」的订单有32.9%同时买「图书」，是随机水平的2.9倍（765个订单），对比期提升度2.8" in zh
    assert "（另有3个超过50种商品的大订单未计入）" in text.baskets_method(found, Products(), ZH)
    (none,) = text.basket_sentences(BasketRules(rules.with_columns(pl.lit(1.1).alias("lift")), 100, 0, "category"),
                                    EN, 1.5)
    assert none.startswith("No pair of categories has a lift above 1.5")
    opportunities = pl.DataFrame({"antecedent": ["母婴"], "consequent": ["图书"], "lift": [2.89], "confidence": [0.329],
                                  "prospects": [120.0], "value": [2568.6]})
    zh = text.cross_sell_sentences(opportunities, ZH, 1.5)
    assert "向120位买了「母婴」、从未买过「图书」的客户推荐「图书」，按置信度32.9%估算可带来¥2,569" in zh[1]
    assert not any(SPACE_NEXT_TO_HAN.search(s) for s in zh)


def test_charts_draw_from_the_figures_tables():
    ax = charts.margin_matrix(MATRIX, ZH, "category", "品类销量-利润矩阵")
    assert len(ax.collections[0].get_offsets()) == 3 and ax.get_title() == "品类销量-利润矩阵"
    plt.close(ax.figure)
    items = pl.DataFrame({"category": ["服饰", "食品"], "lines": [400.0, 300.0], "return_rate": [0.30, 0.05],
                          "rating": [3.2, 4.5]})
    quality = Quality(items, items.head(1), 0.15, 4.0, "category")
    ax = charts.quality_scatter(quality, ZH, 0.15, 3.8)
    assert [t.get_text() for t in ax.texts] == ["服饰", "食品"]  # far apart: both named
    plt.close(ax.figure)
    grid = pl.DataFrame({"antecedent": ["A", "B"], "consequent": ["B", "A"], "lift": [2.0, 2.0]})
    ax = charts.lift_heatmap(grid, EN)
    assert ax.get_title() == "Lift between categories"
    plt.close(ax.figure)
