"""The executive summary: KPI cards beside the comparison period and the top findings."""

from __future__ import annotations

import json

import polars as pl

from kit.i18n import t
from kit.metrics.kpis import headline_kpis
from kit.run import Run


def kpis(run: Run) -> pl.DataFrame:
    """The headline KPIs of the run, recorded under ``summary.kpis`` in metrics.json."""
    table = headline_kpis(run.orders, run.events, run.period, run.comparison)
    run.record("summary", {"kpis": table.to_dicts()})
    return table


def cards(table: pl.DataFrame, lang: str) -> list[dict]:
    """KPI rows as the cards :func:`kit.display.kpi_cards` draws."""
    return [
        {"label": t(f"kpi.{r['kpi']}", lang), "value": r["value"], "prev": r["value_prev"],
         "change_rel": r["value_change_rel"], "change": r["value_change"], "unit": r["unit"],
         "good_when_up": r["good_when_up"]}
        for r in table.to_dicts()
    ]


def headline_sentence(table: pl.DataFrame, run: Run) -> str:
    """One sentence on GMV, orders, active customers and AOV, with GMV's change."""
    from kit.display import fmt_int, fmt_money, fmt_pct

    k = {r["kpi"]: r for r in table.to_dicts()}
    if "gmv" not in k:
        return ""
    lang, cur = run.lang, run.params.currency
    rel = k["gmv"]["value_change_rel"]
    if rel is None:
        change = t("change.none", lang)
    elif abs(rel) < 0.005:
        change = t("change.flat", lang)
    else:
        change = t("change.up" if rel > 0 else "change.down", lang, value=fmt_pct(abs(rel)))
    return t("kpi.summary_sentence", lang, period=run.period.label, gmv=fmt_money(k["gmv"]["value"], cur),
             gmv_change=change, orders=fmt_int(k["paid_orders"]["value"]),
             active=fmt_int(k["active_customers"]["value"]), aov=fmt_money(k["aov"]["value"], cur))


def top_findings(run: Run, n: int | None = None) -> list[dict] | None:
    """The diagnosis' top findings by money at stake, or None when the diagnosis has not run."""
    path = run.work_dir / "findings.json"
    if not path.exists():
        return None
    findings = json.loads(path.read_text(encoding="utf-8"))["findings"]
    n = n or run.params.diagnosis.top_n
    return sorted(findings, key=lambda f: -(f.get("money_at_stake") or 0))[:n]
