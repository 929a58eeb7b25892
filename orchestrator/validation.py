"""Everything checked before a unit is stored; every problem is collected and reported at once.

Order: hardened XML parse → XSD → structure (flow references, gateway conditions, lanes, forms,
expressions in the sandbox, timers) → SpiffWorkflow builds a spec for every executable process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from . import catalog, engine, forms, sandbox, timers, xmlsafe
from .errors import InvalidInput, Problem
from .units import Unit

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")


@dataclass
class ParsedProcess:
    key: str
    name: str | None
    specs_json: str
    timer_start: bool


@dataclass
class ParsedUnit:
    checksum: str
    processes: list[ParsedProcess]
    files: dict[str, str]
    forms: dict[str, dict]
    lanes: dict[str, str]  # lane name → group code
    catalog: dict | None = None
    problems: list[Problem] = field(default_factory=list)


def validate(unit: Unit, groups: dict[str, str], forms_dir: Path, max_bytes: int) -> ParsedUnit:
    """Validate a unit; raise InvalidInput listing every problem, or return what to store."""
    problems: list[Problem] = []
    trees: dict[str, etree._ElementTree] = {}
    for name, data in sorted(unit.bpmn.items()):
        try:
            tree = xmlsafe.parse(data, max_bytes)
        except xmlsafe.UnsafeXml as exc:
            problems.append(Problem(str(exc), file=name, line=exc.line))
            continue
        _normalize_timers(tree)
        xsd_problems = _xsd(tree, name)
        problems += xsd_problems
        if not xsd_problems:
            trees[name] = tree

    entry, catalog_problems = _catalog(unit.item_yaml, set(groups.values()))
    problems += catalog_problems

    snapshot: dict[str, dict] = {}
    lanes: dict[str, str] = {}
    for name, tree in trees.items():
        problems += _structure(tree, name)
        problems += _lanes(tree, name, groups, lanes)
        problems += _expressions(tree, name)
        problems += _forms(tree, name, unit, forms_dir, snapshot)
        problems += _case_marks(tree, name)

    processes: list[ParsedProcess] = []
    if trees and not problems:
        processes, spiff_problems = _build(trees)
        problems += spiff_problems
        if not processes and not spiff_problems:
            problems.append(Problem('no executable process (isExecutable="true") in the unit'))
    if entry and processes and entry.get("process") not in (None, *[p.key for p in processes]):
        problems.append(
            Problem(
                f"item.yaml names process '{entry.get('process')}', which the diagrams do not define",
                file="item.yaml",
            )
        )
    if problems:
        raise InvalidInput(problems)
    return ParsedUnit(
        checksum=_checksum(unit, snapshot),
        processes=processes,
        files={n: d.decode("utf-8") for n, d in sorted(unit.bpmn.items())},
        forms=snapshot,
        lanes=lanes,
        catalog=entry,
    )


def _checksum(unit: Unit, snapshot: dict[str, dict]) -> str:
    digest = hashlib.sha256()
    parts = [(f"bpmn/{n}", d) for n, d in unit.bpmn.items()]
    if unit.item_yaml is not None:
        parts.append(("item.yaml", unit.item_yaml))
    parts += [(f"forms/{n}", _canonical(doc)) for n, doc in snapshot.items()]
    for name, data in sorted(parts):
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def _canonical(doc: dict) -> bytes:
    import json

    return json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()


def _element_of(node: etree._Element) -> str | None:
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def _normalize_timers(tree: etree._ElementTree) -> None:
    for tag in timers.KINDS:
        for node in tree.iter(f"{{{BPMN}}}{tag}"):
            if node.text and node.text.strip():
                node.text = timers.normalize(node.text)


def _xsd(tree: etree._ElementTree, name: str) -> list[Problem]:
    root = tree.getroot()
    VALIDATOR.preprocess(root)
    schema = VALIDATOR.validator
    if schema.validate(root):
        return []
    return [Problem(_xsd_message(err.message), file=name, line=err.line) for err in schema.error_log]


def _xsd_message(message: str) -> str:
    message = message.replace(f"{{{BPMN}}}", "bpmn:").replace(f"{{{SPIFF}}}", "spiffworkflow:")
    return f"not valid BPMN 2.0: {message}"


def _structure(tree: etree._ElementTree, name: str) -> list[Problem]:
    """Checks SpiffWorkflow gets wrong or words confusingly: dangling flows, unconditioned gateway flows."""
    problems = []
    for process in tree.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess"):
        ids = {n.get("id") for n in process.iter() if n.get("id")}
        for flow in process.findall("bpmn:sequenceFlow", NS):
            for end in ("sourceRef", "targetRef"):
                if flow.get(end) not in ids:
                    problems.append(
                        Problem(
                            f"sequence flow {end} '{flow.get(end)}' names no element of the process",
                            file=name,
                            line=flow.sourceline,
                            element=flow.get("id"),
                        )
                    )
        flows = process.findall("bpmn:sequenceFlow", NS)
        for gateway in process.findall("bpmn:exclusiveGateway", NS) + process.findall(
            "bpmn:inclusiveGateway", NS
        ):
            outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
            if len(outgoing) < 2:
                continue
            for flow in outgoing:
                cond = flow.find("bpmn:conditionExpression", NS)
                if flow.get("id") != gateway.get("default") and (
                    cond is None or not (cond.text or "").strip()
                ):
                    problems.append(
                        Problem(
                            f"flow '{flow.get('name') or flow.get('id')}' leaves gateway '{gateway.get('id')}' without a "
                            f"condition: add a condition or make it the gateway's default flow",
                            file=name,
                            line=flow.sourceline,
                            element=flow.get("id"),
                        )
                    )
    return problems


def _lanes(tree, name: str, groups: dict[str, str], lanes: dict[str, str]) -> list[Problem]:
    problems = []
    for lane in tree.iter(f"{{{BPMN}}}lane"):
        lane_name = (lane.get("name") or "").strip()
        code = groups.get(lane_name)
        if code is None:
            known = ", ".join(sorted(set(groups.values())))
            problems.append(
                Problem(
                    f"lane '{lane_name}' names no known group (known: {known})",
                    file=name,
                    line=lane.sourceline,
                    element=lane.get("id"),
                )
            )
        else:
            lanes[lane_name] = code
    return problems


def _expressions(tree, name: str) -> list[Problem]:
    found: list[tuple[etree._Element, str, str]] = []  # node, mode, timer kind
    for tag in ("conditionExpression", "completionCondition", "loopCardinality", "messagePath", "condition"):
        found += [(n, "eval", "") for n in tree.iter(f"{{{BPMN}}}{tag}")]
    for tag, kind in timers.KINDS.items():
        found += [(n, "eval", kind) for n in tree.iter(f"{{{BPMN}}}{tag}")]
    found += [(n, "exec", "") for n in tree.iter(f"{{{BPMN}}}script")]
    found += [(n, "exec", "") for n in tree.iter(f"{{{SPIFF}}}preScript", f"{{{SPIFF}}}postScript")]
    problems = []
    for node, mode, kind in found:
        source = (node.text or "").strip()
        if not source:
            if kind:
                problems.append(
                    Problem(
                        f"timer {kind} is empty", file=name, line=node.sourceline, element=_element_of(node)
                    )
                )
            continue
        for err in sandbox.check(source, mode):
            line = node.sourceline + (err.lineno - 1 if err.lineno else 0)
            problems.append(
                Problem(f"expression refused: {err.message}", file=name, line=line, element=_element_of(node))
            )
        if kind:
            message = timers.check_literal(source, kind)
            if message:
                problems.append(Problem(message, file=name, line=node.sourceline, element=_element_of(node)))
    return problems


CASE_STATUSES = range(1, 16)  # the public status codes of a case (domain.md §3)


def _case_marks(tree, name: str) -> list[Problem]:
    """`caseStatus` marks must name a status code; `casePause` goes with 9 (特别程序开始)."""
    problems = []
    for prop in tree.iter(f"{{{SPIFF}}}property"):
        where = dict(file=name, line=prop.sourceline, element=_element_of(prop))
        if prop.get("name") == "caseStatus":
            value = (prop.get("value") or "").strip()
            if not value.isdigit() or int(value) not in CASE_STATUSES:
                problems.append(Problem(f"caseStatus '{value}' is not a case status code (1–15)", **where))
        elif prop.get("name") == "casePause":
            siblings = {p.get("name"): p.get("value") for p in prop.getparent()}
            if siblings.get("caseStatus") != "9":
                problems.append(
                    Problem("casePause names the kind of a 特别程序: use it with caseStatus 9", **where)
                )
    return problems


def _forms(tree, name: str, unit: Unit, forms_dir: Path, snapshot: dict[str, dict]) -> list[Problem]:
    problems = []
    for prop in tree.iter(f"{{{SPIFF}}}property"):
        if prop.get("name") not in FORM_PROPERTIES:
            continue
        form_name = (prop.get("value") or "").strip()
        where = dict(file=name, line=prop.sourceline, element=_element_of(prop))
        if form_name in snapshot:
            continue
        if not form_name or "/" in form_name or "\\" in form_name or form_name.startswith("."):
            problems.append(Problem(f"form name '{form_name}' is not a plain file name", **where))
            continue
        raw = unit.forms.get(form_name)
        if raw is None and (forms_dir / form_name).is_file():
            raw = (forms_dir / form_name).read_bytes()
        if raw is None:
            problems.append(
                Problem(
                    f"form '{form_name}' not found in the unit's forms/ nor in the repository's forms/",
                    **where,
                )
            )
            continue
        doc, form_problems = forms.load_schema(form_name, raw)
        for p in form_problems:
            p.element, p.line = where["element"], where["line"]
            p.message = f"form '{form_name}': {p.message}"
            p.file = name
        problems += form_problems
        if doc is not None:
            snapshot[form_name] = doc
    return problems


def _catalog(raw: bytes | None, group_codes: set[str]) -> tuple[dict | None, list[Problem]]:
    if raw is None:
        return None, []
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [Problem("item.yaml is not UTF-8 text", file="item.yaml")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [
            Problem(
                f"item.yaml is not valid YAML: {getattr(exc, 'problem', exc)}",
                file="item.yaml",
                line=mark.line + 1 if mark else None,
            )
        ]
    if not isinstance(doc, dict):
        return None, [Problem("item.yaml must be a mapping of catalog fields", file="item.yaml")]
    problems = catalog.check(doc, group_codes)
    return (None if problems else catalog.defaults(doc)), problems


def _build(trees: dict[str, etree._ElementTree]) -> tuple[list[ParsedProcess], list[Problem]]:
    problems: list[Problem] = []
    parser = SpiffBpmnParser()  # XSD already checked above, with every error collected
    for name, tree in trees.items():
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            problems.append(_spiff_problem(exc, trees, name))
        except Exception as exc:  # noqa: BLE001 - never let a raw parser error reach the user
            problems.append(Problem(f"cannot read the diagram: {type(exc).__name__}: {exc}", file=name))
    processes = []
    for pid, process_parser in list(parser.process_parsers.items()):  # building adds embedded subprocesses
        if not process_parser.process_executable:
            continue
        try:
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
            timer_start = any(_is_timer_start(ts) for ts in spec.task_specs.values())
            processes.append(
                ParsedProcess(pid, process_parser.get_name(), engine.specs_to_json(spec, subs), timer_start)
            )
        except ValidationException as exc:
            problems.append(_spiff_problem(exc, trees, process_parser.filename))
        except Exception as exc:  # noqa: BLE001
            problems.append(
                Problem(
                    f"cannot build process '{pid}': {type(exc).__name__}: {exc}",
                    file=process_parser.filename,
                    element=pid,
                )
            )
    return (processes if not problems else []), problems


def _is_timer_start(task_spec) -> bool:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

    return isinstance(task_spec, StartEvent) and isinstance(task_spec.event_definition, TimerEventDefinition)


def _spiff_problem(exc: ValidationException, trees: dict, default_file: str | None) -> Problem:
    file = exc.file_name or default_file
    line = exc.line_number or None
    element = getattr(exc, "id", None) or None
    if not line and element and file in trees:
        hits = trees[file].getroot().xpath("//*[@id=$i]", i=element)
        line = hits[0].sourceline if hits else None
    return Problem(str(exc).split("\n")[0], file=file, line=line, element=element)
