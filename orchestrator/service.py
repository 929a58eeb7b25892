"""One door for the CLI, the web app and workers: each call is one transaction over the service modules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from . import (
    calendar_days,
    cases,
    definitions,
    evaluations,
    groups,
    instances,
    jobs,
    supervision,
    tasks,
    units,
)
from .config import Settings
from .store import migrate
from .store.db import Store

T = TypeVar("T")

# Demo accounts (contract.md) and their groups; in a small hall the front desk also hands out results.
DEMO_MEMBERS = {
    "frontdesk": ["frontdesk", "delivery"],
    "minzheng": ["minzheng"],
    "renshe": ["renshe"],
    "yibao": ["yibao"],
    "grid": ["grid"],
    "supervisor": ["command"],
    "analyst": [],
    "admin": [],
}


class OneWindow:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.database_url)

    def _tx(self, work: Callable[[Session], T]) -> T:
        with self.store.transaction() as session:
            return work(session)

    # -- schema --------------------------------------------------------------------------------
    def upgrade(self) -> None:
        migrate.upgrade(self.store.engine)

    # -- definitions ---------------------------------------------------------------------------
    def deploy(
        self, path: str | Path, *, publish: bool = False, tag: str | None = None, actor: str | None = None
    ) -> list[dict]:
        unit = units.read(path, self.settings.max_upload_bytes)
        return self.deploy_unit(unit, publish=publish, tag=tag, actor=actor)

    def deploy_unit(
        self, unit: units.Unit, *, publish: bool = False, tag: str | None = None, actor: str | None = None
    ) -> list[dict]:
        return self._tx(
            lambda s: definitions.deploy(
                s,
                unit,
                forms_dir=self.settings.forms_dir,
                max_bytes=self.settings.max_upload_bytes,
                publish=publish,
                tag=tag,
                actor=actor,
            )
        )

    def definitions(self) -> list[dict]:
        return self._tx(definitions.listing)

    def set_status(self, key: str, version: int, status: str, actor: str | None = None) -> dict:
        return self._tx(lambda s: definitions.set_status(s, key, version, status, actor))

    # -- instances and tasks -------------------------------------------------------------------
    def start(
        self, key: str, data: dict | None = None, *, business_key: str | None = None, actor: str | None = None
    ) -> dict:
        return self._tx(lambda s: instances.start(s, key, data, business_key=business_key, actor=actor))

    def instance(self, instance_id: int) -> dict:
        return self._tx(lambda s: instances.details(s, instance_id))

    def send_message(
        self, name: str, payload: dict, *, instance_id: int | None = None, actor: str | None = None
    ) -> dict:
        return self._tx(
            lambda s: instances.send_message(s, name, payload, instance_id=instance_id, actor=actor)
        )

    def tasks(
        self,
        user: str | None = None,
        *,
        group: str | None = None,
        state: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict]:
        return self._tx(lambda s: tasks.inbox(s, user, group=group, state=state, limit=limit, offset=offset))

    def claim(self, task_id: int, user: str) -> dict:
        return self._tx(lambda s: tasks.claim(s, task_id, user))

    def unclaim(self, task_id: int, user: str) -> dict:
        return self._tx(lambda s: tasks.unclaim(s, task_id, user))

    def complete(self, task_id: int, user: str, data: dict | None = None, opinion: str | None = None) -> dict:
        return self._tx(lambda s: tasks.complete(s, task_id, user, data, opinion))

    # -- jobs ----------------------------------------------------------------------------------
    def run_due_jobs(self, at: datetime | None = None) -> list[dict]:
        return jobs.run_due(self.store, at=at)

    def start_supervision(self) -> None:
        """Make sure the hourly supervision sweep is scheduled (idempotent)."""
        self._tx(supervision.ensure_sweep_job)

    def incidents(self) -> list[dict]:
        return self._tx(jobs.incidents)

    def retry(self, job_id: int, actor: str | None = None) -> dict:
        return self._tx(lambda s: jobs.retry(s, job_id, actor))

    # -- cases -------------------------------------------------------------------------------------
    def case(self, number: str) -> dict:
        return self._tx(lambda s: cases.details(s, number))

    def document(self, number: str, kind: str) -> tuple[str, bytes, str]:
        """(HTML, PDF, file name) of one of a case's documents."""
        return self._tx(lambda s: cases.document(s, number, kind))

    def evaluate(
        self,
        number: str,
        level: int,
        *,
        channel: str = "网上",
        visit: str | None = None,
        comment: str | None = None,
        actor: str | None = None,
    ) -> dict:
        return self._tx(
            lambda s: evaluations.evaluate(
                s, number, level, channel=channel, visit=visit, comment=comment, actor=actor
            )
        )

    def evaluations(self, number: str) -> list[dict]:
        return self._tx(lambda s: evaluations.of_case(s, number))

    def withdraw(self, number: str, actor: str, reason: str | None = None) -> dict:
        return self._tx(lambda s: cases.withdraw(s, number, actor, reason=reason))

    def revoke(self, number: str, actor: str, reason: str) -> dict:
        return self._tx(lambda s: cases.withdraw(s, number, actor, reason=reason, revoke=True))

    def sweep(self) -> list[dict]:
        """Run the supervision sweep now (the worker also runs it every hour)."""
        return self._tx(supervision.sweep)

    def warnings(self, number: str | None = None) -> list[dict]:
        return self._tx(lambda s: supervision.warnings(s, number))

    # -- calendar ------------------------------------------------------------------------------
    def calendar_due(self, accepted_at: str, limit: int) -> dict:
        return self._tx(lambda s: calendar_days.due(s, accepted_at, limit))

    def calendar_set(self, day: str, kind: str, *, note: str | None = None, actor: str | None = None) -> dict:
        return self._tx(lambda s: calendar_days.set_day(s, day, kind, note=note, actor=actor))

    # -- organisation --------------------------------------------------------------------------
    def add_group(self, code: str, name: str) -> None:
        self._tx(lambda s: groups.add(s, code, name))

    def add_member(self, username: str, code: str) -> None:
        self._tx(lambda s: groups.add_member(s, username, code))

    def load_demo(self) -> list[dict]:
        """Demo users' groups and every process folder of the repository, published."""
        for user, codes in DEMO_MEMBERS.items():
            for code in codes:
                self.add_member(user, code)
        deployed = []
        for folder in sorted(p for p in self.settings.processes_dir.iterdir() if p.is_dir()):
            deployed += self.deploy(folder, publish=True, actor="demo")
        return deployed

    def close(self) -> None:
        self.store.dispose()
