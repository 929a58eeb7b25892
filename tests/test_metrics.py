"""GET /metrics as Prometheus scrapes it: job gauges from the database, task counters and step latencies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta

import distributed
import pytest
from diagrams import slow_diagram
from distributed import free_port, spawn, stop, wait_until
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from orchestrator import jobs
from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import Conflict
from orchestrator.jobs import metrics
from orchestrator.jobs.metrics import RUNNING
from orchestrator.service import OneWindow
from orchestrator.store.db import Store

pg_harness, redis_url = distributed.pg_harness, distributed.redis_url  # fixtures

BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf"]


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a scrape by (name, labels); the parser rejects anything not in the text format."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(site, **headers: str) -> dict[tuple[str, frozenset], float]:
    response = site.client().get("/metrics", headers=headers)  # no login: Prometheus has no account
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
    return parse(response.get_data(as_text=True))


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _probe(session, job) -> None:
    """A job kind of this test's own: the gauges report every registered kind."""


def test_job_gauges_count_the_job_table_and_the_dispatch_lag(site):
    jobs.register("probe", _probe)
    at = clock.now().replace(microsecond=0)
    with clock.travel(at):
        fresh = scrape(site)
        assert value(fresh, "onewindow_jobs_due") == 0
        assert value(fresh, "onewindow_dispatch_lag_seconds") == 0
        assert value(fresh, "onewindow_jobs", status="pending", kind="timer") == 0  # reported even when 0
        assert value(fresh, "onewindow_database_up") == 1
        with site.ow.store.transaction() as s:
            overdue = jobs.schedule(s, "probe", at - timedelta(minutes=10))
            recent = jobs.schedule(s, "probe", at - timedelta(seconds=30))
            future = jobs.schedule(s, "probe", at + timedelta(days=1))
            jobs.schedule(s, "probe", at - timedelta(hours=2)).status = "incident"
            jobs.schedule(s, "probe", at - timedelta(hours=3)).status = "done"
        got = scrape(site)
    assert value(got, "onewindow_jobs", status="pending", kind="probe") == 3
    assert value(got, "onewindow_jobs", status="incident", kind="probe") == 1
    assert value(got, "onewindow_jobs", status="done", kind="probe") == 1
    assert value(got, "onewindow_jobs", status="cancelled", kind="probe") == 0
    assert value(got, "onewindow_jobs_due") == 2  # the future one is not due, the incident is not pending
    assert value(got, "onewindow_dispatch_lag_seconds") == 600  # the oldest due pending job waits 10 minutes
    assert value(got, "onewindow_incidents") == value(fresh, "onewindow_incidents") + 1

    with site.ow.store.transaction() as s:  # the worker catches up: nothing due, no lag
        for job in (overdue, recent, future):
            s.merge(job).status = "done"
    caught_up = scrape(site)
    assert value(caught_up, "onewindow_jobs_due") == 0
    assert value(caught_up, "onewindow_dispatch_lag_seconds") == 0
    assert value(caught_up, "onewindow_jobs", status="done", kind="probe") == 4


def test_completing_a_task_counts_and_times_the_step(site):
    before = scrape(site)
    started = site.ow.start("general_approval", {"applicant": "张三"}, actor="frontdesk")
    task = started["tasks"][0]
    assert task["group"] == "frontdesk"
    opened = scrape(site)
    assert value(opened, "onewindow_open_tasks", group="frontdesk") == (
        value(before, "onewindow_open_tasks", group="frontdesk") + 1
    )
    site.ow.claim(task["id"], "frontdesk")
    done = site.ow.complete(task["id"], "frontdesk", {"applicant": "张三", "accepted": True})
    with pytest.raises(Conflict):  # a lost race is no completion and no step
        site.ow.complete(task["id"], "frontdesk", {"applicant": "张三", "accepted": True})
    after = scrape(site)

    completions = value(after, "onewindow_task_completions_total", action="complete")
    assert completions >= 1
    assert completions == value(before, "onewindow_task_completions_total", action="complete") + 1
    for action in ("start", "complete"):
        counts = [value(after, "onewindow_step_seconds_bucket", action=action, le=le) for le in BUCKETS]
        assert counts == sorted(counts), "buckets are cumulative"
        assert value(after, "onewindow_step_seconds_count", action=action) == (
            value(before, "onewindow_step_seconds_count", action=action) + 1
        )
        assert counts[-1] == value(after, "onewindow_step_seconds_count", action=action)
        assert value(after, "onewindow_step_seconds_sum", action=action) > 0
    next_group = done["tasks"][0]["group"]
    assert value(after, "onewindow_open_tasks", group="frontdesk") == value(
        before, "onewindow_open_tasks", group="frontdesk"
    )
    assert value(after, "onewindow_open_tasks", group=next_group) == (
        value(opened, "onewindow_open_tasks", group=next_group) + 1
    )


def test_reject_and_send_back_are_counted_by_action(site):
    started = site.ow.start("general_approval", {"applicant": "李四"}, actor="frontdesk")
    accept = started["tasks"][0]["id"]
    site.ow.claim(accept, "frontdesk")
    review = site.ow.complete(accept, "frontdesk", {"applicant": "李四", "accepted": True})["tasks"][0]
    before = scrape(site)
    site.ow.claim(review["id"], "minzheng")
    back = site.ow.send_back(review["id"], "minzheng", "请核实申请人")["tasks"][0]
    site.ow.claim(back["id"], "frontdesk")
    site.ow.reject(back["id"], "frontdesk", "不符合受理条件", {"applicant": "李四"})
    after = scrape(site)
    for action in ("send_back", "reject"):
        assert value(after, "onewindow_task_completions_total", action=action) == (
            value(before, "onewindow_task_completions_total", action=action) + 1
        )
        assert value(after, "onewindow_step_seconds_count", action=action) == (
            value(before, "onewindow_step_seconds_count", action=action) + 1
        )


def test_a_token_restricts_the_scrape(site, monkeypatch):
    monkeypatch.setenv("ONEWINDOW_METRICS_TOKEN", "s3cret-scrape")
    client = site.client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "onewindow_" not in refused.get_data(as_text=True)
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic s3cret-scrape"}).status_code == 401
    assert value(scrape(site, Authorization="Bearer s3cret-scrape"), "onewindow_database_up") == 1
    monkeypatch.delenv("ONEWINDOW_METRICS_TOKEN")
    assert client.get("/metrics").status_code == 200


def test_an_unreadable_database_still_answers_with_database_up_0(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every gauge query fails
    try:
        samples = parse(metrics.exposition(store).decode())
    finally:
        store.dispose()
    assert value(samples, "onewindow_database_up") == 0
    assert ("onewindow_jobs_due", frozenset()) not in samples
    assert any(name == "onewindow_step_seconds_bucket" for name, _ in samples)


def test_gunicorn_workers_add_up_through_the_multiprocess_directory(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    work = "from orchestrator.jobs import metrics\nmetrics.timed('complete')(lambda: None)()\n"
    subprocess.run([sys.executable, "-c", work], env=env, cwd=REPO_ROOT, check=True)  # worker 1
    shown = subprocess.run(  # worker 2 completes a task too, then answers the scrape
        [sys.executable, "-c", work + "print(metrics.exposition(None).decode())"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    samples = parse(shown)
    assert value(samples, "onewindow_task_completions_total", action="complete") == 2
    assert value(samples, "onewindow_step_seconds_count", action="complete") == 2
    assert not any(name.startswith("process_") for name, _ in samples)  # per-process metrics are left out


def test_the_gauge_queries_run_on_sqlite_and_postgresql(harness):
    at = clock.now().replace(microsecond=0)
    with harness.ow.store.transaction() as s:
        jobs.schedule(s, "timer", at - timedelta(seconds=90))
        jobs.schedule(s, "timer", at + timedelta(hours=1))
    with clock.travel(at):
        samples = parse(metrics.exposition(harness.ow.store).decode())
    assert value(samples, "onewindow_jobs", status="pending", kind="timer") == 2
    assert value(samples, "onewindow_jobs_due") == 1
    assert value(samples, "onewindow_dispatch_lag_seconds") == 90
    assert value(samples, "onewindow_incidents") == 0


def slow_case(ow, tmp_path, key: str, scripts: int) -> int:
    """A started case whose 受理 is done: its async job (`scripts` × 0.15 s of sandboxed Python) is due."""
    (tmp_path / f"{key}.bpmn").write_text(slow_diagram(key, slow_scripts=scripts))
    ow.deploy(tmp_path / f"{key}.bpmn", publish=True)
    ow.add_member("clerk", "frontdesk")
    started = ow.start(key, {"runs": 0})
    ow.complete(started["tasks"][0]["id"], "clerk", {})
    return started["instance"]


def test_without_a_broker_jobs_running_counts_the_job_this_process_runs(site, tmp_path):
    slow_case(site.ow, tmp_path, "slow_metrics", scripts=4)
    assert value(scrape(site), "onewindow_jobs_running") == 0
    runner = threading.Thread(target=jobs.run_due, args=(site.ow.store,))
    runner.start()
    seen = []
    while runner.is_alive():  # the process's own gauge (no database query, which SQLite would make wait)
        seen.append(value(parse(metrics.exposition(None).decode()), RUNNING))
        time.sleep(0.02)
    runner.join()
    assert 1 in seen and set(seen) <= {0, 1}
    assert value(scrape(site), "onewindow_jobs_running") == 0


def test_with_a_broker_running_and_queued_jobs_are_read_from_redis(pg_harness, redis_url, tmp_path):
    ow = OneWindow(replace(pg_harness.ow.settings, broker_url=redis_url))

    def gauges() -> tuple[float, float, float]:
        got = parse(metrics.exposition(ow.store, redis_url).decode())
        return tuple(value(got, n) for n in ("onewindow_broker_up", "onewindow_jobs_queued", RUNNING))

    instance = slow_case(ow, tmp_path, "slow_broker", scripts=1)  # sent to Redis at commit; no worker yet
    assert gauges() == (1, 1, 0)
    holder = ow.store.engine.connect()  # holds the instance: the worker's step waits for it, job in hand
    holder.execute(text("SELECT id FROM process_instance WHERE id = :i FOR UPDATE"), {"i": instance})
    worker = spawn("worker", ow.settings, redis_url, "--concurrency", "1")
    try:
        # taken and in the worker's hands (the worker's own supervision sweep may wait queued behind it)
        wait_until(lambda: gauges()[::2] == (1, 1), 60)
        holder.rollback()
        wait_until(lambda: gauges() == (1, 0, 0), 60)  # acknowledged after its transaction
    finally:
        holder.close()
        stop(worker)
    with ow.store.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM job WHERE kind = 'continue'")).scalar_one() == "done"
    down = parse(metrics.exposition(ow.store, f"redis://127.0.0.1:{free_port()}/0").decode())
    assert value(down, "onewindow_broker_up") == 0 and value(down, "onewindow_database_up") == 1
    ow.close()
