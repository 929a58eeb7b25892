"""Citizen accounts as an admin sees them: find an account (phones and ID numbers masked) and disable or
enable it. A disabled account cannot log in and its open sessions and tokens stop working (`citizens.get`
refuses it); its booked appointments from today on are cancelled, so their places go back to others. Its
cases stay: they are the hall's record, and the clerks go on with them."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import NotFound
from orchestrator.core.i18n import _
from orchestrator.gov import appointments
from orchestrator.gov.citizens import mask_id, mask_phone
from orchestrator.store.portal import Citizen, PortalCase


class CitizenAccount(TypedDict):
    id: int
    phone_masked: str
    name: str
    id_number_masked: str
    company_name: str | None
    verified: bool
    disabled: bool
    created_at: str
    cases: int


def _account(c: Citizen, cases: int) -> CitizenAccount:
    return {
        "id": c.id,
        "phone_masked": mask_phone(c.phone),
        "name": c.name,
        "id_number_masked": mask_id(c.id_number),
        "company_name": c.company_name,
        "verified": c.verified_at is not None,
        "disabled": c.disabled_at is not None,
        "created_at": c.created_at.isoformat(timespec="minutes"),
        "cases": cases,
    }


def find(session: Session, query: str = "", limit: int = 100) -> list[CitizenAccount]:
    """Newest accounts first; `query` is a whole phone number, or part of a name or company."""
    stmt = select(Citizen).order_by(Citizen.id.desc()).limit(limit)
    query = (query or "").strip()[:100]
    if query:
        stmt = stmt.where(
            or_(Citizen.phone == query, Citizen.name.contains(query), Citizen.company_name.contains(query))
        )
    found = session.scalars(stmt).all()
    counts = dict(
        session.execute(
            select(PortalCase.citizen_id, func.count())
            .where(PortalCase.citizen_id.in_([c.id for c in found]))
            .group_by(PortalCase.citizen_id)
        ).all()
    )
    return [_account(c, counts.get(c.id, 0)) for c in found]


def set_disabled(session: Session, actor: str, citizen_id: int, disabled: bool) -> CitizenAccount:
    citizen = session.get(Citizen, citizen_id, with_for_update=True)
    if citizen is None:
        raise NotFound(_("no such citizen account"))
    was = citizen.disabled_at is not None
    if was != disabled:
        citizen.disabled_at = now() if disabled else None
        cancelled = appointments.cancel_booked(session, citizen.id) if disabled else 0
        audit.record(
            session,
            "citizen_disable" if disabled else "citizen_enable",
            actor,
            before={"citizen": citizen.id, "disabled": was},
            after={"citizen": citizen.id, "disabled": disabled, "appointments_cancelled": cancelled},
        )
    cases = session.scalar(
        select(func.count()).select_from(PortalCase).where(PortalCase.citizen_id == citizen.id)
    )
    return _account(citizen, cases or 0)
