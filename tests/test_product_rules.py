"""The products and baskets rules of the diagnosis (kit.diagnosis.product_rules) on hand-made
tables: thresholds, severities, money at stake by the one definition, ids and texts."""

import polars as pl
import pytest

from kit.diagnosis.product_rules import catalogue_fall, cross_sells, margin_falls
from kit.diagnosis.rules import Context
from kit.i18n import Locale
from kit.params import Products

CTX, EN = Context(loc=Locale("zh")), Context(loc=Locale("en"))
P = Products(high_gmv_share=0.05, margin_fall_medium=0.04, margin_fall_high=0.08, cross_sell_lift_high=2.5,
             sell_through_fall_medium=0.08, sell_through_fall_high=0.15)


def margins(rows):
    return pl.DataFrame(rows, schema={"category": pl.String, "gmv": pl.Float64, "gmv_share": pl.Float64,
                                      "margin_rate": pl.Float64, "margin_rate_prev": pl.Float64}, orient="row")


def test_margin_fall_of_a_high_gmv_category():
    table = margins([
        ("家电", 100_000.0, 0.20, 0.25, 0.38),   # fell 13 points: high
        ("数码", 80_000.0, 0.16, 0.33, 0.38),    # fell 5 points: medium
        ("图书", 2_000.0, 0.01, 0.10, 0.40),     # fell more, but 1% of GMV: not watched
        ("食品", 50_000.0, 0.10, 0.35, 0.37),    # fell 2 points: below the threshold
        ("美妆", 50_000.0, 0.10, 0.45, 0.37),    # rose
    ])
    found = {f.id: f for f in margin_falls(table, P, CTX)}
    assert set(found) == {"product.margin.家电", "product.margin.数码"}
    f = found["product.margin.家电"]
    assert f.severity == "high" and found["product.margin.数码"].severity == "medium"
    assert f.money_at_stake == pytest.approx(100_000 * (0.38 - 0.25))
    assert f.where == {"category": "家电"} and f.stake == "margin" and f.section == 5
    assert f.reference["kind"] == "comparison"
    assert "家电" in f.title and "38.0%" in f.title and " " not in f.title.replace("% ", "")
    (en,) = [g for g in margin_falls(table, P, EN) if g.id == "product.margin.家电"]
    assert "gross margin down from 38.0% to 25.0%" in en.title


def test_margin_fall_of_a_product_has_its_own_id():
    table = margins([("P1", 10_000.0, 0.10, 0.20, 0.30)]).rename({"category": "product_id"})
    (f,) = margin_falls(table, P, CTX, level="product_id")
    assert f.id == "product.margin.product.P1" and f.where == {"product_id": "P1"}


def test_cross_sell_opportunities():
    table = pl.DataFrame({"antecedent": ["母婴", "A", "P1"], "consequent": ["图书", "B", "P2"],
                          "baskets": [700, 50, 30], "support": [0.03, 0.01, 0.001],
                          "confidence": [0.33, 0.2, 0.1], "lift": [2.9, 1.6, 2.0],
                          "prospects": [120.0, 0.0, 10.0], "consequent_value": [65.0, 10.0, 100.0],
                          "value": [120 * 0.33 * 65.0, 0.0, 10 * 0.1 * 100.0],
                          "level": ["category", "category", "product_id"]})
    found = {f.id: f for f in cross_sells(table, P, CTX)}
    # A -> B has no prospect: nothing to act on
    assert set(found) == {"product.cross_sell.母婴.图书", "product.cross_sell.product.P1.P2"}
    f = found["product.cross_sell.母婴.图书"]
    assert f.severity == "medium" and found["product.cross_sell.product.P1.P2"].severity == "low"
    assert f.money_at_stake == pytest.approx(120 * 0.33 * 65.0) and f.target_size == 120
    assert f.where == {"antecedent": "母婴", "consequent": "图书"}
    assert found["product.cross_sell.product.P1.P2"].where["level"] == "product_id"
    assert f.reference["kind"] == "observed_confidence" and f.stake == "customers"
    assert all(g.severity != "high" for g in found.values())  # an opportunity is never a high finding


def test_catalogue_fall():
    row = {"gmv": 1_000_000.0, "catalogue": 2000.0, "products_sold": 1600.0, "sell_through": 0.80,
           "sell_through_prev": 0.96, "c_count": 500.0, "long_tail_share": 0.05}
    (f,) = catalogue_fall(pl.DataFrame([row]), P, CTX)
    assert f.severity == "high" and f.id == "product.catalogue"
    # 16 points of 2,000 products = 320 stopped, each at a C product's GMV (50,000 / 500 = 100)
    assert f.evidence["products_stopped"] == 320
    assert f.money_at_stake == pytest.approx(320 * 100.0)
    medium = catalogue_fall(pl.DataFrame([row | {"sell_through": 0.87}]), P, CTX)
    assert [g.severity for g in medium] == ["medium"]
    assert catalogue_fall(pl.DataFrame([row | {"sell_through": 0.90}]), P, CTX) == []
    assert catalogue_fall(pl.DataFrame([row | {"sell_through_prev": None}]), P, CTX) == []
