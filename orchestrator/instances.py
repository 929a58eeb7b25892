"""Process instances: start, step and store them — one transaction per engine step (architecture rule 3)."""

from __future__ import annotations

import json
from collections.abc import Callable

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import audit, definitions, engine, jobs, sandbox
from .clock import now
from .errors import Conflict, InvalidInput, NotFound, Problem
from .store.models import AuditEvent, HumanTask, MessageSubscription, ProcessDefinition, ProcessInstance

OPEN_STATES = ("open", "claimed")
ENGINE_ERRORS = (WorkflowException, sandbox.SandboxError)


def start(session: Session, key: str, data: dict | None = None, *, business_key: str | None = None,
          actor: str | None = None) -> dict:
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InvalidInput(Problem("start data must be a JSON object", field="data"))
    if business_key is not None and not (0 < len(business_key) <= 200):
        raise InvalidInput(Problem("a business key has 1 to 200 characters", field="business_key"))
    d = definitions.startable(session, key)
    if business_key and session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.process_key == key, ProcessInstance.business_key == business_key)):
        raise Conflict(f"an instance of '{key}' with business key '{business_key}' already exists")
    row, tasks = _start(session, d, data, business_key, actor)
    return {"instance": row.id, "business_key": business_key, "status": row.status, "tasks": tasks}


def start_waiting_for_timer(session: Session, d: ProcessDefinition, actor: str | None) -> int:
    """A published timer-start process gets an instance that waits on its start timer."""
    row, _ = _start(session, d, {}, None, actor)
    return row.id


def _start(session, d, data, business_key, actor) -> tuple[ProcessInstance, list[dict]]:
    rt = definitions.runtime(session, d.id, d.checksum)

    def fresh() -> BpmnWorkflow:
        wf = engine.new_workflow(rt.specs)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        return wf

    wf, stopped_at = advance(fresh(), redo=fresh)
    row = ProcessInstance(definition_id=d.id, process_key=d.key, business_key=business_key, status="running",
                          state="{}", started_by=actor, started_at=now())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"an instance of '{d.key}' with business key '{business_key}' already exists") from None
    audit.record(session, "start", actor, instance_id=row.id, definition_id=d.id, after=data or None)
    new = persist(session, row, rt, wf, stopped_at, ready_before=set())
    return row, [task_summary(t) for t in new]


def advance(wf: BpmnWorkflow, *, redo: Callable[[], BpmnWorkflow] | None = None,
            released: frozenset[str] = frozenset()) -> tuple[BpmnWorkflow, str | None]:
    """Run to the next wait state. If a script fails and `redo` is given, keep the caller's action
    (redo re-applies it without engine steps) and leave the rest to a retried job, so no clerk loses work
    because an analyst's script failed; without `redo` the error propagates (the job retries)."""
    try:
        return wf, engine.run_engine(wf, released)
    except ENGINE_ERRORS:
        if redo is None:
            raise
        return redo(), ""


def lock(session: Session, instance_id: int) -> tuple[ProcessInstance, definitions.Runtime]:
    """Lock an instance row (PostgreSQL: FOR UPDATE) and get its version's runtime, in one query."""
    found = session.execute(select(ProcessInstance, ProcessDefinition.checksum)
                            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
                            .where(ProcessInstance.id == instance_id)
                            .with_for_update(of=ProcessInstance)).first()
    if found is None:
        raise NotFound(f"no instance {instance_id}")
    row, checksum = found
    return row, definitions.runtime(session, row.definition_id, checksum)


def persist(session: Session, row: ProcessInstance, rt: definitions.Runtime, wf: BpmnWorkflow,
            stopped_at: str | None, ready_before: set[str]) -> list[HumanTask]:
    """Write instance state, task rows, timer jobs and message subscriptions; the version check happens here.

    `ready_before` is the set of human tasks that were open before this step (less any the step completed):
    task rows mirror them, so the difference is all that is written — no read-back as history grows.
    """
    row.state = engine.dump(wf)
    if wf.completed:
        row.status, row.ended_at = "completed", now()
        audit.record(session, "end", None, instance_id=row.id)
    new_tasks = _sync_tasks(session, row, rt, wf, ready_before)
    if rt.specs.has_timers:
        _sync_timer_job(session, row, wf)
    if rt.specs.has_messages:
        _sync_subscriptions(session, row, wf)
    if stopped_at is not None:
        payload = {"release": stopped_at} if stopped_at else {}
        jobs.schedule(session, "continue", now(), instance_id=row.id, payload=payload)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"instance {row.id} was changed by someone else at the same time; nothing was applied") \
            from None
    return new_tasks


def _sync_tasks(session, row, rt, wf, ready_before: set[str]) -> list[HumanTask]:
    ready = {str(t.id): t for t in engine.ready_human_tasks(wf)}
    gone = ready_before - ready.keys()
    if gone:
        session.execute(update(HumanTask).where(HumanTask.instance_id == row.id,
                                                HumanTask.spiff_task_id.in_(gone),
                                                HumanTask.state.in_(OPEN_STATES)).values(state="cancelled"))
        audit.record(session, "cancel_tasks", None, instance_id=row.id, after={"tasks": sorted(gone)})
    created = []
    for spiff_id, task in ready.items():
        if spiff_id in ready_before:
            continue
        form_key, ui_key = engine.task_form(task)
        lane = task.task_spec.lane
        created.append(HumanTask(
            instance_id=row.id, spiff_task_id=spiff_id, name=task.task_spec.bpmn_id or task.task_spec.name,
            title=task.task_spec.bpmn_name, lane=lane, candidate_group=rt.group_of(lane),
            state="open", form_key=form_key, ui_form_key=ui_key, created_at=now()))
    session.add_all(created)
    return created


def _sync_timer_job(session, row, wf) -> None:
    due = None if row.status == "completed" else engine.next_timer_due(wf)
    job = session.scalars(jobs.pending_of(row.id, "timer")).first()
    if due is None and job is not None:
        job.status = "cancelled"
    elif due is not None and job is None:
        jobs.schedule(session, "timer", due, instance_id=row.id)
    elif due is not None and job.due_at != due:
        job.due_at = due


def _sync_subscriptions(session, row, wf) -> None:
    wanted = {} if row.status == "completed" else {
        (s.message_name, s.correlation): s for s in engine.waiting_messages(wf)}
    existing = session.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == row.id)).all()
    have = set()
    for sub in existing:
        if (sub.message_name, sub.correlation) not in wanted:
            session.delete(sub)
        have.add((sub.message_name, sub.correlation))
    for (name, correlation), sub in wanted.items():
        if (name, correlation) not in have:
            session.add(MessageSubscription(instance_id=row.id, message_name=name, correlation=correlation,
                                            expressions=sub.expressions))


def task_summary(t: HumanTask) -> dict:
    return {"id": t.id, "name": t.name, "title": t.title, "group": t.candidate_group, "assignee": t.assignee,
            "state": t.state, "form": t.form_key, "instance": t.instance_id}


def step_job(session: Session, instance_id: int, released: frozenset[str] = frozenset(),
             fire_timers: bool = False) -> None:
    """Continue an instance from a job: fire due timers and/or run released async steps."""
    row, rt = lock(session, instance_id)
    if row.status != "running":
        return
    wf = engine.load(row.state, rt.specs)
    ready_before = engine.ready_ids(wf)
    if fire_timers:
        engine.fire_timers(wf)
    wf, stopped_at = advance(wf, released=released)
    persist(session, row, rt, wf, stopped_at, ready_before)


def send_message(session: Session, name: str, payload: dict, *, instance_id: int | None = None,
                 actor: str | None = None) -> dict:
    """Deliver a message to the one instance that waits for it with matching correlation values."""
    if not isinstance(payload, dict):
        raise InvalidInput(Problem("a message payload must be a JSON object", field="payload"))
    query = select(MessageSubscription).where(MessageSubscription.message_name == name)
    if instance_id is not None:
        query = query.where(MessageSubscription.instance_id == instance_id)
    candidates = session.scalars(query).all()
    matching = [s for s in candidates if s.correlation == engine.correlation_of(s.expressions or {}, payload)]
    instance_ids = sorted({s.instance_id for s in matching})
    if not instance_ids:
        raise NotFound(f"no instance waits for message '{name}' with these correlation values")
    if len(instance_ids) > 1:
        raise Conflict(f"{len(instance_ids)} instances wait for message '{name}' with these correlation values; "
                       f"name the instance")
    row, rt = lock(session, instance_ids[0])
    wf = engine.load(row.state, rt.specs)
    ready_before = engine.ready_ids(wf)

    def caught() -> BpmnWorkflow:
        again = engine.load(row.state, rt.specs)
        engine.deliver_message(again, name, payload)
        return again

    if not engine.deliver_message(wf, name, payload):
        raise Conflict(f"instance {row.id} no longer waits for message '{name}'")
    wf, stopped_at = advance(wf, redo=caught)
    audit.record(session, "message", actor, instance_id=row.id, after={"message": name, "payload": payload})
    persist(session, row, rt, wf, stopped_at, ready_before)
    return {"instance": row.id, "message": name}


def details(session: Session, instance_id: int) -> dict:
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"no instance {instance_id}")
    d = session.get(ProcessDefinition, row.definition_id)
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == row.id).order_by(HumanTask.id)).all()
    history = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.id)
                              .order_by(AuditEvent.id)).all()
    return {
        "instance": row.id, "process": d.key, "version": d.version, "business_key": row.business_key,
        "status": row.status, "started_at": row.started_at.isoformat(),
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        "open_tasks": [task_summary(t) for t in tasks if t.state in OPEN_STATES],
        "tasks": [task_summary(t) for t in tasks],
        "data": data_of(session, row, d),
        "history": [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "task": e.task_id,
                     "opinion": e.opinion, "before": e.data_before, "after": e.data_after} for e in history],
    }


def data_of(session: Session, row: ProcessInstance, d: ProcessDefinition) -> dict:
    """The instance's current data: the last completed task's data (what the next step will see)."""
    wf = engine.load(row.state, definitions.runtime(session, d.id, d.checksum).specs)
    latest = max(wf.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change, default=None)
    return json.loads(json.dumps(latest.data if latest else {}, default=str))
