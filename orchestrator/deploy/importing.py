"""Import a diagram drawn elsewhere: any well-formed BPMN 2.0 unit is stored as a draft with a report.

Only malformed or hostile XML (and a file that is not BPMN 2.0) is refused, with nothing stored. Everything
else is translated where OneWindow has a meaning for it (`dialects`), checked as deploy checks it
(`validation.inspect`), and stored as a draft of each executable process, or of the first process when none
is executable (documentation). The report lists what was translated, what was kept as documentation and
what is still to fix, each on its element. A draft with something to fix has no runnable spec: it cannot be
published until a save from the modeler passes every check (`definitions.set_status`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from lxml import etree
from sqlalchemy.orm import Session

from orchestrator.bpmn import xmlsafe
from orchestrator.bpmn.namespaces import BPMN
from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import definitions, dialects, units, validation
from orchestrator.deploy.definitions import VersionSummary
from orchestrator.identity import groups
from orchestrator.store.models import ProcessDefinition

MAX_KEY = 200
SIDE_FILES = (".dmn", ".form", ".json")  # files that may be named beside the diagrams, one by one


class Imported(TypedDict):
    versions: list[VersionSummary]
    runnable: bool  # nothing to fix: the drafts can be published as they are
    report: list[dict]


@dataclass
class _Plan:
    trees: dict[str, etree._ElementTree]
    findings: list[dialects.Finding]


def read(paths: list[str | Path], max_bytes: int) -> units.Unit:
    """One unit from the files, folders and zips given (their files side by side)."""
    if not paths:
        raise InvalidInput(Problem(_("name at least one file, folder or zip to import")))
    side = [Path(p) for p in paths if Path(p).is_file() and Path(p).suffix.lower() in SIDE_FILES]
    paths = [p for p in paths if Path(p) not in side]
    if not paths:
        raise InvalidInput(
            Problem(_("name at least one .bpmn file, folder or zip to import beside these files"))
        )
    unit = units.read(paths[0], max_bytes)
    for file in side:  # a decision table or a form given on its own lies beside the diagrams
        if file.stat().st_size > max_bytes:
            raise InvalidInput(units.too_big(file.name, file.stat().st_size, max_bytes))
        units.add(unit, file.name, file.read_bytes())
    for path in paths[1:]:
        more = units.read(path, max_bytes)
        unit.bpmn.update(more.bpmn)
        unit.dmn.update(more.dmn)
        unit.forms.update(more.forms)
        unit.tests.update(more.tests)
        unit.item_yaml = unit.item_yaml or more.item_yaml
        unit.model = unit.model or more.model
    return unit


def parse_lane_map(pairs: list[str]) -> dict[str, str]:
    """`NAME=GROUP` pairs as the command line gives them."""
    found: dict[str, str] = {}
    problems = []
    for pair in pairs:
        name, sep, group = pair.partition("=")
        if not sep or not name.strip() or not group.strip():
            problems.append(Problem(_("expected NAME=GROUP, not '{pair}'", pair=pair), field="map_lane"))
        else:
            found[name.strip()] = group.strip()
    if problems:
        raise InvalidInput(problems)
    return found


def import_unit(
    session: Session,
    unit: units.Unit,
    *,
    forms_dir: Path,
    max_bytes: int,
    lane_map: dict[str, str] | None = None,
    key: str | None = None,
    actor: str | None = None,
) -> Imported:
    known = groups.lane_names(session)
    codes = _lane_codes(lane_map or {}, known)
    plan = _read(unit, max_bytes)
    ctx = dialects.Context(unit.forms, codes, known)
    for name, tree in plan.trees.items():
        plan.findings += dialects.translate(tree, name, ctx)
    unused = sorted(set(codes) - ctx.used_lanes)
    if unused:
        raise InvalidInput(
            [
                Problem(
                    _("--map-lane names '{lane}', which no lane or candidate group of the unit has", lane=n)
                )
                for n in unused
            ]
        )
    keys = _keys(plan.trees, unit)
    if key is not None:
        _rename(plan.trees, keys, key)
        keys = [key]
    for name, tree in plan.trees.items():
        unit.bpmn[name] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    parsed = validation.inspect(unit, known, forms_dir, max_bytes)
    if key is None:
        _refuse_existing(session, keys)
    report = [f.as_dict() for f in _first_documentation(plan.findings)]
    not_executable = str(validation.not_executable())  # said first, as documentation
    untranslated = {f.element for f in plan.findings if f.kind == "fix" and f.element}
    report += [
        {**p.as_dict(), "kind": "fix"}
        for p in parsed.problems
        if str(p.message) != not_executable and not (p.element in untranslated and _said_already(p))
    ]
    built = {p.key: p for p in parsed.processes}
    stored = [_store(session, k, unit, parsed, built.get(k), report, actor) for k in keys]
    runnable = bool(parsed.processes) and not any(r["kind"] == "fix" for r in report)
    return {"versions": stored, "runnable": runnable, "report": report}


def _said_already(problem: Problem) -> bool:
    """The sandbox's refusal of a condition, or the engine's of an element (a service task whose
    implementation it cannot call), that the import already reported as still to fix."""
    return getattr(problem.message, "msgid", None) in (
        "expression refused: {problem}",
        "the workflow engine refuses the diagram: {detail}",
    )


def _lane_codes(lane_map: dict[str, str], known: dict[str, str]) -> dict[str, str]:
    problems = [
        Problem(_("--map-lane {lane}={group}: no group '{group}'", lane=lane, group=group), field="map_lane")
        for lane, group in lane_map.items()
        if group not in known
    ]
    if problems:
        raise InvalidInput(problems)
    return {lane: known[group] for lane, group in lane_map.items()}


def _read(unit: units.Unit, max_bytes: int) -> _Plan:
    """Parse every file safely; refuse (nothing stored) what is malformed, hostile or not BPMN 2.0."""
    problems: list[Problem] = []
    trees: dict[str, etree._ElementTree] = {}
    for name, data in sorted({**unit.bpmn, **unit.dmn}.items()):
        try:
            tree = xmlsafe.parse(data, max_bytes)
        except xmlsafe.UnsafeXml as exc:
            problems.append(Problem(exc.message, file=name, line=exc.line))
            continue
        if name in unit.bpmn:
            if tree.getroot().tag != f"{{{BPMN}}}definitions":
                problems.append(
                    Problem(_("not a BPMN 2.0 file (its root is not bpmn:definitions)"), file=name)
                )
            elif not tree.getroot().findall(f"{{{BPMN}}}process"):
                problems.append(Problem(_("the diagram has no process"), file=name))
            else:
                trees[name] = tree
    if problems:
        raise InvalidInput(problems)
    return _Plan(trees, [])


def _keys(trees: dict[str, etree._ElementTree], unit: units.Unit) -> list[str]:
    """The executable processes' ids; with none, the first process's (the draft is documentation)."""
    keys: list[str] = []
    for tree in trees.values():
        keys += [p.get("id") or "" for p in validation.executable_processes(tree)]
    if not keys:
        first = next(iter(trees.values())).getroot().find(f"{{{BPMN}}}process")
        keys = [(first.get("id") if first is not None else None) or unit.name]
    bad = [k for k in keys if not k or len(k) > MAX_KEY]
    if bad:
        raise InvalidInput(
            Problem(_("a process id is empty or longer than {limit} characters", limit=MAX_KEY))
        )
    return keys


def _rename(trees: dict[str, etree._ElementTree], keys: list[str], key: str) -> None:
    if not key or len(key) > MAX_KEY or key != key.strip():
        raise InvalidInput(Problem(_("a key has 1 to {limit} characters", limit=MAX_KEY), field="key"))
    if len(keys) != 1:
        raise InvalidInput(
            Problem(
                _("--key names one process; the unit has {count}: import them one by one", count=len(keys)),
                field="key",
            )
        )
    old = keys[0]
    for tree in trees.values():
        for node in tree.iter():
            if not isinstance(node.tag, str):
                continue
            for attr in ("id", "processRef", "bpmnElement", "calledElement"):
                if node.get(attr) == old and (attr != "id" or etree.QName(node).localname == "process"):
                    node.set(attr, key)


def _refuse_existing(session: Session, keys: list[str]) -> None:
    for key in keys:
        latest = definitions.latest_version(session, key)
        if latest is not None:
            raise Conflict(
                _(
                    "process '{key}' already exists (v{version}): import with --key {key} to add a version "
                    "to it, or with another --key for a new process",
                    key=key,
                    version=latest.version,
                )
            )


def _first_documentation(findings: list[dialects.Finding]) -> list[dialects.Finding]:
    """ "Imported as documentation" first (once), then the rest in order."""
    said = str(dialects.documentation_only())
    first = [f for f in findings if str(f.message) == said][:1]
    return first + [f for f in findings if str(f.message) != said]


def _store(
    session: Session,
    key: str,
    unit: units.Unit,
    parsed: validation.ParsedUnit,
    process: validation.ParsedProcess | None,
    report: list[dict],
    actor: str | None,
) -> VersionSummary:
    to_fix = any(r["kind"] == "fix" for r in report)
    checksum = parsed.checksum
    if to_fix:  # a later save of the same content that passes every check is a new version, not "unchanged"
        checksum = hashlib.sha256(f"to fix\0{checksum}".encode()).hexdigest()
    latest = definitions.latest_version(session, key)
    if latest is not None and latest.checksum == checksum:
        return definitions.summary(latest, unchanged=True)
    forms = dict(parsed.forms)
    for name, raw in unit.forms.items():  # forms nothing could check yet are kept for the analyst
        doc = _json_object(raw)
        if name not in forms and doc is not None and not name.endswith(".form"):  # form-js: translated
            forms[name] = doc
    d = ProcessDefinition(
        key=key,
        version=(latest.version + 1) if latest else 1,
        name=process.name if process else None,
        checksum=checksum,
        status="draft",
        files=parsed.files,
        spec=process.specs_json if process and not to_fix else "",
        catalog=parsed.catalog if process and definitions.catalog_applies(parsed, key) else None,
        forms=forms,
        lanes=parsed.lanes,
        tests=parsed.tests,
        timer_start=bool(process and process.timer_start),
        deployed_by=actor,
        deployed_at=now(),
        import_report=report,
    )
    session.add(d)
    session.flush()
    after = {
        "key": key,
        "version": d.version,
        "status": "draft",
        "to_fix": sum(r["kind"] == "fix" for r in report),
    }
    audit.record(session, "import", actor, definition_id=d.id, after=after)
    return definitions.summary(d, unchanged=False)


def _json_object(raw: bytes) -> dict | None:
    import json

    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
