"""Celery + Redis: jobs leave the process that made them and run on real worker processes; the job table
stays the truth, so ids sent twice or never sent still give each job exactly one run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace

import distributed
from diagrams import approval
from distributed import spawn, stop, wait_until
from sqlalchemy import text

from orchestrator.config import REPO_ROOT
from orchestrator.service import OneWindow

pg_harness, redis_url = distributed.pg_harness, distributed.redis_url  # fixtures


def job_states(ow: OneWindow) -> dict[str, int]:
    with ow.store.engine.connect() as conn:
        return dict(
            conn.execute(text("SELECT status, count(*) FROM job WHERE kind = 'continue' GROUP BY 1")).all()
        )


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
