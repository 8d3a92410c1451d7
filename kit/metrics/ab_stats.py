"""The statistics of an experiment readout, on sufficient statistics (numpy arrays, vectorised).

Every function takes per-arm sums (``n``, ``Σy``, ``Σy²``, and for CUPED or ratio metrics the
cross sums) as numpy arrays or scalars and broadcasts, so that one call reads one comparison,
every variant of an experiment, every day of a cumulative series or 2,000 simulated tests.
The definitions follow GrowthBook's frequentist engine (``gbstats``, documented under
*Statistical Details*, *Technical CUPED details* and *Technical power details*); ``c`` is the
control arm, ``t`` the treatment (a variant compared with the control):

- **absolute difference of means** (a proportion is the mean of 0/1): ``Δ = ȳt - ȳc``,
  ``se = sqrt(s²t/nt + s²c/nc)``; Welch's t with the Welch-Satterthwaite degrees of freedom
  ``df = (s²t/nt + s²c/nc)² / ((s²t/nt)²/(nt-1) + (s²c/nc)²/(nc-1))``; interval
  ``Δ ± t(1-α/2, df) se``, two-sided ``p = 2 (1 - F_t(|Δ|/se, df))``;
- **relative difference** (lift) ``ȳt/ȳc - 1``, its variance by the delta method,
  ``var = (s²t/nt)/ȳc² + ȳt² (s²c/nc)/ȳc⁴``, read with the same t and df;
- **ratio metrics** (order value = Σ revenue / Σ orders over the arm's units) by the delta
  method: ``R = Σy/Σd``, ``var(R) = (s²y - 2R s_yd + R² s²d) / (n d̄²)``; the absolute
  difference ``Rt - Rc`` and the lift ``Rt/Rc - 1`` with normal intervals;
- **CUPED** (regression adjustment on the pre-exposure value ``x`` of the same metric):
  ``θ = cov(x, y) / var(x)`` over both arms pooled, each arm's adjusted mean
  ``ȳ - θ x̄`` and variance ``s²y + θ² s²x - 2θ s_xy``; the adjusted difference is read like
  an absolute one (Welch), its lift over the unadjusted control mean by the delta method;
  the variance reduction achieved is ``1 - se²(adjusted) / se²(unadjusted)``;
- **minimum detectable effect** at the observed sample: the smallest true difference a
  two-sided test at ``α`` detects with probability ``power``,
  ``MDE = (z(1-α/2) + z(power)) se`` (the opposite tail, < 1e-5 at 80% power, is left out);
- **sample ratio mismatch**: Pearson's chi-square of the units per variant against the
  planned split, ``k - 1`` degrees of freedom;
- **multiple comparisons**: Holm's step-down (family-wise error) and Benjamini-Hochberg's
  step-up (false discovery rate) adjusted p-values.

scipy.special's distribution functions stand in for scipy.stats (whose import costs a kernel
~1.5 s); the tests check every statistic against scipy.stats and statsmodels.
"""

from __future__ import annotations

import numpy as np
from scipy.special import chdtrc, ndtr, ndtri, stdtr, stdtrit

ALPHA = 0.05
POWER = 0.8


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _div(num, den) -> np.ndarray:
    """``num / den``, NaN where ``den`` is 0 (no warning)."""
    num, den = np.broadcast_arrays(_arr(num), _arr(den))
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def mean_var(n, total, total_sq) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample variance (ddof 1) from ``n``, ``Σy`` and ``Σy²``; variance 0 below 2 units."""
    n = _arr(n)
    mean = _div(total, n)
    var = _div(_arr(total_sq) - n * mean ** 2, n - 1)
    return mean, np.where(n > 1, np.maximum(var, 0.0), 0.0)


def covariance(n, sum_x, sum_y, sum_xy) -> np.ndarray:
    """Sample covariance (ddof 1) from the sums; 0 below 2 units."""
    n = _arr(n)
    cov = _div(_arr(sum_xy) - _arr(sum_x) * _arr(sum_y) / np.where(n > 0, n, 1), n - 1)
    return np.where(n > 1, cov, 0.0)


def welch_df(var_c, n_c, var_t, n_t) -> np.ndarray:
    """Welch-Satterthwaite degrees of freedom; infinite (normal) when a term is undefined."""
    a, b = _div(var_t, n_t), _div(var_c, n_c)
    den = _div(a ** 2, _arr(n_t) - 1) + _div(b ** 2, _arr(n_c) - 1)
    df = _div((a + b) ** 2, den)
    return np.where(np.isfinite(df) & (df > 0), df, np.inf)


def t_test(estimate, se, df, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval ``estimate ± t(1-α/2, df) se`` and the two-sided p-value of ``estimate = 0``
    (normal where ``df`` is infinite); NaN where ``se`` is 0 or undefined."""
    estimate, se, df = np.broadcast_arrays(_arr(estimate), _arr(se), _arr(df))
    ok = np.isfinite(se) & (se > 0) & np.isfinite(estimate)
    finite = np.isfinite(df)
    q = np.where(finite, stdtrit(np.where(finite, df, 1.0), 1 - alpha / 2), ndtri(1 - alpha / 2))
    z = np.abs(_div(estimate, se))
    tail = np.where(finite, stdtr(np.where(finite, df, 1.0), -z), ndtr(-z))
    nan = np.full(estimate.shape, np.nan)
    low = np.where(ok, estimate - q * se, nan)
    high = np.where(ok, estimate + q * se, nan)
    return low, high, np.where(ok, 2 * tail, nan)


def compare_means(n_c, mean_c, var_c, n_t, mean_t, var_t, alpha: float = ALPHA) -> dict[str, np.ndarray]:
    """Treatment vs control on a mean (or a proportion): the absolute difference with Welch's
    interval and p-value, and the relative difference (lift) by the delta method, read with
    the same degrees of freedom (as gbstats does). Keys: ``diff, diff_low, diff_high, se,
    df, p_value, lift, lift_low, lift_high, lift_se``."""
    n_c, mean_c, var_c, n_t, mean_t, var_t = map(_arr, (n_c, mean_c, var_c, n_t, mean_t, var_t))
    vm_c, vm_t = _div(var_c, n_c), _div(var_t, n_t)
    diff = mean_t - mean_c
    se = np.sqrt(vm_c + vm_t)
    df = welch_df(var_c, n_c, var_t, n_t)
    low, high, p = t_test(diff, se, df, alpha)
    lift = _div(mean_t, mean_c) - 1
    lift_se = np.sqrt(_div(vm_t, mean_c ** 2) + _div(mean_t ** 2 * vm_c, mean_c ** 4))
    lift_low, lift_high, _ = t_test(lift, lift_se, df, alpha)
    return {"diff": diff, "diff_low": low, "diff_high": high, "se": se, "df": df, "p_value": p,
            "lift": lift, "lift_low": lift_low, "lift_high": lift_high, "lift_se": lift_se}


def ratio_moments(n, sum_y, sum_d, sum_yy, sum_dd, sum_yd) -> tuple[np.ndarray, np.ndarray]:
    """A ratio metric's value ``R = Σy / Σd`` over an arm's units and the variance of R by the
    delta method, ``(s²y - 2R s_yd + R² s²d) / (n d̄²)``."""
    n = _arr(n)
    ratio = _div(sum_y, sum_d)
    _, var_y = mean_var(n, sum_y, sum_yy)
    _, var_d = mean_var(n, sum_d, sum_dd)
    cov = covariance(n, sum_d, sum_y, sum_yd)
    d_bar = _div(sum_d, n)
    var = _div(var_y - 2 * ratio * cov + ratio ** 2 * var_d, n * d_bar ** 2)
    return ratio, np.maximum(var, 0.0)


def compare_ratios(ratio_c, var_c, ratio_t, var_t, alpha: float = ALPHA) -> dict[str, np.ndarray]:
    """Two ratio metrics (values and delta-method variances of :func:`ratio_moments`): the
    absolute difference and the lift (delta method again) with normal intervals; same keys as
    :func:`compare_means` (``df`` infinite)."""
    ratio_c, var_c, ratio_t, var_t = map(_arr, (ratio_c, var_c, ratio_t, var_t))
    diff = ratio_t - ratio_c
    se = np.sqrt(var_c + var_t)
    df = np.full(diff.shape, np.inf)
    low, high, p = t_test(diff, se, df, alpha)
    lift = _div(ratio_t, ratio_c) - 1
    lift_se = np.sqrt(_div(var_t, ratio_c ** 2) + _div(ratio_t ** 2 * var_c, ratio_c ** 4))
    lift_low, lift_high, _ = t_test(lift, lift_se, df, alpha)
    return {"diff": diff, "diff_low": low, "diff_high": high, "se": se, "df": df, "p_value": p,
            "lift": lift, "lift_low": lift_low, "lift_high": lift_high, "lift_se": lift_se}


def cuped_theta(n, sum_x, sum_xx, sum_y, sum_xy) -> np.ndarray:
    """``θ = cov(x, y) / var(x)`` over the pooled units of every arm (the sums are over all of
    them); 0 when ``x`` does not vary."""
    _, var_x = mean_var(n, sum_x, sum_xx)
    cov = covariance(n, sum_x, sum_y, sum_xy)
    theta = _div(cov, var_x)
    return np.where(np.isfinite(theta), theta, 0.0)


def compare_cuped(theta, n_c, mean_yc, var_yc, mean_xc, var_xc, cov_c, n_t, mean_yt, var_yt, mean_xt, var_xt,
                  cov_t, alpha: float = ALPHA) -> dict[str, np.ndarray]:
    """Treatment vs control on a mean adjusted by its pre-exposure value (CUPED, θ from
    :func:`cuped_theta`): the adjusted difference ``(ȳt - θx̄t) - (ȳc - θx̄c)`` with Welch's
    interval on the adjusted variances, and its lift over the unadjusted control mean by the
    delta method (gradient in ``ȳc`` is ``-(ȳt - θ(x̄t - x̄c)) / ȳc²``). Same keys as
    :func:`compare_means`."""
    theta = _arr(theta)
    n_c, n_t = _arr(n_c), _arr(n_t)
    adj_var_c = np.maximum(_arr(var_yc) + theta ** 2 * _arr(var_xc) - 2 * theta * _arr(cov_c), 0.0)
    adj_var_t = np.maximum(_arr(var_yt) + theta ** 2 * _arr(var_xt) - 2 * theta * _arr(cov_t), 0.0)
    mean_yc, mean_yt = _arr(mean_yc), _arr(mean_yt)
    diff = (mean_yt - theta * _arr(mean_xt)) - (mean_yc - theta * _arr(mean_xc))
    se = np.sqrt(_div(adj_var_c, n_c) + _div(adj_var_t, n_t))
    df = welch_df(adj_var_c, n_c, adj_var_t, n_t)
    low, high, p = t_test(diff, se, df, alpha)
    lift = _div(diff, np.abs(mean_yc))
    g = -_div(mean_yc + diff, mean_yc ** 2)  # d lift / d ȳc
    h = _div(theta, mean_yc)                  # d lift / d x̄c
    v_t = _div(adj_var_t, n_t * mean_yc ** 2)
    v_c = _div(g ** 2 * _arr(var_yc) + h ** 2 * _arr(var_xc) + 2 * g * h * _arr(cov_c), n_c)
    lift_se = np.sqrt(np.maximum(v_t + v_c, 0.0))
    lift_low, lift_high, _ = t_test(lift, lift_se, df, alpha)
    return {"diff": diff, "diff_low": low, "diff_high": high, "se": se, "df": df, "p_value": p,
            "lift": lift, "lift_low": lift_low, "lift_high": lift_high, "lift_se": lift_se}


def mde(se, alpha: float = ALPHA, power: float = POWER) -> np.ndarray:
    """The minimum detectable (absolute) effect at standard error ``se``: ``(z(1-α/2) + z(power)) se``."""
    return (ndtri(1 - alpha / 2) + ndtri(power)) * _arr(se)


def power_at(effect, se, alpha: float = ALPHA) -> np.ndarray:
    """Probability that a two-sided test at ``alpha`` is significant when the true difference is
    ``effect`` and the estimate's standard error ``se`` (both tails)."""
    z = ndtri(1 - alpha / 2)
    shift = _div(np.abs(_arr(effect)), se)
    return ndtr(shift - z) + ndtr(-shift - z)


def srm_test(counts, weights=None) -> tuple[float, float]:
    """Pearson's chi-square of the units per variant ``counts`` against the planned split
    ``weights`` (default equal): ``(statistic, p-value)`` with ``k - 1`` degrees of freedom;
    ``(0, 1)`` with fewer than two variants or no unit. Variants planned at weight 0 are left out."""
    counts = _arr(counts)
    weights = np.ones_like(counts) if weights is None else _arr(weights)
    keep = weights > 0
    counts, weights = counts[keep], weights[keep]
    total = counts.sum()
    if counts.size < 2 or total <= 0:
        return 0.0, 1.0
    expected = weights / weights.sum() * total
    statistic = float(((counts - expected) ** 2 / expected).sum())
    return statistic, float(chdtrc(counts.size - 1, statistic))


def _adjusted(p_values, step) -> np.ndarray:
    """Adjusted p-values: ``step(sorted_p, m)`` adjusts the finite p-values sorted ascending
    (stable), the result is capped at 1 and put back in place; NaN stays NaN and is not counted."""
    p = _arr(p_values)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if not ok.size:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    out[order] = np.minimum(step(p[order], ok.size), 1.0)
    return out


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error rate); NaN stays NaN and is not counted."""
    return _adjusted(p_values, lambda p, m: np.maximum.accumulate((m - np.arange(m)) * p))


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg's step-up adjusted p-values (false discovery rate); NaN stays NaN."""
    return _adjusted(p_values, lambda p, m: np.minimum.accumulate((p * m / np.arange(1, m + 1))[::-1])[::-1])


CORRECTIONS = {"holm": holm, "bh": benjamini_hochberg, "none": lambda p: _arr(p).copy()}
"""Adjusted p-values by the name the params use."""


def verdict(p_adjusted, diff, alpha: float = ALPHA, higher_is_better: bool = True) -> str:
    """``win``, ``lose`` or ``flat``: significant (adjusted p < ``alpha``) and better, significant
    and worse, or no significant difference (also when the test cannot be read)."""
    if p_adjusted is None or not np.isfinite(p_adjusted) or p_adjusted >= alpha or not np.isfinite(diff) or diff == 0:
        return "flat"
    better = diff > 0 if higher_is_better else diff < 0
    return "win" if better else "lose"
