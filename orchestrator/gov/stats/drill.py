"""The cases behind a number: a breakdown's row and figure, as a list of cases (drill-down)."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.gov.stats import periods
from orchestrator.gov.stats.query import BASES, RATES
from orchestrator.gov.vocabulary import STATUS
from orchestrator.store.models import ServiceCase
from orchestrator.store.stats import MEASURES, StatsCase

LIMIT = 500
KEY_COLUMNS = {
    "department": "department",
    "item": "item_code",
    "channel": "channel",
    "clerk": "clerk",
    "window": "window_key",
}
FIGURES = tuple(m for m in MEASURES if m != "days_sum")


class DrilledCase(TypedDict):
    case_number: str | None
    item_name: str
    applicant: str | None
    channel: str
    status: str
    received_day: str
    closed_day: str | None
    promised_due: str | None
    days: int | None


class Drill(TypedDict):
    figure: str
    count: int
    cases: list[DrilledCase]
    truncated: bool


def cases(
    session: Session,
    start: date,
    end: date,
    *,
    basis: str = "accepted",
    scope: str = "/",
    by: str = "all",
    key: str = "",
    figure: str = "received",
    limit: int = LIMIT,
) -> Drill:
    """The cases counted in one figure of one row (a rate drills to its numerator's cases)."""
    figure = RATES[figure][0] if figure in RATES else figure
    if figure not in FIGURES:
        raise InvalidInput(
            Problem(_("figure must be one of {values}", values=Listing(FIGURES)), field="figure")
        )
    if basis not in BASES:
        raise InvalidInput(Problem(_("basis must be one of {values}", values=Listing(BASES)), field="basis"))
    f = StatsCase
    day = f.received_day if basis == "accepted" else f.closed_day
    if by == "month" and key:
        start, end = max(start, periods.parse_period(key)[0]), min(end, periods.parse_period(key)[1])
    elif by == "day" and key:
        start = end = periods.parse_day(key, "key")
    query = (
        select(f, ServiceCase.case_number, ServiceCase.applicant)
        .join(ServiceCase, ServiceCase.id == f.case_id)
        .where(day >= start, day <= end, getattr(f, figure) > 0)
    )
    if scope != "/":
        query = query.where(f.org_path.startswith(scope, autoescape=True))
    if by == "org" and key:
        if not key.startswith(scope):
            raise InvalidInput(Problem(_("that org unit is outside what you may see"), field="key"))
        query = query.where(f.org_path.startswith(key, autoescape=True))
    elif by in KEY_COLUMNS:
        query = query.where(getattr(f, KEY_COLUMNS[by]) == key)
    elif by == "proxy":
        query = query.where(f.proxy == key)
    rows = session.execute(query.order_by(day.desc(), f.case_id.desc()).limit(limit + 1)).all()
    listed: list[DrilledCase] = [
        {
            "case_number": number,
            "item_name": fact.item_name,
            "applicant": (applicant or {}).get("name") if isinstance(applicant, dict) else None,
            "channel": fact.channel,
            "status": STATUS.get(fact.status_code, str(fact.status_code)),
            "received_day": fact.received_day.isoformat(),
            "closed_day": fact.closed_day.isoformat() if fact.closed_day else None,
            "promised_due": fact.promised_due.isoformat() if fact.promised_due else None,
            "days": fact.days if fact.days >= 0 else None,
        }
        for fact, number, applicant in rows[:limit]
    ]
    return {"figure": figure, "count": len(listed), "cases": listed, "truncated": len(rows) > limit}
