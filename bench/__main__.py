"""`make bench`: durable completion vs SpiffWorkflow in memory, step cost as history grows, and the 待签收
inbox over a million tasks (bench/inbox.py), then Celery + Redis: cases per second with 1 and 2 workers and
timer lag with 100 000 waiting timers (bench/distributed.py); statistics breakdowns over 100 000 and
2 500 000 cases (bench/stats.py); the studio's form and process-test costs
(bench/studio.py).

Run: .venv/bin/python -m bench [--quick] [--inbox-only | --distributed-only | --studio-only | --stats-only].
PostgreSQL is used when ONEWINDOW_TEST_DATABASE_URL's server answers (the inbox and distributed sections
need it; the distributed section also needs Redis, db 14 of 127.0.0.1:6379 or ONEWINDOW_BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orchestrator.bpmn import engine, sandbox
from orchestrator.core.config import Settings
from orchestrator.deploy import definitions
from orchestrator.service import OneWindow

from . import distributed, inbox, portal, stats, studio

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "tests" / "bpmn"
SMALL = "exclusive_gateway"
SMALL_DATA = [{"applicant": "张三", "amount": 500}, {"approved": True, "opinion": "同意"}]


def _databases(keep: list) -> list[tuple[str, str]]:
    dbs = [("SQLite", f"sqlite:///{tempfile.mkdtemp(prefix='ow-bench-')}/bench.db")]
    base = make_url(
        os.environ.get("ONEWINDOW_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    name = f"ow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        keep.append((admin, name))
        dbs.append(("PostgreSQL", base.set(database=name).render_as_string(hide_password=False)))
    except Exception as exc:  # noqa: BLE001
        print(f"(PostgreSQL skipped: {type(exc).__name__})", file=sys.stderr)
    return dbs


def _orchestrator(url: str) -> OneWindow:
    ow = OneWindow(Settings(database_url=url, forms_dir=BPMN / "forms"))
    ow.upgrade()
    for user, group in (("bench", "frontdesk"), ("bench", "minzheng"), ("bench", "renshe")):
        ow.add_member(user, group)
    return ow


def durable_instance(ow: OneWindow, key: str, data: list[dict]) -> list[float]:
    """One instance through the orchestrator: each completion is lock → load → validate → complete →
    engine steps → save → commit."""
    task = ow.start(key, {}, actor="bench")["tasks"][0]
    times = []
    for step in data:
        t0 = time.perf_counter()
        out = ow.complete(task["id"], "bench", step)
        times.append(time.perf_counter() - t0)
        if not out["tasks"]:
            break
        task = out["tasks"][0]
    return times


class InMemory:
    """SpiffWorkflow alone on the same diagram: deserialize (spec included) → complete → steps → serialize."""

    def __init__(self, path: Path, key: str):
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_file(str(path))
        self.spec, self.subs = parser.get_spec(key), parser.get_subprocess_specs(key)

    def instance(self, data: list[dict]) -> list[float]:
        ser = engine.SERIALIZER
        wf = BpmnWorkflow(self.spec, self.subs, script_engine=sandbox.script_engine())
        wf.do_engine_steps()
        state = ser.serialize_json(wf)
        times = []
        for step in data:
            t0 = time.perf_counter()
            wf = ser.deserialize_json(state)
            wf.script_engine = sandbox.script_engine()
            task = wf.get_next_task(state=TaskState.READY, manual=True)
            task.data.update(step)
            task.run()
            wf.do_engine_steps()
            state = ser.serialize_json(wf)
            times.append(time.perf_counter() - t0)
        return times


def completions(ow: OneWindow, memory: InMemory, instances: int) -> tuple[float, float]:
    """Median completion time, durable and in memory, interleaved instance by instance so that load on
    the machine falls on both alike."""
    durable, in_memory = [], []
    for _ in range(instances):
        in_memory += memory.instance(SMALL_DATA)
        durable += durable_instance(ow, SMALL, SMALL_DATA)
    return statistics.median(durable), statistics.median(in_memory)


def step_growth(ow: OneWindow, key: str, instances: int) -> tuple[float, float, float]:
    """Median cost of completing step 1 and step 200 (the last) of one instance.

    `chain_200`: 200 tasks in a row, each adding a field (history and case data both grow);
    `review_loop`: one review sent back 199 times with the same form (only history grows)."""
    firsts, lasts = [], []
    for _ in range(instances):
        task = ow.start(key, {}, actor="bench")["tasks"][0]
        for i in range(1, 201):
            if key == "review_loop":
                data = {"opinion": f"第{i}次补正意见", "complete": i == 200}
            else:
                data = {f"opinion_{i}": f"第{i}步意见"}
            t0 = time.perf_counter()
            out = ow.complete(task["id"], "bench", data)
            elapsed = time.perf_counter() - t0
            if i == 1:
                firsts.append(elapsed)
            if i == 200:
                lasts.append(elapsed)
            task = out["tasks"][0] if out["tasks"] else None
    first, last = statistics.median(firsts), statistics.median(lasts)
    return first * 1000, last * 1000, last / first


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--quick", action="store_true")
    only = args.add_mutually_exclusive_group()
    only.add_argument("--inbox-only", action="store_true", help="only the inbox section")
    only.add_argument("--distributed-only", action="store_true", help="only the Celery + Redis section")
    only.add_argument("--portal-only", action="store_true", help="only the citizen portal section (网上办)")
    only.add_argument("--stats-only", action="store_true", help="only the statistics section (统计分析)")
    only.add_argument("--studio-only", action="store_true", help="only the form and process-test section")
    opts = args.parse_args()
    if opts.portal_only:
        portal.section(opts.quick)
        return
    if opts.stats_only:
        stats.section(opts.quick)
        return
    if opts.studio_only:
        studio.section(opts.quick)
        return
    if not (opts.inbox_only or opts.distributed_only):
        engine_sections(opts.quick)
        studio.section(opts.quick)
    if not opts.distributed_only:
        inbox.section(opts.quick)
    if not opts.inbox_only:
        distributed.section(opts.quick)
    if not (opts.inbox_only or opts.distributed_only):
        stats.section(opts.quick)
        portal.section(opts.quick)


def engine_sections(quick: bool) -> None:
    """Durable completion vs in memory, and step cost as history grows (SQLite and PostgreSQL)."""
    n_small, n_chain = (20, 2) if quick else (200, 5)
    keep: list = []
    memory = InMemory(BPMN / f"{SMALL}.bpmn", SMALL)
    rows = []
    for label, url in _databases(keep):
        definitions.clear_cache()
        ow = _orchestrator(url)
        ow.deploy(BPMN / f"{SMALL}.bpmn", publish=True)
        ow.deploy(BPMN / "chain_200.bpmn", publish=True)
        ow.deploy(BPMN / "review_loop.bpmn", publish=True)
        durable, in_memory = completions(ow, memory, n_small)
        growth = [(key, *step_growth(ow, key, n_chain)) for key in ("chain_200", "review_loop")]
        rows.append((label, durable, in_memory, growth))
        ow.close()
    print(
        "\n## Durable task completion vs SpiffWorkflow in memory "
        f"({SMALL}.bpmn, {n_small} instances × {len(SMALL_DATA)} tasks)\n"
    )
    print(
        "| database | durable completions/s | SpiffWorkflow in memory, same run | durable cost (target ≤ 3×) |"
    )
    print("|---|---:|---:|---:|")
    for label, durable, in_memory, *_ in rows:
        print(f"| {label} | {1 / durable:,.0f} | {1 / in_memory:,.0f} | {durable / in_memory:.2f}× |")
    print(f"\n## Step cost as history grows (median of {n_chain} instances)\n")
    print("| database | diagram | step 1 (ms) | step 200 (ms) | step 200 / step 1 (target ≤ 1.3) |")
    print("|---|---|---:|---:|---:|")
    for label, _, _, growth in rows:
        for key, first, last, ratio in growth:
            print(f"| {label} | {key}.bpmn | {first:.2f} | {last:.2f} | {ratio:.2f} |")
    for admin, name in keep:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
