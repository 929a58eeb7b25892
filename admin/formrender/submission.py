"""Reading a submitted form back into typed JSON, and the file inputs a form has."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .schema import Loc, _choices, _input_name, _items, _kind, _layout, _sub, _to_str, _type, lookup

DATETIME_OFFSET = "+08:00"  # a datetime-local input has no zone; JSON Schema's date-time needs one


# --- parsing a submission -----------------------------------------------------------------------------------


class _Form:
    """werkzeug's MultiDict (`getlist`) or a plain mapping of name → list of values (or one value); with
    the case's data where read-only prefilled fields take their values from."""

    def __init__(self, form: Any, case_data: Callable[[], Mapping | None] | None = None):
        self._form = form
        self.keys = [k for k in form.keys() if isinstance(k, str)]
        self._case_data = case_data
        self._case: list = []

    def case(self) -> Mapping | None:
        if not self._case:
            found = self._case_data() if self._case_data else None
            self._case.append(found if isinstance(found, Mapping) else None)
        return self._case[0]

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
            prefill = sub_ui.get("ui:prefill")  # a read-only prefilled field: the case's value, as shown
            value = lookup(form.case(), prefill) if isinstance(prefill, str) else None
            if value is not None and not isinstance(value, dict | list):
                out[key] = value
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
    schema: dict,
    form: Mapping[str, list[str]] | Any,
    *,
    prefix: str = "f",
    ui: dict | None = None,
    case_data: Callable[[], Mapping | None] | None = None,
) -> dict:
    """Typed JSON data from a submission; empty fields are left out so `required` reports them.

    Read-only fields are never taken from the submission (one with `ui:prefill` takes the case's value, from
    `case_data()`); with `ui`, neither are file fields (see file_fields).
    """
    return _parse_object(schema, ui if isinstance(ui, dict) else {}, _Form(form, case_data), prefix)


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
