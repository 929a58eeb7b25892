"""The clerk's inbox and the actions on a task (the CLI's `tasks`, `claim`, `complete` …). Which task a user
may see or act on is decided by `orchestrator` (NotAllowed → 403), never here."""

from __future__ import annotations

from flask import Response
from flask_appbuilder.api import expose, protect

from ..web import sees_all, service, username
from .answers import CommentedSchema, InboxSchema, MovedSchema, TaskDetailSchema, TaskSchema, UrgedSchema
from .base import OneWindowApi, get, load, ok, post
from .schemas import (
    CommentSchema,
    CompleteSchema,
    InboxQuerySchema,
    ReasonSchema,
    SendBackSchema,
    TransferSchema,
    UrgeSchema,
)

ACTION_ERRORS = (404, 409, 422)
ACTIONS = ("claim", "unclaim", "complete", "reject", "send_back", "supplement", "transfer", "comment", "urge")


class TaskApi(OneWindowApi):
    resource_name = "tasks"
    class_permission_name = "TaskApi"
    method_permission_name = {"inbox": "get", "task": "get", **{name: "post" for name in ACTIONS}}
    openapi_spec_methods = {
        "inbox": get(
            "The inbox",
            InboxSchema,
            "one page of tasks (no total count; follow next_page)",
            takes=InboxQuerySchema,
            errors=(404, 422),  # 404: no such group
        ),
        "task": get(
            "Get a task",
            TaskDetailSchema,
            "the task, its form (JSON Schema and uiSchema) and its actions",
            errors=(404,),
        ),
        "claim": post("Claim (签收) a group task", TaskSchema, errors=ACTION_ERRORS),
        "unclaim": post("Give a claimed task back to its group", TaskSchema, errors=ACTION_ERRORS),
        "complete": post(
            "Complete (办理) a task with its form data",
            MovedSchema,
            takes=CompleteSchema,
            errors=ACTION_ERRORS,
        ),
        "reject": post(
            "Reject (驳回 / 不通过) - the step's no path",
            MovedSchema,
            takes=ReasonSchema,
            errors=ACTION_ERRORS,
        ),
        "send_back": post(
            "Send back (退回) to the previous step", MovedSchema, takes=SendBackSchema, errors=ACTION_ERRORS
        ),
        "supplement": post(
            "Ask the applicant for 补正 (the 补正 path)",
            MovedSchema,
            takes=ReasonSchema,
            errors=ACTION_ERRORS,
        ),
        "transfer": post(
            "Transfer (转办) to a colleague of the group",
            TaskSchema,
            takes=TransferSchema,
            errors=ACTION_ERRORS,
        ),
        "comment": post(
            "Comment (评论) on the case's timeline", CommentedSchema, takes=CommentSchema, errors=(404, 422)
        ),
        "urge": post(
            "Urge (催办) whoever holds the task", UrgedSchema, takes=UrgeSchema, errors=ACTION_ERRORS
        ),
    }

    @expose("/", methods=["GET"])
    @protect()
    def inbox(self) -> Response:
        """One page of the user's inbox (the CLI's `tasks --as USER`)."""
        query = load(InboxQuerySchema)
        page, page_size, view = query["page"], query["page_size"], query.get("view")
        rows = service().tasks(
            username(),
            view=view,
            group=query.get("group"),
            state=query.get("state"),
            item=query.get("item"),
            sort=query["sort"],
            limit=page_size,
            offset=(page - 1) * page_size,
        )
        next_page = page + 1 if len(rows) == page_size else None
        return ok({"view": view, "page": page, "page_size": page_size, "next_page": next_page, "tasks": rows})

    @expose("/<int:task_id>", methods=["GET"])
    @protect()
    def task(self, task_id: int) -> Response:
        """One task with its form and the actions it offers, for a user who may see it."""
        return ok(service().task(task_id, username(), see_all=sees_all()))

    @expose("/<int:task_id>/claim", methods=["POST"])
    @protect()
    def claim(self, task_id: int) -> Response:
        """签收: take a task of one of my groups."""
        return ok(service().claim(task_id, username()))

    @expose("/<int:task_id>/unclaim", methods=["POST"])
    @protect()
    def unclaim(self, task_id: int) -> Response:
        """Give a task back to its group."""
        return ok(service().unclaim(task_id, username()))

    @expose("/<int:task_id>/complete", methods=["POST"])
    @protect()
    def complete(self, task_id: int) -> Response:
        """办理: the form data is validated against the step's schema; 422 lists every field problem."""
        body = load(CompleteSchema)
        return ok(
            service().complete(task_id, username(), body["data"], body.get("opinion"), body["attachments"])
        )

    @expose("/<int:task_id>/reject", methods=["POST"])
    @protect()
    def reject(self, task_id: int) -> Response:
        """驳回 / 不通过 with a reason."""
        body = load(ReasonSchema)
        return ok(service().reject(task_id, username(), body["reason"], body["data"]))

    @expose("/<int:task_id>/send_back", methods=["POST"])
    @protect()
    def send_back(self, task_id: int) -> Response:
        """退回上一步 with a reason."""
        return ok(service().send_back(task_id, username(), load(SendBackSchema)["reason"]))

    @expose("/<int:task_id>/supplement", methods=["POST"])
    @protect()
    def supplement(self, task_id: int) -> Response:
        """补正: back to the applicant with what is missing."""
        body = load(ReasonSchema)
        return ok(service().supplement(task_id, username(), body["reason"], body["data"]))

    @expose("/<int:task_id>/transfer", methods=["POST"])
    @protect()
    def transfer(self, task_id: int) -> Response:
        """转办 to a colleague of the task's group and org unit."""
        body = load(TransferSchema)
        return ok(service().transfer(task_id, username(), body["to"], body.get("note")))

    @expose("/<int:task_id>/comment", methods=["POST"])
    @protect()
    def comment(self, task_id: int) -> Response:
        """评论 on the case's timeline."""
        text = load(CommentSchema)["text"]
        return ok(service().comment(task_id, username(), text, see_all=sees_all()))

    @expose("/<int:task_id>/urge", methods=["POST"])
    @protect()
    def urge(self, task_id: int) -> Response:
        """催办 whoever holds the task (an empty body is fine)."""
        text = load(UrgeSchema).get("text")
        return ok(service().urge(task_id, username(), text, see_all=sees_all()))
