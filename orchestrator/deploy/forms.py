"""Forms are data: JSON Schema (draft 2020-12) documents, checked at deploy and enforced on every submission.

A submission's problems are our own translatable messages, one per kind of JSON Schema check, each naming
its field: by its path in English ("applicant.name is required"), by its titles and path in Chinese
("申请人 › 姓名（applicant.name）为必填项").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from lxml import etree

from orchestrator.bpmn import edit
from orchestrator.bpmn.namespaces import SPIFF
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import Listing, Message, Named, _
from orchestrator.deploy import formats

MAX_FORM_BYTES = 512 * 1024
MAX_SHOWN = 60  # characters of a submitted value quoted in a message


def load_schema(name: str, raw: bytes) -> tuple[dict | None, list[Problem]]:
    """Parse and check one form file; return the document and every problem with it."""
    if len(raw) > MAX_FORM_BYTES:
        return None, [Problem(_("form is larger than {limit} KB", limit=MAX_FORM_BYTES // 1024), file=name)]
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        return None, [Problem(_("form is not valid JSON: {detail}", detail=str(exc)), file=name, line=line)]
    if not isinstance(doc, dict):
        return None, [Problem(_("form must be a JSON object (a JSON Schema)"), file=name)]
    if name.endswith(".uischema.json") or name.endswith("-uischema.json"):
        return doc, []  # uiSchema: layout hints, no validation semantics
    problems = []
    if doc.get("type", "object") != "object":
        problems.append(Problem(_('a form\'s schema must describe an object ("type": "object")'), file=name))
    try:
        Draft202012Validator.check_schema(doc)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or _("(root)")
        problems.append(
            Problem(
                _("not a valid JSON Schema at {where}: {detail}", where=where, detail=exc.message), file=name
            )
        )
    return (doc if not problems else None), problems


def compile_schema(schema: dict) -> Draft202012Validator:
    """A reusable validator (building one costs more than validating a typical submission)."""
    return Draft202012Validator(schema, format_checker=formats.checker())


def field_errors(validator: Draft202012Validator | None, data: object) -> list[Problem]:
    """Every field error of `data` (no form: any JSON object)."""
    if not isinstance(data, dict):
        return [Problem(_("form data must be a JSON object"), field="")]
    if validator is None:
        return []
    root = validator.schema if isinstance(validator.schema, dict) else {}
    problems = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = "/".join(str(p) for p in err.path)
        if err.validator == "required" and isinstance(err.instance, dict):
            missing = [f for f in err.validator_value if f not in err.instance]
            for f in missing:
                name = field_label(root, [*err.path, f])
                problems.append(
                    Problem(_("{field} is required", field=name), field=f"{path}/{f}" if path else f)
                )
            continue
        problems.append(Problem(problem_message(err, root), field=path))
    return problems


def validate(validator: Draft202012Validator | None, data: object) -> None:
    problems = field_errors(validator, data)
    if problems:
        raise InvalidInput(problems)


# -- messages ------------------------------------------------------------------------------------------------

TYPES = {
    "integer": _("a whole number"),
    "number": _("a number"),
    "string": _("text"),
    "boolean": _("true or false"),
    "array": _("a list"),
    "object": _("a group of fields"),
    "null": _("empty"),
}
FORMATS = {
    "date": _("date (YYYY-MM-DD)"),
    "date-time": _("date and time"),
    "time": _("time of day"),
    "email": _("email address"),
    "uri": _("web address (URI)"),
    "ipv4": _("IPv4 address"),
    "uuid": _("UUID"),
    formats.ID_NUMBER: _("resident ID number (check digit included)"),
    formats.CREDIT_CODE: _("unified social credit code (check character included)"),
    formats.MOBILE: _("mobile phone number"),
    formats.POSTCODE: _("postcode"),
    formats.AMOUNT: _("amount in yuan (at least 0, at most two decimals)"),
}


def problem_message(err: ValidationError, root: dict) -> Message:
    """Our message for one failed check (a generic one with jsonschema's text for the rare kinds)."""
    field = field_label(root, list(err.path), err.schema)
    kind, expected, value = err.validator, err.validator_value, err.instance
    shown = _shown(value)
    if kind == "type":
        kinds = [TYPES.get(t, t) for t in (expected if isinstance(expected, list) else [expected])]
        expected_kinds = Listing(kinds, " or ", "或")
        return _("{field}: {value} is not {expected}", field=field, value=shown, expected=expected_kinds)
    alternatives = expected if kind in ("oneOf", "anyOf") and isinstance(expected, list) else None
    if alternatives and all(isinstance(a, dict) and "const" in a for a in alternatives):
        options = Listing([_shown(a["const"]) for a in alternatives])
        return _("{field}: {value} is not one of {options}", field=field, value=shown, options=options)
    if kind == "enum" and isinstance(expected, list):
        options = Listing([_shown(o) for o in expected])
        return _("{field}: {value} is not one of {options}", field=field, value=shown, options=options)
    if kind == "const":
        return _("{field}: {expected} was expected", field=field, expected=_shown(expected))
    if kind == "minLength":
        if expected == 1:
            return _("{field} must not be empty", field=field)
        return _("{field} needs at least {limit} characters", field=field, limit=expected)
    if kind == "maxLength":
        return _(
            "{field} is {length} characters long; at most {limit} are allowed",
            field=field,
            length=len(value),
            limit=expected,
        )
    if kind == "pattern":
        return _("{field}: {value} does not match {pattern}", field=field, value=shown, pattern=expected)
    if kind == "format":
        what = FORMATS.get(expected, expected)
        precise = _format_fault(expected, value, field=field, value=shown, format=what)
        if precise is not None:
            return precise
        return _("{field}: {value} is not a valid {format}", field=field, value=shown, format=what)
    if kind == "minimum":
        return _(
            "{field}: {value} is less than the minimum of {limit}", field=field, value=shown, limit=expected
        )
    if kind == "maximum":
        return _(
            "{field}: {value} is greater than the maximum of {limit}",
            field=field,
            value=shown,
            limit=expected,
        )
    if kind == "exclusiveMinimum":
        return _("{field}: {value} must be greater than {limit}", field=field, value=shown, limit=expected)
    if kind == "exclusiveMaximum":
        return _("{field}: {value} must be less than {limit}", field=field, value=shown, limit=expected)
    if kind == "multipleOf":
        return _("{field}: {value} is not a multiple of {step}", field=field, value=shown, step=expected)
    if kind == "minItems":
        if expected == 1:
            return _("{field} needs at least one item", field=field)
        return _(
            "{field} needs at least {limit} items; it has {count}",
            field=field,
            limit=expected,
            count=len(value),
        )
    if kind == "maxItems":
        return _(
            "{field} may have at most {limit} items; it has {count}",
            field=field,
            limit=expected,
            count=len(value),
        )
    if kind == "uniqueItems":
        return _("{field} lists the same item more than once", field=field)
    if kind == "additionalProperties" and isinstance(value, dict):
        names = Listing(repr(name) for name in _extra_properties(value, err.schema))
        if not err.path:
            return _("fields the form does not have: {names}", names=names)
        return _("{field}: fields the form does not have: {names}", field=field, names=names)
    if kind == "dependentRequired" and isinstance(expected, dict) and isinstance(value, dict):
        for given, needed in expected.items():
            missing = [n for n in needed if given in value and n not in value]
            if missing:
                return _(
                    "{field} is required when {given} is filled in",
                    field=Listing([field_label(root, [*err.path, n]) for n in missing]),
                    given=field_label(root, [*err.path, given]),
                )
    return _("{field}: {detail}", field=field, detail=err.message)


def _format_fault(format_name: Any, instance: Any, **fields: Any) -> Message | None:
    """Why an ID number or a credit code was refused, precisely (a wrong check character, no real birth
    date), or None for the general message."""
    if not isinstance(instance, str):
        return None
    if format_name == formats.ID_NUMBER:
        fault = formats.id_number_fault(instance)
        if fault == "check":
            return _("{field}: {value} is not a valid {format}: its check digit is wrong", **fields)
        if fault == "date":
            return _("{field}: {value} is not a valid {format}: its date of birth does not exist", **fields)
    if format_name == formats.CREDIT_CODE and formats.credit_code_fault(instance) == "check":
        return _("{field}: {value} is not a valid {format}: its check character is wrong", **fields)
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _extra_properties(instance: dict, schema: dict) -> list[str]:
    known = schema.get("properties") or {}
    patterns = [p for p in (schema.get("patternProperties") or {}) if isinstance(p, str)]
    return [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]


def field_label(root: dict, path: list, leaf: dict | None = None) -> Message:
    """A field named by its path (`members[0].name`), with its titles as its Chinese label when the form
    gives them (`家庭成员 › 第1项 › 姓名`); `leaf` is the field's own schema when the path cannot find it."""
    if not path:
        return _("the form")
    code = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" if i else str(p) for i, p in enumerate(path))
    labels: list[str] = []
    titled = False
    schema: dict | None = root
    for i, key in enumerate(path):
        schema = _child(schema, key)
        if schema is None and i == len(path) - 1:
            schema = leaf
        title = schema.get("title") if isinstance(schema, dict) else None
        if isinstance(key, int):
            labels.append(f"第{key + 1}项")
        elif isinstance(title, str) and title.strip():
            labels.append(title.strip())
            titled = True
        else:
            labels.append(str(key))
    return Named(code, " › ".join(labels) if titled else None)


def _child(schema: Any, key: str | int, depth: int = 0) -> dict | None:
    """The schema of `key` (a property, or an item of an array) within `schema`, looking into its branches."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if isinstance(key, int):
        prefix, items = schema.get("prefixItems"), schema.get("items")
        if isinstance(prefix, list) and key < len(prefix) and isinstance(prefix[key], dict):
            return prefix[key]
        return items if isinstance(items, dict) else None
    properties = schema.get("properties")
    if isinstance(properties, dict) and isinstance(properties.get(key), dict):
        return properties[key]
    for branch in _branches(schema):
        found = _child(branch, key, depth + 1)
        if found is not None:
            return found
    return None


def _branches(schema: dict) -> Iterator[Any]:
    for keyword in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(keyword), list):
            yield from schema[keyword]
    for keyword in ("then", "else"):
        yield schema.get(keyword)
    if isinstance(schema.get("dependentSchemas"), dict):
        yield from schema["dependentSchemas"].values()


INCLUDE = re.compile(r"^(?P<file>[A-Za-z0-9_.-]+\.json)(?:#(?P<pointer>/[^#]*))?$")
MAX_INCLUDE_DEPTH = 8


def include(doc: dict, fetch: Callable[[str], dict | None]) -> tuple[dict, list[Problem]]:
    """A form with the shared forms it refers to (`{"$ref": "applicant.schema.json"}`, or a part of one:
    `"family.schema.json#/properties/members"`) put in place, so a stored version holds everything its
    forms need; the other keys beside a `$ref` (a title, say) are kept. `fetch` gives a form by name."""
    problems: list[Problem] = []

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        match = INCLUDE.match(ref) if isinstance(ref, str) else None
        if match is None:
            return {key: walk(value, seen) for key, value in node.items()}
        name = match["file"]
        if name in seen or len(seen) >= MAX_INCLUDE_DEPTH:
            problems.append(Problem(_("the shared form {form} includes itself", form=name)))
            return {k: v for k, v in node.items() if k != "$ref"}
        found = fetch(name)
        if found is None:
            problems.append(Problem(_("the shared form {form} was not found", form=name)))
            return {k: v for k, v in node.items() if k != "$ref"}
        part: Any = found
        for key in (match["pointer"] or "").strip("/").split("/") if match["pointer"] else []:
            part = part.get(key.replace("~1", "/").replace("~0", "~")) if isinstance(part, dict) else None
        if not isinstance(part, dict):
            problems.append(Problem(_("{ref} does not point at a part of the form", ref=ref)))
            return {k: v for k, v in node.items() if k != "$ref"}
        inlined = {k: v for k, v in walk(part, (*seen, name)).items() if k not in ("$schema", "$id")}
        return {**inlined, **{k: walk(v, seen) for k, v in node.items() if k != "$ref"}}

    return walk(doc, ()), problems


# -- the form builder: its uiSchema conventions and the tasks a form is linked to ------------------------------

PREFILL = "ui:prefill"  # uiSchema: a field starts from the case's data at this dotted path ("applicant.name")
PREFILL_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}")
FORM_PROPERTY, UI_PROPERTY = "formJsonSchemaFilename", "formUiSchemaFilename"


def ui_problems(ui: Any, path: tuple[str, ...] = ()) -> list[Problem]:
    """What the renderer cannot use in a uiSchema: a `ui:prefill` that is not a dotted path of names, a
    `ui:order` that is not a list of names."""
    problems: list[Problem] = []
    if not isinstance(ui, dict):
        return problems
    where = ".".join(path) or _("(root)")
    prefill, order = ui.get(PREFILL), ui.get("ui:order")
    if prefill is not None and not (isinstance(prefill, str) and PREFILL_PATH.fullmatch(prefill)):
        problems.append(
            Problem(
                _(
                    "uiSchema {where}: ui:prefill must be a path of case data such as applicant.name",
                    where=where,
                ),
                field="/".join(path) or None,
            )
        )
    if order is not None and not (isinstance(order, list) and all(isinstance(n, str) for n in order)):
        problems.append(
            Problem(
                _("uiSchema {where}: ui:order must be a list of field names", where=where),
                field="/".join(path) or None,
            )
        )
    for key, value in ui.items():
        if not key.startswith("ui:") and isinstance(value, dict) and len(path) < 8:
            problems += ui_problems(value, (*path, key))
    return problems


def _properties_of(task: Any) -> dict[str, Any]:
    found = {}
    for prop in task.iter(f"{{{SPIFF}}}property"):
        found[prop.get("name")] = prop
    return found


def user_tasks(xml: bytes) -> list[dict[str, str | None]]:
    """The user tasks of a diagram with the forms they name: [{"id", "name", "form", "ui"}]."""
    doc = edit.Document(xml)
    out = []
    for task in doc.root.iter(f"{{{edit.BPMN}}}userTask"):
        props = _properties_of(task)
        form, ui = props.get(FORM_PROPERTY), props.get(UI_PROPERTY)
        out.append(
            {
                "id": task.get("id"),
                "name": task.get("name") or task.get("id"),
                "form": form.get("value") if form is not None else None,
                "ui": ui.get("value") if ui is not None else None,
            }
        )
    return out


def link_forms(
    xml: bytes, form: str, *, ui: str | None, task: str | None, previous: str | None
) -> bytes | None:
    """The diagram with its user tasks linked to `form` as the form builder saves it, or None when nothing
    changes: `task` (and every task that named `previous`, a form being renamed) names `form`, and every task
    naming `form` names `ui` as its uiSchema when one is given."""
    doc = edit.Document(xml)
    changed = False
    for node in doc.root.iter(f"{{{edit.BPMN}}}userTask"):
        props = _properties_of(node)
        named = props[FORM_PROPERTY].get("value") if FORM_PROPERTY in props else None
        if node.get("id") == task or (previous and previous != form and named == previous):
            changed |= _set_property(node, props, FORM_PROPERTY, form)
            named = form
        if named == form and ui:
            changed |= _set_property(node, _properties_of(node), UI_PROPERTY, ui)
    return doc.xml() if changed else None


def _set_property(task: Any, props: dict[str, Any], name: str, value: str) -> bool:
    """spiffworkflow:property `name` of a task set to `value` (made, with its parents, when missing)."""
    if name in props:
        if props[name].get("value") == value:
            return False
        props[name].set("value", value)
        return True
    extension = task.find(f"{{{edit.BPMN}}}extensionElements")
    if extension is None:
        extension = etree.Element(f"{{{edit.BPMN}}}extensionElements")
        docs = [c for c in task if c.tag == f"{{{edit.BPMN}}}documentation"]
        task.insert(len(docs), extension)
    holder = extension.find(f"{{{SPIFF}}}properties")
    if holder is None:
        holder = etree.SubElement(extension, f"{{{SPIFF}}}properties", nsmap={"spiffworkflow": SPIFF})
    last = holder[-1] if len(holder) else None
    added = etree.SubElement(holder, f"{{{SPIFF}}}property", name=name, value=value)
    if last is not None:  # indented like its siblings
        before = last.getprevious()
        added.tail, last.tail = last.tail, before.tail if before is not None else holder.text
    return True
