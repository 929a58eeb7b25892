"""Diagram marks of a case's progress: done, current, ahead and stuck elements, with the path between them,
although the engine keeps no finished history in the stored state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from diagrams import approval

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import NotAllowed

GENERAL = REPO_ROOT / "processes" / "general_approval"
APPLICANT = {"applicant": {"name": "王小明"}}


@pytest.fixture
def h(harness):
    harness.members(clerk=["frontdesk", "minzheng", "delivery"])
    harness.ow.deploy(GENERAL, publish=True)
    return harness


def marks(h, instance: int) -> dict:
    return h.restart().progress(instance, parts=("marks",))["marks"]


def finish(h, task_id: int, data: dict) -> dict:
    h.ow.claim(task_id, "clerk")
    return h.ow.complete(task_id, "clerk", data)


def test_marks_follow_a_case_from_start_to_its_end_event(h):
    started = h.ow.start("general_approval", APPLICANT, actor="clerk")
    first = marks(h, started["instance"])
    assert first["current"] == ["Task_accept"]
    assert {"StartEvent_apply", "Flow_1"} <= set(first["completed"])
    assert {"Gateway_accepted", "Event_accepted"} <= set(first["pending"])
    assert first["incident"] == []

    review = finish(h, started["tasks"][0]["id"], {"applicant": "王小明", "accepted": True})["tasks"][0]
    second = marks(h, started["instance"])
    # the accepted path, though the engine pruned the start event and gateway from the stored state
    path = ["StartEvent_apply", "Flow_1", "Task_accept", "Flow_2", "Gateway_accepted", "Flow_accept"]
    assert set(path + ["Event_accepted", "Flow_to_review"]) <= set(second["completed"])
    assert second["current"] == ["Task_review"]
    assert "Flow_refuse" not in second["completed"] and "EndEvent_refused" not in second["completed"]
    assert {"Gateway_approved", "Task_deliver", "EndEvent_done"} <= set(second["pending"])
    assert "Timer_urge" in second["pending"]  # an armed deadline timer may fire: ahead, not current
    assert not set(second["pending"]) & set(second["completed"])

    deliver = finish(h, review["id"], {"approved": True})["tasks"][0]
    third = marks(h, started["instance"])
    assert {"Task_review", "Gateway_approved", "Flow_approve", "Task_accept"} <= set(third["completed"])
    assert third["current"] == ["Task_deliver"] and third["pending"] == ["EndEvent_done"]

    assert finish(h, deliver["id"], {"delivery": "窗口领取"})["status"] == "completed"
    last = marks(h, started["instance"])
    assert {"Task_deliver", "Flow_4", "EndEvent_done", "StartEvent_apply"} <= set(last["completed"])
    assert last["current"] == last["pending"] == last["incident"] == []
    assert "EndEvent_rejected" not in last["completed"] and "Flow_reject" not in last["completed"]


def test_refused_case_marks_the_refusal_end_and_not_the_review(h):
    started = h.ow.start("general_approval", APPLICANT, actor="clerk")
    finish(h, started["tasks"][0]["id"], {"applicant": "王小明", "accepted": False})
    done = marks(h, started["instance"])
    assert {"Task_accept", "Gateway_accepted", "Flow_refuse", "EndEvent_refused"} <= set(done["completed"])
    assert not {"Task_review", "Event_accepted", "Flow_accept"} & set(done["completed"])
    assert done["current"] == done["pending"] == []


def test_withdrawn_case_has_nothing_current(h):
    started = h.ow.start("general_approval", APPLICANT, actor="clerk")
    h.ow.withdraw(started["case_number"], "王小明", reason="不办了")
    done = marks(h, started["instance"])
    assert done["current"] == done["pending"] == []
    assert "StartEvent_apply" in done["completed"]


def test_failed_script_is_marked_as_an_incident(harness, tmp_path):
    path = tmp_path / "approval.bpmn"
    path.write_text(approval(script="checked = missing_value + 1", second_condition="x == 1"))
    harness.ow.deploy(path, publish=True)
    harness.members(clerk=["frontdesk", "minzheng"])
    started = harness.ow.start("approval")
    harness.ow.complete(started["tasks"][0]["id"], "clerk", {})
    assert marks(harness, started["instance"])["incident"] == []  # still retrying: not an incident yet
    at = clock.now()
    for _ in range(3):
        assert "missing_value" in harness.ow.run_due_jobs(at=at)[0]["error"]
        at += timedelta(hours=2)  # past the backoff
    assert harness.ow.incidents()
    found = marks(harness, started["instance"])
    assert found["incident"] == ["Script_1"]
    assert "Script_1" not in found["current"] + found["pending"] + found["completed"]
    assert {"Start_1", "Flow_1", "Task_accept", "Flow_2"} <= set(found["completed"])


def test_progress_gives_the_versions_diagram_and_every_step_with_its_form(h):
    started = h.ow.start("general_approval", APPLICANT, actor="clerk")
    finish(h, started["tasks"][0]["id"], {"applicant": "王小明", "accepted": True, "opinion": "材料齐全"})
    found = h.ow.progress(started["instance"])
    assert 'id="general_approval"' in found["diagram"] and "<bpmndi:BPMNDiagram" in found["diagram"]
    assert found["application"] == APPLICANT  # the start data, without the item facts the engine adds
    [step] = found["steps"]
    assert (step["node"], step["title"], step["by"], step["outcome"]) == (
        "Task_accept",
        "受理",
        "clerk",
        "通过",
    )
    assert step["opinion"] == "材料齐全" and step["data"]["accepted"] is True
    assert step["form_schema"]["properties"]["accepted"]["title"] == "是否受理"
    assert [m["name"] for m in found["catalog"]["materials"]] == ["申请表", "居民身份证"]


def test_progress_is_only_for_who_may_see_the_case(h):
    started = h.ow.start("general_approval", APPLICANT, actor="clerk")
    with pytest.raises(NotAllowed):
        h.ow.progress(started["instance"], "stranger", see_all=False)
    assert h.ow.progress(started["instance"], "clerk", see_all=False, parts=("marks",))["marks"]["current"]


def test_recent_cases_are_those_a_user_started_or_handled(h):
    mine = h.ow.start("general_approval", {"applicant": {"name": "甲"}}, actor="clerk")
    other = h.ow.start("general_approval", {"applicant": {"name": "乙"}}, actor="someone")
    assert [c["case_number"] for c in h.ow.recent_cases("clerk")] == [mine["case_number"]]
    finish(h, other["tasks"][0]["id"], {"applicant": "乙", "accepted": True})
    found = h.ow.recent_cases("clerk")
    assert [c["case_number"] for c in found] == [other["case_number"], mine["case_number"]]
    assert [c["started_by_me"] for c in found] == [False, True]
    assert found[0]["status"] == "已受理" and found[0]["applicant"] == "乙"
    assert h.ow.recent_cases("nobody") == []
