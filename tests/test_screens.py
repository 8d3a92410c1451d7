"""The report HTML on a phone and on a desktop, as headless Chromium lays it out.

The small demo report (published once for the session, shared with test_pdf_layout) is opened
at phone widths (360-420 px, 390x844 as an iPhone 12-15, mobile emulation with the page's
viewport meta) and at 1280x800. Screenshots are written beside the test's tmp_path for a human
to look at; the checks are scripts run in the page.
"""

from __future__ import annotations

import pytest

from kit.publish.browser import Browser
from kit.publish.export import CSP, check_html

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("published_report")]

LAYOUT = """(() => {
  const rect = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,
                                                                  width: r.width, height: r.height}; };
  const shown = e => !!e && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0;
  const toc = document.querySelector('nav.kit-toc'), button = document.querySelector('.kit-toc-button');
  const cards = [...document.querySelectorAll('.kit-card')];
  const tables = [...document.querySelectorAll('main table')].map(t => {
    let box = t.parentElement;
    while (box && getComputedStyle(box).overflowX !== 'auto') box = box.parentElement;
    return {width: t.getBoundingClientRect().width, box: box ? rect(box) : null};
  });
  return {
    innerWidth, scrollWidth: document.documentElement.scrollWidth, scrollY,
    toc: shown(toc), tocRect: rect(toc), button: shown(button), buttonRect: button && rect(button),
    cardColumns: new Set(cards.map(c => Math.round(c.getBoundingClientRect().left))).size, cards: cards.length,
    images: [...document.querySelectorAll('main img')].map(rect), tables,
    cover: rect(document.querySelector('.kit-cover')), summary: rect(document.getElementById('summary')),
  };
})()"""


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def report_html(published_small_demo):
    return published_small_demo / "report.html"


@pytest.mark.parametrize("width", [360, 390, 420])
def test_phone_width_has_no_page_scroll_and_fits_everything_to_the_width(browser, report_html, width, tmp_path):
    page = browser.page(width, 844, mobile=True)
    page.open(report_html)
    page.screenshot(tmp_path / f"phone-{width}.png")
    m = page.evaluate(LAYOUT)
    assert m["innerWidth"] == width, "laid out at the phone's width, not zoomed out to fit something wider"
    assert m["scrollWidth"] <= m["innerWidth"], "no sideways scroll of the page"
    assert not m["toc"] and m["button"], "the contents are hidden behind their button"
    assert m["buttonRect"]["right"] <= width and m["buttonRect"]["top"] >= 0
    assert m["cards"] == 8 and m["cardColumns"] in (1, 2), "KPI cards in one or two columns"
    assert len(m["images"]) > 20
    assert all(0 <= i["left"] and i["right"] <= width + 0.5 for i in m["images"]), "charts scale to the width"
    assert all(i["width"] > width * 0.6 for i in m["images"] if i["height"] > 0), "charts take the text width"
    wide = [t for t in m["tables"] if t["width"] > width]
    assert wide, "some table is wider than a phone (else this check proves nothing)"
    assert all(t["box"] and t["box"]["right"] <= width + 0.5 for t in wide), \
        "a wide table scrolls inside its own box, which fits the screen"


def test_phone_contents_button_opens_and_a_choice_closes_it(browser, report_html, tmp_path):
    page = browser.page(390, 844, mobile=True)
    page.open(report_html)
    page.evaluate("window.scrollTo(0, 3000)")
    page.evaluate("document.querySelector('.kit-toc-button').click()")
    opened = page.evaluate(LAYOUT)
    page.screenshot(tmp_path / "phone-contents.png")
    assert opened["toc"] and opened["scrollY"] == 3000, "the contents open over the page, which stays put"
    assert 0 <= opened["tocRect"]["left"] and opened["tocRect"]["right"] <= 390
    assert opened["scrollWidth"] <= 390
    page.evaluate("document.querySelector('nav.kit-toc a[href=\"#sec-2-1\"]').click()")
    chosen = page.evaluate(LAYOUT)
    assert not chosen["toc"], "choosing a section closes the contents"
    top = page.evaluate("document.getElementById('sec-2-1').closest('h2').getBoundingClientRect().top")
    assert 0 <= top < 120, "and shows that section at the top, below the button"
    page.evaluate("document.querySelector('.kit-toc-button').click()")
    page.evaluate("document.querySelector('.kit-toc-close').click()")
    assert not page.evaluate(LAYOUT)["toc"], "the close mark closes them too"


def test_desktop_width_has_the_contents_beside_the_text_and_a_short_cover(browser, report_html, tmp_path):
    page = browser.page(1280, 800)
    page.open(report_html)
    page.screenshot(tmp_path / "desktop.png")
    m = page.evaluate(LAYOUT)
    assert m["scrollWidth"] <= m["innerWidth"] == 1280
    assert m["toc"] and not m["button"], "the contents are a sidebar, no button"
    assert m["tocRect"]["left"] == 0 and m["tocRect"]["width"] < 300
    assert all(i["left"] >= m["tocRect"]["right"] for i in m["images"]), "nothing under the sidebar"
    assert m["cover"]["height"] < 0.6 * 800, "the cover does not take a whole screen"
    assert m["summary"]["top"] < 800, "the summary starts on the first screen"
    assert m["cardColumns"] == 4
    aligns = page.evaluate("""[...document.querySelectorAll('table.kit-table td')].map(
        td => [td.classList.contains('num'), getComputedStyle(td).textAlign])""")
    assert {a for num, a in aligns if num} == {"right"} and {a for num, a in aligns if not num} == {"left"}, \
        "the kit's tables: figures right, text left"


def test_report_runs_no_script_under_a_content_security_policy(report_html):
    html = report_html.read_text(encoding="utf-8")
    assert "<script" not in html
    assert f'<meta content="{CSP}" http-equiv="Content-Security-Policy"/>' in html
    assert "script-src 'none'" in CSP and "default-src 'none'" in CSP
    assert check_html(report_html, "zh") == []


def test_index_page_fits_a_phone_and_runs_no_script(browser, published_small_demo, tmp_path):
    index = published_small_demo.parent / "index.html"
    assert "<script" not in index.read_text(encoding="utf-8")
    page = browser.page(390, 844, mobile=True)
    page.open(index)
    page.screenshot(tmp_path / "index-phone.png")
    widths = page.evaluate("[innerWidth, document.documentElement.scrollWidth, document.querySelector('table').scrollWidth]")
    assert widths[0] == 390 and widths[1] <= 390 < widths[2], "the wide table scrolls in its box, not the page"
