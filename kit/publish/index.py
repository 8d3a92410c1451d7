"""``output/index.html``: every published run, newest first, grouped by period."""

from __future__ import annotations

import html
import json
from pathlib import Path

from kit.i18n.numbers import fmt_change, fmt_int, fmt_money, fmt_pct

INDEX_KPIS = (("gmv", "GMV", "money"), ("paid_orders", "Orders", "int"), ("active_customers", "Active", "int"),
              ("aov", "AOV", "money"), ("visit_to_pay", "Visit→pay", "pct"))


def published_runs(output: Path) -> list[dict]:
    runs = []
    for metrics_file in output.glob("*/metrics.json"):
        folder = metrics_file.parent
        if folder.name.startswith((".", "_")):
            continue
        doc = json.loads(metrics_file.read_text(encoding="utf-8"))
        runs.append({"folder": folder.name, "doc": doc, "has_pdf": (folder / "report.pdf").exists()})
    return sorted(runs, key=lambda r: r["doc"].get("generated_at", ""), reverse=True)


def _kpi_cell(doc: dict, key: str, unit: str) -> str:
    cards = {c["kpi"]: c for c in doc.get("sections", {}).get("summary", {}).get("kpis", [])}
    card = cards.get(key)
    if not card or card.get("value") is None:
        return "<td>–</td>"
    currency = doc["run"].get("currency") or ""
    value = {"money": lambda v: fmt_money(v, currency), "int": fmt_int, "pct": fmt_pct}[unit](card["value"])
    change = fmt_change(card.get("value_change_rel")) if card.get("value_change_rel") is not None else ""
    return f"<td>{html.escape(value)}<br><small>{html.escape(change)}</small></td>"


def write_index(output: Path) -> Path:
    runs = published_runs(output)
    periods: dict[str, list[dict]] = {}
    for r in runs:
        periods.setdefault(r["doc"]["run"].get("period") or "?", []).append(r)
    parts = []
    for period in sorted(periods, reverse=True):
        rows = []
        for r in periods[period]:
            run = r["doc"]["run"]
            slice_text = ", ".join(f"{k}={v}" for k, v in (run.get("slice") or {}).items()) or "all"
            links = f'<a href="{html.escape(r["folder"])}/report.html">HTML</a>'
            if r["has_pdf"]:
                links += f' · <a href="{html.escape(r["folder"])}/report.pdf">PDF</a>'
            kpis = "".join(_kpi_cell(r["doc"], k, u) for k, _, u in INDEX_KPIS)
            rows.append(
                f"<tr><td>{html.escape(run.get('title') or r['folder'])}<br><small>{html.escape(r['folder'])}</small></td>"
                f"<td>{html.escape(slice_text)}</td>{kpis}"
                f"<td>{html.escape(r['doc'].get('generated_at', '')[:16].replace('T', ' '))}</td><td>{links}</td></tr>"
            )
        heads = "".join(f"<th>{h}</th>" for h in ("Report", "Slice", *(label for _, label, _ in INDEX_KPIS), "Published", "Files"))
        parts.append(f"<h2>{html.escape(period)}</h2><table><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    body = "".join(parts) or "<p>No report published yet: run <code>make report</code>.</p>"
    page = f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>Reports · 报告</title>
<style>body{{font-family:system-ui,"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse;width:100%;margin-bottom:2rem;font-size:.9rem}}th,td{{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}}
th{{background:#f4f6f8}}small{{color:#666}}h1{{font-weight:600}}</style></head>
<body><h1>Published reports · 已发布的报告</h1><p>{len(runs)} report(s), newest first, grouped by period.</p>{body}</body></html>"""
    path = output / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
