"""Sentences of section 3.3 (customer lifetime value), from the tables of
:mod:`kit.metrics.clv` and the templates under ``clv.`` in :mod:`kit.i18n`."""

from __future__ import annotations

from datetime import date

import polars as pl

from kit.display import fmt_int, fmt_money, fmt_num, fmt_pct
from kit.i18n import label, t
from kit.metrics.clv import ClvFit


def segment_name(segment, lang: str) -> str:
    """A segment's display name: its ``rfm.segment.<name>`` translation when there is one,
    else the name itself; customers without a segment are "No segment"."""
    return t("clv.no_segment", lang) if segment is None else label("rfm.segment", segment, lang)


def not_shown_note(fit: ClvFit, lang: str = "zh") -> str | None:
    """The visible note when the fit cannot be shown (its reason in words), else None."""
    if fit.ok:
        return None
    values = {"repeat_buyers": fmt_int(fit.gamma_gamma.repeat_buyers), "min_repeat_buyers": fmt_int(fit.min_repeat_buyers)}
    reason = t(f"clv.reason.{fit.reason or 'no_convergence'}", lang, **values)
    return t("clv.not_shown", lang, reason=reason)


def clv_sentences(fit: ClvFit, totals: pl.DataFrame | None, by_segment: pl.DataFrame | None,
                  lang: str = "zh", currency: str = "¥") -> list[str]:
    """Total expected value over the horizon, the segment with the most value and the share of
    customers likely alive (p_alive >= 0.5, and among repeat buyers); or only the reason the fit is not shown.

    ``totals`` is :func:`kit.metrics.clv.clv_totals`, ``by_segment`` :func:`kit.metrics.clv.clv_by_segment`
    (optional: without segments the segment sentence is left out).
    """
    note = not_shown_note(fit, lang)
    if note is not None:
        return [note]
    row = totals.row(0, named=True)
    sentences = [t("clv.total", lang, months=fit.horizon_months, customers=fmt_int(row["customers"]),
                   purchases=fmt_int(row["expected_purchases"]), value=fmt_money(row["expected_value"], currency))]
    if by_segment is not None and by_segment.height and row["expected_value"] > 0:
        top = by_segment.sort("expected_value", descending=True).row(0, named=True)
        sentences.append(t("clv.top_segment", lang, segment=segment_name(top["segment"], lang),
                           value=fmt_money(top["expected_value"], currency), share=fmt_pct(top["value_share"])))
    # one-time buyers have p_alive = 1 under BG/NBD: give the repeat buyers' share beside it when it differs
    repeat_share = row.get("likely_alive_share_repeat")
    if repeat_share is None or repeat_share == row["likely_alive_share"]:
        sentences.append(t("clv.alive_share", lang, share=fmt_pct(row["likely_alive_share"])))
    else:
        sentences.append(t("clv.alive_share_repeat", lang, share=fmt_pct(row["likely_alive_share"]),
                           repeat_share=fmt_pct(repeat_share)))
    return sentences


def holdout_sentence(holdout: pl.DataFrame, start: date, end: date, lang: str = "zh") -> str:
    """Predicted vs actual repeat purchases per customer over the whole holdout:
    sum(bucket mean x bucket customers) / customers, for each of the two."""
    customers = holdout["customers"].sum()
    predicted = (holdout["predicted"] * holdout["customers"]).sum() / customers
    actual = (holdout["actual"] * holdout["customers"]).sum() / customers
    return t("clv.holdout", lang, start=start.isoformat(), end=end.isoformat(),
             predicted=fmt_num(predicted, 2), actual=fmt_num(actual, 2))
