"""Report export: one self-contained HTML from section notebooks, its A4 PDF, and the checks."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kit.errors import KitError
from kit.i18n import t
from kit.publish import export
from kit.publish.export import (
    build_report,
    check_html,
    check_pdf,
    number_headings,
    page_counter_css,
    print_pdf,
    remap_to_unicode_cmap,
)
from kit.publish.report import SHELL_LABELS

STDERR_TEXT = "UserWarning: boom from a library"
HIDDEN_SOURCE = "frame_shown_as_table = 1"


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _notebooks(folder: Path, lang: str) -> list[Path]:
    """Summary + two sections. Expected numbering: summary unnumbered; 1, 1.1, 1.2; 2, 2.1."""
    import pandas as pd

    zh = lang == "zh"
    table = pd.DataFrame({"城市" if zh else "city": ["上海", "北京"], "GMV": [1200.5, 800.0]}).to_html()
    summary = new_notebook(cells=[
        new_markdown_cell("# 摘要" if zh else "# Executive summary"),
        new_code_cell("warn()", outputs=[new_output("stream", name="stderr", text=STDERR_TEXT + "\n"),
                                         new_output("stream", name="stdout", text="kept stdout\n")]),
    ])
    profile = new_notebook(cells=[
        new_markdown_cell(("# 客户画像\n\n## 基础属性\n" if zh else "# Customer profile\n\n## Basics\n")
                          + "```\n# not a heading\n```"),
        new_code_cell(HIDDEN_SOURCE, outputs=[new_output("execute_result", execution_count=1,
                                                         data={"text/html": table, "text/plain": "table"})]),
        new_code_cell("plot()", outputs=[new_output("display_data", data={"image/png": _png(), "text/plain": "fig"})]),
        new_markdown_cell(("## 行为特征\n" if zh else "## Behaviour\n") + ("很长的段落。" if zh else "Long text. ") * 600),
    ])
    removed = new_markdown_cell("# 隐藏的章节" if zh else "# Hidden section")
    removed.metadata["tags"] = ["remove_cell"]
    conversion = new_notebook(cells=[removed, new_markdown_cell("# 转化分析\n## 漏斗" if zh else "# Conversion\n## Funnel")])
    paths = []
    for name, nb in (("00_summary", summary), ("10_profile", profile), ("20_conversion", conversion)):
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def _meta(lang: str, quality: list[dict] | None = None) -> dict:
    return {
        "title": "测试报告" if lang == "zh" else "Test report",
        "period": "2025-Q4 (2025-10-01 – 2025-12-31)", "comparison": "2025-Q3", "slice": "region = 华东",
        "generated_at": "2025-11-25 10:00", "kit_version": "9.9.9", "fingerprint": "fp-123abc", "lang": lang,
        "quality": quality or [],
        "labels": {k: t(f"report.{k}", lang) for k in SHELL_LABELS},
    }


QUALITY = [{"level": "warning", "table": "orders", "check": "duplicate_ids", "count": 1234, "message": "重复 <b>id</b>"}]


class _Tree(HTMLParser):
    """Headings (tag, text, ids inside), TOC links, all ids and the html lang of a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.toc, self.ids, self.lang = [], [], [], None
        self._heading = None
        self._in_nav = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if a.get("id"):
            self.ids.append(a["id"])
            if self._heading is not None:
                self._heading[2].append(a["id"])
        if tag in ("h1", "h2"):
            self._heading = [tag, "", [a["id"]] if a.get("id") else []]
        if tag == "nav":
            self._in_nav = True
        if self._in_nav and tag == "a":
            self.toc.append(a["href"])

    def handle_endtag(self, tag):
        if tag in ("h1", "h2") and self._heading is not None:
            self.headings.append((self._heading[0], " ".join(self._heading[1].split()), self._heading[2]))
            self._heading = None
        if tag == "nav":
            self._in_nav = False

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data


@pytest.fixture(scope="module")
def zh_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("zh")
    return build_report(_notebooks(folder, "zh"), _meta("zh", QUALITY), folder / "out" / "report.html")


@pytest.fixture(scope="module")
def zh_pdf(zh_report) -> Path:
    return print_pdf(zh_report, zh_report.parent / "report.pdf", header={"title": "测试报告"})


def _tree(path: Path) -> _Tree:
    tree = _Tree()
    tree.feed(path.read_text(encoding="utf-8"))
    return tree


def test_headings_are_numbered_after_the_unnumbered_summary(zh_report):
    headings = [(tag, text, ids) for tag, text, ids in _tree(zh_report).headings if tag in ("h1", "h2")]
    # cover title, then the summary (no number), sections 1 and 2, and the appendix.
    # The removed "隐藏的章节" takes no number, so 转化分析 is 2, not 3; the fenced "# not a heading" is code.
    assert headings == [
        ("h1", "测试报告", []),
        ("h1", "摘要", ["summary"]),
        ("h1", "1 客户画像", ["sec-1"]),
        ("h2", "1.1 基础属性", ["sec-1-1"]),
        ("h2", "1.2 行为特征", ["sec-1-2"]),
        ("h1", "2 转化分析", ["sec-2"]),
        ("h2", "2.1 漏斗", ["sec-2-1"]),
        ("h1", "附录：数据质量", ["data-quality"]),
    ]


def test_toc_links_every_heading_and_resolves(zh_report):
    tree = _tree(zh_report)
    # the first link closes the contents on a phone (back to their button)
    assert tree.toc == ["#kit-toc-button", "#summary", "#sec-1", "#sec-1-1", "#sec-1-2", "#sec-2", "#sec-2-1",
                        "#data-quality"]
    assert len(tree.ids) == len(set(tree.ids)), "ids are unique"
    assert all(link[1:] in tree.ids for link in tree.toc)
    html = zh_report.read_text(encoding="utf-8")
    assert html.index('class="kit-cover"') < html.index('class="kit-toc"') < html.index('id="summary"')


def test_html_is_self_contained_without_code_stderr_or_removed_cells(zh_report):
    html = zh_report.read_text(encoding="utf-8")
    assert check_html(zh_report, "zh") == []
    assert _tree(zh_report).lang == "zh-CN"
    assert "data:image/png;base64," in html, "the figure is inline"
    assert "上海" in html and "1200.5" in html, "the table output is kept"
    assert "kept stdout" in html
    assert "boom from a library" not in html, "stderr is dropped"
    assert HIDDEN_SOURCE not in html, "code is hidden"
    assert "隐藏的章节" not in html, "remove_cell cells are dropped"
    assert "<script" not in html and "require" not in html.lower().split("<body")[0].split("<style")[0]
    assert "Noto Sans CJK SC" in html and "@media print" in html and "size: A4" in html


def test_cover_and_quality_appendix_escape_their_text(zh_report):
    html = zh_report.read_text(encoding="utf-8")
    cover = html[html.index('class="kit-cover"'):html.index('class="kit-toc"')]
    for text in ("测试报告", "2025-Q4 (2025-10-01 – 2025-12-31)", "2025-Q3", "region = 华东", "2025-11-25 10:00",
                 "9.9.9", "fp-123abc", "报告期", "对比期", "数据指纹"):
        assert text in cover, text
    appendix = html[html.index('id="data-quality"'):]
    assert "duplicate_ids" in appendix and "1,234" in appendix
    assert "重复 &lt;b&gt;id&lt;/b&gt;" in appendix, "quality messages are escaped"
    # the print footer: title · period · slice left, the page label with counters right
    assert '"第 " counter(page) " 页 / 共 " counter(pages) " 页"' in html


def test_english_report_without_quality_problems(tmp_path):
    out = build_report(_notebooks(tmp_path, "en"), _meta("en"), tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")
    assert check_html(out, "en") == []
    assert _tree(out).lang == "en"
    assert "No data-quality problems found." in html and "Appendix: data quality" in html
    assert [h[1] for h in _tree(out).headings][1:4] == ["Executive summary", "1 Customer profile", "1.1 Basics"]
    assert '"Page " counter(page) " of " counter(pages)' in html


def test_number_headings_restarts_level_two_per_section():
    summary = new_notebook(cells=[new_markdown_cell("# Summary\n## Key figures")])
    a = new_notebook(cells=[new_markdown_cell("# A\n## A one"), new_markdown_cell("## A two\n### not numbered")])
    b = new_notebook(cells=[new_markdown_cell("# B **bold**\n## B one")])
    toc = number_headings([summary, a, b])
    assert [(e["number"], e["id"], e["text"]) for e in toc] == [
        ("", "summary", "Summary"), ("", "summary-2", "Key figures"),
        ("1", "sec-1", "A"), ("1.1", "sec-1-1", "A one"), ("1.2", "sec-1-2", "A two"),
        ("2", "sec-2", "B bold"), ("2.1", "sec-2-1", "B one"),
    ]
    assert b.cells[0].source.startswith('# <span class="kit-anchor" id="sec-2"></span><span class="secno">2</span> B')
    assert "### not numbered" in a.cells[1].source


def test_unnumbered_sections_keep_their_own_ids_and_the_numbers_run_on():
    summary = new_notebook(cells=[new_markdown_cell("# Summary")])
    intro = new_notebook(cells=[new_markdown_cell("# Introduction\n## Data sources")])
    a = new_notebook(cells=[new_markdown_cell("# A\n## A one")])
    appendix = new_notebook(cells=[new_markdown_cell("# Appendix\n## Glossary")])
    toc = number_headings([summary, intro, a, appendix], ["summary", "intro", None, "appendix"])
    assert [(e["number"], e["id"]) for e in toc] == [
        ("", "summary"), ("", "intro"), ("", "intro-2"), ("1", "sec-1"), ("1.1", "sec-1-1"), ("", "appendix"),
        ("", "appendix-2")]


def test_an_appendix_notebook_replaces_the_templates_quality_block(tmp_path):
    out = build_report(_notebooks(tmp_path, "en"), _meta("en") | {"quality_block": False}, tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")
    assert check_html(out, "en") == []
    assert "Appendix: data quality" not in html and 'id="data-quality"' not in html


def test_page_counter_css_and_css_string_escaping():
    assert page_counter_css("Page {page} of {pages}") == '"Page " counter(page) " of " counter(pages)'
    # a quote, a backslash and "</style>" cannot break out of the CSS string
    assert export.css_string('a"b\\c</style>') == '"a\\22 b\\5c c\\3c /style\\3e "'


def test_remap_to_unicode_cmap_replaces_radicals_with_ideographs():
    cmap = ("1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
            "2 beginbfchar\n<21> <2EDA>\n<22> <0041>\nendbfchar\n"
            "2 beginbfrange\n<10> <12> <2F00>\n<13> <16> <0032>\nendbfrange\nendcmap")
    mapping = {0x2EDA: 0x9875, 0x2F00: 0x4E00, 0x2F01: 0x4E28, 0x2F02: 0x4E36}  # ⻚->页, ⼀->一, ⼁->丨, ⼂->丶
    fixed = remap_to_unicode_cmap(cmap, mapping)
    assert "<21> <9875>" in fixed and "<22> <0041>" in fixed
    # the radical range becomes three bfchar entries; the digits range stays a range
    assert "<10> <4E00>" in fixed and "<11> <4E28>" in fixed and "<12> <4E36>" in fixed
    assert "1 beginbfrange\n<13> <16> <0032>\nendbfrange" in fixed
    assert "2EDA" not in fixed and "2F0" not in fixed


def test_radical_map_covers_the_page_label():
    mapping = export.radical_to_ideograph()
    assert mapping[0x2F00] == ord("一")  # Kangxi radical one, by Unicode decomposition
    assert mapping[0x2EDA] == ord("页")  # supplement radical, read from the Noto CJK font


def test_check_html_reports_each_problem(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<html lang="en"><head><script src="https://cdn.example.com/require.js"></script>'
        '<link rel="stylesheet" href="https://fonts.example.com/x.css"><style>@import "https://x.example/a.css";</style>'
        '</head><body><nav class="kit-toc"><a href="#sec-1">1</a><a href="#sec-9">9</a></nav>'
        '<h1 id="sec-1">1</h1><img src="chart.png"><div data-mime-type="application/vnd.jupyter.stderr">x</div>'
        '<pre>Traceback (most recent call last)</pre><p>DeprecationWarning: old</p></body></html>', encoding="utf-8")
    problems = "\n".join(check_html(bad, "zh"))
    for expected in ("no Content-Security-Policy", "<html lang> is 'en'", "script loaded from https://cdn.example.com",
                     "<link href> points outside",
                     "<img src> points outside the file: chart.png", "CSS loads https://x.example/a.css",
                     "stderr output", "'Traceback'", "'Warning:'", "link #sec-9 leads nowhere"):
        assert expected in problems, expected
    assert "#sec-1 " not in problems + " "


def test_print_pdf_is_a4_with_footer_outline_and_extractable_chinese(zh_pdf):
    from pypdf import PdfReader

    assert check_pdf(zh_pdf, {"texts": ["测试报告", "摘要", "1.1 基础属性"], "lang": "zh", "footer": "测试报告"}) == []
    reader = PdfReader(zh_pdf)
    n = len(reader.pages)
    assert n > 3  # cover, contents, and the long paragraph of 1.2 spills over pages
    cover, contents = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "第 1 页" not in cover and "测试报告 · 2025-Q4" not in cover, "no footer on the cover"
    assert f"第 2 页 / 共 {n} 页" in contents, "the page label reads 页, not the radical ⻚"
    assert "测试报告 · 2025-Q4 (2025-10-01" in contents and "region = 华东" in contents
    assert "目录" in contents and "2.1漏斗" in "".join(contents.split()), "the contents page follows the cover"

    def titles(outline):
        return [titles(x) if isinstance(x, list) else x.title for x in outline]

    outline = titles(reader.outline)
    assert "1 客户画像" in outline and ["1.1 基础属性", "1.2 行为特征"] in outline
    assert not list(zh_pdf.parent.glob(".report.pdf*")), "no temporary file is left"


def test_check_pdf_reports_a_wrong_pdf(tmp_path, zh_pdf):
    from pypdf import PdfWriter

    letter = tmp_path / "letter.pdf"
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_blank_page(612, 792)
    with open(letter, "wb") as fh:
        writer.write(fh)
    problems = "\n".join(check_pdf(letter, ["摘要"]))
    for expected in ("not A4", "no extractable text", "text '摘要' not found", "page 2 has no footer",
                     "no outline", "no CJK font"):
        assert expected in problems, expected
    # a good PDF still fails on a text it does not hold, and on a footer it does not carry
    assert check_pdf(zh_pdf, {"texts": ["不存在的文字"], "footer": "别的标题"}) == [
        "text '不存在的文字' not found", "page 2 footer lacks '别的标题'"]


def test_print_pdf_without_chromium_names_the_install_command(monkeypatch, tmp_path, zh_report):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(KitError, match=re.escape("apt-get install -y chromium fonts-noto-cjk")):
        print_pdf(zh_report, tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_pdf_text_is_in_embedded_truetype_fonts_not_type3(zh_pdf):
    import pikepdf

    subtypes = set()
    with pikepdf.open(zh_pdf) as document:
        for page in document.pages:
            for font in export._fonts(page.obj.get("/Resources"), set()):
                for cid_font in font.get("/DescendantFonts", []):
                    subtypes.add((str(font.BaseFont), str(cid_font.Subtype), "/FontFile2" in cid_font.FontDescriptor))
                subtypes.add((str(font.get("/BaseFont", "")), str(font.Subtype), None))
    assert not [s for s in subtypes if s[1] == "/Type3"], subtypes
    cjk = {(name.split("+")[-1], sub, embedded) for name, sub, embedded in subtypes if "CJK" in name and embedded is not None}
    assert cjk == {("NotoSansCJKsc-Regular", "/CIDFontType2", True), ("NotoSansCJKsc-Bold", "/CIDFontType2", True)}


def test_truetype_subset_keeps_glyph_shapes_and_metrics():
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    from kit.publish import fonts

    found = fonts._font_file(fonts.WEIGHTS[0][1])
    if found is None:
        pytest.skip("no Noto Sans CJK installed")
    wanted = {ord(c) for c in "页一A,"}
    subset = TTFont(io.BytesIO(fonts.truetype_subset(*found, wanted | {0x10FFFF}, flavor=None)))
    source = TTFont(found[0], fontNumber=found[1], lazy=True)
    assert set(subset.getBestCmap()) == wanted, "exactly the characters asked for that the font has"
    assert "glyf" in subset and "CFF " not in subset
    assert subset["head"].unitsPerEm == source["head"].unitsPerEm
    assert subset["hhea"].ascent == source["hhea"].ascent and subset["OS/2"].usWinAscent == source["OS/2"].usWinAscent
    for cp in wanted:
        new, old = subset.getBestCmap()[cp], source.getBestCmap()[cp]
        assert subset["hmtx"][new][0] == source["hmtx"][old][0]
        pens = BoundsPen(subset.getGlyphSet()), BoundsPen(source.getGlyphSet())
        subset.getGlyphSet()[new].draw(pens[0])
        source.getGlyphSet()[old].draw(pens[1])
        assert all(abs(a - b) <= 2 for a, b in zip(pens[0].bounds, pens[1].bounds, strict=True)), chr(cp)
    assert "SIL Open Font License" in (subset["name"].getDebugName(13) or ""), "the license record is kept"


def test_check_pdf_reports_type3_fonts(tmp_path, zh_pdf):
    import pikepdf

    bad = tmp_path / "type3.pdf"
    with pikepdf.open(zh_pdf) as document:
        page = document.pages[1]
        page.Resources.Font[pikepdf.Name("/T3")] = document.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type3, FontBBox=[0, 0, 1, 1], FontMatrix=[1, 0, 0, 1, 0, 0],
            CharProcs=pikepdf.Dictionary(), Encoding=pikepdf.Dictionary(Differences=[]), FirstChar=0, LastChar=0,
            Widths=[0]))
        document.save(bad)
    assert check_pdf(bad, {"lang": "zh"}) == ["1 Type 3 font(s): text drawn as glyph procedures, not an embedded font"]


def test_browser_gives_up_after_its_timeout_and_leaves_nothing_behind():
    from kit.publish.browser import Browser

    browser = Browser()
    page = browser.page(390, 844)
    assert page.evaluate("innerWidth") == 390
    profile = Path(browser._profile.name)
    assert profile.is_dir()
    browser.timeout = 1  # for the wait below, for an event that never comes (setting up may take longer)
    with pytest.raises(KitError, match="did not answer Page.neverFired within 1 s"):
        browser.wait_for("Page.neverFired")
    with pytest.raises(ChildProcessError):
        os.waitpid(browser.pid, os.WNOHANG)  # killed and reaped
    assert not profile.exists()
    browser.close()  # a second close is harmless


def test_images_carry_their_alt_text_escaped_or_a_fallback_in_the_report_language(tmp_path, zh_report):
    def alts(path):
        return [img.get("alt") for img in BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").find_all("img")]

    from bs4 import BeautifulSoup

    # the shared zh report: its chart has no alt of its own and sits under "1.1 基础属性"
    assert alts(zh_report) == ["图表：1.1 基础属性"]
    titled = new_output("display_data", data={"image/png": _png(), "text/plain": "fig"},
                        metadata={"image/png": {"alt": 'GMV <b>"趋势"</b> & 对比'}})
    lone = new_output("display_data", data={"image/png": _png(), "text/plain": "fig"})
    for lang, fallback in (("zh", "图表"), ("en", "Chart")):
        folder = tmp_path / lang
        folder.mkdir()
        nb = new_notebook(cells=[new_code_cell("", outputs=[lone]), new_markdown_cell("# Sales"),
                                 new_code_cell("", outputs=[titled])])
        nbformat.write(nb, folder / "00.ipynb")
        out = build_report([folder / "00.ipynb"], _meta(lang), folder / "report.html")
        page = out.read_text(encoding="utf-8")
        assert alts(out) == [fallback, 'GMV <b>"趋势"</b> & 对比']
        # escaped: the text comes back as written and makes no element
        assert "alt='GMV &lt;b&gt;\"趋势\"&lt;/b&gt; &amp; 对比'" in page
        assert not BeautifulSoup(page, "html.parser").find_all("b")
        assert "No description has been provided" not in page


def test_csp_allows_no_script_but_the_page_own_by_hash():
    import base64
    import hashlib

    from kit.publish.export import csp_problems

    script = "document.body.dataset.ok = 1;"
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert csp_problems([export.CSP], []) == []
    assert csp_problems([f"default-src 'none'; script-src 'sha256-{digest}'"], [script]) == []
    assert csp_problems([], []) == ["no Content-Security-Policy"]
    assert csp_problems(["img-src data:"], []) == [
        "the Content-Security-Policy does not restrict scripts (no script-src or default-src)"]
    assert csp_problems([export.CSP], [script]) == [
        f"inline script {script!r} is not allowed by its hash 'sha256-{digest}'"]
    assert csp_problems(["script-src 'self' 'unsafe-inline' https://cdn.example.com"], []) == [
        "script-src allows 'self'", "script-src allows 'unsafe-inline'", "script-src allows https://cdn.example.com"]
