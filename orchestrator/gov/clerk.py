"""The clerk's domain actions on a step (domain.md §7): 驳回 reject, 补正 back to the applicant, 退回 back
to the previous step, 催办 urge; and which of them a step offers (its diagram decides 驳回 and 补正)."""

from __future__ import annotations

import json
from typing import TypedDict
from uuid import uuid4

from SpiffWorkflow.task import Task
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from orchestrator import jobs
from orchestrator.bpmn import engine
from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import definitions
from orchestrator.gov.vocabulary import SUPPLEMENT
from orchestrator.runtime import instances, tasks
from orchestrator.runtime.tasks import StepDone, required_text
from orchestrator.store.models import HumanTask

REJECTED = "不通过"
SENT_BACK = "退回"
REASON_FIELDS = ("refuse_reason", "reasons", "reason", "opinion")  # form fields the reason fills when empty


class Urged(TypedDict):
    task: int
    urged_at: str


def offered(spiff_task: Task, rt: definitions.Runtime) -> list[str]:
    """The domain actions an open step offers (after claim, complete, transfer and comment)."""
    found = ["urge"]
    if preset(spiff_task, rt, "reject") is not None:
        found.append("reject")
    if preset(spiff_task, rt, "supplement") is not None:
        found.append("supplement")
    if previous_human(spiff_task) is not None:
        found.append("send_back")
    return found


def reject(session: Session, task_id: int, user: str, reason: str, data: dict | None = None) -> StepDone:
    """驳回 / 不通过: complete the step on its "no" path; the reason is required and kept as the opinion."""
    return _on_path(session, task_id, user, data, reason, REJECTED, "reject")


def supplement(session: Session, task_id: int, user: str, reason: str, data: dict | None = None) -> StepDone:
    """退回申请人补正: complete the step on its 补正 path (the diagram then issues the 一次性告知书)."""
    return _on_path(session, task_id, user, data, reason, SUPPLEMENT, "supplement")


def _on_path(
    session: Session, task_id: int, user: str, data, reason: str, action: str, kind: str
) -> StepDone:
    opinion = required_text(reason)

    def prepare(task: Row, inst: instances.Locked, spiff_task: Task, data: dict) -> dict:
        found = preset(spiff_task, inst.rt, kind)
        if found is None:
            if kind == "reject":
                raise InvalidInput(Problem(_("this step has no reject path in its diagram"), field="action"))
            raise InvalidInput(Problem(_("this step has no supplement path in its diagram"), field="action"))
        data = {**data, **found}
        fields = (inst.rt.form(task.form_key) or {}).get("properties", {})
        for name in REASON_FIELDS:
            if name in fields and not data.get(name):
                data[name] = opinion
        return data

    return tasks.finish(
        session,
        task_id,
        user,
        {} if data is None else data,
        opinion,
        action=action,
        audit_action=kind,
        prepare=prepare,
    )


def preset(spiff_task: Task, rt: definitions.Runtime, kind: str) -> dict | None:
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
    form_key = engine.task_form(spiff_task)[0]
    fields = (rt.form(form_key) or {}).get("properties", {})
    for name in ("approved", "accepted", "eligible"):
        if fields.get(name, {}).get("type") == "boolean":
            return {name: False}
    return None


def send_back(session: Session, task_id: int, user: str, reason: str) -> StepDone:
    """退回上一步: the previous step on this path is offered again (to its group); this one ends."""
    reason = required_text(reason)
    task, inst, wf, spiff_task = tasks.open_task(session, task_id, user)
    previous = previous_human(spiff_task)
    if previous is None:
        raise InvalidInput(
            Problem(_("there is no earlier step on this path to send it back to"), field="action")
        )
    start = engine.snapshot(wf, marks=instances.tracks_milestones(inst.rt))
    engine.reset_to(wf, previous)
    _renew_id(previous)  # a fresh attempt: its own task row beside the completed one
    wf, stopped_at = instances.advance(wf)
    tasks.mark_completed(session, task_id, user, reason, SENT_BACK)
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


def previous_human(spiff_task: Task) -> Task | None:
    """The nearest finished user task above this one on its own path (None if pruned or none)."""
    node = spiff_task.parent
    while node is not None:
        if node.task_spec.manual and node.has_state(engine.TaskState.COMPLETED):
            return node if node.parent is not None else None
        node = node.parent
    return None


def _renew_id(task: Task) -> None:
    wf = task.workflow
    old = task.id
    task.id = uuid4()
    wf.tasks[task.id] = wf.tasks.pop(old)
    siblings = task.parent._children
    siblings[siblings.index(old)] = task.id
    for child in task.children:  # the predicted tasks below it point to their parent by id
        child._parent = task.id


def urge(
    session: Session, task_id: int, user: str, text: str | None = None, *, see_all: bool = False
) -> Urged:
    """催办: remind whoever holds an open task; the inbox shows it until the task is done."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(_("no task {id}", id=task_id))
    if not tasks.can_view_instance(session, task.instance_id, user, see_all=see_all):
        raise NotAllowed(_("task {id} is not yours to urge", id=task_id))
    if task.state not in instances.OPEN_STATES:
        raise Conflict(_("task {id} is no longer open (it is {state})", id=task_id, state=task.state))
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
