"""Section 4, diagnosis (问题诊断与优化建议): the findings of every rule over the figures
sections 1-3 kept for the run (see :mod:`kit.diagnosis`), their action lists, the total at
stake without double counting and the action plan, written as ``findings.json``.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from pathlib import Path

import polars as pl

from kit.diagnosis import SEVERITIES, diagnose, save_findings
from kit.diagnosis.findings import AREAS, Finding
from kit.figures import conversion, present, value
from kit.metrics import audiences
from kit.params import safe_name
from kit.run import Run

TOP_ACTIONS = 3
"""How many actions the executive summary names."""


def findings(run: Run) -> list[Finding]:
    """Every finding of the run in report order, each customer-targeting one with its action
    list written beside the run (``actions/<id>.csv``); ``findings.json`` is written and the
    counts per severity recorded in ``metrics.json``."""
    found = diagnose(run)
    for finding in found:
        audience = action_list(run, finding)
        if audience is not None:
            path = run.work_dir / "actions" / f"{safe_name(finding.id)}.csv"
            path.parent.mkdir(exist_ok=True)
            audience.write_csv(path)
            finding.action_list = {"file": f"actions/{path.name}", "customers": audience.height}
    save_findings(run, found)
    total = total_at_stake(run, found)
    run.record("diagnosis", {"counts": counts(found), "findings": [f.id for f in found],
                             "total_at_stake": total["total"], "sum_at_stake": total["sum"]})
    return found


def counts(found: list[Finding]) -> dict[str, int]:
    """Findings per severity (high, medium, low)."""
    return {s: sum(f.severity == s for f in found) for s in SEVERITIES}


def by_severity(found: list[Finding]) -> list[tuple[str, list[dict]]]:
    """The findings grouped by severity, most severe first, as dicts (the blocks' input);
    severities without findings left out."""
    groups = [(s, [f.to_dict() for f in found if f.severity == s]) for s in SEVERITIES]
    return [(s, group) for s, group in groups if group]


def daily_steps(run: Run):
    """The daily step conversion the funnel section kept (the dated drops' evidence), or None without events."""
    return present(conversion.daily_steps(run, reuse=True))


# ---------------------------------------------------------------- who each action targets


def action_list(run: Run, finding: Finding) -> pl.DataFrame | None:
    """The customers a customer-targeting finding's action addresses, one row each:
    ``customer_id, reason`` (the finding's id), the values that put them on the list
    (:mod:`kit.metrics.audiences`), their RFM ``segment`` and, when the CLV model fits,
    ``expected_value`` (the next 12 months); None for findings that target no customer
    (a category, a channel's spend) or whose data the run lacks."""
    rows = _audience(run, finding)
    if rows is None:
        return None
    rows = rows.with_columns(pl.lit(finding.id).alias("reason"))
    now = present(value.segments(run, reuse=True))
    if now is not None:
        rows = rows.join(now.lazy().select("customer_id", "segment"), on="customer_id", how="left")
    clv = run.result("clv_customers")  # kept by section 3 when the CLV model fits
    if clv is not None:
        rows = rows.join(clv.lazy().select("customer_id", "expected_value"), on="customer_id", how="left")
    return rows.collect().sort("customer_id").select("customer_id", "reason", pl.exclude("customer_id", "reason"))


def _audience(run: Run, finding: Finding) -> pl.LazyFrame | None:
    rule, where, ev = finding.rule, dict(finding.where), finding.evidence
    P, C = run.period, run.comparison
    if rule in ("funnel.dated_drop", "funnel.step_drop") and run.sessions is not None:
        steps = run.params.conversion.funnel_steps
        step = where.pop("step")
        if step not in steps or steps.index(step) == 0:
            return None
        if rule == "funnel.dated_drop":
            start = datetime.combine(datetime.fromisoformat(ev["start"]).date(), time())
            end = datetime.combine(datetime.fromisoformat(ev["end"]).date(), time()) + timedelta(days=1)
        else:
            start, end = P.start_dt, P.end_dt
        return audiences.failed_at_step(run.sessions, start, end, step, steps[steps.index(step) - 1], where)
    if rule == "cart.abandonment" and run.events is not None:
        return audiences.abandoned_carts(conversion.carts(run), P.label)
    if rule == "retention.first_repurchase" and run.orders is not None:
        (column, group), = where.items()
        return audiences.not_returned(run.orders, run.customers, P, column=column, group=group)
    if rule == "retention.falling_repurchase" and run.orders is not None:
        return audiences.not_returned(run.orders, run.customers, P)
    if rule == "customers.churn" and C is not None:
        (column, group), = where.items()
        return audiences.lapsed(run.orders, run.customers, P, C, column, group)
    if rule == "product.cross_sell" and run.order_items is not None:
        by = where.get("level", "category")
        return _cross_sell_prospects(run, where["antecedent"], where["consequent"], by)
    if rule in ("rfm.high_value_shrink", "rfm.churned_growth", "rfm.concentration"):
        now, before = present(value.segments(run, reuse=True)), present(value.segments(run, "comparison", reuse=True))
        if now is None:
            return None
        if rule == "rfm.concentration":
            return audiences.top_customers(now)
        place = next((k for k in where if k != "segment"), None)
        attribute = _attribute(run, place) if place else None
        if rule == "rfm.high_value_shrink" and before is not None:
            return audiences.segment_leavers(now, before, value.HIGH_VALUE, where, attribute)
        if rule == "rfm.churned_growth":
            return audiences.segment_joiners(now, before, value.CHURNED, where, attribute)
    return None


def _cross_sell_prospects(run: Run, antecedent: str, consequent: str, by: str) -> pl.LazyFrame:
    """The prospects of a cross-sell finding: who bought the antecedent in the period and never
    the consequent, with what they spent on the antecedent (:func:`kit.metrics.baskets.cross_sell_customers`)."""
    from kit.metrics.baskets import cross_sell_customers

    return cross_sell_customers(run.orders, run.order_items, run.period, antecedent, consequent, by)


def _attribute(run: Run, column: str) -> pl.DataFrame | None:
    if run.has("customers", column):
        return run.customers.select("customer_id", pl.col(column).cast(pl.String)).collect()
    return None


# ---------------------------------------------------------------- totals and the action plan


def total_at_stake(run: Run, found: list[Finding]) -> dict[str, float]:
    """The money at stake of all findings without counting the same customers twice.

    A finding with an action list spreads its money evenly over the customers on it; a
    customer on several lists counts once, at the largest of those shares. Findings without a
    list (a category's returns, a channel's spend) are added as they are. ``total`` is that
    sum, ``sum`` the plain sum of the findings' money, ``overlap`` their difference.
    """
    per_customer: dict[str, float] = {}
    rest = 0.0
    for finding in found:
        if not finding.money_at_stake:
            continue
        ids = _listed(run.work_dir, finding)
        if not ids:
            rest += finding.money_at_stake
            continue
        share = finding.money_at_stake / len(ids)
        for customer in ids:
            if share > per_customer.get(customer, 0.0):
                per_customer[customer] = share
    # fsum: exact whatever the order of the lists' rows (a database does not keep it)
    total = math.fsum([rest, *per_customer.values()])
    plain = math.fsum(f.money_at_stake or 0.0 for f in found)
    return {"total": total, "sum": plain, "overlap": plain - total}


def _listed(work_dir: Path, finding: Finding) -> list[str]:
    if not finding.action_list:
        return []
    path = work_dir / finding.action_list["file"]
    return pl.read_csv(path, columns=["customer_id"], schema_overrides={"customer_id": pl.String})[
        "customer_id"].to_list() if path.exists() else []


def top_actions(found: list[Finding], n: int = TOP_ACTIONS) -> list[dict]:
    """The actions that may win back most (their expected recovery; ties by money at stake),
    each with the finding it comes from: what, for whom, who owns it, what it may recover and
    when to check again."""
    ranked = sorted((f for f in found if f.action and f.money_at_stake > 0),
                    key=lambda f: (-(f.action.get("expected_recovery") or 0), -f.money_at_stake, f.id))
    return [{"finding": f.id, "title": f.title, "severity": f.severity, "owner": f.owner, "area": f.area,
             "money_at_stake": f.money_at_stake, "action_list": f.action_list, **f.action} for f in ranked[:n]]


def action_plan(found: list[Finding]) -> list[tuple[str, list[dict]]]:
    """The findings grouped by area of the action plan (产品与用户体验, 营销, 客户运营, 客服),
    each area's findings by severity then money; areas without findings left out."""
    plan = []
    for area in AREAS:
        group = sorted((f for f in found if f.area == area),
                       key=lambda f: (SEVERITIES.index(f.severity), -f.money_at_stake, f.id))
        if group:
            plan.append((area, [f.to_dict() for f in group]))
    return plan


def explained_change(found: list[Finding]) -> list[dict]:
    """The findings that account for part of the GMV change against the comparison period
    (``explains_change``), largest first."""
    parts = [{"finding": f.id, "title": f.title, "short": f.short or f.title, "amount": f.explains_change}
             for f in found if f.explains_change]
    return sorted(parts, key=lambda p: -abs(p["amount"]))


FIGURES = (findings,)
