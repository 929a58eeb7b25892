"""无差别受理: the front desk (or a grid proxy) accepts an application for any published service item.

Step 1 lists the items that have a catalog entry; step 2 shows, for the chosen item, one generic applicant form
(what `orchestrator.cases` needs to open a case: applicant, channel, proxy where the item allows one) and the
item's own materials checklist with an upload per material. Submitting stores the uploads, starts the case and
goes on to its first step when this user may handle it (the front desk's check), else to the case page.
"""

from __future__ import annotations

import re

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jsonschema import Draft202012Validator
from markupsafe import Markup
from pypinyin import Style, lazy_pinyin

from orchestrator.core.errors import InvalidInput, NotAllowed, NotFound
from orchestrator.gov import vocabulary

from .. import formrender
from ..web import problems_by_field, service, username
from .inbox import case_url, document_url, group_names, menu_allowed, upload_files

# 居民身份证号 (18 digits, last may be X) or 统一社会信用代码 (18 characters, no I O Z S V).
ID_PATTERN = r"^([0-9]{17}[0-9Xx]|[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10})$"
PHONE_PATTERN = r"^[0-9+() -]{5,20}$"
MATERIAL_ERROR = "material:"  # error keys of refused uploads: material:<name>


def published_items() -> list[dict]:
    """The newest published version of every process with a catalog entry, by item name."""
    found: dict[str, dict] = {}
    for d in service().definitions():  # ordered by key, version: the newest published one wins
        if d["status"] == "published" and d.get("catalog"):
            found[d["key"]] = d
    return sorted(found.values(), key=lambda d: d["catalog"]["code"])


def search_text(item: dict, departments: dict[str, str]) -> str:
    """Everything the 受理 list's search box matches, lower-case, one line: name, codes, departments, and the
    name's pinyin, whole and as initials ("医疗保险" → "yiliaobaoxian", "ylbx")."""
    c = item["catalog"]
    lead = c.get("lead_department") or ""
    words = [c.get("name"), c.get("code"), c.get("implementation_code"), item["key"], c.get("type")]
    words += [lead, departments.get(lead), c.get("implementing_body")]
    name = str(c.get("name") or "")
    pinyin = ["".join(lazy_pinyin(name)), "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))]
    words += [re.sub(r"\W+", "", p) for p in pinyin]  # the initials stay one word, the last one
    return " ".join(str(w).lower() for w in words if w)


def initials_of(text: str) -> str:
    """The pinyin initials part of a search text (its last word)."""
    return text.rsplit(" ", 1)[-1]


def matches(query: str, text: str) -> bool:
    """Every word of the query is found in the item's search text; a word of Latin letters may also be the
    initials of the name's words in any order, two letters a word ("yljb": 医疗 … 基本)."""
    for word in query.lower().split():
        if word in text:
            continue
        pairs = [word[i : i + 2] for i in range(0, len(word), 2)]
        if not (re.fullmatch(r"[a-z]+", word) and all(p in initials_of(text) for p in pairs)):
            return False
    return True


def channel_choices(catalog: dict) -> list[str]:
    """The channels this item may be applied through."""
    return vocabulary.channels_for(catalog)


def _person(title: str, required: list[str]) -> dict:
    return {
        "type": "object",
        "title": title,
        "properties": {
            "name": {"type": "string", "title": _("姓名/名称"), "minLength": 1, "maxLength": 100},
            "id_number": {
                "type": "string",
                "title": _("证件号码"),
                "description": _("居民身份证号码或统一社会信用代码（18位）"),
                "pattern": ID_PATTERN,
            },
            "phone": {"type": "string", "title": _("联系电话"), "pattern": PHONE_PATTERN},
        },
        "required": required,
    }


def applicant_schema(catalog: dict) -> dict:
    """The generic acceptance form: who applies, through which channel, and (if allowed) the proxy."""
    props = {
        "applicant": _person(_("申请人"), ["name", "id_number", "phone"]),
        "channel": {
            "type": "string",
            "title": _("申请渠道"),
            "enum": channel_choices(catalog),
            "default": vocabulary.WINDOW,
        },
    }
    if (catalog.get("channels") or {}).get("proxy"):
        props["proxy"] = {**_person(_("代办人（代为申请时填写）"), ["name"])}
    return {"type": "object", "properties": props, "required": ["applicant", "channel"]}


def _title(schema: dict, path: list) -> str:
    node = schema
    for key in path:
        node = (node.get("properties") or {}).get(key, {}) if isinstance(node, dict) else {}
    return str(node.get("title") or (path[-1] if path else ""))


def check(schema: dict, data: dict) -> dict[str, str]:
    """Field errors of the acceptance form, as "/"-joined paths and messages a clerk reads."""
    errors: dict[str, str] = {}
    for err in Draft202012Validator(schema).iter_errors(data):
        path = [str(p) for p in err.path]
        if err.validator == "required":
            for name in err.validator_value:
                if isinstance(err.instance, dict) and name not in err.instance:
                    errors["/".join([*path, name])] = _("请填写%(what)s", what=_title(schema, [*path, name]))
            continue
        what = _title(schema, path)
        if err.validator == "pattern":
            errors["/".join(path)] = _("%(what)s格式不正确", what=what)
        else:
            errors["/".join(path)] = f"{what}：{err.message}"
    return errors


def window_context() -> dict:
    """我的窗口 and the windows to pick from, for the 受理 pages."""
    user = username() or ""
    return {"my_window": service().my_window(user), "window_choices": service().window_choices(user)}


class AcceptView(BaseView):
    """受理: pick a service item, fill in the applicant and the materials, start the case."""

    route_base = "/accept"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """The items to pick from; `?q=` filters them on the server, the page's script as one types."""
        query = (request.args.get("q") or "").strip()[:100]
        departments = group_names()
        items = [{**item, "search": search_text(item, departments)} for item in published_items()]
        shown = [item for item in items if matches(query, item["search"])] if query else items
        return self.render_template(
            "onewindow/accept/index.html",
            items=shown,
            total=len(items),
            query=query,
            departments=departments,
            **window_context(),
        )

    @expose("/my-window", methods=["POST"])
    @has_access
    def my_window(self):
        """我的窗口: sit at one of the open windows of the halls where this user works (or at none)."""
        text = (request.form.get("window") or "").strip()
        back = request.form.get("next") or ""
        back = back if back.startswith("/accept/") and "//" not in back else url_for("AcceptView.index")
        if text and not (text.isdigit() and len(text) <= 18):
            flash(_("没有这个窗口"), "danger")
            return redirect(back), 303
        try:
            found = service().choose_window(username() or "", int(text) if text else None)
        except InvalidInput as exc:
            flash("；".join(problems_by_field(exc).values()), "danger")
            return redirect(back), 303
        if found:
            flash(_("我的窗口：%(name)s", name=found["name"]), "success")
        else:
            flash(_("已取消窗口：此后收件不记录窗口"), "info")
        return redirect(back), 303

    @expose("/<key>", methods=["GET"])
    @has_access
    def form(self, key: str):
        return self._page(self._item(key))

    @expose("/<key>", methods=["POST"])
    @has_access
    def submit(self, key: str):
        item = self._item(key)
        catalog = item["catalog"]
        schema = applicant_schema(catalog)
        materials = catalog.get("materials") or []
        data = formrender.parse(schema, request.form, prefix="a")
        received = formrender.parse_materials(materials, request.form)
        errors = check(schema, data)
        if errors:
            return self._page(item, data, errors, received, status=422)
        wanted = [
            (name, MATERIAL_ERROR + material, material)
            for name, material in formrender.material_file_fields(materials)
        ]
        stored = upload_files(wanted, errors)
        if errors:  # a refused upload: nothing is started, the clerk picks the files again
            return self._page(item, data, errors, received, status=422)
        got = set(received) | {found["material"] for _key, found in stored}
        data["materials_received"] = [m["name"] for m in materials if m["name"] in got]
        try:
            started = service().start(
                key, data, actor=username(), attachment_ids=[found["id"] for _key, found in stored]
            )
        except InvalidInput as exc:
            return self._page(item, data, problems_by_field(exc), received, status=422)
        number = started["case_number"]
        flash(
            Markup(
                "{} <strong class='ow-case-number'>{}</strong>。 <a href='{}' target='_blank'>{}</a>"
            ).format(_("已接件，办件编号"), number, document_url(number, "receipt"), _("打印收件凭证")),
            "success",
        )
        return redirect(self._next_page(started))

    # -- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _item(key: str) -> dict:
        for item in published_items():
            if item["key"] == key:
                return item
        abort(404)

    @staticmethod
    def _next_page(started: dict) -> str:
        """The first open step this user may handle (the front desk's check), else the case page."""
        for task in started.get("tasks") or []:
            try:
                service().task(task["id"], username())
            except (NotAllowed, NotFound):
                continue
            return url_for("InboxView.task", task_id=task["id"])
        return case_url(started["case_number"]) if started.get("case_number") else url_for("InboxView.index")

    def _page(
        self,
        item: dict,
        data: dict | None = None,
        errors: dict[str, str] | None = None,
        received: list[str] | None = None,
        status: int = 200,
    ):
        catalog = item["catalog"]
        errors = errors or {}
        form_errors = {k: v for k, v in errors.items() if not k.startswith(MATERIAL_ERROR)}
        refused = [
            (k.removeprefix(MATERIAL_ERROR), v) for k, v in errors.items() if k.startswith(MATERIAL_ERROR)
        ]
        return (
            self.render_template(
                "onewindow/accept/form.html",
                item=item,
                catalog=catalog,
                form=formrender.render(applicant_schema(catalog), {}, data or {}, form_errors, prefix="a"),
                materials=formrender.render_materials(catalog.get("materials") or [], received or []),
                refused=refused,
                **window_context(),
            ),
            status,
        )


def register(appbuilder) -> None:
    appbuilder.add_view(
        AcceptView,
        "受理",
        label=_l("受理"),
        icon="fa-pencil-square-o",
        category="办件",
        category_label=_l("办件"),
        category_icon="fa-folder-open",
        menu_cond=lambda: menu_allowed(appbuilder, "AcceptView"),
    )
