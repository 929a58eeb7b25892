"""Periods of statistics: a day, week, month, quarter, year or any range, and how a range splits into
whole months (read from the monthly sums) and loose days (read from the daily sums)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import _

MAX_DAYS = 3 * 366 + 1  # a range longer than three years is refused
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_day(text: str | None, field: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except (TypeError, ValueError):
        raise InvalidInput(
            Problem(_("'{text}' is not a date (YYYY-MM-DD)", text=text), field=field)
        ) from None


def span(start: date, end: date) -> tuple[date, date]:
    if end < start:
        raise InvalidInput(Problem(_("the period ends before it starts"), field="to"))
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(Problem(_("a period is at most three years"), field="to"))
    return start, end


def parse_range(start: str | None, end: str | None) -> tuple[date, date]:
    return span(parse_day(start, "from"), parse_day(end, "to"))


def parse_period(text: str | None) -> tuple[date, date]:
    """2026 · 2026-Q3 · 2026-09 · 2026-W40 · 2026-09-28 · 2026-09-01..2026-09-30"""
    value = (text or "").strip()
    if ".." in value:
        low, _sep, high = value.partition("..")
        return parse_range(low, high)
    if m := _YEAR.match(value):
        year = int(m[1])
        return date(year, 1, 1), date(year, 12, 31)
    if m := _QUARTER.match(value):
        year, q = int(m[1]), int(m[2])
        return date(year, 3 * q - 2, 1), _month_end(date(year, 3 * q, 1))
    if (m := _MONTH.match(value)) and 1 <= int(m[2]) <= 12:
        month = date(int(m[1]), int(m[2]), 1)
        return month, _month_end(month)
    if m := _WEEK.match(value):
        try:
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            monday = None
        if monday:
            return monday, monday + timedelta(days=6)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Problem(
                _(
                    "'{text}' is not a period (2026, 2026-Q3, 2026-09, 2026-W40, 2026-09-28 or A..B)",
                    text=value,
                ),
                field="period",
            )
        ) from None
    return day, day


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def split(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """Whole months inside [start, end] (their first days) and the day ranges left over."""
    months: list[date] = []
    loose: list[tuple[date, date]] = []
    day = start
    while day <= end:
        first = day.replace(day=1)
        last = _month_end(first)
        if day == first and last <= end:
            months.append(first)
        else:
            loose.append((day, min(last, end)))
        day = last + timedelta(days=1)
    return months, loose
