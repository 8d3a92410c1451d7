"""From executed section notebooks to the run's report files: report.html and metrics.json.

Section notebooks write their headings and narrative from code (the language is a
parameter), as Markdown display outputs. Before export those outputs become Markdown
cells, so that the report's headings, numbering and table of contents treat them like
headings an analyst typed.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path

import nbformat

from kit import __version__
from kit.figures.schema import SCHEMA_VERSION, validate_metrics
from kit.i18n import t
from kit.run import Run

SHELL_LABELS = ("toc", "period", "comparison", "slice", "generated_at", "kit_version", "fingerprint",
                "quality_title", "quality_none", "quality_level", "quality_table", "quality_check",
                "quality_count", "quality_message", "page", "figure", "colon", "close")


def markdown_outputs_to_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Split code cells so that each Markdown display output becomes a Markdown cell in place."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        pending = []
        for out in cell.get("outputs", []):
            data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
            if "text/markdown" in data and "text/html" not in data:
                if pending:
                    cells.append(nbformat.v4.new_code_cell(cell.source, outputs=pending, metadata=cell.metadata))
                    pending = []
                cells.append(nbformat.v4.new_markdown_cell(data["text/markdown"]))
            else:
                pending.append(out)
        cells.append(nbformat.v4.new_code_cell(cell.source, outputs=pending, metadata=cell.metadata))
    nb.cells = cells
    return nb


def report_meta(run: Run) -> dict:
    meta = run.meta
    lang = run.locale.lang
    slice_text = ", ".join(f"{k} = {v}" for k, v in run.params.slice.items()) or t("report.all_data", lang)
    return {
        "title": run.params.title or t("report.default_title", lang),
        "period": f"{meta['period']} ({meta['period_start']} – {meta['period_end']})",
        "comparison": meta["comparison"] or t("report.no_comparison", lang),
        "slice": slice_text,
        "generated_at": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "kit_version": __version__,
        "fingerprint": meta["fingerprint"],
        "lang": lang,
        "quality": [q for q in run.quality if q["level"] in ("warning", "error", "info")],
        "labels": {k: t(f"report.{k}", lang) for k in SHELL_LABELS},
    }


APPENDIX = "99_appendix"
"""The section notebook that shows the data-quality notes (with the glossary): when the report
has it, the export template's own data-quality block is left out."""


def assemble(run: Run, notebooks: list[Path], out_dir: Path, anchors: list[str | None] | None = None) -> Path:
    """Build ``out_dir/report.html`` from the executed notebooks, in report order; ``anchors``:
    per notebook, the id prefix of an unnumbered one's headings, None for a numbered one
    (default: the first unnumbered, see :func:`kit.publish.export.number_headings`)."""
    from kit.publish.export import build_report

    with tempfile.TemporaryDirectory() as tmp:
        prepared = []
        for path in notebooks:
            nb = markdown_outputs_to_cells(nbformat.read(path, as_version=4))
            target = Path(tmp) / path.name
            nbformat.write(nb, target)
            prepared.append(target)
        meta = report_meta(run) | {"quality_block": not any(Path(p).stem == APPENDIX for p in notebooks)}
        return build_report(prepared, meta, out_dir / "report.html", anchors)


def write_metrics(run: Run, path: Path, timings: dict | None = None, failed_sections: list[dict] = ()) -> None:
    """``metrics.json``: every headline figure of every section, with the run's identity, and the
    analyst's own sections that failed and were left out of the report (``failed_sections``)."""
    meta = run.meta
    doc = {
        "schema_version": SCHEMA_VERSION,
        "run": {k: meta.get(k) for k in ("run_name", "title", "period", "period_start", "period_end", "comparison",
                                         "slice", "lang", "currency", "fingerprint", "kit_version")},
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "sections": run.metrics(),
        "timings_seconds": {k: round(v, 2) for k, v in (timings or {}).items()},
        "failed_sections": list(failed_sections),
    }
    validate_metrics(doc)  # a key the schema does not define fails here, not in a dashboard
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
