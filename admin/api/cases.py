"""Cases (办件): start one, read one with its documents, print a document; materials (附件) uploaded before
the case or step they belong to."""

from __future__ import annotations

import io

from flask import Response, send_file, url_for
from flask_appbuilder.api import expose, protect
from flask_babel import gettext as _

from orchestrator.core.errors import NotAllowed
from orchestrator.gov.vocabulary import DOCUMENT_KINDS

from ..web import sees_all, service, username
from .answers import AttachmentSchema, CaseSchema, StartedSchema
from .base import OneWindowApi, get, load, ok, post
from .schemas import StartCaseSchema, UploadSchema

BINARY = {"type": "string", "format": "binary"}
KINDS = {"type": "string", "enum": [*DOCUMENT_KINDS, *(f"{kind}.pdf" for kind in DOCUMENT_KINDS)]}


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


class CaseApi(OneWindowApi):
    resource_name = "cases"
    class_permission_name = "CaseApi"
    method_permission_name = {"start": "accept", "case": "get", "document": "get"}  # 受理: its own right
    openapi_spec_methods = {
        "start": post(
            "Start a case of a published service item",
            StartedSchema,
            {201: "the case number, the instance and the first open steps"},
            takes=StartCaseSchema,
            errors=(404, 409, 422),
        ),
        "case": get("Get a case by its number", CaseSchema, "the case", errors=(404,)),
        "document": get(
            "Get a case document as PDF",
            BINARY,
            "the PDF",
            media="application/pdf",
            errors=(404, 422),
            path={"kind": KINDS},
        ),
    }

    @expose("/", methods=["POST"])
    @protect()
    def start(self) -> Response:
        """Open a case (办件): it belongs to the org unit where the token's user works."""
        body = load(StartCaseSchema)
        started = service().start(
            body["item"],
            body["data"],
            business_key=body.get("business_key"),
            actor=username(),
            attachment_ids=body["attachments"],
            window=body.get("window"),
        )
        return ok(started, 201)

    @expose("/<number>", methods=["GET"])
    @protect()
    def case(self, number: str) -> Response:
        """A case for whoever may see it: status, deadlines, steps, documents and attachments."""
        found = service().case(number)
        check_case_view(found)
        found["documents"] = document_list(found)
        found["attachments"] = service().attachments_of(found["instance"])
        return ok(found)

    @expose("/<number>/documents/<kind>", methods=["GET"])
    @protect()
    def document(self, number: str, kind: str) -> Response:
        """One of the case's printable documents as a PDF (`kind` may end in .pdf)."""
        check_case_view(service().case(number))
        _html, pdf, file_name = service().document(number, kind.removesuffix(".pdf"))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=file_name)


class AttachmentApi(OneWindowApi):
    """Materials (附件) are part of cases: the same permission as CaseApi."""

    resource_name = "attachments"
    class_permission_name = "CaseApi"
    method_permission_name = {"upload": "post", "download": "get"}
    openapi_spec_methods = {
        "upload": post(
            "Upload a material (PDF, JPEG, PNG or OFD; checked by content)",
            AttachmentSchema,
            {201: "the stored upload"},
            takes=UploadSchema,
            errors=(422,),
        ),
        "download": get(
            "Download a material",
            BINARY,
            "the file, with its stored content type",
            media="application/octet-stream",
            errors=(404,),
        ),
    }

    @expose("/", methods=["POST"])
    @protect()
    def upload(self) -> Response:
        """Store a material before the case or step it belongs to; link it with `attachments: [id]`."""
        form = load(UploadSchema)
        upload = form["file"]
        saved = service().upload(
            upload.stream, upload.filename or "", material=form.get("material"), actor=username()
        )
        return ok(saved, 201)

    @expose("/<int:attachment_id>", methods=["GET"])
    @protect()
    def download(self, attachment_id: int) -> Response:
        """The uploaded file, for its uploader and for whoever may see its case."""
        found, path = service().attachment(attachment_id, username(), see_all=sees_all())
        answer = send_file(
            path, mimetype=found["content_type"], as_attachment=True, download_name=found["file_name"]
        )
        answer.headers["X-Content-Type-Options"] = "nosniff"
        return answer
