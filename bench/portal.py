"""The citizen channel at scale on PostgreSQL: 进度查询 (case number + ID tail), 我的办件 (a citizen's list)
and the 办事指南 (search and one item's guide), with 1 000 000 online cases of 100 000 citizens and one step
each, loaded with INSERT … SELECT generate_series into a throwaway database after the demo processes are
deployed. Prints p50/p95 of each service call (target: p95 ≤ 20 ms).

Run: .venv/bin/python -m bench.portal [--quick]   (also a section of `make bench`)
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
import uuid

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.service import OneWindow

TARGET_P95_MS = 20.0
CALLS = 300


def load(engine: Engine, cases: int, citizens: int) -> None:
    """Citizens, and for each case an instance, a case, its portal link and one step (a third still open)."""
    statements = [
        "INSERT INTO citizen (id, phone, password_hash, name, id_number, created_at, verified_at)"
        " SELECT c, (13000000000 + c)::text, 'x', '市民' || c, '110101199003074514', :now, :now"
        " FROM generate_series(1, :citizens) AS c",
        "INSERT INTO process_instance (id, definition_id, process_key, business_key, status, state, version,"
        " started_by, started_at, org_path) SELECT 1000 + i, :definition, 'hr_service_permit', NULL, 'running',"
        " '{}', 1, 'citizen:' || (13000000000 + 1 + i % :citizens), :now - interval '1 minute' * i,"
        " '/shifanqu/gaoqiao/' FROM generate_series(1, :cases) AS i",
        "INSERT INTO service_case (id, case_number, instance_id, item_code, item_name, applicant, channel,"
        " case_class, local_type, status_code, promised_limit, statutory_limit, received_at, provisional)"
        " SELECT 1000 + i, 'XK-RS-0001-20261001-' || lpad(i::text, 7, '0'), 1000 + i, 'XK-RS-0001',"
        " '人力资源服务许可', '{\"name\": \"市民\", \"id_number\": \"110101199003074514\"}', '网上', 2, '承诺',"
        " CASE WHEN i % 3 = 0 THEN 1 ELSE 11 END, 4, 20, :now - interval '1 minute' * i, false"
        " FROM generate_series(1, :cases) AS i",
        "INSERT INTO portal_case (case_id, citizen_id, tail, delivery, applied_at)"
        " SELECT 1000 + i, 1 + i % :citizens, '074514', '{\"method\": \"window\"}', :now - interval '1 minute' * i"
        " FROM generate_series(1, :cases) AS i",
        "INSERT INTO human_task (id, instance_id, spiff_task_id, name, title, candidate_group, state, priority,"
        " created_at, due_at, completed_at, completed_by, action, org_path)"
        " SELECT 1000 + i, 1000 + i, i::text, 'Task_check', '网上预审', 'frontdesk',"
        " CASE WHEN i % 3 = 0 THEN 'open' ELSE 'completed' END, 50, :now - interval '1 minute' * i, NULL,"
        " CASE WHEN i % 3 = 0 THEN NULL ELSE :now END, CASE WHEN i % 3 = 0 THEN NULL ELSE 'frontdesk' END,"
        " NULL, '/shifanqu/gaoqiao/' FROM generate_series(1, :cases) AS i",
    ]
    with engine.begin() as conn:
        definition = conn.execute(
            text("SELECT id FROM process_definition WHERE key = 'hr_service_permit' AND status = 'published'")
        ).scalar_one()
        params = {"now": clock.now(), "cases": cases, "citizens": citizens, "definition": definition}
        for statement in statements:
            conn.execute(
                text(statement).bindparams(**{k: v for k, v in params.items() if f":{k}" in statement})
            )
        for table in ("citizen", "process_instance", "service_case", "human_task"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE citizen, process_instance, service_case, portal_case, human_task"))


def timed(call, rounds: int) -> tuple[float, float]:
    spent = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    return statistics.median(spent), spent[int(len(spent) * 0.95) - 1]


def section(quick: bool = False) -> None:
    cases, citizens = (100_000, 10_000) if quick else (1_000_000, 100_000)
    base = make_url(
        os.environ.get("ONEWINDOW_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    name = f"ow_bench_portal_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        print(f"(portal section skipped: PostgreSQL not reachable: {type(exc).__name__})", file=sys.stderr)
        return
    ow = OneWindow(
        Settings(
            database_url=base.set(database=name).render_as_string(hide_password=False),
            processes_dir=REPO_ROOT / "processes",
        )
    )
    try:
        ow.upgrade()
        ow.load_demo()
        started = time.perf_counter()
        load(ow.store.engine, cases, citizens)
        print(
            f"\n## Citizen portal on PostgreSQL: {cases:,} online cases of {citizens:,} citizens (loaded in {time.perf_counter() - started:.0f} s)"
        )
        rng = random.Random(7)
        numbers = [f"XK-RS-0001-20261001-{rng.randint(1, cases):07d}" for _ in range(CALLS)]
        people = [rng.randint(1, citizens) for _ in range(CALLS)]
        it = itertools.cycle(numbers)
        who = itertools.cycle(people)
        rows = [
            ("进度查询 (number + ID tail)", lambda: ow.case_progress(next(it), "074514")),
            ("进度查询, wrong tail (404)", lambda: _missing(ow, next(it))),
            ("我的办件 (a citizen's 10 cases)", lambda: ow.citizen_cases(next(who))),
            ("办事指南: one item's guide", lambda: ow.guide("XK-RS-0001")),
            ("办事指南: search 'rlzy'", lambda: ow.guide_items("rlzy")),
        ]
        print(f"| call | p50 ms | p95 ms | p95 ≤ {TARGET_P95_MS:.0f} ms |")
        print("|---|---:|---:|---|")
        for label, call in rows:
            call()  # warm
            p50, p95 = timed(call, CALLS)
            print(f"| {label} | {p50:.2f} | {p95:.2f} | {'yes' if p95 <= TARGET_P95_MS else 'NO'} |")
    finally:
        ow.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _missing(ow: OneWindow, number: str) -> None:
    from orchestrator.core.errors import NotFound

    try:
        ow.case_progress(number, "000000")
    except NotFound:
        return
    raise AssertionError("a wrong tail found a case")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 000 cases instead of 1 000 000")
    section(parser.parse_args().quick)
