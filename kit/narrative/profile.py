"""Sentences of section 1 (customer profile), from the tables of :mod:`kit.metrics.profile`
and the templates under ``profile.`` in :mod:`kit.i18n`.

Each function takes a figure's table(s) and the language and returns two or three
sentences as one string: the largest groups with their shares, the notable change against
the comparison period (left out when there is none) and anything unusual. Groups tied for
the top are named together.

No spurious insights: a sentence that states a difference between groups or periods (the
largest group, the biggest shift, a change on the previous period, the busiest weekday,
the fastest-growing tier, the best-converting source, the most returned category) states
it only when the difference passes ``alpha``, the run's significance threshold
(``diagnosis.significance``; the notebooks pass ``run.params.diagnosis.significance``);
otherwise it says the values are similar. The tests are those of
:mod:`kit.metrics.significance`: shares of counts with the two-proportion test, two
counts with the count-ratio test, weekdays on their day-to-day spread with Welch's t.
"""

from __future__ import annotations

import polars as pl

from kit.i18n import Locale
from kit.i18n.labels import group_name
from kit.i18n.numbers import direction
from kit.metrics.profile import ORDERS_PER_CUSTOMER_MAX, UNKNOWN
from kit.metrics.significance import count_ratio_p, significant, two_proportion_p, welch_p
from kit.params import Diagnosis

TIE = 1e-12
"""Shares closer than this are a tie."""
SIGNIFICANCE = Diagnosis().significance
"""The threshold a stated difference must pass when no ``alpha`` is given (the params' default)."""
COUNTS = ("customers", "sessions", "new_customers")
"""The count columns behind a share table's shares (the units the tests count)."""


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


def _count_of(table: pl.DataFrame) -> str:
    """The count column behind the table's shares (:data:`COUNTS`)."""
    found = [c for c in COUNTS if c in table.columns]
    if not found:
        raise KeyError(f"a share table needs one of the count columns {COUNTS}; it has {table.columns}")
    return found[0]


def _share_change_p(table: pl.DataFrame, row: dict, count: str) -> float:
    """p-value of the change of one group's share between the periods: the group's count of
    all counts now against before (:func:`~kit.metrics.significance.two_proportion_p`)."""
    prev = f"{count}_prev"
    if prev not in table.columns or row.get(prev) is None:
        return 1.0
    return two_proportion_p(row[count] or 0.0, table[count].sum(), row[prev] or 0.0, table[prev].sum())


def _gated(change, p: float, alpha: float):
    """The change when it passes ``alpha``, else 0 (written as "about the same")."""
    return change if _missing(change) or significant(p, alpha) else 0.0


def _top_share_sentence(table: pl.DataFrame, column: str, loc: Locale, alpha: float, value: str = "share") -> str:
    """The largest group with its share (and its change, when significant); tied groups named
    together; a largest group not significantly larger than the second is named with it as
    similar."""
    top = _top(table, value)
    names = [group_name(column, v, loc) for v in top[column].to_list()]
    if len(names) > 1:
        return loc.t("profile.top_share_tie", groups=join_names(names, loc), share=loc.pct(top[value][0]), change="")
    count = _count_of(table)
    row = top.row(0, named=True)
    rest = table.filter(pl.col(column) != row[column]).sort([value, column], descending=[True, False])
    if rest.height and not significant(count_ratio_p(row[count], rest[count][0]), alpha):
        second = rest.row(0, named=True)
        return loc.t("profile.top_similar", first=names[0], share=loc.pct(row[value]),
                     second=group_name(column, second[column], loc), second_share=loc.pct(second[value]))
    change = ""
    if f"{value}_change" in top.columns:
        change = pp_change(_gated(row[f"{value}_change"], _share_change_p(table, row, count), alpha), loc)
    return loc.t("profile.top_share", group=names[0], share=loc.pct(row[value]), change=change)


def _mover_sentence(table: pl.DataFrame, column: str, loc: Locale, skip: list, alpha: float) -> str:
    """The group whose share moved most (in points) among the moves that pass ``alpha``;
    empty when that group is already named; "the other groups are similar" when no move
    passes."""
    if not _has_prev(table, "share"):
        return ""
    count = _count_of(table)
    # a shift of the unknowns says more about data capture than about customers
    moved = [r for r in table.filter(pl.col("share_change").is_not_null() & (pl.col(column) != UNKNOWN))
             .with_columns(pl.col("share_change").abs().alias("_a")).sort(["_a", column], descending=[True, False])
             .iter_rows(named=True)
             if direction(r["share_change"]) != "flat" and significant(_share_change_p(table, r, count), alpha)]
    if not moved:
        return loc.t("profile.no_mover")
    row = moved[0]
    if row[column] in skip:
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

def share_text(table: pl.DataFrame, loc: Locale, column: str | None = None, alpha: float = SIGNIFICANCE) -> str:
    """For any share table (region, province, city, city tier, device, source ...; with its
    count column ``customers`` or ``sessions``): the largest group(s) with share and
    change, then the biggest significant shift vs the comparison period (or, without one,
    the second group)."""
    column = column or table.columns[0]
    if _empty(table, "share"):
        return loc.t("profile.no_data")
    first = _top_share_sentence(table, column, loc, alpha)
    named = _top(table, "share")[column].to_list()
    second = _mover_sentence(table, column, loc, named, alpha) or _second_sentence(table, column, loc, named)
    return loc.sentences([first, second])


def age_gender_text(table: pl.DataFrame, loc: Locale, alpha: float = SIGNIFICANCE) -> str:
    """The largest age band (both genders) with its share and change, and the share of women
    among customers of known gender: F / (F + M), with its change (each difference stated
    only when it passes ``alpha``)."""
    if _empty(table, "customers"):
        return loc.t("profile.no_data")
    by_band = table.group_by("age_band", maintain_order=True).agg(
        _sum_or_null("customers"), _sum_or_null("customers_prev"), _sum_or_null("share"), _sum_or_null("share_prev"),
    ).with_columns((pl.col("share") - pl.col("share_prev")).alias("share_change"))
    sentences = [_top_share_sentence(by_band, "age_band", loc, alpha)]
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
        change = ""
        if before is not None:
            p = two_proportion_p(now * known["customers"].sum(), known["customers"].sum(),
                                 before * known["customers_prev"].sum(), known["customers_prev"].sum())
            change = pp_change(_gated(now - before, p, alpha), loc)
        sentences.append(loc.t("profile.female_share", share=loc.pct(now), change=change))
    return loc.sentences(sentences)


def new_by_tier_text(table: pl.DataFrame, loc: Locale, alpha: float = SIGNIFICANCE) -> str:
    """New customers in all and their change (stated when the two counts differ by more
    than chance), then the tier(s) whose new customers grow fastest (largest
    ``new_customers_change_rel``), named only when they grew faster than the other tiers:
    their share of the new customers rose significantly. Otherwise the tiers grew alike."""
    if _empty(table, "new_customers"):
        return loc.t("profile.no_data")
    total = table["new_customers"].sum()
    change = ""
    has_prev = _has_prev(table, "new_customers")
    prev = table["new_customers_prev"].sum() if has_prev else None
    if has_prev and prev:
        change = rel_change(_gated((total - prev) / prev, count_ratio_p(total, prev), alpha), loc)
    sentences = [loc.t("profile.new_total", n=loc.integer(total), change=change)]
    growing = table.filter(pl.col("new_customers_change_rel").is_not_null() & (pl.col("city_tier") != UNKNOWN))
    if not growing.is_empty():
        best = _top(growing, "new_customers_change_rel")
        rel = best["new_customers_change_rel"][0]
        if direction(rel) != "up":
            sentences.append(loc.t("profile.new_no_growth"))
        elif all(significant(two_proportion_p(r["new_customers"], total, r["new_customers_prev"], prev), alpha)
                 for r in best.iter_rows(named=True)):
            tiers = join_names([group_name("city_tier", v, loc) for v in best["city_tier"].to_list()], loc)
            sentences.append(loc.t("profile.new_fastest", tiers=tiers, growth=loc.change(rel)))
        else:
            sentences.append(loc.t("profile.new_growth_similar"))
    return loc.sentences(sentences)


# ------------------------------------------------------------------ 1.2

def device_text(devices: pl.DataFrame, mobile: pl.DataFrame, loc: Locale, alpha: float = SIGNIFICANCE) -> str:
    """The largest device(s) with share and change, and the mobile share with its change
    (differences stated when they pass ``alpha``)."""
    if _empty(devices, "share"):
        return loc.t("profile.no_data")
    row = mobile.row(0, named=True)
    p = two_proportion_p(row["mobile_sessions"], row["sessions"], row.get("mobile_sessions_prev"),
                         row.get("sessions_prev"))
    mobile_sentence = loc.t("profile.mobile_share", share=loc.pct(row["mobile_share"]),
                            change=pp_change(_gated(row["mobile_share_change"], p, alpha), loc))
    return loc.sentences([_top_share_sentence(devices, "device", loc, alpha), mobile_sentence])


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


def heatmap_text(heatmap: pl.DataFrame, peaks: pl.DataFrame, loc: Locale, weekdays: pl.DataFrame | None = None,
                 alpha: float = SIGNIFICANCE) -> str:
    """The peak hours found in the data, then the busiest weekday per date of that weekday
    (``weekdays``: :func:`kit.metrics.profile.weekday_visits`; a quarter with 14 Wednesdays
    does not make Wednesday busier).

    The weekdays whose visits per day are not significantly below the top one (Welch's t
    on the day-to-day spread, ``alpha``) are the busiest group: one weekday is named with
    the next one's visits per day beside it; several are named as similar; all seven mean
    visits are similar across the week. Without ``weekdays`` no weekday is named."""
    if _empty(heatmap, "visits"):
        return loc.t("profile.no_data")
    sentences = []
    if peaks.height:
        hours = join_names([loc.t("profile.peak_hour", hour=f"{h:02d}") for h in peaks["hour"].to_list()], loc)
        sentences.append(loc.t("profile.peaks", hours=hours))
    if weekdays is not None:
        sentences.append(_weekday_sentence(weekdays, loc, alpha))
    return loc.sentences(sentences)


def _weekday_sentence(weekdays: pl.DataFrame, loc: Locale, alpha: float) -> str:
    days = weekdays.filter(pl.col("days") > 0).sort(["visits_per_day", "weekday"], descending=[True, False])
    if days.height < 2:
        return ""
    rows = days.to_dicts()
    top = rows[0]

    def p_vs_top(r: dict) -> float:
        return welch_p(top["visits_per_day"], top["sd_per_day"], top["days"],
                       r["visits_per_day"], r["sd_per_day"], r["days"])

    busiest = [top] + [r for r in rows[1:] if not significant(p_vs_top(r), alpha)]
    per_day = [r["visits_per_day"] for r in busiest]
    low, high = loc.integer(min(per_day)), loc.integer(max(per_day))
    spread = high if low == high else loc.t("profile.range", low=low, high=high)
    if len(busiest) == len(rows):
        return loc.t("profile.weekdays_similar", range=spread)
    if len(busiest) > 1:
        names = join_names([group_name("weekday", r["weekday"], loc) for r in sorted(busiest, key=lambda r: r["weekday"])],
                           loc)
        return loc.t("profile.busiest_days_similar", days=names, range=spread)
    second = rows[1]
    return loc.t("profile.busiest_day", day=group_name("weekday", top["weekday"], loc),
                 per_day=loc.integer(top["visits_per_day"]), second=group_name("weekday", second["weekday"], loc),
                 second_per_day=loc.integer(second["visits_per_day"]))


def source_text(table: pl.DataFrame, loc: Locale, alpha: float = SIGNIFICANCE) -> str:
    """The largest source(s) by sessions with change, the best-converting source against the
    overall visit-to-pay rate, and the source with the highest AOV. The largest source, its
    change and the best converter (against the second best, two-proportion test) are
    stated only when they pass ``alpha``; the AOV has no spread in the table and is not tested."""
    if _empty(table, "sessions"):
        return loc.t("profile.no_data")
    top = _top(table, "share")
    names = join_names([group_name("source", v, loc) for v in top["source"].to_list()], loc)
    row = top.row(0, named=True)
    rest = table.filter(pl.col("source") != row["source"]).sort(["share", "source"], descending=[True, False])
    if top.height == 1 and rest.height and not significant(count_ratio_p(row["sessions"], rest["sessions"][0]), alpha):
        sentences = [loc.t("profile.top_similar", first=names, share=loc.pct(row["share"]),
                           second=group_name("source", rest["source"][0], loc), second_share=loc.pct(rest["share"][0]))]
    else:
        change = ""
        if top.height == 1 and "share_change" in table.columns:
            change = pp_change(_gated(row["share_change"], _share_change_p(table, row, "sessions"), alpha), loc)
        sentences = [loc.t("profile.source_top", source=names, share=loc.pct(row["share"]), change=change)]
    visited = table.filter(pl.col("sessions") > 0)
    overall = visited["paying_sessions"].sum() / visited["sessions"].sum()
    converting = visited.filter(pl.col("visit_to_pay").is_not_null()).sort(["visit_to_pay", "source"],
                                                                           descending=[True, False])
    best = _top(converting, "visit_to_pay")
    if best.height and best["visit_to_pay"][0] > 0:
        runner = converting.filter(~pl.col("source").is_in(best["source"].to_list()))
        b = best.row(0, named=True)
        if runner.height and not significant(two_proportion_p(b["paying_sessions"], b["sessions"],
                                                              runner["paying_sessions"][0], runner["sessions"][0]), alpha):
            sentences.append(loc.t("profile.source_conversion_similar", first=group_name("source", b["source"], loc),
                                   rate=loc.pct(b["visit_to_pay"]),
                                   second=group_name("source", runner["source"][0], loc),
                                   second_rate=loc.pct(runner["visit_to_pay"][0]), overall=loc.pct(overall)))
        else:
            sentences.append(loc.t("profile.source_best_conversion",
                                   source=join_names([group_name("source", v, loc) for v in best["source"].to_list()], loc),
                                   rate=loc.pct(b["visit_to_pay"]), overall=loc.pct(overall)))
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


def orders_per_customer_text(table: pl.DataFrame, loc: Locale, alpha: float = SIGNIFICANCE) -> str:
    """Share of customers with one paid order in the period (and its change, when it passes
    ``alpha``), and the share with three or more."""
    if _empty(table, "customers"):
        return loc.t("profile.no_data")
    once = table.filter(pl.col("orders") == "1").row(0, named=True)
    change = pp_change(_gated(once["share_change"], _share_change_p(table, once, "customers"), alpha), loc)
    sentences = [loc.t("profile.one_time", share=loc.pct(once["share"]), change=change)]
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


def quality_text(quality: pl.DataFrame, loc: Locale, alpha: float = SIGNIFICANCE) -> str:
    """After the category quality table (:func:`kit.metrics.products.category_quality`): the
    category most often returned and the lowest rated one, against the shop's overall
    return rate (returned lines / lines). The most returned category is said to stand out
    only when its rate passes ``alpha`` against the other categories' lines (two-proportion
    test); the ratings have no spread in the table and are not tested."""
    rated = quality.filter(pl.col("return_rate").is_not_null())
    if rated.height == 0:
        return loc.t("profile.no_data")
    returned = (rated["return_rate"] * rated["lines"]).sum()
    overall = returned / rated["lines"].sum()
    worst = rated.sort(["return_rate", "category"], descending=[True, False]).row(0, named=True)
    worst_returned = worst["return_rate"] * worst["lines"]
    p = two_proportion_p(worst_returned, worst["lines"], returned - worst_returned, rated["lines"].sum() - worst["lines"])
    key = "profile.quality.returns" if significant(p, alpha) else "profile.quality.returns_similar"
    sentences = [loc.t(key, category=worst["category"], rate=loc.pct(worst["return_rate"]), overall=loc.pct(overall))]
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
