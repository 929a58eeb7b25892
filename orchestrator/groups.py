"""Groups that lanes name and tasks are offered to, and who belongs to them, where."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import audit, orgs
from .errors import InvalidInput, NotFound, Problem
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


def memberships(session: Session, username: str) -> list[tuple[str, str]]:
    """(group code, org path) of each of the user's memberships."""
    rows = session.execute(
        select(GroupMember.group_code, GroupMember.org_path).where(GroupMember.username == username)
    )
    return [(code, path) for code, path in rows]


def home_path(session: Session, username: str | None) -> str:
    """Where a user works: the deepest org unit among their memberships ("/" if none)."""
    if not username:
        return "/"
    paths = [path for _, path in memberships(session, username)]
    return max(paths, key=lambda p: p.count("/"), default="/")


def listing(session: Session) -> list[dict]:
    """Groups with their members and where each works."""
    members: dict[str, list[dict]] = {}
    for m in session.scalars(select(GroupMember).order_by(GroupMember.username)):
        members.setdefault(m.group_code, []).append({"username": m.username, "org_path": m.org_path})
    return [
        {"code": g.code, "name": g.name, "members": members.get(g.code, [])}
        for g in session.scalars(select(OrgGroup).order_by(OrgGroup.code))
    ]


def add(session: Session, code: str, name: str, actor: str | None = None) -> None:
    if not code or not name:
        raise InvalidInput(Problem("a group needs a code and a name"))
    if session.get(OrgGroup, code) is not None:
        return
    session.add(OrgGroup(code=code, name=name))
    audit.record(session, "add_group", actor, after={"code": code, "name": name})


def add_member(
    session: Session, username: str, code: str, actor: str | None = None, org: str | None = None
) -> None:
    """Put a user in a group within an org unit's subtree (`org` is a unit code; none: everywhere)."""
    if not username or len(username) > 100:
        raise InvalidInput(Problem("a username has 1 to 100 characters", field="username"))
    if session.get(OrgGroup, code) is None:
        raise InvalidInput(Problem(f"no group '{code}'", field="group"))
    path = orgs.path_of(session, org)
    member = session.get(GroupMember, (username, code))
    if member is None:
        session.add(GroupMember(username=username, group_code=code, org_path=path))
    elif member.org_path != path:
        member.org_path = path
    else:
        return
    audit.record(session, "add_member", actor, after={"user": username, "group": code, "org": path})


def remove_member(session: Session, username: str, code: str, actor: str | None = None) -> None:
    gone = session.execute(
        delete(GroupMember).where(GroupMember.username == username, GroupMember.group_code == code)
    ).rowcount
    if not gone:
        raise NotFound(f"{username} is not in group '{code}'")
    audit.record(session, "remove_member", actor, before={"user": username, "group": code})
