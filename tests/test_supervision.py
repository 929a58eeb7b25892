"""电子监察: reminders and red/yellow cards, once each, never while the clock is paused."""

from __future__ import annotations

from conftest import BPMN_DIR
from test_cases import APPLICANT, at, do

from orchestrator.core import clock

UNIT = BPMN_DIR / "case_lifecycle"  # promised limit 5 working days


def sweep(h, when: str) -> list[tuple[str, str]]:
    with clock.travel(at(when)):
        return [(w["level"], w["level_name"]) for w in h.restart().sweep()]


def test_reminder_yellow_and_red_each_once(harness):
    h = harness
    h.members(clerk=["frontdesk", "minzheng"])
    h.ow.deploy(UNIT, publish=True)
    with clock.travel(at("2026-09-28 09:00")):
        number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        do(h, number, "Task_receive", {"complete": True})  # accepted; promised due 2026-10-10 (Saturday 调休)
    assert sweep(h, "2026-09-30 10:00") == []  # 2 of 5 working days used
    assert sweep(h, "2026-10-09 10:00") == [("reminder", "提醒")]  # 4 used, 1 left
    assert sweep(h, "2026-10-09 15:00") == []  # recorded once
    assert sweep(h, "2026-10-10 10:00") == [("yellow", "黄牌")]  # 5 used, 0 left
    assert sweep(h, "2026-10-12 10:00") == [("red", "红牌")]  # past due
    assert sweep(h, "2026-10-13 10:00") == []
    assert [w["level"] for w in h.ow.case(number)["warnings"]] == ["reminder", "yellow", "red"]
    listed = h.ow.warnings(number)
    assert [(w["level"], w["rule"], w["department"]) for w in listed] == [
        ("reminder", "case", "minzheng"),
        ("yellow", "case", "minzheng"),
        ("red", "case", "minzheng"),
    ]


def test_paused_and_unaccepted_cases_are_not_warned(harness):
    h = harness
    h.members(clerk=["frontdesk", "minzheng"])
    h.ow.deploy(UNIT, publish=True)
    with clock.travel(at("2026-09-28 09:00")):
        waiting = h.ow.start("case_lifecycle", APPLICANT)["case_number"]  # never accepted
        paused = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        do(h, paused, "Task_receive", {"complete": True})
        do(h, paused, "Task_review", {"hearing": True})  # 特别程序: the clock stops
    assert sweep(h, "2026-10-20 10:00") == []
    assert h.ow.warnings(waiting) == [] and h.ow.warnings(paused) == []


def test_the_worker_runs_the_sweep_as_a_job(harness):
    h = harness
    h.members(clerk=["frontdesk", "minzheng"])
    h.ow.deploy(UNIT, publish=True)
    with clock.travel(at("2026-09-28 09:00")):
        number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        do(h, number, "Task_receive", {"complete": True})
    with clock.travel(at("2026-10-12 10:00")):
        h.ow.start_supervision()
        h.ow.start_supervision()  # idempotent: one sweep job
        kinds = [o["kind"] for o in h.ow.run_due_jobs()]
    assert kinds == ["sweep"]
    assert [w["level"] for w in h.ow.warnings(number)] == ["red"]
