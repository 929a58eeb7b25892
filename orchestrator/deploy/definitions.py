"""Deploy, publish and retire immutable process versions; restore their specs once per process."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypedDict

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from orchestrator.bpmn import engine
from orchestrator.core import audit, events
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.deploy import forms, units, validation
from orchestrator.identity import groups
from orchestrator.store.models import ProcessDefinition, ProcessInstance

PUBLISHED = "version_published"
"""Event: a version was published (details: `definition`, `actor`)."""


def deploy(
    session: Session,
    unit: units.Unit,
    *,
    forms_dir: Path,
    max_bytes: int,
    publish: bool = False,
    tag: str | None = None,
    actor: str | None = None,
) -> list[VersionSummary]:
    """Validate a unit and store each executable process as a new version (or report it unchanged)."""
    if tag is not None and not (0 < len(tag) <= 100):
        raise InvalidInput(Problem(_("a version tag has 1 to 100 characters"), field="tag"))
    parsed = validation.validate(unit, groups.lane_names(session), forms_dir, max_bytes)
    results = []
    for process in parsed.processes:
        latest = latest_version(session, process.key)
        if latest is not None and latest.checksum == parsed.checksum:
            if publish and latest.status == "draft":
                set_status(session, process.key, latest.version, "published", actor=actor)
            results.append(_summary(latest, unchanged=True))
            continue
        definition = ProcessDefinition(
            key=process.key,
            version=(latest.version + 1) if latest else 1,
            version_tag=tag,
            name=process.name,
            checksum=parsed.checksum,
            status="published" if publish else "draft",
            files=parsed.files,
            spec=process.specs_json,
            catalog=parsed.catalog if _catalog_applies(parsed, process.key) else None,
            forms=parsed.forms,
            lanes=parsed.lanes,
            tests=parsed.tests,
            timer_start=process.timer_start,
            deployed_by=actor,
            deployed_at=now(),
        )
        session.add(definition)
        session.flush()
        audit.record(
            session,
            "deploy",
            actor,
            definition_id=definition.id,
            after={"key": definition.key, "version": definition.version, "status": definition.status},
        )
        results.append(_summary(definition, unchanged=False))
        if publish:
            _on_published(session, definition, actor)
    return results


def _catalog_applies(parsed: validation.ParsedUnit, key: str) -> bool:
    if parsed.catalog is None:
        return False
    named = parsed.catalog.get("process")
    return named == key if named else key == parsed.processes[0].key


class VersionSummary(TypedDict):
    key: str
    version: int
    status: str  # draft, published, retired
    checksum: str
    tag: str | None
    unchanged: bool


class ListedVersion(VersionSummary):
    name: str | None
    deployed_at: str
    deployed_by: str | None
    running_instances: int
    catalog: dict | None  # the service item's catalog entry (None for a plain process)


class VersionDetails(ListedVersion):
    files: dict[str, str]  # x.bpmn and x.dmn → XML
    forms: dict[str, dict]
    lanes: dict[str, str]
    tests: dict[str, dict]
    import_report: list[dict] | None  # an imported draft's report (translated, documentation, fix)


def _summary(d: ProcessDefinition, unchanged: bool) -> VersionSummary:
    return {
        "key": d.key,
        "version": d.version,
        "status": d.status,
        "checksum": d.checksum,
        "tag": d.version_tag,
        "unchanged": unchanged,
    }


def summary(d: ProcessDefinition, unchanged: bool = False) -> VersionSummary:
    return _summary(d, unchanged)


def catalog_applies(parsed: validation.ParsedUnit, key: str) -> bool:
    """Whether the unit's catalog entry is the entry of process `key`."""
    return _catalog_applies(parsed, key)


def latest_version(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def get(session: Session, key: str, version: int) -> ProcessDefinition:
    d = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).first()
    if d is None:
        raise NotFound(_("no version {version} of process '{key}'", version=version, key=key))
    return d


def startable(session: Session, key: str) -> ProcessDefinition:
    """The newest published version of a key."""
    d = session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key, ProcessDefinition.status == "published")
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()
    if d is None:
        raise NotFound(_("process '{key}' has no published version", key=key))
    return d


def set_status(
    session: Session, key: str, version: int, status: str, actor: str | None = None
) -> VersionSummary:
    allowed = {"published": ("draft", "retired"), "retired": ("draft", "published")}
    if status not in allowed:
        raise InvalidInput(
            Problem(_("status must be one of {statuses}", statuses=Listing(allowed)), field="status")
        )
    d = get(session, key, version)
    if d.status == status:
        return _summary(d, unchanged=True)
    if status == "published" and not d.spec:  # an imported draft with something still to fix
        raise InvalidInput(
            Problem(
                _(
                    "{key} v{version} was imported with problems to fix (see its report): fix them in the "
                    "modeler and save, then publish the version the save makes",
                    key=key,
                    version=version,
                )
            )
        )
    if d.status not in allowed[status]:
        raise Conflict(
            _(
                "{key} v{version} is {status}; cannot become {target}",
                key=key,
                version=version,
                status=d.status,
                target=status,
            )
        )
    before = d.status
    d.status = status
    audit.record(
        session,
        {"published": "publish", "retired": "retire"}[status],
        actor,
        definition_id=d.id,
        before={"status": before},
        after={"status": status},
    )
    if status == "published":
        _on_published(session, d, actor)
    return _summary(d, unchanged=False)


def _on_published(session: Session, d: ProcessDefinition, actor: str | None) -> None:
    """One published version per key: the one published now supersedes the others for new instances
    (running instances finish on their own version)."""
    earlier = session.scalars(
        select(ProcessDefinition).where(
            ProcessDefinition.key == d.key,
            ProcessDefinition.status == "published",
            ProcessDefinition.id != d.id,
        )
    ).all()
    for old in earlier:
        old.status = "retired"
        audit.record(
            session,
            "supersede",
            actor,
            definition_id=old.id,
            before={"status": "published"},
            after={"status": "retired", "by_version": d.version},
        )
    events.publish(PUBLISHED, session, definition=d, actor=actor)


def delete_draft(session: Session, key: str, version: int, actor: str | None = None) -> VersionSummary:
    """Delete a draft no instance ever ran on (a published or retired version is history: it stays)."""
    d = get(session, key, version)
    if d.status != "draft":
        raise Conflict(
            _(
                "{key} v{version} is {status}; only a draft can be deleted",
                key=key,
                version=version,
                status=d.status,
            )
        )
    used = session.scalar(
        select(func.count()).select_from(ProcessInstance).where(ProcessInstance.definition_id == d.id)
    )
    if used:
        raise Conflict(
            _(
                "{key} v{version} has {count} instance(s); it cannot be deleted",
                key=key,
                version=version,
                count=used,
            )
        )
    summary = _summary(d, unchanged=False)
    audit.record(session, "delete_draft", actor, definition_id=d.id, before={"key": key, "version": version})
    session.delete(d)
    return summary


def listing(session: Session) -> list[ListedVersion]:
    counts = dict(
        session.execute(
            select(ProcessInstance.definition_id, func.count())
            .where(ProcessInstance.status == "running")
            .group_by(ProcessInstance.definition_id)
        ).all()
    )
    rows = session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
    )
    return [
        {
            **_summary(d, unchanged=False),
            "name": d.name,
            "deployed_at": d.deployed_at.isoformat(),
            "deployed_by": d.deployed_by,
            "running_instances": counts.get(d.id, 0),
            "catalog": d.catalog,
        }
        for d in rows
    ]


def details(session: Session, key: str, version: int) -> VersionDetails:
    """One version as stored: its summary, diagrams (file name → XML), forms snapshot and catalog entry."""
    d = get(session, key, version)
    running = session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .where(ProcessInstance.definition_id == d.id, ProcessInstance.status == "running")
    )
    return {
        **_summary(d, unchanged=False),
        "name": d.name,
        "deployed_at": d.deployed_at.isoformat(),
        "deployed_by": d.deployed_by,
        "running_instances": running or 0,
        "files": dict(d.files),
        "forms": dict(d.forms),
        "catalog": d.catalog,
        "lanes": dict(d.lanes),
        "tests": dict(d.tests or {}),
        "import_report": d.import_report,
    }


def json_text(doc: dict) -> str:
    """A stored form as the JSON file it came from."""
    return json.dumps(doc, ensure_ascii=False, indent=2)


def unit_of(d: ProcessDefinition) -> units.Unit:
    """A stored version as a deployable unit again: its diagrams, its forms snapshot and its catalog entry."""
    unit = units.Unit(
        name=d.key, bpmn={n: x.encode("utf-8") for n, x in d.files.items() if not n.endswith(".dmn")}
    )
    unit.dmn = {n: x.encode("utf-8") for n, x in d.files.items() if n.endswith(".dmn")}
    unit.forms = {n: json_text(doc).encode() for n, doc in d.forms.items()}
    unit.tests = {n: json_text(test).encode() for n, test in (d.tests or {}).items()}
    if d.catalog is not None:
        unit.item_yaml = yaml.safe_dump(d.catalog, allow_unicode=True, sort_keys=False).encode("utf-8")
    return unit


def edited_unit(
    session: Session, files: dict[str, bytes], base: tuple[str, int] | None, max_bytes: int
) -> units.Unit:
    """A stored version's unit with some files replaced or added (diagrams "x.bpmn", decision tables "x.dmn",
    forms "forms/x.json", tests "tests/x.json", "item.yaml"), so an edit in the modeler or the form editor keeps the version's other forms and catalog
    entry, and their references still hold; without a base, a unit of `files` alone."""
    unit = unit_of(get(session, *base)) if base else units.Unit(name=next(iter(files), "unit"))
    problems = []
    for rel, data in files.items():
        parts = PurePosixPath(rel).parts
        plain = all(p not in ("", ".", "..") and not p.startswith(".") for p in parts) and "\\" not in rel
        if len(data) > max_bytes:
            problems.append(
                Problem(_("file is over the {limit} MB limit", limit=max_bytes // 1048576), file=rel)
            )
        elif plain and units.is_unit_file(rel):
            units.add(unit, rel, data)
        else:
            problems.append(
                Problem(
                    _(
                        "expected a name.bpmn, name.dmn, forms/name.json, tests/name.json or item.yaml file name"
                    ),
                    file=rel,
                )
            )
    if problems:
        raise InvalidInput(problems)
    if not unit.bpmn:
        raise InvalidInput(Problem(_("the unit holds no .bpmn file")))
    return unit


@dataclass(frozen=True)
class Runtime:
    """What executing a version needs, restored once per process: versions are immutable."""

    id: int
    key: str
    version: int
    forms: dict
    lanes: dict
    specs: engine.Specs
    catalog: dict | None = None  # the service item's catalog entry; None for a plain process

    validators: dict = field(default_factory=dict, compare=False, repr=False)

    def form(self, name: str | None) -> dict | None:
        return self.forms.get(name) if name else None

    def validator(self, name: str | None):
        """The form's compiled validator, built once per version."""
        schema = self.form(name)
        if schema is None:
            return None
        if name not in self.validators:
            self.validators[name] = forms.compile_schema(schema)
        return self.validators[name]

    def group_of(self, lane: str | None) -> str | None:
        return self.lanes.get(lane) if lane else None


_RUNTIMES: dict[tuple[str, int, str], Runtime] = {}


def runtime(session: Session, definition_id: int, checksum: str) -> Runtime:
    """The cached runtime of a version; the key includes the checksum, so a reused id can never hit."""
    cache_key = (str(session.get_bind().engine.url), definition_id, checksum)
    cached = _RUNTIMES.get(cache_key)
    if cached is None:
        d = session.get_one(ProcessDefinition, definition_id, options=[undefer(ProcessDefinition.spec)])
        if len(_RUNTIMES) > 1024:
            _RUNTIMES.clear()
        cached = _RUNTIMES[cache_key] = Runtime(
            d.id, d.key, d.version, d.forms, d.lanes, engine.specs_from_json(d.spec), d.catalog
        )
    return cached


def clear_cache() -> None:
    """Forget restored specs (as a restarted process would)."""
    _RUNTIMES.clear()
