"""What other modelers leave to their engine, translated into what SpiffWorkflow runs (part of `dialects`):

- a service task with no implementation (no operator, no Java class, expression or delegate, no connector,
  no Zeebe task definition, no BPMN operation) → OneWindow's `onewindow/record` operator, which only
  records the step; a service task with an implementation is left for the analyst to fix;
- a data store with no implementation here, or a data store reference naming no data store → OneWindow's
  `onewindow.instance` store, whose value lives with the instance's data;
- Zeebe's `zeebe:loopCharacteristics` (inputCollection / inputElement, outputCollection / outputElement as
  plain names) → BPMN's loopDataInputRef / inputDataItem (/ loopDataOutputRef / outputDataItem);
- a business rule task calling a decision Camunda's way (`camunda:decisionRef`, `zeebe:calledDecision
  decisionId`) → `spiffworkflow:calledDecisionId` (the table then lies beside the diagram as a .dmn file);
- a sub-process drawn collapsed with nothing inside → a start and an end joined by one flow, which is what
  BPMN says an empty sub-process does (it completes at once); SpiffWorkflow refuses one with no start.

Each rule returns its report lines as `(kind, message, line, element)`; `dialects` makes them findings.
"""

from __future__ import annotations

import re

from lxml import etree

from orchestrator.bpmn import services
from orchestrator.bpmn.namespaces import BPMN, ENGINE_NAMESPACES, SPIFF, ZEEBE
from orchestrator.core.i18n import Message, _

IMPLEMENTATIONS = ("class", "expression", "delegateExpression", "type")
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF, "zeebe": ZEEBE}
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
DECISION_ID = re.compile(r"[A-Za-z_][\w.\-]{0,199}\Z")

Line = tuple[str, Message, int | None, str | None]


def translate(root: etree._Element) -> list[Line]:
    """Translate a diagram in place; pools that are not executable are drawn, not run, and left as they are."""
    lines: list[Line] = []
    for process in root.findall("bpmn:process", NS):
        if process.get("isExecutable", "true") == "true":
            lines += _service_tasks(process) + _send_tasks(process) + _zeebe_loops(process)
            lines += _empty_sub_processes(process) + _called_decisions(process)
    return lines + _data_stores(root)


# --- service tasks ---------------------------------------------------------------------------------------


def implementation_of(task: etree._Element) -> str | None:
    """How another engine would run the service task (`camunda:delegateExpression="#{archive}"`), or None."""
    for ns in ENGINE_NAMESPACES:
        for attr in IMPLEMENTATIONS:
            value = (task.get(f"{{{ns}}}{attr}") or "").strip()
            if value:
                return f'{_prefix(task, ns)}:{attr}="{value}"'
        for ext in task.iterfind(f"bpmn:extensionElements/{{{ns}}}connector", NS):
            connector = (ext.findtext(f"{{{ns}}}connectorId") or "").strip()
            return f"{_prefix(task, ns)}:connector {connector}".strip()
    definition = task.find("bpmn:extensionElements/zeebe:taskDefinition", NS)
    if definition is not None:
        return f'zeebe:taskDefinition type="{definition.get("type") or ""}"'
    if (task.get("operationRef") or "").strip():
        return f'operationRef="{task.get("operationRef").strip()}"'
    return None


def _prefix(node: etree._Element, ns: str) -> str:
    return next((p for p, uri in node.nsmap.items() if uri == ns and p), ns)


def _service_tasks(process: etree._Element) -> list[Line]:
    lines: list[Line] = []
    for task in process.iter(f"{{{BPMN}}}serviceTask"):
        if task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS) is not None:
            continue
        tid, name = task.get("id"), label(task)
        how = implementation_of(task)
        if how is not None:
            message = _(
                "service task '{task}' is implemented by {implementation}, which OneWindow cannot call: set "
                "its operator (spiffworkflow:serviceTaskOperator) in the modeler, or remove the "
                "implementation to have the step only recorded",
                task=name,
                implementation=how,
            )
            lines.append(("fix", message, task.sourceline, tid))
            continue
        operator = etree.SubElement(
            _extensions(task), f"{{{SPIFF}}}serviceTaskOperator", nsmap={"spiffworkflow": SPIFF}
        )
        operator.set("id", services.RECORD)
        etree.SubElement(operator, f"{{{SPIFF}}}parameters")
        message = _(
            "service task '{task}' has no implementation → operator {operator}, which only records that the "
            "step ran (no system is called): set a real operator in the modeler if the step must call a system",
            task=name,
            operator=services.RECORD,
        )
        lines.append(("translated", message, task.sourceline, tid))
    return lines


def _send_tasks(process: etree._Element) -> list[Line]:
    """A send task another engine runs with a job worker sends nothing here: said, as documentation."""
    lines: list[Line] = []
    for task in process.iter(f"{{{BPMN}}}sendTask"):
        how = implementation_of(task)
        if how is None or task.find("bpmn:messageEventDefinition", NS) is not None:
            continue
        message = _(
            "send task '{task}' ({implementation}) sends nothing here: the step only passes; give it a "
            "message in the modeler to send one",
            task=label(task),
            implementation=how,
        )
        lines.append(("documentation", message, task.sourceline, task.get("id")))
    return lines


def label(node: etree._Element) -> str:
    """An element's name on one line, or its id: how the report names it."""
    return " ".join((node.get("name") or "").split()) or node.get("id") or ""


def _extensions(node: etree._Element) -> etree._Element:
    ext = node.find("bpmn:extensionElements", NS)
    if ext is None:
        ext = etree.Element(f"{{{BPMN}}}extensionElements")
        node.insert(len(node.findall("bpmn:documentation", NS)), ext)
    return ext


# --- decisions ------------------------------------------------------------------------------------------


def _called_decisions(process: etree._Element) -> list[Line]:
    lines: list[Line] = []
    for task in process.iter(f"{{{BPMN}}}businessRuleTask"):
        if task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS) is not None:
            continue
        zeebe = task.find("bpmn:extensionElements/zeebe:calledDecision", NS)
        written, result = None, None
        if zeebe is not None:
            written, result = zeebe.get("decisionId"), zeebe.get("resultVariable")
        for ns in ENGINE_NAMESPACES:
            written = written or task.get(f"{{{ns}}}decisionRef")
            result = result or task.get(f"{{{ns}}}resultVariable")
        decision, result = (written or "").strip(), (result or "").strip()
        if not decision:
            continue
        if not DECISION_ID.match(decision):
            message = _(
                "business rule task '{task}' calls decision '{decision}', which is not a plain decision id: "
                "pick the decision in the modeler",
                task=label(task),
                decision=decision,
            )
            lines.append(("fix", message, task.sourceline, task.get("id")))
            continue
        called = etree.SubElement(
            _extensions(task), f"{{{SPIFF}}}calledDecisionId", nsmap={"spiffworkflow": SPIFF}
        )
        called.text = decision
        message = _(
            "business rule task '{task}' calls decision '{decision}' → spiffworkflow:calledDecisionId; the "
            "table's outputs go into the step's data by their names{result}",
            task=label(task),
            decision=decision,
            result=_(" (not under '{name}')", name=result) if result else "",
        )
        lines.append(("translated", message, task.sourceline, task.get("id")))
    return lines


# --- empty sub-processes ---------------------------------------------------------------------------------

_NOT_FLOW_NODES = {
    "documentation",
    "extensionElements",
    "auditing",
    "monitoring",
    "categoryValueRef",
    "incoming",
    "outgoing",
    "ioSpecification",
    "property",
    "dataInputAssociation",
    "dataOutputAssociation",
    "resourceRole",
    "performer",
    "humanPerformer",
    "potentialOwner",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
    "laneSet",
    "textAnnotation",
    "association",
    "group",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
}
_ARTIFACTS = ("textAnnotation", "association", "group")


def _empty_sub_processes(process: etree._Element) -> list[Line]:
    root = process.getroottree().getroot()
    lines: list[Line] = []
    for sub in list(process.iter(f"{{{BPMN}}}subProcess", f"{{{BPMN}}}transaction")):
        if sub.get("triggeredByEvent") == "true":
            continue
        inside = [c for c in sub if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN]
        if any(etree.QName(c).localname not in _NOT_FLOW_NODES for c in inside):
            continue
        sid = sub.get("id") or "SubProcess"
        start = etree.Element(f"{{{BPMN}}}startEvent", id=_fresh_id(root, f"{sid}_start"))
        end = etree.Element(f"{{{BPMN}}}endEvent", id=_fresh_id(root, f"{sid}_end"))
        at = next(
            (
                i
                for i, c in enumerate(sub)
                if isinstance(c.tag, str) and etree.QName(c).localname in _ARTIFACTS
            ),
            len(sub),
        )
        sub.insert(at, start)
        sub.insert(at + 1, end)
        flow = etree.Element(f"{{{BPMN}}}sequenceFlow", id=_fresh_id(root, f"{sid}_through"))
        flow.set("sourceRef", start.get("id"))
        flow.set("targetRef", end.get("id"))
        sub.insert(at + 2, flow)
        etree.SubElement(start, f"{{{BPMN}}}outgoing").text = flow.get("id")
        etree.SubElement(end, f"{{{BPMN}}}incoming").text = flow.get("id")
        message = _(
            "sub-process '{name}' is drawn with nothing inside → a start and an end: it completes at once, as "
            "BPMN says an empty sub-process does; draw its steps in the modeler if it should do something",
            name=label(sub),
        )
        lines.append(("translated", message, sub.sourceline, sid))
    return lines


# --- data stores -----------------------------------------------------------------------------------------


def _data_stores(root: etree._Element) -> list[Line]:
    lines: list[Line] = []
    for store in root.findall("bpmn:dataStore", NS):
        name = (store.get("name") or "").strip()
        if name in services.Parser.DATA_STORE_CLASSES:
            continue
        _rename_store(store, name)
        lines.append(
            ("translated", _store_message(name or store.get("id") or ""), store.sourceline, store.get("id"))
        )
    stores = {s.get("id") for s in root.findall("bpmn:dataStore", NS)}
    used = {
        (ref.text or "").strip()
        for ref in root.iter(f"{{{BPMN}}}sourceRef", f"{{{BPMN}}}targetRef")
        if etree.QName(ref.getparent()).localname in ("dataInputAssociation", "dataOutputAssociation")
    }
    for ref in root.iter(f"{{{BPMN}}}dataStoreReference"):
        if ref.get("dataStoreRef") in stores or ref.get("id") not in used:
            continue
        store = etree.Element(f"{{{BPMN}}}dataStore", id=_fresh_id(root, f"DataStore_{ref.get('id')}"))
        name = label(ref)
        _rename_store(store, name)
        root.insert(_first_process_index(root), store)
        ref.set("dataStoreRef", store.get("id"))
        stores.add(store.get("id"))
        lines.append(("translated", _store_message(name), ref.sourceline, ref.get("id")))
    return lines


def _rename_store(store: etree._Element, name: str) -> None:
    if name:
        doc = etree.Element(f"{{{BPMN}}}documentation")
        doc.text = name
        store.insert(0, doc)
    store.set("name", services.INSTANCE_STORE)


def _store_message(name: str) -> Message:
    return _(
        "data store '{store}' has no implementation here → store {ours}, whose value is kept with the "
        "instance's data (the old name stays as its documentation)",
        store=name,
        ours=services.INSTANCE_STORE,
    )


def _first_process_index(root: etree._Element) -> int:
    for i, child in enumerate(root):
        if isinstance(child.tag, str) and etree.QName(child).localname in ("process", "collaboration"):
            return i
    return len(root)


def _fresh_id(root: etree._Element, wanted: str) -> str:
    taken = {n.get("id") for n in root.iter() if isinstance(n.tag, str)}
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}_{n}"
    return candidate


# --- Zeebe multi-instance --------------------------------------------------------------------------------

_LOOP_ORDER = (
    "documentation",
    "extensionElements",
    "loopCardinality",
    "loopDataInputRef",
    "loopDataOutputRef",
    "inputDataItem",
    "outputDataItem",
)


def _zeebe_loops(process: etree._Element) -> list[Line]:
    root = process.getroottree().getroot()
    lines: list[Line] = []
    for loop in process.iter(f"{{{BPMN}}}multiInstanceLoopCharacteristics"):
        zeebe = loop.find("bpmn:extensionElements/zeebe:loopCharacteristics", NS)
        if zeebe is None or loop.find("bpmn:loopCardinality", NS) is not None:
            continue
        if loop.find("bpmn:loopDataInputRef", NS) is not None:
            continue
        activity = loop.getparent()
        where = (zeebe.sourceline, activity.get("id"))
        names = {
            a: _plain(zeebe.get(a))
            for a in ("inputCollection", "inputElement", "outputCollection", "outputElement")
        }
        written = {a: (zeebe.get(a) or "").strip() for a in names}
        bad = [a for a in names if written[a] and names[a] is None]
        if not names["inputCollection"]:
            bad = bad or ["inputCollection"]
        if (names["outputCollection"] is None) != (names["outputElement"] is None):
            bad += [a for a in ("outputCollection", "outputElement") if names[a] is None and a not in bad]
        taken = {n.get("id") for n in root.iter() if isinstance(n.tag, str)}
        clash = [names[a] for a in ("inputElement", "outputElement") if names[a] and names[a] in taken]
        if bad or clash:
            message = _(
                "multi-instance loop (zeebe:loopCharacteristics {written}) has no translation: write its "
                "collection and element as plain variable names (not FEEL expressions, not an element id), "
                "or set the loop's input collection and input item in the modeler",
                written=", ".join(f'{a}="{v}"' for a, v in written.items() if v),
            )
            lines.append(("fix", message, *where))
            continue
        _set_loop(loop, "loopDataInputRef", names["inputCollection"])
        _set_loop(loop, "loopDataOutputRef", names["outputCollection"])
        _set_loop(loop, "inputDataItem", names["inputElement"], item=True)
        _set_loop(loop, "outputDataItem", names["outputElement"], item=True)
        message = _(
            "multi-instance loop (zeebe:loopCharacteristics {written}) → one instance per item of "
            "'{collection}'",
            written=", ".join(f'{a}="{v}"' for a, v in written.items() if v),
            collection=names["inputCollection"],
        )
        lines.append(("translated", message, *where))
    return lines


def _plain(value: str | None) -> str | None:
    """A FEEL name (`=documents` or `documents`) as a variable name; None when it is anything else."""
    value = (value or "").strip()
    value = value[1:].strip() if value.startswith("=") else value
    return value if NAME.match(value) else None


def _set_loop(loop: etree._Element, tag: str, value: str | None, item: bool = False) -> None:
    if not value:
        return
    node = etree.Element(f"{{{BPMN}}}{tag}")
    if item:
        node.set("id", value)
        node.set("name", value)
    else:
        node.text = value
    rank = _LOOP_ORDER.index(tag)
    index = 0
    for i, child in enumerate(loop):
        if isinstance(child.tag, str) and etree.QName(child).localname in _LOOP_ORDER[:rank]:
            index = i + 1
    loop.insert(index, node)
