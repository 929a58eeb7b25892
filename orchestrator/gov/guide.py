"""办事指南: the citizen's view of the published service items, from their catalog entries (六公开).

`search` finds items by name, code, department, pinyin (whole or initials) and life event (生育, 就业, 养老 …);
`guide` is one item's guide: content, legal basis, conditions, materials (with template and sample files),
the steps as a simple line, limits, fees, place, hours, phones, 跑动次数 and channels. The index of published
items is kept per process and rebuilt only when the set of published versions changes.
"""

from __future__ import annotations

import re
import threading
from typing import TypedDict

from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.core.errors import NotFound
from orchestrator.core.i18n import _
from orchestrator.store.models import OrgGroup, ProcessDefinition

MAX_QUERY = 100


class ItemListed(TypedDict):
    code: str
    key: str
    version: int
    name: str
    department: str
    department_name: str
    type: str
    life_events: list[str]
    online: bool
    visits: int


class Guide(ItemListed):
    catalog: dict
    departments: dict[str, str]
    steps: list[str]


class _Index:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: tuple | None = None
        self.items: list[tuple[ItemListed, str, dict]] = []  # listed, search text, catalog
        self.by_code: dict[str, tuple[ItemListed, dict]] = {}


_index = _Index()


def _stamp(session: Session) -> tuple:
    row = session.execute(
        select(func.count(ProcessDefinition.id), func.max(ProcessDefinition.id)).where(
            ProcessDefinition.status == "published"
        )
    ).one()
    groups = session.execute(select(func.count(OrgGroup.code))).scalar_one()
    return (row[0], row[1], groups)


def _text(catalog: dict, key: str, department_name: str) -> str:
    name = str(catalog.get("name") or "")
    words = [name, catalog.get("code"), key, catalog.get("type"), catalog.get("lead_department")]
    words += [department_name, catalog.get("implementing_body"), *(catalog.get("life_events") or [])]
    words += [re.sub(r"\W+", "", "".join(lazy_pinyin(name)))]
    words += [re.sub(r"\W+", "", "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)))]
    return " ".join(str(w).lower() for w in words if w)


def _load(session: Session) -> _Index:
    stamp = _stamp(session)
    if _index.stamp == stamp:
        return _index
    with _index.lock:
        if _index.stamp == stamp:
            return _index
        names = dict(session.execute(select(OrgGroup.code, OrgGroup.name)).all())
        newest: dict[str, tuple[str, int, dict]] = {}
        rows = session.execute(
            select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.catalog)
            .where(ProcessDefinition.status == "published")
            .order_by(ProcessDefinition.key, ProcessDefinition.version)
        )
        for key, version, catalog in rows:
            if catalog:
                newest[key] = (key, version, catalog)
        items, by_code = [], {}
        for key, version, c in sorted(newest.values(), key=lambda v: v[2]["code"]):
            lead = c.get("lead_department") or ""
            channels = c.get("channels") or {}
            listed: ItemListed = {
                "code": c["code"],
                "key": key,
                "version": version,
                "name": c["name"],
                "department": lead,
                "department_name": names.get(lead, lead),
                "type": c.get("type") or "",
                "life_events": list(c.get("life_events") or []),
                "online": bool(channels.get("online")),
                "visits": int(channels.get("visits") or 0),
            }
            items.append((listed, _text(c, key, listed["department_name"]), c))
            by_code[c["code"]] = (listed, c)
        _index.items, _index.by_code, _index.stamp = items, by_code, stamp
    return _index


def _matches(query: str, text: str) -> bool:
    """Every word is in the item's text; a word of Latin letters may also be the name's initials."""
    initials = text.rsplit(" ", 1)[-1]
    for word in query.lower().split():
        if word in text:
            continue
        if not (re.fullmatch(r"[a-z]+", word) and word in initials):
            return False
    return True


def search(session: Session, query: str = "", event: str | None = None) -> list[ItemListed]:
    """Published items whose name, code, department, pinyin or life events match every word of `query`;
    with `event`, only the items of that life event."""
    query = (query or "").strip()[:MAX_QUERY]
    found = []
    for listed, text, _catalog in _load(session).items:
        if event and event not in listed["life_events"]:
            continue
        if query and not _matches(query, text):
            continue
        found.append(listed)
    return found


def life_events(session: Session) -> list[str]:
    """Every life event named by a published item, in first-seen order."""
    seen: dict[str, None] = {}
    for listed, *_rest in _load(session).items:
        for event in listed["life_events"]:
            seen.setdefault(event)
    return list(seen)


def steps(catalog: dict, departments: dict[str, str]) -> list[str]:
    """The steps as a citizen sees them (a line, not the diagram), by the item's case class."""
    local = (catalog.get("case_class") or {}).get("local")
    lead = departments.get(catalog.get("lead_department") or "", catalog.get("lead_department") or "")
    co = [departments.get(c, c) for c in catalog.get("co_departments") or []]
    deliver = "快递送达或窗口领取" if (catalog.get("channels") or {}).get("courier") else "窗口领取结果"
    if local == "即办":
        return ["申请", "窗口受理", "当场办结", "领取结果"]
    if local == "联办":
        return ["申请", "综合窗口受理", f"{lead}牵头、{'、'.join(co) or '协办部门'}并联审查", "决定", deliver]
    if local == "上报":
        return ["申请", "窗口受理", f"{lead}初审", "上级部门审批", deliver]
    return ["申请", "综合窗口受理", f"{lead}审查", "作出决定", deliver]


def guide(session: Session, code: str) -> Guide:
    """One published item's guide by its code (or its process key)."""
    index = _load(session)
    found = index.by_code.get(code)
    if found is None:
        found = next(((listed, c) for listed, _t, c in index.items if listed["key"] == code), None)
    if found is None:
        raise NotFound(_("no published service item {code}", code=code))
    listed, catalog = found
    names = dict(session.execute(select(OrgGroup.code, OrgGroup.name)).all())
    wanted = [catalog.get("lead_department") or "", *(catalog.get("co_departments") or [])]
    departments = {c: names.get(c, c) for c in wanted if c}
    return {
        **listed,
        "catalog": catalog,
        "departments": departments,
        "steps": steps(catalog, departments),
    }
