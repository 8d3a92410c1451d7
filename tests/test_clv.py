"""Section 3.3, customer lifetime value: BG/NBD + Gamma-Gamma (kit.metrics.clv) and its
narrative and charts.

The CDNOW tests compare against numbers published outside this code: Fader, Hardie & Lee
(2005) for BG/NBD (r, alpha, a, b, log-likelihood -9582.4 and E[Y(39) | x=2, t_x=30.43,
T=38.86] = 1.226), the lifetimes documentation for Gamma-Gamma (p, q, gamma and the mean
conditional expected spend 35.25).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.stats import beta as beta_dist

from kit.i18n import Locale
from kit.metrics import clv
from kit.metrics.clv import BgNbdFit, ClvFit, GammaGammaFit

ZH, EN = Locale("zh"), Locale("en")

CDNOW = Path(__file__).parent / "fixtures" / "CDNOW_sample.txt"
CALIBRATION_END = date(1997, 9, 30)


def sig3(x: float) -> str:
    return f"{x:.3g}"


@pytest.fixture(scope="module")
def cdnow_orders() -> pl.LazyFrame:
    """The CDNOW sample as paid orders of the data contract."""
    rows = [line.split() for line in CDNOW.read_text().splitlines() if line.strip()]
    return pl.LazyFrame({
        "customer_id": [r[1] for r in rows],
        "order_time": [r[2] for r in rows],
        "amount": [float(r[4]) for r in rows],
        "status": ["paid"] * len(rows),
    }).with_columns(pl.col("order_time").str.to_date("%Y%m%d"))


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_orders) -> pl.DataFrame:
    return clv.rfm_summary(cdnow_orders, "customer_id", "order_time", "amount", CALIBRATION_END, "week")


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_summary) -> ClvFit:
    return clv.fit_clv(cdnow_summary, "week", 12, 30)


# ---------------------------------------------------------------- summary


def test_rfm_summary_by_hand():
    orders = pl.LazyFrame({
        "cid": ["A", "A", "A", "A", "A", "B", "C"],
        "t": [datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 20), datetime(2025, 1, 8, 23, 59),
              datetime(2025, 1, 15), datetime(2025, 2, 1), datetime(2025, 1, 22), datetime(2025, 2, 3)],
        "v": [10.0, 5.0, 20.0, 30.0, 99.0, 7.0, 50.0],
    })
    weekly = clv.rfm_summary(orders, "cid", "t", "v", date(2025, 1, 29), "week")
    # A: purchase days 01-01 (10+5=15), 01-08 (20), 01-15 (30); 02-01 is after the end.
    #    frequency = 3 days - 1 = 2; recency = 14 days / 7 = 2; T = 28 days / 7 = 4;
    #    monetary = mean of the repeat days = (20 + 30) / 2 = 25.
    # B: one day 01-22: frequency 0, recency 0, T = 7 days / 7 = 1, monetary 0.
    # C: only buys after the end: absent.
    assert weekly.to_dicts() == [
        {"cid": "A", "frequency": 2, "recency": 2.0, "T": 4.0, "monetary": 25.0},
        {"cid": "B", "frequency": 0, "recency": 0.0, "T": 1.0, "monetary": 0.0},
    ]
    daily = clv.rfm_summary(orders, "cid", "t", "v", date(2025, 1, 29), "day")
    assert daily["recency"].to_list() == [14.0, 0.0] and daily["T"].to_list() == [28.0, 7.0]


def test_cdnow_counts(cdnow_summary):
    assert cdnow_summary.height == 2357
    assert (cdnow_summary["frequency"] > 0).sum() == 946
    # customer 0001 bought 1997-01-01, 01-18, 08-02 (and 12-12, after the end): x = 2,
    # t_x = 213 days / 7 = 30.43, T = 272 / 7 = 38.86, monetary = (29.73 + 14.96) / 2 = 22.345
    first = cdnow_summary.row(0, named=True)
    assert (first["frequency"], round(first["recency"], 2), round(first["T"], 2), first["monetary"]) == \
        (2, 30.43, 38.86, pytest.approx(22.345))


# ---------------------------------------------------------------- the CDNOW reproduction


def test_cdnow_bgnbd_reproduces_published_estimates(cdnow_fit):
    bg = cdnow_fit.bgnbd
    assert bg.ok
    assert [sig3(v) for v in (bg.r, bg.alpha, bg.a, bg.b)] == ["0.243", "4.41", "0.793", "2.43"]
    assert round(bg.alpha, 3) == 4.414 and round(bg.b, 3) == 2.426
    assert bg.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_cdnow_gamma_gamma_reproduces_published_estimates(cdnow_fit, cdnow_summary):
    gg = cdnow_fit.gamma_gamma
    assert gg.ok and gg.repeat_buyers == 946
    assert [sig3(v) for v in (gg.p, gg.q, gg.gamma)] == ["6.25", "3.74", "15.4"]
    assert round(gg.gamma, 2) == 15.44
    # the reported log-likelihood is that of the repeat buyers' (x, m) at the fitted parameters
    buyers = cdnow_summary.filter(pl.col("frequency") > 0)
    assert gg.log_likelihood == pytest.approx(clv.gamma_gamma_log_likelihood(
        [gg.p, gg.q, gg.gamma], buyers["frequency"], buyers["monetary"]), abs=1e-6)


def test_cdnow_published_predictions(cdnow_fit, cdnow_summary):
    # Fader, Hardie & Lee (2005): customer 0001 (x=2, t_x=30.43, T=38.86) is expected to make
    # 1.226 repeat purchases in the next 39 weeks.
    assert clv.expected_purchases(cdnow_fit.bgnbd, 39, [2], [30.43], [38.86])[0] == pytest.approx(1.226, abs=5e-4)
    # lifetimes documentation: mean conditional expected spend over all customers 35.25
    spend = clv.expected_spend(cdnow_fit.gamma_gamma, cdnow_summary["frequency"], cdnow_summary["monetary"])
    assert spend.mean() == pytest.approx(35.25, abs=0.005)


def test_weighted_fit_equals_unweighted_fit(cdnow_summary, cdnow_fit):
    # one row per customer, no grouping, no gradient: Nelder-Mead on the plain log-likelihood
    x, t_x, T = (cdnow_summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    res = minimize(lambda lp: -clv.bgnbd_log_likelihood(np.exp(lp), x, t_x, T), np.log([0.3, 5, 0.8, 2.5]),
                   method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
    bg = cdnow_fit.bgnbd
    assert np.exp(res.x) == pytest.approx([bg.r, bg.alpha, bg.a, bg.b], rel=1e-3)
    assert -res.fun == pytest.approx(bg.log_likelihood, abs=1e-3)
    # and the weighted likelihood of the distinct histories equals the per-customer one
    grid = cdnow_summary.group_by("frequency", "recency", "T").len()
    params = [bg.r, bg.alpha, bg.a, bg.b]
    assert grid.height < cdnow_summary.height
    assert clv.bgnbd_log_likelihood(params, grid["frequency"], grid["recency"], grid["T"], grid["len"]) == \
        pytest.approx(clv.bgnbd_log_likelihood(params, x, t_x, T), abs=1e-8)


def test_cdnow_end_to_end_with_holdout(cdnow_orders):
    result = clv.customer_lifetime_value(cdnow_orders, CALIBRATION_END, 12, "week", 30)
    assert result.fit.ok and result.customers.height == 2357
    assert set(result.customers.columns) >= {"customer_id", "frequency", "recency", "T", "monetary", "p_alive",
                                             "expected_purchases", "expected_value"}
    # each row carries its own customer's figures: customer 0001 (x=2, t_x=213/7, T=272/7, m=22.345)
    row = result.customers.filter(pl.col("customer_id") == "0001").row(0, named=True)
    weeks = 12 * 365.25 / 12 / 7
    purchases = clv.expected_purchases(result.fit.bgnbd, weeks, [2], [213 / 7], [272 / 7])[0]
    assert row["expected_purchases"] == pytest.approx(purchases)
    assert row["expected_value"] == pytest.approx(purchases * clv.expected_spend(result.fit.gamma_gamma, [2], [22.345])[0])
    holdout = result.holdout
    assert holdout["frequency_bucket"].to_list() == list(range(8)) and holdout["customers"].sum() == 2357
    # actual holdout purchases = distinct (customer, day) after 1997-09-30, counted here from the raw file
    days = {(line.split()[1], line.split()[2]) for line in CDNOW.read_text().splitlines() if line.split()[2] > "19970930"}
    assert (holdout["actual"] * holdout["customers"]).sum() == pytest.approx(len(days))
    # the model tracks the holdout (39 weeks) within 0.4 purchases per customer in every bucket
    assert ((holdout["predicted"] - holdout["actual"]).abs() < 0.4).all()


# ---------------------------------------------------------------- model formulas by hand

HAND = BgNbdFit(ok=True, r=2.0, alpha=1.0, a=1.5, b=1.5)
# r = a + b - 1 makes 2F1(r+x, b+x; a+b+x-1; z) = (1 - z)^-(b+x), so E[Y(t)] has a closed form.


def test_probability_alive_by_hand():
    # x=1, t_x=1, T=3: odds dead = a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) = 1.5/1.5 * (4/2)^3 = 8 -> 1/9
    assert clv.probability_alive(HAND, [1], [1], [3])[0] == pytest.approx(1 / 9)
    # no repeat purchase: BG/NBD customers cannot drop out before their first repeat purchase
    assert clv.probability_alive(HAND, [0, 0], [0, 0], [5, 50]).tolist() == [1.0, 1.0]
    p = clv.probability_alive(HAND, [3] * 4, [2] * 4, [2, 4, 8, 16])
    assert p[0] == 1 / (1 + 1.5 / 3.5)  # T = t_x: odds = a/(b+x-1)
    assert np.all(np.diff(p) < 0)


def test_expected_purchases_by_hand():
    # new customer x=0, T=0, t=3: z = 3/4, E = (a+b-1)/(a-1) [1 - (1/4)^r (1/4)^-b] = 4 (1 - 0.5) = 2
    assert clv.expected_purchases(HAND, 3, [0], [0], [0])[0] == pytest.approx(2.0)
    # x=1, t_x=1, T=3, t=4: z = 1/2, 2F1 = 2^2.5, (4/8)^3 * 2^2.5 = 2^-0.5;
    # numerator = (a+b+x-1)/(a-1) (1 - 2^-0.5) = 3/0.5 * 0.29289 = 1.75736; denominator = 1 + 8 = 9 -> 0.195262
    assert clv.expected_purchases(HAND, 4, [1], [1], [3])[0] == pytest.approx(6 * (1 - 2 ** -0.5) / 9)


def test_expected_purchases_matches_numerical_integration():
    # E[X(t)] for a new customer = integral over p ~ Beta(a, b) of (1/p)(1 - (alpha/(alpha+p t))^r)
    # (eq. 7 of Fader, Hardie & Lee integrated over lambda ~ Gamma(r, alpha)); CDNOW parameters
    fit = BgNbdFit(ok=True, r=0.243, alpha=4.414, a=0.793, b=2.426)
    t = 52.0
    integrand = lambda p: (1 - (fit.alpha / (fit.alpha + p * t)) ** fit.r) / p * beta_dist.pdf(p, fit.a, fit.b)  # noqa: E731
    expected = quad(integrand, 0, 1, limit=200)[0]
    assert clv.expected_purchases(fit, t, [0], [0], [0])[0] == pytest.approx(expected, rel=1e-6)


def test_expected_purchases_large_frequency_stays_finite():
    fit = BgNbdFit(ok=True, r=0.243, alpha=4.414, a=0.793, b=2.426)
    value = clv.expected_purchases(fit, 52, [400], [300], [300])[0]
    # nearly certainly alive and buying ~400/300 a week: about 52 * (400.243/304.414) = 68 purchases
    assert math.isfinite(value) and 55 < value < 70


def test_expected_spend_by_hand():
    fit = GammaGammaFit(ok=True, p=2.0, q=3.0, gamma=4.0)
    # population mean gamma p/(q-1) = 4; x=2, m=10: w = 4/(4+2) = 2/3 -> 4/3 + 20/3 = 8
    assert clv.expected_spend(fit, [0, 2], [0, 10]).tolist() == pytest.approx([4.0, 8.0])


def test_horizon_in_units():
    assert clv.horizon_in_units(12, "week") == pytest.approx(365.25 / 7)
    assert clv.horizon_in_units(1, "day") == pytest.approx(30.4375)


# ---------------------------------------------------------------- flags


def test_too_few_repeat_buyers_is_flagged(cdnow_orders):
    summary = pl.DataFrame({"customer_id": list("abcdef"), "frequency": [0, 0, 1, 2, 0, 1],
                            "recency": [0.0, 0, 3, 5, 0, 1], "T": [10.0, 9, 8, 7, 6, 5], "monetary": [0.0, 0, 5, 6, 0, 7]})
    fit = clv.fit_clv(summary, min_repeat_buyers=30)
    assert not fit.ok and fit.reason == "too_few_repeat_buyers" and fit.gamma_gamma.repeat_buyers == 3
    # CDNOW up to 1997-01-03 (three days of first purchases) has few repeat buyers: no crash, no numbers
    early = clv.customer_lifetime_value(cdnow_orders, date(1997, 1, 3), min_repeat_buyers=30)
    assert not early.fit.ok and early.fit.reason == "too_few_repeat_buyers" and early.customers is None


def test_non_convergence_is_flagged(cdnow_summary):
    fit = clv.fit_clv(cdnow_summary, maxiter=1)
    assert not fit.ok and fit.reason == "no_convergence" and "BG/NBD" in fit.detail


def test_parameters_at_bound_are_flagged():
    # every repeat buyer bought on the last day (t_x = T): nobody ever seems to drop out,
    # so the likelihood keeps rising as the dropout probability a/(a+b) goes to 0
    summary = pl.DataFrame({"frequency": [1, 2, 3, 1, 2] * 20, "recency": [10.0] * 100, "T": [10.0] * 100,
                            "monetary": [5.0] * 100})
    fit = clv.fit_bgnbd(summary)
    assert not fit.ok and fit.reason == "at_bound"


def test_fit_record_is_json_ready(cdnow_fit):
    record = json.loads(json.dumps(cdnow_fit.to_dict()))
    assert record["ok"] is True and record["time_unit"] == "week" and record["repeat_buyers"] == 946
    assert {"r", "alpha", "a", "b", "p", "q", "gamma", "bgnbd_log_likelihood", "gamma_gamma_log_likelihood"} <= set(record)


# ---------------------------------------------------------------- holdout and tables


def test_holdout_comparison_by_hand():
    orders = pl.LazyFrame({
        "cid": ["A", "A", "A", "A", "A", "A", "B", "B", "C"],
        "t": [date(2025, 1, 1), date(2025, 1, 15), date(2025, 1, 29), date(2025, 2, 1), date(2025, 2, 1),
              date(2025, 2, 10), date(2025, 1, 22), date(2025, 2, 5), date(2025, 2, 3)],
        "v": [1.0] * 9,
    })
    summary = clv.rfm_summary(orders, "cid", "t", "v", date(2025, 1, 29), "week")
    # A: x=2, t_x=4, T=4 weeks; B: x=0, T=1
    actual = clv.holdout_purchases(orders, "cid", "t", date(2025, 1, 29), date(2025, 2, 26)).collect()
    # A: 02-01 (twice, one day) and 02-10 -> 2; B: 02-05 -> 1; C is not in the calibration
    table = clv.holdout_comparison(summary, HAND, actual, "cid", 4.0)
    # predicted, t = 4: B (x=0, T=1): z = 2/3, 2F1 = 3^1.5, (2/6)^2 3^1.5 = 3^-0.5 -> 4 (1 - 3^-0.5)
    # A (x=2, t_x=T=4): z = 4/9, (5/9)^4 (5/9)^-3.5 = (5/9)^0.5; numerator = 4/0.5 (1 - (5/9)^0.5);
    #   denominator = 1 + 1.5/2.5 (5/5)^4 = 1.6
    assert table["frequency_bucket"].to_list() == [0, 2]
    assert table["actual"].to_list() == [1.0, 2.0]
    assert table["predicted"].to_list() == pytest.approx([4 * (1 - 3 ** -0.5), 8 * (1 - (5 / 9) ** 0.5) / 1.6])


CUSTOMERS = pl.DataFrame({
    "customer_id": ["c1", "c2", "c3", "c4", "c5"],
    "frequency": [2, 1, 3, 0, 0],
    "p_alive": [1.0, 0.5, 0.2, 0.4, 0.3],
    "expected_purchases": [1.0, 2.0, 3.0, 4.0, 0.0],
    "expected_value": [10.0, 30.0, 20.0, 30.0, 0.0],
})
SEGMENTS = pl.DataFrame({"customer_id": ["c1", "c2", "c3", "c5"], "segment": ["X", "X", "Y", "Y"]})


def test_clv_by_segment_by_hand():
    table = clv.clv_by_segment(CUSTOMERS, SEGMENTS)
    # total value 90. X = c1 + c2: 2 customers, 3 purchases, 40 (4/9), mean p_alive 0.75;
    # no segment = c4: 1, 4, 30 (1/3), 0.4; Y = c3 + c5: 2, 3, 20 (2/9), 0.25
    assert table.to_dicts() == [
        {"segment": "X", "customers": 2, "expected_purchases": 3.0, "expected_value": 40.0,
         "mean_p_alive": 0.75, "value_share": pytest.approx(4 / 9)},
        {"segment": None, "customers": 1, "expected_purchases": 4.0, "expected_value": 30.0,
         "mean_p_alive": 0.4, "value_share": pytest.approx(1 / 3)},
        {"segment": "Y", "customers": 2, "expected_purchases": 3.0, "expected_value": 20.0,
         "mean_p_alive": 0.25, "value_share": pytest.approx(2 / 9)},
    ]


def test_totals_and_p_alive_distribution_by_hand():
    totals = clv.clv_totals(CUSTOMERS).row(0, named=True)
    # likely alive: p_alive >= 0.5 -> c1, c2 of 5; among repeat buyers c1, c2, c3 -> 2 of 3
    assert totals == {"customers": 5, "expected_purchases": 10.0, "expected_value": 90.0,
                      "mean_p_alive": pytest.approx(2.4 / 5), "likely_alive_share": 0.4,
                      "likely_alive_share_repeat": pytest.approx(2 / 3)}
    dist = clv.p_alive_distribution(CUSTOMERS, bins=4)
    # bands of 0.25: 0.2 -> 0; 0.4, 0.3 -> 1; 0.5 -> 2; 1.0 -> 3 (the last band includes 1)
    assert dist["customers"].to_list() == [1, 2, 1, 1]
    assert dist["lower"].to_list() == [0.0, 0.25, 0.5, 0.75] and dist["share"].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- narrative and charts


def _ok_fit() -> ClvFit:
    return ClvFit(BgNbdFit(ok=True, r=1, alpha=1, a=1, b=2, customers=5),
                  GammaGammaFit(ok=True, p=2, q=3, gamma=4, repeat_buyers=3), "week", 12, 30)


def test_narrative_both_languages():
    from kit.narrative.clv import clv_sentences, holdout_sentence

    totals, by_segment = clv.clv_totals(CUSTOMERS), clv.clv_by_segment(CUSTOMERS, SEGMENTS)
    en = clv_sentences(_ok_fit(), totals, by_segment, Locale("en", "$"))
    assert en == [
        "Over the next 12 months the 5 customers are expected to make 10 repeat purchases worth $90.00 in total.",
        "The segment with the most expected value is X: $40.00, 44.4% of the total.",
        "40.0% of customers are likely still active (probability alive of 50% or more); the model counts "
        "one-time buyers as active, and among repeat buyers the share is 66.7%.",
    ]
    zh = clv_sentences(_ok_fit(), totals, by_segment, Locale("zh", "¥"))
    assert "¥90.00" in zh[0] and "「X」" in zh[1] and "44.4%" in zh[1] and zh[2].startswith("40.0%")
    holdout = pl.DataFrame({"frequency_bucket": [0, 1], "customers": [3, 1], "predicted": [1.0, 2.0], "actual": [0.0, 4.0]})
    # per customer: predicted (3*1 + 1*2)/4 = 1.25, actual (0 + 4)/4 = 1.00
    only_repeat = clv.clv_totals(CUSTOMERS.filter(pl.col("frequency") > 0))  # both shares 2/3: one clause
    assert clv_sentences(_ok_fit(), only_repeat, None, EN)[-1] == \
        "66.7% of customers are likely still active (probability alive of 50% or more)."
    assert "1.25" in holdout_sentence(holdout, date(2025, 1, 1), date(2025, 3, 31), EN)
    assert "1.00" in holdout_sentence(holdout, date(2025, 1, 1), date(2025, 3, 31), ZH)


def test_narrative_when_the_fit_is_not_shown():
    from kit.narrative.clv import clv_sentences

    fit = ClvFit(BgNbdFit(ok=False, reason="too_few_repeat_buyers"),
                 GammaGammaFit(ok=False, reason="too_few_repeat_buyers", repeat_buyers=12), "week", 12, 30)
    en = clv_sentences(fit, None, None, EN)
    assert en == ["Customer lifetime value is not shown: only 12 customers bought again, "
                  "fewer than the 30 the fit needs."]
    zh = clv_sentences(fit, None, None, ZH)
    assert len(zh) == 1 and "12" in zh[0] and "30" in zh[0] and "未展示" in zh[0]
    stuck = ClvFit(BgNbdFit(ok=False, reason="no_convergence"), GammaGammaFit(ok=False), "week", 12, 30)
    assert "did not converge" in clv_sentences(stuck, None, None, EN)[0]


def test_charts_smoke():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kit.charts import clv as charts

    ax = charts.value_by_segment(clv.clv_by_segment(CUSTOMERS, SEGMENTS), Locale("en", "$"))
    assert len(ax.patches) == 3
    ax2 = charts.p_alive_histogram(clv.p_alive_distribution(CUSTOMERS, bins=4), ZH)
    assert len(ax2.patches) == 4
    holdout = pl.DataFrame({"frequency_bucket": [0, 1, 7], "customers": [3, 1, 1],
                            "predicted": [1.0, 2.0, 5.0], "actual": [0.5, 2.5, 6.0]})
    ax3 = charts.holdout_predicted_vs_actual(holdout, EN)
    assert len(ax3.lines) == 2
    assert [tick.get_text() for tick in ax3.get_xticklabels()] == ["0", "1", "7+"]
    for f in (ax.figure, ax2.figure, ax3.figure):
        plt.close(f)
