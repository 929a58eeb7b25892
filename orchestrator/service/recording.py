"""Recording a process test (流程测试, `deploy.process_tests`) from a case's real history, so an analyst turns
what happened to a case into a test without writing it: the start data and the starter's group, each step a
clerk finished (in order, with the data submitted, the action — complete, reject, supplement, send_back — and
the reason), a wait wherever a timer fired, and what the case reached (the path, the end, its status code and
promised due date), run on the day the case was accepted.

The history is read from the audit trail (who did what, with which data), the task rows (which element each
step was) and the job table (which timers fired, and when they were due). A test always runs its steps a
minute apart, while a real case may take days between two steps; a wait is therefore as long as the timer
took in the case, counted from the step that set it, and rounded up (to whole days, hours or minutes).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from lxml import etree
from SpiffWorkflow.task import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.bpmn import engine
from orchestrator.core.clock import now
from orchestrator.core.errors import InvalidInput, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import definitions, process_tests
from orchestrator.gov import clerk
from orchestrator.gov.deadlines import china_date
from orchestrator.gov.vocabulary import STATUS
from orchestrator.identity import groups
from orchestrator.runtime import progress
from orchestrator.store.models import (
    AuditEvent,
    CasePause,
    HumanTask,
    Job,
    ProcessDefinition,
    ProcessInstance,
    ServiceCase,
)

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
STEP_ACTIONS = ("complete", "reject", "supplement", "send_back")  # audit actions that finish a step
NOT_REPLAYABLE = ("message", "withdraw", "revoke")  # what a test cannot do (yet)
STEP_GAP = timedelta(minutes=1)  # the runner's time between two steps (service.testing)
CHINA = timedelta(hours=8)
START_HOUR = timedelta(hours=9)  # a test starts at 09:00 Beijing on its day (service.testing)


def record(session: Session, case: str | int) -> dict:
    """The process test of a case (its case number) or of a plain process's instance (its id), checked with
    `process_tests.load` (so it always loads); NotFound when there is no such case, InvalidInput when its
    history holds what a test cannot do (a message, a withdrawal)."""
    row, found = _instance_of(session, case)
    d = session.get_one(ProcessDefinition, row.definition_id)
    rt = definitions.runtime(session, d.id, d.checksum)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == row.id).order_by(AuditEvent.id)
    ).all()
    refused = sorted({e.action for e in events if e.action in NOT_REPLAYABLE})
    if refused:
        raise InvalidInput(
            Problem(
                _(
                    "a process test cannot replay this case: its history holds {actions}",
                    actions=", ".join(refused),
                ),
                field="case",
            )
        )
    tasks = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == row.id)).all()}
    timers = session.scalars(
        select(Job)
        .where(Job.instance_id == row.id, Job.kind == "timer", Job.status == "done")
        .order_by(Job.done_at, Job.id)
    ).all()
    start = next((e for e in events if e.action == "start"), None)
    data = dict((start.data_after if start else None) or {})
    if rt.catalog is not None:
        data.pop("item", None)  # the item's facts, added again at every start
    replay = _Replay(row.started_at if start is None else start.at)
    steps: list[dict] = []
    accepted_rel: timedelta | None = None
    for event in events:
        if event.action in STEP_ACTIONS and event.task_id in tasks:
            steps += replay.waits_until(event.at, timers)
            steps.append(_step(event, tasks[event.task_id], rt))
            replay.stepped(event.at)
        elif event.action == "case_status" and (event.data_after or {}).get("status") == 3:
            accepted_rel = replay.last if accepted_rel is None else accepted_rel
    steps += replay.waits_until(None, timers)

    test: dict[str, Any] = {"title": _title(found, row), "accepted_on": _day(found, row, accepted_rel)}
    start_part: dict[str, Any] = {"data": data}
    starter = _starter_group(session, row.started_by, d, tasks)
    if starter:
        start_part["as"] = starter
    test["start"] = start_part
    test["steps"] = steps
    expect: dict[str, Any] = {"path": [s["task"] for s in steps if "task" in s]}
    end = _end_reached(session, row, d, rt)
    if end:
        expect["end"] = end
    if found is not None:
        expect["status_code"] = found.status_code
        if found.promised_due and _due_reproducible(session, found, timers):
            expect["promised_due"] = found.promised_due.isoformat()
    test["expect"] = expect
    name = f"{found.case_number if found else row.id}.json"
    loaded, problems = process_tests.load(name, json.dumps(test, ensure_ascii=False).encode("utf-8"))
    if loaded is None:
        raise InvalidInput(problems)
    return loaded


def _instance_of(session: Session, case: str | int) -> tuple[ProcessInstance, ServiceCase | None]:
    if isinstance(case, int):
        row = session.get(ProcessInstance, case)
        if row is None:
            raise NotFound(_("no instance {id}", id=case))
        found = session.scalars(select(ServiceCase).where(ServiceCase.instance_id == row.id)).first()
        return row, found
    found = session.scalars(select(ServiceCase).where(ServiceCase.case_number == case)).first()
    if found is None:
        raise NotFound(_("no case {number}", number=case))
    return session.get_one(ProcessInstance, found.instance_id), found


class _Replay:
    """The case's times against the test's: the test starts at 0 and runs each step a minute after the
    last; `marks` pairs each step's real time with its time in the test (from the start)."""

    def __init__(self, started_at: datetime):
        self.rel = timedelta(0)  # the test's clock, from its start
        self.last = timedelta(0)  # when the test's last action happened
        self.marks: list[tuple[datetime, timedelta]] = [(started_at, timedelta(0))]
        self.fired: set[int] = set()

    def stepped(self, at: datetime) -> None:
        self.marks.append((at, self.rel))
        self.last = self.rel
        self.rel += STEP_GAP

    def waits_until(self, before: datetime | None, timers: Any) -> list[dict]:
        """A wait for each timer that fired before `before` (None: any time), not waited for yet."""
        waits = []
        for job in timers:
            if job.id in self.fired or job.done_at is None or (before is not None and job.done_at > before):
                continue
            self.fired.add(job.id)
            set_at, set_rel = max(
                (m for m in self.marks if m[0] <= job.created_at), default=self.marks[0], key=lambda m: m[0]
            )
            wait = _rounded(set_rel + (job.due_at - set_at) - self.rel)
            waits.append({"wait": _iso(wait)})
            self.rel += wait
            self.last = self.rel
            self.marks.append((job.done_at, self.rel))  # a timer that fired may set the next
        return waits


def _rounded(wait: timedelta) -> timedelta:
    """Up to whole days (a day or more), hours (an hour or more) or minutes (at least one)."""
    for unit in (timedelta(days=1), timedelta(hours=1)):
        if wait >= unit:
            return unit * math.ceil(wait / unit)
    return timedelta(minutes=max(1, math.ceil(wait / timedelta(minutes=1))))


def _iso(wait: timedelta) -> str:
    if wait % timedelta(days=1) == timedelta(0):
        return f"P{wait.days}D"
    if wait % timedelta(hours=1) == timedelta(0):
        return f"PT{wait // timedelta(hours=1)}H"
    return f"PT{wait // timedelta(minutes=1)}M"


def _step(event: AuditEvent, task: HumanTask, rt: definitions.Runtime) -> dict:
    step: dict[str, Any] = {"task": task.name}
    if event.action != "complete":
        step["action"] = event.action
        step["reason"] = (event.opinion or "").strip() or "—"
    if event.action == "send_back":
        return step
    data = dict(event.data_after or {})
    if event.action in ("reject", "supplement"):  # what the clerk typed, without what the action adds
        preset = _preset(rt, task.name, event.action) or {}
        data = {k: v for k, v in data.items() if k not in preset or preset[k] != v}
        for name in clerk.REASON_FIELDS:
            if name in data and data[name] == event.opinion:
                del data[name]
    if data:
        step["data"] = data
    return step


def _preset(rt: definitions.Runtime, element: str, kind: str) -> dict | None:
    for spec in (rt.specs.process, *rt.specs.subprocesses.values()):
        for task_spec in getattr(spec, "task_specs", {}).values():
            if getattr(task_spec, "bpmn_id", None) == element:
                return clerk.preset(cast(Task, SimpleNamespace(task_spec=task_spec)), rt, kind)
    return None


def _title(found: ServiceCase | None, row: ProcessInstance) -> str:
    if found is None:
        return str(_("recorded from instance {id}", id=row.id))
    return str(
        _(
            "recorded from case {number} ({status})",
            number=found.case_number,
            status=STATUS.get(found.status_code, found.status_code),
        )
    )


def _day(found: ServiceCase | None, row: ProcessInstance, accepted_rel: timedelta | None) -> str:
    """The test's day: the case is accepted in the test on the day it was accepted (the promised due date
    counts from it), or received on the day it was received."""
    if found is not None and found.accepted_at is not None and accepted_rel is not None:
        accepted = china_date(found.accepted_at)
        base = datetime(2000, 1, 3) + START_HOUR
        shift = ((base + accepted_rel).date() - base.date()).days
        return (accepted - timedelta(days=shift)).isoformat()
    received: datetime = found.received_at if found is not None else row.started_at
    return china_date(received).isoformat()


def _starter_group(
    session: Session, user: str | None, d: ProcessDefinition, tasks: dict[int, HumanTask]
) -> str | None:
    """The starter's group: the group of the case's first step if the starter is in it, else one of the
    diagram's lanes the starter is in, else the starter's first group (none for a starter in no group)."""
    if not user:
        return None
    mine = sorted({code for code, _path in groups.memberships(session, user)})
    first = min(tasks.values(), key=lambda t: t.id).candidate_group if tasks else None
    for wanted in ([first] if first else []) + sorted(set((d.lanes or {}).values())):
        if wanted in mine:
            return wanted
    return mine[0] if mine else None


def _end_reached(
    session: Session, row: ProcessInstance, d: ProcessDefinition, rt: definitions.Runtime
) -> str | None:
    """The end event the case reached last (None while it reached none)."""
    ends = _end_events(d.files or {})
    completed = [e for e in progress.marks(session, row.id)["completed"] if e in ends]
    if len(completed) <= 1:
        return completed[0] if completed else None
    wf = engine.load(row.state, rt.specs)
    when = {
        t.task_spec.bpmn_id: t.last_state_change
        for w in (wf, *wf.subprocesses.values())
        for t in w.tasks.values()
        if t.task_spec.bpmn_id in ends and t.state == engine.TaskState.COMPLETED
    }
    return max(sorted(completed), key=lambda e: when.get(e, 0))


def _end_events(files: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for name, text in files.items():
        if name.endswith(".bpmn"):
            root = etree.fromstring(
                text.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
            )
            found |= {e.get("id") or "" for e in root.iter(f"{{{BPMN}}}endEvent")}
    return found - {""}


def _due_reproducible(session: Session, case: ServiceCase, timers: Any) -> bool:
    """Whether the test, whose steps are a minute apart, would count the same promised due date: not when
    the case stood paused after acceptance across days that no timer (a wait in the test) accounts for."""
    accepted = case.accepted_at
    if accepted is None:
        return True
    for pause in session.scalars(select(CasePause).where(CasePause.case_id == case.id)):
        ended = pause.ended_at or now()
        if ended <= accepted:
            continue
        began = max(pause.started_at, accepted)
        if china_date(ended) == china_date(began):
            continue
        if not any(j.done_at is not None and began <= j.done_at <= ended for j in timers):
            return False
    return True
