"""The edit widgets: one input (or group of inputs) per field kind, tables of objects, and the labelled
fields of an object with their conditional groups."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from orchestrator.deploy import formats

from .html import _F, _attachment, _attrs, _Ctx, _errors, _help, _join, _star, _tag
from .schema import (
    NON_DATA,
    Loc,
    _choices,
    _input_name,
    _items,
    _kind,
    _label,
    _layout,
    _sub,
    _to_str,
    _type,
    lookup,
)
from .static import _static

LABELLED_KINDS = {"text", "textarea", "date", "datetime", "number", "select", "file", "lines"}  # with an id
FORMAT_TITLES = {  # the browser's hint when a typed value does not match the format's pattern
    formats.ID_NUMBER: "18 位居民身份证号码（末位可为 X）",
    formats.CREDIT_CODE: "18 位统一社会信用代码",
    formats.MOBILE: "11 位手机号码",
    formats.POSTCODE: "6 位邮政编码",
}
UNIT = "元"


def _hints(s: dict) -> dict:
    """What the browser checks before the server does: the format's pattern, keyboard and length, or the
    schema's own pattern when it is anchored at both ends (an HTML pattern always is)."""
    found = dict(formats.HINTS.get(s.get("format"), {}))
    if found:
        found["title"] = FORMAT_TITLES.get(s["format"])
    pattern = s.get("pattern")
    if (
        "pattern" not in found
        and isinstance(pattern, str)
        and pattern.startswith("^")
        and pattern.endswith("$")
    ):
        found["pattern"] = pattern
    if isinstance(s.get("maxLength"), int):
        found["maxlength"] = s["maxLength"]
    if isinstance(s.get("minLength"), int) and s["minLength"] > 1:
        found["minlength"] = s["minLength"]
    return found


def _w_input(f: _F) -> Markup:
    """text, date, datetime-local and number inputs."""
    kind, s, value = _kind(f.schema, f.ui), f.schema, _to_str(f.value)
    attrs = {"type": {"datetime": "datetime-local"}.get(kind, kind), "class": "form-control", "id": f.ident}
    attrs |= {"name": f.name, "required": f.html_required, "placeholder": f.ui.get("ui:placeholder")}
    if kind == "datetime" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        value = value[:16]  # the input shows local time without seconds or zone
    amount = kind == "number" and s.get("format") == formats.AMOUNT
    if kind == "number":  # step "any": the browser's default step of 1 would refuse decimals
        attrs |= {
            "min": s.get("minimum", 0 if amount else None),
            "max": s.get("maximum"),
            "step": "1" if _type(s) == "integer" else "0.01" if amount else "any",
            "inputmode": "decimal" if amount else None,
        }
    elif kind == "text":
        attrs |= _hints(s)
    else:
        attrs["maxlength"] = s.get("maxLength")
    field = Markup("<input{}>").format(_attrs({**attrs, "value": value}))
    if amount:  # 金额（元）
        return _tag(
            "div",
            {"class": "input-group ow-amount"},
            field + _tag("span", {"class": "input-group-addon"}, UNIT),
        )
    return field


def _w_textarea(f: _F, text: str | None = None) -> Markup:
    attrs = {"class": "form-control", "rows": 4, "id": f.ident, "name": f.name, "required": f.html_required}
    attrs |= {"placeholder": f.ui.get("ui:placeholder"), "maxlength": f.schema.get("maxLength")}
    body = _to_str(f.value) if text is None else text
    return _tag("textarea", attrs, "\n" + body)  # the HTML parser drops a first newline


def _w_select(f: _F) -> Markup:
    current, choices = _to_str(f.value), _choices(f.schema, f.ui) or []
    options = [] if "default" in f.schema else [Markup('<option value="">请选择</option>')]
    for value, label in choices:
        selected = current != "" and _to_str(value) == current
        options.append(_tag("option", {"value": _to_str(value), "selected": selected}, label))
    if current and current not in {_to_str(v) for v, _label in choices}:  # a refused value stays on screen
        options.append(_tag("option", {"value": current, "selected": True}, current))
    attrs = {"class": "form-control", "id": f.ident, "name": f.name, "required": f.html_required}
    return _tag("select", attrs, _join(options))


def _w_radio(f: _F) -> Markup:
    current, out = _to_str(f.value), []
    for value, label in _choices(f.schema, f.ui) or []:
        attrs = {"type": "radio", "name": f.name, "value": _to_str(value), "required": f.html_required}
        attrs["checked"] = current != "" and _to_str(value) == current
        out.append(Markup('<label class="radio-inline"><input{}> {}</label>').format(_attrs(attrs), label))
    return _tag("div", {"class": "ow-radios"}, _join(out))


def _checkbox(attrs: dict, label: Any) -> Markup:
    return Markup('<div class="checkbox"><label><input type="checkbox"{}> {}</label></div>').format(
        _attrs(attrs), label
    )


def _w_checkbox(f: _F, label: Any = "是") -> Markup:
    hidden = Markup('<input type="hidden" name="{}" value="false">').format(f.name)  # unticked posts false
    return hidden + _checkbox(
        {"id": f.ident, "name": f.name, "value": "true", "checked": f.value is True}, label
    )


def _w_checkboxes(f: _F) -> Markup:
    chosen = {_to_str(v) for v in f.value} if isinstance(f.value, list) else set()
    return _join(
        _checkbox({"name": f.name, "value": _to_str(v), "checked": _to_str(v) in chosen}, label)
        for v, label in _choices(_items(f.schema), _sub(f.ui, "items")) or []
    )


def _w_lines(f: _F) -> Markup:
    """An array of plain values: a textarea, one item per line."""
    lines = "\n".join(_to_str(v) for v in f.value) if isinstance(f.value, list) else _to_str(f.value)
    return _w_textarea(f._replace(schema={}), lines) + Markup('<p class="help-block">每行一项</p>')


def _w_file(f: _F) -> Markup:
    upload = Markup('<input type="file"{}>').format(_attrs({"id": f.ident, "name": f.name}))
    if isinstance(f.value, dict) and f.value.get("sha256"):
        return _file_object(f, upload)
    if not isinstance(f.value, str) or not f.value:
        return upload
    current = _tag(
        "p", {"class": "form-control-static ow-attachment"}, "当前文件：" + _attachment(f.value, f.ctx)
    )
    return current + upload


def _file_object(f: _F, upload: Markup) -> Markup:
    """A stored file described by an object ({file_name, sha256, …}): its name (a link when
    `attachment_link("sha256:<hex>")` gives one), the object as JSON in `<name>.kept` and a `<name>.remove`
    box. `parse` never reads either: the page decides whether to trust what comes back."""
    value = f.value
    name = str(value.get("file_name") or value["sha256"][:12])
    link = f.ctx.attachment_link(f"sha256:{value['sha256']}") if f.ctx.attachment_link else None
    shown = _tag("a", {"href": link[1], "download": name}, name) if link else _tag("span", {}, name)
    kept = json.dumps(value, ensure_ascii=False, sort_keys=True)
    remove = Markup('<label class="checkbox-inline ow-file-remove"><input{}> 移除</label>').format(
        _attrs({"type": "checkbox", "name": f"{f.name}.remove", "value": "1"})
    )
    current = _tag("div", {"class": "form-control-static ow-attachment"}, shown + Markup(" ") + remove)
    hidden = Markup("<input{}>").format(_attrs({"type": "hidden", "name": f"{f.name}.kept", "value": kept}))
    return current + hidden + upload


def _cell_object(f: _F) -> Markup:
    """An object inside a table row: its fields stacked in the cell, each with a small label."""
    lay, data = _layout(f.schema, f.ui, f.loc, f.ctx.prefix), f.value if isinstance(f.value, dict) else {}
    parts = []
    for name in lay.order:
        sub, sub_ui, at = lay.props[name], _sub(f.ui, name), f.loc + (name,)
        kind = _kind(sub, sub_ui)
        inner = _F(
            sub, sub_ui, _initial(sub, data.get(name)), at, f.ctx, f.required and name in lay.required, None
        )
        label = _tag("span", {"class": "ow-cell-label"}, _label(sub, sub_ui, name))
        parts.append(_tag("div", {"class": "ow-cell-field"}, label + _WIDGETS[kind](inner)))
    return _join(parts)


def _w_hidden(f: _F) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(f.name, _to_str(f.value))


def _row(items: dict, ui: dict, value: Any, loc: Loc, ctx: _Ctx) -> Markup:
    lay, data, cells = _layout(items, ui, loc, ctx.prefix), value if isinstance(value, dict) else {}, []
    for name in lay.order:
        sub, sub_ui, at = lay.props[name], _sub(ui, name), loc + (name,)
        f = _F(sub, sub_ui, _initial(sub, data.get(name)), at, ctx, name in lay.required, None)
        errs = ctx.take(at, subtree=True)
        cell = _WIDGETS[_kind(sub, sub_ui)](f) + _errors(errs)
        cells.append(_tag("td", {"class": "has-error" if errs else None}, cell))
    remove = Markup(
        '<td><button type="button" class="btn btn-default btn-xs" data-remove-row>删除</button></td>'
    )
    return _tag("tr", {}, _join(cells) + remove)


def _w_table(f: _F) -> Markup:
    """An array of objects: one row per item, a template row for "add", names renumbered by the script."""
    f.ctx.scripted = True
    items, items_ui = _items(f.schema), _sub(f.ui, "items")
    lay = _layout(items, items_ui, f.loc, f.ctx.prefix)
    head = _join(
        _tag("th", {}, _label(lay.props[n], _sub(items_ui, n), n) + _star(n in lay.required))
        for n in lay.order
    )
    rows = f.value if isinstance(f.value, list) else []
    if not rows:  # an empty table still offers the rows the form asks for
        rows = [{}] * min(max(int(f.schema.get("minItems") or 0), 1 if f.required else 0), 50)
    body = _join(_row(items, items_ui, r, f.loc + (i,), f.ctx) for i, r in enumerate(rows))
    blank = _Ctx(f.ctx.prefix, {}, f.ctx.attachment_link, conditional=f.ctx.conditional)
    template = _row(items, items_ui, {}, f.loc + ("__INDEX__",), blank)
    return Markup(
        '<div class="ow-array" data-array-box><table class="table table-condensed table-bordered">'
        '<thead><tr>{}<th></th></tr></thead><tbody data-array="{}">{}</tbody></table><template>{}</template>'
        '<button type="button" class="btn btn-default btn-sm" data-add-row>添加一行</button></div>'
    ).format(head, f.name, body, template)


_WIDGETS: dict[str, Callable[[_F], Markup]] = {
    **dict.fromkeys(("text", "date", "datetime", "number"), _w_input),
    **{"textarea": _w_textarea, "select": _w_select, "radio": _w_radio, "checkbox": _w_checkbox},
    **{"checkboxes": _w_checkboxes, "lines": _w_lines, "file": _w_file, "hidden": _w_hidden},
    "table": _w_table,
    "object": _cell_object,  # only inside table rows: `_field` lays out the others as fieldsets
}


def _initial(schema: dict, value: Any) -> Any:
    return schema.get("default") if value is None else value


def _prefilled(schema: dict, ui: dict, value: Any, ctx: _Ctx, static: bool) -> Any:
    """`ui:prefill`: a field starts from the case's data ("applicant.name"); a read-only one always shows
    the case's value, an editable one only on a fresh form (not over what the clerk sent back)."""
    path = ui.get("ui:prefill")
    if not isinstance(path, str) or not (static or (value is None and not ctx.errors)):
        return value
    found = lookup(ctx.case(), path)
    if found is None or isinstance(found, dict | list):
        return value
    return found


def _non_data(kind: str, schema: dict, ui: dict, loc: Loc) -> Markup:
    """A section heading or an explanatory text: part of the layout, never of the data."""
    title, text = (
        ui.get("ui:title") or schema.get("title"),
        ui.get("ui:description") or schema.get("description"),
    )
    path = "/".join(map(str, loc))
    if kind == "heading":
        help_text = _tag("p", {"class": "help-block"}, text) if text else Markup("")
        return _tag(
            "div", {"class": "ow-form-section", "data-path": path}, _tag("h4", {}, title or "") + help_text
        )
    head = _tag("strong", {}, title) + Markup("<br>") if title else Markup("")
    body = _tag("span", {"style": "white-space:pre-wrap"}, text or "")
    return _tag(
        "div", {"class": "alert alert-info ow-form-note", "role": "note", "data-path": path}, head + body
    )


def _field(schema: dict, ui: dict, value: Any, loc: Loc, ctx: _Ctx, required: bool, soft: bool) -> Markup:
    """One labelled field; `soft`: required only while its conditional group is shown (no HTML attribute)."""
    kind = _kind(schema, ui)
    if kind in NON_DATA:
        return _non_data(kind, schema, ui, loc)
    static = bool(schema.get("readOnly") or ui.get("ui:readonly"))
    value = _initial(schema, _prefilled(schema, ui, value, ctx, static))
    f = _F(schema, ui, value, loc, ctx, required, _input_name(ctx.prefix, loc).replace(".", "-"))
    label, star = _label(schema, ui, loc[-1]), _star(required or soft)
    if kind == "hidden":
        return _w_hidden(f)
    if kind == "object" and not static:
        # an optional block (a proxy, say) is checked only when filled: no browser `required` inside it
        ctx.conditional, outer = ctx.conditional or not required, ctx.conditional
        body = _fields(schema, ui, value if isinstance(value, dict) else {}, loc, ctx)
        ctx.conditional = outer
        legend = _tag("legend", {}, label + star)
        return _tag(
            "fieldset", {"class": "ow-object"}, legend + _help(schema, ui) + _errors(ctx.take(loc)) + body
        )
    errs = ctx.take(loc, subtree=kind != "table" or static)
    if static:
        widget = _tag("div", {"class": "form-control-static ow-value"}, _static(schema, ui, value, ctx))
    elif kind == "checkbox":
        widget = _w_checkbox(f, label + star)  # the title sits beside the box
    else:
        widget = _WIDGETS[kind](f)
    head = Markup("")
    if kind != "checkbox" or static:
        target = f.ident if kind in LABELLED_KINDS and not static else None
        head = _tag("label", {"class": "control-label", "for": target}, label + star)
    attrs = {"class": "form-group has-error" if errs else "form-group", "data-path": "/".join(map(str, loc))}
    return _tag("div", attrs, head + widget + _help(schema, ui) + _errors(errs))


def _fields(schema: dict, ui: dict, data: dict, loc: Loc, ctx: _Ctx) -> Markup:
    lay, out, done = _layout(schema, ui, loc, ctx.prefix), [], set()
    for name in lay.order:
        group = lay.groups.get(name)
        if group is None:
            sub = lay.props[name]
            out.append(
                _field(sub, _sub(ui, name), data.get(name), loc + (name,), ctx, name in lay.required, False)
            )
        elif group not in done:
            done.add(group)
            (cond, soft, test), members = (
                lay.conds[group],
                [n for n in lay.order if lay.groups.get(n) == group],
            )
            ctx.conditional, outer = True, ctx.conditional
            inner = _join(
                _field(lay.props[n], _sub(ui, n), data.get(n), loc + (n,), ctx, False, n in soft)
                for n in members
            )
            ctx.conditional, ctx.scripted = outer, True
            attrs = {"class": "ow-show-if", "data-show-if": json.dumps(cond, ensure_ascii=False)}
            if not test(data):  # hidden on the server too; the page's script shows it when it applies
                attrs["style"] = "display:none"
            out.append(_tag("div", attrs, inner))
    return _join(out)
