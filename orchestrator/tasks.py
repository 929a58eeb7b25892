"""Human tasks: the inbox views and every clerk action (签收, 办理, 驳回, 退回, 补正, 转办, 评论, 催办) —
each checked against who the user is, in which group and where in the org tree."""

from __future__ import annotations

import json
from datetime import date, datetime
from uuid import uuid4

from sqlalchemy import and_, bindparam, exists, false, or_, select, union_all, update
from sqlalchemy.orm import Session

from . import audit, calendar_days, definitions, engine, forms, groups, instances, jobs, orgs
from .cases import china_date
from .clock import now
from .errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem
from .store.models import GroupMember, HumanTask, ProcessDefinition, ProcessInstance, ServiceCase

STATES = ("open", "claimed", "completed", "cancelled")
VIEWS = ("todo", "group", "done", "started")  # 待办 / 待签收 / 已办 / 我发起的
VIEW_ALIASES = {"mine": "todo"}  # the API's names (contract.md)
SORTS = {"due": "due_at", "created": "created_at", "priority": "priority"}
TASKS = instances.TASKS
INSTANCES = instances.INSTANCES
MAX_PAGE = 200


def _member_of(task_table, user):
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
        _member_of(TASKS, bindparam("user")),
    )
    .join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
    .join(ProcessDefinition, ProcessDefinition.id == INSTANCES.c.definition_id)
    .where(TASKS.c.id == bindparam("task_id"))
    .with_for_update(of=[TASKS, INSTANCES])
)
SET_TASK = update(TASKS).where(TASKS.c.id == bindparam("task_id"))
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
) -> list[dict]:
    """One page of an inbox view, soonest due first by default.

    todo 待办: claimed by the user; group 待签收: open tasks of the user's groups within their org units;
    done 已办: completed by the user, newest first; started 我发起的: open steps of instances the user started.
    Without a view: everything the user may see that is still open (the CLI's `tasks`).
    """
    view = VIEW_ALIASES.get(view, view)
    problems = []
    if view is not None and view not in VIEWS:
        problems.append(Problem(f"view must be one of {', '.join(VIEWS)} (or mine)", field="view"))
    if state is not None and state not in STATES:
        problems.append(Problem(f"state must be one of {', '.join(STATES)}", field="state"))
    if sort not in SORTS:
        problems.append(Problem(f"sort must be one of {', '.join(SORTS)}", field="sort"))
    if not (isinstance(limit, int) and 1 <= limit <= MAX_PAGE and isinstance(offset, int) and offset >= 0):
        problems.append(Problem(f"limit is 1 to {MAX_PAGE}, offset 0 or more", field="limit"))
    if problems:
        raise InvalidInput(problems)
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
                or_(HumanTask.assignee == user, HumanTask.completed_by == user, _scope(session, user, group))
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


def _scope(session: Session, user: str, group: str | None):
    """SQL: the task is offered to one of the user's groups, within that membership's org subtree."""
    parts = [
        and_(HumanTask.candidate_group == code, HumanTask.org_path.startswith(path, autoescape=True))
        for code, path in groups.memberships(session, user)
        if group is None or code == group
    ]
    return or_(*parts) if parts else false()


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


def _rows(session: Session, query, sort: str, order: list[int] | None = None) -> list[dict]:
    if query is None:
        return []
    query = query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).outerjoin(
        ServiceCase, ServiceCase.instance_id == HumanTask.instance_id
    )
    found = session.execute(query).all()
    if order is not None:
        position = {task_id: i for i, task_id in enumerate(order)}
        found.sort(key=lambda r: position[r[0].id])
    if not found:
        return []
    calendar = calendar_days.load(session)
    today = china_date(now())
    return [_row(r, calendar, today) for r in found]


def _row(r, calendar, today: date) -> dict:
    task, number, item_name, applicant, process_key = r
    row = instances.task_summary(task)
    row.update(
        case_number=number,
        item=item_name or process_key,
        process=process_key,
        applicant=(applicant or {}).get("name"),
        priority=task.priority,
        created_at=task.created_at.isoformat(),
        completed_at=task.completed_at.isoformat() if task.completed_at else None,
        completed_by=task.completed_by,
        opinion=task.opinion,
        action=task.action,
        urged_at=task.urged_at.isoformat() if task.urged_at else None,
        org_path=task.org_path,
    )
    row.update(time_left(calendar, task.created_at, task.due_at, today))
    return row


def time_left(calendar, created: datetime, due: datetime | None, today: date) -> dict:
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


def can_view_instance(session: Session, instance_id: int, user: str, *, see_all: bool = False) -> bool:
    """Who may open a case: its starter, anyone who held or may take one of its steps, and (`see_all`)
    supervisors and admins."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"no instance {instance_id}")
    if see_all or (user and row.started_by == user):
        return True
    return bool(
        session.scalar(
            select(HumanTask.id)
            .where(
                HumanTask.instance_id == instance_id,
                or_(HumanTask.assignee == user, HumanTask.completed_by == user, _scope(session, user, None)),
            )
            .limit(1)
        )
    )


def get(session: Session, task_id: int, user: str, *, see_all: bool = False) -> dict:
    """One task with its form, for a user who may see it (403 otherwise: ids are guessable)."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if not (
        see_all
        or task.assignee == user
        or task.completed_by == user
        or session.scalar(select(_member_of(TASKS, user)).where(TASKS.c.id == task_id))
    ):
        raise NotAllowed(f"task {task_id} is not yours to see")
    instance = session.get(ProcessInstance, task.instance_id)
    d = session.get(ProcessDefinition, instance.definition_id)
    rt = definitions.runtime(session, d.id, d.checksum)
    summary = instances.task_summary(task)
    summary.update(
        process=d.key,
        version=d.version,
        form_schema=rt.form(task.form_key),
        ui_schema=rt.form(task.ui_form_key),
        opinion=task.opinion,
        action=task.action,
        completed_by=task.completed_by,
        org_path=task.org_path,
        actions=_actions(session, task, rt) if task.state in instances.OPEN_STATES else [],
        catalog=rt.catalog,
        case_number=session.scalar(
            select(ServiceCase.case_number).where(ServiceCase.instance_id == task.instance_id)
        ),
        **time_left(calendar_days.load(session), task.created_at, task.due_at, china_date(now())),
    )
    return summary


def _actions(session: Session, task: HumanTask, rt) -> list[str]:
    """What the inbox offers on this open task (the diagram may add 驳回 and 补正; see `_preset`)."""
    found = ["complete", "transfer", "comment", "urge"]
    found.insert(0, "unclaim" if task.assignee else "claim")
    wf_task = _spiff_task(session, task, rt)
    if wf_task is not None:
        if _preset(wf_task, rt, "reject") is not None:
            found.append("reject")
        if _preset(wf_task, rt, "supplement") is not None:
            found.append("supplement")
        if _previous_human(wf_task) is not None:
            found.append("send_back")
    return found


def _spiff_task(session: Session, task: HumanTask, rt):
    state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == task.instance_id))
    return engine.find_task(engine.load(state, rt.specs), task.spiff_task_id)


def _lock_for_action(session: Session, task_id: int, user: str):
    """One round trip: lock the task and its instance, get the version's checksum, and learn whether the
    user is in the task's group."""
    found = session.connection().execute(LOCK_TASK, {"task_id": task_id, "user": user}).first()
    if found is None:
        raise NotFound(f"no task {task_id}")
    return found


def _check(task, user: str) -> None:
    """The user must be the task's assignee or in its group where it belongs; the task must be open."""
    if task.assignee != user and task.candidate_group and not task.member:
        raise NotAllowed(f"task {task.id} is not offered to {user} (group '{task.candidate_group}')")
    if task.state not in instances.OPEN_STATES:
        raise Conflict(f"task {task.id} is no longer open (it is {task.state})")
    if task.assignee and task.assignee != user:
        raise Conflict(f"task {task.id} is claimed by {task.assignee}")


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
    session: Session,
    task_id: int,
    user: str,
    data: dict | None = None,
    opinion: str | None = None,
    *,
    action: str | None = None,
) -> dict:
    """Validate the form data, complete the task and run the engine to its next wait state."""
    return _finish(session, task_id, user, {} if data is None else data, opinion, action, None)


def reject(session: Session, task_id: int, user: str, reason: str, data: dict | None = None) -> dict:
    """驳回 / 不通过: complete the step on its "no" path; the reason is required and kept as the opinion."""
    return _finish(session, task_id, user, data or {}, _reason(reason), "不通过", "reject")


def supplement(session: Session, task_id: int, user: str, reason: str, data: dict | None = None) -> dict:
    """退回申请人补正: complete the step on its 补正 path (the diagram then issues the 一次性告知书)."""
    return _finish(session, task_id, user, data or {}, _reason(reason), "补正", "supplement")


def _reason(reason: str | None) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(Problem("a reason is required", field="opinion"))
    if len(reason) > 2000:
        raise InvalidInput(Problem("a reason has at most 2000 characters", field="opinion"))
    return reason.strip()


def _preset(spiff_task, rt, kind: str) -> dict | None:
    """The data that puts a step on its reject or 补正 path.

    A diagram says it with `spiffworkflow:property name="rejectData"` / `"supplementData"` (a JSON
    object). Without it, a reject sets the form's yes/no field (approved / accepted / eligible) to false.
    """
    props = getattr(spiff_task.task_spec, "extensions", {}).get("properties", {}) or {}
    raw = props.get(f"{kind}Data")
    if raw:
        try:
            preset = json.loads(raw)
        except ValueError:
            return None
        return preset if isinstance(preset, dict) else None
    if kind != "reject":
        return None
    form_key, _ = engine.task_form(spiff_task)
    fields = (rt.form(form_key) or {}).get("properties", {})
    for name in ("approved", "accepted", "eligible"):
        if fields.get(name, {}).get("type") == "boolean":
            return {name: False}
    return None


def _open(session: Session, task_id: int, user: str):
    """Lock an open task the user may act on; load its instance and find it ready in the engine."""
    task = _lock_for_action(session, task_id, user)
    _check(task, user)
    inst = _locked(session, task)
    wf = engine.load(inst.state, inst.rt.specs)
    spiff_task = engine.find_task(wf, task.spiff_task_id)
    if spiff_task is None or not engine.is_ready_human(spiff_task):
        raise Conflict(f"task {task_id} is no longer open in its process")
    return task, inst, wf, spiff_task


def _finish(session, task_id, user, data, opinion, action, preset_kind) -> dict:
    task, inst, wf, spiff_task = _open(session, task_id, user)
    if not isinstance(data, dict):
        raise InvalidInput(Problem("form data must be a JSON object", field=""))
    if preset_kind is not None:
        preset = _preset(spiff_task, inst.rt, preset_kind)
        if preset is None:
            raise InvalidInput(Problem(f"this step has no {preset_kind} path in its diagram", field="action"))
        data = {**data, **preset}
        fields = (inst.rt.form(task.form_key) or {}).get("properties", {})
        for name in ("refuse_reason", "reason", "opinion"):
            if name in fields and not data.get(name):
                data[name] = opinion
    forms.validate(inst.rt.validator(task.form_key), data)

    def completed_only():
        again = engine.load(inst.state, inst.rt.specs)
        spiff = engine.find_task(again, task.spiff_task_id)
        spiff.data.update(data)
        spiff.run()
        return again

    start = engine.snapshot(wf, completing=task.spiff_task_id, marks=bool(inst.rt.catalog))
    before = {k: spiff_task.data.get(k) for k in data}
    spiff_task.data.update(data)
    spiff_task.run()
    wf, stopped_at = instances.advance(wf, redo=completed_only)
    _mark_completed(session, task_id, user, opinion or _text(data.get("opinion")), action or _action(data))
    audit.record(
        session,
        "complete" if preset_kind is None else preset_kind,
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


def send_back(session: Session, task_id: int, user: str, reason: str) -> dict:
    """退回上一步: the previous step on this path is offered again (to its group); this one ends."""
    reason = _reason(reason)
    task, inst, wf, spiff_task = _open(session, task_id, user)
    previous = _previous_human(spiff_task)
    if previous is None:
        raise InvalidInput(
            Problem("there is no earlier step on this path to send it back to", field="action")
        )
    start = engine.snapshot(wf, marks=bool(inst.rt.catalog))
    engine.reset_to(wf, previous)
    _renew_id(previous)  # a fresh attempt: its own task row beside the completed one
    wf, stopped_at = instances.advance(wf)
    _mark_completed(session, task_id, user, reason, "退回")
    audit.record(
        session,
        "send_back",
        user,
        instance_id=inst.id,
        task_id=task_id,
        opinion=reason,
        after={"to": previous.task_spec.bpmn_name or previous.task_spec.name},
    )
    new = instances.persist(session, inst, wf, stopped_at, start, user)
    return {"task": task_id, "instance": inst.id, "status": inst.status, "tasks": new}


def _previous_human(spiff_task):
    """The nearest finished user task above this one on its own path (None if pruned or none)."""
    node = spiff_task.parent
    while node is not None:
        if node.task_spec.manual and node.has_state(engine.TaskState.COMPLETED):
            return node if node.parent is not None else None
        node = node.parent
    return None


def _renew_id(task) -> None:
    wf = task.workflow
    old = task.id
    task.id = uuid4()
    wf.tasks[task.id] = wf.tasks.pop(old)
    siblings = task.parent._children
    siblings[siblings.index(old)] = task.id
    for child in task.children:  # the predicted tasks below it point to their parent by id
        child._parent = task.id


def transfer(session: Session, task_id: int, user: str, to_user: str, note: str | None = None) -> dict:
    """转办: hand the task to a colleague in its group and org unit, who then holds it."""
    task = _lock_for_action(session, task_id, user)
    _check(task, user)
    if not to_user or to_user == user:
        raise InvalidInput(Problem("transfer to another user of the task's group", field="to"))
    if not any(
        code == task.candidate_group and orgs.within(task.org_path, path)
        for code, path in groups.memberships(session, to_user)
    ):
        raise InvalidInput(
            Problem(
                f"{to_user} is not in group '{task.candidate_group}' for this task's org unit", field="to"
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


def comment(session: Session, task_id: int, user: str, text: str, *, see_all: bool = False) -> dict:
    """评论: a note on the case's timeline by anyone who may see the task."""
    text = _reason(text)
    found = get(session, task_id, user, see_all=see_all)
    audit.record(session, "comment", user, instance_id=found["instance"], task_id=task_id, opinion=text)
    return {"task": task_id, "comment": text}


def urge(
    session: Session, task_id: int, user: str, text: str | None = None, *, see_all: bool = False
) -> dict:
    """催办: remind whoever holds an open task; the inbox shows it until the task is done."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if not can_view_instance(session, task.instance_id, user, see_all=see_all):
        raise NotAllowed(f"task {task_id} is not yours to urge")
    if task.state not in instances.OPEN_STATES:
        raise Conflict(f"task {task_id} is no longer open (it is {task.state})")
    task.urged_at = now()
    audit.record(session, "urge", user, instance_id=task.instance_id, task_id=task_id, opinion=text)
    jobs.schedule(  # the reminder itself goes out from a worker
        session,
        "notify",
        task.urged_at,
        instance_id=task.instance_id,
        payload={
            "user": task.assignee,
            "group": None if task.assignee else task.candidate_group,
            "org_path": task.org_path,
            "text": f"催办：{task.title or task.name}" + (f"（{text}）" if text else ""),
        },
    )
    return {"task": task_id, "urged_at": task.urged_at.isoformat()}


def _locked(session: Session, task) -> instances.Locked:
    return instances.Locked(
        task.instance_id,
        task.instance_state,
        task.version,
        task.instance_status,
        definitions.runtime(session, task.definition_id, task.checksum),
        task.instance_org_path,
    )


def _mark_completed(session, task_id, user, opinion, action) -> None:
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


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _action(data: dict) -> str | None:
    """The step's action as the case timeline shows it (通过 / 不通过 / 退回 …)."""
    if _text(data.get("action")):
        return data["action"][:16]
    approved = data.get("approved", data.get("accepted"))
    return {True: "通过", False: "不通过"}.get(approved) if isinstance(approved, bool) else None
