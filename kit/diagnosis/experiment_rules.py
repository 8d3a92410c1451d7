"""The diagnosis' rules over the experiment readout (:mod:`kit.figures.experiments`).

- ``experiment.rollout`` (medium): a concluded experiment whose sample ratio check passes and
  one of whose variants wins on the primary metric (significant after the correction across
  variants). Money at stake, by the one definition (the period's GMV that would have been
  different had the metric stood at its reference, here the winner's level): the units of the
  period not on the winner x (the winner's level - theirs) x the value of one unit of the
  metric: the value of one payment (the order value within the experiment's windows) for a
  conversion, repurchase or orders per unit; 1 for revenue per unit; the orders per unit for
  the order value; the value of one payment x the share of step reachers who paid for a step.
  The 95% interval of the winner's difference gives ``money_low`` / ``money_high``.
- ``experiment.srm`` (high): an experiment whose sample ratio check fails (p below
  ``experiments.srm_alpha``): a data finding, its results cannot be trusted; no money.

Running experiments, and experiments whose split is broken, never become rollout findings.
"""

from __future__ import annotations

import polars as pl

from kit.diagnosis import rules
from kit.diagnosis.findings import Finding, finding_id
from kit.metrics.experiments import RATIO
from kit.narrative.experiments import metric_name, p_text, split_text, value_text

ROLLOUT_RECOVERY = 0.5
"""Share of the money an experiment's rollout is assumed to win back: the lift of a winner
measured at p < 0.05 is partly luck (the winner's curse), so half of it is expected to hold."""


def experiment_findings(experiments: pl.DataFrame | None, variants: pl.DataFrame | None,
                        results: pl.DataFrame | None, ctx: rules.Context) -> list[Finding]:
    """Every finding of the readout's tables (:class:`kit.metrics.experiments.Readout`)."""
    if experiments is None or not experiments.height:
        return []
    return srm_failures(experiments, variants, ctx) + rollouts(experiments, variants, results, ctx)


def srm_failures(experiments: pl.DataFrame, variants: pl.DataFrame, ctx: rules.Context) -> list[Finding]:
    """An experiment whose units do not follow the planned split (a high data finding, no money)."""
    findings = []
    for info in experiments.filter(~pl.col("srm_ok")).to_dicts():
        eid, name = info["experiment_id"], info["name"]
        own = variants.filter(pl.col("experiment_id") == eid)
        planned, actual = split_text(own, "planned_share", ctx.loc), split_text(own, "share", ctx.loc)
        n = int(info["units"])
        findings.append(Finding(
            id=finding_id("experiment.srm", eid), rule="experiment.srm", section=4, severity="high",
            title=ctx.text("diag.experiment.srm.title", name=name, planned=planned, actual=actual),
            short=ctx.text("diag.short.experiment.srm", name=name),
            money_at_stake=0.0,
            evidence={"experiment": name, "planned_split": planned, "actual_split": actual, "srm_p": p_text(info["srm_p"]).removeprefix("= "),
                      "experiment_units": n, "status": ctx.text(f"exp.status_word.{info['status']}")},
            where={"experiment": eid}, target_size=n,
            recommendations=[ctx.text("diag.experiment.srm.rec")],
            reference=rules._reference(ctx, "none"), formula=ctx.text("diag.formula.experiment.srm"), stake="none",
            area="product_ux", owner="product_tech",
            action=rules._action(ctx, audience=ctx.text("diag.experiment.srm.audience", n=ctx.loc.integer(n)), size=n,
                                 lever=ctx.text("diag.experiment.srm.lever"),
                                 target=ctx.text("diag.experiment.srm.target", alpha=f"{info['srm_alpha']:g}"),
                                 measure=ctx.text("diag.experiment.srm.measure"), money=0.0, recovery="none"),
        ))
    return findings


def _value_per_unit(metric: str, info: dict, results: pl.DataFrame) -> float:
    """What one unit of the metric is worth in the period's GMV (see the module's docstring)."""
    def level(name: str) -> float | None:
        row = results.filter(pl.col("metric") == name)
        return row["control_value"][0] if row.height else None

    payment = info.get("order_value") or 0.0
    if metric == "revenue":
        return 1.0
    if metric == RATIO:
        return level("orders") or 0.0
    if metric.startswith("step:"):
        reached, paid = level(metric), level("conversion")
        return payment * min(1.0, paid / reached) if reached and paid is not None else 0.0
    return payment


def _money(arms: list[dict], diffs: dict, winner_diff: float | None, value: float) -> float:
    """Σ over the arms not on the winner: their units of the period x (the winner's difference to
    the control - theirs, at least 0) x the value of one unit of the metric."""
    if winner_diff is None:
        return 0.0
    return sum(a["period_units"] * max(0.0, winner_diff - diffs.get(a["variant"], 0.0)) for a in arms) * value


def rollouts(experiments: pl.DataFrame, variants: pl.DataFrame, results: pl.DataFrame,
             ctx: rules.Context) -> list[Finding]:
    """A concluded, trustworthy experiment with a winner on its primary metric: roll it out."""
    findings = []
    ready = experiments.filter(pl.col("srm_ok") & (pl.col("status") == "concluded") & pl.col("winner").is_not_null())
    for info in ready.to_dicts():
        eid, name, winner, metric = info["experiment_id"], info["name"], info["winner"], info["primary_metric"]
        own = results.filter(pl.col("experiment_id") == eid)
        on_metric = own.filter(pl.col("metric") == metric)
        w = on_metric.filter(pl.col("variant") == winner).row(0, named=True)
        diffs = {r["variant"]: r["diff"] or 0.0 for r in on_metric.to_dicts()} | {info["control"]: 0.0}
        arms = variants.filter((pl.col("experiment_id") == eid) & (pl.col("variant") != winner)).to_dicts()
        value = _value_per_unit(metric, info, own)
        volume = sum(int(a["period_units"]) for a in arms)

        at_stake, low, high = (_money(arms, diffs, w[k], value) for k in ("diff", "diff_low", "diff_high"))
        shown = metric_name(metric, ctx.loc)
        winner_level = value_text(metric, w["value"], ctx.loc)
        formula = "diag.formula.experiment.rollout" + (".revenue" if metric == "revenue" else "")
        action = rules._action(
            ctx, audience=ctx.text("diag.experiment.rollout.audience", variant=winner, n=ctx.loc.integer(volume)),
            size=volume, lever=ctx.text("diag.experiment.rollout.lever", variant=winner),
            target=ctx.text("diag.experiment.rollout.target", metric=shown, rate=winner_level),
            measure=ctx.text("diag.experiment.rollout.measure", metric=shown), money=at_stake, recovery="none")
        action |= {"expected_recovery": round(at_stake * ROLLOUT_RECOVERY, 2),
                   "assumption": ctx.text("diag.assumption.rollout", share=ctx.loc.pct(ROLLOUT_RECOVERY, 0))}
        findings.append(Finding(
            id=finding_id("experiment.rollout", eid, winner), rule="experiment.rollout", section=4, severity="medium",
            title=ctx.text("diag.experiment.rollout.title", name=name, variant=winner, metric=shown,
                           lift=ctx.loc.change(w["lift"])),
            short=ctx.text("diag.short.experiment.rollout", name=name),
            money_at_stake=max(0.0, at_stake),
            evidence={"experiment": name, "variant": winner, "control": info["control"], "metric": shown,
                      "control_value": value_text(metric, w["control_value"], ctx.loc), "variant_value": winner_level,
                      "lift": ctx.loc.change(w["lift"]),
                      "lift_interval": f"{ctx.loc.change(w['lift_low'])} ~ {ctx.loc.change(w['lift_high'])}",
                      "p_adjusted": p_text(w["p_adjusted"]).removeprefix("= "), "units_not_on_winner": volume,
                      "money_low": round(low, 2), "money_high": round(high, 2)},
            where={"experiment": eid, "variant": winner}, target_size=volume,
            recommendations=[ctx.text("diag.experiment.rollout.rec", variant=winner, n=ctx.loc.integer(volume))],
            reference={"kind": "winning_variant",
                       "label": ctx.text("diag.ref.winning_variant", label=winner, value=winner_level),
                       "value": winner_level},
            formula=ctx.text(formula, metric=shown), stake="orders", area=info["area"],
            owner="marketing" if info["area"] == "marketing" else "product_tech", action=action,
        ))
    return findings
