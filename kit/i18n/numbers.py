"""Numbers as readers see them, as plain text: thousands separators, one-decimal
percentages, the run's currency symbol, signed changes, chart tick labels.

Rounding is half away from zero on the number as printed (``2.5`` -> ``3``, ``2.675`` ->
``2.68``), not Python's round-half-to-even; a value that rounds to zero never shows as
``-0.0``. Missing values (None, NaN, infinite) show as :data:`DASH`.

Money (:func:`fmt_money`), one rule for every card, table, sentence and chart axis:

- below 100: two decimals (``¥35.20``);
- from 100: whole units with thousands separators (``¥5,686``, English ``¥5,686,496``);
- Chinese only, from 10,000: 万 with one decimal (``¥568.7万``), from 100,000,000: 亿 with
  two (``¥1.23亿``). The unit follows the number as rounded, so ``9,999.6`` is ``¥1.0万``.

Rates are percentages with one decimal (``38.2%``), their changes percentage points with one
decimal; a change that rounds to zero at the digits shown is "flat" (持平), see
:func:`direction`. Chart axes write their ticks with :func:`tick_labels`: the same units,
and the fewest decimals that keep every label exact and different from its neighbours.

These are the one definition of how a number is written; the report reaches them through
:class:`kit.i18n.Locale`, which adds the language (the percentage-point unit, 持平).
"""

from __future__ import annotations

import math
import re
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


MONEY_UNITS: dict[str, tuple[tuple[int, str, int], ...]] = {
    "zh": ((10_000, "万", 1), (100_000_000, "亿", 2)),
}
"""Per language, the large units money is written in: (size, unit, decimals), smallest first."""


def _plain(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _money_text(x, digits: int | None, lang: str) -> str:
    """``|x|`` as the money rule writes it, without sign or currency."""
    exact = abs(Decimal(str(x)))
    if digits is not None:
        return fixed(exact, digits)
    text = fixed(exact, 2)
    if _plain(text) < 100:
        return text
    text = fixed(exact, 0)
    written = _plain(text)  # the amount as the text says it
    # each unit takes over when the number, as written one unit down, reaches it:
    # 9,999.6 is written 10,000, so 1.0万; 99,999,999 is 10,000.0万, so 1.00亿
    for size, unit, places in MONEY_UNITS.get(lang, ()):
        if written < size:
            break
        mantissa = fixed(exact / size, places)
        text, written = mantissa + unit, _plain(mantissa) * size
    return text


def fmt_money(x, currency: str, digits: int | None = None, lang: str = "en") -> str:
    """Money by the rule above: ``12345.6`` -> ``¥12,346`` (``lang="zh"``: ``¥1.2万``);
    ``35.2`` -> ``¥35.20``; ``-5`` -> ``-¥5.00``. ``digits`` fixes the decimals (no 万/亿)."""
    if is_missing(x):
        return DASH
    text = _money_text(x, digits, lang)
    sign = "-" if x < 0 and text.strip("0.,万亿") else ""  # no "-¥0.00" for a tiny negative
    return f"{sign}{currency}{text}"


def fmt_pct(x, digits: int = 1) -> str:
    """A share or rate: ``0.3821`` -> ``38.2%``."""
    return DASH if is_missing(x) else f"{fixed(x * 100, digits)}%"


def fmt_pp(x, unit: str, digits: int = 1, flat: str | None = None) -> str:
    """A difference of two rates in percentage points: ``0.015`` -> ``+1.5`` followed by
    ``unit`` (the language's word for points, e.g. `` pp``); ``flat`` (the language's word,
    e.g. 持平) instead when it rounds to zero at ``digits`` (see :func:`direction`)."""
    if is_missing(x):
        return DASH
    if flat is not None and direction(x, digits) == "flat":
        return flat
    return f"{fixed(x * 100, digits, signed=True)}{unit}"


def fmt_change(rel, digits: int = 1, flat: str | None = None) -> str:
    """A relative change with its sign: ``0.23`` -> ``+23.0%``; missing -> ``–``; ``flat``
    instead of ``+0.0%`` when given."""
    if is_missing(rel):
        return DASH
    if flat is not None and direction(rel, digits) == "flat":
        return flat
    return f"{fixed(rel * 100, digits, signed=True)}%"


def direction(x, digits: int = 1) -> str:
    """``up``, ``down`` or ``flat`` for a change given as a fraction (relative or in
    points): flat when missing or when it shows as zero at ``digits`` decimals of a percent
    (``0.0004`` -> ``+0.0%`` -> flat), so the colour never contradicts the printed number."""
    if is_missing(x) or not fixed(x * 100, digits).strip("0.,-"):
        return "flat"
    return "up" if x > 0 else "down"


LOWER_IS_BETTER = ("return", "churn", "churned", "abandon", "abandoned", "abandonment", "cac", "refund", "lost")
"""Words of a metric's name that make a rise bad: return rate, churn (and the churned segment),
cart abandonment, acquisition cost, refunds, customers lost. Every colour of a change (KPI
cards, table cells, charts) reads :func:`good_when_up`."""


def good_when_up(name: str) -> bool:
    """Whether a rise of the metric ``name`` (a column or KPI key such as ``return_rate_change``,
    or a finding's rule and value, ``customers.churn.rate``) is good: False when one of its
    words (split at ``_``, ``.`` and other non-letters) is a :data:`LOWER_IS_BETTER` word."""
    return not set(re.split(r"[^a-z]+", name.lower())) & set(LOWER_IS_BETTER)


def tone(x, good_up: bool = True, digits: int = 1) -> str:
    """``good``, ``bad`` or ``flat``: how a change ``x`` (relative or in points) reads for a
    metric that is better up (``good_up``) or better down; flat as :func:`direction` says."""
    way = direction(x, digits)
    if way == "flat":
        return "flat"
    return "good" if (way == "up") == good_up else "bad"


def _exact_places(values: list[float], most: int = 3) -> int:
    """The fewest decimals (up to ``most``) that write every value exactly."""
    for places in range(most + 1):
        if all(abs(round(v, places) - v) < 1e-9 * max(1.0, abs(v)) for v in values):
            return places
    return most


def tick_labels(values, kind: str = "num", currency: str = "", lang: str = "en",
                absolute: bool = False) -> list[str]:
    """The labels of an axis's ticks (evenly spaced values), written as :func:`fmt_money`,
    :func:`fmt_pct` or :func:`fmt_num` write numbers, with one unit and one number of decimals
    for the whole axis: the fewest that write every tick exactly (so two ticks never share
    a label: 0, 0.5%, 1% reads ``0% 0.5% 1.0% ...``, never ``0% 0% 1%``). Zero is ``0``
    (``0%``, ``¥0``). ``kind``: ``pct`` (shares, 0-1), ``money`` (in Chinese in 万 or 亿 when
    the largest tick reaches them: ``¥50万``), anything else a plain number; ``absolute``
    writes ``|value|`` (a population pyramid's left side)."""
    values = [abs(v) if absolute else v for v in (float(v) for v in values)]
    if not values:
        return []
    size, unit, prefix, suffix = 1, "", "", ""
    if kind == "pct":
        values, suffix = [v * 100 for v in values], "%"
    elif kind == "money":
        prefix = currency
        top = max(abs(v) for v in values)
        for step, name, _ in MONEY_UNITS.get(lang, ()):
            if top >= step:
                size, unit = step, name
    scaled = [round(v / size, 9) for v in values]
    places = _exact_places(scaled)
    labels = []
    for v in scaled:
        if v == 0:
            labels.append(f"{prefix}0{suffix}")
            continue
        text = fixed(abs(v), places)
        labels.append(f"{'-' if v < 0 else ''}{prefix}{text}{unit}{suffix}")
    return labels


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
