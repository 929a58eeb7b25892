"""The government domain's instance hooks: a service item's instance is a case (办件)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from SpiffWorkflow.task import Task
from sqlalchemy.orm import Session

from orchestrator.bpmn.engine import Milestone
from orchestrator.deploy.definitions import Runtime
from orchestrator.gov import cases, clerk, deadlines, milestones
from orchestrator.runtime.hooks import InstanceHooks, Opened


class CaseHooks(InstanceHooks):
    milestone_property = milestones.MARKER

    def start_data(self, rt: Runtime, data: dict) -> dict:
        return {**data, "item": cases.item_facts(rt.catalog)} if rt.catalog else data

    def opened(
        self, session: Session, instance_id: int, rt: Runtime, data: dict, actor: str | None
    ) -> Opened:
        case = cases.open_case(session, instance_id, rt.catalog, data, actor) if rt.catalog else None
        return {"case_number": case.case_number if case else None}

    def milestones_marked(
        self, session: Session, instance_id: int, marked: Sequence[Milestone], rt: Runtime, actor: str | None
    ) -> None:
        if rt.catalog:
            cases.apply(session, instance_id, [milestones.case_mark(m) for m in marked], rt.catalog, actor)

    def step_due(
        self, session: Session, instance_id: int, group: str | None, rt: Runtime, properties: dict
    ) -> datetime | None:
        if not rt.catalog:
            return None
        return deadlines.step_due(
            session, instance_id, group, rt.catalog, properties.get(deadlines.STEP_DAYS)
        )

    def task_actions(self, spiff_task: Task, rt: Runtime) -> list[str]:
        return clerk.offered(spiff_task, rt)
