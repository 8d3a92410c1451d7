"""The experiment readout (A/B测试): units and outcomes on hand-made tables, the readout against
scipy and statsmodels on the same units, determinism, the params, the diagnosis rules, the
sentences in both languages, and the section on the small demo shop."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from conftest import make_unreadable, write_params
from scipy import stats
from statsmodels.stats.multitest import multipletests

from kit.diagnosis.experiment_rules import experiment_findings
from kit.diagnosis.rules import Context
from kit.errors import ParamsError
from kit.figures import Missing
from kit.figures import experiments as fig
from kit.i18n import Locale
from kit.metrics import experiments as ex
from kit.params import Experiments, load_params
from kit.periods import parse_period
from kit.run import prepare_run

Q4 = parse_period("2025-Q4")
T0 = datetime(2025, 11, 3, 10, 0)


def at(days: float = 0.0, hours: float = 0.0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def orders(rows: list[tuple]) -> pl.LazyFrame:
    """Orders from (customer_id, order_time, amount, status)."""
    return pl.DataFrame(rows, schema={"customer_id": pl.String, "order_time": pl.Datetime("us"), "amount": pl.Float64,
                                      "status": pl.String}, orient="row").lazy()


def exposures_table(rows: list[tuple], with_visitor: bool = False) -> pl.LazyFrame:
    """Exposures from (experiment_id, variant, exposure_time, customer_id[, visitor_id])."""
    schema = {"experiment_id": pl.String, "variant": pl.String, "exposure_time": pl.Datetime("us"),
              "customer_id": pl.String}
    if with_visitor:
        schema["visitor_id"] = pl.String
    return pl.DataFrame(rows, schema=schema, orient="row").lazy()


def settings(**overrides):
    conf = Experiments(**overrides)
    return conf.settings_for


# ---------------------------------------------------------------- units


def test_a_unit_is_the_customer_else_the_visitor_s_login_else_the_visitor():
    events = pl.DataFrame({"visitor_id": ["v1", "v1", "v2"], "customer_id": [None, "c9", None],
                           "event_time": [at(-2), at(-1), at(-1)]}).lazy()
    table = exposures_table([("e", "A", at(), "c1", "v7"), ("e", "B", at(), None, "v1"),
                             ("e", "A", at(), None, "v2"), ("e", "A", at(), None, None)], with_visitor=True)
    units = ex.exposures(table, ex.visitor_links(events)).collect().sort("unit")
    assert units["unit"].to_list() == ["c1", "c9", "v:v2"]  # the row naming nobody is left out
    assert units["linked"].to_list() == [True, True, False]


def test_a_visitor_logged_in_as_two_customers_at_one_instant_is_the_least_id():
    events = pl.DataFrame({"visitor_id": ["v1", "v1", "v1", "v2"], "customer_id": ["c9", "c3", "c1", None],
                           "event_time": [at(-2), at(-2), at(-1), at(-3)]}).lazy()
    links = ex.visitor_links(events).collect().sort("visitor_id")
    assert links.to_dicts() == [{"visitor_id": "v1", "linked": "c3"}]  # c1 logged in later; v2 never


def test_a_unit_seen_in_two_variants_is_counted_and_has_no_variant():
    table = exposures_table([("e", "A", at(1), "c1"), ("e", "B", at(0), "c1"), ("e", "A", at(2), "c1"),
                             ("e", "B", at(3), "c2")])
    units = ex.exposures(table).collect().sort("unit").to_dicts()
    assert units[0] == {"experiment_id": "e", "unit": "c1", "variants": 2, "variant": None,
                        "exposure_time": at(0), "linked": True}  # first exposure kept
    assert units[1]["variant"] == "B" and units[1]["variants"] == 1


@pytest.mark.parametrize(("variants", "flagged", "named", "control"), [
    (["B", "A"], [], None, "A"),
    (["treatment", "Control"], [], None, "Control"),
    (["新横幅", "对照"], [], None, "对照"),
    (["x", "y"], ["y"], None, "y"),
    (["x", "y"], ["y"], "x", "x"),
    (["v2", "v1"], [], None, "v1"),
])
def test_the_control_variant(variants, flagged, named, control):
    assert ex.control_of(variants, flagged, named) == control


# ---------------------------------------------------------------- outcomes


def outcome_of(order_rows, exposure=T0, window=3.0, repurchase=30.0, lookback=14.0):
    units = pl.DataFrame({"experiment_id": ["e"], "unit": ["c1"], "exposure_time": [exposure],
                          "window_days": [window], "repurchase_days": [repurchase], "lookback_days": [lookback]})
    return ex.outcomes(units.lazy(), orders(order_rows)).collect().row(0, named=True)


def test_outcomes_count_paid_orders_from_the_exposure_to_the_window_s_end():
    row = outcome_of([
        ("c1", at(-0.001), 10.0, "paid"),      # just before the exposure: pre-exposure
        ("c1", at(0), 20.0, "paid"),           # at the exposure: in
        ("c1", at(2.99), 30.0, "paid"),        # in
        ("c1", at(3), 40.0, "paid"),           # at the window's end: out (the window is [e, e + 3 days))
        ("c1", at(1), 50.0, "refunded"),       # refunded: netted, counted apart
        ("c1", at(1), 60.0, "cancelled"),      # never paid
        ("c1", at(-20), 70.0, "paid"),         # before the 14-day lookback
        ("c2", at(1), 80.0, "paid"),           # someone else
    ])
    assert (row["y:conversion"], row["y:orders"], row["y:revenue"]) == (1.0, 2.0, 50.0)
    assert (row["x:conversion"], row["x:orders"], row["x:revenue"]) == (1.0, 1.0, 10.0)
    assert row["y:repurchase"] == 1.0  # 3 paid orders within 30 days of the exposure
    assert row["returning"] and (row["refunded_orders"], row["refunded_amount"]) == (1, 50.0)


def test_a_unit_without_orders_has_zeros_and_is_new():
    row = outcome_of([("c2", at(1), 80.0, "paid")])
    assert (row["y:conversion"], row["y:orders"], row["y:revenue"], row["y:repurchase"]) == (0, 0, 0, 0)
    assert not row["returning"] and row["refunded_orders"] == 0


def test_step_reach_comes_from_the_sessions_in_the_window():
    from kit.metrics.sessions import FIRST, LAST

    sessions = pl.DataFrame({"user_id": ["c1", "c1"], "start": [at(-3), at(1)],
                             FIRST + "add_to_cart": [at(-3), None], LAST + "add_to_cart": [at(-3), None],
                             FIRST + "checkout": [None, at(1)], LAST + "checkout": [None, at(1)]}).lazy()
    units = pl.DataFrame({"experiment_id": ["e"], "unit": ["c1"], "exposure_time": [T0], "window_days": [3.0],
                          "repurchase_days": [30.0], "lookback_days": [14.0]}).lazy()
    row = ex.outcomes(units, orders([]), sessions, ("add_to_cart", "checkout")).collect().row(0, named=True)
    assert (row["y:step:add_to_cart"], row["x:step:add_to_cart"]) == (0.0, 1.0)
    assert (row["y:step:checkout"], row["x:step:checkout"]) == (1.0, 0.0)


def test_what_the_sessions_say_of_a_unit_by_hand_and_read_the_same_prepared_or_not():
    """c1 exposed at T0 with a 3-day window and a 14-day lookback: a cart 3 days before (lookback),
    a checkout session spanning the exposure (from T0 - 1 h to T0 + 1 h: in the window), and at
    T0 - 1 h two sessions starting together on PC and App (the greatest name, PC, is its device);
    c2 has no session: no reach, no device. The readout reads the same from the prepared table."""
    from kit.metrics.sessions import FIRST, LAST

    h = 1 / 24
    sessions = pl.DataFrame({
        "user_id": ["c1", "c1", "c1"], "start": [at(-3), at(-h), at(-h)], "device": ["App", "PC", "App"],
        FIRST + "add_to_cart": [at(-3), None, None], LAST + "add_to_cart": [at(-3), None, None],
        FIRST + "checkout": [None, at(-h), None], LAST + "checkout": [None, at(h), None]}).lazy()
    units = pl.DataFrame({"experiment_id": ["e", "e"], "unit": ["c1", "c2"], "exposure_time": [T0, T0],
                          "window_days": [3.0, 3.0], "lookback_days": [14.0, 14.0]}).lazy()
    said = ex.session_outcomes(units, sessions, ("add_to_cart", "checkout")).collect().sort("unit").to_dicts()
    assert said == [
        {"experiment_id": "e", "unit": "c1", "y:step:add_to_cart": 0.0, "y:step:checkout": 1.0,
         "x:step:add_to_cart": 1.0, "x:step:checkout": 1.0, "device": "PC"},
        {"experiment_id": "e", "unit": "c2", "y:step:add_to_cart": 0.0, "y:step:checkout": 0.0,
         "x:step:add_to_cart": 0.0, "x:step:checkout": 0.0, "device": None}]
    table = exposures_table([("e", "A", T0, "c1"), ("e", "B", T0, "c2")])
    conf = settings(steps=["add_to_cart", "checkout"], segments=["device"])
    prepared = ex.experiment_visits(table, None, sessions, conf)
    assert prepared.collect()["window_days"].to_list() == [3.0, 3.0]
    plain = ex.readout(table, orders([]), Q4, conf, sessions=sessions)
    read = ex.readout(table, orders([]), Q4, conf, sessions=sessions.filter(pl.lit(False)), visits=prepared)
    assert read.results.equals(plain.results) and read.segments.equals(plain.segments)
    # prepared with another window, it is not read: the (here empty) sessions are
    other = ex.experiment_visits(table, None, sessions, settings(steps=["add_to_cart", "checkout"], window_days=7))
    unread = ex.readout(table, orders([]), Q4, conf, sessions=sessions.filter(pl.lit(False)), visits=other)
    assert not unread.results.equals(plain.results)


def test_segments_are_read_before_the_exposure():
    units = pl.DataFrame({"experiment_id": ["e", "e"], "unit": ["c1", "c2"], "exposure_time": [T0, T0],
                          "returning": [True, False]}).lazy()
    sessions = pl.DataFrame({"user_id": ["c1", "c1", "c2"], "start": [at(-2), at(0, 0.25), at(1)],
                             "device": ["PC", "App", "App"]}).lazy()  # c1 on App at the exposure; c2 only after
    customers = pl.DataFrame({"customer_id": ["c1"], "region": ["华东"]}).lazy()
    cut = ex.segments_of(units, ("device", "visitor", "region"), orders([]), sessions, customers).collect().sort("unit")
    assert cut["device"].to_list() == ["App", "unknown"]
    assert cut["visitor"].to_list() == ["returning", "new"]
    assert cut["region"].to_list() == ["华东", "unknown"]


# ---------------------------------------------------------------- the readout against scipy and statsmodels


def synthetic(seed=3, n=(400, 420, 380), rates=(0.20, 0.26, 0.20), first=T0, days=10):
    """An experiment of three variants whose units are customers with known outcomes: each unit's
    order (or none) within the day after its exposure, and a pre-exposure order for some."""
    rng = np.random.default_rng(seed)
    rows, order_rows, truth = [], [], []
    k = 0
    for variant, size, rate in zip(("A", "B", "C"), n, rates, strict=True):
        for _ in range(size):
            k += 1
            customer, when = f"c{k:05d}", first + timedelta(days=int(rng.integers(0, days)), hours=9)
            rows.append(("exp", variant, when, customer))
            pre = rng.random() < 0.3
            converted = rng.random() < rate + (0.15 if pre else 0.0)
            if pre:
                order_rows.append((customer, when - timedelta(days=5), float(rng.integers(20, 200)), "paid"))
            if converted:
                order_rows.append((customer, when + timedelta(hours=3), float(rng.integers(20, 200)), "paid"))
            truth.append((variant, float(converted), float(pre)))
    return exposures_table(rows), orders(order_rows), pl.DataFrame(truth, schema=["variant", "y", "x"], orient="row")


def test_the_readout_is_scipy_s_welch_test_on_the_units_with_holm_across_variants():
    table, order_frame, truth = synthetic()
    read = ex.readout(table, order_frame, Q4, settings(cuped=False, metrics=["conversion", "revenue", "order_value"]))
    (info,) = read.experiments.to_dicts()
    assert info["control"] == "A" and info["units"] == 1200 and info["status"] == "concluded"
    y = {v: truth.filter(pl.col("variant") == v)["y"].to_numpy() for v in "ABC"}
    conversion = read.results.filter(pl.col("metric") == "conversion").sort("variant")
    raw = []
    for row, v in zip(conversion.to_dicts(), "BC", strict=True):
        expected = stats.ttest_ind(y[v], y["A"], equal_var=False)
        assert row["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
        assert (row["control_value"], row["value"]) == (pytest.approx(y["A"].mean()), pytest.approx(y[v].mean()))
        assert row["diff_low"] == pytest.approx(expected.confidence_interval().low, rel=1e-9)
        assert row["method"] == "welch" and not row["cuped"]
        raw.append(expected.pvalue)
    assert conversion["p_adjusted"].to_list() == pytest.approx(list(multipletests(raw, method="holm")[1]))
    assert conversion["verdict"].to_list()[0] == ("win" if conversion["p_adjusted"][0] < 0.05 else "flat")
    assert read.results.filter(pl.col("metric") == "order_value")["method"].unique().to_list() == ["delta"]
    # the sample ratio check against an equal split
    counts = read.variants.sort("variant")["units"].to_list()
    assert info["srm_p"] == pytest.approx(stats.chisquare(counts).pvalue)


def test_cuped_uses_the_same_metric_before_the_exposure_and_narrows_the_interval():
    table, order_frame, truth = synthetic()
    plain = ex.readout(table, order_frame, Q4, settings(cuped=False, metrics=["conversion"])).results
    cuped = ex.readout(table, order_frame, Q4, settings(cuped=True, metrics=["conversion"])).results
    row = cuped.filter(pl.col("variant") == "B").row(0, named=True)
    t = {v: truth.filter(pl.col("variant") == v) for v in "AB"}
    x = {k: pl.concat([t["A"], t["B"]])[k].to_numpy() for k in ("x", "y")}
    theta = np.cov(x["x"], x["y"])[0, 1] / np.var(x["x"], ddof=1)
    arm = {v: (t[v]["y"].to_numpy(), t[v]["x"].to_numpy()) for v in "AB"}
    adjusted = stats.ttest_ind(arm["B"][0] - theta * arm["B"][1], arm["A"][0] - theta * arm["A"][1], equal_var=False)
    assert row["cuped"] and row["p_value"] == pytest.approx(adjusted.pvalue, rel=1e-9)
    plain_b = plain.filter(pl.col("variant") == "B").row(0, named=True)
    assert row["variance_reduction"] > 0.01
    assert row["diff_high"] - row["diff_low"] < plain_b["diff_high"] - plain_b["diff_low"]


def test_segments_are_corrected_with_benjamini_hochberg_and_never_change_the_verdict():
    table, order_frame, _ = synthetic()
    read = ex.readout(table, order_frame, Q4, settings(cuped=False, metrics=["conversion"], segments=["visitor"]))
    seg = read.segments.filter(pl.col("p_value").is_not_null())
    assert seg["p_adjusted"].to_list() == pytest.approx(list(multipletests(seg["p_value"].to_list(), method="fdr_bh")[1]))
    assert set(seg["segment"]) == {"new", "returning"}
    assert read.experiments["winner"][0] == (read.results.filter(pl.col("verdict") == "win")["variant"].to_list() or [None])[0]


def test_the_cumulative_series_ends_on_the_overall_result():
    table, order_frame, _ = synthetic()
    read = ex.readout(table, order_frame, Q4, settings(metrics=["conversion"]))
    last = read.daily.filter(pl.col("variant") == "B").sort("date").row(-1, named=True)
    overall = read.results.filter(pl.col("variant") == "B").row(0, named=True)
    assert last["lift"] == pytest.approx(overall["lift"]) and last["lift_low"] == pytest.approx(overall["lift_low"])
    assert read.daily["date"].min() == T0.date()


def test_the_same_units_in_another_order_give_the_same_readout_to_the_last_bit():
    table, order_frame, _ = synthetic()
    first = ex.readout(table, order_frame, Q4, settings())
    shuffled = ex.readout(table.collect().sample(fraction=1.0, shuffle=True, seed=1).lazy(),
                          order_frame.collect().sample(fraction=1.0, shuffle=True, seed=2).lazy(), Q4, settings())
    for a, b in zip(first, shuffled, strict=True):
        assert a.equals(b)


def test_only_experiments_exposing_units_in_the_period_and_only_up_to_its_end():
    rows = [("old", "A", datetime(2025, 8, 1), "c1"), ("old", "B", datetime(2025, 8, 2), "c2"),
            ("now", "A", datetime(2025, 12, 1), "c3"), ("now", "B", datetime(2025, 9, 30), "c4"),
            ("now", "B", datetime(2026, 1, 5), "c5")]
    read = ex.readout(exposures_table(rows), orders([]), Q4, settings(), data_end=date(2026, 1, 10))
    (info,) = read.experiments.to_dicts()
    assert info["experiment_id"] == "now" and info["units"] == 2 and info["period_units"] == 1
    assert info["status"] == "running"  # units exposed after the period: still running at its end


def test_an_experiment_that_stopped_exposing_before_the_period_s_last_days_is_concluded_and_open_windows_counted():
    rows = [("e", "A", datetime(2025, 12, 20), "c1"), ("e", "B", datetime(2025, 12, 29, 12), "c2")]
    read = ex.readout(exposures_table(rows), orders([]), Q4, settings(), data_end=date(2025, 12, 31))
    info = read.experiments.row(0, named=True)
    assert info["status"] == "concluded"  # no exposure in the period's last 2 days
    assert info["open_windows"] == 1  # c2's 3-day window ends 2026-01-01 12:00, after the data's last day
    forced = ex.readout(exposures_table(rows), orders([]), Q4, settings(by_id={"e": {"status": "running"}}))
    assert forced.experiments["status"][0] == "running"


def test_a_broken_split_fails_the_sample_ratio_check():
    rows = [("e", "A" if k < 430 else "B", at(k % 5), f"c{k}") for k in range(1000)]
    info = ex.readout(exposures_table(rows), orders([]), Q4, settings()).experiments.row(0, named=True)
    assert not info["srm_ok"] and info["srm_p"] == pytest.approx(stats.chisquare([430, 570]).pvalue)
    planned = ex.readout(exposures_table(rows), orders([]), Q4, settings(by_id={"e": {"split": {"A": 0.43, "B": 0.57}}}))
    assert planned.experiments["srm_ok"][0]


def test_small_and_empty_experiments_are_read_without_errors():
    read = ex.readout(exposures_table([("e", "A", at(), "c1")]), orders([]), Q4, settings())
    assert read.experiments["units"][0] == 1 and read.results.height == 0
    empty = ex.readout(exposures_table([]), orders([]), Q4, settings())
    assert all(frame.height == 0 for frame in empty)


# ---------------------------------------------------------------- params


def test_per_experiment_settings_override_the_defaults(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("period: 2025-Q4\ndata: {orders: {path: o.csv}}\nexperiments:\n  window_days: 7\n"
                    "  by_id: {e1: {window_days: 30, control: B, split: {A: 0.2, B: 0.8}}}\n", encoding="utf-8")
    conf = load_params(path)[0].experiments
    assert conf.settings_for("e1")["window_days"] == 30 and conf.settings_for("e1")["control"] == "B"
    assert conf.settings_for("e2")["window_days"] == 7 and conf.settings_for("e2")["control"] is None
    assert Experiments().settings_for("x")["mde"] == 0.10 and Experiments().srm_alpha == 0.001


@pytest.mark.parametrize(("text", "said"), [
    ("  primary_metric: convresion\n", "did you mean 'conversion'"),
    ("  steps: [add_to_basket]\n", "not a funnel step"),
    ("  windw_days: 3\n", "Did you mean 'window_days'"),
    ("  by_id: {e1: {split: {A: -1}}}\n", "share >= 0"),
])
def test_bad_experiment_settings_get_one_message(tmp_path, text, said):
    path = tmp_path / "p.yaml"
    path.write_text(f"period: 2025-Q4\ndata: {{orders: {{path: o.csv}}}}\nexperiments:\n{text}", encoding="utf-8")
    with pytest.raises(ParamsError, match=said):
        load_params(path)


# ---------------------------------------------------------------- the diagnosis


def tables(status="concluded", srm_ok=True, diff=0.05, p=0.001):
    info = pl.DataFrame([{"experiment_id": "e", "name": "测试", "control": "A", "status": status, "srm_ok": srm_ok,
                          "srm_p": 0.5 if srm_ok else 1e-9, "srm_alpha": 0.001, "units": 3000,
                          "winner": "B" if p < 0.05 and diff > 0 else None, "primary_metric": "conversion",
                          "order_value": 200.0, "area": "marketing"}])
    variants = pl.DataFrame({"experiment_id": "e", "variant": ["A", "B", "C"], "period_units": [1000, 900, 800],
                             "units": [1000, 1000, 1000], "share": [1 / 3] * 3, "planned_share": [1 / 3] * 3})
    results = pl.DataFrame([
        {"experiment_id": "e", "metric": "conversion", "variant": "B", "control": "A", "control_value": 0.2,
         "value": 0.2 + diff, "diff": diff, "diff_low": diff - 0.02, "diff_high": diff + 0.02, "lift": diff / 0.2,
         "lift_low": (diff - 0.02) / 0.2, "lift_high": (diff + 0.02) / 0.2, "p_adjusted": p},
        {"experiment_id": "e", "metric": "conversion", "variant": "C", "control": "A", "control_value": 0.2,
         "value": 0.21, "diff": 0.01, "diff_low": -0.01, "diff_high": 0.03, "lift": 0.05, "lift_low": -0.05,
         "lift_high": 0.15, "p_adjusted": 0.4}])
    return info, variants, results


def test_a_concluded_winner_is_a_rollout_sized_by_the_traffic_not_yet_on_it():
    (finding,) = experiment_findings(*tables(), Context(loc=Locale("zh")))
    assert finding.rule == "experiment.rollout" and finding.severity == "medium"
    assert finding.where == {"experiment": "e", "variant": "B"}
    # control: 1000 units x 0.05 x ¥200; C: 800 units x (0.05 - 0.01) x ¥200
    assert finding.money_at_stake == pytest.approx(1000 * 0.05 * 200 + 800 * 0.04 * 200)
    assert finding.evidence["money_low"] == pytest.approx(1000 * 0.03 * 200 + 800 * 0.02 * 200)
    assert finding.reference["kind"] == "winning_variant" and finding.stake == "orders"
    assert finding.area == "marketing" and finding.owner == "marketing"
    assert finding.action["expected_recovery"] == pytest.approx(finding.money_at_stake * 0.5, abs=0.01)
    assert "全量" in finding.title and finding.formula


@pytest.mark.parametrize(("status", "srm_ok"), [("running", True), ("concluded", False)])
def test_no_rollout_while_running_or_when_the_split_is_broken(status, srm_ok):
    found = experiment_findings(*tables(status=status, srm_ok=srm_ok), Context(loc=Locale("en")))
    assert not [f for f in found if f.rule == "experiment.rollout"]
    assert [f.rule for f in found] == ([] if srm_ok else ["experiment.srm"])


def test_a_broken_split_is_a_high_data_finding_without_money():
    (finding,) = experiment_findings(*tables(srm_ok=False, p=0.4), Context(loc=Locale("en")))
    assert (finding.rule, finding.severity, finding.money_at_stake, finding.stake) == ("experiment.srm", "high", 0, "none")
    assert finding.id == "experiment.srm.e" and "cannot be trusted" in finding.title


# ---------------------------------------------------------------- the section on the small demo shop


@pytest.fixture(scope="module")
def run(tmp_path_factory, small_demo):
    folder = tmp_path_factory.mktemp("experiments")
    # its own cache: the dataset is prepared with these steps (a dataset prepared first by params
    # without them would hold no steps' reach, and the readout would read the sessions)
    return prepare_run(load_params(write_params(folder, small_demo, "experiments: {steps: [add_to_cart]}\n"))[0],
                       folder / "work", cache_dir=folder / "cache")


def test_the_demo_shop_s_two_experiments_are_read_and_recorded(run):
    from kit.figures.schema import validate_metrics
    from kit.publish.report import write_metrics

    read = fig.readout(run)
    assert read.experiments["experiment_id"].to_list() == ["EXP-EMAIL-SUBJECT", "EXP-HOME-BANNER"]
    email, banner = fig.each(read)
    assert email.info["control"] == "A" and banner.info["control"] == "对照"  # is_control, then the name
    assert banner.info["status"] == "running" and email.info["status"] == "concluded"
    assert banner.info["unlinked"] > 0 and banner.info["multiple_exposures"] >= 0
    assert set(email.results["metric"]) == {"conversion", "revenue", "orders", "order_value", "repurchase",
                                            "step:add_to_cart"}
    path = run.work_dir / "metrics.json"
    write_metrics(run, path, {})
    doc = validate_metrics(json.loads(path.read_text(encoding="utf-8")))
    assert [r.experiment_id for r in doc.sections.experiments.readouts] == ["EXP-EMAIL-SUBJECT", "EXP-HOME-BANNER"]
    assert fig.readout(run, reuse=True).results.equals(read.results)


def test_the_readout_reads_what_was_prepared_with_the_run_not_the_events_or_the_sessions(run, monkeypatch):
    """The same readout with the events and sessions unreadable: the logins come from
    ``visitor_links.parquet`` (the demo's exposures name visitors who logged in), the steps'
    reach and the devices from ``experiment_visits.parquet``."""
    assert run.table("visitor_links") is not None and run.table("experiment_visits") is not None
    before = fig.readout(run)
    make_unreadable(monkeypatch, "events", "sessions")
    after = fig.readout(run)
    for name in ("experiments", "variants", "results", "segments", "daily"):
        assert getattr(after, name).equals(getattr(before, name)), name
    assert "step:add_to_cart" in after.results["metric"].to_list() and "device" in after.segments["dimension"].to_list()
    # and the logins matter here: exposures naming only a visitor who logged in
    logins = run.table("visitor_links").collect()
    by_visitor = run.table("experiments").filter(pl.col("customer_id").is_null()).collect()
    assert by_visitor.join(logins, on="visitor_id", how="semi").height > 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sentence_and_table_of_the_section_reads_in_both_languages(run, lang):
    from kit.charts.experiments import cumulative_chart
    from kit.narrative import experiments as text

    loc = Locale(lang)
    for e in fig.each(fig.readout(run, reuse=True)):
        said = [text.overview_sentence(e.info, e.variants, loc), text.srm_sentence(e.info, loc) or "",
                *text.result_sentences(e.info, e.results, loc), text.status_sentence(e.info, loc),
                *text.guardrail_sentences(e.info, loc), *text.segment_sentences(e.segments, e.info, loc),
                text.daily_sentence(e.info, loc)]
        warning = text.srm_warning(e.info, e.variants, loc)
        said += list(warning or ())
        assert all("{" not in s and "None" not in s and "nan" not in s for s in said), said
        assert e.info["experiment_id"] in said[0]
        rows = text.result_rows(e.results, loc)
        assert rows.height == e.results.height and rows.columns == list(text.result_columns(loc))
        ax = cumulative_chart(e.daily, e.info, loc)
        assert e.info["name"] in ax.get_title()
        import matplotlib.pyplot as plt

        plt.close(ax.figure)


def test_without_an_experiments_table_the_section_says_what_to_add(tmp_path, small_demo):
    params = load_params(write_params(tmp_path, small_demo))[0]
    params.data.experiments = None
    lone = prepare_run(params, tmp_path / "work")
    result = fig.readout(lone)
    assert result == Missing(("experiments",)) and "data.experiments" in result.note(Locale("zh"))


def test_an_experiments_file_naming_nobody_stops_with_one_message(tmp_path, small_demo):
    from kit.errors import DataError

    pl.read_parquet(small_demo / "experiments").drop("customer_id", "visitor_id").write_csv(tmp_path / "exp.csv")
    text = write_params(tmp_path, small_demo).read_text(encoding="utf-8").replace(
        f"{{path: '{small_demo / 'experiments'}'}}", f"{{path: '{tmp_path / 'exp.csv'}'}}")
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="experiments need a customer_id or a visitor_id"):
        prepare_run(load_params(tmp_path / "t.yaml")[0], tmp_path / "work")


def test_a_slice_keeps_the_exposures_of_its_customers(tmp_path, small_demo):
    sliced = prepare_run(load_params(write_params(tmp_path, small_demo, "slice: {region: 华东}\n"))[0], tmp_path / "w")
    exposed = sliced.table("experiments").collect()
    customers = set(sliced.customers.collect()["customer_id"])
    assert exposed.height and set(exposed["customer_id"].drop_nulls()) <= customers
    assert any("experiments" in q["message"] for q in sliced.quality)
