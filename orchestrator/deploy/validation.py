"""Everything checked before a unit is stored; every problem is collected and reported at once.

Order: hardened XML parse → XSD → structure (flow references, gateway conditions, lanes, forms,
expressions in the sandbox, timers; decision tables and the business rule tasks calling them, in
`decisions`) → SpiffWorkflow builds a spec for every executable process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from orchestrator.bpmn import engine, sandbox, services, timers, xmlsafe
from orchestrator.bpmn.namespaces import BPMN, SPIFF
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import Listing, Message, _
from orchestrator.deploy import decisions as dmn
from orchestrator.deploy import extensions, forms, process_tests
from orchestrator.deploy.units import Unit

NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")


def not_executable() -> Message:
    return _('not executable: no executable process (isExecutable="true") in the unit')


def executable_processes(tree: etree._ElementTree) -> list[etree._Element]:
    """The diagram's executable processes (BPMN's isExecutable; absent means executable, as SpiffWorkflow
    reads it)."""
    return [p for p in tree.getroot().findall("bpmn:process", NS) if p.get("isExecutable", "true") == "true"]


@contextmanager
def executable_only(tree: etree._ElementTree) -> Iterator[None]:
    """While the checks run, the non-executable pools of a collaboration are set aside: they are drawn and
    kept, as documentation, but nobody runs them, so their lanes and gateways are not checked."""
    root = tree.getroot()
    away = [
        (p, root.index(p))
        for p in root.findall("bpmn:process", NS)
        if p.get("isExecutable", "true") != "true"
    ]
    for p, _index in away:
        root.remove(p)
    try:
        yield
    finally:
        for p, index in away:
            root.insert(index, p)


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
    tests: dict[str, dict] = field(default_factory=dict)  # tests/<name> → the test
    problems: list[Problem] = field(default_factory=list)


def validate(unit: Unit, groups: dict[str, str], forms_dir: Path, max_bytes: int) -> ParsedUnit:
    """Validate a unit; raise InvalidInput listing every problem, or return what to store."""
    parsed = inspect(unit, groups, forms_dir, max_bytes)
    if parsed.problems:
        raise InvalidInput(parsed.problems)
    return parsed


def inspect(unit: Unit, groups: dict[str, str], forms_dir: Path, max_bytes: int) -> ParsedUnit:
    """Every problem of a unit, and what of it can be stored: with problems, no process is built (an import
    keeps such a unit as a draft to fix)."""
    problems: list[Problem] = []
    trees: dict[str, etree._ElementTree] = {}
    for name, data in sorted(unit.bpmn.items()):
        try:
            tree = xmlsafe.parse(data, max_bytes)
        except xmlsafe.UnsafeXml as exc:
            problems.append(Problem(exc.message, file=name, line=exc.line))
            continue
        _normalize_timers(tree)
        xsd_problems = _xsd(tree, name)
        problems += xsd_problems
        if not xsd_problems:
            trees[name] = tree

    decisions: dict[str, etree._ElementTree] = {}
    for name, data in sorted(unit.dmn.items()):
        try:
            decisions[name] = xmlsafe.parse(data, max_bytes)
        except xmlsafe.UnsafeXml as exc:
            problems.append(Problem(exc.message, file=name, line=exc.line))
    with ExitStack() as documentation_aside:
        for tree in trees.values():
            documentation_aside.enter_context(executable_only(tree))
        problems += dmn.check(decisions, trees, all_read=len(decisions) == len(unit.dmn))

    entry, catalog_problems = _catalog(unit.item_yaml, set(groups.values()))
    problems += catalog_problems
    tests: dict[str, dict] = {}
    for name, raw in sorted(unit.tests.items()):
        test, test_problems = process_tests.load(name, raw)
        problems += test_problems
        if test is not None:
            tests[name] = test

    snapshot: dict[str, dict] = {}
    lanes: dict[str, str] = {}
    if trees and not any(executable_processes(tree) for tree in trees.values()):
        problems.insert(0, Problem(not_executable(), file=next(iter(trees))))
        trees = {}
    for name, tree in trees.items():
        with executable_only(tree):
            problems += _structure(tree, name)
            problems += _event_subprocess_starts(tree, name)
            problems += _lanes(tree, name, groups, lanes)
            problems += _expressions(tree, name)
            problems += _working_days(tree, name)
            problems += _forms(tree, name, unit, forms_dir, snapshot)
            for check in extensions.diagram_checks():
                problems += check(tree, name)

    processes: list[ParsedProcess] = []
    if trees and not problems:
        runnable = {name: timers.compile_working_days(tree) for name, tree in trees.items()}
        processes, spiff_problems = _build(runnable, decisions)
        problems += spiff_problems
        if not processes and not spiff_problems:
            problems.append(Problem(not_executable()))
    if entry and processes and entry.get("process") not in (None, *[p.key for p in processes]):
        problems.append(
            Problem(
                _(
                    "item.yaml names process '{process}', which the diagrams do not define",
                    process=entry.get("process"),
                ),
                file="item.yaml",
            )
        )
    files: dict[str, str] = {}
    for n, d in sorted({**unit.bpmn, **unit.dmn}.items()):
        try:
            files[n] = d.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(_("the file is not UTF-8 text: save it as UTF-8"), file=n))
    snapshot = {name: extensions.prepare_form(entry, doc) for name, doc in snapshot.items()}
    return ParsedUnit(
        checksum=_checksum(unit, snapshot, entry, tests),
        processes=processes if not problems else [],
        files=files,
        forms=snapshot,
        lanes=lanes,
        catalog=entry,
        tests=tests,
        problems=problems,
    )


def _checksum(unit: Unit, snapshot: dict[str, dict], entry: dict | None, tests: dict[str, dict]) -> str:
    """Equal for equal content: the catalog entry, tests and forms by what they say, not how the file is
    written, so a stored version saved again unchanged (the studio rewrites item.yaml) is "unchanged"."""
    digest = hashlib.sha256()
    parts = [(f"bpmn/{n}", d) for n, d in unit.bpmn.items()]
    parts += [(f"dmn/{n}", d) for n, d in unit.dmn.items()]
    parts += [(f"tests/{n}", _canonical(test)) for n, test in tests.items()]
    if entry is not None:
        parts.append(("item.yaml", _canonical(entry)))
    parts += [(f"forms/{n}", _canonical(doc)) for n, doc in snapshot.items()]
    for name, data in sorted(parts):
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def _canonical(doc: dict) -> bytes:
    import json

    return json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()


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


def _xsd_message(message: str) -> Message:
    message = message.replace(f"{{{BPMN}}}", "bpmn:").replace(f"{{{SPIFF}}}", "spiffworkflow:")
    return _("not valid BPMN 2.0: {detail}", detail=message)


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
                            _(
                                "sequence flow {end} '{ref}' names no element of the process",
                                end=end,
                                ref=flow.get(end),
                            ),
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
                            _(
                                "flow '{flow}' leaves gateway '{gateway}' without a condition: "
                                "add a condition or make it the gateway's default flow",
                                flow=flow.get("name") or flow.get("id"),
                                gateway=gateway.get("id"),
                            ),
                            file=name,
                            line=flow.sourceline,
                            element=flow.get("id"),
                        )
                    )
    return problems


def _event_subprocess_starts(tree: etree._ElementTree, name: str) -> list[Problem]:
    """An event sub-process started by compensation cannot run here (the engine would start it with the
    process): refused, with what works instead. Error and escalation starts run (`services.StartEventParser`)."""
    problems = []
    for start in tree.getroot().xpath(
        "//bpmn:subProcess[@triggeredByEvent='true']/bpmn:startEvent[bpmn:compensateEventDefinition]",
        namespaces=NS,
    ):
        problems.append(
            Problem(
                _(
                    "the engine cannot start an event sub-process on compensation (it would start with the "
                    "process): use an error, escalation, message, signal or timer start"
                ),
                file=name,
                line=start.sourceline,
                element=start.get("id"),
            )
        )
    return problems


def _lanes(tree, name: str, groups: dict[str, str], lanes: dict[str, str]) -> list[Problem]:
    problems = []
    for lane in tree.iter(f"{{{BPMN}}}lane"):
        lane_name = (lane.get("name") or "").strip()
        code = groups.get(lane_name)
        if code is None:
            known = Listing(sorted(set(groups.values())))
            problems.append(
                Problem(
                    _("lane '{lane}' names no known group (known: {known})", lane=lane_name, known=known),
                    file=name,
                    line=lane.sourceline,
                    element=lane.get("id"),
                )
            )
        else:
            lanes[lane_name] = code
    return problems


EXPRESSION_KINDS = ("condition", "script", "duration", "date", "cycle")


def expression_problems(source: str, kind: str = "condition") -> list[Problem]:
    """The problems of one expression as an analyst types it (a gateway condition, a script, or a timer
    written as modelers write them), checked as deploy checks it."""
    if kind not in EXPRESSION_KINDS:
        return [Problem(_("kind must be one of {kinds}", kinds=Listing(EXPRESSION_KINDS)), field="kind")]
    source = (source or "").strip()
    if not source:
        if kind in ("condition", "script"):
            return [Problem(_("the expression is empty"), field="source")]
        return [Problem(_("{timer} is empty", timer=timers.NAMES[kind]), field="source")]
    if kind not in ("condition", "script"):
        source = timers.normalize(source)
    problems = [
        Problem(_("expression refused: {problem}", problem=err.message), line=err.lineno, field="source")
        for err in sandbox.check(source, "exec" if kind == "script" else "eval")
    ]
    if kind not in ("condition", "script") and not problems:
        message = timers.check_literal(source, kind)
        if message:
            problems.append(Problem(message, field="source"))
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
            if mode == "exec":
                problems.append(
                    Problem(
                        _("the script is empty: write the script, or use a task of another kind"),
                        file=name,
                        line=node.sourceline,
                        element=xmlsafe.element_of(node),
                    )
                )
            elif kind:
                problems.append(
                    Problem(
                        _("{timer} is empty", timer=timers.NAMES[kind]),
                        file=name,
                        line=node.sourceline,
                        element=xmlsafe.element_of(node),
                    )
                )
            continue
        for err in sandbox.check(source, mode):
            line = node.sourceline + (err.lineno - 1 if err.lineno else 0)
            problems.append(
                Problem(
                    _("expression refused: {problem}", problem=err.message),
                    file=name,
                    line=line,
                    element=xmlsafe.element_of(node),
                )
            )
        if kind:
            message = timers.check_literal(source, kind)
            if message:
                problems.append(
                    Problem(message, file=name, line=node.sourceline, element=xmlsafe.element_of(node))
                )
    return problems


def _working_days(tree, name: str) -> list[Problem]:
    problems = []
    for event, value, timer in timers.working_day_timers(tree):
        message = timers.working_days_problem(value, timer)
        if message:
            element = event.get("id")
            problems.append(Problem(message, file=name, line=event.sourceline, element=element))
    return problems


def _forms(tree, name: str, unit: Unit, forms_dir: Path, snapshot: dict[str, dict]) -> list[Problem]:
    problems = []
    for prop in tree.iter(f"{{{SPIFF}}}property"):
        if prop.get("name") not in FORM_PROPERTIES:
            continue
        form_name = (prop.get("value") or "").strip()
        where = dict(file=name, line=prop.sourceline, element=xmlsafe.element_of(prop))
        if form_name in snapshot:
            continue
        if not form_name or "/" in form_name or "\\" in form_name or form_name.startswith("."):
            problems.append(
                Problem(_("form name '{form}' is not a plain file name", form=form_name), **where)
            )
            continue
        raw = unit.forms.get(form_name)
        if raw is None and (forms_dir / form_name).is_file():
            raw = (forms_dir / form_name).read_bytes()
        if raw is None:
            problems.append(
                Problem(
                    _(
                        "form '{form}' not found in the unit's forms/ nor in the repository's forms/",
                        form=form_name,
                    ),
                    **where,
                )
            )
            continue
        doc, form_problems = forms.load_schema(form_name, raw)
        if doc is not None:
            doc, included = forms.include(doc, lambda ref: _shared(ref, unit, forms_dir))
            form_problems += included
            if included:
                doc = None
        for p in form_problems:
            p.element, p.line = where["element"], where["line"]
            p.message = _("form '{form}': {problem}", form=form_name, problem=p.message)
            p.file = name
        problems += form_problems
        if doc is not None:
            snapshot[form_name] = doc
    return problems


def _shared(name: str, unit: Unit, forms_dir: Path) -> dict | None:
    """A form another form includes: the unit's own, else the repository's shared one."""
    raw = unit.forms.get(name)
    if raw is None and (forms_dir / name).is_file():
        raw = (forms_dir / name).read_bytes()
    doc, problems = forms.load_schema(name, raw) if raw is not None else (None, [])
    return doc if not problems else None


def _catalog(raw: bytes | None, group_codes: set[str]) -> tuple[dict | None, list[Problem]]:
    if raw is None:
        return None, []
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [Problem(_("item.yaml is not UTF-8 text"), file="item.yaml")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [
            Problem(
                _("item.yaml is not valid YAML: {detail}", detail=str(getattr(exc, "problem", None) or exc)),
                file="item.yaml",
                line=mark.line + 1 if mark else None,
            )
        ]
    if not isinstance(doc, dict):
        return None, [Problem(_("item.yaml must be a mapping of catalog fields"), file="item.yaml")]
    check = extensions.catalog_check()
    if check is None:
        return None, [Problem(_("this installation has no catalog schema for item.yaml"), file="item.yaml")]
    entry, problems = check(doc, group_codes)
    lines = yaml_lines(raw.decode("utf-8"))
    for p in problems:
        p.line = p.line or _line_of(p.field, lines)
    return entry, problems


def yaml_lines(text: str) -> dict[str, int]:
    """Each key's and item's path (`materials[1].name`) → its line in the YAML text (1-based)."""
    found: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                found[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = f"{path}[{i}]"
                found[child] = item.start_mark.line + 1
                walk(item, child)

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return found
    if root is not None:
        walk(root, "")
    return found


def _line_of(field: str | None, lines: dict[str, int]) -> int | None:
    """The line of a field, or of the nearest enclosing one that is written (a missing key: its parent)."""
    while field:
        if field in lines:
            return lines[field]
        cut = max(field.rfind("."), field.rfind("["))
        field = field[:cut] if cut > 0 else ""
    return None


def _build(
    trees: dict[str, etree._ElementTree], decisions: dict[str, etree._ElementTree]
) -> tuple[list[ParsedProcess], list[Problem]]:
    problems: list[Problem] = []
    parser = services.Parser()  # XSD already checked above, with every error collected
    for name, tree in decisions.items():
        try:
            parser.add_dmn_xml(tree.getroot(), filename=name)
        except ValidationException as exc:
            problems.append(_spiff_problem(exc, {**trees, **decisions}, name))
        except Exception as exc:  # noqa: BLE001 - never let a raw parser error reach the user
            problems.append(
                Problem(_("cannot read the decision table: {detail}", detail=_detail(exc)), file=name)
            )
    for name, tree in trees.items():
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            problems.append(_spiff_problem(exc, trees, name))
        except Exception as exc:  # noqa: BLE001 - never let a raw parser error reach the user
            problems.append(Problem(_("cannot read the diagram: {detail}", detail=_detail(exc)), file=name))
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
                    _("cannot build process '{process}': {detail}", process=pid, detail=_detail(exc)),
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
    detail = str(exc).split("\n")[0]
    return Problem(
        _("the workflow engine refuses the diagram: {detail}", detail=detail),
        file=file,
        line=line,
        element=element,
    )


def _detail(exc: Exception) -> str:
    """A library's error, as it words it."""
    return f"{type(exc).__name__}: {exc}"
