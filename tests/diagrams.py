"""Small BPMN documents built in tests, for bad-input and versioning cases."""

from __future__ import annotations

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def approval(
    key: str = "approval",
    *,
    condition: str = "approved == True",
    second_condition: str | None = None,
    lane: str = "minzheng",
    form: str | None = "decide.schema.json",
    timer: str | None = None,
    script: str = "checked = True",
    extra: str = "",
    name: str = "审批",
    script_async: bool = False,
) -> str:
    """frontdesk 受理 → script → minzheng 审核 (optional boundary timer) → gateway → end / refused end."""
    form_xml = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        if form
        else ""
    )
    timer_xml = (
        '<bpmn:boundaryEvent id="Timer_1" attachedToRef="Task_review" cancelActivity="false">'
        '<bpmn:outgoing>Flow_t</bpmn:outgoing><bpmn:timerEventDefinition id="Ted_1">'
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="End_t"><bpmn:incoming>Flow_t</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="Flow_t" sourceRef="Timer_1" targetRef="End_t" />'
        if timer
        else ""
    )
    async_xml = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="async" value="true" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        if script_async
        else ""
    )
    cond2 = (
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{second_condition}'
        "</bpmn:conditionExpression>"
        if second_condition
        else ""
    )
    return (
        HEAD
        + f"""  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_front" name="frontdesk"><bpmn:flowNodeRef>Task_accept</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="Lane_back" name="{lane}"><bpmn:flowNodeRef>Task_review</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_accept" name="受理"><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:userTask>
    <bpmn:scriptTask id="Script_1" name="检查">{async_xml}<bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="Task_review" name="审核">{form_xml}<bpmn:incoming>Flow_3</bpmn:incoming><bpmn:outgoing>Flow_4</bpmn:outgoing></bpmn:userTask>
    {timer_xml}
    <bpmn:exclusiveGateway id="Gateway_1" default="Flow_no"><bpmn:incoming>Flow_4</bpmn:incoming>
      <bpmn:outgoing>Flow_yes</bpmn:outgoing><bpmn:outgoing>Flow_no</bpmn:outgoing><bpmn:outgoing>Flow_other</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="End_yes"><bpmn:incoming>Flow_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="End_no"><bpmn:incoming>Flow_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="End_other"><bpmn:incoming>Flow_other</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_accept" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_accept" targetRef="Script_1" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Script_1" targetRef="Task_review" />
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Task_review" targetRef="Gateway_1" />
    <bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_1" targetRef="End_yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_no" sourceRef="Gateway_1" targetRef="End_no" />
    <bpmn:sequenceFlow id="Flow_other" sourceRef="Gateway_1" targetRef="End_other">{cond2}</bpmn:sequenceFlow>
    {extra}
  </bpmn:process>
</bpmn:definitions>
"""
    )


ASYNC = (
    "<bpmn:extensionElements><spiffworkflow:properties>"
    '<spiffworkflow:property name="async" value="true" />'
    "</spiffworkflow:properties></bpmn:extensionElements>"
)
# About 0.15 s of sandboxed Python per script (the sandbox allows 1 s per script).
SLOW = "total = 0\nfor i in range(50000):\n    total = total + i"


def slow_diagram(key: str = "slow", slow_scripts: int = 2) -> str:
    """受理 (frontdesk) → async 登记 (`runs = runs + 1`) → slow scripts → 审核 (minzheng) → end.

    The async script and the slow ones after it are one job: about 0.3 s of work a worker may die in."""
    steps = ["Script_count", *[f"Script_slow{i}" for i in range(slow_scripts)]]
    scripts = "".join(
        f'<bpmn:scriptTask id="{sid}" name="{sid}">{ASYNC if i == 0 else ""}'
        f"<bpmn:incoming>Flow_{i}</bpmn:incoming><bpmn:outgoing>Flow_{i + 1}</bpmn:outgoing>"
        f"<bpmn:script>{'runs = runs + 1' if i == 0 else SLOW}</bpmn:script></bpmn:scriptTask>"
        for i, sid in enumerate(steps)
    )
    chain = ["Task_accept", *steps, "Task_review"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="Flow_{i}" sourceRef="{a}" targetRef="{b}" />'
        for i, (a, b) in enumerate(zip(chain, chain[1:], strict=False), start=0)
    )
    return (
        HEAD
        + f"""<bpmn:process id="{key}" name="慢脚本" isExecutable="true">
  <bpmn:laneSet id="LaneSet_1">
    <bpmn:lane id="Lane_front" name="frontdesk"><bpmn:flowNodeRef>Task_accept</bpmn:flowNodeRef></bpmn:lane>
    <bpmn:lane id="Lane_back" name="minzheng"><bpmn:flowNodeRef>Task_review</bpmn:flowNodeRef></bpmn:lane>
  </bpmn:laneSet>
  <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_s</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="Flow_s" sourceRef="Start_1" targetRef="Task_accept" />
  <bpmn:userTask id="Task_accept" name="受理"><bpmn:incoming>Flow_s</bpmn:incoming><bpmn:outgoing>Flow_0</bpmn:outgoing></bpmn:userTask>
  {scripts}
  <bpmn:userTask id="Task_review" name="审核"><bpmn:incoming>Flow_{len(steps)}</bpmn:incoming><bpmn:outgoing>Flow_e</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="End_1"><bpmn:incoming>Flow_e</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="Flow_e" sourceRef="Task_review" targetRef="End_1" />
  {flows}
</bpmn:process>
</bpmn:definitions>
"""
    )
