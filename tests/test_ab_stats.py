"""The experiment statistics (kit.metrics.ab_stats) against scipy.stats and statsmodels on
hand-made data, and the coverage of their 95% intervals over 2,000 simulated A/A and A/B
tests each (vectorised: every simulation is one row of the same arrays)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from kit.metrics import ab_stats as ab

SIMULATIONS = 2000


def sums(y, axis=-1):
    y = np.asarray(y, dtype=float)
    return y.shape[axis], y.sum(axis=axis), (y ** 2).sum(axis=axis)


def moments(y):
    n, s, ss = sums(y)
    mean, var = ab.mean_var(n, s, ss)
    return n, mean, var


# ---------------------------------------------------------------- against scipy and statsmodels


def test_mean_and_variance_from_sums_are_numpy_s():
    y = np.array([0.0, 3.5, 12.0, 0.0, 7.25, 1.0])
    n, mean, var = moments(y)
    assert mean == pytest.approx(y.mean()) and var == pytest.approx(y.var(ddof=1))
    x, z = np.array([1.0, 4.0, 2.0, 8.0]), np.array([3.0, 1.0, 0.0, 5.0])
    assert ab.covariance(4, x.sum(), z.sum(), (x * z).sum()) == pytest.approx(np.cov(x, z)[0, 1])


def test_welch_difference_is_scipy_s_unequal_variance_t_test():
    rng = np.random.default_rng(1)
    control = rng.lognormal(3.0, 1.0, 180) * (rng.random(180) < 0.4)  # revenue: many zeros, a long tail
    treatment = rng.lognormal(3.2, 1.2, 230) * (rng.random(230) < 0.45)
    result = ab.compare_means(*moments(control), *moments(treatment))
    scipy_test = stats.ttest_ind(treatment, control, equal_var=False)
    assert result["p_value"] == pytest.approx(scipy_test.pvalue, rel=1e-9)
    assert result["df"] == pytest.approx(scipy_test.df, rel=1e-9)
    low, high = scipy_test.confidence_interval(0.95)
    assert (result["diff_low"], result["diff_high"]) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))
    sm_low, sm_high = CompareMeans(DescrStatsW(treatment), DescrStatsW(control)).tconfint_diff(usevar="unequal")
    assert result["diff_low"] == pytest.approx(sm_low, rel=1e-9) and result["diff_high"] == pytest.approx(sm_high, rel=1e-9)
    assert result["diff"] == pytest.approx(treatment.mean() - control.mean())


def test_a_proportion_is_a_mean_of_zeros_and_ones():
    control = np.r_[np.ones(230), np.zeros(1770)]   # 11.5%
    treatment = np.r_[np.ones(290), np.zeros(1710)]  # 14.5%
    result = ab.compare_means(*moments(control), *moments(treatment))
    assert result["p_value"] == pytest.approx(stats.ttest_ind(treatment, control, equal_var=False).pvalue, rel=1e-9)
    # at this size Welch's t is the unpooled two-proportion z-test to 3 decimals
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(290, 2000, 230, 2000, method="wald", compare="diff")
    assert result["diff_low"] == pytest.approx(low, abs=2e-4) and result["diff_high"] == pytest.approx(high, abs=2e-4)
    assert result["lift"] == pytest.approx(0.145 / 0.115 - 1)


def test_the_lift_s_delta_method_variance():
    # var(ȳt/ȳc) ≈ var(ȳt)/ȳc² + ȳt² var(ȳc)/ȳc⁴ (first-order Taylor), written out by hand
    n_c, m_c, v_c, n_t, m_t, v_t = 400, 20.0, 900.0, 500, 23.0, 1100.0
    result = ab.compare_means(n_c, m_c, v_c, n_t, m_t, v_t)
    expected = np.sqrt((v_t / n_t) / m_c ** 2 + m_t ** 2 * (v_c / n_c) / m_c ** 4)
    assert result["lift"] == pytest.approx(0.15) and result["lift_se"] == pytest.approx(expected)
    q = stats.t.ppf(0.975, result["df"])
    assert result["lift_low"] == pytest.approx(0.15 - q * expected) and result["lift_high"] == pytest.approx(0.15 + q * expected)


def test_a_ratio_metric_s_delta_method_variance_is_that_of_its_linearised_residuals():
    rng = np.random.default_rng(3)
    orders = rng.poisson(0.8, 600).astype(float)
    revenue = orders * rng.gamma(2.0, 60.0, 600)
    ratio, var = ab.ratio_moments(600, revenue.sum(), orders.sum(), (revenue ** 2).sum(), (orders ** 2).sum(),
                                  (revenue * orders).sum())
    assert ratio == pytest.approx(revenue.sum() / orders.sum())
    residual = revenue - ratio * orders  # the ratio's influence function, up to the 1/d̄ factor
    assert var == pytest.approx(residual.var(ddof=1) / (600 * orders.mean() ** 2), rel=1e-9)


def test_cuped_is_welch_s_t_test_on_the_adjusted_values_with_the_pooled_slope():
    rng = np.random.default_rng(5)
    x_c, x_t = rng.gamma(1.5, 40.0, 800), rng.gamma(1.5, 40.0, 900)
    y_c = 0.6 * x_c + rng.normal(0, 30, 800)
    y_t = 0.6 * x_t + rng.normal(4, 30, 900)
    x, y = np.r_[x_c, x_t], np.r_[y_c, y_t]
    theta = ab.cuped_theta(x.size, x.sum(), (x ** 2).sum(), y.sum(), (x * y).sum())
    import statsmodels.api as sm

    slope = sm.OLS(y, sm.add_constant(x)).fit().params[1]  # the pooled regression slope is θ
    assert theta == pytest.approx(slope, rel=1e-9)

    def arm(xs, ys):
        n, my, vy = moments(ys)
        _, mx, vx = moments(xs)
        return n, my, vy, mx, vx, ab.covariance(n, xs.sum(), ys.sum(), (xs * ys).sum())

    result = ab.compare_cuped(theta, *arm(x_c, y_c), *arm(x_t, y_t))
    adjusted = stats.ttest_ind(y_t - theta * x_t, y_c - theta * x_c, equal_var=False)
    assert result["p_value"] == pytest.approx(adjusted.pvalue, rel=1e-9)
    low, high = adjusted.confidence_interval(0.95)
    assert result["diff_low"] == pytest.approx(low, rel=1e-9) and result["diff_high"] == pytest.approx(high, rel=1e-9)
    plain = ab.compare_means(*moments(y_c), *moments(y_t))
    assert result["se"] < 0.8 * plain["se"]  # x explains most of y: the interval narrows


def test_minimum_detectable_effect_and_power_are_statsmodels_normal_power():
    sigma, n = 12.0, 1500
    se = sigma * np.sqrt(2 / n)
    effect = NormalIndPower().solve_power(effect_size=None, nobs1=n, alpha=0.05, power=0.8, ratio=1.0)
    assert ab.mde(se, 0.05, 0.8) == pytest.approx(effect * sigma, rel=1e-5)  # the other tail adds < 1e-5
    assert ab.power_at(0.9, se) == pytest.approx(NormalIndPower().power(0.9 / sigma, n, 0.05, ratio=1.0), rel=1e-9)
    assert ab.power_at(ab.mde(se), se) == pytest.approx(0.8, abs=1e-5)


def test_sample_ratio_mismatch_is_scipy_s_chi_square():
    counts = [4480, 5520]
    statistic, p = ab.srm_test(counts, [0.5, 0.5])
    expected = stats.chisquare(counts, [5000, 5000])
    assert statistic == pytest.approx(expected.statistic) and p == pytest.approx(expected.pvalue, rel=1e-9)
    assert p < 0.001
    statistic, p = ab.srm_test([2100, 2000, 5900], [0.2, 0.2, 0.6])
    assert p == pytest.approx(stats.chisquare([2100, 2000, 5900], [2000, 2000, 6000]).pvalue, rel=1e-9)
    assert ab.srm_test([10]) == (0.0, 1.0) and ab.srm_test([0, 0]) == (0.0, 1.0)
    # a variant planned at weight 0 is not part of the test
    assert ab.srm_test([500, 510, 3], [0.5, 0.5, 0])[1] == pytest.approx(stats.chisquare([500, 510]).pvalue)


@pytest.mark.parametrize(("ours", "theirs"), [(ab.holm, "holm"), (ab.benjamini_hochberg, "fdr_bh")])
def test_multiple_comparison_corrections_are_statsmodels(ours, theirs):
    p = np.array([0.001, 0.04, 0.03, 0.2, 0.011, 0.5, 0.04])
    assert ours(p) == pytest.approx(multipletests(p, method=theirs)[1])
    with_nan = np.r_[p[:3], np.nan]
    adjusted = ours(with_nan)
    assert np.isnan(adjusted[-1]) and adjusted[:3] == pytest.approx(multipletests(p[:3], method=theirs)[1])


def test_verdicts():
    assert ab.verdict(0.01, 0.02) == "win" and ab.verdict(0.01, -0.02) == "lose"
    assert ab.verdict(0.2, 0.02) == "flat" and ab.verdict(float("nan"), 0.1) == "flat"
    assert ab.verdict(0.01, -0.02, higher_is_better=False) == "win"


def test_undefined_comparisons_are_nan_not_errors():
    result = ab.compare_means(10, 0.0, 0.0, 12, 0.0, 0.0)  # nobody converted anywhere
    assert result["diff"] == 0 and np.isnan(result["p_value"]) and np.isnan(result["lift"])
    result = ab.compare_means(1, 5.0, 0.0, 1, 6.0, 0.0)  # one unit per arm: no variance
    assert np.isnan(result["diff_low"])
    ratio, var = ab.ratio_moments(5, 0.0, 0.0, 0.0, 0.0, 0.0)  # no order: no order value
    assert np.isnan(ratio)


# ---------------------------------------------------------------- coverage by simulation


def covered(low, high, truth) -> float:
    return float(np.mean((low <= truth) & (truth <= high)))


def arms(rng, draw, n, lift):
    """``SIMULATIONS`` tests at once: each row one simulated control and treatment arm."""
    return draw(rng, (SIMULATIONS, n)), draw(rng, (SIMULATIONS, n), lift)


@pytest.mark.parametrize("lift", [0.0, 0.10], ids=["A/A", "A/B"])
def test_proportion_intervals_cover_the_true_difference(lift):
    rng = np.random.default_rng(11 if lift else 12)
    p, n = 0.12, 3000
    c = rng.binomial(n, p, SIMULATIONS)
    t = rng.binomial(n, p * (1 + lift), SIMULATIONS)
    result = ab.compare_means(n, c / n, c * (n - c) / n / (n - 1), n, t / n, t * (n - t) / n / (n - 1))
    assert 0.93 <= covered(result["diff_low"], result["diff_high"], p * lift) <= 0.97
    assert 0.93 <= covered(result["lift_low"], result["lift_high"], lift) <= 0.97
    if not lift:  # under the null, p < 0.05 in about 5% of the tests
        assert 0.03 <= float(np.mean(result["p_value"] < 0.05)) <= 0.07


@pytest.mark.parametrize("lift", [0.0, 0.10], ids=["A/A", "A/B"])
def test_revenue_per_unit_intervals_cover_the_true_difference(lift):
    rng = np.random.default_rng(21 if lift else 22)
    n, share, mu, sigma = 2000, 0.3, 4.5, 0.8  # 30% buy, lognormal order values

    def revenue(size, up=0.0):
        return (rng.random(size) < share) * rng.lognormal(mu, sigma, size) * (1 + up)

    c, t = revenue((SIMULATIONS, n)), revenue((SIMULATIONS, n), lift)
    result = ab.compare_means(*moments(c), *moments(t))
    truth = share * np.exp(mu + sigma ** 2 / 2)
    assert 0.93 <= covered(result["diff_low"], result["diff_high"], truth * lift) <= 0.97
    assert 0.93 <= covered(result["lift_low"], result["lift_high"], lift) <= 0.97


@pytest.mark.parametrize("lift", [0.0, 0.10], ids=["A/A", "A/B"])
def test_order_value_delta_method_intervals_cover_the_true_difference(lift):
    rng = np.random.default_rng(31 if lift else 32)
    n, rate, shape, scale = 2000, 0.6, 2.0, 70.0  # orders per unit ~ Poisson, order values ~ Gamma

    def arm(up=0.0):
        orders = rng.poisson(rate, (SIMULATIONS, n)).astype(float)
        # the sum of k Gamma(shape, scale) order values is Gamma(k shape, scale)
        revenue = np.where(orders > 0, rng.gamma(np.maximum(orders, 1) * shape, scale), 0.0) * (1 + up)
        return ab.ratio_moments(n, revenue.sum(1), orders.sum(1), (revenue ** 2).sum(1), (orders ** 2).sum(1),
                                (revenue * orders).sum(1))

    result = ab.compare_ratios(*arm(), *arm(lift))
    truth = shape * scale
    assert 0.93 <= covered(result["diff_low"], result["diff_high"], truth * lift) <= 0.97
    assert 0.93 <= covered(result["lift_low"], result["lift_high"], lift) <= 0.97


@pytest.mark.parametrize("lift", [0.0, 0.10], ids=["A/A", "A/B"])
def test_cuped_intervals_cover_the_true_difference_and_are_narrower(lift):
    rng = np.random.default_rng(41 if lift else 42)
    n = 1000

    def arm(up=0.0):
        pre = rng.gamma(1.2, 50.0, (SIMULATIONS, n))  # revenue before exposure
        post = (0.7 * pre + rng.gamma(1.0, 25.0, (SIMULATIONS, n))) * (1 + up)
        return pre, post

    (x_c, y_c), (x_t, y_t) = arm(), arm(lift)
    pooled = [np.concatenate(a, axis=1) for a in ((x_c, x_t), (y_c, y_t))]
    x, y = pooled
    theta = ab.cuped_theta(2 * n, x.sum(1), (x ** 2).sum(1), y.sum(1), (x * y).sum(1))

    def stats_of(xs, ys):
        _, my, vy = moments(ys)
        _, mx, vx = moments(xs)
        return n, my, vy, mx, vx, ab.covariance(n, xs.sum(1), ys.sum(1), (xs * ys).sum(1))

    result = ab.compare_cuped(theta, *stats_of(x_c, y_c), *stats_of(x_t, y_t))
    truth_c = 0.7 * 1.2 * 50.0 + 25.0
    assert 0.93 <= covered(result["diff_low"], result["diff_high"], truth_c * lift) <= 0.97
    assert 0.93 <= covered(result["lift_low"], result["lift_high"], lift) <= 0.97
    plain = ab.compare_means(*moments(y_c), *moments(y_t))
    assert np.median(result["se"] / plain["se"]) < 0.75  # the pre-exposure value explains most of the variance
