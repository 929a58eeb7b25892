"""REST API /api/v1 (described at /api/v1/_openapi): the same services as the CLI, behind bearer tokens.

Every endpoint is a Flask-AppBuilder `BaseApi` method with `@protect()`, so FAB checks the role against the
class permission names of `admin/roles.py` (TaskApi, CaseApi, DefinitionApi); which task or case a user may
see or act on is decided by `orchestrator` (NotAllowed → 403), never here. Methods map to the permissions
`can_get` (reads) and `can_post` (writes) through `method_permission_name`. Errors are JSON with a
"message" (and, for 422, every problem under "errors", as the CLI prints them).
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.exceptions import DuplicateComponentNameError
from flask import Response, current_app, jsonify, request, send_file, url_for
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from orchestrator.documents import KINDS as DOCUMENT_KINDS
from orchestrator.errors import InvalidInput, NotAllowed, NotFound, OneWindowError, Problem
from orchestrator.units import Unit, read_zip

from .web import sees_all, service, username

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200  # orchestrator.tasks.MAX_PAGE
TRUE = ("1", "true", "yes", "on")


# -- answers -----------------------------------------------------------------------------------------
def error_answer(exc: OneWindowError) -> Response:
    """`{"message", ...}` plus what the CLI prints with --json (`errors` for 422, `error` otherwise)."""
    answer = jsonify({"message": str(exc), **exc.as_dict()})
    answer.status_code = exc.http_status
    return answer


def answers(f: Callable[..., Response]) -> Callable[..., Response]:
    """Turn OneWindow errors into JSON answers (inside FAB's @safe, which would make them a 500)."""

    @functools.wraps(f)
    def wrapper(self: BaseApi, *args: Any, **kwargs: Any) -> Response:
        try:
            return f(self, *args, **kwargs)
        except OneWindowError as exc:
            return error_answer(exc)
        except RequestEntityTooLarge:
            limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
            return error_answer(InvalidInput(Problem(_("请求超过 %(mb)s MB 的上限", mb=limit), field="file")))
        except HTTPException as exc:
            return json_error(exc)

    return wrapper


def json_error(exc: HTTPException) -> Response:
    answer = jsonify({"message": exc.description or exc.name})
    answer.status_code = exc.code or 500
    return answer


def ok(body: Any, status: int = 200) -> Response:
    answer = jsonify(body)
    answer.status_code = status
    return answer


# -- reading requests --------------------------------------------------------------------------------
def json_body(required: bool = True) -> dict:
    """The request's JSON object; an empty body is `{}` where every field is optional."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise InvalidInput(Problem(_("请求体须为 JSON 对象")))
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidInput(Problem(_("请求体不是有效的 JSON：%(error)s", error=exc))) from None
    if not isinstance(value, dict):
        raise InvalidInput(Problem(_("请求体须为 JSON 对象，而不是 %(kind)s", kind=type(value).__name__)))
    return value


def text_field(body: dict, name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(Problem(_("%(name)s 须为非空字符串", name=name), field=name))
    return value


def object_field(body: dict, name: str) -> dict:
    value = body.get(name, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(Problem(_("%(name)s 须为 JSON 对象", name=name), field=name))
    return value


def attachment_ids(body: dict) -> list[int]:
    """Uploads to link to a case or step: each must be the user's own (or visible to them) and unlinked."""
    value = body.get("attachments")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise InvalidInput(Problem(_("attachments 须为附件编号（整数）的列表"), field="attachments"))
    problems = []
    for attachment_id in value:
        try:
            found, _path = service().attachment(attachment_id, username(), see_all=sees_all())
        except (NotFound, NotAllowed):
            problems.append(Problem(_("没有可用的附件 %(id)s", id=attachment_id), field="attachments"))
            continue
        if found["instance"] is not None:
            problems.append(Problem(_("附件 %(id)s 已属于其他办件", id=attachment_id), field="attachments"))
    if problems:
        raise InvalidInput(problems)
    return value


def int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        top = "" if high is None else f"–{high}"
        raise InvalidInput(
            Problem(_("%(name)s 须为整数 %(range)s", name=name, range=f"{low}{top}"), field=name)
        )
    return value


def uploaded_unit(file_name: str, data: bytes, max_bytes: int) -> Unit:
    """A deployable unit from an uploaded .bpmn or .zip (read in memory, never extracted)."""
    name = Path(file_name).name
    if len(data) > max_bytes:
        raise InvalidInput(
            Problem(_("文件超过 %(mb)s MB 的上限", mb=max_bytes // (1024 * 1024)), file=name, field="file")
        )
    suffix = Path(name).suffix.lower()
    if suffix == ".bpmn":
        return Unit(name=Path(name).stem, bpmn={name: data})
    if suffix == ".zip":
        return read_zip(name, data, max_bytes)
    raise InvalidInput(Problem(_("请上传 .bpmn 文件或 .zip 压缩包"), file=name or None, field="file"))


def document_list(case: dict) -> list[dict]:
    """The documents that make sense for the case at its current status, with their URLs."""
    kinds = ["receipt"]
    if any(p.get("kind") == "补正" for p in case.get("paused", [])):
        kinds.append("one_time_notice")
    if case.get("accepted_at"):
        kinds.append("acceptance")
    if case.get("status_code") in (4, 5):
        kinds.append("refusal")
    if case.get("status_code") in (11, 12, 13):
        kinds.append("completion")
    number = case["case_number"]
    return [
        {
            "kind": kind,
            "title": DOCUMENT_KINDS[kind],
            "url": url_for("CaseApi.document", number=number, kind=f"{kind}.pdf"),
        }
        for kind in kinds
    ]


def check_case_view(case: dict) -> None:
    if not service().can_view(case["instance"], username(), see_all=sees_all()):
        raise NotAllowed(_("无权查看办件 %(number)s", number=case["case_number"]))


# -- OpenAPI components ------------------------------------------------------------------------------
def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **more: Any) -> dict:
    return {"type": kind, "nullable": True, **more}


_TASK = {
    "id": {"type": "integer"},
    "name": {"type": "string", "description": "the BPMN element id of the step"},
    "title": _nullable("string"),
    "group": _nullable("string", description="candidate group code"),
    "assignee": _nullable("string"),
    "state": {"type": "string", "enum": ["open", "claimed", "completed", "cancelled"]},
    "form": _nullable("string"),
    "instance": {"type": "integer"},
    "due_at": _nullable("string", format="date-time"),
}
SCHEMAS: dict[str, dict] = {
    "Problem": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string"},
            "file": _nullable("string"),
            "line": _nullable("integer"),
            "element": _nullable("string"),
            "field": {"type": "string"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string"},
            "error": {"type": "string"},
            "errors": {"type": "array", "items": _ref("Problem")},
        },
    },
    "DefinitionVersion": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "version": {"type": "integer"},
            "status": {"type": "string", "enum": ["draft", "published", "retired"]},
            "checksum": {"type": "string"},
            "tag": _nullable("string"),
            "unchanged": {"type": "boolean"},
            "name": _nullable("string"),
            "deployed_at": {"type": "string", "format": "date-time"},
            "deployed_by": _nullable("string"),
            "running_instances": {"type": "integer"},
        },
    },
    "Definition": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "name": _nullable("string"),
            "latest": {"type": "integer"},
            "published": _nullable("integer", description="the version new cases start"),
            "versions": {"type": "array", "items": _ref("DefinitionVersion")},
        },
    },
    "Deployed": {
        "type": "object",
        "properties": {
            "deployed": {
                "type": "array",
                "items": _ref("DefinitionVersion"),
                "description": "one entry per executable process of the unit; `unchanged` when identical",
            }
        },
    },
    "Task": {"type": "object", "properties": _TASK},
    "InboxTask": {
        "type": "object",
        "properties": {
            **_TASK,
            "case_number": _nullable("string"),
            "item": {"type": "string"},
            "process": {"type": "string"},
            "applicant": _nullable("string"),
            "priority": _nullable("integer"),
            "created_at": {"type": "string", "format": "date-time"},
            "completed_at": _nullable("string", format="date-time"),
            "completed_by": _nullable("string"),
            "opinion": _nullable("string"),
            "action": _nullable("string"),
            "urged_at": _nullable("string", format="date-time"),
            "org_path": {"type": "string"},
            "days_left": _nullable("integer", description="working days left; negative when overdue"),
            "warning": _nullable("string", enum=["reminder", "yellow", "red"]),
        },
    },
    "Inbox": {
        "type": "object",
        "properties": {
            "view": _nullable("string"),
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
            "next_page": _nullable(
                "integer", description="set when this page is full (the next may be empty)"
            ),
            "tasks": {"type": "array", "items": _ref("InboxTask")},
        },
    },
    "TaskDetail": {
        "type": "object",
        "properties": {
            **_TASK,
            "process": {"type": "string"},
            "version": {"type": "integer"},
            "form_schema": _nullable("object", description="JSON Schema of the step's form"),
            "ui_schema": _nullable("object"),
            "opinion": _nullable("string"),
            "action": _nullable("string"),
            "completed_by": _nullable("string"),
            "org_path": {"type": "string"},
            "actions": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": [
                        "claim",
                        "unclaim",
                        "complete",
                        "transfer",
                        "comment",
                        "urge",
                        "reject",
                        "supplement",
                        "send_back",
                    ],
                },
            },
            "catalog": _nullable("object", description="the service item's catalog entry"),
        },
    },
    "Moved": {
        "type": "object",
        "description": "a completed step (complete, reject, supplement, send_back) and the steps now open",
        "properties": {
            "task": {"type": "integer"},
            "instance": {"type": "integer"},
            "status": {"type": "string"},
            "tasks": {"type": "array", "items": _ref("Task")},
        },
    },
    "StartCase": {
        "type": "object",
        "required": ["item"],
        "properties": {
            "item": {"type": "string", "description": "process key of a published service item"},
            "data": {"type": "object", "description": "application data; `applicant` is required"},
            "business_key": {"type": "string", "maxLength": 200},
            "attachments": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Started": {
        "type": "object",
        "properties": {
            "case_number": _nullable("string"),
            "instance": {"type": "integer"},
            "business_key": _nullable("string"),
            "status": {"type": "string"},
            "tasks": {"type": "array", "items": _ref("Task")},
        },
    },
    "CaseStep": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "node": {"type": "string"},
            "group": _nullable("string"),
            "state": {"type": "string"},
            "handler": _nullable("string"),
            "opinion": _nullable("string"),
            "action": _nullable("string"),
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": _nullable("string", format="date-time"),
        },
    },
    "Document": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": list(DOCUMENT_KINDS)},
            "title": {"type": "string"},
            "url": {"type": "string"},
        },
    },
    "Case": {
        "type": "object",
        "properties": {
            "case_number": {"type": "string"},
            "item": {"type": "string"},
            "item_name": {"type": "string"},
            "instance": {"type": "integer"},
            "status_code": {"type": "integer", "minimum": 1, "maximum": 15},
            "status": {"type": "string"},
            "case_class": _nullable("integer"),
            "local_type": _nullable("string"),
            "applicant": {"type": "object"},
            "proxy": _nullable("object"),
            "channel": {"type": "string"},
            "received_at": {"type": "string", "format": "date-time"},
            "accepted_at": _nullable("string", format="date-time"),
            "promised_limit": _nullable("integer"),
            "statutory_limit": _nullable("integer"),
            "promised_due": _nullable("string", format="date-time"),
            "statutory_due": _nullable("string", format="date-time"),
            "provisional": {"type": "boolean"},
            "closed_at": _nullable("string", format="date-time"),
            "tolerated": {"type": "array", "items": {"type": "string"}},
            "warnings": {"type": "array", "items": {"type": "object"}},
            "result": _nullable("object"),
            "paused": {"type": "array", "items": {"type": "object"}},
            "steps": {"type": "array", "items": _ref("CaseStep")},
            "documents": {"type": "array", "items": _ref("Document")},
            "attachments": {"type": "array", "items": _ref("Attachment")},
        },
    },
    "Attachment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "ref": {"type": "string", "example": "attachment:7"},
            "material": _nullable("string"),
            "file_name": {"type": "string"},
            "content_type": {"type": "string"},
            "size": {"type": "integer"},
            "sha256": {"type": "string"},
            "instance": _nullable("integer"),
            "uploaded_by": _nullable("string"),
            "uploaded_at": {"type": "string", "format": "date-time"},
        },
    },
    "Upload": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {
                "type": "string",
                "format": "binary",
                "description": ".pdf .jpg .png .ofd, 10 MB at most",
            },
            "material": {"type": "string", "description": "which catalog material this is"},
        },
    },
    "UnitUpload": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": "a .bpmn file or a .zip unit"},
            "publish": {"type": "boolean", "default": False},
            "tag": {"type": "string", "maxLength": 100},
        },
    },
    "Complete": {
        "type": "object",
        "properties": {
            "data": {"type": "object", "description": "the step's form data (validated by its JSON Schema)"},
            "opinion": {"type": "string"},
            "attachments": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Reason": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "maxLength": 2000}, "data": {"type": "object"}},
    },
    "SendBack": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "maxLength": 2000}},
    },
    "Transfer": {
        "type": "object",
        "required": ["to"],
        "properties": {
            "to": {"type": "string", "description": "a user of the task's group"},
            "note": {"type": "string"},
        },
    },
    "Comment": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
    "Urge": {"type": "object", "properties": {"text": {"type": "string"}}},
    "Commented": {
        "type": "object",
        "properties": {"task": {"type": "integer"}, "comment": {"type": "string"}},
    },
    "Urged": {
        "type": "object",
        "properties": {"task": {"type": "integer"}, "urged_at": {"type": "string", "format": "date-time"}},
    },
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


RESPONSES = {
    "OwUnauthorized": _error_response("no or invalid bearer token"),
    "OwForbidden": _error_response("the role may not use this endpoint, or the thing is not yours"),
    "OwNotFound": _error_response("no such thing"),
    "OwConflict": _error_response("lost a race, or no longer in a state that allows the action"),
    "OwInvalid": _error_response("invalid input; `errors` lists every problem (field or file/line/element)"),
}


class OneWindowApi(BaseApi):
    """What all our APIs share: version v1, reads are `can_get`, writes `can_post`, JSON components."""

    version = "v1"
    allow_browser_login = False  # bearer tokens only: no cookie, so no CSRF to worry about

    def add_apispec_components(self, api_spec: APISpec) -> None:
        super().add_apispec_components(api_spec)
        for name, schema in SCHEMAS.items():
            try:
                api_spec.components.schema(name, schema)
            except DuplicateComponentNameError:
                pass
        for name, response in RESPONSES.items():
            try:
                api_spec.components.response(name, response)
            except DuplicateComponentNameError:
                pass


# -- definitions -------------------------------------------------------------------------------------
class DefinitionApi(OneWindowApi):
    resource_name = "definitions"
    class_permission_name = "DefinitionApi"
    method_permission_name = {"listing": "get", "upload": "post", "publish": "post", "retire": "post"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @answers
    def listing(self) -> Response:
        """Process definitions with all their versions (analysts and admins).
        ---
        get:
          summary: List process definitions with their versions
          responses:
            200:
              description: every key with its versions, oldest first
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      definitions:
                        type: array
                        items: {$ref: '#/components/schemas/Definition'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
        """
        grouped: dict[str, dict] = {}
        for row in service().definitions():
            entry = grouped.setdefault(
                row["key"], {"key": row["key"], "name": row["name"], "published": None, "versions": []}
            )
            entry["versions"].append(row)
            entry["name"], entry["latest"] = row["name"], row["version"]
            if row["status"] == "published":
                entry["published"] = row["version"]
        return ok({"definitions": list(grouped.values())})

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @answers
    def upload(self) -> Response:
        """Validate and store an uploaded unit; nothing is stored when anything is wrong.
        ---
        post:
          summary: Deploy a .bpmn file or a .zip unit as new version(s)
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema: {$ref: '#/components/schemas/UnitUpload'}
          responses:
            201:
              description: at least one new version was stored
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Deployed'}
            200:
              description: identical content is already deployed (`unchanged`)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Deployed'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            422: {$ref: '#/components/responses/OwInvalid'}
        """
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput(Problem(_("请用 multipart 字段 file 上传 .bpmn 或 .zip 文件"), field="file"))
        max_bytes = service().settings.max_upload_bytes
        unit = uploaded_unit(upload.filename or "", upload.stream.read(max_bytes + 1), max_bytes)
        deployed = service().deploy_unit(
            unit,
            publish=request.form.get("publish", "").lower() in TRUE,
            tag=request.form.get("tag") or None,
            actor=username(),
        )
        return ok({"deployed": deployed}, 200 if all(d["unchanged"] for d in deployed) else 201)

    @expose("/<key>/<int:version>/publish", methods=["POST"])
    @protect()
    @safe
    @answers
    def publish(self, key: str, version: int) -> Response:
        """Publish a version: new cases of the key start it.
        ---
        post:
          summary: Publish a version
          parameters:
          - {in: path, name: key, required: true, schema: {type: string}}
          - {in: path, name: version, required: true, schema: {type: integer}}
          responses:
            200:
              description: the version (`unchanged` when it was already published)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DefinitionVersion'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            404: {$ref: '#/components/responses/OwNotFound'}
            409: {$ref: '#/components/responses/OwConflict'}
        """
        return ok(service().set_status(key, version, "published", actor=username()))

    @expose("/<key>/<int:version>/retire", methods=["POST"])
    @protect()
    @safe
    @answers
    def retire(self, key: str, version: int) -> Response:
        """Retire a version: running cases go on, no new case starts it.
        ---
        post:
          summary: Retire a version
          parameters:
          - {in: path, name: key, required: true, schema: {type: string}}
          - {in: path, name: version, required: true, schema: {type: integer}}
          responses:
            200:
              description: the version (`unchanged` when it was already retired)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DefinitionVersion'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            404: {$ref: '#/components/responses/OwNotFound'}
            409: {$ref: '#/components/responses/OwConflict'}
        """
        return ok(service().set_status(key, version, "retired", actor=username()))


# -- cases -------------------------------------------------------------------------------------------
class CaseApi(OneWindowApi):
    resource_name = "cases"
    class_permission_name = "CaseApi"
    method_permission_name = {"start": "post", "case": "get", "document": "get"}

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @answers
    def start(self) -> Response:
        """Open a case (办件): it belongs to the org unit where the token's user works.
        ---
        post:
          summary: Start a case of a published service item
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/StartCase'}
          responses:
            201:
              description: the case number, the instance and the first open steps
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Started'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            404: {$ref: '#/components/responses/OwNotFound'}
            409: {$ref: '#/components/responses/OwConflict'}
            422: {$ref: '#/components/responses/OwInvalid'}
        """
        body = json_body()
        item = text_field(body, "item", required=True)
        data = object_field(body, "data")
        business_key = text_field(body, "business_key")
        started = service().start(
            item,
            data,
            business_key=business_key,
            actor=username(),
            attachment_ids=attachment_ids(body),
        )
        return ok(started, 201)

    @expose("/<number>", methods=["GET"])
    @protect()
    @safe
    @answers
    def case(self, number: str) -> Response:
        """A case for whoever may see it: status, deadlines, steps, documents and attachments.
        ---
        get:
          summary: Get a case by its number
          parameters:
          - {in: path, name: number, required: true, schema: {type: string}}
          responses:
            200:
              description: the case
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Case'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            404: {$ref: '#/components/responses/OwNotFound'}
        """
        found = service().case(number)
        check_case_view(found)
        found["documents"] = document_list(found)
        found["attachments"] = service().attachments_of(found["instance"])
        return ok(found)

    @expose("/<number>/documents/<kind>", methods=["GET"])
    @protect()
    @safe
    @answers
    def document(self, number: str, kind: str) -> Response:
        """One of the case's printable documents as a PDF (`kind` may end in .pdf).
        ---
        get:
          summary: Get a case document as PDF
          parameters:
          - {in: path, name: number, required: true, schema: {type: string}}
          - in: path
            name: kind
            required: true
            schema:
              type: string
              enum: [receipt, one_time_notice, acceptance, refusal, completion,
                     receipt.pdf, one_time_notice.pdf, acceptance.pdf, refusal.pdf, completion.pdf]
          responses:
            200:
              description: the PDF
              content:
                application/pdf:
                  schema: {type: string, format: binary}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            404: {$ref: '#/components/responses/OwNotFound'}
            422: {$ref: '#/components/responses/OwInvalid'}
        """
        check_case_view(service().case(number))
        _html, pdf, file_name = service().document(number, kind.removesuffix(".pdf"))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=file_name)


class AttachmentApi(OneWindowApi):
    """Materials (附件) are part of cases: the same permission as CaseApi."""

    resource_name = "attachments"
    class_permission_name = "CaseApi"
    method_permission_name = {"upload": "post", "download": "get"}

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @answers
    def upload(self) -> Response:
        """Store a material before the case or step it belongs to; link it with `attachments: [id]`.
        ---
        post:
          summary: Upload a material (PDF, JPEG, PNG or OFD; checked by content)
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema: {$ref: '#/components/schemas/Upload'}
          responses:
            201:
              description: the stored upload
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Attachment'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            422: {$ref: '#/components/responses/OwInvalid'}
        """
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput(Problem(_("请用 multipart 字段 file 上传材料"), field="file"))
        material = request.form.get("material") or None
        saved = service().upload(upload.stream, upload.filename or "", material=material, actor=username())
        return ok(saved, 201)

    @expose("/<int:attachment_id>", methods=["GET"])
    @protect()
    @safe
    @answers
    def download(self, attachment_id: int) -> Response:
        """The uploaded file, for its uploader and for whoever may see its case.
        ---
        get:
          summary: Download a material
          parameters:
          - {in: path, name: attachment_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: the file, with its stored content type
              content:
                application/octet-stream:
                  schema: {type: string, format: binary}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            404: {$ref: '#/components/responses/OwNotFound'}
        """
        found, path = service().attachment(attachment_id, username(), see_all=sees_all())
        answer = send_file(
            path, mimetype=found["content_type"], as_attachment=True, download_name=found["file_name"]
        )
        answer.headers["X-Content-Type-Options"] = "nosniff"
        return answer


# -- tasks -------------------------------------------------------------------------------------------
def _task_path_doc(body: str | None, result: str, conflict: bool = True) -> dict:
    """The OpenAPI parameters, body and responses of a task action (its docstring gives the summary)."""
    operation: dict[str, Any] = {
        "parameters": [{"in": "path", "name": "task_id", "required": True, "schema": {"type": "integer"}}],
        "responses": {
            "200": {"description": "done", "content": {"application/json": {"schema": _ref(result)}}},
            "401": {"$ref": "#/components/responses/OwUnauthorized"},
            "403": {"$ref": "#/components/responses/OwForbidden"},
            "404": {"$ref": "#/components/responses/OwNotFound"},
            "422": {"$ref": "#/components/responses/OwInvalid"},
        },
    }
    if conflict:
        operation["responses"]["409"] = {"$ref": "#/components/responses/OwConflict"}
    if body is not None:
        operation["requestBody"] = {
            "required": body not in ("Urge",),
            "content": {"application/json": {"schema": _ref(body)}},
        }
    return {"post": operation}


class TaskApi(OneWindowApi):
    resource_name = "tasks"
    class_permission_name = "TaskApi"
    method_permission_name = {
        "inbox": "get",
        "task": "get",
        **{
            name: "post"
            for name in (
                "claim",
                "unclaim",
                "complete",
                "reject",
                "send_back",
                "supplement",
                "transfer",
                "comment",
                "urge",
            )
        },
    }
    # The actions share one shape: their docstrings name them, the rest is merged in from here.
    openapi_spec_methods = {
        "claim": _task_path_doc(None, "Task"),
        "unclaim": _task_path_doc(None, "Task"),
        "complete": _task_path_doc("Complete", "Moved"),
        "reject": _task_path_doc("Reason", "Moved"),
        "send_back": _task_path_doc("SendBack", "Moved"),
        "supplement": _task_path_doc("Reason", "Moved"),
        "transfer": _task_path_doc("Transfer", "Task"),
        "comment": _task_path_doc("Comment", "Commented", False),
        "urge": _task_path_doc("Urge", "Urged"),
    }

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @answers
    def inbox(self) -> Response:
        """One page of the user's inbox (the CLI's `tasks --as USER`).
        ---
        get:
          summary: The inbox
          parameters:
          - in: query
            name: view
            description: >-
              mine (待办: claimed by me), group (待签收: open tasks of my groups within my org units),
              done (已办), started (我发起的); without it every open task I may see
            schema: {type: string, enum: [mine, todo, group, done, started]}
          - {in: query, name: item, description: only this process key, schema: {type: string}}
          - {in: query, name: group, description: only this group code, schema: {type: string}}
          - in: query
            name: state
            description: without a view only
            schema: {type: string, enum: [open, claimed, completed, cancelled]}
          - {in: query, name: sort, schema: {type: string, enum: [due, created, priority], default: due}}
          - {in: query, name: page, schema: {type: integer, minimum: 1, default: 1}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 200, default: 50}}
          responses:
            200:
              description: one page of tasks (no total count; follow next_page)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Inbox'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            422: {$ref: '#/components/responses/OwInvalid'}
        """
        page = int_arg("page", 1, 1)
        page_size = int_arg("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        view = request.args.get("view") or None
        rows = service().tasks(
            username(),
            view=view,
            group=request.args.get("group") or None,
            state=request.args.get("state") or None,
            item=request.args.get("item") or None,
            sort=request.args.get("sort") or "due",
            limit=page_size,
            offset=(page - 1) * page_size,
        )
        next_page = page + 1 if len(rows) == page_size else None
        return ok({"view": view, "page": page, "page_size": page_size, "next_page": next_page, "tasks": rows})

    @expose("/<int:task_id>", methods=["GET"])
    @protect()
    @safe
    @answers
    def task(self, task_id: int) -> Response:
        """One task with its form and the actions it offers, for a user who may see it.
        ---
        get:
          summary: Get a task
          parameters:
          - {in: path, name: task_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: the task, its form (JSON Schema and uiSchema) and its actions
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/TaskDetail'}
            401: {$ref: '#/components/responses/OwUnauthorized'}
            403: {$ref: '#/components/responses/OwForbidden'}
            404: {$ref: '#/components/responses/OwNotFound'}
        """
        return ok(service().task(task_id, username(), see_all=sees_all()))

    @expose("/<int:task_id>/claim", methods=["POST"])
    @protect()
    @safe
    @answers
    def claim(self, task_id: int) -> Response:
        """签收: take a task of one of my groups.
        ---
        post:
          summary: Claim (签收) a group task
        """
        return ok(service().claim(task_id, username()))

    @expose("/<int:task_id>/unclaim", methods=["POST"])
    @protect()
    @safe
    @answers
    def unclaim(self, task_id: int) -> Response:
        """Give a task back to its group.
        ---
        post:
          summary: Give a claimed task back to its group
        """
        return ok(service().unclaim(task_id, username()))

    @expose("/<int:task_id>/complete", methods=["POST"])
    @protect()
    @safe
    @answers
    def complete(self, task_id: int) -> Response:
        """办理: the form data is validated against the step's schema; 422 lists every field problem.
        ---
        post:
          summary: Complete (办理) a task with its form data
        """
        body = json_body()
        return ok(
            service().complete(
                task_id,
                username(),
                object_field(body, "data"),
                text_field(body, "opinion"),
                attachment_ids(body),
            )
        )

    @expose("/<int:task_id>/reject", methods=["POST"])
    @protect()
    @safe
    @answers
    def reject(self, task_id: int) -> Response:
        """驳回 / 不通过 with a reason.
        ---
        post:
          summary: Reject (驳回 / 不通过) - the step's no path
        """
        body = json_body()
        reason = text_field(body, "reason", required=True)
        return ok(service().reject(task_id, username(), reason, object_field(body, "data")))

    @expose("/<int:task_id>/send_back", methods=["POST"])
    @protect()
    @safe
    @answers
    def send_back(self, task_id: int) -> Response:
        """退回上一步 with a reason.
        ---
        post:
          summary: Send back (退回) to the previous step
        """
        body = json_body()
        return ok(service().send_back(task_id, username(), text_field(body, "reason", required=True)))

    @expose("/<int:task_id>/supplement", methods=["POST"])
    @protect()
    @safe
    @answers
    def supplement(self, task_id: int) -> Response:
        """补正: back to the applicant with what is missing.
        ---
        post:
          summary: Ask the applicant for 补正 (the 补正 path)
        """
        body = json_body()
        reason = text_field(body, "reason", required=True)
        return ok(service().supplement(task_id, username(), reason, object_field(body, "data")))

    @expose("/<int:task_id>/transfer", methods=["POST"])
    @protect()
    @safe
    @answers
    def transfer(self, task_id: int) -> Response:
        """转办 to a colleague of the task's group and org unit.
        ---
        post:
          summary: Transfer (转办) to a colleague of the group
        """
        body = json_body()
        to_user = text_field(body, "to", required=True)
        return ok(service().transfer(task_id, username(), to_user, text_field(body, "note")))

    @expose("/<int:task_id>/comment", methods=["POST"])
    @protect()
    @safe
    @answers
    def comment(self, task_id: int) -> Response:
        """评论 on the case's timeline.
        ---
        post:
          summary: Comment (评论) on the case's timeline
        """
        body = json_body()
        text = text_field(body, "text", required=True)
        return ok(service().comment(task_id, username(), text, see_all=sees_all()))

    @expose("/<int:task_id>/urge", methods=["POST"])
    @protect()
    @safe
    @answers
    def urge(self, task_id: int) -> Response:
        """催办 whoever holds the task.
        ---
        post:
          summary: Urge (催办) whoever holds the task
        """
        body = json_body(required=False)
        return ok(service().urge(task_id, username(), text_field(body, "text"), see_all=sees_all()))


APIS = (DefinitionApi, CaseApi, AttachmentApi, TaskApi)


def register(appbuilder: AppBuilder) -> None:
    app = current_app
    # Token errors (missing, expired) answer {"message": …} like every other API error.
    app.config["JWT_ERROR_MESSAGE_KEY"] = "message"
    for api in APIS:
        appbuilder.add_api(api)

    @app.errorhandler(405)
    def method_not_allowed(exc: HTTPException):
        """A wrong method under /api/ answers JSON too; elsewhere Flask's own page."""
        return json_error(exc) if request.path.startswith("/api/") else exc
