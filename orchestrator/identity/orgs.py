"""The administrative tree 区县 → 镇街 → 村社 → 网格: who works where, and where a case belongs.

A unit's `path` ("/district/town/village/") is materialised: members (`group_member.org_path`), cases
(`process_instance.org_path`) and their steps (`human_task.org_path`) carry the path of the unit they belong
to, so "within my town" is one prefix match. Moving a unit therefore rewrites, in the same transaction, the
paths of its subtree and of every member, case, step and pending notification that carries one of them.
A closed unit keeps its history but takes no new members or cases; it may not be closed while cases are
open in it or below, while members work there, or while a unit below it is still open.
"""

from __future__ import annotations

import re
from typing import TypedDict

from sqlalchemy import ColumnElement, String, func, literal, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import Listing, Message, _
from orchestrator.store.models import GroupMember, HumanTask, Job, OrgUnit, ProcessInstance

LEVELS = ("区县", "镇街", "村社", "网格")
CODE = re.compile(r"^[a-z0-9-]{1,64}$")  # no "_" or "%": paths are LIKE prefixes
ENDED_INSTANCE_STATES = ("completed", "cancelled")


def add(
    session: Session, code: str, name: str, level: str, parent: str | None = None, actor: str | None = None
) -> OrgUnitSummary:
    """Add a unit under `parent`; a unit's level is one below its parent's (a 区县 has no parent)."""
    problems = []
    if not CODE.match(code or ""):
        problems.append(Problem(_("a unit code has 1–64 of a-z, 0-9 and -"), field="code"))
    problems += _name_problems(name)
    if level not in LEVELS:
        problems.append(
            Problem(_("level must be one of {levels}", levels=Listing(LEVELS, " / ")), field="level")
        )
    parent_unit = session.get(OrgUnit, parent) if parent else None
    if parent and parent_unit is None:
        problems.append(Problem(_("no org unit '{code}'", code=parent), field="parent"))
    elif parent_unit is not None and parent_unit.closed_at is not None:
        problems.append(Problem(_("org unit '{code}' is closed", code=parent), field="parent"))
    if not problems and level in LEVELS:
        expected = LEVELS[LEVELS.index(parent_unit.level) + 1] if parent_unit else LEVELS[0]
        if parent_unit and parent_unit.level == LEVELS[-1] or level != expected:
            problems.append(
                Problem(_("a unit under this parent is a {level}", level=expected), field="level")
            )
    if problems:
        raise InvalidInput(problems)
    existing = session.get(OrgUnit, code)
    if existing is not None:
        if existing.parent_code == parent and existing.level == level:
            existing.name = name
            return summary(existing)
        raise InvalidInput(
            Problem(_("org unit '{code}' already exists elsewhere in the tree", code=code), field="code")
        )
    unit = OrgUnit(
        code=code,
        name=name.strip(),
        level=level,
        parent_code=parent,
        path=(parent_unit.path if parent_unit else "/") + code + "/",
    )
    session.add(unit)
    added = summary(unit)
    audit.record(session, "add_org_unit", actor, after=dict(added))
    return added


def _name_problems(name: str) -> list[Problem]:
    if not (name or "").strip() or len(name) > 200:
        return [Problem(_("a unit needs a name of at most 200 characters"), field="name")]
    return []


def _get(session: Session, code: str) -> OrgUnit:
    unit = session.get(OrgUnit, code)
    if unit is None:
        raise NotFound(_("no org unit '{code}'", code=code))
    return unit


def _open_unit(session: Session, code: str) -> OrgUnit:
    unit = _get(session, code)
    if unit.closed_at is not None:
        raise Conflict(_("org unit '{code}' is closed", code=code))
    return unit


def rename(session: Session, code: str, name: str, actor: str | None = None) -> OrgUnitSummary:
    """A new name (the code, and so every path, stays)."""
    unit = _open_unit(session, code)
    problems = _name_problems(name)
    if problems:
        raise InvalidInput(problems)
    before = summary(unit)
    if name.strip() == unit.name:
        return before
    unit.name = name.strip()
    after = summary(unit)
    audit.record(session, "rename_org_unit", actor, before=dict(before), after=dict(after))
    return after


def _parent_problems(unit: OrgUnit, parent: OrgUnit | None, parent_code: str | None) -> list[Problem]:
    """Why `parent` cannot hold `unit` (a cycle, a closed unit, a level out of order)."""
    if parent_code and parent is None:
        return [Problem(_("no org unit '{code}'", code=parent_code), field="parent")]
    if parent is not None and parent.path.startswith(unit.path):
        return [
            Problem(_("'{code}' cannot move under itself or a unit below it", code=unit.code), field="parent")
        ]
    if parent is not None and parent.closed_at is not None:
        return [Problem(_("org unit '{code}' is closed", code=parent.code), field="parent")]
    depth = LEVELS.index(unit.level) if unit.level in LEVELS else 0
    if depth == 0 and parent is not None:
        return [Problem(_("a {level} has no parent unit", level=unit.level), field="parent")]
    if depth > 0 and (parent is None or parent.level != LEVELS[depth - 1]):
        return [
            Problem(
                _(
                    "a {level} belongs under a {parent_level}",
                    level=unit.level,
                    parent_level=LEVELS[depth - 1],
                ),
                field="parent",
            )
        ]
    return []


def _rewritten(column: QueryableAttribute[str], old: str, new: str) -> ColumnElement[str]:
    """`column` with its leading `old` replaced by `new` (SQL, same on SQLite and PostgreSQL)."""
    return literal(new, String).concat(func.substr(column, len(old) + 1))


def move(session: Session, code: str, parent: str | None, actor: str | None = None) -> OrgUnitSummary:
    """Put a unit (and everything below it) under another parent of the level above its own.

    Members, cases and their steps in the subtree keep their place: their paths follow the unit."""
    unit = _open_unit(session, code)
    parent = (parent or "").strip() or None
    new_parent = session.get(OrgUnit, parent) if parent else None
    problems = _parent_problems(unit, new_parent, parent)
    if problems:
        raise InvalidInput(problems)
    before = summary(unit)
    if unit.parent_code == parent:
        return before
    old, new = unit.path, (new_parent.path if new_parent else "/") + unit.code + "/"
    subtree = session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(old, autoescape=True))).all()
    for u in subtree:
        u.path = new + u.path[len(old) :]
    unit.parent_code = parent
    session.flush()
    moved = {"units": len(subtree)}
    # instances first: an engine step holds its instance row (FOR UPDATE) while it writes the tasks
    for name, model in (("instances", ProcessInstance), ("tasks", HumanTask), ("members", GroupMember)):
        result = session.execute(
            update(model)
            .where(model.org_path.startswith(old, autoescape=True))
            .values(org_path=_rewritten(model.org_path, old, new))
            .execution_options(synchronize_session=False)
        )
        moved[name] = getattr(result, "rowcount", 0)
    for job in session.scalars(select(Job).where(Job.kind == "notify", Job.status == "pending")):
        at = (job.payload or {}).get("org_path")
        if isinstance(at, str) and at.startswith(old):
            job.payload = {**(job.payload or {}), "org_path": new + at[len(old) :]}
    after = summary(unit)
    audit.record(session, "move_org_unit", actor, before=dict(before), after={**after, "moved": moved})
    return after


def in_use(session: Session, unit: OrgUnit) -> list[Message]:
    """Why a unit may not be closed now (empty: it may)."""
    reasons: list[Message] = []
    within = unit.path
    cases = session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .where(
            ProcessInstance.org_path.startswith(within, autoescape=True),
            ProcessInstance.status.notin_(ENDED_INSTANCE_STATES),
        )
    )
    if cases:
        reasons.append(_("{count} cases are open in it or below", count=cases))
    members = session.scalar(
        select(func.count())
        .select_from(GroupMember)
        .where(GroupMember.org_path.startswith(within, autoescape=True))
    )
    if members:
        reasons.append(_("{count} members work in it or below", count=members))
    below = session.scalars(
        select(OrgUnit.code).where(
            OrgUnit.path.startswith(within, autoescape=True),
            OrgUnit.code != unit.code,
            OrgUnit.closed_at.is_(None),
        )
    ).all()
    if below:
        reasons.append(_("units below it are open: {codes}", codes=Listing(sorted(below))))
    return reasons


def close(session: Session, code: str, actor: str | None = None) -> OrgUnitSummary:
    """Close a unit: refused, with every reason, while anything still happens in it."""
    unit = _open_unit(session, code)
    reasons = in_use(session, unit)
    if reasons:
        raise Conflict(
            _(
                "org unit '{name}' cannot be closed: {reasons}",
                name=unit.name,
                reasons=Listing(reasons, "; ", "；"),
            )
        )
    before = summary(unit)
    unit.closed_at = now()
    after = summary(unit)
    audit.record(session, "close_org_unit", actor, before=dict(before), after=dict(after))
    return after


def reopen(session: Session, code: str, actor: str | None = None) -> OrgUnitSummary:
    """Open a closed unit again (its parent must be open)."""
    unit = _get(session, code)
    before = summary(unit)
    if unit.closed_at is None:
        return before
    parent = session.get(OrgUnit, unit.parent_code) if unit.parent_code else None
    if parent is not None and parent.closed_at is not None:
        raise Conflict(_("org unit '{code}' is closed", code=parent.code))
    unit.closed_at = None
    after = summary(unit)
    audit.record(session, "reopen_org_unit", actor, before=dict(before), after=dict(after))
    return after


def path_of(session: Session, code: str | None) -> str:
    """An open unit's path ("/" for none: the whole deployment); a closed unit takes nothing new."""
    if not code:
        return "/"
    unit = _get(session, code)
    if unit.closed_at is not None:
        raise InvalidInput(Problem(_("org unit '{code}' is closed", code=code), field="org"))
    return unit.path


class OrgUnitSummary(TypedDict):
    code: str
    name: str
    level: str
    parent: str | None
    path: str
    depth: int
    closed_at: str | None  # naive UTC, ISO; None: open


def summary_of(session: Session, code: str) -> OrgUnitSummary:
    return summary(_get(session, code))


def tree(session: Session, include_closed: bool = False) -> list[OrgUnitSummary]:
    """Every (open, unless `include_closed`) unit, parents before children (ordered by path)."""
    query = select(OrgUnit).order_by(OrgUnit.path)
    if not include_closed:
        query = query.where(OrgUnit.closed_at.is_(None))
    return [summary(u) for u in session.scalars(query)]


def names(session: Session) -> dict[str, str]:
    """path → unit name, to show where a case or member belongs."""
    return {u.path: u.name for u in session.scalars(select(OrgUnit))}


def summary(unit: OrgUnit) -> OrgUnitSummary:
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "parent": unit.parent_code,
        "path": unit.path,
        "depth": unit.path.count("/") - 2,
        "closed_at": unit.closed_at.isoformat(timespec="seconds") if unit.closed_at else None,
    }


def within(path: str, scope: str) -> bool:
    """Is `path` inside the subtree `scope`? ("/" is everywhere.)"""
    return (path or "/").startswith(scope or "/")
