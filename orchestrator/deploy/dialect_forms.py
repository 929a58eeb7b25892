"""Other modelers' forms as JSON Schema (plus uiSchema): Camunda 7's `camunda:formField`s, Flowable's and
Activiti's `formProperty`s, Camunda 8's form-js documents (embedded as `zeebe:userTaskForm` or linked as a
`.form` file of the unit), and a form key matched to a form file of the unit."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from lxml import etree

from orchestrator.bpmn.namespaces import CAMUNDA

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
_CAMUNDA_TYPES: dict[str, dict] = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}
_FORM_JS_TYPES: dict[str, dict] = {
    "textfield": {"type": "string"},
    "textarea": {"type": "string"},
    "number": {"type": "number"},
    "checkbox": {"type": "boolean"},
    "select": {"type": "string"},
    "radio": {"type": "string"},
    "checklist": {"type": "array", "items": {"type": "string"}},
    "taglist": {"type": "array", "items": {"type": "string"}},
}
_KEY = re.compile(r"^[A-Za-z_][\w.\-]{0,99}$")
MAX_COMPONENTS = 500


def dump(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def free_name(wanted: str, taken: dict) -> str:
    name, n = wanted, 1
    while name in taken:
        n += 1
        stem, _dot, rest = wanted.partition(".")
        name = f"{stem}_{n}.{rest}"
    return name


def _c(tag: str) -> str:
    return f"{{{CAMUNDA}}}{tag}"


def from_camunda_fields(fields: list[etree._Element], title: str) -> dict:
    """`camunda:formField`s → a JSON Schema (types, labels, defaults, enum values, required/min/max)."""
    properties: dict[str, dict] = {}
    required: list[str] = []
    for field in fields:
        key = (field.get("id") or "").strip()
        if not _KEY.match(key):
            continue
        kind = field.get("type") or "string"
        prop = dict(_CAMUNDA_TYPES.get(kind, {"type": "string"}))
        prop["title"] = field.get("label") or key
        values = field.findall(_c("value"))
        if kind == "enum" or values:
            prop["enum"] = [v.get("id") for v in values if v.get("id")]
            names = [v.get("name") or v.get("id") for v in values if v.get("id")]
            if names != prop["enum"]:
                prop["oneOf"] = [{"const": v, "title": n} for v, n in zip(prop["enum"], names, strict=True)]
                del prop["enum"]
        for constraint in field.iterfind(f"{_c('validation')}/{_c('constraint')}"):
            name, config = constraint.get("name"), constraint.get("config")
            if name == "required":
                required.append(key)
            elif name in ("min", "max", "minlength", "maxlength") and config and _number(config) is not None:
                target = {
                    "min": "minimum",
                    "max": "maximum",
                    "minlength": "minLength",
                    "maxlength": "maxLength",
                }
                prop[target[name]] = _number(config)
        properties[key] = prop
    schema: dict = {"$schema": SCHEMA, "title": title, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def from_form_properties(props: list[etree._Element], title: str) -> dict:
    """Flowable's / Activiti's `formProperty`s → a JSON Schema (types, labels, defaults, enum values, required,
    read-only when not writable)."""
    properties: dict[str, dict] = {}
    required: list[str] = []
    for field in props:
        key = (field.get("id") or "").strip()
        if not _KEY.match(key) or (field.get("readable") or "true").strip() == "false":
            continue
        kind = field.get("type") or "string"
        prop = dict(_CAMUNDA_TYPES.get(kind, {"type": "string"}))
        prop["title"] = field.get("name") or key
        values = [v for v in field if isinstance(v.tag, str) and etree.QName(v).localname == "value"]
        if kind == "enum" or values:
            prop["oneOf"] = [{"const": v.get("id"), "title": v.get("name") or v.get("id")} for v in values]
        default = field.get("default")
        if default is not None and prop["type"] in ("integer", "number"):
            if _number(default) is not None:
                prop["default"] = _number(default)
        elif default is not None and prop["type"] == "boolean":
            prop["default"] = default.strip() == "true"
        elif default is not None:
            prop["default"] = default
        if (field.get("writable") or "true").strip() == "false":
            prop["readOnly"] = True
        elif (field.get("required") or "").strip() == "true":
            required.append(key)
        properties[key] = prop
    schema: dict = {"$schema": SCHEMA, "title": title, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _number(text: str) -> int | float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def from_form_js(text: str, title: str, names: dict[str, str] | None = None) -> tuple[dict, dict]:
    """A form-js document (Camunda 8) → (JSON Schema, uiSchema). ValueError when it is not one. A key that
    starts with one of the diagram's data names with spaces (`names`) is written with its variable."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("components"), list):
        raise ValueError("no 'components' list")
    properties: dict[str, dict] = {}
    required: list[str] = []
    ui: dict = {}
    order: list[str] = []
    for comp in _flatten(doc["components"]):
        kind, key = comp.get("type"), _named(comp.get("key"), names or {})
        if kind not in _FORM_JS_TYPES or not isinstance(key, str) or not _KEY.match(key):
            continue
        prop = dict(_FORM_JS_TYPES[kind])
        prop["title"] = str(comp.get("label") or key)
        values = comp.get("values")
        if isinstance(values, list) and values:
            options = [v for v in values if isinstance(v, dict) and "value" in v]
            choice = {
                "oneOf": [{"const": v["value"], "title": str(v.get("label", v["value"]))} for v in options]
            }
            if prop["type"] == "array":
                prop["items"] = choice
            else:
                prop.update(choice)
        validate: dict = comp["validate"] if isinstance(comp.get("validate"), dict) else {}
        for src, dst in (
            ("min", "minimum"),
            ("max", "maximum"),
            ("minLength", "minLength"),
            ("maxLength", "maxLength"),
        ):
            if isinstance(validate.get(src), int | float) and not isinstance(validate.get(src), bool):
                prop[dst] = validate[src]
        if validate.get("required") is True:
            required.append(key)
        if "defaultValue" in comp:
            prop["default"] = comp["defaultValue"]
        properties[key] = prop
        order.append(key)
        widget = {"textarea": "textarea", "radio": "radio", "checklist": "checkboxes"}.get(kind)
        hints = {"ui:widget": widget} if widget else {}
        if comp.get("description"):
            hints["ui:help"] = str(comp["description"])
        if hints:
            ui[key] = hints
    schema: dict = {"$schema": SCHEMA, "title": title, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    ui["ui:order"] = order
    return schema, ui


def _named(key: object, names: dict[str, str]) -> object:
    if isinstance(key, str):
        head, dot, rest = key.partition(".")
        if head in names:
            return names[head] + dot + rest
    return key


def _flatten(components: list) -> list[dict]:
    """Components, with those of groups and dynamic lists in place (bounded)."""
    out: list[dict] = []
    stack = list(reversed(components))
    while stack and len(out) < MAX_COMPONENTS:
        comp = stack.pop()
        if not isinstance(comp, dict):
            continue
        out.append(comp)
        inner = comp.get("components")
        if isinstance(inner, list):
            stack.extend(reversed(inner))
    return out


def linked_form_js(form_id: str, forms: dict) -> tuple[str, str] | None:
    """The unit's Camunda 8 `.form` file whose form-js `id` is `form_id`, as (file name, text)."""
    for name, raw in sorted(forms.items()):
        if not name.endswith(".form"):
            continue
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and doc.get("id") == form_id:
            return name, raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    return None


def unit_form_for(key: str, forms: dict) -> str | None:
    """The unit's form a form key names (`embedded:app:forms/apply.html`, `camunda-forms:deployment:apply.form`,
    `apply`): the form file with the same stem, as a JSON Schema (`apply.json`, `apply.schema.json`,
    `apply-schema.json`)."""
    last = PurePosixPath(key.rsplit(":", 1)[-1]).name
    stem = last.split(".", 1)[0]
    for candidate in (f"{stem}.json", f"{stem}.schema.json", f"{stem}-schema.json", last):
        if candidate in forms and candidate.endswith(".json"):
            return candidate
    return None
