"""Grid events (四个平台): per platform, how many were reported, accepted (dispatched to the platform)
within 2 working days, closed, closed within 7 working days, and the 办结率. Counted from the events'
instances directly: a year of a city's events is tens of thousands, not millions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.gov import calendar_days
from orchestrator.gov.deadlines import CHINA, china_date
from orchestrator.store.models import HumanTask, OrgGroup, ProcessInstance

GRID_EVENT = "grid_event"  # the process key of a grid event
PLATFORMS = ("zongzhi", "shichang", "zhifa", "bianmin")  # 综治工作, 市场监管, 综合执法, 便民服务
ACCEPT_DAYS, CLOSE_DAYS = 2, 7
UNDISPATCHED = ""


class EventRow(TypedDict):
    key: str
    name: str
    reported: int
    accepted_in_time: int
    closed: int
    closed_in_time: int
    close_rate: float | None
    in_time_rate: float | None


class EventReport(TypedDict):
    start: str
    end: str
    org: str
    rows: list[EventRow]
    total: EventRow


def _row(key: str, name: str, counts: dict[str, int]) -> EventRow:
    reported = counts["reported"]
    return {
        "key": key,
        "name": name,
        "reported": reported,
        "accepted_in_time": counts["accepted_in_time"],
        "closed": counts["closed"],
        "closed_in_time": counts["closed_in_time"],
        "close_rate": round(counts["closed"] / reported, 4) if reported else None,
        "in_time_rate": round(counts["closed_in_time"] / reported, 4) if reported else None,
    }


def report(session: Session, start: date, end: date, scope: str = "/") -> EventReport:
    calendar = calendar_days.load(session)
    low = datetime.combine(start, datetime.min.time()) - CHINA
    high = datetime.combine(end + timedelta(days=1), datetime.min.time()) - CHINA
    query = select(
        ProcessInstance.id, ProcessInstance.started_at, ProcessInstance.status, ProcessInstance.ended_at
    ).where(
        ProcessInstance.process_key == GRID_EVENT,
        ProcessInstance.started_at >= low,
        ProcessInstance.started_at < high,
    )
    if scope != "/":
        query = query.where(ProcessInstance.org_path.startswith(scope, autoescape=True))
    instances = session.execute(query).all()
    dispatched: dict[int, tuple[str, datetime]] = {}
    ids = [row[0] for row in instances]
    for start_at in range(0, len(ids), 2000):
        chunk = ids[start_at : start_at + 2000]
        for instance_id, group, created in session.execute(
            select(HumanTask.instance_id, HumanTask.candidate_group, HumanTask.created_at)
            .where(HumanTask.instance_id.in_(chunk), HumanTask.candidate_group.in_(PLATFORMS))
            .order_by(HumanTask.id)
        ):
            dispatched.setdefault(instance_id, (group or UNDISPATCHED, created))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for instance_id, started, status, ended in instances:
        platform, when = dispatched.get(instance_id, (UNDISPATCHED, None))
        day = china_date(started)
        for key in (platform, "*"):
            c = counts[key]
            c["reported"] += 1
            if when is not None and calendar.working_days_between(day, china_date(when)) <= ACCEPT_DAYS:
                c["accepted_in_time"] += 1
            if status == "completed" and ended is not None:
                c["closed"] += 1
                c["closed_in_time"] += int(
                    calendar.working_days_between(day, china_date(ended)) <= CLOSE_DAYS
                )
    names = dict(
        session.execute(select(OrgGroup.code, OrgGroup.name).where(OrgGroup.code.in_(PLATFORMS))).all()
    )
    rows = [
        _row(key, names.get(key, key) if key else "未分派", counts[key])
        for key in (*PLATFORMS, UNDISPATCHED)
        if key in counts
    ]
    total = _row("", "合计", counts["*"]) if "*" in counts else _row("", "合计", defaultdict(int))
    return {"start": start.isoformat(), "end": end.isoformat(), "org": scope, "rows": rows, "total": total}
