"""One door for the CLI, the web app and workers: each call is one transaction over the service modules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from . import (
    attachments,
    calendar_days,
    cases,
    definitions,
    evaluations,
    groups,
    instances,
    jobs,
    metrics,
    orgs,
    progress,
    supervision,
    tasks,
    units,
)
from .config import Settings
from .errors import NotAllowed
from .store import migrate
from .store.db import Store

T = TypeVar("T")

# Demo org (contract.md): one district, two towns, two villages each, a grid in the first village.
DEMO_ORG = [
    ("shifanqu", "示范区", "区县", None),
    ("gaoqiao", "高桥镇", "镇街", "shifanqu"),
    ("gaoqiao-xinxing", "新星村", "村社", "gaoqiao"),
    ("gaoqiao-qiaoxi", "桥西社区", "村社", "gaoqiao"),
    ("gaoqiao-xinxing-1", "新星村第一网格", "网格", "gaoqiao-xinxing"),
    ("jishigang", "集士港镇", "镇街", "shifanqu"),
    ("jishigang-wangchun", "望春村", "村社", "jishigang"),
    ("jishigang-shanxia", "山下庄村", "村社", "jishigang"),
]
# Demo accounts (contract.md): groups and where they work; the front desk also hands out results.
DEMO_MEMBERS = {
    "frontdesk": [("frontdesk", "gaoqiao"), ("delivery", "gaoqiao")],
    "minzheng": [("minzheng", "gaoqiao")],
    "renshe": [("renshe", "gaoqiao")],
    "yibao": [("yibao", "gaoqiao")],
    "grid": [("grid", "gaoqiao-xinxing-1")],
    "supervisor": [("command", "shifanqu")],
    "analyst": [],
    "admin": [],
}


class OneWindow:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.database_url, settings.data_dir)

    def _tx(self, work: Callable[[Session], T]) -> T:
        """One transaction; with a broker, the jobs it made due are sent to the workers once it committed."""
        with self.store.transaction() as session:
            result = work(session)
            due = jobs.new_due_ids(session) if self.settings.broker_url else []
        if due:
            from . import dispatch

            dispatch.send(self.settings.broker_url, due, self.store)
        return result

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

    def definition(self, key: str, version: int) -> dict:
        """One version with its files: diagrams, forms snapshot and catalog entry."""
        return self._tx(lambda s: definitions.details(s, key, version))

    def deploy_edit(
        self,
        files: dict[str, bytes],
        *,
        base: tuple[str, int] | None = None,
        publish: bool = False,
        tag: str | None = None,
        actor: str | None = None,
    ) -> list[dict]:
        """Deploy a stored version (key, version) with `files` replaced or added, as a new version (a draft
        unless `publish`); see definitions.edited_unit. Invalid: InvalidInput with every problem, nothing stored."""

        def work(s: Session) -> list[dict]:
            unit = definitions.edited_unit(s, files, base, self.settings.max_upload_bytes)
            return definitions.deploy(
                s,
                unit,
                forms_dir=self.settings.forms_dir,
                max_bytes=self.settings.max_upload_bytes,
                publish=publish,
                tag=tag,
                actor=actor,
            )

        return self._tx(work)

    def set_status(self, key: str, version: int, status: str, actor: str | None = None) -> dict:
        return self._tx(lambda s: definitions.set_status(s, key, version, status, actor))

    # -- instances and tasks -------------------------------------------------------------------
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
    ) -> dict:
        def work(s: Session) -> dict:
            started = instances.start(s, key, data, business_key=business_key, actor=actor, org=org)
            attachments.link(s, attachment_ids or [], started["instance"], actor=actor)
            return started

        return self._tx(work)

    def instance(self, instance_id: int, user: str | None = None, *, see_all: bool = True) -> dict:
        def work(s: Session) -> dict:
            self._check_view(s, instance_id, user, see_all)
            return instances.details(s, instance_id)

        return self._tx(work)

    @staticmethod
    def _check_view(s: Session, instance_id: int, user: str | None, see_all: bool) -> None:
        if user is not None and not tasks.can_view_instance(s, instance_id, user, see_all=see_all):
            raise NotAllowed(f"instance {instance_id} is not yours to see")

    def can_view(self, instance_id: int, user: str, *, see_all: bool = False) -> bool:
        return self._tx(lambda s: tasks.can_view_instance(s, instance_id, user, see_all=see_all))

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
        view: str | None = None,
        group: str | None = None,
        state: str | None = None,
        item: str | None = None,
        sort: str = "due",
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict]:
        return self._tx(
            lambda s: tasks.inbox(
                s, user, view=view, group=group, state=state, item=item, sort=sort, limit=limit, offset=offset
            )
        )

    def task(self, task_id: int, user: str, *, see_all: bool = False) -> dict:
        return self._tx(lambda s: tasks.get(s, task_id, user, see_all=see_all))

    @metrics.timed("reject")
    def reject(self, task_id: int, user: str, reason: str, data: dict | None = None) -> dict:
        return self._tx(lambda s: tasks.reject(s, task_id, user, reason, data))

    @metrics.timed("supplement")
    def supplement(self, task_id: int, user: str, reason: str, data: dict | None = None) -> dict:
        return self._tx(lambda s: tasks.supplement(s, task_id, user, reason, data))

    @metrics.timed("send_back")
    def send_back(self, task_id: int, user: str, reason: str) -> dict:
        return self._tx(lambda s: tasks.send_back(s, task_id, user, reason))

    def transfer(self, task_id: int, user: str, to_user: str, note: str | None = None) -> dict:
        return self._tx(lambda s: tasks.transfer(s, task_id, user, to_user, note))

    def comment(self, task_id: int, user: str, text: str, *, see_all: bool = False) -> dict:
        return self._tx(lambda s: tasks.comment(s, task_id, user, text, see_all=see_all))

    def urge(self, task_id: int, user: str, text: str | None = None, *, see_all: bool = False) -> dict:
        return self._tx(lambda s: tasks.urge(s, task_id, user, text, see_all=see_all))

    # -- materials -----------------------------------------------------------------------------
    def upload(
        self, stream, file_name: str, *, material: str | None = None, actor: str | None = None
    ) -> dict:
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

    def attachment(self, attachment_id: int, user: str, *, see_all: bool = False) -> tuple[dict, Path]:
        """An upload and its file, for a user who may see its case (or who uploaded it)."""

        def work(s: Session) -> tuple[dict, Path]:
            row = attachments.get(s, attachment_id)
            if row.instance_id is None:
                if row.uploaded_by != user and not see_all:
                    raise NotAllowed(f"attachment {attachment_id} is not yours to see")
            else:
                self._check_view(s, row.instance_id, user, see_all)
            return attachments.summary(row), attachments.path_of(self.settings.data_dir, row)

        return self._tx(work)

    def attachments_of(self, instance_id: int) -> list[dict]:
        return self._tx(lambda s: attachments.of_instance(s, instance_id))

    def claim(self, task_id: int, user: str) -> dict:
        return self._tx(lambda s: tasks.claim(s, task_id, user))

    def unclaim(self, task_id: int, user: str) -> dict:
        return self._tx(lambda s: tasks.unclaim(s, task_id, user))

    @metrics.timed("complete")
    def complete(
        self,
        task_id: int,
        user: str,
        data: dict | None = None,
        opinion: str | None = None,
        attachment_ids: list[int] | None = None,
    ) -> dict:
        def work(s: Session) -> dict:
            done = tasks.complete(s, task_id, user, data, opinion)
            attachments.link(s, attachment_ids or [], done["instance"], task_id, actor=user)
            return done

        return self._tx(work)

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

    def progress(
        self,
        instance_id: int,
        user: str | None = None,
        *,
        see_all: bool = True,
        parts: tuple[str, ...] = ("marks", "diagram", "steps"),
    ) -> dict:
        """A case's progress for a user who may see it, in the `parts` asked for: "marks" (diagram element
        ids by progress), "diagram" (the version's BPMN XML), "steps" (application, finished steps with
        their data and forms, catalog entry)."""

        def work(s: Session) -> dict:
            self._check_view(s, instance_id, user, see_all)
            found: dict = {}
            if "marks" in parts:
                found["marks"] = progress.marks(s, instance_id)
            if "diagram" in parts:
                found["diagram"] = progress.diagram(s, instance_id)
            if "steps" in parts:
                found.update(progress.steps(s, instance_id))
            return found

        return self._tx(work)

    def recent_cases(self, user: str, limit: int = 50) -> list[dict]:
        """The newest cases a user started or held a step of."""
        return self._tx(lambda s: progress.recent_cases(s, user, limit))

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

    def open_cases(self) -> list[dict]:
        """Open cases counted by status code: [{"status_code", "status", "count"}]."""
        return self._tx(supervision.open_cases)

    # -- calendar ------------------------------------------------------------------------------
    def calendar_due(self, accepted_at: str, limit: int) -> dict:
        return self._tx(lambda s: calendar_days.due(s, accepted_at, limit))

    def calendar_set(self, day: str, kind: str, *, note: str | None = None, actor: str | None = None) -> dict:
        try:
            return self._tx(lambda s: calendar_days.set_day(s, day, kind, note=note, actor=actor))
        except Exception:
            calendar_days.forget()  # it may have cached the edit that was just rolled back
            raise

    # -- organisation --------------------------------------------------------------------------
    def add_group(self, code: str, name: str) -> None:
        self._tx(lambda s: groups.add(s, code, name))

    def add_member(self, username: str, code: str, org: str | None = None, actor: str | None = None) -> None:
        self._tx(lambda s: groups.add_member(s, username, code, actor, org))

    def remove_member(self, username: str, code: str, actor: str | None = None) -> None:
        self._tx(lambda s: groups.remove_member(s, username, code, actor))

    def groups(self) -> list[dict]:
        return self._tx(groups.listing)

    def memberships(self, username: str) -> list[tuple[str, str]]:
        return self._tx(lambda s: groups.memberships(s, username))

    def add_org_unit(
        self, code: str, name: str, level: str, parent: str | None = None, actor: str | None = None
    ) -> dict:
        return self._tx(lambda s: orgs.add(s, code, name, level, parent, actor))

    def org_units(self) -> list[dict]:
        return self._tx(orgs.tree)

    def load_demo(self) -> list[dict]:
        """The demo org, users' groups and every process folder of the repository, published."""
        for code, name, level, parent in DEMO_ORG:
            self.add_org_unit(code, name, level, parent, actor="demo")
        for user, places in DEMO_MEMBERS.items():
            for code, org in places:
                self.add_member(user, code, org)
        deployed = []
        for folder in sorted(p for p in self.settings.processes_dir.iterdir() if p.is_dir()):
            deployed += self.deploy(folder, publish=True, actor="demo")
        return deployed

    def close(self) -> None:
        self.store.dispose()
