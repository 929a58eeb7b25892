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
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orchestrator import clock
from orchestrator.config import REPO_ROOT, Settings
from orchestrator.dispatch import QUEUE
from orchestrator.service import OneWindow

HERE = Path(__file__).resolve().parent
E2E = HERE / "bench_e2e_case.bpmn"
E2E_KEY = "bench_e2e_case"
TIMER = HERE / "bench_timer_wait.bpmn"
TIMER_KEY = "bench_timer_wait"
REDIS_URL = "redis://127.0.0.1:6379/14"  # the bench's own db of the shared Redis: flushed before and after
USER, PASSWORD, GROUP = "bench", "benchpass", "frontdesk"
CLIENTS = 8
POLL_SECONDS = 0.1
TARGET_SPEEDUP = 1.7
TARGET_LAG_P95 = 2.0
TICK = os.sysconf("SC_CLK_TCK")


# -- services ----------------------------------------------------------------------------------------
@contextmanager
def throwaway_database() -> Iterator[str | None]:
    """A new PostgreSQL database on ONEWINDOW_TEST_DATABASE_URL's server, dropped afterwards."""
    base = make_url(
        os.environ.get("ONEWINDOW_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    name = f"ow_bench_dist_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        print(
            f"(distributed benchmark skipped: PostgreSQL not reachable: {type(exc).__name__})",
            file=sys.stderr,
        )
        yield None
        return
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_db(url: str) -> Iterator[str | None]:
    """The bench's Redis database, emptied before and after (only this db: FLUSHDB, never FLUSHALL)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        print(f"(distributed benchmark skipped: Redis not reachable at {url}: {exc})", file=sys.stderr)
        yield None
        return
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


class Fleet:
    """`onewindow worker --concurrency 1` × n and one `onewindow beat`, as separate processes."""

    def __init__(self, settings: Settings, workers: int, logs: Path):
        env = {
            **os.environ,
            "ONEWINDOW_DATABASE_URL": settings.database_url,
            "ONEWINDOW_BROKER_URL": settings.broker_url or "",
            "ONEWINDOW_DATA_DIR": str(settings.data_dir),
        }
        commands = [("worker", "--concurrency", "1")] * workers + [("beat",)]
        self.logs, self.workers = logs, workers
        self.procs: list[tuple[str, subprocess.Popen]] = []
        for i, command in enumerate(commands):
            log = logs / f"{command[0]}-{workers}-{i}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "orchestrator.cli", *command],
                    env=env,
                    cwd=REPO_ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=out,
                )
            self.procs.append((command[0], proc))

    def pids(self, kind: str) -> list[int]:
        return [p.pid for k, p in self.procs if k == kind]

    def check(self) -> None:
        """Raise, with the end of its log, if a process has exited."""
        for i, (kind, p) in enumerate(self.procs):
            if p.poll() is not None:
                log = self.logs / f"{kind}-{self.workers}-{i}.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"{kind} exited with {p.returncode}:\n{tail}")

    def stop(self) -> None:
        for _, p in self.procs:
            p.terminate()
        for _, p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# -- CPU accounting from /proc -------------------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def cpu_snapshot(fleet: Fleet) -> dict[str, float]:
    """CPU seconds so far of: the workers (with their pool children), the beat, PostgreSQL and Redis
    (every process of theirs on the machine), this process, and the whole machine (busy time)."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _proc_stat(int(entry))):
            procs[int(entry)] = found
    children = defaultdict(list)
    for pid, (ppid, _) in procs.items():
        children[ppid].append(pid)

    def tree(pid: int) -> float:
        return procs.get(pid, (0, 0.0))[1] + sum(tree(c) for c in children[pid])

    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return {
        "workers": sum(tree(pid) for pid in fleet.pids("worker")),
        "beat": sum(tree(pid) for pid in fleet.pids("beat")),
        "postgres": sum(cpu for pid, (_, cpu) in procs.items() if _comm(pid) == "postgres"),
        "redis": sum(cpu for pid, (_, cpu) in procs.items() if _comm(pid).startswith("redis")),
        "clients": time.process_time(),
        "machine": (sum(ticks) - ticks[3] - ticks[4]) / TICK,
    }


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


def _wait_done(ow: OneWindow, fleet: Fleet, ids: list[int], seconds: float) -> int:
    """Wait until the jobs are done (or `seconds` pass); return how many are."""
    deadline = time.monotonic() + seconds
    done = 0
    while time.monotonic() < deadline:
        fleet.check()
        with ow.store.engine.connect() as conn:
            done = conn.execute(
                text("SELECT count(*) FROM job WHERE id = ANY(:ids) AND status = 'done'"), {"ids": ids}
            ).scalar_one()
        if done == len(ids):
            break
        time.sleep(0.5)
    return done


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
