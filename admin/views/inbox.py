"""The clerk's inbox (我的待办) and the task page where a step is handled.

Every list and every action goes through `orchestrator` (which decides who may see and do what); this module
only turns a posted form into a service call and the answer into a page, a flash or a redirect. A lost race
(Conflict) is never an error page: the clerk is told and sent back to the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from flask import flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from orchestrator.core.errors import Conflict, InvalidInput

from .. import formrender
from ..web import problems_by_field, sees_all, service, username

PAGE_SIZE = 20
VIEWS = ("todo", "group", "done", "started")
SORTS = ("due", "created", "priority")
OPEN = ("open", "claimed")
REASON_ACTIONS = ("reject", "send_back", "supplement")  # a reason (the opinion) is required
FORM_ACTIONS = ("complete", "reject", "supplement")  # actions that submit the task's form data
BEIJING = timedelta(hours=8)
OWN_FIELDS = ("opinion", "to", "materials_received", "", "action")  # errors the page shows itself

# Labels for what the front desk records at acceptance (see admin/views/accept.py), for the read-only data.
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": _l("姓名/名称")},
        "id_number": {"type": "string", "title": _l("证件号码")},
        "phone": {"type": "string", "title": _l("联系电话")},
    },
}
CASE_DATA_LABELS = {
    "applicant": {**PERSON, "title": _l("申请人")},
    "proxy": {**PERSON, "title": _l("代办人")},
    "channel": {"type": "string", "title": _l("申请渠道")},
    "materials_received": {"type": "array", "title": _l("已收材料"), "items": {"type": "string"}},
}
# Not in the read-only data: the catalog facts every case carries (the summary shows them) and the last
# step's opinion (each step's opinion is on the timeline).
HIDDEN_DATA = ("item", "opinion")
RECEIVED_FIELDS = ("materials_received", "received")  # a form's own 已收材料 list, kept as materials_received
REASON_FIELDS = ("refuse_reason", "reason")  # where a 驳回 or 补正 reason lands (orchestrator.gov.clerk)


@dataclass(frozen=True)
class Checklist:
    """Materials at a step before acceptance: `orchestrator.cases` checks `materials_received` on 受理."""

    materials: list[dict]
    recorded: bool  # the case data already lists materials_received
    field: str | None  # the form's own 已收材料 field; None: the page shows its 收件清单 table


# --- small helpers shared with the acceptance page -------------------------------------------------------------


def case_url(number: str) -> str:
    """The case page (owned by the cases view)."""
    return f"/cases/{quote(number, safe='')}"


def document_url(number: str, kind: str) -> str:
    """A case document as PDF (kinds: orchestrator.documents.KINDS, e.g. receipt, one_time_notice)."""
    return f"{case_url(number)}/documents/{kind}.pdf"


def beijing(iso: str | None, with_time: bool = True) -> str:
    """A stored naive-UTC timestamp as Beijing wall-clock text."""
    if not iso:
        return ""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if len(iso) == 10:  # a plain date (due dates of a case)
        return iso
    at += BEIJING
    return at.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def case_number_of(instance: dict) -> str | None:
    """The case number, as the instance's history recorded it when the case was received."""
    for event in instance.get("history") or []:
        if event.get("action") == "case_received" and isinstance(event.get("after"), dict):
            return event["after"].get("case_number")
    return None


def set_path(data: dict, path: str, value: Any) -> None:
    """Put a value at a "/"-joined path of nested objects."""
    *parents, last = path.split("/")
    for key in parents:
        data = data.setdefault(key, {})
    data[last] = value


def upload_files(wanted: list[tuple[str, str, str | None]], errors: dict[str, str]) -> list[tuple[str, dict]]:
    """Store each chosen file of (input name, error key, material); refused ones go into `errors`."""
    stored = []
    for name, key, material in wanted:
        upload = request.files.get(name)
        if not isinstance(upload, FileStorage) or not upload.filename:
            continue
        try:
            found = service().upload(upload.stream, upload.filename, material=material, actor=username())
        except InvalidInput as exc:
            errors[key] = "；".join(str(p.message) for p in exc.problems)
            continue
        stored.append((key, found))
    return stored


def conflict_redirect(exc: Conflict):
    """Someone else was quicker: say so and go back to the inbox."""
    flash(_("该任务已被他人处理或已不在可办理状态，请刷新待办列表。"), "warning")
    return redirect(url_for("InboxView.index"))


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if local else default


# --- the task form ---------------------------------------------------------------------------------------------


def _split_opinion(schema: dict | None) -> tuple[dict, bool, bool]:
    """The form without its `opinion` field (the page has one 意见 box for every action) and whether the form
    had it / requires it."""
    schema = schema if isinstance(schema, dict) else {}
    props = dict(schema.get("properties") or {})
    required = list(schema.get("required") or [])
    has = props.pop("opinion", None) is not None
    shown = {**schema, "properties": props, "required": [r for r in required if r != "opinion"]}
    return shown, has, "opinion" in required


def _fits(schema: dict, value: Any) -> bool:
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    checks = {
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    return checks.get(kind, lambda v: True)(value)


def prefill(schema: dict, data: dict) -> dict:
    """The case's data for the fields of this form: same name and type, or the applicant's own details
    (a form asking `applicant` as text gets the name; `id_number` / `applicant_phone` the applicant's)."""
    applicant = data.get("applicant") if isinstance(data.get("applicant"), dict) else {}
    out = {}
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict) or name == "opinion":
            continue
        candidates = [data.get(name), applicant.get(name), applicant.get(name.removeprefix("applicant_"))]
        value = data.get(name)
        if isinstance(value, dict) and sub.get("type") == "string":
            candidates.insert(0, value.get("name"))
        for value in candidates:
            if value is not None and _fits(sub, value):
                out[name] = value
                break
    return out


class InboxView(BaseView):
    """我的待办: the inbox tabs, the task page and every clerk action on a task."""

    route_base = "/inbox"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        view = request.args.get("view") if request.args.get("view") in VIEWS else "todo"
        sort = request.args.get("sort") if request.args.get("sort") in SORTS else "due"
        item = (request.args.get("item") or "").strip()[:200]
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        rows = service().tasks(
            username(),
            view=view,
            item=item or None,
            sort=sort,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        has_next = len(rows) > PAGE_SIZE

        def link(**changes) -> str:
            args = {"view": view, "sort": sort, "item": item, "page": page} | changes
            return url_for("InboxView.index") + "?" + urlencode({k: v for k, v in args.items() if v})

        return self.render_template(
            "onewindow/inbox/index.html",
            rows=rows[:PAGE_SIZE],
            view=view,
            sort=sort,
            item=item,
            page=page,
            has_next=has_next,
            link=link,
            items=_item_choices(),
            groups=group_names() if view == "started" else {},
            case_url=case_url,
            beijing=beijing,
        )

    @expose("/task/<int:task_id>", methods=["GET"])
    @has_access
    def task(self, task_id: int):
        return self._page(task_id)

    @expose("/task/<int:task_id>", methods=["POST"])
    @has_access
    def act(self, task_id: int):
        action = request.form.get("action", "")
        try:
            if action in ("claim", "unclaim", "urge"):
                return self._quick(task_id, action)
            return self._submit(task_id, action)
        except Conflict as exc:
            return conflict_redirect(exc)

    @expose("/attachment/<int:attachment_id>")
    @has_access
    def attachment(self, attachment_id: int):
        """An uploaded material, for whoever may see its case (checked by the service)."""
        info, path = service().attachment(attachment_id, username(), see_all=sees_all())
        return send_file(
            path, mimetype=info["content_type"], download_name=info["file_name"], as_attachment=False
        )

    # -- actions ----------------------------------------------------------------------------------------------

    def _quick(self, task_id: int, action: str):
        """签收 / 取消签收 / 催办: no form data."""
        user = username()
        if action == "claim":
            service().claim(task_id, user)
            flash(_("已签收，任务已移入待办。"), "success")
            return redirect(_safe_next(url_for("InboxView.task", task_id=task_id)))
        if action == "unclaim":
            service().unclaim(task_id, user)
            flash(_("已取消签收，任务回到待签收。"), "info")
            return redirect(_safe_next(url_for("InboxView.index", view="group")))
        text = (request.form.get("opinion") or "").strip() or None
        service().urge(task_id, user, text, see_all=sees_all())
        flash(_("已催办。"), "success")
        return redirect(_safe_next(url_for("InboxView.task", task_id=task_id)))

    def _submit(self, task_id: int, action: str):
        user = username()
        task = service().task(task_id, user, see_all=sees_all())
        if task["state"] not in OPEN:
            raise Conflict(f"task {task_id} is {task['state']}")
        if action not in task["actions"]:
            flash(_("此环节不支持该操作。"), "danger")
            return redirect(url_for("InboxView.task", task_id=task_id))
        shown, has_opinion, _required = _split_opinion(task["form_schema"])
        ui = task["ui_schema"] or {}
        data = formrender.parse(shown, request.form, ui=ui)
        opinion = (request.form.get("opinion") or "").strip()
        to_user = (request.form.get("to_user") or "").strip()
        errors = _missing_inputs(action, opinion, to_user)
        instance, _number, case = self._case_of(task)
        checklist = self._checklist(task, instance, case)
        upload = not errors and action in FORM_ACTIONS
        received, attachment_ids = _form_files(shown, ui, data, checklist, instance["data"], errors, upload)
        if errors:
            return self._page(task_id, data, errors, opinion, to_user, received, status=422)
        if has_opinion and opinion:
            data["opinion"] = opinion
        try:
            message = self._call(task_id, action, data, opinion, to_user, attachment_ids)
        except InvalidInput as exc:
            return self._page(task_id, data, problems_by_field(exc), opinion, to_user, received, status=422)
        flash(message, "success")
        if action == "comment":
            return redirect(url_for("InboxView.task", task_id=task_id))
        return redirect(url_for("InboxView.index"))

    def _call(self, task_id, action, data, opinion, to_user, attachment_ids) -> str:
        ow, user = service(), username()
        if action == "complete":
            done = ow.complete(task_id, user, data, opinion or None, attachment_ids)
            return _("办理完成。") + _next_steps(done)
        if action == "reject":
            done = ow.reject(task_id, user, opinion, data)
            return _("已驳回。") + _next_steps(done)
        if action == "supplement":
            done = ow.supplement(task_id, user, opinion, data)
            return _("已退回申请人补正，请出具一次性告知书。") + _next_steps(done)
        if action == "send_back":
            done = ow.send_back(task_id, user, opinion)
            return _("已退回上一步。") + _next_steps(done)
        if action == "transfer":
            ow.transfer(task_id, user, to_user, opinion or None)
            return _("已转办给 %(user)s。", user=to_user)
        if action == "comment":
            ow.comment(task_id, user, opinion, see_all=sees_all())
            return _("评论已添加。")
        raise InvalidInput(_("未知操作：%(action)s", action=action))

    # -- the page ---------------------------------------------------------------------------------------------

    @staticmethod
    def _case_of(task: dict) -> tuple[dict, str | None, dict | None]:
        """The task's instance (data, history), its case number and the case."""
        instance = service().instance(task["instance"], username(), see_all=sees_all())
        number = case_number_of(instance)
        return instance, number, service().case(number) if number else None

    @staticmethod
    def _checklist(task: dict, instance: dict, case: dict | None) -> Checklist | None:
        """How this step records the materials while the case is not yet accepted: through the form's own
        已收材料 field, or the page's 收件清单 table when the form lists no materials at all (a form listing
        them for another purpose, like 一次性告知's missing ones, gets neither)."""
        materials = (task.get("catalog") or {}).get("materials")
        if not materials or task["state"] not in OPEN or case is None:
            return None
        if case["accepted_at"] or case["closed_at"]:
            return None
        names = {m["name"] for m in materials}
        props = (task["form_schema"] or {}).get("properties") or {}
        own = [k for k, sub in props.items() if _lists_materials(sub, names)]
        field = next((k for k in own if k in RECEIVED_FIELDS), None)
        if own and field is None:
            return None
        return Checklist(materials, "materials_received" in (instance["data"] or {}), field)

    def _page(
        self,
        task_id: int,
        data: dict | None = None,
        errors: dict[str, str] | None = None,
        opinion: str = "",
        to_user: str = "",
        received: list[str] | None = None,
        status: int = 200,
    ):
        user, see_all = username(), sees_all()
        task = service().task(task_id, user, see_all=see_all)
        instance, number, case = self._case_of(task)
        files = {a["id"]: a for a in service().attachments_of(task["instance"])}
        shown, _has, opinion_required = _split_opinion(task["form_schema"])
        ui = task["ui_schema"] or {}
        current = instance["data"] if isinstance(instance["data"], dict) else {}
        errors = dict(errors or {})
        checklist = self._checklist(task, instance, case)
        if checklist and checklist.field and "materials_received" in errors:  # under the form's own list
            errors[checklist.field] = errors.pop("materials_received")
        got = current.get("materials_received") if received is None else received
        got = got if isinstance(got, list) else []

        def attachment_link(ref: str):
            found = files.get(int(ref.split(":", 1)[1])) if ref.split(":", 1)[1].isdigit() else None
            if found is None:
                return None
            return found["file_name"], url_for("InboxView.attachment", attachment_id=found["id"])

        form = None
        if task["state"] in OPEN:
            values = prefill(shown, current) if data is None else data
            if data is None:  # a 补正's reason is not this round's 不予受理理由
                asked = supplement_reasons(instance)
                values = {k: v for k, v in values.items() if not (k in REASON_FIELDS and v in asked)}
            if data is None and checklist and checklist.field and got:
                values[checklist.field] = got  # the form's 已收材料 starts from what was received
            form = formrender.render(
                shown,
                ui,
                values,
                {k: v for k, v in errors.items() if k not in OWN_FIELDS},
                attachment_link=attachment_link,
            )
        materials = None
        if checklist and checklist.field is None:
            materials = formrender.render_materials(checklist.materials, got)
        earlier = formrender.render(
            {"type": "object", "properties": reason_labels(data_labels(task), current, instance)},
            {},
            {k: v for k, v in current.items() if k not in HIDDEN_DATA},
            readonly=True,
            attachment_link=attachment_link,
        )
        return (
            self.render_template(
                "onewindow/inbox/task.html",
                task=task,
                case=case,
                number=number,
                instance=instance,
                form=form,
                materials=materials,
                earlier=earlier,
                errors=errors,
                general=[
                    errors[k]
                    for k in ("", "action", "materials_received")
                    if k in errors and not (k == "materials_received" and materials is not None)
                ],
                opinion=opinion,
                opinion_required=opinion_required,
                to_user=to_user,
                files=list(files.values()),
                steps=(case or {}).get("steps") or [],
                supplemented=any(p["kind"] == "补正" for p in (case or {}).get("paused") or []),
                case_url=case_url,
                document_url=document_url,
                beijing=beijing,
                is_open=task["state"] in OPEN,
                groups=group_names(),
            ),
            status,
        )


def data_labels(task: dict) -> dict[str, dict]:
    """Titles for the case data: the acceptance fields, then every form of the process version (this step's
    first), so earlier steps' answers read as their forms named them."""
    labels = dict(CASE_DATA_LABELS)
    forms = service().definition(task["process"], task["version"]).get("forms") or {}
    schemas = [task["form_schema"] or {}] + [f for n, f in forms.items() if not n.endswith("uischema.json")]
    for schema in schemas:
        for name, sub in ((schema or {}).get("properties") or {}).items():
            if isinstance(sub, dict):
                labels.setdefault(name, sub)
    return labels


def supplement_reasons(instance: dict) -> set[str]:
    """The reasons given for 退回申请人补正 on this case."""
    history = instance.get("history") or []
    return {e["opinion"] for e in history if e.get("action") == "supplement" and e.get("opinion")}


def reason_labels(labels: dict[str, dict], data: dict, instance: dict) -> dict[str, dict]:
    """A reason field that holds the reason of a 补正 reads 补正理由, not the form's 不予受理理由."""
    asked = supplement_reasons(instance)
    for name in REASON_FIELDS:
        if data.get(name) in asked:
            labels[name] = {**labels.get(name, {}), "title": _("补正理由（需补正的材料）")}
    return labels


def _missing_inputs(action: str, opinion: str, to_user: str) -> dict[str, str]:
    """What an action needs besides the form: a reason, a comment, a colleague."""
    if action in REASON_ACTIONS and not opinion:
        return {"opinion": _("请在“意见”中填写理由。")}
    if action == "comment" and not opinion:
        return {"opinion": _("请在“意见”中填写评论内容。")}
    if action == "transfer" and not to_user:
        return {"to": _("请填写转办给哪位同事（用户名）。")}
    return {}


def _form_files(
    shown: dict,
    ui: dict,
    data: dict,
    checklist: Checklist | None,
    current: dict,
    errors: dict[str, str],
    upload: bool,
) -> tuple[list[str] | None, list[int]]:
    """The received materials and the uploads of a task page: a file goes into `data` at its field's path, a
    material's file ticks it in the 收件清单, a refused file goes into `errors`."""
    received = None
    table = checklist is not None and checklist.field is None
    if checklist and checklist.field:
        value = data.get(checklist.field)
        received = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    elif table and request.form.get("m.present"):  # the page showed its table
        received = formrender.parse_materials(checklist.materials, request.form)
    ids: list[int] = []
    wanted = [(name, path, None) for name, path in formrender.file_fields(shown, ui)]
    if table:
        fields = formrender.material_file_fields(checklist.materials)
        wanted += [(name, "materials_received", material) for name, material in fields]
    for key, found in upload_files(wanted, errors) if upload else []:
        ids.append(found["id"])
        if key == "materials_received":
            base = received if received is not None else list(current.get("materials_received") or [])
            received = list(dict.fromkeys([*base, found["material"]]))
        else:
            set_path(data, key, found["ref"])
    if checklist and received is not None and (received or checklist.recorded):
        data["materials_received"] = received
    return received, ids


def _lists_materials(schema: Any, names: set[str]) -> bool:
    """An array field whose choices are the item's materials (已收材料, 需补正的材料, …)."""
    items = schema.get("items") if isinstance(schema, dict) else None
    choices = items.get("enum") if isinstance(items, dict) else None
    return isinstance(choices, list) and bool(choices) and set(choices) <= names


def _next_steps(done: dict) -> str:
    names = [t.get("title") or t.get("name") for t in done.get("tasks") or []]
    return (_("下一环节：%(steps)s", steps="、".join(n for n in names if n))) if any(names) else ""


def group_names() -> dict[str, str]:
    """Group code → display name (综合窗口, 民政, …)."""
    return {g["code"]: g["name"] for g in service().groups()}


def _item_choices() -> list[tuple[str, str]]:
    """(process key, item name) of every published process, for the inbox filter."""
    found: dict[str, str] = {}
    for d in service().definitions():
        if d["status"] == "published":
            found[d["key"]] = ((d.get("catalog") or {}).get("name")) or d.get("name") or d["key"]
    return sorted(found.items(), key=lambda kv: kv[1])


def menu_allowed(appbuilder, view: str) -> bool:
    """Show a menu entry only to roles that may open the page (every role may see every menu name)."""
    return bool(appbuilder.sm.has_access("can_index", view))


def register(appbuilder) -> None:
    appbuilder.add_view(
        InboxView,
        "我的待办",
        label=_l("我的待办"),
        icon="fa-inbox",
        category="办件",
        category_label=_l("办件"),
        category_icon="fa-folder-open",
        menu_cond=lambda: menu_allowed(appbuilder, "InboxView"),
    )
