"""admin.formrender: JSON Schema + uiSchema → Bootstrap 3 HTML, and the submitted form back to typed JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest
from werkzeug.datastructures import MultiDict

from admin import formrender
from orchestrator.deploy.forms import compile_schema, field_errors

FORMS = sorted(Path(__file__).resolve().parent.parent.glob("processes/*/forms/*.schema.json"))
XSS = "<script>alert(1)</script>"


def xpath(selector: str) -> str:
    """The CSS subset these tests use (tag, .class, [attr], [attr="v"], descendant, >, comma) as XPath."""
    alternatives = []
    for alternative in selector.split(","):
        path, axis = ".", "//"
        for step in alternative.split():
            if step == ">":
                axis = "/"
                continue
            tag, rest = re.fullmatch(r"([\w*]*)(.*)", step).groups()
            preds = ""
            for cls, attr, eq, value in re.findall(r'\.([\w-]+)|\[([\w-]+)(?:(=)"([^"]*)")?\]', rest):
                if cls:
                    preds += f"[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]"
                else:
                    preds += f'[@{attr}="{value}"]' if eq else f"[@{attr}]"
            path, axis = f"{path}{axis}{tag or '*'}{preds}", "//"
        alternatives.append(path)
    return " | ".join(alternatives)


def select(node, css: str) -> list:
    return node.xpath(xpath(css))


def tree(html: str):
    return lxml.html.fragment_fromstring(str(html), create_parent="div")


def one(html, css: str):
    found = select(html if hasattr(html, "xpath") else tree(html), css)
    assert len(found) == 1, f"{css}: {len(found)} matches"
    return found[0]


def submission(html: str) -> dict[str, list[str]]:
    """What a browser would post for this markup as rendered (template rows and file inputs excluded)."""
    out: dict[str, list[str]] = {}
    for el in tree(html).iter("input", "select", "textarea"):
        name = el.get("name")
        if not name or any(a.tag == "template" for a in el.iterancestors()):
            continue
        if el.tag == "select":
            options = el.findall("option")
            picked = [o for o in options if o.get("selected") is not None] or options[:1]
            value = picked[0].get("value", "") if picked else ""
        elif el.tag == "textarea":
            value = el.text or ""
            value = value[1:] if value.startswith("\n") else value
        elif el.get("type") == "file" or (
            el.get("type") in ("radio", "checkbox") and el.get("checked") is None
        ):
            continue
        else:
            value = el.get("value", "on" if el.get("type") == "checkbox" else "")
        out.setdefault(name, []).append(value)
    return out


def errors_of(schema: dict, data: dict) -> dict[str, str]:
    return {p.field: p.message for p in field_errors(compile_schema(schema), data)}


def obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {"type": "object", "properties": properties, "required": required or [], **extra}


# --- widgets --------------------------------------------------------------------------------------------------


def test_string_widgets_and_required_marker():
    schema = obj(
        {
            "applicant": {"type": "string", "title": "申请人", "maxLength": 100},
            "born": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "long": {"type": "string", "maxLength": 2000},
            "short_area": {"type": "string", "maxLength": 20},
        },
        ["applicant"],
    )
    ui = {"short_area": {"ui:widget": "textarea", "ui:placeholder": "写点什么"}}
    html = formrender.render(schema, ui, {"at": "2026-03-01T09:30:00+08:00"})
    applicant = one(html, 'input[name="f.applicant"]')
    assert applicant.get("type") == "text" and applicant.get("required") is not None
    assert applicant.get("maxlength") == "100"
    label = one(html, 'label[for="f-applicant"]')
    assert "申请人" in label.text_content() and select(label, ".ow-required")
    assert one(html, 'input[name="f.born"]').get("type") == "date"
    at = one(html, 'input[name="f.at"]')
    assert at.get("type") == "datetime-local" and at.get("value") == "2026-03-01T09:30"
    assert one(html, 'textarea[name="f.long"]') is not None
    assert one(html, 'textarea[name="f.short_area"]').get("placeholder") == "写点什么"
    assert not select(one(html, '[data-path="born"]'), ".ow-required")
    assert one(html, 'input[name="f.born"]').get("required") is None


def test_number_widgets():
    schema = obj(
        {
            "n": {"type": "integer", "minimum": 1, "maximum": 30},
            "x": {"type": "number", "exclusiveMinimum": 0},
        }
    )
    html = formrender.render(schema, data={"n": 3})
    n = one(html, 'input[name="f.n"]')
    assert (n.get("type"), n.get("step"), n.get("min"), n.get("max"), n.get("value")) == (
        "number",
        "1",
        "1",
        "30",
        "3",
    )
    assert one(html, 'input[name="f.x"]').get("step") == "any"


def test_enum_select_radio_and_oneof():
    schema = obj(
        {
            "kind": {"type": "string", "enum": ["甲", "乙"]},
            "channel": {"type": "string", "enum": ["窗口", "网上"], "default": "网上"},
            "urgency": {"type": "string", "enum": ["一般", "紧急"]},
            "level": {
                "type": "integer",
                "oneOf": [{"const": 1, "title": "一级"}, {"const": 2, "title": "二级"}],
            },
        },
        ["kind"],
    )
    html = formrender.render(schema, {"urgency": {"ui:widget": "radio"}})
    kind = one(html, 'select[name="f.kind"]')
    assert [o.get("value") for o in kind.findall("option")] == ["", "甲", "乙"]
    assert kind.get("required") is not None
    channel = one(html, 'select[name="f.channel"]')
    assert [o.get("value") for o in channel.findall("option")] == ["窗口", "网上"]
    assert one(html, 'select[name="f.channel"] option[selected]').get("value") == "网上"
    radios = select(tree(html), 'input[type="radio"][name="f.urgency"]')
    assert [r.get("value") for r in radios] == ["一般", "紧急"]
    level = one(html, 'select[name="f.level"]')
    assert [(o.get("value"), o.text) for o in level.findall("option")][1:] == [("1", "一级"), ("2", "二级")]
    data = formrender.parse(schema, {"f.kind": ["乙"], "f.level": ["2"], "f.urgency": ["紧急"]})
    assert data == {"kind": "乙", "level": 2, "urgency": "紧急"}
    assert errors_of(schema, data) == {}


def test_boolean_radio_and_checkbox():
    schema = obj({"ok": {"type": "boolean", "title": "是否受理"}, "signed": {"type": "boolean"}}, ["ok"])
    html = formrender.render(schema, {"signed": {"ui:widget": "checkbox"}}, {"ok": False})
    radios = select(tree(html), 'input[name="f.ok"]')
    assert [(r.get("value"), r.getparent().text_content().strip()) for r in radios] == [
        ("true", "是"),
        ("false", "否"),
    ]
    assert [r.get("value") for r in radios if r.get("checked") is not None] == ["false"]
    assert all(r.get("required") is None for r in radios)  # booleans: no HTML required
    assert one(html, 'input[type="checkbox"][name="f.signed"]').get("value") == "true"
    assert one(html, 'input[type="hidden"][name="f.signed"]').get("value") == "false"
    posted = submission(html)
    assert formrender.parse(schema, posted) == {"ok": False, "signed": False}
    posted["f.signed"].append("true")  # the box ticked: posted after the hidden "false"
    assert formrender.parse(schema, posted) == {"ok": False, "signed": True}
    assert formrender.parse(schema, {"f.ok": ["on"]}) == {"ok": True}


def test_const_true_boolean_is_a_checkbox():
    schema = obj({"signed": {"type": "boolean", "title": "双方已签字确认", "const": True}}, ["signed"])
    html = formrender.render(schema)
    box = one(html, 'input[type="checkbox"][name="f.signed"]')
    assert "双方已签字确认" in box.getparent().text_content()
    assert errors_of(schema, formrender.parse(schema, submission(html))) == {
        "signed": "signed: True was expected"
    }


def test_checkbox_group():
    schema = obj(
        {"got": {"type": "array", "items": {"type": "string", "enum": ["A", "B", "C"]}, "uniqueItems": True}}
    )
    html = formrender.render(schema, {"got": {"ui:widget": "checkboxes"}}, {"got": ["C"]})
    boxes = select(tree(html), 'input[type="checkbox"][name="f.got"]')
    assert [(b.get("value"), b.get("checked") is not None) for b in boxes] == [
        ("A", False),
        ("B", False),
        ("C", True),
    ]
    assert formrender.parse(schema, {"f.got": ["A", "C"]}) == {"got": ["A", "C"]}
    assert formrender.parse(schema, {}) == {}


def test_array_of_strings_is_a_textarea_one_item_per_line():
    schema = obj({"people": {"type": "array", "minItems": 2, "items": {"type": "string", "minLength": 1}}})
    html = formrender.render(schema, data={"people": ["张三", "李四"]})
    assert one(html, 'textarea[name="f.people"]').text.strip().splitlines() == ["张三", "李四"]
    assert formrender.parse(schema, submission(html)) == {"people": ["张三", "李四"]}
    assert formrender.parse(schema, {"f.people": ["王五\r\n\r\n 赵六 \r\n"]}) == {"people": ["王五", "赵六"]}


def test_nested_object_fieldset():
    schema = obj(
        {
            "applicant": obj(
                {"name": {"type": "string", "title": "姓名"}, "age": {"type": "integer"}}, ["name"]
            )
        },
        ["applicant"],
        title="表",
    )
    schema["properties"]["applicant"]["title"] = "申请人"
    html = formrender.render(schema, data={"applicant": {"name": "张三"}})
    assert one(html, "fieldset legend").text_content().startswith("申请人")
    assert one(html, 'input[name="f.applicant.name"]').get("value") == "张三"
    assert one(html, 'input[name="f.applicant.name"]').get("required") is not None
    data = formrender.parse(schema, {"f.applicant.name": ["张三"], "f.applicant.age": ["30"]})
    assert data == {"applicant": {"name": "张三", "age": 30}}
    assert formrender.parse(schema, {"f.applicant.name": [""]}) == {}


def test_file_field_and_attachment_link():
    schema = obj({"photo": {"type": "string", "title": "照片"}, "nested": obj({"scan": {"type": "string"}})})
    ui = {"photo": {"ui:widget": "file"}, "nested": {"scan": {"ui:widget": "file"}}}
    links = {"attachment:7": ("现场<照片>.jpg", "/attachments/7")}
    html = formrender.render(schema, ui, {"photo": "attachment:7"}, attachment_link=links.get)
    assert one(html, 'input[name="f.photo"]').get("type") == "file"
    link = one(html, '[data-path="photo"] a')
    assert (link.get("href"), link.text) == ("/attachments/7", "现场<照片>.jpg")
    assert "现场&lt;照片&gt;.jpg" in str(html)
    assert one(html, 'input[name="f.photo"]').get("required") is None
    assert formrender.file_fields(schema, ui) == [("f.photo", "photo"), ("f.nested.scan", "nested/scan")]
    assert formrender.parse(schema, {"f.photo": ["forged"]}, ui=ui) == {}
    shown = formrender.render(schema, ui, {"photo": "attachment:7"}, readonly=True, attachment_link=links.get)
    assert one(shown, "a").get("href") == "/attachments/7"


def test_ui_order_title_help_and_description():
    schema = obj(
        {
            "a": {"type": "string", "description": "说明A"},
            "b": {"type": "string"},
            "c": {"type": "string"},
            "d": {"type": "string"},
        }
    )
    ui = {"ui:order": ["c", "*", "a"], "b": {"ui:title": "乙", "ui:help": "帮助"}}
    html = formrender.render(schema, ui)
    assert [g.get("data-path") for g in select(tree(html), ".form-group")] == ["c", "b", "d", "a"]
    assert "说明A" in one(html, '[data-path="a"] .help-block').text
    assert one(html, '[data-path="b"] label').text_content().strip() == "乙"
    assert one(html, '[data-path="b"] .help-block').text == "帮助"


# --- escaping and errors --------------------------------------------------------------------------------------


def test_everything_user_supplied_is_escaped():
    schema = obj(
        {
            "t": {"type": "string", "title": XSS, "description": XSS},
            "e": {"type": "string", "enum": [XSS]},
            "o": {"type": "integer", "oneOf": [{"const": 1, "title": XSS}]},
            XSS: {"type": "string"},
        },
        title=XSS,
        description=XSS,
    )
    data = {"t": XSS, "e": XSS, XSS: XSS, "extra": XSS}
    for html in (
        formrender.render(schema, {"t": {"ui:help": XSS}}, data, {"t": XSS, "": XSS, "nowhere": XSS}),
        formrender.render(schema, None, data, {"t": XSS}, readonly=True),
        formrender.render_materials([{"name": XSS, "necessity": XSS, "note": XSS, "form": XSS}], [XSS]),
    ):
        assert XSS not in str(html) and "<script>alert" not in str(html)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in str(html)
        assert not [s for s in tree(html).iter("script") if "alert" in (s.text or "")]


def test_errors_inline_and_in_the_alert():
    schema = obj(
        {"a": {"type": "string"}, "list": {"type": "array", "items": obj({"x": {"type": "integer"}})}}
    )
    errors = {"a": "a is required", "list/1/x": "'q' is not of type 'integer'", "": "整体错误", "zz": "别处"}
    data = {"list": [{"x": 1}, {"x": "q"}]}
    html = formrender.render(schema, data=data, errors=errors)
    group = one(html, '[data-path="a"]')
    assert "has-error" in group.get("class")
    assert select(group, ".help-block")[-1].text == "a is required"
    cell = one(html, 'td.has-error input[name="f.list.1.x"]').getparent()
    assert "not of type" in cell.text_content()
    alert = one(html, ".alert-danger").text_content()
    assert "整体错误" in alert and "zz" in alert and "别处" in alert and "a is required" not in alert


# --- round trips ----------------------------------------------------------------------------------------------

ROUND = obj(
    {
        "applicant": {"type": "string", "title": "申请人", "minLength": 1, "maxLength": 100},
        "count": {"type": "integer", "minimum": 1, "maximum": 30},
        "income": {"type": "number", "minimum": 0},
        "accepted": {"type": "boolean"},
        "day": {"type": "string", "format": "date"},
        "channel": {"type": "string", "enum": ["窗口", "网上"]},
        "got": {"type": "array", "items": {"type": "string", "enum": ["A", "B"]}, "uniqueItems": True},
        "members": {
            "type": "array",
            "items": obj({"name": {"type": "string", "minLength": 1}, "age": {"type": "integer"}}, ["name"]),
        },
        "opinion": {"type": "string", "maxLength": 2000},
    },
    ["applicant", "count", "accepted"],
)


def test_round_trip_good_data():
    data = {
        "applicant": "张三",
        "count": 3,
        "income": 1234.5,
        "accepted": True,
        "day": "2026-10-12",
        "channel": "网上",
        "got": ["B"],
        "members": [{"name": "甲", "age": 3}, {"name": "乙"}],
        "opinion": "第一行\n第二行",
    }
    parsed = formrender.parse(ROUND, submission(formrender.render(ROUND, data=data)))
    assert parsed == data
    assert errors_of(ROUND, parsed) == {}
    assert (
        formrender.parse(
            ROUND,
            MultiDict(
                list((k, v) for k, vs in submission(formrender.render(ROUND, data=data)).items() for v in vs)
            ),
        )
        == data
    )


def test_round_trip_bad_data_points_at_fields():
    posted = submission(formrender.render(ROUND, data={"applicant": "张三", "accepted": False}))
    posted |= {"f.count": ["abc"], "f.income": ["nan"], "f.members.0.name": [""], "f.members.0.age": ["x"]}
    parsed = formrender.parse(ROUND, posted)
    assert parsed["count"] == "abc" and parsed["income"] == "nan"
    assert set(errors_of(ROUND, parsed)) == {"count", "income", "members/0/age", "members/0/name"}
    posted["f.applicant"] = ["   "]
    assert "applicant" in errors_of(ROUND, formrender.parse(ROUND, posted))


def test_table_rows_add_remove_and_renumber():
    data = {"members": [{"name": "甲", "age": 1}, {"name": "乙", "age": 2}, {"name": "丙", "age": 3}]}
    html = formrender.render(ROUND, data=data)
    table = one(html, "[data-array-box]")
    assert [th.text_content().strip() for th in select(table, "thead th")][:2] == ["name *", "age"]
    assert len(select(table, "tbody tr")) == 3 and len(select(table, "tbody button[data-remove-row]")) == 3
    assert select(table, "button[data-add-row]")
    template = one(html, "template")
    assert {i.get("name") for i in template.iter("input")} == {
        "f.members.__INDEX__.name",
        "f.members.__INDEX__.age",
    }
    posted = submission(html)
    for key in ("f.members.1.name", "f.members.1.age"):  # the middle row removed, no renumbering
        del posted[key]
    posted |= {"f.members.10.name": [""], "f.members.10.age": [""], "f.members.4.name": ["丁"]}
    assert formrender.parse(ROUND, posted)["members"] == [
        {"name": "甲", "age": 1},
        {"name": "丙", "age": 3},
        {"name": "丁"},
    ]
    assert "renumber" in str(html) and str(html).count("<script>") == 1


def test_required_table_starts_with_one_row():
    schema = obj(
        {"rows": {"type": "array", "minItems": 1, "items": obj({"a": {"type": "string"}}, ["a"])}}, ["rows"]
    )
    html = formrender.render(schema)
    assert len(select(tree(html), "tbody[data-array] tr")) == 1
    assert one(html, 'input[name="f.rows.0.a"]').get("required") is not None
    assert formrender.parse(schema, submission(html)) == {}


# --- conditional parts ----------------------------------------------------------------------------------------


def show_if(html) -> dict[str, dict]:
    """data-path of each field inside a conditional container → its condition."""
    out = {}
    for box in select(tree(html), "[data-show-if]"):
        for group in select(box, "[data-path]"):
            out[group.get("data-path")] = json.loads(box.get("data-show-if"))
    return out


def test_if_then_else_containers():
    schema = obj(
        {"eligible": {"type": "boolean"}, "complete": {"type": "boolean"}, "note": {"type": "string"}},
        ["eligible"],
        allOf=[
            {
                "if": {"properties": {"eligible": {"const": True}}, "required": ["eligible"]},
                "then": {"required": ["complete"]},
                "else": {
                    "properties": {"reason": {"type": "string", "title": "理由"}},
                    "required": ["reason"],
                },
            }
        ],
    )
    html = formrender.render(schema)
    assert show_if(html) == {
        "complete": {"field": "f.eligible", "const": True},
        "reason": {"field": "f.eligible", "const": True, "not": True},
    }
    reason = one(html, 'textarea[name="f.reason"], input[name="f.reason"]')
    assert reason.get("required") is None
    assert one(html, '[data-path="reason"] .ow-required') is not None
    assert str(html).count("<script>") == 1
    assert formrender.parse(
        schema, {"f.eligible": ["false"], "f.reason": ["不符合"], "f.complete": [""]}
    ) == {
        "eligible": False,
        "reason": "不符合",
    }
    assert errors_of(schema, formrender.parse(schema, {"f.eligible": ["true"]})) == {
        "complete": "complete is required"
    }


def test_top_level_if_dependent_required_and_schemas():
    schema = obj(
        {
            "kind": {"type": "string", "enum": ["a", "b", "c"]},
            "phone": {"type": "string"},
            "x": {"type": "string"},
        },
        ["kind"],
        dependentRequired={"phone": ["x"]},
        dependentSchemas={"x": {"properties": {"y": {"type": "integer", "title": "Y"}}, "required": ["y"]}},
        **{
            "if": {"properties": {"kind": {"enum": ["a", "b"]}}},
            "then": {"properties": {"z": {"type": "string"}}},
        },
    )
    conds = show_if(formrender.render(schema))
    assert conds == {
        "z": {"field": "f.kind", "enum": ["a", "b"]},
        "x": {"field": "f.phone", "present": True},
        "y": {"field": "f.x", "present": True},
    }
    assert formrender.parse(schema, {"f.kind": ["a"], "f.y": ["5"], "f.z": ["q"]}) == {
        "kind": "a",
        "y": 5,
        "z": "q",
    }


def test_no_html_required_inside_a_hidden_container():
    row = obj({"name": {"type": "string"}, "n": {"type": "integer"}}, ["name", "n"])
    schema = obj(
        {"proxy": {"type": "boolean"}},
        ["proxy"],
        **{
            "if": {"properties": {"proxy": {"const": True}}, "required": ["proxy"]},
            "then": {"properties": {"people": {"type": "array", "items": row}}, "required": ["people"]},
        },
    )
    html = formrender.render(schema, data={"people": [{"name": "甲"}]})
    box = one(html, "[data-show-if]")
    assert one(box, 'input[name="f.people.0.name"]').get("value") == "甲"
    assert not box.xpath(".//*[@required]")
    assert formrender.parse(schema, submission(html)) == {"people": [{"name": "甲"}]}


def test_fields_named_by_two_conditions_or_always_required_stay_visible():
    schema = obj(
        {"a": {"type": "boolean"}, "b": {"type": "string"}, "c": {"type": "string"}},
        ["a", "c"],
        allOf=[
            {"if": {"properties": {"a": {"const": True}}}, "then": {"required": ["b", "c"]}},
            {"if": {"properties": {"a": {"const": False}}}, "then": {"required": ["b"]}},
        ],
    )
    html = formrender.render(schema)
    assert show_if(html) == {} and "<script>" not in str(html)
    assert one(html, 'input[name="f.c"]').get("required") is not None


# --- read-only ------------------------------------------------------------------------------------------------


def test_readonly_mode_shows_values_and_extra_keys():
    data = {
        "applicant": "张三",
        "accepted": True,
        "channel": "网上",
        "members": [{"name": "甲", "age": 3}],
        "got": ["A", "B"],
        "opinion": "同意",
        "legacy_field": "旧值",
    }
    html = formrender.render(ROUND, data=data, readonly=True)
    doc = tree(html)
    assert not select(doc, "input, select, textarea, script")
    pairs = {dt.text_content(): dt.getnext().text_content() for dt in select(doc, "dl > dt")}
    assert pairs["申请人"] == "张三" and pairs["accepted"] == "是" and pairs["got"] == "A、B"
    assert pairs["legacy_field"] == "旧值"
    assert one(html, "h5.ow-other").text == "其他"
    assert [td.text for td in select(doc, "dd table tbody td")] == ["甲", "3"]


def test_readonly_fields_in_an_edit_form():
    schema = obj({"no": {"type": "string", "readOnly": True, "title": "编号"}, "n": {"type": "integer"}})
    html = formrender.render(schema, {"n": {"ui:readonly": True}}, {"no": "A-1", "n": 4})
    assert not select(tree(html), "input, select, textarea")
    assert one(html, '[data-path="no"] .form-control-static').text_content() == "A-1"
    assert formrender.parse(schema, {"f.no": ["forged"], "f.n": ["5"]}, ui={"n": {"ui:readonly": True}}) == {}


def test_prefix_and_datetime_parse():
    schema = obj({"at": {"type": "string", "format": "date-time"}})
    html = formrender.render(schema, prefix="task3")
    assert one(html, 'input[name="task3.at"]') is not None
    parsed = formrender.parse(schema, {"task3.at": ["2026-10-12T09:30"]}, prefix="task3")
    assert parsed == {"at": "2026-10-12T09:30:00+08:00"}
    assert errors_of(schema, parsed) == {}


# --- the process library --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FORMS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_library_form_renders(path: Path):
    schema = json.loads(path.read_text("utf-8"))
    ui_path = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
    ui = json.loads(ui_path.read_text("utf-8")) if ui_path.exists() else None
    html = formrender.render(schema, ui, {})
    paths = {g.get("data-path") for g in select(tree(html), "[data-path]")}
    assert set(schema["properties"]) <= paths
    parsed = formrender.parse(schema, submission(html), ui=ui)
    assert isinstance(parsed, dict)
    shown = formrender.render(schema, ui, {}, readonly=True)
    assert not select(tree(shown), "input, select, textarea")
    assert formrender.render(schema, ui, parsed, readonly=True)


def test_library_forms_exist():
    assert len(FORMS) > 30


# --- materials checklist --------------------------------------------------------------------------------------

MATERIALS = [
    {"name": "申请表", "necessity": "必要", "form": "纸质", "copies": {"original": 1, "copy": 0}},
    {
        "name": "居民身份证",
        "necessity": "容缺后补",
        "copies": {"original": 1, "copy": 1},
        "note": "原件核验后退还",
    },
    {"name": "照片", "necessity": "非必要"},
]


def test_materials_checklist_render():
    html = formrender.render_materials(MATERIALS, ["居民身份证"])
    rows = select(tree(html), "tbody tr")
    assert len(rows) == 3
    boxes = select(tree(html), 'input[type="checkbox"][name="m.received"]')
    assert [(b.get("value"), b.get("checked") is not None) for b in boxes] == [
        ("申请表", False),
        ("居民身份证", True),
        ("照片", False),
    ]
    assert [select(r, ".label")[0].get("class") for r in rows] == [
        "label label-danger",
        "label label-warning",
        "label label-default",
    ]
    assert "原件 1 份，复印件 1 份" in rows[1].text_content() and "原件核验后退还" in rows[1].text_content()
    assert [i.get("name") for i in select(tree(html), 'input[type="file"]')] == [
        "m.file.0",
        "m.file.1",
        "m.file.2",
    ]
    assert formrender.material_file_fields(MATERIALS) == [
        ("m.file.0", "申请表"),
        ("m.file.1", "居民身份证"),
        ("m.file.2", "照片"),
    ]


def test_materials_checklist_parse_ignores_unknown_names():
    form = {"m.received": ["照片", "伪造材料", "申请表", "照片"], "f.other": ["x"]}
    assert formrender.parse_materials(MATERIALS, form) == ["申请表", "照片"]
    assert formrender.parse_materials(MATERIALS, MultiDict([("x.received", "申请表")]), prefix="x") == [
        "申请表"
    ]
    assert formrender.parse_materials(MATERIALS, {}) == []
    posted = submission(formrender.render_materials(MATERIALS, ["申请表"], prefix="mm"))
    assert formrender.parse_materials(MATERIALS, posted, prefix="mm") == ["申请表"]
