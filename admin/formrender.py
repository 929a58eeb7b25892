"""Task forms on the server: JSON Schema (2020-12) + uiSchema → Bootstrap 3 HTML, and a posted form → typed JSON.

Forms are data published with a process, so the web app cannot hand-write one template per task. The schema
stays the single source of truth: `render` draws the fields, `parse` turns the submission back into JSON of the
right types, and `orchestrator.forms` validates it (the browser's `required` / `min` hints are comfort only).

Input names are `prefix.path` joined with "." (`f.members.0.name`); error keys are the "/"-joined paths of
`orchestrator.errors.Problem.field` (`members/0/name`). Every user-supplied string goes through markupsafe.
The output holds the fields only: the page supplies `<form method="post" enctype="multipart/form-data">`,
the CSRF token and the buttons.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from markupsafe import Markup, escape

DATETIME_OFFSET = "+08:00"  # a datetime-local input has no zone; JSON Schema's date-time needs one
BOOL_CHOICES: list[tuple[Any, str]] = [(True, "是"), (False, "否")]
NECESSITY_CLASS = {"必要": "label-danger", "容缺后补": "label-warning", "非必要": "label-default"}
HTML_REQUIRED_KINDS = {"text", "textarea", "date", "datetime", "number", "select", "radio"}
LABELLED_KINDS = {"text", "textarea", "date", "datetime", "number", "select", "file", "lines"}  # with an id
EMPTY = Markup('<span class="text-muted">—</span>')

AttachmentLink = Callable[[str], "tuple[str, str] | None"]
Loc = tuple  # a field's path: property names and row indexes
_join = Markup("").join


# --- schema helpers -----------------------------------------------------------------------------------------


def _type(schema: dict) -> str | None:
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t is None and "properties" in schema:
        return "object"
    if t is None and "items" in schema:
        return "array"
    return t if isinstance(t, str) else None


def _items(schema: dict) -> dict:
    return schema["items"] if isinstance(schema.get("items"), dict) else {}


def _sub(ui: Any, key: str) -> dict:
    value = ui.get(key) if isinstance(ui, dict) else None
    return value if isinstance(value, dict) else {}


def _to_str(value: Any) -> str:
    """The form-field spelling of a JSON value (booleans as the radio values "true"/"false")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _choices(schema: dict, ui: dict | None = None) -> list[tuple[Any, str]] | None:
    """(value, label) pairs of an enum, a oneOf/anyOf of consts, or a boolean."""
    alts = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(alts, list) and alts and all(isinstance(a, dict) and "const" in a for a in alts):
        return [(a["const"], str(a.get("title", _to_str(a["const"])))) for a in alts]
    if isinstance(schema.get("enum"), list):
        names = (ui or {}).get("ui:enumNames") or []
        return [(v, str(names[i]) if i < len(names) else _to_str(v)) for i, v in enumerate(schema["enum"])]
    return BOOL_CHOICES if _type(schema) == "boolean" else None


def _kind(schema: dict, ui: dict) -> str:
    """Which widget draws this field."""
    widget, t = ui.get("ui:widget"), _type(schema)
    if widget in ("hidden", "file"):
        return widget
    if t == "object":
        return "object"
    if t == "array":
        if _type(_items(schema)) == "object":
            return "table"
        return "checkboxes" if _choices(_items(schema)) else "lines"
    if t == "boolean":
        if widget == "checkbox" or (widget is None and schema.get("const") is True):
            return "checkbox"
        return "select" if widget == "select" else "radio"
    if _choices(schema, ui):
        return "radio" if widget == "radio" else "select"
    if t in ("integer", "number"):
        return "number"
    if widget == "textarea":
        return "textarea"
    if widget == "date" or schema.get("format") == "date":
        return "date"
    if widget == "datetime" or schema.get("format") == "date-time":
        return "datetime"
    return "textarea" if (schema.get("maxLength") or 0) > 200 else "text"


def _label(schema: dict, ui: dict, name: Any) -> str:
    return str(ui.get("ui:title") or schema.get("title") or name)


def _order(names: list[str], order: Any) -> list[str]:
    """rjsf's ui:order: listed names first, "*" stands for the rest; unknown names are skipped."""
    if not isinstance(order, list):
        return names
    order = list(dict.fromkeys(order))
    star = order.index("*") if "*" in order else len(order)
    head = [n for n in order[:star] if n in names]
    tail = [n for n in order[star + 1 :] if n in names]
    return head + [n for n in names if n not in head and n not in tail] + tail


# --- layout: properties, including those only conditional parts define -------------------------------------


@dataclass
class _Layout:
    props: dict[str, dict]
    required: set[str]
    order: list[str]
    groups: dict[str, int] = field(default_factory=dict)  # field name → index into conds
    conds: list[tuple[dict, set[str]]] = field(default_factory=list)  # (data-show-if, required while shown)


def _input_name(prefix: str, loc: Loc) -> str:
    return ".".join([prefix, *map(str, loc)])


def _condition(cond: Any, loc: Loc, prefix: str) -> dict | None:
    """`{"field", "const"|"enum"|"present"}` for the `if` shapes a browser can test; None for the others."""
    if not isinstance(cond, dict) or set(cond) - {"properties", "required", "type"}:
        return None
    props, clauses = cond.get("properties") or {}, []
    for key, sub in props.items():
        name = _input_name(prefix, loc + (key,))
        if isinstance(sub, dict) and "const" in sub:
            clauses.append({"field": name, "const": sub["const"]})
        elif isinstance(sub, dict) and isinstance(sub.get("enum"), list):
            clauses.append({"field": name, "enum": sub["enum"]})
        else:
            return None
    for key in cond.get("required") or []:
        if key not in props:
            clauses.append({"field": _input_name(prefix, loc + (key,)), "present": True})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"all": clauses}


def _branches(schema: dict, loc: Loc, prefix: str) -> list[tuple[dict | None, dict]]:
    """(condition, subschema) of if/then/else (top level and in allOf), dependentRequired/-Schemas."""
    out: list[tuple[dict | None, dict]] = []
    for part in [schema, *(p for p in schema.get("allOf") or [] if isinstance(p, dict))]:
        cond = _condition(part.get("if"), loc, prefix) if "if" in part else None
        for branch, negate in (("then", False), ("else", True)):
            if "if" in part and isinstance(part.get(branch), dict):
                out.append(({**cond, "not": True} if cond and negate else cond, part[branch]))
    for key, names in (schema.get("dependentRequired") or {}).items():
        out.append(({"field": _input_name(prefix, loc + (key,)), "present": True}, {"required": names}))
    for key, sub in (schema.get("dependentSchemas") or {}).items():
        if isinstance(sub, dict):
            out.append(({"field": _input_name(prefix, loc + (key,)), "present": True}, sub))
    return out


def _mentioned(sub: dict) -> list[str]:
    return list(dict.fromkeys([*(sub.get("properties") or {}), *(sub.get("required") or [])]))


def _merge_props(props: dict[str, dict], extra: Any, override: bool) -> None:
    for name, sub in (extra or {}).items():
        if isinstance(sub, dict):
            props[name] = {**props.get(name, {}), **sub} if override else {**sub, **props.get(name, {})}


def _layout(schema: dict, ui: dict, loc: Loc = (), prefix: str = "f") -> _Layout:
    """A field named by exactly one condition (and not always required) goes into that condition's group."""
    props: dict[str, dict] = {}
    _merge_props(props, schema.get("properties"), True)
    required = {r for r in schema.get("required") or [] if isinstance(r, str)}
    for part in schema.get("allOf") or []:
        if isinstance(part, dict) and "if" not in part:  # an unconditional allOf part just adds fields
            _merge_props(props, part.get("properties"), False)
            required |= set(part.get("required") or [])
    branches, mentions = _branches(schema, loc, prefix), {}
    for _, sub in branches:
        _merge_props(props, sub.get("properties"), False)
        for name in _mentioned(sub):
            props.setdefault(name, {})
            mentions[name] = mentions.get(name, 0) + 1
    lay = _Layout(props, required, _order(list(props), ui.get("ui:order")))
    for cond, sub in branches:
        names = [n for n in _mentioned(sub) if cond and mentions[n] == 1 and n not in required]
        for name in names:
            lay.groups[name] = len(lay.conds)
        if names:
            lay.conds.append((cond, set(sub.get("required") or [])))
    return lay


# --- rendering ----------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    prefix: str
    errors: dict[str, str]
    attachment_link: AttachmentLink | None
    claimed: set[str] = field(default_factory=set)
    scripted: bool = False
    conditional: bool = False  # inside a data-show-if group: a hidden `required` input would block submit

    def take(self, loc: Loc, subtree: bool = False) -> list[str]:
        """The messages for this field (and below it), which the top alert then leaves out."""
        key = "/".join(map(str, loc))
        hits = [k for k in self.errors if k == key or (subtree and k.startswith(key + "/"))]
        self.claimed.update(hits)
        return [self.errors[k] for k in hits]


class _F(NamedTuple):
    schema: dict
    ui: dict
    value: Any
    loc: Loc
    ctx: _Ctx
    required: bool  # always required (not: only under a condition)
    ident: str | None  # no ids inside table rows: they are renumbered

    @property
    def name(self) -> str:
        return _input_name(self.ctx.prefix, self.loc)

    @property
    def html_required(self) -> bool:
        kind = _kind(self.schema, self.ui)
        plain = kind in HTML_REQUIRED_KINDS and _type(self.schema) != "boolean"
        return self.required and plain and not self.ctx.conditional


def _attrs(attrs: dict) -> Markup:
    parts = []
    for key, value in attrs.items():
        if value is True:
            parts.append(Markup(" {}").format(key))
        elif value is not None and value is not False:
            parts.append(Markup(' {}="{}"').format(key, value))
    return _join(parts)


def _tag(tag: str, attrs: dict, body: Any = "") -> Markup:
    return Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), _attrs(attrs), body)


def _w_input(f: _F) -> Markup:
    """text, date, datetime-local and number inputs."""
    kind, s, value = _kind(f.schema, f.ui), f.schema, _to_str(f.value)
    attrs = {"type": {"datetime": "datetime-local"}.get(kind, kind), "class": "form-control", "id": f.ident}
    attrs |= {"name": f.name, "required": f.html_required, "placeholder": f.ui.get("ui:placeholder")}
    if kind == "datetime" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        value = value[:16]  # the input shows local time without seconds or zone
    if kind == "number":  # step "any": the browser's default step of 1 would refuse decimals
        attrs |= {
            "min": s.get("minimum"),
            "max": s.get("maximum"),
            "step": "1" if _type(s) == "integer" else "any",
        }
    return Markup("<input{}>").format(_attrs({**attrs, "value": value, "maxlength": s.get("maxLength")}))


def _w_textarea(f: _F, text: str | None = None) -> Markup:
    attrs = {"class": "form-control", "rows": 4, "id": f.ident, "name": f.name, "required": f.html_required}
    attrs |= {"placeholder": f.ui.get("ui:placeholder"), "maxlength": f.schema.get("maxLength")}
    body = _to_str(f.value) if text is None else text
    return _tag("textarea", attrs, "\n" + body)  # the HTML parser drops a first newline


def _w_select(f: _F) -> Markup:
    current = _to_str(f.value)
    options = [] if "default" in f.schema else [Markup('<option value="">请选择</option>')]
    for value, label in _choices(f.schema, f.ui) or []:
        selected = current != "" and _to_str(value) == current
        options.append(_tag("option", {"value": _to_str(value), "selected": selected}, label))
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


def _attachment(ref: str, ctx: _Ctx) -> Markup:
    link = ctx.attachment_link(ref) if ctx.attachment_link and ref.startswith("attachment:") else None
    if link is None:
        return escape(ref)
    return _tag("a", {"href": link[1], "target": "_blank", "rel": "noopener"}, link[0])


def _w_file(f: _F) -> Markup:
    upload = Markup('<input type="file"{}>').format(_attrs({"id": f.ident, "name": f.name}))
    if not isinstance(f.value, str) or not f.value:
        return upload
    current = _tag(
        "p", {"class": "form-control-static ow-attachment"}, "当前文件：" + _attachment(f.value, f.ctx)
    )
    return current + upload


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
}


def _star(shown: bool) -> Markup:
    return Markup(' <span class="text-danger ow-required" title="必填">*</span>') if shown else Markup("")


def _errors(errs: list[str]) -> Markup:
    return _join(_tag("span", {"class": "help-block ow-error"}, e) for e in errs)


def _help(schema: dict, ui: dict) -> Markup:
    texts = [ui.get("ui:description") or schema.get("description"), ui.get("ui:help")]
    return _join(_tag("p", {"class": "help-block"}, t) for t in texts if t)


def _initial(schema: dict, value: Any) -> Any:
    return schema.get("default") if value is None else value


def _field(schema: dict, ui: dict, value: Any, loc: Loc, ctx: _Ctx, required: bool, soft: bool) -> Markup:
    """One labelled field; `soft`: required only while its conditional group is shown (no HTML attribute)."""
    kind, value = _kind(schema, ui), _initial(schema, value)
    f = _F(schema, ui, value, loc, ctx, required, _input_name(ctx.prefix, loc).replace(".", "-"))
    label, star = _label(schema, ui, loc[-1]), _star(required or soft)
    static = bool(schema.get("readOnly") or ui.get("ui:readonly"))
    if kind == "hidden":
        return _w_hidden(f)
    if kind == "object" and not static:
        body = _fields(schema, ui, value if isinstance(value, dict) else {}, loc, ctx)
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
            (cond, soft), members = lay.conds[group], [n for n in lay.order if lay.groups.get(n) == group]
            ctx.conditional, outer = True, ctx.conditional
            inner = _join(
                _field(lay.props[n], _sub(ui, n), data.get(n), loc + (n,), ctx, False, n in soft)
                for n in members
            )
            ctx.conditional, ctx.scripted = outer, True
            attrs = {"class": "ow-show-if", "data-show-if": json.dumps(cond, ensure_ascii=False)}
            out.append(_tag("div", attrs, inner))
    return _join(out)


# --- read-only display --------------------------------------------------------------------------------------


def _static(schema: dict, ui: dict, value: Any, ctx: _Ctx) -> Markup:
    """A value as text: choice labels, 是/否, links for attachments, nested lists and tables."""
    if value is None or value == "":
        return EMPTY
    if _kind(schema, ui) == "file" and isinstance(value, str):
        return _attachment(value, ctx)
    if isinstance(value, dict):
        return _static_object(schema if _type(schema) == "object" else {}, ui, value, ctx)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return _static_table(_items(schema), _sub(ui, "items"), value, ctx)
        return Markup("、").join(_static(_items(schema), _sub(ui, "items"), v, ctx) for v in value)
    choices = _choices(schema, ui) or (BOOL_CHOICES if isinstance(value, bool) else [])
    labels = [label for v, label in choices if _to_str(v) == _to_str(value)]
    return escape(labels[0] if labels else _to_str(value))


def _static_object(schema: dict, ui: dict, data: dict, ctx: _Ctx) -> Markup:
    lay = _layout(schema, ui)
    known = [
        (_label(lay.props[n], _sub(ui, n), n), _static(lay.props[n], _sub(ui, n), data[n], ctx))
        for n in lay.order
        if n in data
    ]
    extra = [(str(k), _static({}, {}, v, ctx)) for k, v in data.items() if k not in lay.props]
    if not known and not extra:
        return Markup('<p class="text-muted">（无数据）</p>')
    out = _dl(known) if known else Markup("")
    if extra:  # keys the form does not know (an older version's, a script's): shown, not dropped
        out += (Markup('<h5 class="ow-other">其他</h5>') if lay.props else Markup("")) + _dl(extra)
    return out


def _dl(rows: list[tuple[str, Markup]]) -> Markup:
    items = _join(_tag("dt", {}, k) + _tag("dd", {"style": "white-space:pre-wrap"}, v) for k, v in rows)
    return _tag("dl", {"class": "ow-readonly"}, items)


def _static_table(items: dict, ui: dict, rows: list[dict], ctx: _Ctx) -> Markup:
    lay = _layout(items, ui)
    cols = [n for n in lay.order if any(n in r for r in rows)]
    cols += list(dict.fromkeys(k for r in rows for k in r if k not in lay.props))
    specs = [(lay.props.get(c, {}), _sub(ui, c), c) for c in cols]
    head = _join(_tag("th", {}, _label(*spec)) for spec in specs)
    body = _join(
        _tag("tr", {}, _join(_tag("td", {}, _static(s, u, r.get(c), ctx)) for s, u, c in specs)) for r in rows
    )
    return Markup(
        '<table class="table table-condensed table-bordered"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
    ).format(head, body)


# --- the page script: conditional groups and table rows -----------------------------------------------------

_SCRIPT = Markup(
    """<script>(function(){if(window.owFormRender)return;window.owFormRender=1;
function val(root,name){var v="";root.querySelectorAll("[name]").forEach(function(e){if(e.name!==name)return;
if((e.type==="radio"||e.type==="checkbox")&&!e.checked)return;v=e.value;});return v;}
function test(c,root){var r;if(c.all){r=c.all.every(function(x){return test(x,root);});}else{
var v=val(root,c.field);if(v==="")return false;r=("const" in c)?v===String(c.const):
c.enum?c.enum.map(String).indexOf(v)>=0:true;}return c.not?!r:r;}
function sync(){document.querySelectorAll("[data-show-if]").forEach(function(el){
var ok=test(JSON.parse(el.getAttribute("data-show-if")),el.closest("form")||document);
el.style.display=ok?"":"none";});}
function renumber(tb){var base=tb.getAttribute("data-array");Array.prototype.forEach.call(tb.children,
function(tr,i){tr.querySelectorAll("[name]").forEach(function(e){
e.name=base+"."+i+e.name.slice(base.length+1).replace(/^[^.]*/,"");});});}
document.addEventListener("click",function(ev){var b=ev.target.closest("[data-add-row],[data-remove-row]");
if(!b)return;var box=b.closest("[data-array-box]"),tb=box.querySelector(":scope>table>tbody");
if(b.hasAttribute("data-add-row")){tb.appendChild(box.querySelector(":scope>template").content.cloneNode(true));}
else{b.closest("tr").remove();}renumber(tb);sync();});
document.addEventListener("change",sync);document.addEventListener("input",sync);
if(document.readyState==="loading"){document.addEventListener("DOMContentLoaded",sync);}else{sync();}})();
</script>"""
)


def _alert(ctx: _Ctx) -> Markup:
    left = [(k, m) for k, m in ctx.errors.items() if k not in ctx.claimed]
    items = _join(_tag("li", {}, Markup("<code>{}</code>：{}").format(k, m) if k else m) for k, m in left)
    return (
        _tag(
            "div",
            {"class": "alert alert-danger", "role": "alert"},
            _tag("ul", {"class": "list-unstyled"}, items),
        )
        if left
        else Markup("")
    )


def render(
    schema: dict,
    ui: dict | None = None,
    data: dict | None = None,
    errors: Mapping[str, str] | None = None,
    *,
    readonly: bool = False,
    prefix: str = "f",
    attachment_link: AttachmentLink | None = None,
) -> Markup:
    """The fields of a task form (edit mode) or its data as text (`readonly`, for earlier steps on a case page).

    `errors` maps Problem.field paths to messages: shown under their field, the rest ("" included) in an alert.
    `attachment_link("attachment:<id>")` → (file name, url) shows an uploaded file; None shows the reference.
    """
    ui = ui if isinstance(ui, dict) else {}
    data = data if isinstance(data, dict) else {}
    ctx = _Ctx(prefix, {(k or ""): str(v) for k, v in (errors or {}).items()}, attachment_link)
    body = _static_object(schema, ui, data, ctx) if readonly else _fields(schema, ui, data, (), ctx)
    script = _SCRIPT if ctx.scripted else Markup("")
    return _tag("div", {"class": "ow-form"}, _alert(ctx) + _help(schema, ui) + body + script)


# --- parsing a submission -----------------------------------------------------------------------------------


class _Form:
    """werkzeug's MultiDict (`getlist`) or a plain mapping of name → list of values (or one value)."""

    def __init__(self, form: Any):
        self._form = form
        self.keys = [k for k in form.keys() if isinstance(k, str)]

    def values(self, name: str) -> list[str]:
        if hasattr(self._form, "getlist"):
            got = self._form.getlist(name)
        else:
            got = self._form.get(name)
            got = [] if got is None else got if isinstance(got, list | tuple) else [got]
        return [v for v in got if isinstance(v, str)]


_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def _convert(schema: dict, raw: str) -> Any:
    """One submitted string as the JSON type the schema asks for; unparsable input stays a string."""
    text, t = raw.replace("\r\n", "\n").strip(), _type(schema)
    if t == "boolean" and text == "on":
        return True
    for value, _ in _choices(schema) or []:
        if _to_str(value) == text:
            return value
    if t in ("integer", "number") and _INT.fullmatch(text):
        return int(text)
    if t == "number" and _NUMBER.fullmatch(text) and math.isfinite(float(text)):
        return float(text)
    if schema.get("format") == "date-time" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?", text):
        return text + (":00" if len(text) == 16 else "") + DATETIME_OFFSET
    return text


def _parse_object(schema: dict, ui: dict, form: _Form, name: str) -> dict:
    out = {}
    for key, sub in _layout(schema, ui).props.items():
        sub_ui = _sub(ui, key)
        if sub.get("readOnly") or sub_ui.get("ui:readonly") or _kind(sub, sub_ui) == "file":
            continue  # never taken from the submission
        value = _parse_value(sub, sub_ui, form, f"{name}.{key}")
        if value is not None:
            out[key] = value
    return out


def _parse_value(schema: dict, ui: dict, form: _Form, name: str) -> Any:
    kind, items = _kind(schema, ui), _items(schema)
    if kind == "object":
        return _parse_object(schema, ui, form, name) or None
    if kind == "table":
        row = re.compile(re.escape(name) + r"\.([0-9]{1,9})\.")
        indexes = sorted({int(m.group(1)) for k in form.keys if (m := row.match(k))})
        rows = [_parse_object(items, _sub(ui, "items"), form, f"{name}.{i}") for i in indexes]
        return [r for r in rows if r] or None
    raw = [v for v in form.values(name) if v.strip()]
    if kind == "checkboxes":
        return [_convert(items, v) for v in raw] or None
    if kind == "lines":
        return [_convert(items, line) for v in raw for line in v.splitlines() if line.strip()] or None
    return _convert(schema, raw[-1]) if raw else None  # the last: a ticked box follows its hidden "false"


def parse(
    schema: dict, form: Mapping[str, list[str]] | Any, *, prefix: str = "f", ui: dict | None = None
) -> dict:
    """Typed JSON data from a submission; empty fields are left out so `required` reports them.

    Read-only fields are never taken from the submission; with `ui`, neither are file fields (see file_fields).
    """
    return _parse_object(schema, ui if isinstance(ui, dict) else {}, _Form(form), prefix)


def file_fields(schema: dict, ui: dict | None = None, prefix: str = "f") -> list[tuple[str, str]]:
    """(input name, "/"-joined data path) of every file field, nested objects included (not table rows)."""
    out: list[tuple[str, str]] = []

    def walk(schema: dict, ui: dict, loc: Loc) -> None:
        for key, sub in _layout(schema, ui).props.items():
            kind = _kind(sub, _sub(ui, key))
            if kind == "file":
                out.append((_input_name(prefix, loc + (key,)), "/".join([*loc, key])))
            elif kind == "object":
                walk(sub, _sub(ui, key), loc + (key,))

    walk(schema, ui if isinstance(ui, dict) else {}, ())
    return out


# --- the materials checklist (收件清单) ----------------------------------------------------------------------


def _copies(copies: Any) -> str:
    if not isinstance(copies, dict):
        return _to_str(copies)
    parts = [(label, copies.get(key)) for key, label in (("original", "原件"), ("copy", "复印件"))]
    return "，".join(f"{label} {n} 份" for label, n in parts if n)


def _material_row(index: int, material: dict, checked: bool, prefix: str) -> Markup:
    name, necessity = str(material.get("name", "")), str(material.get("necessity", ""))
    box = {
        "type": "checkbox",
        "name": f"{prefix}.received",
        "value": name,
        "checked": checked,
        "aria-label": f"已收 {name}",
    }
    form = _tag("small", {"class": "text-muted"}, material["form"]) if material.get("form") else ""
    cells = [
        Markup('<label class="checkbox-inline"><input{}> 已收</label>').format(_attrs(box)),
        escape(name) + (" " + form if form else ""),
        _tag("span", {"class": "label " + NECESSITY_CLASS.get(necessity, "label-default")}, necessity),
        _copies(material.get("copies")),
        material.get("note") or "",
        Markup('<input type="file" name="{}.file.{}">').format(prefix, index),
    ]
    return _tag("tr", {}, _join(_tag("td", {}, c) for c in cells))


def render_materials(materials: list[dict], received: Iterable[str] = (), *, prefix: str = "m") -> Markup:
    """The acceptance checklist of a catalog item's materials: tick what was handed in, optionally upload it."""
    got = {str(r) for r in received}
    rows = _join(
        _material_row(i, m, str(m.get("name")) in got, prefix)
        for i, m in enumerate(materials)
        if isinstance(m, dict)
    )
    return Markup(
        '<table class="table table-condensed table-bordered ow-materials"><thead><tr><th>已收</th><th>材料名称</th>'
        "<th>必要性</th><th>份数</th><th>备注</th><th>上传</th></tr></thead><tbody>{}</tbody></table>"
    ).format(rows)


def parse_materials(
    materials: list[dict], form: Mapping[str, list[str]] | Any, prefix: str = "m"
) -> list[str]:
    """The ticked material names, in catalog order; names not in the catalog are ignored."""
    picked = set(_Form(form).values(f"{prefix}.received"))
    names = [str(m.get("name")) for m in materials if isinstance(m, dict)]
    return list(dict.fromkeys(n for n in names if n in picked))


def material_file_fields(materials: list[dict], prefix: str = "m") -> list[tuple[str, str]]:
    """(input name, material name) of every material's upload input."""
    return [
        (f"{prefix}.file.{i}", str(m.get("name"))) for i, m in enumerate(materials) if isinstance(m, dict)
    ]
