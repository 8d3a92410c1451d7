"""The cover and executive summary (摘要): the headline KPIs beside the comparison period and
the diagnosis' top findings."""

from __future__ import annotations

import json

import polars as pl

from kit.metrics.kpis import headline_kpis
from kit.run import Run


def kpis(run: Run) -> pl.DataFrame:
    """The headline KPIs of the run (definitions in :mod:`kit.metrics.kpis`): a row per KPI with
    ``kpi, unit, good_when_up, value, value_prev, value_change, value_change_rel``. KPIs whose
    table the run lacks are left out (an events-only shop has only the visit-to-pay rate)."""
    table = headline_kpis(run.orders, run.events, run.period, run.comparison)
    run.record("summary", {"kpis": table.to_dicts()})
    return table


def top_findings(run: Run, n: int | None = None) -> list[dict] | None:
    """The diagnosis' top findings by money at stake (``diagnosis.top_n`` of the params), or
    None when the diagnosis has not run."""
    path = run.work_dir / "findings.json"
    if not path.exists():
        return None
    findings = json.loads(path.read_text(encoding="utf-8"))["findings"]
    n = n or run.params.diagnosis.top_n
    return sorted(findings, key=lambda f: -(f.get("money_at_stake") or 0))[:n]


FIGURES = (kpis,)
