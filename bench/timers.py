"""Section 3 of the distributed benchmark (bench/distributed.py): timer firing lag with 100 000 waiting
timers, 2 worker processes and a beat."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from orchestrator.core import clock
from orchestrator.core.config import Settings
from orchestrator.service import OneWindow

from .fleet import TIMER, TIMER_KEY, USER, Fleet, _wait_done, cpu_snapshot

TARGET_LAG_P95 = 2.0


# -- 3. timer lag with 100 000 waiting timers ------------------------------------------------------------
COPY_INSTANCES = """
INSERT INTO process_instance
    (definition_id, process_key, status, state, version, started_by, started_at, org_path)
SELECT p.definition_id, p.process_key, p.status, p.state, p.version, p.started_by, p.started_at, p.org_path
FROM process_instance p, generate_series(2, :total) WHERE p.id = :template
"""
# every instance gets one pending timer job, due in a month (spread over a day so the index has a range)
TIMER_JOBS = """
INSERT INTO job (kind, instance_id, status, due_at, attempts, max_attempts, created_at)
SELECT 'timer', p.id, 'pending', :far + (p.id % 1440) * interval '1 minute', 0, 3, :now
FROM process_instance p WHERE p.process_key = :key
"""
# the sample: every `step`-th job, due at `start` + its rank × spread / size
SCHEDULE_SAMPLE = """
UPDATE job SET due_at = :start + (s.rank - 1) * :gap * interval '1 second'
FROM (SELECT id, row_number() OVER (ORDER BY id) AS rank FROM job WHERE kind = 'timer' AND id % :step = 0
      ORDER BY id LIMIT :size) AS s
WHERE job.id = s.id RETURNING job.id
"""


def load_timers(ow: OneWindow, total: int) -> float:
    """`total` instances waiting on their timer, one started through the service and the rest copied."""
    t0 = time.perf_counter()
    template = ow.start(TIMER_KEY, {}, actor=USER)["instance"]
    now = clock.now()
    with ow.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM job WHERE kind = 'timer'"))
        conn.execute(text(COPY_INSTANCES), {"total": total, "template": template})
        conn.execute(text(TIMER_JOBS), {"far": now + timedelta(days=30), "now": now, "key": TIMER_KEY})
    with ow.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE process_instance, job"))
    return time.perf_counter() - t0


def warm_up(ow: OneWindow, fleet: Fleet, step: int, jobs: int = 4) -> None:
    """A few copied timers due now (ids outside the sample), waited for: the workers and the beat are up, have
    parsed the diagram, and the copies run as the engine expects."""
    with ow.store.engine.begin() as conn:
        ids = list(
            conn.execute(
                text(
                    "UPDATE job SET due_at = :now WHERE id IN (SELECT id FROM job WHERE kind = 'timer'"
                    " AND id % :step <> 0 ORDER BY id DESC LIMIT :n) RETURNING id"
                ),
                {"now": clock.now(), "step": step, "n": jobs},
            ).scalars()
        )
    if _wait_done(ow, fleet, ids, 60) < len(ids):
        with ow.store.engine.connect() as conn:
            errors = conn.execute(
                text("SELECT last_error FROM job WHERE id = ANY(:ids) AND last_error IS NOT NULL"),
                {"ids": ids},
            ).scalars()
            raise RuntimeError(f"warm-up timers did not fire: {next(iter(errors), 'no error recorded')}")


CLAIM_QUERY = """
SELECT id FROM job WHERE status = 'pending' AND due_at <= :now
AND (dispatched_at IS NULL OR dispatched_at < :now - interval '30 seconds') ORDER BY due_at, id LIMIT 500
"""  # what the beat runs every second (jobs.claim_for_dispatch, without its FOR UPDATE SKIP LOCKED)


@dataclass
class TimerRun:
    total: int
    sample: int
    spread: float
    loaded: float
    lags: list[float]
    drained: float  # last sampled job taken, seconds after the first was due
    counts: dict[str, int]
    instances: int
    ended: int
    cpu: dict[str, float]  # CPU seconds used while the sample fired
    waited: float  # seconds the sample took to fire
    claim_ms: float
    load: float


def schedule_sample(ow: OneWindow, total: int, sample: int, spread: float) -> tuple[list[int], object]:
    start = clock.now() + timedelta(seconds=2)
    with ow.store.engine.begin() as conn:
        ids = conn.execute(
            text(SCHEDULE_SAMPLE),
            {"start": start, "gap": spread / sample, "step": total // sample, "size": sample},
        ).scalars()
        return list(ids), start


def claim_query_ms(ow: OneWindow) -> float:
    """Execution time of the beat's query over the whole job table (EXPLAIN ANALYZE)."""
    with ow.store.engine.connect() as conn:
        plan = conn.execute(text("EXPLAIN ANALYZE " + CLAIM_QUERY), {"now": clock.now()}).scalars().all()
    return sum(float(line.split(":")[1].split()[0]) for line in plan if line.startswith("Execution Time:"))


def measure_timers(url: str, broker: str, logs: Path, total: int, sample: int, spread: float) -> TimerRun:
    settings = Settings(database_url=url, broker_url=broker, data_dir=logs / "data")
    ow = OneWindow(replace(settings, broker_url=None))  # jobs are only rows until the fleet runs
    ow.upgrade()
    ow.deploy(TIMER, publish=True, actor=USER)
    loaded = load_timers(ow, total)
    claim_ms = claim_query_ms(ow)
    fleet = Fleet(settings, 2, logs)
    try:
        warm_up(ow, fleet, total // sample)
        sampled, start = schedule_sample(ow, total, sample, spread)
        cpu0, t0 = cpu_snapshot(fleet), time.monotonic()
        _wait_done(ow, fleet, sampled, 2 + spread + 60)
        cpu1, waited = cpu_snapshot(fleet), time.monotonic() - t0
        load = os.getloadavg()[0]
    finally:
        fleet.stop()
    with ow.store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT due_at, done_at FROM job WHERE id = ANY(:ids) AND status = 'done'"), {"ids": sampled}
        ).all()
        counts = dict(
            conn.execute(text("SELECT status, count(*) FROM job WHERE kind = 'timer' GROUP BY 1")).all()
        )
        instances, ended = conn.execute(
            text("SELECT count(*), count(*) FILTER (WHERE status = 'completed') FROM process_instance")
        ).one()
    ow.close()
    lags = [(done - due).total_seconds() for due, done in rows]
    drained = max(((done - start).total_seconds() for _, done in rows), default=float("nan"))
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    return TimerRun(
        total, sample, spread, loaded, lags, drained, counts, instances, ended, cpu, waited, claim_ms, load
    )


def print_timers(r: TimerRun) -> None:
    lags = r.lags or [float("nan")]
    quantiles = statistics.quantiles(lags, n=100, method="inclusive") if len(lags) > 1 else lags * 99
    p50, p95 = statistics.median(lags), quantiles[94]
    fired = len(r.lags)
    print(
        f"\n## Timer firing lag with {r.total:,} waiting timers (2 worker processes + 1 beat; load average"
        f" {r.load:.1f})\n"
    )
    print(
        f"{r.total:,} instances of {TIMER.name} were loaded in {r.loaded:.0f} s; {r.sample:,} of their timers"
        f" were made due over {r.spread:.0f} s ({r.sample / r.spread:.0f} timers/s), the rest in a month."
        " Lag = job.done_at (when a worker took the job) − job.due_at.\n"
    )
    print(
        "| timer jobs in the table | sampled fired | lag p50 (s) | lag p95 (s) | max (s) | fired/s |"
        f" beat's query (ms) | target p95 < {TARGET_LAG_P95:.0f} s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    verdict = "ok" if p95 < TARGET_LAG_P95 and fired == r.sample else "MISSED"
    print(
        f"| {sum(r.counts.values()):,} | {fired:,} / {r.sample:,} | {p50:.2f} | {p95:.2f} | {max(lags):.2f} |"
        f" {fired / r.drained:.0f} | {r.claim_ms:.2f} | {verdict} |"
    )
    state = ", ".join(f"{k} {v:,}" for k, v in sorted(r.counts.items()))
    print(
        f"\nTimer jobs after the run: {state}; instances {r.instances:,}, ended {r.ended:,}. The last"
        f" sampled timer was taken {r.drained:.1f} s after the first was due; the beat sends due jobs once a"
        " second, so a lag of 0–1 s is by design, and more means the workers were behind."
    )
    per = {k: 1000 * v / max(fired, 1) for k, v in r.cpu.items()}
    own = per["workers"] + per["beat"] + per["postgres"] + per["redis"]
    cores = os.cpu_count() or 1
    print(
        f"CPU per timer fired: workers {per['workers']:.0f} ms (Celery included), PostgreSQL"
        f" {per['postgres']:.0f} ms, beat and Redis {per['beat'] + per['redis']:.0f} ms: {cores} idle cores"
        f" would fire about {1000 * cores / own:.0f} timers/s. The machine was"
        f" {r.cpu['machine'] / (r.waited * cores):.0%} busy meanwhile (other users included)."
    )


def timers_section(url: str, broker: str, logs: Path, quick: bool) -> TimerRun:
    total, sample, spread = (10_000, 500, 10.0) if quick else (100_000, 2_000, 20.0)
    run = measure_timers(url, broker, logs, total, sample, spread)
    print_timers(run)
    return run
