"""Section 1 of the distributed benchmark (bench/distributed.py): end-to-end cases per second through the
REST API with 1 and 2 worker processes, where the CPU goes, and the client-side latency."""

from __future__ import annotations

import logging
import os
import statistics
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import text

from orchestrator.core import clock
from orchestrator.core.config import Settings
from orchestrator.jobs.dispatch import QUEUE
from orchestrator.service import OneWindow

from .fleet import E2E, E2E_KEY, GROUP, TARGET_SPEEDUP, USER, Fleet, cpu_snapshot

PASSWORD = "benchpass"
CLIENTS = 8
POLL_SECONDS = 0.1


# -- 1. end-to-end cases per second ----------------------------------------------------------------------
@dataclass
class Tally:
    """What the client threads saw: case end times, time per kind of API call, time waiting on workers."""

    ended: list[tuple[float, float]] = field(default_factory=list)  # (started, closed) per case
    calls: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    waits: list[float] = field(default_factory=list)  # complete answered → next task seen
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Clerk(threading.Thread):
    """One API client: opens cases and works each one through to its end, until `until`."""

    def __init__(self, app, token: str, until: float, tally: Tally):
        super().__init__(daemon=True)
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.until, self.tally = until, tally
        self.calls: dict[str, list[float]] = defaultdict(list)
        self.waits: list[float] = []

    def call(self, kind: str, method: str, url: str, **kw) -> dict:
        t0 = time.perf_counter()
        answer = getattr(self.client, method)(url, headers=self.headers, **kw)
        self.calls[kind].append(time.perf_counter() - t0)
        if answer.status_code not in (200, 201):
            raise RuntimeError(
                f"{method.upper()} {url}: {answer.status_code} {answer.get_data(as_text=True)}"
            )
        return answer.json

    def next_task(self, instance: int) -> dict:
        """Poll the 待签收 inbox until the case's next step appears (its async script ran on a worker)."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 60:
            page = self.call("poll", "get", f"/api/v1/tasks/?view=group&item={E2E_KEY}&page_size=200")
            for task in page["tasks"]:
                if task["instance"] == instance and task["state"] == "open":
                    self.waits.append(time.perf_counter() - t0)
                    return task
            time.sleep(POLL_SECONDS)
        raise RuntimeError(f"instance {instance}: no next task after 60 s")

    def one_case(self) -> None:
        started = time.monotonic()
        case = self.call(
            "start", "post", "/api/v1/cases/", json={"item": E2E_KEY, "data": {"applicant": "张三"}}
        )
        task = case["tasks"][0]
        for step in range(4):
            if step:
                task = self.next_task(case["instance"])
            self.call("claim", "post", f"/api/v1/tasks/{task['id']}/claim")
            done = self.call("complete", "post", f"/api/v1/tasks/{task['id']}/complete", json={"data": {}})
        if done["status"] != "completed":
            raise RuntimeError(f"instance {case['instance']} is {done['status']} after its 4th step")
        with self.tally.lock:
            self.tally.ended.append((started, time.monotonic()))

    def run(self) -> None:
        try:
            while time.monotonic() < self.until:
                self.one_case()
        except Exception as exc:  # noqa: BLE001 - reported by the section
            self.tally.errors.append(f"{type(exc).__name__}: {exc}")
        with self.tally.lock:
            for kind, times in self.calls.items():
                self.tally.calls[kind] += times
            self.tally.waits += self.waits


@dataclass
class Run:
    workers: int
    cases: int  # closed inside the measured window
    seconds: float
    cpu: dict[str, float]
    tally: Tally
    load: float
    queue: float = 0.0  # mean job ids waiting for a worker
    jobs: int = 0  # async steps taken by the workers in the window
    in_jobs: float = 0.0  # wall seconds the workers spent in them

    @property
    def rate(self) -> float:
        return self.cases / self.seconds


def merge(runs: list[Run]) -> Run:
    """The windows of one worker count taken together."""
    tally = Tally()
    for r in runs:
        tally.ended += r.tally.ended
        tally.waits += r.tally.waits
        for kind, times in r.tally.calls.items():
            tally.calls[kind] += times
    return Run(
        runs[0].workers,
        sum(r.cases for r in runs),
        sum(r.seconds for r in runs),
        {k: sum(r.cpu[k] for r in runs) for k in runs[0].cpu},
        tally,
        statistics.mean(r.load for r in runs),
        statistics.mean(r.queue for r in runs),
        sum(r.jobs for r in runs),
        sum(r.in_jobs for r in runs),
    )


def token(app) -> str:
    answer = app.test_client().post(
        "/api/v1/security/login", json={"username": USER, "password": PASSWORD, "provider": "db"}
    )
    if answer.status_code != 200:
        raise RuntimeError(f"login failed: {answer.get_data(as_text=True)}")
    return answer.json["access_token"]


def measure_cases(app, settings: Settings, workers: int, logs: Path, ramp: float, window: float) -> Run:
    """Cases closed per second with `workers` worker processes, over `window` seconds after `ramp`."""
    fleet = Fleet(settings, workers, logs)
    try:
        tokens = [token(app) for _ in range(CLIENTS)]
        warm = Tally()  # one case alone: the workers are up and have parsed the diagram
        Clerk(app, tokens[0], 0.0, warm).one_case()
        fleet.check()
        tally = Tally()
        begin = time.monotonic()
        clerks = [Clerk(app, t, begin + ramp + window, tally) for t in tokens]
        for c in clerks:
            c.start()
        time.sleep(max(0.0, begin + ramp - time.monotonic()))
        cpu0, at0 = cpu_snapshot(fleet), clock.now()
        queue = queued(settings.broker_url or "", begin + ramp + window)
        cpu1, at1 = cpu_snapshot(fleet), clock.now()
        load = os.getloadavg()[0]
        for c in clerks:
            c.join(timeout=120)
        fleet.check()
    finally:
        fleet.stop()
    if tally.errors:
        raise RuntimeError(f"{len(tally.errors)} client(s) failed, first: {tally.errors[0]}")
    low, high = begin + ramp, begin + ramp + window
    cases = sum(1 for _, end in tally.ended if low <= end < high)
    jobs, in_jobs = job_time(app.extensions["onewindow"], at0, at1)
    return Run(
        workers, cases, window, {k: cpu1[k] - cpu0[k] for k in cpu0}, tally, load, queue, jobs, in_jobs
    )


JOB_TIME = """
SELECT count(*), coalesce(sum(extract(epoch FROM (
    SELECT min(t.created_at) FROM human_task t
    WHERE t.instance_id = j.instance_id AND t.created_at >= j.done_at
  ) - j.done_at)), 0)
FROM job j WHERE j.kind = 'continue' AND j.status = 'done' AND j.done_at >= :low AND j.done_at < :high
"""


def job_time(ow: OneWindow, low, high) -> tuple[int, float]:
    """Async steps the workers took in [low, high) and the wall seconds they spent in them: from taking the
    job (job.done_at) to creating the next user task, in the same transaction (the commit is not counted)."""
    with ow.store.engine.connect() as conn:
        count, seconds = conn.execute(text(JOB_TIME), {"low": low, "high": high}).one()
    return count, float(seconds)


def queued(broker_url: str, until: float) -> float:
    """Mean number of job ids waiting in the Redis queue for a free worker, sampled every 0.1 s until `until`
    (a worker holds the one it runs apart, unacknowledged): above 0, the workers are what cases wait for."""
    import redis

    client = redis.Redis.from_url(broker_url)
    lengths = []
    while time.monotonic() < until:
        lengths.append(client.llen(QUEUE))
        time.sleep(0.1)
    client.close()
    return statistics.mean(lengths) if lengths else 0.0


def prepare_site(settings: Settings):
    """The app with the benchmark diagram published and a web account in the frontdesk group."""
    from admin import create_app
    from admin.commands import add_user

    ow = OneWindow(replace(settings, broker_url=None))
    ow.upgrade()
    ow.deploy(E2E, publish=True, actor=USER)
    ow.add_member(USER, GROUP)
    ow.close()
    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)  # its start-up chatter about roles
    app = create_app(settings, {"SECRET_KEY": "x" * 32, "ONEWINDOW_RUN_JOBS": False})
    add_user(settings, USER, "Admin", PASSWORD, app=app)
    return app


def print_cases(windows: list[Run]) -> None:
    runs = [merge([w for w in windows if w.workers == n]) for n in (1, 2)]
    print(
        f"\n## End-to-end cases per second on Celery + Redis ({E2E.name}: start → 4 user tasks through the"
        f" REST API, an async script on a worker after each of the first 3 → closed; {CLIENTS} client"
        f" threads; os.cpu_count() = {os.cpu_count()})\n"
    )
    print("Windows alternate between 1 and 2 worker processes, so that load from elsewhere falls on both.\n")
    print_rates(windows, runs)
    print_cpu(runs)
    print_latency(runs)


def print_rates(windows: list[Run], runs: list[Run]) -> None:
    one = runs[0].rate or float("nan")
    print(
        "| window | worker processes (+ 1 beat) | cases closed | seconds | cases/s"
        " | jobs waiting for a worker (mean) | load avg |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(windows, 1):
        cells = f"{r.cases} | {r.seconds:.0f} | {r.rate:.2f} | {r.queue:.1f} | {r.load:.1f}"
        print(f"| {i} | {r.workers} | {cells} |")
    for r in runs:
        rate = f"**{r.rate:.2f}** ({r.rate / one:.2f}×)"
        print(
            f"| all | **{r.workers}** | {r.cases} | {r.seconds:.0f} | {rate} | {r.queue:.1f} | {r.load:.1f} |"
        )
    speedup = runs[-1].rate / one
    verdict = "ok" if speedup >= TARGET_SPEEDUP else "below"
    print(f"\nTarget 2 workers ≥ {TARGET_SPEEDUP}× one worker: {speedup:.2f}× ({verdict}).")


def print_cpu(runs: list[Run]) -> None:
    """CPU seconds per component and what they imply: which part sets the pace."""
    print("\n### Where the time goes (CPU seconds used during the windows, per case closed)\n")
    print("| component | " + " | ".join(f"{r.workers} worker(s): CPU s | ms/case" for r in runs) + " |")
    print("|---|" + "---:|---:|" * len(runs))
    labels = {
        "clients": f"API clients (this process: Flask + FAB + service, {CLIENTS} threads, one GIL)",
        "workers": "Celery workers (parent + pool child)",
        "beat": "beat",
        "postgres": "PostgreSQL (every backend on the machine)",
        "redis": "Redis",
        "machine": "whole machine (busy; other users included)",
    }
    for key, label in labels.items():
        cells = " | ".join(f"{r.cpu[key]:.1f} | {1000 * r.cpu[key] / max(r.cases, 1):.0f}" for r in runs)
        print(f"| {label} | {cells} |")
    cores = os.cpu_count() or 1
    busy = " / ".join(f"{r.cpu['machine'] / (r.seconds * cores):.0%}" for r in runs)
    print(f"\nMachine busy during the windows: {busy} of {cores} cores.")
    own = ("clients", "workers", "beat", "postgres", "redis")
    for r in runs:
        per_case = {k: max(r.cpu[k], 1e-9) / max(r.cases, 1) for k in own}
        total = sum(per_case.values())
        jobs = max(r.jobs, 1)
        print(
            f"- {r.workers} worker(s): the API clients' process was busy {r.cpu['clients'] / r.seconds:.0%}"
            f" of one core (its {CLIENTS} threads share one GIL: 100% is its ceiling,"
            f" {1 / per_case['clients']:.1f} cases/s). The workers ran {r.jobs} async steps, in them"
            f" {r.in_jobs / (r.workers * r.seconds):.0%} of the wall time, {1000 * r.in_jobs / jobs:.0f} ms"
            f" each, of which {1000 * r.cpu['workers'] / jobs:.0f} ms CPU (Celery included): the rest is"
            " waiting on PostgreSQL and for a core. On CPU alone they could close"
            f" {r.workers / per_case['workers']:.0f} cases/s. This benchmark's own processes used"
            f" {1000 * total:.0f} ms of CPU per case: {cores} idle cores would top out near"
            f" {cores / total:.1f} cases/s."
        )


def print_latency(runs: list[Run]) -> None:
    print("\n### Client-side latency (median / p95, ms)\n")
    print("| call | " + " | ".join(f"{r.workers} worker(s)" for r in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for kind in ("start", "claim", "complete", "poll"):
        print(f"| {kind} | " + " | ".join(_p50_p95(r.tally.calls[kind]) for r in runs) + " |")
    waits = " | ".join(_p50_p95(r.tally.waits) for r in runs)
    print(f"| async step (complete answered → next task in the inbox) | {waits} |")
    polls = " | ".join(f"{len(r.tally.calls['poll']) / max(len(r.tally.waits), 1):.1f}" for r in runs)
    print(f"| polls per async step (every {1000 * POLL_SECONDS:.0f} ms) | {polls} |")


def _p50_p95(values: list[float]) -> str:
    if len(values) < 2:
        return "–"
    p95 = statistics.quantiles(values, n=100, method="inclusive")[94]
    return f"{1000 * statistics.median(values):.0f} / {1000 * p95:.0f}"


def cases_section(url: str, broker: str, logs: Path, quick: bool) -> list[Run]:
    settings = Settings(database_url=url, broker_url=broker, data_dir=logs / "data")
    app = prepare_site(settings)
    ramp, window, rounds = (3.0, 8.0, 1) if quick else (4.0, 20.0, 2)
    try:
        runs = [measure_cases(app, settings, n, logs, ramp, window) for _ in range(rounds) for n in (1, 2)]
    finally:
        with app.app_context():
            from admin import db

            db.engine.dispose()
        app.extensions["onewindow"].close()
    print_cases(runs)
    return runs
