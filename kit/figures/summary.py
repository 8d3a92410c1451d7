"""The cover and executive summary (摘要): the headline KPIs beside the comparison period, the
GMV bridge, the total at stake and the top actions of the diagnosis."""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from kit.figures import in_memory, needs
from kit.metrics.kpis import gmv_bridge as _gmv_bridge
from kit.metrics.kpis import headline_kpis
from kit.run import Run


def kpis(run: Run) -> pl.DataFrame:
    """The headline KPIs of the run (definitions in :mod:`kit.metrics.kpis`): a row per KPI with
    ``kpi, unit, good_when_up, value, value_prev, value_change, value_change_rel``. KPIs whose
    table the run lacks are left out (an events-only shop has only the visit-to-pay rate)."""
    def compute() -> pl.DataFrame:
        table = headline_kpis(run.orders, run.events, run.period, run.comparison, visits=run.visits)
        run.record("summary", {"kpis": table.to_dicts()})
        return table

    return in_memory(run, "kpis", compute)


@needs(comparison=True, orders=())
def gmv_bridge(run: Run) -> pl.DataFrame | None:
    """How the GMV change against the comparison period splits into active customers, orders
    per customer and AOV (exact Shapley parts, see :func:`kit.metrics.kpis.gmv_bridge`)."""
    table = _gmv_bridge(kpis(run))
    if table is not None:
        run.record("summary", {"gmv_bridge": table.to_dicts()})
    return table


class Diagnosis(NamedTuple):
    findings: list
    """The diagnosis' findings, in report order (:class:`kit.diagnosis.findings.Finding`)."""
    total: dict
    """The total at stake without double counting (:func:`kit.figures.diagnosis.total_at_stake`)."""
    top_actions: list[dict]
    """The actions that may win back most (:func:`kit.figures.diagnosis.top_actions`)."""
    explained: list[dict]
    """The findings that account for part of the GMV change (:func:`kit.figures.diagnosis.explained_change`)."""


def diagnosis(run: Run) -> Diagnosis | None:
    """What the summary quotes of section 4 (it runs after it), or None when the diagnosis has
    not run (a notebook run on its own)."""
    from kit.diagnosis import load_findings_json
    from kit.figures import diagnosis as diag

    path = run.work_dir / "findings.json"
    if not path.exists():
        return None
    found, _ = load_findings_json(path)
    return Diagnosis(found, diag.total_at_stake(run, found), diag.top_actions(found), diag.explained_change(found))


def top_findings(run: Run, n: int | None = None) -> list[dict] | None:
    """The diagnosis' top findings by money at stake (``diagnosis.top_n`` of the params), or
    None when the diagnosis has not run."""
    found = diagnosis(run)
    if found is None:
        return None
    n = n or run.params.diagnosis.top_n
    return [f.to_dict() for f in sorted(found.findings, key=lambda f: -f.money_at_stake)[:n]]


FIGURES = (kpis, gmv_bridge)
