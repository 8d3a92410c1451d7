"""The diagnosis' rules over the products and baskets section (:mod:`kit.figures.products`).

Money at stake keeps the one definition (the period's GMV, or gross profit, that would have
been different had the metric stayed at its reference):

- ``product.margin`` (a category, or a top product, with at least ``products.high_gmv_share``
  of the period's GMV whose gross-margin rate fell by at least ``products.margin_fall_medium``
  points against the comparison period; high from ``margin_fall_high``): the period's GMV x
  (margin rate before - margin rate now), the gross profit the lower margin gave away;
  reference: the comparison period;
- ``product.cross_sell`` (an opportunity, never high: medium when the rule's lift reaches
  ``products.cross_sell_lift_high``, else low): the prospects (buyers of the antecedent in the
  period who never bought the consequent) x the rule's confidence x the consequent's GMV per
  basket, the GMV they would bring buying it as the rule's baskets do; reference: the rule's
  observed confidence;
- ``product.catalogue`` (动销率 fell by at least ``products.sell_through_fall_medium`` points;
  high from ``sell_through_fall_high``): the products that stopped selling (the fall x the
  catalogue) x the GMV of a long-tail (class C) product in the period, since the products that
  stop selling are the tail's; reference: the comparison period.

The quality rule (``product.quality``, returns high and rating low, sized by the returns above
the shop's norm) is :func:`kit.diagnosis.rules.product_quality`.
"""

from __future__ import annotations

import polars as pl

from kit.diagnosis.findings import Finding, finding_id, severity_for
from kit.diagnosis.rules import Context, _action, _reference, _rows
from kit.params import Products

SECTION = 5
"""The products and baskets section's code in findings.json (see :data:`kit.diagnosis.findings.SECTIONS`)."""


def _item_name(level: str, item: str, ctx: Context) -> str:
    return ctx.text(f"diag.product.item.{'category' if level == 'category' else 'product'}", item=item)


def margin_falls(table: pl.DataFrame | None, p: Products, ctx: Context, level: str = "category") -> list[Finding]:
    """High-GMV items whose gross-margin rate fell (``table``: :func:`kit.figures.products.category_margin`
    or ``product_margin``, with ``level`` its item column)."""
    findings = []
    for r in _rows(table):
        rate, prev, share = r.get("margin_rate"), r.get("margin_rate_prev"), r.get("gmv_share")
        if rate is None or prev is None or share is None or share < p.high_gmv_share - 1e-12:
            continue
        fall = prev - rate
        if fall < p.margin_fall_medium - 1e-12:
            continue
        item = str(r[level])
        money = (r.get("gmv") or 0.0) * fall
        name = _item_name(level, item, ctx)
        parts = (item,) if level == "category" else ("product", item)
        where = {"category": item} if level == "category" else {"product_id": item}
        findings.append(Finding(
            id=finding_id("product.margin", *parts), rule="product.margin", section=SECTION,
            severity=severity_for(fall, p.margin_fall_high, p.margin_fall_medium),
            title=ctx.text("diag.product.margin.title", item=name, rate=ctx.loc.pct(rate), rate_prev=ctx.loc.pct(prev)),
            short=ctx.text("diag.short.product.margin", item=name),
            money_at_stake=max(0.0, money),
            evidence={"gmv": r.get("gmv"), "gmv_share": share, "margin_rate": rate, "margin_rate_prev": prev},
            where=where, target_size=None,
            recommendations=[ctx.text("diag.product.margin.rec", item=name, money=ctx.money(money))],
            reference=_reference(ctx, "comparison", ctx.loc.pct(prev)),
            formula=ctx.text("diag.formula.product.margin"), stake="margin", area="marketing", owner="merchandising",
            action=_action(ctx, audience=ctx.text("diag.product.margin.audience", item=name,
                                                  gmv=ctx.money(r.get("gmv") or 0.0)),
                           size=None, lever=ctx.text("diag.product.margin.lever"),
                           target=ctx.text("diag.product.margin.target", rate=ctx.loc.pct(prev)),
                           measure=ctx.text("diag.product.margin.measure"), money=money, recovery="pricing"),
        ))
    return findings


def cross_sells(table: pl.DataFrame | None, p: Products, ctx: Context) -> list[Finding]:
    """The cross-sell opportunities of :func:`kit.figures.products.cross_sell` that have prospects."""
    findings = []
    for r in _rows(table):
        if not r.get("prospects"):
            continue
        level, a, b = r["level"], str(r["antecedent"]), str(r["consequent"])
        a_name, b_name = _item_name(level, a, ctx), _item_name(level, b, ctx)
        n = int(r["prospects"])
        parts = (a, b) if level == "category" else ("product", a, b)
        where = {"antecedent": a, "consequent": b} | ({} if level == "category" else {"level": "product_id"})
        money = r.get("value") or 0.0
        findings.append(Finding(
            id=finding_id("product.cross_sell", *parts), rule="product.cross_sell", section=SECTION,
            severity="medium" if r["lift"] >= p.cross_sell_lift_high - 1e-12 else "low",
            title=ctx.text("diag.product.cross_sell.title", a=a_name, b=b_name, lift=ctx.loc.number(r["lift"], 1),
                           confidence=ctx.loc.pct(r["confidence"])),
            short=ctx.text("diag.short.product.cross_sell", a=a_name, b=b_name),
            money_at_stake=max(0.0, money),
            evidence={"baskets": int(r["baskets"]), "confidence": r["confidence"], "rule_lift": r["lift"],
                      "prospects": n, "consequent_value": r.get("consequent_value")},
            where=where, target_size=n,
            recommendations=[ctx.text("diag.product.cross_sell.rec", a=a_name, b=b_name, n=ctx.loc.integer(n))],
            reference=_reference(ctx, "observed_confidence", ctx.loc.pct(r["confidence"])),
            formula=ctx.text("diag.formula.product.cross_sell"), stake="customers", area="marketing",
            owner="operations",
            action=_action(ctx, audience=ctx.text("diag.product.cross_sell.audience", a=a_name, b=b_name,
                                                  n=ctx.loc.integer(n)),
                           size=n, lever=ctx.text("diag.product.cross_sell.lever", a=a_name, b=b_name),
                           target=ctx.text("diag.product.cross_sell.target", b=b_name,
                                           confidence=ctx.loc.pct(r["confidence"])),
                           measure=ctx.text("diag.product.cross_sell.measure", b=b_name), money=money,
                           recovery="cross_sell"),
        ))
    return findings


def catalogue_fall(assortment: pl.DataFrame | None, p: Products, ctx: Context) -> list[Finding]:
    """动销率 fell (``assortment``: :func:`kit.figures.products.pareto`'s one-row table)."""
    rows = _rows(assortment)
    if not rows:
        return []
    r = rows[0]
    rate, prev = r.get("sell_through"), r.get("sell_through_prev")
    if rate is None or prev is None or prev - rate < p.sell_through_fall_medium - 1e-12:
        return []
    fall = prev - rate
    stopped = fall * (r.get("catalogue") or 0.0)
    per_tail = (r.get("long_tail_share") or 0.0) * (r.get("gmv") or 0.0) / r["c_count"] if r.get("c_count") else 0.0
    money = stopped * per_tail
    n = int(round(stopped))
    return [Finding(
        id=finding_id("product.catalogue"), rule="product.catalogue", section=SECTION,
        severity=severity_for(fall, p.sell_through_fall_high, p.sell_through_fall_medium),
        title=ctx.text("diag.product.catalogue.title", rate=ctx.loc.pct(rate), rate_prev=ctx.loc.pct(prev)),
        short=ctx.text("diag.short.product.catalogue"),
        money_at_stake=max(0.0, money),
        evidence={"sell_through": rate, "sell_through_prev": prev, "catalogue": _int(r.get("catalogue")),
                  "products_sold": _int(r.get("products_sold")), "products_stopped": n},
        where={}, target_size=None,
        recommendations=[ctx.text("diag.product.catalogue.rec", n=ctx.loc.integer(n))],
        reference=_reference(ctx, "comparison", ctx.loc.pct(prev)),
        formula=ctx.text("diag.formula.product.catalogue"), stake="orders", area="marketing", owner="merchandising",
        action=_action(ctx, audience=ctx.text("diag.product.catalogue.audience", n=ctx.loc.integer(n)),
                       size=None, lever=ctx.text("diag.product.catalogue.lever"),
                       target=ctx.text("diag.product.catalogue.target", rate=ctx.loc.pct(prev)),
                       measure=ctx.text("diag.product.catalogue.measure"), money=money, recovery="assortment"),
    )]


def _int(x) -> int | None:
    return None if x is None else int(round(x))
