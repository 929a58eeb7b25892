"""How far a case has come, for its diagram and its page: which BPMN elements are done, current, still ahead
or stuck; the diagram of the instance's own version; what each finished step entered; a user's cases.

The engine prunes finished history from an instance's stored state (`engine.prune_history`), so "done" is
pieced together from what survives: completed tasks still in the state, completed human task rows (their
`name` is the element id), nodes named in audit events, and the flows leading into those (a node reached by
only one sequence flow was reached through it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from orchestrator.bpmn import engine, xmlsafe
from orchestrator.core.errors import NotFound
from orchestrator.core.i18n import _
from orchestrator.deploy import definitions
from orchestrator.store.models import (
    AuditEvent,
    HumanTask,
    Job,
    ProcessDefinition,
    ProcessInstance,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
KINDS = ("completed", "current", "pending", "incident")
CURRENT_STATES = engine.TaskState.READY | engine.TaskState.WAITING | engine.TaskState.STARTED
PENDING_STATES = engine.TaskState.FUTURE | engine.TaskState.LIKELY | engine.TaskState.MAYBE
STEP_ACTIONS = ("complete", "reject", "supplement")  # audit actions that finish a step with its form data
SENT_BACK = "退回"  # a step sent back (tasks.send_back) did not move the case on


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str


def _instance(session: Session, instance_id: int) -> tuple[ProcessInstance, ProcessDefinition]:
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(_("no instance {id}", id=instance_id))
    return row, session.get_one(ProcessDefinition, row.definition_id)


def diagram(session: Session, instance_id: int) -> str:
    """The BPMN XML (as deployed) of the file holding the instance's process, in the instance's version."""
    d = _instance(session, instance_id)[1]
    return _process_file(d.files or {}, d.key)


def _process_file(files: dict[str, str], key: str) -> str:
    texts = [t for name, t in sorted(files.items()) if name.lower().endswith(".bpmn")] or list(files.values())
    if not texts:
        raise NotFound(_("process '{key}' has no diagram", key=key))
    for text in texts:
        if _process_element(_parse(text), key) is not None:
            return text
    return texts[0]


def _parse(text: str) -> etree._ElementTree:
    return xmlsafe.parse(text.encode("utf-8"))


def _process_element(tree: etree._ElementTree, key: str):
    return next((p for p in tree.getroot().iter(f"{{{BPMN_NS}}}process") if p.get("id") == key), None)


@dataclass(frozen=True)
class Graph:
    """The process's sequence flows (sub-processes included) and its own start events."""

    flows: list[Flow]
    starts: list[str]


def graph(xml: str, key: str) -> Graph:
    """Read the process `key` of a BPMN document (hardened parser) as a graph."""
    tree = _parse(xml)
    scope = _process_element(tree, key)
    root = scope if scope is not None else tree.getroot()
    return Graph(
        [
            Flow(f.get("id"), f.get("sourceRef"), f.get("targetRef"))
            for f in root.iter(f"{{{BPMN_NS}}}sequenceFlow")
            if f.get("id") and f.get("sourceRef") and f.get("targetRef")
        ],
        [e.get("id") for e in root.findall(f"{{{BPMN_NS}}}startEvent") if e.get("id")],
    )


def marks(session: Session, instance_id: int) -> dict[str, list[str]]:
    """BPMN element ids of an instance by progress: {"completed", "current", "pending", "incident"}."""
    row, d = _instance(session, instance_id)
    rt = definitions.runtime(session, d.id, d.checksum)
    wf = engine.load(row.state, rt.specs)
    tasks = [t for w in (wf, *wf.subprocesses.values()) for t in w.tasks.values()]
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for task in tasks:
        element = task.task_spec.bpmn_id
        if element is None:
            continue  # the engine's own bookkeeping tasks (joins, root, end) are not drawn
        if task.state == engine.TaskState.COMPLETED:
            found["completed"].add(element)
        elif task.state == engine.TaskState.ERROR:
            found["incident"].add(element)
        elif task.state & CURRENT_STATES and not _armed_boundary(task):
            found["current"].add(element)
        elif task.state & (PENDING_STATES | engine.TaskState.WAITING):
            found["pending"].add(element)
    found["completed"] |= _completed_elsewhere(session, instance_id)
    found["current"] |= set(
        session.scalars(
            select(HumanTask.name).where(
                HumanTask.instance_id == instance_id, HumanTask.state.in_(("open", "claimed"))
            )
        )
    )
    found["incident"] |= _incidents(session, instance_id, tasks)
    if row.status == "cancelled":  # withdrawn or revoked: nothing is under way any more
        found["current"].clear()
        found["pending"].clear()
    found["current"] -= found["incident"]
    _follow_flows(found, graph(_process_file(d.files or {}, d.key), d.key))
    found["completed"] -= found["current"] | found["incident"]
    found["pending"] -= found["completed"] | found["current"] | found["incident"]
    return {kind: sorted(ids) for kind, ids in found.items()}


def _armed_boundary(task) -> bool:
    """A boundary event waiting beside its activity (a deadline timer, say) may fire: ahead, not current."""
    return task.state == engine.TaskState.WAITING and isinstance(task.task_spec, BoundaryEvent)


def _completed_elsewhere(session: Session, instance_id: int) -> set[str]:
    """Elements finished before the stored state was pruned: completed human steps, marked nodes."""
    done = set(
        session.scalars(
            select(HumanTask.name).where(
                HumanTask.instance_id == instance_id,
                HumanTask.state == "completed",
                or_(HumanTask.action.is_(None), HumanTask.action != SENT_BACK),
            )
        )
    )
    for after in session.scalars(
        select(AuditEvent.data_after).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "case_status"
        )
    ):
        node = after.get("node") if isinstance(after, dict) else None
        if isinstance(node, str) and node:
            done.add(node)
    return done


def _incidents(session: Session, instance_id: int, tasks: list) -> set[str]:
    """Elements a failed job (an incident) was to run: the task it released, else the engine tasks it was
    stuck on (ready, not waiting for a person)."""
    jobs = session.scalars(select(Job).where(Job.instance_id == instance_id, Job.status == "incident")).all()
    by_id = {str(t.id): t for t in tasks}
    found: set[str] = set()
    for job in jobs:
        task = by_id.get(str((job.payload or {}).get("release") or ""))
        if task is not None and task.task_spec.bpmn_id:
            found.add(task.task_spec.bpmn_id)
            continue
        found |= {
            t.task_spec.bpmn_id
            for t in tasks
            if t.state == engine.TaskState.READY and not t.task_spec.manual and t.task_spec.bpmn_id
        }
    return found


def _follow_flows(found: dict[str, set[str]], process: Graph) -> None:
    """Complete the path: the process's only start event began it; a node reached by a single sequence
    flow was reached through it (so its source is done too); and a flow between two done nodes, or from a
    done node into a current one, was taken."""
    incoming: dict[str, list[Flow]] = {}
    for flow in process.flows:
        incoming.setdefault(flow.target, []).append(flow)
    done = found["completed"]
    reached = done | found["current"] | found["incident"]
    if len(process.starts) == 1 and reached:
        done.add(process.starts[0])
    taken: set[str] = set()
    queue = list(reached)
    while queue:
        node = queue.pop()
        into = incoming.get(node, [])
        if len(into) != 1:
            continue
        taken.add(into[0].id)
        if into[0].source not in done:
            done.add(into[0].source)
            queue.append(into[0].source)
    reached = done | found["current"] | found["incident"]
    taken |= {f.id for f in process.flows if f.source in done and f.target in reached}
    done |= taken


class FinishedStep(TypedDict):
    task: int | None
    node: str | None
    title: str | None
    group: str | None
    action: str
    by: str | None
    at: str
    opinion: str | None
    outcome: str | None
    data: dict
    form_schema: dict | None
    ui_schema: dict | None


class Steps(TypedDict):
    process: str
    version: int
    application: dict
    steps: list[FinishedStep]
    catalog: dict | None


def steps(session: Session, instance_id: int) -> Steps:
    """What the case recorded, for its page: the application (start data), every finished step with the
    data it entered and its form (from the instance's version), and the item's catalog entry."""
    row, d = _instance(session, instance_id)
    titles = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id))}
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance_id, AuditEvent.action.in_(("start", *STEP_ACTIONS)))
        .order_by(AuditEvent.id)
    ).all()
    application: dict = {}
    finished: list[FinishedStep] = []
    for e in events:
        if e.action == "start":
            application = {k: v for k, v in (e.data_after or {}).items() if k != "item"}
            continue
        task = titles.get(e.task_id) if e.task_id is not None else None
        finished.append(
            {
                "task": e.task_id,
                "node": task.name if task else None,
                "title": (task.title or task.name) if task else None,
                "group": task.candidate_group if task else None,
                "action": e.action,
                "by": e.actor,
                "at": e.at.isoformat(),
                "opinion": e.opinion or (task.opinion if task else None),
                "outcome": task.action if task else None,
                "data": e.data_after or {},
                "form_schema": d.forms.get(task.form_key) if task and task.form_key else None,
                "ui_schema": d.forms.get(task.ui_form_key) if task and task.ui_form_key else None,
            }
        )
    return {
        "process": d.key,
        "version": d.version,
        "application": application,
        "steps": finished,
        "catalog": d.catalog,
    }
