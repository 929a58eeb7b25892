"""Work: start instances, the inbox and every action on a task, materials, and the job table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from orchestrator import jobs
from orchestrator.core.errors import NotAllowed
from orchestrator.core.i18n import _
from orchestrator.gov import clerk, inbox, supervision, windows
from orchestrator.gov.clerk import Urged
from orchestrator.gov.inbox import InboxRow, TaskPage
from orchestrator.jobs import metrics
from orchestrator.jobs.table import Incident, Outcome, Retried
from orchestrator.runtime import attachments, instances, tasks
from orchestrator.runtime.attachments import AttachmentSummary
from orchestrator.runtime.instances import Delivered, InstanceDetails, Started, TaskSummary
from orchestrator.runtime.tasks import Commented, StepDone
from orchestrator.service.base import Facade


class WorkDoor(Facade):
    @metrics.timed("start")
    def start(
        self,
        key: str,
        data: dict | None = None,
        *,
        business_key: str | None = None,
        actor: str | None = None,
        org: str | None = None,
        attachment_ids: list[int] | None = None,
        window: int | None = None,
    ) -> Started:
        """Start the newest published version; a case records the window it was received at: `window` (an
        open window of a hall where `actor` works), else the window `actor` sits at (我的窗口)."""

        def work(s: Session) -> Started:
            seat = windows.received_at(s, actor, window)
            started = instances.start(s, key, data, business_key=business_key, actor=actor, org=org)
            windows.record(s, started.get("case_number"), seat, given=window is not None)
            attachments.link(s, attachment_ids or [], started["instance"], actor=actor)
            return started

        return self._tx(work)

    def instance(self, instance_id: int, user: str | None = None, *, see_all: bool = True) -> InstanceDetails:
        def work(s: Session) -> InstanceDetails:
            self._check_view(s, instance_id, user, see_all)
            return instances.details(s, instance_id)

        return self._tx(work)

    def can_view(self, instance_id: int, user: str, *, see_all: bool = False) -> bool:
        return self._tx(lambda s: tasks.can_view_instance(s, instance_id, user, see_all=see_all))

    def send_message(
        self, name: str, payload: dict, *, instance_id: int | None = None, actor: str | None = None
    ) -> Delivered:
        return self._tx(
            lambda s: instances.send_message(s, name, payload, instance_id=instance_id, actor=actor)
        )

    def tasks(
        self,
        user: str | None = None,
        *,
        view: str | None = None,
        group: str | None = None,
        state: str | None = None,
        item: str | None = None,
        sort: str = "due",
        limit: int = 100,
        offset: int = 0,
    ) -> list[InboxRow]:
        return self._tx(
            lambda s: inbox.inbox(
                s, user, view=view, group=group, state=state, item=item, sort=sort, limit=limit, offset=offset
            )
        )

    def task(self, task_id: int, user: str, *, see_all: bool = False) -> TaskPage:
        return self._tx(lambda s: inbox.task_page(s, task_id, user, see_all=see_all))

    @metrics.timed("reject")
    def reject(self, task_id: int, user: str, reason: str, data: dict | None = None) -> StepDone:
        return self._tx(lambda s: clerk.reject(s, task_id, user, reason, data))

    @metrics.timed("supplement")
    def supplement(self, task_id: int, user: str, reason: str, data: dict | None = None) -> StepDone:
        return self._tx(lambda s: clerk.supplement(s, task_id, user, reason, data))

    @metrics.timed("send_back")
    def send_back(self, task_id: int, user: str, reason: str) -> StepDone:
        return self._tx(lambda s: clerk.send_back(s, task_id, user, reason))

    def transfer(self, task_id: int, user: str, to_user: str, note: str | None = None) -> TaskSummary:
        return self._tx(lambda s: tasks.transfer(s, task_id, user, to_user, note))

    def comment(self, task_id: int, user: str, text: str, *, see_all: bool = False) -> Commented:
        return self._tx(lambda s: tasks.comment(s, task_id, user, text, see_all=see_all))

    def urge(self, task_id: int, user: str, text: str | None = None, *, see_all: bool = False) -> Urged:
        return self._tx(lambda s: clerk.urge(s, task_id, user, text, see_all=see_all))

    def upload(
        self, stream, file_name: str, *, material: str | None = None, actor: str | None = None
    ) -> AttachmentSummary:
        return self._tx(
            lambda s: attachments.save(
                s,
                self.settings.data_dir,
                stream,
                file_name,
                material=material,
                actor=actor,
                max_bytes=self.settings.max_material_bytes,
            )
        )

    def attachment(
        self, attachment_id: int, user: str, *, see_all: bool = False
    ) -> tuple[AttachmentSummary, Path]:
        """An upload and its file, for a user who may see its case (or who uploaded it)."""

        def work(s: Session) -> tuple[AttachmentSummary, Path]:
            row = attachments.get(s, attachment_id)
            if row.instance_id is None:
                if row.uploaded_by != user and not see_all:
                    raise NotAllowed(_("attachment {id} is not yours to see", id=attachment_id))
            else:
                self._check_view(s, row.instance_id, user, see_all)
            return attachments.summary(row), attachments.path_of(self.settings.data_dir, row)

        return self._tx(work)

    def attachments_of(self, instance_id: int) -> list[AttachmentSummary]:
        return self._tx(lambda s: attachments.of_instance(s, instance_id))

    def claim(self, task_id: int, user: str) -> TaskSummary:
        return self._tx(lambda s: tasks.claim(s, task_id, user))

    def unclaim(self, task_id: int, user: str) -> TaskSummary:
        return self._tx(lambda s: tasks.unclaim(s, task_id, user))

    @metrics.timed("complete")
    def complete(
        self,
        task_id: int,
        user: str,
        data: dict | None = None,
        opinion: str | None = None,
        attachment_ids: list[int] | None = None,
    ) -> StepDone:
        def work(s: Session) -> StepDone:
            done = tasks.complete(s, task_id, user, data, opinion)
            attachments.link(s, attachment_ids or [], done["instance"], task_id, actor=user)
            return done

        return self._tx(work)

    def run_due_jobs(self, at: datetime | None = None) -> list[Outcome]:
        return jobs.run_due(self.store, at=at)

    def start_supervision(self) -> None:
        """Make sure the hourly supervision sweep is scheduled (idempotent)."""
        self._tx(supervision.ensure_sweep_job)

    def incidents(self) -> list[Incident]:
        return self._tx(jobs.incidents)

    def retry(self, job_id: int, actor: str | None = None) -> Retried:
        return self._tx(lambda s: jobs.retry(s, job_id, actor))
