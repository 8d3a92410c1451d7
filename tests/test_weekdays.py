"""Visits per weekday are per date of that weekday, and a weekday is named the busiest only when
it is significantly busier (Welch's t on the day-to-day spread). Every number is worked out by
hand in the comments.

2025-Q4 runs from Wednesday 2025-10-01 to Wednesday 2025-12-31: 92 days = 13 weeks and a day,
so it holds 14 Wednesdays and 13 of every other weekday.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from kit.i18n import Locale
from kit.metrics import profile as P
from kit.metrics.significance import count_ratio_p, two_proportion_p, welch_p
from kit.narrative import profile as N
from kit.periods import parse_period

Q4 = parse_period("2025-Q4")
ZH, EN = Locale("zh"), Locale("en")


def _sessions(per_date) -> pl.DataFrame:
    """Sessions counted as :func:`kit.metrics.profile.visit_counts` counts them: ``per_date(d)``
    sessions on each date of Q4, starting at 12:00, 12:01 ..."""
    starts = []
    d = Q4.start
    while d <= Q4.end:
        starts += [datetime(d.year, d.month, d.day, 12) + timedelta(minutes=i) for i in range(per_date(d))]
        d += timedelta(days=1)
    n = len(starts)
    table = pl.LazyFrame({"start": starts, "end": starts, "device": ["App"] * n, "source": ["ads"] * n,
                          "first:pay": pl.Series([None] * n, dtype=pl.Datetime("us"))})
    return P.visit_counts(table).collect()


def test_weekday_dates_of_a_quarter_with_14_wednesdays():
    days = P.weekday_dates(Q4)
    assert days["weekday"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert days["days"].to_list() == [13, 13, 14, 13, 13, 13, 13]
    assert P.weekday_dates(parse_period("2025-10-01..2025-10-02"))["days"].to_list() == [0, 0, 1, 1, 0, 0, 0]


def test_two_visits_every_day_make_no_weekday_busier():
    sessions = _sessions(lambda d: 2)
    week = P.weekday_visits(sessions, Q4)
    # raw totals: Wednesday 14 x 2 = 28, the others 13 x 2 = 26; per date all 2, no spread
    assert week["visits"].to_list() == [26, 26, 28, 26, 26, 26, 26]
    assert week["visits_per_day"].to_list() == [2.0] * 7
    assert week["sd_per_day"].to_list() == [0.0] * 7
    assert week["share"].to_list() == pytest.approx([1 / 7] * 7)
    grid = P.visit_heatmap(sessions, Q4)
    wed_noon = grid.filter((pl.col("weekday") == 3) & (pl.col("hour") == 12)).row(0, named=True)
    thu_noon = grid.filter((pl.col("weekday") == 4) & (pl.col("hour") == 12)).row(0, named=True)
    assert (wed_noon["visits"], wed_noon["days"], wed_noon["visits_per_day"]) == (28, 14, 2.0)
    assert (thu_noon["visits"], thu_noon["days"], thu_noon["visits_per_day"]) == (26, 13, 2.0)
    assert wed_noon["share"] == pytest.approx(thu_noon["share"]) == pytest.approx(1 / 7)
    # the sentence: no weekday named (the old total-based one said "Wednesday, 15.4% of visits")
    assert N.heatmap_text(grid, P.peak_hours(grid), ZH, week) == ("访问高峰出现在12:00。"
                                                                 "一周各天的日均访问量无明显差异（每天2次）。")
    assert N.heatmap_text(grid, P.peak_hours(grid), EN, week).endswith(
        "Visits per day are similar on every weekday (2 a day).")


def test_a_weekday_with_more_visits_per_date_is_the_busiest():
    # Thursdays 3 a day (13 x 3 = 39), the others 2: Welch's t is infinite (no spread), p = 0
    sessions = _sessions(lambda d: 3 if d.isoweekday() == 4 else 2)
    week = P.weekday_visits(sessions, Q4)
    assert week["visits_per_day"].to_list() == [2.0, 2.0, 2.0, 3.0, 2.0, 2.0, 2.0]
    grid = P.visit_heatmap(sessions, Q4)
    # the next busiest is the first of the tied weekdays in week order, Monday
    assert N.heatmap_text(grid, P.peak_hours(grid), ZH, week).endswith("周四日均访问最多（每天3次，其次的周一为2次）。")
    assert N.heatmap_text(grid, P.peak_hours(grid), EN, week).endswith(
        "Busiest day: Thu (3 visits a day, against 2 on Mon).")


def test_busiest_weekdays_not_told_apart_are_named_together():
    # two weeks, each weekday twice: Saturdays 29 and 31 (mean 30, sd sqrt(2)), Sundays 20 and 36 (mean 28,
    # sd sqrt(128)), weekdays 9 and 11 (mean 10, sd sqrt(2)).
    # Sat vs Sun: t = 2 / sqrt(2/2 + 128/2) = 0.25 -> p = 0.85, alike. Sat vs a weekday: t = 20 / sqrt(1 + 1) = 14.1,
    # df = 2: p = 1 - 14.1 / sqrt(14.1^2 + 2) = 0.005 <= 0.01, different
    two_weeks = parse_period("2025-10-06..2025-10-19")
    week = pl.DataFrame({"weekday": [1, 2, 3, 4, 5, 6, 7], "days": [2.0] * 7,
                         "visits": [20.0] * 5 + [60.0, 56.0], "visits_per_day": [10.0] * 5 + [30.0, 28.0],
                         "sd_per_day": [math.sqrt(2)] * 6 + [math.sqrt(128)], "share": [0.0] * 7})
    assert welch_p(30, math.sqrt(2), 2, 10, math.sqrt(2), 2) == pytest.approx(1 - 20 / math.sqrt(2) / math.sqrt(200 + 2))
    grid = P.visit_heatmap(_sessions(lambda d: 1), two_weeks)
    peaks = grid.clear()
    assert N.heatmap_text(grid, peaks, ZH, week) == "周六、周日日均访问最多，彼此无明显差异（每天28至30次）。"
    assert N.heatmap_text(grid, peaks, EN, week) == "Busiest days: Sat and Sun, with similar visits per day (28 to 30)."
    # at alpha 0.001 the weekdays are not told apart from Saturday either
    assert N.heatmap_text(grid, peaks, EN, week, alpha=0.001) == ("Visits per day are similar on every weekday "
                                                                 "(10 to 30 a day).")


def test_the_weekday_spread_counts_dates_without_visits_as_zero():
    # Mondays only get visits on the first Monday (6 Oct: 13 visits): mean 1 a day over 13 Mondays, sd sqrt(13)
    sessions = _sessions(lambda d: 13 if d == date(2025, 10, 6) else 0)
    monday = P.weekday_visits(sessions, Q4).row(0, named=True)
    assert (monday["visits"], monday["days"], monday["visits_per_day"]) == (13, 13, 1.0)
    assert monday["sd_per_day"] == pytest.approx(math.sqrt((144 + 12 * 1) / 12))


def test_significance_tests_by_hand():
    # 30 of 100 vs 20 of 100: pooled 0.25, z = 0.1 / sqrt(0.25 x 0.75 x 0.02) = 1.633, p = 0.1025
    assert two_proportion_p(30, 100, 20, 100) == pytest.approx(0.10247, abs=1e-4)
    assert two_proportion_p(0, 10, 0, 10) == 1.0 and two_proportion_p(1, 0, 1, 5) == 1.0
    # 120 vs 80 with equal exposures: z = 40 / sqrt(200) = 2.828, p = 0.00468; 120 in 2 vs 80 in 1 is the same rate
    assert count_ratio_p(120, 80) == pytest.approx(0.004678, abs=1e-5)
    assert count_ratio_p(120, 60, 2, 1) == pytest.approx(1.0)
    assert welch_p(5, 0, 3, 5, 0, 3) == 1.0 and welch_p(5, 0, 3, 4, 0, 3) == 0.0 and welch_p(5, 1, 1, 4, 1, 3) == 1.0
