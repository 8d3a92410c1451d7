"""Each finding as a trend and against its peers: the monthly series (kit.metrics.history) on
hand-built orders, the monthly onset scan (kit.diagnosis.onset) on made-up series, the
sentences in both languages, and the figure, charts and sentence of every rule on the small
demo shop. Every expected number is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date
from datetime import datetime as dt

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402
from conftest import write_params  # noqa: E402

from kit.charts.diagnosis import finding_history_chart  # noqa: E402
from kit.diagnosis.onset import Onset, find_onset  # noqa: E402
from kit.figures import conversion, profile  # noqa: E402
from kit.figures.history import History, finding_history  # noqa: E402
from kit.i18n import Locale  # noqa: E402
from kit.metrics import history as H  # noqa: E402
from kit.metrics.customers import churn_by  # noqa: E402
from kit.narrative.history import onset_sentence  # noqa: E402
from kit.params import load_params  # noqa: E402
from kit.periods import parse_period  # noqa: E402
from kit.run import prepare_run  # noqa: E402

ZH, EN = Locale("zh"), Locale("en")

# a (北) Jan 10, Feb 3 | b (北) Jan 20 | c (南) Feb 5, Mar 1, Mar 2 | d (南) Jan 31, Mar 30 | e (南) Mar 3 (cancelled)
ORDERS = pl.LazyFrame({
    "order_id": ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
    "customer_id": ["a", "a", "b", "c", "c", "c", "d", "d", "e"],
    "order_time": [dt(2025, 1, 10), dt(2025, 2, 3), dt(2025, 1, 20), dt(2025, 2, 5), dt(2025, 3, 1), dt(2025, 3, 2),
                   dt(2025, 1, 31, 23), dt(2025, 3, 30), dt(2025, 3, 3)],
    "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0],
    "status": ["paid"] * 8 + ["cancelled"],
})
GROUPS = pl.LazyFrame({"customer_id": ["a", "b", "c", "d", "e"], "group": ["北", "北", "南", "南", "南"]})


def test_monthly_churn_is_the_kpi_churn_from_one_month_to_the_next():
    series = H.monthly_churn(ORDERS, date(2025, 3, 31), GROUPS)
    # Feb: January's buyers a, b (北), d (南); a came back in Feb, b and d did not. Mar: February's buyers a (北),
    # c (南); c came back, a did not. January has no month before it in the data.
    rows = {(r["month"], r["group"]): (r["k"], r["n"]) for r in series.to_dicts()}
    assert rows == {(date(2025, 2, 1), "北"): (1, 2), (date(2025, 2, 1), "南"): (1, 1),
                    (date(2025, 3, 1), "北"): (1, 1), (date(2025, 3, 1), "南"): (0, 1)}
    feb = churn_by(ORDERS, GROUPS.rename({"group": "region"}), "region", parse_period("2025-02"),
                   parse_period("2025-01"))
    assert {r["region"]: (r["lost"], r["was_active"]) for r in feb.to_dicts()} == {"北": (1, 2), "南": (1, 1)}
    # a period ending mid-March keeps the whole months only: February
    assert H.monthly_churn(ORDERS, date(2025, 3, 15))["month"].to_list() == [date(2025, 2, 1)]
    assert H.monthly_churn(ORDERS, date(2025, 3, 31))["value"].to_list() == [2 / 3, 1 / 2]


def test_roles_pool_the_rest_and_keep_each_peer():
    series = H.monthly_churn(ORDERS, date(2025, 3, 31), GROUPS)
    north = H.roles(series, "北")
    rest = north.filter(pl.col("role") == "rest")
    assert rest["k"].to_list() == [1, 0] and rest["n"].to_list() == [1, 1]  # 南 alone
    assert north.filter(pl.col("role") == "focus")["value"].to_list() == [0.5, 1.0]
    assert north.filter(pl.col("role") == "peer")["group"].unique().to_list() == ["南"]
    shop = H.roles(series, None)
    assert shop.filter(pl.col("role") == "all")["value"].to_list() == [2 / 3, 1 / 2]


def test_monthly_cohort_repurchase_shows_closed_cohorts_only():
    # first purchases: a Jan 10 (next Feb 3: 24 days), b Jan 20 (never), d Jan 31 23:00 (next Mar 30: 57.04 days),
    # c Feb 5 (next Mar 1: 24 days). With 30 days: January 1 of 3, February 1 of 1. Through 2025-03-31 the
    # February cohort closes on Mar 31 (Feb end + 30 days = Mar 30 <= Apr 1); March does not.
    series = H.monthly_cohort_repurchase(ORDERS, date(2025, 3, 31), days=30)
    assert series.select("month", "k", "n").rows() == [(date(2025, 1, 1), 1, 3), (date(2025, 2, 1), 1, 1)]
    assert H.monthly_cohort_repurchase(ORDERS, date(2025, 3, 29), days=30)["month"].to_list() == [date(2025, 1, 1)]
    # 60 days: January's window closes at Feb 1 + 60 days = Apr 2 00:00 (d, at 23:00 on Jan 31, is watched until
    # Apr 1 23:00), so not by the end of Mar 31, but by the end of Apr 1; d's 57 days then count
    assert H.monthly_cohort_repurchase(ORDERS, date(2025, 3, 31), days=60).height == 0
    assert H.monthly_cohort_repurchase(ORDERS, date(2025, 4, 1), days=60).select("k", "n").rows() == [(2, 3)]


def test_repurchase_curves_follow_buyers_long_enough():
    curves = H.repurchase_curves(ORDERS, date(2025, 3, 31), date(2025, 1, 1), GROUPS, horizons=(30, 60))
    # 30 days: buyers up to Mar 1 (Apr 1 - 30 d): 北 a (back in 24 d), b (never); 南 c (24 d), d (57 d)
    # 60 days: up to Jan 31 00:00: 北 a, b; 南 none (d's first order is 23:00 on Jan 31)
    rows = {(r["group"], r["days"]): (r["k"], r["n"]) for r in curves.to_dicts()}
    assert rows == {("北", 30): (1, 2), ("南", 30): (1, 2), ("北", 60): (1, 2)}


def test_monthly_concentration_is_the_top_fifth_of_each_month():
    series = H.monthly_concentration(ORDERS, date(2025, 3, 31))
    # Jan: a 10, b 30, d 70 -> top ceil(0.6) = 1 buyer: 70 / 110. Feb: a 20, c 40 -> 40 / 60. Mar: c 110, d 80
    assert series["value"].to_list() == pytest.approx([70 / 110, 40 / 60, 110 / 190])


# ---------------------------------------------------------------- onset


def _series(rates: list[float], n: float = 1000.0, start: date = date(2024, 1, 1)) -> pl.DataFrame:
    months = [H.add_months(start, i) for i in range(len(rates))]
    return pl.DataFrame({"month": months, "k": [r * n for r in rates], "n": [n] * len(rates)})


def test_onset_of_a_rise_that_still_holds():
    # 12 months at 20% of 1,000, then 6 at 40%: the stretch starts in month 13 (2025-01) and runs to the end
    series = _series([0.2] * 12 + [0.4] * 6)
    onset = find_onset(series, higher_is_worse=True)
    assert onset == Onset(date(2025, 1, 1), None, 0.2, 0.4, None, onset.p_value)
    assert onset.p_value < 1e-6
    assert find_onset(_series([0.2] * 18), higher_is_worse=True) is None  # nothing changed
    assert find_onset(series, higher_is_worse=False) is None  # a rise of a good rate is no onset
    assert find_onset(_series([0.2] * 3 + [0.4] * 2), higher_is_worse=True) is None  # too short


def test_onset_against_the_rest_ignores_a_move_of_the_whole_shop():
    group = _series([0.2] * 12 + [0.4] * 6, n=500)
    same = _series([0.2] * 12 + [0.4] * 6, n=5000)
    flat = _series([0.2] * 18, n=5000)
    assert find_onset(group, True, reference=same) is None  # everybody rose: not this group's onset
    onset = find_onset(group, True, reference=flat)
    assert (onset.start, onset.before, onset.during, onset.rest_before, onset.rest_during) == (
        date(2025, 1, 1), 0.2, 0.4, 0.2, 0.2)


def test_onset_that_ended():
    onset = find_onset(_series([0.3] * 8 + [0.1] * 4 + [0.3] * 6), higher_is_worse=False)
    # months 9-12 (2024-09 .. 2024-12) at 10%; before 30%, after 30%
    assert (onset.start, onset.end, onset.before, onset.during, onset.after) == (
        date(2024, 9, 1), date(2024, 12, 1), pytest.approx(0.3), pytest.approx(0.1), pytest.approx(0.3))


# ---------------------------------------------------------------- sentences


def _history(measure="churn", higher=True, focus="东北", dimension="region", onset=None, kind="pct",
             focus_k=(10.0, 10.0), rest_k=(50.0, 50.0)):
    months = [date(2025, 1, 1), date(2025, 2, 1)]
    rows = [{"month": m, "role": "focus" if focus else "all", "group": focus or "all", "k": k, "n": 100.0}
            for m, k in zip(months, focus_k, strict=True)]
    if focus:
        rows += [{"month": m, "role": "rest", "group": "rest", "k": k, "n": 100.0}
                 for m, k in zip(months, rest_k, strict=True)]
    series = pl.DataFrame(rows).with_columns((pl.col("k") / pl.col("n")).alias("value"))
    return History("r", measure, kind, higher, dimension, focus, series, onset)


@pytest.mark.parametrize(("history", "zh", "en"), [
    (_history(onset=Onset(date(2025, 8, 1), None, 0.46, 0.59, None, 1e-4, 0.48, 0.42)),
     "东北的月流失率自2025-08起上升：此前为46.0%，此后为59.0%；同期其他地区合计为48.0%和42.0%。",
     "东北's monthly churn rose from 2025-08: 46.0% before, 59.0% since; the other regions pooled: 48.0% and 42.0%."),
    (_history("repurchase", False, None, None, onset=Onset(date(2025, 1, 1), None, 0.28, 0.03, None, 1e-9)),
     "全店的首购90天复购率自2025-01起下降：此前为28.0%，此后为3.0%。",
     "the whole shop's 90-day repurchase fell from 2025-01: 28.0% before, 3.0% since."),
    (_history("returns", True, "服饰", "category", onset=Onset(date(2024, 3, 1), date(2024, 6, 1), 0.05, 0.3, 0.06, 1e-5)),
     "服饰的退货率在2024-03至2024-06期间上升（30.0%，此前5.0%，之后6.0%）。",
     "服饰's return rate rose from 2024-03 to 2024-06 (30.0%, against 5.0% before and 6.0% after)."),
    # no onset: 30 of 200 vs 100 of 200: pooled 0.325, z = 0.35 / sqrt(0.325 x 0.675 x 0.01) = 7.5: lower
    (_history("returns", True, "服饰", "category", focus_k=(15.0, 15.0)),
     "2025-01至2025-02的数据中未发现起始点：整个期间服饰的退货率（15.0%）低于其他品类合计（50.0%）。",
     "No onset in the data from 2025-01 to 2025-02: over all of it 服饰's return rate (15.0%) is lower than the other "
     "categories pooled (50.0%)."),
    # 48 of 200 vs 50 of 200: z = 0.23, p = 0.82: similar
    (_history(focus_k=(24.0, 24.0), rest_k=(25.0, 25.0)),
     "2025-01至2025-02的数据中未发现起始点：整个期间东北的月流失率（24.0%）与其他地区合计（25.0%）无明显差异。",
     "No onset in the data from 2025-01 to 2025-02: over all of it 东北's monthly churn (24.0%) is similar to the other "
     "regions pooled (25.0%)."),
    (_history("abandonment", True, None, "device", focus_k=(70.0, 72.0)),
     "2025-01至2025-02的数据中未发现起始点：全店的购物车放弃率每月在70.0%至72.0%之间。",
     "No onset in the data from 2025-01 to 2025-02: the whole shop's cart abandonment stayed between 70.0% and 72.0% a month."),
    (_history("roi", False, "信息流广告", "channel", kind="ratio", focus_k=(250.0, 150.0), rest_k=(500.0, 480.0)),
     "2025-01至2025-02，信息流广告的投放ROI从2.50变为1.50；其他渠道合计从5.00变为4.80（未做起始点检验：不是计数的比率）。",
     "From 2025-01 to 2025-02, 信息流广告's ROI went from 2.50 to 1.50; the other channels pooled from 5.00 to 4.80 "
     "(no onset test: not a rate of counts)."),
    (_history("concentration", True, None, None, focus_k=(60.0, 68.5)),
     "2025-01至2025-02，全店的前20%客户的GMV占比每月在60.0%至68.5%之间（未做起始点检验：不是计数的比率）。",
     "From 2025-01 to 2025-02, the whole shop's top 20% buyers' share of GMV ranged from 60.0% to 68.5% a month "
     "(no onset test: not a rate of counts)."),
])
def test_onset_sentence_in_both_languages(history, zh, en):
    assert onset_sentence(history, ZH) == zh
    assert onset_sentence(history, EN) == en


def test_every_history_template_has_both_languages():
    from kit.i18n import TEXT

    keys = [k for k in TEXT if k.startswith("history.")]
    assert len(keys) > 40 and all(TEXT[k].get("zh") and TEXT[k].get("en") for k in keys)


# ---------------------------------------------------------------- every rule on the small demo shop


@pytest.fixture(scope="module")
def run(tmp_path_factory, small_demo):
    folder = tmp_path_factory.mktemp("history")
    return prepare_run(load_params(write_params(folder, small_demo))[0], folder / "work")


FINDINGS = [
    {"id": "c", "rule": "customers.churn", "where": {"region": "东北"}},
    {"id": "s", "rule": "rfm.high_value_shrink", "where": {"segment": "重要价值客户"}},
    {"id": "r", "rule": "retention.first_repurchase", "where": {"acquisition_channel": "信息流广告"}},
    {"id": "f", "rule": "retention.falling_repurchase", "where": {}},
    {"id": "q", "rule": "product.quality", "where": {"category": "服饰"}},
    {"id": "o", "rule": "channel.roi_drop", "where": {"channel": "信息流广告"}},
    {"id": "p", "rule": "funnel.step_drop", "where": {"device": "App", "step": "pay"}},
    {"id": "w", "rule": "funnel.weakest_step", "where": {"step": "add_to_cart"}},
    {"id": "a", "rule": "cart.abandonment", "where": {}},
    {"id": "k", "rule": "rfm.concentration", "where": {}},
]


def test_dated_drops_and_unknown_rules_have_no_history(run):
    assert finding_history(run, {"rule": "funnel.dated_drop", "where": {"device": "App", "step": "pay"}}) is None
    assert finding_history(run, {"rule": "no.such.rule", "where": {}}) is None


@pytest.mark.parametrize("finding", FINDINGS, ids=[f["rule"] for f in FINDINGS])
def test_every_rule_has_a_history_its_peers_a_chart_and_a_sentence(run, finding):
    history = finding_history(run, finding)
    assert isinstance(history, History)
    assert history.series["month"].max() <= date(2025, 12, 1) and history.focus_series().height >= 5
    if history.peers is not None and history.focus is not None:  # the finding's member among its peers
        assert history.peers.filter(pl.col("role") == "focus")["group"].to_list() == [history.focus]
    for loc in (ZH, EN):
        assert onset_sentence(history, loc)
        fig = finding_history_chart(history, {**finding, "title": "t"}, loc)
        assert len(fig.axes) == 1 + (history.peers is not None) + (history.curves is not None)
        plt.close(fig)


def test_the_peers_quote_the_sections_tables(run):
    churn = finding_history(run, FINDINGS[0])
    table = conversion.churn_by(run, "region", reuse=True).filter(pl.col("region") == "东北").row(0, named=True)
    focus = churn.peers.filter(pl.col("role") == "focus").row(0, named=True)
    assert (focus["k"], focus["n"], focus["value"]) == (table["lost"], table["was_active"], table["churn_rate"])
    quality = finding_history(run, FINDINGS[4])
    row = profile.category_quality(run, reuse=True).filter(pl.col("category") == "服饰").row(0, named=True)
    assert quality.peers.filter(pl.col("role") == "focus")["value"][0] == pytest.approx(row["return_rate"])
    # the repurchase curves: the channel beside each other channel and the rest pooled
    repurchase = finding_history(run, FINDINGS[2])
    assert set(repurchase.curves["role"].unique()) == {"focus", "rest", "peer"}
    assert repurchase.curves["days"].unique().sort().to_list() == list(H.CURVE_DAYS)
