"""The clerk's inbox (domain.md §7): 待办 my tasks, 待签收 my groups' unclaimed tasks, 已办 done by me,
我发起的 started by me, each row with its case and the working days left in the colour a clerk sees."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from sqlalchemy import Select, or_, select, union_all
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from orchestrator.core.clock import now
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.core.workdays import Calendar
from orchestrator.gov import calendar_days
from orchestrator.gov.deadlines import china_date
from orchestrator.identity import groups, users
from orchestrator.runtime import instances, tasks
from orchestrator.runtime.instances import TaskSummary
from orchestrator.runtime.tasks import STATES, TaskDetail
from orchestrator.store.models import HumanTask, ProcessInstance, ServiceCase


class TimeLeft(TypedDict):
    days_left: int | None  # working days; negative when overdue
    warning: str | None  # reminder, yellow or red


class InboxRow(TaskSummary, TimeLeft):
    case_number: str | None
    item: str
    process: str
    applicant: str | None
    priority: int
    created_at: str
    completed_at: str | None
    completed_by: str | None
    opinion: str | None
    action: str | None
    urged_at: str | None
    org_path: str


class TaskPage(TaskDetail, TimeLeft):
    case_number: str | None


VIEWS = ("todo", "group", "done", "started")  # 待办 / 待签收 / 已办 / 我发起的
VIEW_ALIASES = {"mine": "todo"}  # the API's names (contract.md)
SORTS = {"due": "due_at", "created": "created_at", "priority": "priority"}
MAX_PAGE = 200
ROW = (
    HumanTask,
    ServiceCase.case_number,
    ServiceCase.item_name,
    ServiceCase.applicant,
    ProcessInstance.process_key,
)


def inbox(
    session: Session,
    user: str | None = None,
    *,
    view: str | None = None,
    group: str | None = None,
    state: str | None = None,
    item: str | None = None,
    sort: str = "due",
    limit: int = 50,
    offset: int = 0,
) -> list[InboxRow]:
    """One page of an inbox view, soonest due first by default.

    todo 待办: claimed by the user; group 待签收: open tasks of the user's groups within their org units;
    done 已办: completed by the user, newest first; started 我发起的: open steps of instances the user started.
    Without a view: everything the user may see that is still open (the CLI's `tasks`).
    """
    view = VIEW_ALIASES.get(view, view) if view is not None else None
    problems = []
    if view is not None and view not in VIEWS:
        problems.append(
            Problem(_("view must be one of {views} (or mine)", views=Listing(VIEWS)), field="view")
        )
    if state is not None and state not in STATES:
        problems.append(Problem(_("state must be one of {states}", states=Listing(STATES)), field="state"))
    if sort not in SORTS:
        problems.append(Problem(_("sort must be one of {sorts}", sorts=Listing(SORTS)), field="sort"))
    if not (isinstance(limit, int) and 1 <= limit <= MAX_PAGE and isinstance(offset, int) and offset >= 0):
        problems.append(Problem(_("limit is 1 to {limit}, offset 0 or more", limit=MAX_PAGE), field="limit"))
    if problems:
        raise InvalidInput(problems)
    if user is not None:
        users.require(session, user)
    if group is not None:
        groups.require(session, group)
    if view == "group" and user is not None:
        ids = _group_page(session, user, group, item, sort, limit, offset)
        return _rows(session, select(*ROW).where(HumanTask.id.in_(ids)) if ids else None, sort, ids)
    query = select(*ROW)
    if view == "todo":
        query = query.where(HumanTask.assignee == user, HumanTask.state == "claimed")
    elif view == "done":
        query = query.where(HumanTask.completed_by == user, HumanTask.state == "completed")
    elif view == "started":
        query = query.where(ProcessInstance.started_by == user, HumanTask.state.in_(instances.OPEN_STATES))
    else:
        if user is not None:
            query = query.where(
                or_(
                    HumanTask.assignee == user,
                    HumanTask.completed_by == user,
                    tasks.scope(session, user, group),
                )
            )
        elif group is not None:
            query = query.where(HumanTask.candidate_group == group)
        query = query.where(HumanTask.state == state if state else HumanTask.state.in_(instances.OPEN_STATES))
    if group is not None and view in ("todo", "done", "started"):
        query = query.where(HumanTask.candidate_group == group)
    if item:
        query = query.where(ProcessInstance.process_key == item)
    column = getattr(HumanTask, SORTS[sort])
    if view == "done":
        query = query.order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
    else:
        query = query.order_by(column.is_(None), column, HumanTask.id)
    return _rows(session, query.limit(limit).offset(offset), sort)


def _group_page(session, user, group, item, sort, limit, offset) -> list[int]:
    """Ids of one 待签收 page: one index range scan per membership, merged (no sort of all open tasks).

    `NULLS LAST` (not `col IS NULL, col`) so that PostgreSQL reads the partial index ix_task_open_group_due
    (candidate_group, due_at, id) WHERE state = 'open' in order and stops after a page."""
    column = getattr(HumanTask, SORTS[sort])
    parts = []
    for code, path in groups.memberships(session, user):
        if group is not None and code != group:
            continue
        part = select(HumanTask.id, column.label("k")).where(
            HumanTask.candidate_group == code,
            HumanTask.state == "open",
            HumanTask.org_path.startswith(path, autoescape=True),
        )
        if item:
            part = part.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
                ProcessInstance.process_key == item
            )
        parts.append(
            part.order_by(column.asc().nulls_last(), HumanTask.id).limit(limit + offset).subquery().select()
        )
    if not parts:
        return []
    merged = union_all(*parts).subquery()
    query = (
        select(merged.c.id).order_by(merged.c.k.asc().nulls_last(), merged.c.id).limit(limit).offset(offset)
    )
    return list(session.scalars(query))


def _rows(
    session: Session, query: Select | None, sort: str, order: list[int] | None = None
) -> list[InboxRow]:
    if query is None:
        return []
    query = query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).outerjoin(
        ServiceCase, ServiceCase.instance_id == HumanTask.instance_id
    )
    found = list(session.execute(query).all())
    if order is not None:
        position = {task_id: i for i, task_id in enumerate(order)}
        found.sort(key=lambda r: position[r[0].id])
    if not found:
        return []
    calendar = calendar_days.load(session)
    today = china_date(now())
    return [_row(r, calendar, today) for r in found]


def _row(r: Row, calendar: Calendar, today: date) -> InboxRow:
    task, number, item_name, applicant, process_key = r
    return {
        **instances.task_summary(task),
        "case_number": number,
        "item": item_name or process_key,
        "process": process_key,
        "applicant": (applicant or {}).get("name"),
        "priority": task.priority,
        "created_at": task.created_at.isoformat(),
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "completed_by": task.completed_by,
        "opinion": task.opinion,
        "action": task.action,
        "urged_at": task.urged_at.isoformat() if task.urged_at else None,
        "org_path": task.org_path,
        **time_left(calendar, task.created_at, task.due_at, today),
    }


def time_left(calendar: Calendar, created: datetime, due: datetime | None, today: date) -> TimeLeft:
    """Working days left to a step's due date, and the colour a clerk sees: red past due, yellow on the
    last day or at ≥ 90 % of the time used, reminder with one working day left."""
    if due is None:
        return {"days_left": None, "warning": None}
    due_day = china_date(due)
    if today > due_day:
        return {"days_left": -calendar.working_days_between(due_day, today), "warning": "red"}
    left = calendar.working_days_between(today, due_day)
    span = calendar.working_days_between(china_date(created), due_day)
    used = span - left
    if left == 0 or (span and used / span >= 0.9):
        warning = "yellow"
    elif left <= 1:
        warning = "reminder"
    else:
        warning = None
    return {"days_left": left, "warning": warning}


def task_page(session: Session, task_id: int, user: str, *, see_all: bool = False) -> TaskPage:
    """A task as its page shows it: the task with its form and actions, its case number and the working
    days left."""
    detail = tasks.get(session, task_id, user, see_all=see_all)
    task = session.get_one(HumanTask, task_id)
    number = session.scalar(
        select(ServiceCase.case_number).where(ServiceCase.instance_id == task.instance_id)
    )
    left = time_left(calendar_days.load(session), task.created_at, task.due_at, china_date(now()))
    return {**detail, "case_number": number, **left}
