"""Checking a service item's catalog entry (item.yaml): the JSON Schema of `gov.item_schema`, checked with
`jsonschema`, and the few rules that span fields (promised ≤ statutory, 即办 ⇒ class 1 and 0 days, 联办 ⇒
co-departments, departments that exist, …). `check` lists every problem (it never raises); `defaults` fills
the optional fields for storage.

Every message names its field: by its path in English (`case_class.local: '普通' is not one of …`), by its
Chinese titles and path in Chinese (`办件类型 › 地方类型（case_class.local）…`). Optional fields written empty
in YAML (`note:`) count as absent.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from orchestrator.core.errors import Problem
from orchestrator.core.i18n import Listing, Message, _
from orchestrator.deploy import forms
from orchestrator.gov.item_schema import MAX_DAYS, NOT_BLANK, SUPERVISION_DEFAULTS, SUPPLEMENT_DAYS, schema

FILE = "item.yaml"
__all__ = ["SUPERVISION_DEFAULTS", "SUPPLEMENT_DAYS", "check", "check_entry", "defaults"]


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker())


def check(doc: Any, groups: set[str]) -> list[Problem]:
    """Every problem of the catalog entry `doc` (parsed item.yaml); `groups` are the known group codes."""
    if not isinstance(doc, dict):
        return [Problem(_("item.yaml must be a mapping of catalog fields"), file=FILE)]
    entry = _present(doc)
    root = _validator().schema
    problems = list(_unknown_fields(entry, root, []))
    for err in sorted(_validator().iter_errors(entry), key=lambda e: [str(p) for p in e.path]):
        if err.validator != "additionalProperties":  # reported above, with a suggestion
            problems += _schema_problem(err, root)
    problems += _rules(entry, set(groups))
    return problems


def check_entry(doc: Any, groups: set[str]) -> tuple[dict | None, list[Problem]]:
    """The deploy layer's catalog check: the entry to store (with defaults), or None and its problems."""
    problems = check(doc, groups)
    return (None if problems else defaults(doc)), problems


def defaults(doc: dict) -> dict:
    """A copy of a (valid) entry with the optional fields filled, as stored."""
    out = _present(copy.deepcopy(doc))
    for key in ("co_departments", "conditions", "legal_basis", "fees"):
        out.setdefault(key, [])
    limits, channels = out.get("limits"), out.get("channels")
    if isinstance(limits, dict):
        limits["supplement_days"] = limits.get("supplement_days") or SUPPLEMENT_DAYS
        limits["department_days"] = limits.get("department_days") or {}
    if isinstance(channels, dict):
        channels["appointment"] = bool(channels.get("appointment"))
    out["supervision"] = {**SUPERVISION_DEFAULTS, **(out.get("supervision") or {})}
    for material in out.get("materials") or []:
        if isinstance(material, dict):
            found = material.get("copies")
            copies = found if isinstance(found, dict) else {}
            material["copies"] = {"original": copies.get("original", 1), "copy": copies.get("copy", 0)}
    return out


def path_of(parts: list | tuple) -> str:
    """A field's path as problems name it: `materials[1].name`."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" if i else str(p) for i, p in enumerate(parts))


def _present(value: Any) -> Any:
    """The entry without the keys written empty (`note:` in YAML is None): they count as absent."""
    if isinstance(value, dict):
        return {k: _present(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_present(v) for v in value]
    return value


def _problem(parts: list, message: Message) -> Problem:
    return Problem(message, file=FILE, field=path_of(parts) or None)


def _schema_problem(err: ValidationError, root: dict) -> list[Problem]:
    parts = list(err.path)
    if err.validator == "required" and isinstance(err.instance, dict):
        return [
            _problem(
                [*parts, name],
                _("required field '{field}' is missing", field=forms.field_label(root, [*parts, name])),
            )
            for name in err.validator_value
            if name not in err.instance
        ]
    field = forms.field_label(root, parts, err.schema)
    if err.validator == "pattern" and parts == ["code"]:
        return [
            _problem(
                parts,
                _(
                    "{field} must contain only letters, digits and '-', not {value}",
                    field=field,
                    value=repr(err.instance),
                ),
            )
        ]
    if err.validator == "type" and err.validator_value == "string" and isinstance(err.instance, int | float):
        message = _(
            "{field} must be non-empty text, not {value} (put quotes around it in the YAML)",
            field=field,
            value=repr(err.instance),
        )
        return [_problem(parts, message)]
    if (err.validator == "minLength" and err.validator_value == 1) or (
        err.validator == "pattern" and err.validator_value == NOT_BLANK
    ):
        return [
            _problem(
                parts, _("{field} must be non-empty text, not {value}", field=field, value=repr(err.instance))
            )
        ]
    return [_problem(parts, forms.problem_message(err, root))]


def _unknown_fields(value: Any, node: dict | None, parts: list) -> Iterator[Problem]:
    """Keys the entry's schema does not know, with the closest known one when there is one."""
    if not isinstance(node, dict):
        return
    if isinstance(value, dict) and isinstance(node.get("properties"), dict):
        known = node["properties"]
        for key, item in value.items():
            if key in known:
                yield from _unknown_fields(item, known[key], [*parts, key])
                continue
            if node.get("additionalProperties") is not False:
                continue
            field = path_of([*parts, str(key)])
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            if close:
                message = _(
                    "unknown field '{field}'; did you mean '{suggestion}'?", field=field, suggestion=close[0]
                )
            else:
                message = _(
                    "unknown field '{field}'; known fields: {known}", field=field, known=Listing(known)
                )
            yield _problem([*parts, str(key)], message)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            yield from _unknown_fields(item, node["items"], [*parts, i])


def _rules(entry: dict, groups: set[str]) -> list[Problem]:
    """The rules that span fields; each runs only on values of the right shape (the schema reports the rest)."""
    root = _validator().schema
    found: list[Problem] = []

    def add(parts: list, message: Message) -> None:
        found.append(_problem(parts, message))

    def name(parts: list) -> Message:
        return forms.field_label(root, parts)

    lead = entry.get("lead_department")
    if isinstance(lead, str) and lead and lead not in groups:
        add(["lead_department"], _unknown_group(name(["lead_department"]), lead, groups))
    co: list[str] = []
    co_departments = entry.get("co_departments")
    for i, code in enumerate(co_departments if isinstance(co_departments, list) else []):
        if not isinstance(code, str) or not code:
            continue
        parts = ["co_departments", i]
        if code == lead:
            add(
                parts,
                _(
                    "{field}: '{code}' is the lead department; remove it from co_departments",
                    field=name(parts),
                    code=code,
                ),
            )
        elif code in co:
            add(
                parts,
                _("{field}: '{code}' is listed twice; remove the duplicate", field=name(parts), code=code),
            )
        elif code not in groups:
            add(parts, _unknown_group(name(parts), code, groups))
        co.append(code)

    case_class = _mapping(entry.get("case_class"))
    national, local = case_class.get("national"), case_class.get("local")
    limits = _mapping(entry.get("limits"))
    statutory, promised = _days(limits.get("statutory_days")), _days(limits.get("promised_days"))
    if local == "即办" and national in (2, 9):
        add(
            ["case_class", "national"],
            _(
                "{field}: a 即办 item must have national class 1 (即办件), not {national}",
                field=name(["case_class", "national"]),
                national=national,
            ),
        )
    if local in ("承诺", "联办", "上报") and national == 1:
        add(
            ["case_class", "national"],
            _(
                "{field}: a {local} item must have national class 2 (承诺件) or 9, not 1",
                field=name(["case_class", "national"]),
                local=local,
            ),
        )
    if local == "联办" and not co_departments:
        add(
            ["co_departments"],
            _(
                "{field}: a 联办 item needs at least one co-department (协办); list them here",
                field=name(["co_departments"]),
            ),
        )
    if statutory is not None and promised is not None and promised > statutory:
        add(
            ["limits", "promised_days"],
            _(
                "{field}: the promised limit ({promised}) may not exceed the statutory limit ({statutory})",
                field=name(["limits", "promised_days"]),
                promised=promised,
                statutory=statutory,
            ),
        )
    if local == "即办" and promised not in (None, 0):
        add(
            ["limits", "promised_days"],
            _(
                "{field}: a 即办 item is done the same day: promised_days must be 0, not {promised}",
                field=name(["limits", "promised_days"]),
                promised=promised,
            ),
        )
    department_days = limits.get("department_days")
    for code, n in department_days.items() if isinstance(department_days, dict) else ():
        parts = ["limits", "department_days", code]
        if code not in groups:
            add(parts, _unknown_group(name(parts), code, groups))
        elif code not in (lead, *co):
            add(
                parts,
                _("{field}: '{code}' is neither the lead nor a co-department", field=name(parts), code=code),
            )
        days = _days(n)
        if promised is not None and days is not None and days > promised:
            add(
                parts,
                _(
                    "{field}: {days} working days exceed the promised limit ({promised})",
                    field=name(parts),
                    days=days,
                    promised=promised,
                ),
            )

    materials = entry.get("materials")
    seen: set[str] = set()
    for i, material in enumerate(materials if isinstance(materials, list) else []):
        material_name = material.get("name") if isinstance(material, dict) else None
        if not isinstance(material_name, str):
            continue
        if material_name in seen:
            parts = ["materials", i, "name"]
            add(
                parts,
                _(
                    "{field}: material '{name}' is listed twice; material names must be unique",
                    field=name(parts),
                    name=material_name,
                ),
            )
        seen.add(material_name)
    fees = entry.get("fees")
    for i, fee in enumerate(fees if isinstance(fees, list) else []):
        amount = fee.get("amount") if isinstance(fee, dict) else None
        if (
            isinstance(amount, int | float)
            and not isinstance(amount, bool)
            and amount > 0
            and not fee.get("basis")
        ):
            parts = ["fees", i, "basis"]
            add(
                parts,
                _(
                    "{field}: a fee of {amount} needs its legal basis (收费依据)",
                    field=name(parts),
                    amount=amount,
                ),
            )
    return found


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _days(value: Any) -> int | None:
    """A number of days the schema accepts (else the schema reports it, and the rules leave it)."""
    valid = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_DAYS
    return value if valid else None


def _unknown_group(field: Message, code: str, groups: set[str]) -> Message:
    return _(
        "{field}: {value} is not a known group code (known: {known})",
        field=field,
        value=repr(code),
        known=Listing(sorted(groups)),
    )
