"""Jobs: async continuations, failing scripts that become incidents, retry; timers driven by the worker."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from diagrams import approval
from sqlalchemy import text

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT


def deploy(harness, tmp_path, **kwargs):
    path = tmp_path / "approval.bpmn"
    path.write_text(approval(second_condition="x == 1", **kwargs))
    harness.ow.deploy(path, publish=True)
    harness.members(clerk=["frontdesk", "minzheng"])


def jobs(harness) -> list[tuple]:
    with harness.ow.store.engine.connect() as conn:
        return conn.execute(text("SELECT kind, status, attempts FROM job ORDER BY id")).all()


def test_async_task_runs_as_a_job_after_the_clerk_step_commits(harness, tmp_path):
    deploy(harness, tmp_path, script_async=True)
    started = harness.ow.start("approval")
    out = harness.ow.complete(started["tasks"][0]["id"], "clerk", {})
    assert out["tasks"] == []  # the engine stopped before the async script
    assert jobs(harness) == [("continue", "pending", 0)]
    ow = harness.restart()
    assert [o["status"] for o in ow.run_due_jobs()] == ["done"]
    detail = ow.instance(started["instance"])
    assert [t["name"] for t in detail["open_tasks"]] == ["Task_review"]
    assert detail["data"]["checked"] is True
    assert ow.run_due_jobs() == []  # done once, never again


def test_failing_script_keeps_the_clerks_work_retries_then_becomes_an_incident(harness, tmp_path):
    deploy(harness, tmp_path, script="checked = missing_value + 1")
    started = harness.ow.start("approval")
    out = harness.ow.complete(started["tasks"][0]["id"], "clerk", {"note": "材料齐全"})
    assert out["tasks"] == []
    detail = harness.ow.instance(started["instance"])
    assert [t["state"] for t in detail["tasks"]] == ["completed"]  # the clerk's completion is stored

    at = clock.now()
    for attempt in (1, 2, 3):
        outcome = harness.ow.run_due_jobs(at=at)
        assert [o["status"] for o in outcome] == (["pending"] if attempt < 3 else ["incident"])
        assert "missing_value" in outcome[0]["error"]
        at += timedelta(hours=2)  # past the backoff
    incidents = harness.ow.incidents()
    assert len(incidents) == 1 and incidents[0]["attempts"] == 3 and "missing_value" in incidents[0]["error"]
    assert harness.ow.run_due_jobs(at=at + timedelta(days=1)) == []  # incidents wait for a person

    harness.ow.retry(incidents[0]["job"], actor="admin")
    assert jobs(harness) == [("continue", "pending", 0)]
    assert harness.ow.run_due_jobs()[0]["status"] == "pending"  # still failing: attempt counted again
    assert harness.ow.instance(started["instance"])["status"] == "running"


def test_timer_job_fires_only_when_due_and_exactly_once(harness, tmp_path):
    deploy(harness, tmp_path, timer="PT1H")
    started = harness.ow.start("approval")
    harness.ow.complete(started["tasks"][0]["id"], "clerk", {})
    assert jobs(harness) == [("timer", "pending", 0)]
    assert harness.ow.run_due_jobs() == []
    with clock.travel(clock.now() + timedelta(minutes=61)):
        ow = harness.restart()
        assert [o["kind"] for o in ow.run_due_jobs()] == ["timer"]
        assert ow.run_due_jobs() == []
    detail = ow.instance(started["instance"])
    assert [t["name"] for t in detail["open_tasks"]] == ["Task_review"]  # non-interrupting: still open
    assert jobs(harness) == [("timer", "done", 0)]


def test_cli_worker_once_and_incidents(sqlite_harness, tmp_path):
    harness = sqlite_harness
    deploy(harness, tmp_path, script="checked = missing_value + 1")
    harness.ow.complete(harness.ow.start("approval")["tasks"][0]["id"], "clerk", {})
    env = {"ONEWINDOW_DATABASE_URL": harness.settings.database_url, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "orchestrator.cli"]
    ran = subprocess.run(
        [*cli, "worker", "--once", "--json"], env=env, capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)[0]["status"] == "pending"
    listed = subprocess.run(
        [*cli, "incidents", "--json"], env=env, capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert json.loads(listed.stdout) == []
    retry = subprocess.run(
        [*cli, "retry", "999", "--json"], env=env, capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert retry.returncode == 4 and "no job 999" in json.loads(retry.stdout)["error"]["message"]


def test_a_job_of_a_kind_no_layer_runs_is_refused_when_scheduled(sqlite_harness):
    from orchestrator import jobs
    from orchestrator.jobs.registry import UnknownJobKind

    with pytest.raises(UnknownJobKind, match="unknown job kind 'no-such-kind'"):
        with sqlite_harness.ow.store.transaction() as s:
            jobs.schedule(s, "no-such-kind", clock.now())
    assert sqlite_harness.row_counts()["job"] == 0  # nothing was stored
    assert {"timer", "continue", "sweep", "notify", "document"} <= set(jobs.registry.kinds())
