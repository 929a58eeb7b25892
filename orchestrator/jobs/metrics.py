"""Prometheus metrics: what the service did (counters, latencies) and what the database holds (gauges).

Two kinds of numbers, kept apart on purpose:

* In-process metrics, updated by the service as it works: `onewindow_task_completions_total{action}` (tasks
  completed, rejected, sent back to the applicant for 补正 or sent back a step) and the histogram
  `onewindow_step_seconds{action}` (time of one service call that steps a case: start and those four; only
  successful calls are counted and observed, a refused call says nothing about engine speed).
* Database gauges, read at scrape time by `DatabaseCollector` so every web process reports the same truth
  whoever ran the jobs: `onewindow_jobs{status,kind}`, `onewindow_jobs_due` (pending with due_at <= now),
  `onewindow_dispatch_lag_seconds` (now - the oldest due_at among those, 0 when none),
  `onewindow_incidents` (from one grouped query over the job table), `onewindow_open_tasks{group}` (open or
  claimed human tasks) and `onewindow_database_up` (0 when the queries failed; the rest is still served).
* Jobs in hand, which no committed row shows (a job runs inside its one transaction): with a broker,
  `onewindow_jobs_running` counts the job ids Celery workers took and have not yet acknowledged (they
  acknowledge after the job's transaction) and `onewindow_jobs_queued` those waiting in the queue, read from
  Redis at scrape time, with `onewindow_broker_up`; without a broker, `onewindow_jobs_running` counts the jobs
  this process is running.

`exposition(store)` renders all of it in the text format (`CONTENT_TYPE_LATEST`); admin/metrics_view.py serves
it at GET /metrics.

Several processes (gunicorn workers): set `PROMETHEUS_MULTIPROC_DIR` to an empty, writable directory in the
environment *before* the server starts (prometheus_client picks its storage at import), wipe it at each
restart, and tell prometheus_client when a worker exits, in gunicorn.conf.py::

    from orchestrator.jobs.metrics import child_exit  # noqa: F401 - gunicorn calls child_exit(server, worker)

Each process then writes its counters to files in that directory and a scrape of any worker sums them with
`prometheus_client.multiprocess.MultiProcessCollector` (the per-process python_* and process_* metrics are
left out in that mode). The database gauges need no such care: they are queried, not kept.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import ParamSpec, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select

from orchestrator.core import clock
from orchestrator.jobs import broker, registry
from orchestrator.store.db import Store
from orchestrator.store.models import HumanTask, Job

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

JOB_STATUSES = ("pending", "done", "incident", "cancelled")  # "running" is never committed
COMPLETION_ACTIONS = ("complete", "reject", "supplement", "send_back")
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

TASK_COMPLETIONS = Counter(
    "onewindow_task_completions",
    "Human tasks finished through the service, by action (complete, reject, supplement, send_back).",
    ["action"],
)
STEP_SECONDS = Histogram(
    "onewindow_step_seconds",
    "Duration of a successful service call that steps a case (start, complete, reject, ...).",
    ["action"],
    buckets=STEP_BUCKETS,
)


_running = 0
_running_lock = threading.Lock()


@contextmanager
def running_job() -> Iterator[None]:
    """Count a job as running in this process while the block runs (the embedded runner's gauge)."""
    global _running
    with _running_lock:
        _running += 1
    try:
        yield
    finally:
        with _running_lock:
            _running -= 1


def timed(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a service method: observe its duration as `action` and, for a task action, count it."""
    counted = action in COMPLETION_ACTIONS

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            result = fn(*args, **kwargs)
            STEP_SECONDS.labels(action).observe(time.perf_counter() - started)
            if counted:
                TASK_COMPLETIONS.labels(action).inc()
            return result

        return wrapper

    return decorate


class DatabaseCollector(Collector):
    """Job and task gauges computed from the database at each scrape."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self) -> Iterator[Metric]:
        try:
            at, jobs, tasks = self._query()
        except Exception:  # noqa: BLE001 - a scrape must still answer (and say the database is down)
            log.exception("metrics: database query failed")
            yield _gauge("onewindow_database_up", "1 when the database gauges could be read.", 0)
            return
        yield _gauge("onewindow_database_up", "1 when the database gauges could be read.", 1)
        yield from _job_metrics(at, jobs)
        open_tasks = GaugeMetricFamily(
            "onewindow_open_tasks", "Open or claimed human tasks, by candidate group.", labels=["group"]
        )
        for group, count in sorted(tasks):
            open_tasks.add_metric([group], count)
        yield open_tasks

    def _query(self) -> tuple[datetime, list[tuple], list[tuple[str, int]]]:
        """One grouped query over the job table, one over open tasks: (now, job rows, task rows)."""
        at = clock.now()
        due = (Job.status == "pending") & (Job.due_at <= at)
        job_query = select(
            Job.status,
            Job.kind,
            func.count(),
            func.coalesce(func.sum(case((due, 1), else_=0)), 0),
            func.min(case((due, Job.due_at), else_=None)),
        ).group_by(Job.status, Job.kind)
        task_query = (
            select(func.coalesce(HumanTask.candidate_group, "none"), func.count())
            .where(HumanTask.state.in_(("open", "claimed")))
            .group_by(HumanTask.candidate_group)
        )
        with self.store.engine.connect() as conn:
            jobs = [tuple(row) for row in conn.execute(job_query)]
            tasks = [(group, count) for group, count in conn.execute(task_query)]
        return at, jobs, tasks


def _job_metrics(at: datetime, rows: list[tuple]) -> Iterator[Metric]:
    """Rows of (status, kind, count, due count, oldest due_at) -> the job gauges."""
    # every registered kind is reported (as 0 when absent) so dashboards have series
    counts = {(status, kind): 0 for status in JOB_STATUSES for kind in registry.kinds()}
    due_count, oldest = 0, None
    for status, kind, count, due, due_min in rows:
        counts[(status, kind)] = counts.get((status, kind), 0) + count
        due_count += int(due or 0)
        if due_min is not None and (oldest is None or due_min < oldest):
            oldest = due_min
    by_status = GaugeMetricFamily("onewindow_jobs", "Jobs in the job table.", labels=["status", "kind"])
    for (status, kind), count in sorted(counts.items()):
        by_status.add_metric([status, kind], count)
    yield by_status
    yield _gauge("onewindow_jobs_due", "Pending jobs whose due time has come.", due_count)
    lag = max(0.0, (at - oldest).total_seconds()) if oldest is not None else 0.0
    yield _gauge("onewindow_dispatch_lag_seconds", "Age of the oldest due pending job (0 when none).", lag)
    incidents = sum(count for (status, _), count in counts.items() if status == "incident")
    yield _gauge("onewindow_incidents", "Jobs that failed all their attempts.", incidents)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class _Delegate(Collector):
    """Puts the process-wide registry (counters, histograms, process_*) into a per-scrape registry."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


class BrokerCollector(Collector):
    """Jobs in the workers' hands and waiting in the queue, read from Redis at each scrape."""

    def __init__(self, broker_url: str):
        self.broker_url = broker_url

    def collect(self) -> Iterator[Metric]:
        try:
            client = broker.redis_client(self.broker_url)
            running, queued = client.hlen(broker.UNACKED), client.llen(broker.QUEUE)
        except Exception as exc:  # noqa: BLE001 - a scrape must still answer (and say the broker is down)
            log.warning("metrics: broker not reachable: %s", exc)
            yield _gauge("onewindow_broker_up", "1 when the broker could be read.", 0)
            return
        yield _gauge("onewindow_broker_up", "1 when the broker could be read.", 1)
        yield _gauge(RUNNING, RUNNING_HELP, running)
        yield _gauge(
            "onewindow_jobs_queued", "Job ids sent to the broker, waiting for a free worker.", queued
        )


RUNNING = "onewindow_jobs_running"
RUNNING_HELP = "Jobs being run now (with a broker: taken by a worker and not yet acknowledged)."


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(store: Store | None, broker_url: str | None = None) -> bytes:
    """Every metric in the Prometheus text format; the database gauges only when a store is given, the
    running jobs from the broker when there is one, else from this process."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        from prometheus_client.multiprocess import MultiProcessCollector

        MultiProcessCollector(registry)
    else:
        registry.register(_Delegate(REGISTRY))
    if store is not None:
        registry.register(DatabaseCollector(store))
    if broker_url:
        registry.register(BrokerCollector(broker_url))
    else:
        registry.register(_InProcess())
    return generate_latest(registry)


class _InProcess(Collector):
    def collect(self) -> Iterator[Metric]:
        yield _gauge(RUNNING, RUNNING_HELP, _running)


def child_exit(server: object, worker: object) -> None:
    """gunicorn's child_exit hook: forget a dead worker's live gauges (multi-process mode only)."""
    if multiprocess_dir():
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(worker.pid)  # type: ignore[attr-defined]
