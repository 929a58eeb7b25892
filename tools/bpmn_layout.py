"""A small BPMN 2.0 writer with diagram layout, for generating process folders (the item templates):
lanes top to bottom, nodes on a grid of columns and rows inside their lane, flows drawn with right angles.

Not used at run time; `tools/make_templates.py` uses it to write templates/<class>/. The result is plain
BPMN as bpmn.io writes it, so the folders can be edited in any modeler afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)
SIZES = {
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "intermediateThrowEvent": (36, 36),
    "intermediateCatchEvent": (36, 36),
    "boundaryEvent": (36, 36),
    "exclusiveGateway": (50, 50),
    "parallelGateway": (50, 50),
    "userTask": (100, 80),
    "scriptTask": (100, 80),
}
LEFT, TOP, LANE_HEIGHT, COLUMN, ROW = 150, 60, 260, 150, 130


@dataclass
class Node:
    id: str
    kind: str
    name: str
    lane: str
    col: float
    row: int = 0
    props: dict[str, str] = field(default_factory=dict)
    default: str | None = None  # a gateway's default flow
    script: str | None = None
    timer: tuple[str, str] | None = None  # (timeDuration|timeDate|timeCycle, expression)
    attached_to: str | None = None  # a boundary event's task

    @property
    def size(self) -> tuple[int, int]:
        return SIZES[self.kind]


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: str | None = None


@dataclass
class Diagram:
    key: str
    name: str
    lanes: list[tuple[str, str]]  # (lane id, group code)
    nodes: list[Node] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)

    def node(self, *args, **kwargs) -> Node:
        found = Node(*args, **kwargs)
        self.nodes.append(found)
        return found

    def flow(self, *args, **kwargs) -> Flow:
        found = Flow(*args, **kwargs)
        self.flows.append(found)
        return found

    # -- layout -------------------------------------------------------------------------------------------
    def _lane_top(self, lane: str) -> int:
        return TOP + [lane_id for lane_id, _ in self.lanes].index(lane) * LANE_HEIGHT

    def bounds(self, n: Node) -> tuple[int, int, int, int]:
        w, h = n.size
        if n.attached_to:
            task = self._by_id(n.attached_to)
            tx, ty, tw, th = self.bounds(task)
            return int(tx + tw - w - 10), int(ty + th - h / 2), w, h
        cx = LEFT + 80 + n.col * COLUMN
        cy = self._lane_top(n.lane) + 70 + n.row * ROW
        return int(cx - w / 2), int(cy - h / 2), w, h

    def _by_id(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def _waypoints(self, f: Flow) -> list[tuple[int, int]]:
        s, t = self.bounds(self._by_id(f.source)), self.bounds(self._by_id(f.target))
        sx, sy, sw, sh = s
        tx, ty, tw, th = t
        if self._by_id(f.source).kind == "boundaryEvent":  # down, across, into the target's bottom or top
            x, below = sx + sw // 2, sy + sh + 20
            end = (tx + tw // 2, ty + th) if ty + th < below else (tx + tw // 2, ty)
            return [(x, sy + sh), (x, below), (end[0], below), end]
        if abs((sx + sw / 2) - (tx + tw / 2)) < 5:  # one column: straight down (or up)
            x = int(tx + tw / 2)
            return [(x, sy + sh), (x, ty)] if ty > sy else [(x, sy), (x, ty + th)]
        if tx >= sx + sw:  # forwards: out of the right side, into the left side
            a, b = (sx + sw, sy + sh // 2), (tx, ty + th // 2)
            if a[1] == b[1]:
                return [a, b]
            if abs(a[1] - b[1]) > 0 and tx - (sx + sw) < 40:
                return [a, (a[0] + 20, a[1]), (a[0] + 20, b[1]), b]
            return [a, (b[0] - 30, a[1]), (b[0] - 30, b[1]), b]
        # backwards (a loop): out of the bottom, under everything between, into the bottom
        low = max(sy + sh, ty + th) + 35
        return [(sx + sw // 2, sy + sh), (sx + sw // 2, low), (tx + tw // 2, low), (tx + tw // 2, ty + th)]

    # -- writing ------------------------------------------------------------------------------------------
    def xml(self) -> str:
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<bpmn:definitions {NS} id="Definitions_{self.key}" targetNamespace="http://bpmn.io/schema/bpmn" '
            'exporter="OneWindow templates" exporterVersion="1">',
            f'  <bpmn:collaboration id="Collaboration_{self.key}">',
            f'    <bpmn:participant id="Participant_{self.key}" name={quoteattr(self.name)} processRef="{self.key}" />',
            "  </bpmn:collaboration>",
            f'  <bpmn:process id="{self.key}" name={quoteattr(self.name)} isExecutable="true">',
            f'    <bpmn:laneSet id="LaneSet_{self.key}">',
        ]
        for lane_id, group in self.lanes:
            out.append(f'      <bpmn:lane id="{lane_id}" name={quoteattr(group)}>')
            out += [
                f"        <bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>"
                for n in self.nodes
                if n.lane == lane_id
            ]
            out.append("      </bpmn:lane>")
        out.append("    </bpmn:laneSet>")
        for n in self.nodes:
            out += self._node_xml(n)
        for f in self.flows:
            attrs = f'id="{f.id}"' + (f" name={quoteattr(f.name)}" if f.name else "")
            attrs += f' sourceRef="{f.source}" targetRef="{f.target}"'
            if f.condition:
                out.append(f"    <bpmn:sequenceFlow {attrs}>")
                out.append(
                    '      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                    f"{_text(f.condition)}</bpmn:conditionExpression>"
                )
                out.append("    </bpmn:sequenceFlow>")
            else:
                out.append(f"    <bpmn:sequenceFlow {attrs} />")
        out.append("  </bpmn:process>")
        out += self._di()
        out.append("</bpmn:definitions>")
        return "\n".join(out) + "\n"

    def _node_xml(self, n: Node) -> list[str]:
        attrs = f'id="{n.id}" name={quoteattr(n.name)}'
        if n.default:
            attrs += f' default="{n.default}"'
        if n.attached_to:
            attrs += f' attachedToRef="{n.attached_to}"'
        body: list[str] = []
        if n.props:
            body.append("      <bpmn:extensionElements>")
            body.append("        <spiffworkflow:properties>")
            body += [
                f"          <spiffworkflow:property name={quoteattr(k)} value={quoteattr(v)} />"
                for k, v in n.props.items()
            ]
            body.append("        </spiffworkflow:properties>")
            body.append("      </bpmn:extensionElements>")
        body += [f"      <bpmn:incoming>{f.id}</bpmn:incoming>" for f in self.flows if f.target == n.id]
        body += [f"      <bpmn:outgoing>{f.id}</bpmn:outgoing>" for f in self.flows if f.source == n.id]
        if n.timer:
            tag, expression = n.timer
            body.append(f'      <bpmn:timerEventDefinition id="TimerEventDefinition_{n.id}">')
            body.append(
                f'        <bpmn:{tag} xsi:type="bpmn:tFormalExpression">{_text(expression)}</bpmn:{tag}>'
            )
            body.append("      </bpmn:timerEventDefinition>")
        if n.script is not None:
            body.append(f"      <bpmn:script>{_text(n.script)}</bpmn:script>")
        if not body:
            return [f"    <bpmn:{n.kind} {attrs} />"]
        return [f"    <bpmn:{n.kind} {attrs}>", *body, f"    </bpmn:{n.kind}>"]

    def _di(self) -> list[str]:
        columns = max(n.col for n in self.nodes) + 1
        width = int(80 + columns * COLUMN + 40)
        height = LANE_HEIGHT * len(self.lanes)
        out = [
            f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{self.key}">',
            f'    <bpmndi:BPMNPlane id="BPMNPlane_{self.key}" bpmnElement="Collaboration_{self.key}">',
            _shape(f"Participant_{self.key}", (LEFT - 30, TOP, width + 30, height), horizontal=True),
        ]
        for i, (lane_id, _) in enumerate(self.lanes):
            out.append(_shape(lane_id, (LEFT, TOP + i * LANE_HEIGHT, width, LANE_HEIGHT), horizontal=True))
        for n in self.nodes:
            out.append(_shape(n.id, self.bounds(n), marker=n.kind == "exclusiveGateway"))
        for f in self.flows:
            out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">')
            out += [f'        <di:waypoint x="{x}" y="{y}" />' for x, y in self._waypoints(f)]
            out.append("      </bpmndi:BPMNEdge>")
        out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]
        return out


def _shape(
    element: str, bounds: tuple[int, int, int, int], *, horizontal: bool = False, marker: bool = False
) -> str:
    x, y, w, h = bounds
    extra = ' isHorizontal="true"' if horizontal else ""
    extra += ' isMarkerVisible="true"' if marker else ""
    return (
        f'      <bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}"{extra}>\n'
        f'        <dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" />\n'
        "      </bpmndi:BPMNShape>"
    )


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
