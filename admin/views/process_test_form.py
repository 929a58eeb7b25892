"""The process-test editor's form: a test (JSON) as the fields an analyst edits, and the posted fields read
back into a test, every problem placed on its field (so a refused save shows what was typed, unchanged)."""

from __future__ import annotations

import json
import math
import re
from datetime import date
from itertools import zip_longest
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..web import service

ACTIONS = {
    "complete": _l("办理（提交）"),
    "reject": _l("驳回"),
    "supplement": _l("退回申请人补正"),
    "send_back": _l("退回上一步"),
}
TYPES = {"text": _l("文本"), "number": _l("数字"), "bool": _l("是/否"), "json": _l("JSON")}
WAIT_UNITS = {"D": _l("天"), "H": _l("小时"), "M": _l("分钟"), "iso": _l("ISO 8601 时长")}
WAIT_FORMS = {"D": re.compile(r"P(\d+)D"), "H": re.compile(r"PT(\d+)H"), "M": re.compile(r"PT(\d+)M")}
ISO_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?")
TEST_NAME = re.compile(r"[\w\-]{1,80}")  # a test's file name without ".json", Chinese included
TOKEN = re.compile(r"[a-z][a-z0-9]{0,15}")  # a step row of the form
MAX_STEPS = 200
TRUE, FALSE = ("true", "是", "1", "yes"), ("false", "否", "0", "no")


def form_model(test: dict, name: str, *, new: bool) -> dict:
    """A test as the editor's fields (text as typed, so a refused save shows it again unchanged)."""
    start = test.get("start") or {}
    expect = test.get("expect") or {}
    steps = []
    for i, step in enumerate(test.get("steps") or []):
        step = step if isinstance(step, dict) else {}
        number, unit = _wait_parts(step.get("wait"))
        steps.append(
            {
                "token": f"s{i}",
                "kind": "wait" if "wait" in step else "task",
                "task": str(step.get("task") or ""),
                "action": str(step.get("action") or "complete"),
                "reason": str(step.get("reason") or ""),
                "data": _box(step.get("data") or {}),
                "wait_n": number,
                "wait_unit": unit,
            }
        )
    code = expect.get("status_code")
    return {
        "name": name,
        "new": new,
        "title": str(test.get("title") or ""),
        "accepted_on": str(test.get("accepted_on") or ""),
        "start_as": str(start.get("as") or ""),
        "start": _box(start.get("data") or {}),
        "steps": steps,
        "use_path": "path" in expect,
        "path": [str(e) for e in expect.get("path") or []],
        "end": str(expect.get("end") or ""),
        "status_code": "" if code is None else str(code),
        "promised_due": str(expect.get("promised_due") or ""),
    }


def _wait_parts(wait: Any) -> tuple[str, str]:
    if not isinstance(wait, str):
        return "", "D"
    for unit, pattern in WAIT_FORMS.items():
        found = pattern.fullmatch(wait)
        if found:
            return found.group(1), unit
    return wait, "iso"


def _box(data: Any) -> dict:
    """Data as key/value rows (each value with its type) and as JSON."""
    text = json.dumps(data, ensure_ascii=False, indent=2) if data else ""
    if not isinstance(data, dict):
        return {"mode": "json", "rows": [], "json": text}
    rows = [{"k": k, "t": _type_of(v), "v": _text_of(v)} for k, v in data.items()]
    return {"mode": "kv", "rows": rows, "json": text}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text" if isinstance(value, str) else "json"


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def read_form(form, d: dict, diagram: dict, statuses: list[dict]) -> tuple[dict, dict, dict[str, str]]:
    """The posted fields → (what was typed, the test, problems by field). The test is checked against the
    diagram here (tasks, path and end it names, actions, dates); its shape is the deploy's to check."""
    errors: dict[str, str] = {}
    tasks, ends = diagram["tasks"], diagram["ends"]
    new = form.get("new") == "1"
    name = (form.get("name") or "").strip()
    name = name if name.endswith(".json") else f"{name}.json"
    if not TEST_NAME.fullmatch(name.removesuffix(".json")):
        errors["name"] = _("文件名只能用字母、数字、汉字、下划线和连字符（最多 80 个）")
    elif new and name in d["tests"]:
        errors["name"] = _("此版本已有名为 %(name)s 的测试", name=name)
    elif not new and name not in d["tests"]:
        errors["name"] = _("此版本没有名为 %(name)s 的测试", name=name)
    model: dict[str, Any] = {
        "name": name,
        "new": new,
        "title": form.get("title", ""),
        "accepted_on": (form.get("accepted_on") or "").strip(),
        "start_as": form.get("start_as", ""),
    }
    test: dict[str, Any] = {"title": model["title"].strip()}
    if model["accepted_on"]:
        if _date(model["accepted_on"]) is None:
            errors["accepted_on"] = _("请填写有效日期（年-月-日）")
        test["accepted_on"] = model["accepted_on"]
    model["start"], data = _read_box(form, "start", errors)
    start: dict[str, Any] = {"data": data}
    if model["start_as"]:
        if model["start_as"] not in {g["code"] for g in service().modeler_context()["groups"]}:
            errors["start.as"] = _("没有用户组 %(code)s", code=model["start_as"])
        start["as"] = model["start_as"]
    test["start"] = start
    model["steps"], test["steps"] = _read_steps(form, tasks, errors)
    model["use_path"] = form.get("expect.use_path") == "1"
    model["path"] = [p for p in form.getlist("expect.path") if p.strip()]
    model["end"] = form.get("expect.end", "")
    model["status_code"] = form.get("expect.status_code", "")
    model["promised_due"] = (form.get("expect.promised_due") or "").strip()
    expect: dict[str, Any] = {}
    if model["use_path"]:
        unknown = [p for p in model["path"] if element_of(p, tasks) is None]
        if unknown:
            errors["expect.path"] = _("流程图中没有环节：%(names)s", names="、".join(unknown))
        expect["path"] = model["path"]
    if model["end"]:
        if model["end"] not in ends:
            errors["expect.end"] = _("流程图中没有结束事件 %(end)s", end=model["end"])
        expect["end"] = model["end"]
    if model["status_code"]:
        codes = {str(s["code"]) for s in statuses}
        if model["status_code"] not in codes:
            errors["expect.status_code"] = _("没有办件状态码 %(code)s", code=model["status_code"])
        else:
            expect["status_code"] = int(model["status_code"])
    if model["promised_due"]:
        if _date(model["promised_due"]) is None:
            errors["expect.promised_due"] = _("请填写有效日期（年-月-日）")
        expect["promised_due"] = model["promised_due"]
    test["expect"] = expect
    return model, test, errors


def _read_steps(form, tasks: dict[str, str], errors: dict[str, str]) -> tuple[list[dict], list[dict]]:
    rows, steps = [], []
    tokens = [t for t in form.getlist("step") if TOKEN.fullmatch(t)]
    if len(tokens) > MAX_STEPS:
        errors["steps"] = _("最多 %(n)s 个步骤", n=MAX_STEPS)
        tokens = tokens[:MAX_STEPS]
    for token in dict.fromkeys(tokens):
        row = {
            "token": token,
            "kind": "wait" if form.get(f"{token}.kind") == "wait" else "task",
            "task": (form.get(f"{token}.task") or "").strip(),
            "action": form.get(f"{token}.action") or "complete",
            "reason": form.get(f"{token}.reason") or "",
            "wait_n": (form.get(f"{token}.wait_n") or "").strip(),
            "wait_unit": form.get(f"{token}.wait_unit") or "D",
        }
        row["data"], data = _read_box(form, f"{token}.data", errors)
        rows.append(row)
        if row["kind"] == "wait":
            wait = _wait(row["wait_n"], row["wait_unit"])
            if wait is None:
                errors[f"{token}.wait"] = _("请填写等待时长：正整数，或 ISO 8601 时长（如 P31D、PT2H）")
            steps.append({"wait": wait or row["wait_n"]})
            continue
        step: dict[str, Any] = {"task": row["task"]}
        if not row["task"]:
            errors[f"{token}.task"] = _("请选择环节")
        elif element_of(row["task"], tasks) is None:
            errors[f"{token}.task"] = _("流程图中没有环节 %(task)s", task=row["task"])
        if row["action"] not in ACTIONS:
            errors[f"{token}.action"] = _("未知的操作 %(action)s", action=row["action"])
        if row["action"] != "complete":
            step["action"] = row["action"]
        if row["reason"].strip():
            step["reason"] = row["reason"].strip()
        elif row["action"] in ("reject", "supplement", "send_back"):
            errors[f"{token}.reason"] = _("驳回、补正和退回须填写理由")
        if data:
            step["data"] = data
        steps.append(step)
    return rows, steps


def _wait(number: str, unit: str) -> str | None:
    if unit == "iso":
        return number if ISO_DURATION.fullmatch(number) else None
    if unit not in WAIT_FORMS or not number.isdigit() or int(number) < 1:
        return None
    return f"PT{int(number)}{unit}" if unit in ("H", "M") else f"P{int(number)}D"


def _read_box(form, prefix: str, errors: dict[str, str]) -> tuple[dict, dict]:
    """One data field (start data, a step's data): what was typed, and the data it means."""
    box = {
        "mode": "json" if form.get(f"{prefix}.mode") == "json" else "kv",
        "rows": [
            {"k": k or "", "t": t or "text", "v": v or ""}
            for k, t, v in zip_longest(
                form.getlist(f"{prefix}.k"), form.getlist(f"{prefix}.t"), form.getlist(f"{prefix}.v")
            )
        ],
        "json": form.get(f"{prefix}.json", ""),
    }
    if box["mode"] == "json":
        text = box["json"].strip()
        if not text:
            return box, {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            errors[prefix] = _("不是有效的 JSON：%(detail)s", detail=str(exc))
            return box, {}
        if not isinstance(value, dict):
            errors[prefix] = _("数据须为 JSON 对象（{…}）")
            return box, {}
        return box, value
    data: dict[str, Any] = {}
    wrong = []
    for i, row in enumerate(box["rows"], start=1):
        key = row["k"].strip()
        if not key and not row["v"].strip():
            continue
        if not key:
            wrong.append(_("第 %(n)s 行没有字段名", n=i))
            continue
        if key in data:
            wrong.append(_("字段 %(key)s 重复", key=key))
            continue
        value, ok = _typed(row["t"], row["v"])
        if not ok:
            wrong.append(_("字段 %(key)s 的值不是%(type)s", key=key, type=TYPES.get(row["t"], row["t"])))
            continue
        data[key] = value
    if wrong:
        errors[prefix] = "；".join(wrong)
    return box, data


def _typed(kind: str, text: str) -> tuple[Any, bool]:
    if kind == "number":
        try:
            number = float(text.strip())
        except ValueError:
            return None, False
        if not math.isfinite(number):
            return None, False
        return (
            int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
        ), True
    if kind == "bool":
        word = text.strip().lower()
        return (word in TRUE), word in TRUE + FALSE
    if kind == "json":
        try:
            return json.loads(text), True
        except ValueError:
            return None, False
    return text, True


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def place_problems(problems: list[dict], name: str, model: dict) -> tuple[dict[str, str], list[dict]]:
    """The service's problems: those of this test on their fields, the others as a list."""
    errors: dict[str, str] = {}
    general = []
    tokens = [s["token"] for s in model["steps"]]
    for p in problems:
        if p.get("file") not in (f"tests/{name}", None) or (p.get("file") is None and p.get("field") is None):
            general.append(p)
            continue
        field = _field_of(str(p.get("field") or ""), tokens)
        errors[field] = f"{errors[field]}；{p['message']}" if field in errors else str(p["message"])
    return errors, general


def _field_of(path: str, tokens: list[str]) -> str:
    parts = path.split("/")
    head = parts[0]
    if head in ("title", "accepted_on"):
        return head
    if head == "start":
        return "start.as" if parts[1:2] == ["as"] else "start"
    if head == "steps" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(tokens):
        token = tokens[int(parts[1])]
        sub = parts[2] if len(parts) > 2 else "task"
        return f"{token}.{sub}" if sub in ("task", "action", "reason", "wait") else f"{token}.data"
    if head == "expect" and len(parts) > 1:
        return f"expect.{parts[1]}"
    return head or "title"


def element_of(label: str, tasks: dict[str, str]) -> str | None:
    """The element a step names (its id, or its name as the runner also accepts)."""
    if label in tasks:
        return label
    return next((i for i, n in tasks.items() if n == label), None)
