"""Timers and scripts that could hang, crash or poison a case are refused at deploy; one that still fails
at run time (computed from data) becomes a located incident and never blocks a start or a worker."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from diagrams import HEAD, approval

from orchestrator.core.errors import InvalidInput


def timer_diagram(tag: str, expression: str, key: str = "timed") -> str:
    return (
        HEAD
        + f"""<bpmn:process id="{key}" isExecutable="true">
  <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:intermediateCatchEvent id="Wait_1"><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    <bpmn:timerEventDefinition id="Ted_1"><bpmn:{tag} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{tag}>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="End_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Wait_1" />
  <bpmn:sequenceFlow id="Flow_2" sourceRef="Wait_1" targetRef="End_1" />
</bpmn:process>
</bpmn:definitions>
"""
    )


def deploy(harness, tmp_path, xml: str, name: str = "timed.bpmn"):
    path = tmp_path / name
    path.write_text(xml, encoding="utf-8")
    return harness.ow.deploy(path, publish=True)


@pytest.mark.parametrize(
    ("tag", "expression", "message"),
    [
        ("timeCycle", "R/PT0S", "an interval from a minute to ten years"),
        ("timeCycle", "R-1/PT0S", "an interval from a minute to ten years"),
        ("timeDuration", "P99999Y", "at most ten years"),
        ("timeDuration", "PT99999999999999999999S", "not valid ISO 8601"),
        ("timeDuration", "-P1D", "not valid ISO 8601"),
        ("timeDuration", "PT0S", "longer than zero"),
        ("timeDate", "2200-01-01T00:00:00+08:00", "between 2000 and 2100"),
    ],
)
def test_a_timer_that_could_hang_or_overflow_is_refused_at_deploy(
    harness, tmp_path, tag, expression, message
):
    with pytest.raises(InvalidInput, match=message) as refused:
        deploy(harness, tmp_path, timer_diagram(tag, expression))
    assert refused.value.problems[0].element == "Wait_1" and refused.value.problems[0].line
    assert harness.ow.definitions() == []


def test_an_empty_script_is_refused_at_deploy(harness, tmp_path):
    with pytest.raises(InvalidInput, match="the script is empty") as refused:
        deploy(harness, tmp_path, approval(script="", second_condition="x == 1"), "approval.bpmn")
    assert [p.element for p in refused.value.problems] == ["Script_1"]


def test_a_zero_interval_cycle_computed_from_data_becomes_an_incident_not_a_hang(harness, tmp_path):
    deploy(harness, tmp_path, timer_diagram("timeCycle", '"R/PT" + str(zero) + "S"'))
    began = time.monotonic()
    started = harness.ow.start("timed", {"zero": 0})  # returns: the runaway step is left to a job
    assert time.monotonic() - began < 20
    retry_until_incident(harness)
    incidents = harness.ow.incidents()
    assert [i["instance"] for i in incidents] == [started["instance"]]
    assert "the interval must be from a minute to ten years" in incidents[0]["error"]


def test_an_overflowing_duration_computed_from_data_becomes_an_incident(harness, tmp_path):
    deploy(harness, tmp_path, timer_diagram("timeDuration", '"P" + str(years) + "Y"'))
    started = harness.ow.start("timed", {"years": 99999})
    retry_until_incident(harness)
    incidents = harness.ow.incidents()
    assert [i["instance"] for i in incidents] == [started["instance"]]
    assert "a timer duration may not exceed ten years" in incidents[0]["error"]


def test_a_step_that_runs_away_is_stopped(monkeypatch):
    from orchestrator.bpmn import engine

    class Task:
        task_spec = type("Spec", (), {"bpmn_id": "Loop_1", "extensions": {}})()
        id = "t"

    class Workflow:
        def do_engine_steps(self, will_complete_task=None):
            while True:
                will_complete_task(Task())

    with pytest.raises(engine.EngineRunaway, match="more than 5000 engine tasks in one step"):
        engine.run_engine(Workflow())


def retry_until_incident(harness) -> None:
    at = datetime(2099, 1, 1)
    for attempt in range(4):  # a failed job is due again after a backoff: let that time pass
        harness.ow.run_due_jobs(at=at + timedelta(hours=attempt))
