"""Process instances: start, step and store them — one transaction per engine step (architecture rule 3).

The hot path uses SQLAlchemy Core: one locking read, then only the rows that changed are written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NotRequired, TypedDict, cast

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchestrator import jobs
from orchestrator.bpmn import engine
from orchestrator.core import audit, limits
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import definitions
from orchestrator.identity import groups, orgs
from orchestrator.runtime import hooks
from orchestrator.store.models import (
    AuditEvent,
    HumanTask,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
)

OPEN_STATES = ("open", "claimed")
TASKS = cast(Table, HumanTask.__table__)
INSTANCES = cast(Table, ProcessInstance.__table__)
NOTHING = engine.Snapshot(frozenset(), frozenset())  # before a process's first step
# Built once (statement construction dominates the cost of a step's writes); the SET list follows the params.
SAVE_INSTANCE = update(INSTANCES).where(
    INSTANCES.c.id == bindparam("b_id"), INSTANCES.c.version == bindparam("b_version")
)
INSERT_TASKS = insert(TASKS).returning(TASKS.c.id, sort_by_parameter_order=True)


class TaskSummary(TypedDict):
    """The public shape of a human task."""

    due_at: str | None
    id: int
    name: str
    title: str | None
    group: str | None
    assignee: str | None
    state: str
    form: str | None
    instance: int


class Started(TypedDict):
    instance: int
    case_number: NotRequired[str | None]  # what the instance hooks add (gov: the case opened with it)
    business_key: str | None
    status: str
    tasks: list[TaskSummary]


class HistoryEntry(TypedDict):
    at: str
    actor: str | None
    action: str
    task: int | None
    opinion: str | None
    before: dict | None
    after: dict | None


class InstanceDetails(TypedDict):
    instance: int
    process: str
    version: int
    business_key: str | None
    status: str
    started_at: str
    ended_at: str | None
    open_tasks: list[TaskSummary]
    tasks: list[TaskSummary]
    data: dict
    history: list[HistoryEntry]


class Delivered(TypedDict):
    instance: int
    message: str


@dataclass(frozen=True)
class Locked:
    """An instance row as read under lock: what a step needs, and the version it must still have."""

    id: int
    state: str
    version: int
    status: str
    rt: definitions.Runtime
    org_path: str = "/"


def start(
    session: Session,
    key: str,
    data: dict | None = None,
    *,
    business_key: str | None = None,
    actor: str | None = None,
    org: str | None = None,
) -> Started:
    """Start the newest published version. The case belongs to org unit `org` (a code), by default to
    where the starting user works."""
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InvalidInput(Problem(_("start data must be a JSON object"), field="data"))
    limits.require(data, "data")
    if business_key is not None and not (0 < len(business_key) <= 200):
        raise InvalidInput(Problem(_("a business key has 1 to 200 characters"), field="business_key"))
    d = definitions.startable(session, key)
    if business_key and session.scalar(
        select(ProcessInstance.id).where(
            ProcessInstance.process_key == key, ProcessInstance.business_key == business_key
        )
    ):
        raise Conflict(
            _(
                "an instance of '{key}' with business key '{business_key}' already exists",
                key=key,
                business_key=business_key,
            )
        )
    org_path = orgs.path_of(session, org) if org else groups.home_path(session, actor)
    instance_id, status, tasks, opened = _start(session, d, data, business_key, actor, org_path)
    return {
        "instance": instance_id,
        **opened,
        "business_key": business_key,
        "status": status,
        "tasks": tasks,
    }


def on_published(session: Session, definition: ProcessDefinition, actor: str | None) -> None:
    """A published timer-start process gets an instance that waits on its start timer."""
    if definition.timer_start:
        _start(session, definition, {}, None, actor)


def tracks_milestones(rt: definitions.Runtime) -> bool:
    """Whether steps of this version report milestones to the hooks (a version with a catalog entry)."""
    return rt.catalog is not None and hooks.current().milestone_property is not None


def _marked(wf: BpmnWorkflow, before: engine.Snapshot, rt: definitions.Runtime) -> list[engine.Milestone]:
    marker = hooks.current().milestone_property
    if rt.catalog is None or marker is None:
        return []
    return engine.milestones(wf, before, marker)


def _start(
    session: Session,
    d: ProcessDefinition,
    data: dict,
    business_key: str | None,
    actor: str | None,
    org_path: str = "/",
) -> tuple[int, str, list[TaskSummary], hooks.Opened]:
    rt = definitions.runtime(session, d.id, d.checksum)
    data = hooks.current().start_data(rt, data)

    def fresh() -> BpmnWorkflow:
        wf = engine.new_workflow(rt.specs)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        return wf

    wf, stopped_at = advance(fresh(), redo=fresh)
    status = "completed" if wf.completed else "running"
    marked = _marked(wf, NOTHING, rt)
    at = now()
    try:
        with session.begin_nested():
            instance_id = (
                session.connection()
                .execute(
                    insert(INSTANCES)
                    .values(
                        definition_id=d.id,
                        process_key=d.key,
                        business_key=business_key,
                        status=status,
                        state=engine.dump(wf),
                        version=1,
                        started_by=actor,
                        started_at=at,
                        org_path=org_path,
                        ended_at=at if status == "completed" else None,
                    )
                    .returning(INSTANCES.c.id)
                )
                .scalar_one()
            )
    except IntegrityError:
        raise Conflict(
            _(
                "an instance of '{key}' with business key '{business_key}' already exists",
                key=d.key,
                business_key=business_key,
            )
        ) from None
    audit.record(session, "start", actor, instance_id=instance_id, definition_id=d.id, after=data or None)
    opened = hooks.current().opened(session, instance_id, rt, data, actor)
    tasks = _after_step(session, instance_id, status, rt, wf, stopped_at, NOTHING, marked, actor, org_path)
    return instance_id, status, tasks, opened


def advance(
    wf: BpmnWorkflow,
    *,
    redo: Callable[[], BpmnWorkflow] | None = None,
    released: frozenset[str] = frozenset(),
) -> tuple[BpmnWorkflow, str | None]:
    """Run to the next wait state. If the engine fails (a script, a timer computed from bad data, a step that
    runs away) and `redo` is given, keep the caller's action (redo re-applies it without engine steps) and
    leave the rest to a retried job, so no clerk loses work and no start fails because of an analyst's
    expression; without `redo` the error propagates (the job retries, then becomes an incident)."""
    try:
        return wf, engine.run_engine(wf, released)
    except Exception:  # noqa: BLE001 - only engine code runs here: whatever it raises is the diagram's
        if redo is None:
            raise
        return redo(), ""


def lock(session: Session, instance_id: int) -> Locked:
    """Lock an instance row (PostgreSQL: FOR UPDATE) and get its version's runtime, in one query."""
    found = (
        session.connection()
        .execute(
            select(
                INSTANCES.c.id,
                INSTANCES.c.state,
                INSTANCES.c.version,
                INSTANCES.c.status,
                INSTANCES.c.definition_id,
                INSTANCES.c.org_path,
                ProcessDefinition.checksum,
            )
            .join(ProcessDefinition, ProcessDefinition.id == INSTANCES.c.definition_id)
            .where(INSTANCES.c.id == instance_id)
            .with_for_update(of=INSTANCES)
        )
        .first()
    )
    if found is None:
        raise NotFound(_("no instance {id}", id=instance_id))
    return Locked(
        found.id,
        found.state,
        found.version,
        found.status,
        definitions.runtime(session, found.definition_id, found.checksum),
        found.org_path,
    )


def persist(
    session: Session,
    inst: Locked,
    wf: BpmnWorkflow,
    stopped_at: str | None,
    before: engine.Snapshot,
    actor: str | None = None,
) -> list[TaskSummary]:
    """Write the step: instance state guarded by its version, then tasks, case, timers, subscriptions, jobs.

    `before` is what the step started from: task rows mirror the open human tasks, so the difference is
    all that is written — no read-back as history grows.
    """
    status = "completed" if wf.completed else inst.status
    # before dump() prunes the finished tasks; only a service item's case reads them
    marked = _marked(wf, before, inst.rt)
    values = {"state": engine.dump(wf), "version": inst.version + 1, "status": status}
    if status == "completed" and inst.status != "completed":
        values["ended_at"] = now()
    written = session.connection().execute(
        SAVE_INSTANCE, {"b_id": inst.id, "b_version": inst.version, **values}
    )
    if written.rowcount != 1:
        raise Conflict(
            _("instance {id} was changed by someone else at the same time; nothing was applied", id=inst.id)
        )
    return _after_step(
        session, inst.id, status, inst.rt, wf, stopped_at, before, marked, actor, inst.org_path
    )


def _after_step(
    session, instance_id, status, rt, wf, stopped_at, before, marked, actor, org_path="/"
) -> list[TaskSummary]:
    if status == "completed":
        audit.record(session, "end", None, instance_id=instance_id)
    if marked:  # first: new steps are due by the moved deadlines
        hooks.current().milestones_marked(session, instance_id, marked, rt, actor)
    tasks = _sync_tasks(session, instance_id, rt, wf, before.ready, org_path)
    if rt.specs.has_timers:
        _sync_timer_job(session, instance_id, status, wf)
    if rt.specs.has_messages:
        _sync_subscriptions(session, instance_id, status, wf)
    if stopped_at is not None:
        payload = {"release": stopped_at} if stopped_at else {}
        jobs.schedule(session, "continue", now(), instance_id=instance_id, payload=payload)
    return tasks


def _sync_tasks(
    session, instance_id, rt, wf, ready_before: frozenset[str], org_path: str
) -> list[TaskSummary]:
    ready = {str(t.id): t for t in engine.ready_human_tasks(wf)}
    gone = ready_before - ready.keys()
    if gone:
        session.connection().execute(
            update(TASKS)
            .where(
                TASKS.c.instance_id == instance_id,
                TASKS.c.spiff_task_id.in_(gone),
                TASKS.c.state.in_(OPEN_STATES),
            )
            .values(state="cancelled")
        )
        audit.record(session, "cancel_tasks", None, instance_id=instance_id, after={"tasks": sorted(gone)})
    rows = []
    for spiff_id, task in ready.items():
        if spiff_id in ready_before:
            continue
        form_key, ui_key = engine.task_form(task)
        lane = task.task_spec.lane
        group = rt.group_of(lane)
        assignee = _assignee(task)
        rows.append(
            {
                "instance_id": instance_id,
                "spiff_task_id": spiff_id,
                "name": task.task_spec.bpmn_id or task.task_spec.name,
                "title": task.task_spec.bpmn_name,
                "lane": lane,
                "candidate_group": group,
                "due_at": hooks.current().step_due(session, instance_id, group, rt, engine.properties(task)),
                "assignee": assignee,
                "state": "claimed" if assignee else "open",
                "form_key": form_key,
                "ui_form_key": ui_key,
                "priority": 50,
                "created_at": now(),
                "org_path": org_path,
            }
        )
    if not rows:
        return []
    if any(row["candidate_group"] is None and row["assignee"] is None for row in rows):
        _to_the_starter(session, instance_id, rows)
    ids = session.connection().execute(INSERT_TASKS, rows).scalars()
    return [task_summary({**row, "id": task_id}) for row, task_id in zip(rows, ids, strict=True)]


def _assignee(task) -> str | None:
    """The user a step goes to by its data (`assigneeVariable`, as Camunda's `assignee="${approver}"`)."""
    variable = engine.properties(task).get("assigneeVariable")
    name = engine.variable(task, variable) if variable else None
    return name.strip()[:100] if isinstance(name, str) and name.strip() else None


def _to_the_starter(session: Session, instance_id: int, rows: list[dict]) -> None:
    """A human task in no lane is offered to no group: it goes to whoever started the instance (as in
    SpiffArena), and no one else may see or do it. With no starter (a timer or a message started it), only
    an admin can give it to someone."""
    starter = (
        session.connection()
        .execute(select(INSTANCES.c.started_by).where(INSTANCES.c.id == instance_id))
        .scalar()
    )
    for row in rows:
        if row["candidate_group"] is None and row["assignee"] is None and starter:
            row["assignee"], row["state"] = starter, "claimed"


def _sync_timer_job(session, instance_id, status, wf) -> None:
    due = None if status == "completed" else engine.next_timer_due(wf)
    if due is not None:
        # The engine fires a timer strictly after its instant: one due now is looked at again in a second,
        # never in a tight loop.
        due = max(due, now() + timedelta(seconds=1))
    job = session.scalars(jobs.pending_of(instance_id, "timer")).first()
    if due is None and job is not None:
        job.status = "cancelled"
    elif due is not None and job is None:
        jobs.schedule(session, "timer", due, instance_id=instance_id)
    elif due is not None and job.due_at != due:
        job.due_at = due


def _sync_subscriptions(session, instance_id, status, wf) -> None:
    wanted = (
        {}
        if status == "completed"
        else {(s.message_name, s.correlation): s for s in engine.waiting_messages(wf)}
    )
    existing = session.scalars(
        select(MessageSubscription).where(MessageSubscription.instance_id == instance_id)
    ).all()
    have = set()
    for sub in existing:
        if (sub.message_name, sub.correlation) not in wanted:
            session.delete(sub)
        have.add((sub.message_name, sub.correlation))
    for (name, correlation), sub in wanted.items():
        if (name, correlation) not in have:
            session.add(
                MessageSubscription(
                    instance_id=instance_id,
                    message_name=name,
                    correlation=correlation,
                    expressions=sub.expressions,
                )
            )


def task_summary(t: Any) -> TaskSummary:
    """The public shape of a task, from an ORM row, a Core row or a dict."""
    get: Callable[[str], Any] = t.get if isinstance(t, dict) else (lambda k: getattr(t, k))
    due = get("due_at")
    return {
        "due_at": due.isoformat() if due else None,
        "id": get("id"),
        "name": get("name"),
        "title": get("title"),
        "group": get("candidate_group"),
        "assignee": get("assignee"),
        "state": get("state"),
        "form": get("form_key"),
        "instance": get("instance_id"),
    }


def run_timer_job(session: Session, job: Job) -> None:
    """Job kind "timer": fire the instance's due timers and run on."""
    step_job(session, _instance_of(job), fire_timers=True)


def run_continue_job(session: Session, job: Job) -> None:
    """Job kind "continue": run the steps after an async boundary (`payload.release`: the task released)."""
    released = frozenset(filter(None, [(job.payload or {}).get("release")]))
    step_job(session, _instance_of(job), released=released)


def _instance_of(job: Job) -> int:
    if job.instance_id is None:
        raise ValueError(f"job {job.id} ({job.kind}) names no instance")
    return job.instance_id


def step_job(
    session: Session, instance_id: int, released: frozenset[str] = frozenset(), fire_timers: bool = False
) -> None:
    """Continue an instance from a job: fire due timers and/or run released async steps."""
    inst = lock(session, instance_id)
    if inst.status != "running":
        return
    wf = engine.load(inst.state, inst.rt.specs)
    before = engine.snapshot(wf, marks=tracks_milestones(inst.rt))
    if fire_timers:
        engine.fire_timers(wf)
    wf, stopped_at = advance(wf, released=released)
    persist(session, inst, wf, stopped_at, before)


def send_message(
    session: Session, name: str, payload: dict, *, instance_id: int | None = None, actor: str | None = None
) -> Delivered:
    """Deliver a message to the one instance that waits for it with matching correlation values."""
    if not isinstance(payload, dict):
        raise InvalidInput(Problem(_("a message payload must be a JSON object"), field="payload"))
    limits.require(payload, "payload")
    query = select(MessageSubscription).where(MessageSubscription.message_name == name)
    if instance_id is not None:
        query = query.where(MessageSubscription.instance_id == instance_id)
    candidates = session.scalars(query).all()
    matching = [s for s in candidates if s.correlation == engine.correlation_of(s.expressions or {}, payload)]
    instance_ids = sorted({s.instance_id for s in matching})
    if not instance_ids:
        raise NotFound(_("no instance waits for message '{name}' with these correlation values", name=name))
    if len(instance_ids) > 1:
        raise Conflict(
            _(
                "{count} instances wait for message '{name}' with these correlation values; "
                "name the instance",
                count=len(instance_ids),
                name=name,
            )
        )
    inst = lock(session, instance_ids[0])
    wf = engine.load(inst.state, inst.rt.specs)
    before = engine.snapshot(wf, marks=tracks_milestones(inst.rt))

    def caught() -> BpmnWorkflow:
        again = engine.load(inst.state, inst.rt.specs)
        engine.deliver_message(again, name, payload)
        return again

    if not engine.deliver_message(wf, name, payload):
        raise Conflict(_("instance {id} no longer waits for message '{name}'", id=inst.id, name=name))
    wf, stopped_at = advance(wf, redo=caught)
    audit.record(session, "message", actor, instance_id=inst.id, after={"message": name, "payload": payload})
    persist(session, inst, wf, stopped_at, before, actor)
    return {"instance": inst.id, "message": name}


def details(session: Session, instance_id: int) -> InstanceDetails:
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(_("no instance {id}", id=instance_id))
    d = session.get_one(ProcessDefinition, row.definition_id)
    tasks = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == row.id).order_by(HumanTask.id)
    ).all()
    history = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == row.id).order_by(AuditEvent.id)
    ).all()
    return {
        "instance": row.id,
        "process": d.key,
        "version": d.version,
        "business_key": row.business_key,
        "status": row.status,
        "started_at": row.started_at.isoformat(),
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        "open_tasks": [task_summary(t) for t in tasks if t.state in OPEN_STATES],
        "tasks": [task_summary(t) for t in tasks],
        "data": data_of(session, row, d),
        "history": [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "task": e.task_id,
                "opinion": e.opinion,
                "before": e.data_before,
                "after": e.data_after,
            }
            for e in history
        ],
    }


def data_of(session: Session, row: ProcessInstance, d: ProcessDefinition) -> dict:
    """The instance's current data: the last completed task's data (what the next step will see)."""
    wf = engine.load(row.state, definitions.runtime(session, d.id, d.checksum).specs)
    latest = max(wf.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change, default=None)
    return json.loads(json.dumps(latest.data if latest else {}, default=str))
