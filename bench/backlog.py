"""Section 2 of the distributed benchmark (bench/distributed.py): async steps per second when 1 or 2 worker
processes drain a backlog of pending jobs (no API client), CPU per step, and a check that each ran once."""

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

from .fleet import (
    E2E,
    E2E_KEY,
    GROUP,
    TARGET_SPEEDUP,
    USER,
    Fleet,
    _comm,
    _proc_stat,
    _wait_done,
    cpu_snapshot,
)

# -- 2. worker throughput from a backlog -------------------------------------------------------------------
WARM_JOBS = 4  # per window: taken before the measured backlog is made due
LATER = timedelta(days=1)
# per backlog job: whether its step ran once (one next user task, one continue job for the instance)
BACKLOG_CHECK = """
SELECT count(*) FILTER (WHERE j.status = 'done'),
       count(*) FILTER (WHERE j.attempts > 0 OR j.last_error IS NOT NULL),
       count(*) FILTER (WHERE (SELECT count(*) FROM human_task t
                               WHERE t.instance_id = j.instance_id AND t.name = 'Task_2') <> 1),
       count(*) FILTER (WHERE (SELECT count(*) FROM job c
                               WHERE c.instance_id = j.instance_id AND c.kind = 'continue') <> 1)
FROM job j WHERE j.id = ANY(:ids)
"""
# first job taken (job.done_at is when a worker took it) → last next user task created (in the job's
# transaction), and the seconds the workers spent in the steps (taken → next task created, commit excluded)
BACKLOG_SPAN = """
SELECT min(j.done_at), max(t.created_at), sum(extract(epoch FROM t.created_at - j.done_at)) FROM job j
JOIN human_task t ON t.instance_id = j.instance_id AND t.name = 'Task_2'
WHERE j.id = ANY(:ids) AND j.status = 'done'
"""


@dataclass
class Backlog:
    workers: int
    steps: int
    seconds: float  # first job taken → last next user task created
    wall: float  # backlog made due → all seen done (what the CPU figures cover)
    cpu: dict[str, float]
    load: float
    in_steps: float  # seconds from taking each job to creating its next user task, summed

    @property
    def rate(self) -> float:
        return self.steps / self.seconds

    @property
    def step_ms(self) -> float:
        """Mean wall time of one step inside a worker: grows when the workers wait for a core."""
        return 1000 * self.in_steps / max(self.steps, 1)

    @property
    def busy(self) -> float:
        """Share of the machine's cores busy meanwhile, other users included."""
        return self.cpu["machine"] / (self.wall * (os.cpu_count() or 1))

    @property
    def others(self) -> float:
        """Cores used meanwhile by everything but this benchmark (other databases' backends and PostgreSQL's
        shared WAL writer and checkpointer included)."""
        own = sum(self.cpu[k] for k in ("workers", "beat", "postgres", "redis", "clients"))
        return max(0.0, self.cpu["machine"] - own) / self.wall

    def ms(self, *keys: str) -> float:
        """CPU milliseconds per async step of the given components."""
        return 1000 * sum(self.cpu[k] for k in keys) / max(self.steps, 1)


def make_backlog(ow: OneWindow, size: int) -> list[int]:
    """`size` instances waiting on their first async script: started and their first user task completed
    through the service without a broker, so each leaves one pending `continue` job that nothing sends.
    The jobs are put off by a day, so that each window's fleet only takes the ones made due for it."""
    for _ in range(size):
        task = ow.start(E2E_KEY, {"applicant": "张三"}, actor=USER)["tasks"][0]
        ow.complete(task["id"], USER, {})
    with ow.store.engine.begin() as conn:
        ids = conn.execute(
            text(
                "UPDATE job SET due_at = :later WHERE kind = 'continue' AND status = 'pending' RETURNING id"
            ),
            {"later": clock.now() + LATER},
        ).scalars()
        ids = sorted(ids)
    if len(ids) != size:
        raise RuntimeError(f"{size} instances left {len(ids)} pending continue jobs, not one each")
    with ow.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE job, human_task, process_instance"))
    return ids


def make_due(ow: OneWindow, ids: list[int]) -> None:
    """Due now and never sent: the beat sends them at its next tick (500 per query, all in one tick)."""
    with ow.store.engine.begin() as conn:
        conn.execute(
            text("UPDATE job SET due_at = :now, dispatched_at = NULL WHERE id = ANY(:ids)"),
            {"now": clock.now(), "ids": ids},
        )


def _require_done(ow: OneWindow, fleet: Fleet, ids: list[int], seconds: float, what: str) -> None:
    """Wait for the jobs; raise with the first recorded error if they are not all done in time."""
    if _wait_done(ow, fleet, ids, seconds) == len(ids):
        return
    with ow.store.engine.connect() as conn:
        errors = conn.execute(
            text("SELECT last_error FROM job WHERE id = ANY(:ids) AND last_error IS NOT NULL"), {"ids": ids}
        ).scalars()
        raise RuntimeError(
            f"{what} not done after {seconds:.0f} s: {next(iter(errors), 'no error recorded')}"
        )


def _settle(ow: OneWindow, seconds: float = 60) -> None:
    """Wait until nothing else is due (a fresh fleet schedules the supervision sweep, due at once), so the
    window measures the backlog alone."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with ow.store.engine.connect() as conn:
            due = conn.execute(
                text("SELECT count(*) FROM job WHERE status = 'pending' AND due_at <= :now"),
                {"now": clock.now()},
            ).scalar_one()
        if not due:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{due} job(s) still due after {seconds:.0f} s of warm-up")


def backend_cpu(ow: OneWindow) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving this database (the workers', the beat's, this
    process's): on a server shared with other users, summing every postgres process can even go negative
    when their backends exit between two snapshots."""
    with ow.store.engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        return {pid: found[1] for pid in pids if _comm(pid) == "postgres" and (found := _proc_stat(pid))}


def backend_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU the backends used in between (those opened meanwhile count whole; those closed are lost)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def measure_backlog(
    ow: OneWindow, settings: Settings, workers: int, logs: Path, warm: list[int], ids: list[int]
) -> Backlog:
    """Async steps per second when `workers` processes drain a backlog of `ids`, after a warm-up on `warm`
    (the workers are up, have parsed the diagram and connected to the database and Redis)."""
    fleet = Fleet(settings, workers, logs)
    try:
        make_due(ow, warm)
        _require_done(ow, fleet, warm, 120, "warm-up jobs")
        _settle(ow)
        cpu0, pg0, t0 = cpu_snapshot(fleet), backend_cpu(ow), time.monotonic()
        make_due(ow, ids)
        _require_done(ow, fleet, ids, 60 + len(ids) / 5, f"backlog of {len(ids)}")
        cpu1, pg1, wall = cpu_snapshot(fleet), backend_cpu(ow), time.monotonic() - t0
        load = os.getloadavg()[0]
        fleet.check()
    finally:
        fleet.stop()
    with ow.store.engine.connect() as conn:
        first, last, in_steps = conn.execute(text(BACKLOG_SPAN), {"ids": ids}).one()
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0} | {"postgres": backend_delta(pg0, pg1)}
    return Backlog(workers, len(ids), (last - first).total_seconds(), wall, cpu, load, float(in_steps))


def verify_backlog(ow: OneWindow, ids: list[int]) -> None:
    """Every backlog job done exactly once: done, never failed, one next user task and one continue job
    per instance (a second run of a step would have added a task or a job)."""
    with ow.store.engine.connect() as conn:
        done, failed, tasks_off, jobs_off = conn.execute(text(BACKLOG_CHECK), {"ids": ids}).one()
    if (done, failed, tasks_off, jobs_off) != (len(ids), 0, 0, 0):
        raise RuntimeError(
            f"backlog of {len(ids)}: {done} done, {failed} failed at least once, {tasks_off} instances"
            f" without exactly one next user task, {jobs_off} without exactly one continue job"
        )


def merge_backlogs(runs: list[Backlog]) -> Backlog:
    """The windows of one worker count taken together."""
    return Backlog(
        runs[0].workers,
        sum(r.steps for r in runs),
        sum(r.seconds for r in runs),
        sum(r.wall for r in runs),
        {k: sum(r.cpu[k] for r in runs) for k in runs[0].cpu},
        statistics.mean(r.load for r in runs),
        sum(r.in_steps for r in runs),
    )


def print_backlog(windows: list[Backlog], size: int, made: float) -> None:
    runs = [merge_backlogs([w for w in windows if w.workers == n]) for n in (1, 2)]
    cores = os.cpu_count() or 1
    print(
        f"\n## Worker throughput from a backlog ({E2E.name}: async script → next user task on a worker;"
        f" no API client; os.cpu_count() = {cores})\n"
    )
    print(
        f"{len(windows) * (size + WARM_JOBS):,} instances were started and their first user task completed"
        f" through the service without a broker ({made:.0f} s), each leaving one pending `continue` job."
        f" Per window a fresh fleet took {WARM_JOBS} jobs to warm up, then {size:,} were made due at once"
        " (the beat sends them within a second). Seconds = first job taken → last next user task created;"
        " CPU per step covers made due → all done. Windows alternate between 1 and 2 worker processes.\n"
    )
    print(
        "| window | worker processes (+ 1 beat) | async steps | seconds | steps/s | vs 1 worker"
        " | ms in a step (taken → next task) | CPU ms/step: workers | PostgreSQL (this database's backends)"
        " | beat + Redis | machine busy | other users (cores) | load avg |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    one = runs[0].rate
    for label, r in [*((str(i), w) for i, w in enumerate(windows, 1)), *(("all", r) for r in runs)]:
        rate = f"**{r.rate:.1f}**" if label == "all" else f"{r.rate:.1f}"
        print(
            f"| {label} | {r.workers} | {r.steps:,} | {r.seconds:.1f} | {rate} | {r.rate / one:.2f}×"
            f" | {r.step_ms:.1f} | {r.ms('workers'):.1f} | {r.ms('postgres'):.1f} | {r.ms('beat', 'redis'):.1f}"
            f" | {r.busy:.0%} | {r.others:.1f} | {r.load:.1f} |"
        )
    print_backlog_verdict(runs, cores)


def print_backlog_verdict(runs: list[Backlog], cores: int) -> None:
    """The speedup against the target, and what this machine's cores allow at the CPU each step costs."""
    one, two = runs
    speedup = two.rate / one.rate
    verdict = "ok" if speedup >= TARGET_SPEEDUP else "below"
    own = one.ms("workers", "postgres", "beat", "redis")
    ceiling = 1000 * cores / own
    print(
        f"\nTarget 2 workers ≥ {TARGET_SPEEDUP}× one worker, workers alone: {speedup:.2f}× ({verdict}), on"
        f" os.cpu_count() = {cores}. A step cost {own:.0f} ms of CPU across workers, PostgreSQL, beat and"
        f" Redis with 1 worker: {cores} idle cores would allow about {ceiling:.0f} steps/s,"
        f" {ceiling / one.rate:.2f}× one worker's {one.rate:.1f} (2 single-process workers reach 2× at most)."
        f" Other users took {one.others:.1f} / {two.others:.1f} of the {cores} cores during the 1- / 2-worker"
        f" windows (the machine was {one.busy:.0%} / {two.busy:.0%} busy), and a step spent"
        f" {one.step_ms:.1f} / {two.step_ms:.1f} ms in a worker"
        + (
            ": with 2 workers they waited for a core, so this run does not show what free cores would give."
            if two.step_ms > 1.3 * one.step_ms and two.busy > 0.85
            else "."
        )
    )


def backlog_section(url: str, broker: str, logs: Path, quick: bool) -> list[Backlog]:
    settings = Settings(database_url=url, broker_url=broker, data_dir=logs / "data")
    size, rounds = (400, 1) if quick else (1800, 2)  # a worker takes some 50–80 steps/s here
    ow = OneWindow(replace(settings, broker_url=None))  # the backlog is only rows until a fleet runs
    try:
        ow.upgrade()
        ow.deploy(E2E, publish=True, actor=USER)
        ow.add_member(USER, GROUP)
        t0 = time.perf_counter()
        ids = make_backlog(ow, 2 * rounds * (size + WARM_JOBS))
        made = time.perf_counter() - t0
        slices = [ids[i : i + size + WARM_JOBS] for i in range(0, len(ids), size + WARM_JOBS)]
        counts = [n for _ in range(rounds) for n in (1, 2)]
        runs = [
            measure_backlog(ow, settings, n, logs, part[:WARM_JOBS], part[WARM_JOBS:])
            for n, part in zip(counts, slices, strict=True)
        ]
        verify_backlog(ow, ids)
    finally:
        ow.close()
    print_backlog(runs, size, made)
    return runs
