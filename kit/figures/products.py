"""The products and baskets section (商品与购物篮分析, 人-货-场's 货): sales x margin matrix,
Pareto / ABC and 动销率, returns vs rating, association rules and cross-sell opportunities.

Each function is one figure of the section, from the run (see :mod:`kit.figures`);
definitions are in :mod:`kit.metrics.products` and :mod:`kit.metrics.baskets`. The tables the
diagnosis reads are kept (``reuse=True``); everything is recorded under ``products`` in
``metrics.json``. The section needs ``order_items.category``; ``product_id``, ``unit_cost``,
``returned`` and ``rating`` add figures when present (:func:`coverage` says which are missing).
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from kit.figures import Missing, kept, needs
from kit.metrics import baskets as bk
from kit.metrics import products as pm
from kit.run import Run

OPTIONAL = ("product_id", "unit_cost", "returned", "rating")
"""The order-line columns the section uses when present (each missing one gets a visible note)."""
CROSS_SELL_SCHEMA = {"antecedent": pl.String, "consequent": pl.String, "baskets": pl.Int64, "support": pl.Float64,
                     "confidence": pl.Float64, "lift": pl.Float64, "prospects": pl.Float64,
                     "consequent_value": pl.Float64, "value": pl.Float64, "level": pl.String}
RECORDED_RULES = 20
"""Rules per level written to metrics.json (the strongest by lift)."""


@needs(orders=(), order_items=("category",))
def coverage(run: Run) -> list[str]:
    """The optional order-line columns the data lacks (:data:`OPTIONAL`), recorded."""
    absent = [c for c in OPTIONAL if not run.has("order_items", c)]
    run.record("products", {"missing_columns": absent})
    return absent


# ---------------------------------------------------------------- sales x margin


def _matrix_record(table: pl.DataFrame, by: str) -> list[dict]:
    columns = ["lines", "gmv", "gmv_share", "margin_rate"]
    keep = [c + s for c in columns for s in ("", "_prev", "_change", "_change_rel")]
    return table.select(pl.col(by).cast(pl.String).alias("item"), *keep, "quadrant", "quadrant_prev").to_dicts()


@needs(orders=(), order_items=("category",))
def category_margin(run: Run, reuse: bool = False) -> pl.DataFrame:
    """Per category: lines, GMV, GMV share and gross-margin rate beside the comparison period
    (:func:`kit.metrics.products.sales_margin`), with its quadrant now and then (kept for the
    diagnosis' margin rule)."""
    p = run.params.products

    def compute() -> pl.DataFrame:
        table = pm.sales_margin(run.orders, run.order_items, run.period, run.comparison, by="category")
        return pm.quadrants(table, p.sales_split, p.margin_split)

    table = kept(run, "products_category_margin", compute, reuse)
    if not reuse:
        run.record("products", {"categories": _matrix_record(table, "category")})
    return table


@needs(orders=(), order_items=("category", "product_id"))
def product_margin(run: Run, reuse: bool = False) -> pl.DataFrame:
    """The top ``products.top_n`` products by GMV in the period, as :func:`category_margin`
    (their quadrants split at the medians of the products shown), with their category."""
    p = run.params.products

    def compute() -> pl.DataFrame:
        table = pm.top_items(pm.sales_margin(run.orders, run.order_items, run.period, run.comparison,
                                             by="product_id"), p.top_n)
        table = pm.quadrants(table, p.sales_split, p.margin_split)
        return table.join(_product_categories(run), on="product_id", how="left")

    table = kept(run, "products_product_margin", compute, reuse)
    if not reuse:
        run.record("products", {"top_products": _matrix_record(table, "product_id")})
    return table


def _product_categories(run: Run) -> pl.DataFrame:
    """Each product's category (its most frequent one, should the data give it several)."""
    return (run.order_items.group_by("product_id", "category").agg(pl.len().alias("_n"))
            .sort(["_n", "category"], descending=[True, False]).group_by("product_id").first()
            .select("product_id", "category").collect())


class Quadrants(NamedTuple):
    summary: pl.DataFrame
    """Per quadrant: items and GMV share now and in the comparison period."""
    moves: pl.DataFrame
    """Items whose quadrant changed since the comparison period."""
    level: str
    """category or product_id."""


def quadrant_table(run: Run, table: pl.DataFrame, level: str) -> Quadrants:
    """The quadrants of a matrix (:func:`category_margin` or :func:`product_margin`) and who moved."""
    out = Quadrants(pm.quadrant_summary(table), pm.quadrant_moves(table), level)
    record = "quadrants" if level == "category" else "product_quadrants"
    run.record("products", {
        record: out.summary.to_dicts(),
        f"{record}_moves": out.moves.select(pl.col(level).cast(pl.String).alias("item"), "quadrant_prev",
                                            "quadrant").to_dicts(),
        f"{record}_splits": {k: table[k][0] if table.height else None for k in
                             ("sales_split", "margin_split", "sales_split_prev", "margin_split_prev")},
    })
    return out


# ---------------------------------------------------------------- Pareto / ABC and 动销率


class Pareto(NamedTuple):
    assortment: pl.DataFrame
    """One row: products sold, catalogue, 动销率, the 80% share, ABC counts, long-tail share (compared)."""
    curve: pl.DataFrame
    """The Pareto curve of the period's products."""


@needs(orders=(), order_items=("category", "product_id"))
def pareto(run: Run, reuse: bool = False) -> Pareto:
    """Pareto / ABC of the period's products and 动销率 (:func:`kit.metrics.products.assortment`;
    the one-row table kept for the diagnosis' catalogue rule)."""
    table = kept(run, "products_assortment",
                 lambda: pm.assortment(run.orders, run.order_items, run.period, run.comparison), reuse)
    if reuse:
        return Pareto(table, pl.DataFrame())
    run.record("products", {"assortment": table.to_dicts()[0]})
    return Pareto(table, pm.pareto_curve(pm.product_gmv(run.orders, run.order_items, run.period)))


# ---------------------------------------------------------------- returns vs rating


class Quality(NamedTuple):
    items: pl.DataFrame
    """Per item with at least ``min_lines`` lines: return rate, rating, value at risk."""
    flagged: pl.DataFrame
    """Of them, those above the return threshold and below the rating threshold."""
    norm_return_rate: float | None
    """The shop's return rate over all lines of the period."""
    norm_rating: float | None
    """The shop's mean rating over all rated lines of the period."""
    level: str


@needs(orders=(), order_items=("category", "returned|rating"))
def quality(run: Run, level: str = "category") -> Quality | Missing:
    """Returns vs rating per category or product (``level``), with the shop's norms and the
    items to look at (return rate >= ``diagnosis.return_rate_high`` and rating <=
    ``diagnosis.rating_low``), each with its value at risk (:func:`kit.metrics.products.item_quality`)."""
    if level == "product_id" and not run.has("order_items", "product_id"):
        return Missing(("order_items.product_id",))
    p, th = run.params.products, run.params.diagnosis
    table = pm.item_quality(run.orders, run.order_items, run.period, run.comparison, by=level)
    lines = table["lines"].sum()
    returned = (table["lines"] * table["return_rate"]).sum() if table["return_rate"].null_count() < table.height else None
    rated = table.filter(pl.col("rating").is_not_null())
    norm_rating = None
    if rated.height:  # the mean over rated lines, by the items' line counts (near enough: items' rated shares alike)
        norm_rating = float((rated["rating"] * rated["lines"]).sum() / rated["lines"].sum())
    norm = float(returned / lines) if returned is not None and lines else None
    shown = table.filter(pl.col("lines") >= p.min_lines)
    flagged = pm.flagged_quality(shown, p.min_lines, th.return_rate_high, th.rating_low)
    name = "quality" if level == "category" else "product_quality"
    run.record("products", {name: {
        "norm_return_rate": norm, "norm_rating": norm_rating, "items_shown": shown.height,
        "flagged": flagged.select(pl.col(level).cast(pl.String).alias("item"), "lines", "gmv", "return_rate",
                                  "rating", "others_return_rate", "gmv_at_risk").to_dicts()}})
    return Quality(shown, flagged, norm, norm_rating, level)


# ---------------------------------------------------------------- baskets


class BasketRules(NamedTuple):
    rules: pl.DataFrame
    """The rules of the period with their lift, confidence and baskets in the comparison period."""
    baskets: int
    skipped: int
    level: str


def _rules(run: Run, level: str, period, keep=None) -> bk.Rules:
    p = run.params.products
    items = bk.basket_items(run.orders, run.order_items, period, by=level)
    return bk.association_rules(items, p.min_support, p.min_baskets, p.min_confidence, p.max_basket_items, keep)


def _top_products(run: Run) -> pl.Series:
    """The ``products.basket_products`` products in most of the period's baskets (ties by id)."""
    items = bk.basket_items(run.orders, run.order_items, run.period, by="product_id")
    top = (items.group_by("item").agg(pl.len().alias("n")).sort(["n", "item"], descending=[True, False])
           .head(run.params.products.basket_products).collect())
    return top["item"]


@needs(orders=(), order_items=("category",))
def basket_rules(run: Run, level: str = "category", reuse: bool = False) -> BasketRules | Missing:
    """Association rules between categories (``level="category"``) or between the top products
    (``"product_id"``) in the period's baskets (:func:`kit.metrics.baskets.association_rules`),
    beside the comparison period; kept for the cross-sell figure and the diagnosis."""
    if level == "product_id" and not run.has("order_items", "product_id"):
        return Missing(("order_items.product_id",))
    name = f"products_rules_{'category' if level == 'category' else 'product'}"

    def compute() -> pl.DataFrame:
        keep = _top_products(run) if level == "product_id" else None
        now = _rules(run, level, run.period, keep)
        before = _rules(run, level, run.comparison, keep).rules if run.comparison else None
        return bk.with_previous(now.rules, before).with_columns(pl.lit(now.baskets).alias("n_baskets"),
                                                                pl.lit(now.skipped).alias("n_skipped"))

    table = kept(run, name, compute, reuse)
    baskets = int(table["n_baskets"][0]) if table.height else _basket_count(run)
    skipped = int(table["n_skipped"][0]) if table.height else 0
    rules = table.drop("n_baskets", "n_skipped")
    if not reuse:
        key = "category_rules" if level == "category" else "product_rules"
        run.record("products", {key: {"baskets": baskets, "skipped": skipped, "rules": rules.height,
                                      "top": rules.head(RECORDED_RULES).to_dicts()}})
    return BasketRules(rules, baskets, skipped, level)


def rule_pairs(rules: BasketRules) -> pl.DataFrame:
    """The rules' pairs, one row each (:func:`kit.metrics.baskets.unordered`): the table of
    the top product pairs."""
    return bk.unordered(rules.rules)


def _basket_count(run: Run) -> int:
    return int(bk.basket_items(run.orders, run.order_items, run.period).select(pl.col("order_id").n_unique())
               .collect().item())


def category_lift(rules: BasketRules, n: int = 10) -> pl.DataFrame:
    """The lift between the ``n`` categories in most rules' baskets, as a long table for the heatmap."""
    counts = pl.concat([rules.rules.select(pl.col("antecedent").alias("item"), "baskets"),
                        rules.rules.select(pl.col("consequent").alias("item"), "baskets")])
    top = counts.group_by("item").agg(pl.col("baskets").sum()).sort(["baskets", "item"], descending=[True, False])
    return bk.pair_lift(rules.rules, sorted(top["item"].head(n).to_list()))


@needs(orders=(), order_items=("category",))
def cross_sell(run: Run, reuse: bool = False) -> pl.DataFrame:
    """Cross-sell opportunities of the strongest category and product rules (lift >=
    ``products.cross_sell_lift``, ``min_baskets``): prospects and their value
    (:func:`kit.metrics.baskets.cross_sell`), with their ``level``; kept for the diagnosis."""
    p = run.params.products

    def compute() -> pl.DataFrame:
        parts = []
        for level in ("category", "product_id"):
            rules = basket_rules(run, level, reuse=True)
            if isinstance(rules, Missing):
                continue
            found = bk.cross_sell(run.orders, run.order_items, rules.rules, run.period, by=level,
                                  min_lift=p.cross_sell_lift, min_baskets=p.min_baskets, top=p.cross_sell_top)
            parts.append(found.select("antecedent", "consequent", "baskets", "support", "confidence", "lift",
                                      "prospects", "consequent_value", "value")
                         .with_columns(pl.lit(level).alias("level")))
        return pl.concat(parts) if parts else pl.DataFrame(schema=CROSS_SELL_SCHEMA)

    table = kept(run, "products_cross_sell", compute, reuse)
    if not reuse:
        run.record("products", {"cross_sell": table.to_dicts()})
    return table


FIGURES = (coverage, category_margin, product_margin, pareto, quality, basket_rules, cross_sell)
"""Every figure of the section in report order (the bench times each)."""
