"""What a form's JSON Schema and uiSchema say about each field: its type, choices, widget kind, label and
order, and the layout of an object's properties (including those only conditional parts define)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

BOOL_CHOICES: list[tuple[Any, str]] = [(True, "是"), (False, "否")]

Loc = tuple  # a field's path: property names and row indexes
Test = Callable[[Mapping], bool]  # a condition tested on the server, on an object's data
NON_DATA = ("heading", "note")  # uiSchema widgets of a form's section headings and explanatory texts


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
    if widget in ("hidden", "file", *NON_DATA):
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
    # (data-show-if, required while shown, the same condition tested on the server)
    conds: list[tuple[dict, set[str], Test]] = field(default_factory=list)


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path of nested objects ("applicant.name"), or None."""
    for key in path.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _filled(data: Mapping, key: str) -> bool:
    return data.get(key) not in (None, "", [], {})


def _schema_test(cond: Any, negate: bool) -> Test:
    """The `if` of a conditional part as JSON Schema says it (then: it holds, else: it does not); built
    when first asked."""
    built: list[Draft202012Validator] = []

    def test(data: Mapping) -> bool:
        try:
            if not built:
                built.append(Draft202012Validator(cond))
            return built[0].is_valid(dict(data)) != negate
        except Exception:  # noqa: BLE001 - an `if` the deploy would refuse: its part stays shown
            return True

    return test


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


def _branches(schema: dict, loc: Loc, prefix: str) -> list[tuple[dict | None, dict, Test]]:
    """(condition for the browser, subschema, condition for the server) of if/then/else (top level and in
    allOf), dependentRequired/-Schemas."""
    out: list[tuple[dict | None, dict, Test]] = []
    for part in [schema, *(p for p in schema.get("allOf") or [] if isinstance(p, dict))]:
        cond = _condition(part.get("if"), loc, prefix) if "if" in part else None
        for branch, negate in (("then", False), ("else", True)):
            if "if" in part and isinstance(part.get(branch), dict):
                shown = {**cond, "not": True} if cond and negate else cond
                out.append((shown, part[branch], _schema_test(part["if"], negate)))
    for key, names in (schema.get("dependentRequired") or {}).items():
        present = {"field": _input_name(prefix, loc + (key,)), "present": True}
        out.append((present, {"required": names}, lambda data, key=key: _filled(data, key)))
    for key, sub in (schema.get("dependentSchemas") or {}).items():
        if isinstance(sub, dict):
            present = {"field": _input_name(prefix, loc + (key,)), "present": True}
            out.append((present, sub, lambda data, key=key: _filled(data, key)))
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
    for _, sub, _test in branches:
        _merge_props(props, sub.get("properties"), False)
        for name in _mentioned(sub):
            props.setdefault(name, {})
            mentions[name] = mentions.get(name, 0) + 1
    lay = _Layout(props, required, _order(list(props), ui.get("ui:order")))
    for cond, sub, test in branches:
        names = [n for n in _mentioned(sub) if cond and mentions[n] == 1 and n not in required]
        for name in names:
            lay.groups[name] = len(lay.conds)
        if names and cond:
            lay.conds.append((cond, set(sub.get("required") or []), test))
    return lay
