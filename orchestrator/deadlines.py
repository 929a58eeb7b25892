"""Working-day arithmetic for statutory deadlines (法定时限), over chinese_calendar's official holiday data.

chinese_calendar knows the State Council's holidays and 调休 make-up working days for 2004–2026 only; for
other years we fall back to Monday–Friday and callers can flag the answer with `is_provisional`.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache, lru_cache
from operator import index

import chinese_calendar

MAX_WORKING_DAYS = 3650
MAX_SPAN_DAYS = 2 * MAX_WORKING_DAYS
_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=16384)  # chinese_calendar takes ~30 µs a day; deadlines revisit the same days
def is_working_day(day: date) -> bool:
    """True on official working days: weekends and holidays are off, 调休 weekend days are working."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start`; for n=0, `start` itself if it is a working day, else the next one."""
    n = index(n)  # an int, or a TypeError: a float would never count down to 0
    if not 0 <= n <= MAX_WORKING_DAYS:
        raise ValueError(f"the number of working days must be between 0 and {MAX_WORKING_DAYS}, not {n}")
    day = start
    if n == 0:
        while not is_working_day(day):
            day += _ONE_DAY
        return day
    while n:
        day += _ONE_DAY
        n -= is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days fall in (start, end]: 0 when `end` is not after `start`."""
    span = (end - start).days
    if span > MAX_SPAN_DAYS:
        raise ValueError(f"{start} to {end} spans more than {MAX_SPAN_DAYS} days")
    return sum(is_working_day(start + timedelta(days=i)) for i in range(1, span + 1))


def is_provisional(start: date, end: date) -> bool:
    """True if the range touches a year chinese_calendar has no holiday data for (Monday–Friday was assumed)."""
    first, last = sorted((start.year, end.year))
    return not all(_year_known(year) for year in range(first, last + 1))


@cache
def _year_known(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True
