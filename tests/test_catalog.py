"""The catalog entry (item.yaml): its schema, every problem reported at once, and the stored defaults."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from orchestrator.gov import catalog

DEMO = Path(__file__).parent.parent / "processes" / "general_approval" / "item.yaml"
GROUPS = {
    "frontdesk",
    "delivery",
    "minzheng",
    "renshe",
    "yibao",
    "weijian",
    "gongan",
    "shichang",
    "command",
    "grid",
}


def demo() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def minimal() -> dict:
    """The smallest valid entry: only the required fields."""
    return {
        "code": "X-1",
        "name": "最小事项",
        "type": "行政确认",
        "implementing_body": "某局",
        "lead_department": "renshe",
        "case_class": {"national": 1, "local": "即办"},
        "limits": {"statutory_days": 0, "promised_days": 0},
        "materials": [],
        "channels": {"online": True, "courier": False, "proxy": False, "visits": 0},
    }


def fields(problems) -> list[str]:
    return sorted(p.field for p in problems)


def test_demo_item_is_valid():
    assert catalog.check(demo(), GROUPS) == []


def test_minimal_entry_is_valid_and_defaults_fill_the_rest():
    doc = minimal()
    assert catalog.check(doc, GROUPS) == []
    filled = catalog.defaults(doc)
    assert filled["limits"]["supplement_days"] == 30
    assert filled["limits"]["department_days"] == {}
    assert filled["fees"] == [] and filled["co_departments"] == [] and filled["conditions"] == []
    assert filled["channels"]["appointment"] is False
    assert doc == minimal(), "defaults must not change its argument"
    assert catalog.check(filled, GROUPS) == [], "a filled entry is still valid"


def test_defaults_fill_copies_and_keep_what_is_given():
    doc = demo()
    doc["materials"][0].pop("copies")
    doc["materials"][1]["copies"] = {"copy": 2}
    doc["limits"]["supplement_days"] = 15
    filled = catalog.defaults(doc)
    assert filled["materials"][0]["copies"] == {"original": 1, "copy": 0}
    assert filled["materials"][1]["copies"] == {"original": 1, "copy": 2}
    assert filled["limits"]["supplement_days"] == 15
    assert filled["channels"]["appointment"] is False
    assert filled["code"] == "DEMO-0001"


def test_joint_item_with_department_limits_is_valid():
    doc = demo()
    doc["case_class"] = {"national": 2, "local": "联办"}
    doc["co_departments"] = ["renshe", "yibao"]
    doc["limits"]["department_days"] = {"minzheng": 2, "renshe": 3, "yibao": 3}
    doc["fees"] = [
        {"name": "工本费", "amount": 10, "basis": "某价费字〔2020〕1号"},
        {"name": "查询", "amount": 0},
    ]
    assert catalog.check(doc, GROUPS) == []


def test_a_bad_entry_reports_every_problem():
    doc = {
        "code": "DEMO-0001",
        "name": "坏条目",
        "type": "公共服务",
        "implementing_body": "示范区便民服务中心",
        "lead_department": "minzheng",
        "co_departments": ["nosuch"],  # unknown department
        "case_class": {"national": 1, "local": "即办"},
        # promised > statutory, and 即办 with promised 3; a negative supplement period
        "limits": {"statutory_days": 2, "promised_days": 3, "supplement_days": -1},
        "materials": [
            {"name": "申请表", "necessity": "必要", "form": "纸质"},
            {"necessity": "必要", "form": "纸质"},  # no name
            {
                "name": "申请表",
                "necessity": "必要",
                "form": "纸质",
                "copies": {"original": True},
            },  # dup, bool
        ],
        "fees": [{"name": "工本费", "amount": 10}],  # no basis
        "channels": {"online": True, "courier": True, "proxy": True, "visits": 1.5},  # float
        "complaint_phon": "12345",  # typo
    }
    problems = catalog.check(doc, GROUPS)
    assert fields(problems) == sorted(
        [
            "co_departments[0]",
            "limits.promised_days",
            "limits.promised_days",
            "limits.supplement_days",
            "materials[1].name",
            "materials[2].name",
            "materials[2].copies.original",
            "fees[0].basis",
            "channels.visits",
            "complaint_phon",
        ]
    )
    assert all(p.file == "item.yaml" and p.line is None for p in problems)
    by_field = {}
    for p in problems:
        by_field.setdefault(p.field, []).append(p.message)
    assert "did you mean 'complaint_phone'" in by_field["complaint_phon"][0]
    assert any("exceed the statutory limit (2)" in m for m in by_field["limits.promised_days"])
    assert any("即办" in m and "must be 0" in m for m in by_field["limits.promised_days"])
    assert "missing" in by_field["materials[1].name"][0]
    assert "listed twice" in by_field["materials[2].name"][0]
    assert "True is not a whole number" in by_field["materials[2].copies.original"][0]
    assert "'nosuch' is not a known group code" in by_field["co_departments[0]"][0]


def _set(path: str, value):
    """A change to the demo entry: set (or, with value DELETE, remove) the value at a dotted path."""

    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        target = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is DELETE:
            del target[int(last) if isinstance(target, list) else last]
        else:
            target[int(last) if isinstance(target, list) else last] = copy.deepcopy(value)

    return change


DELETE = object()
IMMEDIATE = {"national": 1, "local": "即办"}
MATERIAL = {"name": "申请表", "necessity": "必要", "form": "纸质"}

CASES = [
    # (id, changes, expected field, a part of the message)
    ("required-missing", [_set("code", DELETE)], "code", "required field 'code' is missing"),
    ("required-empty", [_set("limits", None)], "limits", "missing"),
    ("code-pattern", [_set("code", "DEMO 0001")], "code", "letters, digits and '-'"),
    ("code-too-long", [_set("code", "A" * 65)], "code", "at most 64"),
    ("code-number", [_set("code", 1001)], "code", "quotes"),
    ("name-too-long", [_set("name", "名" * 201)], "name", "at most 200"),
    ("name-blank", [_set("name", "  ")], "name", "non-empty text"),
    ("type", [_set("type", "行政审批")], "type", "is not one of '行政许可'"),
    ("implementing-body", [_set("implementing_body", "")], "implementing_body", "non-empty"),
    ("lead-unknown", [_set("lead_department", "mingzheng")], "lead_department", "not a known group"),
    ("co-not-list", [_set("co_departments", "renshe")], "co_departments", "is not a list"),
    ("co-unknown", [_set("co_departments", ["nosuch"])], "co_departments[0]", "not a known group"),
    ("co-duplicate", [_set("co_departments", ["renshe", "renshe"])], "co_departments[1]", "listed twice"),
    ("co-is-lead", [_set("co_departments", ["minzheng"])], "co_departments[0]", "lead department"),
    ("national-code", [_set("case_class.national", 3)], "case_class.national", "one of 1, 2, 9"),
    ("national-text", [_set("case_class.national", "2")], "case_class.national", "'2'"),
    ("local-class", [_set("case_class.local", "加急")], "case_class.local", "one of '即办'"),
    ("case-class-key", [_set("case_class.nation", 2)], "case_class.nation", "did you mean 'national'"),
    (
        "immediate-needs-class-1",
        [_set("case_class", {"national": 2, "local": "即办"}), _set("limits.promised_days", 0)],
        "case_class.national",
        "class 1",
    ),
    ("promise-not-class-1", [_set("case_class.national", 1)], "case_class.national", "2 (承诺件) or 9"),
    ("joint-needs-co", [_set("case_class.local", "联办")], "co_departments", "at least one co-department"),
    ("promised-over-statutory", [_set("limits.promised_days", 21)], "limits.promised_days", "may not exceed"),
    ("negative", [_set("limits.statutory_days", -1)], "limits.statutory_days", "less than the minimum of 0"),
    (
        "absurd",
        [_set("limits.statutory_days", 366)],
        "limits.statutory_days",
        "greater than the maximum of 365",
    ),
    ("float", [_set("limits.promised_days", 2.5)], "limits.promised_days", "whole number"),
    ("bool", [_set("limits.promised_days", True)], "limits.promised_days", "True is not a whole number"),
    ("immediate-is-same-day", [_set("case_class", IMMEDIATE)], "limits.promised_days", "must be 0"),
    (
        "supplement-zero",
        [_set("limits.supplement_days", 0)],
        "limits.supplement_days",
        "less than the minimum of 1",
    ),
    (
        "dept-days-map",
        [_set("limits.department_days", [2])],
        "limits.department_days",
        "is not a group of fields",
    ),
    (
        "dept-days-unknown",
        [_set("limits.department_days", {"nosuch": 1})],
        "limits.department_days.nosuch",
        "not a known group",
    ),
    (
        "dept-days-not-involved",
        [_set("limits.department_days", {"renshe": 1})],
        "limits.department_days.renshe",
        "neither the lead nor a co-department",
    ),
    (
        "dept-days-over-promised",
        [_set("limits.department_days", {"minzheng": 6})],
        "limits.department_days.minzheng",
        "exceed the promised limit (5)",
    ),
    (
        "dept-days-negative",
        [_set("limits.department_days", {"minzheng": -1})],
        "limits.department_days.minzheng",
        "less than the minimum of 0",
    ),
    ("materials-not-list", [_set("materials", {"name": "x"})], "materials", "is not a list"),
    ("material-not-mapping", [_set("materials.0", "申请表")], "materials[0]", "is not a group of fields"),
    ("material-no-name", [_set("materials.0.name", DELETE)], "materials[0].name", "missing"),
    ("material-empty-name", [_set("materials.0.name", "")], "materials[0].name", "non-empty"),
    ("material-duplicate", [_set("materials.1.name", "申请表")], "materials[1].name", "listed twice"),
    ("necessity", [_set("materials.0.necessity", "可选")], "materials[0].necessity", "容缺后补"),
    ("form", [_set("materials.0.form", "复印")], "materials[0].form", "纸质和电子"),
    ("source", [_set("materials.0.source", "网上下载")], "materials[0].source", "申请人自备"),
    (
        "copies-not-mapping",
        [_set("materials.0.copies", 1)],
        "materials[0].copies",
        "is not a group of fields",
    ),
    (
        "copies-negative",
        [_set("materials.0.copies.copy", -1)],
        "materials[0].copies.copy",
        "less than the minimum of 0",
    ),
    ("material-key", [_set("materials.0.nots", "x")], "materials[0].nots", "did you mean 'note'"),
    ("conditions-blank", [_set("conditions", [""])], "conditions[0]", "non-empty"),
    ("fee-no-basis", [_set("fees", [{"name": "工本费", "amount": 5}])], "fees[0].basis", "legal basis"),
    (
        "fee-negative",
        [_set("fees", [{"name": "退费", "amount": -1}])],
        "fees[0].amount",
        "less than the minimum of 0",
    ),
    (
        "fee-text",
        [_set("fees", [{"name": "费", "amount": "5元", "basis": "b"}])],
        "fees[0].amount",
        "is not a number",
    ),
    ("fee-no-name", [_set("fees", [{"amount": 0}])], "fees[0].name", "missing"),
    ("online-bool", [_set("channels.online", "yes")], "channels.online", "true or false"),
    ("courier-missing", [_set("channels.courier", DELETE)], "channels.courier", "missing"),
    ("visits-negative", [_set("channels.visits", -1)], "channels.visits", "less than the minimum of 0"),
    ("visits-too-many", [_set("channels.visits", 6)], "channels.visits", "greater than the maximum of 5"),
    ("scope", [_set("scope", "全国")], "scope", "跨省"),
    ("phone-number", [_set("phone", 12345)], "phone", "quotes"),
    ("unknown-key-close", [_set("limit", {})], "limit", "did you mean 'limits'"),
    ("unknown-key-far", [_set("备注", "张三")], "备注", "known fields: process, code"),
]


@pytest.mark.parametrize(("changes", "field", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_reports_one_problem(changes, field, message):
    doc = demo()
    for change in changes:
        change(doc)
    problems = catalog.check(doc, GROUPS)
    assert [p.field for p in problems] == [field], [p.as_dict() for p in problems]
    assert message in problems[0].message
    assert problems[0].file == "item.yaml"


def test_optional_fields_may_be_written_empty_and_free_fees_need_no_basis():
    doc = demo()
    doc.update(conditions=None, fees=[{"name": "查询", "amount": 0}], scope=None, place=None)
    doc["materials"][1]["note"] = None
    assert catalog.check(doc, GROUPS) == []


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {},
        {"materials": [None, 1, [], {"name": ["x"], "copies": [1]}], "limits": [], "case_class": "x"},
        {
            "fees": "free",
            "co_departments": [[], {}],
            "channels": None,
            3: 4,
            "limits": {"department_days": {}},
        },
        {"case_class": {"national": None, "local": ["即办"]}, "limits": {"department_days": {"a": "b"}}},
    ],
)
def test_never_raises_on_garbage(doc):
    problems = catalog.check(doc, GROUPS)
    assert problems and all(p.file == "item.yaml" for p in problems)
