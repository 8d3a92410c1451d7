"""What a director reads: the GMV bridge, the total at stake without double counting, the
action lists behind the findings (ids beside the report, never in it), and the words of the
executive summary."""

from __future__ import annotations

import json
import string
from datetime import datetime as dt

import polars as pl
import pytest

from kit.diagnosis.findings import Finding
from kit.figures import diagnosis as diag
from kit.i18n import TEXT, Locale
from kit.metrics import audiences
from kit.metrics.kpis import gmv_bridge
from kit.narrative import summary as text
from kit.periods import parse_period
from kit.run import Run

ZH, EN = Locale("zh"), Locale("en")


def kpis(active, orders, gmv, active_prev, orders_prev, gmv_prev) -> pl.DataFrame:
    rows = [("active_customers", active, active_prev), ("paid_orders", orders, orders_prev), ("gmv", gmv, gmv_prev)]
    return pl.DataFrame([{"kpi": k, "value": v, "value_prev": p,
                          "value_change_rel": (v - p) / p if p else None} for k, v, p in rows])


# ---------------------------------------------------------------- the GMV bridge

@pytest.mark.parametrize("now, before", [
    ((100.0, 300.0, 30_000.0), (120.0, 300.0, 27_000.0)),   # fewer customers buying more often, dearer
    ((100.0, 100.0, 10_000.0), (100.0, 100.0, 10_000.0)),   # no change: every part 0
    ((0.0, 0.0, 0.0), (50.0, 80.0, 4_000.0)),               # nobody bought: a factor at 0 (no logarithm of it)
])
def test_the_bridge_parts_add_up_exactly_to_the_change(now, before):
    bridge = gmv_bridge(kpis(*now, *before))
    assert bridge["factor"].to_list() == ["active_customers", "orders_per_customer", "aov"]
    assert bridge["effect"].sum() == pytest.approx(now[2] - before[2], abs=1e-6)


def test_the_bridge_splits_a_hand_computed_case():
    # A 10 -> 12, F 2 -> 2, V 50 -> 50: GMV 1,000 -> 1,200, all from customers
    bridge = {r["factor"]: r["effect"] for r in gmv_bridge(kpis(12, 24, 1200, 10, 20, 1000)).to_dicts()}
    assert bridge == pytest.approx({"active_customers": 200.0, "orders_per_customer": 0.0, "aov": 0.0})
    # A 10 -> 20 and V 50 -> 100 (F 2): GMV 1,000 -> 4,000; Shapley shares the interaction equally:
    # customers (2,000 + 4,000 - 2,000 ... ) = ((2000-1000) + (4000-2000)) / 2 = 1,500, value likewise 1,500
    both = {r["factor"]: r["effect"] for r in gmv_bridge(kpis(20, 40, 4000, 10, 20, 1000)).to_dicts()}
    assert both == pytest.approx({"active_customers": 1500.0, "orders_per_customer": 0.0, "aov": 1500.0})


def test_no_bridge_without_a_comparison_period():
    table = kpis(12, 24, 1200, 10, 20, 1000).with_columns(pl.lit(None, pl.Float64).alias("value_prev"))
    assert gmv_bridge(table) is None


def test_bridge_sentence_in_both_languages():
    table = kpis(100.0, 300.0, 30_000.0, 120.0, 300.0, 27_000.0)
    bridge = gmv_bridge(table)
    q3 = parse_period("2025-Q3")
    zh = text.bridge_sentence(bridge, table, q3, ZH)
    assert zh.startswith("GMV较2025-Q3增加¥3,000（+11.1%）") and "活跃客户数 × 人均订单数 × 客单价" in zh
    en = text.bridge_sentence(bridge, table, q3, EN)
    assert en.startswith("GMV was up ¥3,000 (+11.1%) on 2025-Q3")


def test_explained_sentence_says_what_the_rest_of_the_shop_did():
    table = kpis(100.0, 300.0, 30_000.0, 100.0, 300.0, 40_000.0)   # GMV fell 10,000
    outage = [{"short": "App 支付故障", "amount": 8_000.0}, {"short": "东北客户流失", "amount": 5_000.0}]
    zh = text.explained_sentence(outage, table, ZH)
    assert "「App支付故障」约相当于降幅的80%" in zh and "「东北客户流失」约相当于降幅的50%" in zh
    assert "其余部分合计增长¥3,000" in zh  # -10,000 + 13,000 lost to the findings
    small = text.explained_sentence(outage[:1][:1] and [{"short": "outage", "amount": 6_000.0}], table, EN)
    assert "about 60% of the fall" in small and "The other ¥4,000 of the fall comes from elsewhere" in small
    grew = kpis(100.0, 300.0, 50_000.0, 100.0, 300.0, 40_000.0)
    assert "¥8,000" in text.explained_sentence(outage[:1], grew, ZH)  # it would have grown 8,000 more
    assert text.explained_sentence([], table, ZH) == ""


# ---------------------------------------------------------------- total at stake without double counting

def _finding(id_, money, customers, tmp_path, stake="customers"):
    found = Finding(id=id_, rule="customers.churn", title=id_, section=3, severity="high", money_at_stake=money,
                    stake=stake)
    if customers is not None:
        path = tmp_path / "actions" / f"{id_}.csv"
        path.parent.mkdir(exist_ok=True)
        pl.DataFrame({"customer_id": customers}).write_csv(path)
        found.action_list = {"file": f"actions/{id_}.csv", "customers": len(customers)}
    return found


def test_customers_on_two_lists_count_once_at_their_larger_share(tmp_path):
    run = Run(params=None, work_dir=tmp_path)
    churn = _finding("churn", 400.0, ["a", "b", "c", "d"], tmp_path)      # 100 per customer
    shrink = _finding("shrink", 300.0, ["c", "d", "e"], tmp_path)        # 100 per customer, c and d again
    returns = _finding("returns", 50.0, None, tmp_path, stake="returns")  # no customers: added as it is
    total = diag.total_at_stake(run, [churn, shrink, returns])
    # a, b, c, d at 100 + e at 100 + 50 returns
    assert total == pytest.approx({"total": 550.0, "sum": 750.0, "overlap": 200.0})
    bigger = _finding("vip", 900.0, ["c"], tmp_path)  # c is worth 900 on this list
    assert diag.total_at_stake(run, [churn, bigger])["total"] == pytest.approx(300.0 + 900.0)


def test_top_actions_by_expected_recovery():
    def f(i, money, recovery):
        return Finding(id=i, rule="cart.abandonment", title=i, section=2, severity="high", money_at_stake=money,
                       action={"lever": i, "expected_recovery": recovery, "audience": "x"}, owner="operations")
    ranked = diag.top_actions([f("a", 1000, 100), f("b", 500, 250), f("c", 800, 100), f("d", 0, 0)], n=3)
    assert [a["finding"] for a in ranked] == ["b", "a", "c"]  # recovery, then money; nothing for d


# ---------------------------------------------------------------- who the actions target

def test_failed_at_step_lists_known_customers_of_the_place_and_window():
    t = dt(2025, 11, 5, 10)
    sessions = pl.LazyFrame({
        "session_id": ["s1", "s2", "s3", "s4", "s5"],
        "user_id": ["c1", "c1", "v:anon", "c2", "c3"],
        "start": [t, t, t, t, dt(2025, 12, 1)],
        "device": ["App", "App", "App", "PC", "App"],
        "first:checkout": [t, t, t, t, t], "first:pay": [None, None, None, None, None],
        "cart_value": [10.0, 5.0, 1.0, 7.0, 3.0],
    }, schema_overrides={"first:pay": pl.Datetime("us")})
    out = audiences.failed_at_step(sessions, dt(2025, 11, 3), dt(2025, 11, 17), "pay", "checkout",
                                   {"device": "App"}).collect()
    # c1 twice on App in the window; the anonymous visitor, the PC session and December left out
    assert out.to_dicts() == [{"customer_id": "c1", "sessions": 2, "failed_value": 15.0, "first_failure": t}]


def test_lapsed_customers_of_a_place():
    orders = pl.LazyFrame({
        "order_id": ["1", "2", "3", "4"], "customer_id": ["a", "b", "b", "c"],
        "order_time": [dt(2025, 8, 1), dt(2025, 8, 2), dt(2025, 11, 2), dt(2025, 8, 3)],
        "amount": [10.0, 20.0, 30.0, 40.0], "status": ["paid"] * 4})
    customers = pl.LazyFrame({"customer_id": ["a", "b", "c"], "region": ["东北", "东北", "华东"]})
    out = audiences.lapsed(orders, customers, parse_period("2025-Q4"), parse_period("2025-Q3"), "region", "东北")
    assert out.collect()["customer_id"].to_list() == ["a"]  # b came back, c is elsewhere


def test_not_returned_first_buyers_of_a_channel():
    orders = pl.LazyFrame({
        "order_id": ["1", "2", "3", "4"], "customer_id": ["a", "b", "b", "c"],
        "order_time": [dt(2025, 9, 1), dt(2025, 10, 2), dt(2025, 10, 20), dt(2025, 11, 3)],
        "amount": [10.0, 20.0, 30.0, 40.0], "status": ["paid"] * 4})
    customers = pl.LazyFrame({"customer_id": ["a", "b", "c"], "acquisition_channel": ["信息流广告"] * 2 + ["搜索"]})
    out = audiences.not_returned(orders, customers, parse_period("2025-Q4"), column="acquisition_channel",
                                 group="信息流广告").collect()
    assert out["customer_id"].to_list() == ["a"] and out["first_amount"].to_list() == [10.0]


# ---------------------------------------------------------------- every template in both languages

def test_every_diagnosis_and_summary_template_has_both_languages_and_the_same_placeholders():
    keys = [k for k in TEXT if k.startswith(("diag.", "summary.", "finding."))]
    assert len(keys) > 100
    for key in keys:
        entry = TEXT[key]
        assert set(entry) == {"zh", "en"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("zh", "en")]
        assert fields[0] == fields[1], key


# ---------------------------------------------------------------- end to end

@pytest.fixture(scope="module")
def published(published_small_demo):
    return published_small_demo


@pytest.mark.e2e
def test_action_lists_are_beside_the_report_and_no_id_is_in_it(published):
    findings = json.loads((published / "findings.json").read_text(encoding="utf-8"))["findings"]
    listed = [f for f in findings if f["action_list"]]
    assert listed, [f["id"] for f in findings]
    html = (published / "report.html").read_text(encoding="utf-8")
    from kit.publish.export import _page_texts

    pdf = "".join(_page_texts(published / "report.pdf"))
    for f in listed:
        rows = pl.read_csv(published / f["action_list"]["file"], schema_overrides={"customer_id": pl.String})
        assert rows.height == f["action_list"]["customers"] > 0
        assert set(rows["reason"]) == {f["id"]} and rows["customer_id"].n_unique() == rows.height
        assert {"segment"} <= set(rows.columns)
        for customer in rows["customer_id"].head(50):
            assert customer not in html and customer not in pdf
        assert f["action_list"]["file"] in html  # the report says where the list is and how many


@pytest.mark.e2e
def test_the_summary_states_the_bridge_the_total_and_the_actions_with_owners(published):
    from kit.publish.export import _page_texts

    pages = [page.replace("\n", "") for page in _page_texts(published / "report.pdf")]
    starts = [i for i, page in enumerate(pages) if page.lstrip().startswith("摘要")]
    assert len(starts) == 1, "the summary starts one page"
    summary = pages[starts[0]]
    assert pages[starts[0] + 1].lstrip().startswith("引言"), "the summary fits its page"
    # the PDF's text has a space where CSS set the Han-Latin gap (text-autospace)
    assert "GMV较2025-Q3" in summary.replace(" ", "") and "活跃客户数 × 人均订单数 × 客单价" in summary
    assert "本期问题涉及金额合计" in summary and "同一客户只计一次" in summary
    assert "优先行动" in summary and "预期挽回" in summary
    assert any(owner in summary for owner in ("运营", "产品技术", "市场投放", "商品品控"))
    metrics = json.loads((published / "metrics.json").read_text(encoding="utf-8"))["sections"]
    bridge = metrics["summary"]["gmv_bridge"]
    gmv = next(k for k in metrics["summary"]["kpis"] if k["kpi"] == "gmv")
    assert sum(p["effect"] for p in bridge) == pytest.approx(gmv["value"] - gmv["value_prev"])
    assert metrics["diagnosis"]["total_at_stake"] <= metrics["diagnosis"]["sum_at_stake"]
