"""The process library's grid and proxy flows, walked path by path with time travel:

- `owners_committee_filing` — 业主委员会备案 applied for by a grid proxy (高桥镇 助跑员): 委托 → 收件审查 with
  补正 (and its 30-day timeout) → 受理 → 审核 → 准予 / 不予备案 → the proxy hands the result over and signs
  the 助跑员工作记录本;
- `grid_event` — the 四个平台 loop: 上报 → 研判分派 (2 working days) → one of four platforms (7 working days)
  → 反馈核实 (back to the platform when unsatisfied) → 考核评价;
- `evaluation_rectification` — a 差评 is verified and rectified within 15 working days, called back, and
  may be appealed (申诉复核).

Deadlines straddle the 2026 holidays: 中秋 09-25..27 and 国庆 10-01..07 are off; Sunday 09-20 and Saturday
10-10 are make-up working days (调休).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import BPMN_DIR

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput, NotAllowed

PROCESSES = REPO_ROOT / "processes"
FOLDERS = ("owners_committee_filing", "grid_event", "evaluation_rectification")
USERS = {  # one user per group, named after it; the grid worker is 网格长 吴燕红 of the seeds
    "wuyanhong": ["grid"],
    "window": ["frontdesk"],
    "minzheng": ["minzheng"],
    "renshe": ["renshe"],
    "yibao": ["yibao"],
    "weijian": ["weijian"],
    "gongan": ["gongan"],
    "command": ["command"],
    "zongzhi": ["zongzhi"],
    "shichang": ["shichang"],
    "zhifa": ["zhifa"],
    "bianmin": ["bianmin"],
}
USER_OF = {groups[0]: user for user, groups in USERS.items()}


def at(text: str) -> datetime:
    """A Beijing wall-clock time as the store's naive UTC."""
    return datetime.fromisoformat(text) - timedelta(hours=8)


@pytest.fixture
def h(harness):
    harness.members(**USERS)
    for folder in FOLDERS:
        harness.ow.deploy(PROCESSES / folder, publish=True)
    return harness


def open_tasks(h, instance: int) -> list[tuple[str, str]]:
    """(node, group) of the instance's open tasks, after a restart."""
    return sorted((t["name"], t["group"]) for t in h.restart().instance(instance)["open_tasks"])


def do(h, instance: int, node: str, data: dict | None = None) -> dict:
    """Restart, then complete the open task `node` as the member of its lane's group."""
    ow = h.restart()
    task = next(t for t in ow.instance(instance)["open_tasks"] if t["name"] == node)
    return ow.complete(task["id"], USER_OF[task["group"]], data or {})


def due_jobs(h) -> list[str]:
    return [job["status"] for job in h.restart().run_due_jobs()]


def finished(h, instance: int) -> dict:
    detail = h.restart().instance(instance)
    assert detail["status"] == "completed" and detail["open_tasks"] == []
    return detail


# -- 业主委员会备案, applied for by a proxy ------------------------------------------------------------------

APPLICATION = {
    "applicant": {"name": "马浦丰和园业主委员会", "contact": "张建国", "phone": "13800000001"},
    "proxy": {"name": "吴燕红", "role": "网格长"},
    "channel": "代办",
}
AUTHORISATION = {
    "applicant_name": "张建国",
    "applicant_id_number": "330203196805120017",
    "applicant_phone": "13800000001",
    "applicant_type": "业主委员会",
    "community": "马浦村",
    "proxy_name": "吴燕红",
    "items": ["业主委员会备案"],
    "materials": [
        {"name": "业主委员会备案申请表", "copies": 1, "handed_at": "2026-09-28"},
        {"name": "业主大会会议记录", "copies": 1, "handed_at": "2026-09-28"},
        {"name": "业主委员会委员名单", "copies": 1, "handed_at": "2026-09-28"},
        {"name": "管理规约", "copies": 1, "handed_at": "2026-09-28"},
    ],
    "entrusted_at": "2026-09-28",
    "applicant_signature": "张建国",
    "proxy_signature": "吴燕红",
    "signed": True,
}
REVIEWED = {"recommendation": "准予备案", "site_check": False, "opinion": "材料真实齐全，选举程序合法"}
WORK_RECORD = {
    "record_date": "2026-09-30",
    "community": "马浦村",
    "applicant_type": "业主委员会",
    "items": ["业主委员会备案"],
    "result_handed_over": "业主委员会备案回执",
    "applicant_signature": "张建国",
    "proxy_signature": "吴燕红",
    "signed": True,
}


def apply_by_proxy(h) -> tuple[str, int]:
    started = h.ow.start("owners_committee_filing", APPLICATION)
    assert [(t["name"], t["group"]) for t in started["tasks"]] == [("Task_register", "grid")]
    do(h, started["instance"], "Task_register", AUTHORISATION)
    return started["case_number"], started["instance"]


def test_proxy_application_runs_to_filing_and_the_proxy_signs_the_work_record(h):
    with clock.travel(at("2026-09-28 09:00")):  # Monday before National Day
        number, i = apply_by_proxy(h)
        case = h.ow.case(number)
        assert number.startswith("YWHBA-0001-20260928-")
        assert (case["status_code"], case["channel"]) == (1, "代办")
        assert case["proxy"] == {"name": "吴燕红", "role": "网格长"}  # shown as 代理人
        assert case["applicant"]["name"] == "马浦丰和园业主委员会"
        assert open_tasks(h, i) == [("Task_receive", "frontdesk")]
        with pytest.raises(NotAllowed):  # the grid worker cannot accept at the window
            task = h.ow.instance(i)["open_tasks"][0]
            h.ow.complete(task["id"], "wuyanhong", {"decision": "受理"})
        do(h, i, "Task_receive", {"decision": "受理", "opinion": "材料齐全"})
    case = h.ow.case(number)
    # accepted 09-28: 5 working days 09-29, 09-30, (10-01..07 off) 10-08, 10-09, Saturday 10-10 (调休)
    assert (case["status_code"], case["promised_due"], case["statutory_due"]) == (
        3,
        "2026-10-10",
        "2026-10-30",
    )
    assert open_tasks(h, i) == [("Task_review", "minzheng")]
    with clock.travel(at("2026-09-29 10:00")):
        do(h, i, "Task_review", REVIEWED)
        assert h.ow.case(number)["status_code"] == 8
        with pytest.raises(InvalidInput, match="result_number"):  # a filing needs its number
            do(h, i, "Task_decide", {"approved": True, "result_name": "业主委员会备案回执"})
        do(
            h,
            i,
            "Task_decide",
            {"approved": True, "result_name": "业主委员会备案回执", "result_number": "高桥业备〔2026〕12号"},
        )
    case = h.ow.case(number)
    assert (case["status_code"], case["status"]) == (11, "办结(通过)")
    assert case["result"] == {
        "approved": True,
        "name": "业主委员会备案回执",
        "number": "高桥业备〔2026〕12号",
    }
    assert case["closed_at"]
    assert open_tasks(h, i) == [("Task_deliver", "grid")]  # the proxy still owes the hand-over
    with pytest.raises(InvalidInput) as info:
        do(h, i, "Task_deliver", {**WORK_RECORD, "signed": False})
    assert [p.field for p in info.value.problems] == ["signed"]
    with clock.travel(at("2026-09-30 15:00")):
        do(h, i, "Task_deliver", WORK_RECORD)
    detail = finished(h, i)
    assert detail["data"]["result_handed_over"] == "业主委员会备案回执"
    case = h.ow.case(number)
    assert [(s["node"], s["group"], s["handler"]) for s in case["steps"]] == [
        ("Task_register", "grid", "wuyanhong"),
        ("Task_receive", "frontdesk", "window"),
        ("Task_review", "minzheng", "minzheng"),
        ("Task_decide", "minzheng", "minzheng"),
        ("Task_deliver", "grid", "wuyanhong"),
    ]
    assert case["status_code"] == 11


def test_proxy_application_refused_filing_is_closed_as_13_and_still_handed_over(h):
    with clock.travel(at("2026-10-09 09:00")):
        number, i = apply_by_proxy(h)
        do(h, i, "Task_receive", {"decision": "受理"})
        do(h, i, "Task_review", {**REVIEWED, "recommendation": "不予备案", "opinion": "选举未达法定人数"})
        with pytest.raises(InvalidInput, match="reason"):  # a refusal states its reasons
            do(h, i, "Task_decide", {"approved": False})
        do(h, i, "Task_decide", {"approved": False, "reason": "业主大会参会业主人数未过半数"})
    case = h.ow.case(number)
    assert (case["status_code"], case["status"]) == (13, "办结(不通过)")
    assert case["result"]["approved"] is False and case["closed_at"]
    assert open_tasks(h, i) == [("Task_deliver", "grid")]
    do(h, i, "Task_deliver", {**WORK_RECORD, "result_handed_over": "不予备案告知书"})
    assert finished(h, i)["data"]["reason"] == "业主大会参会业主人数未过半数"


def test_proxy_supplies_missing_materials_and_the_clock_starts_at_acceptance(h):
    with clock.travel(at("2026-09-21 09:00")):
        number, i = apply_by_proxy(h)
        do(h, i, "Task_receive", {"decision": "补正", "opinion": "缺议事规则"})
        assert open_tasks(h, i) == [("Task_notice", "frontdesk")]
        with pytest.raises(InvalidInput, match="missing"):  # a 一次性告知 lists everything missing
            do(h, i, "Task_notice", {"notified_at": "2026-09-21"})
        do(
            h,
            i,
            "Task_notice",
            {"missing": ["业主大会议事规则", "委员身份证复印件"], "notified_at": "2026-09-21"},
        )
        case = h.ow.case(number)
        assert case["status_code"] == 6 and case["paused"][0]["kind"] == "补正"
        assert open_tasks(h, i) == [("Task_resubmit", "grid")]  # the proxy fetches what is missing
    with clock.travel(at("2026-09-28 10:00")):
        do(
            h,
            i,
            "Task_resubmit",
            {
                "materials": [
                    {"name": "业主大会议事规则", "handed_at": "2026-09-28"},
                    {"name": "委员身份证复印件", "copies": 7, "handed_at": "2026-09-28"},
                ],
                "submitted_at": "2026-09-28",
            },
        )
        assert h.ow.case(number)["status_code"] == 7
        assert open_tasks(h, i) == [("Task_receive", "frontdesk")]  # checked again at the window
        do(h, i, "Task_receive", {"decision": "受理"})
    case = h.ow.case(number)
    assert case["status_code"] == 3 and case["promised_due"] == "2026-10-10"
    assert [(p["kind"], p["ended_at"] is not None) for p in case["paused"]] == [("补正", True)]
    with clock.travel(at("2026-10-22 09:00")):  # past the old 补正 deadline: that timer is gone
        assert due_jobs(h) == []
    assert open_tasks(h, i) == [("Task_review", "minzheng")]


def test_supplement_not_answered_in_30_days_ends_as_refused(h):
    with clock.travel(at("2026-09-21 09:00")):
        number, i = apply_by_proxy(h)
        do(h, i, "Task_receive", {"decision": "补正"})
        do(h, i, "Task_notice", {"missing": ["管理规约"], "notified_at": "2026-09-21"})
    # P30D from the notice: 2026-10-21 09:00 Beijing (calendar days, holidays included)
    with clock.travel(at("2026-10-21 08:59")):
        assert due_jobs(h) == []
    assert h.ow.case(number)["status_code"] == 6
    with clock.travel(at("2026-10-21 09:01")):
        assert due_jobs(h) == ["done"]
    case = h.ow.case(number)
    assert (case["status_code"], case["status"]) == (5, "不予受理")
    assert case["closed_at"] and all(p["ended_at"] for p in case["paused"])
    detail = finished(h, i)
    assert [t["state"] for t in detail["tasks"] if t["name"] == "Task_resubmit"] == ["cancelled"]


def test_window_refuses_with_written_reasons(h):
    number, i = apply_by_proxy(h)
    with pytest.raises(InvalidInput, match="reason"):
        do(h, i, "Task_receive", {"decision": "不予受理"})
    do(h, i, "Task_receive", {"decision": "不予受理", "reason": "该小区已备案业主委员会，届期未满"})
    assert h.ow.case(number)["status_code"] == 5
    finished(h, i)


def test_authorisation_needs_both_signatures_and_the_signed_mark(h):
    started = h.ow.start("owners_committee_filing", APPLICATION)
    unsigned = {k: v for k, v in AUTHORISATION.items() if k != "applicant_signature"}
    with pytest.raises(InvalidInput) as info:
        do(h, started["instance"], "Task_register", {**unsigned, "signed": False})
    assert {p.field for p in info.value.problems} == {"applicant_signature", "signed"}
    assert open_tasks(h, started["instance"]) == [("Task_register", "grid")]


def test_proxy_channel_defaults_and_items_without_proxy_service_refuse_a_proxy(h):
    number = h.ow.start("owners_committee_filing", {"applicant": "李阿婆", "proxy": "吴燕红"})["case_number"]
    case = h.ow.case(number)
    assert (case["channel"], case["proxy"]) == ("代办", {"name": "吴燕红"})

    h.ow.deploy(BPMN_DIR / "case_lifecycle", publish=True)  # channels.proxy: false
    before = h.row_counts()
    with pytest.raises(InvalidInput, match="cannot be applied for by a proxy") as info:
        h.ow.start("case_lifecycle", {"applicant": {"name": "王小明"}, "proxy": {"name": "吴燕红"}})
    assert {p.field for p in info.value.problems} == {"proxy"}
    with pytest.raises(InvalidInput, match="needs a name"):
        h.ow.start("owners_committee_filing", {"applicant": "李阿婆", "proxy": {"role": "网格员"}})
    assert h.row_counts() == before


# -- 四个平台: the grid event loop ---------------------------------------------------------------------------

REPORT = {
    "category": "市场秩序",
    "place": "高桥镇马浦路58号",
    "grid": "马浦村第3网格",
    "description": "沿街店铺占道经营，堵塞消防通道",
    "photo": "grid/2026/0918-0001.jpg",
    "reporter": "吴燕红",
}
HANDLED = {"result": "已处置完毕", "measures": "约谈店主，清理占道物品", "handled_at": "2026-09-30"}
URGE = {"method": "电话督办", "opinion": "请立即办理并反馈"}
PLATFORMS = [
    ("综治工作", "zongzhi"),
    ("市场监管", "shichang"),
    ("综合执法", "zhifa"),
    ("便民服务", "bianmin"),
]


def report_event(h) -> int:
    started = h.ow.start("grid_event", {})
    assert started["case_number"] is None  # a plain process: no case
    assert [(t["name"], t["group"]) for t in started["tasks"]] == [("Task_report", "grid")]
    do(h, started["instance"], "Task_report", REPORT)
    assert open_tasks(h, started["instance"]) == [("Task_triage", "command")]
    return started["instance"]


def feedback_and_assess(h, i: int) -> dict:
    assert open_tasks(h, i) == [("Task_feedback", "grid")]
    do(h, i, "Task_feedback", {"satisfied": True, "note": "现场已恢复", "checked_at": "2026-09-30"})
    assert open_tasks(h, i) == [("Task_assess", "command")]
    do(h, i, "Task_assess", {"rating": "优秀", "score": 95})
    return finished(h, i)


@pytest.mark.parametrize(("platform", "group"), PLATFORMS)
def test_grid_event_is_dispatched_to_each_platform(h, platform, group):
    i = report_event(h)
    do(h, i, "Task_triage", {"platform": platform, "urgency": "一般", "opinion": "属地处置"})
    assert open_tasks(h, i) == [(f"Task_handle_{group}", group)]
    do(h, i, f"Task_handle_{group}", HANDLED)
    detail = feedback_and_assess(h, i)
    assert detail["data"]["platform"] == platform and detail["data"]["rating"] == "优秀"
    with clock.travel(clock.now() + timedelta(days=60)):  # no deadline timer outlives the event
        assert due_jobs(h) == []


def test_unsatisfied_reporter_sends_the_event_back_to_the_platform(h):
    i = report_event(h)
    do(h, i, "Task_triage", {"platform": "综合执法"})
    do(h, i, "Task_handle_zhifa", {"result": "已口头劝导"})
    with pytest.raises(InvalidInput, match="note"):  # an unsatisfied check says why
        do(h, i, "Task_feedback", {"satisfied": False})
    do(h, i, "Task_feedback", {"satisfied": False, "note": "占道物品仍未清理"})
    assert open_tasks(h, i) == [("Task_handle_zhifa", "zhifa")]  # the same platform, again
    do(h, i, "Task_handle_zhifa", HANDLED)
    detail = feedback_and_assess(h, i)
    assert [t["name"] for t in detail["tasks"]].count("Task_handle_zhifa") == 2


def test_triage_not_done_in_2_working_days_is_escalated(h):
    # Reported Friday 09-18 10:00. 2 working days: Saturday 09-19 off, Sunday 09-20 (调休, 1), Monday 09-21 (2)
    # → due 2026-09-21 17:00 Beijing (counting weekends only would give Tuesday 09-22).
    with clock.travel(at("2026-09-18 10:00")):
        i = report_event(h)
    with clock.travel(at("2026-09-21 16:59:59")):
        assert due_jobs(h) == []
    assert open_tasks(h, i) == [("Task_triage", "command")]
    with clock.travel(at("2026-09-21 17:00:01")):
        assert due_jobs(h) == ["done"]
    assert open_tasks(h, i) == [("Task_triage", "command"), ("Task_triage_urge", "command")]
    with clock.travel(at("2026-09-22 09:00")):
        do(h, i, "Task_triage_urge", URGE)
        do(h, i, "Task_triage", {"platform": "便民服务"})  # the late task can still be done
    assert open_tasks(h, i) == [("Task_handle_bianmin", "bianmin")]
    do(h, i, "Task_handle_bianmin", HANDLED)
    feedback_and_assess(h, i)


def test_triage_in_time_is_not_escalated(h):
    # Reported Thursday 09-24: 中秋 09-25..27 off → 09-28 (1), 09-29 (2): due 2026-09-29 17:00 Beijing.
    with clock.travel(at("2026-09-24 10:00")):
        i = report_event(h)
    with clock.travel(at("2026-09-29 16:00")):
        assert due_jobs(h) == []
        do(h, i, "Task_triage", {"platform": "综治工作"})
    with clock.travel(at("2026-09-29 17:00:01")):
        assert due_jobs(h) == []
    assert open_tasks(h, i) == [("Task_handle_zongzhi", "zongzhi")]


def test_platform_not_done_in_7_working_days_is_escalated_and_not_before(h):
    # Dispatched Thursday 09-24 11:00. 7 working days: (中秋 09-25..27 off) 09-28 (1), 09-29 (2), 09-30 (3),
    # (国庆 10-01..07 off) 10-08 (4), 10-09 (5), Saturday 10-10 调休 (6), (Sunday 10-11 off) Monday 10-12 (7)
    # → due 2026-10-12 17:00 Beijing (counting weekends only would give 10-05).
    with clock.travel(at("2026-09-24 10:00")):
        i = report_event(h)
    with clock.travel(at("2026-09-24 11:00")):
        do(h, i, "Task_triage", {"platform": "市场监管"})
    for moment in ("2026-10-05 17:00:01", "2026-10-09 17:00:01", "2026-10-12 16:59:59"):
        with clock.travel(at(moment)):
            assert due_jobs(h) == []
    assert open_tasks(h, i) == [("Task_handle_shichang", "shichang")]
    with clock.travel(at("2026-10-12 17:00:01")):
        assert due_jobs(h) == ["done"]
    assert open_tasks(h, i) == [("Task_handle_shichang", "shichang"), ("Task_handle_urge", "command")]
    with clock.travel(at("2026-10-13 09:00")):
        do(h, i, "Task_handle_urge", {**URGE, "urged_unit": "市场监管所"})
        do(h, i, "Task_handle_shichang", HANDLED)
    feedback_and_assess(h, i)


def test_platform_done_in_time_is_not_escalated(h):
    with clock.travel(at("2026-09-24 11:00")):
        i = report_event(h)
        do(h, i, "Task_triage", {"platform": "综合执法"})
    with clock.travel(at("2026-10-12 16:00")):
        do(h, i, "Task_handle_zhifa", HANDLED)
    with clock.travel(at("2026-10-13 09:00")):
        assert due_jobs(h) == []
    assert open_tasks(h, i) == [("Task_feedback", "grid")]


# -- 好差评: a 差评 is rectified, called back and possibly appealed -------------------------------------------

BAD_REVIEW = {
    "case_number": "YWHBA-0001-20260924-000001",
    "level": 5,  # national code 5 = 非常不满意
    "comment": "窗口人员态度冷淡，材料要求说了三次才说清",
    "rectify_days": 15,  # the item's supervision.rectify_days, as evaluations pass it
}
RECTIFIED = {
    "verified": "经调取窗口录像，情况属实",
    "measures": "对经办人员批评教育，完善一次性告知清单",
    "rectified_at": "2026-10-12",
    "appeal": False,
}


def bad_review(h, department: str, level: int = 5) -> int:
    started = h.ow.start("evaluation_rectification", {**BAD_REVIEW, "department": department, "level": level})
    assert started["case_number"] is None
    return started["instance"]


def test_bad_review_rectified_in_time_and_called_back(h):
    # Received Thursday 09-24. 15 working days: 09-28, 09-29, 09-30 (3), 10-08, 10-09, 10-10 调休 (6),
    # 10-12 … 10-16 (11), 10-19 … 10-22 (15) → rectify by 2026-10-22 17:00 Beijing.
    with clock.travel(at("2026-09-24 10:00")):
        i = bad_review(h, "minzheng")
    assert h.ow.instance(i)["data"]["rectify_due"] == "2026-10-22"
    assert open_tasks(h, i) == [("Task_rectify_minzheng", "minzheng")]
    with clock.travel(at("2026-10-22 16:00")):
        assert due_jobs(h) == []
        do(h, i, "Task_rectify_minzheng", RECTIFIED)
    assert open_tasks(h, i) == [("Task_callback", "frontdesk")]
    with clock.travel(at("2026-10-22 17:00:01")):
        assert due_jobs(h) == []  # done in time: never escalated
    do(h, i, "Task_callback", {"method": "电话", "satisfied": True, "called_at": "2026-10-23"})
    detail = finished(h, i)
    assert detail["data"]["satisfied"] is True
    assert "Task_supervise" not in [t["name"] for t in detail["tasks"]]


def test_late_rectification_is_escalated_to_the_command_room(h):
    with clock.travel(at("2026-09-24 10:00")):
        i = bad_review(h, "renshe")
    with clock.travel(at("2026-10-22 16:59:59")):
        assert due_jobs(h) == []
    with clock.travel(at("2026-10-22 17:00:01")):
        assert due_jobs(h) == ["done"]
    assert open_tasks(h, i) == [("Task_rectify_renshe", "renshe"), ("Task_supervise", "command")]
    with clock.travel(at("2026-10-23 09:00")):
        do(h, i, "Task_supervise", {"method": "书面督办", "opinion": "已超15个工作日，限两日内整改"})
        do(h, i, "Task_rectify_renshe", RECTIFIED)
    do(h, i, "Task_callback", {"method": "上门", "satisfied": True})
    finished(h, i)


def test_unsatisfied_callback_sends_the_review_back_for_rectification(h):
    with clock.travel(at("2026-09-24 10:00")):
        i = bad_review(h, "yibao")
        do(h, i, "Task_rectify_yibao", RECTIFIED)
        do(h, i, "Task_callback", {"method": "电话", "satisfied": False, "note": "问题仍未解决"})
    assert open_tasks(h, i) == [("Task_rectify_yibao", "yibao")]
    # the 15 working days run from the review, not from the second round: still due 2026-10-22 17:00
    with clock.travel(at("2026-10-22 17:00:01")):
        assert due_jobs(h) == ["done"]
    assert open_tasks(h, i) == [("Task_rectify_yibao", "yibao"), ("Task_supervise", "command")]
    with clock.travel(at("2026-10-23 09:00")):
        do(h, i, "Task_supervise", {"method": "现场督办", "opinion": "二次整改超期"})
        do(h, i, "Task_rectify_yibao", {**RECTIFIED, "measures": "安排专人上门补办"})
    do(h, i, "Task_callback", {"method": "电话", "satisfied": True})
    detail = finished(h, i)
    assert [t["name"] for t in detail["tasks"]].count("Task_rectify_yibao") == 2


@pytest.mark.parametrize(
    ("department", "decision"), [("gongan", "差评成立"), ("weijian", "撤销差评"), ("frontdesk", "撤销差评")]
)
def test_department_appeals_and_the_command_room_decides(h, department, decision):
    i = bad_review(h, department)
    node = f"Task_rectify_{department}"
    assert open_tasks(h, i) == [(node, department)]
    with pytest.raises(InvalidInput, match="appeal_reason"):
        do(h, i, node, {**RECTIFIED, "appeal": True})
    do(h, i, node, {**RECTIFIED, "appeal": True, "appeal_reason": "申请人要求办理的事项不属于本部门职责"})
    do(h, i, "Task_callback", {"method": "电话", "satisfied": False, "note": "坚持差评"})
    assert open_tasks(h, i) == [("Task_appeal_review", "command")]  # an appeal is reviewed, not re-rectified
    do(h, i, "Task_appeal_review", {"appeal_decision": decision, "opinion": "经核查"})
    assert finished(h, i)["data"]["appeal_decision"] == decision


def test_departments_without_their_own_lane_go_to_the_front_desk_and_good_reviews_need_nothing(h):
    i = bad_review(h, "delivery", level=4)  # 4 = 不满意
    assert open_tasks(h, i) == [("Task_rectify_frontdesk", "frontdesk")]
    j = bad_review(h, "minzheng", level=3)  # 3 = 基本满意: not a 差评
    finished(h, j)
