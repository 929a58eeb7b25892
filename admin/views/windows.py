"""窗口 for admins (组织机构 menu): each hall's (区县 or 镇街 便民服务中心) numbered windows — 3号综合窗口 — opened,
closed (confirmed) and reopened through the facade (`OneWindow.add_window`, `close_window` …), which checks
every field and audits each change. Clerks pick the window they sit at on the 受理 page (我的窗口). Only admins
reach this view (no other role of admin/roles.py holds it)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.core.errors import Conflict, InvalidInput, NotFound
from orchestrator.gov.windows import KINDS, MAX_NUMBER

from ..web import problems_by_field, service, username

KIND_LABELS = {"综合窗口": _l("综合窗口"), "出件窗口": _l("出件窗口"), "专业窗口": _l("专业窗口")}


class WindowsView(BaseView):
    route_base = "/windows"
    default_view = "index"
    method_permission_name = {"index": "list", "add": "edit", "close": "edit", "reopen": "edit"}

    def _page(self, hall: str, status: int = 200, errors=None, form=None):
        halls = service().halls()
        hall = hall or (halls[0]["code"] if halls else "")
        rows = service().windows(hall, include_closed=True) if hall else []
        html = self.render_template(
            "onewindow/organisation/windows.html",
            halls=halls,
            hall=hall,
            rows=rows,
            kinds=[(k, KIND_LABELS.get(k, k)) for k in KINDS],
            kind_labels=KIND_LABELS,
            most=MAX_NUMBER,
            errors=errors or {},
            form=form or {},
        )
        return html, status

    @expose("/")
    @has_access
    def index(self):
        hall = (request.args.get("hall") or "")[:64]
        if hall and hall not in {u["code"] for u in service().halls()}:
            return self._page("", 404, {"hall": _("没有这个大厅")})
        return self._page(hall)

    @expose("/<hall>", methods=["POST"])
    @has_access
    def add(self, hall: str):
        form = {k: (request.form.get(k) or "").strip() for k in ("number", "kind")}
        number: object = (
            int(form["number"]) if form["number"].isdigit() and len(form["number"]) <= 4 else None
        )
        if number is None:
            return self._page(hall, 422, {"number": _("请填写 1 到 %(n)s 的整数", n=MAX_NUMBER)}, form)
        try:
            found = service().add_window(hall, number, form["kind"], actor=username())
        except InvalidInput as exc:
            errors = problems_by_field(exc)
            if "hall" in errors:
                return self._page("", 404, errors)
            return self._page(hall, 422, errors, form)
        flash(_("已设置窗口：%(name)s", name=found["name"]), "success")
        return redirect(url_for("WindowsView.index", hall=hall)), 303

    def _change(self, window_id: int, close: bool):
        hall = (request.form.get("hall") or "")[:64]
        try:
            if close:
                found = service().close_window(window_id, actor=username())
            else:
                found = service().reopen_window(window_id, actor=username())
        except NotFound:
            flash(_("没有这个窗口"), "danger")
            return redirect(url_for("WindowsView.index", hall=hall or None)), 303
        except (Conflict, InvalidInput) as exc:
            flash(str(exc), "danger")
            return redirect(url_for("WindowsView.index", hall=hall or None)), 303
        done = _("已撤销窗口：%(name)s") if close else _("已恢复窗口：%(name)s")
        flash(done % {"name": found["name"]}, "success")
        return redirect(url_for("WindowsView.index", hall=found["hall"])), 303

    @expose("/<int:window_id>/close", methods=["POST"])
    @has_access
    def close(self, window_id: int):
        return self._change(window_id, close=True)

    @expose("/<int:window_id>/reopen", methods=["POST"])
    @has_access
    def reopen(self, window_id: int):
        return self._change(window_id, close=False)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(
        WindowsView,
        "窗口",
        label=_l("窗口"),
        icon="fa-th-large",
        category="组织机构",
        category_label=_l("组织机构"),
        category_icon="fa-university",
        menu_cond=lambda: appbuilder.sm.has_access("can_list", "WindowsView"),
    )
