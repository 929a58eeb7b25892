"""The append-only trace of every action (痕迹管理): who, when, what, opinion, data before and after."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from orchestrator.core.clock import now
from orchestrator.store.models import AuditEvent

_INSERT = insert(
    cast(Table, AuditEvent.__table__)
)  # built once: statement construction costs more than the insert


def record(
    session: Session,
    action: str,
    actor: str | None,
    *,
    instance_id: int | None = None,
    task_id: int | None = None,
    definition_id: int | None = None,
    opinion: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    session.connection().execute(
        _INSERT,
        {
            "at": now(),
            "actor": actor,
            "action": action,
            "instance_id": instance_id,
            "task_id": task_id,
            "definition_id": definition_id,
            "opinion": opinion,
            "data_before": before,
            "data_after": after,
        },
    )
