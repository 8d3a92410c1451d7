"""Numbers and tables as readers see them: thousands separators, one-decimal percentages,
the run's currency symbol, changes coloured up and down.

The ``fmt_*`` functions return plain text (used in narrative sentences too); the other
functions display HTML in the notebook, which the publisher keeps in the report. Each of
those has a ``*_html`` twin that returns the HTML (for tests); all text is escaped and
the HTML carries only class names (the export template's CSS styles them):

- ``kit-cards`` / ``kit-card`` (``label``, ``value``, ``change up|down|flat good|bad``, ``prev``);
- ``kit-table`` (``td.num`` right-aligned; ``span.up`` / ``span.down`` coloured changes);
- ``kit-note``, ``kit-missing``, ``kit-small-sample``;
- ``kit-findings`` (``li.sev-high|sev-medium|sev-low``) and ``kit-finding`` (``id="finding-<id>"``).

Rounding is half away from zero on the number as printed (``2.5`` -> ``3``, ``2.675`` ->
``2.68``), not Python's round-half-to-even; a value that rounds to zero never shows as
``-0.0``.
"""

from __future__ import annotations

import html
import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

import polars as pl
from IPython.display import HTML, display

from kit.i18n import join_list, label, t

DASH = "–"
"""Shown for a missing value (null, NaN, infinite)."""

SEVERITIES = ("high", "medium", "low")
TABLE_KINDS = ("text", "int", "num", "money", "pct", "pp", "change")
_NUMERIC_KINDS = frozenset(TABLE_KINDS) - {"text"}
_MONEY_WORDS = frozenset({"gmv", "amount", "aov", "revenue", "spend", "clv", "money", "cac"})


# ------------------------------------------------------------------ plain-text numbers

def _missing(x) -> bool:
    if x is None:
        return True
    if isinstance(x, Decimal):
        return not x.is_finite()
    if isinstance(x, Real) and not isinstance(x, bool | int):
        return not math.isfinite(x)  # NaN and +-inf have no sensible display
    return False


def _fixed(x, digits: int, signed: bool = False) -> str:
    """``x`` with ``digits`` decimals and thousands separators, rounded half away from zero.

    Goes through ``Decimal(str(x))`` so that ``2.675`` (stored as 2.67499...) rounds the
    way it is written; the ``z`` format flag turns ``-0.0`` into ``0.0``.
    """
    exact = Decimal(str(x))
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return format(rounded, f"{'+' if signed else ''}z,.{digits}f")


def fmt_int(x) -> str:
    """``1234567`` -> ``1,234,567``; ``2.5`` -> ``3``; missing -> ``–``."""
    return DASH if _missing(x) else _fixed(x, 0)


def fmt_num(x, digits: int = 1) -> str:
    """A plain number with thousands separators and ``digits`` decimals."""
    return DASH if _missing(x) else _fixed(x, digits)


def fmt_money(x, currency: str = "¥", digits: int | None = None) -> str:
    """``12345.6`` -> ``¥12,346``; below 100 two decimals are kept (``¥35.20``); ``-5`` -> ``-¥5.00``."""
    if _missing(x):
        return DASH
    if digits is None:
        digits = 2 if abs(x) < 100 else 0
    text = _fixed(abs(x), digits)
    sign = "-" if x < 0 and text.strip("0.,") else ""  # no "-¥0.00" for a tiny negative
    return f"{sign}{currency}{text}"


def fmt_pct(x, digits: int = 1) -> str:
    """A share or rate: ``0.3821`` -> ``38.2%``."""
    return DASH if _missing(x) else f"{_fixed(x * 100, digits)}%"


def fmt_pp(x, digits: int = 1, lang: str = "en") -> str:
    """A difference of two rates in percentage points: ``0.015`` -> ``+1.5 pp`` (zh: ``+1.5 个百分点``)."""
    if _missing(x):
        return DASH
    return f"{_fixed(x * 100, digits, signed=True)}{t('report.unit.pp', lang)}"


def fmt_change(rel, digits: int = 1) -> str:
    """A relative change with its sign: ``0.23`` -> ``+23.0%``; missing -> ``–``."""
    return DASH if _missing(rel) else f"{_fixed(rel * 100, digits, signed=True)}%"


def direction(x, digits: int = 1) -> str:
    """``up``, ``down`` or ``flat`` for a change given as a fraction (relative or in
    points): flat when missing or when it shows as zero at ``digits`` decimals of a percent
    (``0.0004`` -> ``+0.0%`` -> flat), so the colour never contradicts the printed number."""
    if _missing(x) or not _fixed(x * 100, digits).strip("0.,-"):
        return "flat"
    return "up" if x > 0 else "down"


# ------------------------------------------------------------------ output

def _show(markup: str) -> None:
    """The one place HTML reaches the notebook (nbconvert keeps it in the report)."""
    display(HTML(markup))


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _div(css_class: str, text: str) -> str:
    return f'<div class="{css_class}">{_esc(text)}</div>'


# ------------------------------------------------------------------ notes

def note_html(text: str) -> str:
    """A remark under a figure: ``<div class="kit-note">``."""
    return _div("kit-note", text)


def missing_html(what: str, lang: str = "zh") -> str:
    """Why a part is skipped (the data lacks ``what``): ``<div class="kit-missing">``."""
    return _div("kit-missing", t("note.missing", lang, what=what))


def small_sample_html(n: int, unit: str, lang: str = "zh") -> str:
    """A warning that a figure rests on only ``n`` units (``unit`` names a ``unit.*`` key, e.g. ``customers``)."""
    return _div("kit-small-sample", t("note.small_sample", lang, n=fmt_int(n), unit=t(f"unit.{unit}", lang)))


def note(text: str) -> None:
    """Show a remark under a figure."""
    _show(note_html(text))


def missing(what: str, lang: str = "zh") -> None:
    """Show that a part is skipped because the data lacks ``what``."""
    _show(missing_html(what, lang))


def small_sample(n: int, unit: str, lang: str = "zh") -> None:
    """Show a small-sample warning."""
    _show(small_sample_html(n, unit, lang))


# ------------------------------------------------------------------ KPI cards

def _card_value(x, unit: str, currency: str) -> str:
    if unit == "money":
        return fmt_money(x, currency)
    if unit == "pct":
        return fmt_pct(x)
    return fmt_int(x)


def _card_change(card: dict, lang: str) -> tuple[str, str]:
    """The change as shown and its CSS classes: rates in points, everything else relative."""
    if _missing(card.get("prev")):
        return DASH, "change flat"
    if card["unit"] == "pct":
        x, text = card.get("change"), fmt_pp(card.get("change"), lang=lang)
    else:
        x, text = card.get("change_rel"), fmt_change(card.get("change_rel"))
    way = direction(x)
    if way == "flat":
        return text, "change flat"
    good = (way == "up") == bool(card.get("good_when_up", True))
    return text, f"change {way} {'good' if good else 'bad'}"


def kpi_card_html(card: dict, currency: str = "¥", lang: str = "zh") -> str:
    """One card: label, value, its change (coloured good or bad) and the previous value."""
    change, classes = _card_change(card, lang)
    prev = f"{t('kpi.vs_prev', lang)} {_card_value(card.get('prev'), card['unit'], currency)}"
    return ('<div class="kit-card">'
            + _div("label", card["label"])
            + _div("value", _card_value(card.get("value"), card["unit"], currency))
            + _div(classes, change)
            + _div("prev", prev)
            + "</div>")


def kpi_cards_html(cards: list[dict], currency: str = "¥", lang: str = "zh") -> str:
    """The row of KPI cards (dicts as :func:`kit.summary.cards` makes them)."""
    return '<div class="kit-cards">' + "".join(kpi_card_html(c, currency, lang) for c in cards) + "</div>"


def kpi_cards(cards: list[dict], currency: str = "¥", lang: str = "zh") -> None:
    """Show the row of KPI cards."""
    _show(kpi_cards_html(cards, currency, lang))


# ------------------------------------------------------------------ tables

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


def _guess_columns(frame: pl.DataFrame) -> dict[str, tuple[str, str]]:
    return {name: (name, guess_kind(name, dtype)) for name, dtype in frame.schema.items()}


def _auto_num(x) -> str:
    """Small numbers keep two decimals (``1.25``), larger ones one (``123.4``)."""
    return fmt_num(x, 2 if abs(x) < 10 else 1)


def format_value(x, kind: str, currency: str = "¥", lang: str = "zh") -> str:
    """``x`` as plain text for a table cell or an evidence line of kind ``kind`` (see :data:`TABLE_KINDS`)."""
    if _missing(x):
        return DASH
    if kind == "int":
        return fmt_int(x)
    if kind == "num":
        return _auto_num(x)
    if kind == "money":
        return fmt_money(x, currency)
    if kind == "pct":
        return fmt_pct(x)
    if kind == "pp":
        return fmt_pp(x, lang=lang)
    if kind == "change":
        return fmt_change(x)
    return str(x)


def _cell(x, kind: str, currency: str, lang: str) -> str:
    text = _esc(format_value(x, kind, currency, lang))
    if kind in ("pp", "change") and direction(x) != "flat":
        text = f'<span class="{direction(x)}">{text}</span>'
    return f'<td class="num">{text}</td>' if kind in _NUMERIC_KINDS else f"<td>{text}</td>"


def _check_columns(frame: pl.DataFrame, columns: dict[str, tuple[str, str]]) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise KeyError(f"table columns not in the frame: {absent}; it has {frame.columns}")
    bad = {c: kind for c, (_, kind) in columns.items() if kind not in TABLE_KINDS}
    if bad:
        raise ValueError(f"unknown column kinds {bad}; use one of {TABLE_KINDS}")


def table_html(frame: pl.DataFrame, columns: dict[str, tuple[str, str]] | None = None, lang: str = "zh",
               currency: str = "¥", max_rows: int = 30) -> str:
    """A ``kit-table`` of the first ``max_rows`` rows of ``frame``.

    ``columns`` maps a source column to ``(header, kind)`` and sets which columns show,
    in its order; without it every column shows under its own name with the kind from
    :func:`guess_kind`. Cut rows are counted in a ``kit-note`` under the table.
    """
    columns = columns or _guess_columns(frame)
    _check_columns(frame, columns)
    header = "".join(
        f'<th class="num">{_esc(h)}</th>' if kind in _NUMERIC_KINDS else f"<th>{_esc(h)}</th>"
        for h, kind in columns.values()
    )
    body = "".join(
        "<tr>" + "".join(_cell(row[c], kind, currency, lang) for c, (_, kind) in columns.items()) + "</tr>"
        for row in frame.head(max_rows).iter_rows(named=True)
    )
    markup = f'<table class="kit-table"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
    if frame.height > max_rows:
        markup += note_html(t("table.more_rows", lang, n=fmt_int(frame.height - max_rows)))
    return markup


def table(frame: pl.DataFrame, columns: dict[str, tuple[str, str]] | None = None, lang: str = "zh",
          currency: str = "¥", max_rows: int = 30) -> None:
    """Show a table (see :func:`table_html`)."""
    _show(table_html(frame, columns, lang, currency, max_rows))


# ------------------------------------------------------------------ findings

def _severity(finding: dict) -> str:
    sev = finding.get("severity")
    if sev not in SEVERITIES:
        raise ValueError(f"finding {finding.get('id')!r}: severity must be one of {SEVERITIES}, not {sev!r}")
    return sev


def _anchor(finding: dict) -> str:
    """The HTML id of a finding's block in section 4, which the summary links to."""
    return f"finding-{finding['id']}"


def _badge(sev: str, lang: str) -> str:
    return f'<span class="sev">{_esc(t(f"sev.{sev}", lang))}</span>'


def _money_at_stake(finding: dict, currency: str, lang: str) -> str:
    """``涉及金额 ¥12,345``, or empty when the finding has no money attached."""
    money = finding.get("money_at_stake")
    if _missing(money) or money == 0:
        return ""
    text = f"{t('finding.money_at_stake', lang)} {fmt_money(money, currency)}"
    return f'<span class="money">{_esc(text)}</span>'


def finding_item_html(finding: dict, currency: str = "¥", lang: str = "zh") -> str:
    """One line of the summary's findings: severity, linked title, money at stake."""
    sev = _severity(finding)
    link = f'<a href="#{_esc(_anchor(finding))}">{_esc(finding["title"])}</a>'
    money = _money_at_stake(finding, currency, lang)
    tail = f" — {money}" if money else ""
    return f'<li class="sev-{sev}">{_badge(sev, lang)} {link}{tail}</li>'


def findings_list_html(findings: list[dict], currency: str = "¥", lang: str = "zh") -> str:
    """The executive summary's top findings, each linking to its block in section 4."""
    if not findings:
        return note_html(t("finding.none", lang))
    return '<ol class="kit-findings">' + "".join(finding_item_html(f, currency, lang) for f in findings) + "</ol>"


def findings_list(findings: list[dict], currency: str = "¥", lang: str = "zh") -> None:
    """Show the executive summary's top findings."""
    _show(findings_list_html(findings, currency, lang))


def _evidence_kind(name: str, value) -> str:
    if isinstance(value, bool) or not isinstance(value, Real):
        return "text"
    return guess_kind(name, pl.Int64 if isinstance(value, int) else pl.Float64)


def _evidence_value(name: str, value, currency: str, lang: str) -> str:
    if isinstance(value, list | tuple):
        return join_list((_evidence_value(name, v, currency, lang) for v in value), lang)
    return format_value(value, _evidence_kind(name, value), currency, lang)


def _evidence_html(evidence: dict, currency: str, lang: str) -> str:
    """Each number behind the finding as ``name: value``; names translate through
    ``diag.evidence.<name>`` keys when the diagnosis defines them."""
    items = "".join(
        f'<li><span class="name">{_esc(label("diag.evidence", name, lang))}</span>{t("report.colon", lang)}'
        f"{_esc(_evidence_value(name, value, currency, lang))}</li>"
        for name, value in evidence.items()
    )
    return f'<div class="evidence">{_div("sub", t("finding.evidence", lang))}<ul>{items}</ul></div>'


def _recommendations_html(recommendations: list[str], lang: str) -> str:
    items = "".join(f"<li>{_esc(r)}</li>" for r in recommendations)
    return f'<div class="recommendations">{_div("sub", t("finding.recommendations", lang))}<ol>{items}</ol></div>'


def finding_block_html(finding: dict, currency: str = "¥", lang: str = "zh") -> str:
    """A finding in section 4: severity badge and title, money at stake, evidence, recommendations.

    Its ``id`` is ``finding-<finding id>``, the target of the summary's links; parts with
    nothing to show (no money, no evidence, no recommendations) are left out.
    """
    sev = _severity(finding)
    parts = [f'<div class="head">{_badge(sev, lang)} <span class="title">{_esc(finding["title"])}</span></div>']
    money = _money_at_stake(finding, currency, lang)
    if money:
        parts.append(f'<div class="stake">{money}</div>')
    if finding.get("evidence"):
        parts.append(_evidence_html(finding["evidence"], currency, lang))
    if finding.get("recommendations"):
        parts.append(_recommendations_html(finding["recommendations"], lang))
    return f'<div class="kit-finding sev-{sev}" id="{_esc(_anchor(finding))}">{"".join(parts)}</div>'


def finding_block(finding: dict, currency: str = "¥", lang: str = "zh") -> None:
    """Show a finding's block in section 4 (its evidence chart is shown separately)."""
    _show(finding_block_html(finding, currency, lang))
