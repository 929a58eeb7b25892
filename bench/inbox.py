"""The 待签收 inbox at scale: "open tasks of my groups, soonest due first, page 1" on PostgreSQL.

`orchestrator.tasks.inbox(session, user, view="group", limit=20)` over a human_task table of 1 000 000
completed and 50 000 open rows (10 groups, the demo org's towns and villages, due dates over months),
loaded with INSERT … SELECT generate_series into a throwaway database. Prints p50/p95 of the service call
for a user in one group and a user in two, and the EXPLAIN (ANALYZE, BUFFERS) plan of the SQL it issues.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from orchestrator.core import clock
from orchestrator.core.config import Settings
from orchestrator.service import DEMO_ORG, OneWindow

GROUPS = (
    "frontdesk",
    "delivery",
    "minzheng",
    "renshe",
    "yibao",
    "weijian",
    "gongan",
    "shichang",
    "command",
    "grid",
)
# Where cases are received: the demo org's towns, villages and grid (the district has no window).
PLACES = (
    "/shifanqu/gaoqiao/",
    "/shifanqu/gaoqiao/gaoqiao-xinxing/",
    "/shifanqu/gaoqiao/gaoqiao-qiaoxi/",
    "/shifanqu/gaoqiao/gaoqiao-xinxing/gaoqiao-xinxing-1/",
    "/shifanqu/jishigang/",
    "/shifanqu/jishigang/jishigang-wangchun/",
    "/shifanqu/jishigang/jishigang-shanxia/",
)
KEYS = ("general_approval", "hr_service_permit", "newborn_one_thing", "minimum_living_allowance")
# The two users measured: (username, [(group, org unit code)]).
USERS = {
    "one_group": [("frontdesk", "gaoqiao")],
    "two_groups": [("frontdesk", "gaoqiao"), ("minzheng", "jishigang")],
}
PAGE = 20
TARGET_P95_MS = 20.0


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def load(engine: Engine, *, completed: int, open_tasks: int, instances: int = 4000) -> None:
    """Bulk-load definitions, instances (half of them cases) and tasks; the schema must be migrated.

    Task i belongs to instance 1 + i % instances; instance j is received at PLACES[j % 7], and its tasks
    carry that org_path. Tasks 1..completed are done; the next `open_tasks` are open, due from a month ago
    to five months ahead, spread over the ten groups."""
    places, groups, keys = _array(PLACES), _array(GROUPS), _array(KEYS)
    done = "i <= :done"
    statements = [
        "INSERT INTO process_definition (id, key, version, name, checksum, status, files, spec, forms, lanes,"
        f" timer_start, deployed_by, deployed_at) SELECT k, ({keys})[k], 1, ({keys})[k], md5(k::text),"
        " 'published', '{}', '{}', '{}', '{}', false, 'bench', :now FROM generate_series(1, :keys) AS k",
        "INSERT INTO process_instance (id, definition_id, process_key, business_key, status, state, version,"
        f" started_by, started_at, org_path) SELECT i, 1 + i % :keys, ({keys})[1 + i % :keys], 'B-' || i,"
        f" 'running', '{{}}', 1, 'bench', :now - interval '200 days', ({places})[1 + i % 7]"
        " FROM generate_series(1, :inst) AS i",
        "INSERT INTO service_case (case_number, instance_id, item_code, item_name, applicant, channel,"
        " case_class, local_type, status_code, promised_limit, statutory_limit, received_at, provisional)"
        " SELECT 'BENCH-' || i, i, 'ITEM-' || (1 + i % 4), '事项' || (1 + i % 4), '{\"name\": \"张三\"}',"
        " '窗口', 2, '承诺', 3, 5, 20, :now - interval '200 days', false FROM generate_series(2, :inst, 2) AS i",
        "INSERT INTO human_task (id, instance_id, spiff_task_id, name, title, candidate_group, state, priority,"
        " created_at, due_at, completed_at, completed_by, action, org_path)"
        f" SELECT i, 1 + i % :inst, i::text, 'Task_' || (i % 5), '审查', ({groups})[1 + (i / 7) % 10],"
        f" CASE WHEN {done} THEN 'completed' ELSE 'open' END, 50,"
        f" :now - interval '1 hour' * (1 + (i * 7919) % 4000) - CASE WHEN {done} THEN interval '200 days'"
        " ELSE interval '0' END,"
        f" :now - interval '30 days' + interval '1 hour' * ((i * 104729) % 4320) - CASE WHEN {done}"
        " THEN interval '200 days' ELSE interval '0' END,"
        f" CASE WHEN {done} THEN :now - interval '150 days' END, CASE WHEN {done} THEN 'clerk' || (i % 50) END,"
        f" CASE WHEN {done} THEN '通过' END, ({places})[1 + (1 + i % :inst) % 7]"
        " FROM generate_series(1::bigint, :total) AS i",
    ]
    params = {
        "now": clock.now(),
        "keys": len(KEYS),
        "inst": instances,
        "done": completed,
        "total": completed + open_tasks,
    }
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(
                text(statement).bindparams(**{k: v for k, v in params.items() if f":{k}" in statement})
            )
        for table in ("process_definition", "process_instance", "service_case", "human_task"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE process_definition, process_instance, service_case, human_task"))
        try:  # write the loaded pages out now, not while measuring (needs superuser or pg_checkpoint)
            conn.execute(text("CHECKPOINT"))
        except Exception:  # noqa: BLE001
            pass


def add_users(ow: OneWindow) -> None:
    for code, name, level, parent in DEMO_ORG:
        ow.add_org_unit(code, name, level, parent, actor="bench")
    for user, places in USERS.items():
        for group, org in places:
            ow.add_member(user, group, org)


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    """The SQL statements (with their parameters) issued on `engine` inside the block."""
    found: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        found.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


def inbox_statements(ow: OneWindow, user: str) -> list[tuple[str, object]]:
    """The statements one inbox call runs that read human_task (the page of ids, then its rows)."""
    with captured(ow.store.engine) as found:
        ow.tasks(user, view="group", limit=PAGE)
    return [(sql, params) for sql, params in found if "human_task" in sql]


def explain(conn: Connection, statement: str, parameters) -> list[str]:
    rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).all()
    return [r[0] for r in rows]


def timings(ow: OneWindow, user: str, runs: int) -> tuple[float, float]:
    """p50 and p95 (ms) of the service call `ow.tasks(user, view="group", limit=20)`."""
    for _ in range(10):
        ow.tasks(user, view="group", limit=PAGE)  # warm the pool, the caches and the plans
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        ow.tasks(user, view="group", limit=PAGE)
        times.append((time.perf_counter() - t0) * 1000)
    quantiles = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times), quantiles[94]


def run(url: str, *, completed: int = 1_000_000, open_tasks: int = 50_000, runs: int = 300) -> None:
    """Load the database at `url` (empty), measure, and print the section."""
    ow = OneWindow(Settings(database_url=url))
    ow.upgrade()
    t0 = time.perf_counter()
    load(ow.store.engine, completed=completed, open_tasks=open_tasks)
    loaded = time.perf_counter() - t0
    add_users(ow)
    results = {user: timings(ow, user, runs) for user in USERS}
    plans = []
    with ow.store.engine.connect() as conn:
        for user in USERS:
            for statement, parameters in inbox_statements(ow, user):
                plans.append((user, statement, explain(conn, statement, parameters)))
            conn.rollback()
    ow.close()
    in_db = {user: sum(_execution_ms(plan) for u, _, plan in plans if u == user) for user in USERS}
    print(
        f"\n## 待签收 inbox on PostgreSQL: {completed:,} completed + {open_tasks:,} open tasks "
        f"(loaded in {loaded:.0f} s), page 1 of {PAGE}, {runs} runs, load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| user | memberships | p50 (ms) | p95 (ms) | of which SQL execution (ms) | target p95 ≤ 20 ms |")
    print("|---|---|---:|---:|---:|---|")
    for user, (p50, p95) in results.items():
        where = ", ".join(f"{g}@{o}" for g, o in USERS[user])
        verdict = "ok" if p95 <= TARGET_P95_MS else "SLOWER"
        print(f"| {user} | {where} | {p50:.2f} | {p95:.2f} | {in_db[user]:.2f} | {verdict} |")
    print(
        "\n(the call is one transaction: memberships, the page of ids, the calendar stamp, the page's rows)"
    )
    for user, statement, plan in plans:
        print(f"\n### {user}: EXPLAIN (ANALYZE, BUFFERS)\n\n```sql\n{statement}\n```\n```")
        print("\n".join(plan))
        print("```")


def _execution_ms(plan: list[str]) -> float:
    """'Execution Time: 0.135 ms' of an EXPLAIN ANALYZE."""
    return sum(float(line.split(":")[1].split()[0]) for line in plan if line.startswith("Execution Time:"))


@contextmanager
def throwaway_database() -> Iterator[str | None]:
    """A new PostgreSQL database on ONEWINDOW_TEST_DATABASE_URL's server, dropped afterwards (None if the
    server does not answer)."""
    base = make_url(
        os.environ.get("ONEWINDOW_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    name = f"ow_bench_inbox_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        print(f"(inbox benchmark skipped: PostgreSQL not reachable: {type(exc).__name__})", file=sys.stderr)
        yield None
        return
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def section(quick: bool = False) -> None:
    """`python -m bench`: the inbox section (`--quick`: a tenth of the rows)."""
    with throwaway_database() as url:
        if url is None:
            return
        if quick:
            run(url, completed=100_000, open_tasks=5_000, runs=200)
        else:
            run(url)
