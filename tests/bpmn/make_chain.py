"""Generate chain_<n>.bpmn: start → t1 → … → t<n> → end, all user tasks in lane `minzheng`, no forms.

Used by the benchmark (bench/) to measure how step cost grows with history. Run from anywhere:

    python tests/bpmn/make_chain.py            # writes tests/bpmn/chain_200.bpmn
    python tests/bpmn/make_chain.py 50 /tmp    # writes /tmp/chain_50.bpmn

The diagram has full BPMN DI (tasks laid out 20 to a row) so it opens in bpmn-js / SpiffArena.
"""

from __future__ import annotations

import sys
from pathlib import Path

PER_ROW = 20
COL_W = 150
ROW_H = 130
POOL_X, POOL_Y = 120, 60
X0 = POOL_X + 30 + 80  # centre of column 0
TASK_W, TASK_H, EVENT = 100, 80, 36


def build(n: int = 200) -> str:
    pid = f"chain_{n}"
    rows = (n + PER_ROW - 1) // PER_ROW
    lane_h = rows * ROW_H + 40
    pool_w = 30 + 80 + (PER_ROW + 2) * COL_W + 40

    def centre(i: int) -> tuple[float, float]:
        """Centre of t<i>; i == 0 is the start event, i == n + 1 the end event."""
        if i == 0:
            return X0, POOL_Y + 20 + ROW_H / 2
        if i == n + 1:
            cx, cy = centre(n)
            return cx + COL_W, cy
        row, col = divmod(i - 1, PER_ROW)
        return X0 + (col + 1) * COL_W, POOL_Y + 20 + row * ROW_H + ROW_H / 2

    ids = ["Start_1"] + [f"t{i}" for i in range(1, n + 1)] + ["End_1"]
    flows = [(f"Flow_{k}", ids[k], ids[k + 1]) for k in range(len(ids) - 1)]
    incoming = {t: f for f, _s, t in flows}
    outgoing = {s: f for f, s, _t in flows}

    x = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        f'id="Definitions_{pid}" targetNamespace="http://bpmn.io/schema/bpmn" '
        'exporter="OneWindow make_chain.py" exporterVersion="0.1">',
        f'  <bpmn:collaboration id="Collaboration_{pid}">',
        f'    <bpmn:participant id="Participant_{pid}" name="{n}步链式流程" processRef="{pid}" />',
        "  </bpmn:collaboration>",
        f'  <bpmn:process id="{pid}" name="{n}步链式流程" isExecutable="true">',
        f'    <bpmn:laneSet id="LaneSet_{pid}">',
        '      <bpmn:lane id="Lane_minzheng" name="minzheng">',
    ]
    x += [f"        <bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids]
    x += [
        "      </bpmn:lane>",
        "    </bpmn:laneSet>",
        '    <bpmn:startEvent id="Start_1" name="开始">',
        f"      <bpmn:outgoing>{outgoing['Start_1']}</bpmn:outgoing>",
        "    </bpmn:startEvent>",
    ]
    for i in range(1, n + 1):
        t = f"t{i}"
        x += [
            f'    <bpmn:userTask id="{t}" name="步骤{i}">',
            f"      <bpmn:incoming>{incoming[t]}</bpmn:incoming>",
            f"      <bpmn:outgoing>{outgoing[t]}</bpmn:outgoing>",
            "    </bpmn:userTask>",
        ]
    x += [
        '    <bpmn:endEvent id="End_1" name="办结">',
        f"      <bpmn:incoming>{incoming['End_1']}</bpmn:incoming>",
        "    </bpmn:endEvent>",
    ]
    x += [f'    <bpmn:sequenceFlow id="{f}" sourceRef="{s}" targetRef="{t}" />' for f, s, t in flows]
    x += [
        "  </bpmn:process>",
        '  <bpmndi:BPMNDiagram id="BPMNDiagram_1">',
        f'    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Collaboration_{pid}">',
    ]

    def shape(el: str, bx: float, by: float, w: float, h: float, extra: str = "") -> None:
        x.append(f'      <bpmndi:BPMNShape id="{el}_di" bpmnElement="{el}"{extra}>')
        x.append(f'        <dc:Bounds x="{bx:.0f}" y="{by:.0f}" width="{w:.0f}" height="{h:.0f}" />')
        x.append("      </bpmndi:BPMNShape>")

    shape(f"Participant_{pid}", POOL_X, POOL_Y, pool_w, lane_h, ' isHorizontal="true"')
    shape("Lane_minzheng", POOL_X + 30, POOL_Y, pool_w - 30, lane_h, ' isHorizontal="true"')
    size = {0: (EVENT, EVENT), n + 1: (EVENT, EVENT)}
    for k, el in enumerate(ids):
        w, h = size.get(k, (TASK_W, TASK_H))
        cx, cy = centre(k)
        shape(el, cx - w / 2, cy - h / 2, w, h)
    for k, (f, _s, _t) in enumerate(flows):
        (sw, sh), (tw, th) = size.get(k, (TASK_W, TASK_H)), size.get(k + 1, (TASK_W, TASK_H))
        (sx, sy), (tx, ty) = centre(k), centre(k + 1)
        if sy == ty:
            points = [(sx + sw / 2, sy), (tx - tw / 2, ty)]
        else:  # wrap to the next row: down, back left, down into the next task
            mid = sy + ROW_H / 2
            points = [(sx, sy + sh / 2), (sx, mid), (tx, mid), (tx, ty - th / 2)]
        x.append(f'      <bpmndi:BPMNEdge id="{f}_di" bpmnElement="{f}">')
        x += [f'        <di:waypoint x="{px:.0f}" y="{py:.0f}" />' for px, py in points]
        x.append("      </bpmndi:BPMNEdge>")
    x += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>"]
    return "\n".join(x) + "\n"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent
    path = out / f"chain_{n}.bpmn"
    path.write_text(build(n), encoding="utf-8")
    print(path)


if __name__ == "__main__":
    main()
