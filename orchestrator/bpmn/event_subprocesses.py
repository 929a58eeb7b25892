"""Event sub-processes as BPMN runs them, where SpiffWorkflow 3.2 leaves a rule out:

- an error or escalation start event waits for its error or escalation (3.2 reads it as a plain start, so
  the sub-process would run as soon as the process starts);
- an interrupting start (BPMN's default, `isInterrupting="true"`) cancels the rest of its process when it
  fires (3.2 runs the sub-process beside it);
- a process with nothing left to do but wait for an event sub-process's timer ends, and the timer is
  withdrawn (3.2 keeps the process open until the timer fires);
- the message starts of event sub-processes in a running sub-process or called process wait too (3.2 only
  listens for those of the top process).

The parser marks the start events of event sub-processes (`EventSubprocessStart`, kept by the serializer
with whether it interrupts); `settle` applies the rules after every engine run (`engine.run_engine`).
"""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.serializer.default.task_spec import EventConverter
from SpiffWorkflow.bpmn.specs.control import _EndJoin  # the join before a process's end (SpiffWorkflow 3.2)
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.spiff.parser.event_parsers import SpiffStartEventParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

INTERRUPTED = "onewindow_interrupted"  # marks an event sub-process whose interruption was applied


class EventSubprocessStart(StartEvent):
    """The start event of an event sub-process, knowing whether it interrupts its process."""

    def __init__(self, wf_spec, bpmn_id, event_definition, interrupting: bool = True, **kwargs):
        super().__init__(wf_spec, bpmn_id, event_definition, **kwargs)
        self.interrupting = interrupting


class EventSubprocessStartConverter(EventConverter):
    def to_dict(self, spec: EventSubprocessStart) -> dict:
        dct = super().to_dict(spec)
        dct["interrupting"] = spec.interrupting
        return dct


class StartEventParser(SpiffStartEventParser):
    """Start events; in an event sub-process also error and escalation starts, and whether it interrupts."""

    def create_task(self):
        in_event_subprocess = self.node.getparent().get("triggeredByEvent") == "true"
        paths = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH]
        if in_event_subprocess:
            paths += [ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]
            self.spec_class = EventSubprocessStart
        task = self._create_task(self.get_event_definition(paths))
        if in_event_subprocess:
            task.interrupting = (self.node.get("isInterrupting") or "true").strip().lower() == "true"
        self.spec.start.connect(task)
        return task


SERIALIZER_CONFIG = {EventSubprocessStart: EventSubprocessStartConverter}


# ---- running ------------------------------------------------------------------------------------------


def settle(wf: BpmnWorkflow) -> bool:
    """Apply the rules above once; True when something was cancelled (run the engine again).

    Works on each process's own tasks, not from its start task: finished history is pruned."""
    changed = False
    for workflow in (wf, *wf.subprocesses.values()):
        if workflow.is_completed():
            continue
        starts = {t: s for t in workflow.tasks.values() if (s := _start_of(wf, t)) is not None}
        starts = {t: s for t, s in starts.items() if not t.has_state(TaskState.CANCELLED)}
        for task, spec in starts.items():
            if spec.interrupting and _fired(wf, task) and not task.internal_data.get(INTERRUPTED):
                task.internal_data[INTERRUPTED] = True
                changed |= _cancel([t for t in _open(workflow) if not _within(t, task)])
        rest = [t for t in _open(workflow) if not any(_within(t, e) for e in starts)]
        if not rest:  # the process's own flow is done: starts that never fired never will
            withdrawn = [e for e in starts if not _fired(wf, e) and not e.has_state(TaskState.FINISHED_MASK)]
            changed |= _cancel(withdrawn)
    if changed:  # the joins before each end wait for every branch: let them see the cancelled ones
        for workflow in (wf, *wf.subprocesses.values()):
            for t in list(workflow.tasks.values()):
                if isinstance(t.task_spec, _EndJoin) and t.has_state(TaskState.WAITING | TaskState.FUTURE):
                    t.task_spec._update(t)
    return changed


def _start_of(wf: BpmnWorkflow, task: Task) -> EventSubprocessStart | None:
    """The start event of the event sub-process this task runs, or None for any other task."""
    sub_spec = wf.subprocess_specs.get(getattr(task.task_spec, "spec", None) or "")
    if sub_spec is None:
        return None
    return next((s for s in sub_spec.task_specs.values() if isinstance(s, EventSubprocessStart)), None)


def _fired(wf: BpmnWorkflow, task: Task) -> bool:
    sub = wf.subprocesses.get(task.id)
    if sub is None:
        return task.has_state(TaskState.COMPLETED)
    return any(
        isinstance(t.task_spec, EventSubprocessStart) and t.has_state(TaskState.COMPLETED)
        for t in sub.tasks.values()
    )


def _open(workflow) -> list[Task]:
    """The process's unfinished tasks, but its end (the join that waits for every branch, and the end
    task after it)."""
    return [
        t
        for t in workflow.tasks.values()
        if not t.has_state(TaskState.FINISHED_MASK)
        and not isinstance(t.task_spec, _EndJoin)
        and not any(isinstance(spec, _EndJoin) for spec in t.task_spec.inputs)
    ]


def _within(task: Task, ancestor: Task) -> bool:
    while task is not None:
        if task is ancestor:
            return True
        task = task.parent
    return False


def _cancel(tasks: list[Task]) -> bool:
    for t in tasks:
        if not t.has_state(TaskState.FINISHED_MASK):
            t.cancel()
    return bool(tasks)


def waiting_message_starts(wf: BpmnWorkflow) -> list[tuple[object, str, MessageEventDefinition]]:
    """(workflow, event sub-process, message) for each message start that waits: those of the top process
    and of every running sub-process or called process."""
    found = []
    for workflow in (wf, *wf.subprocesses.values()):
        if workflow is not wf and workflow.is_completed():
            continue
        for name in getattr(workflow.spec.start, "trigger_specs", []) or []:
            sub_spec = wf.subprocess_specs.get(name)
            for start in getattr(sub_spec, "bpmn_start_events", []) if sub_spec is not None else []:
                if isinstance(start.event_definition, MessageEventDefinition):
                    found.append((workflow, name, start.event_definition))
    return found


def trigger(workflow, name: str) -> None:
    """Start event sub-process `name` of a sub-process or called process, waiting at its start event (what
    SpiffWorkflow does for the top process when an event comes, `EventManager.update_collaboration`)."""
    workflow.spec.start.trigger_wf(workflow.task_tree, name)
