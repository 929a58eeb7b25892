"""Fault tolerance of distributed execution (Celery + Redis): workers killed with -9 mid-job, Redis and
PostgreSQL stopped under load, a thousand timers due in the same second on two workers. Whatever breaks,
every job runs to its end exactly once and no case is lost or stepped twice.

The outage tests start and stop their own redis-server / PostgreSQL cluster, never the shared ones."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import distributed
import pytest
from diagrams import ASYNC, HEAD, slow_diagram
from distributed import PrivatePostgres, children, kill_all, spawn, stop, wait_until
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from webapp import make_site

from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.service import OneWindow

pg_harness, private_redis = distributed.pg_harness, distributed.private_redis  # fixtures


def with_app_name(url: str, name: str) -> str:
    """The same database, with connections that show as `name` in pg_stat_activity."""
    return make_url(url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)


class Workers:
    """Celery worker subprocesses a test kills and replaces. Each one's database connections carry its name
    (application_name), so pg_stat_activity tells which worker is inside a job's transaction right now."""

    def __init__(self, settings: Settings, redis_url: str, logs: Path, concurrency: int = 1):
        self.settings, self.redis_url, self.logs, self.concurrency = settings, redis_url, logs, concurrency
        self.procs: dict[str, subprocess.Popen] = {}
        self.started = 0

    def add(self) -> str:
        self.started += 1
        name = f"owworker{self.started}"
        settings = replace(self.settings, database_url=with_app_name(self.settings.database_url, name))
        self.procs[name] = spawn(
            "worker",
            settings,
            self.redis_url,
            "--concurrency",
            str(self.concurrency),
            log=self.logs / f"{name}.log",
        )
        return name

    def wait_ready(self, seconds: float = 60) -> None:
        """Until every worker consumes from the broker (Celery logs `celery@host ready.`)."""

        def ready(name: str) -> bool:
            log = self.logs / f"{name}.log"
            return log.exists() and " ready." in log.read_text(errors="replace")

        wait_until(lambda: all(ready(name) for name in self.procs), seconds)

    def in_transaction(self, conn) -> dict[int, tuple[str, object]]:
        """{backend pid: (worker name, transaction start)} of live workers' open transactions."""
        rows = conn.execute(
            text(
                "SELECT pid, application_name, xact_start FROM pg_stat_activity "
                "WHERE application_name LIKE 'owworker%' AND xact_start IS NOT NULL"
            )
        ).all()
        return {pid: (name, started) for pid, name, started in rows if name in self.procs}

    def kill_pool_processes(self, name: str) -> None:
        """kill -9 the worker's pool processes (where jobs run; forked, so with the main's command line); its
        main process starts new ones."""
        main = self.procs[name].pid
        command = Path(f"/proc/{main}/cmdline").read_bytes()
        for pid in children(main):
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes() == command:
                    os.kill(pid, signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError):  # it has just ended
                pass

    def kill_and_replace(self, name: str) -> None:
        """kill -9 the whole worker (main process and pool), then start a new one."""
        kill_all(self.procs.pop(name))
        self.add()

    def stop(self) -> None:
        stop(*self.procs.values(), timeout=10)


def jobs_by_status(engine, kind: str = "continue") -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text("SELECT status, count(*) FROM job WHERE kind = :k GROUP BY 1"), {"k": kind}
            ).all()
        )


def versions(engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, version FROM process_instance")).all())


def assert_each_stepped_once(
    ow: OneWindow, instance_ids, versions_before: dict[int, int], steps: int
) -> None:
    """Every instance ran its async step exactly once: at 审核, runs == 1, `steps` versions further."""
    after = versions(ow.store.engine)
    for iid in instance_ids:
        detail = ow.instance(iid)
        assert [t["name"] for t in detail["open_tasks"]] == ["Task_review"], detail["open_tasks"]
        assert detail["data"]["runs"] == 1, (iid, detail["data"]["runs"])
        assert after[iid] == versions_before[iid] + steps, (iid, versions_before[iid], after[iid])
    with ow.store.engine.connect() as conn:
        per_instance = dict(
            conn.execute(
                text("SELECT instance_id, count(*) FROM job WHERE kind = 'continue' GROUP BY 1")
            ).all()
        )
    assert all(per_instance[i] == 1 for i in instance_ids)


def kill_mid_job(workers: Workers, conn, whole_every: int, first_kill: int) -> list[str]:
    """Wait for workers inside a job, let them work a random 10-150 ms, then kill -9 those still inside the
    same transaction (so each kill interrupts a job, never a worker between jobs); return the kinds killed."""
    deadline = time.monotonic() + 30
    while not (busy := workers.in_transaction(conn)):
        assert time.monotonic() < deadline, "no worker took a job within 30 s"
        time.sleep(0.005)
    time.sleep(random.uniform(0.01, 0.15))
    still = workers.in_transaction(conn)
    killed, gone = [], set()
    for pid, (name, started) in busy.items():
        if still.get(pid) != (name, started):
            continue
        gone.add(pid)
        if (first_kill + len(killed)) % whole_every == whole_every - 1:
            workers.kill_and_replace(name)
            killed.append("worker")
        else:
            workers.kill_pool_processes(name)
            killed.append("pool")
    wait_until(lambda: not (gone & workers.in_transaction(conn).keys()), 10, 0.005)  # their backends ended
    return killed


@pytest.mark.slow
def test_workers_killed_with_sigkill_mid_job_50_times_lose_and_repeat_nothing(
    pg_harness, private_redis, tmp_path
):
    """Three workers; 50 times one is killed -9 inside a job (4 in 5 times its pool process, which Celery
    replaces and whose job it requeues; else the whole worker, whose unacknowledged message only the beat's
    resend brings back). Every case still reaches 审核, its async step applied exactly once."""
    redis_url = private_redis.url
    kills_wanted, pending = 50, 8
    settings = replace(pg_harness.ow.settings, broker_url=redis_url)
    ow = OneWindow(settings)
    # jobs long enough (several tenths of a second, more on a slow machine) for most to be caught mid-way
    (tmp_path / "slow.bpmn").write_text(slow_diagram(slow_scripts=8))
    ow.deploy(tmp_path / "slow.bpmn", publish=True)
    ow.add_member("clerk", "frontdesk")
    waiting = [ow.start("slow", {"runs": 0}) for _ in range(3 * kills_wanted)]
    before = versions(ow.store.engine)
    accepted: list[int] = []

    def accept_until_pending() -> None:
        """Keep `pending` jobs not done, so the killer always finds one to interrupt however fast the
        workers that are not being killed go."""
        not_done = sum(count for status, count in jobs_by_status(ow.store.engine).items() if status != "done")
        for _ in range(pending - not_done):
            assert waiting, "every case was accepted before 50 kills"
            case = waiting.pop()
            ow.complete(case["tasks"][0]["id"], "clerk", {})
            accepted.append(case["instance"])

    logs = tmp_path / "logs"
    logs.mkdir()
    workers = Workers(settings, redis_url, logs)
    workers.add(), workers.add(), workers.add()
    beat = spawn("beat", settings, redis_url, env={"ONEWINDOW_RESEND_SECONDS": "5"}, log=logs / "beat.log")
    watcher = create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    kills = []
    try:
        t0 = time.monotonic()
        with watcher.connect() as conn:
            while len(kills) < kills_wanted:
                accept_until_pending()
                kills += kill_mid_job(workers, conn, whole_every=5, first_kill=len(kills))
        killing = time.monotonic() - t0
        recovery = wait_until(lambda: jobs_by_status(ow.store.engine).get("done") == len(accepted), 60)
    finally:
        stop(beat)
        workers.stop()
        watcher.dispose()
    print(
        f"{kills.count('pool')} pool process kills, {kills.count('worker')} worker kills in {killing:.1f} s"
        f" over {len(accepted)} jobs; all jobs done {recovery:.1f} s later"
    )
    lost = sum(log.read_text().count("raised error: WorkerLostError") for log in logs.glob("owworker*.log"))
    # Celery saw the pool processes die while they ran a job: (nearly) every one, since a kill can land in the
    # moment between the check that its job is still in its transaction and the kill, after the commit
    assert 0.8 * kills.count("pool") <= lost <= kills.count("pool")
    assert jobs_by_status(ow.store.engine) == {"done": len(accepted)}
    assert_each_stepped_once(ow, accepted, before, 2)  # 受理, then the job
    after = versions(ow.store.engine)
    assert all(after[case["instance"]] == before[case["instance"]] for case in waiting)  # never accepted
    ow.close()


@pytest.fixture
def private_pg():
    """A PostgreSQL cluster of the test's own, with the app's schema, that the test may crash."""
    server = PrivatePostgres()
    try:
        server.start()
        OneWindow(Settings(database_url=server.url)).upgrade()
        yield server
    finally:
        server.destroy()


def test_postgres_crashing_mid_job_the_job_is_retried_and_applied_once(private_pg, private_redis, tmp_path):
    """PostgreSQL crashes (immediate stop) while a worker is inside a job, and comes back 3 s later: the job is
    retried by the worker and applied once, with nothing of the interrupted attempt kept."""
    settings = Settings(database_url=private_pg.url, broker_url=private_redis.url, data_dir=tmp_path / "data")
    ow = OneWindow(settings)
    (tmp_path / "slow.bpmn").write_text(slow_diagram(slow_scripts=4))  # about 0.6 s of work
    ow.deploy(tmp_path / "slow.bpmn", publish=True)
    ow.add_member("clerk", "frontdesk")
    started = ow.start("slow", {"runs": 0})
    before = versions(ow.store.engine)
    workers = Workers(settings, private_redis.url, tmp_path)
    worker = workers.add()
    beat = spawn("beat", settings, private_redis.url, log=tmp_path / "beat.log")
    watcher = create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    try:
        wait_until(lambda: jobs_by_status(ow.store.engine, "sweep").get("done"), 30)  # the worker is up
        ow.complete(started["tasks"][0]["id"], "clerk", {})
        with ow.store.engine.connect() as conn:
            job_id = conn.execute(text("SELECT id FROM job WHERE kind = 'continue'")).scalar_one()
        with watcher.connect() as conn:
            wait_until(lambda: workers.in_transaction(conn), 30, 0.005)
            time.sleep(0.1)
            assert workers.in_transaction(conn), "the job ended before the crash"
        watcher.dispose()
        private_pg.stop("immediate")  # a crash: the open transaction is lost
        time.sleep(3)
        private_pg.start()
        recovered = wait_until(lambda: jobs_by_status(ow.store.engine) == {"done": 1}, 60)
    finally:
        stop(beat)
        workers.stop()
        watcher.dispose()
    print(f"PostgreSQL crashed mid-job, down 3 s; the job was done {recovered:.1f} s after it came back")
    log = (tmp_path / f"{worker}.log").read_text()
    assert f"job {job_id} could not run" in log and "retrying" in log  # the worker met the crash
    assert_each_stepped_once(ow, [started["instance"]], before, 2)
    with ow.store.engine.connect() as conn:
        job = conn.execute(text("SELECT attempts, last_error FROM job WHERE id = :id"), {"id": job_id}).one()
    assert tuple(job) == (0, None)  # the crash was no failed attempt of the job: nothing of it was kept
    ow.close()


def async_general_approval(tmp_path) -> Path:
    """processes/general_approval with an async script 登记 (`runs = runs + 1`) between 受理 and 审核: after
    受理 the case goes on on a worker, through the broker."""
    folder = tmp_path / "general_approval"
    shutil.copytree(REPO_ROOT / "processes" / "general_approval", folder)
    shutil.rmtree(folder / "tests")  # the library's tests know nothing of the added step's data
    bpmn = folder / "general_approval.bpmn"
    xml = bpmn.read_text(encoding="utf-8")
    script = (
        f'<bpmn:scriptTask id="Script_register" name="登记">{ASYNC}'
        "<bpmn:incoming>Flow_to_review</bpmn:incoming><bpmn:outgoing>Flow_registered</bpmn:outgoing>"
        "<bpmn:script>runs = runs + 1</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="Flow_registered" sourceRef="Script_register" targetRef="Task_review" />'
    )
    for old, new in (
        (
            'sourceRef="Event_accepted" targetRef="Task_review"',
            'sourceRef="Event_accepted" targetRef="Script_register"',
        ),
        (
            "<bpmn:incoming>Flow_to_review</bpmn:incoming>\n      <bpmn:outgoing>Flow_3</bpmn:outgoing>",
            "<bpmn:incoming>Flow_registered</bpmn:incoming>\n      <bpmn:outgoing>Flow_3</bpmn:outgoing>",
        ),
        ("</bpmn:process>", script + "</bpmn:process>"),
    ):
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    bpmn.write_text(xml, encoding="utf-8")
    return folder


@pytest.fixture
def web_site(private_redis, tmp_path):
    """The demo web app on a fresh PostgreSQL database, its broker the test's own Redis."""
    yield from make_site("postgres", tmp_path, broker_url=private_redis.url)


def timed(call, *args, **kw):
    started = time.monotonic()
    answer = call(*args, **kw)
    return answer, time.monotonic() - started


def accept_case(fd) -> tuple[dict, list[float]]:
    """The front desk opens a general_approval case and accepts it (受理): (the case, request seconds)."""
    data = {"applicant": "张三", "channel": "窗口", "runs": 0}
    r, opened = timed(fd.post, "/api/v1/cases/", json={"item": "general_approval", "data": data})
    assert r.status_code == 201, r.get_data(as_text=True)
    case = r.json
    accept = {"applicant": "张三", "accepted": True, "opinion": "材料齐全"}
    r, accepted = timed(fd.post, f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", json={"data": accept})
    assert r.status_code == 200, r.get_data(as_text=True)
    return case, [opened, accepted]


def review_tasks(mz) -> dict[int, str]:
    """{instance: task name} of 民政's group inbox."""
    r = mz.get("/api/v1/tasks/?view=group&page_size=200")
    assert r.status_code == 200, r.get_data(as_text=True)
    return {t["instance"]: t["name"] for t in r.json["tasks"]}


@pytest.mark.slow
def test_redis_down_30_s_the_front_desk_notices_nothing_and_the_work_goes_on_when_it_is_back(
    web_site, private_redis, tmp_path
):
    """Redis stops for 30 s while the front desk opens and accepts cases through the API: every request
    answers at once and succeeds; when Redis is back, each accepted case reaches 民政's 审核 inbox once."""
    site = web_site
    site.ow.deploy(async_general_approval(tmp_path), publish=True)
    worker = spawn(
        "worker", site.settings, private_redis.url, "--concurrency", "2", log=tmp_path / "worker.log"
    )
    beat = spawn("beat", site.settings, private_redis.url, log=tmp_path / "beat.log")
    fd, mz = site.api("frontdesk"), site.api("minzheng")
    try:
        before, _ = accept_case(fd)  # the workers are up: a case accepted now reaches 民政 at once
        wait_until(lambda: before["instance"] in review_tasks(mz), 30)
        private_redis.stop()
        down = time.monotonic()
        cases, seconds = [], []
        while time.monotonic() - down < 30 or len(cases) < 5:
            case, took = accept_case(fd)
            cases.append(case)
            seconds += took
            time.sleep(1)  # a clerk's pace
        outage = time.monotonic() - down
        assert all(review_tasks(mz).get(c["instance"]) is None for c in cases)  # nothing ran meanwhile
        stepped = versions(site.ow.store.engine)
        private_redis.start()
        back = wait_until(lambda: jobs_by_status(site.ow.store.engine) == {"done": len(cases) + 1}, 60)
    finally:
        stop(beat, worker)
    print(
        f"Redis down {outage:.0f} s: {len(cases)} cases accepted, requests took at most {max(seconds):.2f} s"
        f" (median {sorted(seconds)[len(seconds) // 2]:.2f} s);"
        f" all their work done {back:.1f} s after Redis was back"
    )
    assert max(seconds) < 5
    assert sorted(seconds)[len(seconds) // 2] < 1  # most take no longer than with the broker up
    assert back < 40
    inbox = review_tasks(mz)
    assert all(inbox[c["instance"]] == "Task_review" for c in cases)
    assert_each_stepped_once(site.ow, [c["instance"] for c in cases], stepped, 1)


def timer_diagram(key: str, timers: int) -> str:
    """Start → a timer due at the instant in the data variable `first` → [a timer 2 s after that one fired] →
    办结 (a user task). A script after each timer notes it fired: `fired = fired + [name]`, `first_at = now()`."""
    when = {
        "first": '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">first</bpmn:timeDate>',
        "second": '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2S"</bpmn:timeDuration>',
    }
    names = list(when)[:timers]
    chain = ["Start_1", *[f"{kind}_{name}" for name in names for kind in ("Timer", "Script")], "Task_done"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="Flow_to_{b}" sourceRef="{a}" targetRef="{b}" />'
        for a, b in zip(chain, chain[1:], strict=False)
    )
    elements = "".join(
        f'<bpmn:intermediateCatchEvent id="Timer_{name}"><bpmn:incoming>Flow_to_Timer_{name}</bpmn:incoming>'
        f"<bpmn:outgoing>Flow_to_Script_{name}</bpmn:outgoing>"
        f"<bpmn:timerEventDefinition>{when[name]}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        f'<bpmn:scriptTask id="Script_{name}"><bpmn:incoming>Flow_to_Script_{name}</bpmn:incoming>'
        f"<bpmn:outgoing>Flow_to_{chain[chain.index(f'Script_{name}') + 1]}</bpmn:outgoing>"
        f'<bpmn:script>fired = fired + ["{name}"]\n{name}_at = now()</bpmn:script></bpmn:scriptTask>'
        for name in names
    )
    return (
        HEAD
        + f"""<bpmn:process id="{key}" name="定时" isExecutable="true">
  <bpmn:laneSet id="LaneSet_1">
    <bpmn:lane id="Lane_front" name="frontdesk"><bpmn:flowNodeRef>Task_done</bpmn:flowNodeRef></bpmn:lane>
  </bpmn:laneSet>
  <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_to_{chain[1]}</bpmn:outgoing></bpmn:startEvent>
  {elements}
  <bpmn:userTask id="Task_done" name="办结"><bpmn:incoming>Flow_to_Task_done</bpmn:incoming><bpmn:outgoing>Flow_end</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="End_1"><bpmn:incoming>Flow_end</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="Flow_end" sourceRef="Task_done" targetRef="End_1" />
  {flows}
</bpmn:process>
</bpmn:definitions>
"""
    )


def timer_facts(ow: OneWindow, instance_ids) -> dict[int, dict]:
    """Per instance: its data, open tasks, version and timer jobs (status, due, done), read in a few queries.

    The data is read from the stored state (the last completed task's data, as `ow.instance` shows it; a
    sample is checked against `ow.instance`): a thousand `ow.instance` calls would take seconds."""
    wanted = set(instance_ids)
    facts = {i: {"open": [], "jobs": []} for i in instance_ids}
    with ow.store.engine.connect() as conn:
        for iid, version, state in conn.execute(text("SELECT id, version, state FROM process_instance")):
            if iid in wanted:
                state = json.loads(state)
                facts[iid].update(version=version, data=state["tasks"][state["last_task"]]["data"])
        for iid, name in conn.execute(text("SELECT instance_id, name FROM human_task WHERE state = 'open'")):
            if iid in wanted:
                facts[iid]["open"].append(name)
        timer_jobs = text(
            "SELECT instance_id, status, due_at, done_at FROM job WHERE kind = 'timer' ORDER BY id"
        )
        for iid, *job in conn.execute(timer_jobs):
            if iid in wanted:
                facts[iid]["jobs"].append(tuple(job))
    for iid in random.sample(instance_ids, 20):
        assert ow.instance(iid)["data"] == facts[iid]["data"]
    return facts


FIRST_TIMERS_DONE = "SELECT count(*) FROM job WHERE kind = 'timer' AND status = 'done' AND due_at = :due"
AT_THE_END = "SELECT count(*) FROM human_task WHERE name = 'Task_done' AND state = 'open'"


def timer_jobs_report(ow: OneWindow, first: datetime, logs: Path) -> str:
    """What a timed-out timer test needs to be understood: the timer jobs by status, attempts and whether
    they are still due at `first`, a few of their errors, and the end of each worker's and the beat's log."""
    lines = []
    with ow.store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT status, attempts, due_at = :due, dispatched_at IS NOT NULL, count(*), min(last_error) "
                "FROM job WHERE kind = 'timer' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
            ),
            {"due": first.replace(tzinfo=None)},
        )
        for status, attempts, at_first, sent, n, error in rows:
            lines.append(
                f"{n} timer job(s) {status}, attempts {attempts}, due at first: {at_first}, sent: {sent}"
            )
            if error:
                lines.append("  e.g. " + error.splitlines()[0][:300])
    for log in sorted(logs.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-15:]
        lines += [f"--- {log.name}", *tail]
    return "\n".join(lines)


def count(ow: OneWindow, sql: str, **params) -> int:
    with ow.store.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def time_starts(ow: OneWindow, key: str) -> float:
    """Seconds one start of `key` takes (the median of 40, caches warm; its timer far ahead)."""
    later = {"first": "2099-01-01T00:00:00+08:00", "fired": []}
    for _ in range(10):
        ow.start(key, later)
    times = []
    for _ in range(40):
        t0 = time.monotonic()
        ow.start(key, later)
        times.append(time.monotonic() - t0)
    return statistics.median(times)


@pytest.mark.slow
def test_two_workers_fire_1000_timers_due_in_the_same_second_each_once_and_in_order(
    pg_harness, private_redis, tmp_path
):
    """1000 instances wait on timers due in the same second; two workers (2 processes each) and the beat fire
    each exactly once, none early; in the 500 with a second timer 2 s later, it fires after the first."""
    settings = replace(pg_harness.ow.settings, broker_url=private_redis.url)
    ow = OneWindow(settings)
    for timers in (1, 2):
        (tmp_path / f"timers{timers}.bpmn").write_text(timer_diagram(f"timers{timers}", timers))
        ow.deploy(tmp_path / f"timers{timers}.bpmn", publish=True)
    per_start = time_starts(ow, "timers1")
    workers = Workers(settings, private_redis.url, tmp_path, concurrency=2)
    workers.add(), workers.add()
    beat = spawn("beat", settings, private_redis.url, log=tmp_path / "beat.log")
    try:
        workers.wait_ready()
        # One due instant for all, far enough ahead that every instance waits for it when it comes.
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(
            seconds=round(3 + 1000 * per_start * 1.5)
        )
        data = {"first": first.isoformat(), "fired": []}
        t0 = time.monotonic()
        one, two = [], []
        for _ in range(500):
            one.append(ow.start("timers1", data)["instance"])
            two.append(ow.start("timers2", data)["instance"])
        created = time.monotonic() - t0
        assert datetime.now(UTC) < first, "starting 1000 instances took longer than planned"
        before = versions(ow.store.engine)
        wait_until(lambda: datetime.now(UTC) >= first, 120)
        try:
            fired = wait_until(
                lambda: count(ow, FIRST_TIMERS_DONE, due=first.replace(tzinfo=None)) == 1000, 120, 0.5
            )
            took = wait_until(lambda: count(ow, AT_THE_END) == 1000, 120, 0.5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{timer_jobs_report(ow, first, tmp_path)}") from None
    finally:
        stop(beat)
        workers.stop()
    print(
        f"1000 instances started in {created:.1f} s, their timers due in the same second; all fired"
        f" {fired:.1f} s after it, the 500 timers that follow them {took:.1f} s later"
    )
    facts = timer_facts(ow, one + two)
    for iid in one + two:
        f = facts[iid]
        timers = ["first"] if iid in one else ["first", "second"]
        assert f["data"]["fired"] == timers, (iid, f["data"]["fired"])  # each once, in order
        assert f["open"] == ["Task_done"], (iid, f["open"])
        statuses = [status for status, _, _ in f["jobs"]]
        assert statuses == ["done"] * len(timers), (iid, f["jobs"])  # one job per timer, run
        assert all(done_at >= due for _, due, done_at in f["jobs"]), (iid, f["jobs"])  # none early
        assert f["version"] == before[iid] + len(timers)  # one step per timer, none lost or repeated
        fired_at = [datetime.fromisoformat(f["data"][f"{name}_at"]) for name in timers]
        assert fired_at[0] >= first
        if iid in two:
            assert fired_at[1] - fired_at[0] >= timedelta(seconds=2), (iid, fired_at)
    ow.close()


@pytest.mark.slow
def test_a_worker_whose_redis_connections_are_cut_again_and_again_finishes_every_job(
    pg_harness, private_redis, tmp_path
):
    """Redis cuts every client connection 40 times while a worker takes and acknowledges jobs (kombu can give
    up on such a cut with an "unrecoverable error"; the worker then starts afresh): every job is done, once."""
    import redis

    settings = replace(pg_harness.ow.settings, broker_url=private_redis.url)
    ow = OneWindow(settings)
    (tmp_path / "slow.bpmn").write_text(slow_diagram(slow_scripts=1))
    ow.deploy(tmp_path / "slow.bpmn", publish=True)
    ow.add_member("clerk", "frontdesk")
    cases = [ow.start("slow", {"runs": 0}) for _ in range(60)]
    before = versions(ow.store.engine)
    for case in cases:
        ow.complete(case["tasks"][0]["id"], "clerk", {})  # 60 job ids wait in Redis
    log = tmp_path / "worker.log"
    worker = spawn("worker", settings, private_redis.url, "--concurrency", "2", log=log)
    beat = spawn("beat", settings, private_redis.url, env={"ONEWINDOW_RESEND_SECONDS": "5"})
    admin = redis.Redis.from_url(private_redis.url)
    try:
        wait_until(lambda: jobs_by_status(ow.store.engine).get("done", 0) > 0, 60, 0.01)
        cuts = 0
        while cuts < 40 and jobs_by_status(ow.store.engine) != {"done": len(cases)}:
            cuts += admin.client_kill_filter(_type="normal", skipme=True) > 0  # every client but this one
            time.sleep(random.uniform(0.02, 0.12))
        wait_until(lambda: jobs_by_status(ow.store.engine) == {"done": len(cases)}, 120)
    finally:
        stop(beat, worker)
        admin.close()
    assert_each_stepped_once(ow, [c["instance"] for c in cases], before, 2)
    text_of_log = log.read_text()
    print(
        f"{cuts} cuts, {text_of_log.count('Connection to broker lost')} reconnections,"
        f" {text_of_log.count('starting again')} restart(s) after an unrecoverable error"
    )
    ow.close()
