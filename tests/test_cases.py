"""Cases (办件): status codes moved by the diagram, deadlines from acceptance, paused clocks, withdrawal."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import BPMN_DIR

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import Conflict, InvalidInput

UNIT = BPMN_DIR / "case_lifecycle"
APPLICANT = {"applicant": {"name": "王小明", "id_number": "330106199001011234", "phone": "13800000000"}}


def at(text: str) -> datetime:
    """A Beijing wall-clock time as the store's naive UTC."""
    return datetime.fromisoformat(text) - (datetime(2000, 1, 1, 8) - datetime(2000, 1, 1))


@pytest.fixture
def h(harness):
    harness.members(clerk=["frontdesk", "minzheng"])
    harness.ow.deploy(UNIT, publish=True)
    return harness


def do(h, number: str, node: str, data: dict | None = None) -> dict:
    case = h.restart().case(number)
    task = next(t for t in h.ow.instance(case["instance"])["open_tasks"] if t["name"] == node)
    return h.ow.complete(task["id"], "clerk", data or {})


def test_accepted_case_runs_to_approval_with_deadlines_from_acceptance(h):
    with clock.travel(at("2026-09-28 09:00")):  # Monday before National Day
        started = h.ow.start("case_lifecycle", APPLICANT)
        number = started["case_number"]
        assert number.startswith("TEST-0001-20260928-")
        case = h.ow.case(number)
        assert (case["status_code"], case["status"], case["accepted_at"]) == (1, "已接件", None)
        do(h, number, "Task_receive", {"complete": True, "opinion": "材料齐全"})
    case = h.ow.case(number)
    assert case["status_code"] == 3 and case["accepted_at"].startswith("2026-09-28T01:00")
    # 5 working days: 09-29, 09-30, (National Day 10-01..07), 10-08, 10-09, Saturday 10-10 (调休)
    assert (case["promised_due"], case["statutory_due"], case["provisional"]) == (
        "2026-10-10",
        "2026-10-30",
        False,
    )
    with clock.travel(at("2026-09-29 10:00")):
        do(h, number, "Task_review", {"hearing": False})
        assert h.ow.case(number)["status_code"] == 8
        do(h, number, "Task_decide", {"approved": True, "result_name": "许可证", "result_number": "X-1"})
    case = h.ow.case(number)
    assert (case["status_code"], case["status"]) == (11, "办结(通过)")
    assert case["closed_at"] and case["result"] == {"approved": True, "name": "许可证", "number": "X-1"}
    assert [s["node"] for s in case["steps"]] == ["Task_receive", "Task_review", "Task_decide"]
    assert case["steps"][0]["opinion"] == "材料齐全" and case["steps"][0]["handler"] == "clerk"


def test_supplement_before_acceptance_does_not_count_and_a_hearing_moves_the_due_dates(h):
    with clock.travel(at("2026-09-21 09:00")):
        number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        do(h, number, "Task_receive", {"complete": False})
        do(h, number, "Task_notice", {"missing": ["场地证明"]})
        assert h.ow.case(number)["status_code"] == 6
    with clock.travel(at("2026-09-28 09:00")):
        do(h, number, "Task_resubmit", {"complete": True})
    case = h.ow.case(number)
    assert case["status_code"] == 3 and case["promised_due"] == "2026-10-10"  # clock starts at acceptance
    assert [(p["kind"], p["ended_at"] is not None) for p in case["paused"]] == [("补正", True)]
    with clock.travel(at("2026-10-08 09:00")):
        do(h, number, "Task_review", {"hearing": True, "pause_days": 3, "pause_approver": "局长 李明"})
        case = h.ow.case(number)
        assert case["status_code"] == 9 and case["paused"][-1]["kind"] == "听证"
        assert case["paused"][-1]["approver"] == "局长 李明" and case["paused"][-1]["planned_days"] == 3
    with clock.travel(at("2026-10-12 16:00")):
        do(h, number, "Task_hearing", {})
    case = h.ow.case(number)
    # paused working days in (10-08, 10-12]: 10-09, 10-10 (调休), 10-12 → due moves 3 working days
    assert case["status_code"] == 10
    assert (case["promised_due"], case["statutory_due"]) == ("2026-10-14", "2026-11-04")


def test_supplement_not_answered_in_30_days_closes_the_case_as_refused(h):
    with clock.travel(at("2026-09-21 09:00")):
        number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        do(h, number, "Task_receive", {"complete": False})
        do(h, number, "Task_notice", {})
    with clock.travel(at("2026-10-21 09:01")):
        assert [o["status"] for o in h.restart().run_due_jobs()] == ["done"]
    case = h.ow.case(number)
    assert (case["status_code"], case["status"]) == (5, "不予受理")
    assert case["closed_at"] and all(p["ended_at"] for p in case["paused"])


def test_withdrawal_before_and_after_acceptance_and_revocation(h):
    first = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
    assert h.ow.withdraw(first, "王小明", "不需要了")["status_code"] == 2  # 已撤件
    with pytest.raises(Conflict, match="already closed"):
        h.ow.withdraw(first, "王小明")
    assert h.ow.tasks("clerk") == []  # its open task went with it

    second = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
    do(h, second, "Task_receive", {"complete": True})
    assert h.ow.withdraw(second, "王小明")["status_code"] == 14  # 撤回
    detail = h.ow.instance(h.ow.case(second)["instance"])
    assert detail["status"] == "cancelled" and detail["open_tasks"] == []

    third = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
    with pytest.raises(InvalidInput, match="needs a reason"):
        h.ow.revoke(third, "supervisor", "")
    assert h.ow.revoke(third, "supervisor", "以欺骗手段取得")["status_code"] == 15


def test_bad_applications_are_refused_and_store_nothing(h):
    before = h.row_counts()
    with pytest.raises(InvalidInput) as info:
        h.ow.start("case_lifecycle", {"channel": "飞鸽传书", "proxy": {"name": "李四"}})
    assert {p.field for p in info.value.problems} == {"applicant", "channel", "proxy"}
    assert h.row_counts() == before


def test_documents_carry_the_case_and_escape_what_applicants_typed(h, tmp_path):
    from pypdf import PdfReader

    data = {"applicant": {"name": "<script>alert(1)</script>王"}}
    with clock.travel(at("2026-09-21 09:00")):
        number = h.ow.start("case_lifecycle", data)["case_number"]
        do(h, number, "Task_receive", {"complete": False})
        do(h, number, "Task_notice", {"missing": ["场地证明", "身份证明"]})
    html, pdf, name = h.ow.document(number, "one_time_notice")
    assert name.endswith(".pdf") and number in name
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    (tmp_path / name).write_bytes(pdf)
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / name).pages)
    assert number in text and "一次性告知书" in text and "场地证明" in text and "身份证明" in text
    assert "<script>alert(1)</script>王" in text
    with pytest.raises(InvalidInput, match="document must be one of"):
        h.ow.document(number, "certificate")


def test_steps_are_due_by_the_case_or_their_departments_limit(h):
    with clock.travel(at("2026-09-28 09:00")):
        number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        out = do(h, number, "Task_receive", {"complete": True})
    assert [(t["name"], t["due_at"]) for t in out["tasks"]] == [
        ("Task_review", "2026-10-10T09:00:00")
    ]  # 17:00 CST

    h.members(clerk=["weijian", "gongan", "yibao", "renshe"])
    h.ow.deploy(REPO_ROOT / "processes" / "newborn_one_thing", publish=True)
    with clock.travel(at("2026-09-28 09:00")):
        started = h.ow.start("newborn_one_thing", APPLICANT)
        out = h.ow.complete(started["tasks"][0]["id"], "clerk", {"eligible": True, "complete": True})
    # department_days: weijian 3 → 10-08, gongan 5 and yibao 5 → 10-10 (调休 Saturday), renshe 10 → 10-16
    assert {t["group"]: t["due_at"][:10] for t in out["tasks"]} == {
        "weijian": "2026-10-08",
        "gongan": "2026-10-10",
        "yibao": "2026-10-10",
        "renshe": "2026-10-16",
    }


def test_a_calendar_edit_recomputes_open_cases_and_says_so(h):
    with clock.travel(at("2026-09-28 09:00")):
        number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        review = do(h, number, "Task_receive", {"complete": True})["tasks"][0]
        closed = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        h.ow.withdraw(closed, "王小明")
    assert h.ow.case(number)["promised_due"] == "2026-10-10"
    changed = h.ow.calendar_set("2026-10-09", "rest", note="临时调休", actor="admin")
    assert changed["recomputed"] == [
        {
            "case_number": number,
            "promised_due": ["2026-10-10", "2026-10-12"],
            "statutory_due": ["2026-10-30", "2026-11-02"],
        }
    ]
    assert h.ow.case(number)["promised_due"] == "2026-10-12"
    assert h.ow.tasks("clerk")[0]["id"] == review["id"]
    assert h.ow.tasks("clerk")[0]["due_at"] == "2026-10-12T09:00:00"  # the open step moved too
    history = [e["action"] for e in h.ow.instance(h.ow.case(number)["instance"])["history"]]
    assert "case_due_moved" in history


def test_missing_required_material_cannot_be_accepted_but_tolerated_ones_can(h):
    number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
    before = h.row_counts()
    with pytest.raises(InvalidInput, match="required materials missing \\(身份证明\\)"):
        do(h, number, "Task_receive", {"complete": True, "materials_received": ["申请书"]})
    assert h.row_counts() == before and h.ow.case(number)["status_code"] == 1  # nothing applied
    do(h, number, "Task_receive", {"complete": True, "materials_received": ["申请书", "身份证明"]})
    case = h.ow.case(number)
    assert (case["status_code"], case["tolerated"]) == (3, ["场地证明"])  # 容缺受理
    do(h, number, "Task_review", {"hearing": False})
    do(h, number, "Task_decide", {"approved": True})
    assert h.ow.case(number)["status"] == "办结(容缺通过)"

    complete = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
    do(
        h,
        complete,
        "Task_receive",
        {"complete": True, "materials_received": ["申请书", "身份证明", "场地证明"]},
    )
    do(h, complete, "Task_review", {"hearing": False})
    do(h, complete, "Task_decide", {"approved": True})
    assert h.ow.case(complete)["status_code"] == 11


def test_the_supplement_period_comes_from_the_catalog(h, tmp_path):
    import shutil

    unit = tmp_path / "case_lifecycle"
    shutil.copytree(UNIT, unit)
    item = unit / "item.yaml"
    item.write_text(
        item.read_text(encoding="utf-8").replace(
            "limits: {statutory_days: 20, promised_days: 5}",
            "limits: {statutory_days: 20, promised_days: 5, supplement_days: 10}",
        ),
        encoding="utf-8",
    )
    assert h.ow.deploy(unit, publish=True)[0]["version"] == 2
    with clock.travel(at("2026-09-21 09:00")):
        number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
        do(h, number, "Task_receive", {"complete": False})
        do(h, number, "Task_notice", {})
    with clock.travel(at("2026-10-01 09:01")):  # 10 calendar days later
        h.restart().run_due_jobs()
    assert h.ow.case(number)["status"] == "不予受理"
