"""Distributed test kit: a Redis of each test's own and the PostgreSQL test database, worker and beat
subprocesses, and private PostgreSQL servers that a test may stop and start (never the machine's shared ones)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from orchestrator.core.config import REPO_ROOT

REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture
def redis_url():
    """A Redis of the test's own (a redis-server on a free port), so that no other test's worker, flush or
    leftover message can take or drop its messages; `ONEWINDOW_TEST_REDIS_URL` names a shared database
    instead (flushed before and after)."""
    from orchestrator.jobs import dispatch

    dispatch.celery_app.cache_clear()
    shared = os.environ.get("ONEWINDOW_TEST_REDIS_URL")
    if shared:
        yield from _shared_redis(shared)
    else:
        server = PrivateRedis()
        server.start()
        try:
            yield server.url
        finally:
            server.stop()
    dispatch.celery_app.cache_clear()


def _shared_redis(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        from conftest import require_or_skip

        require_or_skip(f"Redis not reachable at {url}: {exc}")
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def pg_harness(request, tmp_path):
    """A Harness on the session's PostgreSQL test database, emptied first."""
    from conftest import Harness, _settings, _truncate

    url = request.getfixturevalue("pg_url")
    _truncate(url)
    h = Harness(_settings(url, tmp_path))
    yield h
    h.ow.close()


def spawn(
    command: str,
    settings,
    redis_url: str,
    *extra: str,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> subprocess.Popen:
    """`onewindow COMMAND` in its own session (so `kill_all` reaches its pool children). Its stderr (the logs)
    goes to the file `log`, else to the test's own stderr (pytest shows it when the test fails); never to a
    pipe nobody reads, which a chatty worker would fill and block on."""
    full_env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": settings.database_url,
        "ONEWINDOW_BROKER_URL": redis_url,
        "ONEWINDOW_DATA_DIR": str(settings.data_dir),
        **(env or {}),
    }
    stderr = open(log, "ab") if log else None  # closed below: the child has its own copy
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "orchestrator.cli", command, *extra],
            env=full_env,
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    finally:
        if stderr:
            stderr.close()


def stop(*procs: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM (a warm shutdown), then SIGKILL of the whole process group after `timeout` seconds."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill_all(p)


def kill_all(p: subprocess.Popen) -> None:
    """kill -9 a process started by `spawn` and every process of its session (pool children)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait(timeout=20)


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (a Celery prefork worker's pool processes)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def wait_until(check, seconds: float = 60.0, every: float = 0.2) -> float:
    """Poll `check` until it is true; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on a free port, without persistence: stopping it loses every
    message, as a crashed broker would."""

    def __init__(self):
        if not Path(REDIS_SERVER).exists():
            from conftest import require_or_skip

            require_or_skip(f"{REDIS_SERVER} is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, 10, 0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb) on a free port, started and stopped with pg_ctl. As root,
    the server runs as the `postgres` system user (PostgreSQL refuses to run as root)."""

    def __init__(self):
        for tool in ("initdb", "pg_ctl"):
            if shutil.which(tool) is None:
                from conftest import require_or_skip

                require_or_skip(f"{tool} is not on PATH (PostgreSQL server binaries)")
        self.dir = Path(tempfile.mkdtemp(prefix="ow-pg-"))
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.data = self.dir / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")

    def _run(self, *argv: str) -> None:
        out = subprocess.run([*self.as_user, *argv], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {out.stderr or out.stdout}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash: open transactions are lost, crash recovery runs at the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_redis():
    """A redis-server of the test's own: no other test or process can take or flush its messages."""
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()
