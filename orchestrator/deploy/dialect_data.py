"""Data objects as other modelers write them, translated into what SpiffWorkflow reads (part of `dialects`).

Camunda, Signavio, W4 and most modelers name a data object for the variable it holds (`name="approved"`,
read in conditions as `bpmn:getDataObject('approved')`) and give it a generated id; they also give a task a
typed port (`ioSpecification/dataOutput`) for each association to a data object. Trisotech and Signavio
also connect steps to the process's own inputs and outputs, and name data in FEEL's way, with spaces
(`Current Vacation Status`). SpiffWorkflow reads all of them by element id: a step completed with `approved`
then fails with "missing data output", and a gateway cannot see the value. So, in executable pools:

- a data object, or a process's own input or output, named with a plain, unique variable name gets that name
  as its id (references follow); a name with spaces gets the same name with underscores
  (`Current_Vacation_Status`), and `names()` lists those, for conditions, mappings and forms to read the
  name as that variable;
- a task's port that only carries an association to a data object or to a process's input or output becomes
  a plain `bpmn:property` with the same id, so the association and its drawing stay valid and the step
  writes the object by its name.

SpiffArena diagrams already name data objects by id and are left as they are. What stays is checked: a port
that nothing feeds and whose id is no variable name (Trisotech binds its ports with its own extensions) could
never be filled, so the step would stop for want of it; the draft names it, to fix.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter

from lxml import etree

from orchestrator.bpmn.namespaces import BPMN, BPMNDI, SPIFF
from orchestrator.core.i18n import Message, _
from orchestrator.deploy.dialect_tasks import label

NS = {"bpmn": BPMN}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_variable(name: str) -> bool:
    """Whether the sandbox can read `name` as a variable."""
    return bool(NAME.match(name)) and not keyword.iskeyword(name)


_OBJECTS = (f"{{{BPMN}}}dataObject", f"{{{BPMN}}}dataObjectReference")
_PORTS = ("dataInput", "dataOutput")

Line = tuple[str, Message, int | None, str | None]


def translate(root: etree._Element) -> list[Line]:
    """Name the data, then turn the ports that only carry it into properties; what is left to fix."""
    if SPIFF in root.nsmap.values():
        return []
    lines: list[Line] = []
    for process in _executable(root):
        lines += _name_items(root, process) + _ports(root, process) + _loose_outputs(process)
        lines += _unfillable(process)
    return lines


def names(root: etree._Element) -> dict[str, str]:
    """The data's names with spaces, and the variable each is read as (`Vacation Approval` → `Vacation_Approval`)
    where that variable is free: what `translate` will name them, known before it does."""
    if SPIFF in root.nsmap.values():
        return {}
    found: dict[str, str] = {}
    for process in _executable(root):
        taken = {n.get("id") for n in root.iter() if isinstance(n.tag, str)}
        items = _items(process)
        for item, wanted in zip(items, _wanted(items), strict=True):
            name = (item.get("name") or "").strip()
            if wanted and wanted != name and (item.get("id") == wanted or wanted not in taken):
                found[name] = wanted
                taken.add(wanted)
    return found


def _executable(root: etree._Element) -> list[etree._Element]:
    return [p for p in root.findall("bpmn:process", NS) if p.get("isExecutable", "true") == "true"]


def _items(process: etree._Element) -> list[etree._Element]:
    """The process's data objects, then its own inputs and outputs."""
    ports = [p for p in process.findall("bpmn:ioSpecification/*", NS) if etree.QName(p).localname in _PORTS]
    return list(process.iter(f"{{{BPMN}}}dataObject")) + ports


def _wanted(items: list[etree._Element]) -> list[str | None]:
    """For each item, the variable it should be read as (None when its name is missing, not unique in the
    process, or no variable even with underscores for its spaces)."""
    named = [(etree.QName(i).localname in _PORTS, (i.get("name") or "").strip()) for i in items]
    counts = Counter(named)  # data objects first take a name; a port of the same name keeps its id
    wanted: list[str | None] = []
    for port, name in named:
        variable = name if is_variable(name) else re.sub(r"\s+", "_", name)
        wanted.append(variable if name and counts[port, name] == 1 and is_variable(variable) else None)
    return wanted


def _name_items(root: etree._Element, process: etree._Element) -> list[Line]:
    lines: list[Line] = []
    taken = {n.get("id") for n in root.iter() if isinstance(n.tag, str)}
    items = _items(process)
    for item, variable in zip(items, _wanted(items), strict=True):
        old, name = item.get("id") or "", (item.get("name") or "").strip()
        if not name or name == old or variable == old:
            continue
        port = etree.QName(item).localname in _PORTS
        if variable is None or variable in taken:
            if port:  # the process's port keeps the id a calling process gives it by
                continue
            message = _(
                "data object '{name}' keeps its id '{id}', the name the engine reads it by: its name is not "
                "a plain variable name, or another element already has it",
                name=name,
                id=old,
            )
            lines.append(("documentation", message, item.sourceline, old))
            continue
        item.set("id", variable)
        _follow(root, process, item, old, variable)
        taken.discard(old)
        taken.add(variable)
        if port:
            message = _(
                "the process's data {kind} '{name}' (id '{id}') → variable {variable}",
                kind=_("input") if etree.QName(item).localname == "dataInput" else _("output"),
                name=name,
                id=old,
                variable=variable,
            )
        else:
            message = _(
                "data object '{name}' (id '{id}') → variable {variable}", name=name, id=old, variable=variable
            )
        lines.append(("translated", message, item.sourceline, variable))
    return lines


def _follow(root: etree._Element, process: etree._Element, item: etree._Element, old: str, new: str) -> None:
    """Point what referred to an item by its old id to the new one (references, associations that name it
    directly, the process's input and output sets, its shape)."""
    for ref in root.iter(f"{{{BPMN}}}dataObjectReference"):
        if ref.get("dataObjectRef") == old:
            ref.set("dataObjectRef", new)
    refs = process.iter(
        f"{{{BPMN}}}dataInputRefs",
        f"{{{BPMN}}}dataOutputRefs",
        f"{{{BPMN}}}sourceRef",
        f"{{{BPMN}}}targetRef",
    )
    for ref in refs:
        if (ref.text or "").strip() == old:
            ref.text = new
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"):
        if shape.get("bpmnElement") == old:
            shape.set("bpmnElement", new)


def _ports(root: etree._Element, process: etree._Element) -> list[Line]:
    objects = {n.get("id") for n in root.iter(*_OBJECTS)}
    objects |= {p.get("id") for p in process.findall("bpmn:ioSpecification/*", NS)}
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
        for port in ports:
            to_property(activity, port)
        message = _(
            "the step's data ports {ports} only carry data objects or the process's own data → plain "
            "properties: the step reads and writes that data by its names",
            ports=", ".join(f"'{p.get('name') or p.get('id')}'" for p in ports),
        )
        lines.append(("translated", message, activity.sourceline, activity.get("id")))
    return lines


def to_property(activity: etree._Element, port: etree._Element) -> None:
    """Replace a step's data port by a plain `bpmn:property` of the same id (what SpiffWorkflow neither
    requires nor fills), after the step's other properties; an ioSpecification left with no port goes."""
    io = port.getparent()
    props = activity.findall("bpmn:property", NS)
    at = list(activity).index(props[-1] if props else io) + 1
    prop = etree.Element(f"{{{BPMN}}}property")
    for attr in ("id", "name", "itemSubjectRef"):
        if port.get(attr) is not None:
            prop.set(attr, port.get(attr))
    io.remove(port)
    for refs in io.iter(f"{{{BPMN}}}dataInputRefs", f"{{{BPMN}}}dataOutputRefs"):
        if (refs.text or "").strip() == port.get("id"):
            refs.getparent().remove(refs)
    activity.insert(at, prop)
    if not any(etree.QName(p).localname in _PORTS for p in io if isinstance(p.tag, str)):
        activity.remove(io)


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


PLACEHOLDER = "__targetRef_placeholder"  # what bpmn.io names the port a data association is drawn to


def _associated(owner: etree._Element) -> set[str]:
    """The ids a step's data associations name, at either end."""
    return {
        (ref.text or "").strip()
        for assoc in owner.findall("bpmn:dataInputAssociation", NS)
        + owner.findall("bpmn:dataOutputAssociation", NS)
        for ref in assoc.findall("bpmn:sourceRef", NS) + assoc.findall("bpmn:targetRef", NS)
    }


def _loose_outputs(process: etree._Element) -> list[Line]:
    """Steps' data outputs that no association carries anywhere (what the vendor's own service fills), and
    placeholder ports no association uses: the engine would stop the step for want of them, and nothing
    reads them; they become plain properties."""
    lines: list[Line] = []
    for io in list(process.iter(f"{{{BPMN}}}ioSpecification")):
        owner = io.getparent()
        if owner is process:
            continue
        used = _associated(owner)
        loose = [
            p
            for p in io
            if isinstance(p.tag, str)
            and (p.get("id") or "") not in used
            and (
                (etree.QName(p).localname == "dataOutput" and not is_variable(p.get("id") or ""))
                or (etree.QName(p).localname in _PORTS and p.get("name") == PLACEHOLDER)
            )
        ]
        for port in loose:
            to_property(owner, port)
        if loose:
            message = _(
                "the step's data ports {ports} go nowhere (no association carries them) → plain properties",
                ports=", ".join(f"'{p.get('name') or p.get('id')}'" for p in loose),
            )
            lines.append(("translated", message, owner.sourceline, owner.get("id")))
    return lines


def _unfillable(process: etree._Element) -> list[Line]:
    """Steps' ports the engine can never fill: it reads a port by its id, and nothing names these ids. (The
    process's own ports matter only when another process calls it, with its data.)"""
    lines: list[Line] = []
    for io in process.iter(f"{{{BPMN}}}ioSpecification"):
        owner = io.getparent()
        if owner is process:
            continue
        fed = _associated(owner)
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
