"""The distributed benchmark's services and shared settings (bench/distributed.py): the diagrams and web
account the sections use, a throwaway PostgreSQL database, the bench's Redis db, the fleet of worker and beat
processes, waiting for jobs to be done, and CPU accounting from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.service import OneWindow

HERE = Path(__file__).resolve().parent
E2E = HERE / "bench_e2e_case.bpmn"
E2E_KEY = "bench_e2e_case"
TIMER = HERE / "bench_timer_wait.bpmn"
TIMER_KEY = "bench_timer_wait"
USER, GROUP = "bench", "frontdesk"
TARGET_SPEEDUP = 1.7
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
