"""Semantic diff of two versions of a unit's BPMN files (orchestrator.diff)."""

from __future__ import annotations

import pytest
from conftest import BPMN_DIR
from lxml import etree

from orchestrator.bpmn.diff import diff_files
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput

GENERAL = REPO_ROOT / "processes" / "general_approval" / "general_approval.bpmn"
FILE = "general_approval.bpmn"
NOTHING = {"added": [], "removed": [], "changed": [], "layout_changed": 0}
ALL_DIAGRAMS = sorted([*REPO_ROOT.glob("processes/*/*.bpmn"), *BPMN_DIR.glob("*.bpmn")])


@pytest.fixture(scope="module")
def xml() -> str:
    return GENERAL.read_text(encoding="utf-8")


def edit(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def diff(old: str, new: str) -> dict:
    return diff_files({FILE: old}, {FILE: new})


def changed(id_: str, type_: str, name: str | None, *changes: dict) -> dict:
    return {"id": id_, "type": type_, "name": name, "changes": list(changes)}


def attr(name: str, old, new) -> dict:
    return {"what": "attribute", "name": name, "old": old, "new": new}


@pytest.mark.parametrize("path", ALL_DIAGRAMS, ids=lambda p: p.name)
def test_a_diagram_equals_itself(path):
    text = path.read_text(encoding="utf-8")
    assert diff_files({path.name: text}, {path.name: text}) == NOTHING


def test_elements_are_compared_by_id_across_files(xml):
    assert diff_files({FILE: xml}, {"renamed.bpmn": xml}) == NOTHING
    added = diff_files({}, {FILE: xml})["added"]
    assert {"id": "Task_review", "type": "userTask", "name": "审核"} in added
    assert {"id": "Lane_minzheng", "type": "lane", "name": "minzheng"} in added
    assert {"id": "Collaboration_general_approval", "type": "collaboration", "name": None} in added
    assert [e["id"] for e in added] == sorted(e["id"] for e in added)
    assert not any(e["id"].endswith("_di") or e["id"].startswith("TimerEventDefinition") for e in added)


def test_rename_a_task(xml):
    new = edit(
        xml, ('<bpmn:userTask id="Task_review" name="审核">', '<bpmn:userTask id="Task_review" name="复核">')
    )
    assert diff(xml, new) == {
        **NOTHING,
        "changed": [changed("Task_review", "userTask", "复核", attr("name", "审核", "复核"))],
    }


def test_change_a_condition_and_a_timer_and_a_script(xml):
    new = edit(
        xml,
        (">accepted == True<", ">accepted == True and amount &lt; 1000<"),
        (">P3D<", ">P5D<"),
        ("<bpmn:script>urged = True</bpmn:script>", "<bpmn:script>urged = True\nlevel = 2</bpmn:script>"),
    )
    assert diff(xml, new)["changed"] == [
        changed(
            "Flow_accept",
            "sequenceFlow",
            "受理",
            {"what": "condition", "old": "accepted == True", "new": "accepted == True and amount < 1000"},
        ),
        changed(
            "Script_urge",
            "scriptTask",
            "记录催办",
            {"what": "script", "old": "urged = True", "new": "urged = True\nlevel = 2"},
        ),
        changed(
            "Timer_urge",
            "boundaryEvent",
            "3天未办催办",
            {"what": "timer", "old": "timeDuration: P3D", "new": "timeDuration: P5D"},
        ),
    ]


def test_change_properties_documentation_and_attributes(xml):
    new = edit(
        xml,
        ('value="review.schema.json"', 'value="review2.schema.json"'),
        ('<spiffworkflow:property name="caseStatus" value="11" />', ""),
        (
            '<bpmn:userTask id="Task_accept" name="受理">',
            '<bpmn:userTask id="Task_accept" name="受理"><bpmn:documentation>核对材料</bpmn:documentation>',
        ),
        (
            'cancelActivity="false" attachedToRef="Task_review"',
            'cancelActivity="true" attachedToRef="Task_deliver"',
        ),
        (
            'id="Gateway_approved" name="是否准予" default="Flow_reject"',
            'id="Gateway_approved" name="是否准予"',
        ),
    )
    assert diff(xml, new)["changed"] == [
        changed(
            "EndEvent_done",
            "endEvent",
            "办结",
            {"what": "property", "name": "caseStatus", "old": "11", "new": None},
        ),
        changed("Gateway_approved", "exclusiveGateway", "是否准予", attr("default", "Flow_reject", None)),
        changed("Task_accept", "userTask", "受理", {"what": "documentation", "old": None, "new": "核对材料"}),
        changed(
            "Task_review",
            "userTask",
            "审核",
            {
                "what": "property",
                "name": "formJsonSchemaFilename",
                "old": "review.schema.json",
                "new": "review2.schema.json",
            },
        ),
        changed(
            "Timer_urge",
            "boundaryEvent",
            "3天未办催办",
            attr("attachedToRef", "Task_review", "Task_deliver"),
            attr("cancelActivity", "false", "true"),
        ),
    ]


def test_add_a_task_and_a_flow(xml):
    new = edit(
        xml,
        (
            "<bpmn:flowNodeRef>Task_deliver</bpmn:flowNodeRef>",
            "<bpmn:flowNodeRef>Task_deliver</bpmn:flowNodeRef>"
            "<bpmn:flowNodeRef>Task_check</bpmn:flowNodeRef>",
        ),
        (
            'sourceRef="Gateway_approved" targetRef="Task_deliver"',
            'sourceRef="Gateway_approved" targetRef="Task_check"',
        ),
        (
            "  </bpmn:process>",
            '<bpmn:userTask id="Task_check" name="复核"><bpmn:incoming>Flow_approve</bpmn:incoming>'
            "<bpmn:outgoing>Flow_check</bpmn:outgoing></bpmn:userTask>"
            '<bpmn:sequenceFlow id="Flow_check" sourceRef="Task_check" targetRef="Task_deliver" />'
            "</bpmn:process>",
        ),
        (
            "</bpmndi:BPMNPlane>",
            '<bpmndi:BPMNShape id="Task_check_di" bpmnElement="Task_check">'
            '<dc:Bounds x="600" y="370" width="100" height="80" /></bpmndi:BPMNShape></bpmndi:BPMNPlane>',
        ),
    )
    result = diff(xml, new)
    assert result["added"] == [
        {"id": "Flow_check", "type": "sequenceFlow", "name": None},
        {"id": "Task_check", "type": "userTask", "name": "复核"},
    ]
    assert result["removed"] == []
    members = ["EndEvent_done", "EndEvent_rejected", "Task_deliver"]
    assert result["changed"] == [
        changed("Flow_approve", "sequenceFlow", "准予", attr("targetRef", "Task_deliver", "Task_check")),
        changed(
            "Lane_delivery",
            "lane",
            "delivery",
            {"what": "flowNodeRef", "old": members, "new": sorted([*members, "Task_check"])},
        ),
    ]
    assert result["layout_changed"] == 0  # a new element's shape is not a layout change


def drop(text: str, ids: set[str]) -> str:
    """Delete elements by id, with their lane references and DI, the way an editor would."""
    root = etree.fromstring(text.encode("utf-8"))
    for node in list(root.iter()):
        if node.get("id") in ids or node.get("bpmnElement") in ids or (node.text or "").strip() in ids:
            node.getparent().remove(node)
    return etree.tostring(root, encoding="unicode")


def test_delete_an_element(xml):
    gone = {"Timer_urge", "Script_urge", "EndEvent_urged", "Flow_urge", "Flow_urged"}
    result = diff(xml, drop(xml, gone))
    assert result["added"] == []
    assert result["removed"] == [
        {"id": "EndEvent_urged", "type": "endEvent", "name": None},
        {"id": "Flow_urge", "type": "sequenceFlow", "name": None},
        {"id": "Flow_urged", "type": "sequenceFlow", "name": None},
        {"id": "Script_urge", "type": "scriptTask", "name": "记录催办"},
        {"id": "Timer_urge", "type": "boundaryEvent", "name": "3天未办催办"},
    ]
    assert result["changed"] == [
        changed(
            "Lane_minzheng",
            "lane",
            "minzheng",
            {
                "what": "flowNodeRef",
                "old": ["EndEvent_urged", "Gateway_approved", "Script_urge", "Task_review", "Timer_urge"],
                "new": ["Gateway_approved", "Task_review"],
            },
        )
    ]
    assert result["layout_changed"] == 0


def test_moving_shapes_is_layout_only(xml):
    new = edit(
        xml,
        (
            '<dc:Bounds x="390" y="230" width="100" height="80" />',
            '<dc:Bounds x="400" y="240" width="100" height="80" />',
        ),
        ('<di:waypoint x="228" y="130" />', '<di:waypoint x="230" y="130" />'),
        (
            '<bpmndi:BPMNShape id="Task_accept_di"',
            '<bpmndi:BPMNShape id="Shape_0abc123"',
        ),  # a new DI id: no move
    )
    assert diff(xml, new) == {**NOTHING, "layout_changed": 2}


def test_change_a_task_type_and_its_multi_instance_settings():
    path = BPMN_DIR / "multi_instance_parallel.bpmn"
    old = path.read_text(encoding="utf-8")
    new = edit(
        old,
        (
            '<bpmn:multiInstanceLoopCharacteristics isSequential="false">',
            '<bpmn:multiInstanceLoopCharacteristics isSequential="true">',
        ),
        (
            "<bpmn:loopDataInputRef>reviewers</bpmn:loopDataInputRef>",
            "<bpmn:loopDataInputRef>approvers</bpmn:loopDataInputRef>",
        ),
        ('<bpmn:userTask id="Task_review"', '<bpmn:manualTask id="Task_review"'),
        (
            "</bpmn:multiInstanceLoopCharacteristics>\n    </bpmn:userTask>",
            "</bpmn:multiInstanceLoopCharacteristics>\n    </bpmn:manualTask>",
        ),
    )
    [entry] = diff_files({path.name: old}, {path.name: new})["changed"]
    item = 'inputDataItem id="reviewer" name="reviewer"; outputDataItem id="opinion" name="opinion"'
    assert entry == changed(
        "Task_review",
        "manualTask",
        entry["name"],
        {"what": "type", "old": "userTask", "new": "manualTask"},
        {
            "what": "detail",
            "name": "multiInstanceLoopCharacteristics",
            "old": f'isSequential="false": loopDataInputRef: reviewers; loopDataOutputRef: opinions; {item}',
            "new": f'isSequential="true": loopDataInputRef: approvers; loopDataOutputRef: opinions; {item}',
        },
    )


DOCTYPE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p" name="&secret;" isExecutable="true"/></bpmn:definitions>"""


def test_hostile_or_broken_xml_is_refused(xml):
    with pytest.raises(InvalidInput) as caught:
        diff_files({FILE: xml}, {"evil.bpmn": DOCTYPE, FILE: xml})
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("evil.bpmn", 2)
    assert "DOCTYPE" in problem.message and str(problem.message).startswith("new version:")

    with pytest.raises(InvalidInput) as caught:
        diff_files({FILE: "<bpmn:definitions"}, {FILE: xml})
    assert str(caught.value.problems[0].message).startswith("old version: not well-formed XML")
    assert caught.value.as_dict()["errors"][0]["file"] == FILE


def test_a_field_shown_only_when_is_still_a_field_of_the_form():
    """The form builder keeps a conditional field in `allOf[].then`: moving one there is no removal, and a
    field added there is reported (the journey's diff once listed 快递单号 as removed)."""
    from orchestrator.deploy.compare import forms_diff

    tracking = {"type": "string", "title": "快递单号", "maxLength": 50}
    when = {"properties": {"delivery": {"const": "快递送达"}}, "required": ["delivery"]}
    delivery = {"delivery": {"type": "string", "title": "送达方式"}}
    old = {
        "type": "object",
        "properties": {**delivery, "tracking_number": tracking},
        "required": ["delivery"],
        "allOf": [{"if": when, "then": {"required": ["tracking_number"]}}],
    }
    moved = {
        "type": "object",
        "properties": delivery,
        "required": ["delivery"],
        "allOf": [
            {
                "if": when,
                "then": {"properties": {"tracking_number": tracking}, "required": ["tracking_number"]},
            }
        ],
    }
    assert forms_diff({"d.schema.json": old}, {"d.schema.json": moved})["fields"] == []
    extra = {
        **moved,
        "allOf": [{**moved["allOf"][0], "else": {"properties": {"pickup": {"title": "领取人"}}}}],
    }
    [added] = forms_diff({"d.schema.json": moved}, {"d.schema.json": extra})["fields"]
    assert (added["field"], added["title"], added["change"], added["required"]) == (
        "pickup",
        "领取人",
        "added",
        False,
    )
