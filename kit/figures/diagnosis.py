"""Section 4, diagnosis (问题诊断与优化建议): the findings of every rule over the figures
sections 1-3 kept for the run (see :mod:`kit.diagnosis`), written as ``findings.json``."""

from __future__ import annotations

from kit.diagnosis import SEVERITIES, diagnose, save_findings
from kit.diagnosis.findings import Finding
from kit.figures import conversion, present
from kit.run import Run


def findings(run: Run) -> list[Finding]:
    """Every finding of the run in report order; ``findings.json`` is written beside the run
    and the counts per severity recorded in ``metrics.json``."""
    found = diagnose(run)
    save_findings(run, found)
    run.record("diagnosis", {"counts": counts(found), "findings": [f.id for f in found]})
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


FIGURES = (findings,)
