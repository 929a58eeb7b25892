"""The portal as admins run it (组织机构 menu): 市民账户 (find a citizen account, disable or enable it) and
预约容量 (a hall's places per time slot). Only admins reach these pages (no other role of admin/roles.py holds
these views); every change is audited by the core."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.core.errors import InvalidInput, NotFound
from orchestrator.gov.appointments import CAPACITY, MAX_CAPACITY, SLOTS

from ..web import problems_by_field, service, username

CATEGORY = {"category": "组织机构", "category_label": _l("组织机构"), "category_icon": "fa-university"}


class CitizenAccountsView(BaseView):
    route_base = "/citizen-accounts"
    default_view = "index"
    method_permission_name = {"index": "list", "set_disabled": "edit"}

    @expose("/")
    @has_access
    def index(self):
        query = (request.args.get("q") or "").strip()[:100]
        rows = service().citizen_accounts(query)
        return self.render_template("onewindow/portal/citizen_accounts.html", rows=rows, query=query)

    @expose("/<int:citizen_id>/disabled", methods=["POST"])
    @has_access
    def set_disabled(self, citizen_id: int):
        disabled = request.form.get("disabled") == "1"
        try:
            found = service().set_citizen_disabled(username() or "", citizen_id, disabled)
        except NotFound:
            flash(_("没有这个市民账户"), "danger")
            return redirect(url_for("CitizenAccountsView.index")), 303
        done = _("已停用市民账户 %(name)s") if disabled else _("已启用市民账户 %(name)s")
        flash(done % {"name": found["name"]}, "success")
        return redirect(url_for("CitizenAccountsView.index", q=request.form.get("q") or None)), 303


class HallCapacityView(BaseView):
    route_base = "/appointment-capacity"
    default_view = "index"
    method_permission_name = {"index": "list", "save": "edit"}

    def _page(self, hall: str, status: int = 200, errors=None, form=None):
        halls = service().halls()
        hall = hall or (halls[0]["code"] if halls else "")
        places = service().hall_capacities(hall) if hall else {}
        html = self.render_template(
            "onewindow/portal/capacity.html",
            halls=halls,
            hall=hall,
            slots=SLOTS,
            places={**places, **(form or {})},
            default=CAPACITY,
            most=MAX_CAPACITY,
            errors=errors or {},
        )
        return html, status

    @expose("/")
    @has_access
    def index(self):
        try:
            return self._page((request.args.get("hall") or "")[:64])
        except InvalidInput:
            return self._page("", 404, {"hall": _("没有这个大厅")})

    @expose("/<hall>", methods=["POST"])
    @has_access
    def save(self, hall: str):
        if hall not in {u["code"] for u in service().halls()}:
            return self._page("", 404, {"hall": _("没有这个大厅")})
        form: dict[str, str] = {slot: (request.form.get(slot) or "").strip() for slot in SLOTS}
        wanted: dict[str, int] = {}
        errors: dict[str, str] = {}
        for slot, text in form.items():
            if text.isdigit() and len(text) <= 4:
                wanted[slot] = int(text)
            else:
                errors[slot] = _("请填写 0 到 %(n)s 的整数", n=MAX_CAPACITY)
        if not errors:
            try:
                service().set_hall_capacities(username() or "", hall, wanted)
            except InvalidInput as exc:
                errors = problems_by_field(exc)
        if errors:
            return self._page(hall, 422, errors, form)
        flash(_("已保存预约容量"), "success")
        return redirect(url_for("HallCapacityView.index", hall=hall)), 303


def register(appbuilder: AppBuilder) -> None:
    for view, name, icon in (
        (CitizenAccountsView, "市民账户", "fa-id-card"),
        (HallCapacityView, "预约容量", "fa-calendar"),
    ):
        appbuilder.add_view(
            view,
            name,
            label=_l(name),
            icon=icon,
            menu_cond=lambda v=view.__name__: appbuilder.sm.has_access("can_list", v),
            **CATEGORY,
        )
