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
