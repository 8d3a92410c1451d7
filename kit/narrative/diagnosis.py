"""The diagnosis section's words around the finding blocks (the findings carry their own
titles and recommendations, written by :mod:`kit.diagnosis.rules`)."""

from __future__ import annotations

from kit.i18n import Locale


def intro(counts: dict[str, int], loc: Locale) -> str:
    """How many findings of each severity, or that nothing needs attention (``counts``:
    :func:`kit.figures.diagnosis.counts`)."""
    total = sum(counts.values())
    return loc.t("diag.intro", total=total, **counts) if total else loc.t("diag.none")


def plan_rows(group: list[dict], loc: Locale):
    """One area's findings as the action plan's rows (title, severity, money, owner, expected
    recovery, how many customers its list holds)."""
    import polars as pl

    return pl.DataFrame({
        "finding": [f["title"] for f in group],
        "severity": [loc.t(f"sev.{f['severity']}") for f in group],
        "money": [f["money_at_stake"] for f in group],
        "owner": [loc.t(f"diag.owner.{f['owner']}") for f in group],
        "recovery": [(f.get("action") or {}).get("expected_recovery") for f in group],
        "list": [(f.get("action_list") or {}).get("customers") for f in group],
    }, schema={"finding": pl.String, "severity": pl.String, "money": pl.Float64, "owner": pl.String,
               "recovery": pl.Float64, "list": pl.Int64})


def plan_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    """The action plan table's columns."""
    return {"finding": (loc.t("diag.col.finding"), "text"), "severity": (loc.t("diag.col.severity"), "label"),
            "money": (loc.t("diag.col.money"), "money"), "owner": (loc.t("diag.col.owner"), "label"),
            "recovery": (loc.t("diag.col.recovery"), "money"), "list": (loc.t("diag.col.list"), "int")}
