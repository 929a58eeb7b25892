"""Celery + Redis at work: end-to-end cases per second and async steps per second from a backlog with 1 and 2
worker processes, and timer firing lag with 100 000 waiting timers, on PostgreSQL (a throwaway database each)
and Redis (db 14, flushed before and after).

1. Cases per second: `bench_e2e_case.bpmn` is start → 4 user tasks of the frontdesk lane, each but the last
   followed by an async script task (so the step after each clerk action runs on a worker) → end. Client
   threads drive the REST API through Flask test clients of the real app (bearer tokens): POST
   /api/v1/cases/, then for each step poll GET /api/v1/tasks/?view=group until the case's next task
   appears, claim it and complete it, until the case is closed. Measured with `onewindow worker
   --concurrency 1` spawned once, then twice (plus one `onewindow beat`), in alternating windows after a
   ramp-up. The CPU seconds each component used in the windows, and how many job ids waited in Redis for a
   free worker, say where the time goes.
2. Worker throughput from a backlog: the same diagram, but no API client. Instances are started and their
   first user task completed through the service without a broker, leaving one pending `continue` job each
   (the async script) that nothing sends; put off by a day, a slice of them is made due at once after a
   fresh fleet of 1 or 2 workers (+ beat) has warmed up, in alternating windows. Async steps per second
   from the first job taken to the last next user task created, and CPU per step per component, show how
   the workers themselves scale (in 1. the API clients' process sets the pace). Afterwards every job must
   have run exactly once.
3. Timer lag: one instance of `bench_timer_wait.bpmn` (start → timer PT1S → end) is started through the
   service and copied with INSERT … SELECT generate_series into 100 000 instances, each with its timer job
   (the copies share the template's Spiff state, whose timer is already due, so `job.due_at` alone decides
   when each fires). Most jobs are due in a month; a sample is made due at instants spread over 20 s while
   2 workers and a beat run. Lag = job.done_at (when a worker took it) − job.due_at.

The code: bench/fleet.py (services, worker and beat processes, CPU accounting), bench/cases.py (1.),
bench/backlog.py (2.), bench/timers.py (3.); `section` below runs the three in turn.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .backlog import backlog_section
from .cases import cases_section
from .fleet import redis_db, throwaway_database
from .timers import timers_section

REDIS_URL = "redis://127.0.0.1:6379/14"  # the bench's own db of the shared Redis: flushed before and after


# -- the section -------------------------------------------------------------------------------------------
def section(quick: bool = False) -> None:
    """`python -m bench`: the distributed section (`--quick`: shorter windows, 10 000 timers)."""
    broker = os.environ.get("ONEWINDOW_BENCH_REDIS_URL", REDIS_URL)
    with tempfile.TemporaryDirectory(prefix="ow-bench-dist-") as tmp, redis_db(broker) as redis_url:
        if redis_url is None:
            return
        logs = Path(tmp)
        load = os.getloadavg()[0]
        print(f"\n(distributed section: os.cpu_count() = {os.cpu_count()}, load average {load:.1f})")
        with throwaway_database() as url:
            if url is None:
                return
            cases_section(url, redis_url, logs, quick)
        with throwaway_database() as url:
            if url is None:
                return
            backlog_section(url, redis_url, logs, quick)
        with throwaway_database() as url:
            if url is None:
                return
            timers_section(url, redis_url, logs, quick)
