"""Sentences of section 1 (customer profile), from the tables of :mod:`kit.metrics.profile`
and the templates under ``profile.`` in :mod:`kit.i18n`.

Each function takes a figure's table(s) and the language and returns two or three
sentences as one string: the largest groups with their shares, the notable change against
the comparison period (left out when there is none) and anything unusual. Groups tied for
the top are named together.
"""

from __future__ import annotations

import polars as pl

from kit.i18n import Locale
from kit.i18n.labels import group_name
from kit.i18n.numbers import direction
from kit.metrics.profile import ORDERS_PER_CUSTOMER_MAX, UNKNOWN

TIE = 1e-12
"""Shares closer than this are a tie."""


# ------------------------------------------------------------------ pieces

def join_names(names: list[str], loc: Locale) -> str:
    """``a、b、c`` (zh) or ``a, b and c`` (en)."""
    if len(names) <= 1 or loc.lang == "zh":
        return loc.t("profile.and").join(names)
    return ", ".join(names[:-1]) + loc.t("profile.and") + names[-1]


def _missing(x) -> bool:
    return x is None or x != x


def pp_change(change, loc: Locale) -> str:
    """The clause for a change of a share in points (``, up 1.5 pp ...``); empty when missing."""
    if _missing(change):
        return ""
    way = direction(change)
    return loc.t(f"profile.change.pp_{way}", pp=loc.number(abs(change) * 100, 1))


def rel_change(rel, loc: Locale) -> str:
    """The clause for a relative change (``, up 23.0% ...``); empty when missing."""
    if _missing(rel):
        return ""
    way = direction(rel)
    return loc.t(f"profile.change.rel_{way}", pct=loc.pct(abs(rel)))


def _top(table: pl.DataFrame, value: str) -> pl.DataFrame:
    """The rows tied for the largest ``value``, in the table's own order."""
    best = table[value].max()
    return table.filter(pl.col(value) >= best - TIE)


def _has_prev(table: pl.DataFrame, value: str) -> bool:
    return f"{value}_prev" in table.columns and table[f"{value}_prev"].is_not_null().any()


def _top_share_sentence(table: pl.DataFrame, column: str, loc: Locale, value: str = "share") -> str:
    top = _top(table, value)
    names = [group_name(column, v, loc) for v in top[column].to_list()]
    if len(names) == 1:
        change = pp_change(top[f"{value}_change"][0], loc) if f"{value}_change" in top.columns else ""
        return loc.t("profile.top_share", group=names[0], share=loc.pct(top[value][0]), change=change)
    return loc.t("profile.top_share_tie", groups=join_names(names, loc), share=loc.pct(top[value][0]), change="")


def _mover_sentence(table: pl.DataFrame, column: str, loc: Locale, skip: list) -> str:
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
    return loc.t("profile.mover", group=group_name(column, row[column], loc), way=loc.t(f"profile.way.{way}"),
             pp=loc.number(abs(row["share_change"]) * 100, 1), share=loc.pct(row["share"]))


def _second_sentence(table: pl.DataFrame, column: str, loc: Locale, skip: list) -> str:
    rest = table.filter(~pl.col(column).is_in(skip) & (pl.col("share") > 0))
    if rest.is_empty():
        return ""
    row = rest.sort(["share", column], descending=[True, False]).row(0, named=True)
    return loc.t("profile.second_share", group=group_name(column, row[column], loc), share=loc.pct(row["share"]))


def _sum_or_null(column: str) -> pl.Expr:
    """The sum of a column, null (not 0) when all its values are null (no comparison)."""
    col = pl.col(column)
    return pl.when(col.is_not_null().any()).then(col.sum()).otherwise(None).alias(column)


def _empty(table: pl.DataFrame, value: str) -> bool:
    return table.is_empty() or not (table[value].fill_null(0) > 0).any()


# ------------------------------------------------------------------ 1.1

def share_text(table: pl.DataFrame, loc: Locale, column: str | None = None) -> str:
    """For any share table (region, province, city, city tier, device, source ...): the
    largest group(s) with share and change, then the biggest shift vs the comparison
    period (or, without one, the second group)."""
    column = column or table.columns[0]
    if _empty(table, "share"):
        return loc.t("profile.no_data")
    first = _top_share_sentence(table, column, loc)
    named = _top(table, "share")[column].to_list()
    second = _mover_sentence(table, column, loc, named) or _second_sentence(table, column, loc, named)
    return loc.sentences([first, second])


def age_gender_text(table: pl.DataFrame, loc: Locale) -> str:
    """The largest age band (both genders) with its share and change, and the share of women
    among customers of known gender: F / (F + M), with its change."""
    if _empty(table, "customers"):
        return loc.t("profile.no_data")
    by_band = table.group_by("age_band", maintain_order=True).agg(_sum_or_null("share"), _sum_or_null("share_prev")).with_columns(
        (pl.col("share") - pl.col("share_prev")).alias("share_change"))
    sentences = [_top_share_sentence(by_band, "age_band", loc)]
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
        change = pp_change(now - before, loc) if before is not None else ""
        sentences.append(loc.t("profile.female_share", share=loc.pct(now), change=change))
    return loc.sentences(sentences)


def new_by_tier_text(table: pl.DataFrame, loc: Locale) -> str:
    """New customers in all and their change, then the tier(s) whose new customers grow
    fastest (largest ``new_customers_change_rel``)."""
    if _empty(table, "new_customers"):
        return loc.t("profile.no_data")
    total = table["new_customers"].sum()
    change = ""
    if _has_prev(table, "new_customers"):
        prev = table["new_customers_prev"].sum()
        change = rel_change((total - prev) / prev, loc) if prev else ""
    sentences = [loc.t("profile.new_total", n=loc.integer(total), change=change)]
    growing = table.filter(pl.col("new_customers_change_rel").is_not_null() & (pl.col("city_tier") != UNKNOWN))
    if not growing.is_empty():
        best = _top(growing, "new_customers_change_rel")
        rel = best["new_customers_change_rel"][0]
        if direction(rel) == "up":
            tiers = join_names([group_name("city_tier", v, loc) for v in best["city_tier"].to_list()], loc)
            sentences.append(loc.t("profile.new_fastest", tiers=tiers, growth=loc.change(rel)))
        else:
            sentences.append(loc.t("profile.new_no_growth"))
    return loc.sentences(sentences)


# ------------------------------------------------------------------ 1.2

def device_text(devices: pl.DataFrame, mobile: pl.DataFrame, loc: Locale) -> str:
    """The largest device(s) with share and change, and the mobile share with its change."""
    if _empty(devices, "share"):
        return loc.t("profile.no_data")
    row = mobile.row(0, named=True)
    mobile_sentence = loc.t("profile.mobile_share", share=loc.pct(row["mobile_share"]),
                        change=pp_change(row["mobile_share_change"], loc))
    return loc.sentences([_top_share_sentence(devices, "device", loc), mobile_sentence])


def duration_text(stats: pl.DataFrame, loc: Locale, histogram: pl.DataFrame | None = None) -> str:
    """Median and p90 session duration, the median's change, and the share of sessions
    under one minute (from the histogram's first bin)."""
    row = stats.row(0, named=True)
    if not row["sessions"]:
        return loc.t("profile.no_data")
    sentences = [loc.t("profile.duration", median=loc.number(row["median_min"], 1), p90=loc.number(row["p90_min"], 1),
                   change=rel_change(row["median_min_change_rel"], loc))]
    if histogram is not None and not histogram.is_empty():
        short = histogram.filter(pl.col("bin_end_min") == 1)
        if short.height and short["share"][0]:
            sentences.append(loc.t("profile.duration_short", share=loc.pct(short["share"][0])))
    return loc.sentences(sentences)


def heatmap_text(heatmap: pl.DataFrame, peaks: pl.DataFrame, loc: Locale) -> str:
    """The peak hours found in the data and the busiest weekday(s) with their share of visits."""
    if _empty(heatmap, "visits"):
        return loc.t("profile.no_data")
    sentences = []
    if peaks.height:
        hours = join_names([loc.t("profile.peak_hour", hour=f"{h:02d}") for h in peaks["hour"].to_list()], loc)
        sentences.append(loc.t("profile.peaks", hours=hours))
    days = heatmap.group_by("weekday", maintain_order=True).agg(pl.col("visits").sum(), pl.col("share").sum())
    best = _top(days, "share").sort("weekday")
    names = join_names([group_name("weekday", d, loc) for d in best["weekday"].to_list()], loc)
    sentences.append(loc.t("profile.busiest_day", day=names, share=loc.pct(best["share"][0])))
    return loc.sentences(sentences)


def source_text(table: pl.DataFrame, loc: Locale) -> str:
    """The largest source(s) by sessions with change, the best-converting source against the
    overall visit-to-pay rate, and the source with the highest AOV."""
    if _empty(table, "sessions"):
        return loc.t("profile.no_data")
    top = _top(table, "share")
    names = join_names([group_name("source", v, loc) for v in top["source"].to_list()], loc)
    change = pp_change(top["share_change"][0], loc) if top.height == 1 else ""
    sentences = [loc.t("profile.source_top", source=names, share=loc.pct(top["share"][0]), change=change)]
    visited = table.filter(pl.col("sessions") > 0)
    overall = visited["paying_sessions"].sum() / visited["sessions"].sum()
    best = _top(visited.filter(pl.col("visit_to_pay").is_not_null()), "visit_to_pay")
    if best.height and best["visit_to_pay"][0] > 0:
        sentences.append(loc.t("profile.source_best_conversion",
                           source=join_names([group_name("source", v, loc) for v in best["source"].to_list()], loc),
                           rate=loc.pct(best["visit_to_pay"][0]), overall=loc.pct(overall)))
    priced = table.filter(pl.col("aov").is_not_null())
    if priced.height > 1:
        rich = _top(priced, "aov")
        sentences.append(loc.t("profile.source_best_aov", aov=loc.money(rich["aov"][0]),
                           source=join_names([group_name("source", v, loc) for v in rich["source"].to_list()],
                                             loc)))
    return loc.sentences(sentences)


# ------------------------------------------------------------------ 1.3

def aov_text(overall: pl.DataFrame, by_category: pl.DataFrame, loc: Locale) -> str:
    """AOV with its change, then the categories with the highest and lowest spend per order."""
    row = overall.row(0, named=True)
    if not row["paid_orders"]:
        return loc.t("profile.no_data")
    sentences = [loc.t("profile.aov", aov=loc.money(row["aov"]), change=rel_change(row["aov_change_rel"], loc))]
    priced = by_category.filter(pl.col("aov").is_not_null()).sort(["aov", "category"], descending=[True, False])
    if priced.height >= 2:
        hi, lo = priced.row(0, named=True), priced.row(priced.height - 1, named=True)
        sentences.append(loc.t("profile.aov_top_category", category=group_name("category", hi["category"], loc),
                           aov=loc.money(hi["aov"]), low=group_name("category", lo["category"], loc),
                           low_aov=loc.money(lo["aov"])))
    return loc.sentences(sentences)


def order_value_text(stats: pl.DataFrame, loc: Locale) -> str:
    """Median and p90 order value with the median's change; notes a mean well above the
    median (mean > 1.2 x median: a long tail of large orders)."""
    row = stats.row(0, named=True)
    if not row["paid_orders"]:
        return loc.t("profile.no_data")
    sentences = [loc.t("profile.order_value", median=loc.money(row["median"]),
                   p90=loc.money(row["p90"]), change=rel_change(row["median_change_rel"], loc))]
    if row["median"] and row["mean"] > 1.2 * row["median"]:
        sentences.append(loc.t("profile.order_value_skew", mean=loc.money(row["mean"])))
    return loc.sentences(sentences)


def orders_per_customer_text(table: pl.DataFrame, loc: Locale) -> str:
    """Share of customers with one paid order in the period (and its change), and the share
    with three or more."""
    if _empty(table, "customers"):
        return loc.t("profile.no_data")
    once = table.filter(pl.col("orders") == "1").row(0, named=True)
    sentences = [loc.t("profile.one_time", share=loc.pct(once["share"]), change=pp_change(once["share_change"], loc))]
    k = 3
    many = [str(i) for i in range(k, ORDERS_PER_CUSTOMER_MAX)] + [f"{ORDERS_PER_CUSTOMER_MAX}+"]
    sentences.append(loc.t("profile.repeaters", k=k,
                       share=loc.pct(table.filter(pl.col("orders").is_in(many))["share"].sum())))
    return loc.sentences(sentences)


def category_text(table: pl.DataFrame, loc: Locale) -> str:
    """The category with the largest GMV share (and its change), the one reaching most
    buyers when different, and the fastest-growing category by GMV."""
    if _empty(table, "gmv"):
        return loc.t("profile.no_data")
    top = _top(table, "gmv_share")
    cats = [group_name("category", v, loc) for v in top["category"].to_list()]
    change = pp_change(top["gmv_share_change"][0], loc) if top.height == 1 else ""
    sentences = [loc.t("profile.category_top", category=join_names(cats, loc), share=loc.pct(top["gmv_share"][0]),
                   change=change)]
    reach = _top(table, "buyer_share")
    if set(reach["category"].to_list()) != set(top["category"].to_list()):
        sentences.append(loc.t("profile.category_buyers", share=loc.pct(reach["buyer_share"][0]),
                           category=join_names([group_name("category", v, loc)
                                                for v in reach["category"].to_list()], loc)))
    growing = table.filter(pl.col("gmv_change_rel").is_not_null() & (pl.col("gmv_change_rel") > 0))
    if growing.height and direction(growing["gmv_change_rel"].max()) == "up":
        fast = _top(growing, "gmv_change_rel")
        sentences.append(loc.t("profile.category_grower", growth=loc.change(fast["gmv_change_rel"][0]),
                           category=join_names([group_name("category", v, loc)
                                                for v in fast["category"].to_list()], loc)))
    return loc.sentences(sentences[:3])


def preference_text(table: pl.DataFrame, by: str, loc: Locale) -> str:
    """The group x category cells with the highest and lowest preference index (groups
    ``unknown`` left out), and what 100 means."""
    cells = table.filter((pl.col(by) != UNKNOWN) & pl.col("index").is_not_null())
    if cells.is_empty():
        return loc.t("profile.no_data")
    ordered = cells.sort(["index", by, "category"], descending=[True, False, False])
    hi, lo = ordered.row(0, named=True), ordered.row(ordered.height - 1, named=True)
    sentences = [loc.t("profile.preference_high", group=group_name(by, hi[by], loc),
                   category=group_name("category", hi["category"], loc), index=loc.integer(hi["index"]))]
    if lo["index"] < hi["index"]:
        sentences.append(loc.t("profile.preference_low", group=group_name(by, lo[by], loc),
                           category=group_name("category", lo["category"], loc), index=loc.integer(lo["index"])))
    sentences.append(loc.t("profile.preference_note"))
    return loc.sentences(sentences)


def long_tail_text(long_tail: pl.DataFrame, has_comparison: bool, loc: Locale, top: int = 3) -> str:
    """Names the fastest-growing long-tail categories (table of
    :func:`kit.metrics.profile.long_tail_categories`) with growth and GMV share."""
    if not has_comparison:
        return loc.t("profile.long_tail_no_comparison")
    growing = long_tail.filter(pl.col("gmv_change_rel") > 0).head(top)
    if growing.is_empty():
        return loc.t("profile.long_tail_none")
    items = [loc.t("profile.long_tail_item", category=group_name("category", r["category"], loc),
               growth=loc.change(r["gmv_change_rel"]), share=loc.pct(r["gmv_share"]))
             for r in growing.iter_rows(named=True)]
    return loc.t("profile.long_tail", categories=join_names(items, loc))


def quality_text(quality: pl.DataFrame, loc: Locale) -> str:
    """After the category quality table (:func:`kit.metrics.products.category_quality`): the
    category most often returned and the lowest rated one, against the shop's overall
    return rate (returned lines / lines)."""
    rated = quality.filter(pl.col("return_rate").is_not_null())
    if rated.height == 0:
        return loc.t("profile.no_data")
    overall = (rated["return_rate"] * rated["lines"]).sum() / rated["lines"].sum()
    worst = rated.sort("return_rate", descending=True).row(0, named=True)
    sentences = [loc.t("profile.quality.returns", category=worst["category"], rate=loc.pct(worst["return_rate"]),
                   overall=loc.pct(overall))]
    with_rating = quality.filter(pl.col("rating").is_not_null())
    if with_rating.height:
        low = with_rating.sort("rating").row(0, named=True)
        sentences.append(loc.t("profile.quality.rating", category=low["category"], rating=loc.number(low["rating"], 1)))
    return loc.sentences(sentences)


# ------------------------------------------------------------------ table columns (header, kind)

def source_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    """The traffic-source table's columns (:func:`kit.display.table`)."""
    return {"source": (loc.t("profile.col.source"), "text"), "share": (loc.t("profile.col.share"), "pct"),
            "visit_to_pay": (loc.t("profile.col.visit_to_pay"), "pct"),
            "visit_to_pay_change": (loc.t("profile.col.change_pp"), "pp"), "aov": (loc.t("profile.col.aov"), "money")}


def quality_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    """The category quality table's columns (returns and ratings)."""
    return {"category": (loc.t("profile.col.category"), "text"), "gmv": (loc.t("profile.col.gmv"), "money"),
            "return_rate": (loc.t("profile.col.return_rate"), "pct"),
            "return_rate_change": (loc.t("profile.col.change_pp"), "pp"),
            "rating": (loc.t("profile.col.rating"), "num")}
