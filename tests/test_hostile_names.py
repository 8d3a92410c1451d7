"""Values from the data never become live HTML: a shop whose regions, categories, channels,
devices and sources are named with classic injection payloads publishes a report (and an index)
in which those names are text, never tags, links or event handlers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from kit.contract import TABLES
from kit.demo import generate
from kit.publish.batch import publish

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("hostile")]

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[x](javascript:alert(3))",
    "<svg onload=alert(4)>",
    '"><script>alert(5)</script>',
    "<a href=\"javascript:alert(6)\">x</a>",
    "<iframe src=\"javascript:alert(7)\"></iframe>",
    "![y](javascript:alert(8))",
    "<details open ontoggle=alert(9)>",
    "<style>body{display:none}</style>",
    "javascript:alert(10)",
    "{{7*7}} $x^2$ **b** # h",
]
"""At least ten classic payloads: script tags, event handlers, javascript: URLs in HTML and in
Markdown links and images, a style block, a template expression, TeX and Markdown markup."""

COLUMNS = {"customers": ("region", "acquisition_channel"), "orders": ("channel", "device", "region"),
           "order_items": ("category",), "events": ("device", "source", "category"),
           "marketing_spend": ("channel",)}


class _Live(HTMLParser):
    """What a browser would run or follow: tags, event-handler attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.handlers: list[str] = []
        self.js_urls: list[str] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if value and re.match(r"\s*javascript:", value, re.I):
                self.js_urls.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def _names_map(values: list[str]) -> dict[str, str]:
    return {v: PAYLOADS[i % len(PAYLOADS)] for i, v in enumerate(sorted(values))}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    generate(root / "generated", customers=300)
    tables = {t: pl.read_parquet(root / "generated" / t) for t in TABLES}
    # one mapping per kind of name, shared across tables (orders.channel = events.source = spend.channel)
    kinds = {"region": ["region"], "channel": ["acquisition_channel", "channel", "source"], "device": ["device"],
             "category": ["category"]}
    maps = {}
    for kind, columns in kinds.items():
        values = set()
        for t, cols in COLUMNS.items():
            for c in cols:
                if c in columns:
                    values |= set(tables[t][c].drop_nulls().unique().to_list())
        maps[kind] = _names_map(sorted(values))
    shop = root / "shop"
    shop.mkdir()
    for t, frame in tables.items():
        for c in COLUMNS.get(t, ()):
            kind = next(k for k, cols in kinds.items() if c in cols)
            frame = frame.with_columns(pl.col(c).replace(maps[kind]))
        frame.write_parquet(shop / f"{t}.parquet")
    params = root / "hostile.yaml"
    sources = "\n".join(f"  {t}: {{path: '{shop / (t + '.parquet')}'}}" for t in tables)
    params.write_text(f"name: hostile\ntitle: '<script>alert(\"title\")</script>'\nperiod: 2025-Q4\n"
                      f"data:\n{sources}\n", encoding="utf-8")
    out = root / "output"
    code = publish([str(params)], jobs=1, quiet=True, output=out, pdf=False)
    return out, code


def _read(path: Path) -> _Live:
    live = _Live()
    live.feed(path.read_text(encoding="utf-8"))
    return live


def test_the_hostile_shop_publishes(hostile):
    out, code = hostile
    assert code == 0, sorted(p.name for p in out.iterdir())


@pytest.mark.parametrize("page", ["hostile_2025-Q4/report.html", "index.html"])
def test_no_name_becomes_a_tag_a_handler_or_a_javascript_url(hostile, page):
    out, _ = hostile
    live = _read(out / page)
    assert not live.handlers, live.handlers[:5]
    assert not live.js_urls, live.js_urls[:5]
    for tag in ("script", "iframe", "svg", "details"):
        assert tag not in live.tags, f"<{tag}> in {page}"
    # the report's own links are in-page anchors (the index links to the reports): none from the data
    assert all(h.startswith("#") or h.endswith(("/report.html", "/report.pdf")) for h in live.hrefs), live.hrefs
    assert not any("display:none" in css for css in live.styles), "a <style> block from the data"


def test_the_names_are_still_shown_as_text(hostile):
    out, _ = hostile
    text = "".join(_read(out / "hostile_2025-Q4" / "report.html").text)
    shown = [p for p in PAYLOADS if p in text]
    # every payload used as a region, channel, device or category reaches the report as written
    assert len(shown) >= 10, [p for p in PAYLOADS if p not in shown]
    assert '<script>alert("title")</script>' in text  # the title too
    metrics = json.loads((out / "hostile_2025-Q4" / "metrics.json").read_text(encoding="utf-8"))
    assert any(r["region"] in PAYLOADS for r in metrics["sections"]["profile"]["region_share"])
