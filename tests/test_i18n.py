"""Every message of the core has its Chinese translation, with the same fields; the language follows the
door: LANG for the CLI, the request for the web app and the API."""

from __future__ import annotations

import re
import shutil
import sys

import pytest
import yaml

from orchestrator.bpmn import sandbox
from orchestrator.core import i18n
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import forms
from orchestrator.gov import catalog

sys.path.insert(0, str(REPO_ROOT / "tools"))
from messages import message_ids  # noqa: E402

FIELD = re.compile(r"\{(\w+)[^{}]*\}")


def test_every_message_of_the_core_is_translated_with_the_same_fields():
    catalog = i18n.catalog("zh")
    ids = message_ids()
    assert len(ids) > 100  # the walk found the messages
    missing = [m for m in ids if not catalog.get(m)]
    assert missing == [], f"untranslated (run tools/messages.py, then translate): {missing[:10]}"
    wrong = [m for m in ids if set(FIELD.findall(m)) != set(FIELD.findall(catalog[m]))]
    assert wrong == []


def test_a_message_is_shown_in_the_language_of_whoever_shows_it():
    missing = NotFound(_("no task {id}", id=7))
    with i18n.speaking("en"):
        assert str(missing) == "no task 7"
        assert missing.as_dict() == {"error": {"code": "not_found", "message": "no task 7", "problems": []}}
    with i18n.speaking("zh-CN"):
        assert str(missing) == "没有任务 7"


def test_fields_that_are_messages_are_translated_too():
    inner = _("no task {id}", id=7)
    problem = Problem(_("form '{form}': {problem}", form="a.json", problem=inner))
    with i18n.speaking("zh"):
        assert "没有任务 7" in str(InvalidInput(problem))


def test_the_command_line_follows_lang():
    assert i18n.from_env({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.from_env({"LANG": "C.UTF-8"}) == "en"
    assert i18n.from_env({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.from_env({}) == "en"


def test_a_catalog_problem_names_its_field_in_both_languages():
    doc = yaml.safe_load(
        (REPO_ROOT / "processes" / "general_approval" / "item.yaml").read_text(encoding="utf-8")
    )
    doc["case_class"]["local"] = "加急"
    del doc["code"]
    problems = {p.field: p for p in catalog.check(doc, {"minzheng"})}
    local, code = problems["case_class.local"], problems["code"]
    with i18n.speaking("zh"):
        assert str(local.message) == (
            "办件类型 › 地方类型（case_class.local）须为以下之一：'即办'、'承诺'、'联办'、'上报'、'特殊'，当前为 '加急'"
        )
        assert str(code.message) == "缺少必填项：基本编码（code）"
    with i18n.speaking("en"):
        assert str(local.message) == (
            "case_class.local: '加急' is not one of '即办', '承诺', '联办', '上报', '特殊'"
        )
        assert str(code.message) == "required field 'code' is missing"
    assert local.field == "case_class.local" and local.file == "item.yaml"


def test_a_form_problem_names_its_field_by_its_titles_in_chinese():
    schema = {
        "type": "object",
        "properties": {
            "applicant": {
                "type": "object",
                "title": "申请人",
                "properties": {
                    "name": {"type": "string", "title": "姓名"},
                    "age": {"type": "integer", "title": "年龄", "minimum": 0},
                    "note": {"type": "string"},
                },
                "required": ["name"],
            }
        },
    }
    problems = {
        p.field: p
        for p in forms.field_errors(forms.compile_schema(schema), {"applicant": {"age": -1, "note": 3}})
    }
    assert set(problems) == {"applicant/name", "applicant/age", "applicant/note"}
    name, age, note = problems["applicant/name"], problems["applicant/age"], problems["applicant/note"]
    with i18n.speaking("zh"):
        assert str(name.message) == "申请人 › 姓名（applicant.name）为必填项"
        assert str(age.message) == "申请人 › 年龄（applicant.age）不能小于 0，当前为 -1"
        assert str(note.message) == "申请人 › note（applicant.note）须为文本，当前为 3"
    with i18n.speaking("en"):
        assert str(name.message) == "applicant.name is required"
        assert str(age.message) == "applicant.age: -1 is less than the minimum of 0"
        assert str(note.message) == "applicant.note: 3 is not text"


def test_a_refused_deploy_lists_its_problems_in_chinese(sqlite_harness, tmp_path):
    unit = tmp_path / "general_approval"
    shutil.copytree(REPO_ROOT / "processes" / "general_approval", unit)
    item, diagram = unit / "item.yaml", unit / "general_approval.bpmn"
    item.write_text(item.read_text(encoding="utf-8").replace("local: 承诺", "local: 加急"), encoding="utf-8")
    diagram.write_text(
        diagram.read_text(encoding="utf-8").replace("accepted == True<", "accepted.__class__ == True<"),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as refused:
        sqlite_harness.ow.deploy(unit)
    with i18n.speaking("zh"):
        shown = [p["message"] for p in refused.value.as_dict()["errors"]]
    assert (
        "办件类型 › 地方类型（case_class.local）须为以下之一：'即办'、'承诺'、'联办'、'上报'、'特殊'，当前为 '加急'"
        in shown
    )
    lines = {p.field: p.line for p in refused.value.problems if p.file == "item.yaml"}
    assert lines["case_class.local"] == 10  # the line of item.yaml that holds the field
    assert "表达式被拒绝：不允许使用属性 '__class__'：以 '_' 开头的属性是私有的" in shown
    with i18n.speaking("en"):
        assert "expression refused: attribute '__class__' is not allowed" in str(refused.value)


def test_lists_and_sandbox_refusals_follow_the_language():
    [refusal] = sandbox.check("import os", "exec")
    channels = i18n.Listing(["窗口", "网上"])
    with i18n.speaking("zh"):
        assert str(refusal) == "不允许使用 'import'" and str(channels) == "窗口、网上"
    with i18n.speaking("en"):
        assert str(refusal) == "'import' is not allowed" and str(channels) == "窗口, 网上"
