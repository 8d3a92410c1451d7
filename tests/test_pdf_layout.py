"""The printed report as a reader turns its pages: what ends a page, how full pages are, what
stays together, and whether the contents' page numbers are right.

All tests read one PDF, the small demo shop's report published once for the session
(``published_small_demo``). Pages are read with poppler: ``pdftotext -bbox-layout`` for the text
lines and their height on the page, ``pdftoppm`` for the ink, ``pdfimages -list`` for the images.
"""

from __future__ import annotations

import base64
import re
import struct
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from kit.publish.export import build_report, destination_pages, print_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("published_report")]

MM = 72 / 25.4
PAGE_HEIGHT = 841.89
CONTENT_TOP, CONTENT_BOTTOM = 16 * MM, PAGE_HEIGHT - 18 * MM  # the @page margins of kit_report.css


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def report(published_small_demo) -> dict:
    pdf, html_path = published_small_demo / "report.pdf", published_small_demo / "report.html"
    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    return {"pdf": pdf, "soup": soup, "lines": page_lines(pdf), "dests": destination_pages(pdf)}


def page_lines(pdf: Path) -> list[list[tuple[float, str]]]:
    """Per page, its text lines above the footer as (bottom in points from the top, text), top to bottom."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    out = re.sub(r"<!DOCTYPE[^>]*>", "", out).replace(' xmlns="http://www.w3.org/1999/xhtml"', "")
    pages = []
    for page in ElementTree.fromstring(out).iter("page"):
        lines = [(float(line.get("yMax")), "".join(w.text or "" for w in line.iter("word")))
                 for line in page.iter("line")]
        pages.append(sorted((y, text) for y, text in lines if y < CONTENT_BOTTOM))
    return pages


def ink_bottoms(pdf: Path, folder: Path) -> list[float]:
    """Per page, how far down its content area the lowest ink (text, chart, rule) reaches: 0..1."""
    from PIL import Image

    dpi = 24
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(folder / "p")], check=True)
    fills = []
    for png in sorted(folder.glob("p-*.png")):
        image = Image.open(png).convert("L")
        width, height = image.size
        scale = height / PAGE_HEIGHT
        top, bottom = int(CONTENT_TOP * scale), int(CONTENT_BOTTOM * scale)
        rows = image.crop((0, top, width, bottom)).point(lambda v: 255 if v < 200 else 0).getbbox()
        fills.append(0.0 if rows is None else rows[3] / (bottom - top))
    return fills


def part_starts(report) -> set[int]:
    """Pages where a part begins: the cover, the contents, each chapter (summary, 1, 2 ...)."""
    chapters = [link["href"][1:] for link in report["soup"].select("nav.kit-toc li.toc-h1 > a")]
    return {1, 2} | {report["dests"][c] for c in chapters if c in report["dests"]}


def body_pages(report) -> range:
    """Page numbers from the summary on (after the cover and the contents)."""
    return range(report["dests"]["summary"], len(report["lines"]) + 1)


LINES_BEFORE = (2, 9, 4, 13, 6, 17, 3, 11, 8, 15, 5, 19, 7, 12)  # text before each heading, in lines


@pytest.fixture(scope="module")
def stress(tmp_path_factory) -> dict:
    """A made-up report whose headings fall all over the page: blocks of text of uneven length,
    each followed by a heading, a chart (a third of a page) and the paragraph that reads it."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from kit.i18n import t
    from kit.publish.report import SHELL_LABELS

    folder = tmp_path_factory.mktemp("stress")
    cells = [new_markdown_cell("# 压力测试")]
    for k, lines in enumerate(LINES_BEFORE, start=1):
        fig, ax = plt.subplots(figsize=(8, 2.6 + k / 20), dpi=100)  # each chart its own pixel size
        ax.bar(range(5), [(k * j) % 7 + 1 for j in range(5)])
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        cells += [
            new_markdown_cell("这一行文字用来把后面的标题推到页面上不同的位置，直到页面的最底部附近为止。" * lines),
            new_markdown_cell(f"## 第 {k} 块"),
            new_code_cell("", outputs=[new_output("display_data", data={
                "image/png": base64.b64encode(buf.getvalue()).decode(), "text/plain": "fig"})]),
            new_markdown_cell(f"读图 {k}：这段文字解读上面的图，应当与图在同一页。"),
        ]
    paths = []
    for name, nb in (("00_summary", new_notebook(cells=[new_markdown_cell("# 摘要\n\n正文。")])),
                     ("01_stress", new_notebook(cells=cells))):
        nbformat.write(nb, folder / f"{name}.ipynb")
        paths.append(folder / f"{name}.ipynb")
    meta = {"title": "压力测试", "period": "2025-Q4", "comparison": "2025-Q3", "slice": "全部数据",
            "generated_at": "2025-12-01 10:00", "kit_version": "0", "fingerprint": "f", "lang": "zh",
            "quality": [], "labels": {k: t(f"report.{k}", "zh") for k in SHELL_LABELS}}
    html_path = build_report(paths, meta, folder / "report.html")
    pdf = print_pdf(html_path, folder / "report.pdf")
    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    return {"pdf": pdf, "soup": soup, "lines": page_lines(pdf), "dests": destination_pages(pdf)}


@pytest.mark.parametrize("which", ["report", "stress"])
def test_no_page_ends_with_a_heading(which, request):
    report = request.getfixturevalue(which)
    main = report["soup"].select_one("main")
    headings = {squeeze(h.get_text()) for h in main.find_all(["h1", "h2", "h3", "h4"])}
    assert len(headings) > 15
    ending = {n: report["lines"][n - 1][-1][1] for n in body_pages(report) if report["lines"][n - 1]}
    assert len(ending) > 4
    offenders = {n: text for n, text in ending.items() if squeeze(text) in headings}
    assert not offenders, f"pages ending with a heading: {offenders}"


def test_no_page_is_under_a_third_full_but_the_last_of_a_part(report, tmp_path):
    fills = ink_bottoms(report["pdf"], tmp_path)
    assert len(fills) == len(report["lines"])
    last_of_part = {n - 1 for n in part_starts(report)} | {len(fills)}
    thin = {n: f"{fills[n - 1]:.0%}" for n in range(1, len(fills) + 1)
            if fills[n - 1] < 1 / 3 and n not in last_of_part}
    assert not thin, f"pages less than a third full: {thin}"
    assert fills[-1] > 0.05, "the last page (the appendix) is not a one-line page"
    if "data-quality" in report["dests"]:  # the template's short quality block (no appendix notebook)
        # follows the last chapter on its page rather than taking a page of its own
        appendix_page = report["lines"][report["dests"]["data-quality"] - 1]
        assert squeeze(appendix_page[0][1]) != squeeze(report["soup"].select_one("#data-quality").get_text())


def png_size(data_uri: str) -> tuple[int, int]:
    head = base64.b64decode(data_uri.split(",", 1)[1][:64])
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("which", ["report", "stress"])
def test_a_chart_shares_its_page_with_the_text_that_reads_it(which, request):
    """A chart and the paragraph right after it (its reading) are on one page; a finding card's
    evidence chart is on the page where the card ends."""
    report = request.getfixturevalue(which)
    pdf_images = subprocess.run(["pdfimages", "-list", str(report["pdf"])], capture_output=True, text=True,
                                check=True).stdout.splitlines()[2:]
    pdf_images = [(int(f[0]), (int(f[3]), int(f[4]))) for f in (line.split() for line in pdf_images) if f[2] == "image"]
    images = report["soup"].select("main img")
    # the PDF holds the page's images in order: matched by their pixel sizes
    assert [size for _, size in pdf_images] == [png_size(img["src"]) for img in images]
    page_text = [squeeze("".join(text for _, text in lines)) for lines in report["lines"]]
    pairs = 0
    for img, (page, _) in zip(images, pdf_images, strict=True):
        output = img.find_parent(class_="jp-OutputArea-child")
        before = output.find_previous_sibling(class_="jp-OutputArea-child")
        finding = before.select_one(".kit-finding") if before else None
        if finding is not None:  # a card may run over a page: its chart follows the card's end
            assert squeeze(finding.get_text())[-12:] in page_text[page - 1], f"finding card apart from its chart (page {page})"
            pairs += 1
            continue
        if output.find_next_sibling(class_="jp-OutputArea-child"):
            continue  # not the cell's last output: the next chart comes first
        reading = img.find_parent(class_="jp-Cell").find_next_sibling(class_="jp-Cell")
        if reading is not None and "jp-MarkdownCell" in reading["class"] and reading.find("p"):
            start = squeeze(reading.find("p").get_text())[:12]
            assert start in page_text[page - 1], f"chart on page {page}, its reading {start!r} elsewhere"
            pairs += 1
    assert pairs >= len(LINES_BEFORE)


def test_the_contents_give_the_page_where_each_heading_is(report):
    contents_page = report["dests"]["summary"] - 1
    text = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", str(contents_page), str(report["pdf"]), "-"],
                          capture_output=True, text=True, check=True).stdout
    entries = [(squeeze(m.group(1)), int(m.group(2)))
               for m in re.finditer(r"^\s*(\S.*?)\s{2,}(\d+)\s*$", text, re.M)]
    wanted = [squeeze(a.select_one(".kit-toc-text").get_text()) for a in report["soup"].select("nav.kit-toc li > a")]
    assert [e[0] for e in entries] == wanted, "every contents entry has a page number"
    for heading, page in entries:
        found = [n for n in range(contents_page + 1, len(report["lines"]) + 1)
                 if any(squeeze(line) == heading for _, line in report["lines"][n - 1])]
        assert found and found[0] == page, f"{heading!r}: contents say page {page}, found on {found[:1]}"


def test_a_summary_that_runs_over_its_page_is_scaled_to_fit_it(tmp_path, monkeypatch):
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    from kit.i18n import t
    from kit.publish import export
    from kit.publish.report import SHELL_LABELS

    rows = "\n".join(f"| 行动 {k} | 对象 {k} 的客户 | 运营 | ¥{k},000 |" for k in range(1, 9))
    summary = new_notebook(cells=[new_markdown_cell("# 摘要"), new_markdown_cell(
        "本段文字占据摘要页的大部分篇幅，直到页面底部附近。" * 70),
        new_markdown_cell(f"## 优先行动\n\n| 行动 | 对象 | 负责 | 预期挽回 |\n| --- | --- | --- | --- |\n{rows}")])
    chapter = new_notebook(cells=[new_markdown_cell("# 第一章"), new_markdown_cell("正文。")])
    paths = []
    for name, nb in (("00_summary", summary), ("01_first", chapter)):
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
        paths.append(tmp_path / f"{name}.ipynb")
    meta = {"title": "摘要测试", "period": "2025-Q4", "comparison": "2025-Q3", "slice": "全部数据",
            "generated_at": "2025-12-01 10:00", "kit_version": "0", "fingerprint": "f", "lang": "zh",
            "quality": [], "labels": {k: t(f"report.{k}", "zh") for k in SHELL_LABELS}}
    html_path = build_report(paths, meta, tmp_path / "report.html")

    with monkeypatch.context() as m:  # as printed before: the table runs over to a second page
        m.setattr(export, "fit_summary", lambda page, pdf: 1.0)
        dests = destination_pages(print_pdf(html_path, tmp_path / "plain.pdf"))
    assert dests["sec-1"] == dests["summary"] + 2
    pdf = print_pdf(html_path, tmp_path / "report.pdf")
    dests = destination_pages(pdf)
    assert dests["sec-1"] == dests["summary"] + 1, "the summary fits its page"
    summary_page = squeeze("".join(text for _, text in page_lines(pdf)[dests["summary"] - 1]))
    assert "行动8" in summary_page and "¥8,000" in summary_page  # all of it, smaller
