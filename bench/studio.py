"""The studio's two promises (issue 13): rendering and validating a 60-field form with a 20-row repeating
table takes under 50 ms on the server, and a unit's 20 process tests run in under 2 s.

The form round is what a clerk's submission costs the server: the form rendered with its data, the posted
fields read back (`formrender.parse`) and the data checked against the schema (`forms.field_errors`, the
same check a task completion runs). The tests are general_approval's own, repeated to twenty.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from admin import formrender
from orchestrator.core.config import Settings
from orchestrator.deploy import forms
from orchestrator.service import OneWindow

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_UNIT = ROOT / "processes" / "general_approval"
FIELDS = 60  # 59 plain fields and the repeating table
ROWS = 20
TESTS = 20
ID_NUMBER = "11010519491231002X"  # a valid GB 11643 number (the standard's example)


def sixty_field_form() -> tuple[dict, dict, dict]:
    """A service-hall form of 60 fields (text, numbers, amounts, dates, choices, ID numbers, yes/no …) whose
    last field is a 20-row 家庭成员 table, with data filling every field."""
    kinds = [
        ({"type": "string", "maxLength": 50}, "张三"),
        ({"type": "integer", "minimum": 0, "maximum": 99}, 3),
        ({"type": "number", "format": "cn-amount", "minimum": 0}, 1280.5),
        ({"type": "string", "format": "date"}, "2026-03-02"),
        ({"type": "string", "enum": ["城镇", "农村", "其他"]}, "农村"),
        ({"type": "string", "format": "cn-id-number"}, ID_NUMBER),
        ({"type": "boolean"}, True),
        ({"type": "string", "format": "cn-mobile"}, "13800138000"),
        (
            {"type": "array", "items": {"type": "string", "enum": ["甲", "乙", "丙"]}, "uniqueItems": True},
            ["甲"],
        ),
    ]
    properties, data, required = {}, {}, []
    for i in range(FIELDS - 1):
        schema, value = kinds[i % len(kinds)]
        name = f"field_{i:02d}"
        properties[name] = {**schema, "title": f"字段{i:02d}"}
        data[name] = value
        required.append(name)
    member = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "姓名", "maxLength": 20},
            "relation": {"type": "string", "title": "关系", "enum": ["本人", "配偶", "子女", "父母"]},
            "id_number": {"type": "string", "title": "身份证号", "format": "cn-id-number"},
            "income": {"type": "number", "title": "月收入", "format": "cn-amount", "minimum": 0},
        },
        "required": ["name", "relation", "id_number"],
    }
    properties["members"] = {"type": "array", "title": "家庭成员", "items": member, "maxItems": 50}
    data["members"] = [
        {"name": f"成员{r}", "relation": "子女", "id_number": ID_NUMBER, "income": 1000 + r}
        for r in range(ROWS)
    ]
    schema = {"type": "object", "properties": properties, "required": [*required, "members"]}
    ui = {"members": {"ui:widget": "table"}}
    return schema, ui, data


def posted(html: Markup) -> MultiDict:
    """The fields a browser would post for the rendered form (inputs, selects, textareas and checks)."""
    from lxml import html as lxml_html

    doc = lxml_html.fromstring(str(html))
    fields: list[tuple[str, str]] = []
    for el in doc.iter("input", "select", "textarea"):
        name = el.get("name")
        if not name or el.getparent() is None or _in_template(el):
            continue
        if el.tag == "select":
            chosen = [
                o.get("value", o.text or "") for o in el.iter("option") if o.get("selected") is not None
            ]
            fields += [(name, v) for v in chosen]
        elif el.get("type") in ("checkbox", "radio"):
            if el.get("checked") is not None:
                fields.append((name, el.get("value", "on")))
        elif el.tag == "textarea":
            fields.append((name, el.text or ""))
        else:
            fields.append((name, el.get("value", "")))
    return MultiDict(fields)


def _in_template(el) -> bool:
    return any(p.tag == "template" for p in el.iterancestors())


def form_round(schema: dict, ui: dict, data: dict, post: MultiDict, validator) -> float:
    """One submission's server cost in ms: render with data, read the post back, check it."""
    start = time.perf_counter()
    page = formrender.render(schema, ui, data)
    back = formrender.parse(schema, post, ui=ui)
    problems = forms.field_errors(validator, back)
    elapsed = (time.perf_counter() - start) * 1000
    assert page and not problems, problems
    return elapsed


def form_section(runs: int) -> tuple[float, float, int]:
    schema, ui, data = sixty_field_form()
    validator = forms.compile_schema(schema)  # compiled once per version, as the runtime caches it
    post = posted(formrender.render(schema, ui, data))
    back = formrender.parse(schema, post, ui=ui)
    assert back == data, "the rendered form does not read back to its data"
    times = [form_round(schema, ui, data, post, validator) for _ in range(runs)]
    return statistics.median(times), statistics.quantiles(times, n=20)[-1], len(post)


def twenty_tests(folder: Path) -> Path:
    """general_approval with its tests repeated to twenty (each a whole case from 受理 to its end)."""
    unit = folder / "general_approval"
    shutil.copytree(TEMPLATE_UNIT, unit)
    tests = sorted((unit / "tests").glob("*.json"))
    originals = [json.loads(t.read_text(encoding="utf-8")) for t in tests]
    for t in tests:
        t.unlink()
    for i in range(TESTS):
        doc = originals[i % len(originals)]
        (unit / "tests" / f"t{i:02d}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return unit


def tests_section(runs: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="ow-bench-") as tmp:
        folder = Path(tmp)
        unit = twenty_tests(folder)
        ow = OneWindow(Settings(database_url=f"sqlite:///{folder / 'ow.db'}", data_dir=folder / "data"))
        ow.upgrade()
        try:
            seconds = []
            for _ in range(runs):
                start = time.perf_counter()
                run = ow.run_tests(unit)
                seconds.append(time.perf_counter() - start)
                assert run["passed"] and len(run["tests"]) == TESTS, run
        finally:
            ow.close()
    return min(seconds), statistics.median(seconds), TESTS


def section(quick: bool = False) -> None:
    median, p95, posted_fields = form_section(50 if quick else 300)
    print(f"\n## Forms: {FIELDS} fields with a {ROWS}-row repeating table ({posted_fields} posted inputs)\n")
    print("| render + read back + validate | median (ms) | p95 (ms) | target |")
    print("|---|---:|---:|---|")
    print(f"| one submission | {median:.1f} | {p95:.1f} | ≤ 50 ms: {'met' if p95 <= 50 else 'MISSED'} |")
    best, median_s, count = tests_section(2 if quick else 5)
    print(f"\n## Process tests: one unit's {count} tests (general_approval, from 受理 to the end)\n")
    print("| run | best (s) | median (s) | target |")
    print("|---|---:|---:|---|")
    print(f"| {count} tests | {best:.2f} | {median_s:.2f} | ≤ 2 s: {'met' if median_s <= 2 else 'MISSED'} |")
