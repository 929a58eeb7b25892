"""好差评: applicants evaluate a delivered case; a 差评 starts the handling department's rectification.

Levels are stored with the national code of GB/T 39046 (1 非常满意 … 5 非常不满意); 4 and 5 are 差评.
Online a case is evaluated once (一事一评); at a window once per visit (一次一评).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit, instances
from .cases import CASE_OPEN_MESSAGE, by_number
from .clock import now
from .errors import Conflict, InvalidInput, NotFound, Problem
from .store.models import Evaluation, HumanTask, ProcessDefinition, ProcessInstance

LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
BAD = (4, 5)
DELIVERED = (11, 12, 13)
WINDOW_CHANNELS = ("窗口", "自助机")
RECTIFICATION = "evaluation_rectification"
RECTIFY_DAYS = 15  # working days to verify, rectify and answer a 差评 (configurable per item)


def evaluate(
    session: Session,
    number: str,
    level: int,
    *,
    channel: str = "网上",
    visit: str | None = None,
    comment: str | None = None,
    actor: str | None = None,
) -> dict:
    if isinstance(level, bool) or level not in LEVELS:
        raise InvalidInput(Problem("level is the national code 1 (非常满意) … 5 (非常不满意)", field="level"))
    if channel not in ("窗口", "网上", "掌上", "自助机"):
        raise InvalidInput(Problem("channel must be 窗口, 网上, 掌上 or 自助机", field="channel"))
    if channel in WINDOW_CHANNELS and not (visit or "").strip():
        raise InvalidInput(Problem("an evaluation at a window names the visit (一次一评)", field="visit"))
    if comment is not None and len(comment) > 2000:
        raise InvalidInput(Problem("a comment has at most 2000 characters", field="comment"))
    case = by_number(session, number)
    if case.status_code not in DELIVERED:
        raise Conflict(CASE_OPEN_MESSAGE.format(number=number))
    last = session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == case.instance_id, HumanTask.state == "completed")
        .order_by(HumanTask.completed_at.desc())
        .limit(1)
    ).first()
    definition = session.scalar(
        select(ProcessDefinition)
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.id == case.instance_id)
    )
    department = (definition.catalog or {}).get("lead_department")
    row = Evaluation(
        case_id=case.id,
        channel=channel,
        visit=visit if channel in WINDOW_CHANNELS else "case",
        level=level,
        comment=comment,
        department=department,
        clerk=last.completed_by if last else None,
        at=now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        once = "this visit" if channel in WINDOW_CHANNELS else "this case (一事一评)"
        raise Conflict(f"case {number} was already evaluated for {once}") from None
    if level in BAD:
        days = (definition.catalog or {}).get("supervision", {}).get("rectify_days", RECTIFY_DAYS)
        row.rectification_instance = _rectify(
            session, case.case_number, department, level, comment, days, actor
        )
    audit.record(
        session,
        "evaluate",
        actor,
        instance_id=case.instance_id,
        after={"level": level, "channel": channel, "visit": row.visit, "comment": comment},
    )
    return summary(row, number)


def _rectify(session, number, department, level, comment, days, actor) -> int:
    """差评 → the department's rectification process (核实整改 in 15 working days, 回访, 申诉复核)."""
    try:
        started = instances.start(
            session,
            RECTIFICATION,
            {
                "case_number": number,
                "department": department,
                "level": level,
                "comment": comment or "",
                "rectify_days": days,
            },
            actor=actor,
        )
    except NotFound:
        raise Conflict(
            f"a 差评 needs the '{RECTIFICATION}' process published; nothing was recorded"
        ) from None
    return started["instance"]


def summary(row: Evaluation, number: str) -> dict:
    return {
        "case_number": number,
        "level": row.level,
        "level_name": LEVELS[row.level],
        "bad": row.level in BAD,
        "channel": row.channel,
        "visit": row.visit,
        "comment": row.comment,
        "department": row.department,
        "clerk": row.clerk,
        "at": row.at.isoformat(),
        "rectification_instance": row.rectification_instance,
    }


def of_case(session: Session, number: str) -> list[dict]:
    case = by_number(session, number)
    rows = session.scalars(
        select(Evaluation).where(Evaluation.case_id == case.id).order_by(Evaluation.id)
    ).all()
    return [summary(r, number) for r in rows]
