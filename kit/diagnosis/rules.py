"""The rules of the diagnosis: one plain function per rule, over the figures of sections
1-3, each returning zero or more :class:`~kit.diagnosis.findings.Finding`.

Every rule takes the figure tables it reads (exactly as the sections computed them, see
:mod:`kit.figures`) and a :class:`Context` (locale, thresholds, values per unit), so each
can be tested on hand-built tables. Severity comes from ``diagnosis:`` in the params through
:func:`~kit.diagnosis.findings.severity_for`.

**Money at stake, one notion for every rule**: the period's GMV (or cost) that would have
been different had the metric stayed at its reference level,

    money at stake = volume affected x (reference rate - rate) x value per unit,

where the reference is stated per finding (``reference``: the comparison period, the days
before a dated drop, the rest of the shop, the shop's norm, a target threshold, the place's
former share) and the formula is written on the finding (``formula``). Per rule:

- ``funnel.dated_drop``: journeys entering the step during the drop x (rate before - rate
  during) x share of them that go on to pay x value per payment (the period's AOV of the
  device, or of the shop); reference: the days before the drop;
- ``funnel.step_drop``: journeys entering the step x (rate in the comparison period - rate)
  x onward share to pay x value per payment; reference: the comparison period;
- ``funnel.weakest_step`` and ``rfm.concentration``: 0 (structural, no benchmark);
- ``cart.abandonment``: carts x (abandonment rate - the medium threshold) x value per
  abandoned cart; reference: the threshold;
- ``retention.first_repurchase``: acquisition findings count spend: the channel's spend in
  the period x (the other first-time buyers' 90-day repurchase - the channel's), i.e. new
  customers x rate gap x CAC, the money spent on customers who do not come back as the
  others do; without spend for the group, its first-time buyers x rate gap x AOV (the
  repeat orders it does not bring); reference: the rest of the shop;
- ``retention.falling_repurchase``: observable first-time buyers x (rate before - rate) x
  AOV; reference: the comparison period;
- ``rfm.high_value_shrink``: customers who left the segment x the segment's spend per
  customer in the period; ``rfm.churned_growth``: customers x growth of the churned share
  x the shop's spend per customer; reference: the comparison end;
- ``customers.churn``: the GMV the place would have made at its former share of the shop
  (the two quarters before the comparison period), less what it made: rest GMV x (s_before /
  (1 - s_before) - s_now / (1 - s_now)); reference: its former share. Without the places'
  GMV, the customers lost beyond the rest's churn rate x their spend per customer last period;
- ``product.quality``: the category's sales x (its return rate - the other categories'):
  the returns above the norm (``gmv_at_risk`` of :func:`kit.metrics.products.item_quality`);
  reference: the shop's norm;
- ``product.margin``, ``product.cross_sell``, ``product.catalogue``: see
  :mod:`kit.diagnosis.product_rules`;
- ``channel.roi_drop``: spend x (ROI before - ROI now), the GMV the spend no longer brings;
  reference: the comparison period.

Each finding also carries an executable ``action`` (audience, lever, target, how success is
measured, the expected recovery and its assumption, when to check again), its ``stake``
(what the money is made of, for the total without double counting), ``area`` and ``owner``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from kit.diagnosis.findings import Finding, finding_id, severity_for
from kit.i18n import Locale
from kit.i18n.labels import segment_name, step_name
from kit.params import Diagnosis

RECOVERY = {  # share of the money an action is expected to win back, stated with the action
    "recovered_incident": 0.3, "fix": 0.5, "reminders": 0.15, "budget": 0.5, "winback": 0.2, "quality": 0.5,
    "pricing": 0.5, "cross_sell": 0.2, "assortment": 0.3,
}
"""What each kind of action is assumed to recover of the money at stake (the assumption is
written beside the expected recovery in the report)."""
CHECK_DAYS = 30
"""An action is checked again this many days after the period end (the next month's figures)."""


@dataclass(frozen=True)
class Context:
    """What every rule needs besides its figures."""

    loc: Locale = field(default_factory=lambda: Locale("zh"))
    thresholds: Diagnosis = field(default_factory=Diagnosis)
    aov: float | None = None  # GMV / paid orders in the period: the value of one payment
    aov_by: dict = field(default_factory=dict)  # (dimension, group) -> AOV, e.g. ("device", "App")
    comparison_label: str | None = None
    period_end: date | None = None
    spend: dict = field(default_factory=dict)  # channel -> spend in the period (marketing_spend)

    def money(self, x) -> str:
        return self.loc.money(x)

    def text(self, key: str, **values) -> str:
        return self.loc.t(key, **values)

    def value_per_payment(self, where: dict) -> float:
        """AOV of the place (its device or source) when known, else the shop's."""
        for dimension, group in where.items():
            if (dimension, group) in self.aov_by and self.aov_by[(dimension, group)]:
                return self.aov_by[(dimension, group)]
        return self.aov or 0.0

    def check_on(self) -> str | None:
        return (self.period_end + timedelta(days=CHECK_DAYS)).isoformat() if self.period_end else None


def _rows(frame: pl.DataFrame | None) -> list[dict]:
    return [] if frame is None else frame.to_dicts()


def _int(x) -> int | None:
    return None if x is None else int(round(x))


def _where_text(where: dict, loc: Locale) -> str:
    if not where:
        return loc.t("diag.where.all")
    return loc.join(loc.label("diag.dim", k) + " " + str(v) for k, v in where.items())


def _reference(ctx: Context, kind: str, value: str = "", label: str | None = None) -> dict:
    """The reference a finding's money is held against, with its words in the report's language."""
    if kind == "none":
        return {"kind": "none", "label": None, "value": None}
    return {"kind": kind, "label": ctx.text(f"diag.ref.{kind}", value=value, label=label or ctx.comparison_label or ""),
            "value": value}


def _action(ctx: Context, *, audience: str, size: int | None, lever: str, target: str, measure: str,
            money: float, recovery: str) -> dict:
    """The executable recommendation: who, how, the target, how it is read, what it may win back."""
    share = RECOVERY.get(recovery, 0.0)
    return {"audience": audience, "audience_size": size, "lever": lever, "target": target, "measure": measure,
            "expected_recovery": round(money * share, 2) if money else 0.0,
            "assumption": ctx.text(f"diag.assumption.{recovery}", share=ctx.loc.pct(share, 0)) if share
            else ctx.text("diag.assumption.none"),
            "check_on": ctx.check_on()}


def _step_lever(step: str, ctx: Context, where: dict, n) -> str:
    """The lever for a funnel step: the step's own recommendation, else the generic one."""
    key = f"diag.funnel.rec.{step}"
    key = key if ctx.loc.has(key) else "diag.funnel.rec.other"
    return ctx.text(key, step=step_name(step, ctx.loc), where=_where_text(where, ctx.loc), n=ctx.loc.integer(n))


# ---------------------------------------------------------------- section 3: segments

def high_value_shrink(sizes: pl.DataFrame | None, profiles: pl.DataFrame | None, high_value: frozenset,
                      ctx: Context, by: str | None = None) -> list[Finding]:
    """The high-value segment lost customers between the comparison end and the period end.

    ``sizes``: :func:`kit.metrics.segments.segment_sizes` (or ``segment_sizes_by`` with a
    ``by`` column); severity from the relative shrink against ``segment_change_high`` /
    ``segment_change_medium``; only shrinks of at least the medium threshold that are
    more than chance (``|now - before| / sqrt(now + before)``, p <= ``significance``) are
    findings, so a small region's few customers moving is not one. Money: customers who left
    x the segment's spend per customer in the period.
    """
    return _segment_change(sizes, profiles, high_value, ctx, by, shrink=True)


def churned_growth(sizes: pl.DataFrame | None, profiles: pl.DataFrame | None, churned: frozenset,
                   ctx: Context, by: str | None = None) -> list[Finding]:
    """The churned segment's share of customers grew (relative growth of the share against the
    same thresholds; the count must also have grown more than chance). Money: customers x the
    share's growth x the shop's spend per customer."""
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
        where = {by: r[by]} if by else {}
        segment = segment_name(r["segment"], ctx.loc)
        rule = "rfm.high_value_shrink" if shrink else "rfm.churned_growth"
        if shrink:
            affected = abs(r["customers_change"])
            money = affected * value_per_customer.get(r["segment"], 0.0)
        else:  # the customers the share's growth adds, at what a customer spends in the period
            affected = (r.get("share") or 0) - (r.get("share_prev") or 0)
            affected = max(0.0, affected) * (r["customers"] / r["share"] if r.get("share") else 0.0)
            money = affected * _mean_value(profiles)
        n = int(round(affected)) if shrink else int(r["customers"])
        place = _where_text(where, ctx.loc)
        findings.append(Finding(
            id=finding_id(rule, *(by, r[by]) if by else (), r["segment"]),
            rule=rule, section=3, severity=severity,
            title=ctx.text(f"diag.{rule}.title", segment=segment, where=place, change=ctx.loc.change(change)),
            short=ctx.text(f"diag.short.{rule}", segment=segment, where=place),
            money_at_stake=max(0.0, money),
            evidence={"segment": segment, "customers": _int(r["customers"]), "customers_prev": _int(r["customers_prev"]),
                      "customers_change_rel": r["customers_change_rel"], "share_change_rel": r.get("share_change_rel")},
            where=where | {"segment": r["segment"]}, target_size=n,
            recommendations=[ctx.text(f"diag.{rule}.rec", segment=segment, n=ctx.loc.integer(n), where=place)],
            reference=_reference(ctx, "comparison", ctx.loc.integer(r["customers_prev"])),
            explains_change=money, formula=ctx.text(f"diag.formula.{rule}"), stake="customers", area="customer_ops", owner="operations",
            action=_action(ctx, audience=ctx.text("diag.rfm.shrink.audience" if shrink else "diag.rfm.growth.audience",
                                                  where=place, segment=segment, n=ctx.loc.integer(n)),
                           size=n, lever=ctx.text("diag.rfm.lever.winback"),
                           target=ctx.text("diag.rfm.target", segment=segment, n=ctx.loc.integer(r["customers_prev"])),
                           measure=ctx.text("diag.rfm.measure"), money=money, recovery="winback"),
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
    ``concentration_high`` / ``concentration_medium``). No money: a structural risk."""
    th = ctx.thresholds
    rows = _rows(concentration)
    if not rows or rows[0]["top_share"] is None:
        return []
    share = rows[0]["top_share"]
    if share < th.concentration_medium - 1e-12:
        return []
    n = int(rows[0]["top_customers"])
    return [Finding(
        id=finding_id("rfm.concentration"), rule="rfm.concentration", section=3,
        severity=severity_for(share, th.concentration_high, th.concentration_medium),
        title=ctx.text("diag.rfm.concentration.title", share=ctx.loc.pct(share)),
        short=ctx.text("diag.short.rfm.concentration"),
        money_at_stake=0.0,
        evidence={"top_customers": n, "top_share": share, "top_revenue": rows[0]["top_revenue"]},
        target_size=n,
        recommendations=[ctx.text("diag.rfm.concentration.rec", n=ctx.loc.integer(n))],
        reference=_reference(ctx, "none"), formula=ctx.text("diag.formula.rfm.concentration"), stake="none",
        area="customer_ops", owner="operations",
        action=_action(ctx, audience=ctx.text("diag.rfm.concentration.audience", n=ctx.loc.integer(n),
                                              share=ctx.loc.pct(share)),
                       size=n, lever=ctx.text("diag.rfm.concentration.lever"),
                       target=ctx.text("diag.rfm.concentration.target", share=ctx.loc.pct(th.concentration_medium)),
                       measure=ctx.text("diag.rfm.measure"), money=0.0, recovery="none"),
    )]


def churn_by_place(churn: pl.DataFrame | None, ctx: Context, column: str = "region",
                   gmv: pl.DataFrame | None = None) -> list[Finding]:
    """A place (region ...) whose customers churn more than the rest of the shop.

    ``churn``: :func:`kit.metrics.customers.churn_by` (``was_active``, ``lost``,
    ``churn_rate`` per place). The place's churn rate is compared with the churn rate of
    all other places' customers: severity from the relative excess
    (rate / rest - 1) against ``churn_excess_high`` / ``churn_excess_medium``, only when the
    difference is more than chance (two-proportion test, p <= ``significance``).

    Money at stake (``gmv``: :func:`kit.metrics.customers.gmv_by`, the places' GMV in the
    period and in the two quarters before the comparison period): the GMV the place would have
    made at its former share of the shop, less what it made, rest x (s_before / (1 - s_before)
    - s_now / (1 - s_now)); without ``gmv``, the customers lost beyond the rest's churn rate x
    their spend per customer in the comparison period.
    """
    th = ctx.thresholds
    rows = [r for r in _rows(churn) if r["was_active"]]
    total_n, total_lost = sum(r["was_active"] for r in rows), sum(r["lost"] for r in rows)
    shares = {r[column]: r for r in _rows(gmv)}
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
        place = _where_text(where, ctx.loc)
        share = shares.get(r[column])
        change = None
        if share is not None and share.get("share_before") and share.get("share") is not None:
            before, now, others = share["share_before"], share["share"], share["rest_gmv"]
            money = others * (before / (1 - before) - now / (1 - now))
            if share.get("share_prev") is not None:  # the part of it that is new since the comparison period
                change = others * (share["share_prev"] / (1 - share["share_prev"]) - now / (1 - now))
            reference = _reference(ctx, "former_share", ctx.loc.pct(before), share.get("before_label"))
            formula = ctx.text("diag.formula.customers.churn")
        else:
            money = beyond * (r["value_before"] / r["was_active"])
            reference = _reference(ctx, "rest_of_shop", ctx.loc.pct(rest))
            formula = ctx.text("diag.formula.customers.churn.customers")
        findings.append(Finding(
            id=finding_id("customers.churn", column, r[column]), rule="customers.churn", section=3,
            severity=severity_for(excess, th.churn_excess_high, th.churn_excess_medium),
            title=ctx.text("diag.churn.title", where=place, rate=ctx.loc.pct(rate), rest=ctx.loc.pct(rest)),
            short=ctx.text("diag.short.customers.churn", where=place),
            money_at_stake=max(0.0, money),
            evidence={"was_active": _int(r["was_active"]), "lost": _int(r["lost"]), "rate": rate, "overall_rate": rest,
                      "customers_lost_beyond_rest": round(beyond)}
            | ({"gmv_share_before": share["share_before"], "gmv_share": share["share"]} if share else {}),
            where=where, target_size=int(r["lost"]),
            recommendations=[ctx.text("diag.churn.rec", where=place, n=ctx.loc.integer(r["lost"]))],
            reference=reference, formula=formula, stake="customers", area="customer_ops", owner="operations",
            explains_change=change,
            action=_action(ctx, audience=ctx.text("diag.churn.audience", where=place, n=ctx.loc.integer(r["lost"])),
                           size=int(r["lost"]), lever=ctx.text("diag.churn.lever"),
                           target=ctx.text("diag.churn.target", rate=ctx.loc.pct(rest)),
                           measure=ctx.text("diag.churn.measure"), money=money, recovery="winback"),
        ))
    return findings


# ---------------------------------------------------------------- products and channels

def product_quality(quality: pl.DataFrame | None, ctx: Context) -> list[Finding]:
    """A category whose return rate reaches ``return_rate_high`` while its mean rating is at or
    below ``rating_low`` (:func:`kit.metrics.products.category_quality`). High when both
    hold; medium when the return rate reaches half the threshold with a low rating, or
    the threshold with an unknown rating. Money: the category's sales x (its return rate -
    the other categories' return rate), the returns above the shop's norm."""
    th = ctx.thresholds
    rows = [r for r in _rows(quality) if r.get("return_rate") is not None]
    findings = []
    for r in rows:
        rate, rating = r["return_rate"], r.get("rating")
        low_rating = rating is not None and rating <= th.rating_low + 1e-12
        if rate >= th.return_rate_high - 1e-12 and low_rating:
            severity = "high"
        elif (rate >= th.return_rate_high / 2 and low_rating) or (rate >= th.return_rate_high and rating is None):
            severity = "medium"
        else:
            continue
        norm, money = _excess_returns(r, rows)
        category = r["category"]
        halfway = norm + (rate - norm) / 2
        findings.append(Finding(
            id=finding_id("product.quality", category), rule="product.quality", section=5, severity=severity,
            title=ctx.text("diag.product.quality.title", category=category, rate=ctx.loc.pct(rate),
                           rating="–" if rating is None else f"{rating:.1f}"),
            short=ctx.text("diag.short.product.quality", category=category),
            money_at_stake=money,
            evidence={"category": category, "return_rate": rate, "rating": rating, "others_return_rate": norm,
                      "return_rate_prev": r.get("return_rate_prev"), "returned_amount": r.get("returned_value"),
                      "lines": _int(r.get("lines"))},
            where={"category": category}, target_size=None,
            recommendations=[ctx.text("diag.product.quality.rec", category=category,
                                      value=ctx.money(r.get("returned_value") or 0))],
            reference=_reference(ctx, "shop_norm", ctx.loc.pct(norm)),
            formula=ctx.text("diag.formula.product.quality"), stake="returns", area="product_ux", owner="merchandising",
            action=_action(ctx, audience=ctx.text("diag.product.quality.audience", category=category,
                                                  n=ctx.loc.integer(r.get("lines"))),
                           size=None, lever=ctx.text("diag.product.quality.lever"),
                           target=ctx.text("diag.product.quality.target", rate=ctx.loc.pct(halfway)),
                           measure=ctx.text("diag.product.quality.measure"), money=money, recovery="quality"),
        ))
    return findings


def _excess_returns(r: dict, rows: list[dict]) -> tuple[float, float]:
    """The other categories' return rate and the value of the returns above it: the table's
    ``others_return_rate`` and ``gmv_at_risk`` (:func:`kit.metrics.products.item_quality`);
    computed the same way for a hand-made table without them."""
    if r.get("others_return_rate") is not None and r.get("gmv_at_risk") is not None:
        return r["others_return_rate"], r["gmv_at_risk"]
    others = [o for o in rows if o["category"] != r["category"]]
    lines = sum(o["lines"] or 0 for o in others)
    norm = sum((o["lines"] or 0) * o["return_rate"] for o in others) / lines if lines else 0.0
    return norm, (r.get("gmv") or 0.0) * max(0.0, r["return_rate"] - norm)


def channel_roi_drop(roi: pl.DataFrame | None, ctx: Context) -> list[Finding]:
    """A paid channel whose ROI (GMV / spend) fell against the comparison period by at least
    ``roi_drop_medium`` (relative; high from ``roi_drop_high``). Money: spend x (ROI before -
    ROI now), the GMV the spend no longer brings."""
    th = ctx.thresholds
    findings = []
    for r in _rows(roi):
        rel = r.get("roi_change_rel")
        if rel is None or -rel < th.roi_drop_medium - 1e-12 or not r.get("spend"):
            continue
        channel = r["channel"]
        money = max(0.0, (r["roi_prev"] - r["roi"]) * r["spend"])
        findings.append(Finding(
            id=finding_id("channel.roi_drop", channel), rule="channel.roi_drop", section=2,
            severity=severity_for(-rel, th.roi_drop_high, th.roi_drop_medium),
            title=ctx.text("diag.channel.roi_drop.title", channel=channel, roi=f"{r['roi']:.2f}",
                           roi_prev=f"{r['roi_prev']:.2f}"),
            short=ctx.text("diag.short.channel.roi_drop", channel=channel),
            money_at_stake=money,
            evidence={"channel": channel, "spend": r["spend"], "roi": r["roi"], "roi_prev": r["roi_prev"],
                      "cac": r.get("cac"), "cac_prev": r.get("cac_prev")},
            where={"channel": channel}, target_size=None,
            recommendations=[ctx.text("diag.channel.roi_drop.rec", channel=channel, spend=ctx.money(r["spend"]))],
            reference=_reference(ctx, "comparison", f"{r['roi_prev']:.2f}"),
            explains_change=money, formula=ctx.text("diag.formula.channel.roi_drop"), stake="spend", area="marketing", owner="marketing",
            action=_action(ctx, audience=ctx.text("diag.channel.roi_drop.audience", channel=channel,
                                                  spend=ctx.money(r["spend"])),
                           size=None, lever=ctx.text("diag.channel.roi_drop.lever"),
                           target=ctx.text("diag.channel.roi_drop.target", roi=f"{r['roi_prev']:.2f}"),
                           measure=ctx.text("diag.channel.roi_drop.measure"), money=money, recovery="budget"),
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
            where = {} if dimension == "all" else {dimension: group}
            lost = (r["rate_prev"] - r["rate"]) * r["entered"] * _onward(rows, r["step_index"], count)
            money = max(0.0, lost) * ctx.value_per_payment(where)
            step = step_name(r["step"], ctx.loc)
            place = _where_text(where, ctx.loc)
            findings.append(Finding(
                id=finding_id("funnel.step_drop", *(dimension, group) if where else (), r["step"]),
                rule="funnel.step_drop", section=2,
                severity=severity_for(-rel, th.step_drop_high, th.step_drop_medium),
                title=ctx.text("diag.funnel.step_drop.title", step=step, where=place,
                               rate=ctx.loc.pct(r["rate"]), rate_prev=ctx.loc.pct(r["rate_prev"])),
                short=ctx.text("diag.short.funnel.step_drop", step=step, where=place),
                money_at_stake=money,
                evidence={"step": step, "rate": r["rate"], "rate_prev": r["rate_prev"],
                          "entered": _int(r["entered"]), "lost_payments": round(lost)},
                where=where | {"step": r["step"]}, target_size=int(r["entered"]),
                recommendations=[_step_lever(r["step"], ctx, where, r["entered"])],
                reference=_reference(ctx, "comparison", ctx.loc.pct(r["rate_prev"])),
                explains_change=money, formula=ctx.text("diag.formula.funnel.step_drop"), stake="orders", area="product_ux",
                owner="product_tech",
                action=_action(ctx, audience=ctx.text("diag.funnel.step_drop.audience", where=place, step=step,
                                                      n=ctx.loc.integer(r["entered"])),
                               size=int(r["entered"]), lever=_step_lever(r["step"], ctx, where, r["entered"]),
                               target=ctx.text("diag.funnel.step_drop.target", step=step,
                                               rate=ctx.loc.pct(r["rate_prev"])),
                               measure=ctx.text("diag.funnel.step_drop.measure"), money=money, recovery="fix"),
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
    entered = funnel.filter(pl.col("step_index") == r["step_index"] - 1)["count"]
    n = int(entered[0]) if entered.len() else int(r["count"])
    return [Finding(
        id=finding_id("funnel.weakest_step", r["step"]), rule="funnel.weakest_step", section=2, severity="low",
        title=ctx.text("diag.funnel.weakest.title", step=step, rate=ctx.loc.pct(r["step_conversion"])),
        short=ctx.text("diag.short.funnel.weakest_step", step=step),
        evidence={"step": step, "rate": r["step_conversion"], "rate_prev": r.get("step_conversion_prev")},
        where={"step": r["step"]}, target_size=None,
        recommendations=[_step_lever(r["step"], ctx, {}, n)],
        reference=_reference(ctx, "none"), formula=ctx.text("diag.formula.funnel.weakest_step"), stake="none",
        area="product_ux", owner="product_tech",
        action=_action(ctx, audience=ctx.text("diag.funnel.weakest.audience", step=step, n=ctx.loc.integer(n)),
                       size=n, lever=_step_lever(r["step"], ctx, {}, n),
                       target=ctx.text("diag.funnel.weakest.target", step=step,
                                       rate=ctx.loc.pct(max(r["step_conversion"], r.get("step_conversion_prev") or 0))),
                       measure=ctx.text("diag.funnel.step_drop.measure"), money=0.0, recovery="none"),
    )]


def dated_drops(drops: pl.DataFrame | None, onward: dict[str, float], ctx: Context) -> list[Finding]:
    """Dated drops in daily step conversion (:func:`kit.diagnosis.changepoint.find_dated_drops`):
    a stretch of days when a step of one group converted clearly worse than before.

    Severity from the relative drop against ``step_drop_high`` / ``step_drop_medium``.
    ``onward``: per step, the share of journeys reaching it that go on to pay (1 for pay).
    One incident shows in several cuts (an App outage drags the whole shop and every source
    down with it): drops of the same step whose dates overlap are one finding, placed
    where the drop is sharpest, the other cuts listed under ``also_seen_in``. A drop whose
    rate after it is back near the rate before (within half the minimum drop) has recovered:
    its action is a post-incident one (win back, monitor, review), not "fix it".
    """
    th = ctx.thresholds
    findings = []
    for r, others in _incidents(_rows(drops)):
        where = {} if r["dimension"] == "all" else {r["dimension"]: r["group"]}
        step = step_name(r["step"], ctx.loc)
        lost = r["lost_conversions"] * onward.get(r["step"], 1.0)
        money = max(0.0, lost) * ctx.value_per_payment(where)
        start, end = r["start"].strftime("%m-%d"), r["end"].strftime("%m-%d")
        place = _where_text(where, ctx.loc)
        after = r.get("rate_after")
        recovered = after is not None and after >= r["rate_before"] * (1 - th.changepoint_min_drop / 2)
        alert = r["rate_before"] * (1 - th.changepoint_min_drop)
        n = int(r["entered_during"])
        failed = int(round(r["entered_during"] * (1 - r["rate_during"])))
        findings.append(Finding(
            id=finding_id("funnel.dated_drop", *(r["dimension"], r["group"]) if where else (), r["step"]),
            rule="funnel.dated_drop", section=2,
            severity=severity_for(r["rel_drop"], th.step_drop_high, th.step_drop_medium),
            title=ctx.text("diag.funnel.dated_drop.title", step=step, where=place,
                           start=start, end=end, before=ctx.loc.pct(r["rate_before"]),
                           during=ctx.loc.pct(r["rate_during"])),
            short=ctx.text("diag.short.funnel.dated_drop", step=step, where=place, start=start, end=end),
            money_at_stake=money,
            evidence={"step": step, "start": r["start"], "end": r["end"], "days": r["days"],
                      "rate_before": r["rate_before"], "rate_during": r["rate_during"], "rate_after": r["rate_after"],
                      "relative_drop_share": r["rel_drop"], "lost_payments": round(lost),
                      "also_seen_in": ctx.loc.join(_where_text({o["dimension"]: o["group"]} if o["dimension"] != "all"
                                                               else {}, ctx.loc) for o in others) or None},
            where=where | {"step": r["step"]}, target_size=n,
            recommendations=[ctx.text("diag.funnel.dated_drop.rec", step=step, where=place,
                                      start=start, end=end, before=ctx.loc.pct(r["rate_before"]),
                                      during=ctx.loc.pct(r["rate_during"]))],
            reference=_reference(ctx, "before_drop", ctx.loc.pct(r["rate_before"])),
            explains_change=money, formula=ctx.text("diag.formula.funnel.dated_drop"), stake="orders", area="product_ux",
            owner="product_tech",
            action=_action(ctx, audience=ctx.text("diag.funnel.dated_drop.audience", start=start, end=end, where=place,
                                                  step=step, n=ctx.loc.integer(failed)),
                           size=failed, lever=ctx.text("diag.funnel.dated_drop.lever." + ("recovered" if recovered
                                                                                     else "ongoing"),
                                                  alert=ctx.loc.pct(alert)),
                           target=ctx.text("diag.funnel.dated_drop.target", step=step,
                                           before=ctx.loc.pct(alert), share=ctx.loc.pct(RECOVERY["recovered_incident"], 0)),
                           measure=ctx.text("diag.funnel.dated_drop.measure", step=step), money=money,
                           recovery="recovered_incident" if recovered else "fix"),
        ))
    return findings


def _incidents(drops: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Drops grouped into incidents: same step, dates overlapping (2 days' slack); each
    incident led by its sharpest drop (largest relative drop)."""
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
    ``cart_abandonment_medium`` (high from ``cart_abandonment_high``). Money: carts x (rate -
    the medium threshold) x value per abandoned cart."""
    th = ctx.thresholds
    rows = _rows(cart)
    if not rows or rows[0]["abandonment_rate"] is None:
        return []
    r = rows[0]
    rate = r["abandonment_rate"]
    if rate < th.cart_abandonment_medium - 1e-12:
        return []
    per_cart = r["abandoned_value"] / r["abandoned"] if r["abandoned"] else 0.0
    money = max(0.0, rate - th.cart_abandonment_medium) * r["carts"] * per_cart
    n = int(r["abandoned"])
    return [Finding(
        id=finding_id("cart.abandonment"), rule="cart.abandonment", section=2,
        severity=severity_for(rate, th.cart_abandonment_high, th.cart_abandonment_medium),
        title=ctx.text("diag.cart.title", rate=ctx.loc.pct(rate)),
        short=ctx.text("diag.short.cart.abandonment"),
        money_at_stake=money,
        evidence={"carts": _int(r["carts"]), "abandoned": n, "abandonment_rate": rate,
                  "abandonment_rate_prev": r.get("abandonment_rate_prev"), "abandoned_amount": r["abandoned_value"]},
        target_size=n,
        recommendations=[ctx.text("diag.cart.rec", n=ctx.loc.integer(n), value=ctx.money(r["abandoned_value"]))],
        reference=_reference(ctx, "threshold", ctx.loc.pct(th.cart_abandonment_medium)),
        formula=ctx.text("diag.formula.cart.abandonment"), stake="orders", area="marketing", owner="operations",
        action=_action(ctx, audience=ctx.text("diag.cart.audience", n=ctx.loc.integer(n)), size=n,
                       lever=ctx.text("diag.cart.lever"),
                       target=ctx.text("diag.cart.target", rate=ctx.loc.pct(th.cart_abandonment_medium)),
                       measure=ctx.text("diag.cart.measure"), money=money, recovery="reminders"),
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
    Money: with spend for the group (a paid channel), its spend in the period x (rest rate -
    its rate), the money spent on customers who do not come back as the others do; else its
    first-time buyers x rate gap x AOV.
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
        place = _where_text(where, ctx.loc)
        spend = ctx.spend.get(group) if dimension in ("acquisition_channel", "channel") else None
        if spend:
            money = spend * (rest - rate)
            stake, kind, owner = "spend", "spend", "marketing"
        else:
            money = (rest - rate) * r["buyers"] * (ctx.aov or 0.0)
            stake, kind, owner = "customers", "orders", "operations"
        findings.append(Finding(
            id=finding_id("retention.first_repurchase", dimension, group), rule="retention.first_repurchase",
            section=2, severity=severity,
            title=ctx.text("diag.repurchase.title", where=place, rate=ctx.loc.pct(rate), overall=ctx.loc.pct(rest)),
            short=ctx.text("diag.short.retention.first_repurchase", where=place),
            money_at_stake=max(0.0, money),
            evidence={"buyers": _int(n), "repurchased": _int(k), "rate": rate, "overall_rate": rest,
                      "rate_prev": r.get(f"rate_{days}_prev"), "new_buyers_in_period": _int(r["buyers"])}
            | ({"spend": spend} if spend else {}),
            where=where, target_size=int(r["buyers"]),
            recommendations=[ctx.text("diag.repurchase.rec", where=place, n=ctx.loc.integer(r["buyers"]))],
            reference=_reference(ctx, "rest_of_shop", ctx.loc.pct(rest)),
            formula=ctx.text(f"diag.formula.retention.first_repurchase.{kind}"), stake=stake, area="marketing",
            owner=owner,
            action=_action(ctx, audience=ctx.text("diag.repurchase.audience", where=place,
                                                  n=ctx.loc.integer(r["buyers"])),
                           size=int(r["buyers"]), lever=ctx.text(f"diag.repurchase.lever.{kind}"),
                           target=ctx.text("diag.repurchase.target", rate=ctx.loc.pct(rest / 2)),
                           measure=ctx.text("diag.repurchase.measure"), money=money,
                           recovery="budget" if spend else "winback"),
        ))
    return findings


def falling_repurchase(overall: pl.DataFrame | None, ctx: Context, days: int = 90) -> list[Finding]:
    """The shop's first-purchase repurchase at ``days`` fell against the comparison period by
    at least ``step_drop_medium`` (relative; high from ``step_drop_high``), significantly.
    Money: observable first-time buyers x (rate before - rate) x AOV."""
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
    money = (prev - rate) * n * (ctx.aov or 0.0)
    buyers = int(r["buyers"])
    return [Finding(
        id=finding_id("retention.falling_repurchase"), rule="retention.falling_repurchase", section=2,
        severity=severity_for(-rel, th.step_drop_high, th.step_drop_medium),
        title=ctx.text("diag.repurchase.falling.title", rate=ctx.loc.pct(rate), rate_prev=ctx.loc.pct(prev)),
        short=ctx.text("diag.short.retention.falling_repurchase"),
        money_at_stake=money,
        evidence={"buyers": _int(n), "rate": rate, "rate_prev": prev},
        target_size=buyers,
        recommendations=[ctx.text("diag.repurchase.falling.rec", n=ctx.loc.integer(buyers))],
        reference=_reference(ctx, "comparison", ctx.loc.pct(prev)),
        explains_change=money, formula=ctx.text("diag.formula.retention.falling_repurchase"), stake="customers", area="customer_ops",
        owner="operations",
        action=_action(ctx, audience=ctx.text("diag.repurchase.falling.audience", n=ctx.loc.integer(buyers)),
                       size=buyers, lever=ctx.text("diag.repurchase.lever.orders"),
                       target=ctx.text("diag.repurchase.target", rate=ctx.loc.pct(prev)),
                       measure=ctx.text("diag.repurchase.measure"), money=money, recovery="winback"),
    )]
