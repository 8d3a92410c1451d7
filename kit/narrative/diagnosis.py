"""The diagnosis section's words around the finding blocks (the findings carry their own
titles and recommendations, written by :mod:`kit.diagnosis.rules`)."""

from __future__ import annotations

from kit.i18n import Locale


def intro(counts: dict[str, int], loc: Locale) -> str:
    """How many findings of each severity, or that nothing needs attention (``counts``:
    :func:`kit.figures.diagnosis.counts`)."""
    total = sum(counts.values())
    return loc.t("diag.intro", total=total, **counts) if total else loc.t("diag.none")
