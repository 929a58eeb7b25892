"""The job table: timers and continuations as rows, claimed one at a time, retried, then incidents.

A job runs inside one transaction with the step it triggers; its own bookkeeping (attempts, error,
incident) is written in the same transaction after rolling back the step to a savepoint. A worker
killed mid-job leaves the row pending and unlocked; the next worker runs it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypedDict

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, NotFound
from orchestrator.core.i18n import _
from orchestrator.jobs import metrics, registry
from orchestrator.store.db import Store
from orchestrator.store.models import Job

log = logging.getLogger("onewindow.jobs")


class Outcome(TypedDict, total=False):
    """What running one job did."""

    job: int
    kind: str
    instance: int | None
    status: str  # done, pending (to retry), incident, skipped
    error: str
    follow_up: list[int]  # jobs the step scheduled that are due now (to send to the broker)


class Incident(TypedDict):
    job: int
    kind: str
    instance: int | None
    attempts: int
    error: str
    due_at: str


class Retried(TypedDict):
    job: int
    status: str


def schedule(
    session: Session,
    kind: str,
    due_at: datetime,
    *,
    instance_id: int | None = None,
    definition_id: int | None = None,
    payload: dict | None = None,
    max_attempts: int = 3,
) -> Job:
    """Add a job to the caller's transaction; a kind no layer registered is refused here, not at run time."""
    registry.check(kind)
    job = Job(
        kind=kind,
        instance_id=instance_id,
        definition_id=definition_id,
        due_at=due_at,
        payload=payload,
        max_attempts=max_attempts,
        status="pending",
        attempts=0,
        created_at=now(),
    )
    session.add(job)
    session.info.setdefault("new_jobs", []).append(job)
    return job


def new_due_ids(session: Session, at: datetime | None = None) -> list[int]:
    """Ids of the jobs this transaction scheduled that are already due, marked as sent: the caller sends
    them right after commit (and unmarks those the broker refuses), so the dispatcher does not send
    them a second time; if the process dies in between, the dispatcher resends them after its delay."""
    fresh = session.info.pop("new_jobs", [])
    if not fresh:
        return []
    at = at or now()
    due = [j for j in fresh if j.status == "pending" and j.due_at <= at]
    for j in due:
        j.dispatched_at = at
    session.flush()
    return [j.id for j in due]


def pending_of(instance_id: int, kind: str) -> Select:
    return select(Job).where(Job.instance_id == instance_id, Job.kind == kind, Job.status == "pending")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def run_next(store: Store, worker: str | None = None, at: datetime | None = None) -> Outcome | None:
    """Claim and run one due job; return what happened, or None when nothing is due."""
    at = at or now()
    with store.transaction() as session:
        query = (
            select(Job).where(Job.status == "pending", Job.due_at <= at).order_by(Job.due_at, Job.id).limit(1)
        )
        if store.is_postgres:
            query = query.with_for_update(skip_locked=True)
        job = session.scalars(query).first()
        if job is None:
            return None
        return _run(session, job, worker or worker_name(), at, store.data_dir)


def run_job(store: Store, job_id: int, worker: str | None = None, at: datetime | None = None) -> Outcome:
    """Run one given job if it is still pending and due (a broker may deliver an id twice, or late).

    Returns what happened, with `follow_up`: the ids of jobs the step scheduled that are due now."""
    at = at or now()
    with store.transaction() as session:
        query = select(Job).where(Job.id == job_id, Job.status == "pending", Job.due_at <= at)
        if store.is_postgres:
            query = query.with_for_update(skip_locked=True)  # another worker has it: nothing to do
        job = session.scalars(query).first()
        if job is None:
            return {"job": job_id, "status": "skipped", "follow_up": []}
        outcome = _run(session, job, worker or worker_name(), at, store.data_dir)
        outcome["follow_up"] = new_due_ids(session, at) if outcome["status"] == "done" else []
        return outcome


def _run(session: Session, job: Job, worker: str, at: datetime, data_dir: Path | None = None) -> Outcome:
    """Run a locked job in the caller's transaction; a failure is recorded on the row, never lost."""
    session.info["data_dir"] = data_dir
    job.locked_by, job.locked_until = worker, at + timedelta(minutes=5)
    job.status = "running"  # so the step it triggers schedules follow-up timers as new rows
    try:
        with session.begin_nested(), metrics.running_job():
            registry.run(session, job)
    except DBAPIError as exc:
        if exc.connection_invalidated:  # the database went away: nothing can be recorded; the caller retries
            raise
        return _failed(session, job, exc, at)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job, never lost
        return _failed(session, job, exc, at)
    job.status, job.done_at = "done", at
    job.locked_by = job.locked_until = None
    return {"job": job.id, "kind": job.kind, "instance": job.instance_id, "status": "done"}


def _failed(session: Session, job: Job, exc: Exception, at: datetime) -> Outcome:
    """Record a failed attempt on the job: pending again after a backoff, an incident after the last."""
    session.info.pop("new_jobs", None)  # rolled back with the step
    job.attempts += 1
    job.last_error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
    job.locked_by = job.locked_until = None
    extra = {"job": job.id, "instance": job.instance_id}
    if job.attempts >= job.max_attempts:
        job.status = "incident"
        log.error(
            "job %s (%s, instance %s) is now an incident: %s",
            job.id,
            job.kind,
            job.instance_id,
            exc,
            extra=extra,
        )
    else:
        job.status, job.due_at = "pending", at + backoff(job.attempts)
        log.warning(
            "job %s failed (attempt %s, next at %s): %s", job.id, job.attempts, job.due_at, exc, extra=extra
        )
    return {
        "job": job.id,
        "kind": job.kind,
        "instance": job.instance_id,
        "status": job.status,
        "error": str(exc),
    }


def claim_for_dispatch(
    store: Store,
    at: datetime | None = None,
    limit: int = 500,
    resend_after: timedelta = timedelta(seconds=30),
) -> list[int]:
    """Due pending jobs not sent lately, marked as sent now. A job whose message was lost (a killed
    worker, a Redis restart) is sent again after `resend_after`; running it twice does nothing."""
    at = at or now()
    with store.transaction() as session:
        query = (
            select(Job.id)
            .where(
                Job.status == "pending",
                Job.due_at <= at,
                or_(Job.dispatched_at.is_(None), Job.dispatched_at < at - resend_after),
            )
            .order_by(Job.due_at, Job.id)
            .limit(limit)
        )
        if store.is_postgres:
            query = query.with_for_update(skip_locked=True)  # two dispatchers share the work
        ids = list(session.scalars(query))
        if ids:
            session.execute(update(Job).where(Job.id.in_(ids)).values(dispatched_at=at))
        return ids


def unmark_dispatched(store: Store, ids: list[int]) -> None:
    """The broker did not take these: offer them again at the next dispatch."""
    if ids:
        with store.transaction() as session:
            session.execute(update(Job).where(Job.id.in_(ids)).values(dispatched_at=None))


def run_due(store: Store, at: datetime | None = None, limit: int = 10_000) -> list[Outcome]:
    """Run due jobs until none is left (or `limit`): `onewindow worker --once`."""
    done = []
    for _attempt in range(limit):
        outcome = run_next(store, at=at)
        if outcome is None:
            break
        done.append(outcome)
    return done


def work_forever(store: Store, poll_seconds: float = 1.0, stop=lambda: False) -> None:
    """The embedded worker loop (no broker)."""
    while not stop():
        try:
            if not run_due(store, limit=100):
                time.sleep(poll_seconds)
        except Exception as exc:  # noqa: BLE001 - the database is away: the table keeps the work
            log.warning("jobs could not run (%s); trying again", exc)
            time.sleep(poll_seconds)


def incidents(session: Session) -> list[Incident]:
    rows = session.scalars(select(Job).where(Job.status == "incident").order_by(Job.id)).all()
    return [
        {
            "job": j.id,
            "kind": j.kind,
            "instance": j.instance_id,
            "attempts": j.attempts,
            "error": (j.last_error or "").split("\n")[0],
            "due_at": j.due_at.isoformat(),
        }
        for j in rows
    ]


def retry(session: Session, job_id: int, actor: str | None = None) -> Retried:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(_("no job {id}", id=job_id))
    if job.status != "incident":
        raise Conflict(_("job {id} is {status}, not an incident", id=job_id, status=job.status))
    job.status, job.attempts, job.due_at = "pending", 0, now()
    audit.record(session, "retry_job", actor, instance_id=job.instance_id, after={"job": job.id})
    return {"job": job.id, "status": job.status}
