"""Celery + Redis: jobs leave the process that made them and run on real worker processes; the job table
stays the truth, so ids sent twice or never sent still give each job exactly one run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace

import pytest
from diagrams import approval
from sqlalchemy import text

from orchestrator.config import REPO_ROOT
from orchestrator.service import OneWindow

DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_url():
    import redis

    url = os.environ.get("ONEWINDOW_TEST_REDIS_URL", DEFAULT_REDIS)
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        from conftest import require_or_skip

        require_or_skip(f"Redis not reachable at {url}: {exc}")
    yield url
    client.flushdb()


@pytest.fixture
def pg_harness(request, tmp_path):
    request.getfixturevalue("pg_url")
    from conftest import Harness, _settings, _truncate

    url = request.getfixturevalue("pg_url")
    _truncate(url)
    h = Harness(_settings(url, tmp_path))
    yield h
    h.ow.close()


def spawn(command: str, settings, redis_url: str, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": settings.database_url,
        "ONEWINDOW_BROKER_URL": redis_url,
        "ONEWINDOW_DATA_DIR": str(settings.data_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "orchestrator.cli", command, *extra],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def job_states(ow: OneWindow) -> dict[str, int]:
    with ow.store.engine.connect() as conn:
        return dict(
            conn.execute(text("SELECT status, count(*) FROM job WHERE kind = 'continue' GROUP BY 1")).all()
        )


def wait_until(check, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def deploy(ow: OneWindow, tmp_path) -> None:
    path = tmp_path / "approval.bpmn"
    path.write_text(approval(second_condition="x == 1", script_async=True))
    ow.deploy(path, publish=True)
    ow.add_member("clerk", "frontdesk")
    ow.add_member("clerk", "minzheng")


def test_continuations_run_on_celery_workers_once_each(pg_harness, redis_url, tmp_path):
    settings = replace(pg_harness.ow.settings, broker_url=redis_url)
    ow = OneWindow(settings)
    deploy(ow, tmp_path)
    worker = spawn("worker", settings, redis_url, "--concurrency", "2")
    try:
        started = [ow.start("approval") for _ in range(20)]
        for s in started:
            ow.complete(s["tasks"][0]["id"], "clerk", {})  # its async script is sent to the workers
        wait_until(lambda: job_states(ow).get("done") == 20)
        for s in started:
            detail = ow.instance(s["instance"])
            assert [t["name"] for t in detail["open_tasks"]] == ["Task_review"]
            assert [e["action"] for e in detail["history"]].count("complete") == 1
    finally:
        stop(worker)
    ow.close()
    assert job_states(pg_harness.ow) == {"done": 20}


def test_beat_sends_jobs_nobody_sent_and_a_second_delivery_does_nothing(pg_harness, redis_url, tmp_path):
    quiet = pg_harness.ow  # no broker: its jobs are only rows
    deploy(quiet, tmp_path)
    started = [quiet.start("approval") for _ in range(5)]
    for s in started:
        quiet.complete(s["tasks"][0]["id"], "clerk", {})
    assert job_states(quiet) == {"pending": 5}
    settings = replace(quiet.settings, broker_url=redis_url)
    worker = spawn("worker", settings, redis_url, "--concurrency", "1")
    beat = spawn("beat", settings, redis_url)
    try:
        wait_until(lambda: job_states(quiet).get("done") == 5)
        from orchestrator import dispatch

        with quiet.store.engine.connect() as conn:
            ids = list(conn.execute(text("SELECT id FROM job WHERE kind = 'continue'")).scalars())
        assert dispatch.send(redis_url, ids) == []  # every id again
        time.sleep(3)
    finally:
        stop(worker, beat)
    assert job_states(quiet) == {"done": 5}
    for s in started:
        history = [e["action"] for e in quiet.instance(s["instance"])["history"]]
        assert history.count("complete") == 1 and history.count("end") == 0


def test_without_a_broker_beat_refuses_to_start(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "beat", "--json"],
        env={
            **os.environ,
            "ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "ONEWINDOW_BROKER_URL": "",
        },
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert out.returncode == 2 and "ONEWINDOW_BROKER_URL" in out.stdout
