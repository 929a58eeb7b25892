"""PortalApi: the endpoints of /api/v1/portal/ (schemas, tokens and helpers in `api`)."""

from __future__ import annotations

from flask import Response, request
from flask_appbuilder.api import expose
from flask_babel import gettext as _

from orchestrator.core.errors import InvalidInput, NotFound, Problem
from orchestrator.gov.citizens import mask_id, mask_phone

from ..api.base import COMPONENTS, OneWindowApi, get, load, ok, post
from ..web import service
from . import api as a
from . import plain


def _guide_answer(found: dict) -> dict:
    catalog = found["catalog"]
    return {
        **{k: v for k, v in found.items() if k != "catalog"},
        "materials": catalog.get("materials") or [],
        "catalog": catalog,
    }


class PortalApi(OneWindowApi):
    """网上办 / 掌上办 for citizens: no Flask-AppBuilder role; the citizen's own bearer token."""

    resource_name = "portal"
    openapi_spec_tag = "Citizen portal"
    openapi_spec_component_schemas = (*COMPONENTS, *a.SCHEMAS)
    openapi_spec_methods = {
        "items": a.spec(
            get(
                "办事指南: search published items (no login)",
                a.OBJECT,
                takes=a.ItemQuerySchema,
                errors=(422,),
            )
        ),
        "item": a.spec(
            get("办事指南: one item's guide with its materials (no login)", a.OBJECT, errors=(404,))
        ),
        "codes": a.spec(
            post(
                "Send an SMS verification code",
                a.OBJECT,
                {202: "sent (or not, the same answer)"},
                takes=a.CodeRequestSchema,
                errors=(409, 422),
            ),
            throttled=True,
        ),
        "register": a.spec(
            post(
                "Register a citizen account",
                a.OBJECT,
                {201: "the account"},
                takes=a.RegisterSchema,
                errors=(422,),
            ),
            throttled=True,
        ),
        "login": a.spec(
            post(
                "Log in with phone and password",
                a.OBJECT,
                '{"access_token"}',
                takes=a.LoginSchema,
                errors=(422,),
            ),
            auth=True,
            throttled=True,
        ),
        "reset": a.spec(
            post("Reset the password with an SMS code", a.OBJECT, takes=a.ResetSchema, errors=(422,)),
            throttled=True,
        ),
        "me": a.spec(
            get("The logged-in citizen (ID number and phone masked)", a.OBJECT, errors=(404,)), auth=True
        ),
        "verify": a.spec(
            post("Verify the phone with the SMS code", a.OBJECT, takes=a.VerifySchema, errors=(404, 422)),
            auth=True,
        ),
        "upload": a.spec(
            post(
                "Upload a material (before applying)",
                a.OBJECT,
                {201: "the upload"},
                takes=a.PortalUploadSchema,
                errors=(404, 422),
            ),
            auth=True,
        ),
        "applications": a.spec(
            post(
                "Apply online (channel 网上, status 1)",
                a.OBJECT,
                {201: '{"case_number", …}'},
                takes=a.ApplicationSchema,
                errors=(404, 409, 422),
            ),
            auth=True,
        ),
        "cases": a.spec(get("My cases", a.OBJECT, errors=(404,)), auth=True),
        "case": a.spec(get("One of my cases", a.OBJECT, errors=(404,), path=a.NUMBER), auth=True),
        "materials": a.spec(
            post(
                "Add a material to my case (waiting for 网上预审 or 补正)",
                a.OBJECT,
                {201: "the case"},
                takes=a.PortalUploadSchema,
                errors=(404, 409, 422),
                path=a.NUMBER,
            ),
            auth=True,
        ),
        "supplement": a.spec(
            post(
                "补正: link uploads to my case while a 补正 is asked",
                a.OBJECT,
                takes=a.SupplementSchema,
                errors=(404, 409, 422),
                path=a.NUMBER,
            ),
            auth=True,
        ),
        "withdraw": a.spec(
            post(
                "撤件 (before acceptance)",
                a.OBJECT,
                takes=a.WithdrawSchema,
                errors=(404, 409, 422),
                path=a.NUMBER,
            ),
            auth=True,
        ),
        "evaluation": a.spec(
            post(
                "好差评 of my delivered case (once)",
                a.OBJECT,
                {201: "the case with its evaluation"},
                takes=a.EvaluationSchema,
                errors=(404, 409, 422),
                path=a.NUMBER,
            ),
            auth=True,
        ),
        "message": a.spec(
            post(
                "A message to my case's clerk (on the case's timeline)",
                a.OBJECT,
                {201: "the case"},
                takes=a.MessageSchema,
                errors=(404, 422),
                path=a.NUMBER,
            ),
            auth=True,
        ),
        "progress": a.spec(
            get(
                "进度查询 by case number and the last 6 characters of the applicant's ID (no login)",
                a.OBJECT,
                takes=a.ProgressQuerySchema,
                errors=(404, 422),
            ),
            throttled=True,
        ),
    }

    # -- no login ----------------------------------------------------------------------------------------
    @expose("/items", methods=["GET"])
    def items(self) -> Response:
        """Items whose name, code, department, pinyin or life event match `q` (every word)."""
        query = load(a.ItemQuerySchema)
        found = service().guide_items(query.get("q") or "", query.get("event"))
        return ok({"items": found})

    @expose("/items/<code>", methods=["GET"])
    def item(self, code: str) -> Response:
        """The guide: content, legal basis, conditions, materials, steps, limits, fees, place, phones."""
        return ok(_guide_answer(dict(service().guide(code[:200]))))

    @expose("/codes", methods=["POST"])
    def codes(self) -> Response:
        """A 6-digit code by SMS (the default sender writes the outbox); one a minute per phone."""
        body = load(a.CodeRequestSchema)
        a.limited("code", body["phone"])
        service().citizen_send_code(body["phone"], body["purpose"])
        return ok({"sent": True}, 202)

    @expose("/register", methods=["POST"])
    def register(self) -> Response:
        """With `code` the phone is verified at once; without it the account is made and a code is sent
        (POST verify)."""
        body = load(a.RegisterSchema)
        a.limited("register")
        found = service().citizen_register(
            body["phone"],
            body["password"],
            body["name"],
            body["id_number"],
            body.get("code"),
            company_name=body.get("company_name"),
            credit_code=body.get("credit_code"),
            require_code=False,
        )
        return ok(_public(found), 201)

    @expose("/login", methods=["POST"])
    def login(self) -> Response:
        """Locked after five failures in a row (429 with the time), like staff logins."""
        body = load(a.LoginSchema)
        a.limited("login", body["phone"])
        found, state = service().citizen_login(body["phone"], body["password"], request.remote_addr)
        if found is None:
            if state["locked_until"]:
                raise a.TooMany(
                    _("登录失败次数过多，账户已临时锁定至 %(until)s（UTC）", until=state["locked_until"])
                )
            raise a.Unauthorized(_("手机号或密码不正确"))
        return ok({"access_token": a.issue_token(found["id"])})

    @expose("/reset", methods=["POST"])
    def reset(self) -> Response:
        body = load(a.ResetSchema)
        a.limited("code", body["phone"])
        service().citizen_reset_password(body["phone"], body["code"], body["password"])
        return ok({"reset": True})

    @expose("/progress", methods=["GET"])
    def progress(self) -> Response:
        """A wrong tail answers 404 exactly as a missing case."""
        query = load(a.ProgressQuerySchema)
        a.limited("progress")
        return ok(plain(dict(service().case_progress(query["case"], query["tail"]))))

    # -- the citizen's own ------------------------------------------------------------------------------------
    @expose("/me", methods=["GET"])
    def me(self) -> Response:
        return ok(_public(service().citizen(a.citizen_of_request())))

    @expose("/verify", methods=["POST"])
    def verify(self) -> Response:
        me = a.citizen_of_request()
        body = load(a.VerifySchema)
        return ok(_public(service().citizen_verify(me, body["code"])))

    @expose("/uploads", methods=["POST"])
    def upload(self) -> Response:
        me = a.citizen_of_request()
        body = load(a.PortalUploadSchema)
        upload = body["file"]
        return ok(
            service().citizen_upload(me, upload.stream, upload.filename or "", body.get("material")), 201
        )

    @expose("/applications", methods=["POST"])
    def applications(self) -> Response:
        me = a.citizen_of_request()
        body = load(a.ApplicationSchema)
        key = _item_key(body["item"])
        case = service().citizen_apply(
            me,
            key,
            body["data"],
            body["delivery"],
            org=body.get("hall") or _default_hall(),
            for_company=body["for_company"],
            attachment_ids=body["attachments"],
        )
        return ok(_case_answer(case), 201)

    @expose("/cases", methods=["GET"])
    def cases(self) -> Response:
        return ok({"cases": [plain(dict(c)) for c in service().citizen_cases(a.citizen_of_request())]})

    @expose("/cases/<number>", methods=["GET"])
    def case(self, number: str) -> Response:
        return ok(_case_answer(service().citizen_case(a.citizen_of_request(), number[:64])))

    @expose("/cases/<number>/materials", methods=["POST"])
    def materials(self, number: str) -> Response:
        me = a.citizen_of_request()
        service().citizen_case(me, number[:64])  # not mine: 404 before anything is stored
        body = load(a.PortalUploadSchema)
        upload = body["file"]
        found = service().citizen_upload(me, upload.stream, upload.filename or "", body.get("material"))
        return ok(_case_answer(service().citizen_add_material(me, number[:64], found["id"])), 201)

    @expose("/cases/<number>/supplement", methods=["POST"])
    def supplement(self, number: str) -> Response:
        me = a.citizen_of_request()
        body = load(a.SupplementSchema)
        return ok(_case_answer(service().citizen_supplement(me, number[:64], body.get("attachments") or [])))

    @expose("/cases/<number>/withdraw", methods=["POST"])
    def withdraw(self, number: str) -> Response:
        me = a.citizen_of_request()
        body = load(a.WithdrawSchema)
        return ok(_case_answer(service().citizen_withdraw(me, number[:64], body.get("reason"))))

    @expose("/cases/<number>/evaluation", methods=["POST"])
    def evaluation(self, number: str) -> Response:
        me = a.citizen_of_request()
        body = load(a.EvaluationSchema)
        found = service().citizen_evaluate(me, number[:64], body["level"], body.get("comment"))
        return ok(_case_answer(found), 201)

    @expose("/cases/<number>/messages", methods=["POST"])
    def message(self, number: str) -> Response:
        me = a.citizen_of_request()
        body = load(a.MessageSchema)
        return ok(_case_answer(service().citizen_message(me, number[:64], body["text"])), 201)


def _public(citizen: dict) -> dict:
    """The account without the full phone (the caller knows it) or ID number."""
    return {k: v for k, v in citizen.items() if k not in ("phone", "tail")}


def _case_answer(case: dict) -> dict:
    applicant = dict(case.get("applicant") or {})
    if applicant.get("id_number"):
        applicant["id_number"] = mask_id(str(applicant["id_number"]))
        if applicant.get("phone"):
            applicant["phone"] = mask_phone(str(applicant["phone"]))
    return plain({**case, "applicant": applicant})


def _item_key(item: str) -> str:
    try:
        return service().guide(item[:200])["key"]
    except NotFound:
        raise InvalidInput(Problem(_("没有可在网上申办的事项 %(item)s", item=item), field="item")) from None


def _default_hall() -> str | None:
    halls = [u for u in service().org_units() if u["level"] == "镇街"]
    return halls[0]["code"] if halls else None
