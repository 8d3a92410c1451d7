"""The report's HTML pieces (cards, tables, notes, findings).

HTML is checked by parsing it with ``html.parser`` into elements (tag, attributes, inner
text), so the tests do not depend on whitespace or attribute order.
"""

from __future__ import annotations

from html.parser import HTMLParser

import polars as pl
import pytest

from kit import display as d
from kit.figures import Missing
from kit.i18n import Locale

ZH, EN = Locale("zh"), Locale("en")


class _Element:
    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag, self.attrs, self.text, self.children = tag, attrs, "", []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[_Element]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                found.append(child)
            found.extend(child.find_all(tag, cls))
        return found

    def find(self, tag: str | None = None, cls: str | None = None) -> _Element:
        found = self.find_all(tag, cls)
        assert len(found) == 1, f"expected one <{tag} class={cls}>, found {len(found)}"
        return found[0]


class _Tree(HTMLParser):
    """Elements with their full inner text (entities decoded, as a browser shows it)."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.root = _Element("root", {})
        self.stack = [self.root]
        self.feed(markup)
        self.close()
        assert self.stack == [self.root], "unclosed tags"

    def handle_starttag(self, tag, attrs):
        el = _Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        self.stack.append(el)

    def handle_endtag(self, tag):
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        for el in self.stack:
            el.text += data


def parse(markup: str) -> _Element:
    return _Tree(markup).root


# ------------------------------------------------------------------ notes

def test_notes_are_escaped_and_translated():
    el = parse(d.note_html("a < b & <script>x</script>")).find("div", "kit-note")
    assert el.text == "a < b & <script>x</script>"
    assert not el.children  # the script tag is text, not an element

    el = parse(d.missing_html(Missing(("marketing_spend",)).note(ZH))).find("div", "kit-missing")
    assert el.text.startswith("本部分需要marketing_spend表") and "data.marketing_spend" in el.text

    el = parse(d.small_sample_html(1234, "customers", EN)).find("div", "kit-small-sample")
    assert "only 1,234 customers" in el.text
    el = parse(d.small_sample_html(12, "sessions", ZH)).find("div", "kit-small-sample")
    assert "仅12个会话" in el.text


# ------------------------------------------------------------------ KPI cards

def _card(**kw) -> dict:
    base = {"label": "GMV", "value": 123456.0, "prev": 100000.0, "change": 23456.0, "change_rel": 0.23456,
            "unit": "money", "good_when_up": True}
    return base | kw


def test_card_money_up_is_good():
    card = parse(d.kpi_cards_html([_card()], Locale("en", "$"))).find("div", "kit-cards").find("div", "kit-card")
    assert card.find("div", "label").text == "GMV"
    assert card.find("div", "value").text == "$123,456"
    change = card.find("div", "change")
    assert change.text == "+23.5%"  # 0.23456 -> 23.456% -> one decimal
    assert change.classes == {"change", "up", "good"}
    assert card.find("div", "prev").text == "vs previous $100,000"


def test_churn_up_is_bad_and_shown_in_points():
    # churn 20% now vs 15% before: +5 points, and more churn is bad
    churn = _card(label="流失率", value=0.20, prev=0.15, change=0.05, change_rel=0.3333, unit="pct",
                  good_when_up=False)
    card = parse(d.kpi_cards_html([churn], ZH)).find("div", "kit-card")
    assert card.find("div", "value").text == "20.0%"
    change = card.find("div", "change")
    assert change.text == "+5.0个百分点"
    assert change.classes == {"change", "up", "bad"}
    assert card.find("div", "prev").text == "较上期15.0%"


def test_card_down_classes_and_missing_prev():
    down_good = _card(label="churn", value=0.1, prev=0.15, change=-0.05, change_rel=-0.333, unit="pct",
                      good_when_up=False)
    down_bad = _card(label="orders", value=90, prev=100, change=-10, change_rel=-0.1, unit="int")
    no_prev = _card(label="new", value=1500, prev=None, change=None, change_rel=None, unit="int")
    root = parse(d.kpi_cards_html([down_good, down_bad, no_prev], EN))
    changes = root.find_all("div", "change")
    assert changes[0].classes == {"change", "down", "good"} and changes[0].text == "-5.0 pp"
    assert changes[1].classes == {"change", "down", "bad"} and changes[1].text == "-10.0%"
    assert changes[2].classes == {"change", "flat"} and changes[2].text == "–"
    assert root.find_all("div", "value")[2].text == "1,500"
    assert root.find_all("div", "prev")[2].text == "vs previous –"


def test_card_unchanged_is_flat_without_colour():
    same = _card(value=100.0, prev=100.0, change=0.0, change_rel=0.0)
    change = parse(d.kpi_cards_html([same], EN)).find("div", "change")
    assert change.classes == {"change", "flat"}
    assert change.text == "flat"
    # a rate unchanged to the tenth of a point reads 持平 (not "+0.0 个百分点"), in grey
    rate = _card(value=0.444, prev=0.4441, change=-0.0001, change_rel=-0.0002, unit="pct")
    change = parse(d.kpi_cards_html([rate], ZH)).find("div", "change")
    assert change.classes == {"change", "flat"} and change.text == "持平"


# ------------------------------------------------------------------ tables

def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "category": ["<b>Shoes</b>", "Bags", None],
        "customers": [1200, 35, None],
        "gmv": [12345.6, 80.0, None],
        "repeat_share": [0.3821, None, 0.5],
        "repeat_share_change": [0.015, -0.02, 0.0],
        "gmv_change_rel": [0.1, -0.25, None],
        "score": [1.234, 56.78, None],
    })


def _rows(markup: str) -> list[list[_Element]]:
    return [tr.find_all("td") for tr in parse(markup).find("table", "kit-table").find("tbody").find_all("tr")]


def test_table_with_column_spec():
    spec = {"category": ("品类", "text"), "gmv": ("GMV", "money"),
            "repeat_share_change": ("复购占比变化", "pp"),
            "gmv_change_rel": ("GMV 变化", "change")}
    markup = d.table_html(_frame(), spec, Locale("zh", "$"))
    headers = parse(markup).find_all("th")
    assert [h.text for h in headers] == ["品类", "GMV", "复购占比变化", "GMV 变化"]
    rows = _rows(markup)
    assert len(rows) == 3
    name, gmv, pp, rel = rows[0]
    assert name.text == "<b>Shoes</b>" and not name.children  # escaped, not bold
    assert "num" not in name.classes
    assert gmv.text == "$1.2万" and "num" in gmv.classes  # Chinese money in 万
    assert pp.text == "+1.5个百分点" and pp.find("span").classes == {"up"}
    assert rel.text == "+10.0%" and rel.find("span").classes == {"up"}
    # row 2: falls are coloured down; money below 100 keeps cents
    assert rows[1][1].text == "$80.00"
    assert rows[1][2].find("span", "down").text == "-2.0个百分点"
    assert rows[1][3].find("span", "down").text == "-25.0%"
    # row 3: nulls are dashes, a zero change is not coloured
    assert [c.text for c in rows[2]] == ["–", "–", "持平", "–"]
    assert not rows[2][2].children and not rows[2][3].children


def test_lower_is_better_columns_colour_a_fall_green_and_a_rise_red():
    frame = pl.DataFrame({"category": ["服饰", "数码"], "return_rate_change": [-0.008, 0.006],
                          "visit_to_pay_change": [-0.003, 0.004], "churn_rate_change": [0.017, 0.0]})
    rows = _rows(d.table_html(frame, {"category": ("品类", "text"), "return_rate_change": ("较上期", "pp"),
                                      "visit_to_pay_change": ("较上期", "pp"),
                                      "churn_rate_change": ("较上期", "pp")}, ZH))
    # span.up is the report's green (for the better), span.down its red (for the worse)
    assert rows[0][1].find("span").classes == {"up"} and rows[0][1].text == "-0.8个百分点"  # fewer returns
    assert rows[1][1].find("span").classes == {"down"}  # more returns
    assert rows[0][2].find("span").classes == {"down"} and rows[1][2].find("span").classes == {"up"}
    assert rows[0][3].find("span").classes == {"down"}  # churn up
    assert rows[1][3].text == "持平" and not rows[1][3].children


def test_churn_card_rise_is_bad_whichever_way_it_is_named():
    card = _card(label="流失率", value=0.578, prev=0.562, change=0.017, change_rel=0.03, unit="pct",
                 good_when_up=False)
    change = parse(d.kpi_cards_html([card], ZH)).find("div", "change")
    assert change.classes == {"change", "up", "bad"} and change.text == "+1.7个百分点"


def test_table_guessed_kinds():
    rows = _rows(d.table_html(_frame(), None, EN))
    headers = [h.text for h in parse(d.table_html(_frame(), None, ZH)).find_all("th")]
    assert headers == _frame().columns
    # category text, customers int, gmv money, share pct, share change pp, rel change, float num
    assert [c.text for c in rows[0]] == ["<b>Shoes</b>", "1,200", "¥12,346", "38.2%", "+1.5 pp", "+10.0%", "1.23"]
    assert [c.text for c in rows[1]] == ["Bags", "35", "¥80.00", "–", "-2.0 pp", "-25.0%", "56.8"]
    assert [("num" in c.classes) for c in rows[0]] == [False, True, True, True, True, True, True]


def test_guess_kind_by_name_and_dtype():
    assert d.guess_kind("conversion_rate", pl.Float64) == "pct"
    assert d.guess_kind("conversion_rate_change", pl.Float64) == "pp"
    assert d.guess_kind("orders_change_rel", pl.Float64) == "change"
    assert d.guess_kind("aov", pl.Float64) == "money"
    assert d.guess_kind("sessions", pl.UInt32) == "int"
    assert d.guess_kind("days", pl.Float32) == "num"
    assert d.guess_kind("rate_label", pl.String) == "text"  # a name alone does not make numbers
    assert d.guess_kind("generated", pl.Float64) == "num"  # "rate" only as a whole word


def test_table_cuts_rows_and_says_so():
    frame = pl.DataFrame({"n": list(range(5))})
    root = parse(d.table_html(frame, None, EN, max_rows=2))
    assert [tr.find("td").text for tr in root.find("tbody").find_all("tr")] == ["0", "1"]
    assert root.find("div", "kit-note").text == "3 more rows not shown."  # 5 rows - 2 shown
    assert not parse(d.table_html(frame, None, EN, max_rows=5)).find_all("div", "kit-note")


def test_table_rejects_unknown_columns_and_kinds():
    with pytest.raises(KeyError, match="nope"):
        d.table_html(_frame(), {"nope": ("x", "int")}, EN)
    with pytest.raises(ValueError, match="percent"):
        d.table_html(_frame(), {"gmv": ("x", "percent")}, EN)


# ------------------------------------------------------------------ findings

def _finding(**kw) -> dict:
    base = {"id": "funnel.step_drop.device.App.pay", "rule": "funnel.step_drop", "section": 2, "severity": "high",
            "title": "App 支付转化下降 <i>严重</i>", "money_at_stake": 123456.7,
            "evidence": {"rate": 0.31, "rate_prev": 0.4, "sessions": 1200, "since": "2025-11-03"},
            "where": {"device": "App"}, "target_size": 800, "recommendations": ["检查 App 支付页", "A & B 测试"]}
    return base | kw


def test_findings_list_links_to_blocks():
    findings = [_finding(), _finding(id="rfm.at_risk", severity="low", title="At risk", money_at_stake=0.0)]
    root = parse(d.findings_list_html(findings, ZH))
    items = root.find("ol", "kit-findings").find_all("li")
    assert [i.classes for i in items] == [{"sev-high"}, {"sev-low"}]
    first = items[0]
    assert first.find("span", "sev").text == "高"
    link = first.find("a")
    assert link.attrs["href"] == "#finding-funnel.step_drop.device.App.pay"
    assert link.text == "App 支付转化下降 <i>严重</i>" and not link.children
    assert first.find("span", "money").text == "涉及金额¥12.3万"
    assert first.text.endswith("— 涉及金额¥12.3万")
    # no money attached: no money part
    assert not items[1].find_all("span", "money") and "—" not in items[1].text
    assert parse(d.findings_list_html(findings, EN)).find_all("span", "sev")[1].text == "low"


def test_findings_list_empty_and_bad_severity():
    assert parse(d.findings_list_html([], EN)).find("div", "kit-note").text == "No problems found."
    with pytest.raises(ValueError, match="severity"):
        d.findings_list_html([_finding(severity="critical")], EN)


def test_finding_block():
    block = parse(d.finding_block_html(_finding(severity="medium"), Locale("en", "$"))).find("div", "kit-finding")
    assert block.classes == {"kit-finding", "sev-medium"}
    # the target of the summary link
    assert block.attrs["id"] == "finding-funnel.step_drop.device.App.pay"
    assert block.find("span", "sev").text == "medium"
    assert block.find("span", "title").text == "App 支付转化下降 <i>严重</i>"
    assert block.find("span", "money").text == "money at stake $123,457"
    evidence = [li.text for li in block.find("div", "evidence").find_all("li")]
    # rates as percentages, counts with separators, strings as they are
    assert evidence == ["rate: 31.0%", "rate before: 40.0%", "sessions: 1,200", "since: 2025-11-03"]
    recs = [li.text for li in block.find("div", "recommendations").find_all("li")]
    assert recs == ["检查 App 支付页", "A & B 测试"]


def test_finding_block_says_what_the_money_is_held_against_and_the_action():
    finding = _finding(
        reference={"kind": "comparison", "label": "对比期（2025-Q3）水平 40.0%", "value": "40.0%"},
        formula="进入该环节的会话 × (对比期转化率 − 本期转化率) × 每笔支付金额", owner="product_tech",
        action={"audience": "App 进入「支付」的 800 个会话", "lever": "检查 App 支付页", "target": "转化率回到 40.0%",
                "measure": "下期该环节转化率", "expected_recovery": 61728.35, "assumption": "修复后恢复差距的 50%",
                "check_on": "2026-01-30"},
        action_list={"file": "actions/funnel.step_drop.device.App.pay.csv", "customers": 512})
    block = parse(d.finding_block_html(finding, ZH)).find("div", "kit-finding")
    how = [li.text for li in block.find("div", "stake").find_all("li")]
    assert how == ["对照：对比期（2025-Q3）水平 40.0%", "算法：进入该环节的会话 × (对比期转化率 − 本期转化率) × 每笔支付金额"]
    action = [li.text for li in block.find("div", "action").find_all("li")]
    assert action[0] == "对象：App 进入「支付」的 800 个会话" and "负责：产品技术" in action
    assert "预期挽回：¥6.2万（假设：修复后恢复差距的50%）" in action and "复查：2026-01-30" in action
    assert action[-1] == "行动名单：actions/funnel.step_drop.device.App.pay.csv（512名客户，随报告提供）"
    # the recommendation that is the action's lever is not said twice
    recs = [li.text for li in block.find("div", "recommendations").find_all("li")]
    assert recs == ["A & B 测试"]


def test_finding_block_leaves_out_empty_parts():
    block = parse(d.finding_block_html(_finding(money_at_stake=0.0, evidence={}, recommendations=[]), ZH))
    assert not block.find_all("span", "money")
    assert not block.find_all("div", "evidence")
    assert not block.find_all("div", "recommendations")


def test_display_functions_output_html(monkeypatch):
    shown = []
    monkeypatch.setattr(d, "_show", shown.append)
    d.note("x")
    d.table(pl.DataFrame({"a": [1]}), None, ZH)
    d.kpi_cards([_card()], ZH)
    d.findings_list([_finding()], ZH)
    d.finding_block(_finding(), ZH)
    d.missing("x")
    d.small_sample(3, "orders", ZH)
    outer_classes = [s.split('"')[1] for s in shown]
    assert outer_classes == ["kit-note", "kit-table", "kit-cards", "kit-findings", "kit-finding sev-high",
                             "kit-missing", "kit-small-sample"]
