"""A timer in working days (spiffworkflow:property workingDays beside its ISO duration) waits by the Chinese
working-day calendar — holidays and 调休 make-up days included — while other modelers still read P3D."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from diagrams import HEAD

from orchestrator.core import clock
from orchestrator.core.errors import InvalidInput

CHINA = timezone(timedelta(hours=8))


def diagram(days: str = "3", duration_tag: str = "timeDuration", duration: str = "P3D") -> str:
    return (
        HEAD
        + f"""<bpmn:process id="workday_wait" isExecutable="true">
  <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:intermediateCatchEvent id="Wait_1" name="等待三个工作日">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="workingDays" value="{days}" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    <bpmn:timerEventDefinition id="Ted_1"><bpmn:{duration_tag}>{duration}</bpmn:{duration_tag}></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="End_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Wait_1" />
  <bpmn:sequenceFlow id="Flow_2" sourceRef="Wait_1" targetRef="End_1" />
</bpmn:process>
</bpmn:definitions>
"""
    )


def deploy(harness, tmp_path, xml: str):
    path = tmp_path / "workday_wait.bpmn"
    path.write_text(xml, encoding="utf-8")
    return harness.ow.deploy(path, publish=True)


def china(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def test_a_working_day_timer_skips_the_national_day_holiday(harness, tmp_path):
    deploy(harness, tmp_path, diagram())
    with clock.travel(
        china(2026, 9, 30, 10, 0)
    ):  # Wednesday; 1–7 October are holidays, 10 October a make-up day
        started = harness.restart().start("workday_wait", {})
    instance = started["instance"]
    with clock.travel(china(2026, 10, 9, 9, 59)):  # three calendar days (P3D) are long past
        assert harness.restart().run_due_jobs() == []
    assert harness.ow.instance(instance)["status"] != "completed"
    with clock.travel(china(2026, 10, 10, 10, 0, 1)):  # the third working day, same time of day
        assert [o["kind"] for o in harness.restart().run_due_jobs()] == ["timer"]
    assert harness.ow.instance(instance)["status"] == "completed"


def test_the_diagram_keeps_its_portable_duration(harness, tmp_path):
    deploy(harness, tmp_path, diagram())
    stored = harness.ow.definition("workday_wait", 1)["files"]["workday_wait.bpmn"]
    assert "<bpmn:timeDuration>P3D</bpmn:timeDuration>" in stored
    assert "working_days_from_now" not in stored


@pytest.mark.parametrize(
    ("days", "tag", "message"),
    [
        ("0", "timeDuration", "whole number of days from 1 to 2500"),
        ("three", "timeDuration", "whole number of days from 1 to 2500"),
        ("99999", "timeDuration", "whole number of days from 1 to 2500"),
        ("3", "timeCycle", "belongs on a timer with a duration"),
    ],
)
def test_a_working_day_timer_that_cannot_run_is_refused(harness, tmp_path, days, tag, message):
    duration = "R3/PT1H" if tag == "timeCycle" else "P3D"
    with pytest.raises(InvalidInput, match=message) as refused:
        deploy(harness, tmp_path, diagram(days, tag, duration))
    assert refused.value.problems[0].element == "Wait_1"
    assert harness.ow.definitions() == []
