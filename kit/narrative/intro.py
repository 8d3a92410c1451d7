"""Sentences of the introduction (引言), from :mod:`kit.figures.intro`; templates under ``intro.``."""

from __future__ import annotations

import polars as pl

from kit.figures.intro import Scope
from kit.i18n import Locale


def slice_text(slice_: dict, loc: Locale) -> str:
    """The slice as the purpose sentence names it: all customers, or ``region = 华东``'s."""
    if not slice_:
        return loc.t("intro.slice_all")
    parts = [f"{k} = {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in slice_.items()]
    return loc.t("intro.slice", slice=loc.join(parts))


def purpose(scope: Scope, loc: Locale) -> str:
    """What the report is for, on which customers, in which period, against which comparison."""
    values = {"slice": slice_text(scope.slice, loc), "period": scope.period, "start": scope.start, "end": scope.end}
    if scope.comparison is None:
        return loc.t("intro.purpose_alone", **values)
    return loc.t("intro.purpose", **values, comparison=scope.comparison, comparison_start=scope.comparison_start,
                 comparison_end=scope.comparison_end)


def sources_notes(sources: pl.DataFrame, loc: Locale) -> str:
    """What each table's dates are, and how the events and sessions were cut, after the
    sources table (:func:`kit.figures.intro.sources`' ``note`` column), one sentence."""
    if sources.height == 0:
        return ""
    parts = [loc.t("intro.note_item", table=r["name"], note=r["note"]) for r in sources.iter_rows(named=True)]
    return loc.t("intro.notes", notes=loc.t("intro.note_sep").join(parts))
