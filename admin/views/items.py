"""新建事项 for analysts: a new service item from a class template, with no file and no hand-written XML,
JSON or YAML; and 另存为模板, a published item kept as a template for the next ones.

Every rule is the core's (`OneWindow.new_item`, `save_template`): this page shows each problem next to its
field. The view's permission is the definitions' (analysts and admins).
"""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _

from orchestrator.core.errors import InvalidInput, NotFound, OneWindowError
from orchestrator.gov.vocabulary import ITEM_TYPES

from ..web import flash_error, problems_by_field, service, username

FIELD_OF = {  # where the core's problems (catalog paths, argument names) are shown on this form
    "lead_department": "lead",
    "co_departments": "co",
    "implementing_body": "org",
    "limits.statutory_days": "statutory",
    "limits.promised_days": "promised",
    "type": "type",
}


def _form_values() -> dict:
    form = request.form
    return {
        "key": form.get("key", "").strip(),
        "template": form.get("template", ""),
        "name": form.get("name", "").strip(),
        "code": form.get("code", "").strip(),
        "type": form.get("type") or None,
        "lead": form.get("lead", ""),
        "co": [c for c in form.getlist("co") if c],
        "org": form.get("org") or None,
        "statutory": form.get("statutory", "").strip(),
        "promised": form.get("promised", "").strip(),
        "materials": [m.strip() for m in form.get("materials", "").splitlines() if m.strip()],
    }


def _number(values: dict, name: str, errors: dict) -> int:
    text = values[name]
    if not text.isdigit() or int(text) > 365:
        errors[name] = _("请填写 0–365 的工作日数")
        return 0
    return int(text)


class ItemStudioView(BaseView):
    """新建事项 (analysts): pick a template, answer a few questions, get a draft version to refine."""

    route_base = "/items"
    default_view = "new"
    class_permission_name = "DefinitionView"
    method_permission_name = {"new": "show", "save_template": "show"}

    def _page(self, values: dict | None = None, errors: dict | None = None, status: int = 200):
        groups = service().groups()
        html = self.render_template(
            "onewindow/items/new.html",
            templates=service().item_templates(),
            groups=[g for g in groups if g["code"] not in ("frontdesk", "delivery", "grid", "command")],
            units=service().org_units(),
            types=ITEM_TYPES,
            values=values
            or {"template": request.args.get("template", "promised"), "co": [], "materials": []},
            errors=errors or {},
        )
        return html, status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        if request.method == "GET":
            return self._page()
        values = _form_values()
        errors: dict[str, str] = {}
        statutory, promised = _number(values, "statutory", errors), _number(values, "promised", errors)
        if errors:
            return self._page(values, errors, 422)
        try:
            made = service().new_item(
                values["key"],
                template=values["template"],
                name=values["name"],
                code=values["code"],
                lead=values["lead"],
                co=values["co"],
                org=values["org"],
                item_type=values["type"],
                statutory_days=statutory,
                promised_days=promised,
                materials=values["materials"],
                actor=username(),
            )
        except InvalidInput as exc:
            by_field = problems_by_field(exc)
            return self._page(values, {FIELD_OF.get(k, k): v for k, v in by_field.items()}, 422)
        except NotFound as exc:
            return self._page(values, {"template": str(exc)}, 404)
        return redirect(url_for("DefinitionView.version", key=made["key"], version=made["version"]))

    @expose("/<key>/<int:version>/template", methods=["POST"])
    @has_access
    def save_template(self, key: str, version: int):
        """另存为模板: a published item becomes a template of 新建事项."""
        try:
            saved = service().save_template(
                key,
                version,
                request.form.get("code", "").strip(),
                request.form.get("name", "").strip(),
                request.form.get("description") or None,
                actor=username(),
            )
        except OneWindowError as exc:
            flash_error(exc)
            return redirect(url_for("DefinitionView.version", key=key, version=version))
        return redirect(url_for("ItemStudioView.new", template=saved["code"]))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(
        ItemStudioView,
        "新建事项",
        href="/items/new",
        icon="fa-plus-square",
        category="流程定义",
    )
