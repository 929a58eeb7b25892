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

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .clock import now
from .errors import Conflict, NotFound
from .store.db import Store
from .store.models import Job

log = logging.getLogger("onewindow.jobs")


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
    return job


def pending_of(instance_id: int, kind: str) -> Select:
    return select(Job).where(Job.instance_id == instance_id, Job.kind == kind, Job.status == "pending")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def run_next(store: Store, worker: str | None = None, at: datetime | None = None) -> dict | None:
    """Claim and run one due job; return what happened, or None when nothing is due."""
    at = at or now()
    worker = worker or worker_name()
    with store.transaction() as session:
        query = (
            select(Job).where(Job.status == "pending", Job.due_at <= at).order_by(Job.due_at, Job.id).limit(1)
        )
        if store.is_postgres:
            query = query.with_for_update(skip_locked=True)
        job = session.scalars(query).first()
        if job is None:
            return None
        job.locked_by, job.locked_until = worker, at + timedelta(minutes=5)
        job.status = "running"  # so the step it triggers schedules follow-up timers as new rows
        try:
            with session.begin_nested():
                execute(session, job)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job, never lost
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
            job.locked_by = job.locked_until = None
            job.status = "pending"
            if job.attempts >= job.max_attempts:
                job.status = "incident"
                log.error(
                    "job %s (%s, instance %s) is now an incident: %s", job.id, job.kind, job.instance_id, exc
                )
            else:
                job.due_at = at + backoff(job.attempts)
                log.warning("job %s failed (attempt %s): %s", job.id, job.attempts, exc)
            return {
                "job": job.id,
                "kind": job.kind,
                "instance": job.instance_id,
                "status": job.status,
                "error": str(exc),
            }
        job.status, job.done_at = "done", at
        job.locked_by = job.locked_until = None
        return {"job": job.id, "kind": job.kind, "instance": job.instance_id, "status": "done"}


def execute(session: Session, job: Job) -> None:
    from . import instances

    if job.kind == "timer":
        instances.step_job(session, job.instance_id, fire_timers=True)
    elif job.kind == "sweep":
        from . import supervision

        supervision.sweep(session)
        schedule(session, "sweep", now() + supervision.SWEEP_EVERY)
    elif job.kind == "continue":
        released = frozenset(filter(None, [(job.payload or {}).get("release")]))
        instances.step_job(session, job.instance_id, released=released)
    else:
        raise ValueError(f"unknown job kind {job.kind!r}")


def run_due(store: Store, at: datetime | None = None, limit: int = 10_000) -> list[dict]:
    """Run due jobs until none is left (or `limit`): `onewindow worker --once`."""
    done = []
    for _ in range(limit):
        outcome = run_next(store, at=at)
        if outcome is None:
            break
        done.append(outcome)
    return done


def work_forever(store: Store, poll_seconds: float = 1.0, stop=lambda: False) -> None:
    """The embedded worker loop (no broker)."""
    while not stop():
        if not run_due(store, limit=100):
            time.sleep(poll_seconds)


def incidents(session: Session) -> list[dict]:
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


def retry(session: Session, job_id: int, actor: str | None = None) -> dict:
    from . import audit

    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    if job.status != "incident":
        raise Conflict(f"job {job_id} is {job.status}, not an incident")
    job.status, job.attempts, job.due_at = "pending", 0, now()
    audit.record(session, "retry_job", actor, instance_id=job.instance_id, after={"job": job.id})
    return {"job": job.id, "status": job.status}
