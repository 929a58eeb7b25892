"""What changed between two versions of a unit: the diagram element by element (`bpmn.diff`), the forms
field by field (added, removed, changed, and required-ness), and the catalog entry value by value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from orchestrator.bpmn.diff import diff_files

MISSING = object()


class FieldChange(TypedDict):
    form: str
    field: str  # a path: applicant.name, members[].relation
    title: str | None
    change: str  # added, removed, changed
    required: bool | None  # for added and removed fields: whether the form requires it
    details: list[dict]  # for changed fields: {"what", "old", "new"}


class FormsDiff(TypedDict):
    added: list[str]  # whole forms
    removed: list[str]
    fields: list[FieldChange]


class ValueChange(TypedDict):
    path: str
    old: Any
    new: Any


class TestsDiff(TypedDict):
    added: list[str]
    removed: list[str]
    changed: list[str]


class Comparison(TypedDict):
    diagram: dict
    forms: FormsDiff
    catalog: list[ValueChange]
    tests: TestsDiff
    changes: int  # everything above, counted


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    """`old` and `new` are stored versions (`definitions.details`): files, forms and catalog."""
    diagram = diff_files(old.get("files") or {}, new.get("files") or {})
    forms = forms_diff(old.get("forms") or {}, new.get("forms") or {})
    catalog = catalog_diff(old.get("catalog"), new.get("catalog"))
    before, after = old.get("tests") or {}, new.get("tests") or {}
    tests: TestsDiff = {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": sorted(n for n in before.keys() & after.keys() if before[n] != after[n]),
    }
    count = (
        len(diagram["added"]) + len(diagram["removed"]) + len(diagram["changed"])
        + len(forms["added"]) + len(forms["removed"]) + len(forms["fields"]) + len(catalog)
        + len(tests["added"]) + len(tests["removed"]) + len(tests["changed"])
    )  # fmt: skip
    return {"diagram": diagram, "forms": forms, "catalog": catalog, "tests": tests, "changes": count}


def forms_diff(old: dict[str, dict], new: dict[str, dict]) -> FormsDiff:
    fields: list[FieldChange] = []
    for name in sorted(old.keys() & new.keys()):
        if old[name] == new[name] or _is_ui(name):
            continue
        before, after = _fields(old[name]), _fields(new[name])
        for path in sorted(after.keys() - before.keys()):
            fields.append(_field_change(name, path, after[path], "added"))
        for path in sorted(before.keys() - after.keys()):
            fields.append(_field_change(name, path, before[path], "removed"))
        for path in sorted(before.keys() & after.keys()):
            details = [
                {"what": what, "old": before[path].get(what), "new": after[path].get(what)}
                for what in sorted(before[path].keys() | after[path].keys())
                if before[path].get(what) != after[path].get(what)
            ]
            if details:
                fields.append({**_field_change(name, path, after[path], "changed"), "details": details})
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "fields": fields,
    }


def catalog_diff(old: dict | None, new: dict | None) -> list[ValueChange]:
    before, after = _flatten(old or {}), _flatten(new or {})
    return [
        {"path": path, "old": before.get(path), "new": after.get(path)}
        for path in sorted(before.keys() | after.keys())
        if before.get(path, MISSING) != after.get(path, MISSING)
    ]


def _is_ui(name: str) -> bool:
    return name.endswith((".uischema.json", "-uischema.json"))


def _field_change(form: str, path: str, field: dict, change: str) -> FieldChange:
    return {
        "form": form,
        "field": path,
        "title": field.get("title"),
        "change": change,
        "required": field.get("required") if change != "changed" else None,
        "details": [],
    }


ASPECTS = (
    "title", "type", "required", "enum", "const", "format", "pattern", "minimum", "maximum",
    "minLength", "maxLength", "minItems", "maxItems", "default", "readOnly",
)  # fmt: skip


def _fields(schema: dict, prefix: str = "", required: bool = True) -> dict[str, dict]:
    """Every field of a form's schema by path, with the aspects a clerk would notice; `required` says
    whether the enclosing object is itself required (a field inside an optional block is not)."""
    found: dict[str, dict] = {}
    found_properties = schema.get("properties")
    properties: dict = found_properties if isinstance(found_properties, dict) else {}
    needed = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    for key, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}.{key}" if prefix else key
        aspects = {a: sub[a] for a in ASPECTS if a in sub and a != "required"}
        aspects["required"] = required and key in needed
        found[path] = aspects
        if isinstance(sub.get("properties"), dict):
            found.update(_fields(sub, path, aspects["required"]))
        items = sub.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            found.update(_fields(items, f"{path}[]", aspects["required"]))
    branches = [b for k in ("allOf", "anyOf", "oneOf") for b in schema.get(k) or []]
    branches += [schema.get("then"), schema.get("else")]  # a field shown only when (the form builder's)
    for branch in branches:
        if isinstance(branch, dict):
            for path, aspects in _fields(branch, prefix, False).items():
                found.setdefault(path, aspects)
    return found


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Scalars by path; the items of a list that have names are keyed by name (`materials[申请表].form`)."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(_flatten(item, f"{path}.{key}" if path else str(key)))
        return found or {path: {}}
    if isinstance(value, list):
        named = all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in value) and len(
            {v["name"] for v in value}
        ) == len(value)
        found = {}
        for i, item in enumerate(value):
            found.update(_flatten(item, f"{path}[{item['name'] if named else i}]"))
        return found or {path: []}
    return {path: value}
