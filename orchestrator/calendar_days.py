"""The calendar table: load it as a `deadlines.Calendar`, and let an admin set a day (audited)."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, deadlines
from .clock import now
from .errors import InvalidInput, Problem
from .store.models import CalendarDay

_LOADED: dict[str, tuple[tuple, float, deadlines.Calendar]] = {}
FRESH_SECONDS = 1.0  # an edit made by another process is seen within a second; this process's at once


def load(session: Session) -> deadlines.Calendar:
    """The table as a Calendar, reloaded only when it changed; it also becomes the process's active one.

    Checking for a change scans the table (~2 ms on PostgreSQL), more than an inbox page costs, so a
    check is reused for a second."""
    url = str(session.get_bind().url)
    cached = _LOADED.get(url)
    if cached is not None and time.monotonic() - cached[1] < FRESH_SECONDS:
        deadlines.use(cached[2])
        return cached[2]
    stamp = tuple(session.execute(select(func.count(), func.max(CalendarDay.changed_at))).one())
    if cached is None or cached[0] != stamp:
        days = dict(session.execute(select(CalendarDay.day, CalendarDay.working)).all())
        cached = (stamp, 0.0, deadlines.Calendar(days))
    _LOADED[url] = (cached[0], time.monotonic(), cached[2])
    deadlines.use(cached[2])
    return cached[2]


def forget() -> None:
    """Drop the cached calendars (after the table was changed behind this process's back, as tests do)."""
    _LOADED.clear()


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput(Problem(f"'{text}' is not a date (YYYY-MM-DD)", field="date")) from None


def due(session: Session, accepted_at: str, limit: int) -> dict:
    """`onewindow calendar due DATE N`: the date N working days after DATE."""
    if not isinstance(limit, int) or not 0 <= limit <= deadlines.MAX_WORKING_DAYS:
        raise InvalidInput(Problem(f"a limit is 0 to {deadlines.MAX_WORKING_DAYS} working days", field="n"))
    result = load(session).due_date(parse_day(accepted_at), limit)
    return {"due": result.date.isoformat(), "provisional": result.provisional}


def set_day(
    session: Session, day: str, kind: str, *, note: str | None = None, actor: str | None = None
) -> dict:
    """Mark a day as a working day or a rest day (e.g. entering a newly published year's schedule)."""
    if kind not in ("work", "rest"):
        raise InvalidInput(Problem("a day is 'work' or 'rest'", field="kind"))
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
    from .cases import recompute_open  # cases depend on the calendar, not the other way round

    moved = recompute_open(session, actor)
    return {"day": when.isoformat(), "working": working, "before": before, "recomputed": moved}
