"""The report files a stakeholder opens: one self-contained ``report.html`` and its A4 ``report.pdf``.

``build_report`` merges the executed section notebooks into one notebook and exports it with
nbconvert's HTMLExporter and the kit's own template (``templates/kit_report``, which extends
nbconvert's ``lab`` template): code hidden, prompts hidden, stderr dropped, cells tagged
``remove_cell`` dropped, images inline, no script or stylesheet from another host. Headings are
numbered on the Markdown before export (the summary notebook is not numbered; then ``1``, ``1.1``,
``2`` ...) and each gets a stable id (``sec-1``, ``sec-1-1``, ``summary``), which the table of
contents links to.

The page embeds its own CJK font (``embed_font``: the glyphs it uses, cut from the installed Noto
Sans CJK as TrueType; see ``kit.publish.fonts``), so that Chromium's PDF holds the Chinese text in
real embedded CID fonts rather than Type 3 glyph procedures.

``print_pdf`` prints the HTML with one headless Chromium (``kit.publish.browser``), twice: the
second print carries the table of contents' page numbers, read from the first (``number_toc_pages``).
Pagination (chapters, headings kept with what follows, charts with their reading, findings two to
a page) is the print stylesheet's. The page footer (title, period, slice, "page n of m", on every
page but the cover) is not stamped afterwards: it is in the report's own print stylesheet as CSS
page-margin boxes (``@page { @bottom-right { content: counter(page) } }``), which Chromium prints
since version 131. So the footer uses the same fonts as the page, its text is real text, the
document outline Chromium makes is untouched, and printing the HTML from a browser gives the same
footer. One pass over the printed PDF then repairs its text layer (see ``repair_cjk_text``).

``check_html`` and ``check_pdf`` list what is wrong with a published file (empty list = fine).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import unicodedata
import uuid
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from kit.errors import KitError
from kit.i18n import t
from kit.publish.browser import CHROMIUM_INSTALL

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "kit_report"
REMOVE_TAG = "remove_cell"
# "Kit CJK" is the report's own subset of Noto Sans CJK, embedded by build_report (see kit.publish.fonts)
CJK_FONTS = '"Kit CJK", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei"'
# English reports still show Chinese slice values (e.g. region 华东), so CJK fonts stay in the stack
FONT_STACKS = {
    "zh": f"{CJK_FONTS}, sans-serif",
    "en": f'"Helvetica Neue", Arial, "Liberation Sans", {CJK_FONTS}, sans-serif',
}
HTML_LANG = {"zh": "zh-CN", "en": "en"}
# The report runs no script (the contents' button is CSS) and loads nothing: images and fonts
# are data: URIs, styles inline (pandas and the kit's tables carry style attributes, hence
# 'unsafe-inline' for styles only). frame-ancestors cannot be set from a <meta>.
CSP = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
       "base-uri 'none'; form-action 'none'")
PDF_TIMEOUT_SECONDS = 180
A4_POINTS = (595.28, 841.89)

_ATX_HEADING = re.compile(r"^(#{1,2})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


# ---------------------------------------------------------------- HTML


def build_report(notebooks: list[Path], meta: dict, out_html: Path, anchors: list[str | None] | None = None) -> Path:
    """Write one self-contained HTML report from the executed section notebooks, in report order.

    The first notebook is the executive summary (its headings are not numbered); ``anchors`` may
    name others that are not (see ``number_headings``). ``meta`` carries the cover fields,
    ``lang``, ``quality`` rows, ``quality_block`` (False: an appendix notebook shows them) and
    translated ``labels`` (see ``report_meta``).
    """
    from nbconvert import HTMLExporter

    parts = [nbformat.read(Path(p), as_version=4) for p in notebooks]
    for nb in parts:
        drop_removed_cells(nb)
        drop_stderr(nb)
    toc = number_headings(parts, anchors)
    describe_images(parts, meta["labels"])
    merged = merge_notebooks(parts, meta["title"])
    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name=TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_raw=True,
        exclude_anchor_links=True,
    )
    body, _ = exporter.from_notebook_node(merged, resources={"kit": template_values(meta, toc)})
    body = embed_font(body)
    out_html = Path(out_html)
    _write_atomically(out_html, body.encode("utf-8"))
    return out_html


FONT_FACE_MARK = "/* kit: @font-face */"
_DATA_URI = re.compile(r"data:[^\"')\s]+")


def embed_font(page: str) -> str:
    """Put the ``@font-face`` rules of the report's CJK font (only the glyphs this page uses) in
    place of the template's mark. The characters are read from the whole page (text, generated
    CSS content, footer strings), less its data URIs."""
    from kit.publish.fonts import font_face_css

    text = html.unescape(_DATA_URI.sub("", page))
    return page.replace(FONT_FACE_MARK, font_face_css(text), 1)


def drop_removed_cells(nb: nbformat.NotebookNode) -> None:
    """Remove cells tagged ``remove_cell`` (before numbering, so that they take no number)."""
    from nbconvert.preprocessors import TagRemovePreprocessor

    TagRemovePreprocessor(remove_cell_tags={REMOVE_TAG}, enabled=True)(nb, {})


def drop_stderr(nb: nbformat.NotebookNode) -> None:
    """Remove stderr stream outputs: warnings and logs are for the analyst, not the reader. Code
    cells left without output are removed too: their input is hidden, so they show nothing, and
    as empty boxes they would stand between a chart and its text (the print stylesheet keeps
    neighbouring cells together) or take a blank page of their own."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.outputs]


def number_headings(notebooks: list[nbformat.NotebookNode], anchors: list[str | None] | None = None) -> list[dict]:
    """Number the level-1 and level-2 Markdown headings in place; return the table of contents.

    ``anchors`` gives, per notebook, the id prefix of an unnumbered notebook (``summary``,
    ``intro``, ``appendix``) or None for a numbered one; by default the first notebook (the
    executive summary) is unnumbered as ``summary`` and the others numbered. An unnumbered
    notebook's headings get ids ``<prefix>``, ``<prefix>-2`` ... The others: level 1 -> ``1``,
    ``2`` ... (id ``sec-1``), level 2 -> ``1.1``, ``1.2`` ... (id ``sec-1-1``). Ids come from
    the numbers, so they are unique, stable and ASCII even for Chinese headings. Each entry:
    level, number ("" when unnumbered), id, text.
    """
    if anchors is None:
        anchors = ["summary"] + [None] * (len(notebooks) - 1)
    toc: list[dict] = []
    n1 = 0
    n2 = 0
    unnumbered_count: dict[str, int] = {}
    for index, nb in enumerate(notebooks):
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            lines = cell.source.split("\n")
            in_fence = False
            for i, line in enumerate(lines):
                if _FENCE.match(line):
                    in_fence = not in_fence
                    continue
                match = None if in_fence else _ATX_HEADING.match(line)
                if not match:
                    continue
                marks, text = match.group(1), match.group(2)
                level = len(marks)
                prefix = anchors[index]
                if prefix is not None:
                    count = unnumbered_count[prefix] = unnumbered_count.get(prefix, 0) + 1
                    number = ""
                    anchor = prefix if count == 1 else f"{prefix}-{count}"
                elif level == 1:
                    n1, n2 = n1 + 1, 0
                    number, anchor = str(n1), f"sec-{n1}"
                else:
                    n2 += 1
                    number, anchor = f"{n1}.{n2}", f"sec-{n1}-{n2}"
                number_html = f'<span class="secno">{number}</span> ' if number else ""
                lines[i] = f'{marks} <span class="kit-anchor" id="{anchor}"></span>{number_html}{text}'
                toc.append({"level": level, "number": number, "id": anchor, "text": heading_text(text)})
            cell.source = "\n".join(lines)
    return toc


IMAGE_TYPES = ("image/png", "image/jpeg")
_ANY_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")


def describe_images(notebooks: list[nbformat.NotebookNode], labels: dict) -> None:
    """Give every image output without an alt text one in the report's language: "图表：<the
    heading it is under>" ("Chart: ..."), or "图表" before any heading. Charts drawn by the kit
    carry their title as alt (output metadata ``{"image/png": {"alt": ...}}``) and keep it."""
    heading = ""
    for nb in notebooks:
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                found = _headings_in(cell.source)
                heading = heading_text(found[-1]) if found else heading
                continue
            for out in cell.get("outputs", []):
                for mime in IMAGE_TYPES:
                    if mime in out.get("data", {}):
                        meta = out.setdefault("metadata", {}).setdefault(mime, {})
                        if not str(meta.get("alt") or "").strip():
                            meta["alt"] = f"{labels['figure']}{labels['colon']}{heading}" if heading else labels["figure"]


def _headings_in(markdown: str) -> list[str]:
    """The Markdown of the ATX headings (any level) of a cell, outside fenced code."""
    found, in_fence = [], False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _ANY_HEADING.match(line)):
            found.append(match.group(1))
    return found


def heading_text(markdown: str) -> str:
    """The plain text of a Markdown heading, for the table of contents."""
    text = re.sub(r"<[^>]+>", "", markdown)
    text = re.sub(r"\\(.)", r"\1", re.sub(r"(\*\*|__|`|(?<!\\)\*)", "", text))
    return html.unescape(text).strip()


def merge_notebooks(notebooks: list[nbformat.NotebookNode], title: str) -> nbformat.NotebookNode:
    """One notebook holding every cell in order; cell ids renumbered so that they stay unique."""
    merged = nbformat.v4.new_notebook()
    merged.metadata = dict(notebooks[0].metadata) if notebooks else {}
    merged.metadata["title"] = title
    for index, nb in enumerate(notebooks):
        for k, cell in enumerate(nb.cells):
            cell["id"] = f"s{index}-c{k}"
            merged.cells.append(cell)
    return merged


def template_values(meta: dict, toc: list[dict]) -> dict:
    """What the template shows: the cover fields, toc, quality rows, fonts and footer text."""
    lang = meta["lang"]
    labels = meta["labels"]
    footer = " · ".join(str(meta[k]) for k in ("title", "period", "slice") if meta.get(k))
    quality = [{**q, "count": "–" if q.get("count") is None else f"{q['count']:,}"} for q in meta.get("quality", [])]
    return {
        **{k: meta.get(k, "") for k in ("title", "period", "comparison", "slice", "generated_at",
                                        "kit_version", "fingerprint")},
        "labels": labels,
        "toc": toc,
        "quality": quality,
        "quality_block": meta.get("quality_block", True),
        "html_lang": HTML_LANG.get(lang, lang),
        "csp": CSP,
        "font_stack": FONT_STACKS.get(lang, FONT_STACKS["en"]),
        "footer_left_css": css_string(footer),
        "footer_right_css": page_counter_css(labels["page"]),
    }


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (safe inside a ``<style>`` element)."""
    escaped = "".join(c if c.isalnum() or c in " ·-_.,:;()/=+%&@#!?'" or ord(c) > 127 else f"\\{ord(c):x} "
                      for c in str(text).replace("\n", " "))
    return f'"{escaped}"'


def page_counter_css(template: str) -> str:
    """A page label such as "第 {page} 页 / 共 {pages} 页" as CSS ``content`` with page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", template)
    css = []
    for part in parts:
        if part == "{page}":
            css.append("counter(page)")
        elif part == "{pages}":
            css.append("counter(pages)")
        elif part:
            css.append(css_string(part))
    return " ".join(css)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------- PDF


def print_pdf(html_path: Path, pdf: Path, header: dict | None = None) -> Path:
    """Print the report HTML to an A4 PDF with headless Chromium; returns the PDF path.

    One Chromium (``kit.publish.browser``) loads the page and prints it, scales the summary
    down when it ran over its page (``fit_summary``), then prints it again with the table of
    contents' page numbers (``number_toc_pages``). The footer comes from the
    HTML's print stylesheet (written by ``build_report``). ``header`` (title, period, slice, lang;
    as ``kit.publish.batch`` passes it) is optional: when given, the printed PDF must show its
    title in the footer of every page after the cover, otherwise a KitError says that this
    Chromium does not print page-margin boxes.
    """
    from kit.publish.browser import Browser, find_chromium

    chromium = find_chromium()
    pdf = Path(pdf)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    raw = pdf.with_name(f".{pdf.name}.{uuid.uuid4().hex[:8]}.raw")
    tmp = pdf.with_name(f".{pdf.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with Browser(chromium, timeout=PDF_TIMEOUT_SECONDS) as browser:
            page = browser.page()
            page.open(Path(html_path))
            page.print_pdf(raw)
            fit_summary(page, raw)
            number_toc_pages(page, raw)
        repair_cjk_text(raw, tmp)
        if header and header.get("title"):
            missing = _pages_without(tmp, header["title"])
            if missing:
                raise KitError(f"the PDF has no footer on page(s) {missing[:5]}: Chromium 131 or newer is needed "
                               f"to print page footers ({CHROMIUM_INSTALL})")
        os.replace(tmp, pdf)
    finally:
        raw.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return pdf


SUMMARY_ZOOMS = (0.92, 0.85, 0.78)
"""The scales tried, in turn, on a summary that runs over its page (below ~0.78 its text would
be smaller than a footnote's)."""
_ZOOM_SUMMARY = """(zoom => {
  const anchor = document.getElementById('summary');
  let cell = anchor && anchor.closest('.jp-Cell');
  while (cell) {
    cell.style.zoom = zoom;
    cell = cell.nextElementSibling;
    if (cell && cell.querySelector('h1')) break;
  }
})(%s)"""


def fit_summary(page, pdf: Path) -> float:
    """Print ``page`` again over ``pdf`` with the executive summary scaled down until it fits its
    one page (a director reads it as one page; a long finding title or a fourth action line may
    push its last table over). ``pdf`` is the first print: the summary runs over when the next
    chapter does not start on the page after the summary's. Returns the scale used (1.0: as it
    was; the smallest of ``SUMMARY_ZOOMS`` is kept even if the summary still runs over)."""
    chapters = page.evaluate("JSON.stringify([...document.querySelectorAll('nav.kit-toc li.toc-h1 > a')]"
                             ".map(a => a.getAttribute('href').slice(1)))")
    chapters = json.loads(chapters) if chapters else []

    def overflows() -> bool:
        pages = destination_pages(pdf)
        after = sorted(pages[c] for c in chapters if c in pages and pages[c] > pages["summary"])
        return bool(after) and after[0] > pages["summary"] + 1

    if "summary" not in destination_pages(pdf) or not overflows():
        return 1.0
    for zoom in SUMMARY_ZOOMS:
        page.evaluate(_ZOOM_SUMMARY % zoom)
        page.print_pdf(pdf)
        if not overflows():
            return zoom
    return SUMMARY_ZOOMS[-1]


TOC_PASSES = 3
_FILL_TOC = """(pages => {
  for (const box of document.querySelectorAll('.kit-toc-page[data-for]'))
    box.textContent = pages[box.dataset.for] ?? '';
})(%s)"""


def number_toc_pages(page, pdf: Path) -> dict[str, int]:
    """Print ``page`` again over ``pdf`` with the page of each heading in the table of contents.

    Chromium prints no CSS ``target-counter()``, but the PDF it prints names each link target
    (``/Dests``: id -> page). The numbers read from the first print go into the contents' empty
    page boxes (``.kit-toc-page[data-for=id]``), and the page is printed again. The boxes are as
    wide empty as filled, so nothing moves; the second print is checked, and printed once more
    if the pages did move (a KitError after ``TOC_PASSES`` prints). Returns id -> page; prints
    nothing when the page has no such boxes.
    """
    if not page.evaluate("document.querySelectorAll('.kit-toc-page[data-for]').length"):
        return {}
    pages = destination_pages(pdf)
    for _ in range(TOC_PASSES - 1):
        page.evaluate(_FILL_TOC % json.dumps(pages))
        page.print_pdf(pdf)
        again = destination_pages(pdf)
        if again == pages:
            return pages
        pages = again
    raise KitError(f"the table of contents' page numbers did not settle after {TOC_PASSES} prints")


def destination_pages(pdf: Path) -> dict[str, int]:
    """Named destination -> page number (1-based) in a PDF printed by Chromium, which names the
    element of every in-page link target by its id."""
    from urllib.parse import unquote

    import pikepdf

    with pikepdf.open(pdf) as document:
        number = {page.objgen: n for n, page in enumerate(document.pages, start=1)}
        found = {}
        dests = document.Root.get("/Dests")
        if dests is not None:
            for key, dest in dests.items():
                found[unquote(key[1:])] = number.get(dest[0].objgen)
        names = document.Root.get("/Names")
        if names is not None and "/Dests" in names:
            for key, dest in pikepdf.NameTree(names.Dests).items():
                dest = dest.get("/D", dest) if isinstance(dest, pikepdf.Dictionary) else dest
                found[unquote(str(key))] = number.get(dest[0].objgen)
    return {k: v for k, v in found.items() if v is not None}


def repair_cjk_text(src: Path, dst: Path) -> None:
    """Copy the PDF, fixing the text layer so that Chinese copies and searches as written.

    Noto Sans CJK draws 页 and the radical ⻚ (U+2EDA) with one glyph; Chromium's font subsetter
    maps each glyph back to its lowest code point, so the PDF's ToUnicode map says ⻚, 一 reads as
    ⼀ (U+2F00) and so on: the page looks right but copy, search and text extraction get radicals.
    Radicals never appear in report text, so every radical in a ToUnicode map is replaced by the
    ideograph that shares its glyph. Pages, fonts and the outline are copied unchanged.

    With the report's own embedded font (``embed_font``) there is nothing to fix: its character
    map holds only the characters the report uses, no radical (demo report: 0 of 3 ToUnicode maps
    changed, against 50 of 248 with the system font). The pass stays for a page printed without
    it (no Noto CJK installed: the system's CJK font is used); it costs ~0.05 s.
    """
    import pikepdf

    mapping = radical_to_ideograph()
    with pikepdf.open(src) as document:
        done: set[tuple[int, int]] = set()
        for page in document.pages:
            for font in _fonts(page.obj.get("/Resources"), set()):
                cmap = font.get("/ToUnicode")
                if cmap is None or cmap.objgen in done:
                    continue
                done.add(cmap.objgen)
                text = cmap.read_bytes().decode("latin-1")
                fixed = remap_to_unicode_cmap(text, mapping)
                if fixed != text:
                    cmap.write(fixed.encode("latin-1"))
        document.save(dst)


def _fonts(resources, seen: set):
    """Every font dictionary under a pikepdf resources dictionary, including inside form XObjects."""
    if resources is None:
        return
    yield from resources.get("/Font", {}).values()
    for xobject in resources.get("/XObject", {}).values():
        key = xobject.objgen if xobject.is_indirect else id(xobject)
        if key in seen:
            continue
        seen.add(key)
        if "/Resources" in xobject:
            yield from _fonts(xobject.Resources, seen)


_BFCHAR = re.compile(r"(\d+\s+beginbfchar)(.*?)(endbfchar)", re.S)
_BFRANGE = re.compile(r"\d+\s+beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(r"<([0-9A-Fa-f]+)>")


def remap_to_unicode_cmap(cmap: str, mapping: dict[int, int]) -> str:
    """Rewrite a ToUnicode CMap so that no code maps to a code point in ``mapping``.

    bfchar entries are edited in place; a bfrange that starts a run of code points containing one
    is spelled out as bfchar entries (a range cannot skip a code point).
    """
    def fix_target(hex_text: str) -> str:
        chars = bytes.fromhex(hex_text).decode("utf-16-be", errors="surrogatepass")
        fixed = "".join(chr(mapping.get(ord(c), ord(c))) for c in chars)
        return fixed.encode("utf-16-be", errors="surrogatepass").hex().upper()

    def fix_bfchar(m: re.Match) -> str:
        body = re.sub(r"(<[0-9A-Fa-f]+>\s*)<([0-9A-Fa-f]+)>",
                      lambda e: f"{e.group(1)}<{fix_target(e.group(2))}>", m.group(2))
        return f"{m.group(1)}{body}{m.group(3)}"

    cmap = _BFCHAR.sub(fix_bfchar, cmap)
    extra: list[tuple[str, str]] = []

    def fix_bfrange(m: re.Match) -> str:
        kept = []
        for line in m.group(1).strip().splitlines():
            values = _HEX.findall(line)
            if len(values) != 3 or "[" in line:
                kept.append(line)
                continue
            lo, hi, start = int(values[0], 16), int(values[1], 16), int(values[2], 16)
            width = len(values[0])
            targets = range(start, start + hi - lo + 1)
            if any(t in mapping for t in targets):
                extra.extend((f"{lo + k:0{width}X}", fix_target(f"{t:04X}")) for k, t in enumerate(targets))
            else:
                kept.append(line)
        if not kept:
            return ""
        return f"{len(kept)} beginbfrange\n" + "\n".join(kept) + "\nendbfrange"

    cmap = _BFRANGE.sub(fix_bfrange, cmap)
    if extra:
        blocks = [extra[i:i + 100] for i in range(0, len(extra), 100)]  # at most 100 per block (CMap rule)
        text = "".join(f"{len(b)} beginbfchar\n" + "\n".join(f"<{c}> <{u}>" for c, u in b) + "\nendbfchar\n"
                       for b in blocks)
        cmap = cmap.replace("endcmap", text + "endcmap", 1)
    return cmap


@lru_cache(maxsize=1)
def radical_to_ideograph() -> dict[int, int]:
    """Kangxi and CJK-supplement radicals -> the CJK ideograph drawn with the same glyph.

    Kangxi radicals (U+2F00..U+2FD5) decompose to their ideograph in Unicode (NFKC). Most of the
    supplement (U+2E80..U+2EF3, e.g. ⻚ -> 页) does not, so those pairs are read from the installed
    Noto Sans CJK SC: the ideograph whose cmap entry points to the radical's glyph.
    """
    mapping = {}
    for cp in range(0x2E80, 0x2FE0):
        folded = unicodedata.normalize("NFKC", chr(cp))
        if folded != chr(cp) and len(folded) == 1:
            mapping[cp] = ord(folded)
    mapping.update(_radicals_from_font("Noto Sans CJK SC"))
    return mapping


def _radicals_from_font(family: str) -> dict[int, int]:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return {}
    try:
        from fontTools.ttLib import TTFont

        found = subprocess.run([fc_match, "--format=%{file}\n%{index}", family], capture_output=True,
                               text=True, timeout=30).stdout.split("\n")
        font = TTFont(found[0], fontNumber=int(found[1] or 0), lazy=True)
        cmap = font.getBestCmap()
    except Exception:  # noqa: BLE001 - without the font the NFKC pairs still apply
        return {}
    ideograph_of_glyph: dict[str, int] = {}
    for cp, glyph in cmap.items():
        if 0x4E00 <= cp <= 0x9FFF:
            ideograph_of_glyph.setdefault(glyph, cp)
    return {cp: ideograph_of_glyph[g] for cp, g in cmap.items()
            if 0x2E80 <= cp <= 0x2FDF and g in ideograph_of_glyph}


# ---------------------------------------------------------------- checks


class _HtmlFacts(HTMLParser):
    """Collects what check_html looks at: links, scripts, ids, the lang attribute, visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.ids: list[str] = []
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.scripts_with_src: list[str] = []
        self.inline_scripts: list[str] = []
        self.csp: list[str] = []
        self._script: list[str] | None = None
        self.toc_targets: list[str] = []
        self.text: list[str] = []
        self.stderr_outputs = 0
        self._in_toc = 0
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if a.get("id"):
            self.ids.append(a["id"])
        for attr in ("src", "href", "data", "poster", "action"):
            if a.get(attr) is not None:
                self.links.append((tag, attr, a[attr]))
        if a.get("data-mime-type") == "application/vnd.jupyter.stderr" or "output_stderr" in (a.get("class") or ""):
            self.stderr_outputs += 1
        if tag == "script" and a.get("src"):
            self.scripts_with_src.append(a["src"])
        elif tag == "script":
            self._script = []
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(a.get("content") or "")
        if tag == "nav" and "kit-toc" in (a.get("class") or "").split():
            self._in_toc += 1
        elif self._in_toc and tag == "nav":
            self._in_toc += 1
        if self._in_toc and tag == "a" and a.get("href", "").startswith("#"):
            self.toc_targets.append(a["href"][1:])
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.inline_scripts.append("".join(self._script))
            self._script = None
        if tag == "nav" and self._in_toc:
            self._in_toc -= 1
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        if not self._skip:
            self.text.append(data)


def check_html(path: Path, lang: str) -> list[str]:
    """Problems of a published report.html; an empty list means it is fine.

    Checked: a Content-Security-Policy that allows no script but the page's own, by hash
    (``csp_problems``); self-contained (no src/href to another file or host, only ``#anchors`` and ``data:``;
    no ``<script src>``; no ``url(...)`` or ``@import`` of a URL in CSS), no stderr output, warning or
    traceback, every in-page link and every table-of-contents entry resolves to a unique id, the
    ``lang`` attribute matches ``lang``.
    """
    source = Path(path).read_text(encoding="utf-8")
    facts = _HtmlFacts()
    facts.feed(source)
    problems = []
    if facts.lang != HTML_LANG.get(lang, lang):
        problems.append(f"<html lang> is {facts.lang!r}, expected {HTML_LANG.get(lang, lang)!r}")
    problems += csp_problems(facts.csp, facts.inline_scripts)
    for src in facts.scripts_with_src:
        problems.append(f"script loaded from {src[:80]}")
    for tag, attr, value in facts.links:
        if not (value.startswith("#") or value.startswith("data:")):
            problems.append(f"<{tag} {attr}> points outside the file: {value[:80]}")
    for url in re.findall(r"(?:url\(\s*['\"]?|@import\s+['\"])((?:https?:)?//[^'\")\s]+)", source):
        problems.append(f"CSS loads {url[:80]}")
    if facts.stderr_outputs:
        problems.append(f"{facts.stderr_outputs} stderr output(s) shown")
    text = "".join(facts.text)
    for marker in ("Traceback", "Warning:"):
        if marker in text:
            at = text.index(marker)
            problems.append(f"{marker!r} in the report text: ...{text[max(0, at - 40):at + 60]!r}")
    ids = set(facts.ids)
    duplicated = sorted({i for i in facts.ids if facts.ids.count(i) > 1}) if len(ids) < len(facts.ids) else []
    if duplicated:
        problems.append(f"duplicated ids: {duplicated[:10]}")
    if not facts.toc_targets:
        problems.append("the table of contents is missing or empty")
    internal = {value[1:] for _, attr, value in facts.links if attr == "href" and value.startswith("#")}
    for target in sorted(internal | set(facts.toc_targets)):
        if target not in ids:
            problems.append(f"link #{target} leads nowhere")
    return problems


def csp_problems(policies: list[str], inline_scripts: list[str]) -> list[str]:
    """What is wrong with a page's Content-Security-Policy (its ``<meta>`` policies) for the
    scripts it holds: there must be one policy; its script-src must name no host, no
    'unsafe-inline' or 'unsafe-eval'; each inline script must be allowed by its sha256 hash
    (or there is no script and script-src is 'none')."""
    if not policies:
        return ["no Content-Security-Policy"]
    directives = {}
    for part in policies[0].split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    sources = directives.get("script-src", directives.get("default-src"))
    if sources is None:
        return ["the Content-Security-Policy does not restrict scripts (no script-src or default-src)"]
    problems = [f"script-src allows {s}" for s in sources
                if not (s == "'none'" or s.startswith(("'sha256-", "'sha384-", "'sha512-")))]
    for script in inline_scripts:
        digest = "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"
        if digest not in sources:
            problems.append(f"inline script {script.strip()[:40]!r} is not allowed by its hash {digest}")
    return problems


def check_pdf(path: Path, expected: dict | list) -> list[str]:
    """Problems of a published report.pdf; an empty list means it is fine.

    ``expected`` keys (all optional): ``texts`` strings the text must contain; ``lang`` (default
    "zh") for the page label of the footer and the CJK font check; ``footer`` a string (e.g. the
    title) every page after the cover must carry; ``min_pages``. A plain list is taken as ``texts``.
    Checked: every page A4, text extractable, the texts found, "page n of m" on every page but the
    cover, a non-empty outline (bookmarks), a CJK font embedded when lang is zh, no Type 3 font
    (text must be in embedded fonts, see ``kit.publish.fonts``).
    """
    import pikepdf

    if isinstance(expected, list):
        expected = {"texts": expected}
    lang = expected.get("lang", "zh")
    with pikepdf.open(path) as document:
        sizes = [(float(page.mediabox[2] - page.mediabox[0]), float(page.mediabox[3] - page.mediabox[1]))
                 for page in document.pages]
        with document.open_outline() as outline:
            has_outline = bool(outline.root)
        fonts = _font_names(document)
        type3 = _type3_fonts(document)
    problems = []
    if len(sizes) < expected.get("min_pages", 2):
        problems.append(f"{len(sizes)} page(s), expected at least {expected.get('min_pages', 2)}")
    for number, (width, height) in enumerate(sizes, start=1):
        if abs(width - A4_POINTS[0]) > 2 or abs(height - A4_POINTS[1]) > 2:
            problems.append(f"page {number} is {width:.0f} x {height:.0f} pt, not A4")
            break
    texts = [_squeeze(p) for p in _page_texts(path)]
    whole = "".join(texts)
    if not whole:
        problems.append("no extractable text")
    for wanted in expected.get("texts", []):
        if _squeeze(wanted) not in whole:
            problems.append(f"text {wanted!r} not found")
    label = t("report.page", lang) if lang in ("zh", "en") else "{page}/{pages}"
    for number, text in enumerate(texts[1:], start=2):
        page_label = _squeeze(label.format(page=number, pages=len(sizes)))
        if page_label not in text:
            problems.append(f"page {number} has no footer {label.format(page=number, pages=len(sizes))!r}")
            break
        if expected.get("footer") and _squeeze(expected["footer"]) not in text:
            problems.append(f"page {number} footer lacks {expected['footer']!r}")
            break
    if _squeeze(label.format(page=1, pages=len(sizes))) in (texts[0] if texts else ""):
        problems.append("the cover carries a page footer")
    if not has_outline:
        problems.append("the PDF has no outline (bookmarks)")
    if lang == "zh" and not any(_is_cjk_font(name) for name in fonts):
        problems.append("no CJK font embedded")
    if type3:
        problems.append(f"{type3} Type 3 font(s): text drawn as glyph procedures, not an embedded font")
    return problems


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page_texts(pdf: Path) -> list[str]:
    """The text of each page: poppler's pdftotext when installed (the setup installs it; 10x
    faster than pypdf on a 30-page report), else pypdf."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        done = subprocess.run([pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, timeout=60)
        if done.returncode == 0:
            return done.stdout.decode("utf-8", "replace").split("\f")[:-1]
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def _pages_without(pdf: Path, text: str) -> list[int]:
    wanted = _squeeze(text)
    return [n for n, page in enumerate(_page_texts(pdf), start=1) if n > 1 and wanted not in _squeeze(page)]


def _font_names(document) -> set[str]:
    names = set()
    for page in document.pages:
        for font in _fonts(page.obj.get("/Resources"), set()):
            descriptor = font.get("/FontDescriptor")
            if descriptor is None:
                for descendant in font.get("/DescendantFonts", []):
                    descriptor = descendant.get("/FontDescriptor")
            names.add(str(font.get("/BaseFont", "")))
            if descriptor is not None:
                names.add(str(descriptor.get("/FontName", "")))
                names.add(str(descriptor.get("/FontFamily", "")))
    return names


def _type3_fonts(document) -> int:
    seen = set()
    for page in document.pages:
        for font in _fonts(page.obj.get("/Resources"), set()):
            if str(font.get("/Subtype", "")) == "/Type3":
                seen.add(font.objgen if font.is_indirect else id(font))
    return len(seen)


def _is_cjk_font(name: str) -> bool:
    return any(k in name.replace(" ", "") for k in ("CJK", "SourceHanSans", "PingFang", "YaHei", "SimSun", "SimHei"))
