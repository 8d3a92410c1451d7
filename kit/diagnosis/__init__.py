"""Section 4, diagnosis and recommendations: rules over the figures of sections 1-3 that
return :class:`~kit.diagnosis.findings.Finding` objects, the dated change-point detector
they use, and ``findings.json``."""

from kit.diagnosis.changepoint import find_dated_drops
from kit.diagnosis.diagnose import diagnose, save_findings
from kit.diagnosis.findings import (
    SCHEMA_VERSION,
    SEVERITIES,
    Finding,
    finding_id,
    findings_to_json,
    load_findings_json,
    rank_findings,
    run_meta_for,
    severity_for,
    write_findings_json,
)

__all__ = [
    "SCHEMA_VERSION",
    "SEVERITIES",
    "diagnose",
    "save_findings",
    "Finding",
    "find_dated_drops",
    "finding_id",
    "findings_to_json",
    "load_findings_json",
    "rank_findings",
    "run_meta_for",
    "severity_for",
    "write_findings_json",
]
