"""output/index.html: its language follows the reports it lists, and its KPI changes use the
reports' units (percentage points for rates)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from kit.publish.export import csp_problems
from kit.publish.index import write_index


def _publish_fake(output: Path, name: str, lang: str, title: str, generated_at: str) -> None:
    """A run folder with the metrics.json a published report leaves (only what the index reads)."""
    kpis = [
        {"kpi": "gmv", "unit": "money", "good_when_up": True, "value": 5686496.0, "value_change": -295436.6,
         "value_change_rel": -0.0494},
        {"kpi": "paid_orders", "unit": "int", "good_when_up": True, "value": 20652.0, "value_change": -1040.0,
         "value_change_rel": -0.0479},
        {"kpi": "active_customers", "unit": "int", "good_when_up": True, "value": 3127.0, "value_change": -229.0,
         "value_change_rel": -0.0682},
        {"kpi": "aov", "unit": "money", "good_when_up": True, "value": 275.35, "value_change": -0.42,
         "value_change_rel": -0.0015},
        # a rate: +0.18 points, which is +2.2% relative; the report says +0.2 个百分点
        {"kpi": "visit_to_pay", "unit": "pct", "good_when_up": True, "value": 0.0802, "value_change": 0.00175,
         "value_change_rel": 0.0224},
    ]
    folder = output / name
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({
        "run": {"run_name": name, "title": title, "period": "2025-Q4", "slice": {}, "lang": lang, "currency": "¥"},
        "generated_at": generated_at, "sections": {"summary": {"kpis": kpis}}}, ensure_ascii=False), encoding="utf-8")
    (folder / "report.html").write_text("<html></html>", encoding="utf-8")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.lang, self.heads, self.csp, self.scripts, self.tags = None, [], [], 0, []
        self._th = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp.append(a["content"])
        self.scripts += tag == "script"
        self._th = tag == "th"

    def handle_endtag(self, tag):
        self._th = False if tag == "th" else self._th

    def handle_data(self, data):
        if self._th:
            self.heads.append(data)


def _page(output: Path) -> tuple[str, _Page]:
    text = write_index(output).read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    return text, page


def test_an_index_of_chinese_reports_is_chinese_with_rate_changes_in_points(tmp_path):
    _publish_fake(tmp_path, "a_2025-Q4", "zh", "演示 <b>报告</b>", "2025-12-01T10:00:00")
    text, page = _page(tmp_path)
    assert page.lang == "zh-CN"
    assert page.heads == ["报告", "范围", "GMV", "支付订单", "活跃客户", "客单价", "访问-支付转化率", "生成时间", "文件"]
    assert "已发布的报告" in text and "共1份报告" in text and "Published" not in text
    assert '8.0%<br><small class="good">+0.2个百分点</small>' in text, "a rate changes by points, as in the report"
    assert '¥568.6万<br><small class="bad">-4.9%</small>' in text, "amounts change relatively"
    assert "+2.2%" not in text
    assert "全部数据" in text and "演示 &lt;b&gt;报告&lt;/b&gt;" in text and "b" not in page.tags
    assert page.scripts == 0 and csp_problems(page.csp, []) == []


def test_an_index_of_english_reports_is_english(tmp_path):
    _publish_fake(tmp_path, "a_2025-Q4", "en", "Demo", "2025-12-01T10:00:00")
    text, page = _page(tmp_path)
    assert page.lang == "en"
    assert page.heads[:3] == ["Report", "Slice", "GMV"] and "Visit-to-pay conversion" in page.heads
    assert '<small class="good">+0.2 pp</small>' in text and "1 report(s)" in text and "all data" in text


def test_a_mixed_index_has_bilingual_headings_and_each_row_in_its_report_language(tmp_path):
    _publish_fake(tmp_path, "zh_2025-Q4", "zh", "中文报告", "2025-12-01T10:00:00")
    _publish_fake(tmp_path, "en_2025-Q4", "en", "English report", "2025-12-02T10:00:00")
    text, page = _page(tmp_path)
    assert page.heads[:2] == ["报告 · Report", "范围 · Slice"] and "活跃客户 · Active customers" in page.heads
    assert "已发布的报告 · Published reports" in text
    assert text.index("English report") < text.index("中文报告"), "newest first"
    assert '<tr lang="en">' in text and '<tr lang="zh-CN">' in text
    assert "+0.2个百分点" in text and "+0.2 pp" in text


def test_an_empty_index_says_how_to_publish(tmp_path):
    text, page = _page(tmp_path)
    assert "尚未发布报告：运行make report。" in text and "No report published yet" in text
    assert csp_problems(page.csp, []) == []
