"""网上申报 and 我的办件: a citizen applies online, follows their own cases, supplements, withdraws and
evaluates; anyone may query a case's progress by its number and the tail of the applicant's ID number.

A citizen sees and acts on their own cases only: any other number is "not found", exactly as a missing one.
The progress query shows statuses and steps without personal data, and answers a wrong tail exactly as a
missing case, so case numbers cannot be enumerated.
"""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import definitions
from orchestrator.gov import cases, citizens, evaluations
from orchestrator.gov.cases import CaseDetails
from orchestrator.gov.vocabulary import ONLINE, PROXY, REFUSED, STATUS
from orchestrator.identity import sms
from orchestrator.identity.orgs import path_of
from orchestrator.runtime import attachments, instances
from orchestrator.store.models import (
    Attachment,
    HumanTask,
    OrgGroup,
    OrgUnit,
    ProcessDefinition,
    ProcessInstance,
    ServiceCase,
)
from orchestrator.store.portal import Citizen, CitizenNotice, PortalCase

WITHDRAWABLE = frozenset({1, 6})  # 撤件 before acceptance, also while a 补正 is asked
MAX_ADDRESS = 200
DELIVERY_METHODS = {"window": "窗口自取", "courier": "快递送达"}


class MyCase(TypedDict):
    case_number: str
    item_name: str
    status_code: int
    status: str
    received_at: str
    closed_at: str | None


class ProgressStep(TypedDict):
    name: str
    department: str | None
    state: str
    started_at: str | None
    ended_at: str | None


class Progress(TypedDict):
    case_number: str
    item_name: str
    status_code: int
    status: str
    received_at: str | None
    accepted_at: str | None
    promised_due: str | None
    closed_at: str | None
    steps: list[ProgressStep]


def actor_of(citizen: Citizen) -> str:
    return citizens.login_name(citizen.phone)


def _delivery(catalog: dict, delivery: dict | None) -> dict:
    delivery = delivery if isinstance(delivery, dict) else {"method": "window"}
    method = delivery.get("method")
    if method not in DELIVERY_METHODS:
        raise InvalidInput(Problem(_("delivery is window or courier"), field="delivery.method"))
    if method == "courier":
        if not (catalog.get("channels") or {}).get("courier"):
            raise InvalidInput(
                Problem(
                    _("{item} is not delivered by courier", item=catalog["name"]), field="delivery.method"
                )
            )
        address = str(delivery.get("address") or "").strip()
        if not address or len(address) > MAX_ADDRESS:
            raise InvalidInput(
                Problem(
                    _("courier delivery needs an address (at most 200 characters)"), field="delivery.address"
                )
            )
        return {"method": method, "address": address}
    return {"method": method}


def apply(
    session: Session,
    citizen_id: int,
    key: str,
    data: dict,
    delivery: dict | None,
    *,
    org: str | None = None,
    for_company: bool = False,
    attachment_ids: list[int] | None = None,
) -> CaseDetails:
    """Open a case of item `key` for the citizen (or their company): channel 网上, status 1 已接件; the
    front desk of hall `org` receives its first step (网上预审) in its 待签收."""
    citizen = citizens.verified(session, citizen_id)
    if not isinstance(data, dict):
        raise InvalidInput(Problem(_("start data must be a JSON object"), field="data"))
    if org is not None:
        try:
            path_of(session, org)
        except NotFound:
            raise InvalidInput(Problem(_("there is no hall {code}", code=org), field="hall")) from None
    if for_company and not citizen.credit_code:
        raise InvalidInput(Problem(_("add your company (name and credit code) first"), field="for_company"))
    if for_company:
        applicant = {"name": citizen.company_name, "id_number": citizen.credit_code, "phone": citizen.phone}
        applicant["agent"] = citizen.name
    else:
        applicant = {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone}
    actor = actor_of(citizen)
    catalog = definitions.startable(session, key).catalog or {}
    if not catalog:
        raise NotFound(_("no published service item {code}", code=key))
    chosen = _delivery(catalog, delivery)
    shown = {
        **chosen,
        "method": DELIVERY_METHODS[chosen["method"]],
    }  # the clerk reads 快递送达, not "courier"
    start = {**data, "applicant": applicant, "channel": ONLINE, "delivery": shown}
    start.pop("proxy", None)
    started = instances.start(session, key, start, actor=actor, org=org)
    attachments.link(session, attachment_ids or [], started["instance"], actor=actor)
    case = session.scalars(select(ServiceCase).where(ServiceCase.instance_id == started["instance"])).one()
    tail = str(applicant["id_number"])[-6:].upper()
    session.add(
        PortalCase(case_id=case.id, citizen_id=citizen.id, tail=tail, delivery=chosen, applied_at=now())
    )
    notify(
        session,
        citizen,
        case.case_number,
        f"您申请的{case.item_name}已提交，办件编号 {case.case_number}，等待网上预审。",
    )
    return cases.details(session, case.case_number or "")


PROXY_LEVELS = ("村社", "网格")


def request_proxy(
    session: Session, citizen_id: int, key: str, org: str, note: str | None = None
) -> CaseDetails:
    """上门 / 助跑代办: a proxy case of item `key` in the citizen's village or grid, whose first step (the
    proxy's 登记委托, then the work record) goes to the grid workers there."""
    citizen = citizens.verified(session, citizen_id)
    catalog = definitions.startable(session, key).catalog or {}
    if not (catalog.get("channels") or {}).get("proxy"):
        raise InvalidInput(
            Problem(
                _("{item} cannot be applied for by a proxy (代办)", item=catalog.get("name") or key),
                field="item",
            )
        )
    unit = session.get(OrgUnit, org or "")
    if unit is None or unit.closed_at is not None or unit.level not in PROXY_LEVELS:
        raise InvalidInput(Problem(_("choose your village or grid"), field="org"))
    if note is not None and len(note) > 500:
        raise InvalidInput(Problem(_("a note has at most 500 characters"), field="note"))
    applicant = {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone}
    start = {"applicant": applicant, "channel": PROXY, "proxy_requested": True, "note": note or ""}
    started = instances.start(session, key, start, actor=actor_of(citizen), org=unit.code)
    case = session.scalars(select(ServiceCase).where(ServiceCase.instance_id == started["instance"])).one()
    session.add(
        PortalCase(
            case_id=case.id,
            citizen_id=citizen.id,
            tail=citizen.id_number[-6:].upper(),
            delivery={"method": "proxy"},
            applied_at=now(),
        )
    )
    notify(
        session,
        citizen,
        case.case_number,
        f"您申请的{case.item_name}上门代办已提交（{unit.name}），代办员将与您联系。",
    )
    return cases.details(session, case.case_number or "")


def _own(session: Session, citizen_id: int, number: str) -> tuple[ServiceCase, PortalCase]:
    """The citizen's own case (or their company's); anything else is not found."""
    citizen = citizens.get(session, citizen_id)
    row = session.execute(
        select(ServiceCase, PortalCase)
        .join(PortalCase, PortalCase.case_id == ServiceCase.id)
        .where(ServiceCase.case_number == (number or "")[:64])
    ).first()
    if row is None:
        raise NotFound(_("no case {number}", number=number))
    case, link = row
    company_case = citizen.credit_code and (case.applicant or {}).get("id_number") == citizen.credit_code
    if link.citizen_id != citizen.id and not company_case:
        raise NotFound(_("no case {number}", number=number))
    return case, link


def mine(session: Session, citizen_id: int, limit: int = 50) -> list[MyCase]:
    rows = session.scalars(
        select(ServiceCase)
        .join(PortalCase, PortalCase.case_id == ServiceCase.id)
        .where(PortalCase.citizen_id == citizen_id)
        .order_by(PortalCase.case_id.desc())
        .limit(max(1, min(limit, 200)))
    ).all()
    return [
        {
            "case_number": c.case_number or "",
            "item_name": c.item_name,
            "status_code": c.status_code,
            "status": STATUS.get(c.status_code, str(c.status_code)),
            "received_at": c.received_at.isoformat(timespec="seconds"),
            "closed_at": c.closed_at.isoformat(timespec="seconds") if c.closed_at else None,
        }
        for c in rows
    ]


def my_case(session: Session, citizen_id: int, number: str) -> dict:
    """The case with its steps, delivery, documents' kinds, attachments and evaluation."""
    case, link = _own(session, citizen_id, number)
    found: dict[str, Any] = dict(cases.details(session, number))
    found["delivery"] = link.delivery
    found["evaluations"] = [_with_answer(session, dict(e)) for e in evaluations.of_case(session, number)]
    found["materials"] = [
        {"id": a.id, "material": a.material, "file_name": a.file_name, "size": a.size}
        for a in session.scalars(select(Attachment).where(Attachment.instance_id == case.instance_id))
    ]
    found["withdrawable"] = case.status_code in WITHDRAWABLE
    found["supplement_asked"] = case.status_code == 6
    found.update(_facts(session, case))
    names = _group_names(session)
    found["steps"] = [
        {**step, "department": names.get(step["group"] or "", step["group"])} for step in found["steps"]
    ]
    return found


def _with_answer(session: Session, evaluation: dict) -> dict:
    """A 差评 with the department's answer once its 核实整改 step is done (what was verified and done)."""
    evaluation["answer"] = None
    instance_id = evaluation.get("rectification_instance")
    if not instance_id:
        return evaluation
    done = session.scalars(
        select(HumanTask)
        .where(
            HumanTask.instance_id == instance_id,
            HumanTask.name.like("Task_rectify_%"),
            HumanTask.state == "completed",
        )
        .order_by(HumanTask.id.desc())
        .limit(1)
    ).first()
    if done is None:
        return evaluation
    instance = session.get_one(ProcessInstance, instance_id)
    data = instances.data_of(session, instance, session.get_one(ProcessDefinition, instance.definition_id))
    evaluation["answer"] = {
        "verified": data.get("verified"),
        "measures": str(data.get("measures") or done.opinion or ""),
        "at": done.completed_at.isoformat() if done.completed_at else None,
    }
    return evaluation


MAX_MESSAGE = 500


def message(session: Session, citizen_id: int, number: str, text: str) -> dict:
    """A message from the applicant to the case's clerk: a comment on the open step (the case's timeline)."""
    case, _link = _own(session, citizen_id, number)
    text = (text or "").strip()
    if not text or len(text) > MAX_MESSAGE:
        raise InvalidInput(
            Problem(_("a message has 1 to {count} characters", count=MAX_MESSAGE), field="text")
        )
    open_step = session.scalar(
        select(HumanTask.id)
        .where(HumanTask.instance_id == case.instance_id, HumanTask.state.in_(("open", "claimed")))
        .order_by(HumanTask.id.desc())
        .limit(1)
    )
    citizen = citizens.get(session, citizen_id)
    audit.record(
        session,
        "comment",
        actor_of(citizen),
        instance_id=case.instance_id,
        task_id=open_step,
        opinion=f"【申请人留言】{text}",
    )
    return my_case(session, citizen_id, number)


def _group_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(OrgGroup.code, OrgGroup.name))}


def _facts(session: Session, case: ServiceCase) -> dict:
    """What the clerks wrote that the citizen must see: the missing materials of a 补正 and its notice, a
    refusal's reason, the courier and tracking number of the delivery."""
    instance = session.get_one(ProcessInstance, case.instance_id)
    data = instances.data_of(session, instance, session.get_one(ProcessDefinition, instance.definition_id))
    missing = data.get("missing") if case.status_code == 6 else None
    refused = case.status_code in REFUSED
    reason = data.get("refuse_reason") or data.get("reasons") or data.get("reason") if refused else None
    return {
        "missing": [str(m) for m in missing] if isinstance(missing, list) else [],
        "supplement_notice": str(data.get("notice") or "") if case.status_code == 6 else "",
        "refuse_reason": str(reason) if reason else None,
        "courier_company": data.get("courier_company") if data.get("tracking_number") else None,
        "tracking_number": data.get("tracking_number"),
    }


def supplement(session: Session, citizen_id: int, number: str, attachment_ids: list[int]) -> dict:
    """补正: the citizen's new uploads join the case while a 补正 is asked."""
    case, _link = _own(session, citizen_id, number)
    if case.status_code != 6:
        raise Conflict(_("case {number} is not waiting for missing materials", number=number))
    if not attachment_ids:
        raise InvalidInput(Problem(_("choose at least one file"), field="file"))
    citizen = citizens.get(session, citizen_id)
    attachments.link(session, attachment_ids, case.instance_id, actor=actor_of(citizen))
    audit.record(session, "supplement_uploaded", actor_of(citizen), instance_id=case.instance_id)
    return my_case(session, citizen_id, number)


def add_material(session: Session, citizen_id: int, number: str, attachment_id: int) -> dict:
    """A material uploaded to one's case after applying: while it waits for the 网上预审 or a 补正."""
    case, _link = _own(session, citizen_id, number)
    if case.status_code not in WITHDRAWABLE:
        raise Conflict(_("case {number} takes no more materials now", number=number))
    citizen = citizens.get(session, citizen_id)
    attachments.link(session, [attachment_id], case.instance_id, actor=actor_of(citizen))
    audit.record(session, "material_uploaded", actor_of(citizen), instance_id=case.instance_id)
    return my_case(session, citizen_id, number)


def withdraw(session: Session, citizen_id: int, number: str, reason: str | None = None) -> dict:
    case, _link = _own(session, citizen_id, number)
    if case.status_code not in WITHDRAWABLE:
        raise Conflict(_("case {number} can no longer be withdrawn online", number=number))
    citizen = citizens.get(session, citizen_id)
    cases.withdraw(session, number, actor_of(citizen), reason=reason)
    return my_case(session, citizen_id, number)


def evaluate(session: Session, citizen_id: int, number: str, level: int, comment: str | None) -> dict:
    _own(session, citizen_id, number)
    citizen = citizens.get(session, citizen_id)
    evaluations.evaluate(session, number, level, channel=ONLINE, comment=comment, actor=actor_of(citizen))
    return my_case(session, citizen_id, number)


def progress(session: Session, number: str, tail: str) -> Progress:
    """进度查询 with no login: a wrong tail answers exactly as a missing case."""
    row = session.execute(
        select(ServiceCase, PortalCase.tail)
        .outerjoin(PortalCase, PortalCase.case_id == ServiceCase.id)
        .where(ServiceCase.case_number == (number or "")[:64])
    ).first()
    tail = (tail or "").strip().upper()
    if row is None:
        raise NotFound(_("no case {number}", number=number))
    case, stored = row
    expected = stored or str((case.applicant or {}).get("id_number") or "")[-6:].upper()
    if len(tail) != 6 or not expected or tail != expected:
        raise NotFound(_("no case {number}", number=number))
    steps = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == case.instance_id).order_by(HumanTask.id)
    ).all()
    names = _group_names(session)
    iso = lambda v: v.isoformat() if v else None  # noqa: E731
    return {
        "case_number": case.case_number or "",
        "item_name": case.item_name,
        "status_code": case.status_code,
        "status": STATUS.get(case.status_code, str(case.status_code)),
        "received_at": iso(case.received_at),
        "accepted_at": iso(case.accepted_at),
        "promised_due": iso(case.promised_due),
        "closed_at": iso(case.closed_at),
        "steps": [
            {
                "name": t.title or t.name,
                "department": names.get(t.candidate_group or "", t.candidate_group),
                "state": t.state,
                "started_at": iso(t.created_at),
                "ended_at": iso(t.completed_at),
            }
            for t in steps
        ],
    }


def notify(session: Session, citizen: Citizen, number: str | None, text: str) -> None:
    """站内信, also handed to the SMS sender."""
    session.add(CitizenNotice(citizen_id=citizen.id, case_number=number, text=text, created_at=now()))
    sms.send(session, citizen.phone, f"【一窗通办】{text}", "notice")


STATUS_WORDS = {
    3: "已受理，正在办理",
    4: "不属于本机关受理范围，未予受理",
    5: "不予受理，理由请在“我的办件”中查看",
    6: "需要补正材料，请在“我的办件”中查看一次性告知并上传",
    7: "补正材料已收齐",
    8: "部门已开始办理",
    11: "已办结（通过）",
    12: "已办结（容缺通过），请按约定补齐材料",
    13: "已办结（不予许可），理由请在“我的办件”中查看",
    14: "已撤回",
    15: "已被撤销",
}


def status_changed(session: Session, case: ServiceCase, before: int, actor: str | None = None) -> None:
    """站内信 and SMS to the citizen of an online case whenever its status changes (2 is their own 撤件)."""
    if case.status_code == before or case.status_code not in STATUS_WORDS:
        return
    row = session.execute(
        select(Citizen)
        .join(PortalCase, PortalCase.citizen_id == Citizen.id)
        .where(PortalCase.case_id == case.id)
    ).first()
    if row is None:
        return
    notify(
        session,
        row[0],
        case.case_number,
        f"您申请的{case.item_name}（{case.case_number}）{STATUS_WORDS[case.status_code]}。",
    )


def unread(session: Session, citizen_id: int) -> int:
    return (
        session.scalar(
            select(func.count(CitizenNotice.id)).where(
                CitizenNotice.citizen_id == citizen_id, CitizenNotice.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(session: Session, citizen_id: int) -> None:
    session.execute(
        update(CitizenNotice)
        .where(CitizenNotice.citizen_id == citizen_id, CitizenNotice.read_at.is_(None))
        .values(read_at=now())
    )


def notices(session: Session, citizen_id: int, limit: int = 50) -> list[dict]:
    rows = session.scalars(
        select(CitizenNotice)
        .where(CitizenNotice.citizen_id == citizen_id)
        .order_by(CitizenNotice.id.desc())
        .limit(max(1, min(limit, 200)))
    ).all()
    return [
        {
            "id": n.id,
            "case_number": n.case_number,
            "text": n.text,
            "at": n.created_at.isoformat(timespec="seconds"),
        }
        for n in rows
    ]
