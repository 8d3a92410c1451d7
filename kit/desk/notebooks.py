"""Section notebooks as JSON, read and written byte for byte as nbformat writes them.

The kit edits committed notebooks (heading cells, numbering, a new section from its template).
Going through plain JSON with nbformat's layout (sorted keys, one-space indent, UTF-8 text,
a final newline) changes only what the edit changes: a diff shows the new cells and nothing
else, and existing cell ids stay as they are.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from kit.errors import KitError


def read_notebook(path: Path) -> dict:
    """The notebook at ``path`` as a dict; a file that is not a notebook is a :class:`KitError`."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(f"{path}: no such notebook.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise KitError(f"{path}: not a notebook (not valid JSON: {e}); restore it from git or JupyterLab's "
                       "checkpoint.") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise KitError(f"{path}: not a notebook (no cells list).")
    return nb


def notebook_text(nb: dict) -> str:
    """The file's text as nbformat writes it."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def write_notebook(nb: dict, path: Path) -> bool:
    """Write ``nb`` to ``path`` (aside, then renamed: JupyterLab never reads half a file); False,
    and nothing written, when the file already holds exactly that text."""
    path = Path(path)
    text = notebook_text(nb)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)
    return True


def new_cell_id() -> str:
    """A cell id of the form the committed notebooks use (8 hex digits)."""
    return uuid.uuid4().hex[:8]


def source_of(cell: dict) -> str:
    """A cell's source as one string (nbformat stores it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def as_lines(text: str) -> list[str]:
    """``text`` as nbformat stores a source: lines keeping their newline, the last without."""
    return text.splitlines(keepends=True)


def tags_of(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))
