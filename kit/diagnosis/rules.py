"""The rules of the diagnosis: one plain function per rule, over the figures of sections
1-3, each returning zero or more :class:`~kit.diagnosis.findings.Finding`.

Every rule takes the figure tables it reads (exactly as the sections computed them, see
:mod:`kit.figures`) and a :class:`Context` (language, currency, thresholds), so each can be
tested on hand-built tables. Severity comes from ``diagnosis:`` in the params through
:func:`~kit.diagnosis.findings.severity_for`. Money at stake, per rule:

- ``funnel.step_drop``: the payments lost at the step, (rate_prev - rate) x entered x
  (the step's onward rate to pay) x value per payment;
- ``funnel.dated_drop``: lost conversions of the dated drop x onward rate to pay x value
  per payment;
- ``cart.abandonment``: the value of the carts abandoned beyond the tolerated rate,
  carts x (rate - medium threshold) x value per abandoned cart;
- ``retention.first_repurchase``: first-time buyers x (overall rate - the group's rate)
  x AOV, the repeat orders the group would bring at the shop's rate;
- ``rfm.high_value_shrink`` / ``rfm.churned_growth``: customers lost from the high-value
  segment (or added to the churned one) x their revenue per customer in the period;
- ``rfm.concentration``: 0 (a structural risk, not a loss in the period);
- ``customers.churn``: the customers a place lost beyond the rest of the shop's churn rate
  x what they paid per customer in the comparison period;
- ``product.quality``: the value of the category's returned lines in the period;
- ``channel.roi_drop``: spend x (roi_prev - roi), the GMV the spend no longer returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from kit.diagnosis.findings import Finding, finding_id, severity_for
from kit.i18n import Locale
from kit.i18n.labels import segment_name, step_name
from kit.params import Diagnosis


@dataclass(frozen=True)
class Context:
    """What every rule needs besides its figures."""

    loc: Locale = field(default_factory=lambda: Locale("zh"))
    thresholds: Diagnosis = field(default_factory=Diagnosis)
    aov: float | None = None  # GMV / paid orders in the period: the value of one payment

    def money(self, x) -> str:
        return self.loc.money(x)

    def text(self, key: str, **values) -> str:
        return self.loc.t(key, **values)


def _step_recommendation(step: str, ctx: Context) -> str:
    """The recommendation template for a funnel step: the step's own, else the generic one."""
    key = f"diag.funnel.rec.{step}"
    return key if ctx.loc.has(key) else "diag.funnel.rec.other"


def _rows(frame: pl.DataFrame | None) -> list[dict]:
    return [] if frame is None else frame.to_dicts()


def _int(x) -> int | None:
    return None if x is None else int(round(x))


def _where_text(where: dict, loc: Locale) -> str:
    if not where:
        return loc.t("diag.where.all")
    return loc.join(loc.label("diag.dim", k) + " " + str(v) for k, v in where.items())


# ---------------------------------------------------------------- section 3: segments

def high_value_shrink(sizes: pl.DataFrame | None, profiles: pl.DataFrame | None, high_value: frozenset,
                      ctx: Context, by: str | None = None) -> list[Finding]:
    """The high-value segment lost customers between the comparison end and the period end.

    ``sizes``: :func:`kit.metrics.segments.segment_sizes` (or ``segment_sizes_by`` with a
    ``by`` column); severity from the relative shrink against ``segment_change_high`` /
    ``segment_change_medium``; only shrinks of at least the medium threshold that are
    more than chance (``|now - before| / sqrt(now + before)``, p <= ``significance``) are
    findings, so a small region's few customers moving is not one.
    """
    return _segment_change(sizes, profiles, high_value, ctx, by, shrink=True)


def churned_growth(sizes: pl.DataFrame | None, profiles: pl.DataFrame | None, churned: frozenset,
                   ctx: Context, by: str | None = None) -> list[Finding]:
    """The churned segment's share of customers grew (relative growth of the share against the
    same thresholds; the count must also have grown more than chance)."""
    return _segment_change(sizes, profiles, churned, ctx, by, shrink=False)


def _segment_change(sizes, profiles, watched, ctx, by, shrink) -> list[Finding]:
    th = ctx.thresholds
    value_per_customer = {r["segment"]: (r["period_revenue"] or 0) / r["customers"]
                          for r in _rows(profiles) if r["customers"]}
    findings = []
    for r in _rows(sizes):
        if r["segment"] not in watched or not r.get("customers_prev") or r.get("customers_change_rel") is None:
            continue
        # A churned segment grows with any growing customer base: its share is what matters.
        change = r["customers_change_rel"] if shrink else r.get("share_change_rel")
        if change is None:
            continue
        size = -change if shrink else change
        if size < th.segment_change_medium - 1e-12 or _count_change_p(r["customers"], r["customers_prev"]) > th.significance:
            continue
        severity = severity_for(size, th.segment_change_high, th.segment_change_medium)
        moved = abs(r["customers_change"])
        where = {by: r[by]} if by else {}
        segment = segment_name(r["segment"], ctx.loc)
        rule = "rfm.high_value_shrink" if shrink else "rfm.churned_growth"
        per_customer = value_per_customer.get(r["segment"], 0.0) if shrink else _mean_value(profiles)
        findings.append(Finding(
            id=finding_id(rule, *(by, r[by]) if by else (), r["segment"]),
            rule=rule, section=3, severity=severity,
            title=ctx.text(f"diag.{rule}.title", segment=segment, where=_where_text(where, ctx.loc),
                           change=ctx.loc.change(change)),
            money_at_stake=moved * per_customer,
            evidence={"segment": segment, "customers": _int(r["customers"]), "customers_prev": _int(r["customers_prev"]),
                      "customers_change_rel": r["customers_change_rel"], "share_change_rel": r.get("share_change_rel")},
            where=where | {"segment": r["segment"]}, target_size=int(moved if shrink else r["customers"]),
            recommendations=[ctx.text(f"diag.{rule}.rec", segment=segment, n=ctx.loc.integer(moved if shrink else r["customers"]),
                                      where=_where_text(where, ctx.loc))],
        ))
    return findings


def _count_change_p(now: float, before: float) -> float:
    """Two-sided p-value that two counts differ by more than chance: |now - before| /
    sqrt(now + before) is about standard normal when both are Poisson with one mean."""
    from math import erfc, sqrt

    if now + before <= 0:
        return 1.0
    return erfc(abs(now - before) / sqrt(now + before) / sqrt(2))


def _mean_value(profiles: pl.DataFrame | None) -> float:
    """Revenue per customer over all segments in the period (what a lost customer was worth)."""
    rows = _rows(profiles)
    customers = sum(r["customers"] for r in rows)
    return sum((r["period_revenue"] or 0) for r in rows) / customers if customers else 0.0


def concentration_risk(concentration: pl.DataFrame | None, ctx: Context) -> list[Finding]:
    """A large share of GMV comes from the top 20% of buyers (``top_share`` against
    ``concentration_high`` / ``concentration_medium``)."""
    th = ctx.thresholds
    rows = _rows(concentration)
    if not rows or rows[0]["top_share"] is None:
        return []
    share = rows[0]["top_share"]
    if share < th.concentration_medium - 1e-12:
        return []
    return [Finding(
        id=finding_id("rfm.concentration"), rule="rfm.concentration", section=3,
        severity=severity_for(share, th.concentration_high, th.concentration_medium),
        title=ctx.text("diag.rfm.concentration.title", share=ctx.loc.pct(share)),
        money_at_stake=0.0,
        evidence={"top_customers": _int(rows[0]["top_customers"]), "top_share": share, "top_revenue": rows[0]["top_revenue"]},
        target_size=int(rows[0]["top_customers"]),
        recommendations=[ctx.text("diag.rfm.concentration.rec", n=ctx.loc.integer(rows[0]["top_customers"]))],
    )]


def churn_by_place(churn: pl.DataFrame | None, ctx: Context, column: str = "region") -> list[Finding]:
    """A place (region ...) whose customers churn more than the rest of the shop.

    ``churn``: :func:`kit.metrics.customers.churn_by` (``was_active``, ``lost``,
    ``churn_rate`` per place). The place's churn rate is compared with the churn rate of
    all other places' customers: severity from the relative excess
    (rate / rest - 1) against ``churn_excess_high`` / ``churn_excess_medium``, only when the
    difference is more than chance (two-proportion test, p <= ``significance``).
    Money at stake: the customers lost beyond the rest's rate x their paid amount per
    customer in the comparison period.
    """
    th = ctx.thresholds
    rows = [r for r in _rows(churn) if r["was_active"]]
    total_n, total_lost = sum(r["was_active"] for r in rows), sum(r["lost"] for r in rows)
    findings = []
    for r in rows:
        rest_n = total_n - r["was_active"]
        if rest_n <= 0 or str(r[column]) == "unknown":
            continue
        rest = (total_lost - r["lost"]) / rest_n
        rate = r["churn_rate"]
        excess = rate / rest - 1 if rest else 0.0
        if excess < th.churn_excess_medium - 1e-12 or _two_period_p(rate, rest, r["was_active"], rest_n) > th.significance:
            continue
        beyond = (rate - rest) * r["was_active"]
        where = {column: r[column]}
        findings.append(Finding(
            id=finding_id("customers.churn", column, r[column]), rule="customers.churn", section=3,
            severity=severity_for(excess, th.churn_excess_high, th.churn_excess_medium),
            title=ctx.text("diag.churn.title", where=_where_text(where, ctx.loc), rate=ctx.loc.pct(rate),
                           rest=ctx.loc.pct(rest)),
            money_at_stake=max(0.0, beyond) * (r["value_before"] / r["was_active"]),
            evidence={"was_active": _int(r["was_active"]), "lost": _int(r["lost"]), "rate": rate, "overall_rate": rest,
                      "customers_lost_beyond_rest": round(beyond)},
            where=where, target_size=int(r["lost"]),
            recommendations=[ctx.text("diag.churn.rec", where=_where_text(where, ctx.loc), n=ctx.loc.integer(r["lost"]))],
        ))
    return findings


# ---------------------------------------------------------------- products and channels

def product_quality(quality: pl.DataFrame | None, ctx: Context) -> list[Finding]:
    """A category whose return rate reaches ``return_rate_high`` while its mean rating is at or
    below ``rating_low`` (:func:`kit.metrics.products.category_quality`). High when both
    hold; medium when the return rate reaches half the threshold with a low rating, or
    the threshold with an unknown rating."""
    th = ctx.thresholds
    findings = []
    for r in _rows(quality):
        rate, rating = r.get("return_rate"), r.get("rating")
        if rate is None:
            continue
        low_rating = rating is not None and rating <= th.rating_low + 1e-12
        if rate >= th.return_rate_high - 1e-12 and low_rating:
            severity = "high"
        elif (rate >= th.return_rate_high / 2 and low_rating) or (rate >= th.return_rate_high and rating is None):
            severity = "medium"
        else:
            continue
        category = r["category"]
        findings.append(Finding(
            id=finding_id("product.quality", category), rule="product.quality", section=1, severity=severity,
            title=ctx.text("diag.product.quality.title", category=category, rate=ctx.loc.pct(rate),
                           rating="–" if rating is None else f"{rating:.1f}"),
            money_at_stake=r.get("returned_value") or 0.0,
            evidence={"category": category, "return_rate": rate, "rating": rating,
                      "return_rate_prev": r.get("return_rate_prev"), "returned_amount": r.get("returned_value"),
                      "lines": _int(r.get("lines"))},
            where={"category": category}, target_size=None,
            recommendations=[ctx.text("diag.product.quality.rec", category=category,
                                      value=ctx.money(r.get("returned_value") or 0))],
        ))
    return findings


def channel_roi_drop(roi: pl.DataFrame | None, ctx: Context) -> list[Finding]:
    """A paid channel whose ROI (GMV / spend) fell against the comparison period by at least
    ``roi_drop_medium`` (relative; high from ``roi_drop_high``)."""
    th = ctx.thresholds
    findings = []
    for r in _rows(roi):
        rel = r.get("roi_change_rel")
        if rel is None or -rel < th.roi_drop_medium - 1e-12 or not r.get("spend"):
            continue
        channel = r["channel"]
        findings.append(Finding(
            id=finding_id("channel.roi_drop", channel), rule="channel.roi_drop", section=2,
            severity=severity_for(-rel, th.roi_drop_high, th.roi_drop_medium),
            title=ctx.text("diag.channel.roi_drop.title", channel=channel, roi=f"{r['roi']:.2f}",
                           roi_prev=f"{r['roi_prev']:.2f}"),
            money_at_stake=max(0.0, (r["roi_prev"] - r["roi"]) * r["spend"]),
            evidence={"channel": channel, "spend": r["spend"], "roi": r["roi"], "roi_prev": r["roi_prev"],
                      "cac": r.get("cac"), "cac_prev": r.get("cac_prev")},
            where={"channel": channel}, target_size=None,
            recommendations=[ctx.text("diag.channel.roi_drop.rec", channel=channel, spend=ctx.money(r["spend"]))],
        ))
    return findings


# ---------------------------------------------------------------- section 2: funnel and carts

def _two_period_p(rate: float, rate_prev: float, n: float, n_prev: float) -> float:
    """Two-sided p-value of a two-proportion z-test between the periods (pooled rate)."""
    from math import erfc, sqrt

    if not n or not n_prev:
        return 1.0
    pooled = (rate * n + rate_prev * n_prev) / (n + n_prev)
    var = pooled * (1 - pooled) * (1 / n + 1 / n_prev)
    if var <= 0:
        return 1.0 if rate == rate_prev else 0.0
    return erfc(abs(rate - rate_prev) / sqrt(var) / sqrt(2))


def _onward(rows: list[dict], step_index: int, count: str) -> float:
    """Share of the journeys that reached ``step_index`` which went on to the last step."""
    reached = {r["step_index"]: r[count] for r in rows}
    last = max(reached)
    return (reached[last] / reached[step_index]) if reached.get(step_index) else 0.0


def funnel_step_drops(funnel: pl.DataFrame | None, by: dict[str, pl.DataFrame], ctx: Context,
                      explained: set[tuple[str, str, str]] = frozenset()) -> list[Finding]:
    """Funnel steps converting worse than in the comparison period, overall (``funnel``:
    :func:`kit.metrics.funnel.funnel_table`) and per group (``by``: dimension ->
    :func:`kit.metrics.funnel.step_conversion_by`).

    A step is a finding when its conversion fell by at least ``step_drop_medium``
    (relative; high from ``step_drop_high``) and the fall is significant (two-proportion
    z-test between the periods, p <= ``significance``; per group the comparison period's
    journeys are taken as many as this period's, the table has no earlier count).
    ``explained`` holds ``(dimension, group, step)`` of dated drops already reported: the
    same fall is not reported twice.
    """
    th = ctx.thresholds
    findings = []
    places: list[tuple[str, str, list[dict], str, str]] = []
    if funnel is not None and funnel.height:
        rows = funnel.to_dicts()
        for r, before in zip(rows[1:], rows[:-1], strict=True):
            r["entered"], r["entered_prev"] = before["count"], before["count_prev"]
            r["rate"], r["rate_prev"], r["converted"] = r["step_conversion"], r["step_conversion_prev"], r["count"]
        places.append(("all", "all", rows, "count", "entered_prev"))
    for dimension, table in by.items():
        for group in table["group"].unique().sort().to_list():
            rows = table.filter(pl.col("group") == group).sort("step_index").to_dicts()
            places.append((dimension, group, rows, "converted", "entered"))
    for dimension, group, rows, count, prev_n in places:
        for r in rows:
            if r["step_index"] == rows[0]["step_index"] or r.get("rate_prev") in (None, 0) or r.get("rate") is None:
                continue
            if (dimension, group, r["step"]) in explained:
                continue
            rel = (r["rate"] - r["rate_prev"]) / r["rate_prev"]
            if -rel < th.step_drop_medium - 1e-12:
                continue
            if _two_period_p(r["rate"], r["rate_prev"], r["entered"], r.get(prev_n) or r["entered"]) > th.significance:
                continue
            lost = (r["rate_prev"] - r["rate"]) * r["entered"] * _onward(rows, r["step_index"], count)
            where = {} if dimension == "all" else {dimension: group}
            step = step_name(r["step"], ctx.loc)
            findings.append(Finding(
                id=finding_id("funnel.step_drop", *(dimension, group) if where else (), r["step"]),
                rule="funnel.step_drop", section=2,
                severity=severity_for(-rel, th.step_drop_high, th.step_drop_medium),
                title=ctx.text("diag.funnel.step_drop.title", step=step, where=_where_text(where, ctx.loc),
                               rate=ctx.loc.pct(r["rate"]), rate_prev=ctx.loc.pct(r["rate_prev"])),
                money_at_stake=max(0.0, lost) * (ctx.aov or 0.0),
                evidence={"step": step_name(r["step"], ctx.loc), "rate": r["rate"], "rate_prev": r["rate_prev"],
                          "entered": _int(r["entered"]), "lost_payments": round(lost)},
                where=where | {"step": r["step"]}, target_size=int(r["entered"]),
                recommendations=[ctx.text(_step_recommendation(r["step"], ctx), step=step,
                                          where=_where_text(where, ctx.loc), n=ctx.loc.integer(r["entered"]))],
            ))
    return findings


def weakest_step(funnel: pl.DataFrame | None, ctx: Context) -> list[Finding]:
    """The funnel step that converts worst (a low-severity pointer: where the largest share of
    journeys is lost; money 0 since there is no benchmark for what it should be)."""
    if funnel is None or not funnel.height or "is_weakest" not in funnel.columns:
        return []
    rows = funnel.filter(pl.col("is_weakest")).to_dicts()
    if not rows:
        return []
    r = rows[0]
    step = step_name(r["step"], ctx.loc)
    return [Finding(
        id=finding_id("funnel.weakest_step", r["step"]), rule="funnel.weakest_step", section=2, severity="low",
        title=ctx.text("diag.funnel.weakest.title", step=step, rate=ctx.loc.pct(r["step_conversion"])),
        evidence={"step": step, "rate": r["step_conversion"], "rate_prev": r.get("step_conversion_prev")},
        where={"step": r["step"]}, target_size=None,
        recommendations=[ctx.text(_step_recommendation(r["step"], ctx), step=step, where=_where_text({}, ctx.loc),
                                  n=ctx.loc.integer(r["count"]))],
    )]


def dated_drops(drops: pl.DataFrame | None, onward: dict[str, float], ctx: Context) -> list[Finding]:
    """Dated drops in daily step conversion (:func:`kit.diagnosis.changepoint.find_dated_drops`):
    a stretch of days when a step of one group converted clearly worse than before.

    Severity from the relative drop against ``step_drop_high`` / ``step_drop_medium``.
    ``onward``: per step, the share of journeys reaching it that go on to pay (1 for pay).
    One incident shows in several cuts (an App outage drags the whole shop and every source
    down with it): drops of the same step whose dates overlap are one finding, placed
    where the drop is sharpest, the other cuts listed under ``also_seen_in``.
    """
    th = ctx.thresholds
    findings = []
    for r, others in _incidents(_rows(drops)):
        where = {} if r["dimension"] == "all" else {r["dimension"]: r["group"]}
        step = step_name(r["step"], ctx.loc)
        lost = r["lost_conversions"] * onward.get(r["step"], 1.0)
        start, end = r["start"].strftime("%m-%d"), r["end"].strftime("%m-%d")
        findings.append(Finding(
            id=finding_id("funnel.dated_drop", *(r["dimension"], r["group"]) if where else (), r["step"]),
            rule="funnel.dated_drop", section=2,
            severity=severity_for(r["rel_drop"], th.step_drop_high, th.step_drop_medium),
            title=ctx.text("diag.funnel.dated_drop.title", step=step, where=_where_text(where, ctx.loc),
                           start=start, end=end, before=ctx.loc.pct(r["rate_before"]), during=ctx.loc.pct(r["rate_during"])),
            money_at_stake=max(0.0, lost) * (ctx.aov or 0.0),
            evidence={"step": step, "start": r["start"], "end": r["end"], "days": r["days"],
                      "rate_before": r["rate_before"], "rate_during": r["rate_during"], "rate_after": r["rate_after"],
                      "relative_drop_share": r["rel_drop"], "lost_payments": round(lost),
                      "also_seen_in": ctx.loc.join(_where_text({o["dimension"]: o["group"]} if o["dimension"] != "all"
                                                        else {}, ctx.loc) for o in others) or None},
            where=where | {"step": r["step"]}, target_size=int(r["entered_during"]),
            recommendations=[ctx.text("diag.funnel.dated_drop.rec", step=step, where=_where_text(where, ctx.loc),
                                      start=start, end=end, before=ctx.loc.pct(r["rate_before"]),
                                      during=ctx.loc.pct(r["rate_during"]))],
        ))
    return findings


def _incidents(drops: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Drops grouped into incidents: same step, dates overlapping (2 days' slack); each
    incident led by its sharpest drop (largest relative drop)."""
    from datetime import timedelta

    slack = timedelta(days=2)
    incidents: list[tuple[dict, list[dict]]] = []
    for d in sorted(drops, key=lambda d: -d["rel_drop"]):
        for lead, others in incidents:
            if lead["step"] == d["step"] and d["start"] <= lead["end"] + slack and lead["start"] <= d["end"] + slack:
                others.append(d)
                break
        else:
            incidents.append((d, []))
    return incidents


def cart_abandonment(cart: pl.DataFrame | None, ctx: Context) -> list[Finding]:
    """Cart abandonment (:func:`kit.metrics.cart.cart_abandonment`) at or above
    ``cart_abandonment_medium`` (high from ``cart_abandonment_high``)."""
    th = ctx.thresholds
    rows = _rows(cart)
    if not rows or rows[0]["abandonment_rate"] is None:
        return []
    r = rows[0]
    rate = r["abandonment_rate"]
    if rate < th.cart_abandonment_medium - 1e-12:
        return []
    per_cart = r["abandoned_value"] / r["abandoned"] if r["abandoned"] else 0.0
    return [Finding(
        id=finding_id("cart.abandonment"), rule="cart.abandonment", section=2,
        severity=severity_for(rate, th.cart_abandonment_high, th.cart_abandonment_medium),
        title=ctx.text("diag.cart.title", rate=ctx.loc.pct(rate)),
        money_at_stake=max(0.0, rate - th.cart_abandonment_medium) * r["carts"] * per_cart,
        evidence={"carts": _int(r["carts"]), "abandoned": _int(r["abandoned"]), "abandonment_rate": rate,
                  "abandonment_rate_prev": r.get("abandonment_rate_prev"), "abandoned_amount": r["abandoned_value"]},
        target_size=int(r["abandoned"]),
        recommendations=[ctx.text("diag.cart.rec", n=ctx.loc.integer(r["abandoned"]), value=ctx.money(r["abandoned_value"]))],
    )]


# ---------------------------------------------------------------- section 2.3: repurchase

def first_repurchase(by_group: pl.DataFrame | None, overall: pl.DataFrame | None, ctx: Context,
                     dimension: str = "acquisition_channel", days: int = 90) -> list[Finding]:
    """First-time buyers of a group (e.g. an acquisition channel) who rarely buy again.

    ``by_group`` and ``overall``: :func:`kit.metrics.repurchase.first_purchase_repurchase` by
    the group and for the shop, read at ``days`` (``buyers_<days>``, ``repurchased_<days>``,
    ``rate_<days>``). The group is compared with the rest of the shop's buyers (two-proportion
    z-test, p <= ``significance``): high when its rate is at or below ``repurchase_low`` and
    significantly below the rest, medium when significantly below half the rest's rate.
    """
    th = ctx.thresholds
    rows = _rows(overall)
    if not rows or not rows[0][f"buyers_{days}"]:
        return []
    total_n, total_k = rows[0][f"buyers_{days}"], rows[0][f"repurchased_{days}"]
    findings = []
    for r in _rows(by_group):
        n, k, rate = r[f"buyers_{days}"], r[f"repurchased_{days}"], r[f"rate_{days}"]
        rest_n = total_n - n
        if not n or rate is None or rest_n <= 0:
            continue
        rest = (total_k - k) / rest_n
        significant = rate < rest and _two_period_p(rate, rest, n, rest_n) <= th.significance
        if significant and rate <= th.repurchase_low + 1e-12:
            severity = "high"
        elif significant and rate <= rest / 2:
            severity = "medium"
        else:
            continue
        group = str(r["group"])
        where = {dimension: group}
        findings.append(Finding(
            id=finding_id("retention.first_repurchase", dimension, group), rule="retention.first_repurchase",
            section=2, severity=severity,
            title=ctx.text("diag.repurchase.title", where=_where_text(where, ctx.loc), rate=ctx.loc.pct(rate),
                           overall=ctx.loc.pct(rest)),
            money_at_stake=max(0.0, rest - rate) * r["buyers"] * (ctx.aov or 0.0),
            evidence={"buyers": _int(n), "repurchased": _int(k), "rate": rate, "overall_rate": rest,
                      "rate_prev": r.get(f"rate_{days}_prev"), "new_buyers_in_period": _int(r["buyers"])},
            where=where, target_size=int(r["buyers"]),
            recommendations=[ctx.text("diag.repurchase.rec", where=_where_text(where, ctx.loc), n=ctx.loc.integer(r["buyers"]))],
        ))
    return findings


def falling_repurchase(overall: pl.DataFrame | None, ctx: Context, days: int = 90) -> list[Finding]:
    """The shop's first-purchase repurchase at ``days`` fell against the comparison period by
    at least ``step_drop_medium`` (relative; high from ``step_drop_high``), significantly."""
    th = ctx.thresholds
    rows = _rows(overall)
    if not rows:
        return []
    r = rows[0]
    rate, prev = r.get(f"rate_{days}"), r.get(f"rate_{days}_prev")
    if rate is None or not prev:
        return []
    rel = (rate - prev) / prev
    n, n_prev = r[f"buyers_{days}"], r.get(f"buyers_{days}_prev") or r[f"buyers_{days}"]
    if -rel < th.step_drop_medium - 1e-12 or _two_period_p(rate, prev, n, n_prev) > th.significance:
        return []
    return [Finding(
        id=finding_id("retention.falling_repurchase"), rule="retention.falling_repurchase", section=2,
        severity=severity_for(-rel, th.step_drop_high, th.step_drop_medium),
        title=ctx.text("diag.repurchase.falling.title", rate=ctx.loc.pct(rate), rate_prev=ctx.loc.pct(prev)),
        money_at_stake=(prev - rate) * n * (ctx.aov or 0.0),
        evidence={"buyers": _int(n), "rate": rate, "rate_prev": prev},
        target_size=int(r["buyers"]),
        recommendations=[ctx.text("diag.repurchase.falling.rec", n=ctx.loc.integer(r["buyers"]))],
    )]
