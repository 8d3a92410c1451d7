"""Numbers and tables as readers see them: thousands separators, one-decimal percentages,
the run's currency symbol, changes coloured up and down.

The ``fmt_*`` functions return plain text (used in narrative sentences too); the other
functions display HTML in the notebook, which the publisher keeps in the report.
"""

from __future__ import annotations

import math


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_int(x) -> str:
    """``1234567`` -> ``1,234,567``; missing -> ``–``."""
    return "–" if _missing(x) else f"{round(x):,}"


def fmt_num(x, digits: int = 1) -> str:
    """A plain number with thousands separators and ``digits`` decimals."""
    return "–" if _missing(x) else f"{x:,.{digits}f}"


def fmt_money(x, currency: str = "¥", digits: int | None = None) -> str:
    """``12345.6`` -> ``¥12,346``; below 100 two decimals are kept (``¥35.20``)."""
    if _missing(x):
        return "–"
    if digits is None:
        digits = 2 if abs(x) < 100 else 0
    sign = "-" if x < 0 else ""
    return f"{sign}{currency}{abs(x):,.{digits}f}"


def fmt_pct(x, digits: int = 1) -> str:
    """A share or rate: ``0.3821`` -> ``38.2%``."""
    return "–" if _missing(x) else f"{x * 100:.{digits}f}%"


def fmt_pp(x, digits: int = 1, lang: str = "en") -> str:
    """A difference of two rates in percentage points: ``0.015`` -> ``+1.5 pp`` (zh: ``+1.5 个百分点``)."""
    if _missing(x):
        return "–"
    unit = " 个百分点" if lang == "zh" else " pp"
    return f"{x * 100:+.{digits}f}{unit}"


def fmt_change(rel, digits: int = 1) -> str:
    """A relative change with its sign: ``0.23`` -> ``+23.0%``; missing -> ``–``."""
    return "–" if _missing(rel) else f"{rel * 100:+.{digits}f}%"
