"""好差评: applicants evaluate a delivered case; a 差评 starts the handling department's rectification.

Levels are stored with the national code of GB/T 39046 (1 非常满意 … 5 非常不满意); 4 and 5 are 差评.
Online a case is evaluated once (一事一评); at a window once per visit (一次一评).
"""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.gov.cases import by_number
from orchestrator.gov.vocabulary import (
    BAD_LEVELS,
    DELIVERED,
    EVALUATION_CHANNELS,
    EVALUATION_LEVELS,
    ONLINE,
    VISIT_CHANNELS,
)
from orchestrator.runtime import instances
from orchestrator.store.models import Evaluation, HumanTask, OrgUnit, ProcessDefinition, ProcessInstance

RECTIFICATION = "evaluation_rectification"
RECTIFY_DAYS = 15  # working days to verify, rectify and answer a 差评 (configurable per item)


def evaluate(
    session: Session,
    number: str,
    level: int,
    *,
    channel: str = ONLINE,
    visit: str | None = None,
    comment: str | None = None,
    actor: str | None = None,
) -> EvaluationSummary:
    if isinstance(level, bool) or level not in EVALUATION_LEVELS:
        raise InvalidInput(
            Problem(_("level is the national code 1 (非常满意) … 5 (非常不满意)"), field="level")
        )
    if channel not in EVALUATION_CHANNELS:
        raise InvalidInput(
            Problem(
                _("channel must be one of {channels}", channels=Listing(EVALUATION_CHANNELS)), field="channel"
            )
        )
    if channel in VISIT_CHANNELS and not (visit or "").strip():
        raise InvalidInput(Problem(_("an evaluation at a window names the visit (一次一评)"), field="visit"))
    if comment is not None and len(comment) > 2000:
        raise InvalidInput(Problem(_("a comment has at most 2000 characters"), field="comment"))
    case = by_number(session, number)
    if case.status_code not in DELIVERED:
        raise Conflict(
            _(
                "case {number} has not been delivered yet; "
                "it can be evaluated once it is closed with a result",
                number=number,
            )
        )
    last = session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == case.instance_id, HumanTask.state == "completed")
        .order_by(HumanTask.completed_at.desc())
        .limit(1)
    ).first()
    definition = session.scalars(
        select(ProcessDefinition)
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.id == case.instance_id)
    ).one()
    department = (definition.catalog or {}).get("lead_department")
    row = Evaluation(
        case_id=case.id,
        channel=channel,
        visit=visit if channel in VISIT_CHANNELS else "case",
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
        if channel in VISIT_CHANNELS:
            raise Conflict(_("case {number} was already evaluated for this visit", number=number)) from None
        raise Conflict(
            _("case {number} was already evaluated for this case (一事一评)", number=number)
        ) from None
    if level in BAD_LEVELS:
        days = (definition.catalog or {}).get("supervision", {}).get("rectify_days", RECTIFY_DAYS)
        row.rectification_instance = _rectify(
            session,
            case.case_number,
            department,
            level,
            comment,
            days,
            actor,
            _unit_of(session, case.instance_id),
        )
    audit.record(
        session,
        "evaluate",
        actor,
        instance_id=case.instance_id,
        after={"level": level, "channel": channel, "visit": row.visit, "comment": comment},
    )
    return summary(row, number)


def _unit_of(session: Session, instance_id: int) -> str | None:
    """The org unit where the rated case was received and handled (its instance's org path)."""
    path = session.scalar(select(ProcessInstance.org_path).where(ProcessInstance.id == instance_id))
    if not path or path == "/":
        return None
    return session.scalar(select(OrgUnit.code).where(OrgUnit.path == path))


def _rectify(session, number, department, level, comment, days, actor, org=None) -> int:
    """差评 → the department's rectification process (核实整改 in 15 working days, 回访, 申诉复核), in the org unit
    of the rated case, so that the department's clerks there see it (not where the rater happens to work)."""
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
            org=org,
        )
    except NotFound:
        raise Conflict(
            _("a 差评 needs the '{process}' process published; nothing was recorded", process=RECTIFICATION)
        ) from None
    return started["instance"]


class EvaluationSummary(TypedDict):
    case_number: str
    level: int  # national code: 1 非常满意 … 5 非常不满意
    level_name: str
    bad: bool
    channel: str
    visit: str
    comment: str | None
    department: str | None
    clerk: str | None
    at: str
    rectification_instance: int | None


def summary(row: Evaluation, number: str) -> EvaluationSummary:
    return {
        "case_number": number,
        "level": row.level,
        "level_name": EVALUATION_LEVELS[row.level],
        "bad": row.level in BAD_LEVELS,
        "channel": row.channel,
        "visit": row.visit,
        "comment": row.comment,
        "department": row.department,
        "clerk": row.clerk,
        "at": row.at.isoformat(),
        "rectification_instance": row.rectification_instance,
    }


def of_case(session: Session, number: str) -> list[EvaluationSummary]:
    case = by_number(session, number)
    rows = session.scalars(
        select(Evaluation).where(Evaluation.case_id == case.id).order_by(Evaluation.id)
    ).all()
    return [summary(r, number) for r in rows]
