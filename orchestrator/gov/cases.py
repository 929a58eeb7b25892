"""Cases (办件): opened when a service item's process starts, moved through the public status codes by
the diagram (flow nodes marked `caseStatus`), with working-day deadlines that stand still while paused."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from orchestrator import jobs
from orchestrator.core import audit, events, i18n
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.gov import supervision, windows
from orchestrator.gov.deadlines import china_date, recompute_due
from orchestrator.gov.milestones import CaseMark
from orchestrator.gov.vocabulary import (
    CHANNELS,
    CLOSED,
    ONLINE,
    PROXY,
    SPECIAL_PROCEDURE,
    STATUS,
    SUPPLEMENT,
    WINDOW,
)
from orchestrator.store.models import CasePause, HumanTask, Job, ProcessInstance, ServiceCase

RECENT_LIMIT = 200
STATUS_CHANGED = "case.status_changed"  # core.events: (session, case=ServiceCase, before=int, actor=str|None)


class Pause(TypedDict):
    kind: str
    started_at: str | None
    ended_at: str | None
    planned_days: int | None
    approver: str | None
    reason: str | None


class Step(TypedDict):
    name: str
    node: str
    group: str | None
    state: str
    handler: str | None
    opinion: str | None
    action: str | None
    started_at: str | None
    ended_at: str | None


class CaseDetails(TypedDict):
    case_number: str
    item: str
    item_name: str
    instance: int
    status_code: int
    status: str
    case_class: int | None
    local_type: str | None
    applicant: dict
    proxy: dict | None
    channel: str
    window: str | None  # the window it was received at (hall + number + kind), if any
    received_at: str | None
    accepted_at: str | None
    promised_limit: int | None
    statutory_limit: int | None
    promised_due: str | None
    statutory_due: str | None
    provisional: bool
    closed_at: str | None
    tolerated: list[str]
    warnings: list[supervision.WarningSummary]
    result: dict | None
    paused: list[Pause]
    steps: list[Step]


class CaseListed(TypedDict):
    case_number: str | None
    instance: int
    item_name: str
    applicant: str | None
    status_code: int
    status: str
    received_at: str
    promised_due: str | None
    closed_at: str | None
    started_by_me: bool


def item_facts(entry: dict) -> dict:
    """What a service item's diagram may read as `item[...]` (e.g. a 补正 timer of
    `"P" + str(item["supplement_days"]) + "D"`), so an admin changes it in item.yaml, not in the diagram."""
    limits = entry["limits"]
    return {
        "code": entry["code"],
        "name": entry["name"],
        "promised_days": limits["promised_days"],
        "statutory_days": limits["statutory_days"],
        "supplement_days": limits["supplement_days"],
    }


def open_case(
    session: Session, instance_id: int, catalog: dict, data: dict, actor: str | None
) -> ServiceCase:
    """Status 1 已接件: the application is received; the clock starts only at acceptance."""
    applicant, proxy, channel = _parties(catalog, data)
    case = ServiceCase(
        instance_id=instance_id,
        item_code=catalog["code"],
        item_name=catalog["name"],
        applicant=applicant,
        proxy=proxy,
        channel=channel,
        case_class=catalog["case_class"]["national"],
        local_type=catalog["case_class"]["local"],
        status_code=1,
        promised_limit=catalog["limits"]["promised_days"],
        statutory_limit=catalog["limits"]["statutory_days"],
        received_at=now(),
        provisional=False,
    )
    session.add(case)
    session.flush()
    case.case_number = f"{catalog['code']}-{china_date(case.received_at):%Y%m%d}-{case.id:06d}"
    audit.record(
        session,
        "case_received",
        actor,
        instance_id=instance_id,
        after={"case_number": case.case_number, "status": 1},
    )
    return case


def _parties(catalog: dict, data: dict) -> tuple[dict, dict | None, str]:
    problems = []
    applicant = data.get("applicant")
    if isinstance(applicant, str):
        applicant = {"name": applicant}
    if not isinstance(applicant, dict) or not str(applicant.get("name") or "").strip():
        problems.append(
            Problem(_("a case needs the applicant's name (applicant or applicant.name)"), field="applicant")
        )
        applicant = {}
    channel = data.get("channel") or (PROXY if data.get("proxy") else WINDOW)
    if channel not in CHANNELS:
        problems.append(
            Problem(_("channel must be one of {channels}", channels=Listing(CHANNELS)), field="channel")
        )
    proxy = data.get("proxy")
    if isinstance(proxy, str):
        proxy = {"name": proxy}
    if proxy is not None:
        if not isinstance(proxy, dict) or not str(proxy.get("name") or "").strip():
            problems.append(Problem(_("a proxy (代理人) needs a name"), field="proxy"))
        elif not catalog.get("channels", {}).get("proxy", False):
            problems.append(
                Problem(
                    _("{item} cannot be applied for by a proxy (代办)", item=catalog["name"]), field="proxy"
                )
            )
    if channel == ONLINE and not catalog.get("channels", {}).get("online", False):
        problems.append(
            Problem(_("{item} cannot be applied for online", item=catalog["name"]), field="channel")
        )
    if problems:
        raise InvalidInput(problems)
    return {k: v for k, v in applicant.items() if isinstance(v, str | int)}, proxy, channel


def apply(
    session: Session, instance_id: int, milestones: list[CaseMark], entry: dict, actor: str | None
) -> None:
    """Move the case through the status codes its diagram marked in this step."""
    case = session.scalars(select(ServiceCase).where(ServiceCase.instance_id == instance_id)).first()
    if case is None:
        return
    for m in milestones:  # status codes were checked at deploy time
        if m.status == 3 and case.accepted_at is None:
            case.tolerated = _check_materials(entry, m.data) or None
        if m.status == 11 and case.tolerated:
            m = CaseMark(12, m.pause, m.data, m.node)  # approved while 容缺 materials are still owed
        _move(session, case, m.status, m, actor)


def _check_materials(entry: dict, data: dict) -> list[str]:
    """At acceptance, when the step lists `materials_received`: every 必要 material must be there; a
    missing 容缺后补 material is accepted (容缺受理) and returned. Anything else is refused, nothing stored."""
    received = data.get("materials_received")
    if received is None:
        return []
    if not isinstance(received, list):
        raise InvalidInput(
            Problem(_("materials_received must be a list of material names"), field="materials_received")
        )
    materials = entry.get("materials") or []
    missing = [m["name"] for m in materials if m["necessity"] == "必要" and m["name"] not in received]
    if missing:
        raise InvalidInput(
            Problem(
                _(
                    "cannot accept: required materials missing ({materials}); "
                    "list them in a 一次性告知 (补正) instead",
                    materials=i18n.join(missing),
                ),
                field="materials_received",
            )
        )
    return [m["name"] for m in materials if m["necessity"] == "容缺后补" and m["name"] not in received]


def _move(session: Session, case: ServiceCase, status: int, m: CaseMark | None, actor: str | None) -> None:
    at = now()
    before = case.status_code
    case.status_code = status
    data = m.data if m else {}
    if status == 3 and case.accepted_at is None:
        case.accepted_at = at
    elif status in (6, 9):
        kind = SUPPLEMENT if status == 6 else (m.pause if m and m.pause else SPECIAL_PROCEDURE)
        if _open_pause(session, case) is None:
            session.add(
                CasePause(
                    case_id=case.id,
                    kind=kind,
                    started_at=at,
                    planned_days=_int(data.get("pause_days")),
                    approver=data.get("pause_approver"),
                    reason=data.get("pause_reason"),
                )
            )
    elif status in (7, 10):
        pause = _open_pause(session, case)
        if pause is not None:
            pause.ended_at = at
    if status in CLOSED:
        case.closed_at = at
        pause = _open_pause(session, case)
        if pause is not None:
            pause.ended_at = at
        if status in (11, 12, 13):
            case.result = {
                "approved": status != 13,
                "name": data.get("result_name"),
                "number": data.get("result_number"),
            }
            # the 办结通知书 is printed by a worker, off the clerk's step
            jobs.schedule(
                session,
                "document",
                at,
                instance_id=case.instance_id,
                payload={"case": case.case_number, "kind": "completion"},
            )
    session.flush()
    recompute_due(session, case)
    events.publish(STATUS_CHANGED, session, case=case, before=before, actor=actor)
    audit.record(
        session,
        "case_status",
        actor,
        instance_id=case.instance_id,
        before={"status": before},
        after={"status": status, "node": m.node if m else None},
    )


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _open_pause(session: Session, case: ServiceCase) -> CasePause | None:
    return session.scalars(
        select(CasePause).where(CasePause.case_id == case.id, CasePause.ended_at.is_(None))
    ).first()


def withdraw(
    session: Session, number: str, actor: str, *, reason: str | None = None, revoke: bool = False
) -> CaseDetails:
    """撤件 (before acceptance) / 撤回 (after) by the applicant, or 撤销 by the agency: the process stops."""
    case = by_number(session, number, lock=True)
    if case.status_code in CLOSED:
        raise Conflict(
            _("case {number} is already closed ({status})", number=number, status=STATUS[case.status_code])
        )
    if revoke and not (reason or "").strip():
        raise InvalidInput(Problem(_("revoking a case (撤销) needs a reason"), field="reason"))
    status = 15 if revoke else (14 if case.accepted_at else 2)
    instance = session.get_one(ProcessInstance, case.instance_id, with_for_update=True)
    instance.status, instance.ended_at = "cancelled", now()
    session.execute(
        update(HumanTask)
        .where(HumanTask.instance_id == case.instance_id, HumanTask.state.in_(("open", "claimed")))
        .values(state="cancelled")
    )
    session.execute(
        update(Job)
        .where(Job.instance_id == case.instance_id, Job.status == "pending")
        .values(status="cancelled")
    )
    _move(session, case, status, None, actor)
    audit.record(
        session, "revoke" if revoke else "withdraw", actor, instance_id=case.instance_id, opinion=reason
    )
    return details(session, number)


def by_number(session: Session, number: str, lock: bool = False) -> ServiceCase:
    query = select(ServiceCase).where(ServiceCase.case_number == number)
    case = session.scalars(query.with_for_update() if lock else query).first()
    if case is None:
        raise NotFound(_("no case {number}", number=number))
    return case


def details(session: Session, number: str) -> CaseDetails:
    case = by_number(session, number)
    pauses = session.scalars(
        select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.id)
    ).all()
    steps = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == case.instance_id).order_by(HumanTask.id)
    ).all()
    iso = lambda v: v.isoformat() if v else None  # noqa: E731
    return {
        "case_number": number,
        "item": case.item_code,
        "item_name": case.item_name,
        "instance": case.instance_id,
        "status_code": case.status_code,
        "status": STATUS[case.status_code],
        "case_class": case.case_class,
        "local_type": case.local_type,
        "applicant": case.applicant,
        "proxy": case.proxy,
        "channel": case.channel,
        "window": windows.names(session, [case.window_id]).get(case.window_id) if case.window_id else None,
        "received_at": iso(case.received_at),
        "accepted_at": iso(case.accepted_at),
        "promised_limit": case.promised_limit,
        "statutory_limit": case.statutory_limit,
        "promised_due": iso(case.promised_due),
        "statutory_due": iso(case.statutory_due),
        "provisional": case.provisional,
        "closed_at": iso(case.closed_at),
        "tolerated": case.tolerated or [],
        "warnings": supervision.warnings(session, case.case_number),
        "result": case.result,
        "paused": [
            {
                "kind": p.kind,
                "started_at": iso(p.started_at),
                "ended_at": iso(p.ended_at),
                "planned_days": p.planned_days,
                "approver": p.approver,
                "reason": p.reason,
            }
            for p in pauses
        ],
        "steps": [
            {
                "name": t.title or t.name,
                "node": t.name,
                "group": t.candidate_group,
                "state": t.state,
                "handler": t.completed_by or t.assignee,
                "opinion": t.opinion,
                "action": t.action,
                "started_at": iso(t.created_at),
                "ended_at": iso(t.completed_at),
            }
            for t in steps
        ],
    }


def recent(session: Session, user: str, limit: int = 50) -> list[CaseListed]:
    """The newest cases a user started or held a step of (their own list; anything else needs the number)."""
    limit = max(1, min(int(limit), RECENT_LIMIT))
    handled = select(HumanTask.instance_id).where(
        or_(HumanTask.completed_by == user, HumanTask.assignee == user)
    )
    rows = session.execute(
        select(ServiceCase, ProcessInstance.started_by)
        .join(ProcessInstance, ProcessInstance.id == ServiceCase.instance_id)
        .where(or_(ProcessInstance.started_by == user, ServiceCase.instance_id.in_(handled)))
        .order_by(ServiceCase.received_at.desc(), ServiceCase.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "case_number": c.case_number,
            "instance": c.instance_id,
            "item_name": c.item_name,
            "applicant": (c.applicant or {}).get("name"),
            "status_code": c.status_code,
            "status": STATUS.get(c.status_code, str(c.status_code)),
            "received_at": c.received_at.isoformat(),
            "promised_due": c.promised_due.isoformat() if c.promised_due else None,
            "closed_at": c.closed_at.isoformat() if c.closed_at else None,
            "started_by_me": started_by == user,
        }
        for c, started_by in rows
    ]
