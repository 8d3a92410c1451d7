"""What the report shows in place of an analyst's own section that failed.

When an own section fails (and the params are not ``strict``), :mod:`kit.publish.batch` publishes
the run anyway. The report then holds, where the section would be, the section's heading and a
visible note (the ``kit-missing`` block the report already shows for a figure whose data is
missing) that names the notebook, the cell and the reason and says what to do. The heading is
the one the notebook wrote before it failed, so the section keeps its number and its line in the
table of contents; a notebook that failed before writing it is headed by its name.

The executed notebook, with its traceback, stays in the run's ``notebooks/`` folder for the
analyst; the note is a notebook of its own, written beside the run's work files.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from kit.i18n import Locale

_LEVEL_ONE = re.compile(r"^# \S")


def failed_section_notebook(executed: Path, failure: dict, loc: Locale, folder: Path) -> Path:
    """Write the note notebook that replaces the failed section ``executed`` in the report (into
    ``folder``, under the section's name) and return its path. ``failure`` is
    :meth:`kit.publish.batch.SectionFailed.record`."""
    from kit.display import missing_html
    from kit.notebook import as_markdown

    stem = failure["notebook"]
    heading = _written_heading(executed) or f"# {as_markdown(stem)}"
    where = loc.t("section_failed.cell", cell=failure["cell"]) if failure.get("cell") else ""
    note = loc.t("section_failed.note", notebook=f"{stem}.ipynb", where=where, reason=failure["reason"])
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(heading),
        nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": missing_html(note), "text/plain": note})]),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}.ipynb"
    nbformat.write(nb, target)
    return target


def _written_heading(executed: Path) -> str | None:
    """The first level-1 heading the notebook wrote (a Markdown output of ``nbk.heading``)."""
    if not executed.exists():
        return None
    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception:  # noqa: BLE001 - a notebook papermill could not finish writing: use the name
        return None
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = out.get("data", {}).get("text/markdown", "") if out.get("output_type") == "display_data" else ""
            text = "".join(text) if isinstance(text, list) else text
            if _LEVEL_ONE.match(text):
                return text.splitlines()[0]
    return None


def drop_failed_metrics(work: Path, stem: str) -> None:
    """Remove what the failed section recorded for ``metrics.json`` (its ``sections.custom`` entry,
    named as the section): figures of a section that did not finish are not published."""
    (work / "metrics" / "custom" / f"{stem}.json").unlink(missing_ok=True)
