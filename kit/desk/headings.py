"""The section headings JupyterLab's table of contents lists before a notebook has run.

A section notebook writes its headings from code, in the run's language
(``nbk.heading(loc.t("profile.h.attributes"), 2)``): the publisher turns those outputs into the
report's numbered headings. Before a notebook runs it has no outputs, so JupyterLab's table of
contents would be empty. Each code cell that writes a heading of level 1 or 2 (the levels the
report numbers) is therefore preceded by a Markdown cell holding the same heading in the
report's default language (Chinese), tagged ``remove_cell`` (the publisher drops it: the report
keeps its translated headings) and ``toc`` (this module rewrites it).

The numbers are JupyterLab's: the notebook's metadata turns its heading numbering on
(``toc-autonumbering``) and starts it at the section's number in the report
(``toc.base_numbering``), counted as the publisher counts: the unnumbered notebooks (the
summary, the introduction, the appendix) take no number, and each level-1 heading after it takes the next number. Its
level-2 headings then read ``2.1``, ``2.2`` ... as in the report. JupyterLab lists the output
headings of a run notebook too; ``kit lab`` turns that off (``includeOutput``), so the table of
contents stays the same before and after a run.

:func:`sync_headings` writes the heading cells from the code, :func:`number_sections` the
numbering from the section order; ``kit toc`` does both, ``kit new-section`` does it for the
notebooks it adds. Headings whose text is computed (an f-string key) are not listed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from kit.desk.notebooks import as_lines, new_cell_id, source_of, tags_of

TOC_TAG = "toc"
REMOVE_TAG = "remove_cell"  # as kit.publish.export.REMOVE_TAG (not imported: it loads nbconvert)
LANG = "zh"
"""The language of the heading cells: the report's default."""
LEVELS = (1, 2)
"""The heading levels the report numbers and lists in its contents."""


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


def heading_calls(source: str, lang: str = LANG) -> list[Heading]:
    """The headings a code cell writes with ``nbk.heading(...)``, in source order, whose text can
    be known without running it: ``loc.t("key")`` (looked up in the translation table),
    ``nbk.in_language(loc, zh=..., en=...)`` or a plain string."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics, or a cell being edited: it writes no heading we can know
        return []
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "heading"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "nbk" and node.args):
            continue
        text = _static_text(node.args[0], lang)
        level = _level(node)
        if text is not None and level in LEVELS:
            found.append((node.lineno, node.col_offset, Heading(level, text)))
    return [h for *_, h in sorted(found, key=lambda f: f[:2])]


def _static_text(node: ast.expr, lang: str) -> str | None:
    from kit.i18n import TEXT, t

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    if node.func.attr == "t" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
        key = node.args[0].value
        return t(key, lang) if isinstance(key, str) and key in TEXT else None
    if node.func.attr == "in_language":
        for keyword in node.keywords:
            if keyword.arg == lang and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                return keyword.value.value
    return None


def _level(call: ast.Call) -> int | None:
    arg = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "level"), None)
    if arg is None:
        return 1
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, int) else None


def heading_markdown(headings: list[Heading]) -> str:
    """The Markdown of a heading cell (the text escaped as the report escapes it)."""
    from kit.notebook import as_markdown

    return "\n\n".join(f"{'#' * h.level} {as_markdown(h.text)}" for h in headings)


def heading_cell(headings: list[Heading], cell_id: str | None = None) -> dict:
    return {"cell_type": "markdown", "id": cell_id or new_cell_id(),
            "metadata": {"tags": [REMOVE_TAG, TOC_TAG]}, "source": as_lines(heading_markdown(headings))}


def is_heading_cell(cell: dict) -> bool:
    return cell.get("cell_type") == "markdown" and TOC_TAG in tags_of(cell)


def sync_headings(nb: dict) -> dict:
    """``nb`` with one heading cell before each code cell that writes a level-1 or level-2
    heading, and no other: heading cells the code no longer writes are dropped, a heading cell
    already in place keeps its id."""
    old = [c for c in nb["cells"] if is_heading_cell(c)]
    ids_by_source: dict[str, list[str]] = {}
    for cell in old:
        ids_by_source.setdefault(source_of(cell), []).append(cell["id"])
    cells = []
    for cell in nb["cells"]:
        if is_heading_cell(cell):
            continue
        if cell.get("cell_type") == "code":
            headings = heading_calls(source_of(cell))
            if headings:
                text = heading_markdown(headings)
                reused = ids_by_source.get(text, [])
                cells.append(heading_cell(headings, reused.pop(0) if reused else None))
        cells.append(cell)
    return {**nb, "cells": cells}


def level_one_count(nb: dict) -> int:
    """How many level-1 headings the notebook's code writes (each is a section number)."""
    return sum(h.level == 1 for c in nb["cells"] if c.get("cell_type") == "code"
               for h in heading_calls(source_of(c)))


def section_numbers(notebooks: list[tuple[str, dict]], unnumbered: set[str] | None = None) -> dict[str, int | None]:
    """The number of the first level-1 heading of each notebook (``stem -> n``), in report order,
    as the publisher numbers them: the notebooks of ``unnumbered`` (sections.yaml's ``numbered:
    false``: the summary, the introduction, the appendix) have none; by default the first one."""
    if unnumbered is None:
        unnumbered = {notebooks[0][0]} if notebooks else set()
    numbers: dict[str, int | None] = {}
    count = 0
    for stem, nb in notebooks:
        if stem in unnumbered:
            numbers[stem] = None
            continue
        numbers[stem] = count + 1
        count += level_one_count(nb)
    return numbers


def number_section(nb: dict, number: int | None) -> dict:
    """``nb`` with JupyterLab's heading numbering starting at ``number`` (off when None)."""
    metadata = dict(nb.get("metadata", {}))
    toc = {k: v for k, v in dict(metadata.get("toc", {})).items() if k != "base_numbering"}
    if number is None:
        metadata.pop("toc-autonumbering", None)
    else:
        metadata["toc-autonumbering"] = True
        toc["base_numbering"] = number
    if toc:
        metadata["toc"] = toc
    else:
        metadata.pop("toc", None)
    return {**nb, "metadata": metadata}


def takes_part(nb: dict) -> bool:
    """Whether a notebook follows the heading convention (it has heading cells or numbering):
    ``kit toc`` keeps those up to date and leaves the others alone."""
    return any(is_heading_cell(c) for c in nb["cells"]) or "toc-autonumbering" in nb.get("metadata", {})


def problems(nb: dict, number: int | None) -> list[str]:
    """How ``nb`` differs from its synced and numbered self (empty: up to date)."""
    expected = number_section(sync_headings(nb), number)
    found = []
    have = [source_of(c) for c in nb["cells"] if is_heading_cell(c)]
    want = [source_of(c) for c in expected["cells"] if is_heading_cell(c)]
    if have != want or [is_heading_cell(c) for c in nb["cells"]] != [is_heading_cell(c) for c in expected["cells"]]:
        found.append(f"heading cells {have} should be {want}, each before the cell that writes it")
    for key in ("toc-autonumbering", "toc"):
        if nb.get("metadata", {}).get(key) != expected["metadata"].get(key):
            found.append(f"metadata {key} is {nb.get('metadata', {}).get(key)!r}, should be "
                         f"{expected['metadata'].get(key)!r}")
    return found

