"""Human tasks: the inbox, claim, unclaim and complete — each checked against who the user is."""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from . import audit, definitions, engine, forms, groups, instances
from .clock import now
from .errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem
from .store.models import HumanTask, ProcessDefinition

STATES = ("open", "claimed", "completed", "cancelled")


def inbox(session: Session, user: str | None = None, *, group: str | None = None, state: str | None = None,
          limit: int = 100, offset: int = 0) -> list[dict]:
    """Tasks a user may see: claimed by them, or open for one of their groups; soonest due first."""
    if state is not None and state not in STATES:
        raise InvalidInput(Problem(f"state must be one of {', '.join(STATES)}", field="state"))
    query = select(HumanTask)
    if user is not None:
        mine = groups.of_user(session, user)
        if group is not None:
            mine &= {group}
        query = query.where(or_(HumanTask.assignee == user, HumanTask.completed_by == user,
                                HumanTask.candidate_group.in_(mine)))
    elif group is not None:
        query = query.where(HumanTask.candidate_group == group)
    query = query.where(HumanTask.state == state) if state else query.where(HumanTask.state.in_(("open", "claimed")))
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id).limit(limit).offset(offset)
    return [instances.task_summary(t) for t in session.scalars(query)]


def _task(session: Session, task_id: int, lock: bool = False) -> HumanTask:
    query = select(HumanTask).where(HumanTask.id == task_id)
    task = session.scalars(query.with_for_update() if lock else query).first()
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def _may_act(session: Session, task: HumanTask, user: str) -> None:
    if task.assignee and task.assignee != user:
        raise Conflict(f"task {task.id} is claimed by {task.assignee}")
    if task.assignee != user and task.candidate_group and task.candidate_group not in groups.of_user(session, user):
        raise NotAllowed(f"task {task.id} belongs to group '{task.candidate_group}', which {user} is not in")


def _open(task: HumanTask) -> None:
    if task.state not in instances.OPEN_STATES:
        raise Conflict(f"task {task.id} is no longer open (it is {task.state})")


def claim(session: Session, task_id: int, user: str) -> dict:
    task = _task(session, task_id, lock=True)
    _open(task)
    if task.assignee == user:
        return instances.task_summary(task)
    _may_act(session, task, user)
    changed = session.execute(update(HumanTask).where(HumanTask.id == task_id, HumanTask.state == "open",
                                                      HumanTask.assignee.is_(None))
                              .values(state="claimed", assignee=user)).rowcount
    if not changed:
        raise Conflict(f"task {task_id} was claimed by someone else")
    session.refresh(task)
    audit.record(session, "claim", user, instance_id=task.instance_id, task_id=task.id)
    return instances.task_summary(task)


def unclaim(session: Session, task_id: int, user: str) -> dict:
    task = _task(session, task_id, lock=True)
    _open(task)
    if task.assignee != user:
        raise NotAllowed(f"task {task_id} is not claimed by {user}")
    task.state, task.assignee = "open", None
    audit.record(session, "unclaim", user, instance_id=task.instance_id, task_id=task.id)
    return instances.task_summary(task)


def complete(session: Session, task_id: int, user: str, data: dict | None = None,
             opinion: str | None = None) -> dict:
    """Validate the form data, complete the task and run the engine to its next wait state."""
    data = {} if data is None else data
    task = _task(session, task_id, lock=True)
    _open(task)
    _may_act(session, task, user)
    row = instances.lock(session, task.instance_id)
    d = session.get(ProcessDefinition, row.definition_id)
    forms.validate(definitions.form(d, task.form_key), data)
    specs = definitions.specs(d)

    def completed_only():
        again = engine.load(row.state, specs)
        spiff = engine.find_task(again, task.spiff_task_id)
        spiff.data.update(data)
        spiff.run()
        return again

    wf = engine.load(row.state, specs)
    spiff_task = engine.find_task(wf, task.spiff_task_id)
    if spiff_task is None or not engine.is_ready_human(spiff_task):
        raise Conflict(f"task {task_id} is no longer open in its process")
    before = {k: spiff_task.data.get(k) for k in data}
    spiff_task.data.update(data)
    spiff_task.run()
    wf, stopped_at = instances.advance(wf, redo=completed_only)
    task.state, task.assignee, task.completed_by, task.completed_at = "completed", user, user, now()
    audit.record(session, "complete", user, instance_id=row.id, task_id=task.id, opinion=opinion,
                 before=before or None, after=data or None)
    new = instances.persist(session, row, d, specs, wf, stopped_at)
    return {"task": task.id, "instance": row.id, "status": row.status,
            "tasks": [instances.task_summary(t) for t in new]}
