"""电子监察: a sweep that gives reminders and yellow/red cards to open cases and their steps.

Whole cases are measured against the promised limit from acceptance; steps of a 联办 item against their
department's limit (`limits.department_days`) from when the step opened. Paused time never counts.
Each warning is recorded once per case, step and level, so sweeping again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchestrator import jobs
from orchestrator.core.clock import now
from orchestrator.core.workdays import Calendar
from orchestrator.gov import calendar_days
from orchestrator.gov.catalog import SUPERVISION_DEFAULTS
from orchestrator.gov.deadlines import china_date
from orchestrator.gov.vocabulary import CLOSED, STATUS, WARNING_LEVELS
from orchestrator.store.models import (
    CasePause,
    HumanTask,
    Job,
    ProcessDefinition,
    ProcessInstance,
    ServiceCase,
    SupervisionWarning,
)

SWEEP_EVERY = timedelta(hours=1)


def level(calendar: Calendar, start: date, limit: int, paused: int, today: date, rules: dict) -> str | None:
    """The warning a clock deserves today: red past due, yellow at ≥ yellow_ratio used (or nothing left),
    reminder when `reminder_days_left` working days remain."""
    due = calendar.add_working_days(start, limit + paused)
    if today > due:
        return "red"
    used = calendar.working_days_between(start, today) - paused
    left = limit - used
    if left <= 0 or (limit and used / limit >= rules["yellow_ratio"]):
        return "yellow"
    if left <= rules["reminder_days_left"]:
        return "reminder"
    return None


class WarningSummary(TypedDict):
    case_number: str | None
    rule: str  # case or step
    level: str  # reminder, yellow or red
    level_name: str
    step: int | None
    department: str | None
    at: str


class StatusCount(TypedDict):
    status_code: int
    status: str
    count: int


def sweep(session: Session, at: datetime | None = None) -> list[WarningSummary]:
    """Record the warnings due now; return those recorded by this sweep."""
    at = at or now()
    today = china_date(at)
    calendar = calendar_days.load(session)
    open_cases = session.execute(
        select(ServiceCase, ProcessDefinition.catalog)
        .join(ProcessInstance, ProcessInstance.id == ServiceCase.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ServiceCase.status_code.not_in(CLOSED), ServiceCase.accepted_at.is_not(None))
    ).all()
    recorded = []
    for case, entry in open_cases:
        pauses = session.scalars(select(CasePause).where(CasePause.case_id == case.id)).all()
        if any(p.ended_at is None for p in pauses):
            continue  # the clock stands still
        rules = {**SUPERVISION_DEFAULTS, **((entry or {}).get("supervision") or {})}
        accepted = china_date(case.accepted_at)
        found = level(
            calendar, accepted, case.promised_limit, _paused(calendar, pauses, case.accepted_at), today, rules
        )
        if found:
            recorded += _record(session, case, 0, "case", found, (entry or {}).get("lead_department"), at)
        for step, group in _department_steps(session, case, entry or {}):
            limit = entry["limits"]["department_days"][group]
            opened = step.created_at
            found = level(
                calendar, china_date(opened), limit, _paused(calendar, pauses, opened), today, rules
            )
            if found:
                recorded += _record(session, case, step.id, "step", found, group, at)
    return recorded


def _paused(calendar: Calendar, pauses: Sequence[CasePause], since: datetime) -> int:
    return sum(
        calendar.working_days_between(china_date(max(p.started_at, since)), china_date(p.ended_at))
        for p in pauses
        if p.ended_at and p.ended_at > since
    )


def _department_steps(session: Session, case: ServiceCase, entry: dict):
    limits = (entry.get("limits") or {}).get("department_days") or {}
    if not limits:
        return []
    steps = session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == case.instance_id, HumanTask.state.in_(("open", "claimed"))
        )
    ).all()
    return [(s, s.candidate_group) for s in steps if s.candidate_group in limits]


def _record(session, case, task_id, rule, found, department, at) -> list[WarningSummary]:
    exists = session.scalar(
        select(SupervisionWarning.id).where(
            SupervisionWarning.case_id == case.id,
            SupervisionWarning.task_id == task_id,
            SupervisionWarning.level == found,
        )
    )
    if exists:
        return []
    warning = SupervisionWarning(
        case_id=case.id,
        task_id=task_id,
        rule=rule,
        level=found,
        department=department,
        at=at,
        detail=f"{case.case_number} {WARNING_LEVELS[found]}",
    )
    session.add(warning)
    return [_summary(warning, case.case_number)]


def _summary(w: SupervisionWarning, number: str | None) -> WarningSummary:
    return {
        "case_number": number,
        "rule": w.rule,
        "level": w.level,
        "level_name": WARNING_LEVELS[w.level],
        "step": w.task_id or None,
        "department": w.department,
        "at": w.at.isoformat(),
    }


def warnings(session: Session, number: str | None = None) -> list[WarningSummary]:
    query = select(SupervisionWarning, ServiceCase.case_number).join(
        ServiceCase, ServiceCase.id == SupervisionWarning.case_id
    )
    if number:
        query = query.where(ServiceCase.case_number == number)
    return [_summary(w, n) for w, n in session.execute(query.order_by(SupervisionWarning.id)).all()]


def open_cases(session: Session) -> list[StatusCount]:
    """Cases not closed yet, counted by public status (the supervision dashboard's backlog)."""
    rows = session.execute(
        select(ServiceCase.status_code, func.count())
        .where(ServiceCase.status_code.not_in(CLOSED))
        .group_by(ServiceCase.status_code)
        .order_by(ServiceCase.status_code)
    ).all()
    return [{"status_code": code, "status": STATUS.get(code, str(code)), "count": n} for code, n in rows]


def run_sweep_job(session: Session, job: Job) -> None:
    """Job kind "sweep": sweep, then schedule the next sweep."""
    sweep(session)
    jobs.schedule(session, "sweep", now() + SWEEP_EVERY)


def ensure_sweep_job(session: Session) -> None:
    """Keep one pending sweep job (the worker's supervision heartbeat)."""
    if session.scalar(select(Job.id).where(Job.kind == "sweep", Job.status.in_(("pending", "running")))):
        return
    try:
        with session.begin_nested():  # a worker and a dispatcher starting together: one insert wins
            jobs.schedule(session, "sweep", now())
    except IntegrityError:
        session.info.pop("new_jobs", None)
