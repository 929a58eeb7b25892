"""网上申报, 我的办件 and 进度查询: apply with the item's form and materials, follow one's own cases (status
line, steps, documents), supplement when a 补正 is asked, withdraw while allowed, evaluate when delivered;
anyone may query a case's progress with its number and the applicant's ID tail."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from werkzeug.datastructures import FileStorage

from orchestrator.core.errors import Conflict, InvalidInput, NotFound
from orchestrator.deploy import formats
from orchestrator.gov import vocabulary

from .. import formrender
from ..web import problems_by_field, service
from . import citizen_id, login_required, page, plain, too_many

DOCUMENTS = ("receipt", "one_time_notice", "acceptance", "refusal", "completion")
CONTACT_SCHEMA = {
    "type": "object",
    "properties": {
        "contact_phone": {
            "type": "string",
            "title": "联系电话",
            "format": "cn-mobile",
            "pattern": "^1[3-9][0-9]{9}$",
        },
        "note": {"type": "string", "title": "申请说明", "maxLength": 500},
    },
    "required": ["contact_phone"],
}
CONTACT_UI = {"note": {"ui:widget": "textarea"}}


def halls() -> list[dict]:
    return [dict(u) for u in service().halls()]


def _me() -> int:
    return citizen_id() or 0


def _guide(code: str) -> dict:
    try:
        found = dict(service().guide(code[:200]))
    except NotFound:
        abort(404)
    if not found["online"]:
        abort(404)
    return found


def _apply_page(item: dict, data: dict, errors: dict[str, str], status: int = 200):
    return page(
        "apply.html",
        status,
        item=item,
        form=formrender.render(CONTACT_SCHEMA, CONTACT_UI, data.get("form") or {}, errors, prefix="f"),
        files=formrender.material_file_fields(item["catalog"].get("materials") or []),
        halls=halls(),
        data=data,
        errors=errors,
    )


@login_required
def apply(code: str):
    item = _guide(code)
    me = service().citizen(_me())
    if request.method == "GET":
        hall = next((h["code"] for h in halls() if h["level"] == "镇街"), None)
        return _apply_page(
            item, {"form": {"contact_phone": me["phone"]}, "hall": hall, "method": "window"}, {}
        )
    form = formrender.parse(CONTACT_SCHEMA, request.form, prefix="f", ui=CONTACT_UI)
    delivery = {
        "method": request.form.get("delivery") or "",
        "address": (request.form.get("address") or "")[:300],
    }
    hall = request.form.get("hall") or None
    for_company = request.form.get("for_company") == "1"
    data = {
        "form": form,
        "hall": hall,
        "method": delivery["method"],
        "address": delivery["address"],
        "for_company": for_company,
    }
    errors: dict[str, str] = {}
    for problem in Draft202012Validator(CONTACT_SCHEMA, format_checker=formats.checker()).iter_errors(form):
        field = str(problem.path[0]) if problem.path else "contact_phone"
        errors[field] = _("请填写 11 位手机号") if field == "contact_phone" else _("申请说明不超过 500 字")
    if hall not in {h["code"] for h in halls()}:
        errors["hall"] = _("请选择办理大厅")
    chosen: list[tuple[str, str, FileStorage]] = []
    for name, material in formrender.material_file_fields(item["catalog"].get("materials") or []):
        upload = request.files.get(name)
        if isinstance(upload, FileStorage) and upload.filename:
            chosen.append((name, material, upload))
    if not chosen:
        errors["files"] = _("请至少上传一份申请材料")
    if errors:
        return _apply_page(item, data, errors, 422)
    ids, names = [], []
    for name, material, upload in chosen:
        try:
            found = service().citizen_upload(_me(), upload.stream, upload.filename or "", material)
        except InvalidInput as exc:
            errors[name] = "；".join(str(p.message) for p in exc.problems)
            continue
        ids.append(found["id"])
        names.append(material)
    if errors:
        return _apply_page(item, data, errors, 422)
    start = {**form, "materials_uploaded": names}  # what the front desk's 网上预审 finds attached
    try:
        case = service().citizen_apply(
            _me(),
            item["key"],
            start,
            {"method": delivery["method"], "address": delivery["address"]},
            org=hall,
            for_company=for_company,
            attachment_ids=ids,
        )
    except InvalidInput as exc:
        return _apply_page(item, data, problems_by_field(exc), 422)
    flash(_("已提交，办件编号 %(number)s，请留意站内信和短信。", number=case["case_number"]), "success")
    return redirect(url_for("portal.my_case", number=case["case_number"]))


@login_required
def my_cases():
    return page("cases.html", cases=[plain(dict(c)) for c in service().citizen_cases(_me())])


def _mine(number: str) -> dict:
    try:
        return plain(service().citizen_case(_me(), number[:64]))
    except NotFound:
        abort(404)


@login_required
def my_case(number: str):
    return page(
        "case.html",
        case=_mine(number),
        levels=vocabulary.EVALUATION_LEVELS,
        documents=vocabulary.DOCUMENT_KINDS,
    )


@login_required
def document(number: str, kind: str):
    if kind not in DOCUMENTS:
        abort(404)
    _mine(number)
    try:
        _html, pdf, name = service().document(number, kind)
    except (NotFound, InvalidInput, Conflict):
        abort(404)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@login_required
def supplement(number: str):
    case = _mine(number)
    ids = []
    for upload in request.files.getlist("file"):
        if not isinstance(upload, FileStorage) or not upload.filename:
            continue
        try:
            found = service().citizen_upload(
                _me(), upload.stream, upload.filename, request.form.get("material") or None
            )
        except InvalidInput as exc:
            flash("；".join(str(p.message) for p in exc.problems), "danger")
            return redirect(url_for("portal.my_case", number=case["case_number"]))
        ids.append(found["id"])
    try:
        service().citizen_supplement(_me(), number, ids)
        flash(_("补正材料已提交，等待窗口审核"), "success")
    except (InvalidInput, Conflict) as exc:
        flash(str(exc), "danger")
    return redirect(url_for("portal.my_case", number=case["case_number"]))


@login_required
def withdraw(number: str):
    case = _mine(number)
    try:
        service().citizen_withdraw(_me(), number, (request.form.get("reason") or "")[:500] or None)
        flash(_("已撤件"), "success")
    except Conflict as exc:
        flash(str(exc), "danger")
    return redirect(url_for("portal.my_case", number=case["case_number"]))


@login_required
def evaluate(number: str):
    case = _mine(number)
    try:
        level = int(request.form.get("level") or 0)
    except ValueError:
        level = 0
    try:
        service().citizen_evaluate(_me(), number, level, (request.form.get("comment") or "").strip() or None)
        flash(_("感谢您的评价"), "success")
    except (InvalidInput, Conflict) as exc:
        flash(str(exc), "danger")
    return redirect(url_for("portal.my_case", number=case["case_number"]))


@login_required
def message(number: str):
    case = _mine(number)
    try:
        service().citizen_message(_me(), number, (request.form.get("text") or "")[:600])
        flash(_("留言已送达经办人员"), "success")
    except InvalidInput as exc:
        flash("；".join(str(p.message) for p in exc.problems), "danger")
    return redirect(url_for("portal.my_case", number=case["case_number"]))


def progress():
    number = (request.args.get("case") or "").strip()[:64]
    tail = (request.args.get("tail") or "").strip()[:6]
    if not number and not tail:
        return page("progress.html", found=None, number="", asked=False)
    if too_many("progress"):
        flash(_("查询太频繁，请稍后再试"), "danger")
        return page("progress.html", 429, found=None, number=number, asked=True)
    try:
        found = service().case_progress(number, tail)
    except NotFound:
        return page("progress.html", 404, found=None, number=number, asked=True)
    return page("progress.html", found=plain(dict(found)), number=number, asked=True)


def routes(bp: Blueprint) -> None:
    bp.add_url_rule("/items/<code>/apply", "apply", apply, methods=["GET", "POST"])
    bp.add_url_rule("/cases", "my_cases", my_cases)
    bp.add_url_rule("/cases/<number>", "my_case", my_case)
    bp.add_url_rule("/cases/<number>/documents/<kind>", "document", document)
    bp.add_url_rule("/cases/<number>/supplement", "supplement", supplement, methods=["POST"])
    bp.add_url_rule("/cases/<number>/withdraw", "withdraw", withdraw, methods=["POST"])
    bp.add_url_rule("/cases/<number>/evaluation", "evaluate", evaluate, methods=["POST"])
    bp.add_url_rule("/cases/<number>/message", "message", message, methods=["POST"])
    bp.add_url_rule("/progress", "progress", progress)
