"""Since when? The onset of a finding in its monthly history.

The daily change-point detector (:mod:`kit.diagnosis.changepoint`) looks for a stretch of
days converting worse than the days around it, each day weighing by its count, with the
day-to-day variance beyond binomial sampling (``tau2``) estimated from the series itself and
a Bonferroni-corrected test over every candidate stretch. A monthly series of a rate (``k``
of ``n`` per month: churned of last month's buyers, cohort buyers who came back, returned
lines, abandoned carts) has the same shape and the same noise model, with months for days:

- the counts are binomial within a month and months differ beyond that (seasons,
  campaigns), which is what ``tau2`` absorbs; the robust estimate needs six months with
  data and returns 0 (plain binomial) below that;
- a stretch needs ``min_months`` months (3: a quarter) and as many months before it, so a
  single bad month is not an onset and an onset has a "before";
- the stretch's pooled rate must be worse by ``min_drop`` (relative) than both the months
  before it and all months outside it, and pass ``alpha`` after the correction for the
  number of stretches tried.

So :func:`find_onset` runs that same scan (:func:`kit.diagnosis.changepoint.scan_series`)
on the months, once. "Worse" is down for a rate where higher is better (repurchase,
conversion) and up for one where higher is worse (churn, returns, abandonment): the scan
then runs on the complement ``n - k`` (the good outcomes).

Against its peers. A finding about a group (a region, a channel, a category) says the group
is worse than the rest of the shop, so its onset is when it began to differ from the rest,
not when the whole shop moved (a season, a campaign, the first months of the data, when every
customer is new and churns more). With a ``reference`` (the rest pooled, month by month) the
group's months are indexed to it (indirect standardisation): month ``t``'s good outcomes
``g_t`` of ``n_t`` are scanned against ``n_t x q_t / q`` instead of ``n_t``, where ``q_t`` is
the rest's rate of good outcomes that month and ``q`` the rest's rate over all months. Were
the group like the rest, ``g_t`` would be binomial with rate ``q_t``, so its indexed rate
``g_t q / (n_t q_t)`` would stay at ``q`` with about the binomial variance the scan assumes
(the ratio ``(1 - q_t) / (1 - q)`` apart, which the month-level variance ``tau2`` absorbs).
The figures reported are the plain ones: the group's rate and the rest's over the months
before the onset and since.

Series that are not rates of counts (ROI, a share of money) have no onset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from kit.diagnosis.changepoint import scan_series

MIN_MONTHS = 3
"""Months a stretch must last, and months of data it needs before it."""


@dataclass(frozen=True)
class Onset:
    """A stretch of months when the series was worse than before.

    ``start``: its first month (first day); ``end``: its last month, or None when it runs to
    the end of the series (it still holds); ``before``: the rate pooled over the months before
    ``start``; ``during``: pooled over the stretch; ``after``: pooled over the months after
    ``end`` (None while it holds); ``rest_before``, ``rest_during``: the reference's rates over
    the same months (None without a reference); ``p_value``: the corrected test of the scan."""

    start: date
    end: date | None
    before: float
    during: float
    after: float | None
    p_value: float
    rest_before: float | None = None
    rest_during: float | None = None


def find_onset(series: pl.DataFrame, higher_is_worse: bool, reference: pl.DataFrame | None = None,
               min_months: int = MIN_MONTHS, min_drop: float = 0.15, alpha: float = 0.01) -> Onset | None:
    """The onset in one monthly series (``month, k, n``: as :mod:`kit.metrics.history` gives
    them; a month without a row is a month without data), indexed to ``reference`` (the same
    columns: the rest of the group pooled) when given, or None when no stretch passes
    (module doc)."""
    frame = series.filter(pl.col("n") > 0).sort("month")
    if frame.height < 2 * min_months:
        return None
    first, last = frame["month"][0], frame["month"][-1]
    months = [_add(first, i) for i in range(_index(first, last) + 1)]
    n, bad = _counts(frame, first, len(months))
    good = n - bad if higher_is_worse else bad
    scanned = n
    if reference is not None:
        ref_n, ref_bad = _counts(reference.filter(pl.col("month").is_between(first, last)), first, len(months))
        ref_good = ref_n - ref_bad if higher_is_worse else ref_bad
        q = ref_good.sum() / ref_n.sum() if ref_n.sum() > 0 else 0.0
        q_t = np.divide(ref_good, ref_n, out=np.zeros(len(months)), where=ref_n > 0)
        # months the reference cannot index (no data, no good outcome) are left out of the scan
        scanned = np.where(q_t > 0, n * q_t / q, 0.0) if q > 0 else np.zeros(len(months))
    drops = scan_series(scanned, np.clip(good, 0, scanned), min_months, min_drop, alpha, max_drops=1)
    if not drops:
        return None
    d = drops[0]
    s, e = d["start"], d["end"]
    ongoing = e == len(months) - 1 or n[e + 1:].sum() == 0

    def rate(counts_n, counts_bad, lo, hi):
        total = counts_n[lo:hi].sum()
        return float(counts_bad[lo:hi].sum() / total) if total > 0 else None

    rest = (None, None) if reference is None else (rate(ref_n, ref_bad, 0, s), rate(ref_n, ref_bad, s, e + 1))
    return Onset(start=months[s], end=None if ongoing else months[e], before=rate(n, bad, 0, s),
                 during=rate(n, bad, s, e + 1), after=None if ongoing else rate(n, bad, e + 1, len(months)),
                 p_value=d["p_value"], rest_before=rest[0], rest_during=rest[1])


def _counts(frame: pl.DataFrame, first: date, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` and ``k`` per month from ``first`` (0 for months without a row)."""
    n, k = np.zeros(length), np.zeros(length)
    index = np.array([_index(first, m) for m in frame["month"].to_list()], dtype=int)
    if len(index):
        n[index] = frame["n"].to_numpy()
        k[index] = frame["k"].to_numpy()
    return n, k


def _index(first: date, month: date) -> int:
    return (month.year - first.year) * 12 + month.month - first.month


def _add(first: date, i: int) -> date:
    k = first.year * 12 + first.month - 1 + i
    return date(k // 12, k % 12 + 1, 1)
