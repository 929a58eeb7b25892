"""Data objects as other modelers write them, translated into what SpiffWorkflow reads (part of `dialects`).

Camunda, Signavio, W4 and most modelers name a data object for the variable it holds (`name="approved"`,
read in conditions as `bpmn:getDataObject('approved')`) and give it a generated id; they also give a task a
typed port (`ioSpecification/dataOutput`) for each association to a data object. SpiffWorkflow reads both by
element id: a step completed with `approved` then fails with "missing data output", and a gateway cannot see
the value. So, in executable pools:

- a data object named with a plain, unique variable name gets that name as its id (references follow);
- a task's port that only carries an association to a data object becomes a plain `bpmn:property` with the
  same id, so the association and its drawing stay valid and the step writes the object by its name.

SpiffArena diagrams already name data objects by id and are left as they are. What stays is checked: a port
that nothing feeds and whose id is no variable name (Trisotech binds its ports with its own extensions) could
never be filled, so the step would stop for want of it; the draft names it, to fix.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter

from lxml import etree

from orchestrator.bpmn.namespaces import BPMN, SPIFF
from orchestrator.core.i18n import Message, _
from orchestrator.deploy.dialect_tasks import label

NS = {"bpmn": BPMN}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_variable(name: str) -> bool:
    """Whether the sandbox can read `name` as a variable."""
    return bool(NAME.match(name)) and not keyword.iskeyword(name)


_OBJECTS = (f"{{{BPMN}}}dataObject", f"{{{BPMN}}}dataObjectReference")

Line = tuple[str, Message, int | None, str | None]


def translate(root: etree._Element) -> list[Line]:
    if SPIFF in root.nsmap.values():
        return []
    lines: list[Line] = []
    for process in root.findall("bpmn:process", NS):
        if process.get("isExecutable", "true") == "true":
            lines += _data_objects(root, process) + _ports(root, process) + _unfillable(process)
    return lines


def _data_objects(root: etree._Element, process: etree._Element) -> list[Line]:
    lines: list[Line] = []
    taken = {n.get("id") for n in root.iter() if isinstance(n.tag, str)}
    objects = list(process.iter(f"{{{BPMN}}}dataObject"))
    counts = Counter((o.get("name") or "").strip() for o in objects)
    for obj in objects:
        old, name = obj.get("id") or "", (obj.get("name") or "").strip()
        if not name or name == old:
            continue
        if not is_variable(name) or counts[name] > 1 or name in taken:
            message = _(
                "data object '{name}' keeps its id '{id}', the name the engine reads it by: its name is not "
                "a plain variable name, or another element already has it",
                name=name,
                id=old,
            )
            lines.append(("documentation", message, obj.sourceline, old))
            continue
        obj.set("id", name)
        for ref in root.iter(f"{{{BPMN}}}dataObjectReference"):
            if ref.get("dataObjectRef") == old:
                ref.set("dataObjectRef", name)
        taken.discard(old)
        taken.add(name)
        message = _("data object '{name}' (id '{id}') → variable {name}", name=name, id=old)
        lines.append(("translated", message, obj.sourceline, name))
    return lines


def _ports(root: etree._Element, process: etree._Element) -> list[Line]:
    objects = {n.get("id") for n in root.iter(*_OBJECTS)}
    lines: list[Line] = []
    for io in list(process.iter(f"{{{BPMN}}}ioSpecification")):
        activity = io.getparent()
        if activity is process:  # the process's own inputs and outputs are not ports of a step
            continue
        carried = _carried_ports(activity, objects)
        ports = [p for p in io if isinstance(p.tag, str) and p.get("id") in carried]
        ports = [p for p in ports if etree.QName(p).localname in ("dataInput", "dataOutput")]
        if not ports:
            continue
        at = list(activity).index(io) + 1
        for port in ports:
            prop = etree.Element(f"{{{BPMN}}}property")
            for attr in ("id", "name", "itemSubjectRef"):
                if port.get(attr) is not None:
                    prop.set(attr, port.get(attr))
            io.remove(port)
            for refs in io.iter(f"{{{BPMN}}}dataInputRefs", f"{{{BPMN}}}dataOutputRefs"):
                if (refs.text or "").strip() == port.get("id"):
                    refs.getparent().remove(refs)
            activity.insert(at, prop)
            at += 1
        if not any(
            etree.QName(p).localname in ("dataInput", "dataOutput") for p in io if isinstance(p.tag, str)
        ):
            activity.remove(io)
        message = _(
            "the step's data ports {ports} only carry data objects → plain properties: the step reads and "
            "writes the data objects by their names",
            ports=", ".join(f"'{p.get('name') or p.get('id')}'" for p in ports),
        )
        lines.append(("translated", message, activity.sourceline, activity.get("id")))
    return lines


def _carried_ports(activity: etree._Element, objects: set[str | None]) -> set[str]:
    """The ids of the activity's ports that an association links to a data object (or its reference)."""
    carried: set[str] = set()
    for assoc in activity.findall("bpmn:dataOutputAssociation", NS):
        if (assoc.findtext("bpmn:targetRef", "", NS) or "").strip() in objects:
            carried |= {(s.text or "").strip() for s in assoc.findall("bpmn:sourceRef", NS)}
    for assoc in activity.findall("bpmn:dataInputAssociation", NS):
        if any((s.text or "").strip() in objects for s in assoc.findall("bpmn:sourceRef", NS)):
            carried |= {(t.text or "").strip() for t in assoc.findall("bpmn:targetRef", NS)}
    return carried


def _unfillable(process: etree._Element) -> list[Line]:
    """Steps' ports the engine can never fill: it reads a port by its id, and nothing names these ids. (The
    process's own ports matter only when another process calls it, with its data.)"""
    lines: list[Line] = []
    for io in process.iter(f"{{{BPMN}}}ioSpecification"):
        owner = io.getparent()
        if owner is process:
            continue
        fed = {
            (ref.text or "").strip()
            for assoc in owner.findall("bpmn:dataInputAssociation", NS)
            + owner.findall("bpmn:dataOutputAssociation", NS)
            for ref in assoc.findall("bpmn:targetRef", NS) + assoc.findall("bpmn:sourceRef", NS)
        }
        for port in io:
            if not isinstance(port.tag, str) or etree.QName(port).localname not in (
                "dataInput",
                "dataOutput",
            ):
                continue
            pid = port.get("id") or ""
            if pid in fed or is_variable(pid):
                continue
            message = _(
                "step '{step}' has a data {kind} '{name}' that nothing here fills (its id '{id}' is no variable "
                "name and no association carries it): the engine would stop the step for want of it; remove "
                "it, or connect it to a data object, in the modeler",
                step=label(owner),
                kind=_("input") if etree.QName(port).localname == "dataInput" else _("output"),
                name=port.get("name") or pid,
                id=pid,
            )
            lines.append(("fix", message, port.sourceline, owner.get("id")))
    return lines
