"""SpiffWorkflow, wrapped: build, load, step and dump workflows with the spec kept out of instance state.

The spec of a version is serialized once at deploy time and restored once per process (cached by
definition id); an instance's state is SpiffWorkflow's own serialization minus the spec.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from orchestrator.bpmn import event_subprocesses, sandbox, services, timers
from orchestrator.core import clock, logs

clock.install()
timers.install()
logs.quiet_spiff()  # also without logs.configure(): a library user gets no per-step INFO lines either


class _StatelessSpecConverter(BpmnWorkflowConverter):
    """Leaves the specs out of `to_dict` and takes already-restored spec objects in `from_dict`."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        workflow = self.target_class(dct.pop("spec"), dct.pop("subprocess_specs"), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _CompactTaskConverter(TaskConverter):
    """Spiff stores a task's data as a delta against its parent, which for a predicted task with no data
    lists every parent key as deleted: quadratic in the data of a long diagram. Empty data is stored empty."""

    def to_dict(self, task):
        if task.data or task.parent is None:
            return super().to_dict(task)
        return {
            "id": str(task.id),
            "parent": str(task._parent),
            "children": [str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": {},
            "delta": {},
        }


def prune_history(wf: BpmnWorkflow) -> int:
    """Drop finished tasks above the point where all unfinished work branches off, keeping the latest
    finished user task on the way there (and its parent) so that a step can be sent back to it.

    SpiffWorkflow keeps every task it ever ran in the instance state, so each step would cost more as
    history grows. Nothing it still needs lives above that point (joins, boundary events and inherited
    data all sit below it); the history itself is kept in the audit trail. Returns the tasks dropped.
    """
    unfinished_below: dict[UUID, int] = {}
    for task in reversed(list(_preorder(wf.task_tree))):
        own = 0 if task.has_state(TaskState.FINISHED_MASK) else 1
        unfinished_below[task.id] = own + sum(unfinished_below[c] for c in task._children)
    total = unfinished_below[wf.task_tree.id]
    if total == 0:
        return 0
    root = wf.task_tree
    anchor = None  # the parent of the latest finished user task: 退回 (send back) resets to that task
    while True:
        heavy = [c for c in root.children if unfinished_below[c.id] == total]
        if len(heavy) != 1 or not heavy[0].has_state(TaskState.FINISHED_MASK):
            break
        if heavy[0].task_spec.manual:
            anchor = root
        root = heavy[0]
    root = anchor or root
    if root is wf.task_tree:
        return 0
    keep = {t.id for t in _preorder(root)}
    dropped = [tid for tid in wf.tasks if tid not in keep]
    for tid in dropped:
        del wf.tasks[tid]
    root._parent = None
    wf.task_tree = root
    if wf.last_task is not None and wf.last_task.id not in keep:
        wf.last_task = None
    for tid in [tid for tid, sp in wf.subprocesses.items() if tid in dropped]:
        del wf.subprocesses[tid]
    return len(dropped)


def _preorder(task: Task):
    stack = [task]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


_CONFIG = {**SPIFF_CONFIG, **services.SERIALIZER_CONFIG}


def _make_serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure(_CONFIG)
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _make_serializer()
_STATE_REGISTRY = BpmnWorkflowSerializer.configure(_CONFIG)
_STATE_CONVERTER = _StatelessSpecConverter(BpmnWorkflow, _STATE_REGISTRY)
_CompactTaskConverter(Task, _STATE_REGISTRY)
_STATE_ENCODER = create_encoder(_STATE_REGISTRY, None)


@dataclass
class Specs:
    """A version's restored, shared, read-only specs, with what the store must track for them."""

    process: object
    subprocesses: dict
    has_timers: bool = False
    has_messages: bool = False

    def __post_init__(self):
        for spec in (self.process, *self.subprocesses.values()):
            for task_spec in spec.task_specs.values():
                definition = getattr(task_spec, "event_definition", None)
                self.has_timers |= isinstance(definition, TimerEventDefinition)
                self.has_messages |= isinstance(definition, MessageEventDefinition)


def specs_to_json(process_spec, subprocess_specs: dict) -> str:
    return json.dumps(
        {
            "spec": SERIALIZER.to_dict(process_spec),
            "subprocess_specs": {k: SERIALIZER.to_dict(v) for k, v in subprocess_specs.items()},
            SERIALIZER.VERSION_KEY: SERIALIZER.VERSION,
        }
    )


def specs_from_json(text: str) -> Specs:
    dct = json.loads(text)
    return Specs(
        SERIALIZER.from_dict(dct["spec"]),
        {k: SERIALIZER.from_dict(v) for k, v in dct["subprocess_specs"].items()},
    )


def new_workflow(specs: Specs) -> BpmnWorkflow:
    return BpmnWorkflow(specs.process, specs.subprocesses, script_engine=sandbox.script_engine())


def dump(wf: BpmnWorkflow) -> str:
    """Instance state without the spec and without finished history (see `prune_history`)."""
    prune_history(wf)
    _STATE_REGISTRY._encoder_mode = True
    try:
        dct = _STATE_CONVERTER.to_dict(wf)
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        return json.dumps(dct, separators=(",", ":"), cls=_STATE_ENCODER)
    finally:
        _STATE_REGISTRY._encoder_mode = False


def load(state: str, specs: Specs) -> BpmnWorkflow:
    dct = json.loads(state)
    if dct.get(SERIALIZER.VERSION_KEY) != SERIALIZER.VERSION:
        raise RuntimeError(
            f"instance state has serializer version {dct.get(SERIALIZER.VERSION_KEY)}; "
            f"migrate it before loading"
        )
    dct.pop(SERIALIZER.VERSION_KEY)
    dct["spec"] = specs.process
    dct["subprocess_specs"] = specs.subprocesses
    wf = _STATE_CONVERTER.from_dict(dct)
    wf.script_engine = sandbox.script_engine()
    _reconnect_event_subprocesses(wf)
    return wf


def _reconnect_event_subprocesses(wf: BpmnWorkflow) -> None:
    """When a message or signal starts an event sub-process, SpiffWorkflow connects its spec to the process's
    start and end there and then (`BpmnStartTask.trigger_wf`), in memory only: on a spec restored from the
    store that connection is missing, and the sub-process's end fails ("No input task connected") or the
    instance never completes. Make it again for every event sub-process the instance has started."""
    for workflow in (wf, *wf.subprocesses.values()):
        start = getattr(workflow.spec, "start", None)
        names = set(getattr(start, "trigger_specs", None) or ())
        if start is None or not names:
            continue
        for task in workflow.tasks.values():
            spec = task.task_spec
            if spec.name in names and start not in spec.inputs:
                start.connect(spec)
                spec.connect(workflow.spec.end)


# ---- stepping -------------------------------------------------------------------------------------


MAX_ENGINE_TASKS = 5_000  # tasks one step may run: more is a loop (a zero-interval cycle, say), not work


class EngineRunaway(Exception):
    """A step ran more engine tasks than any diagram needs: it is stopped, and becomes an incident."""


class AsyncBoundary(Exception):
    """Raised before running a task marked async: the rest of the steps become a job."""

    def __init__(self, task: Task):
        super().__init__(task.task_spec.bpmn_id)
        self.task = task


def is_async(task: Task) -> bool:
    props = getattr(task.task_spec, "extensions", {}).get("properties", {}) or {}
    return str(props.get("async", "")).lower() in ("true", "1", "yes")


def run_engine(wf: BpmnWorkflow, released: frozenset[str] = frozenset()) -> str | None:
    """Run engine tasks to the next wait state; stop before an async task not yet released.

    Returns the id of the async task the engine stopped at, or None when it reached a wait state.
    """

    count = 0

    def will_complete(task: Task) -> None:
        nonlocal count
        count += 1
        if count > MAX_ENGINE_TASKS:
            raise EngineRunaway(
                f"more than {MAX_ENGINE_TASKS} engine tasks in one step (at {task.task_spec.bpmn_id})"
            )
        if is_async(task) and str(task.id) not in released:
            raise AsyncBoundary(task)

    try:
        wf.do_engine_steps(will_complete_task=will_complete)
        while event_subprocesses.settle(wf):  # an interruption, or a process left waiting for nothing
            wf.refresh_timers()
            wf.do_engine_steps(will_complete_task=will_complete)
    except AsyncBoundary as stop:
        wf.refresh_timers()
        return str(stop.task.id)
    return None


def ready_human_tasks(wf: BpmnWorkflow) -> list[Task]:
    return wf.get_tasks(state=TaskState.READY, manual=True)


def ready_ids(wf: BpmnWorkflow) -> set[str]:
    return {str(t.id) for t in ready_human_tasks(wf)}


@dataclass(frozen=True)
class Snapshot:
    """What a step starts from: the open human tasks and the tasks already completed."""

    ready: frozenset[str]
    completed: frozenset[str]


def snapshot(wf: BpmnWorkflow, completing: str | None = None, *, marks: bool = True) -> Snapshot:
    """Taken before a step; `completing` is the human task the step itself completes. Without `marks`
    (a process that is no service item) completed tasks are not listed: no case will read them."""
    ready = ready_ids(wf) - {completing}
    completed = {str(t.id) for t in wf.get_tasks(state=TaskState.COMPLETED)} if marks else set()
    return Snapshot(frozenset(ready), frozenset(completed))


@dataclass(frozen=True)
class Milestone:
    """A flow node marked with a milestone property (`spiffworkflow:property`) that completed."""

    node: str
    value: str
    properties: dict
    data: dict


def milestones(wf: BpmnWorkflow, before: Snapshot, marker: str) -> list[Milestone]:
    """Flow nodes marked with the `marker` property completed by this step, in the order they completed."""
    done = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if str(t.id) not in before.completed]
    found = []
    for task in sorted(done, key=lambda t: t.last_state_change):
        props = getattr(task.task_spec, "extensions", {}).get("properties", {}) or {}
        if marker in props:
            found.append(
                Milestone(
                    task.task_spec.bpmn_id or task.task_spec.name,
                    str(props[marker]),
                    dict(props),
                    dict(task.data),
                )
            )
    return found


def reset_to(wf: BpmnWorkflow, task: Task) -> None:
    """Make a finished task ready again (退回), dropping what came after it. SpiffWorkflow's event
    manager keeps the dropped waiting events (e.g. a boundary timer), so forget those too."""
    task.workflow.reset_from_task_id(task.id)
    manager = wf.event_manager
    for gone in [tid for tid, t in manager.tasks.items() if tid not in t.workflow.tasks]:
        del manager.tasks[gone]


class DataRefused(Exception):
    """The engine refused a human task's data as the diagram declares it (a data output, a multi-instance
    output item …): `field` is the variable it wanted, `detail` the engine's words."""

    def __init__(self, field: str | None, detail: str):
        super().__init__(detail)
        self.field = field
        self.detail = detail


def run_task(task: Task) -> None:
    """Complete a ready human task; a data error of the diagram's declarations is a DataRefused."""
    try:
        task.run()
    except WorkflowDataException as exc:
        spec = getattr(exc, "data_output", None) or getattr(exc, "data_input", None)
        failed = getattr(exc, "task", None)
        for owner in (failed, getattr(failed, "parent", None)):  # the instance, or its multi-instance task
            item = getattr(getattr(owner, "task_spec", None), "output_item", None)
            if item is not None and "output item" in str(exc):  # a multi-instance step's own output
                spec = item
                break
        field = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
        raise DataRefused(field, str(exc).split("\n")[0].rstrip(". ")) from None


def find_task(wf: BpmnWorkflow, spiff_task_id: str) -> Task | None:
    return wf.get_task_from_id(UUID(spiff_task_id))


def properties(task: Task) -> dict:
    """The `spiffworkflow:properties` the diagram gives the task's element."""
    return getattr(task.task_spec, "extensions", {}).get("properties", {}) or {}


def variable(task: Task, name: str) -> Any:
    """A variable as the step sees it: its data, else the data object of that name (Camunda keeps data objects
    as variables; SpiffWorkflow keeps them apart, in the process that declares them)."""
    if name in task.data:
        return task.data[name]
    wf = task.workflow
    while wf is not None:
        if name in wf.data_objects:
            return wf.data_objects[name]
        wf = wf.parent_workflow
    return None


def task_form(task: Task) -> tuple[str | None, str | None]:
    props = properties(task)
    return props.get("formJsonSchemaFilename"), props.get("formUiSchemaFilename")


def next_timer_due(wf: BpmnWorkflow) -> datetime | None:
    """The earliest due time of the timers the workflow waits on (naive UTC)."""
    due = []
    for task in wf.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = definition.details(task).value
        if value is None:
            continue
        when = TimerEventDefinition.get_datetime(value) if isinstance(value, str) else value
        if when.tzinfo is not None:  # "…+08:00": the same instant in naive UTC, the store's convention
            when = when.astimezone(UTC).replace(tzinfo=None)
        due.append(when)
    return min(due) if due else None


def fire_timers(wf: BpmnWorkflow) -> None:
    wf.refresh_timers()


@dataclass
class Subscription:
    message_name: str
    correlation: str  # canonical JSON of expected property values
    expressions: dict[str, str]


def waiting_messages(wf: BpmnWorkflow) -> list[Subscription]:
    subs = []
    for task in wf.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        expressions = {p.name: p.retrieval_expression for p in definition.correlation_properties}
        subs.append(Subscription(definition.name, correlation_of(expressions, task.data), expressions))
    if not wf.completed:
        for _workflow, _name, definition in event_subprocesses.waiting_message_starts(wf):
            expressions = {p.name: p.retrieval_expression for p in definition.correlation_properties}
            subs.append(Subscription(definition.name, correlation_of(expressions, wf.data), expressions))
    return subs


def correlation_of(expressions: dict[str, str], data: dict) -> str:
    values = {}
    for name, expression in sorted(expressions.items()):
        try:
            values[name] = sandbox.evaluate(expression, dict(data))
        except sandbox.SandboxError:
            values[name] = None
    return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)


def deliver_message(wf: BpmnWorkflow, name: str, payload: dict) -> bool:
    """Hand a message to the instance's waiting catch event; False if it does not wait for it."""
    waiting = [task.task_spec.event_definition for task in list(wf.event_manager.tasks.values())]
    starts = event_subprocesses.waiting_message_starts(wf) if not wf.completed else []
    waiting += [definition for workflow, _name, definition in starts if workflow is wf]

    def event(definition: MessageEventDefinition) -> BpmnEvent:
        properties = definition.correlation_properties
        return BpmnEvent(
            definition, payload, definition.calculate_correlations(wf.script_engine, properties, payload)
        )

    for definition in waiting:
        if isinstance(definition, MessageEventDefinition) and definition.name == name:
            wf.send_event(event(definition))
            return True
    for workflow, esp, definition in starts:  # an event sub-process of a running sub-process or called one
        if workflow is not wf and definition.name == name:
            event_subprocesses.trigger(workflow, esp)
            wf.event_manager.catch(event(definition), internal=False)
            return True
    return False


def is_ready_human(task: Task) -> bool:
    return task.state == TaskState.READY and task.task_spec.manual
