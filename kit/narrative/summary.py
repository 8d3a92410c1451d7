"""The executive summary's words: the KPI cards' labels and the headline sentence."""

from __future__ import annotations

import polars as pl

from kit.i18n import Locale
from kit.periods import Period


def cards(table: pl.DataFrame, loc: Locale) -> list[dict]:
    """KPI rows (:func:`kit.figures.summary.kpis`) as the cards :func:`kit.display.kpi_cards` draws."""
    return [
        {"label": loc.t(f"kpi.{r['kpi']}"), "value": r["value"], "prev": r["value_prev"],
         "change_rel": r["value_change_rel"], "change": r["value_change"], "unit": r["unit"],
         "good_when_up": r["good_when_up"]}
        for r in table.to_dicts()
    ]


def headline_sentence(table: pl.DataFrame, period: Period, loc: Locale) -> str:
    """One sentence on GMV, orders, active customers and AOV, with GMV's change (empty without orders)."""
    k = {r["kpi"]: r for r in table.to_dicts()}
    if "gmv" not in k:
        return ""
    rel = k["gmv"]["value_change_rel"]
    if rel is None:
        change = loc.t("change.none")
    elif abs(rel) < 0.005:
        change = loc.t("change.flat")
    else:
        change = loc.t("change.up" if rel > 0 else "change.down", value=loc.pct(abs(rel)))
    return loc.t("kpi.summary_sentence", period=period.label, gmv=loc.money(k["gmv"]["value"]), gmv_change=change,
                 orders=loc.integer(k["paid_orders"]["value"]), active=loc.integer(k["active_customers"]["value"]),
                 aov=loc.money(k["aov"]["value"]))
