"""What every part of the facade shares: settings, the store, and one transaction per call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self, TypeVar

from sqlalchemy.orm import Session

from orchestrator import gov, jobs, runtime
from orchestrator.core.config import Settings
from orchestrator.core.errors import NotAllowed
from orchestrator.core.i18n import _
from orchestrator.runtime import tasks
from orchestrator.store.db import Store

T = TypeVar("T")
runtime.install()
gov.install()


class Facade:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.database_url, settings.data_dir)

    def _tx(self, work: Callable[[Session], T]) -> T:
        """One transaction; with a broker, the jobs it made due are sent to the workers once it committed."""
        with self.store.transaction() as session:
            result = work(session)
            due = jobs.new_due_ids(session) if self.settings.broker_url else []
        if due:
            from orchestrator.jobs import dispatch

            dispatch.send(self.settings.broker_url, due, self.store)
        return result

    def upgrade(self) -> None:
        from orchestrator.store import migrate  # alembic costs 80 ms: only the commands that migrate load it

        migrate.upgrade(self.store.engine)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.dispose()

    @staticmethod
    def _check_view(s: Session, instance_id: int, user: str | None, see_all: bool) -> None:
        if user is not None and not tasks.can_view_instance(s, instance_id, user, see_all=see_all):
            raise NotAllowed(_("instance {id} is not yours to see", id=instance_id))
