"""Groups that lanes name and tasks are offered to (综合窗口, 民政, 市场监管 …), and who belongs to them, where.

An admin creates, renames and closes a group. A closed group keeps its history (tasks, memberships, audit)
but gets no new members or tasks: lanes of new versions cannot name it (`lane_names` lists open groups only),
a version naming it cannot be published (`check_published`), and pickers list open groups only. Closing is
refused while the group still has open tasks, is named by a published version, or running instances of
a version whose lanes name it may still offer it tasks.
"""

from __future__ import annotations

import re
from typing import TypedDict

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import Listing, Message, _
from orchestrator.identity import orgs
from orchestrator.store.models import GroupMember, HumanTask, OrgGroup, ProcessDefinition, ProcessInstance

CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # lanes and catalogs name groups by this code
OPEN_TASK_STATES = ("open", "claimed")
ENDED_INSTANCE_STATES = ("completed", "cancelled")


def lane_names(session: Session) -> dict[str, str]:
    """Every name a lane may use (code or display name) → group code; open groups only."""
    names = {}
    for group in session.scalars(select(OrgGroup).where(OrgGroup.closed_at.is_(None))):
        names[group.code] = group.code
        names[group.name] = group.code
    return names


def require(session: Session, code: str) -> None:
    """Refuse a group code nobody defined."""
    if session.get(OrgGroup, code) is None:
        raise NotFound(_("no group '{code}'", code=code))


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


class Member(TypedDict):
    username: str
    org_path: str


class GroupSummary(TypedDict):
    code: str
    name: str
    closed_at: str | None  # naive UTC, ISO; None: open


class GroupListing(GroupSummary):
    members: list[Member]


def summary(group: OrgGroup) -> GroupSummary:
    closed = group.closed_at.isoformat(timespec="seconds") if group.closed_at else None
    return {"code": group.code, "name": group.name, "closed_at": closed}


def listing(session: Session, include_closed: bool = False) -> list[GroupListing]:
    """Groups with their members and where each works; open groups only unless `include_closed`."""
    members: dict[str, list[Member]] = {}
    for m in session.scalars(select(GroupMember).order_by(GroupMember.username)):
        members.setdefault(m.group_code, []).append({"username": m.username, "org_path": m.org_path})
    query = select(OrgGroup).order_by(OrgGroup.code)
    if not include_closed:
        query = query.where(OrgGroup.closed_at.is_(None))
    return [{**summary(g), "members": members.get(g.code, [])} for g in session.scalars(query)]


def add(session: Session, code: str, name: str, actor: str | None = None) -> None:
    """Make sure a group exists (loading a deployment: an existing code is left as it is)."""
    if not code or not name:
        raise InvalidInput(Problem(_("a group needs a code and a name")))
    if session.get(OrgGroup, code) is not None:
        return
    session.add(OrgGroup(code=code, name=name))
    audit.record(session, "add_group", actor, after={"code": code, "name": name})


def _name_problems(session: Session, name: str, code: str | None = None) -> list[Problem]:
    if not name or len(name) > 200:
        return [Problem(_("a group needs a name of at most 200 characters"), field="name")]
    other = session.scalar(select(OrgGroup.code).where(OrgGroup.name == name))
    if other is not None and other != code:
        return [
            Problem(
                _("the name '{name}' is already used by group '{code}'", name=name, code=other), field="name"
            )
        ]
    return []


def create(session: Session, code: str, name: str, actor: str | None = None) -> GroupSummary:
    """A new group (an admin's): a unique lower-case code and a unique name; every problem at once."""
    code, name = (code or "").strip(), (name or "").strip()
    problems = []
    if not CODE.match(code):
        problems.append(
            Problem(_("a group code starts with a-z and has at most 64 of a-z, 0-9 and _"), field="code")
        )
    elif session.get(OrgGroup, code) is not None:
        problems.append(Problem(_("group '{code}' already exists", code=code), field="code"))
    problems += _name_problems(session, name)
    if problems:
        raise InvalidInput(problems)
    group = OrgGroup(code=code, name=name)
    session.add(group)
    session.flush()
    created = summary(group)
    audit.record(session, "create_group", actor, after=dict(created))
    return created


def _open_group(session: Session, code: str) -> OrgGroup:
    group = session.get(OrgGroup, code)
    if group is None:
        raise NotFound(_("no group '{code}'", code=code))
    if group.closed_at is not None:
        raise Conflict(_("group '{code}' is closed", code=code))
    return group


def rename(session: Session, code: str, name: str, actor: str | None = None) -> GroupSummary:
    """A new display name (the code, which lanes and catalogs use, stays)."""
    group = _open_group(session, code)
    name = (name or "").strip()
    problems = _name_problems(session, name, code)
    if problems:
        raise InvalidInput(problems)
    before = summary(group)
    if name == group.name:
        return before
    group.name = name
    session.flush()
    after = summary(group)
    audit.record(session, "rename_group", actor, before=dict(before), after=dict(after))
    return after


def in_use(session: Session, code: str) -> list[Message]:
    """Why a group may not be closed now (empty: it may)."""
    reasons: list[Message] = []
    tasks = session.scalar(
        select(func.count())
        .select_from(HumanTask)
        .where(HumanTask.candidate_group == code, HumanTask.state.in_(OPEN_TASK_STATES))
    )
    if tasks:
        reasons.append(_("{count} open tasks are offered to it", count=tasks))
    published, naming = set(), []
    for d in session.execute(
        select(
            ProcessDefinition.id,
            ProcessDefinition.key,
            ProcessDefinition.status,
            ProcessDefinition.lanes,
            ProcessDefinition.catalog,
        )
    ):
        if code in (d.lanes or {}).values():
            naming.append(d.id)
            if d.status == "published":
                published.add(d.key)
        if d.status == "published" and code in departments(d.catalog):
            published.add(d.key)
    if published:
        reasons.append(_("published processes name it: {keys}", keys=Listing(sorted(published))))
    running = naming and session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .where(
            ProcessInstance.definition_id.in_(naming),
            ProcessInstance.status.notin_(ENDED_INSTANCE_STATES),
        )
    )
    if running:
        reasons.append(_("{count} running instances may still offer it tasks", count=running))
    return reasons


def departments(catalog: dict | None) -> set[str]:
    """The group codes a catalog entry names (lead and co-departments)."""
    catalog = catalog or {}
    co = catalog.get("co_departments")
    return {
        c
        for c in [catalog.get("lead_department"), *(co if isinstance(co, list) else [])]
        if isinstance(c, str)
    }


def close(session: Session, code: str, actor: str | None = None) -> GroupSummary:
    """Close a group: refused, with every reason, while it has open work or a published process names it."""
    group = _open_group(session, code)
    reasons = in_use(session, code)
    if reasons:
        raise Conflict(
            _(
                "group '{name}' cannot be closed: {reasons}",
                name=group.name,
                reasons=Listing(reasons, "; ", "；"),
            )
        )
    before = summary(group)
    group.closed_at = now()
    after = summary(group)
    audit.record(session, "close_group", actor, before=dict(before), after=dict(after))
    return after


def reopen(session: Session, code: str, actor: str | None = None) -> GroupSummary:
    group = session.get(OrgGroup, code)
    if group is None:
        raise NotFound(_("no group '{code}'", code=code))
    before = summary(group)
    if group.closed_at is None:
        return before
    group.closed_at = None
    after = summary(group)
    audit.record(session, "reopen_group", actor, before=dict(before), after=dict(after))
    return after


def check_published(session: Session, definition: ProcessDefinition, **_details: object) -> None:
    """A version about to be published may not name a closed group (in a lane or as a department)."""
    named = set((definition.lanes or {}).values()) | departments(definition.catalog)
    if not named:
        return
    closed = sorted(
        session.scalars(
            select(OrgGroup.code).where(OrgGroup.code.in_(named), OrgGroup.closed_at.is_not(None))
        )
    )
    if closed:
        raise InvalidInput(
            [Problem(_("group '{code}' is closed", code=code), field="lanes") for code in closed]
        )


def add_member(
    session: Session, username: str, code: str, actor: str | None = None, org: str | None = None
) -> None:
    """Put a user in a group within an org unit's subtree (`org` is a unit code; none: everywhere)."""
    if not username or len(username) > 100:
        raise InvalidInput(Problem(_("a username has 1 to 100 characters"), field="username"))
    group = session.get(OrgGroup, code)
    if group is None:
        raise InvalidInput(Problem(_("no group '{code}'", code=code), field="group"))
    if group.closed_at is not None:
        raise InvalidInput(Problem(_("group '{code}' is closed", code=code), field="group"))
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
    result = session.execute(
        delete(GroupMember).where(GroupMember.username == username, GroupMember.group_code == code)
    )
    gone = getattr(result, "rowcount", 0)
    if not gone:
        raise NotFound(_("{user} is not in group '{code}'", user=username, code=code))
    audit.record(session, "remove_member", actor, before={"user": username, "group": code})
