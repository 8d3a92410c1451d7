"""``output/index.html``: every published run, newest first, grouped by period.

The page speaks the language of the reports it lists (``run.lang`` of each ``metrics.json``):
all Chinese -> a Chinese page, all English -> an English one; a mix (or none) -> bilingual
headings ("报告 · Report"). Each row's figures are written as in its own report: KPI changes of
rates (unit ``pct``) in percentage points (``+0.2 个百分点`` / ``+0.2 pp``, from ``value_change``),
the others relative (``-4.9%``). No script; the same Content-Security-Policy as the reports.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from kit.i18n import Locale, t
from kit.i18n.numbers import direction
from kit.publish.export import CSP, FONT_STACKS, HTML_LANG

# KPI of the summary cards shown per row, with the unit used when a card does not say its own
INDEX_KPIS = (("gmv", "money"), ("paid_orders", "int"), ("active_customers", "int"), ("aov", "money"),
              ("visit_to_pay", "pct"))
LANGS = ("zh", "en")


def published_runs(output: Path) -> list[dict]:
    runs = []
    for metrics_file in output.glob("*/metrics.json"):
        folder = metrics_file.parent
        if folder.name.startswith((".", "_")):
            continue
        doc = json.loads(metrics_file.read_text(encoding="utf-8"))
        runs.append({"folder": folder.name, "doc": doc, "has_pdf": (folder / "report.pdf").exists()})
    return sorted(runs, key=lambda r: r["doc"].get("generated_at", ""), reverse=True)


def run_lang(doc: dict) -> str:
    lang = (doc.get("run") or {}).get("lang") or "zh"
    return lang if lang in LANGS else "en"


def page_langs(runs: list[dict]) -> tuple[str, ...]:
    """The languages the page is written in: the one of all its reports, else zh and en."""
    langs = {run_lang(r["doc"]) for r in runs}
    return (langs.pop(),) if len(langs) == 1 else LANGS


def label(key: str, langs: tuple[str, ...], **values) -> str:
    return " · ".join(dict.fromkeys(t(key, lang, **values) for lang in langs))


def _kpi_cell(doc: dict, key: str, unit: str) -> str:
    cards = {c["kpi"]: c for c in doc.get("sections", {}).get("summary", {}).get("kpis", [])}
    card = cards.get(key)
    if not card or card.get("value") is None:
        return "<td>–</td>"
    unit = card.get("unit") or unit
    loc = Locale(run_lang(doc), doc["run"].get("currency") or "")
    value = loc.value(card["value"], {"money": "money", "pct": "pct"}.get(unit, "int"))
    if unit == "pct":  # a rate changes by points, as on the report's cards
        change, moved = card.get("value_change"), loc.pp(card.get("value_change"))
    else:
        change, moved = card.get("value_change_rel"), loc.change(card.get("value_change_rel"))
    if change is None:
        return f"<td>{html.escape(value)}</td>"
    way = direction(change)
    good = way == "flat" or (way == "up") == bool(card.get("good_when_up", True))
    tone = "flat" if way == "flat" else ("good" if good else "bad")
    return f'<td>{html.escape(value)}<br><small class="{tone}">{html.escape(moved)}</small></td>'


def render_index(runs: list[dict]) -> str:
    langs = page_langs(runs)
    periods: dict[str, list[dict]] = {}
    for r in runs:
        periods.setdefault(r["doc"]["run"].get("period") or "?", []).append(r)
    heads = "".join(f"<th>{html.escape(h)}</th>" for h in (
        label("report.index_report", langs), label("report.slice", langs),
        *(label(f"kpi.{k}", langs) for k, _ in INDEX_KPIS), label("report.generated_at", langs),
        label("report.index_files", langs)))
    parts = []
    for period in sorted(periods, reverse=True):
        rows = []
        for r in periods[period]:
            run, lang = r["doc"]["run"], run_lang(r["doc"])
            slice_text = ", ".join(f"{k}={v}" for k, v in (run.get("slice") or {}).items()) or t("report.all_data", lang)
            folder = html.escape(r["folder"])
            links = f'<a href="{folder}/report.html">HTML</a>'
            if r["has_pdf"]:
                links += f' · <a href="{folder}/report.pdf">PDF</a>'
            kpis = "".join(_kpi_cell(r["doc"], k, u) for k, u in INDEX_KPIS)
            rows.append(
                f'<tr lang="{HTML_LANG[lang]}"><td>{html.escape(run.get("title") or r["folder"])}<br><small>{folder}</small></td>'
                f"<td>{html.escape(slice_text)}</td>{kpis}"
                f"<td>{html.escape(r['doc'].get('generated_at', '')[:16].replace('T', ' '))}</td><td>{links}</td></tr>"
            )
        parts.append(f'<h2>{html.escape(period)}</h2><div class="scroll"><table><thead><tr>{heads}</tr></thead>'
                     f"<tbody>{''.join(rows)}</tbody></table></div>")
    intro = label("report.index_count", langs, n=len(runs)) if runs else label("report.index_empty", langs)
    title = label("report.index_title", langs)
    return f"""<!doctype html><html lang="{HTML_LANG[langs[0]]}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>body{{font-family:{FONT_STACKS.get(langs[0], FONT_STACKS["en"])};margin:2rem;color:#222}}
.scroll{{overflow-x:auto;margin-bottom:2rem}}table{{border-collapse:collapse;width:100%;font-size:.9rem}}
th,td{{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top;min-width:4.5em}}td:first-child{{min-width:8em}}td:nth-child(n+3){{white-space:nowrap}}
th{{background:#f4f6f8}}small{{color:#666}}small.good{{color:#1a8a4a}}small.bad{{color:#c0392b}}h1{{font-weight:600}}
@media (max-width:600px){{body{{margin:1rem}}h1{{font-size:1.4rem}}}}</style></head>
<body><h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>{"".join(parts)}</body></html>"""


def write_index(output: Path) -> Path:
    page = render_index(published_runs(output))
    path = output / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
