"""Forms are data: JSON Schema (draft 2020-12) documents, checked at deploy and enforced on every submission."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from .errors import InvalidInput, Problem

MAX_FORM_BYTES = 512 * 1024


def load_schema(name: str, raw: bytes) -> tuple[dict | None, list[Problem]]:
    """Parse and check one form file; return the document and every problem with it."""
    if len(raw) > MAX_FORM_BYTES:
        return None, [Problem(f"form is larger than {MAX_FORM_BYTES // 1024} KB", file=name)]
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        return None, [Problem(f"form is not valid JSON: {exc}", file=name, line=line)]
    if not isinstance(doc, dict):
        return None, [Problem("form must be a JSON object (a JSON Schema)", file=name)]
    if name.endswith(".uischema.json") or name.endswith("-uischema.json"):
        return doc, []  # uiSchema: layout hints, no validation semantics
    problems = []
    if doc.get("type", "object") != "object":
        problems.append(Problem('a form\'s schema must describe an object ("type": "object")', file=name))
    try:
        Draft202012Validator.check_schema(doc)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        problems.append(Problem(f"not a valid JSON Schema at {where}: {exc.message}", file=name))
    return (doc if not problems else None), problems


def compile_schema(schema: dict) -> Draft202012Validator:
    """A reusable validator (building one costs more than validating a typical submission)."""
    return Draft202012Validator(schema, format_checker=FormatChecker())


def field_errors(validator: Draft202012Validator | None, data: object) -> list[Problem]:
    """Every field error of `data` (no form: any JSON object)."""
    if not isinstance(data, dict):
        return [Problem("form data must be a JSON object", field="")]
    if validator is None:
        return []
    problems = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = "/".join(str(p) for p in err.path)
        if err.validator == "required" and isinstance(err.instance, dict):
            missing = [f for f in err.validator_value if f not in err.instance]
            for f in missing:
                problems.append(Problem(f"{f} is required", field=f"{path}/{f}" if path else f))
            continue
        problems.append(Problem(err.message, field=path))
    return problems


def validate(validator: Draft202012Validator | None, data: object) -> None:
    problems = field_errors(validator, data)
    if problems:
        raise InvalidInput(problems)
