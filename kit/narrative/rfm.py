"""Sentences of sections 3.1-3.2 (RFM segments), from the tables of
:mod:`kit.metrics.segments` and the templates under ``rfm.`` in :mod:`kit.i18n`."""

from __future__ import annotations

from datetime import date

import polars as pl

from kit.display import fmt_change, fmt_int, fmt_pct, fmt_pp
from kit.i18n import label, t
from kit.metrics.segments import CHURNED, HIGH_VALUE, NEW, biggest_moves


def segment_name(segment: str, lang: str = "zh") -> str:
    """The display name of a segment code (``rfm.segment.<code>``), the code itself when unknown."""
    return label("rfm.segment", segment, lang)


def suggested_action(segment: str, lang: str = "zh") -> str:
    """The suggested action for a segment (``rfm.action.<code>``), empty when there is none."""
    name = label("rfm.action", segment, lang)
    return "" if name == str(segment) else name


def method_sentence(scheme: str, as_of: date, lang: str = "zh", split: str = "mean", k: int | None = None) -> str:
    """How the segments were made, for the line under the section heading."""
    values = {"as_of": as_of.isoformat(), "split": t(f"rfm.split.{split}", lang), "k": k if k is not None else "-"}
    return t(f"rfm.method.{scheme}", lang, **values)


def few_levels_notes(levels: pl.DataFrame, lang: str = "zh") -> list[str]:
    """A note per score with fewer than 5 distinct levels (:func:`kit.metrics.rfm.score_levels`)."""
    return [t("rfm.few_levels", lang, score=t(f"rfm.score.{row['score']}", lang), levels=row["levels"])
            for row in levels.iter_rows(named=True) if row["levels"] < 5]


def sizes_sentences(profiles: pl.DataFrame, lang: str = "zh") -> list[str]:
    """After the segment-size chart: the largest segment (most customers) and the segment with
    the largest revenue share with its share of customers (:func:`kit.metrics.segments.segment_profiles`)."""
    if profiles.height == 0:
        return [t("rfm.no_customers", lang)]
    largest = profiles.sort(["customers", "segment"], descending=[True, False]).row(0, named=True)
    sentences = [t("rfm.largest_segment", lang, segment=segment_name(largest["segment"], lang),
                   customers=fmt_int(largest["customers"]), share=fmt_pct(largest["share"]))]
    if profiles["revenue_share"].drop_nulls().len():
        top = profiles.sort(["revenue_share", "segment"], descending=[True, False], nulls_last=True).row(0, named=True)
        sentences.append(t("rfm.top_revenue_segment", lang, segment=segment_name(top["segment"], lang),
                           revenue_share=fmt_pct(top["revenue_share"]), customer_share=fmt_pct(top["share"])))
    return sentences


def grid_sentences(grid: pl.DataFrame, segmented: pl.DataFrame, lang: str = "zh") -> list[str]:
    """After the R x F heatmap: share of customers with one paid order (F = 1) and the
    customers in the best cell (R score 5, F score 5) (:func:`kit.metrics.segments.rf_grid`)."""
    if segmented.height == 0:
        return [t("rfm.no_customers", lang)]
    once = (segmented["frequency"] == 1).sum() / segmented.height
    top = grid.filter((pl.col("r_score") == 5) & (pl.col("f_score") == 5))["customers"].sum()
    return [t("rfm.grid_sentence", lang, share=fmt_pct(once), top=fmt_int(top))]


def concentration_sentences(concentration: pl.DataFrame, before: pl.DataFrame | None = None,
                            lang: str = "zh") -> list[str]:
    """After the Lorenz curve: the top 20% customers' share of GMV, and its change in points vs the
    comparison period when given (:func:`kit.metrics.segments.revenue_concentration`)."""
    row = concentration.row(0, named=True)
    if not row["customers"]:
        return [t("rfm.no_customers", lang)]
    sentences = [t("rfm.concentration", lang, customers=fmt_int(row["top_customers"]), share=fmt_pct(row["top_share"]))]
    if before is not None and before.height and before["top_share"][0] is not None and row["top_share"] is not None:
        prev = before["top_share"][0]
        sentences.append(t("rfm.concentration_change", lang, share_prev=fmt_pct(prev),
                           change=fmt_pp(row["top_share"] - prev, lang=lang)))
    return sentences


def migration_sentences(migration: pl.DataFrame, lang: str = "zh", n: int = 3) -> list[str]:
    """After the migration heatmap: the biggest flow between two different segments (with its
    share of the source segment), the next ones, and where most new customers went
    (:func:`kit.metrics.segments.segment_migration`)."""
    moves = biggest_moves(migration, n)
    if moves.height == 0:
        sentences = [t("rfm.migration_none", lang)]
    else:
        first = moves.row(0, named=True)
        sentences = [t("rfm.migration_flow", lang, source=segment_name(first["from_segment"], lang),
                       target=segment_name(first["to_segment"], lang), customers=fmt_int(first["customers"]),
                       share=fmt_pct(first["share"]))]
        rest = [t("rfm.migration_item", lang, source=segment_name(r["from_segment"], lang),
                  target=segment_name(r["to_segment"], lang), customers=fmt_int(r["customers"]))
                for r in moves.slice(1).iter_rows(named=True)]
        if rest:
            sentences.append(t("rfm.migration_other", lang, flows=("；" if lang == "zh" else "; ").join(rest)))
    new = migration.filter(pl.col("from_segment") == NEW)
    if new.height:
        top = new.sort(["customers", "to_segment"], descending=[True, False]).row(0, named=True)
        sentences.append(t("rfm.new_customers", lang, customers=fmt_int(new["customers"].sum()),
                           segment=segment_name(top["to_segment"], lang), share=fmt_pct(top["share"])))
    return sentences


def size_change_sentences(sizes: pl.DataFrame, lang: str = "zh") -> list[str]:
    """The change in customers of the high-value and the churned segment between the two ends
    (:func:`kit.metrics.segments.segment_sizes`), when both ends are known."""
    watched = sizes.filter(pl.col("segment").is_in(sorted(HIGH_VALUE | CHURNED)) & pl.col("customers_prev").is_not_null())
    return [t("rfm.size_change", lang, segment=segment_name(r["segment"], lang), before=fmt_int(r["customers_prev"]),
              now=fmt_int(r["customers"]), change=fmt_change(r["customers_change_rel"]))
            for r in watched.iter_rows(named=True)]


def profile_rows(profiles: pl.DataFrame, top_categories: pl.DataFrame | None = None,
                 lang: str = "zh") -> pl.DataFrame:
    """The segment-profile table as readers see it: the segment's name, its top categories
    (from :func:`kit.metrics.segments.segment_top_categories`, best first) and its suggested
    action beside the figures of :func:`kit.metrics.segments.segment_profiles`."""
    codes = profiles["segment"].to_list()
    rows = profiles.with_columns(
        pl.Series("name", [segment_name(c, lang) for c in codes], dtype=pl.String),
        pl.Series("action", [suggested_action(c, lang) for c in codes], dtype=pl.String),
    )
    if top_categories is None:
        return rows
    joined = top_categories.sort("rank").group_by("segment", maintain_order=True).agg(
        pl.col("category").str.join(", ").alias("top_categories"))
    return rows.join(joined, on="segment", how="left")
