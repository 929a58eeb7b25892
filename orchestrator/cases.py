"""Cases (办件): opened when a service item's process starts, moved through the public status codes by
the diagram (flow nodes marked `caseStatus`), with working-day deadlines that stand still while paused."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit, calendar_days, engine, jobs
from .clock import now
from .errors import Conflict, InvalidInput, NotFound, Problem
from .store.models import CasePause, HumanTask, Job, ProcessDefinition, ProcessInstance, ServiceCase

STATUS = {
    1: "已接件",
    2: "已撤件",
    3: "已受理",
    4: "不受理",
    5: "不予受理",
    6: "补正开始",
    7: "补正结束",
    8: "部门开始办理",
    9: "特别程序开始",
    10: "特别程序结束",
    11: "办结(通过)",
    12: "办结(容缺通过)",
    13: "办结(不通过)",
    14: "撤回",
    15: "撤销",
}
CLOSED = frozenset({2, 4, 5, 11, 12, 13, 14, 15})
CHANNELS = ("窗口", "网上", "掌上", "代办", "自助机")
SUPPLEMENT = "补正"
CHINA = timedelta(hours=8)
CLOSE_OF_DAY = time(17)  # a working day ends at 17:00 in Beijing
CASE_OPEN_MESSAGE = (
    "case {number} has not been delivered yet; it can be evaluated once it is closed with a result"
)


def china_date(at: datetime) -> date:
    """The calendar date in China of a naive-UTC instant (deadlines count Beijing working days)."""
    return (at + CHINA).date()


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
            Problem("a case needs the applicant's name (applicant or applicant.name)", field="applicant")
        )
        applicant = {}
    channel = data.get("channel") or ("代办" if data.get("proxy") else "窗口")
    if channel not in CHANNELS:
        problems.append(Problem(f"channel must be one of {', '.join(CHANNELS)}", field="channel"))
    proxy = data.get("proxy")
    if isinstance(proxy, str):
        proxy = {"name": proxy}
    if proxy is not None:
        if not isinstance(proxy, dict) or not str(proxy.get("name") or "").strip():
            problems.append(Problem("a proxy (代理人) needs a name", field="proxy"))
        elif not catalog.get("channels", {}).get("proxy", False):
            problems.append(
                Problem(f"{catalog['name']} cannot be applied for by a proxy (代办)", field="proxy")
            )
    if channel == "网上" and not catalog.get("channels", {}).get("online", False):
        problems.append(Problem(f"{catalog['name']} cannot be applied for online", field="channel"))
    if problems:
        raise InvalidInput(problems)
    return {k: v for k, v in applicant.items() if isinstance(v, str | int)}, proxy, channel


def apply(
    session: Session, instance_id: int, milestones: list[engine.Milestone], entry: dict, actor: str | None
) -> None:
    """Move the case through the status codes its diagram marked in this step."""
    case = session.scalars(select(ServiceCase).where(ServiceCase.instance_id == instance_id)).first()
    if case is None:
        return
    for m in milestones:  # status codes were checked at deploy time
        if m.status == 3 and case.accepted_at is None:
            case.tolerated = _check_materials(entry, m.data) or None
        if m.status == 11 and case.tolerated:
            m = engine.Milestone(12, m.pause, m.data, m.node)  # approved while 容缺 materials are still owed
        _move(session, case, m.status, m, actor)


def _check_materials(entry: dict, data: dict) -> list[str]:
    """At acceptance, when the step lists `materials_received`: every 必要 material must be there; a
    missing 容缺后补 material is accepted (容缺受理) and returned. Anything else is refused, nothing stored."""
    received = data.get("materials_received")
    if received is None:
        return []
    if not isinstance(received, list):
        raise InvalidInput(
            Problem("materials_received must be a list of material names", field="materials_received")
        )
    materials = entry.get("materials") or []
    missing = [m["name"] for m in materials if m["necessity"] == "必要" and m["name"] not in received]
    if missing:
        raise InvalidInput(
            Problem(
                f"cannot accept: required materials missing ({'、'.join(missing)}); list them in a 一次性告知 (补正) "
                f"instead",
                field="materials_received",
            )
        )
    return [m["name"] for m in materials if m["necessity"] == "容缺后补" and m["name"] not in received]


def _move(
    session: Session, case: ServiceCase, status: int, m: engine.Milestone | None, actor: str | None
) -> None:
    at = now()
    before = case.status_code
    case.status_code = status
    data = m.data if m else {}
    if status == 3 and case.accepted_at is None:
        case.accepted_at = at
    elif status in (6, 9):
        kind = SUPPLEMENT if status == 6 else (m.pause if m and m.pause else "特别程序")
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
    _recompute_due(session, case)
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


def _recompute_due(session: Session, case: ServiceCase) -> None:
    """Due dates = acceptance + limit, plus every working day spent paused after acceptance."""
    if case.accepted_at is None:
        return
    calendar = calendar_days.load(session)
    accepted = china_date(case.accepted_at)
    paused = 0
    for pause in session.scalars(select(CasePause).where(CasePause.case_id == case.id)):
        if pause.ended_at is None or pause.ended_at <= case.accepted_at:
            continue
        start = max(pause.started_at, case.accepted_at)
        paused += calendar.working_days_between(china_date(start), china_date(pause.ended_at))
    promised = calendar.due_date(accepted, case.promised_limit + paused)
    statutory = calendar.due_date(accepted, case.statutory_limit + paused)
    case.promised_due, case.statutory_due = promised.date, statutory.date
    case.provisional = promised.provisional or statutory.provisional


def recompute_open(session: Session, actor: str | None = None) -> list[dict]:
    """After a calendar edit: recompute every open accepted case's due dates (and its open steps' due
    times); return each change, so the edit says what it moved."""
    moved = []
    cases = session.scalars(
        select(ServiceCase).where(
            ServiceCase.status_code.not_in(CLOSED), ServiceCase.accepted_at.is_not(None)
        )
    ).all()
    for case in cases:
        before = (case.promised_due, case.statutory_due)
        _recompute_due(session, case)
        if (case.promised_due, case.statutory_due) == before:
            continue
        old_step_due = datetime.combine(before[0], CLOSE_OF_DAY) - CHINA
        session.execute(
            update(HumanTask)
            .where(
                HumanTask.instance_id == case.instance_id,
                HumanTask.state.in_(("open", "claimed")),
                HumanTask.due_at == old_step_due,
            )
            .values(due_at=datetime.combine(case.promised_due, CLOSE_OF_DAY) - CHINA)
        )
        change = {
            "case_number": case.case_number,
            "promised_due": [before[0].isoformat(), case.promised_due.isoformat()],
            "statutory_due": [before[1].isoformat(), case.statutory_due.isoformat()],
        }
        audit.record(session, "case_due_moved", actor, instance_id=case.instance_id, after=change)
        moved.append(change)
    return moved


def step_due(session: Session, instance_id: int, group: str | None, entry: dict) -> datetime | None:
    """When a new step of a case is due (17:00 Beijing): its department's own limit from today for a 联办
    item (`limits.department_days`), else the case's promised due date once accepted."""
    days = (entry.get("limits") or {}).get("department_days", {}).get(group)
    if days is not None:
        due = calendar_days.load(session).due_date(china_date(now()), days).date
    else:
        due = session.scalar(select(ServiceCase.promised_due).where(ServiceCase.instance_id == instance_id))
    return datetime.combine(due, CLOSE_OF_DAY) - CHINA if due else None


def withdraw(
    session: Session, number: str, actor: str, *, reason: str | None = None, revoke: bool = False
) -> dict:
    """撤件 (before acceptance) / 撤回 (after) by the applicant, or 撤销 by the agency: the process stops."""
    case = by_number(session, number, lock=True)
    if case.status_code in CLOSED:
        raise Conflict(f"case {number} is already closed ({STATUS[case.status_code]})")
    if revoke and not (reason or "").strip():
        raise InvalidInput(Problem("revoking a case (撤销) needs a reason", field="reason"))
    status = 15 if revoke else (14 if case.accepted_at else 2)
    instance = session.get(ProcessInstance, case.instance_id, with_for_update=True)
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
        raise NotFound(f"no case {number}")
    return case


def details(session: Session, number: str) -> dict:
    case = by_number(session, number)
    pauses = session.scalars(
        select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.id)
    ).all()
    steps = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == case.instance_id).order_by(HumanTask.id)
    ).all()
    iso = lambda v: v.isoformat() if v else None  # noqa: E731
    return {
        "case_number": case.case_number,
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
        "received_at": iso(case.received_at),
        "accepted_at": iso(case.accepted_at),
        "promised_limit": case.promised_limit,
        "statutory_limit": case.statutory_limit,
        "promised_due": iso(case.promised_due),
        "statutory_due": iso(case.statutory_due),
        "provisional": case.provisional,
        "closed_at": iso(case.closed_at),
        "tolerated": case.tolerated or [],
        "warnings": _warnings(session, case),
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


def write_document(session: Session, number: str, kind: str, folder: Path | None = None) -> Path:
    """Render a case document and keep it under the data folder (`documents/<case number>/`)."""
    from .config import Settings

    html, pdf, filename = document(session, number, kind)
    target = (folder or Settings.from_env().data_dir / "documents") / number
    target.mkdir(parents=True, exist_ok=True)
    (target / filename).write_bytes(pdf)
    (target / filename).with_suffix(".html").write_text(html, encoding="utf-8")
    return target / filename


def document(session: Session, number: str, kind: str) -> tuple[str, bytes, str]:
    """A case document as (HTML, PDF, file name), filled from the case, its catalog entry and its data."""
    from . import documents, instances

    if kind not in documents.KINDS:
        raise InvalidInput(Problem(f"document must be one of {', '.join(documents.KINDS)}", field="kind"))
    case = by_number(session, number)
    instance = session.get(ProcessInstance, case.instance_id)
    definition = session.get(ProcessDefinition, instance.definition_id)
    entry = definition.catalog or {}
    data = instances.data_of(session, instance, definition)
    missing = data.get("missing") if isinstance(data.get("missing"), list) else []
    materials = [m["name"] for m in entry.get("materials", [])]
    reasons = (
        data.get("reasons") or data.get("refuse_reason") or data.get("reason") or _last_opinion(session, case)
    )
    context = {
        "case_number": case.case_number,
        "item_name": case.item_name,
        "item_code": case.item_code,
        "item_type": entry.get("type"),
        "agency": entry.get("implementing_body"),
        "agency_phone": entry.get("phone"),
        "applicant": case.applicant,
        "proxy": case.proxy,
        "channel": case.channel,
        "received_at": _beijing(case.received_at),
        "accepted_at": _beijing(case.accepted_at),
        "promised_due": case.promised_due,
        "statutory_due": case.statutory_due,
        "completed_at": _beijing(case.closed_at),
        "supplement_days": entry.get("limits", {}).get("supplement_days"),
        "materials_received": [m for m in materials if m not in missing],
        "materials_missing": [m for m in missing if isinstance(m, str | dict)],
        "reasons": reasons,
        "result": case.result,
        "delivery": data.get("delivery") or None,
        "issued_at": _beijing(now()),
    }
    html, pdf = documents.render(kind, context)
    return html, pdf, documents.suggested_filename(kind, context)


def _beijing(at: datetime | None) -> str | None:
    return (at + CHINA).isoformat(timespec="minutes") + "+08:00" if at else None


def _last_opinion(session: Session, case: ServiceCase) -> list[str]:
    opinion = session.scalars(
        select(HumanTask.opinion)
        .where(HumanTask.instance_id == case.instance_id, HumanTask.opinion.is_not(None))
        .order_by(HumanTask.id.desc())
        .limit(1)
    ).first()
    return [opinion] if opinion else []


def _warnings(session: Session, case: ServiceCase) -> list[dict]:
    from .supervision import warnings

    return warnings(session, case.case_number)
