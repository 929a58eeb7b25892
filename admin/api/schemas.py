"""The API's requests (and error answers) as marshmallow schemas: requests are loaded (validated) with them,
and they are OpenAPI components of /api/v1/_openapi, so the checks and the document come from one place.

marshmallow's own messages are English; `MESSAGES` gives each a Chinese message id (its English, marshmallow's
own text, is in translations/en/api.po). A schema speaks the request's language: make one per request.
"""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from orchestrator.core.errors import NotAllowed, NotFound
from orchestrator.gov.inbox import MAX_PAGE, SORTS, VIEW_ALIASES, VIEWS
from orchestrator.runtime.tasks import STATES

from ..web import sees_all, service, username

DEFAULT_PAGE_SIZE = 50
MAX_ID = 2**63 - 1  # ids are BIGINTs
MESSAGES = {
    "Missing data for required field.": _l("缺少必填字段。"),
    "Field may not be null.": _l("不能为 null。"),
    "Invalid value.": _l("值无效。"),
    "Invalid input type.": _l("输入类型无效。"),
    "Unknown field.": _l("未知字段。"),
    "Not a valid string.": _l("不是有效的字符串。"),
    "Not a valid utf-8 string.": _l("不是有效的 UTF-8 字符串。"),
    "Not a valid integer.": _l("不是有效的整数。"),
    "Not a valid number.": _l("不是有效的数字。"),
    "Number too large.": _l("数值过大。"),
    "Not a valid boolean.": _l("不是有效的布尔值。"),
    "Not a valid list.": _l("不是有效的列表。"),
    "Not a valid mapping type.": _l("不是有效的 JSON 对象。"),
    "Not a valid file.": _l("不是上传的文件。"),
    "Must be one of: {choices}.": _l("须为以下之一：{choices}。"),
    "Must be greater than or equal to {min}.": _l("须大于或等于 {min}。"),
    "Must be less than or equal to {max}.": _l("须小于或等于 {max}。"),
    "Must be greater than or equal to {min} and less than or equal to {max}.": _l(
        "须在 {min} 到 {max} 之间。"
    ),
    "Shorter than minimum length {min}.": _l("短于最小长度 {min}。"),
    "Longer than maximum length {max}.": _l("超过最大长度 {max}。"),
    "Length must be between {min} and {max}.": _l("长度须在 {min} 到 {max} 之间。"),
}
VALIDATOR_MESSAGES = ("error", "message_min", "message_max", "message_all", "default_message")


def translated(message: Any) -> Any:
    return str(MESSAGES[message]) if isinstance(message, str) and message in MESSAGES else message


def speak(field: fields.Field) -> None:
    """Put the built-in messages of a schema's own copy of a field (and of its inner fields and validators,
    which copies of a field share: they are copied too) in the current language."""
    field.error_messages = {key: translated(text) for key, text in field.error_messages.items()}
    field.validators = [spoken(validator) for validator in field.validators]
    for name in ("inner", "key_field", "value_field"):
        inner = getattr(field, name, None)
        if isinstance(inner, fields.Field):
            inner = copy.copy(inner)
            setattr(field, name, inner)
            speak(inner)


def spoken(validator: Any) -> Any:
    texts = {name: getattr(validator, name, None) for name in VALIDATOR_MESSAGES}
    texts = {name: text for name, text in texts.items() if isinstance(text, str) and text in MESSAGES}
    if not texts:
        return validator
    validator = copy.copy(validator)
    for name, text in texts.items():
        setattr(validator, name, translated(text))
    return validator


class OwSchema(Schema):
    """Our schemas: unknown fields are ignored (as they always were), messages are in the request's language,
    and the OpenAPI component is named after the class without "Schema"."""

    location = "json"  # where a request carries it: "json" (the body), "form" (multipart) or "query"
    body_optional = False  # an empty request body is `{}` (else 422): every field is optional

    class Meta:
        unknown = EXCLUDE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__component_name__ = cls.__name__.removesuffix("Schema")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_messages = {key: translated(text) for key, text in self.error_messages.items()}
        for field in self.fields.values():
            speak(field)


def about(text: str, **more: Any) -> dict[str, Any]:
    return {"description": text, **more}


def maybe(kind: type[fields.Field], description: str | None = None, **kwargs: Any) -> fields.Field:
    """A field that may be null (documentation of answers)."""
    return kind(allow_none=True, metadata=about(description) if description else {}, **kwargs)


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError(_("不能为空白。"))


def text_field(
    required: bool = False, description: str | None = None, max_length: int | None = None
) -> fields.String:
    """A text field of a request: required ones may not be blank, optional ones may be null."""
    checks: list[Any] = [not_blank] if required else []
    if max_length is not None:
        checks.append(validate.Length(max=max_length))
    return fields.String(
        required=required,
        allow_none=not required,
        validate=checks,
        metadata=about(description) if description else {},
    )


class JsonObject(fields.Dict):
    """A JSON object; null or absent is `{}`."""

    def __init__(self, description: str | None = None, **kwargs: Any):
        super().__init__(
            allow_none=True, load_default=dict, metadata=about(description or "a JSON object"), **kwargs
        )

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        return {} if value is None else super().deserialize(value, attr, data, **kwargs)


def usable_uploads(ids: list[int]) -> None:
    """Uploads to link to a case or step: each must be the user's own (or visible to them) and unlinked."""
    problems = []
    for attachment_id in ids:
        try:
            found, _path = service().attachment(attachment_id, username(), see_all=sees_all())
        except (NotFound, NotAllowed):
            problems.append(_("没有可用的附件 %(id)s", id=attachment_id))
            continue
        if found["instance"] is not None:
            problems.append(_("附件 %(id)s 已属于其他办件", id=attachment_id))
    if problems:
        raise ValidationError(problems)


class AttachmentIds(fields.List):
    """Ids of uploads to link to a case or step (see `usable_uploads`); null or absent is `[]`."""

    def __init__(self) -> None:
        super().__init__(
            fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
            allow_none=True,
            load_default=list,
            validate=[validate.Length(max=100), usable_uploads],
            metadata=about("ids of your own uploads (POST /api/v1/attachments/) not yet linked to a case"),
        )

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        return [] if value is None else super().deserialize(value, attr, data, **kwargs)


class File(fields.Field):
    """An uploaded file of a multipart body."""

    default_error_messages = {"invalid": "Not a valid file."}

    def __init__(self, description: str, missing: Any, **kwargs: Any):
        super().__init__(
            required=True,
            error_messages={"required": missing},
            metadata=about(description, type="string", format="binary"),
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


# -- requests ----------------------------------------------------------------------------------------
class StartCaseSchema(OwSchema):
    item = text_field(True, "process key of a published service item")
    data = JsonObject("application data; `applicant` is required")
    business_key = text_field(max_length=200)
    attachments = AttachmentIds()
    window = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata=about(
            "id of the window the case is received at (an open window of a hall where you work); "
            "default: the window you sit at (我的窗口), for a case received at the window (窗口)"
        ),
    )


class CompleteSchema(OwSchema):
    data = JsonObject("the step's form data (validated by its JSON Schema)")
    opinion = text_field()
    attachments = AttachmentIds()


class ReasonSchema(OwSchema):
    reason = text_field(True, max_length=2000)
    data = JsonObject()


class SendBackSchema(OwSchema):
    reason = text_field(True, max_length=2000)


class TransferSchema(OwSchema):
    to = text_field(True, "a user of the task's group")
    note = text_field()


class CommentSchema(OwSchema):
    text = text_field(True)


class UrgeSchema(OwSchema):
    body_optional = True
    text = text_field()


class UploadSchema(OwSchema):
    location = "form"
    file = File(".pdf .jpg .png .ofd, 10 MB at most", _l("请用 multipart 字段 file 上传材料"))
    material = text_field(description="which catalog material this is")


class UnitUploadSchema(OwSchema):
    location = "form"
    file = File("a .bpmn file or a .zip unit", _l("请用 multipart 字段 file 上传 .bpmn 或 .zip 文件"))
    publish = fields.Boolean(load_default=False)
    tag = text_field(max_length=100)


class ImportSchema(OwSchema):
    """Diagrams drawn elsewhere, imported as a draft with a report (`onewindow import`)."""

    location = "form"
    file = File(
        "a .bpmn file or a .zip (a folder zipped)", _l("请用 multipart 字段 file 上传 .bpmn 或 .zip 文件")
    )
    map_lane = text_field(
        description="lanes or candidate groups → OneWindow groups: NAME=GROUP, one a line (or ; between)",
        max_length=5000,
    )
    key = text_field(description="the process key; needed when the process id already exists", max_length=200)


class InboxQuerySchema(OwSchema):
    location = "query"
    view = fields.String(
        validate=validate.OneOf([*VIEW_ALIASES, *VIEWS]),
        metadata=about(
            "mine (待办: claimed by me), group (待签收: open tasks of my groups within my org units), "
            "done (已办), started (我发起的); without it every open task I may see"
        ),
    )
    item = fields.String(metadata=about("only this process key"))
    group = fields.String(metadata=about("only this group code"))
    state = fields.String(validate=validate.OneOf(STATES), metadata=about("without a view only"))
    sort = fields.String(load_default="due", validate=validate.OneOf(list(SORTS)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE))


# -- error answers -----------------------------------------------------------------------------------
class ProblemSchema(OwSchema):
    message = fields.String(required=True)
    file = maybe(fields.String)
    line = maybe(fields.Integer)
    element = maybe(fields.String)
    field = fields.String(metadata=about("the field, a dotted path into the body (`attachments.0`)"))


class ErrorDetailSchema(OwSchema):
    code = fields.String(
        validate=validate.OneOf(["invalid_input", "conflict", "not_found", "not_allowed", "unexpected"])
    )
    message = fields.String()
    problems = fields.List(fields.Nested(ProblemSchema))


class ErrorSchema(OwSchema):
    message = fields.String(required=True)
    error = fields.Nested(ErrorDetailSchema, metadata=about("what the CLI prints with --json"))
    errors = fields.List(fields.Nested(ProblemSchema), metadata=about("422 only: every problem"))


class NewItemSchema(OwSchema):
    """A new service item made from a template (新建事项)."""

    key = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata=about("its process key")
    )
    template = fields.String(
        required=True,
        metadata=about("a template code (GET /templates/) or a class: 即办 承诺 联办 上报 代办"),
    )
    name = text_field(True, "the item's Chinese name", 200)
    code = text_field(True, "the item's code (基本编码)", 64)
    lead = text_field(True, "the lead department (a group code)", 64)
    co = fields.List(fields.String(), load_default=list, metadata=about("co-departments (联办), group codes"))
    org = text_field(False, "the implementing org unit (a code)", 64)
    type = text_field(False, "事项类型, e.g. 行政许可 (default: the template's)", 50)
    statutory_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))
    promised_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))
    materials = fields.List(fields.String(), load_default=list, metadata=about("required materials' names"))
