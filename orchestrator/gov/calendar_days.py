"""The calendar table: load it as a `workdays.Calendar`, and let an admin set a day (audited)."""

from __future__ import annotations

import time
from datetime import date
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.core import audit, events, workdays
from orchestrator.core.clock import now
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import _
from orchestrator.store.models import CalendarDay

CHANGED = "calendar_changed"
"""Event: a day's status changed (details: `actor`); handlers return the changes they made, as a list."""
_LOADED: dict[str, tuple[tuple, float, workdays.Calendar]] = {}
FRESH_SECONDS = 1.0  # an edit made by another process is seen within a second; this process's at once


def load(session: Session) -> workdays.Calendar:
    """The table as a Calendar, reloaded only when it changed; it also becomes the process's active one.

    Checking for a change scans the table (~2 ms on PostgreSQL), more than an inbox page costs, so a
    check is reused for a second."""
    url = str(session.get_bind().engine.url)
    cached = _LOADED.get(url)
    if cached is not None and time.monotonic() - cached[1] < FRESH_SECONDS:
        workdays.use(cached[2])
        return cached[2]
    stamp = tuple(session.execute(select(func.count(), func.max(CalendarDay.changed_at))).one())
    if cached is None or cached[0] != stamp:
        days = dict(session.execute(select(CalendarDay.day, CalendarDay.working)).all())
        cached = (stamp, 0.0, workdays.Calendar(days))
    _LOADED[url] = (cached[0], time.monotonic(), cached[2])
    workdays.use(cached[2])
    return cached[2]


def forget() -> None:
    """Drop the cached calendars (after the table was changed behind this process's back, as tests do)."""
    _LOADED.clear()


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput(
            Problem(_("'{text}' is not a date (YYYY-MM-DD)", text=text), field="date")
        ) from None


class Due(TypedDict):
    due: str
    provisional: bool  # reached a year with no published schedule: weekends only


class DaySet(TypedDict):
    day: str
    working: bool
    before: dict | None
    recomputed: list[dict]  # the due dates this moved, case by case


def due(session: Session, accepted_at: str, limit: int) -> Due:
    """`onewindow calendar due DATE N`: the date N working days after DATE."""
    if not isinstance(limit, int) or not 0 <= limit <= workdays.MAX_WORKING_DAYS:
        raise InvalidInput(
            Problem(_("a limit is 0 to {limit} working days", limit=workdays.MAX_WORKING_DAYS), field="n")
        )
    result = load(session).due_date(parse_day(accepted_at), limit)
    return {"due": result.date.isoformat(), "provisional": result.provisional}


def set_day(
    session: Session, day: str, kind: str, *, note: str | None = None, actor: str | None = None
) -> DaySet:
    """Mark a day as a working day or a rest day (e.g. entering a newly published year's schedule)."""
    if kind not in ("work", "rest"):
        raise InvalidInput(Problem(_("a day is 'work' or 'rest'"), field="kind"))
    when = parse_day(day)
    row = session.get(CalendarDay, when)
    before = None if row is None else {"working": row.working, "source": row.source}
    working = kind == "work"
    if row is None:
        session.add(CalendarDay(day=when, working=working, source="admin", note=note, changed_at=now()))
    else:
        row.working, row.source, row.note, row.changed_at = working, "admin", note, now()
    audit.record(
        session, "calendar_set", actor, before=before, after={"day": day, "working": working, "note": note}
    )
    session.flush()
    forget()  # the next load reads the table again (a rolled-back edit is then dropped by its stamp)
    moved = [change for found in events.publish(CHANGED, session, actor=actor) for change in found or []]
    return {"day": when.isoformat(), "working": working, "before": before, "recomputed": moved}
