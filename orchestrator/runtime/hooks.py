"""Instance hooks: how a domain follows its instances without the runtime knowing the domain.

The runtime calls the installed hooks at fixed points of a step, in the step's transaction, the way
SpiffArena's engine calls its step delegate. The government domain (`orchestrator.gov`) installs hooks
that open a case when an item starts, move it through the status codes its diagram marks, and give each
new step its due time. Without hooks an instance is a plain process.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from sqlalchemy.orm import Session

from orchestrator.bpmn.engine import Milestone

if TYPE_CHECKING:
    from SpiffWorkflow.task import Task

    from orchestrator.deploy.definitions import Runtime


class Opened(TypedDict, total=False):
    """What opening an instance made, added to the start result."""

    case_number: str | None


class InstanceHooks:
    """The points a domain may hook into; every method's default does nothing."""

    milestone_property: str | None = None
    """The `spiffworkflow:property` that marks a flow node as a milestone (its value is reported)."""

    def start_data(self, rt: Runtime, data: dict) -> dict:
        """The data an instance of `rt` starts with (e.g. the catalog facts a diagram may read)."""
        return data

    def opened(
        self, session: Session, instance_id: int, rt: Runtime, data: dict, actor: str | None
    ) -> Opened:
        """An instance was stored; what is returned joins the start result (e.g. a case number)."""
        return {}

    def milestones_marked(
        self, session: Session, instance_id: int, marked: Sequence[Milestone], rt: Runtime, actor: str | None
    ) -> None:
        """Marked flow nodes completed in this step, in the order they completed."""

    def step_due(
        self, session: Session, instance_id: int, group: str | None, rt: Runtime, properties: dict
    ) -> datetime | None:
        """When a new human task is due (None: no due time); `properties` are its diagram's properties."""
        return None

    def task_actions(self, spiff_task: Task, rt: Runtime) -> list[str]:
        """Actions beyond claim, complete, transfer and comment that an open task offers."""
        return []


_installed = InstanceHooks()


def install(hooks: InstanceHooks) -> None:
    """Make `hooks` the instance hooks of this process (one domain at a time)."""
    global _installed
    _installed = hooks


def current() -> InstanceHooks:
    return _installed
