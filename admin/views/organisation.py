"""组织机构 for admins: the org tree (区县 → 镇街 → 村社 → 网格), who is in which group where, and web accounts.

Units and memberships are `orchestrator` data (`OneWindow.add_org_unit`, `add_member`, `remove_member`), which
checks every field; this page shows its problems next to the field they concern. Web accounts and their roles
are Flask-AppBuilder's: created here with its security manager, edited in its own user admin (安全 menu).
Only admins reach this view (it is in no other role of admin/roles.py).
"""

from __future__ import annotations

import re

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.errors import InvalidInput, NotFound, OneWindowError
from orchestrator.orgs import LEVELS

from ..roles import ROLE_LABELS
from ..web import flash_error, problems_by_field, service, username

CATEGORY = "组织机构"
LEVEL_LABELS = {"区县": _l("区县"), "镇街": _l("镇街"), "村社": _l("村社"), "网格": _l("网格")}
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
HIDDEN_ROLES = ("Public",)
ROLE_ORDER = (
    "FrontDesk",
    "BackOffice",
    "Grid",
    "Supervisor",
    "Analyst",
    "Admin",
)  # FAB's anonymous role: never given to an account


def _units() -> list[dict]:
    units = service().org_units()
    for u in units:
        u["level_label"] = LEVEL_LABELS.get(u["level"], u["level"])
    return units


def _groups(place_names: dict[str, str]) -> list[dict]:
    groups = service().groups()
    for g in groups:
        for m in g["members"]:
            m["place"] = place_names.get(m["org_path"]) or (_("全区（不限）") if m["org_path"] == "/" else "")
    return groups


def _accounts(group_names: dict[str, str], groups: list[dict]) -> list[dict]:
    """FAB users with their roles and, from the orchestrator, the groups they are in."""
    member_of: dict[str, list[str]] = {}
    for g in groups:
        for m in g["members"]:
            member_of.setdefault(m["username"], []).append(group_names.get(g["code"], g["code"]))
    return [
        {
            "username": u.username,
            "name": " ".join(p for p in (u.first_name, u.last_name) if p and p != "-"),
            "roles": [ROLE_LABELS.get(r.name, r.name) for r in u.roles],
            "active": u.active,
            "groups": member_of.get(u.username, []),
        }
        for u in sorted(current_app.appbuilder.sm.get_all_users(), key=lambda u: u.username)
    ]


def _roles() -> list[tuple[str, str]]:
    """Roles to give a new account: clerks' first, Admin last (never picked by accident)."""
    order = {name: i for i, name in enumerate(ROLE_ORDER)}
    names = [r.name for r in current_app.appbuilder.sm.get_all_roles() if r.name not in HIDDEN_ROLES]
    return [(n, ROLE_LABELS.get(n, n)) for n in sorted(names, key=lambda n: (order.get(n, len(order)), n))]


def create_account(user: str, name: str, role: str, password: str) -> None:
    """A new web account with one role; every problem at once (InvalidInput), an existing name refused."""
    sm = current_app.appbuilder.sm
    problems: dict[str, str] = {}
    if not USERNAME.match(user):
        problems["username"] = _("用户名为 1–64 位字母、数字或 _ . @ -")
    elif sm.find_user(username=user) is not None:
        problems["username"] = _("账号 %(user)s 已存在", user=user)
    found = sm.find_role(role) if role not in HIDDEN_ROLES else None
    if found is None:
        problems["role"] = _("请选择角色")
    if len(password) < 8:
        problems["password"] = _("密码至少 8 位")
    if len(name) > 64:
        problems["name"] = _("姓名至多 64 个字符")
    if problems:
        raise FieldErrors(problems)
    email = f"{user}@onewindow.local"
    if sm.find_user(email=email) is not None or not sm.add_user(
        user, name or user, "-", email, found, password
    ):
        raise FieldErrors({"username": _("无法创建账号 %(user)s", user=user)})


class FieldErrors(Exception):
    """Problems of a web-only form (accounts), by field, shown like the orchestrator's."""

    def __init__(self, by_field: dict[str, str]):
        super().__init__("; ".join(by_field.values()))
        self.by_field = by_field


class OrganisationView(BaseView):
    """组织机构 (admins only): org units, group members and web accounts."""

    route_base = "/organisation"
    default_view = "index"

    def _page(self, status: int = 200, **context):
        units = _units()
        place_names = {u["path"]: u["name"] for u in units}
        groups = _groups(place_names)
        group_names = {g["code"]: g["name"] for g in groups}
        context.setdefault("errors", {})
        context.setdefault("form", {})
        context.setdefault("failed", None)
        html = self.render_template(
            "onewindow/organisation/index.html",
            units=units,
            levels=[(lv, LEVEL_LABELS[lv]) for lv in LEVELS],
            groups=groups,
            accounts=_accounts(group_names, groups),
            roles=_roles(),
            user_admin=_user_admin_url(),
            **context,
        )
        return html, status

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/units", methods=["POST"])
    @has_access
    def add_unit(self):
        form = {k: (request.form.get(k) or "").strip() for k in ("code", "name", "level", "parent")}
        try:
            unit = service().add_org_unit(
                form["code"], form["name"], form["level"], form["parent"] or None, actor=username()
            )
        except InvalidInput as exc:
            return self._page(422, failed="unit", errors=problems_by_field(exc), form=form)
        flash(_("已保存组织机构：%(name)s（%(code)s）", name=unit["name"], code=unit["code"]), "success")
        return redirect(url_for("OrganisationView.index", _anchor="units"))

    @expose("/members", methods=["POST"])
    @has_access
    def add_member(self):
        form = {k: (request.form.get(k) or "").strip() for k in ("username", "group", "org")}
        try:
            service().add_member(form["username"], form["group"], form["org"] or None, actor=username())
        except InvalidInput as exc:
            return self._page(422, failed="member", errors=problems_by_field(exc), form=form)
        except NotFound as exc:  # an org unit that is not (or no longer) in the tree
            return self._page(422, failed="member", errors={"org": str(exc)}, form=form)
        flash(_("已将 %(user)s 加入用户组 %(group)s", user=form["username"], group=form["group"]), "success")
        return redirect(url_for("OrganisationView.index", _anchor=f"group-{form['group']}"))

    @expose("/members/remove", methods=["POST"])
    @has_access
    def remove_member(self):
        user, group = request.form.get("username", ""), request.form.get("group", "")
        try:
            service().remove_member(user, group, actor=username())
        except OneWindowError as exc:  # already removed (another admin): say so, keep the page
            flash_error(exc)
        else:
            flash(_("已将 %(user)s 移出用户组 %(group)s", user=user, group=group), "success")
        return redirect(url_for("OrganisationView.index", _anchor=f"group-{group}"))

    @expose("/accounts", methods=["POST"])
    @has_access
    def add_account(self):
        form = {k: (request.form.get(k) or "").strip() for k in ("username", "name", "role")}
        try:
            create_account(form["username"], form["name"], form["role"], request.form.get("password") or "")
        except FieldErrors as exc:
            return self._page(422, failed="account", errors=exc.by_field, form=form)
        flash(_("已创建账号 %(user)s", user=form["username"]), "success")
        return redirect(url_for("OrganisationView.index", _anchor="accounts"))


def _user_admin_url() -> str | None:
    """FAB's own user admin (passwords, roles, deactivation), when it is registered."""
    return url_for("UserDBModelView.list") if "UserDBModelView" in current_app.blueprints else None


def register(appbuilder: AppBuilder) -> None:
    """The 组织机构 menu: only for users who may use OrganisationView (admins)."""

    def allowed() -> bool:
        return appbuilder.sm.has_access("can_index", "OrganisationView")

    appbuilder.add_view(
        OrganisationView,
        "组织与人员",
        label=_l("组织与人员"),
        icon="fa-users",
        category=CATEGORY,
        category_label=_l("组织机构"),
        category_icon="fa-university",
        menu_cond=allowed,
    )
