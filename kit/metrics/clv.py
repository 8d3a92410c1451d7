"""Section 3.3, customer lifetime value: BG/NBD for the number of future purchases and
Gamma-Gamma for the spend per purchase, both fitted by maximum likelihood with scipy.

Conventions (those of Fader, Hardie & Lee and of the ``lifetimes`` package, so that the
published CDNOW estimates are reproduced):

- purchases are counted per **day**: several orders of a customer on one day are one
  purchase whose value is their sum;
- ``frequency`` x = number of repeat purchase days (purchase days - 1) up to the calibration end;
- ``recency`` t_x = time from the first to the last purchase day;
- ``T`` = time from the first purchase day to the calibration end (the day itself);
- ``monetary`` = mean value of the repeat purchase days (0 when x = 0);
- time is in ``time_unit`` (``week`` = days / 7, or ``day``).

Models, for a customer with history (x, t_x, T) and parameters (r, alpha, a, b):

- BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6, in log-sum-exp form)::

    ln L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
           + ln[ (alpha+T)^-(r+x)  +  [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]

- probability alive:  P(alive) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
- expected repeat purchases in the next t (their eq. 10)::

    E[Y(t)] = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
              / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))

- Gamma-Gamma (Fader & Hardie note 025), on the repeat buyers (x > 0) with mean spend m::

    ln L = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m + px ln x - (px+q) ln(xm + gamma)

  expected spend per purchase  E[M | x, m] = (1-w) gamma p/(q-1) + w m,  w = px/(px+q-1)
  (the population mean gamma p/(q-1) for x = 0).
- expected value over the horizon = E[Y(horizon)] x E[M | x, m], undiscounted.

Both likelihoods are evaluated on the distinct histories with their counts as weights, which
gives the same fit as one row per customer at a fraction of the cost.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from kit.contract import paid

UNIT_DAYS = {"day": 1.0, "week": 7.0}
DAYS_PER_MONTH = 365.25 / 12
# Fitting is done on log-parameters inside these bounds; a fit that ends on one of them
# has run away (e.g. b -> infinity when nobody seems to drop out) and is flagged.
LOG_BOUND = math.log(1e6)
AT_BOUND_TOL = 1e-3
P_ALIVE_LIKELY = 0.5  # "likely alive" in the narrative
FREQUENCY_BUCKETS = 7  # holdout chart: calibration frequency 0..6 and 7+


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class BgNbdFit:
    """Fitted BG/NBD parameters; time in the summary's unit. ``ok`` False -> ``reason`` says why."""

    ok: bool
    reason: str | None = None
    detail: str | None = None
    r: float | None = None
    alpha: float | None = None
    a: float | None = None
    b: float | None = None
    log_likelihood: float | None = None
    customers: int = 0


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma parameters (``gamma`` is the literature's nu / lifetimes' ``v``)."""

    ok: bool
    reason: str | None = None
    detail: str | None = None
    p: float | None = None
    q: float | None = None
    gamma: float | None = None
    log_likelihood: float | None = None
    repeat_buyers: int = 0


@dataclass(frozen=True)
class ClvFit:
    """Both fits, the time unit and the horizon: what metrics.json records for section 3.3.

    ``reason`` codes (translated as ``clv.reason.<code>``): ``no_customers``,
    ``too_few_repeat_buyers``, ``no_convergence``, ``at_bound``, ``q_not_above_1``.
    """

    bgnbd: BgNbdFit
    gamma_gamma: GammaGammaFit
    time_unit: str
    horizon_months: int
    min_repeat_buyers: int

    @property
    def ok(self) -> bool:
        return self.bgnbd.ok and self.gamma_gamma.ok

    @property
    def reason(self) -> str | None:
        return self.bgnbd.reason or self.gamma_gamma.reason

    @property
    def detail(self) -> str | None:
        return self.bgnbd.detail or self.gamma_gamma.detail

    def to_dict(self) -> dict:
        """Flat, JSON-ready: ok, reason, detail, time_unit, horizon_months, r, alpha, a, b,
        bgnbd_log_likelihood, customers, p, q, gamma, gamma_gamma_log_likelihood, repeat_buyers."""
        bg, gg = asdict(self.bgnbd), asdict(self.gamma_gamma)
        return {
            "ok": self.ok, "reason": self.reason, "detail": self.detail,
            "time_unit": self.time_unit, "horizon_months": self.horizon_months,
            "min_repeat_buyers": self.min_repeat_buyers,
            **{k: bg[k] for k in ("r", "alpha", "a", "b")},
            "bgnbd_log_likelihood": bg["log_likelihood"], "customers": bg["customers"],
            **{k: gg[k] for k in ("p", "q", "gamma")},
            "gamma_gamma_log_likelihood": gg["log_likelihood"], "repeat_buyers": gg["repeat_buyers"],
        }


@dataclass(frozen=True)
class ClvResult:
    """Everything section 3.3 shows: the fit, the per-customer frame and, when the data goes
    past the calibration end, the holdout comparison (else None)."""

    fit: ClvFit
    customers: pl.DataFrame | None
    holdout: pl.DataFrame | None


# ---------------------------------------------------------------- RFM summary (lifetimes' conventions)


MONEY_DECIMALS = 6
"""Sums of money are rounded to a millionth of the currency unit: a parallel group-by adds a
group's values in no fixed order, and the last-bit differences that leaves moved the
Gamma-Gamma optimum from one run to the next."""


def _purchase_days(transactions: pl.LazyFrame, customer_col: str, time_col: str, value_col: str | None) -> pl.LazyFrame:
    """One row per customer and purchase day; the day's value is the sum of its orders."""
    value = pl.col(value_col).cast(pl.Float64) if value_col else pl.lit(0.0)
    return (
        transactions.select(pl.col(customer_col), pl.col(time_col).cast(pl.Date).alias("_day"), value.alias("_value"))
        .group_by(customer_col, "_day")
        .agg(pl.col("_value").sum().round(MONEY_DECIMALS))
    )


def rfm_summary(transactions: pl.LazyFrame, customer_col: str, time_col: str, value_col: str | None,
                calibration_end: date | datetime, time_unit: str = "week") -> pl.DataFrame:
    """Per customer with a purchase on or before ``calibration_end`` (a day, inclusive):
    ``customer_col, frequency, recency, T, monetary`` (see the module docstring).

    frequency = purchase days - 1; recency = (last day - first day) / unit;
    T = (calibration_end - first day) / unit; monetary = (sum of day values - first day's value) / frequency.
    """
    unit = UNIT_DAYS[time_unit]
    end = calibration_end.date() if isinstance(calibration_end, datetime) else calibration_end
    days = _purchase_days(transactions, customer_col, time_col, value_col).filter(pl.col("_day") <= pl.lit(end))
    per_customer = days.group_by(customer_col).agg(
        pl.len().alias("_days"),
        pl.col("_day").min().alias("_first"),
        pl.col("_day").max().alias("_last"),
        pl.col("_value").sum().round(MONEY_DECIMALS).alias("_total"),
        pl.col("_value").sort_by("_day").first().alias("_first_value"),
    )
    frequency = pl.col("_days") - 1
    return (
        per_customer.select(
            pl.col(customer_col),
            frequency.cast(pl.Int64).alias("frequency"),
            ((pl.col("_last") - pl.col("_first")).dt.total_days() / unit).alias("recency"),
            ((pl.lit(end) - pl.col("_first")).dt.total_days() / unit).alias("T"),
            pl.when(frequency > 0)
            .then((pl.col("_total") - pl.col("_first_value")) / frequency)
            .otherwise(0.0)
            .alias("monetary"),
        )
        .sort(customer_col)
        .collect()
    )


def holdout_purchases(transactions: pl.LazyFrame, customer_col: str, time_col: str,
                      calibration_end: date | datetime, holdout_end: date | datetime) -> pl.LazyFrame:
    """Lazy: ``customer_col, holdout_purchases`` = purchase days after ``calibration_end`` up to
    ``holdout_end`` (both days inclusive of their own day: (calibration_end, holdout_end])."""
    start = calibration_end.date() if isinstance(calibration_end, datetime) else calibration_end
    end = holdout_end.date() if isinstance(holdout_end, datetime) else holdout_end
    return (
        _purchase_days(transactions, customer_col, time_col, None)
        .filter((pl.col("_day") > pl.lit(start)) & (pl.col("_day") <= pl.lit(end)))
        .group_by(customer_col)
        .agg(pl.len().cast(pl.Int64).alias("holdout_purchases"))
    )


# ---------------------------------------------------------------- BG/NBD


def bgnbd_log_likelihood(params, x, t_x, T, weights=None) -> float:
    """Total BG/NBD log-likelihood of (r, alpha, a, b) over histories x, t_x, T (weighted)."""
    return float(_bgnbd_ll_terms(np.asarray(params, float), np.asarray(x, float), np.asarray(t_x, float),
                                 np.asarray(T, float)) @ (np.ones(len(x)) if weights is None else np.asarray(weights, float)))


def _bgnbd_ll_terms(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    still_alive = -(r + x) * np.log(alpha + T)
    # dropped out right after the last purchase; only possible after a repeat purchase (x > 0)
    dropped = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return head + np.logaddexp(still_alive, dropped)


def _distinct(summary: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The distinct combinations of ``columns`` with ``weight`` = number of customers, in a fixed
    order: a group-by returns its groups in no fixed order, and summing the likelihood over them
    in another order moved the fitted parameters by 1e-9 from one run to the next."""
    return summary.lazy().group_by(columns).agg(pl.len().cast(pl.Float64).alias("weight")).sort(columns).collect()


def _at_bound(log_params: np.ndarray) -> bool:
    return bool(np.any(np.abs(np.abs(log_params) - LOG_BOUND) < AT_BOUND_TOL))


def _minimize(objective, n_params: int, maxiter: int):
    """L-BFGS-B on log-parameters; ``objective`` returns (mean negative log-likelihood, gradient)."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * n_params
    return minimize(objective, x0=np.full(n_params, 0.1), jac=True, method="L-BFGS-B", bounds=bounds,
                    options={"maxiter": maxiter, "ftol": 1e-13, "gtol": 1e-9})


def _converged(res) -> bool:
    """Whether the optimiser reached the optimum. L-BFGS-B may stop with ABNORMAL_TERMINATION
    when its line search cannot improve a mean log-likelihood already at machine precision;
    a gradient this flat is the optimum all the same."""
    if not np.isfinite(res.fun):
        return False
    return bool(res.success) or float(np.max(np.abs(res.jac))) < GRADIENT_AT_OPTIMUM


GRADIENT_AT_OPTIMUM = 1e-5
"""Largest |gradient| of the mean negative log-likelihood (per log-parameter) taken as converged."""


def _bgnbd_objective(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray):
    """Mean negative BG/NBD log-likelihood over the weighted histories and its gradient in
    log-parameters. The terms that depend on x alone (gammaln, betaln, digamma) are computed
    once per distinct x, and the logarithms of alpha + T and alpha + t_x once per distinct T
    and t_x (whole days: a few hundred values), which is what makes a million customers cheap.

    Per history the tail ln[(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)] is
    ``alive + softplus(d)``, d = dropped - alive, and the share of its second branch is
    sigmoid(d): one exponential per history, none overflowing."""
    xs, x_idx = np.unique(x, return_inverse=True)
    Ts, T_idx = np.unique(T, return_inverse=True)
    txs, tx_idx = np.unique(t_x, return_inverse=True)
    wx = np.bincount(x_idx, weights=w)  # customers per distinct x
    wT = np.bincount(T_idx, weights=w)  # customers per distinct T
    total = w.sum()
    repeat = xs > 0

    def objective(log_params):
        r, alpha, a, b = np.exp(log_params)
        head = gammaln(r + xs) - gammaln(r) + r * np.log(alpha) + betaln(a, b + xs) - betaln(a, b)
        bx1 = np.where(repeat, b + xs - 1, 1.0)
        log_drop = np.where(repeat, np.log(a) - np.log(bx1), -np.inf)
        rx = r + x
        log_T_u = np.log(alpha + Ts)
        log_T, log_tx = log_T_u[T_idx], np.log(alpha + txs)[tx_idx]
        alive = -rx * log_T
        d = log_drop[x_idx] - rx * (log_tx - log_T)  # -inf for x = 0: that branch is impossible
        e = np.exp(-np.abs(d))
        above = d > 0
        tail = alive + np.where(above, d, 0.0) + np.log1p(e)
        ll = head @ wx + tail @ w
        # share of the dropped-out branch in the tail's sum, for the gradient
        s_drop = np.where(above, 1.0, e) / (1.0 + e)
        inv_T, inv_tx = (1.0 / (alpha + Ts))[T_idx], (1.0 / (alpha + txs))[tx_idx]
        d_r = (digamma(r + xs) - digamma(r) + np.log(alpha)) @ wx - log_T_u @ wT - (s_drop * (log_tx - log_T)) @ w
        d_alpha = r / alpha * total - (rx * (inv_T + s_drop * (inv_tx - inv_T))) @ w
        d_a = (digamma(a + b) - digamma(a + b + xs)) @ wx + (s_drop @ w) / a
        d_b = (digamma(b + xs) - digamma(a + b + xs) - digamma(b) + digamma(a + b)) @ wx \
            - (s_drop / bx1[x_idx]) @ w
        grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return -ll / total, -grad / total

    return objective


def fit_bgnbd(summary: pl.DataFrame, maxiter: int = 1000) -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit on ``frequency, recency, T`` (one row per customer).

    Fitted on the distinct histories weighted by their counts, L-BFGS-B on log-parameters
    with the analytic gradient, time rescaled so the oldest customer has T = 1 (alpha and
    the log-likelihood are scaled back afterwards).
    """
    customers = summary.height
    if customers == 0:
        return BgNbdFit(ok=False, reason="no_customers", detail="no customer bought before the calibration end")
    grid = _distinct(summary, ["frequency", "recency", "T"])
    x, t_x, T, w = (grid[c].to_numpy().astype(float) for c in ("frequency", "recency", "T", "weight"))
    scale = T.max() if T.max() > 0 else 1.0
    res = _minimize(_bgnbd_objective(x, t_x / scale, T / scale, w), 4, maxiter)
    r, alpha, a, b = np.exp(res.x)
    # rescaling time by 1/scale multiplies each of the x purchase densities by scale
    log_likelihood = -res.fun * w.sum() - (x * w).sum() * math.log(scale)
    fit = dict(r=float(r), alpha=float(alpha * scale), a=float(a), b=float(b),
               log_likelihood=float(log_likelihood), customers=customers)
    if not _converged(res):
        return BgNbdFit(ok=False, reason="no_convergence", detail=f"BG/NBD: {res.message}", **fit)
    if _at_bound(res.x):
        return BgNbdFit(ok=False, reason="at_bound", detail=f"BG/NBD parameters ran to a bound: {fit}", **fit)
    return BgNbdFit(ok=True, **fit)


def probability_alive(fit: BgNbdFit, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)); 1 when x = 0."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    log_odds_dead = (fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + t_x)) \
        + np.log(fit.a) - np.log(np.maximum(fit.b + x - 1, 1e-300))
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds_dead, 700))), 1.0)


def expected_purchases(fit: BgNbdFit, t: float, x, t_x, T) -> np.ndarray:
    """E[repeat purchases in the next t | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    ha, hb, hc = r + x, b + x, a + b + x - 1
    z = t / (alpha + T + t)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ln_hyp = np.log(hyp2f1(ha, hb, hc, z))
        # for large x the series overflows; Euler's transformation gives the same value
        ln_hyp_alt = np.log(hyp2f1(hc - ha, hc - hb, hc, z)) + (hc - ha - hb) * np.log1p(-z)
    ln_hyp = np.where(np.isfinite(ln_hyp), ln_hyp, ln_hyp_alt)
    numerator = hc / (a - 1) * -np.expm1(ln_hyp + (r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    odds_dead = np.where(x > 0, np.exp(np.minimum(
        (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)) + np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)), 700)), 0.0)
    return numerator / (1.0 + odds_dead)


# ---------------------------------------------------------------- Gamma-Gamma


def gamma_gamma_log_likelihood(params, x, m, weights=None) -> float:
    """Total Gamma-Gamma log-likelihood of (p, q, gamma) over repeat buyers' x and mean spend m."""
    x, m = np.asarray(x, float), np.asarray(m, float)
    return float(_gg_ll_terms(np.asarray(params, float), x, m) @ (np.ones(len(x)) if weights is None else np.asarray(weights, float)))


def _gg_ll_terms(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, v = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(x * m + v))


def _gamma_gamma_objective(x: np.ndarray, m: np.ndarray, w: np.ndarray):
    """Mean negative Gamma-Gamma log-likelihood over weighted (x, m) and its gradient in
    log-parameters; the gammaln/digamma terms are computed once per distinct x."""
    xs, x_idx = np.unique(x, return_inverse=True)
    wx = np.bincount(x_idx, weights=w)
    total = w.sum()
    log_m, log_x = np.log(m), np.log(x)
    const_p = (x * (log_m + log_x)) @ w  # sum of w x (ln m + ln x): the p-slope of (px-1) ln m + px ln x
    const = const_p, -(log_m @ w)

    def objective(log_params):
        p, q, v = np.exp(log_params)
        pxs = p * xs
        log_xmv = np.log(x * m + v)
        ll = ((gammaln(pxs + q) - gammaln(pxs) - gammaln(q)) @ wx + q * np.log(v) * total
              + p * const[0] + const[1] - ((p * x + q) * log_xmv) @ w)
        d_p = (xs * (digamma(pxs + q) - digamma(pxs))) @ wx + const[0] - (x * log_xmv) @ w
        d_q = (digamma(pxs + q) - digamma(q)) @ wx + np.log(v) * total - log_xmv @ w
        d_v = q / v * total - ((p * x + q) / (x * m + v)) @ w
        return -ll / total, -np.array([d_p * p, d_q * q, d_v * v]) / total

    return objective


def fit_gamma_gamma(summary: pl.DataFrame, min_repeat_buyers: int = 30, maxiter: int = 1000) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on the repeat buyers (frequency > 0, monetary > 0),
    weighted distinct (frequency, monetary) rows, L-BFGS-B on log-parameters."""
    buyers = summary.filter((pl.col("frequency") > 0) & (pl.col("monetary") > 0))
    n = buyers.height
    if n < min_repeat_buyers:
        return GammaGammaFit(ok=False, reason="too_few_repeat_buyers", repeat_buyers=n,
                             detail=f"{n} repeat buyers, fewer than the {min_repeat_buyers} needed")
    grid = _distinct(buyers, ["frequency", "monetary"])
    x, m, w = (grid[c].to_numpy().astype(float) for c in ("frequency", "monetary", "weight"))
    # spend is fitted in units of its mean so that the start point suits any currency
    scale = float((m * w).sum() / w.sum())
    res = _minimize(_gamma_gamma_objective(x, m / scale, w), 3, maxiter)
    p, q, v = np.exp(res.x)
    # the density of m/scale is scale times that of m: subtract sum(w) ln(scale)
    total = w.sum()
    fit = dict(p=float(p), q=float(q), gamma=float(v * scale),
               log_likelihood=float(-res.fun * total - total * math.log(scale)), repeat_buyers=n)
    if not _converged(res):
        return GammaGammaFit(ok=False, reason="no_convergence", detail=f"Gamma-Gamma: {res.message}", **fit)
    if _at_bound(res.x):
        return GammaGammaFit(ok=False, reason="at_bound", detail=f"Gamma-Gamma parameters ran to a bound: {fit}", **fit)
    if q <= 1:
        return GammaGammaFit(ok=False, reason="q_not_above_1", detail=f"q = {q:.3g}: mean spend is infinite", **fit)
    return GammaGammaFit(ok=True, **fit)


def expected_spend(fit: GammaGammaFit, x, m) -> np.ndarray:
    """E[spend per purchase | x, m] = (1-w) gamma p/(q-1) + w m, w = px/(px+q-1)."""
    x, m = np.asarray(x, float), np.asarray(m, float)
    w = fit.p * x / (fit.p * x + fit.q - 1)
    return (1 - w) * fit.gamma * fit.p / (fit.q - 1) + w * m


# ---------------------------------------------------------------- putting it together


def horizon_in_units(months: float, time_unit: str) -> float:
    """``months`` in the summary's time unit: months x 365.25/12 days / days per unit."""
    return months * DAYS_PER_MONTH / UNIT_DAYS[time_unit]


def fit_clv(summary: pl.DataFrame, time_unit: str = "week", horizon_months: int = 12,
            min_repeat_buyers: int = 30, maxiter: int = 1000) -> ClvFit:
    """Fit BG/NBD and Gamma-Gamma, unless there are fewer than ``min_repeat_buyers`` repeat buyers
    (then neither is fitted and the result says so)."""
    repeat_buyers = int((summary["frequency"] > 0).sum()) if summary.height else 0
    common = dict(time_unit=time_unit, horizon_months=horizon_months, min_repeat_buyers=min_repeat_buyers)
    if summary.height and repeat_buyers < min_repeat_buyers:
        detail = f"{repeat_buyers} repeat buyers, fewer than the {min_repeat_buyers} needed"
        return ClvFit(BgNbdFit(ok=False, reason="too_few_repeat_buyers", detail=detail, customers=summary.height),
                      GammaGammaFit(ok=False, reason="too_few_repeat_buyers", detail=detail, repeat_buyers=repeat_buyers),
                      **common)
    bgnbd = fit_bgnbd(summary, maxiter=maxiter)
    gamma_gamma = fit_gamma_gamma(summary, min_repeat_buyers, maxiter=maxiter) if bgnbd.ok else \
        GammaGammaFit(ok=False, repeat_buyers=repeat_buyers)
    return ClvFit(bgnbd, gamma_gamma, **common)


def customer_values(summary: pl.DataFrame, fit: ClvFit) -> pl.DataFrame:
    """Per customer: the summary columns plus ``p_alive``, ``expected_purchases`` (repeat purchases
    over the horizon), ``expected_spend`` (per purchase) and ``expected_value`` = the two multiplied.

    Computed once per distinct history and joined back, so 1M customers cost what their
    distinct (frequency, recency, T, monetary) rows cost.
    """
    keys = ["frequency", "recency", "T"]
    grid = summary.select(keys).unique()
    x, t_x, T = (grid[c].to_numpy().astype(float) for c in keys)
    t = horizon_in_units(fit.horizon_months, fit.time_unit)
    grid = grid.with_columns(
        pl.Series("p_alive", probability_alive(fit.bgnbd, x, t_x, T)),
        pl.Series("expected_purchases", expected_purchases(fit.bgnbd, t, x, t_x, T)),
    )
    spend = expected_spend(fit.gamma_gamma, summary["frequency"].to_numpy().astype(float), summary["monetary"].to_numpy())
    # the spend column is attached before the join: a join does not promise to keep row order
    return (
        summary.with_columns(pl.Series("expected_spend", spend))
        .lazy()
        .join(grid.lazy(), on=keys, how="left")
        .with_columns((pl.col("expected_purchases") * pl.col("expected_spend")).alias("expected_value"))
        .collect()
    )


def holdout_comparison(summary: pl.DataFrame, fit: BgNbdFit, holdout: pl.DataFrame, customer_col: str,
                       holdout_units: float) -> pl.DataFrame:
    """Per calibration frequency bucket (0..6, 7 = 7+): ``frequency_bucket, customers,
    predicted, actual`` = mean predicted / mean actual repeat purchases in the holdout of
    length ``holdout_units``. ``holdout`` holds ``customer_col, holdout_purchases``."""
    predicted = expected_purchases(fit, holdout_units, *(summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T")))
    return (
        summary.lazy()
        .select(customer_col, pl.col("frequency").clip(upper_bound=FREQUENCY_BUCKETS).alias("frequency_bucket"))
        .with_columns(pl.Series("predicted", predicted))
        .join(holdout.lazy(), on=customer_col, how="left")
        .group_by("frequency_bucket")
        .agg(pl.len().alias("customers"), pl.col("predicted").mean(),
             pl.col("holdout_purchases").fill_null(0).mean().alias("actual"))
        .sort("frequency_bucket")
        .collect()
    )


def customer_lifetime_value(orders: pl.LazyFrame, calibration_end: date, horizon_months: int = 12,
                            time_unit: str = "week", min_repeat_buyers: int = 30,
                            holdout_end: date | None = None) -> ClvResult:
    """Section 3.3 from the orders table: paid orders up to ``calibration_end`` (the period's last
    day) are the history; the fit, the per-customer frame (``customer_id, frequency, recency, T,
    monetary, p_alive, expected_purchases, expected_spend, expected_value``) and, when paid orders
    exist after ``calibration_end`` (up to ``holdout_end``, default the last one), the holdout
    comparison. A failed fit gives ``customers=None`` and ``fit.ok`` False with its reason."""
    orders = paid(orders)
    calibration_end = calibration_end.date() if isinstance(calibration_end, datetime) else calibration_end
    summary = rfm_summary(orders, "customer_id", "order_time", "amount", calibration_end, time_unit)
    fit = fit_clv(summary, time_unit, horizon_months, min_repeat_buyers)
    if not fit.ok:
        return ClvResult(fit, None, None)
    customers = customer_values(summary, fit)
    last = orders.select(pl.col("order_time").max().cast(pl.Date)).collect().item()
    end = holdout_end.date() if isinstance(holdout_end, datetime) else (holdout_end or last)
    holdout = None
    if last is not None and end is not None and last > calibration_end:
        actual = holdout_purchases(orders, "customer_id", "order_time", calibration_end, end).collect()
        units = (end - calibration_end).days / UNIT_DAYS[time_unit]
        holdout = holdout_comparison(summary, fit.bgnbd, actual, "customer_id", units)
    return ClvResult(fit, customers, holdout)


# ---------------------------------------------------------------- tables for charts and narrative


def clv_by_segment(customers: pl.DataFrame, segments: pl.DataFrame, segment_col: str = "segment",
                   customer_col: str = "customer_id") -> pl.DataFrame:
    """Per segment (from a ``customer_id -> segment`` frame; customers without one are null):
    ``segment, customers, expected_purchases, expected_value`` (sums), ``mean_p_alive``,
    ``value_share`` = segment value / total value; largest value first."""
    total = pl.col("expected_value").sum()
    return (
        customers.lazy()
        .join(segments.lazy().select(customer_col, pl.col(segment_col).alias("segment")), on=customer_col, how="left")
        .group_by("segment")
        .agg(pl.len().alias("customers"), pl.col("expected_purchases").sum(), pl.col("expected_value").sum(),
             pl.col("p_alive").mean().alias("mean_p_alive"))
        .with_columns(pl.when(total > 0).then(pl.col("expected_value") / total).otherwise(None).alias("value_share"))
        .sort("expected_value", descending=True, nulls_last=True)
        .collect()
    )


def clv_totals(customers: pl.DataFrame) -> pl.DataFrame:
    """One row: ``customers, expected_purchases, expected_value`` (sums), ``mean_p_alive``,
    ``likely_alive_share`` = share of customers with p_alive >= 0.5, and
    ``likely_alive_share_repeat`` = the same among repeat buyers (frequency > 0; null without any):
    BG/NBD gives every one-time buyer p_alive = 1, so the first share flatters a shop with many."""
    likely = pl.col("p_alive") >= P_ALIVE_LIKELY
    return customers.select(
        pl.len().alias("customers"),
        pl.col("expected_purchases").sum(),
        pl.col("expected_value").sum(),
        pl.col("p_alive").mean().alias("mean_p_alive"),
        likely.mean().alias("likely_alive_share"),
        likely.filter(pl.col("frequency") > 0).mean().alias("likely_alive_share_repeat"),
    )


def p_alive_distribution(customers: pl.DataFrame, bins: int = 10) -> pl.DataFrame:
    """Customers per p_alive band of width 1/bins: ``band`` (0..bins-1; band k covers
    [k/bins, (k+1)/bins), the last one includes 1), ``lower, customers, share``."""
    band = (pl.col("p_alive") * bins).floor().clip(0, bins - 1).cast(pl.Int64)
    counts = customers.lazy().group_by(band.alias("band")).agg(pl.len().alias("customers"))
    all_bands = pl.LazyFrame({"band": list(range(bins))}, schema={"band": pl.Int64})
    return (
        all_bands.join(counts, on="band", how="left")
        .with_columns(pl.col("customers").fill_null(0).cast(pl.Int64), (pl.col("band") / bins).alias("lower"))
        .with_columns((pl.col("customers") / pl.col("customers").sum()).alias("share"))
        .select("band", "lower", "customers", "share")
        .sort("band")
        .collect()
    )
