"""Sentences of section 3.3 (customer lifetime value), from the tables of
:mod:`kit.metrics.clv` and the templates under ``clv.`` in :mod:`kit.i18n`."""

from __future__ import annotations

from datetime import date

import polars as pl

from kit.i18n import Locale
from kit.i18n.labels import segment_name
from kit.metrics.clv import ClvFit


def not_shown_note(fit: ClvFit, loc: Locale) -> str | None:
    """The visible note when the fit cannot be shown (its reason in words), else None."""
    if fit.ok:
        return None
    values = {"repeat_buyers": loc.integer(fit.gamma_gamma.repeat_buyers), "min_repeat_buyers": loc.integer(fit.min_repeat_buyers)}
    reason = loc.t(f"clv.reason.{fit.reason or 'no_convergence'}", **values)
    return loc.t("clv.not_shown", reason=reason)


def clv_sentences(fit: ClvFit, totals: pl.DataFrame | None, by_segment: pl.DataFrame | None,
                  loc: Locale) -> list[str]:
    """Total expected value over the horizon, the segment with the most value and the share of
    customers likely alive (p_alive >= 0.5, and among repeat buyers); or only the reason the fit is not shown.

    ``totals`` is :func:`kit.metrics.clv.clv_totals`, ``by_segment`` :func:`kit.metrics.clv.clv_by_segment`
    (optional: without segments the segment sentence is left out).
    """
    note = not_shown_note(fit, loc)
    if note is not None:
        return [note]
    row = totals.row(0, named=True)
    sentences = [loc.t("clv.total", months=fit.horizon_months, customers=loc.integer(row["customers"]),
                   purchases=loc.integer(row["expected_purchases"]), value=loc.money(row["expected_value"]))]
    if by_segment is not None and by_segment.height and row["expected_value"] > 0:
        top = by_segment.sort("expected_value", descending=True).row(0, named=True)
        sentences.append(loc.t("clv.top_segment", segment=segment_name(top["segment"], loc),
                           value=loc.money(top["expected_value"]), share=loc.pct(top["value_share"])))
    # one-time buyers have p_alive = 1 under BG/NBD: give the repeat buyers' share beside it when it differs
    repeat_share = row.get("likely_alive_share_repeat")
    if repeat_share is None or repeat_share == row["likely_alive_share"]:
        sentences.append(loc.t("clv.alive_share", share=loc.pct(row["likely_alive_share"])))
    else:
        sentences.append(loc.t("clv.alive_share_repeat", share=loc.pct(row["likely_alive_share"]),
                           repeat_share=loc.pct(repeat_share)))
    return sentences


def holdout_sentence(holdout: pl.DataFrame, start: date, end: date, loc: Locale) -> str:
    """Predicted vs actual repeat purchases per customer over the whole holdout:
    sum(bucket mean x bucket customers) / customers, for each of the two."""
    customers = holdout["customers"].sum()
    predicted = (holdout["predicted"] * holdout["customers"]).sum() / customers
    actual = (holdout["actual"] * holdout["customers"]).sum() / customers
    return loc.t("clv.holdout", start=start.isoformat(), end=end.isoformat(),
             predicted=loc.number(predicted, 2), actual=loc.number(actual, 2))
