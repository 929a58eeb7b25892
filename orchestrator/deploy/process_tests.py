"""Process tests (流程测试): what an analyst expects of a diagram, written as data beside it (`tests/*.json` in
the unit) and versioned with it. A test gives the start data and, for each user task it expects to reach,
what is submitted there; then it states what must happen: the path (the user tasks in the order they are
completed), the end reached, the case's status code at the end, and the promised due date when the case
is accepted on a given day. `{"wait": "P31D"}` lets time pass (timers fire). The format is checked at deploy
time like every other file; `service.testing` runs the tests.

    {"title": "主路径：受理到办结", "accepted_on": "2026-10-12",
     "start": {"data": {"applicant": {"name": "张三"}}},
     "steps": [{"task": "Task_check", "data": {"eligible": true, "complete": true}},
               {"task": "Task_review", "action": "reject", "reason": "材料不实"}],
     "expect": {"path": ["Task_check", "Task_review"], "end": "End_rejected", "status_code": 13}}
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from orchestrator.core.errors import Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import forms

MAX_TEST_BYTES = 256 * 1024
ACTIONS = ("complete", "reject", "supplement", "send_back")
ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "流程测试",
    "type": "object",
    "properties": {
        "title": {"type": "string", "title": "测试名称", "minLength": 1, "maxLength": 200},
        "accepted_on": {"type": "string", "title": "运行日期", "pattern": ISO_DATE},
        "start": {
            "type": "object",
            "title": "启动",
            "properties": {
                "data": {"type": "object", "title": "申请数据"},
                "as": {"type": "string", "title": "启动人（用户组代码）", "maxLength": 100},
            },
            "additionalProperties": False,
        },
        "steps": {
            "type": "array",
            "title": "步骤",
            "maxItems": 200,
            "items": {
                "type": "object",
                "title": "步骤",
                "properties": {
                    "task": {"type": "string", "title": "环节（元素 id 或名称）", "minLength": 1},
                    "data": {"type": "object", "title": "提交的数据"},
                    "action": {"title": "操作", "enum": list(ACTIONS)},
                    "reason": {"type": "string", "title": "理由", "maxLength": 2000},
                    "wait": {"type": "string", "title": "等待（ISO 8601 时长）", "pattern": "^P"},
                },
                "additionalProperties": False,
                "oneOf": [{"required": ["task"]}, {"required": ["wait"]}],
            },
        },
        "expect": {
            "type": "object",
            "title": "预期",
            "properties": {
                "path": {"type": "array", "title": "路径", "items": {"type": "string"}},
                "end": {"type": "string", "title": "结束事件"},
                "status_code": {"type": "integer", "title": "办件状态码", "minimum": 1, "maximum": 15},
                "promised_due": {"type": "string", "title": "承诺办结日期", "pattern": ISO_DATE},
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
    },
    "required": ["title", "steps", "expect"],
    "additionalProperties": False,
}
_VALIDATOR = Draft202012Validator(SCHEMA)


def load(name: str, raw: bytes) -> tuple[dict | None, list[Problem]]:
    """One test file, checked: the test, or None and every problem (located in `tests/<name>`)."""
    where = f"tests/{name}"
    if len(raw) > MAX_TEST_BYTES:
        return None, [
            Problem(_("a test is larger than {limit} KB", limit=MAX_TEST_BYTES // 1024), file=where)
        ]
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        return None, [
            Problem(_("a test is not valid JSON: {detail}", detail=str(exc)), file=where, line=line)
        ]
    problems = forms.field_errors(_VALIDATOR, doc)
    for p in problems:
        p.file = where
    return (doc if not problems else None), problems
