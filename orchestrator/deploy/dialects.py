"""Other modelers' dialects translated into OneWindow's own extensions, in a parsed diagram, with a finding for
every change and for everything kept as documentation.

- Camunda 7, Flowable, Activiti: `candidateGroups` (→ the task's lane), `assignee` (documentation),
  `formKey` (→ a form of the unit by that name), `camunda:formField` (→ a JSON Schema form);
- Flowable, Activiti: `formProperty` (→ a JSON Schema form);
- Camunda 8 / Zeebe: `zeebe:assignmentDefinition` (as above), `zeebe:formDefinition` with an embedded
  form-js `zeebe:userTaskForm` or a linked `.form` file (→ JSON Schema plus uiSchema, `dialect_forms`);
- JUEL and FEEL conditions (→ sandbox expressions, `expressions`);
- service tasks with no implementation, data stores, Zeebe multi-instance loops (`dialect_tasks`);
- BPMN's `potentialOwner` with a role name (→ the task's lane, as a candidate group);
- data objects and the process's own inputs and outputs named for their variable (names with spaces too), and
  task ports that only carry them (`dialect_data`);
- Trisotech's input bindings (→ the step's pre-script, `dialect_mappings`);
- Zeebe input and output mappings (→ the step's pre- and post-script, `dialect_mappings`);
- lanes named after a role: `--map-lane NAME=GROUP` renames them to the group (the old name stays as the
  lane's documentation).

Other vendors' extension elements stay in the file and are ignored; DI and layout are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from orchestrator.bpmn.namespaces import ACTIVITI, BPMN, CAMUNDA, ENGINE_NAMESPACES, FLOWABLE, SPIFF, ZEEBE
from orchestrator.core.i18n import Message, _
from orchestrator.deploy import dialect_data, dialect_forms, dialect_mappings, dialect_tasks, expressions

OURS = (
    BPMN,
    SPIFF,
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace",
)
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF, "zeebe": ZEEBE}
FORM_PROPERTY = "formJsonSchemaFilename"
ASSIGNEE_PROPERTY = "assigneeVariable"  # the step goes to the user this variable names (runtime/instances)
UI_PROPERTY = "formUiSchemaFilename"


@dataclass
class Finding:
    """One line of an import's report: `kind` is translated, documentation or fix (still to fix)."""

    kind: str
    message: Message | str
    file: str | None = None
    line: int | None = None
    element: str | None = None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "message": str(self.message),
            "file": self.file,
            "line": self.line,
            "element": self.element,
        }


class Context:
    """What a translation reads and adds: the unit's forms (by file name), the lanes mapped on the command
    line (name → group code, and which were used) and every group by code or display name."""

    def __init__(self, forms: dict[str, bytes], lane_map: dict[str, str], groups: dict[str, str]):
        self.forms = forms
        self.lane_map = lane_map
        self.groups = groups
        self.used_lanes: set[str] = set()
        self.names: dict[str, str] = {}  # the diagram's data names with spaces → their variables

    def group_of(self, name: str) -> str | None:
        self.used_lanes.update({name} & set(self.lane_map))
        return self.lane_map.get(name) or self.groups.get(name)


def documentation_only() -> Message:
    return _("no executable process: imported as documentation (mark a pool executable to run it)")


def translate(tree: etree._ElementTree, file: str, ctx: Context) -> list[Finding]:
    """Translate one diagram in place; the findings say what changed and what is left."""
    findings: list[Finding] = []
    root = tree.getroot()
    ctx.names = dialect_data.names(root)  # read before the data is renamed by them
    processes = root.findall("bpmn:process", NS)
    if processes and not any(p.get("isExecutable", "true") == "true" for p in processes):
        findings.append(Finding("documentation", documentation_only(), file))
    for process in processes:
        if process.get("isExecutable", "true") != "true" and len(processes) > 1:
            findings.append(
                Finding(
                    "documentation",
                    _(
                        "pool '{name}' is not executable: kept and drawn, not run",
                        name=process.get("name") or process.get("id"),
                    ),
                    file,
                    process.sourceline,
                    process.get("id"),
                )
            )
        findings += _lanes(process, file, ctx)
        for task in process.iter(f"{{{BPMN}}}userTask"):
            findings += _user_task(process, task, file, ctx)
    for node in root.iter(f"{{{BPMN}}}conditionExpression", f"{{{BPMN}}}condition"):
        findings += _condition(node, file, ctx.names)
    translated = (
        dialect_tasks.translate(root)
        + dialect_mappings.trisotech_bindings(root, ctx.names)
        + dialect_data.translate(root)
        + dialect_mappings.translate(root, ctx.names)
    )
    for kind, message, line, element in translated:
        findings.append(Finding(kind, message, file, line, element))
    findings += _foreign(root, file)
    return findings


def _where(node: etree._Element) -> tuple[int | None, str | None]:
    while node is not None and not node.get("id"):
        node = node.getparent()
    return (node.sourceline, node.get("id")) if node is not None else (None, None)


def _condition(node: etree._Element, file: str, names: dict[str, str]) -> list[Finding]:
    source = (node.text or "").strip()
    if not source:
        return []
    line, element = _where(node)
    t = expressions.translate(source, node.get("language"), names)
    if t.python is None:
        message = _(
            "condition '{source}' ({dialect}) has no safe translation: rewrite it as a sandbox expression",
            source=source,
            dialect=t.dialect,
        )
        return [Finding("fix", message, file, line, element)]
    if not t.changed:
        return []
    node.text = t.python
    message = _(
        "condition '{source}' ({dialect}) → {python}", source=source, dialect=t.dialect, python=t.python
    )
    return [Finding("translated", message, file, line, element)]


def _lanes(process: etree._Element, file: str, ctx: Context) -> list[Finding]:
    findings = []
    for lane in process.iter(f"{{{BPMN}}}lane"):
        name = (lane.get("name") or "").strip()
        if name not in ctx.lane_map:
            continue
        code = ctx.group_of(name)
        lane.set("name", code or name)
        doc = etree.Element(f"{{{BPMN}}}documentation")
        doc.text = name
        lane.insert(0, doc)
        message = _("lane '{lane}' → group '{group}'", lane=name, group=code)
        findings.append(Finding("translated", message, file, lane.sourceline, lane.get("id")))
    return findings


def _attr(task: etree._Element, name: str) -> str | None:
    for ns in ENGINE_NAMESPACES:
        value = task.get(f"{{{ns}}}{name}")
        if value and value.strip():
            return value.strip()
    return None


def _names(value: str) -> list[str]:
    """`a, b` or FEEL's `=["a","b"]` → the names."""
    value = value.strip().lstrip("=").strip().strip("[]")
    return [v.strip().strip("\"'") for v in value.split(",") if v.strip().strip("\"'")]


def _user_task(process: etree._Element, task: etree._Element, file: str, ctx: Context) -> list[Finding]:
    findings = []
    tid, line = task.get("id"), task.sourceline
    assignment = task.find("bpmn:extensionElements/zeebe:assignmentDefinition", NS)
    candidates = (
        _attr(task, "candidateGroups")
        or (assignment.get("candidateGroups") if assignment is not None else None)
        or _potential_owner(task)
    )
    assignee = _attr(task, "assignee") or (assignment.get("assignee") if assignment is not None else None)
    if candidates:
        findings += _candidate_lane(process, task, _names(candidates), file, ctx)
    variable = _assignee_variable(assignee or "")
    if variable and _property(task, ASSIGNEE_PROPERTY) == variable:
        pass  # translated on an earlier import (an exported draft read back)
    elif variable:
        set_property(task, ASSIGNEE_PROPERTY, variable)
        message = _(
            "assignee '{assignee}' → the step goes to the user named by the variable {variable}",
            assignee=assignee,
            variable=variable,
        )
        findings.append(Finding("translated", message, file, line, tid))
    elif assignee:
        message = _(
            "assignee '{assignee}' kept as documentation: a step is offered to its lane's group and a clerk claims it",
            assignee=assignee,
        )
        findings.append(Finding("documentation", message, file, line, tid))
    if _property(task, FORM_PROPERTY) is None:
        findings += _form(process, task, file, ctx)
    return findings


def _assignee_variable(value: str) -> str | None:
    """The variable an assignee expression reads (`${approver}`, `#{approver}`, `= approver`), if it is one."""
    value = value.strip()
    if value[:2] in ("${", "#{") and value.endswith("}"):
        value = value[2:-1].strip()
    elif value.startswith("="):
        value = value[1:].strip()
    else:
        return None
    return value if dialect_data.is_variable(value) else None


def _potential_owner(task: etree._Element) -> str | None:
    """BPMN's own way (Trisotech, Bizagi): `potentialOwner` with a plain role name as its expression."""
    text = task.findtext(
        "bpmn:potentialOwner/bpmn:resourceAssignmentExpression/bpmn:formalExpression", None, NS
    )
    names = _names(text or "")
    return ", ".join(names) if names and all(dialect_data.is_variable(n) for n in names) else None


def _lane_of(process: etree._Element, task_id: str) -> etree._Element | None:
    for lane in process.iter(f"{{{BPMN}}}lane"):
        if any((ref.text or "").strip() == task_id for ref in lane.findall("bpmn:flowNodeRef", NS)):
            return lane
    return None


def _candidate_lane(
    process: etree._Element, task: etree._Element, names: list[str], file: str, ctx: Context
) -> list[Finding]:
    tid, line = task.get("id"), task.sourceline
    lane = _lane_of(process, tid)
    if lane is not None:
        message = _(
            "candidate groups {groups} kept as documentation: the lane '{lane}' decides who does the step",
            groups=", ".join(names),
            lane=lane.get("name"),
        )
        return [Finding("documentation", message, file, line, tid)]
    if not names:
        return []
    code = ctx.group_of(names[0]) or names[0]
    lane_set = process.find("bpmn:laneSet", NS)
    if lane_set is None:
        lane_set = etree.Element(f"{{{BPMN}}}laneSet", id=_fresh_id(process, "LaneSet_imported"))
        process.insert(_lane_set_index(process), lane_set)
    lane = next((n for n in lane_set.findall("bpmn:lane", NS) if n.get("name") == code), None)
    if lane is None:
        lane = etree.SubElement(lane_set, f"{{{BPMN}}}lane", id=_fresh_id(process, f"Lane_{len(lane_set)}"))
        lane.set("name", code)
    etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = tid
    findings = [
        Finding(
            "translated",
            _("candidate group '{group}' → lane '{lane}'", group=names[0], lane=code),
            file,
            line,
            tid,
        )
    ]
    if len(names) > 1:
        message = _(
            "candidate groups {groups} kept as documentation: a step is offered to one group",
            groups=", ".join(names[1:]),
        )
        findings.append(Finding("documentation", message, file, line, tid))
    return findings


def _lane_set_index(process: etree._Element) -> int:
    heads = (  # what BPMN's schema puts before a process's lane set
        "documentation",
        "extensionElements",
        "supportedInterfaceRef",
        "ioSpecification",
        "ioBinding",
        "auditing",
        "monitoring",
        "property",
    )
    index = 0
    for i, child in enumerate(process):
        if isinstance(child.tag, str) and etree.QName(child).localname in heads:
            index = i + 1
    return index


def _fresh_id(scope: etree._Element, wanted: str) -> str:
    taken = {n.get("id") for n in scope.getroottree().iter() if isinstance(n.tag, str)}
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}_{n}"
    return candidate


def _property(task: etree._Element, name: str) -> str | None:
    for prop in task.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS):
        if prop.get("name") == name:
            return prop.get("value")
    return None


def set_property(task: etree._Element, name: str, value: str) -> None:
    """Set a `spiffworkflow:property` of an element (OneWindow's and SpiffArena's extension)."""
    ext = task.find("bpmn:extensionElements", NS)
    if ext is None:
        ext = etree.Element(f"{{{BPMN}}}extensionElements")
        docs = task.findall("bpmn:documentation", NS)
        task.insert(len(docs), ext)
    props = ext.find("spiffworkflow:properties", NS)
    if props is None:
        props = etree.SubElement(ext, f"{{{SPIFF}}}properties", nsmap={"spiffworkflow": SPIFF})
    for prop in props.findall("spiffworkflow:property", NS):
        if prop.get("name") == name:
            prop.set("value", value)
            return
    etree.SubElement(props, f"{{{SPIFF}}}property", name=name, value=value)


def _form(process: etree._Element, task: etree._Element, file: str, ctx: Context) -> list[Finding]:
    tid, line = task.get("id"), task.sourceline
    fields = task.findall(f"bpmn:extensionElements/{{{CAMUNDA}}}formData/{{{CAMUNDA}}}formField", NS)
    if fields:
        schema = dialect_forms.from_camunda_fields(fields, task.get("name") or tid)
        return _add_form(task, schema, None, file, ctx, _("form fields (camunda:formField)"))
    properties = [
        p
        for ns in (FLOWABLE, ACTIVITI)
        for p in task.findall(f"bpmn:extensionElements/{{{ns}}}formProperty", NS)
    ]
    if properties:
        schema = dialect_forms.from_form_properties(properties, task.get("name") or tid)
        return _add_form(task, schema, None, file, ctx, _("form properties (formProperty)"))
    definition = task.find("bpmn:extensionElements/zeebe:formDefinition", NS)
    embedded, what = None, _("embedded form-js form (zeebe:userTaskForm)")
    key = _attr(task, "formKey")
    if definition is not None:
        key = definition.get("formKey") or definition.get("formId") or key
        ref = (definition.get("formKey") or "").rsplit(":", 1)[-1]
        for form in process.iterfind("bpmn:extensionElements/zeebe:userTaskForm", NS):
            if form.get("id") == ref:
                embedded = form.text or ""
        linked = dialect_forms.linked_form_js(definition.get("formId") or "", ctx.forms)
        if embedded is None and linked is not None:
            embedded = linked[1]
            what = _("linked form-js form {file} (zeebe:formDefinition formId)", file=linked[0])
    if embedded is not None:
        try:
            schema, ui = dialect_forms.from_form_js(embedded, task.get("name") or tid, ctx.names)
        except ValueError as exc:
            message = _("the form of '{task}' cannot be read: {detail}", task=tid, detail=str(exc))
            return [Finding("fix", message, file, line, tid)]
        return _add_form(task, schema, ui, file, ctx, what)
    if not key:
        return []
    found = dialect_forms.unit_form_for(key, ctx.forms)
    if found:
        set_property(task, FORM_PROPERTY, found)
        message = _("form key '{key}' → form {form}", key=key, form=found)
        return [Finding("translated", message, file, line, tid)]
    message = _(
        "form key '{key}' kept as documentation: the unit has no form of that name, so the step has no form "
        "until one is drawn in the form designer",
        key=key,
    )
    return [Finding("documentation", message, file, line, tid)]


def _add_form(
    task: etree._Element, schema: dict, ui: dict | None, file: str, ctx: Context, what: Message
) -> list[Finding]:
    tid = task.get("id") or "form"
    name = dialect_forms.free_name(f"{tid}.schema.json", ctx.forms)
    ctx.forms[name] = dialect_forms.dump(schema)
    set_property(task, FORM_PROPERTY, name)
    if ui:
        ui_name = dialect_forms.free_name(f"{tid}.uischema.json", ctx.forms)
        ctx.forms[ui_name] = dialect_forms.dump(ui)
        set_property(task, UI_PROPERTY, ui_name)
    message = _("{what} → form {form}", what=what, form=name)
    return [Finding("translated", message, file, task.sourceline, tid)]


def _foreign(root: etree._Element, file: str) -> list[Finding]:
    """One documentation line per other vendor's namespace used in the file."""
    seen: dict[str, int] = {}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        spaces = [etree.QName(node).namespace] + [etree.QName(a).namespace for a in node.attrib]
        for ns in spaces:
            if ns and ns not in OURS:
                seen[ns] = seen.get(ns, 0) + 1
    return [
        Finding(
            "documentation",
            _("{count} extension(s) of {namespace} stay in the file as written", count=count, namespace=ns),
            file,
        )
        for ns, count in sorted(seen.items())
    ]
