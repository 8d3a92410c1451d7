"""Sentences and table columns of the products and baskets section, from the figures of
:mod:`kit.figures.products` and the templates under ``products.`` in :mod:`kit.i18n`."""

from __future__ import annotations

import polars as pl

from kit.i18n import Locale
from kit.metrics.baskets import unordered


def missing_notes(absent: list[str], loc: Locale) -> list[str]:
    """One visible note per optional order-line column the data lacks, saying what is left out."""
    return [loc.t("products.missing", column=c, what=loc.t(f"products.missing.{c}")) for c in absent]


def quadrant_name(code: str | None, loc: Locale) -> str:
    return "–" if code is None else loc.t(f"products.quadrant.{code}")


def matrix_method(table: pl.DataFrame, loc: Locale, fixed: bool) -> str:
    """How the quadrants are split (the medians, or the params' thresholds)."""
    if not table.height or table["sales_split"][0] is None or table["margin_split"][0] is None:
        return loc.t("products.matrix.no_margin")
    return loc.t("products.matrix.method", sales=loc.pct(table["sales_split"][0]),
                 margin=loc.pct(table["margin_split"][0]),
                 how=loc.t("products.matrix.how.params" if fixed else "products.matrix.how.median"))


def matrix_sentences(table: pl.DataFrame, summary: pl.DataFrame, level: str, loc: Locale) -> list[str]:
    """After a matrix: what the stars and traffic drivers bring, the best and worst margin, and
    the largest margin change against the comparison period."""
    costed = table.filter(pl.col("margin_rate").is_not_null())
    if not costed.height:
        return [loc.t("products.matrix.no_margin")]
    q = {r["quadrant"]: r for r in summary.to_dicts()}
    out = [loc.t("products.matrix.sentence", star_n=loc.integer(q["star"]["items"]),
                 star_share=loc.pct(q["star"]["gmv_share"]), traffic_n=loc.integer(q["traffic"]["items"]),
                 traffic_share=loc.pct(q["traffic"]["gmv_share"]))]
    ranked = costed.sort(["margin_rate", level], descending=[True, False])
    best, worst = ranked.row(0, named=True), ranked.row(-1, named=True)
    out.append(loc.t("products.matrix.top_margin", best=_item(best[level], level, loc),
                     best_rate=loc.pct(best["margin_rate"]), worst=_item(worst[level], level, loc),
                     worst_rate=loc.pct(worst["margin_rate"])))
    changed = costed.filter(pl.col("margin_rate_change").is_not_null())
    if changed.height:
        r = changed.sort(pl.col("margin_rate_change").abs(), descending=True).row(0, named=True)
        out.append(loc.t("products.matrix.fall", item=_item(r[level], level, loc), rate_prev=loc.pct(r["margin_rate_prev"]),
                         rate=loc.pct(r["margin_rate"]), change=loc.pp(r["margin_rate_change"])))
    return out


def _item(value, level: str, loc: Locale) -> str:
    return f"「{value}」" if loc.lang == "zh" else str(value)


def moves_sentence(moves: pl.DataFrame, level: str, loc: Locale, n: int = 6) -> str:
    """The items that changed quadrant since the comparison period (the largest by sales first)."""
    if not moves.height:
        return loc.t("products.moves.none", level=loc.t(f"products.level_word.{level}"))
    items = [loc.t("products.moves.item", item=_item(r[level], level, loc), before=quadrant_name(r["quadrant_prev"], loc),
                   now=quadrant_name(r["quadrant"], loc)) for r in moves.head(n).iter_rows(named=True)]
    return loc.t("products.moves.some", moves=loc.join(items))


def quadrant_rows(summary: pl.DataFrame, loc: Locale) -> pl.DataFrame:
    """The quadrant table as readers see it: the quadrant's name and what to do with it."""
    return summary.with_columns(
        pl.Series("name", [quadrant_name(c, loc) for c in summary["quadrant"]], dtype=pl.String),
        pl.Series("hint", [loc.t(f"products.quadrant_hint.{c}") for c in summary["quadrant"]], dtype=pl.String))


def quadrant_columns(loc: Locale, compared: bool) -> dict[str, tuple[str, str]]:
    cols = {"name": (loc.t("products.col.quadrant"), "text"), "items": (loc.t("products.col.items"), "int"),
            "gmv_share": (loc.t("products.col.gmv_share"), "pct")}
    if compared:
        cols |= {"items_prev": (loc.t("products.col.items_prev"), "int"),
                 "gmv_share_prev": (loc.t("products.col.gmv_share_prev"), "pct")}
    return cols | {"hint": (loc.t("products.col.hint"), "text")}


def product_rows(table: pl.DataFrame, loc: Locale, n: int = 10) -> pl.DataFrame:
    """The top products of the matrix with their quadrant's name."""
    return table.head(n).with_columns(
        pl.Series("quadrant_name", [quadrant_name(c, loc) for c in table.head(n)["quadrant"]], dtype=pl.String))


def product_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    return {"product_id": (loc.t("products.col.product"), "text"), "category": (loc.t("products.col.category"), "text"),
            "gmv": (loc.t("products.col.gmv"), "money"), "gmv_share": (loc.t("products.col.gmv_share"), "pct"),
            "margin_rate": (loc.t("products.col.margin_rate"), "pct"),
            "margin_rate_change": (loc.t("products.col.margin_rate_change"), "pp"),
            "quadrant_name": (loc.t("products.col.quadrant"), "text")}


def pareto_sentences(assortment: pl.DataFrame, loc: Locale) -> list[str]:
    """After the Pareto curve: the products making 80% of sales, the ABC classes, 动销率."""
    r = assortment.row(0, named=True)
    if not r["products_sold"]:
        return []
    out = [loc.t("products.pareto.sentence", sold=loc.integer(r["products_sold"]), a=loc.integer(r["a_count"]),
                 share=loc.pct(r["top_share_80"]), b=loc.integer(r["b_count"]), c=loc.integer(r["c_count"]),
                 tail=loc.pct(r["long_tail_share"]))]
    change = ""
    if r.get("sell_through_prev") is not None:
        change = loc.t("products.pareto.change", prev=loc.pct(r["sell_through_prev"]), pp=loc.pp(r["sell_through_change"]))
    out.append(loc.t("products.pareto.sell_through", catalogue=loc.integer(r["catalogue"]),
                     rate=loc.pct(r["sell_through"]), change=change))
    return out


def quality_sentences(quality, loc: Locale, min_lines: int, return_rate_high: float, rating_low: float) -> list[str]:
    """After the returns vs rating scatter: the shop's norms and the items flagged."""
    level = loc.t(f"products.level_word.{quality.level}")
    out = []
    if quality.norm_return_rate is not None and quality.norm_rating is not None:
        out.append(loc.t("products.quality.norms", rate=loc.pct(quality.norm_return_rate),
                         rating=loc.number(quality.norm_rating, 2), min_lines=loc.integer(min_lines),
                         level=level, n=loc.integer(quality.items.height)))
    if quality.flagged.height:
        out.append(loc.t("products.quality.flagged", n=loc.integer(quality.flagged.height),
                         rate=loc.pct(return_rate_high), rating=loc.number(rating_low, 1),
                         money=loc.money(quality.flagged["gmv_at_risk"].sum())))
    else:
        out.append(loc.t("products.quality.none", rate=loc.pct(return_rate_high), rating=loc.number(rating_low, 1),
                         level=level))
    return out


def flagged_columns(loc: Locale, level: str) -> dict[str, tuple[str, str]]:
    return {level: (loc.t("products.col.item"), "text"), "lines": (loc.t("products.col.lines"), "int"),
            "gmv": (loc.t("products.col.gmv"), "money"), "return_rate": (loc.t("products.col.return_rate"), "pct"),
            "rating": (loc.t("products.col.rating"), "num"),
            "gmv_at_risk": (loc.t("products.col.gmv_at_risk"), "money")}


def baskets_method(rules, params, loc: Locale) -> str:
    """How the rules are made, with the period's basket count and the big baskets left out."""
    skipped = loc.t("products.baskets.skipped", n=loc.integer(rules.skipped), cap=params.max_basket_items) \
        if rules.skipped else ""
    return loc.t("products.baskets.method", baskets=loc.integer(rules.baskets), skipped=skipped,
                 min_baskets=loc.integer(params.min_baskets), min_support=loc.pct(params.min_support, 2),
                 min_confidence=loc.pct(params.min_confidence, 0))


def basket_sentences(rules, loc: Locale, min_lift: float) -> list[str]:
    """After the lift heatmap: the strongest pair of categories, or that none stands out."""
    if not rules.rules.height:
        return [loc.t("products.baskets.no_rules")]
    top = rules.rules.sort(["lift", "confidence"], descending=True).row(0, named=True)
    if top["lift"] < min_lift:
        return [loc.t("products.baskets.none", lift=loc.number(min_lift, 1))]
    prev = loc.t("products.baskets.top_prev", lift=loc.number(top["lift_prev"], 1)) if top.get("lift_prev") else ""
    return [loc.t("products.baskets.top", a=_item(top["antecedent"], "category", loc),
                  b=_item(top["consequent"], "category", loc), confidence=loc.pct(top["confidence"]),
                  lift=loc.number(top["lift"], 1), baskets=loc.integer(top["baskets"]), prev=prev)]


def product_rules_sentence(rules, loc: Locale, n: int) -> str:
    return loc.t("products.baskets.products", n=loc.integer(n), rules=loc.integer(rules.rules.height),
                 pairs=loc.integer(unordered(rules.rules).height))


def rule_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    return {"antecedent": (loc.t("products.col.antecedent"), "text"),
            "consequent": (loc.t("products.col.consequent"), "text"),
            "baskets": (loc.t("products.col.baskets"), "int"), "support": (loc.t("products.col.support"), "pct"),
            "confidence": (loc.t("products.col.confidence"), "pct"), "lift": (loc.t("products.col.lift"), "num"),
            "lift_prev": (loc.t("products.col.lift_prev"), "num")}


def cross_sell_sentences(table: pl.DataFrame, loc: Locale, min_lift: float) -> list[str]:
    """Before the cross-sell table: what it counts, and the largest opportunity."""
    out = [loc.t("products.cross_sell.intro", lift=loc.number(min_lift, 1))]
    if not table.height:
        return [loc.t("products.cross_sell.none", lift=loc.number(min_lift, 1))]
    r = table.sort("value", descending=True).row(0, named=True)
    out.append(loc.t("products.cross_sell.top", n=loc.integer(r["prospects"]), a=_item(r["antecedent"], "", loc),
                     b=_item(r["consequent"], "", loc), confidence=loc.pct(r["confidence"]), money=loc.money(r["value"])))
    return out


def cross_sell_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    return {"antecedent": (loc.t("products.col.antecedent"), "text"),
            "consequent": (loc.t("products.col.consequent"), "text"), "lift": (loc.t("products.col.lift"), "num"),
            "confidence": (loc.t("products.col.confidence"), "pct"),
            "prospects": (loc.t("products.col.prospects"), "int"), "value": (loc.t("products.col.value"), "money")}

