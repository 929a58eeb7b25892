"""Recording a process test from a case (保存为流程测试, `OneWindow.record_test`): a case worked through the
facade becomes a test of its real history — start data and the starter's group, each step with its data,
action and reason, waits where timers fired, what it reached — and that test, run, takes the same path and
passes: the main path, a 补正 loop, a 补正 left to time out, a send-back and a refusal, a case still running.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.core.errors import InvalidInput, NotFound
from orchestrator.deploy import process_tests
from orchestrator.service import OneWindow

KEY = "general_approval"
FOLDER = REPO_ROOT / "processes" / KEY
MONDAY = datetime(2026, 10, 12, 2, 0)  # 10:00 Beijing
ACCEPT = {"applicant": "张三", "id_number": "110101199003074514", "accepted": True, "complete": True}


@pytest.fixture(scope="module")
def ow(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recording")
    settings = Settings(database_url=f"sqlite:///{folder / 'onewindow.db'}", data_dir=folder / "data")
    with OneWindow(settings) as ow:
        ow.upgrade()
        ow.load_demo_org()
        ow.deploy(FOLDER, publish=True, run_tests=False)
        yield ow


def act(ow: OneWindow, task: dict, user: str, how: str = "complete", **kw) -> dict:
    ow.claim(task["id"], user)
    return getattr(ow, how)(task["id"], user, **kw)


def run_alone(ow: OneWindow, test: dict, tmp_path: Path) -> dict:
    """The recorded test run on its own against the unit (a copy of the folder holding only this test)."""
    folder = tmp_path / KEY
    shutil.copytree(FOLDER, folder)
    shutil.rmtree(folder / "tests")
    (folder / "tests").mkdir()
    (folder / "tests" / "recorded.json").write_text(json.dumps(test, ensure_ascii=False), encoding="utf-8")
    run = ow.run_tests(folder)
    assert len(run["tests"]) == 1
    return run["tests"][0]


def path_of(ow: OneWindow, instance: int) -> list[str]:
    """The steps the case finished, in order (element ids)."""
    tasks = ow.instance(instance)["tasks"]
    return [t["name"] for t in sorted(tasks, key=lambda t: t["id"]) if t["state"] == "completed"]


def test_a_finished_case_records_a_test_that_passes(ow, tmp_path):
    with clock.travel(MONDAY):
        started = ow.start(KEY, {"applicant": "张三"}, actor="frontdesk")
        review = act(ow, started["tasks"][0], "frontdesk", data=ACCEPT)["tasks"][0]
    with clock.travel(MONDAY + timedelta(days=1)):
        deliver = act(ow, review, "minzheng", data={"approved": True, "opinion": "同意"})["tasks"][0]
        act(ow, deliver, "frontdesk", data={"delivery": "窗口领取"})
    case = ow.case(started["case_number"])
    assert case["status_code"] == 11

    test = ow.record_test(started["case_number"])
    assert process_tests.load("r.json", json.dumps(test).encode())[1] == []
    assert test["accepted_on"] == "2026-10-12" and started["case_number"] in test["title"]
    assert test["start"] == {"data": {"applicant": "张三"}, "as": "frontdesk"}  # the item's facts left out
    assert test["steps"] == [
        {"task": "Task_accept", "data": ACCEPT},
        {"task": "Task_review", "data": {"approved": True, "opinion": "同意"}},
        {"task": "Task_deliver", "data": {"delivery": "窗口领取"}},
    ]
    assert test["expect"] == {
        "path": ["Task_accept", "Task_review", "Task_deliver"],
        "end": "EndEvent_done",
        "status_code": 11,
        "promised_due": case["promised_due"],
    }
    verdict = run_alone(ow, test, tmp_path)
    assert verdict["passed"], verdict["problems"]


def test_a_supplement_loop_is_recorded_with_its_action_and_reason_and_reproduced(ow, tmp_path):
    with clock.travel(MONDAY):
        started = ow.start(KEY, {"applicant": "李四"}, actor="frontdesk")
        done = act(ow, started["tasks"][0], "frontdesk", "supplement", reason="缺少身份证复印件",
                   data={"applicant": "李四"})  # fmt: skip
        resubmit = act(ow, done["tasks"][0], "frontdesk", data={})["tasks"][0]
    with clock.travel(MONDAY + timedelta(days=2)):  # the applicant comes back two days later
        accept = act(ow, resubmit, "frontdesk", data={})["tasks"][0]
        review = act(ow, accept, "frontdesk", data={**ACCEPT, "applicant": "李四"})["tasks"][0]
        act(ow, review, "minzheng", "reject", reason="不符合条件")
    real_path = path_of(ow, started["instance"])
    assert real_path == ["Task_accept", "Task_notice", "Task_resubmit", "Task_accept", "Task_review"]

    test = ow.record_test(started["case_number"])
    assert test["steps"][0] == {
        "task": "Task_accept",
        "action": "supplement",
        "reason": "缺少身份证复印件",
        "data": {"applicant": "李四"},  # what the clerk typed, not the 补正 path's own data
    }
    assert test["steps"][-1] == {"task": "Task_review", "action": "reject", "reason": "不符合条件"}
    assert test["accepted_on"] == "2026-10-14"  # accepted after the 补正, two days later
    assert test["expect"]["path"] == real_path
    assert test["expect"]["end"] == "EndEvent_rejected" and test["expect"]["status_code"] == 13
    verdict = run_alone(ow, test, tmp_path)
    assert verdict["passed"], verdict["problems"]
    assert verdict["path"] == real_path and verdict["end"] == "EndEvent_rejected"


def test_a_timer_that_fired_becomes_a_wait(ow, tmp_path):
    with clock.travel(MONDAY):
        started = ow.start(KEY, {"applicant": "王五"}, actor="frontdesk")
        done = act(
            ow, started["tasks"][0], "frontdesk", "supplement", reason="缺材料", data={"applicant": "王五"}
        )
        act(ow, done["tasks"][0], "frontdesk", data={})
    later = MONDAY + timedelta(days=31)
    with clock.travel(later):
        ow.run_due_jobs(at=later)  # 30 days without 补正: 不予受理
    assert ow.case(started["case_number"])["status_code"] == 5

    test = ow.record_test(started["case_number"])
    assert test["steps"][-1] == {"wait": "P30D"}
    assert test["expect"] == {"path": ["Task_accept", "Task_notice"], "end": "End_timeout", "status_code": 5}
    verdict = run_alone(ow, test, tmp_path)
    assert verdict["passed"], verdict["problems"]


def test_a_send_back_and_a_running_case(ow, tmp_path):
    with clock.travel(MONDAY):
        started = ow.start(KEY, {"applicant": "赵六"}, actor="frontdesk")
        review = act(ow, started["tasks"][0], "frontdesk", data={**ACCEPT, "applicant": "赵六"})["tasks"][0]
        again = act(ow, review, "minzheng", "send_back", reason="请核实身份证号")["tasks"][0]
        act(ow, again, "frontdesk", data={**ACCEPT, "applicant": "赵六"})
    test = ow.record_test(started["case_number"])  # still at 审核
    assert test["steps"][1] == {"task": "Task_review", "action": "send_back", "reason": "请核实身份证号"}
    assert test["expect"]["path"] == ["Task_accept", "Task_review", "Task_accept"]
    assert "end" not in test["expect"] and test["expect"]["status_code"] == 3
    verdict = run_alone(ow, test, tmp_path)
    assert verdict["passed"], verdict["problems"]


def test_what_cannot_be_recorded(ow):
    with pytest.raises(NotFound):
        ow.record_test("NO-SUCH-CASE")
    with clock.travel(MONDAY):
        started = ow.start(KEY, {"applicant": "孙七"}, actor="frontdesk")
        ow.withdraw(started["case_number"], "frontdesk", reason="不办了")
    with pytest.raises(InvalidInput) as refused:
        ow.record_test(started["case_number"])
    assert "withdraw" in str(refused.value)
