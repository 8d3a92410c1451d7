"""Findings of the diagnosis (section 4): what a rule found, how bad it is, what it costs
and what to do, and ``findings.json``, the versioned file stakeholders' dashboards read.

A rule is a plain function over the figures of sections 1-3 returning zero or more
:class:`Finding`. Severity comes from the thresholds in the params through
:func:`severity_for`; :func:`rank_findings` orders findings for the report (severity,
then money at stake); :func:`write_findings_json` writes them beside the report in the
schema documented in ``docs/findings-schema.md``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kit.errors import KitError

SCHEMA_VERSION = "1.2"
"""Version of the findings.json schema: ``MAJOR.MINOR``. A minor version only adds
optional fields (readers of 1.0 read 1.x by ignoring them); a major version changes or
removes fields. 1.2 added section 5 (products and baskets), the ``margin`` stake and the
``observed_confidence`` reference."""

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
"""Severities, most severe first."""

SECTIONS: tuple[int, ...] = (1, 2, 3, 4, 5)
"""1-3: the sections of the same numbers, 4: the experiment readout, 5: products and baskets."""

STAKES: tuple[str, ...] = ("orders", "customers", "spend", "returns", "margin", "none")
"""What a finding's money at stake is made of: GMV of orders lost (funnel, carts), GMV of
customers lost or not won back, marketing spend that buys less than it should, returned
goods above the norm, gross profit a lower margin gave away; ``none`` for structural findings without an amount. The total at stake
adds findings without counting the same customers twice (:func:`total_at_stake`)."""

REFERENCES: tuple[str, ...] = ("comparison", "before_drop", "rest_of_shop", "shop_norm", "threshold", "former_share",
                               "winning_variant", "observed_confidence", "none")
"""What the metric is held against: the comparison period, the days before a dated drop, the
rest of the shop, the shop's norm (the other categories' rate), a target threshold of the
params, the place's own share before it fell, an experiment's winning variant, an association
rule's observed confidence (a cross-sell opportunity); ``none`` for
structural findings."""

AREAS: tuple[str, ...] = ("product_ux", "marketing", "customer_ops", "service")
"""Where the action plan puts a finding (seed 003's 优化建议): 产品/用户体验, 营销, 客户运营, 客服."""

OWNERS: tuple[str, ...] = ("operations", "product_tech", "marketing", "merchandising", "service")
"""Who acts on it: 运营, 产品技术, 市场投放, 商品品控, 客服."""

_RELATIVE_TOLERANCE = 1e-9  # so that float rounding (0.3 - 0.2 = 0.0999...) cannot flip a boundary


class FindingsSchemaError(KitError):
    """A findings.json that is not of a schema version this kit can read, or is malformed."""


@dataclass
class Finding:
    """One finding of the diagnosis.

    - ``id``: stable across runs for the same rule and place, e.g.
      ``funnel.step_drop.device.App.pay`` (see :func:`finding_id`), so dashboards can
      follow a finding from one period to the next;
    - ``rule``: the rule that produced it, e.g. ``funnel.step_drop``;
    - ``title``: one line, already in the report's language;
    - ``section``: the report section (1-4) whose figures show the problem;
    - ``severity``: ``high``, ``medium`` or ``low`` (:func:`severity_for`);
    - ``money_at_stake``: currency units >= 0, e.g. the GMV gained if the step converted
      as in the comparison period, or the value of the customers at risk; 0 when the
      finding has no money attached;
    - ``evidence``: the numbers behind it, plain values by name (the value, the
      comparison value, the dates ...); dates become ISO strings, NaN becomes null;
    - ``where``: the slice or segment concerned, e.g. ``{"device": "App"}``; empty for
      the whole shop;
    - ``target_size``: how many customers (or sessions) the recommendations target, or None;
    - ``recommendations``: concrete actions, already in the report's language;
    - ``reference``: what the metric is held against for the money: ``kind`` (one of
      :data:`REFERENCES`), ``label`` (in the report's language) and ``value`` (the reference
      rate or level, or None);
    - ``formula``: how ``money_at_stake`` is computed, in words and symbols (report language);
    - ``stake``: what the money is made of (:data:`STAKES`);
    - ``area`` / ``owner``: where in the action plan and who acts (:data:`AREAS`, :data:`OWNERS`);
    - ``action``: the executable recommendation: ``audience`` (who, in words), ``audience_size``,
      ``lever``, ``target`` (metric and value to reach), ``measure`` (how success is read next
      period), ``expected_recovery`` (money), ``assumption`` (what the recovery assumes),
      ``check_on`` (ISO date);
    - ``action_list``: for findings that target customers, ``{"file": "actions/<id>.csv",
      "customers": n}`` (the ids are in the file beside the report, never in the report);
    - ``short``: a few words naming the finding in a sentence (report language);
    - ``explains_change``: the part of the GMV change against the comparison period this
      finding accounts for (currency units, >= 0 for a fall), or None when the finding is not a
      change between the periods (held against a threshold, the rest of the shop or a norm).
    """

    id: str
    rule: str
    title: str
    section: int
    severity: str
    money_at_stake: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    target_size: int | None = None
    recommendations: list[str] = field(default_factory=list)
    reference: dict[str, Any] = field(default_factory=lambda: {"kind": "none", "label": None, "value": None})
    formula: str = ""
    stake: str = "none"
    area: str = "customer_ops"
    owner: str = "operations"
    action: dict[str, Any] = field(default_factory=dict)
    action_list: dict[str, Any] | None = None
    explains_change: float | None = None
    short: str = ""

    def __post_init__(self) -> None:
        for name in ("id", "rule", "title"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"finding {self.id!r}: {name} must be a non-empty string")
        self.section = _plain_int(self.section, "section", self.id)
        if self.section not in SECTIONS:
            raise ValueError(f"finding {self.id!r}: section must be one of {SECTIONS}, not {self.section}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding {self.id!r}: severity must be one of {SEVERITIES}, not {self.severity!r}")
        money = _plain(self.money_at_stake)
        if money is None or isinstance(money, bool) or not isinstance(money, int | float) or money < 0:
            raise ValueError(f"finding {self.id!r}: money_at_stake must be a number >= 0, not {self.money_at_stake!r}")
        self.money_at_stake = float(money)
        if self.target_size is not None:
            self.target_size = _plain_int(self.target_size, "target_size", self.id)
            if self.target_size < 0:
                raise ValueError(f"finding {self.id!r}: target_size must be >= 0")
        self.evidence = {str(k): _plain(v) for k, v in dict(self.evidence).items()}
        self.where = {str(k): str(_plain(v)) for k, v in dict(self.where).items()}
        self.recommendations = list(self.recommendations)
        if not all(isinstance(r, str) and r.strip() for r in self.recommendations):
            raise ValueError(f"finding {self.id!r}: recommendations must be non-empty strings")
        for name, allowed in (("stake", STAKES), ("area", AREAS), ("owner", OWNERS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"finding {self.id!r}: {name} must be one of {allowed}, not {getattr(self, name)!r}")
        self.reference = {str(k): _plain(v) for k, v in dict(self.reference).items()}
        if self.reference.get("kind") not in REFERENCES:
            raise ValueError(f"finding {self.id!r}: reference kind must be one of {REFERENCES}")
        self.action = {str(k): _plain(v) for k, v in dict(self.action).items()}
        if self.action_list is not None:
            self.action_list = {str(k): _plain(v) for k, v in dict(self.action_list).items()}
        if self.explains_change is not None:
            self.explains_change = float(_plain(self.explains_change))

    def to_dict(self) -> dict[str, Any]:
        """The finding as the JSON object of the schema (fields in documented order)."""
        return {
            "id": self.id,
            "rule": self.rule,
            "section": self.section,
            "severity": self.severity,
            "title": self.title,
            "money_at_stake": self.money_at_stake,
            "where": dict(self.where),
            "evidence": dict(self.evidence),
            "target_size": self.target_size,
            "recommendations": list(self.recommendations),
            "reference": dict(self.reference),
            "formula": self.formula,
            "stake": self.stake,
            "area": self.area,
            "owner": self.owner,
            "action": dict(self.action),
            "action_list": None if self.action_list is None else dict(self.action_list),
            "explains_change": self.explains_change,
            "short": self.short or self.title,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding from its JSON object; fields unknown to this version are ignored."""
        known = ("id", "rule", "title", "section", "severity", "money_at_stake", "evidence", "where",
                 "target_size", "recommendations", "reference", "formula", "stake", "area", "owner", "action",
                 "action_list", "explains_change", "short")
        missing = [k for k in ("id", "rule", "title", "section", "severity") if k not in data]
        if missing:
            raise ValueError(f"finding {data.get('id')!r} lacks {', '.join(missing)}")
        return cls(**{k: data[k] for k in known if data.get(k) is not None})


def finding_id(rule: str, *parts: object) -> str:
    """A stable id: the rule then the parts that place the finding, joined by dots,
    e.g. ``finding_id("funnel.step_drop", "device", "App", "pay")`` ->
    ``funnel.step_drop.device.App.pay``. Spaces in a part become ``_``; empty parts are skipped."""
    cleaned = ["_".join(str(p).split()) for p in parts if p is not None and str(p).strip()]
    return ".".join([rule, *cleaned])


def severity_for(value: float, high: float, medium: float, higher_is_worse: bool = True) -> str:
    """``high``, ``medium`` or ``low`` for ``value`` against two thresholds.

    When higher is worse: ``high`` if ``value >= high``, else ``medium`` if
    ``value >= medium``, else ``low`` (reaching a threshold triggers it). When lower is
    worse (``higher_is_worse=False``, e.g. a repurchase rate): ``high`` if
    ``value <= high``, else ``medium`` if ``value <= medium``, else ``low``. A value
    within a relative 1e-9 of a threshold counts as reaching it, so float rounding
    (``1.0 - 0.9 = 0.0999...``) cannot flip a boundary.
    """
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"severity_for needs a finite number, not {value!r}")
    if higher_is_worse and high < medium:
        raise ValueError(f"when higher is worse the high threshold ({high}) must be >= the medium one ({medium})")
    if not higher_is_worse and high > medium:
        raise ValueError(f"when lower is worse the high threshold ({high}) must be <= the medium one ({medium})")

    def reaches(threshold: float) -> bool:
        slack = _RELATIVE_TOLERANCE * max(1.0, abs(threshold))
        return value >= threshold - slack if higher_is_worse else value <= threshold + slack

    if reaches(high):
        return "high"
    if reaches(medium):
        return "medium"
    return "low"


def rank_findings(findings: list[Finding]) -> list[Finding]:
    """Findings in report order: high before medium before low, then the most money at
    stake first; ties by section and id so the order is the same on every run."""
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), -f.money_at_stake, f.section, f.id))


# ------------------------------------------------------------------ findings.json

def run_meta_for(params, generated_at: datetime | None = None) -> dict[str, Any]:
    """The ``run`` block of findings.json from a :class:`kit.params.RunParams`."""
    return {
        "run_name": params.run_name or params.name or "run",
        "title": params.title,
        "period": params.current,
        "comparison": params.previous,
        "slice": dict(params.slice),
        "generated_at": generated_at,
        "currency": params.currency,
        "lang": params.lang,
    }


def findings_to_json(findings: list[Finding], run_meta: dict[str, Any]) -> dict[str, Any]:
    """The findings.json document: schema version, the run, counts by severity and the
    findings in :func:`rank_findings` order.

    ``run_meta`` needs ``run_name`` and ``period``; ``comparison``, ``slice``,
    ``generated_at`` (now, UTC, when absent), ``currency`` and ``lang`` are optional.
    Periods may be :class:`kit.periods.Period` objects or already ``{label, start, end}``.
    """
    ranked = rank_findings(findings)
    return {
        "schema_version": SCHEMA_VERSION,
        "run": _run_block(run_meta),
        "counts": {"total": len(ranked), **{s: sum(f.severity == s for f in ranked) for s in SEVERITIES}},
        "findings": [f.to_dict() for f in ranked],
    }


def write_findings_json(path: str | Path, findings: list[Finding], run_meta: dict[str, Any]) -> Path:
    """Write findings.json (UTF-8, Chinese kept readable) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(findings_to_json(findings, run_meta), ensure_ascii=False, indent=2, allow_nan=False)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a file
    return path


def load_findings_json(path: str | Path) -> tuple[list[Finding], dict[str, Any]]:
    """Read a findings.json: ``(findings in file order, the run block)``.

    Raises :class:`FindingsSchemaError` when the file is not JSON, has no
    ``schema_version``, or its major version is not this kit's (a newer minor version
    is read, its extra fields ignored).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise FindingsSchemaError(f"{path}: cannot read findings ({e})") from None
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise FindingsSchemaError(f"{path}: not a findings file (no schema_version)")
    version = str(doc["schema_version"])
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise FindingsSchemaError(
            f"{path}: findings schema version {version} cannot be read by this kit, which reads {SCHEMA_VERSION} "
            f"(and later 1.x versions)"
        )
    try:
        findings = [Finding.from_dict(f) for f in doc.get("findings", [])]
    except (TypeError, ValueError) as e:
        raise FindingsSchemaError(f"{path}: malformed finding: {e}") from None
    return findings, doc.get("run", {})


def _run_block(run_meta: dict[str, Any]) -> dict[str, Any]:
    if "run_name" not in run_meta or "period" not in run_meta:
        raise ValueError("run_meta needs at least run_name and period")
    special = ("period", "comparison", "slice", "generated_at")
    block = {k: _plain(v) for k, v in run_meta.items() if k not in special}
    block["period"] = _period_block(run_meta["period"])
    block["comparison"] = _period_block(run_meta.get("comparison"))
    block["slice"] = {str(k): _plain(v) for k, v in dict(run_meta.get("slice") or {}).items()}
    generated_at = run_meta.get("generated_at") or datetime.now(UTC)
    block["generated_at"] = generated_at.isoformat(timespec="seconds") if isinstance(generated_at, datetime) else str(generated_at)
    block.setdefault("currency", None)
    block.setdefault("lang", None)
    order = ["run_name", "title", "period", "comparison", "slice", "generated_at", "currency", "lang"]
    return {k: block[k] for k in order if k in block} | {k: v for k, v in block.items() if k not in order}


def _period_block(period: Any) -> dict[str, str] | None:
    """``{label, start, end}`` (ISO dates, end inclusive) for a Period, a mapping or None."""
    if period is None:
        return None
    if isinstance(period, dict):
        return {"label": str(period.get("label") or f"{period['start']}..{period['end']}"),
                "start": str(_plain(period["start"])), "end": str(_plain(period["end"]))}
    return {"label": str(period.label), "start": period.start.isoformat(), "end": period.end.isoformat()}


def _plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: numpy scalars become Python numbers, dates ISO
    strings, NaN and infinities null; lists, tuples and dicts are converted item by item."""
    if hasattr(value, "tolist") and not isinstance(value, list | tuple | dict | str):
        value = value.tolist()  # numpy scalar or array
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    raise ValueError(f"{value!r} ({type(value).__name__}) is not a plain value for findings.json")


def _plain_int(value: Any, name: str, finding: str) -> int:
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"finding {finding!r}: {name} must be a whole number, not {value!r}")
    return int(value)
