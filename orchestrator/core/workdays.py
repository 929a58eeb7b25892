"""Working-day arithmetic for deadlines (时限), over the published holiday calendar.

A `Calendar` holds the days whose status is known: the calendar table, seeded from chinese_calendar (the
State Council's holidays and 调休 make-up working days, 2004–2026) and editable by an admin when a new
year's schedule is published. A day with no entry falls back to Monday–Friday, and any answer that
relied on such a day is *provisional*.

The module-level functions use the calendar last loaded from the database in this process (before that,
the package's data): they back the working-day helpers of the expression sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from operator import index

import chinese_calendar

from orchestrator.core.i18n import _

MAX_WORKING_DAYS = 3650
MAX_SPAN_DAYS = 2 * MAX_WORKING_DAYS
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Due:
    """A due date, and whether it rests on days with no published schedule."""

    date: date
    provisional: bool


class Calendar:
    """Known days (date → is a working day); unknown days are Monday–Friday and provisional."""

    def __init__(self, days: dict[date, bool]):
        self.days = days

    def is_working_day(self, day: date) -> bool:
        known = self.days.get(day)
        return day.weekday() < 5 if known is None else known

    def knows(self, day: date) -> bool:
        return day in self.days

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start`; for n=0, `start` itself if it is a working day, else the next."""
        return self._walk(start, n)[0]

    def due_date(self, accepted_at: date, limit: int) -> Due:
        """Due date of a limit of `limit` working days counted from acceptance (0: the same working day)."""
        day, provisional = self._walk(accepted_at, limit)
        return Due(day, provisional)

    def _walk(self, start: date, n: int) -> tuple[date, bool]:
        n = index(n)  # an int, or a TypeError: a float would never count down to 0
        if not 0 <= n <= MAX_WORKING_DAYS:
            # text, not a message: it reaches SpiffWorkflow (a script's helper), which adds it to its own
            message = _(
                "the number of working days must be between 0 and {max}, not {n}", max=MAX_WORKING_DAYS, n=n
            )
            raise ValueError(str(message))
        day, provisional = start, not self.knows(start)
        if n == 0:
            while not self.is_working_day(day):
                day += _ONE_DAY
                provisional |= not self.knows(day)
            return day, provisional
        while n:
            day += _ONE_DAY
            provisional |= not self.knows(day)
            n -= self.is_working_day(day)
        return day, provisional

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (start, end]: 0 when `end` is not after `start`."""
        span = (end - start).days
        if span > MAX_SPAN_DAYS:
            message = _(
                "{start} to {end} spans more than {max} days", start=start, end=end, max=MAX_SPAN_DAYS
            )
            raise ValueError(str(message))  # text, as above
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, span + 1))

    def is_provisional(self, start: date, end: date) -> bool:
        """True if any day of the range has no published schedule."""
        first, last = sorted((start, end))
        return any(not self.knows(first + timedelta(days=i)) for i in range((last - first).days + 1))


def package_days() -> dict[date, bool]:
    """Every day chinese_calendar knows (the seed of the calendar table)."""
    days = {}
    for year in range(2004, 2100):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            break
        day = date(year, 1, 1)
        while day.year == year:
            days[day] = chinese_calendar.is_workday(day)
            day += _ONE_DAY
    return days


@cache
def package_calendar() -> Calendar:
    return Calendar(package_days())


_active: Calendar | None = None


def active() -> Calendar:
    """The calendar in force in this process: the table's, once loaded; the package's before that."""
    return _active or package_calendar()


def use(calendar: Calendar) -> None:
    global _active
    _active = calendar


def is_working_day(day: date) -> bool:
    return active().is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    return active().add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    return active().working_days_between(start, end)


def due_date(accepted_at: date, limit: int) -> Due:
    return active().due_date(accepted_at, limit)


def is_provisional(start: date, end: date) -> bool:
    return active().is_provisional(start, end)
