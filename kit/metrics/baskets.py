"""Market baskets (购物篮 / 关联购买): association rules between the items bought together,
and the cross-sell opportunities they point to.

A *basket* is one paid order of the period; its items are the distinct categories (or
products) of its lines. For items A and B, over the N baskets counted:

- ``support`` = baskets with A and B / N;
- ``confidence`` (A -> B) = baskets with A and B / baskets with A;
- ``lift`` = confidence / (baskets with B / N): how many times more often B is in a basket
  with A than in any basket (1 = independent);
- ``baskets`` = baskets with A and B (the evidence behind the rule).

Computed in polars: the pairs of each basket by a self-join on the order id with item a <
item b, after dropping the items below the minimum support (they cannot be in a frequent
pair, the Apriori property); baskets with more than ``max_items`` items (a wholesale order,
a data error) are skipped and counted, since their pairs grow as the square of their size.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from kit.contract import paid_lines
from kit.metrics.common import in_period, safe_div
from kit.metrics.products import line_value
from kit.periods import Period


class Rules(NamedTuple):
    rules: pl.DataFrame
    """One row per rule: ``antecedent, consequent, baskets, support, confidence, lift,
    antecedent_support, consequent_support``, the highest lift first."""
    baskets: int
    """Baskets counted (N): the period's paid orders with at most ``max_items`` items."""
    skipped: int
    """Baskets with more than ``max_items`` items, left out."""


def basket_items(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period, by: str = "category") -> pl.LazyFrame:
    """``order_id, item``: the distinct items (``by``: category or product_id) of each paid
    order placed in the period."""
    lines = paid_lines(items, orders).filter(in_period("order_time", period) & pl.col(by).is_not_null())
    return lines.select("order_id", pl.col(by).cast(pl.String).alias("item")).unique()


def association_rules(baskets: pl.LazyFrame | pl.DataFrame, min_support: float = 0.001, min_baskets: int = 20,
                      min_confidence: float = 0.0, max_items: int = 50,
                      keep: pl.Series | list[str] | None = None) -> Rules:
    """Rules A -> B between the items of ``baskets`` (``order_id, item``, one row per item of
    a basket; :func:`basket_items`), both directions of every pair whose baskets reach
    ``max(min_support x N, min_baskets)``, with confidence >= ``min_confidence``; the highest
    lift first (ties: more baskets, then names). ``keep``: only these items may be in a rule
    (the top products), while N still counts every basket."""
    frame = baskets.collect() if isinstance(baskets, pl.LazyFrame) else baskets
    # baskets as consecutive integers (0..N-1) in sorted order: the order ids are sorted once,
    # and every later window, count and the self-join groups sorted 4-byte codes instead of
    # hashing order-id strings (a string window or join over 10M lines takes a second or more;
    # on sorted codes, a twentieth of that)
    coded = frame.sort("order_id").select(pl.col("order_id").rle_id().alias("basket"), pl.col("item").cast(pl.String))
    coded = coded.with_columns(pl.col("basket").set_sorted())
    coded = coded.with_columns(pl.len().over("basket").alias("_size"))
    n_all = int(coded["basket"].max() + 1) if coded.height else 0
    skipped = int(coded.filter(pl.col("_size") > max_items)["basket"].n_unique())
    n = n_all - skipped
    empty = pl.DataFrame(schema={"antecedent": pl.String, "consequent": pl.String, "baskets": pl.Int64,
                                 "support": pl.Float64, "confidence": pl.Float64, "lift": pl.Float64,
                                 "antecedent_support": pl.Float64, "consequent_support": pl.Float64})
    if n <= 0:
        return Rules(empty, 0, skipped)
    floor = max(min_support * n, float(min_baskets), 1.0)
    counted = coded.filter(pl.col("_size") <= max_items)
    item_counts = counted.group_by("item").agg(pl.len().alias("n_item")).filter(pl.col("n_item") >= floor)
    if keep is not None:
        item_counts = item_counts.filter(pl.col("item").is_in(pl.Series(keep, dtype=pl.String).implode()))
    if item_counts.height < 2:
        return Rules(empty, n, skipped)
    codes = item_counts.sort("item").with_row_index("code")
    pairs_in = (counted.join(codes.select("item", "code"), on="item", how="inner", maintain_order="left")
                .select(pl.col("basket").set_sorted(), "code"))
    # a basket with one frequent item makes no pair
    pairs_in = pairs_in.filter(pl.len().over("basket") >= 2).lazy()
    pairs = (pairs_in.join(pairs_in, on="basket", suffix="_b").filter(pl.col("code") < pl.col("code_b"))
             .group_by("code", "code_b").agg(pl.len().alias("baskets"))
             .filter(pl.col("baskets") >= floor).collect())
    if not pairs.height:
        return Rules(empty, n, skipped)
    both = pl.concat([pairs.rename({"code": "a", "code_b": "b"}), pairs.rename({"code_b": "a", "code": "b"})
                      .select("a", "b", "baskets")])
    names = codes.select("code", "item", (pl.col("n_item") / n).alias("s"))
    rules = (both.join(names.rename({"code": "a", "item": "antecedent", "s": "antecedent_support"}), on="a")
             .join(names.rename({"code": "b", "item": "consequent", "s": "consequent_support"}), on="b"))
    support = pl.col("baskets") / n
    confidence = support / pl.col("antecedent_support")
    rules = rules.with_columns(support.alias("support"), confidence.alias("confidence"),
                               (confidence / pl.col("consequent_support")).alias("lift"))
    rules = rules.filter(pl.col("confidence") >= min_confidence - 1e-12).select(empty.columns)
    rules = rules.with_columns(pl.col("baskets").cast(pl.Int64))
    return Rules(rules.sort(["lift", "baskets", "antecedent", "consequent"], descending=[True, True, False, False]),
                 n, skipped)


def with_previous(rules: pl.DataFrame, before: pl.DataFrame | None) -> pl.DataFrame:
    """``rules`` with each rule's ``lift_prev``, ``confidence_prev`` and ``baskets_prev`` in
    the comparison period (null when the rule was not found then, or without one)."""
    columns = {"lift": "lift_prev", "confidence": "confidence_prev", "baskets": "baskets_prev"}
    if before is None:
        return rules.with_columns([pl.lit(None, pl.Float64).alias(c) for c in columns.values()])
    prev = before.select("antecedent", "consequent", *columns).rename(columns)
    return rules.join(prev, on=["antecedent", "consequent"], how="left").with_columns(
        pl.col("baskets_prev").cast(pl.Float64))


def pair_lift(rules: pl.DataFrame, items: list[str]) -> pl.DataFrame:
    """The lift of every ordered pair of ``items`` as a long table ``antecedent, consequent,
    lift`` (null where no rule passed the thresholds); the heatmap's input. Lift is symmetric
    (A -> B = B -> A), so a pair whose one direction fell below the confidence floor takes the
    other direction's lift."""
    grid = pl.DataFrame({"antecedent": items}).join(pl.DataFrame({"consequent": items}), how="cross")
    grid = grid.filter(pl.col("antecedent") != pl.col("consequent"))
    lifts = rules.select("antecedent", "consequent", "lift")
    mirrored = lifts.select(pl.col("consequent").alias("antecedent"), pl.col("antecedent").alias("consequent"),
                            pl.col("lift").alias("mirrored"))
    out = grid.join(lifts, on=["antecedent", "consequent"], how="left")
    out = out.join(mirrored, on=["antecedent", "consequent"], how="left")
    return out.select("antecedent", "consequent", pl.coalesce("lift", "mirrored").alias("lift"))


def unordered(rules: pl.DataFrame) -> pl.DataFrame:
    """One row per pair (the support, lift and baskets of a pair are the same both ways): A ->
    B with A < B where that direction passed the confidence floor, else B -> A; the highest
    lift first."""
    first = pl.min_horizontal("antecedent", "consequent")
    second = pl.max_horizontal("antecedent", "consequent")
    ranked = rules.with_columns(first.alias("_a"), second.alias("_b"),
                                (pl.col("antecedent") > pl.col("consequent")).alias("_mirrored"))
    pairs = ranked.sort(["_a", "_b", "_mirrored"]).unique(["_a", "_b"], keep="first")
    return pairs.sort(["lift", "baskets", "_a", "_b"], descending=[True, True, False, False]).drop(
        "_a", "_b", "_mirrored")


# ---------------------------------------------------------------- cross-sell


def cross_sell(orders: pl.LazyFrame, items: pl.LazyFrame, rules: pl.DataFrame, period: Period,
               by: str = "category", min_lift: float = 1.0, min_baskets: int = 20, top: int = 5) -> pl.DataFrame:
    """For the ``top`` rules with lift > ``min_lift`` and at least ``min_baskets`` baskets
    (the highest lift first): ``prospects`` = customers who bought the antecedent in the period
    but never bought the consequent (in the data up to the period's end); ``consequent_value``
    = the consequent's GMV per period basket that holds it; ``value`` = prospects x confidence
    x consequent_value, what they would bring if they bought it as often as the rule's
    observed confidence."""
    chosen = (rules.filter((pl.col("lift") > min_lift) & (pl.col("baskets") >= min_baskets))
              .sort(["lift", "baskets"], descending=True).head(top))
    columns = [*chosen.columns, "prospects", "consequent_value", "value"]
    if not chosen.height:
        return pl.DataFrame(schema={**chosen.schema, "prospects": pl.Float64, "consequent_value": pl.Float64,
                                    "value": pl.Float64})
    wanted = pl.Series(pl.concat([chosen["antecedent"], chosen["consequent"]]).unique(), dtype=pl.String)
    lines = paid_lines(items, orders).filter(pl.col("order_time") < pl.lit(period.end_dt))
    lines = lines.with_columns(pl.col(by).cast(pl.String).alias("item")).filter(pl.col("item").is_in(wanted.implode()))
    names = items.collect_schema().names()
    in_p = in_period("order_time", period)
    bought = lines.group_by("customer_id", "item").agg(in_p.any().alias("in_period")).collect()
    value = (lines.filter(in_p).group_by("item")
             .agg(safe_div(line_value(names).sum(), pl.col("order_id").n_unique()).cast(pl.Float64)
                  .alias("consequent_value")).collect())
    rows = []
    for r in chosen.iter_rows(named=True):
        buyers = bought.filter((pl.col("item") == r["antecedent"]) & pl.col("in_period")).select("customer_id")
        owners = bought.filter(pl.col("item") == r["consequent"]).select("customer_id")
        rows.append({"antecedent": r["antecedent"], "consequent": r["consequent"],
                     "prospects": float(buyers.join(owners, on="customer_id", how="anti").height)})
    out = chosen.join(pl.DataFrame(rows, schema={"antecedent": pl.String, "consequent": pl.String,
                                                 "prospects": pl.Float64}), on=["antecedent", "consequent"])
    out = out.join(value.rename({"item": "consequent"}), on="consequent", how="left")
    out = out.with_columns((pl.col("prospects") * pl.col("confidence") * pl.col("consequent_value").fill_null(0.0))
                           .alias("value"))
    return out.select(columns).sort("value", descending=True)


def cross_sell_customers(orders: pl.LazyFrame, items: pl.LazyFrame, period: Period, antecedent: str,
                         consequent: str, by: str = "category") -> pl.LazyFrame:
    """The prospects of one rule (see :func:`cross_sell`): ``customer_id`` and
    ``antecedent_spend``, what each spent on the antecedent in the period."""
    names = items.collect_schema().names()
    lines = paid_lines(items, orders).filter(pl.col("order_time") < pl.lit(period.end_dt))
    item = pl.col(by).cast(pl.String)
    buyers = (lines.filter((item == antecedent) & in_period("order_time", period))
              .group_by("customer_id").agg(line_value(names).sum().cast(pl.Float64).alias("antecedent_spend")))
    owners = lines.filter(item == consequent).select("customer_id").unique()
    return buyers.join(owners, on="customer_id", how="anti")
