"""A case's deadlines (时限): due dates counted in Beijing working days from acceptance, moved by the working
days spent paused, recomputed when the calendar changes; and the due time of each step."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.gov import calendar_days
from orchestrator.gov.vocabulary import CLOSED
from orchestrator.store.models import CasePause, HumanTask, ServiceCase

STEP_DAYS = "stepDays"  # the property of a user task that gives the step its own limit in working days
CHINA = timedelta(hours=8)
CLOSE_OF_DAY = time(17)  # a working day ends at 17:00 in Beijing


def china_date(at: datetime) -> date:
    """The calendar date in China of a naive-UTC instant (deadlines count Beijing working days)."""
    return (at + CHINA).date()


def close_of(day: date) -> datetime:
    """17:00 Beijing time of `day`, as naive UTC (the store's convention)."""
    return datetime.combine(day, CLOSE_OF_DAY) - CHINA


def recompute_due(session: Session, case: ServiceCase) -> None:
    """Due dates = acceptance + limit, plus every working day spent paused after acceptance."""
    if case.accepted_at is None:
        return
    calendar = calendar_days.load(session)
    accepted = china_date(case.accepted_at)
    paused = 0
    for pause in session.scalars(select(CasePause).where(CasePause.case_id == case.id)):
        if pause.ended_at is None or pause.ended_at <= case.accepted_at:
            continue
        start = max(pause.started_at, case.accepted_at)
        paused += calendar.working_days_between(china_date(start), china_date(pause.ended_at))
    promised = calendar.due_date(accepted, case.promised_limit + paused)
    statutory = calendar.due_date(accepted, case.statutory_limit + paused)
    case.promised_due, case.statutory_due = promised.date, statutory.date
    case.provisional = promised.provisional or statutory.provisional


def recompute_open(session: Session, actor: str | None = None) -> list[dict]:
    """After a calendar edit: recompute every open accepted case's due dates (and its open steps' due
    times); return each change, so the edit says what it moved."""
    moved = []
    cases = session.scalars(
        select(ServiceCase).where(
            ServiceCase.status_code.not_in(CLOSED), ServiceCase.accepted_at.is_not(None)
        )
    ).all()
    for case in cases:
        old_promised, old_statutory = case.promised_due, case.statutory_due
        recompute_due(session, case)
        promised, statutory = case.promised_due, case.statutory_due
        if (promised, statutory) == (old_promised, old_statutory) or promised is None or statutory is None:
            continue
        if old_promised is not None:  # steps due with the case move with it
            session.execute(
                update(HumanTask)
                .where(
                    HumanTask.instance_id == case.instance_id,
                    HumanTask.state.in_(("open", "claimed")),
                    HumanTask.due_at == close_of(old_promised),
                )
                .values(due_at=close_of(promised))
            )
        change = {
            "case_number": case.case_number,
            "promised_due": [old_promised and old_promised.isoformat(), promised.isoformat()],
            "statutory_due": [old_statutory and old_statutory.isoformat(), statutory.isoformat()],
        }
        audit.record(session, "case_due_moved", actor, instance_id=case.instance_id, after=change)
        moved.append(change)
    return moved


def step_due(
    session: Session, instance_id: int, group: str | None, entry: dict, step_days: object = None
) -> datetime | None:
    """When a new step of a case is due (17:00 Beijing): the step's own limit from today when its diagram
    gives one (`stepDays`), else its department's limit for a 联办 item (`limits.department_days`), else the
    case's promised due date once accepted."""
    days = _days(step_days)
    if days is None:
        days = (entry.get("limits") or {}).get("department_days", {}).get(group)
    if days is not None:
        due = calendar_days.load(session).due_date(china_date(now()), days).date
    else:
        due = session.scalar(select(ServiceCase.promised_due).where(ServiceCase.instance_id == instance_id))
    return close_of(due) if due else None


def _days(value: object) -> int | None:
    """A step limit as the diagram writes it ("3"), if it is a whole number of working days."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and int(text) <= 365 else None
