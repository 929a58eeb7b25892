"""Statistics (统计分析): figures with known answers through the real engine (a holiday, a 补正, a late
finish, a hearing), and on random cases the kept sums equal a full recount and an independent count."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from conftest import BPMN_DIR
from sqlalchemy import insert, select, text

from orchestrator.core import clock, workdays
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput, NotAllowed
from orchestrator.gov import stats
from orchestrator.gov.stats import aggregate, periods
from orchestrator.store.models import (
    AuditEvent,
    CasePause,
    Evaluation,
    OrgUnit,
    ProcessDefinition,
    ProcessInstance,
    ServiceCase,
    ServiceWindow,
)
from orchestrator.store.stats import SUMS, StatsAggregate

UNIT = BPMN_DIR / "case_lifecycle"
APPLICANT = {"applicant": {"name": "王小明"}}
CHINA = timedelta(hours=8)


def at(text_: str) -> datetime:
    """A Beijing wall-clock time as the store's naive UTC."""
    return datetime.fromisoformat(text_) - CHINA


@pytest.fixture
def h(harness):
    harness.members(clerk=["frontdesk", "minzheng"])
    harness.ow.deploy(UNIT, publish=True)
    return harness


def do(h, number: str, node: str, data: dict | None = None) -> dict:
    case = h.ow.case(number)
    task = next(t for t in h.ow.instance(case["instance"])["open_tasks"] if t["name"] == node)
    return h.ow.complete(task["id"], "clerk", data or {})


def accept(h, when: str) -> str:
    with clock.travel(at(when)):
        number = h.ow.start("case_lifecycle", APPLICANT, actor="clerk")["case_number"]
        do(h, number, "Task_receive", {"complete": True})
    return number


def decide(h, number: str, when: str, hearing: bool = False) -> None:
    with clock.travel(at(when)):
        if h.ow.case(number)["status_code"] == 3:
            do(h, number, "Task_review", {"hearing": hearing})
        do(h, number, "Task_decide", {"approved": True, "result_name": "许可证", "result_number": "X"})


def test_known_answers_across_national_day_a_supplement_a_hearing_and_a_late_finish(h):
    # limit 5 working days; accepted Monday 09-28, the day before the National Day holiday
    on_time = accept(h, "2026-09-28 09:00")
    decide(h, on_time, "2026-10-09 10:00")  # 09-29, 09-30, 10-08, 10-09: 4 days, early
    late = accept(h, "2026-09-28 09:30")
    decide(h, late, "2026-10-12 10:00")  # + Saturday 10-10 (调休) and 10-12: 6 days, late
    with clock.travel(at("2026-09-28 10:00")):  # hearing 09-29 → 10-09: 3 working days stand still
        heard = h.ow.start("case_lifecycle", APPLICANT, actor="clerk")["case_number"]
        do(h, heard, "Task_receive", {"complete": True})
    with clock.travel(at("2026-09-29 09:00")):
        do(h, heard, "Task_review", {"hearing": True, "pause_days": 3, "pause_approver": "局长"})
    with clock.travel(at("2026-10-09 09:00")):
        do(h, heard, "Task_hearing", {})
    decide(h, heard, "2026-10-12 11:00")  # 6 working days spent, 3 paused: 3, on time, early
    with clock.travel(at("2026-09-28 11:00")):  # 补正 before acceptance: counted in 补正率, not in the clock
        supplied = h.ow.start("case_lifecycle", APPLICANT, actor="clerk")["case_number"]
        do(h, supplied, "Task_receive", {"complete": False})
        do(h, supplied, "Task_notice", {"missing": ["场地证明"]})
    with clock.travel(at("2026-09-30 09:00")):
        do(h, supplied, "Task_resubmit", {"complete": True})
    decide(h, supplied, "2026-10-14 09:00")  # 10-08, 10-09, 10-10, 10-12, 10-13, 10-14: 6 > 5, late
    with clock.travel(at("2026-09-28 12:00")):  # still open, due 10-10: overdue by the time we look
        h.ow.start("case_lifecycle", APPLICANT, actor="clerk")
    with clock.travel(at("2026-10-20 09:00")):
        report = h.ow.stats("all", "2026-09-01", "2026-09-30")
    total = report["total"]
    assert (total["received"], total["accepted"], total["completed"], total["in_progress"]) == (5, 4, 4, 1)
    assert (total["on_time"], total["early"], total["overdue"]) == (2, 2, 2)
    assert total["on_time_rate"] == 0.5 and total["early_rate"] == 0.5
    assert (total["supplemented"], total["supplement_rate"]) == (1, 0.2)
    assert total["avg_days"] == round((4 + 6 + 3 + 6) / 4, 2) and total["p90_days"] == 6
    assert (total["zero_visit"], total["one_visit"]) == (0, 4)
    with clock.travel(at("2026-10-20 09:00")):
        by_completion = h.ow.stats("all", "2026-10-01", "2026-10-31", basis="completed")["total"]
        assert (by_completion["completed"], by_completion["on_time"]) == (4, 2)
        assert h.ow.stats("all", "2026-10-01", "2026-10-31")["total"]["received"] == 0
        month = h.ow.stats("month", "2026-09-01", "2026-10-31")
        assert [(r["key"], r["received"]) for r in month["rows"]] == [("2026-09", 5)]
        late_cases = h.ow.stats_cases("2026-09-01", "2026-09-30", figure="overdue")
    assert sorted(c["case_number"] for c in late_cases["cases"]) == sorted([late, supplied])


def test_the_open_overdue_case_is_counted_once_it_passes_its_due_date(h):
    number = accept(h, "2026-09-28 09:00")
    with clock.travel(at("2026-10-10 16:00")):  # the due day itself: not yet overdue
        assert h.ow.stats("all", "2026-09-28", "2026-09-28")["total"]["overdue"] == 0
    with clock.travel(at("2026-10-12 09:00")):
        total = h.ow.stats("all", "2026-09-28", "2026-09-28")["total"]
        assert (total["overdue"], total["in_progress"]) == (1, 1)
    decide(h, number, "2026-10-12 10:00")
    with clock.travel(at("2026-10-12 11:00")):
        total = h.ow.stats("all", "2026-09-28", "2026-09-28")["total"]
        assert (total["overdue"], total["in_progress"], total["completed"]) == (1, 0, 1)


def test_bad_periods_and_dimensions_are_refused(h):
    with pytest.raises(InvalidInput, match="not a date"):
        h.ow.stats("department", "2026-13-01", "2026-12-31")
    with pytest.raises(InvalidInput, match="ends before"):
        h.ow.stats("department", "2026-12-01", "2026-11-30")
    with pytest.raises(InvalidInput, match="by must be one of"):
        h.ow.stats("weather", "2026-01-01", "2026-12-31")
    with pytest.raises(InvalidInput):
        h.ow.stats("department", "2026-01-01", "2026-12-31", basis="rumour")
    with pytest.raises(InvalidInput, match="not a period"):
        h.ow.assessment("town", "next year")


def test_periods_split_into_whole_months_and_loose_days():
    assert periods.parse_period("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert periods.parse_period("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert periods.parse_period("2026-W40") == (date(2026, 9, 28), date(2026, 10, 4))
    assert periods.parse_period("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    months, loose = periods.split(date(2026, 1, 15), date(2026, 4, 10))
    assert months == [date(2026, 2, 1), date(2026, 3, 1)]
    assert loose == [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 10))]


# -- random cases: kept sums = recount = an independent count ----------------------------------------

ORGS = [
    ("d", "区", "区县", "/d/"),
    ("t1", "一镇", "镇街", "/d/t1/"),
    ("t1-a", "甲村", "村社", "/d/t1/t1-a/"),
    ("t1-b", "乙村", "村社", "/d/t1/t1-b/"),
    ("t2", "二镇", "镇街", "/d/t2/"),
    ("t2-a", "丙村", "村社", "/d/t2/t2-a/"),
]
CASE_PATHS = ["/d/t1/", "/d/t1/t1-a/", "/d/t1/t1-b/", "/d/t2/t2-a/", "/d/t2/"]
NOW = at("2026-11-20 12:00")


def _seed_orgs(session) -> None:
    for code, name, level, path in ORGS:
        parent = path.rstrip("/").rsplit("/", 2)[-2] if path.count("/") > 2 else None
        session.add(OrgUnit(code=code, name=name, level=level, parent_code=parent, path=path))
    session.flush()
    for number, (hall, kind) in enumerate((("t1", "综合窗口"), ("t1", "出件窗口"), ("t2", "综合窗口")), 1):
        session.add(ServiceWindow(id=number, hall=hall, number=number, kind=kind, created_at=NOW))
    session.flush()
    for i, dept in enumerate(("minzheng", "renshe")):
        session.add(
            ProcessDefinition(
                id=900 + i,
                key=f"item{i}",
                version=1,
                checksum="x",
                status="published",
                files={},
                spec="",
                catalog={"lead_department": dept},
                forms={},
                lanes={},
                deployed_at=NOW,
            )
        )
    session.flush()


def _make_cases(session, rng: random.Random, first_id: int, n: int) -> None:
    cal = workdays.package_calendar()
    for i in range(first_id, first_id + n):
        received = at("2026-09-01 09:00") + timedelta(days=rng.randrange(60), hours=rng.randrange(8))
        definition = 900 + rng.randrange(2)
        outcome = rng.choice(["open", "pending", "done", "done", "done", "refused", "withdrawn"])
        session.add(
            ProcessInstance(
                id=i,
                definition_id=definition,
                process_key=f"item{definition - 900}",
                business_key=str(i),
                status="running",
                state="",
                version=1,
                started_by=rng.choice(["a", "b", "c"]),
                started_at=received,
                org_path=rng.choice(CASE_PATHS),
            )
        )
        channel = rng.choice(["窗口", "网上", "掌上", "代办", "自助机"])
        case = ServiceCase(
            id=i,
            case_number=f"N-{i}",
            instance_id=i,
            item_code=f"item{definition - 900}",
            item_name=f"事项{definition - 900}",
            applicant={"name": "x"},
            proxy={"name": rng.choice(["李", "王"])} if rng.random() < 0.3 else None,
            channel=channel,
            window_id=rng.choice([None, 1, 2, 3]) if channel in ("窗口", "代办") else None,
            case_class=2,
            local_type=rng.choice(["即办", "承诺"]),
            status_code=1,
            promised_limit=rng.choice([0, 3, 5]),
            statutory_limit=20,
            received_at=received,
        )
        session.add(case)
        session.flush()
        paused = 0
        if rng.random() < 0.3:  # a 补正 before acceptance
            session.add(
                CasePause(case_id=i, kind="补正", started_at=received, ended_at=received + timedelta(days=1))
            )
            received += timedelta(days=1)
        if outcome in ("refused", "withdrawn") and rng.random() < 0.5:
            case.status_code = 5 if outcome == "refused" else 2
            case.closed_at = received + timedelta(days=rng.randrange(3))
            continue
        if outcome == "pending":
            continue
        case.accepted_at = received + timedelta(hours=rng.randrange(30))
        case.status_code = 3
        if rng.random() < 0.3:  # a hearing after acceptance
            start = case.accepted_at + timedelta(days=rng.randrange(3))
            end = start + timedelta(days=rng.randrange(1, 8))
            session.add(CasePause(case_id=i, kind="听证", started_at=start, ended_at=end))
            paused = cal.working_days_between((start + CHINA).date(), (end + CHINA).date())
        accepted_day = (case.accepted_at + CHINA).date()
        case.promised_due = cal.due_date(accepted_day, case.promised_limit + paused).date
        if outcome == "open":
            continue
        closed = case.accepted_at + timedelta(days=rng.randrange(1, 25), hours=rng.randrange(5))
        if closed >= NOW:
            continue
        case.closed_at = closed
        case.status_code = {
            "done": rng.choice([11, 12, 13]),
            "refused": 4,
            "withdrawn": rng.choice([14, 15]),
        }[outcome]
        if case.status_code in (11, 12, 13) and rng.random() < 0.6:
            level = rng.randrange(1, 6)
            fix = None
            if level >= 4 and rng.random() < 0.7:
                fix = 5000 + i
                session.add(
                    ProcessInstance(
                        id=fix,
                        definition_id=definition,
                        process_key="evaluation_rectification",
                        status="completed",
                        state="",
                        version=1,
                        started_at=closed,
                        org_path="/",
                        ended_at=closed + timedelta(days=rng.randrange(10, 30)),
                    )
                )
                session.flush()
            session.add(
                Evaluation(
                    case_id=i,
                    channel="窗口",
                    visit="case",
                    level=level,
                    at=closed,
                    rectification_instance=fix,
                )
            )
    session.flush()


def _reference(session) -> list[dict]:
    """Each case's figures, counted directly and independently of gov.stats."""
    cal = workdays.package_calendar()

    def wd(a: date, b: date) -> int:
        return sum(cal.is_working_day(a + timedelta(days=k)) for k in range(1, (b - a).days + 1))

    today = (NOW + CHINA).date()
    out = []
    for case, org_path, clerk, catalog in session.execute(
        select(ServiceCase, ProcessInstance.org_path, ProcessInstance.started_by, ProcessDefinition.catalog)
        .join(ProcessInstance, ProcessInstance.id == ServiceCase.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    ):
        pauses = session.scalars(select(CasePause).where(CasePause.case_id == case.id)).all()
        evals = session.scalars(select(Evaluation).where(Evaluation.case_id == case.id)).all()
        s = case.status_code
        c = Counter(received=1, accepted=int(case.accepted_at is not None), completed=int(s in (11, 12, 13)))
        c["in_progress"] = int(s in (1, 3, 6, 7, 8, 9, 10))
        c["immediate"] = int(case.local_type == "即办")
        c["supplemented"] = int(any(p.kind == "补正" for p in pauses))
        c["refused"], c["withdrawn"] = int(s in (4, 5)), int(s in (2, 14, 15))
        days = -1
        if c["completed"]:
            acc = case.accepted_at
            stood = sum(
                wd((max(p.started_at, acc) + CHINA).date(), (p.ended_at + CHINA).date())
                for p in pauses
                if p.ended_at and p.ended_at > acc
            )
            days = max(0, wd((acc + CHINA).date(), (case.closed_at + CHINA).date()) - stood)
            c["days_sum"] = days
            c["on_time"], c["early"], c["overdue"] = (
                int(days <= case.promised_limit),
                int(days < case.promised_limit),
                int(days > case.promised_limit),
            )
        elif c["in_progress"] and case.accepted_at and case.promised_due:
            c["overdue"] = int(today > case.promised_due)
        for e in evals:
            c["evaluations"] += 1
            if e.level >= 4:
                c["bad"] += 1
                if e.rectification_instance:
                    ended = session.get(ProcessInstance, e.rectification_instance).ended_at
                    c["rectified"] += int(wd((e.at + CHINA).date(), (ended + CHINA).date()) <= 15)
            else:
                c["good"] += 1
        c["zero_visit"] = int(case.channel in ("网上", "掌上", "代办"))
        c["one_visit"] = int(case.channel in ("窗口", "自助机") and not c["supplemented"])
        closed = (case.closed_at + CHINA).date() if case.closed_at else None
        out.append(
            {
                "counts": c,
                "days": days,
                "received": (case.received_at + CHINA).date(),
                "closed": closed,
                "org": org_path,
                "department": catalog["lead_department"],
                "item": case.item_code,
                "channel": case.channel,
                "clerk": clerk,
                "proxy": (case.proxy or {}).get("name"),
                "window": str(case.window_id) if case.window_id else "",
            }
        )
    return out


def _expected(ref: list[dict], by: str, basis: str, start: date, end: date, parent: str = "/") -> dict:
    sums: dict = defaultdict(Counter)
    hists: dict = defaultdict(Counter)
    for r in ref:
        day = r["received"] if basis == "accepted" else r["closed"]
        if day is None or not start <= day <= end or not r["org"].startswith(parent):
            continue
        if by == "org":
            depth = parent.count("/")
            parts = r["org"].split("/")
            if r["org"].count("/") <= depth:
                key = parent
            else:
                key = "/".join(parts[: depth + 1]) + "/"
        elif by == "month":
            key = day.strftime("%Y-%m")
        elif by == "day":
            key = day.isoformat()
        else:
            key = r[by]
        if key is None:
            continue
        sums[key].update(r["counts"])
        if r["days"] >= 0:
            hists[key][min(r["days"], 31)] += 1
    return {k: stats.query.figures(sums[k], hists[k]) for k in sums if any(sums[k].values())}


def _got(report: dict) -> dict:
    return {r["key"]: {k: v for k, v in r.items() if k not in ("key", "name")} for r in report["rows"]}


def _table(session) -> set:
    cols = [StatsAggregate.__table__.c[c] for c in ("grain", "basis", "dim", "day", "scope", "key", *SUMS)]
    return {tuple(r) for r in session.execute(select(*cols)) if any(r[6:])}


def test_kept_sums_equal_a_recount_and_an_independent_count_on_random_cases(harness):
    rng = random.Random(15)
    ow = harness.ow
    with clock.travel(NOW), ow.store.transaction() as s:
        _seed_orgs(s)
        _make_cases(s, rng, 1, 150)
        stats.recount(s)
    with clock.travel(NOW), ow.store.transaction() as s:  # more cases, then changes to old ones
        _make_cases(s, rng, 151, 150)
        changed = [1, 2, 3, 4, 5, 20, 40]
        for case in s.scalars(select(ServiceCase).where(ServiceCase.id.in_(changed))):
            if case.status_code in (1, 3):
                case.status_code, case.closed_at = 14, NOW - timedelta(days=1)
            if case.channel == "窗口":  # a fact's window moves too
                case.window_id = 3 if case.window_id != 3 else None
        for i in [*range(151, 301), *changed]:
            s.execute(insert(AuditEvent), {"at": NOW, "action": "case_status", "instance_id": i})
        assert stats.refresh(s) > 150
        kept = _table(s)
        ref = _reference(s)
    with clock.travel(NOW), ow.store.transaction() as s:
        stats.recount(s)
        assert _table(s) == kept
    for by in ("department", "item", "channel", "clerk", "window", "proxy", "month", "day", "org"):
        for basis in ("accepted", "completed"):
            for start, end in (
                (date(2026, 9, 1), date(2026, 11, 30)),
                (date(2026, 9, 10), date(2026, 10, 20)),
            ):
                with clock.travel(NOW):
                    got = ow.stats(by, start.isoformat(), end.isoformat(), basis=basis)
                assert _got(got) == _expected(ref, by, basis, start, end), (by, basis, start, end)
    with clock.travel(NOW):
        town = ow.stats("org", "2026-09-01", "2026-11-30", org="t1")
    assert _got(town) == _expected(ref, "org", "accepted", date(2026, 9, 1), date(2026, 11, 30), "/d/t1/")
    assert town["total"]["received"] == sum(r["received"] for r in town["rows"])
    for org, path in (
        ("t1", "/d/t1/"),
        ("t1-a", "/d/t1/t1-a/"),
    ):  # a town from its sums
        for by in ("department", "item", "clerk", "window", "proxy"):  # a village: its monthly sums, facts
            for start, end in (
                (date(2026, 9, 1), date(2026, 10, 31)),
                (date(2026, 9, 10), date(2026, 11, 30)),
            ):
                with clock.travel(NOW):
                    got = ow.stats(by, start.isoformat(), end.isoformat(), basis="completed", org=org)
                expected = _expected(ref, by, "completed", start, end, path)
                assert _got(got) == expected, (org, by, start)
    assert {r["name"] for r in town["rows"]} >= {"甲村", "乙村"}
    with clock.travel(NOW):
        by_window = ow.stats("window", "2026-09-01", "2026-11-30")
    assert {r["name"] for r in by_window["rows"]} >= {
        "一镇便民服务中心 1号综合窗口",
        "二镇便民服务中心 3号综合窗口",
    }


def test_a_town_member_sees_their_town_only(harness):
    ow = harness.ow
    with clock.travel(NOW), ow.store.transaction() as s:
        _seed_orgs(s)
        _make_cases(s, random.Random(3), 1, 60)
        s.execute(
            text(
                "INSERT INTO group_member (username, group_code, org_path) VALUES ('lead', 'command', '/d/t2/')"
            )
        )
    with clock.travel(NOW):
        mine = ow.stats("org", "2026-09-01", "2026-11-30", user="lead")
        everything = ow.stats("all", "2026-09-01", "2026-11-30")
        assert mine["org"] == "/d/t2/" and all(r["key"].startswith("/d/t2/") for r in mine["rows"])
        assert mine["total"]["received"] < everything["total"]["received"]
        with pytest.raises(NotAllowed):
            ow.stats("org", "2026-09-01", "2026-11-30", org="t1", user="lead")
        assert aggregate.ancestors("/d/t1/t1-a/") == ["/d/", "/d/t1/", "/d/t1/t1-a/"]


# -- grid events (四个平台) ----------------------------------------------------------------------------


@pytest.fixture
def grid(harness):
    from test_library_grid_proxy import USERS

    harness.members(**USERS)
    for folder in ("grid_event",):
        harness.ow.deploy(REPO_ROOT / "processes" / folder, publish=True)
    return harness


def test_grid_events_per_platform_accepted_in_2_and_closed_in_7_working_days(grid):
    from test_library_grid_proxy import HANDLED, REPORT, USER_OF

    def do(instance: int, node: str, data: dict) -> None:
        task = next(t for t in grid.ow.instance(instance)["open_tasks"] if t["name"] == node)
        grid.ow.complete(task["id"], USER_OF[task["group"]], data)

    def close(instance: int, group: str) -> None:
        do(instance, f"Task_handle_{group}", HANDLED)
        do(instance, "Task_feedback", {"satisfied": True, "note": "好", "checked_at": "2026-09-30"})
        do(instance, "Task_assess", {"rating": "优秀", "score": 95})

    with clock.travel(at("2026-09-21 09:00")):  # Monday
        quick, slow, waiting = (grid.ow.start("grid_event", {})["instance"] for _ in range(3))
        for i in (quick, slow, waiting):
            do(i, "Task_report", REPORT)
        do(quick, "Task_triage", {"platform": "综合执法", "urgency": "一般", "opinion": "属地处置"})
        close(quick, "zhifa")
    with clock.travel(at("2026-09-24 10:00")):  # 3 working days after the report: late to accept
        do(slow, "Task_triage", {"platform": "市场监管", "urgency": "一般", "opinion": "属地处置"})
    with clock.travel(at("2026-10-09 10:00")):  # 8 working days (中秋, 国庆 off): closed, late
        close(slow, "shichang")
        report = grid.ow.stats_events("2026-09-01", "2026-09-30")
    rows = {r["key"]: r for r in report["rows"]}
    assert [
        (k, r["reported"], r["accepted_in_time"], r["closed"], r["closed_in_time"]) for k, r in rows.items()
    ] == [
        ("shichang", 1, 0, 1, 0),
        ("zhifa", 1, 1, 1, 1),
        ("", 1, 0, 0, 0),
    ]
    assert rows["zhifa"]["name"] == "综合执法" and rows[""]["name"] == "未分派"
    total = report["total"]
    assert (total["reported"], total["closed"], total["close_rate"], total["in_time_rate"]) == (
        3,
        2,
        0.6667,
        0.3333,
    )
