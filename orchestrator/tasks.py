"""Human tasks: the inbox, claim, unclaim and complete — each checked against who the user is."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, or_, select, update
from sqlalchemy.orm import Session

from . import audit, definitions, engine, forms, groups, instances
from .clock import now
from .errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem
from .store.models import GroupMember, HumanTask, ProcessDefinition

STATES = ("open", "claimed", "completed", "cancelled")
TASKS = instances.TASKS
INSTANCES = instances.INSTANCES

# Built once: on the hot path, building and keying a statement costs more than the database does.
LOCK_TASK = (
    select(
        TASKS,
        INSTANCES.c.state.label("instance_state"),
        INSTANCES.c.version,
        INSTANCES.c.status.label("instance_status"),
        INSTANCES.c.definition_id,
        ProcessDefinition.checksum,
        exists()
        .where(GroupMember.username == bindparam("user"), GroupMember.group_code == TASKS.c.candidate_group)
        .label("member"),
    )
    .join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
    .join(ProcessDefinition, ProcessDefinition.id == INSTANCES.c.definition_id)
    .where(TASKS.c.id == bindparam("task_id"))
    .with_for_update(of=[TASKS, INSTANCES])
)
SET_TASK = update(TASKS).where(TASKS.c.id == bindparam("task_id"))


def inbox(
    session: Session,
    user: str | None = None,
    *,
    group: str | None = None,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Tasks a user may see: claimed by or done by them, or open for one of their groups; soonest due first."""
    if state is not None and state not in STATES:
        raise InvalidInput(Problem(f"state must be one of {', '.join(STATES)}", field="state"))
    query = select(HumanTask)
    if user is not None:
        mine = groups.of_user(session, user)
        if group is not None:
            mine &= {group}
        query = query.where(
            or_(
                HumanTask.assignee == user,
                HumanTask.completed_by == user,
                HumanTask.candidate_group.in_(mine),
            )
        )
    elif group is not None:
        query = query.where(HumanTask.candidate_group == group)
    query = (
        query.where(HumanTask.state == state)
        if state
        else query.where(HumanTask.state.in_(("open", "claimed")))
    )
    query = (
        query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id).limit(limit).offset(offset)
    )
    return [instances.task_summary(t) for t in session.scalars(query)]


def _lock_for_action(session: Session, task_id: int, user: str):
    """One round trip: lock the task and its instance, get the version's checksum, and learn whether the
    user is in the task's group."""
    found = session.connection().execute(LOCK_TASK, {"task_id": task_id, "user": user}).first()
    if found is None:
        raise NotFound(f"no task {task_id}")
    return found


def _check(task, user: str) -> None:
    """The task must be open, and the user its assignee or a member of its group."""
    if task.state not in instances.OPEN_STATES:
        raise Conflict(f"task {task.id} is no longer open (it is {task.state})")
    if task.assignee and task.assignee != user:
        raise Conflict(f"task {task.id} is claimed by {task.assignee}")
    if task.assignee != user and task.candidate_group and not task.member:
        raise NotAllowed(f"task {task.id} belongs to group '{task.candidate_group}', which {user} is not in")


def claim(session: Session, task_id: int, user: str) -> dict:
    task = _lock_for_action(session, task_id, user)
    _check(task, user)
    if task.assignee != user:
        session.connection().execute(SET_TASK, {"task_id": task_id, "state": "claimed", "assignee": user})
        audit.record(session, "claim", user, instance_id=task.instance_id, task_id=task_id)
    return instances.task_summary({**task._mapping, "state": "claimed", "assignee": user})


def unclaim(session: Session, task_id: int, user: str) -> dict:
    task = _lock_for_action(session, task_id, user)
    if task.state not in instances.OPEN_STATES:
        raise Conflict(f"task {task_id} is no longer open (it is {task.state})")
    if task.assignee != user:
        raise NotAllowed(f"task {task_id} is not claimed by {user}")
    session.connection().execute(SET_TASK, {"task_id": task_id, "state": "open", "assignee": None})
    audit.record(session, "unclaim", user, instance_id=task.instance_id, task_id=task_id)
    return instances.task_summary({**task._mapping, "state": "open", "assignee": None})


def complete(
    session: Session, task_id: int, user: str, data: dict | None = None, opinion: str | None = None
) -> dict:
    """Validate the form data, complete the task and run the engine to its next wait state."""
    data = {} if data is None else data
    task = _lock_for_action(session, task_id, user)
    _check(task, user)
    inst = instances.Locked(
        task.instance_id,
        task.instance_state,
        task.version,
        task.instance_status,
        definitions.runtime(session, task.definition_id, task.checksum),
    )
    forms.validate(inst.rt.validator(task.form_key), data)

    def completed_only():
        again = engine.load(inst.state, inst.rt.specs)
        spiff = engine.find_task(again, task.spiff_task_id)
        spiff.data.update(data)
        spiff.run()
        return again

    wf = engine.load(inst.state, inst.rt.specs)
    spiff_task = engine.find_task(wf, task.spiff_task_id)
    if spiff_task is None or not engine.is_ready_human(spiff_task):
        raise Conflict(f"task {task_id} is no longer open in its process")
    start = engine.snapshot(wf, completing=task.spiff_task_id, marks=bool(inst.rt.catalog))
    before = {k: spiff_task.data.get(k) for k in data}
    spiff_task.data.update(data)
    spiff_task.run()
    wf, stopped_at = instances.advance(wf, redo=completed_only)
    session.connection().execute(
        SET_TASK,
        {
            "task_id": task_id,
            "state": "completed",
            "assignee": user,
            "completed_by": user,
            "completed_at": now(),
            "opinion": opinion or _text(data.get("opinion")),
            "action": _action(data),
        },
    )
    audit.record(
        session,
        "complete",
        user,
        instance_id=inst.id,
        task_id=task_id,
        opinion=opinion,
        before=before or None,
        after=data or None,
    )
    new = instances.persist(session, inst, wf, stopped_at, start, user)
    return {
        "task": task_id,
        "instance": inst.id,
        "status": "completed" if wf.completed else inst.status,
        "tasks": new,
    }


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _action(data: dict) -> str | None:
    """The step's action as the case timeline shows it (通过 / 不通过 / 退回 …)."""
    if _text(data.get("action")):
        return data["action"][:16]
    approved = data.get("approved", data.get("accepted"))
    return {True: "通过", False: "不通过"}.get(approved) if isinstance(approved, bool) else None
