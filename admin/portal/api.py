"""The portal's REST twin, /api/v1/portal/ (in the OpenAPI document with the rest of the API).

The guide and the progress query need no login. A citizen logs in with phone and password and gets a bearer
token of their own (signed with the app's secret, salt "portal", 8 hours): it opens /api/v1/portal/ only, and
staff tokens open nothing here. Every case is looked up as the token's citizen's own: anyone else's is 404.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import fields, validate

from orchestrator.core.errors import NotFound, OneWindowError

from ..api.schemas import File, JsonObject, OwSchema, about, text_field
from ..web import service
from . import too_many

TOKEN_SECONDS = 8 * 3600
PREFIX = "pt."
OBJECT: dict[str, Any] = {"type": "object"}
TOO_MANY = {"description": "too many requests from this address: try again later"}


class Unauthorized(OneWindowError):
    http_status = 401
    code = "unauthorized"


class TooMany(OneWindowError):
    http_status = 429
    code = "too_many_requests"


# -- requests --------------------------------------------------------------------------------------------
def upload_ids() -> fields.List:
    return fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**63 - 1)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata=about("ids of your own uploads (POST uploads) not yet linked to a case"),
    )


class ItemQuerySchema(OwSchema):
    location = "query"
    body_optional = True
    q = fields.String(validate=validate.Length(max=100), metadata=about("name, code, department, pinyin"))
    event = fields.String(validate=validate.Length(max=20), metadata=about("a life event (生育, 就业 …)"))


class CodeRequestSchema(OwSchema):
    phone = text_field(True, "mobile number", 20)
    purpose = fields.String(required=True, validate=validate.OneOf(["register", "reset"]))


class RegisterSchema(OwSchema):
    phone = text_field(True, "mobile number (11 digits)", 20)
    password = fields.String(required=True, validate=validate.Length(max=200))
    name = text_field(True, "real name", 50)
    id_number = text_field(True, "resident ID number (18 characters, check digit verified)", 18)
    code = text_field(
        description="the SMS code (POST codes, purpose register); without it a code is sent", max_length=6
    )
    company_name = text_field(max_length=200)
    credit_code = text_field(
        description="统一社会信用代码 of the company the citizen acts for", max_length=18
    )


class LoginSchema(OwSchema):
    phone = fields.String(required=True, validate=validate.Length(max=20))
    password = fields.String(required=True, validate=validate.Length(max=200))


class VerifySchema(OwSchema):
    code = text_field(True, "the SMS code", 6)


class ResetSchema(OwSchema):
    phone = text_field(True, "mobile number", 20)
    code = text_field(True, "the SMS code (POST codes, purpose reset)", 6)
    password = fields.String(required=True, validate=validate.Length(max=200))


class DeliverySchema(OwSchema):
    method = fields.String(required=True, validate=validate.OneOf(["window", "courier"]))
    address = text_field(max_length=200)


class ApplicationSchema(OwSchema):
    item = text_field(True, "process key (or code) of a published item that may be applied for online", 200)
    data = JsonObject("the application's form data")
    delivery = fields.Nested(DeliverySchema, load_default=lambda: {"method": "window"})
    hall = text_field(description="org unit code of the hall (镇街 / 区县) that receives it", max_length=64)
    for_company = fields.Boolean(load_default=False)
    attachments = upload_ids()


class PortalUploadSchema(OwSchema):
    location = "form"
    file = File(".pdf .jpg .png .ofd, 10 MB at most", "请用 multipart 字段 file 上传材料")
    material = text_field(description="which catalog material this is", max_length=200)


class SupplementSchema(OwSchema):
    body_optional = True
    attachments = upload_ids()


class WithdrawSchema(OwSchema):
    body_optional = True
    reason = text_field(max_length=500)


class EvaluationSchema(OwSchema):
    level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = text_field(max_length=2000)


class MessageSchema(OwSchema):
    text = text_field(True, "the message to the case's clerk", 500)


class ProgressQuerySchema(OwSchema):
    location = "query"
    case = fields.String(required=True, validate=validate.Length(min=1, max=64))
    tail = fields.String(required=True, validate=validate.Length(equal=6))


SCHEMAS = (
    ItemQuerySchema,
    CodeRequestSchema,
    RegisterSchema,
    LoginSchema,
    VerifySchema,
    ResetSchema,
    DeliverySchema,
    ApplicationSchema,
    PortalUploadSchema,
    SupplementSchema,
    WithdrawSchema,
    EvaluationSchema,
    MessageSchema,
    ProgressQuerySchema,
)


# -- tokens ----------------------------------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="portal-citizen")


def issue_token(citizen_id: int) -> str:
    return PREFIX + _serializer().dumps({"citizen": citizen_id})


def citizen_of_request() -> int:
    header = request.headers.get("Authorization") or ""
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token.startswith(PREFIX):
        raise Unauthorized(_("请先以市民身份登录（Authorization: Bearer <access_token>）"))
    try:
        found = _serializer().loads(token[len(PREFIX) :], max_age=TOKEN_SECONDS)
    except BadSignature:
        raise Unauthorized(_("登录已失效，请重新登录")) from None
    citizen = found.get("citizen") if isinstance(found, dict) else None
    if not isinstance(citizen, int):
        raise Unauthorized(_("登录已失效，请重新登录"))
    try:
        service().citizen(citizen)
    except NotFound:  # the account is gone or disabled
        raise Unauthorized(_("登录已失效，请重新登录")) from None
    return citizen


def limited(kind: str, extra: str = "") -> None:
    if too_many(kind, extra):
        raise TooMany(_("请求太频繁，请稍后再试"))


# -- OpenAPI helpers ---------------------------------------------------------------------------------------
def spec(operation: dict[str, dict], *, auth: bool = False, throttled: bool = False) -> dict[str, dict]:
    for op in operation.values():
        if not auth:
            op["responses"].pop("401", None)
        op["responses"].pop("403", None)
        if throttled:
            op["responses"]["429"] = {
                "description": TOO_MANY["description"],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        if auth:
            op["security"] = [{"jwt": []}]
        else:
            op["security"] = []
    return operation


NUMBER = {"number": {"type": "string", "maxLength": 64}}
