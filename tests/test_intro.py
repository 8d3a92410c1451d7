"""One report, consistent with itself: the introduction (sources, scope, definitions), the
appendix (the glossary, the data-quality counts) and the notes that say which definition of a
lost customer the lifecycle and CLV sections use. On a tiny hand-built shop; every expected
number is worked out by hand in the comments."""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime as dt

import polars as pl
import pytest
from conftest import make_unreadable

from kit.figures import appendix, definitions, intro
from kit.i18n import TEXT, Locale
from kit.i18n.diagnosis import TEXT as DIAGNOSIS_TEXT
from kit.i18n.glossary import GROUPS, RULE_FORMULAS, TERMS
from kit.metrics.kpis import KPIS
from kit.metrics.retention import lifecycle_counts
from kit.narrative import definitions as defs_text
from kit.narrative import intro as intro_text
from kit.params import load_params
from kit.run import prepare_run

ZH, EN = Locale("zh"), Locale("en")

# orders: 1 a 2025-06-10 paid | 2 b 2025-08-01 paid | 3 a 2025-11-02 paid | 4 c 2025-11-20 cancelled
#         5 x 2025-12-05 paid (x is not in the customers table) | 6 b 2025-12-31 paid, no channel
# customers: a F 华东 | b (gender unknown) 华北 | c M 华东, signed up 2024-03-01 .. 2025-09-30
ORDERS = pl.DataFrame({
    "order_id": ["1", "2", "3", "4", "5", "6"],
    "customer_id": ["a", "b", "a", "c", "x", "b"],
    "order_time": [dt(2025, 6, 10), dt(2025, 8, 1), dt(2025, 11, 2), dt(2025, 11, 20), dt(2025, 12, 5),
                   dt(2025, 12, 31, 9)],
    "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
    "status": ["paid", "paid", "paid", "cancelled", "paid", "paid"],
    "channel": ["ads", "ads", "seo", "seo", "ads", None],
})
CUSTOMERS = pl.DataFrame({
    "customer_id": ["a", "b", "c"], "gender": ["F", None, "M"], "region": ["华东", "华北", "华东"],
    "signup_date": [date(2024, 3, 1), date(2025, 1, 1), date(2025, 9, 30)],
})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("intro")
    ORDERS.write_parquet(folder / "orders.parquet")
    CUSTOMERS.write_parquet(folder / "customers.parquet")
    params = folder / "tiny.yaml"
    params.write_text(f"name: tiny\nperiod: 2025-Q4\nslice: {{}}\nconversion: {{at_risk_days: 60, churn_days: 120}}\n"
                      f"data:\n  orders: {{path: '{folder / 'orders.parquet'}'}}\n"
                      f"  customers: {{path: '{folder / 'customers.parquet'}'}}\n", encoding="utf-8")
    return prepare_run(load_params(params)[0], folder / "work")


def test_sources_name_each_table_its_rows_and_dates(run):
    table = intro.sources(run)
    rows = {r["table"]: (r["source"], r["rows"], r["first"], r["last"]) for r in table.iter_rows(named=True)}
    assert rows == {"orders": ("orders.parquet", 6, "2025-06-10", "2025-12-31"),
                    "customers": ("customers.parquet", 3, "2024-03-01", "2025-09-30")}
    assert intro_text.sources_notes(table, ZH) == "说明：订单的日期为下单时间；客户的日期为注册日期。"


def test_purpose_names_the_period_the_comparison_and_the_slice(run):
    scope = intro.scope(run)
    assert intro_text.purpose(scope, ZH) == ("本报告分析全部客户在2025-Q4（2025-10-01至2025-12-31）的表现：客户是谁、"
                                             "如何访问与转化、价值几何，并诊断问题、给出建议。各项指标与对比期2025-Q3"
                                             "（2025-07-01至2025-09-30）比较。")
    assert intro_text.purpose(scope._replace(comparison=None, slice={"region": ["华东", "华北"]}), EN) == (
        "This report looks at the slice region = 华东, 华北: its customers in 2025-Q4 (2025-10-01 to 2025-12-31): who "
        "they are, how they visit and convert, what they are worth, what goes wrong and what to do about it. This run "
        "has no comparison period, so no figure is compared with an earlier one.")


def test_the_glossary_holds_every_kpi_once_with_the_runs_parameters(run):
    keys = [t.key for t in TERMS]
    assert len(keys) == len(set(keys)) and {t.group for t in TERMS} <= set(GROUPS)
    assert {k for k, _, _ in KPIS} <= set(keys)  # every KPI card is defined in the glossary
    for lang in ("zh", "en"):
        run.params.lang = lang
        table = appendix.glossary(run)
        assert table.height == len(TERMS) + len(RULE_FORMULAS) and not any("{" in d for d in table["definition"])
        assert table["group"].to_list() == sorted(table["group"].to_list(), key=[
            TEXT[f"glossary.group.{g}"][lang] for g in GROUPS].index)
    # every rule's money-at-stake formula is in the appendix, under the rule's name
    formulas = {k.removeprefix("diag.formula.") for k in DIAGNOSIS_TEXT if k.startswith("diag.formula.")}
    assert {k for k, _, _ in RULE_FORMULAS} == formulas
    run.params.lang = "zh"
    rows = {r["key"]: r for r in appendix.glossary(run).iter_rows(named=True)}
    assert rows["rule.product.quality"]["term"] == "品类退货与差评"
    assert rows["rule.product.quality"]["definition"] == DIAGNOSIS_TEXT["diag.formula.product.quality"]["zh"]
    assert "同一客户只计一次" in rows["total_at_stake"]["definition"]
    churned = appendix.glossary(run, ("stage_churned",))["definition"][0]
    assert churned == "期末时最近一次支付距期末120天及以上（按最近一次购买的时间，不同于KPI流失率）"
    assert intro.definitions(run)["key"].to_list() == list(intro.DEFINITIONS)


def test_quality_counts_by_hand(run):
    counts = {(r["table"], r["check"]): (r["count"], r["share"]) for r in appendix.quality_counts(run).iter_rows(named=True)}
    assert counts[("订单", "行数")] == (6, None)
    assert counts[("订单", "状态为paid")] == (5, 5 / 6) and counts[("订单", "状态为cancelled")] == (1, 1 / 6)
    assert counts[("订单", "客户不在客户表中")] == (1, 1 / 6)  # order 5 of x
    assert counts[("订单", "channel缺失")] == (1, 1 / 6)  # order 6
    assert counts[("客户", "行数")] == (3, None) and counts[("客户", "gender缺失")] == (1, 1 / 3)
    assert counts[("客户", "region缺失")] == (0, 0.0)
    # columns the data does not have at all (e.g. orders.device) are not listed as missing
    assert not any(check.startswith("device") for _, check in counts)
    assert appendix.quality_notes(run).columns == ["level", "table", "check", "count", "message"]


def test_the_three_ways_of_losing_a_customer_side_by_side(run):
    # KPI churn: Q3 buyers b (08-01) ... b bought again on 12-31: 0 of 1 lost
    assert definitions.churn_kpi(run) == 0.0
    # stages at 2025-12-31 (at risk from 60 days, churned from 120): a last 11-02 -> 59 days, first order 06-10:
    # active; b last 12-31: active (first order 08-01, before the period); x first order 12-05: new
    stages = lifecycle_counts(run.orders, run.period, run.comparison, 60, 120)
    assert defs_text.lifecycle_note(stages, 0.0, 60, 120, ZH) == (
        "口径：这里的“已流失”按最近一次购买计，期末时已满120天未购买（“流失风险”为60至120天），占0.0%；"
        "摘要中的流失率（KPI）指对比期购买、本期未再购买的客户占比（0.0%），两者口径不同。")
    assert defs_text.lifecycle_note(stages, None, 60, 120, EN).endswith(
        "The churn rate (KPI) needs a comparison period, which this run has not.")
    p_alive = pl.DataFrame({"customer_id": ["a", "b", "x"], "p_alive": [0.4, 0.8, 1.0]})
    by_stage = definitions.alive_by_stage(run, p_alive)
    assert by_stage["stage"].to_list() == ["new", "active", "at_risk", "churned"]
    assert by_stage["customers"].to_list() == [1, 2, 0, 0]
    assert by_stage["mean_p_alive"].to_list()[:2] == pytest.approx([1.0, 0.6])
    assert by_stage["likely_alive_share"].to_list()[:2] == pytest.approx([1.0, 0.5])  # a 0.4 < 0.5 <= b 0.8
    assert by_stage["definition"][3] == "期末时最近一次支付距期末120天及以上（按最近一次购买的时间，不同于KPI流失率）"
    assert defs_text.alive_note(by_stage, EN) == (
        "Probability alive is the BG/NBD model's estimate, not a churn definition: by lifecycle stage, \u201cchurned\u201d "
        "customers have a mean probability alive of \u2013 and \u201cactive\u201d ones 60.0% (the table puts the two "
        "side by side).")


def test_every_new_template_is_in_both_languages_and_fills():
    keys = [k for k in TEXT if k.split(".")[0] in ("intro", "appendix", "defs", "glossary")]
    assert len(keys) > 80
    for key in keys:
        for lang in ("zh", "en"):
            text = TEXT[key][lang]
            assert text, (key, lang)
            names = set(re.findall(r"{(\w+)}", text))
            assert text.format(**{n: "x" for n in names}), key


# events (customers a, c in 华东, b in 华北; visitor v1 logs in as a):
#   1 a/v1 view app | 2 a/v1 add_to_cart (no device) | 3 -/v1 view web (anonymous, user a)
#   4 -/v9 view web (anonymous, never logs in) | 5 b/v2 pay app
EVENTS = pl.DataFrame({
    "event_time": [dt(2025, 11, 1, 10), dt(2025, 11, 1, 10, 5), dt(2025, 11, 2, 9), dt(2025, 11, 3), dt(2025, 11, 4)],
    "event": ["view", "add_to_cart", "view", "view", "pay"],
    "customer_id": ["a", "a", None, None, "b"],
    "visitor_id": ["v1", "v1", "v1", "v9", "v2"],
    "device": ["app", None, "web", "web", "app"],
})


@pytest.mark.parametrize(("region", "expected"), [
    # the whole shop: 5 events, views 1 3 4, anonymous 3 4, no device 2
    (None, {"rows": (5, None), "view": (3, 3 / 5), "add_to_cart": (1, 1 / 5), "pay": (1, 1 / 5),
            "product_view": (0, 0.0), "anonymous": (2, 2 / 5), "device": (1, 1 / 5), "visitor_id": (0, 0.0)}),
    # 华东 keeps the events of a (1 2 3, the anonymous 3 by its visitor's login), not b's or v9's
    ("华东", {"rows": (3, None), "view": (2, 2 / 3), "add_to_cart": (1, 1 / 3), "pay": (0, 0.0),
             "product_view": (0, 0.0), "anonymous": (1, 1 / 3), "device": (1, 1 / 3), "visitor_id": (0, 0.0)}),
])
def test_the_events_quality_counts_by_hand_without_reading_the_events(tmp_path, monkeypatch, region, expected):
    """The appendix's events rows are summed from the events counted once per run
    (``run.event_checks``), and the introduction's dates of the events and sessions come from
    those counts and the sessions counted by day, not from the events or the sessions: with
    both unreadable they are the same, and a slice counts its own events only."""

    ORDERS.write_parquet(tmp_path / "orders.parquet")
    CUSTOMERS.write_parquet(tmp_path / "customers.parquet")
    EVENTS.write_parquet(tmp_path / "events.parquet")
    sliced = f"{{region: {region}}}" if region else "{}"
    params = tmp_path / "tiny.yaml"
    params.write_text(f"name: tiny\nperiod: 2025-Q4\nlang: en\nslice: {sliced}\ndata:\n"
                      + "".join(f"  {n}: {{path: '{tmp_path / n}.parquet'}}\n" for n in ("orders", "customers", "events")),
                      encoding="utf-8")
    run = prepare_run(load_params(params)[0], tmp_path / "work")
    make_unreadable(monkeypatch, "events", "sessions")
    # the events of 华东 are 1 2 3 (2025-11-01 .. 11-02), of the shop 1 .. 5 (to 11-04); the
    # sessions start with the first event and the last starts with event 3 or 5 (one-event sessions)
    last = "2025-11-02" if region else "2025-11-04"
    dates = {r["table"]: (r["first"], r["last"]) for r in intro.sources(run).iter_rows(named=True)}
    assert dates["events"] == dates["sessions"] == ("2025-11-01", last)
    rows = {r["check"]: (r["count"], r["share"]) for r in appendix.quality_counts(run).iter_rows(named=True)
            if r["table"] == EN.t("intro.table.events")}
    labels = {"rows": EN.t("appendix.check.rows"), "anonymous": EN.t("appendix.check.anonymous")} | {
        step: EN.t("appendix.check.event", event=step) for step in ("view", "product_view", "add_to_cart", "pay")} | {
        column: EN.t("appendix.check.missing", column=column) for column in ("device", "visitor_id")}
    assert {key: rows[label] for key, label in labels.items()} == expected
    # columns the events do not have at all (source, page ...) are not listed as missing
    assert EN.t("appendix.check.missing", column="source") not in rows
