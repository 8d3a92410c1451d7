"""Report periods: parse ``2025-Q4``, ``2025-11``, ``2025-W47``, ``2025`` or explicit dates.

A :class:`Period` is a closed range of whole days ``[start, end]``. The comparison
period defaults to the period of equal length just before (for a quarter, month, ISO
week or year: the previous one of the same kind, so 2025-03 compares with 2025-02
even though February is shorter).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

ACCEPTED_FORMS = (
    "2025 (a year), 2025-Q4 (a quarter), 2025-11 (a month), 2025-W47 (an ISO week), "
    "2025-10-01..2025-12-31 (explicit dates), or {start: 2025-10-01, end: 2025-12-31}"
)


class PeriodError(ValueError):
    """A period string that is not one of the accepted forms."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str
    kind: str = "range"  # year | quarter | month | week | range

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"period {self.label!r} ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_dt(self) -> datetime:
        """First instant of the period."""
        return datetime.combine(self.start, datetime.min.time())

    @property
    def end_dt(self) -> datetime:
        """First instant *after* the period (exclusive upper bound for datetimes)."""
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time())

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        if self.kind == "year":
            return parse_period(str(self.start.year - 1))
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            y, q = (self.start.year, q - 1) if q > 1 else (self.start.year - 1, 4)
            return parse_period(f"{y}-Q{q}")
        if self.kind == "month":
            y, m = (self.start.year, self.start.month - 1) if self.start.month > 1 else (self.start.year - 1, 12)
            return parse_period(f"{y}-{m:02d}")
        if self.kind == "week":
            prev = self.start - timedelta(days=7)
            y, w, _ = prev.isocalendar()
            return parse_period(f"{y}-W{w:02d}")
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", "range")

    def __str__(self) -> str:
        return self.label


_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|/|~| to )\s*(\d{4}-\d{2}-\d{2})$")


def _date(text: str, original: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{original!r} has an invalid date {text!r}; accepted forms: {ACCEPTED_FORMS}") from None


def parse_period(value: str | date | dict) -> Period:
    """Parse a period given as text (see :data:`ACCEPTED_FORMS`) or a ``{start, end}`` mapping."""
    if isinstance(value, Period):
        return value
    if isinstance(value, dict):
        if set(value) != {"start", "end"}:
            raise PeriodError(f"a period mapping needs exactly the keys start and end; accepted forms: {ACCEPTED_FORMS}")
        start = value["start"] if isinstance(value["start"], date) else _date(str(value["start"]), str(value))
        end = value["end"] if isinstance(value["end"], date) else _date(str(value["end"]), str(value))
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", "range")
    if isinstance(value, date):
        return Period(value, value, value.isoformat(), "range")
    text = str(value).strip()
    if m := _YEAR.match(text):
        y = int(m[1])
        return Period(date(y, 1, 1), date(y, 12, 31), f"{y}", "year")
    if m := _QUARTER.match(text):
        y, q = int(m[1]), int(m[2])
        first = date(y, 3 * q - 2, 1)
        last_month = 3 * q
        return Period(first, date(y, last_month, calendar.monthrange(y, last_month)[1]), f"{y}-Q{q}", "quarter")
    if m := _MONTH.match(text):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise PeriodError(f"{text!r}: month {mo} is not 1-12; accepted forms: {ACCEPTED_FORMS}")
        return Period(date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]), f"{y}-{mo:02d}", "month")
    if m := _WEEK.match(text):
        y, w = int(m[1]), int(m[2])
        try:
            start = date.fromisocalendar(y, w, 1)
        except ValueError:
            raise PeriodError(f"{text!r}: {y} has no ISO week {w}; accepted forms: {ACCEPTED_FORMS}") from None
        return Period(start, start + timedelta(days=6), f"{y}-W{w:02d}", "week")
    if m := _RANGE.match(text):
        start, end = _date(m[1], text), _date(m[2], text)
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", "range")
    raise PeriodError(f"{text!r} is not a period; accepted forms: {ACCEPTED_FORMS}")


def comparison_for(period: Period, spec: str | dict | None = "previous") -> Period | None:
    """The comparison period: ``previous`` (default), ``none``, ``year`` (same period a
    year earlier, for seasonal shops) or an explicit period."""
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("none", "")):
        return None
    if isinstance(spec, str) and spec.strip().lower() == "previous":
        return period.previous()
    if isinstance(spec, str) and spec.strip().lower() in ("year", "previous_year", "yoy"):
        try:
            start = period.start.replace(year=period.start.year - 1)
            end = period.end.replace(year=period.end.year - 1)
        except ValueError:  # 29 February
            start = period.start.replace(year=period.start.year - 1, day=28)
            end = period.end.replace(year=period.end.year - 1, day=28)
        return Period(start, end, f"{period.label} -1y", period.kind if period.kind != "week" else "range")
    return parse_period(spec)
