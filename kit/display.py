"""Tables, KPI cards, notes and finding blocks as readers see them in the report.

Each ``*_html`` function returns HTML (tested on its own); its twin without the suffix
displays it in the notebook, which the publisher keeps in the report. Numbers are written
by :class:`kit.i18n.Locale` (one definition of how a number reads); all text is escaped
and the HTML carries only class names (the export template's CSS styles them):

- ``kit-cards`` / ``kit-card`` (``label``, ``value``, ``change up|down|flat good|bad``, ``prev``);
- ``kit-table`` (``td.num`` right-aligned; ``span.up`` / ``span.down``: a change for the better /
  for the worse, the report's green and red, whatever its sign: a fall of a "lower is better"
  column such as ``return_rate_change`` is ``up``, see :func:`kit.i18n.numbers.good_when_up`);
- ``kit-note``, ``kit-missing``, ``kit-small-sample``;
- ``kit-findings`` (``li.sev-high|sev-medium|sev-low``) and ``kit-finding`` (``id="finding-<id>"``).
"""

from __future__ import annotations

import html

import polars as pl
from IPython.display import HTML, display

from kit.i18n import Locale
from kit.i18n.numbers import (
    KINDS,
    NUMERIC_KINDS,
    direction,
    good_when_up,
    guess_kind,
    is_missing,
    tone,
    value_kind,
)

SEVERITIES = ("high", "medium", "low")


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


def missing_html(text: str) -> str:
    """Why a part is skipped, and how to enable it: ``<div class="kit-missing">``
    (the text of :meth:`kit.figures.Missing.note`)."""
    return _div("kit-missing", text)


def small_sample_html(n: int, unit: str, loc: Locale) -> str:
    """A warning that a figure rests on only ``n`` units (``unit`` names a ``unit.*`` key, e.g. ``customers``)."""
    return _div("kit-small-sample", loc.t("note.small_sample", n=loc.integer(n), unit=loc.t(f"unit.{unit}")))


def note(text: str) -> None:
    """Show a remark under a figure."""
    _show(note_html(text))


def missing(text: str) -> None:
    """Show that a part is skipped (see :func:`missing_html`)."""
    _show(missing_html(text))


def small_sample(n: int, unit: str, loc: Locale) -> None:
    """Show a small-sample warning."""
    _show(small_sample_html(n, unit, loc))


# ------------------------------------------------------------------ KPI cards

def _card_value(x, unit: str, loc: Locale) -> str:
    return loc.value(x, {"money": "money", "pct": "pct"}.get(unit, "int"))


def _card_change(card: dict, loc: Locale) -> tuple[str, str]:
    """The change as shown and its CSS classes: rates in points, everything else relative."""
    if is_missing(card.get("prev")):
        return loc.value(None, "int"), "change flat"
    if card["unit"] == "pct":
        x, text = card.get("change"), loc.pp(card.get("change"))
    else:
        x, text = card.get("change_rel"), loc.change(card.get("change_rel"))
    way = direction(x)
    if way == "flat":
        return text, "change flat"
    return text, f"change {way} {tone(x, bool(card.get('good_when_up', True)))}"


def kpi_card_html(card: dict, loc: Locale) -> str:
    """One card: label, value, its change (coloured good or bad) and the previous value."""
    change, classes = _card_change(card, loc)
    prev = loc.tidy(f"{loc.t('kpi.vs_prev')} {_card_value(card.get('prev'), card['unit'], loc)}")
    return ('<div class="kit-card">'
            + _div("label", card["label"])
            + _div("value", _card_value(card.get("value"), card["unit"], loc))
            + _div(classes, change)
            + _div("prev", prev)
            + "</div>")


def kpi_cards_html(cards: list[dict], loc: Locale) -> str:
    """The row of KPI cards (dicts as :func:`kit.narrative.summary.cards` makes them)."""
    return '<div class="kit-cards">' + "".join(kpi_card_html(c, loc) for c in cards) + "</div>"


def kpi_cards(cards: list[dict], loc: Locale) -> None:
    """Show the row of KPI cards."""
    _show(kpi_cards_html(cards, loc))


# ------------------------------------------------------------------ tables

def _guess_columns(frame: pl.DataFrame) -> dict[str, tuple[str, str]]:
    return {name: (name, guess_kind(name, dtype)) for name, dtype in frame.schema.items()}


def _cell_class(kind: str) -> str:
    """Numbers align right; numbers and labels never wrap (see kit_report.css)."""
    return "num" if kind in NUMERIC_KINDS else "label" if kind == "label" else ""


def _cell(x, kind: str, loc: Locale, good_up: bool = True) -> str:
    text = _esc(loc.value(x, kind))
    if kind in ("pp", "change") and direction(x) != "flat":
        text = f'<span class="{"up" if tone(x, good_up) == "good" else "down"}">{text}</span>'
    return f'<td class="{_cell_class(kind)}">{text}</td>' if _cell_class(kind) else f"<td>{text}</td>"


def _check_columns(frame: pl.DataFrame, columns: dict[str, tuple[str, str]]) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise KeyError(f"table columns not in the frame: {absent}; it has {frame.columns}")
    bad = {c: kind for c, (_, kind) in columns.items() if kind not in KINDS}
    if bad:
        raise ValueError(f"unknown column kinds {bad}; use one of {KINDS}")


def table_html(frame: pl.DataFrame, columns: dict[str, tuple[str, str]] | None, loc: Locale,
               max_rows: int = 30) -> str:
    """A ``kit-table`` of the first ``max_rows`` rows of ``frame``.

    ``columns`` maps a source column to ``(header, kind)`` and sets which columns show,
    in its order; without it every column shows under its own name with the kind from
    :func:`kit.i18n.numbers.guess_kind`. Changes are coloured for the better or the worse by
    their column's name (:func:`kit.i18n.numbers.good_when_up`: a fall of ``return_rate_change``
    is green). Cut rows are counted in a ``kit-note`` under the table.
    """
    columns = columns or _guess_columns(frame)
    _check_columns(frame, columns)
    header = "".join(
        f'<th class="{_cell_class(kind)}">{_esc(h)}</th>' if _cell_class(kind) else f"<th>{_esc(h)}</th>"
        for h, kind in columns.values()
    )
    body = "".join(
        "<tr>" + "".join(_cell(row[c], kind, loc, good_when_up(c)) for c, (_, kind) in columns.items()) + "</tr>"
        for row in frame.head(max_rows).iter_rows(named=True)
    )
    markup = f'<table class="kit-table"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
    if frame.height > max_rows:
        markup += note_html(loc.t("table.more_rows", n=loc.integer(frame.height - max_rows)))
    return markup


def table(frame: pl.DataFrame, columns: dict[str, tuple[str, str]] | None, loc: Locale, max_rows: int = 30) -> None:
    """Show a table (see :func:`table_html`)."""
    _show(table_html(frame, columns, loc, max_rows))


# ------------------------------------------------------------------ findings

def _severity(finding: dict) -> str:
    sev = finding.get("severity")
    if sev not in SEVERITIES:
        raise ValueError(f"finding {finding.get('id')!r}: severity must be one of {SEVERITIES}, not {sev!r}")
    return sev


def _anchor(finding: dict) -> str:
    """The HTML id of a finding's block in section 4, which the summary links to."""
    return f"finding-{finding['id']}"


def _badge(sev: str, loc: Locale) -> str:
    return f'<span class="sev">{_esc(loc.t(f"sev.{sev}"))}</span>'


def _money_at_stake(finding: dict, loc: Locale) -> str:
    """``涉及金额 ¥12,345``, or empty when the finding has no money attached."""
    money = finding.get("money_at_stake")
    if is_missing(money) or money == 0:
        return ""
    text = loc.tidy(f"{loc.t('finding.money_at_stake')} {loc.money(money)}")
    return f'<span class="money">{_esc(text)}</span>'


def finding_item_html(finding: dict, loc: Locale) -> str:
    """One line of the summary's findings: severity, linked title, money at stake."""
    sev = _severity(finding)
    link = f'<a href="#{_esc(_anchor(finding))}">{_esc(finding["title"])}</a>'
    money = _money_at_stake(finding, loc)
    tail = f" — {money}" if money else ""
    return f'<li class="sev-{sev}">{_badge(sev, loc)} {link}{tail}</li>'


def findings_list_html(findings: list[dict], loc: Locale) -> str:
    """The executive summary's top findings, each linking to its block in section 4."""
    if not findings:
        return note_html(loc.t("finding.none"))
    return '<ol class="kit-findings">' + "".join(finding_item_html(f, loc) for f in findings) + "</ol>"


def findings_list(findings: list[dict], loc: Locale) -> None:
    """Show the executive summary's top findings."""
    _show(findings_list_html(findings, loc))


def _evidence_value(name: str, value, loc: Locale) -> str:
    if isinstance(value, list | tuple):
        return loc.join(_evidence_value(name, v, loc) for v in value)
    return loc.tidy(loc.value(value, value_kind(name, value)))  # generated text too ("设备 App")


def _evidence_html(evidence: dict, loc: Locale) -> str:
    """Each number behind the finding as ``name: value``; names translate through
    ``diag.evidence.<name>`` keys when the diagnosis defines them."""
    items = "".join(
        f'<li><span class="name">{_esc(loc.label("diag.evidence", name))}</span>{loc.t("report.colon")}'
        f"{_esc(_evidence_value(name, value, loc))}</li>"
        for name, value in evidence.items()
    )
    return f'<div class="evidence">{_div("sub", loc.t("finding.evidence"))}<ul>{items}</ul></div>'


def _recommendations_html(recommendations: list[str], loc: Locale) -> str:
    items = "".join(f"<li>{_esc(r)}</li>" for r in recommendations)
    return f'<div class="recommendations">{_div("sub", loc.t("finding.recommendations"))}<ol>{items}</ol></div>'


def _stake_html(finding: dict, loc: Locale) -> str:
    """The money at stake with what it is held against and how it is computed."""
    money = _money_at_stake(finding, loc)
    if not money:
        return ""
    details = []
    reference = (finding.get("reference") or {}).get("label")
    if reference:
        details.append(f'<li><span class="name">{_esc(loc.t("finding.reference"))}</span>{loc.t("report.colon")}'
                       f"{_esc(reference)}</li>")
    if finding.get("formula"):
        details.append(f'<li><span class="name">{_esc(loc.t("finding.formula"))}</span>{loc.t("report.colon")}'
                       f'{_esc(finding["formula"])}</li>')
    return f'<div class="stake">{money}<ul class="how">{"".join(details)}</ul></div>'


ACTION_FIELDS = ("audience", "lever", "target", "measure", "owner", "recovery", "check_on", "list")


def _action_html(finding: dict, loc: Locale) -> str:
    """The executable action: audience, lever, target, how it is measured, owner, expected
    recovery with its assumption, when to check again and the action list's size (never ids)."""
    action = finding.get("action") or {}
    if not action:
        return ""
    values = {k: action.get(k) for k in ("audience", "lever", "target", "measure", "check_on")}
    values["owner"] = loc.t(f"diag.owner.{finding['owner']}") if finding.get("owner") else None
    if action.get("expected_recovery"):
        values["recovery"] = loc.t("diag.action.recovery", money=loc.money(action["expected_recovery"]),
                                   assumption=action.get("assumption", ""))
    listed = finding.get("action_list")
    if listed:
        values["list"] = loc.t("diag.action.list", file=listed["file"], n=loc.integer(listed["customers"]))
    items = "".join(f'<li><span class="name">{_esc(loc.t(f"diag.action.label.{k}"))}</span>{loc.t("report.colon")}'
                    f"{_esc(values[k])}</li>" for k in ACTION_FIELDS if values.get(k))
    return f'<div class="action">{_div("sub", loc.t("finding.action"))}<ul>{items}</ul></div>'


def finding_block_html(finding: dict, loc: Locale) -> str:
    """A finding in section 4: severity badge and title, money at stake (with its reference
    and formula), evidence, recommendations and the action (audience, lever, target, owner,
    expected recovery, action list size).

    Its ``id`` is ``finding-<finding id>``, the target of the summary's links; parts with
    nothing to show (no money, no evidence, no recommendations, no action) are left out.
    """
    sev = _severity(finding)
    parts = [f'<div class="head">{_badge(sev, loc)} <span class="title">{_esc(finding["title"])}</span></div>']
    stake = _stake_html(finding, loc)
    if stake:
        parts.append(stake)
    if finding.get("evidence"):
        parts.append(_evidence_html(finding["evidence"], loc))
    lever = (finding.get("action") or {}).get("lever")
    said = [r for r in finding.get("recommendations") or [] if r != lever]  # not twice when the lever is it
    if said:
        parts.append(_recommendations_html(said, loc))
    action = _action_html(finding, loc)
    if action:
        parts.append(action)
    return f'<div class="kit-finding sev-{sev}" id="{_esc(_anchor(finding))}">{"".join(parts)}</div>'


def finding_block(finding: dict, loc: Locale) -> None:
    """Show a finding's block in section 4 (its evidence chart is shown separately)."""
    _show(finding_block_html(finding, loc))


# ------------------------------------------------------------------ warnings

def warning_html(title: str, text: str, loc: Locale) -> str:
    """A warning above a part of the report that cannot be trusted (e.g. an experiment whose
    sample ratio check failed): a red-edged block like a high-severity finding's, with a badge,
    the title and the text."""
    badge = f'<span class="sev">{_esc(loc.t("exp.srm.badge"))}</span>'
    return (f'<div class="kit-finding sev-high kit-warning"><div class="head">{badge} '
            f'<span class="title">{_esc(title)}</span></div><p>{_esc(text)}</p></div>')


def warning(title: str, text: str, loc: Locale) -> None:
    """Show a warning (see :func:`warning_html`)."""
    _show(warning_html(title, text, loc))
