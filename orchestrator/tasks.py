"""Human tasks: the inbox, claim, unclaim and complete — each checked against who the user is."""

from __future__ import annotations

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from . import audit, definitions, engine, forms, groups, instances
from .clock import now
from .errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem
from .store.models import GroupMember, HumanTask, ProcessDefinition, ProcessInstance

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


def _lock_for_action(session: Session, task_id: int, user: str) -> tuple[HumanTask, ProcessInstance, str, bool]:
    """One round trip: lock the task and its instance, get the version's checksum, and learn whether the
    user is in the task's group."""
    member = exists().where(GroupMember.username == user, GroupMember.group_code == HumanTask.candidate_group)
    found = session.execute(
        select(HumanTask, ProcessInstance, ProcessDefinition.checksum, member.label("member"))
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(HumanTask.id == task_id)
        .with_for_update(of=[HumanTask, ProcessInstance])
    ).first()
    if found is None:
        raise NotFound(f"no task {task_id}")
    return found[0], found[1], found[2], bool(found[3])


def _may_act(task: HumanTask, user: str, member: bool) -> None:
    if task.assignee and task.assignee != user:
        raise Conflict(f"task {task.id} is claimed by {task.assignee}")
    if task.assignee != user and task.candidate_group and not member:
        raise NotAllowed(f"task {task.id} belongs to group '{task.candidate_group}', which {user} is not in")


def _open(task: HumanTask) -> None:
    if task.state not in instances.OPEN_STATES:
        raise Conflict(f"task {task.id} is no longer open (it is {task.state})")


def claim(session: Session, task_id: int, user: str) -> dict:
    task, _, _, member = _lock_for_action(session, task_id, user)
    _open(task)
    if task.assignee == user:
        return instances.task_summary(task)
    _may_act(task, user, member)
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
    task, row, checksum, member = _lock_for_action(session, task_id, user)
    _open(task)
    _may_act(task, user, member)
    rt = definitions.runtime(session, row.definition_id, checksum)
    forms.validate(rt.form(task.form_key), data)

    def completed_only():
        again = engine.load(row.state, rt.specs)
        spiff = engine.find_task(again, task.spiff_task_id)
        spiff.data.update(data)
        spiff.run()
        return again

    wf = engine.load(row.state, rt.specs)
    spiff_task = engine.find_task(wf, task.spiff_task_id)
    if spiff_task is None or not engine.is_ready_human(spiff_task):
        raise Conflict(f"task {task_id} is no longer open in its process")
    ready_before = engine.ready_ids(wf) - {task.spiff_task_id}
    before = {k: spiff_task.data.get(k) for k in data}
    spiff_task.data.update(data)
    spiff_task.run()
    wf, stopped_at = instances.advance(wf, redo=completed_only)
    task.state, task.assignee, task.completed_by, task.completed_at = "completed", user, user, now()
    audit.record(session, "complete", user, instance_id=row.id, task_id=task.id, opinion=opinion,
                 before=before or None, after=data or None)
    new = instances.persist(session, row, rt, wf, stopped_at, ready_before)
    return {"task": task.id, "instance": row.id, "status": row.status,
            "tasks": [instances.task_summary(t) for t in new]}
