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


def bridge_sentence(bridge: pl.DataFrame, kpis: pl.DataFrame, comparison: Period, loc: Locale) -> str:
    """GMV's change against the comparison period and what each factor contributed
    (:func:`kit.figures.summary.gmv_bridge`; the parts add up to the change)."""
    gmv = next(r for r in kpis.to_dicts() if r["kpi"] == "gmv")
    change = gmv["value"] - gmv["value_prev"]
    effect = {r["factor"]: r["effect"] for r in bridge.to_dicts()}
    signed = lambda x: ("+" if x >= 0 else "-") + loc.money(abs(x))  # noqa: E731
    return loc.t("summary.bridge.sentence", comparison=comparison.label,
                 way=loc.t("summary.way.up" if change >= 0 else "summary.way.down"),
                 change=loc.money(abs(change)), rel=loc.change(gmv["value_change_rel"]),
                 a=signed(effect["active_customers"]), f=signed(effect["orders_per_customer"]),
                 v=signed(effect["aov"]))


def explained_sentence(explained: list[dict], kpis: pl.DataFrame, loc: Locale, top: int = 2) -> str:
    """What the findings say about GMV's change (``explained``:
    :func:`kit.figures.diagnosis.explained_change`, GMV each finding cost against the
    comparison period): in a fall, the ``top`` largest as shares of it, then what the rest of
    the shop did (it may have grown and offset part of the fall); in a rise, how much more GMV
    would have grown without them. Empty when no finding explains a change."""
    gmv = next((r for r in kpis.to_dicts() if r["kpi"] == "gmv"), None)
    if not explained or gmv is None or gmv["value_prev"] is None or gmv["value"] == gmv["value_prev"]:
        return ""
    change = gmv["value"] - gmv["value_prev"]
    lost = sum(p["amount"] for p in explained)
    if change > 0:
        return loc.t("summary.explained.rise", parts=loc.join(p["short"] for p in explained[:top]),
                     sum=loc.money(lost))
    parts = loc.join(loc.t("summary.explained.part", what=p["short"], share=loc.pct(p["amount"] / -change, 0))
                     for p in explained[:top])
    rest = change + lost  # what the rest of the shop did
    tail = (loc.t("summary.explained.offset", rest=loc.money(rest)) if rest > 0
            else loc.t("summary.explained.unexplained", rest=loc.money(-rest)))
    return loc.sentences([loc.t("summary.explained.fall", parts=parts), tail])


def total_sentence(total: dict, loc: Locale) -> str:
    """The total at stake without double counting, beside the plain sum."""
    return loc.t("summary.total", total=loc.money(total["total"]), sum=loc.money(total["sum"]))


def action_rows(actions: list[dict], loc: Locale) -> pl.DataFrame:
    """The top actions as the summary's table: action (lever), audience, owner, expected
    recovery (with its assumption), check-on date."""
    return pl.DataFrame({
        "action": [a["lever"] for a in actions],
        "audience": [a["audience"] for a in actions],
        "owner": [loc.t(f"diag.owner.{a['owner']}") for a in actions],
        "recovery": [loc.t("diag.action.recovery", money=loc.money(a["expected_recovery"]), assumption=a["assumption"])
                     for a in actions],
        "check_on": [a.get("check_on") or "" for a in actions],
    }, schema={c: pl.String for c in ("action", "audience", "owner", "recovery", "check_on")})


def action_columns(loc: Locale) -> dict[str, tuple[str, str]]:
    """The top-actions table's columns."""
    kinds = {"action": "text", "audience": "text", "owner": "label", "recovery": "text", "check_on": "label"}
    return {c: (loc.t(f"summary.col.{c}"), kind) for c, kind in kinds.items()}
