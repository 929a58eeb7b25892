"""Human tasks: who may see them and act on them, and the generic actions on them (签收 claim, 办理
complete, 转办 transfer, 评论 comment), each checked against who the user is, in which group and where in
the org tree. The government domain builds its clerk actions (驳回, 退回, 补正, 催办) on `finish` and
`open_task`, and adds what a task's page shows through the instance hooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy import and_, bindparam, exists, false, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from orchestrator.bpmn import engine
from orchestrator.core import audit, limits
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import definitions, forms
from orchestrator.identity import groups, orgs
from orchestrator.runtime import hooks, instances
from orchestrator.runtime.instances import TaskSummary
from orchestrator.store.models import GroupMember, HumanTask, ProcessDefinition, ProcessInstance

STATES = ("open", "claimed", "completed", "cancelled")
TASKS = instances.TASKS
INSTANCES = instances.INSTANCES
MAX_TEXT = 2000


class TaskDetail(TaskSummary):
    process: str
    version: int
    form_schema: dict | None
    ui_schema: dict | None
    opinion: str | None
    action: str | None
    completed_by: str | None
    org_path: str
    actions: list[str]
    catalog: dict | None


class StepDone(TypedDict):
    """A step that completed a task, and the tasks it opened."""

    task: int
    instance: int
    status: str
    tasks: list[TaskSummary]


class Commented(TypedDict):
    task: int
    comment: str


Prepare = Callable[[Row, instances.Locked, Task, dict], dict]
"""Turns the data a clerk sent into the data a step completes with (e.g. the data of its reject path)."""


def member_of(task_table, user):
    """SQL: `user` is in the task's group, within an org subtree that holds the task."""
    return (
        exists()
        .where(
            GroupMember.username == user,
            GroupMember.group_code == task_table.c.candidate_group,
            task_table.c.org_path.startswith(GroupMember.org_path),
        )
        .label("member")
    )


# Built once: on the hot path, building and keying a statement costs more than the database does.
LOCK_TASK = (
    select(
        TASKS,
        INSTANCES.c.state.label("instance_state"),
        INSTANCES.c.version,
        INSTANCES.c.status.label("instance_status"),
        INSTANCES.c.definition_id,
        INSTANCES.c.org_path.label("instance_org_path"),
        ProcessDefinition.checksum,
        member_of(TASKS, bindparam("user")),
    )
    .join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
    .join(ProcessDefinition, ProcessDefinition.id == INSTANCES.c.definition_id)
    .where(TASKS.c.id == bindparam("task_id"))
    .with_for_update(of=[TASKS, INSTANCES])
)
SET_TASK = update(TASKS).where(TASKS.c.id == bindparam("task_id"))


def scope(session: Session, user: str, group: str | None):
    """SQL: the task is offered to one of the user's groups, within that membership's org subtree."""
    parts = [
        and_(HumanTask.candidate_group == code, HumanTask.org_path.startswith(path, autoescape=True))
        for code, path in groups.memberships(session, user)
        if group is None or code == group
    ]
    return or_(*parts) if parts else false()


def can_view_instance(session: Session, instance_id: int, user: str, *, see_all: bool = False) -> bool:
    """Who may open a case: its starter, anyone who held or may take one of its steps, and (`see_all`)
    supervisors and admins."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(_("no instance {id}", id=instance_id))
    if see_all or (user and row.started_by == user):
        return True
    return bool(
        session.scalar(
            select(HumanTask.id)
            .where(
                HumanTask.instance_id == instance_id,
                or_(HumanTask.assignee == user, HumanTask.completed_by == user, scope(session, user, None)),
            )
            .limit(1)
        )
    )


def get(session: Session, task_id: int, user: str, *, see_all: bool = False) -> TaskDetail:
    """One task with its form, for a user who may see it (403 otherwise: ids are guessable)."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(_("no task {id}", id=task_id))
    if not (
        see_all
        or task.assignee == user
        or task.completed_by == user
        or session.scalar(select(member_of(TASKS, user)).where(TASKS.c.id == task_id))
    ):
        raise NotAllowed(_("task {id} is not yours to see", id=task_id))
    instance = session.get_one(ProcessInstance, task.instance_id)
    d = session.get_one(ProcessDefinition, instance.definition_id)
    rt = definitions.runtime(session, d.id, d.checksum)
    return {
        **instances.task_summary(task),
        "process": d.key,
        "version": d.version,
        "form_schema": rt.form(task.form_key),
        "ui_schema": rt.form(task.ui_form_key),
        "opinion": task.opinion,
        "action": task.action,
        "completed_by": task.completed_by,
        "org_path": task.org_path,
        "actions": actions(session, task, rt) if task.state in instances.OPEN_STATES else [],
        "catalog": rt.catalog,
    }


def actions(session: Session, task: HumanTask, rt: definitions.Runtime) -> list[str]:
    """What the inbox offers on this open task: the generic actions and those the hooks add for it."""
    found = ["unclaim" if task.assignee else "claim", "complete", "transfer", "comment"]
    wf_task = spiff_task(session, task, rt)
    return found + hooks.current().task_actions(wf_task, rt) if wf_task is not None else found


def spiff_task(session: Session, task: HumanTask, rt: definitions.Runtime) -> Task | None:
    state = session.scalars(select(ProcessInstance.state).where(ProcessInstance.id == task.instance_id)).one()
    return engine.find_task(engine.load(state, rt.specs), task.spiff_task_id)


def lock_for_action(session: Session, task_id: int, user: str) -> Row:
    """One round trip: lock the task and its instance, get the version's checksum, and learn whether the
    user is in the task's group."""
    found = session.connection().execute(LOCK_TASK, {"task_id": task_id, "user": user}).first()
    if found is None:
        raise NotFound(_("no task {id}", id=task_id))
    return found


def check(task: Row, user: str) -> None:
    """The user must be the task's assignee or in its group where it belongs; the task must be open."""
    if task.assignee != user and not task.candidate_group:
        raise NotAllowed(
            _("task {id} is in no lane: only the person who started its case may do it", id=task.id)
        )
    if task.assignee != user and not task.member:
        raise NotAllowed(
            _(
                "task {id} is not offered to {user} (group '{group}')",
                id=task.id,
                user=user,
                group=task.candidate_group,
            )
        )
    if task.state not in instances.OPEN_STATES:
        raise Conflict(_("task {id} is no longer open (it is {state})", id=task.id, state=task.state))
    if task.assignee and task.assignee != user:
        raise Conflict(_("task {id} is claimed by {user}", id=task.id, user=task.assignee))


def claim(session: Session, task_id: int, user: str) -> TaskSummary:
    task = lock_for_action(session, task_id, user)
    check(task, user)
    if task.assignee != user:
        session.connection().execute(SET_TASK, {"task_id": task_id, "state": "claimed", "assignee": user})
        audit.record(session, "claim", user, instance_id=task.instance_id, task_id=task_id)
    return instances.task_summary({**task._mapping, "state": "claimed", "assignee": user})


def unclaim(session: Session, task_id: int, user: str) -> TaskSummary:
    task = lock_for_action(session, task_id, user)
    if task.state not in instances.OPEN_STATES:
        raise Conflict(_("task {id} is no longer open (it is {state})", id=task_id, state=task.state))
    if task.assignee != user:
        raise NotAllowed(_("task {id} is not claimed by {user}", id=task_id, user=user))
    if not task.candidate_group:  # released, it would be nobody's
        raise Conflict(_("task {id} is in no lane: it cannot go back to a group", id=task_id))
    session.connection().execute(SET_TASK, {"task_id": task_id, "state": "open", "assignee": None})
    audit.record(session, "unclaim", user, instance_id=task.instance_id, task_id=task_id)
    return instances.task_summary({**task._mapping, "state": "open", "assignee": None})


def complete(
    session: Session,
    task_id: int,
    user: str,
    data: dict | None = None,
    opinion: str | None = None,
    *,
    action: str | None = None,
) -> StepDone:
    """Validate the form data, complete the task and run the engine to its next wait state."""
    return finish(session, task_id, user, {} if data is None else data, opinion, action=action)


def required_text(reason: str | None) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(Problem(_("a reason is required"), field="opinion"))
    if len(reason) > MAX_TEXT:
        raise InvalidInput(
            Problem(_("a reason has at most {limit} characters", limit=MAX_TEXT), field="opinion")
        )
    return reason.strip()


def open_task(session: Session, task_id: int, user: str) -> tuple[Row, instances.Locked, BpmnWorkflow, Task]:
    """Lock an open task the user may act on; load its instance and find it ready in the engine."""
    task = lock_for_action(session, task_id, user)
    check(task, user)
    inst = locked(session, task)
    wf = engine.load(inst.state, inst.rt.specs)
    spiff_task = engine.find_task(wf, task.spiff_task_id)
    if spiff_task is None or not engine.is_ready_human(spiff_task):
        raise Conflict(_("task {id} is no longer open in its process", id=task_id))
    return task, inst, wf, spiff_task


def finish(
    session: Session,
    task_id: int,
    user: str,
    data: Any,
    opinion: str | None,
    *,
    action: str | None = None,
    audit_action: str = "complete",
    prepare: Prepare | None = None,
) -> StepDone:
    """Complete an open task with `data` (after `prepare`, validated by its form) and run the engine on.
    `action` is what the case timeline shows (通过 / 不通过 / 补正 …; by default read from the data)."""
    task, inst, wf, spiff_task = open_task(session, task_id, user)
    if not isinstance(data, dict):
        raise InvalidInput(Problem(_("form data must be a JSON object"), field=""))
    limits.require(data, "data")
    if prepare is not None:
        data = prepare(task, inst, spiff_task, data)
    forms.validate(inst.rt.validator(task.form_key), data)

    def completed_only():
        again = engine.load(inst.state, inst.rt.specs)
        spiff = engine.find_task(again, task.spiff_task_id)
        spiff.data.update(data)
        spiff.run()
        return again

    start = engine.snapshot(wf, completing=task.spiff_task_id, marks=instances.tracks_milestones(inst.rt))
    before = {k: spiff_task.data.get(k) for k in data}
    spiff_task.data.update(data)
    try:
        engine.run_task(spiff_task)
    except engine.DataRefused as refused:  # nothing is written: the task stays as it was
        raise InvalidInput(
            Problem(
                _(
                    "the process needs '{field}' from this step: {detail}",
                    field=refused.field,
                    detail=refused.detail,
                ),
                field=refused.field,
            )
        ) from None
    wf, stopped_at = instances.advance(wf, redo=completed_only)
    mark_completed(session, task_id, user, opinion or text(data.get("opinion")), action or step_action(data))
    audit.record(
        session,
        audit_action,
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


def transfer(session: Session, task_id: int, user: str, to_user: str, note: str | None = None) -> TaskSummary:
    """转办: hand the task to a colleague in its group and org unit, who then holds it."""
    task = lock_for_action(session, task_id, user)
    check(task, user)
    if not to_user or to_user == user:
        raise InvalidInput(Problem(_("transfer to another user of the task's group"), field="to"))
    if not any(
        code == task.candidate_group and orgs.within(task.org_path, path)
        for code, path in groups.memberships(session, to_user)
    ):
        raise InvalidInput(
            Problem(
                _(
                    "{user} is not in group '{group}' for this task's org unit",
                    user=to_user,
                    group=task.candidate_group,
                ),
                field="to",
            )
        )
    session.connection().execute(SET_TASK, {"task_id": task_id, "state": "claimed", "assignee": to_user})
    audit.record(
        session,
        "transfer",
        user,
        instance_id=task.instance_id,
        task_id=task_id,
        opinion=note,
        after={"to": to_user},
    )
    return instances.task_summary({**task._mapping, "state": "claimed", "assignee": to_user})


def comment(session: Session, task_id: int, user: str, text: str, *, see_all: bool = False) -> Commented:
    """评论: a note on the case's timeline by anyone who may see the task."""
    text = required_text(text)
    found = get(session, task_id, user, see_all=see_all)
    audit.record(session, "comment", user, instance_id=found["instance"], task_id=task_id, opinion=text)
    return {"task": task_id, "comment": text}


def locked(session: Session, task: Row) -> instances.Locked:
    return instances.Locked(
        task.instance_id,
        task.instance_state,
        task.version,
        task.instance_status,
        definitions.runtime(session, task.definition_id, task.checksum),
        task.instance_org_path,
    )


def mark_completed(
    session: Session, task_id: int, user: str, opinion: str | None, action: str | None
) -> None:
    session.connection().execute(
        SET_TASK,
        {
            "task_id": task_id,
            "state": "completed",
            "assignee": user,
            "completed_by": user,
            "completed_at": now(),
            "opinion": opinion,
            "action": action,
        },
    )


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def step_action(data: dict) -> str | None:
    """The step's action as the case timeline shows it (通过 / 不通过 / 退回 …)."""
    if text(data.get("action")):
        return data["action"][:16]
    approved = data.get("approved", data.get("accepted"))
    return {True: "通过", False: "不通过"}.get(approved) if isinstance(approved, bool) else None
