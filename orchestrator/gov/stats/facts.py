"""What one case counts for (its fact), from the raw case, its pauses, its evaluations and the calendar.

Every figure of docs/statistics.md is decided here, once per case; the sums are kept elsewhere."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.core.clock import now
from orchestrator.core.workdays import Calendar
from orchestrator.gov import calendar_days
from orchestrator.gov.deadlines import china_date
from orchestrator.gov.vocabulary import (
    BAD_LEVELS,
    CLOSED,
    DELIVERED,
    KIOSK,
    MOBILE,
    ONLINE,
    PROXY,
    REFUSED,
    SUPPLEMENT,
    WINDOW,
)
from orchestrator.store.models import (
    CasePause,
    Evaluation,
    ProcessDefinition,
    ProcessInstance,
    ServiceCase,
)
from orchestrator.store.stats import MEASURES

WITHDRAWN = frozenset({2, 14, 15})  # 撤件, 撤回, 撤销
IMMEDIATE = "即办"
ZERO_VISIT_CHANNELS = (ONLINE, MOBILE, PROXY)  # the applicant never comes: 跑零次
ONE_VISIT_CHANNELS = (WINDOW, KIOSK)  # one visit unless a 补正 brought them back: 跑一次
RECTIFY_DAYS = 15  # as gov.evaluations: the limit unless the item's catalog says otherwise
NO_DEPARTMENT = ""
NO_WINDOW = ""  # online, mobile, kiosk, proxy cases, and window cases whose clerk sat at none
BATCH = 2000


def month_of(day: date) -> date:
    return day.replace(day=1)


def paused_working_days(calendar: Calendar, accepted_at: datetime, pauses: Iterable[CasePause]) -> int:
    """Working days a case stood still after acceptance (as gov.deadlines counts them for the due date)."""
    total = 0
    for p in pauses:
        if p.ended_at is None or p.ended_at <= accepted_at:
            continue
        total += calendar.working_days_between(
            china_date(max(p.started_at, accepted_at)), china_date(p.ended_at)
        )
    return total


def measures(
    case: ServiceCase,
    pauses: list[CasePause],
    evaluations: list[tuple[Evaluation, datetime | None]],
    calendar: Calendar,
    today: date,
    rectify_days: int = RECTIFY_DAYS,
) -> tuple[dict[str, int], int]:
    """The case's measures (each 0/1 but days_sum and the evaluation counts) and its handling days (-1:
    not completed). `evaluations` pairs each evaluation with the end of its rectification, if any."""
    m = dict.fromkeys(MEASURES, 0)
    status = case.status_code
    m["received"] = 1
    accepted = case.accepted_at is not None
    m["accepted"] = int(accepted)
    completed = status in DELIVERED
    m["completed"] = int(completed)
    m["in_progress"] = int(status not in CLOSED)
    m["immediate"] = int(case.local_type == IMMEDIATE)
    m["supplemented"] = int(any(p.kind == SUPPLEMENT for p in pauses))
    m["refused"] = int(status in REFUSED)
    m["withdrawn"] = int(status in WITHDRAWN)
    days = -1
    if completed and case.accepted_at is not None and case.closed_at is not None:
        spent = calendar.working_days_between(china_date(case.accepted_at), china_date(case.closed_at))
        days = max(0, spent - paused_working_days(calendar, case.accepted_at, pauses))
        m["days_sum"] = days
        m["on_time"] = int(days <= case.promised_limit)
        m["early"] = int(days < case.promised_limit)
        m["overdue"] = int(days > case.promised_limit)
    elif status not in CLOSED and accepted and case.promised_due is not None:
        paused_now = any(p.ended_at is None for p in pauses)
        m["overdue"] = int(not paused_now and today > case.promised_due)
    for evaluation, rectified_at in evaluations:
        m["evaluations"] += 1
        if evaluation.level in BAD_LEVELS:
            m["bad"] += 1
            if rectified_at is not None:
                took = calendar.working_days_between(china_date(evaluation.at), china_date(rectified_at))
                m["rectified"] += int(took <= rectify_days)
        else:
            m["good"] += 1
    m["zero_visit"] = int(case.channel in ZERO_VISIT_CHANNELS)
    m["one_visit"] = int(case.channel in ONE_VISIT_CHANNELS and not m["supplemented"])
    return m, days


def build(session: Session, case_ids: Iterable[int]) -> dict[int, dict]:
    """The facts of these cases (column → value, as stored in stats_case)."""
    ids = sorted(set(case_ids))
    calendar = calendar_days.load(session)
    today = china_date(now())
    facts: dict[int, dict] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = session.execute(
            select(
                ServiceCase, ProcessInstance.org_path, ProcessInstance.started_by, ProcessDefinition.catalog
            )
            .join(ProcessInstance, ProcessInstance.id == ServiceCase.instance_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(ServiceCase.id.in_(chunk))
        ).all()
        pauses: dict[int, list[CasePause]] = defaultdict(list)
        for p in session.scalars(select(CasePause).where(CasePause.case_id.in_(chunk))):
            pauses[p.case_id].append(p)
        evaluations: dict[int, list[tuple[Evaluation, datetime | None]]] = defaultdict(list)
        for ev, status, ended in session.execute(
            select(Evaluation, ProcessInstance.status, ProcessInstance.ended_at)
            .outerjoin(ProcessInstance, ProcessInstance.id == Evaluation.rectification_instance)
            .where(Evaluation.case_id.in_(chunk))
        ):
            evaluations[ev.case_id].append((ev, ended if status == "completed" else None))
        for case, org_path, started_by, catalog in rows:
            catalog = catalog or {}
            rectify = (catalog.get("supervision") or {}).get("rectify_days", RECTIFY_DAYS)
            m, days = measures(case, pauses[case.id], evaluations[case.id], calendar, today, rectify)
            received = china_date(case.received_at)
            closed = china_date(case.closed_at) if case.closed_at and case.status_code in CLOSED else None
            proxy = (case.proxy or {}).get("name") if isinstance(case.proxy, dict) else None
            facts[case.id] = {
                "case_id": case.id,
                "received_day": received,
                "received_month": month_of(received),
                "closed_day": closed,
                "closed_month": month_of(closed) if closed else None,
                "promised_due": case.promised_due,
                "status_code": case.status_code,
                "org_path": org_path or "/",
                "department": str(catalog.get("lead_department") or NO_DEPARTMENT)[:64],
                "item_code": case.item_code,
                "item_name": case.item_name,
                "channel": case.channel,
                "clerk": (started_by or "")[:100],
                "proxy": str(proxy)[:100] if proxy else None,
                "window_key": str(case.window_id) if case.window_id is not None else NO_WINDOW,
                "days": days,
                **m,
            }
    return facts
