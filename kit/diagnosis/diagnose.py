"""Run every rule of the diagnosis over the figures of one run and keep the findings.

The figures come from :mod:`kit.figures` with ``reuse=True``: the tables sections 1-3
saved for this run, so the findings quote the numbers the report shows.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from kit import figures
from kit.diagnosis import rules
from kit.diagnosis.changepoint import find_dated_drops
from kit.diagnosis.findings import Finding, rank_findings, run_meta_for, write_findings_json
from kit.run import Run

FUNNEL_DIMENSIONS = ("device", "source")
SEGMENT_PLACES = ("region",)
REPURCHASE_GROUPS = ("acquisition_channel",)


def context_for(run: Run) -> rules.Context:
    """Language, currency, thresholds and the value of one payment (the period's AOV)."""
    from kit.metrics.customers import active_customers
    from kit.metrics.profile import aov_overall

    aov = per_customer = None
    if run.orders is not None:
        row = aov_overall(run.orders, run.period, None).row(0, named=True)
        active = active_customers(run.orders, run.period).select(pl.len()).collect().item()
        aov, per_customer = row["aov"], (row["gmv"] / active if active else None)
    return rules.Context(lang=run.lang, currency=run.params.currency, thresholds=run.params.diagnosis, aov=aov,
                         value_per_customer=per_customer)


def onward_rates(funnel: pl.DataFrame | None) -> dict[str, float]:
    """Per step: the share of journeys reaching it that went on to the last step."""
    if funnel is None or not funnel.height:
        return {}
    last = funnel.sort("step_index")["count"][-1]
    return {r["step"]: (last / r["count"] if r["count"] else 0.0) for r in funnel.to_dicts()}


def funnel_findings(run: Run, ctx: rules.Context) -> list[Finding]:
    th = run.params.diagnosis
    funnel = figures.funnel(run, reuse=True)
    by = {d: figures.funnel_by(run, d, reuse=True) for d in FUNNEL_DIMENSIONS if run.has("events", d)}
    drops = find_dated_drops(figures.daily_steps(run, reuse=True), min_days=th.changepoint_min_days,
                             min_drop=th.changepoint_min_drop)
    explained = {(r["dimension"], r["group"], r["step"]) for r in drops.to_dicts()}
    return (rules.dated_drops(drops, onward_rates(funnel), ctx)
            + rules.funnel_step_drops(funnel, by, ctx, explained)
            + rules.weakest_step(funnel, ctx)
            + rules.cart_abandonment(figures.cart_abandonment(run, reuse=True), ctx))


def repurchase_findings(run: Run, ctx: rules.Context) -> list[Finding]:
    overall = figures.first_repurchase(run, reuse=True)
    findings = rules.falling_repurchase(overall, ctx)
    for column in REPURCHASE_GROUPS:
        findings += rules.first_repurchase(figures.first_repurchase_by(run, column, reuse=True), overall, ctx, column)
    return findings


def segment_findings(run: Run, ctx: rules.Context) -> list[Finding]:
    from kit.metrics.segments import CHURNED, HIGH_VALUE, segment_profiles

    now = figures.segments(run, reuse=True)
    if now is None:
        return []
    profiles = segment_profiles(now)
    findings = []
    for by in (None, *SEGMENT_PLACES):
        sizes = figures.segment_sizes(run, by, reuse=True)
        findings += rules.high_value_shrink(sizes, profiles, HIGH_VALUE, ctx, by)
        findings += rules.churned_growth(sizes, profiles, CHURNED, ctx, by)
    return (findings + rules.concentration_risk(figures.concentration(run, reuse=True), ctx)
            + [f for place in SEGMENT_PLACES for f in rules.churn_by_place(figures.churn_by(run, place, reuse=True), ctx, place)])


def diagnose(run: Run) -> list[Finding]:
    """Every finding of the run, in report order (severity, then money at stake)."""
    ctx = context_for(run)
    findings: list[Finding] = []
    if run.events is not None:
        findings += funnel_findings(run, ctx)
    if run.orders is not None:
        findings += repurchase_findings(run, ctx)
        findings += segment_findings(run, ctx)
        findings += rules.product_quality(figures.category_quality(run, reuse=True), ctx)
        findings += rules.channel_roi_drop(figures.channel_roi(run, reuse=True), ctx)
    return rank_findings(findings)


def save_findings(run: Run, findings: list[Finding]) -> Path:
    """``findings.json`` in the run's work folder (the publisher puts it beside the report)."""
    return write_findings_json(run.work_dir / "findings.json", findings, run_meta_for(run.params))
