"""Is a difference more than chance? The tests the report's sentences run before they state one.

A sentence that says one group is larger, busier, faster growing or converting better than
another (or than the comparison period) is written only when the difference passes the
run's threshold (``diagnosis.significance`` in the params, a two-sided p-value); otherwise
it says the values are similar. Each function returns the two-sided p-value (1.0 when the
test is undefined: no data, a rate of 0 or 1 on both sides, no spread):

- :func:`two_proportion_p`: two shares ``k1 / n1`` and ``k2 / n2`` (a group's share of
  customers now and before, a source's conversion against another's). Pooled z-test:
  ``q = (k1 + k2) / (n1 + n2)``, ``z = (k1/n1 - k2/n2) / sqrt(q (1 - q) (1/n1 + 1/n2))``,
  ``p = 2 (1 - Φ(|z|))``. The vectorised form, per group against the rest of its group,
  is :func:`kit.metrics.common.proportion_tests`.
- :func:`count_ratio_p`: two counts with their exposures, ``c1`` in ``e1`` and ``c2`` in
  ``e2`` (new customers this quarter and last; the largest group's customers against the
  second's, exposures 1 and 1). Under one Poisson rate, given ``c1 + c2`` the first count
  is binomial with ``p0 = e1 / (e1 + e2)``: ``z = (c1 - (c1 + c2) p0) / sqrt((c1 + c2) p0 (1 - p0))``;
  with equal exposures ``z = (c1 - c2) / sqrt(c1 + c2)``.
- :func:`welch_p`: two means of replicates with their sample standard deviations (the
  visits of an average Wednesday and of an average Thursday, from the period's 13 or 14
  dates of each). Welch's t: ``t = (m1 - m2) / sqrt(s1²/n1 + s2²/n2)`` with the
  Welch-Satterthwaite degrees of freedom. Daily counts vary far more than Poisson (campaign
  days, festivals), so days, not visits, are the replicates.

Two periods overlap in their customers, so their shares are not independent samples; the
tests treat them as if they were, which errs on the side of calling a change significant
only when it is large against its sampling noise.
"""

from __future__ import annotations

import math

from scipy.special import ndtr, stdtr


def _finite(*xs) -> bool:
    return all(x is not None and isinstance(x, int | float) and math.isfinite(x) for x in xs)


def _two_sided_normal(z: float) -> float:
    # ndtr = the normal CDF (scipy.special: scipy.stats costs ~1.5 s to import)
    return float(2 * ndtr(-abs(z)))


def two_proportion_p(k1, n1, k2, n2) -> float:
    """Two-sided p-value that ``k1 / n1`` and ``k2 / n2`` differ by more than chance
    (pooled two-proportion z-test, module doc); 1.0 when either side is empty or the
    pooled rate is 0 or 1."""
    if not _finite(k1, n1, k2, n2) or n1 <= 0 or n2 <= 0:
        return 1.0
    q = (k1 + k2) / (n1 + n2)
    var = q * (1 - q) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 1.0
    return _two_sided_normal((k1 / n1 - k2 / n2) / math.sqrt(var))


def count_ratio_p(c1, c2, e1: float = 1.0, e2: float = 1.0) -> float:
    """Two-sided p-value that counts ``c1`` (over exposure ``e1``) and ``c2`` (over ``e2``)
    come from different rates (conditional binomial test, normal approximation, module
    doc); 1.0 when both counts are 0."""
    if not _finite(c1, c2, e1, e2) or e1 <= 0 or e2 <= 0 or c1 + c2 <= 0:
        return 1.0
    total, p0 = c1 + c2, e1 / (e1 + e2)
    return _two_sided_normal((c1 - total * p0) / math.sqrt(total * p0 * (1 - p0)))


def welch_p(m1, s1, n1, m2, s2, n2) -> float:
    """Two-sided p-value of Welch's t-test between two means of ``n1`` and ``n2``
    replicates with sample standard deviations ``s1`` and ``s2`` (module doc); 1.0 with
    fewer than two replicates on a side or no spread at all (0.0 when the means differ
    without any spread)."""
    if not _finite(m1, s1, n1, m2, s2, n2) or n1 < 2 or n2 < 2:
        return 1.0
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    if v1 + v2 <= 0:
        return 1.0 if m1 == m2 else 0.0
    t = (m1 - m2) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / ((v1 * v1 / (n1 - 1) if v1 else 0.0) + (v2 * v2 / (n2 - 1) if v2 else 0.0))
    # stdtr = the Student t CDF
    return float(2 * stdtr(df, -abs(t)))


def significant(p: float, alpha: float) -> bool:
    """Whether a p-value passes the run's threshold (``p <= alpha``)."""
    return p <= alpha
