"""Celery + Redis: jobs leave the process that made them and run on real worker processes; the job table
stays the truth, so ids sent twice or never sent still give each job exactly one run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import distributed
from diagrams import approval, slow_diagram
from distributed import free_port, spawn, stop, wait_until
from sqlalchemy import create_engine, text

from orchestrator.core.config import REPO_ROOT
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
        from orchestrator.jobs import dispatch

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


def sent_marks(ow: OneWindow) -> list[bool]:
    with ow.store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT dispatched_at FROM job WHERE kind = 'continue' ORDER BY id")
        ).scalars()
        return [r is not None for r in rows]


def test_jobs_sent_after_commit_are_not_sent_again_by_the_dispatcher(pg_harness, redis_url, tmp_path):
    """The request that made a job due sends it; the dispatcher only sends it again if it is still not done
    after the resend delay (its message lost with a worker or a Redis restart)."""
    import redis

    from orchestrator import jobs

    ow = OneWindow(replace(pg_harness.ow.settings, broker_url=redis_url))
    deploy(ow, tmp_path)
    for s in [ow.start("approval") for _ in range(3)]:
        ow.complete(s["tasks"][0]["id"], "clerk", {})
    assert sent_marks(ow) == [True, True, True]
    assert redis.Redis.from_url(redis_url).llen("onewindow") == 3  # one message each, no worker yet
    assert jobs.claim_for_dispatch(ow.store, resend_after=timedelta(seconds=30)) == []
    later = datetime.now(UTC) + timedelta(seconds=31)
    assert len(jobs.claim_for_dispatch(ow.store, at=later, resend_after=timedelta(seconds=30))) == 3
    ow.close()


def test_with_the_broker_down_the_clerk_is_not_kept_waiting_and_the_dispatcher_sends_later(
    pg_harness, redis_url, tmp_path, caplog
):
    from orchestrator import jobs
    from orchestrator.jobs import dispatch

    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    ow = OneWindow(replace(pg_harness.ow.settings, broker_url=down))
    deploy(ow, tmp_path)
    started = [ow.start("approval") for _ in range(3)]
    with caplog.at_level("WARNING", logger="onewindow.dispatch"):
        for s in started:
            ow.complete(s["tasks"][0]["id"], "clerk", {})  # committed although the broker refuses the job
    assert sent_marks(ow) == [False, False, False]
    refusals = [r for r in caplog.records if "broker unavailable" in r.getMessage()]
    assert len(refusals) == 1  # after one refusal, requests leave their jobs to the dispatcher without trying
    ids = _continue_ids(ow)
    assert sorted(jobs.claim_for_dispatch(ow.store)) == ids  # the dispatcher offers them
    assert dispatch.send(redis_url, ids) == []  # the dispatcher, once the broker is back
    ow.close()


def _continue_ids(ow: OneWindow) -> list[int]:
    with ow.store.engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM job WHERE kind = 'continue' ORDER BY id")).scalars())


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


def test_two_workers_never_step_one_instance_at_once(pg_harness, tmp_path):
    """Two jobs of one instance run at the same moment on two workers: the second waits on the instance's
    row lock until the first has committed, then steps the state the first left (no lost update, no retry)."""
    from orchestrator import jobs
    from orchestrator.core import clock

    ow = pg_harness.ow
    (tmp_path / "slow_pair.bpmn").write_text(slow_diagram("slow_pair", slow_scripts=10))  # about 1.5 s
    ow.deploy(tmp_path / "slow_pair.bpmn", publish=True)
    ow.add_member("clerk", "frontdesk")
    started = ow.start("slow_pair", {"runs": 0})
    ow.complete(started["tasks"][0]["id"], "clerk", {})  # its async 登记 is now a due job
    instance = started["instance"]
    with ow.store.transaction() as s:  # a second job on the same instance, due now (as a timer or a message)
        jobs.schedule(s, "continue", clock.now(), instance_id=instance)
    first, second = _continue_ids(ow)
    outcomes: dict[int, dict] = {}

    def worker(job_id: int) -> None:
        outcomes[job_id] = jobs.run_job(ow.store, job_id, worker=f"worker-{job_id}")

    watcher = create_engine(ow.settings.database_url, isolation_level="AUTOCOMMIT")
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    a = threading.Thread(target=worker, args=(first,))
    b = threading.Thread(target=worker, args=(second,))
    with watcher.connect() as conn:
        a.start()
        time.sleep(0.2)  # the first job holds the instance and runs its slow scripts
        b.start()
        wait_until(lambda: conn.execute(text(waiting)).scalar_one() == 1, 10, 0.01)  # the second waits
        assert a.is_alive()
    a.join(30)
    b.join(30)
    watcher.dispose()
    assert {outcomes[first]["status"], outcomes[second]["status"]} == {"done"}
    detail = ow.instance(instance)
    assert detail["data"]["runs"] == 1  # the async step ran once, its result kept
    assert [t["name"] for t in detail["open_tasks"]] == ["Task_review"]
    with ow.store.engine.connect() as conn:
        tried = conn.execute(text("SELECT attempts, last_error FROM job WHERE kind = 'continue'")).all()
    assert [tuple(r) for r in tried] == [(0, None), (0, None)]  # neither met a conflict


def test_a_message_that_is_no_job_id_is_refused_once_not_retried(redis_url, caplog):
    """Whatever else reaches the queue (a string, a float, a negative number) is refused with an error in the
    log; the worker does not retry it forever."""
    from orchestrator.jobs import dispatch

    task = dispatch.celery_app(redis_url).tasks[dispatch.TASK]
    with caplog.at_level("ERROR", logger="onewindow.dispatch"):
        for bad in ("1; DROP TABLE job", 1.5, -3, True, None):
            result = task.apply(args=[bad])  # Celery runs the task here, as a worker would
            assert result.successful() and result.result == {"job": bad, "status": "refused"}
    assert sum("is not a job id" in r.getMessage() for r in caplog.records) == 5
