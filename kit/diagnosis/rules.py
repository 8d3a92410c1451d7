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
- ``product.quality``: the value of the category's returned lines in the period;
- ``channel.roi_drop``: spend x (roi_prev - roi), the GMV the spend no longer returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from kit.diagnosis.findings import Finding, finding_id, severity_for
from kit.display import fmt_change, fmt_int, fmt_money, fmt_pct, fmt_pp
from kit.i18n import label, t
from kit.params import Diagnosis


@dataclass(frozen=True)
class Context:
    """What every rule needs besides its figures."""

    lang: str = "zh"
    currency: str = "¥"
    thresholds: Diagnosis = field(default_factory=Diagnosis)
    aov: float | None = None  # GMV / paid orders in the period: the value of one payment

    def money(self, x) -> str:
        return fmt_money(x, self.currency)

    def text(self, key: str, **values) -> str:
        return t(key, self.lang, **values)


def _rows(frame: pl.DataFrame | None) -> list[dict]:
    return [] if frame is None else frame.to_dicts()


def _where_text(where: dict, lang: str) -> str:
    if not where:
        return t("diag.where.all", lang)
    return ", ".join(label("diag.dim", k, lang) + " " + str(v) for k, v in where.items())


# ---------------------------------------------------------------- section 3: segments

def high_value_shrink(sizes: pl.DataFrame | None, profiles: pl.DataFrame | None, high_value: frozenset,
                      ctx: Context, by: str | None = None) -> list[Finding]:
    """The high-value segment lost customers between the comparison end and the period end.

    ``sizes``: :func:`kit.metrics.segments.segment_sizes` (or ``segment_sizes_by`` with a
    ``by`` column); severity from the relative shrink against ``segment_change_high`` /
    ``segment_change_medium``; only shrinks of at least the medium threshold are findings.
    """
    return _segment_change(sizes, profiles, high_value, ctx, by, shrink=True)


def churned_growth(sizes: pl.DataFrame | None, profiles: pl.DataFrame | None, churned: frozenset,
                   ctx: Context, by: str | None = None) -> list[Finding]:
    """The churned segment gained customers (relative growth against the same thresholds)."""
    return _segment_change(sizes, profiles, churned, ctx, by, shrink=False)


def _segment_change(sizes, profiles, watched, ctx, by, shrink) -> list[Finding]:
    th = ctx.thresholds
    value_per_customer = {r["segment"]: (r["period_revenue"] or 0) / r["customers"]
                          for r in _rows(profiles) if r["customers"]}
    findings = []
    for r in _rows(sizes):
        if r["segment"] not in watched or not r.get("customers_prev") or r.get("customers_change_rel") is None:
            continue
        change = r["customers_change_rel"]
        size = -change if shrink else change
        if size < th.segment_change_medium - 1e-12:
            continue
        severity = severity_for(size, th.segment_change_high, th.segment_change_medium)
        moved = abs(r["customers_change"])
        where = {by: r[by]} if by else {}
        segment = label("rfm.segment", r["segment"], ctx.lang)
        rule = "rfm.high_value_shrink" if shrink else "rfm.churned_growth"
        per_customer = value_per_customer.get(r["segment"], 0.0) if shrink else _mean_value(profiles)
        findings.append(Finding(
            id=finding_id(rule, *(by, r[by]) if by else (), r["segment"]),
            rule=rule, section=3, severity=severity,
            title=ctx.text(f"diag.{rule}.title", segment=segment, where=_where_text(where, ctx.lang),
                           change=fmt_change(change)),
            money_at_stake=moved * per_customer,
            evidence={"segment": segment, "customers": r["customers"], "customers_prev": r["customers_prev"],
                      "change_rel": change},
            where=where | {"segment": r["segment"]}, target_size=int(moved if shrink else r["customers"]),
            recommendations=[ctx.text(f"diag.{rule}.rec", segment=segment, n=fmt_int(moved if shrink else r["customers"]),
                                      where=_where_text(where, ctx.lang))],
        ))
    return findings


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
        title=ctx.text("diag.rfm.concentration.title", share=fmt_pct(share)),
        money_at_stake=0.0,
        evidence={"top_customers": rows[0]["top_customers"], "top_share": share, "top_revenue": rows[0]["top_revenue"]},
        target_size=int(rows[0]["top_customers"]),
        recommendations=[ctx.text("diag.rfm.concentration.rec", n=fmt_int(rows[0]["top_customers"]))],
    )]


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
            title=ctx.text("diag.product.quality.title", category=category, rate=fmt_pct(rate),
                           rating="–" if rating is None else f"{rating:.1f}"),
            money_at_stake=r.get("returned_value") or 0.0,
            evidence={"category": category, "return_rate": rate, "rating": rating,
                      "return_rate_prev": r.get("return_rate_prev"), "returned_value": r.get("returned_value"),
                      "lines": r.get("lines")},
            where={"category": category}, target_size=None,
            recommendations=[ctx.text("diag.product.quality.rec", category=category,
                                      value=ctx.money(r.get("returned_value") or 0))],
        ))
    return findings


def channel_roi_drop(roi: pl.DataFrame | None, ctx: Context) -> list[Finding]:
    """A paid channel whose ROI (GMV / spend) fell against the comparison period by at least
    ``step_drop_medium`` (relative; high from ``step_drop_high``)."""
    th = ctx.thresholds
    findings = []
    for r in _rows(roi):
        rel = r.get("roi_change_rel")
        if rel is None or -rel < th.step_drop_medium - 1e-12 or not r.get("spend"):
            continue
        channel = r["channel"]
        findings.append(Finding(
            id=finding_id("channel.roi_drop", channel), rule="channel.roi_drop", section=2,
            severity=severity_for(-rel, th.step_drop_high, th.step_drop_medium),
            title=ctx.text("diag.channel.roi_drop.title", channel=channel, roi=f"{r['roi']:.2f}",
                           roi_prev=f"{r['roi_prev']:.2f}"),
            money_at_stake=max(0.0, (r["roi_prev"] - r["roi"]) * r["spend"]),
            evidence={"channel": channel, "spend": r["spend"], "roi": r["roi"], "roi_prev": r["roi_prev"],
                      "cac": r.get("cac"), "cac_prev": r.get("cac_prev")},
            where={"channel": channel}, target_size=None,
            recommendations=[ctx.text("diag.channel.roi_drop.rec", channel=channel, spend=ctx.money(r["spend"]))],
        ))
    return findings
