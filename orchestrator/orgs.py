"""The administrative tree 区县 → 镇街 → 村社 → 网格: who works where, and where a case belongs."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .errors import InvalidInput, NotFound, Problem
from .store.models import OrgUnit

LEVELS = ("区县", "镇街", "村社", "网格")
CODE = re.compile(r"^[a-z0-9-]{1,64}$")  # no "_" or "%": paths are LIKE prefixes


def add(
    session: Session, code: str, name: str, level: str, parent: str | None = None, actor: str | None = None
) -> dict:
    """Add a unit under `parent`; a unit's level is one below its parent's (a 区县 has no parent)."""
    problems = []
    if not CODE.match(code or ""):
        problems.append(Problem("a unit code has 1–64 of a-z, 0-9 and -", field="code"))
    if not (name or "").strip() or len(name) > 200:
        problems.append(Problem("a unit needs a name of at most 200 characters", field="name"))
    if level not in LEVELS:
        problems.append(Problem(f"level must be one of {' / '.join(LEVELS)}", field="level"))
    parent_unit = session.get(OrgUnit, parent) if parent else None
    if parent and parent_unit is None:
        problems.append(Problem(f"no org unit '{parent}'", field="parent"))
    if not problems and level in LEVELS:
        expected = LEVELS[LEVELS.index(parent_unit.level) + 1] if parent_unit else LEVELS[0]
        if parent_unit and parent_unit.level == LEVELS[-1] or level != expected:
            problems.append(Problem(f"a unit under this parent is a {expected}", field="level"))
    if problems:
        raise InvalidInput(problems)
    existing = session.get(OrgUnit, code)
    if existing is not None:
        if existing.parent_code == parent and existing.level == level:
            existing.name = name
            return summary(existing)
        raise InvalidInput(Problem(f"org unit '{code}' already exists elsewhere in the tree", field="code"))
    unit = OrgUnit(
        code=code,
        name=name.strip(),
        level=level,
        parent_code=parent,
        path=(parent_unit.path if parent_unit else "/") + code + "/",
    )
    session.add(unit)
    audit.record(session, "add_org_unit", actor, after=summary(unit))
    return summary(unit)


def path_of(session: Session, code: str | None) -> str:
    """A unit's path ("/" for none: the whole deployment)."""
    if not code:
        return "/"
    unit = session.get(OrgUnit, code)
    if unit is None:
        raise NotFound(f"no org unit '{code}'")
    return unit.path


def tree(session: Session) -> list[dict]:
    """Every unit, parents before children (ordered by path)."""
    return [summary(u) for u in session.scalars(select(OrgUnit).order_by(OrgUnit.path))]


def names(session: Session) -> dict[str, str]:
    """path → unit name, to show where a case or member belongs."""
    return {u.path: u.name for u in session.scalars(select(OrgUnit))}


def summary(unit: OrgUnit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "parent": unit.parent_code,
        "path": unit.path,
        "depth": unit.path.count("/") - 2,
    }


def within(path: str, scope: str) -> bool:
    """Is `path` inside the subtree `scope`? ("/" is everywhere.)"""
    return (path or "/").startswith(scope or "/")
