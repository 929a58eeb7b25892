"""What the API answers, as marshmallow schemas: only described (they are OpenAPI components), never used
to filter an answer, which is the service's dict as the CLI prints it with --json."""

from __future__ import annotations

from marshmallow import fields, validate

from orchestrator.gov.vocabulary import DOCUMENT_KINDS
from orchestrator.runtime.tasks import STATES

from .schemas import OwSchema, about, maybe

ACTIONS = ["claim", "unclaim", "complete", "transfer", "comment", "urge", "reject", "supplement", "send_back"]


class DefinitionVersionSchema(OwSchema):
    key = fields.String()
    version = fields.Integer()
    status = fields.String(validate=validate.OneOf(["draft", "published", "retired"]))
    checksum = fields.String()
    tag = maybe(fields.String)
    unchanged = fields.Boolean()
    name = maybe(fields.String)
    deployed_at = fields.DateTime()
    deployed_by = maybe(fields.String)
    running_instances = fields.Integer()


class DefinitionSchema(OwSchema):
    key = fields.String()
    name = maybe(fields.String)
    latest = fields.Integer()
    published = maybe(fields.Integer, "the version new cases start")
    versions = fields.List(fields.Nested(DefinitionVersionSchema))


class DefinitionsSchema(OwSchema):
    definitions = fields.List(
        fields.Nested(DefinitionSchema), metadata=about("every key, versions oldest first")
    )


class DeployedSchema(OwSchema):
    deployed = fields.List(
        fields.Nested(DefinitionVersionSchema),
        metadata=about("one entry per executable process of the unit; `unchanged` when identical"),
    )


class ReportLineSchema(OwSchema):
    kind = fields.String(validate=validate.OneOf(["translated", "documentation", "fix"]))
    message = fields.String()
    file = maybe(fields.String)
    line = maybe(fields.Integer)
    element = maybe(fields.String)
    field = maybe(fields.String)


class ImportedSchema(OwSchema):
    versions = fields.List(fields.Nested(DefinitionVersionSchema), metadata=about("the drafts stored"))
    runnable = fields.Boolean(metadata=about("nothing to fix: the drafts can be published as they are"))
    report = fields.List(
        fields.Nested(ReportLineSchema),
        metadata=about("what was translated, kept as documentation, or is still to fix, each on its element"),
    )


class TaskSchema(OwSchema):
    id = fields.Integer()
    name = fields.String(metadata=about("the BPMN element id of the step"))
    title = maybe(fields.String)
    group = maybe(fields.String, "candidate group code")
    assignee = maybe(fields.String)
    state = fields.String(validate=validate.OneOf(STATES))
    form = maybe(fields.String)
    instance = fields.Integer()
    due_at = maybe(fields.DateTime)


class InboxTaskSchema(TaskSchema):
    case_number = maybe(fields.String)
    item = fields.String()
    process = fields.String()
    applicant = maybe(fields.String)
    priority = maybe(fields.Integer)
    created_at = fields.DateTime()
    completed_at = maybe(fields.DateTime)
    completed_by = maybe(fields.String)
    opinion = maybe(fields.String)
    action = maybe(fields.String)
    urged_at = maybe(fields.DateTime)
    org_path = fields.String()
    days_left = maybe(fields.Integer, "working days left; negative when overdue")
    warning = maybe(fields.String, validate=validate.OneOf(["reminder", "yellow", "red"]))


class InboxSchema(OwSchema):
    view = maybe(fields.String)
    page = fields.Integer()
    page_size = fields.Integer()
    next_page = maybe(fields.Integer, "set when this page is full (the next may be empty)")
    tasks = fields.List(fields.Nested(InboxTaskSchema))


class TaskDetailSchema(TaskSchema):
    process = fields.String()
    version = fields.Integer()
    form_schema = maybe(fields.Dict, "JSON Schema of the step's form")
    ui_schema = maybe(fields.Dict)
    opinion = maybe(fields.String)
    action = maybe(fields.String)
    completed_by = maybe(fields.String)
    org_path = fields.String()
    actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)))
    catalog = maybe(fields.Dict, "the service item's catalog entry")


class MovedSchema(OwSchema):
    class Meta(OwSchema.Meta):
        description = "a completed step (complete, reject, supplement, send_back) and the steps now open"

    task = fields.Integer()
    instance = fields.Integer()
    status = fields.String()
    tasks = fields.List(fields.Nested(TaskSchema))


class StartedSchema(OwSchema):
    case_number = maybe(fields.String)
    instance = fields.Integer()
    business_key = maybe(fields.String)
    status = fields.String()
    tasks = fields.List(fields.Nested(TaskSchema))


class CaseStepSchema(OwSchema):
    name = fields.String()
    node = fields.String()
    group = maybe(fields.String)
    state = fields.String()
    handler = maybe(fields.String)
    opinion = maybe(fields.String)
    action = maybe(fields.String)
    started_at = fields.DateTime()
    ended_at = maybe(fields.DateTime)


class DocumentSchema(OwSchema):
    kind = fields.String(validate=validate.OneOf(list(DOCUMENT_KINDS)))
    title = fields.String()
    url = fields.String()


class AttachmentSchema(OwSchema):
    id = fields.Integer()
    ref = fields.String(metadata={"example": "attachment:7"})
    material = maybe(fields.String)
    file_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    instance = maybe(fields.Integer)
    uploaded_by = maybe(fields.String)
    uploaded_at = fields.DateTime()


class CaseSchema(OwSchema):
    case_number = fields.String()
    item = fields.String()
    item_name = fields.String()
    instance = fields.Integer()
    status_code = fields.Integer(validate=validate.Range(min=1, max=15))
    status = fields.String()
    case_class = maybe(fields.Integer)
    local_type = maybe(fields.String)
    applicant = fields.Dict()
    proxy = maybe(fields.Dict)
    channel = fields.String()
    received_at = fields.DateTime()
    accepted_at = maybe(fields.DateTime)
    promised_limit = maybe(fields.Integer)
    statutory_limit = maybe(fields.Integer)
    promised_due = maybe(fields.DateTime)
    statutory_due = maybe(fields.DateTime)
    provisional = fields.Boolean()
    closed_at = maybe(fields.DateTime)
    tolerated = fields.List(fields.String())
    warnings = fields.List(fields.Dict())
    result = maybe(fields.Dict)
    paused = fields.List(fields.Dict())
    steps = fields.List(fields.Nested(CaseStepSchema))
    documents = fields.List(fields.Nested(DocumentSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))


class CommentedSchema(OwSchema):
    task = fields.Integer()
    comment = fields.String()


class UrgedSchema(OwSchema):
    task = fields.Integer()
    urged_at = fields.DateTime()


class TemplateSchema(OwSchema):
    code = fields.String()
    name = fields.String()
    local_class = fields.String()
    description = maybe(fields.String)
    source = fields.String(metadata={"enum": ["repository", "saved"]})
    based_on = maybe(fields.String)


class TemplatesSchema(OwSchema):
    templates = fields.List(fields.Nested(TemplateSchema))


class NewItemMadeSchema(OwSchema):
    key = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"enum": ["draft"]})
