"""Run every rule of the diagnosis over the figures of one run and keep the findings.

The figures come from :mod:`kit.figures` with ``reuse=True``: the tables sections 1-3
saved for this run, so the findings quote the numbers the report shows.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from kit.diagnosis import product_rules, rules
from kit.diagnosis.changepoint import find_dated_drops
from kit.diagnosis.experiment_rules import experiment_findings
from kit.diagnosis.findings import Finding, rank_findings, run_meta_for, write_findings_json
from kit.figures import Missing, products, profile, value
from kit.figures import conversion as conv
from kit.figures import experiments as exp
from kit.run import Run

FUNNEL_DIMENSIONS = ("device", "source")
SEGMENT_PLACES = ("region",)
REPURCHASE_GROUPS = ("acquisition_channel",)


def _present(figure):
    """The figure's table, or None when the run's data cannot give it (a rule then finds nothing)."""
    return None if isinstance(figure, Missing) else figure


def context_for(run: Run) -> rules.Context:
    """Language, currency, thresholds, the value of one payment (the period's AOV, and per
    device and channel), each paid channel's spend in the period, and when to check again."""
    aov = _present(profile.aov(run))
    by = {}
    for column, dimension in (("device", "device"), ("channel", "source")):
        table = _present(profile.aov_by(run, column))
        if table is not None:
            by |= {(dimension, r[column]): r["aov"] for r in table.to_dicts() if r["aov"]}
    roi = _present(conv.channel_roi(run, reuse=True))
    spend = {} if roi is None else {r["channel"]: r["spend"] for r in roi.to_dicts() if r["spend"]}
    return rules.Context(loc=run.locale, thresholds=run.params.diagnosis,
                         aov=None if aov is None else aov["aov"][0], aov_by=by, spend=spend,
                         comparison_label=run.comparison.label if run.comparison else None,
                         period_end=run.period.end)


def onward_rates(funnel: pl.DataFrame | None) -> dict[str, float]:
    """Per step: the share of journeys reaching it that went on to the last step."""
    if funnel is None or not funnel.height:
        return {}
    last = funnel.sort("step_index")["count"][-1]
    return {r["step"]: (last / r["count"] if r["count"] else 0.0) for r in funnel.to_dicts()}


def funnel_findings(run: Run, ctx: rules.Context) -> list[Finding]:
    th = run.params.diagnosis
    funnel = _present(conv.funnel(run, reuse=True))
    by = {d: _present(conv.funnel_by(run, d, reuse=True)) for d in FUNNEL_DIMENSIONS if run.has("events", d)}
    drops = find_dated_drops(_present(conv.daily_steps(run, reuse=True)), min_days=th.changepoint_min_days,
                             min_drop=th.changepoint_min_drop)
    explained = {(r["dimension"], r["group"], r["step"]) for r in drops.to_dicts()}
    return (rules.dated_drops(drops, onward_rates(funnel), ctx)
            + rules.funnel_step_drops(funnel, by, ctx, explained)
            + rules.weakest_step(funnel, ctx)
            + rules.cart_abandonment(_present(conv.cart_abandonment(run, reuse=True)), ctx))


def repurchase_findings(run: Run, ctx: rules.Context) -> list[Finding]:
    overall = _present(conv.first_repurchase(run, reuse=True))
    findings = rules.falling_repurchase(overall, ctx)
    for column in REPURCHASE_GROUPS:
        findings += rules.first_repurchase(_present(conv.first_repurchase_by(run, column, reuse=True)), overall, ctx,
                                           column)
    return findings


def segment_findings(run: Run, ctx: rules.Context) -> list[Finding]:
    now = _present(value.segments(run, reuse=True))
    if now is None:
        return []
    profiles = _present(value.segment_profiles(run))
    findings = []
    for by in (None, *SEGMENT_PLACES):
        sizes = _present(value.segment_sizes(run, by, reuse=True))
        findings += rules.high_value_shrink(sizes, profiles, value.HIGH_VALUE, ctx, by)
        findings += rules.churned_growth(sizes, profiles, value.CHURNED, ctx, by)
    concentration = _present(value.concentration(run, reuse=True))
    findings += rules.concentration_risk(None if concentration is None else concentration.now, ctx)
    for place in SEGMENT_PLACES:
        findings += rules.churn_by_place(_present(conv.churn_by(run, place, reuse=True)), ctx, place,
                                         _present(conv.gmv_by_place(run, place, reuse=True)))
    return findings


def product_findings(run: Run, ctx: rules.Context) -> list[Finding]:
    """The products and baskets section's rules (:mod:`kit.diagnosis.product_rules`)."""
    p = run.params.products
    findings = product_rules.margin_falls(_present(products.category_margin(run, reuse=True)), p, ctx)
    findings += product_rules.margin_falls(_present(products.product_margin(run, reuse=True)), p, ctx, "product_id")
    findings += product_rules.cross_sells(_present(products.cross_sell(run, reuse=True)), p, ctx)
    pareto = _present(products.pareto(run, reuse=True))
    return findings + product_rules.catalogue_fall(None if pareto is None else pareto.assortment, p, ctx)


def diagnose(run: Run) -> list[Finding]:
    """Every finding of the run, in report order (severity, then money at stake)."""
    ctx = context_for(run)
    findings: list[Finding] = []
    if run.events is not None:
        findings += funnel_findings(run, ctx)
    if run.orders is not None:
        findings += repurchase_findings(run, ctx)
        findings += segment_findings(run, ctx)
        findings += rules.product_quality(_present(profile.category_quality(run, reuse=True)), ctx)
        findings += product_findings(run, ctx)
        findings += rules.channel_roi_drop(_present(conv.channel_roi(run, reuse=True)), ctx)
        readout = _present(exp.readout(run, reuse=True))
        if readout is not None:
            findings += experiment_findings(readout.experiments, readout.variants, readout.results, ctx)
    return rank_findings(findings)


def save_findings(run: Run, findings: list[Finding]) -> Path:
    """``findings.json`` in the run's work folder (the publisher puts it beside the report)."""
    return write_findings_json(run.work_dir / "findings.json", findings, run_meta_for(run.params))
