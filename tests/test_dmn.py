"""DMN decision tables: the 最低生活保障 eligibility table run by the engine (in the sandbox) both ways, and the
deploy-time checks that refuse a bad .dmn file or a business rule task calling no decision, located, in
Chinese for a Chinese user, with nothing stored."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from orchestrator.bpmn.sandbox import script_engine
from orchestrator.core import i18n
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput
from orchestrator.deploy.decisions import entry_source

LIBRARY = REPO_ROOT / "processes" / "minimum_living_allowance"
KEY = "minimum_living_allowance"
DMN = f"{KEY}_eligibility.dmn"
BPMN = f"{KEY}.bpmn"
DECISION = "minimum_living_allowance_eligibility"
PERSON = {"applicant": {"name": "王小明", "id_number": "330203199001011234", "phone": "13800000000"}}
CHECKED = {
    "eligible": True,
    "complete": True,
    "received": [
        "最低生活保障申请书",
        "家庭成员居民身份证",
        "居民户口簿",
        "家庭经济状况核对授权书",
        "家庭收入和财产状况声明",
    ],
    "opinion": "材料齐全，予以受理",
}


def survey(size: int, income: float) -> dict:
    return {
        "survey_date": "2026-09-17",
        "investigators": ["镇民政办 陈敏", "社区 周丽"],
        "family_size": size,
        "income_per_capita": income,
        "recommend": True,
        "pause_approver": "镇分管领导 张华",
        "opinion": "入户调查属实，同意上报",
    }


# -- the table in the engine ----------------------------------------------------------------------------------

HOUSEHOLDS = [  # (家庭人口数, 家庭月人均收入) → (符合, 判定理由 contains); the standard is 1200 元/人·月
    pytest.param(3, 620.5, True, "低于当地低保标准", id="three_well_below"),
    pytest.param(4, 1199.99, True, "低于当地低保标准", id="four_just_below"),
    pytest.param(3, 1200, False, "不低于当地低保标准", id="three_at_the_standard"),
    pytest.param(2, 1200.01, False, "不低于当地低保标准", id="two_just_above"),
    pytest.param(1, 0, True, "单人户", id="single_no_income"),
    pytest.param(1, 1199, True, "单人户", id="single_below"),
    pytest.param(1, 1200, False, "不低于当地低保标准", id="single_at_the_standard"),
    pytest.param(0, 300, False, "家庭人口数有误", id="no_household_catch_all"),
]


def decide(dmn: bytes, data: dict) -> dict:
    """Run the table alone, as a business rule task of a one-task process, with the sandboxed engine."""
    bpmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="t" name="判定"><bpmn:extensionElements>
      <spiffworkflow:calledDecisionId>{DECISION}</spiffworkflow:calledDecisionId>
    </bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""
    parser = SpiffBpmnParser()
    parser.add_dmn_xml(etree.fromstring(dmn), filename=DMN)
    parser.add_bpmn_xml(etree.fromstring(bpmn.encode()), filename="p.bpmn")
    wf = BpmnWorkflow(parser.get_spec("p"), script_engine=script_engine())
    wf.get_tasks(state=TaskState.READY)[0].data.update(data)
    wf.do_engine_steps()
    assert wf.is_completed()
    return wf.last_task.data


@pytest.mark.parametrize(("size", "income", "eligible", "reason"), HOUSEHOLDS)
def test_the_allowance_table_decides_by_household_size_and_income(size, income, eligible, reason):
    data = decide((LIBRARY / DMN).read_bytes(), {"family_size": size, "income_per_capita": income})
    assert data["allowance_eligible"] is eligible
    assert reason in data["eligibility_reason"]


def test_the_table_runs_in_the_sandbox():
    """The engine evaluates every cell with our script engine: an escape that skipped the deploy checks
    still cannot run."""
    hostile = (LIBRARY / DMN).read_bytes().replace(b"<text>True</text>", b"<text>().__class__</text>", 1)
    with pytest.raises(WorkflowTaskException, match=r"\(\)\.__class__") as info:
        decide(hostile, {"family_size": 1, "income_per_capita": 100})
    assert info.value.error_type == "SandboxError"
    with pytest.raises(WorkflowTaskException) as info:  # FEEL's true is no Python name
        decide(hostile.replace(b"().__class__", b"true"), {"family_size": 1, "income_per_capita": 100})
    assert info.value.error_type == "NameError"


@pytest.mark.parametrize(
    ("cell", "source"),
    [
        ("1", "(family_size) == (1)"),
        ("< 1200", "family_size< 1200"),
        (">= 2", "family_size>= 2"),
        ("2 <= ? <= 4", "2 <= dmninputexpr <= 4"),
        ('"?"', '(family_size) == ("?")'),
    ],
)
def test_cells_are_checked_as_the_engine_evaluates_them(cell, source):
    assert entry_source("family_size", cell) == source


# -- the library item: cases decided by the table -------------------------------------------------------------


def test_cases_go_both_ways_through_the_table(harness):
    harness.members(frontdesk=["frontdesk"], minzheng=["minzheng"], delivery=["delivery"])
    [deployed] = harness.ow.deploy(LIBRARY, publish=True)
    assert DMN in harness.ow.definition(KEY, deployed["version"])["files"]

    def surveyed(size: int, income: float) -> dict:
        ow = harness.ow
        number = ow.start(KEY, PERSON, actor="frontdesk")["case_number"]
        for node, user, data in (
            ("Task_check", "frontdesk", CHECKED),
            ("Task_survey", "minzheng", survey(size, income)),
        ):
            instance = ow.case(number)["instance"]
            task = next(t for t in ow.instance(instance)["open_tasks"] if t["name"] == node)
            ow.complete(task["id"], user, data)
        case = ow.case(number)
        return {"case": case, **ow.instance(case["instance"])}

    below = surveyed(3, 1199.5)
    assert below["data"]["allowance_eligible"] is True
    assert below["case"]["status_code"] == 9 and below["open_tasks"] == []  # 公示 started
    at = surveyed(3, 1200)
    assert at["data"]["allowance_eligible"] is False and at["case"]["status_code"] == 8
    assert [t["name"] for t in at["open_tasks"]] == ["Task_deliver"]  # the 不予 answer goes back
    assert at["data"]["reasons"].startswith("经入户调查和家庭经济状况核对，家庭月人均收入不低于当地低保标准")
    assert "行政复议" in at["data"]["reasons"]


# -- deploy-time refusals -------------------------------------------------------------------------------------


def unit(tmp_path: Path, dmn: bytes | None = None, bpmn: bytes | None = None) -> Path:
    """The 低保 unit with its table or diagram replaced (no tests: nothing is published)."""
    folder = tmp_path / KEY
    shutil.copytree(LIBRARY, folder, ignore=shutil.ignore_patterns("tests"))
    if dmn is not None:
        (folder / DMN).write_bytes(dmn)
    if bpmn is not None:
        (folder / BPMN).write_bytes(bpmn)
    return folder


def refused(h, folder: Path, language: str = "en") -> list[dict]:
    """The deploy is refused and stores nothing; its problems in `language`."""
    before = h.row_counts()
    with pytest.raises(InvalidInput) as info:
        h.ow.deploy(folder)
    assert h.row_counts() == before and h.ow.definitions() == []
    with i18n.speaking(language):
        return [p.as_dict() for p in info.value.problems]


def table(old: str, new: str, count: int = 1) -> bytes:
    text = (LIBRARY / DMN).read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, count).encode("utf-8")


def line_of(xml: bytes, needle: str) -> int:
    return xml[: xml.index(needle.encode())].count(b"\n") + 1


def test_the_library_unit_passes_the_checks(sqlite_harness):
    [deployed] = sqlite_harness.ow.deploy(LIBRARY)
    assert (deployed["key"], deployed["status"]) == (KEY, "draft")


BAD_TABLES = {
    "malformed": (table("</decisionTable>", ""), "not well-formed XML", None),
    "unknown_hit_policy": (
        table('hitPolicy="FIRST"', 'hitPolicy="SOMETIMES"'),
        "unknown hit policy 'SOMETIMES'",
        "DecisionTable_eligibility",
    ),
    "unimplemented_hit_policy": (
        table('hitPolicy="FIRST"', 'hitPolicy="RULE ORDER"'),
        "does not implement the hit policy 'RULE ORDER'",
        "DecisionTable_eligibility",
    ),
    "import_in_an_input_cell": (
        table("<text>&lt; 1200</text>", "<text>&lt; __import__('os').system('id')</text>"),
        "rule 1, column '家庭月人均收入（元）': < __import__('os').system('id'): expression refused: name '__import__' is not allowed",
        "Rule_single",
    ),
    "dunder_in_an_output_cell": (
        table("<text>True</text>", "<text>().__class__.__mro__</text>"),
        "rule 1, column '符合低保条件': ().__class__.__mro__: expression refused: attribute '__class__' is not allowed",
        "Rule_single",
    ),
    "unavailable_builtin_in_an_input": (
        table("<text>family_size</text>", "<text>open('/etc/passwd').read()</text>"),
        "input '家庭人口数': expression refused: open() is not available in the sandbox",
        "Input_family_size",
    ),
    "feel_boolean": (table("<text>True</text>", "<text>true</text>"), "write True, not true", "Rule_single"),
    "feel_range": (table("<text>&gt;= 2</text>", "<text>[2..30]</text>"), "2 <= ? <= 4", "Rule_household"),
    "missing_cell": (
        table(
            '<inputEntry id="InputEntry_single_size">\n          <text>1</text>\n        </inputEntry>', ""
        ),
        "rule 1 has 1 input and 2 output cells; the table has 2 inputs and 2 outputs",
        "Rule_single",
    ),
    "output_without_name": (
        table(' name="allowance_eligible"', ""),
        "output '符合低保条件' has no name",
        "Output_eligible",
    ),
    "two_decisions": (
        table(
            "  <dmndi:DMNDI>",
            '  <decision id="second" name="另一个"><literalExpression id="L"><text>1</text></literalExpression></decision>\n  <dmndi:DMNDI>',
        ),
        "one decision per .dmn file",
        "second",
    ),
    "not_a_table": (
        re.sub(
            rb"<decisionTable .*</decisionTable>",
            b'<literalExpression id="Literal_1"><text>True</text></literalExpression>',
            (LIBRARY / DMN).read_bytes(),
            flags=re.S,
        ),
        "decision '低保资格判定' is not a decision table",
        "minimum_living_allowance_eligibility",
    ),
    "comment_in_the_table": (
        table('<rule id="Rule_otherwise">', '<!-- 兜底 --><rule id="Rule_otherwise">'),
        "not an XML comment",
        "DecisionTable_eligibility",
    ),
    "not_dmn": (b"<definitions xmlns='urn:other'/>", "not a DMN decision file", None),
    "doctype": (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/">&x;</definitions>',
        "DOCTYPE is not allowed",
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_a_bad_table_is_refused_located_and_nothing_is_stored(sqlite_harness, tmp_path, case):
    dmn, expected, element = BAD_TABLES[case]
    problems = refused(sqlite_harness, unit(tmp_path, dmn=dmn))
    found = [p for p in problems if expected in p["message"]]
    assert found, problems
    assert all(p["file"] == DMN and isinstance(p["line"], int) for p in found)
    if element:
        assert found[0]["element"] == element
    assert "Traceback" not in str(problems)


def test_a_refused_cell_is_reported_on_its_line_in_chinese(sqlite_harness, tmp_path):
    dmn = table("<text>&lt; 1200</text>", "<text>&lt; 1200 and __import__('os')</text>")
    [problem] = refused(sqlite_harness, unit(tmp_path, dmn=dmn), "zh")
    assert problem["file"] == DMN and problem["element"] == "Rule_single"
    assert problem["line"] == line_of(dmn, "__import__")
    assert problem["message"].startswith("第 1 条规则，“家庭月人均收入（元）”列：")
    assert "不允许" in problem["message"] and "__import__" in problem["message"]

    policy = table('hitPolicy="FIRST"', 'hitPolicy="first"')
    [problem] = refused(sqlite_harness, unit(tmp_path / "b", dmn=policy), "zh")
    assert problem["message"].startswith("未知的命中策略“first”") and "FIRST" in problem["message"]
    assert problem["line"] == line_of(policy, 'hitPolicy="first"')


def test_a_call_of_no_decision_is_refused(sqlite_harness, tmp_path):
    diagram = (LIBRARY / BPMN).read_bytes()
    call = f"<spiffworkflow:calledDecisionId>{DECISION}</spiffworkflow:calledDecisionId>".encode()
    wrong = diagram.replace(call, call.replace(DECISION.encode(), b"low_income_table"))
    [problem] = refused(sqlite_harness, unit(tmp_path, bpmn=wrong))
    assert (problem["file"], problem["element"]) == (BPMN, "Task_eligibility")
    assert problem["line"] == line_of(wrong, "low_income_table")
    assert "calls decision 'low_income_table', which no .dmn file of the unit defines" in problem["message"]
    assert DECISION in problem["message"]

    nameless = diagram.replace(call, b"")
    [problem] = refused(sqlite_harness, unit(tmp_path / "b", bpmn=nameless), "zh")
    assert problem["element"] == "Task_eligibility" and "calledDecisionId" in problem["message"]
    assert problem["message"].startswith("业务规则任务“低保资格判定”没有指定决策")

    folder = unit(tmp_path / "c")
    (folder / DMN).unlink()
    [problem] = refused(sqlite_harness, folder)
    assert "the unit has no .dmn file" in problem["message"]


def test_a_decision_id_twice_in_a_unit_is_refused(sqlite_harness, tmp_path):
    folder = unit(tmp_path)
    shutil.copy(folder / DMN, folder / "copy.dmn")
    [problem] = refused(sqlite_harness, folder)
    assert problem["file"] == DMN  # the second of the two, in name order
    assert f"decision id '{DECISION}' is also defined in" in problem["message"]
