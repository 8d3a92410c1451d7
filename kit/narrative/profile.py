"""Sentences of section 1 (customer profile), from the tables of :mod:`kit.metrics.profile`
and the templates under ``profile.`` in :mod:`kit.i18n`.

Each function takes a figure's table(s) and the language and returns two or three
sentences as one string: the largest groups with their shares, the notable change against
the comparison period (left out when there is none) and anything unusual. Groups tied for
the top are named together.
"""

from __future__ import annotations

import polars as pl

from kit.display import direction, fmt_change, fmt_int, fmt_money, fmt_num, fmt_pct
from kit.i18n import label, t
from kit.metrics.profile import ORDERS_PER_CUSTOMER_MAX, UNKNOWN

TIE = 1e-12
"""Shares closer than this are a tie."""
TRANSLATED = ("age_band", "gender", "city_tier", "weekday")
"""Columns whose values have their own ``profile.<column>.<value>`` label."""


# ------------------------------------------------------------------ pieces

def group_name(column: str, value, lang: str) -> str:
    """How a group reads in a sentence or on an axis: its translated label for age bands,
    genders, city tiers and weekdays, ``unknown`` translated, other values as they are."""
    if column in TRANSLATED:
        return label(f"profile.{column}", value, lang)
    if value is None or value == UNKNOWN:
        return t("profile.value.unknown", lang)
    return str(value)


def join_names(names: list[str], lang: str) -> str:
    """``a、b、c`` (zh) or ``a, b and c`` (en)."""
    if len(names) <= 1 or lang == "zh":
        return t("profile.and", lang).join(names)
    return ", ".join(names[:-1]) + t("profile.and", lang) + names[-1]


def _missing(x) -> bool:
    return x is None or x != x


def pp_change(change, lang: str) -> str:
    """The clause for a change of a share in points (``, up 1.5 pp ...``); empty when missing."""
    if _missing(change):
        return ""
    way = direction(change)
    return t(f"profile.change.pp_{way}", lang, pp=fmt_num(abs(change) * 100, 1))


def rel_change(rel, lang: str) -> str:
    """The clause for a relative change (``, up 23.0% ...``); empty when missing."""
    if _missing(rel):
        return ""
    way = direction(rel)
    return t(f"profile.change.rel_{way}", lang, pct=fmt_pct(abs(rel)))


def _join(sentences: list[str], lang: str) -> str:
    return ("" if lang == "zh" else " ").join(s for s in sentences if s)


def _top(table: pl.DataFrame, value: str) -> pl.DataFrame:
    """The rows tied for the largest ``value``, in the table's own order."""
    best = table[value].max()
    return table.filter(pl.col(value) >= best - TIE)


def _has_prev(table: pl.DataFrame, value: str) -> bool:
    return f"{value}_prev" in table.columns and table[f"{value}_prev"].is_not_null().any()


def _top_share_sentence(table: pl.DataFrame, column: str, lang: str, value: str = "share") -> str:
    top = _top(table, value)
    names = [group_name(column, v, lang) for v in top[column].to_list()]
    if len(names) == 1:
        change = pp_change(top[f"{value}_change"][0], lang) if f"{value}_change" in top.columns else ""
        return t("profile.top_share", lang, group=names[0], share=fmt_pct(top[value][0]), change=change)
    return t("profile.top_share_tie", lang, groups=join_names(names, lang), share=fmt_pct(top[value][0]), change="")


def _mover_sentence(table: pl.DataFrame, column: str, lang: str, skip: list) -> str:
    """The group whose share moved most (in points), unless it is already named or the move is flat."""
    if not _has_prev(table, "share"):
        return ""
    # a shift of the unknowns says more about data capture than about customers
    moved = table.filter(pl.col("share_change").is_not_null() & (pl.col(column) != UNKNOWN)).with_columns(pl.col("share_change").abs().alias("_a"))
    if moved.is_empty():
        return ""
    row = moved.sort(["_a", column], descending=[True, False]).row(0, named=True)
    if row[column] in skip or direction(row["share_change"]) == "flat":
        return ""
    way = "up" if row["share_change"] > 0 else "down"
    return t("profile.mover", lang, group=group_name(column, row[column], lang), way=t(f"profile.way.{way}", lang),
             pp=fmt_num(abs(row["share_change"]) * 100, 1), share=fmt_pct(row["share"]))


def _second_sentence(table: pl.DataFrame, column: str, lang: str, skip: list) -> str:
    rest = table.filter(~pl.col(column).is_in(skip) & (pl.col("share") > 0))
    if rest.is_empty():
        return ""
    row = rest.sort(["share", column], descending=[True, False]).row(0, named=True)
    return t("profile.second_share", lang, group=group_name(column, row[column], lang), share=fmt_pct(row["share"]))


def _sum_or_null(column: str) -> pl.Expr:
    """The sum of a column, null (not 0) when all its values are null (no comparison)."""
    col = pl.col(column)
    return pl.when(col.is_not_null().any()).then(col.sum()).otherwise(None).alias(column)


def _empty(table: pl.DataFrame, value: str) -> bool:
    return table.is_empty() or not (table[value].fill_null(0) > 0).any()


# ------------------------------------------------------------------ 1.1

def share_text(table: pl.DataFrame, lang: str = "zh", column: str | None = None) -> str:
    """For any share table (region, province, city, city tier, device, source ...): the
    largest group(s) with share and change, then the biggest shift vs the comparison
    period (or, without one, the second group)."""
    column = column or table.columns[0]
    if _empty(table, "share"):
        return t("profile.no_data", lang)
    first = _top_share_sentence(table, column, lang)
    named = _top(table, "share")[column].to_list()
    second = _mover_sentence(table, column, lang, named) or _second_sentence(table, column, lang, named)
    return _join([first, second], lang)


def age_gender_text(table: pl.DataFrame, lang: str = "zh") -> str:
    """The largest age band (both genders) with its share and change, and the share of women
    among customers of known gender: F / (F + M), with its change."""
    if _empty(table, "customers"):
        return t("profile.no_data", lang)
    by_band = table.group_by("age_band", maintain_order=True).agg(_sum_or_null("share"), _sum_or_null("share_prev")).with_columns(
        (pl.col("share") - pl.col("share_prev")).alias("share_change"))
    sentences = [_top_share_sentence(by_band, "age_band", lang)]
    women = table.group_by("gender", maintain_order=True).agg(_sum_or_null("customers"), _sum_or_null("customers_prev"))
    known = women.filter(pl.col("gender").is_in(["F", "M"]))

    def female_share(col: str):
        total = known[col].sum() if known[col].is_not_null().any() else None
        f = known.filter(pl.col("gender") == "F")[col]
        if not total:
            return None
        return (f[0] or 0.0) / total if f.len() else 0.0

    now, before = female_share("customers"), female_share("customers_prev")
    if now is not None:
        change = pp_change(now - before, lang) if before is not None else ""
        sentences.append(t("profile.female_share", lang, share=fmt_pct(now), change=change))
    return _join(sentences, lang)


def new_by_tier_text(table: pl.DataFrame, lang: str = "zh") -> str:
    """New customers in all and their change, then the tier(s) whose new customers grow
    fastest (largest ``new_customers_change_rel``)."""
    if _empty(table, "new_customers"):
        return t("profile.no_data", lang)
    total = table["new_customers"].sum()
    change = ""
    if _has_prev(table, "new_customers"):
        prev = table["new_customers_prev"].sum()
        change = rel_change((total - prev) / prev, lang) if prev else ""
    sentences = [t("profile.new_total", lang, n=fmt_int(total), change=change)]
    growing = table.filter(pl.col("new_customers_change_rel").is_not_null() & (pl.col("city_tier") != UNKNOWN))
    if not growing.is_empty():
        best = _top(growing, "new_customers_change_rel")
        rel = best["new_customers_change_rel"][0]
        if direction(rel) == "up":
            tiers = join_names([group_name("city_tier", v, lang) for v in best["city_tier"].to_list()], lang)
            sentences.append(t("profile.new_fastest", lang, tiers=tiers, growth=fmt_change(rel)))
        else:
            sentences.append(t("profile.new_no_growth", lang))
    return _join(sentences, lang)


# ------------------------------------------------------------------ 1.2

def device_text(devices: pl.DataFrame, mobile: pl.DataFrame, lang: str = "zh") -> str:
    """The largest device(s) with share and change, and the mobile share with its change."""
    if _empty(devices, "share"):
        return t("profile.no_data", lang)
    row = mobile.row(0, named=True)
    mobile_sentence = t("profile.mobile_share", lang, share=fmt_pct(row["mobile_share"]),
                        change=pp_change(row["mobile_share_change"], lang))
    return _join([_top_share_sentence(devices, "device", lang), mobile_sentence], lang)


def duration_text(stats: pl.DataFrame, histogram: pl.DataFrame | None = None, lang: str = "zh") -> str:
    """Median and p90 session duration, the median's change, and the share of sessions
    under one minute (from the histogram's first bin)."""
    row = stats.row(0, named=True)
    if not row["sessions"]:
        return t("profile.no_data", lang)
    sentences = [t("profile.duration", lang, median=fmt_num(row["median_min"], 1), p90=fmt_num(row["p90_min"], 1),
                   change=rel_change(row["median_min_change_rel"], lang))]
    if histogram is not None and not histogram.is_empty():
        short = histogram.filter(pl.col("bin_end_min") == 1)
        if short.height and short["share"][0]:
            sentences.append(t("profile.duration_short", lang, share=fmt_pct(short["share"][0])))
    return _join(sentences, lang)


def heatmap_text(heatmap: pl.DataFrame, peaks: pl.DataFrame, lang: str = "zh") -> str:
    """The peak hours found in the data and the busiest weekday(s) with their share of visits."""
    if _empty(heatmap, "visits"):
        return t("profile.no_data", lang)
    sentences = []
    if peaks.height:
        hours = join_names([t("profile.peak_hour", lang, hour=f"{h:02d}") for h in peaks["hour"].to_list()], lang)
        sentences.append(t("profile.peaks", lang, hours=hours))
    days = heatmap.group_by("weekday", maintain_order=True).agg(pl.col("visits").sum(), pl.col("share").sum())
    best = _top(days, "share").sort("weekday")
    names = join_names([group_name("weekday", d, lang) for d in best["weekday"].to_list()], lang)
    sentences.append(t("profile.busiest_day", lang, day=names, share=fmt_pct(best["share"][0])))
    return _join(sentences, lang)


def source_text(table: pl.DataFrame, lang: str = "zh", currency: str = "¥") -> str:
    """The largest source(s) by sessions with change, the best-converting source against the
    overall visit-to-pay rate, and the source with the highest AOV."""
    if _empty(table, "sessions"):
        return t("profile.no_data", lang)
    top = _top(table, "share")
    names = join_names([group_name("source", v, lang) for v in top["source"].to_list()], lang)
    change = pp_change(top["share_change"][0], lang) if top.height == 1 else ""
    sentences = [t("profile.source_top", lang, source=names, share=fmt_pct(top["share"][0]), change=change)]
    visited = table.filter(pl.col("sessions") > 0)
    overall = visited["paying_sessions"].sum() / visited["sessions"].sum()
    best = _top(visited.filter(pl.col("visit_to_pay").is_not_null()), "visit_to_pay")
    if best.height and best["visit_to_pay"][0] > 0:
        sentences.append(t("profile.source_best_conversion", lang,
                           source=join_names([group_name("source", v, lang) for v in best["source"].to_list()], lang),
                           rate=fmt_pct(best["visit_to_pay"][0]), overall=fmt_pct(overall)))
    priced = table.filter(pl.col("aov").is_not_null())
    if priced.height > 1:
        rich = _top(priced, "aov")
        sentences.append(t("profile.source_best_aov", lang, aov=fmt_money(rich["aov"][0], currency),
                           source=join_names([group_name("source", v, lang) for v in rich["source"].to_list()],
                                             lang)))
    return _join(sentences, lang)


# ------------------------------------------------------------------ 1.3

def aov_text(overall: pl.DataFrame, by_category: pl.DataFrame, lang: str = "zh", currency: str = "¥") -> str:
    """AOV with its change, then the categories with the highest and lowest spend per order."""
    row = overall.row(0, named=True)
    if not row["paid_orders"]:
        return t("profile.no_data", lang)
    sentences = [t("profile.aov", lang, aov=fmt_money(row["aov"], currency), change=rel_change(row["aov_change_rel"], lang))]
    priced = by_category.filter(pl.col("aov").is_not_null()).sort(["aov", "category"], descending=[True, False])
    if priced.height >= 2:
        hi, lo = priced.row(0, named=True), priced.row(priced.height - 1, named=True)
        sentences.append(t("profile.aov_top_category", lang, category=group_name("category", hi["category"], lang),
                           aov=fmt_money(hi["aov"], currency), low=group_name("category", lo["category"], lang),
                           low_aov=fmt_money(lo["aov"], currency)))
    return _join(sentences, lang)


def order_value_text(stats: pl.DataFrame, lang: str = "zh", currency: str = "¥") -> str:
    """Median and p90 order value with the median's change; notes a mean well above the
    median (mean > 1.2 x median: a long tail of large orders)."""
    row = stats.row(0, named=True)
    if not row["paid_orders"]:
        return t("profile.no_data", lang)
    sentences = [t("profile.order_value", lang, median=fmt_money(row["median"], currency),
                   p90=fmt_money(row["p90"], currency), change=rel_change(row["median_change_rel"], lang))]
    if row["median"] and row["mean"] > 1.2 * row["median"]:
        sentences.append(t("profile.order_value_skew", lang, mean=fmt_money(row["mean"], currency)))
    return _join(sentences, lang)


def orders_per_customer_text(table: pl.DataFrame, lang: str = "zh") -> str:
    """Share of customers with one paid order in the period (and its change), and the share
    with three or more."""
    if _empty(table, "customers"):
        return t("profile.no_data", lang)
    once = table.filter(pl.col("orders") == "1").row(0, named=True)
    sentences = [t("profile.one_time", lang, share=fmt_pct(once["share"]), change=pp_change(once["share_change"], lang))]
    k = 3
    many = [str(i) for i in range(k, ORDERS_PER_CUSTOMER_MAX)] + [f"{ORDERS_PER_CUSTOMER_MAX}+"]
    sentences.append(t("profile.repeaters", lang, k=k,
                       share=fmt_pct(table.filter(pl.col("orders").is_in(many))["share"].sum())))
    return _join(sentences, lang)


def category_text(table: pl.DataFrame, lang: str = "zh") -> str:
    """The category with the largest GMV share (and its change), the one reaching most
    buyers when different, and the fastest-growing category by GMV."""
    if _empty(table, "gmv"):
        return t("profile.no_data", lang)
    top = _top(table, "gmv_share")
    cats = [group_name("category", v, lang) for v in top["category"].to_list()]
    change = pp_change(top["gmv_share_change"][0], lang) if top.height == 1 else ""
    sentences = [t("profile.category_top", lang, category=join_names(cats, lang), share=fmt_pct(top["gmv_share"][0]),
                   change=change)]
    reach = _top(table, "buyer_share")
    if set(reach["category"].to_list()) != set(top["category"].to_list()):
        sentences.append(t("profile.category_buyers", lang, share=fmt_pct(reach["buyer_share"][0]),
                           category=join_names([group_name("category", v, lang)
                                                for v in reach["category"].to_list()], lang)))
    growing = table.filter(pl.col("gmv_change_rel").is_not_null() & (pl.col("gmv_change_rel") > 0))
    if growing.height:
        fast = _top(growing, "gmv_change_rel")
        sentences.append(t("profile.category_grower", lang, growth=fmt_change(fast["gmv_change_rel"][0]),
                           category=join_names([group_name("category", v, lang)
                                                for v in fast["category"].to_list()], lang)))
    return _join(sentences[:3], lang)


def preference_text(table: pl.DataFrame, by: str, lang: str = "zh") -> str:
    """The group x category cells with the highest and lowest preference index (groups
    ``unknown`` left out), and what 100 means."""
    cells = table.filter((pl.col(by) != UNKNOWN) & pl.col("index").is_not_null())
    if cells.is_empty():
        return t("profile.no_data", lang)
    ordered = cells.sort(["index", by, "category"], descending=[True, False, False])
    hi, lo = ordered.row(0, named=True), ordered.row(ordered.height - 1, named=True)
    sentences = [t("profile.preference_high", lang, group=group_name(by, hi[by], lang),
                   category=group_name("category", hi["category"], lang), index=fmt_int(hi["index"]))]
    if lo["index"] < hi["index"]:
        sentences.append(t("profile.preference_low", lang, group=group_name(by, lo[by], lang),
                           category=group_name("category", lo["category"], lang), index=fmt_int(lo["index"])))
    sentences.append(t("profile.preference_note", lang))
    return _join(sentences, lang)


def long_tail_text(long_tail: pl.DataFrame, has_comparison: bool, lang: str = "zh", top: int = 3) -> str:
    """Names the fastest-growing long-tail categories (table of
    :func:`kit.metrics.profile.long_tail_categories`) with growth and GMV share."""
    if not has_comparison:
        return t("profile.long_tail_no_comparison", lang)
    growing = long_tail.filter(pl.col("gmv_change_rel") > 0).head(top)
    if growing.is_empty():
        return t("profile.long_tail_none", lang)
    items = [t("profile.long_tail_item", lang, category=group_name("category", r["category"], lang),
               growth=fmt_change(r["gmv_change_rel"]), share=fmt_pct(r["gmv_share"]))
             for r in growing.iter_rows(named=True)]
    return t("profile.long_tail", lang, categories=join_names(items, lang))


def quality_text(quality: pl.DataFrame, lang: str = "zh") -> str:
    """After the category quality table (:func:`kit.metrics.products.category_quality`): the
    category most often returned and the lowest rated one, against the shop's overall
    return rate (returned lines / lines)."""
    rated = quality.filter(pl.col("return_rate").is_not_null())
    if rated.height == 0:
        return t("profile.no_data", lang)
    overall = (rated["return_rate"] * rated["lines"]).sum() / rated["lines"].sum()
    worst = rated.sort("return_rate", descending=True).row(0, named=True)
    sentences = [t("profile.quality.returns", lang, category=worst["category"], rate=fmt_pct(worst["return_rate"]),
                   overall=fmt_pct(overall))]
    with_rating = quality.filter(pl.col("rating").is_not_null())
    if with_rating.height:
        low = with_rating.sort("rating").row(0, named=True)
        sentences.append(t("profile.quality.rating", lang, category=low["category"], rating=fmt_num(low["rating"], 1)))
    return _join(sentences, lang)
