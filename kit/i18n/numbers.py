"""Numbers as readers see them, as plain text: thousands separators, one-decimal
percentages, the run's currency symbol, signed changes.

Rounding is half away from zero on the number as printed (``2.5`` -> ``3``, ``2.675`` ->
``2.68``), not Python's round-half-to-even; a value that rounds to zero never shows as
``-0.0``. Missing values (None, NaN, infinite) show as :data:`DASH`.

These are the one definition of how a number is written; the report reaches them through
:class:`kit.i18n.Locale`, which adds the language (e.g. the percentage-point unit).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

import polars as pl

DASH = "–"
"""Shown for a missing value (null, NaN, infinite)."""

KINDS = ("text", "label", "int", "num", "money", "pct", "pp", "change")
"""How a value is written (tables, evidence lines): see :func:`guess_kind`. A ``label`` is short
text that never wraps (an owner, a date)."""
NUMERIC_KINDS = frozenset(KINDS) - {"text", "label"}
_MONEY_WORDS = frozenset({"gmv", "amount", "aov", "revenue", "spend", "clv", "money", "cac"})


def is_missing(x) -> bool:
    """None, NaN and +-inf have no sensible display."""
    if x is None:
        return True
    if isinstance(x, Decimal):
        return not x.is_finite()
    if isinstance(x, Real) and not isinstance(x, bool | int):
        return not math.isfinite(x)
    return False


def fixed(x, digits: int, signed: bool = False) -> str:
    """``x`` with ``digits`` decimals and thousands separators, rounded half away from zero.

    Goes through ``Decimal(str(x))`` so that ``2.675`` (stored as 2.67499...) rounds the
    way it is written; the ``z`` format flag turns ``-0.0`` into ``0.0``.
    """
    exact = Decimal(str(x))
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return format(rounded, f"{'+' if signed else ''}z,.{digits}f")


def fmt_int(x) -> str:
    """``1234567`` -> ``1,234,567``; ``2.5`` -> ``3``; missing -> ``–``."""
    return DASH if is_missing(x) else fixed(x, 0)


def fmt_num(x, digits: int = 1) -> str:
    """A plain number with thousands separators and ``digits`` decimals."""
    return DASH if is_missing(x) else fixed(x, digits)


def fmt_auto(x) -> str:
    """Small numbers keep two decimals (``1.25``), larger ones one (``123.4``)."""
    return DASH if is_missing(x) else fmt_num(x, 2 if abs(x) < 10 else 1)


def fmt_money(x, currency: str, digits: int | None = None) -> str:
    """``12345.6`` -> ``¥12,346``; below 100 two decimals are kept (``¥35.20``); ``-5`` -> ``-¥5.00``."""
    if is_missing(x):
        return DASH
    if digits is None:
        digits = 2 if abs(x) < 100 else 0
    text = fixed(abs(x), digits)
    sign = "-" if x < 0 and text.strip("0.,") else ""  # no "-¥0.00" for a tiny negative
    return f"{sign}{currency}{text}"


def fmt_pct(x, digits: int = 1) -> str:
    """A share or rate: ``0.3821`` -> ``38.2%``."""
    return DASH if is_missing(x) else f"{fixed(x * 100, digits)}%"


def fmt_pp(x, unit: str, digits: int = 1) -> str:
    """A difference of two rates in percentage points: ``0.015`` -> ``+1.5`` followed by
    ``unit`` (the language's word for points, e.g. `` pp``)."""
    return DASH if is_missing(x) else f"{fixed(x * 100, digits, signed=True)}{unit}"


def fmt_change(rel, digits: int = 1) -> str:
    """A relative change with its sign: ``0.23`` -> ``+23.0%``; missing -> ``–``."""
    return DASH if is_missing(rel) else f"{fixed(rel * 100, digits, signed=True)}%"


def direction(x, digits: int = 1) -> str:
    """``up``, ``down`` or ``flat`` for a change given as a fraction (relative or in
    points): flat when missing or when it shows as zero at ``digits`` decimals of a percent
    (``0.0004`` -> ``+0.0%`` -> flat), so the colour never contradicts the printed number."""
    if is_missing(x) or not fixed(x * 100, digits).strip("0.,-"):
        return "flat"
    return "up" if x > 0 else "down"


def guess_kind(name: str, dtype: pl.DataType) -> str:
    """How to show a column when no spec says so, from its name and dtype.

    Numeric columns only: ``*_change_rel`` -> ``change``; a name with a ``rate`` or
    ``share`` word -> ``pp`` when it ends in ``_change`` (a difference of rates), else
    ``pct``; a money word (``gmv``, ``amount``, ``aov``, ``revenue``, ``spend``, ``clv``,
    ``cac``, ``money``) -> ``money``; other floats -> ``num``, integers -> ``int``.
    Anything else (strings, dates, booleans) -> ``text``.
    """
    numeric = dtype.is_float() or dtype.is_integer() or dtype.is_decimal()
    if not numeric:
        return "text"
    words = set(name.lower().split("_"))
    if name.endswith("_change_rel"):
        return "change"
    if words & {"rate", "share"}:
        return "pp" if name.endswith("_change") else "pct"
    if words & _MONEY_WORDS:
        return "money"
    return "int" if dtype.is_integer() else "num"


def value_kind(name: str, value) -> str:
    """The kind of a single named value (an evidence line): text for non-numbers, else by name."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return "text"
    return guess_kind(name, pl.Int64 if isinstance(value, int) else pl.Float64)
