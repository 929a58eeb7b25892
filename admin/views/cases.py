"""The case page (办件详情) and case search: status, deadlines, pauses, warnings, what each step entered,
materials, documents, the timeline of every action, and the diagram with the case's progress marked.

Who may open a case is the orchestrator's decision (`can_view`); every route of a case checks it first, so a
tampered case number or attachment id answers 403/404 and never data.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from flask import Response, abort, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from orchestrator.core.errors import NotAllowed, NotFound
from orchestrator.gov.vocabulary import DOCUMENT_KINDS as KINDS

from .. import formrender
from ..web import sees_all, service, username

CHINA = timedelta(hours=8)
ACTIONS = {  # audit action codes as the timeline shows them
    "start": _l("发起申请"),
    "case_received": _l("接件"),
    "claim": _l("签收"),
    "unclaim": _l("取消签收"),
    "complete": _l("办理"),
    "reject": _l("驳回"),
    "supplement": _l("退回补正"),
    "send_back": _l("退回上一步"),
    "transfer": _l("转办"),
    "comment": _l("评论"),
    "urge": _l("催办"),
    "cancel_tasks": _l("环节取消"),
    "end": _l("流程结束"),
    "case_status": _l("状态变更"),
    "case_due_moved": _l("时限调整"),
    "message": _l("收到消息"),
    "withdraw": _l("撤件"),
    "revoke": _l("撤销"),
    "evaluate": _l("评价"),
    "retry_job": _l("重试"),
}
STEP_ACTIONS = ("complete", "reject", "supplement")
LEVEL_CLASS = {"red": "ow-warning-red", "yellow": "ow-warning-yellow", "reminder": "ow-warning-reminder"}
REFUSED, CLOSED_WITH_RESULT = (4, 5), (11, 12, 13)
APPLICATION_SCHEMA = {  # the start data's usual keys, labelled (others are shown under their own names)
    "type": "object",
    "properties": {
        "applicant": {
            "type": "object",
            "title": _l("申请人"),
            "properties": {
                "name": {"title": _l("姓名/名称")},
                "id_number": {"title": _l("证件号码")},
                "phone": {"title": _l("联系电话")},
            },
        },
        "proxy": {
            "type": "object",
            "title": _l("代理人"),
            "properties": {
                "name": {"title": _l("姓名")},
                "id_number": {"title": _l("证件号码")},
                "phone": {"title": _l("联系电话")},
            },
        },
        "channel": {"type": "string", "title": _l("申请渠道")},
        "materials_received": {"type": "array", "title": _l("已收材料"), "items": {"type": "string"}},
    },
}
NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def beijing(value: str | None) -> str:
    """A stored naive-UTC ISO time as Beijing wall-clock text; a date or other text unchanged."""
    if not value:
        return ""
    if len(value) <= 10:
        return value
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    if at.tzinfo is not None:
        return at.strftime("%Y-%m-%d %H:%M")
    return (at + CHINA).strftime("%Y-%m-%d %H:%M")


def _case_for_user(number: str) -> dict:
    """The case, if the signed-in user may see it (NotFound → 404, NotAllowed → 403)."""
    case = service().case(number)
    if not service().can_view(case["instance"], username(), see_all=sees_all()):
        raise NotAllowed(f"case {number} is not yours to see")
    return case


def documents_for(case: dict, history: list[dict]) -> list[tuple[str, str]]:
    """(kind, title) of the documents that make sense for the case as it stands."""
    supplemented = any(p["kind"] == "补正" for p in case["paused"]) or any(
        e["action"] == "supplement" for e in history
    )
    wanted = {
        "receipt": True,
        "one_time_notice": supplemented or case["status_code"] in (6, 7),
        "acceptance": bool(case["accepted_at"]),
        "refusal": case["status_code"] in REFUSED,
        "completion": case["status_code"] in CLOSED_WITH_RESULT,
    }
    return [(kind, title) for kind, title in KINDS.items() if wanted[kind]]


def _names(value) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def materials_for(catalog: dict | None, application: dict, steps: list[dict], attachments: list[dict]):
    """The catalog's materials with what the case recorded of each: 已收, 需补正 or 未收."""
    received = _names(application.get("materials_received")) | {a["material"] for a in attachments}
    missing: set[str] = set()
    for step in steps:
        data = step["data"] if isinstance(step["data"], dict) else {}
        for key in ("materials_received", "received", "supplied"):
            received |= _names(data.get(key))
        if "missing" in data:
            missing = _names(data.get("missing"))
    rows = []
    for m in (catalog or {}).get("materials") or []:
        if not isinstance(m, dict):
            continue
        name = str(m.get("name", ""))
        if name in received:
            state = ("received", _("已收"))
        elif name in missing:
            state = ("missing", _("需补正"))
        else:
            state = ("absent", _("未收"))
        rows.append({"name": name, "necessity": m.get("necessity"), "state": state[0], "label": state[1]})
    return rows


def timeline_of(history: list[dict], tasks: list[dict], steps: list[dict]) -> list[dict]:
    """Every action of the instance's audit trail, oldest first, in words."""
    by_id = {t["id"]: t for t in tasks}
    outcome = {s["task"]: s.get("outcome") for s in steps}
    rows = []
    for e in history:
        task = by_id.get(e["task"]) or {}
        after = e["after"] if isinstance(e["after"], dict) else {}
        opinion = e["opinion"]
        if opinion is None and e["action"] in STEP_ACTIONS and isinstance(after.get("opinion"), str):
            opinion = after["opinion"]
        rows.append(
            {
                "at": beijing(e["at"]),
                "actor": e["actor"] or _("系统"),
                "action": e["action"],
                "label": ACTIONS.get(e["action"], e["action"]),
                "step": task.get("title") or task.get("name"),
                "opinion": opinion,
                "detail": _detail(e["action"], after, outcome.get(e["task"])),
            }
        )
    return rows


def _detail(action: str, after: dict, outcome: str | None) -> str | None:
    from orchestrator.gov.vocabulary import STATUS

    if action == "case_status" and after.get("status") in STATUS:
        return f"{after['status']} {_(STATUS[after['status']])}"
    if action == "case_received" and after.get("case_number"):
        return _("办件编号 %(number)s", number=after["case_number"])
    if action in ("transfer", "send_back") and after.get("to"):
        return _("至 %(to)s", to=after["to"])
    if action == "cancel_tasks":
        return _("%(n)s 个环节", n=len(after.get("tasks") or []))
    if action == "case_due_moved" and after.get("promised_due"):
        return _("承诺办结日期 %(date)s", date=" → ".join(map(str, after["promised_due"])))
    if action in STEP_ACTIONS and outcome:
        return _(outcome)
    return None


def _attachment_link(attachments: list[dict]):
    """formrender's attachment_link: only this case's own uploads become links."""
    known = {a["ref"]: a for a in attachments}

    def link(ref: str):
        found = known.get(ref)
        if found is None:
            return None
        return found["file_name"], url_for("CaseView.attachment", attachment_id=found["id"])

    return link


def _step_forms(steps: list[dict], attachments: list[dict]) -> list[dict]:
    link = _attachment_link(attachments)
    shown = []
    for step in steps:
        data = step["data"] if isinstance(step["data"], dict) else {}
        html = formrender.render(
            step["form_schema"] or {}, step["ui_schema"], data, readonly=True, attachment_link=link
        )
        shown.append({**step, "at": beijing(step["at"]), "html": html})
    return shown


def _warnings(warnings: list[dict], tasks: list[dict]) -> list[dict]:
    """Supervision warnings with their colour and the step (by its title) they are about."""
    titles = {t["id"]: t["title"] or t["name"] for t in tasks}
    return [
        {
            **w,
            "at": beijing(w["at"]),
            "css": LEVEL_CLASS.get(w["level"], ""),
            "step_title": titles.get(w["step"]) if w["step"] else None,
        }
        for w in warnings
    ]


def _with_headers(response: Response, **extra: str) -> Response:
    response.headers.update(NO_STORE)
    response.headers.update(extra)
    return response


class CaseView(BaseView):
    route_base = "/cases"
    default_view = "search"

    @expose("/")
    @has_access
    def search(self):
        """Find a case by its number; list the user's own recent cases."""
        number = (request.args.get("q") or "").strip()
        if number:
            try:
                service().case(number)
            except NotFound:
                flash(_("未找到办件 %(number)s", number=number), "warning")
            else:
                return redirect(url_for("CaseView.show", case_number=number))
        recent = service().recent_cases(username())
        for row in recent:
            row["received"] = beijing(row["received_at"])
        return self.render_template("onewindow/cases/search.html", recent=recent, q=number)

    @expose("/<case_number>")
    @has_access
    def show(self, case_number: str):
        case = _case_for_user(case_number)
        ow, user, see_all = service(), username(), sees_all()
        instance = ow.instance(case["instance"], user, see_all=see_all)
        record = ow.progress(case["instance"], user, see_all=see_all, parts=("steps",))
        attachments = ow.attachments_of(case["instance"])
        steps = record["steps"]
        return self.render_template(
            "onewindow/cases/show.html",
            case=case,
            instance=instance,
            times={k: beijing(case[k]) for k in ("received_at", "accepted_at", "closed_at")},
            paused=[
                {**p, "from": beijing(p["started_at"]), "to": beijing(p["ended_at"])} for p in case["paused"]
            ],
            warnings=_warnings(case["warnings"], instance["tasks"]),
            application=formrender.render(
                APPLICATION_SCHEMA,
                None,
                record["application"],
                readonly=True,
                attachment_link=_attachment_link(attachments),
            )
            if record["application"]
            else Markup(""),
            steps=_step_forms(steps, attachments),
            current_html=formrender.render({}, None, _without_item(instance["data"]), readonly=True)
            if not steps
            else Markup(""),
            attachments=[{**a, "at": beijing(a["uploaded_at"])} for a in attachments],
            materials=materials_for(record["catalog"], record["application"], steps, attachments),
            documents=documents_for(case, instance["history"]),
            timeline=timeline_of(instance["history"], instance["tasks"], steps),
            open_tasks=instance["open_tasks"],
        )

    @expose("/<case_number>/documents/<kind>.pdf")
    @has_access
    def document_pdf(self, case_number: str, kind: str):
        if kind not in KINDS:
            abort(404)
        _case_for_user(case_number)
        _, pdf, file_name = service().document(case_number, kind)
        response = send_file(
            io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=file_name
        )
        return _with_headers(response)

    @expose("/<case_number>/documents/<kind>.html")
    @has_access
    def document_html(self, case_number: str, kind: str):
        if kind not in KINDS:
            abort(404)
        _case_for_user(case_number)
        html, _pdf, _name = service().document(case_number, kind)
        response = Response(html, mimetype="text/html")
        # the document is a self-contained page: no scripts, no requests, whatever its text says
        csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
        return _with_headers(response, **{"Content-Security-Policy": csp})

    @expose("/<case_number>/diagram.xml")
    @has_access
    def diagram(self, case_number: str):
        case = _case_for_user(case_number)
        found = service().progress(case["instance"], username(), see_all=sees_all(), parts=("diagram",))
        response = Response(found["diagram"], mimetype="application/xml")
        return _with_headers(response, **{"Content-Security-Policy": "default-src 'none'; sandbox"})

    @expose("/<case_number>/marks.json")
    @has_access
    def marks(self, case_number: str):
        case = _case_for_user(case_number)
        found = service().progress(case["instance"], username(), see_all=sees_all(), parts=("marks",))
        return _with_headers(jsonify(found["marks"]))

    @expose("/attachments/<int:attachment_id>")
    @has_access
    def attachment(self, attachment_id: int):
        summary, path = service().attachment(attachment_id, username(), see_all=sees_all())
        if not path.is_file():
            raise NotFound(f"the file of attachment {attachment_id} is missing")
        response = send_file(
            path,
            mimetype=summary["content_type"],
            as_attachment=True,
            download_name=summary["file_name"],
            conditional=False,
        )
        return _with_headers(response, **{"Content-Security-Policy": "default-src 'none'; sandbox"})


def _without_item(data: dict) -> dict:
    return {k: v for k, v in (data or {}).items() if k != "item"}


def register(appbuilder) -> None:
    appbuilder.add_view(CaseView, "cases", label=_l("办件查询"), icon="fa-folder-open")
