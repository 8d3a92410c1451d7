"""Sentences of sections 3.1-3.2 (RFM segments), from the tables of
:mod:`kit.metrics.segments` and the templates under ``rfm.`` in :mod:`kit.i18n`."""

from __future__ import annotations

from datetime import date

import polars as pl

from kit.i18n import Locale
from kit.i18n.labels import segment_name, suggested_action
from kit.metrics.segments import CHURNED, HIGH_VALUE, NEW, biggest_moves


def method_sentence(method, as_of: date, loc: Locale) -> str:
    """How the segments were made (``method``: :func:`kit.figures.value.method`), for the line
    under the section heading."""
    values = {"as_of": as_of.isoformat(), "split": loc.t(f"rfm.split.{method.split}"),
              "k": method.clusters if method.clusters is not None else "-"}
    return loc.t(f"rfm.method.{method.scheme}", **values)


def few_levels_notes(levels: pl.DataFrame | None, loc: Locale) -> list[str]:
    """A note per score with fewer than 5 distinct levels (:func:`kit.metrics.rfm.score_levels`;
    None: the scheme has no scores)."""
    if levels is None:
        return []
    return [loc.t("rfm.few_levels", score=loc.t(f"rfm.score.{row['score']}"), levels=row["levels"])
            for row in levels.iter_rows(named=True) if row["levels"] < 5]


def sizes_sentences(profiles: pl.DataFrame, loc: Locale) -> list[str]:
    """After the segment-size chart: the largest segment (most customers) and the segment with
    the largest revenue share with its share of customers (:func:`kit.metrics.segments.segment_profiles`)."""
    if profiles.height == 0:
        return [loc.t("rfm.no_customers")]
    largest = profiles.sort(["customers", "segment"], descending=[True, False]).row(0, named=True)
    sentences = [loc.t("rfm.largest_segment", segment=segment_name(largest["segment"], loc),
                   customers=loc.integer(largest["customers"]), share=loc.pct(largest["share"]))]
    if profiles["revenue_share"].drop_nulls().len():
        top = profiles.sort(["revenue_share", "segment"], descending=[True, False], nulls_last=True).row(0, named=True)
        sentences.append(loc.t("rfm.top_revenue_segment", segment=segment_name(top["segment"], loc),
                           revenue_share=loc.pct(top["revenue_share"]), customer_share=loc.pct(top["share"])))
    return sentences


def grid_sentences(grid: pl.DataFrame, segmented: pl.DataFrame, loc: Locale) -> list[str]:
    """After the R x F heatmap: share of customers with one paid order (F = 1) and the
    customers in the best cell (R score 5, F score 5) (:func:`kit.metrics.segments.rf_grid`)."""
    if segmented.height == 0:
        return [loc.t("rfm.no_customers")]
    once = (segmented["frequency"] == 1).sum() / segmented.height
    top = grid.filter((pl.col("r_score") == 5) & (pl.col("f_score") == 5))["customers"].sum()
    return [loc.t("rfm.grid_sentence", share=loc.pct(once), top=loc.integer(top))]


def concentration_sentences(concentration: pl.DataFrame, before: pl.DataFrame | None, loc: Locale) -> list[str]:
    """After the Lorenz curve: the top 20% customers' share of GMV, and its change in points vs the
    comparison period when given (:func:`kit.metrics.segments.revenue_concentration`)."""
    row = concentration.row(0, named=True)
    if not row["customers"]:
        return [loc.t("rfm.no_customers")]
    sentences = [loc.t("rfm.concentration", customers=loc.integer(row["top_customers"]), share=loc.pct(row["top_share"]))]
    if before is not None and before.height and before["top_share"][0] is not None and row["top_share"] is not None:
        prev = before["top_share"][0]
        sentences.append(loc.t("rfm.concentration_change", share_prev=loc.pct(prev),
                           change=loc.pp(row["top_share"] - prev)))
    return sentences


def migration_sentences(migration: pl.DataFrame, loc: Locale, n: int = 3) -> list[str]:
    """After the migration heatmap: the biggest flow between two different segments (with its
    share of the source segment), the next ones, and where most new customers went
    (:func:`kit.metrics.segments.segment_migration`)."""
    moves = biggest_moves(migration, n)
    if moves.height == 0:
        sentences = [loc.t("rfm.migration_none")]
    else:
        first = moves.row(0, named=True)
        sentences = [loc.t("rfm.migration_flow", source=segment_name(first["from_segment"], loc),
                       target=segment_name(first["to_segment"], loc), customers=loc.integer(first["customers"]),
                       share=loc.pct(first["share"]))]
        rest = [loc.t("rfm.migration_item", source=segment_name(r["from_segment"], loc),
                  target=segment_name(r["to_segment"], loc), customers=loc.integer(r["customers"]))
                for r in moves.slice(1).iter_rows(named=True)]
        if rest:
            sentences.append(loc.t("rfm.migration_other", flows=("；" if loc.lang == "zh" else "; ").join(rest)))
    new = migration.filter(pl.col("from_segment") == NEW)
    if new.height:
        top = new.sort(["customers", "to_segment"], descending=[True, False]).row(0, named=True)
        sentences.append(loc.t("rfm.new_customers", customers=loc.integer(new["customers"].sum()),
                           segment=segment_name(top["to_segment"], loc), share=loc.pct(top["share"])))
    return sentences


def size_change_sentences(sizes: pl.DataFrame, loc: Locale) -> list[str]:
    """The change in customers of the high-value and the churned segment between the two ends
    (:func:`kit.metrics.segments.segment_sizes`), when both ends are known."""
    watched = sizes.filter(pl.col("segment").is_in(sorted(HIGH_VALUE | CHURNED)) & pl.col("customers_prev").is_not_null())
    return [loc.t("rfm.size_change", segment=segment_name(r["segment"], loc), before=loc.integer(r["customers_prev"]),
              now=loc.integer(r["customers"]), change=loc.change(r["customers_change_rel"]))
            for r in watched.iter_rows(named=True)]


def profile_rows(profiles: pl.DataFrame, top_categories: pl.DataFrame | None, loc: Locale) -> pl.DataFrame:
    """The segment-profile table as readers see it: the segment's name, its top categories
    (from :func:`kit.metrics.segments.segment_top_categories`, best first) and its suggested
    action beside the figures of :func:`kit.metrics.segments.segment_profiles`."""
    codes = profiles["segment"].to_list()
    rows = profiles.with_columns(
        pl.Series("name", [segment_name(c, loc) for c in codes], dtype=pl.String),
        pl.Series("action", [suggested_action(c, loc) for c in codes], dtype=pl.String),
    )
    if top_categories is None:
        return rows
    joined = top_categories.sort("rank").group_by("segment", maintain_order=True).agg(
        pl.col("category").str.join(", ").alias("top_categories"))
    return rows.join(joined, on="segment", how="left")


def profile_columns(loc: Locale, with_categories: bool) -> dict[str, tuple[str, str]]:
    """The segment-profile table's columns (:func:`profile_rows`); top categories only when known."""
    kinds = [("customers", "int"), ("share", "pct"), ("revenue_share", "pct"), ("mean_recency", "num"),
             ("mean_frequency", "num"), ("aov", "money"), ("top_categories", "text"), ("action", "text")]
    return {"name": (loc.t("rfm.col.segment"), "text")} | {
        c: (loc.t(f"rfm.col.{c}"), kind) for c, kind in kinds if c != "top_categories" or with_categories}
