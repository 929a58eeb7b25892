"""统计分析 at a city's scale: a year of cases (100 000 and 2 500 000) on PostgreSQL, the facts loaded with
COPY, the per-day and per-month sums built from them in SQL (as `onewindow stats --recount` does after its
facts), then every breakdown timed through the service (`OneWindow.stats`: the refresh from the audit trail
included) over a whole year, a quarter and an odd range, for everything and for one town.

A fact is what one case counts for (`stats_case`): its received and closed days, org unit (a city of 12
towns × 10 villages), item (60, each with a lead department of 10), channel, clerk (2 per village), window
(4 per town hall: a town's 窗口 cases are received at one of its 3 综合窗口), proxy (20 % of cases, 300 proxies) and its 0/1 measures (85 % completed with 0–25 handling days, 10 % open, the
rest refused or withdrawn; half the completed evaluated, 8 % of those 差评). Prints a markdown table of
p50/p95 per breakdown and size (target p95 ≤ 200 ms).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orchestrator.core.config import Settings
from orchestrator.gov.stats import aggregate
from orchestrator.service import OneWindow
from orchestrator.store.stats import MEASURES, StatsSetting

TOWNS, VILLAGES, ITEMS, DEPARTMENTS, PROXIES = 12, 10, 60, 10, 300
YEAR = 2025
TARGET_P95_MS = 200.0
RUNS = 15
FACT_COLUMNS = (
    "case_id", "received_day", "received_month", "closed_day", "closed_month", "promised_due", "status_code",
    "org_path", "department", "item_code", "item_name", "channel", "clerk", "proxy", "window_key", "days", *MEASURES,
)  # fmt: skip
CHANNELS = ("窗口", "网上", "掌上", "代办", "自助机")
WINDOWS = ("综合窗口", "综合窗口", "综合窗口", "出件窗口")  # per town hall, numbered 1 to 4


def _org(conn) -> list[str]:
    """The city: a district, its towns and their villages; returns the places cases are received at."""
    rows = [("city", "城区", "区县", None, "/city/")]
    places = []
    for t in range(TOWNS):
        town = f"t{t:02d}"
        rows.append((town, f"第{t + 1}镇", "镇街", "city", f"/city/{town}/"))
        places.append(f"/city/{town}/")
        for v in range(VILLAGES):
            code = f"{town}-v{v}"
            rows.append((code, f"第{t + 1}镇{v + 1}村", "村社", town, f"/city/{town}/{code}/"))
            places.append(f"/city/{town}/{code}/")
    with conn.cursor().copy("COPY org_unit (code, name, level, parent_code, path) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    with conn.cursor().copy("COPY service_window (id, hall, number, kind, created_at) FROM STDIN") as copy:
        for t in range(TOWNS):
            for number, kind in enumerate(WINDOWS, 1):
                copy.write_row((t * len(WINDOWS) + number, f"t{t:02d}", number, kind, f"{YEAR}-01-01"))
    return places


def _window(place: str, channel: str, case_id: int) -> str:
    """A town's 窗口 case is received at one of its hall's 综合窗口; a village has no hall."""
    parts = [p for p in place.split("/") if p]
    if channel != "窗口" or len(parts) != 2:
        return ""
    return str(int(parts[1][1:]) * len(WINDOWS) + case_id % 3 + 1)


def _facts(n: int, places: list[str], seed: int = 15):
    """n facts as rows for COPY (numbers and dates as text)."""
    rng = random.Random(seed)
    start = date(YEAR, 1, 1)
    today = date.today()
    for case_id in range(1, n + 1):
        received = start + timedelta(days=rng.randrange(365))
        place = rng.randrange(len(places))
        item = rng.randrange(ITEMS)
        channel = CHANNELS[rng.randrange(5)]
        roll = rng.random()
        m = dict.fromkeys(MEASURES, 0)
        m["received"] = 1
        m["immediate"] = int(item < 15)
        m["supplemented"] = int(rng.random() < 0.1)
        limit = 5 if item < 30 else 15
        due = received + timedelta(days=limit + limit // 5 * 2)
        closed = None
        days = -1
        status = 11
        if roll < 0.85:
            days = min(int(rng.expovariate(1 / 5)), 40)
            closed = received + timedelta(days=days + days // 5 * 2)
            m.update(
                accepted=1, completed=1, days_sum=days, on_time=int(days <= limit), early=int(days < limit)
            )
            m["overdue"] = int(days > limit)
            if rng.random() < 0.5:
                bad = rng.random() < 0.08
                m.update(
                    evaluations=1, good=int(not bad), bad=int(bad), rectified=int(bad and rng.random() < 0.8)
                )
        elif roll < 0.95:
            status = 3
            m.update(accepted=1, in_progress=1, overdue=int(today > due))
        elif roll < 0.98:
            status, closed, due = 5, received, None
            m["refused"] = 1
        else:
            status, closed, due = 2, received, None
            m["withdrawn"] = 1
        m["zero_visit"] = int(channel in ("网上", "掌上", "代办"))
        m["one_visit"] = int(channel in ("窗口", "自助机") and not m["supplemented"])
        yield (
            case_id, received, received.replace(day=1), closed, closed.replace(day=1) if closed else None, due, status,
            places[place], f"dept{item % DEPARTMENTS}", f"item{item:02d}", f"事项{item:02d}", channel,
            f"clerk{place}-{case_id % 2}", f"proxy{rng.randrange(PROXIES)}" if rng.random() < 0.2 else None,
            _window(places[place], channel, case_id), days,
            *(m[k] for k in MEASURES),
        )  # fmt: skip


def load(ow: OneWindow, n: int) -> tuple[float, float, int]:
    """COPY the org and n facts, build the sums; (seconds to COPY, seconds to sum, aggregate rows)."""
    raw = ow.store.engine.raw_connection()
    try:
        conn = raw.driver_connection
        t0 = time.perf_counter()
        places = _org(conn)
        columns = ", ".join(FACT_COLUMNS)
        with conn.cursor().copy(f"COPY stats_case ({columns}) FROM STDIN") as copy:
            for row in _facts(n, places):
                copy.write_row(row)
        conn.commit()
        copied = time.perf_counter() - t0
    finally:
        raw.close()
    t0 = time.perf_counter()
    with ow.store.transaction() as s:
        s.execute(text("SET LOCAL work_mem = '256MB'"))
        aggregate.resum(s)
        s.add(StatsSetting(name=aggregate.WATERMARK, value={"audit_id": 0}))
    with ow.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE stats_aggregate"))
        c.execute(text("VACUUM ANALYZE stats_case"))
        rows = c.execute(text("SELECT count(*) FROM stats_aggregate")).scalar_one()
    return copied, time.perf_counter() - t0, rows


PERIODS = {
    "year": (f"{YEAR}-01-01", f"{YEAR}-12-31"),
    "quarter": (f"{YEAR}-07-01", f"{YEAR}-09-30"),
    "odd range": (f"{YEAR}-03-15", f"{YEAR}-08-20"),
}
QUERIES = [  # (label, by, period, basis, org)
    ("department, year", "department", "year", "accepted", None),
    ("department, year, by completion", "department", "year", "completed", None),
    ("org (towns), year", "org", "year", "accepted", None),
    ("org (one town's villages), year", "org", "year", "accepted", "t03"),
    ("item, year", "item", "year", "accepted", None),
    ("item, odd range", "item", "odd range", "accepted", None),
    ("channel, quarter", "channel", "quarter", "accepted", None),
    ("clerk, year", "clerk", "year", "accepted", None),
    ("window, year", "window", "year", "accepted", None),
    ("month, year", "month", "year", "accepted", None),
    ("day, quarter (trend)", "day", "quarter", "accepted", None),
    ("department, one town, odd range", "department", "odd range", "completed", "t07"),
    ("item, one village, year", "item", "year", "accepted", "t05-v3"),
]


def measure(ow: OneWindow, runs: int) -> dict[str, tuple[float, float]]:
    timings: dict[str, list[float]] = {label: [] for label, *_ in QUERIES}
    for _ in range(runs):  # interleaved, so load on the machine falls on all alike
        for label, by, period, basis, org in QUERIES:
            first, last = PERIODS[period]
            t0 = time.perf_counter()
            ow.stats(by, first, last, basis=basis, org=org)
            timings[label].append((time.perf_counter() - t0) * 1000)
    return {
        label: (statistics.median(v), statistics.quantiles(v, n=20, method="inclusive")[18])
        for label, v in timings.items()
    }


def section(quick: bool) -> None:
    sizes = (20_000, 100_000) if quick else (100_000, 2_500_000)
    base = make_url(
        os.environ.get("ONEWINDOW_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    results = []
    for n in sizes:
        name = f"ow_bench_stats_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001
            print(
                f"(statistics section skipped: PostgreSQL not reachable, {type(exc).__name__})",
                file=sys.stderr,
            )
            return
        try:
            ow = OneWindow(
                Settings(database_url=base.set(database=name).render_as_string(hide_password=False))
            )
            ow.upgrade()
            copied, summed, rows = load(ow, n)
            print(f"(statistics: {n:,} facts copied in {copied:.1f} s, summed in {summed:.1f} s, {rows:,} sums)",
                  file=sys.stderr)  # fmt: skip
            results.append((n, rows, copied, summed, measure(ow, RUNS)))
            ow.close()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    print(
        f"\n## 统计分析: breakdowns over a year of cases (PostgreSQL, p50 / p95 of {RUNS} runs, target p95 ≤ 200 ms)\n"
    )
    print("| breakdown | " + " | ".join(f"{n:,} cases p50 / p95 (ms)" for n, *_ in results) + " |")
    print("|---|" + "---:|" * len(results))
    for label, *_ in QUERIES:
        cells = [f"{r[4][label][0]:.1f} / {r[4][label][1]:.1f}" for r in results]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("| sums (rows) | " + " | ".join(f"{r[1]:,}" for r in results) + " |")
    print("| COPY of the facts / building the sums (s) | "
          + " | ".join(f"{r[2]:.0f} / {r[3]:.0f}" for r in results) + " |")  # fmt: skip
    worst = max(p95 for r in results for _p50, p95 in r[4].values())
    print(f"\nworst p95: {worst:.1f} ms ({'within' if worst <= TARGET_P95_MS else 'over'} the 200 ms target)")
