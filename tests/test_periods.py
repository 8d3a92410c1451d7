from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.periods import PeriodError, comparison_for, parse_period


@pytest.mark.parametrize(
    "text,start,end,kind",
    [
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "year"),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31), "quarter"),
        ("2025q1", date(2025, 1, 1), date(2025, 3, 31), "quarter"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),  # leap year
        ("2025-W47", date(2025, 11, 17), date(2025, 11, 23), "week"),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4), "week"),  # ISO week 1 starts in December
        ("2025-10-01..2025-10-15", date(2025, 10, 1), date(2025, 10, 15), "range"),
    ],
)
def test_parse_forms(text, start, end, kind):
    p = parse_period(text)
    assert (p.start, p.end, p.kind) == (start, end, kind)


def test_mapping_form_and_days():
    p = parse_period({"start": "2025-10-01", "end": "2025-10-10"})
    assert p.days == 10
    assert p.end_dt.isoformat() == "2025-10-11T00:00:00"


@pytest.mark.parametrize("bad", ["2025-13", "Q4 2025", "2025-W54", "yesterday", "2025-10-40..2025-11-01", ""])
def test_bad_periods_show_accepted_forms(bad):
    with pytest.raises(PeriodError, match="accepted forms"):
        parse_period(bad)


def test_range_ending_before_start():
    with pytest.raises(PeriodError, match="before it starts"):
        parse_period("2025-10-10..2025-10-01")


def test_previous_of_each_kind():
    assert parse_period("2025-Q1").previous().label == "2024-Q4"
    assert parse_period("2025-03").previous().label == "2025-02"
    assert parse_period("2025-01").previous().label == "2024-12"
    assert parse_period("2025").previous().label == "2024"
    assert parse_period("2025-W01").previous().label == "2024-W52"
    r = parse_period("2025-10-11..2025-10-20").previous()
    assert (r.start, r.end) == (date(2025, 10, 1), date(2025, 10, 10))


def test_comparison_options():
    p = parse_period("2025-Q4")
    assert comparison_for(p, "none") is None
    assert comparison_for(p, None) is None
    assert comparison_for(p, "previous").label == "2025-Q3"
    yoy = comparison_for(p, "year")
    assert (yoy.start, yoy.end) == (date(2024, 10, 1), date(2024, 12, 31))
    assert comparison_for(p, "2025-06").label == "2025-06"


# no deadline: the first example pays imports, and a loaded 2-core machine can take >200 ms
@settings(deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_every_day_is_in_its_month_quarter_week_and_year(d):
    y, w, _ = d.isocalendar()
    for text in (f"{d.year}", f"{d.year}-{d.month:02d}", f"{d.year}-Q{(d.month - 1) // 3 + 1}", f"{y}-W{w:02d}"):
        p = parse_period(text)
        assert p.contains(d), text
        assert parse_period(p.label) == p  # labels parse back to the same period


# no deadline: the first example pays imports, and a loaded 2-core machine can take >200 ms
@settings(deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
       st.integers(min_value=0, max_value=400))
def test_previous_range_is_adjacent_and_equal_length(start, length):
    p = parse_period(f"{start.isoformat()}..{(start + timedelta(days=length)).isoformat()}")
    prev = p.previous()
    assert prev.days == p.days
    assert prev.end + timedelta(days=1) == p.start


# no deadline: the first example pays imports, and a loaded 2-core machine can take >200 ms
@settings(deadline=None)
@given(st.integers(min_value=1991, max_value=2090), st.sampled_from(["year", "quarter", "month"]))
def test_previous_calendar_period_ends_the_day_before(year, kind):
    text = {"year": f"{year}", "quarter": f"{year}-Q3", "month": f"{year}-07"}[kind]
    p = parse_period(text)
    assert p.previous().end + timedelta(days=1) == p.start
