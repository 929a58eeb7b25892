"""Distributed execution on Celery: the job table stays the truth, Celery only carries job ids.

- `send(ids)`: after a transaction commits, the ids of jobs it made due are sent at once (a web request
  never waits on or fails because of the broker: if Redis is down the ids stay in the table).
- `beat()`: once a second, due jobs not sent lately are sent (also those whose message was lost with a
  killed worker or a restarted Redis). Several dispatchers may run; on PostgreSQL they share rows with
  SKIP LOCKED.
- the `onewindow.run_job` task: lock the job row, run it in one transaction with the step it triggers,
  mark it done (`table.run_job`); a second delivery of the same id does nothing. Two workers never step
  one instance at once: the step locks the instance row (FOR UPDATE), different instances run in parallel.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import cache
from pathlib import Path

from celery import Celery, signals

from orchestrator.core.config import Settings
from orchestrator.jobs import table
from orchestrator.jobs.broker import QUEUE, TASK
from orchestrator.store.db import Store

log = logging.getLogger("onewindow.dispatch")


@cache
def celery_app(broker_url: str) -> Celery:
    app = Celery("onewindow", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a job id is acknowledged after its transaction, not before
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for Redis as long as it takes
        broker_connection_timeout=2,
        broker_transport_options={
            "visibility_timeout": 300,
            "socket_timeout": 2,
            "socket_connect_timeout": 2,
        },
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,  # redirected, our stderr log handler would loop into it and drop records
        worker_send_task_events=False,
    )
    app.task(name=TASK, bind=True, max_retries=None)(_run_job_task)
    return app


@cache
def _worker_store(database_url: str, data_dir: str) -> Store:
    return Store(database_url, Path(data_dir))


def _run_job_task(task, job_id: int) -> table.Outcome:
    if isinstance(job_id, bool) or not isinstance(job_id, int) or job_id < 1:
        log.error("message refused: %r is not a job id", job_id)  # retrying would never help
        return {"job": job_id, "status": "refused"}
    settings = Settings.from_env()
    store = _worker_store(settings.database_url, str(settings.data_dir))
    try:
        outcome = table.run_job(store, job_id)
    except Exception as exc:  # the database is away: nothing was applied; try again later
        log.warning("job %s could not run (%s); retrying", job_id, exc, extra={"job": job_id})
        raise task.retry(exc=exc, countdown=min(60, 2 ** min(task.request.retries, 6))) from None
    follow_up = outcome.pop("follow_up", [])
    if follow_up:
        send(settings.broker_url, follow_up, store)
    return outcome


# A send to a broker that is down takes kombu's whole connect timeout (2 s): after one fails, this process
# leaves new jobs to the dispatcher for a few seconds rather than make every request wait that long again.
PAUSE_AFTER_BROKER_FAILURE = 5.0
RESTART_DELAY = 2.0  # after the Celery worker stopped on an error of its own
_broker_down_until: dict[str, float] = {}


def send(broker_url: str | None, ids: Iterable[int], store: Store | None = None) -> list[int]:
    """Send job ids to the workers; return those the broker did not take (they stay due in the table)."""
    ids = list(ids)
    if not broker_url or not ids:
        return ids
    failed = ids if time.monotonic() < _broker_down_until.get(broker_url, 0.0) else _publish(broker_url, ids)
    if failed and store is not None:
        try:
            table.unmark_dispatched(store, failed)
        except Exception:  # noqa: BLE001 - resent after the resend delay anyway
            pass
    return failed


def _publish(broker_url: str, ids: list[int]) -> list[int]:
    app = celery_app(broker_url)
    for i, job_id in enumerate(ids):
        try:
            app.send_task(TASK, args=[job_id], queue=QUEUE, retry=False)
        except Exception as exc:  # noqa: BLE001 - broker down: the dispatcher sends them later
            _broker_down_until[broker_url] = time.monotonic() + PAUSE_AFTER_BROKER_FAILURE
            log.warning("broker unavailable (%s): %s job(s) left for the dispatcher", exc, len(ids) - i)
            return ids[i:]
    return []


def resend_after() -> timedelta:
    """How long a sent job may stay not done before it is sent again: ONEWINDOW_RESEND_SECONDS (default 30)."""
    return timedelta(seconds=float(os.environ.get("ONEWINDOW_RESEND_SECONDS") or 30))


def beat(settings: Settings, interval: float = 1.0, stop: Callable[[], bool] = lambda: False) -> None:
    """`onewindow beat`: send due jobs every `interval` seconds (one per deployment is enough; more are safe)."""
    store = Store(settings.database_url)
    resend = resend_after()
    log.info("dispatcher running: due jobs go to %s every %ss", settings.broker_url, interval)
    while not stop():
        started = time.monotonic()
        try:
            sent = 0
            while True:
                ids = table.claim_for_dispatch(store, resend_after=resend)
                failed = send(settings.broker_url, ids, store)
                sent += len(ids) - len(failed)
                if failed or len(ids) < 500:
                    break
            if sent:
                log.info("dispatched %s job(s)", sent)
        except Exception as exc:  # noqa: BLE001 - database or broker away: try again next tick
            log.warning("dispatch failed: %s", exc)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def worker(settings: Settings, concurrency: int | None = None, pool: str = "prefork") -> None:
    """`onewindow worker` with a broker: a Celery worker on the onewindow queue."""
    argv = [
        "worker",
        "--loglevel=INFO",
        f"--pool={pool}",
        "-Q",
        QUEUE,
        "--without-gossip",
        "--without-mingle",
    ]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    stopping: list[str] = []

    def asked_to_stop(sig: str = "", **_kwargs: object) -> None:
        stopping.append(sig)

    signals.worker_shutting_down.connect(asked_to_stop, weak=False)
    try:
        celery_app(settings.broker_url).worker_main(argv)
    except SystemExit as exc:
        if stopping or exc.code in (0, None):
            raise
        # Celery gave up on an error nobody asked for (kombu can fail this way when Redis goes away in the
        # middle of an acknowledgement): start afresh, as a service manager would, the jobs are in the table.
        log.warning(
            "the worker stopped on an error (exit %s): starting again in %s s", exc.code, RESTART_DELAY
        )
        time.sleep(RESTART_DELAY)
        os.execv(sys.executable, [sys.executable, "-m", "orchestrator.cli", *sys.argv[1:]])
