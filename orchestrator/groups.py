"""Groups that lanes name and tasks are offered to, and who belongs to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .errors import InvalidInput, Problem
from .store.models import GroupMember, OrgGroup


def lane_names(session: Session) -> dict[str, str]:
    """Every name a lane may use (code or display name) → group code."""
    names = {}
    for group in session.scalars(select(OrgGroup)):
        names[group.code] = group.code
        names[group.name] = group.code
    return names


def of_user(session: Session, username: str) -> set[str]:
    return set(session.scalars(select(GroupMember.group_code).where(GroupMember.username == username)))


def add(session: Session, code: str, name: str, actor: str | None = None) -> None:
    if not code or not name:
        raise InvalidInput(Problem("a group needs a code and a name"))
    if session.get(OrgGroup, code) is not None:
        return
    session.add(OrgGroup(code=code, name=name))
    audit.record(session, "add_group", actor, after={"code": code, "name": name})


def add_member(session: Session, username: str, code: str, actor: str | None = None) -> None:
    if session.get(OrgGroup, code) is None:
        raise InvalidInput(Problem(f"no group '{code}'", field="group"))
    if session.get(GroupMember, (username, code)) is None:
        session.add(GroupMember(username=username, group_code=code))
        audit.record(session, "add_member", actor, after={"user": username, "group": code})
