"""The service-item library (processes/): every item deploys as `make demo` does, follows the library's
diagram conventions, and every path of every item runs as a case — status codes, due dates, pauses, steps.

Dates are Beijing wall-clock times. The 2026 calendar used throughout (chinesecalendar, seeded in the table):
Sunday 09-20 is a make-up working day, Mid-Autumn 09-25 (Fri) .. 09-27 is off, National Day 10-01 .. 10-07
is off and Saturday 10-10 is a make-up working day.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import yaml
from lxml import etree

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput

LIBRARY = REPO_ROOT / "processes"
ITEMS = {  # folder = process id → item code
    "medical_insurance_enrollment": "GG-YB-0001",
    "hr_service_permit": "XK-RS-0001",
    "newborn_one_thing": "GG-WJ-0001",
    "minimum_living_allowance": "JF-MZ-0001",
}
GROUPS = ["frontdesk", "delivery", "minzheng", "renshe", "yibao", "weijian", "gongan"]
LANE_CODES = GROUPS + ["shichang", "command", "grid", "zongzhi", "zhifa", "bianmin"]
PERSON = {"applicant": {"name": "王小明", "id_number": "330203199001011234", "phone": "13800000000"}}
COMPANY = {
    "applicant": {
        "name": "宁波甬才人力资源有限公司",
        "id_number": "91330203MA2H7K5X1Q",
        "phone": "0574-87001234",
    },
    "channel": "网上",
}
START = {item: PERSON for item in ITEMS} | {"hr_service_permit": COMPANY}

# The status marks of each diagram (node → case status code) and its lanes, as the report documents them.
FRONT_MARKS = {"End_refused": 5, "Event_accepted": 3, "Task_notice": 6, "Task_resubmit": 7, "End_timeout": 5}
MARKS = {
    "medical_insurance_enrollment": FRONT_MARKS | {"End_done": 11},
    "hr_service_permit": FRONT_MARKS | {"Task_review": 8, "End_rejected": 13, "End_done": 11},
    "newborn_one_thing": FRONT_MARKS
    | {
        "Task_birth_certificate": 8,
        "Task_household": 8,
        "Task_medical": 8,
        "Task_social_card": 8,
        "End_done": 11,
    },
    "minimum_living_allowance": FRONT_MARKS
    | {
        "Task_survey": 8,
        "Event_publicity_start": 9,
        "Event_publicity_end": 10,
        "End_approved": 11,
        "End_rejected": 13,
    },
}
LANES = {
    "medical_insurance_enrollment": ["frontdesk", "yibao"],
    "hr_service_permit": ["frontdesk", "renshe", "delivery"],
    "newborn_one_thing": ["frontdesk", "weijian", "gongan", "yibao", "renshe", "delivery"],
    "minimum_living_allowance": ["frontdesk", "minzheng", "delivery"],
}

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "intermediateThrowEvent",
    "intermediateCatchEvent",
    "boundaryEvent",
    "userTask",
    "scriptTask",
    "exclusiveGateway",
    "parallelGateway",
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def at(text: str) -> datetime:
    """A Beijing wall-clock time as the store's naive UTC."""
    return datetime.fromisoformat(text) - timedelta(hours=8)


def materials(item: str) -> list[str]:
    doc = yaml.safe_load((LIBRARY / item / "item.yaml").read_text(encoding="utf-8"))
    return [m["name"] for m in doc["materials"]]


def complete_check(item: str) -> dict:
    return {"eligible": True, "complete": True, "received": materials(item), "opinion": "材料齐全，予以受理"}


@pytest.fixture
def h(harness):
    harness.members(**{code: [code] for code in GROUPS})  # one clerk per group, named after it
    for item in ITEMS:
        harness.ow.deploy(LIBRARY / item, publish=True)
    return harness


def start(h, when: str, item: str, data: dict | None = None) -> str:
    with clock.travel(at(when)):
        started = h.restart().start(item, data or START[item])
    number = started["case_number"]
    assert number.startswith(f"{ITEMS[item]}-{when[:10].replace('-', '')}-")
    assert [(t["name"], t["group"]) for t in started["tasks"]] == [("Task_check", "frontdesk")]
    return number


def do(h, when: str, number: str, node: str, group: str, data: dict | None = None) -> dict:
    """Restart, then complete the case's open task `node` at `when`, as the clerk of `group` (its lane)."""
    with clock.travel(at(when)):
        ow = h.restart()
        task = next(t for t in ow.instance(ow.case(number)["instance"])["open_tasks"] if t["name"] == node)
        assert task["group"] == group
        return ow.complete(task["id"], group, data or {})


def jobs(h, when: str) -> list[str]:
    """Run the timer jobs due at `when` (the worker, after a restart)."""
    with clock.travel(at(when)):
        return [o["status"] for o in h.restart().run_due_jobs()]


@contextmanager
def refused(*fields: str):
    """The form refuses the submission, naming exactly these fields."""
    with pytest.raises(InvalidInput) as info:
        yield
    assert {p.field for p in info.value.problems} == set(fields)


def case(h, number: str) -> dict:
    return h.ow.case(number)


def open_tasks(h, number: str) -> list[tuple[str, str]]:
    return sorted((t["name"], t["group"]) for t in h.ow.instance(case(h, number)["instance"])["open_tasks"])


def statuses(h, number: str) -> list[int]:
    """Every status the case moved through, in order (the audit trail)."""
    history = h.ow.instance(case(h, number)["instance"])["history"]
    return [1] + [e["after"]["status"] for e in history if e["action"] == "case_status"]


def data(h, number: str) -> dict:
    return h.ow.instance(case(h, number)["instance"])["data"]


def finished(h, number: str) -> dict:
    c = case(h, number)
    detail = h.ow.instance(c["instance"])
    assert detail["status"] == "completed" and detail["open_tasks"] == []
    assert c["closed_at"] is not None
    return c


# -- deployment and conventions ------------------------------------------------------------------------------


def test_every_item_deploys_like_make_demo(harness):
    for item in ITEMS:
        first = harness.ow.deploy(LIBRARY / item, publish=True)
        assert [(d["key"], d["version"], d["status"], d["unchanged"]) for d in first] == [
            (item, 1, "published", False)
        ]
        again = harness.restart().deploy(LIBRARY / item, publish=True)
        assert [(d["version"], d["unchanged"]) for d in again] == [(1, True)]
    listed = {d["key"]: d for d in harness.ow.definitions()}
    assert set(ITEMS) <= set(listed)


@pytest.mark.parametrize("item", ITEMS)
def test_diagram_follows_the_library_conventions(item):
    folder = LIBRARY / item
    doc = yaml.safe_load((folder / "item.yaml").read_text(encoding="utf-8"))
    assert doc["process"] == item and doc["code"] == ITEMS[item]
    tree = etree.parse(str(folder / f"{item}.bpmn"))
    process = tree.find("bpmn:process", NS)
    assert process.get("id") == item and process.get("isExecutable") == "true"
    participant = tree.find("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == item

    shapes = {s.get("bpmnElement"): s.find("dc:Bounds", NS) for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    box = {k: tuple(float(b.get(a)) for a in ("x", "y", "width", "height")) for k, b in shapes.items()}
    nodes = [n for tag in FLOW_NODES for n in process.iterfind(f"bpmn:{tag}", NS)]
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert [lane.get("name") for lane in lanes] == LANES[item]
    assert set(LANES[item]) <= set(LANE_CODES)
    assert participant.get("id") in shapes and all(lane.get("id") in shapes for lane in lanes)

    lane_of = {}
    for lane in lanes:
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert ref.text not in lane_of, f"{ref.text} is in two lanes"
            lane_of[ref.text] = lane.get("id")
    attached = {n.get("id"): n.get("attachedToRef") for n in nodes if n.get("attachedToRef")}
    for n in nodes:
        nid = n.get("id")
        assert nid.isascii() and nid in lane_of and nid in shapes, nid
        if n.get("name"):
            assert CJK.search(n.get("name")), nid
        x, y, w, hh = box[nid]
        lx, ly, lw, lh = box[lane_of[nid]]
        assert lx <= x and x + w <= lx + lw and ly <= y and y + hh <= ly + lh, f"{nid} leaves its lane"
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            ida, idb = a.get("id"), b.get("id")
            if attached.get(ida) == idb or attached.get(idb) == ida:
                continue
            (ax, ay, aw, ah), (bx, by, bw, bh) = box[ida], box[idb]
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), f"{ida} / {idb}"
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        assert flow.get("id") in edges and len(edges[flow.get("id")].findall("di:waypoint", NS)) >= 2
        if flow.get("name"):
            assert CJK.search(flow.get("name"))

    marks, forms = {}, set()
    for n in nodes:
        props = {p.get("name"): p.get("value") for p in n.iterfind(".//spiffworkflow:property", NS)}
        if "caseStatus" in props:
            marks[n.get("id")] = int(props["caseStatus"])
        if etree.QName(n).localname == "userTask":
            assert props.get("formJsonSchemaFilename"), f"{n.get('id')} names no form"
            forms.add(props["formJsonSchemaFilename"])
            if props.get("formUiSchemaFilename"):
                assert (folder / "forms" / props["formUiSchemaFilename"]).is_file()
    assert marks == MARKS[item]
    assert forms == {p.name for p in (folder / "forms").glob("*.schema.json")}
    for name in forms:
        schema = yaml.safe_load((folder / "forms" / name).read_text(encoding="utf-8"))  # JSON is YAML
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["type"] == "object" and CJK.search(schema["title"]) and schema["required"]
        assert set(schema["required"]) <= set(schema["properties"])
        assert all(CJK.search(p["title"]) for p in schema["properties"].values()), name


# -- the front desk of every item: refusal, 补正 loop, 补正 timeout ---------------------------------------------


@pytest.mark.parametrize("item", ITEMS)
def test_refused_on_the_spot(h, item):
    number = start(h, "2026-09-21 09:00", item)
    assert (case(h, number)["status_code"], case(h, number)["status"]) == (1, "已接件")
    with refused("refuse_reason"):  # a refusal must give its reasons
        do(h, "2026-09-21 09:10", number, "Task_check", "frontdesk", {"eligible": False})
    do(
        h,
        "2026-09-21 09:10",
        number,
        "Task_check",
        "frontdesk",
        {"eligible": False, "refuse_reason": "不属于本事项受理范围"},
    )
    c = finished(h, number)
    assert (c["status_code"], c["status"]) == (5, "不予受理")
    assert c["accepted_at"] is None and c["promised_due"] is None and c["result"] is None
    assert statuses(h, number) == [1, 5]


@pytest.mark.parametrize("item", ITEMS)
def test_supplement_then_accepted_the_clock_starts_at_acceptance(h, item):
    number = start(h, "2026-09-21 09:00", item)
    do(h, "2026-09-21 09:10", number, "Task_check", "frontdesk", {"eligible": True, "complete": False})
    assert open_tasks(h, number) == [("Task_notice", "frontdesk")]
    with refused("missing"):  # the notice lists every missing material at once
        do(h, "2026-09-21 09:20", number, "Task_notice", "frontdesk", {})
    missing = materials(item)[-2:]
    do(h, "2026-09-21 09:20", number, "Task_notice", "frontdesk", {"missing": missing, "notice": "请补交"})
    c = case(h, number)
    assert c["status_code"] == 6 and [(p["kind"], p["ended_at"]) for p in c["paused"]] == [("补正", None)]
    assert open_tasks(h, number) == [("Task_resubmit", "frontdesk")]

    do(h, "2026-09-24 10:00", number, "Task_resubmit", "frontdesk", {"supplied": missing})
    assert case(h, number)["status_code"] == 7
    assert open_tasks(h, number) == [("Task_check", "frontdesk")]  # back to the check
    do(h, "2026-09-28 09:00", number, "Task_check", "frontdesk", complete_check(item))
    c = case(h, number)
    assert c["status_code"] == 3 and c["accepted_at"] == "2026-09-28T01:00:00"
    assert [(p["kind"], p["ended_at"][:10]) for p in c["paused"]] == [("补正", "2026-09-24")]
    # The 补正 before acceptance does not count: the limits run from Monday 09-28. Working days after it:
    # 09-29 (1), 09-30 (2), [10-01..10-07 National Day], 10-08 (3), 10-09 (4), Saturday 10-10 (5, 调休),
    # 10-12..10-16 (6-10), 10-19..10-23 (11-15), 10-26..10-30 (16-20), 11-02..11-06 (21-25), 11-09..11-13 (26-30).
    expected = {
        "medical_insurance_enrollment": ("2026-09-28", "2026-09-28"),  # 即办 0/0: the same working day
        "hr_service_permit": ("2026-10-09", "2026-10-30"),  # 4 / 20
        "newborn_one_thing": ("2026-10-16", "2026-10-30"),  # 10 / 20
        "minimum_living_allowance": ("2026-10-30", "2026-11-13"),  # 20 / 30
    }
    assert (c["promised_due"], c["statutory_due"], c["provisional"]) == (*expected[item], False)
    assert statuses(h, number) == [1, 6, 7, 3]
    assert [s["node"] for s in c["steps"][:4]] == ["Task_check", "Task_notice", "Task_resubmit", "Task_check"]


@pytest.mark.parametrize("item", ITEMS)
def test_supplement_not_answered_in_30_days_is_refused(h, item):
    number = start(h, "2026-09-21 09:00", item)
    do(h, "2026-09-21 09:10", number, "Task_check", "frontdesk", {"eligible": True, "complete": False})
    do(h, "2026-09-21 09:20", number, "Task_notice", "frontdesk", {"missing": materials(item)[:1]})
    assert jobs(h, "2026-10-21 09:19") == []  # 30 calendar days from the notice, not yet
    assert case(h, number)["status_code"] == 6
    assert jobs(h, "2026-10-21 09:21") == ["done"]
    c = finished(h, number)
    assert (c["status_code"], c["status"]) == (5, "不予受理")
    assert c["accepted_at"] is None and all(p["ended_at"] for p in c["paused"])
    assert [(s["node"], s["state"]) for s in c["steps"]][-1] == ("Task_resubmit", "cancelled")
    assert statuses(h, number) == [1, 6, 5]


# -- 1. 城乡居民医保参保登记: 即办件 ----------------------------------------------------------------------------

REGISTER = {
    "category": "成年居民",
    "insurance_year": 2026,
    "result_name": "城乡居民基本医疗保险参保登记凭证",
    "result_number": "YB330203202600123",
}


def test_medical_insurance_is_decided_on_the_spot_and_due_the_same_working_day(h):
    item = "medical_insurance_enrollment"
    # Wednesday 09-30, the last working day before National Day: due that same day, not after the holiday.
    number = start(h, "2026-09-30 15:30", item, PERSON | {"proxy": {"name": "李四"}})
    assert (case(h, number)["channel"], case(h, number)["proxy"]) == ("代办", {"name": "李四"})
    do(h, "2026-09-30 15:35", number, "Task_check", "frontdesk", complete_check(item))
    c = case(h, number)
    assert (c["status_code"], c["case_class"], c["local_type"]) == (3, 1, "即办")
    assert (c["promised_limit"], c["statutory_limit"]) == (0, 0)
    assert (c["promised_due"], c["statutory_due"]) == ("2026-09-30", "2026-09-30")
    assert open_tasks(h, number) == [("Task_register", "yibao")]
    with refused("result_name", "result_number"):
        do(
            h,
            "2026-09-30 15:40",
            number,
            "Task_register",
            "yibao",
            {"category": "成年居民", "insurance_year": 2026},
        )
    do(h, "2026-09-30 15:40", number, "Task_register", "yibao", REGISTER)
    c = finished(h, number)
    assert (c["status_code"], c["status"]) == (11, "办结(通过)")
    assert c["closed_at"] == "2026-09-30T07:40:00"  # 15:40 Beijing: closed within the due day
    assert c["result"] == {
        "approved": True,
        "name": REGISTER["result_name"],
        "number": REGISTER["result_number"],
    }
    assert [(s["node"], s["group"], s["handler"]) for s in c["steps"]] == [
        ("Task_check", "frontdesk", "frontdesk"),
        ("Task_register", "yibao", "yibao"),
    ]
    assert statuses(h, number) == [1, 3, 11]


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        ("2026-09-20 10:00", "2026-09-20"),  # Sunday, but a make-up working day (调休): due that day
        ("2026-09-26 10:00", "2026-09-28"),  # Saturday in the Mid-Autumn break: the next working day, Monday
        ("2026-10-03 10:00", "2026-10-08"),  # National Day (online application accepted): first day after it
        ("2026-10-10 10:00", "2026-10-10"),  # Saturday make-up working day
    ],
)
def test_medical_insurance_same_day_due_follows_the_holiday_calendar(h, accepted, due):
    item = "medical_insurance_enrollment"
    number = start(h, accepted, item, PERSON | {"channel": "掌上"})
    do(h, accepted, number, "Task_check", "frontdesk", complete_check(item))
    c = case(h, number)
    assert (c["status_code"], c["channel"], c["promised_due"], c["statutory_due"]) == (3, "掌上", due, due)


# -- 2. 人力资源服务许可: 承诺件, online, courier --------------------------------------------------------------

LICENCE = {
    "result_name": "人力资源服务许可证",
    "result_number": "330203202600017",
    "service_scope": ["为劳动者介绍用人单位", "为用人单位推荐劳动者", "开展网络招聘"],
    "issued_on": "2026-10-08",
}
COURIER = {
    "courier_company": "中国邮政EMS",
    "tracking_number": "1187654321098",
    "recipient": "朱先生",
    "address": "宁波市海曙区某路100号",
    "mailed_on": "2026-10-09",
}


def test_hr_permit_online_in_three_working_days_across_national_day_sent_by_courier(h):
    """The seeds' story: statutory 20, promised 4 working days, done in 3, all online, licence by courier."""
    item = "hr_service_permit"
    number = start(h, "2026-09-28 20:30", item)  # applied online on Monday evening
    c = case(h, number)
    assert (c["channel"], c["applicant"]["name"], c["status_code"]) == ("网上", "宁波甬才人力资源有限公司", 1)
    do(h, "2026-09-29 09:00", number, "Task_check", "frontdesk", complete_check(item))
    c = case(h, number)
    assert (c["status_code"], c["accepted_at"]) == (3, "2026-09-29T01:00:00")
    # Accepted Tuesday 09-29. Promised 4 working days: 09-30 (1), [10-01..10-07 off], 10-08 (2), 10-09 (3),
    # Saturday 10-10 (4, make-up working day) → 2026-10-10. Statutory 20: 10-12..10-16 (5-9), 10-19..10-23
    # (10-14), 10-26..10-30 (15-19), 11-02 (20) → 2026-11-02.
    assert (c["promised_due"], c["statutory_due"], c["provisional"]) == ("2026-10-10", "2026-11-02", False)
    assert open_tasks(h, number) == [("Task_review", "renshe")]

    do(h, "2026-09-30 10:00", number, "Task_review", "renshe", {"recommend": True, "opinion": "符合许可条件"})
    assert case(h, number)["status_code"] == 8
    do(
        h,
        "2026-10-08 09:30",
        number,
        "Task_decide",
        "renshe",
        {"approved": True, "decision_number": "甬人社许〔2026〕17号"},
    )
    assert open_tasks(h, number) == [("Task_license", "renshe")]
    do(h, "2026-10-08 14:00", number, "Task_license", "renshe", LICENCE)
    assert open_tasks(h, number) == [("Task_courier", "delivery")]
    with refused("tracking_number"):
        do(h, "2026-10-09 10:00", number, "Task_courier", "delivery", COURIER | {"tracking_number": "单号"})
    do(h, "2026-10-09 10:00", number, "Task_courier", "delivery", COURIER)
    c = finished(h, number)
    assert (c["status_code"], c["status"]) == (11, "办结(通过)")
    assert c["result"] == {"approved": True, "name": "人力资源服务许可证", "number": "330203202600017"}
    assert data(h, number)["tracking_number"] == "1187654321098"
    # closed on 10-09: the third working day after acceptance, a day ahead of the promised date
    assert h.ow.calendar_due("2026-09-29", 3)["due"] == c["closed_at"][:10] == "2026-10-09"
    assert [(s["node"], s["group"]) for s in c["steps"]] == [
        ("Task_check", "frontdesk"),
        ("Task_review", "renshe"),
        ("Task_decide", "renshe"),
        ("Task_license", "renshe"),
        ("Task_courier", "delivery"),
    ]
    assert statuses(h, number) == [1, 3, 8, 11]


def test_hr_permit_refused_with_written_reasons(h):
    item = "hr_service_permit"
    number = start(h, "2026-10-12 09:00", item)
    do(h, "2026-10-12 09:30", number, "Task_check", "frontdesk", complete_check(item))
    do(h, "2026-10-13 09:00", number, "Task_review", "renshe", {"recommend": False, "opinion": "场所不符合"})
    with refused("reasons"):  # 不予许可 needs its reasons in writing
        do(h, "2026-10-14 09:00", number, "Task_decide", "renshe", {"approved": False})
    reasons = "经营场所租期不足1年，不符合条件。如不服本决定，可于60日内申请行政复议或6个月内提起行政诉讼。"
    do(h, "2026-10-14 09:00", number, "Task_decide", "renshe", {"approved": False, "reasons": reasons})
    c = finished(h, number)
    assert (c["status_code"], c["status"]) == (13, "办结(不通过)")
    assert c["result"] == {"approved": False, "name": None, "number": None}
    assert c["steps"][-1]["action"] == "不通过" and data(h, number)["reasons"] == reasons
    assert statuses(h, number) == [1, 3, 8, 13]


def test_hr_permit_is_applied_for_by_the_company_itself(h):
    with refused("proxy"):
        h.ow.start("hr_service_permit", COMPANY | {"proxy": {"name": "某代理公司"}})


# -- 3. 新生儿出生一件事: 联办件 -------------------------------------------------------------------------------

DEPARTMENT_TASKS = [
    ("Task_birth_certificate", "weijian"),
    ("Task_household", "gongan"),
    ("Task_medical", "yibao"),
    ("Task_social_card", "renshe"),
]
BIRTH = {
    "baby_name": "王小宝",
    "gender": "男",
    "birth_date": "2026-09-20",
    "birth_certificate_number": "Q330123456",
}
HOUSEHOLD = {"citizen_id_number": "33020320260920001X", "registered_on": "2026-10-09"}
MEDICAL = {"insured_number": "YB330203202600456", "insured_from": "2026-09-20"}
CARD = {"card_status": "已制卡", "social_card_number": "A33020320001"}


def test_newborn_four_departments_in_parallel_each_with_its_own_limit(h):
    item = "newborn_one_thing"
    number = start(h, "2026-09-28 09:00", item)
    do(h, "2026-09-28 09:00", number, "Task_check", "frontdesk", complete_check(item))
    c = case(h, number)
    # Accepted Monday 09-28: promised 10 → 2026-10-16, statutory 20 → 2026-10-30 (working days listed above).
    assert (c["status_code"], c["local_type"], c["promised_due"], c["statutory_due"]) == (
        3,
        "联办",
        "2026-10-16",
        "2026-10-30",
    )
    assert open_tasks(h, number) == sorted(DEPARTMENT_TASKS)  # one application, four departments at once

    # Each department's own limit (item.yaml department_days) is a non-interrupting timer at 17:00 of its
    # last working day: 卫健 3 → 09-29, 09-30, 10-08 → 2026-10-08 17:00; 公安 / 医保 5 → … 10-09, 10-10 (调休)
    # → 2026-10-10 17:00; 人社 10 → 2026-10-16 17:00.
    assert jobs(h, "2026-10-08 16:59") == []
    assert jobs(h, "2026-10-08 17:01") == ["done"]
    urged = data(h, number)
    assert sorted(k for k in urged if k.startswith("urge_")) == ["urge_note_weijian", "urge_weijian"]
    assert urged["urge_weijian"] == "2026-10-08T17:01:00+08:00"  # when the 催办 went out
    assert urged["urge_note_weijian"] == "出生医学证明超过3个工作日未办结，已催办"
    assert ("Task_birth_certificate", "weijian") in open_tasks(h, number)  # urged, still open
    assert case(h, number)["status_code"] == 3

    do(h, "2026-10-09 10:00", number, "Task_household", "gongan", HOUSEHOLD)
    assert case(h, number)["status_code"] == 8
    do(h, "2026-10-09 11:00", number, "Task_birth_certificate", "weijian", BIRTH)
    do(h, "2026-10-09 15:00", number, "Task_medical", "yibao", MEDICAL)
    assert open_tasks(h, number) == [("Task_social_card", "renshe")]  # the join waits for the last one
    assert jobs(h, "2026-10-10 17:01") == []  # 公安 and 医保 finished in time: their timers are gone
    do(h, "2026-10-12 10:00", number, "Task_social_card", "renshe", CARD)
    assert open_tasks(h, number) == [("Task_deliver", "delivery")]
    assert jobs(h, "2026-10-16 17:01") == []

    with refused("tracking_number"):
        do(h, "2026-10-12 16:00", number, "Task_deliver", "delivery", {"delivery": "快递送达"})
    do(
        h,
        "2026-10-12 16:00",
        number,
        "Task_deliver",
        "delivery",
        {
            "delivery": "快递送达",
            "tracking_number": "SF1234567890",
            "result_name": "出生医学证明、户口簿、社会保障卡",
        },
    )
    c = finished(h, number)
    assert (c["status_code"], c["result"]["approved"], c["result"]["name"]) == (
        11,
        True,
        "出生医学证明、户口簿、社会保障卡",
    )
    final = data(h, number)
    assert (
        final["birth_certificate_number"],
        final["citizen_id_number"],
        final["insured_number"],
        final["social_card_number"],
    ) == ("Q330123456", "33020320260920001X", "YB330203202600456", "A33020320001")
    done_in_order = sorted(c["steps"], key=lambda s: s["ended_at"])
    assert [(s["node"], s["group"]) for s in done_in_order] == [
        ("Task_check", "frontdesk"),
        ("Task_household", "gongan"),
        ("Task_birth_certificate", "weijian"),
        ("Task_medical", "yibao"),
        ("Task_social_card", "renshe"),
        ("Task_deliver", "delivery"),
    ]
    assert statuses(h, number) == [1, 3, 8, 8, 8, 8, 11]  # every department's step is a 部门办理 step


def test_newborn_withdrawn_after_acceptance_stops_every_department(h):
    item = "newborn_one_thing"
    number = start(h, "2026-09-28 09:00", item)
    do(h, "2026-09-28 09:10", number, "Task_check", "frontdesk", complete_check(item))
    do(h, "2026-09-29 09:00", number, "Task_household", "gongan", HOUSEHOLD)
    with clock.travel(at("2026-09-29 10:00")):
        assert h.restart().withdraw(number, "王小明", "新生儿随母落户外市")["status_code"] == 14
    c = case(h, number)
    detail = h.ow.instance(c["instance"])
    assert (detail["status"], detail["open_tasks"], c["closed_at"][:10]) == ("cancelled", [], "2026-09-29")
    assert sorted((s["node"], s["state"]) for s in c["steps"] if s["state"] == "cancelled") == [
        ("Task_birth_certificate", "cancelled"),
        ("Task_medical", "cancelled"),
        ("Task_social_card", "cancelled"),
    ]
    assert jobs(h, "2026-10-20 09:00") == []  # no department is urged any more


# -- 4. 最低生活保障: 上报件 with a 7-day 公示 -----------------------------------------------------------------

SURVEY = {
    "survey_date": "2026-09-17",
    "investigators": ["镇民政办 陈敏", "社区 周丽"],
    "family_size": 3,
    "income_per_capita": 620.5,
    "recommend": True,
    "pause_approver": "镇分管领导 张华",
    "opinion": "入户调查属实，家庭人均收入低于当地低保标准，同意上报",
}
GRANT = {
    "publicity_objection": False,
    "approved": True,
    "monthly_amount": 1180,
    "result_name": "最低生活保障金领取证",
    "result_number": "HS-DB-2026-0088",
    "opinion": "准予享受最低生活保障",
}
HANDED = {"delivery": "村社转交", "receipt_signed": True}


def accepted_allowance(h, proxy: bool = False) -> str:
    item = "minimum_living_allowance"
    data = PERSON | ({"proxy": {"name": "网格员 李四"}} if proxy else {})
    number = start(h, "2026-09-14 09:00", item, data)
    do(h, "2026-09-14 09:00", number, "Task_check", "frontdesk", complete_check(item))
    c = case(h, number)
    # Accepted Monday 09-14. Promised 20 working days: 09-15..09-18 (1-4), Sunday 09-20 (5, 调休), 09-21..09-24
    # (6-9), [09-25..09-27 Mid-Autumn], 09-28..09-30 (10-12), [10-01..10-07], 10-08 (13), 10-09 (14), Saturday
    # 10-10 (15, 调休), 10-12..10-16 (16-20) → 2026-10-16. Statutory 30: 10-19..10-23, 10-26..10-30 → 2026-10-30.
    assert (c["status_code"], c["local_type"], c["promised_due"], c["statutory_due"]) == (
        3,
        "上报",
        "2026-10-16",
        "2026-10-30",
    )
    assert open_tasks(h, number) == [("Task_survey", "minzheng")]
    return number


def test_minimum_living_allowance_publicity_pauses_the_clock_then_approved(h):
    number = accepted_allowance(h, proxy=True)
    assert (case(h, number)["channel"], case(h, number)["proxy"]) == ("代办", {"name": "网格员 李四"})
    with refused("pause_approver"):  # the 公示 is approved by a named person
        do(
            h,
            "2026-09-18 10:00",
            number,
            "Task_survey",
            "minzheng",
            {k: v for k, v in SURVEY.items() if k != "pause_approver"},
        )
    do(h, "2026-09-18 10:00", number, "Task_survey", "minzheng", SURVEY)
    c = case(h, number)
    assert (c["status_code"], c["status"]) == (9, "特别程序开始")
    assert [
        (p["kind"], p["planned_days"], p["approver"], p["reason"], p["ended_at"]) for p in c["paused"]
    ] == [("公示", 7, "镇分管领导 张华", "最低生活保障申请家庭情况公示", None)]
    assert open_tasks(h, number) == []  # the 7-day notice period runs on a timer
    assert data(h, number)["publicity_until"] == "2026-09-25"

    assert jobs(h, "2026-09-25 09:59") == []
    assert jobs(h, "2026-09-25 10:01") == ["done"]
    c = case(h, number)
    assert (c["status_code"], c["status"]) == (10, "特别程序结束")
    assert c["paused"][0]["ended_at"] == "2026-09-25T02:01:00"
    # Paused working days in (09-18, 09-25]: Sunday 09-20 (调休), 09-21, 09-22, 09-23, 09-24 = 5 (09-25 is the
    # Mid-Autumn holiday). Both due dates move 5 working days: 10-16 → 10-19..10-23 → 2026-10-23, and
    # 10-30 → 11-02..11-06 → 2026-11-06.
    assert (c["promised_due"], c["statutory_due"]) == ("2026-10-23", "2026-11-06")
    assert open_tasks(h, number) == [("Task_approve", "minzheng")]

    with refused("monthly_amount", "result_name", "result_number"):
        do(
            h,
            "2026-09-28 10:00",
            number,
            "Task_approve",
            "minzheng",
            {"publicity_objection": False, "approved": True},
        )
    do(h, "2026-09-28 10:00", number, "Task_approve", "minzheng", GRANT)
    assert case(h, number)["status_code"] == 10 and open_tasks(h, number) == [("Task_deliver", "delivery")]
    do(h, "2026-09-29 10:00", number, "Task_deliver", "delivery", HANDED)
    c = finished(h, number)
    assert (c["status_code"], c["status"]) == (11, "办结(通过)")
    assert c["result"] == {"approved": True, "name": "最低生活保障金领取证", "number": "HS-DB-2026-0088"}
    assert [(s["node"], s["group"]) for s in c["steps"]] == [
        ("Task_check", "frontdesk"),
        ("Task_survey", "minzheng"),
        ("Task_approve", "minzheng"),
        ("Task_deliver", "delivery"),
    ]
    assert statuses(h, number) == [1, 3, 8, 9, 10, 11]


def test_minimum_living_allowance_failing_the_first_review_skips_the_publicity(h):
    number = accepted_allowance(h)
    do(
        h,
        "2026-09-17 15:00",
        number,
        "Task_survey",
        "minzheng",
        {
            "survey_date": "2026-09-16",
            "investigators": ["镇民政办 陈敏", "社区 周丽"],
            "recommend": False,
            "opinion": "家庭人均收入高于当地低保标准，不同意上报",
        },
    )
    c = case(h, number)
    assert (c["status_code"], c["paused"]) == (8, [])
    assert open_tasks(h, number) == [("Task_deliver", "delivery")]  # the answer goes back through the window
    do(h, "2026-09-18 09:00", number, "Task_deliver", "delivery", HANDED)
    c = finished(h, number)
    assert (c["status_code"], c["status"], c["result"]["approved"]) == (13, "办结(不通过)", False)
    assert statuses(h, number) == [1, 3, 8, 13]


def test_minimum_living_allowance_rejected_by_the_district_after_publicity(h):
    number = accepted_allowance(h)
    do(h, "2026-09-18 10:00", number, "Task_survey", "minzheng", SURVEY)
    assert jobs(h, "2026-09-25 10:01") == ["done"]
    reasons = "公示期间收到实名异议，经核查家庭拥有机动车一辆，不符合条件。可依法申请行政复议或提起行政诉讼。"
    with refused("reasons"):
        do(
            h,
            "2026-09-29 10:00",
            number,
            "Task_approve",
            "minzheng",
            {"publicity_objection": True, "approved": False},
        )
    do(
        h,
        "2026-09-29 10:00",
        number,
        "Task_approve",
        "minzheng",
        {"publicity_objection": True, "approved": False, "reasons": reasons},
    )
    with refused("tracking_number"):
        do(
            h,
            "2026-09-30 10:00",
            number,
            "Task_deliver",
            "delivery",
            {"delivery": "快递送达", "receipt_signed": True},
        )
    do(h, "2026-09-30 10:00", number, "Task_deliver", "delivery", HANDED | {"delivery": "窗口领取"})
    c = finished(h, number)
    assert (c["status_code"], c["result"]) == (13, {"approved": False, "name": None, "number": None})
    assert statuses(h, number) == [1, 3, 8, 9, 10, 13]
