"""New service items from templates (新建事项), and templates made from published items.

A template is a complete, working item of one case class: the repository's `templates/<class>/` folders
(即办, 承诺, 联办, 上报, 代办) and those an analyst saved from a published item. A new item is the template's
unit with the analyst's answers put in: the process gets the item's key and name, the lead department's
lanes its group, each co-department a lane of its own (the template's co-department lane is cloned), and
the catalog entry its name, code, type, departments, implementing body and limits. It is stored as a
draft; publishing it unchanged gives an item the front desk can accept and the back office can finish.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TypedDict

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.bpmn.edit import Document
from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.deploy import definitions, units
from orchestrator.deploy.units import Unit
from orchestrator.gov import calendar_days
from orchestrator.identity import groups, orgs
from orchestrator.store.models import ItemTemplate, OrgGroup

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
TEMPLATE_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
CLASS_ALIASES = {
    "即办": "immediate",
    "承诺": "promised",
    "联办": "joint",
    "上报": "report",
    "代办": "proxy",
    "助跑": "proxy",
}


class TemplateSummary(TypedDict):
    code: str  # what --template takes (the class's Chinese name works for the repository's templates)
    name: str
    local_class: str
    description: str | None
    source: str  # repository or saved
    based_on: str | None  # KEY vVERSION of a saved template


@dataclass
class NewItem:
    """What the analyst gives for a new item (every limit in working days)."""

    key: str
    template: str
    name: str
    code: str
    lead: str
    statutory_days: int
    promised_days: int
    co: Sequence[str] = ()
    org: str | None = None
    item_type: str | None = None
    materials: Sequence[str] = field(default_factory=tuple)


def templates(session: Session, folder: Path) -> list[TemplateSummary]:
    found = [_summary(code, meta, "repository", None) for code, (meta, _) in sorted(_folders(folder).items())]
    for row in session.scalars(select(ItemTemplate).order_by(ItemTemplate.code)):
        based_on = f"{row.based_on_key} v{row.based_on_version}" if row.based_on_key else None
        meta = {"name": row.name, "class": row.local_class, "description": row.description}
        found.append(_summary(row.code, meta, "saved", based_on))
    return found


def new_item(
    session: Session,
    folder: Path,
    item: NewItem,
    *,
    forms_dir: Path,
    max_bytes: int,
    actor: str | None = None,
) -> list[definitions.VersionSummary]:
    """Make a draft version of a new item from a template (refused with every problem, nothing stored)."""
    unit = make_unit(session, folder, item, max_bytes)
    made = definitions.deploy(session, unit, forms_dir=forms_dir, max_bytes=max_bytes, actor=actor)
    audit.record(session, "new_item", actor, after={"key": item.key, "template": item.template})
    return made


def make_unit(session: Session, folder: Path, item: NewItem, max_bytes: int) -> Unit:
    problems = _check(session, item)
    if problems:
        raise InvalidInput(problems)
    unit = template_unit(session, folder, item.template, max_bytes)
    entry = yaml.safe_load((unit.item_yaml or b"{}").decode("utf-8")) or {}
    old_lead, old_co = entry.get("lead_department"), list(entry.get("co_departments") or [])
    names = groups.lane_names(session)
    titles = {g.code: g.name for g in session.scalars(select(OrgGroup))}
    for file_name, data in list(unit.bpmn.items()):
        doc = Document(data, max_bytes)
        old_key = entry.get("process") or next((p.get("id") for p in doc.processes()), None)
        if old_key:
            doc.rename_process(old_key, item.key, item.name)
        copies = _departments(doc, names, titles, old_lead, old_co, item)
        unit.bpmn[file_name] = doc.xml()
    unit.name = item.key
    unit.item_yaml = _entry(session, entry, item).encode("utf-8")
    materials = [m.get("name") for m in entry.get("materials") or [] if isinstance(m, dict)]
    unit.tests = {
        name: _adapted_test(session, raw, copies, materials, item) for name, raw in unit.tests.items()
    }
    return unit


def _adapted_test(
    session: Session, raw: bytes, copies: dict[str, list[str]], materials: list, item: NewItem
) -> bytes:
    """The template's test, made true of the new item: cloned co-department steps are done too, the
    item's own materials are named, and the promised due date follows the item's limit."""
    try:
        test = json.loads(raw)
    except ValueError:
        return raw  # deploy reports it
    if not isinstance(test, dict):
        return raw
    renamed = dict(zip(materials, item.materials or materials, strict=False)) if item.materials else {}
    fallback = item.materials[0] if item.materials else None
    steps = []
    for step in test.get("steps") or []:
        if isinstance(step, dict) and isinstance(step.get("data"), dict) and fallback:
            step = {**step, "data": _rename_materials(step["data"], renamed, fallback)}
        steps.append(step)
        if isinstance(step, dict):
            steps += [{**step, "task": copy} for copy in copies.get(str(step.get("task")), [])]
    test["steps"] = steps
    found = test.get("expect")
    expect: dict = found if isinstance(found, dict) else {}
    if isinstance(expect.get("path"), list):
        expect["path"] = [t for task in expect["path"] for t in (task, *copies.get(task, []))]
    if expect.get("promised_due") and test.get("accepted_on"):
        accepted = date.fromisoformat(test["accepted_on"])
        expect["promised_due"] = (
            calendar_days.load(session).due_date(accepted, item.promised_days).date.isoformat()
        )
    return json.dumps(test, ensure_ascii=False, indent=2).encode("utf-8")


def _rename_materials(data: dict, renamed: dict, fallback: str) -> dict:
    out = {}
    for key, value in data.items():
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) for v in value)
            and set(value) <= set(renamed) | {fallback}
        ):
            value = list(dict.fromkeys(renamed.get(v, fallback) for v in value))
        out[key] = value
    return out


def save_template(
    session: Session,
    key: str,
    version: int,
    code: str,
    name: str,
    description: str | None = None,
    actor: str | None = None,
) -> TemplateSummary:
    """Keep a published item as a template that new items can start from."""
    if not TEMPLATE_CODE.match(code or ""):
        raise InvalidInput(
            Problem(
                _("a template code has 1–64 of a-z, 0-9, '_' and '-', starting with a letter"), field="code"
            )
        )
    if not (name or "").strip():
        raise InvalidInput(Problem(_("a template needs a name"), field="name"))
    d = definitions.get(session, key, version)
    if d.status == "draft" or d.catalog is None:
        raise Conflict(_("only a published or retired service item can become a template"))
    if session.scalar(select(ItemTemplate.id).where(ItemTemplate.code == code)):
        raise Conflict(_("there is already a template '{code}'", code=code))
    files = {n: x for n, x in d.files.items()}
    files |= {f"forms/{n}": definitions.json_text(doc) for n, doc in d.forms.items()}
    files["item.yaml"] = yaml.safe_dump(d.catalog, allow_unicode=True, sort_keys=False)
    row = ItemTemplate(
        code=code,
        name=name.strip(),
        local_class=d.catalog["case_class"]["local"],
        description=description,
        based_on_key=key,
        based_on_version=version,
        files=files,
        created_by=actor,
        created_at=now(),
    )
    session.add(row)
    audit.record(session, "save_template", actor, definition_id=d.id, after={"template": code})
    return _summary(
        code,
        {"name": row.name, "class": row.local_class, "description": description},
        "saved",
        f"{key} v{version}",
    )


def template_unit(session: Session, folder: Path, code: str, max_bytes: int) -> Unit:
    code = CLASS_ALIASES.get(code, code)
    found = _folders(folder).get(code)
    if found is not None:
        return units.read(found[1], max_bytes)
    row = session.scalars(select(ItemTemplate).where(ItemTemplate.code == code)).first()
    if row is None:
        known = Listing([t["code"] for t in templates(session, folder)])
        raise NotFound(_("no template '{code}' (templates: {known})", code=code, known=known))
    unit = Unit(name=code)
    for rel, text in row.files.items():
        path = PurePosixPath(rel)
        if rel == "item.yaml":
            unit.item_yaml = text.encode("utf-8")
        elif len(path.parts) == 2 and path.parts[0] == "forms":
            unit.forms[path.name] = text.encode("utf-8")
        elif rel.endswith(".bpmn"):
            unit.bpmn[rel] = text.encode("utf-8")
    return unit


# -- making the unit ---------------------------------------------------------------------------------------


def _check(session: Session, item: NewItem) -> list[Problem]:
    problems = []
    if not KEY.match(item.key or ""):
        problems.append(
            Problem(_("a key starts with a letter and has 1–100 of A-Z, a-z, 0-9 and '_'"), field="key")
        )
    elif definitions.latest_version(session, item.key) is not None:
        problems.append(Problem(_("there is already a process '{key}'", key=item.key), field="key"))
    if item.org:
        try:
            orgs.path_of(session, item.org)
        except NotFound as exc:
            problems.append(Problem(exc.message, field="org"))
    if len(set(item.co)) != len(item.co):
        problems.append(Problem(_("a co-department is listed twice"), field="co"))
    return problems


def _departments(
    doc: Document, names: dict[str, str], titles: dict[str, str], old_lead, old_co: list[str], item: NewItem
) -> dict[str, list[str]]:
    """The lead department's lanes get the item's lead; the co-department lanes one per co-department.
    Returns the ids of the elements cloned for the extra co-departments (element id → its copies)."""
    copies: dict[str, list[str]] = {}
    co_lanes = []
    for lane in doc.lanes():
        group = names.get(lane.get("name") or "", lane.get("name"))
        if group == old_lead:
            lane.set("name", item.lead)
        elif group in old_co:
            co_lanes.append(lane)
    if not co_lanes:
        return copies
    if not item.co:
        raise InvalidInput(
            Problem(_("this template needs at least one co-department (协办部门)"), field="co")
        )
    if len(co_lanes) == 1:
        original = co_lanes[0]
        members = [(ref.text or "").strip() for ref in original.iter(f"{{{BPMN}}}flowNodeRef")]
        clones = {}  # cloned last first: each clone goes just below the original, so they end up in order
        for i in range(len(item.co), 1, -1):
            clones[i] = doc.clone_lane(original, str(i), item.co[i - 1])
            copies.update({m: [*copies.get(m, []), f"{m}_{i}"] for m in members})
        lanes = [original, *(clones[i] for i in range(2, len(item.co) + 1))]
        for member in copies:
            copies[member].sort()
    elif len(co_lanes) == len(item.co):
        lanes = co_lanes
    else:
        raise InvalidInput(
            Problem(
                _(
                    "this template has {lanes} co-department lanes; give that many co-departments",
                    lanes=len(co_lanes),
                ),
                field="co",
            )
        )
    for lane, code in zip(lanes, item.co, strict=False):
        lane.set("name", code)
        for ref in lane.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}flowNodeRef"):
            node = doc.by_id((ref.text or "").strip())
            if node is not None and node.get("name") and node.tag.endswith("Task"):
                node.set("name", f"{node.get('name').split('（')[0]}（{titles.get(code, code)}）")
    return copies


def _entry(session: Session, entry: dict, item: NewItem) -> str:
    entry = dict(entry)
    entry.pop("implementation_code", None)
    entry.update(process=item.key, code=item.code, name=item.name, lead_department=item.lead)
    if item.item_type:
        entry["type"] = item.item_type
    if item.co or entry.get("co_departments"):
        entry["co_departments"] = list(item.co)
    if item.org:
        unit = orgs.summary_of(session, item.org)
        entry["implementing_body"] = (
            f"{unit['name']}便民服务中心" if unit["level"] != "区县" else f"{unit['name']}政务服务中心"
        )
    limits = dict(entry.get("limits") or {})
    limits.update(statutory_days=item.statutory_days, promised_days=item.promised_days)
    if limits.get("department_days"):
        limits["department_days"] = {code: item.promised_days for code in [item.lead, *item.co]}
    entry["limits"] = limits
    if item.materials:
        entry["materials"] = [
            {
                "name": name,
                "necessity": "必要",
                "form": "纸质",
                "copies": {"original": 1, "copy": 0},
                "source": "申请人自备",
            }
            for name in item.materials
        ]
    header = f"# {item.name}（{item.code}）：由模板 {item.template} 新建的事项目录条目。\n"
    return header + yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=110)


def _folders(folder: Path) -> dict[str, tuple[dict, Path]]:
    found = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        meta_file = path / "template.yaml"
        if path.is_dir() and meta_file.is_file():
            meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
            if isinstance(meta, dict):
                found[path.name] = (meta, path)
    return found


def _summary(code: str, meta: dict, source: str, based_on: str | None) -> TemplateSummary:
    return {
        "code": code,
        "name": str(meta.get("name") or code),
        "local_class": str(meta.get("class") or ""),
        "description": meta.get("description"),
        "source": source,
        "based_on": based_on,
    }
