"""Small edits of BPMN documents that keep them whole (semantics and diagram): rename a process, name a
lane, and clone a lane with everything in it (its flow nodes, the flows that touch them and their shapes),
as a template's co-department lane is cloned once per co-department."""

from __future__ import annotations

import copy

from lxml import etree

from orchestrator.bpmn import xmlsafe
from orchestrator.bpmn.namespaces import BPMN, BPMNDI

DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"


def _b(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


class Document:
    """One parsed BPMN file, edited in place; `xml()` writes it back."""

    def __init__(self, data: bytes, max_bytes: int = xmlsafe.DEFAULT_MAX_BYTES):
        self.tree = xmlsafe.parse(data, max_bytes)
        self.root = self.tree.getroot()

    def xml(self) -> bytes:
        return etree.tostring(self.tree, xml_declaration=True, encoding="UTF-8")

    def processes(self) -> list[etree._Element]:
        return list(self.root.iter(_b("process")))

    def rename_process(self, old: str, new: str, name: str | None = None) -> None:
        """Give process `old` the id `new` (and a name); participants follow."""
        for process in self.processes():
            if process.get("id") == old:
                process.set("id", new)
                if name:
                    process.set("name", name)
        for participant in self.root.iter(_b("participant")):
            if participant.get("processRef") == old:
                participant.set("processRef", new)
                if name:
                    participant.set("name", name)

    def lanes(self) -> list[etree._Element]:
        return list(self.root.iter(_b("lane")))

    def by_id(self, element_id: str) -> etree._Element | None:
        for node in self.root.iter():
            if node.get("id") == element_id:
                return node
        return None

    def shape_of(self, element_id: str) -> etree._Element | None:
        for shape in self.root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"):
            if shape.get("bpmnElement") == element_id:
                return shape
        return None

    def clone_lane(self, lane: etree._Element, suffix: str, group: str) -> etree._Element:
        """A copy of `lane`, named `group`, just below it: its flow nodes and their boundary events, the
        flows that touch them (to the same nodes outside the lane) and their shapes, moved down by the
        lane's height; what was below the lane moves down too."""
        members = [ref.text.strip() for ref in lane.iter(_b("flowNodeRef")) if ref.text]
        ids = {old: f"{old}_{suffix}" for old in members}
        process = next(p for p in self.processes() if lane in p.iter())
        flows = [
            f
            for f in process.iter(_b("sequenceFlow"))
            if f.get("sourceRef") in ids or f.get("targetRef") in ids
        ]
        ids |= {f.get("id"): f"{f.get('id')}_{suffix}" for f in flows}
        top, height = self._lane_box(lane)

        self._move_below(top + height, height)
        new_lane = copy.deepcopy(lane)
        new_lane.set("id", f"{lane.get('id')}_{suffix}")
        new_lane.set("name", group)
        for ref in new_lane.iter(_b("flowNodeRef")):
            ref.text = ids.get((ref.text or "").strip(), ref.text)
        lane.addnext(new_lane)

        for old in members + [f.get("id") for f in flows]:
            original = self.by_id(old)
            if original is None:
                continue
            clone = copy.deepcopy(original)
            self._rename_refs(clone, ids, suffix)
            original.addnext(clone)
            self._link_outside(clone, ids)
            shape = self.shape_of(old)
            if shape is not None:
                moved = copy.deepcopy(shape)
                moved.set("id", f"{shape.get('id')}_{suffix}")
                moved.set("bpmnElement", ids[old])
                self._shift(moved, top, top + height, height)
                shape.addnext(moved)
        lane_shape = self.shape_of(lane.get("id"))
        if lane_shape is not None:
            copied = copy.deepcopy(lane_shape)
            copied.set("id", f"{lane_shape.get('id')}_{suffix}")
            copied.set("bpmnElement", new_lane.get("id"))
            for bounds in copied.iter(f"{{{DC}}}Bounds"):
                bounds.set("y", str(float(bounds.get("y")) + height))
            lane_shape.addnext(copied)
        return new_lane

    # -- helpers ------------------------------------------------------------------------------------------
    def _lane_box(self, lane: etree._Element) -> tuple[float, float]:
        shape = self.shape_of(lane.get("id"))
        bounds = next(shape.iter(f"{{{DC}}}Bounds")) if shape is not None else None
        if bounds is None:
            return 0.0, 0.0
        return float(bounds.get("y")), float(bounds.get("height"))

    def _move_below(self, y: float, dy: float) -> None:
        """Move every shape and waypoint at or below `y` down by `dy`; grow the pools that span `y`."""
        for bounds in self.root.iter(f"{{{DC}}}Bounds"):
            top, h = float(bounds.get("y")), float(bounds.get("height"))
            if top >= y:
                bounds.set("y", str(top + dy))
            elif top + h > y:
                bounds.set("height", str(h + dy))
        for point in self.root.iter(f"{{{DI}}}waypoint"):
            if float(point.get("y")) >= y:
                point.set("y", str(float(point.get("y")) + dy))

    @staticmethod
    def _shift(shape: etree._Element, low: float, high: float, dy: float) -> None:
        for bounds in shape.iter(f"{{{DC}}}Bounds"):
            bounds.set("y", str(float(bounds.get("y")) + dy))
        for point in shape.iter(f"{{{DI}}}waypoint"):
            if low <= float(point.get("y")) <= high:
                point.set("y", str(float(point.get("y")) + dy))

    @staticmethod
    def _rename_refs(element: etree._Element, ids: dict[str, str], suffix: str) -> None:
        """Point the copy at the copies; nested elements with ids (event definitions) get their own."""
        for node in element.iter():
            for attr in ("sourceRef", "targetRef", "attachedToRef", "default"):
                if node.get(attr) in ids:
                    node.set(attr, ids[node.get(attr)])
            if node.tag in (_b("incoming"), _b("outgoing")) and (node.text or "").strip() in ids:
                node.text = ids[node.text.strip()]
            if node.get("id"):
                node.set("id", ids.get(node.get("id"), f"{node.get('id')}_{suffix}"))

    def _link_outside(self, clone: etree._Element, ids: dict[str, str]) -> None:
        """A cloned flow that leaves or enters the lane is also listed by the node outside it."""
        if clone.tag != _b("sequenceFlow"):
            return
        for end, tag in (("sourceRef", "outgoing"), ("targetRef", "incoming")):
            node = self.by_id(clone.get(end))
            if node is not None and clone.get(end) not in ids.values():
                listed = etree.SubElement(node, _b(tag))
                listed.text = clone.get("id")
                _reorder(node)


ORDER = {"extensionElements": 0, "incoming": 1, "outgoing": 2}


def _reorder(node: etree._Element) -> None:
    """Keep the schema's order of a flow node's children: extensions, incoming, outgoing, the rest."""
    children = sorted(
        node, key=lambda c: ORDER.get(etree.QName(c).localname, 3) if isinstance(c.tag, str) else 3
    )
    for child in children:
        node.append(child)
