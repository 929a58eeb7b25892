"""The catalog entry (item.yaml) as a form, without Flask: the published JSON Schema made drawable by
`admin.formrender`, an entry turned into form values and a posted form back into an entry, and the core's
problems put on their fields.

Two fields are shaped for the form and back: `limits.department_days` (a mapping of department → working days)
is a table of {department, days}, and each material's blank template and sample (file objects) are file fields
whose stored file travels as signed JSON in `<name>.kept`, so a posted form can only name files the server gave
it. Everything else is the schema as published, its Chinese titles translated through `translate`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from itsdangerous import BadSignature, URLSafeSerializer

from orchestrator.gov.item_schema import SUPERVISION_DEFAULTS, SUPPLEMENT_DAYS, UI_SCHEMA

from .. import formrender

PREFIX = "f"
FILE_KINDS = ("template", "sample")  # a material's blank template and its filled-in sample
FILE_KEYS = ("file_name", "sha256", "content_type", "size")
MATERIAL_ROW = re.compile(r"f\.materials\.([0-9]{1,4})\.")
SALT = "onewindow-catalog-file"


# -- the schema and uiSchema the form is drawn with --------------------------------------------------------


def form_schema(schema: dict, translate: Callable[[str], str] = str) -> tuple[dict, dict]:
    """(schema, uiSchema) of the catalog form, from the published catalog schema."""
    shown = copy.deepcopy(schema)
    props = shown["properties"]
    limits = props["limits"]["properties"]
    per_department = limits["department_days"]
    department = copy.deepcopy(props["lead_department"])
    department["title"] = "部门"
    limits["department_days"] = {
        "type": "array",
        "title": per_department.get("title"),
        "description": per_department.get("description"),
        "items": {
            "type": "object",
            "properties": {"department": department, "days": {**per_department["additionalProperties"]}},
            "required": ["department", "days"],
        },
    }
    limits["department_days"]["items"]["properties"]["days"]["title"] = "工作日"
    ui = copy.deepcopy(UI_SCHEMA)
    material_ui = ui.setdefault("materials", {}).setdefault("items", {})
    for kind in FILE_KINDS:
        material_ui[kind] = {"ui:widget": "file"}
    _translate(shown, translate)
    return shown, ui


def _translate(node: Any, translate: Callable[[str], str]) -> None:
    """Titles and descriptions in the reader's language (the schema's are Chinese, the message ids too)."""
    if isinstance(node, dict):
        for key in ("title", "description"):
            if isinstance(node.get(key), str):
                node[key] = translate(node[key])
        for value in node.values():
            _translate(value, translate)
    elif isinstance(node, list):
        for value in node:
            _translate(value, translate)


# -- an entry as form values, and a posted form back as an entry --------------------------------------------


def signer(secret: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def file_ref(found: Mapping[str, Any]) -> dict:
    """What a catalog entry keeps of a stored file (an upload's summary or an earlier reference)."""
    return {k: found[k] for k in FILE_KEYS if found.get(k) is not None}


def to_form(entry: dict, sign: URLSafeSerializer) -> dict:
    """The entry as the form shows it: department days as rows, each stored file with its signature."""
    values = copy.deepcopy(entry)
    limits = values.get("limits")
    if isinstance(limits, dict) and isinstance(limits.get("department_days"), dict):
        limits["department_days"] = [
            {"department": k, "days": v} for k, v in limits["department_days"].items()
        ]
    for material in values.get("materials") or []:
        for kind in FILE_KINDS:
            ref = material.get(kind) if isinstance(material, dict) else None
            if isinstance(ref, dict) and isinstance(ref.get("sha256"), str):
                material[kind] = {**file_ref(ref), "sig": sign.dumps(file_ref(ref))}
    return values


def from_form(form: Any, files: Any, schema: dict, ui: dict, sign: URLSafeSerializer) -> tuple[dict, dict]:
    """A posted catalog form (werkzeug MultiDicts `form` and `files`) as an entry, and the uploads it asks
    for: {(material index, kind): FileStorage}. Material rows keep their order; empty rows are dropped."""
    entry = formrender.parse(schema, form, prefix=PREFIX, ui=ui)
    limits = entry.get("limits")
    if isinstance(limits, dict) and isinstance(limits.get("department_days"), list):
        limits["department_days"] = {
            row["department"]: row.get("days")
            for row in limits["department_days"]
            if isinstance(row, dict) and isinstance(row.get("department"), str)
        }
    items, items_ui = schema["properties"]["materials"]["items"], ui["materials"]["items"]
    indexes = sorted({int(m.group(1)) for k in [*form.keys(), *files.keys()] if (m := MATERIAL_ROW.match(k))})
    materials, uploads = [], {}
    for i in indexes:
        name = f"{PREFIX}.materials.{i}"
        row = formrender.parse(items, form, prefix=name, ui=items_ui)
        wanted = {}
        for kind in FILE_KINDS:
            kept = _kept(form.get(f"{name}.{kind}.kept"), sign)
            if kept and not form.get(f"{name}.{kind}.remove"):
                row[kind] = kept
            upload = files.get(f"{name}.{kind}")
            if upload is not None and upload.filename:
                wanted[kind] = upload
        if row or wanted:
            uploads.update({(len(materials), kind): upload for kind, upload in wanted.items()})
            materials.append(row)
    entry["materials"] = materials
    return entry, uploads


def _kept(raw: str | None, sign: URLSafeSerializer) -> dict | None:
    """A stored file the form was given, if its signature holds (anything else is dropped)."""
    try:
        found = json.loads(raw) if raw else None
        ref = (
            sign.loads(found["sig"])
            if isinstance(found, dict) and isinstance(found.get("sig"), str)
            else None
        )
    except (ValueError, BadSignature):
        return None
    return file_ref(ref) if isinstance(ref, dict) and isinstance(ref.get("sha256"), str) else None


def keep_order(entry: dict, before: dict | None) -> None:
    """Co-departments come back in the order of the choices: keep the stored order of those still chosen."""
    chosen, stored = entry.get("co_departments"), (before or {}).get("co_departments") or []
    if isinstance(chosen, list):
        entry["co_departments"] = [c for c in stored if c in chosen] + [c for c in chosen if c not in stored]


def to_yaml(entry: dict) -> bytes:
    return yaml.safe_dump(entry, allow_unicode=True, sort_keys=False).encode("utf-8")


def from_yaml(text: str) -> dict:
    """A kept item.yaml back as an entry (an unreadable one as an empty entry)."""
    try:
        found = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return found if isinstance(found, dict) else {}


def normal(value: Any) -> Any:
    """A value without its empty parts, to tell a save that changes nothing."""
    if isinstance(value, dict):
        kept = {k: normal(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [normal(v) for v in value]
    return value


def new_entry(key: str, name: str | None, lanes: Mapping[str, str]) -> dict:
    """Sensible defaults for a plain process that becomes a service item (设为服务事项)."""
    back_office = [code for code in lanes.values() if code not in ("frontdesk", "delivery", "grid")]
    code = re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-").upper()[:64]
    return {
        "process": key,
        "code": code or "ITEM",
        "name": name or key,
        "type": "公共服务",
        "implementing_body": "",
        "lead_department": back_office[0] if back_office else None,
        "case_class": {"national": 2, "local": "承诺"},
        "limits": {"statutory_days": 20, "promised_days": 5, "supplement_days": SUPPLEMENT_DAYS},
        "materials": [],
        "channels": {"online": False, "appointment": False, "courier": False, "proxy": False, "visits": 1},
        "scope": "本地",
        "supervision": dict(SUPERVISION_DEFAULTS),
    }


# -- problems on their fields ---------------------------------------------------------------------------------


def field_key(field: str | None, entry: dict) -> str:
    """A problem's field (`materials[1].name`, `limits.department_days.renshe`) as the renderer's error key
    (`materials/1/name`, `limits/department_days/<row>/department`)."""
    parts = re.findall(r"[^.\[\]]+", field or "")
    if parts[:2] == ["limits", "department_days"] and len(parts) > 2:
        limits = entry.get("limits") if isinstance(entry.get("limits"), dict) else {}
        days = limits.get("department_days")
        codes = list(days) if isinstance(days, dict) else []
        if parts[2] in codes:
            return f"limits/department_days/{codes.index(parts[2])}/department"
        return "limits/department_days"
    return "/".join(parts)


def field_errors(problems: list[dict], entry: dict) -> dict[str, str]:
    """Problems (as dicts) by error key; those of no field (or of another file) under ""."""
    found: dict[str, str] = {}
    for p in problems:
        key = field_key(p.get("field"), entry) if p.get("file") in (None, "item.yaml") else ""
        where = " ".join(str(p[k]) for k in ("file", "element") if p.get(k)) if not key else ""
        message = f"{where}：{p['message']}" if where else str(p["message"])
        found[key] = f"{found[key]}；{message}" if key in found else message
    return found
