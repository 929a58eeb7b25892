"""组织机构 for admins: the org tree (区县 → 镇街 → 村社 → 网格), departments (用户组) and who works where.

Units, groups and memberships are `orchestrator` data: created, renamed, moved and closed through the facade
(`OneWindow.create_group`, `close_group`, `move_org_unit` …), which checks every field, refuses what would
break the tree or strand open work, and audits each change; this page shows a problem next to the field it
concerns. Web accounts and their roles are Flask-AppBuilder's: created here with its security manager and
managed one by one in 账号管理 (admin/views/accounts.py). Only admins reach this view (no other role of
admin/roles.py holds it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.core.errors import Conflict, InvalidInput, NotFound, OneWindowError
from orchestrator.identity.orgs import LEVELS

from ..roles import DOMAIN_ROLES, ROLE_LABELS
from ..web import flash_error, problems_by_field, service, username

CATEGORY = "组织机构"
LEVEL_LABELS = {"区县": _l("区县"), "镇街": _l("镇街"), "村社": _l("村社"), "网格": _l("网格")}
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
# roles to give a new account: clerks' first, Admin last (never picked by accident)
T = TypeVar("T")
ROLE_ORDER = ("FrontDesk", "BackOffice", "Grid", "Supervisor", "Analyst", "Citizen", "Admin")


def _units() -> list[dict]:
    """Every unit (closed ones too), with the parents each open unit may move under."""
    units = service().org_units(include_closed=True)
    for u in units:
        u["level_label"] = LEVEL_LABELS.get(u["level"], u["level"])
        depth = LEVELS.index(u["level"]) if u["level"] in LEVELS else 0
        u["parents"] = [
            p
            for p in units
            if depth
            and p["level"] == LEVELS[depth - 1]
            and not p["closed_at"]
            and not p["path"].startswith(u["path"])
        ]
    return units


def place_names(units: list[dict]) -> dict[str, str]:
    return {u["path"]: u["name"] for u in units}


def place_of(path: str, names: dict[str, str]) -> str:
    return names.get(path) or (_("全区（不限）") if path == "/" else path)


def _groups(names: dict[str, str]) -> list[dict]:
    groups = service().groups(include_closed=True)
    for g in groups:
        for m in g["members"]:
            m["place"] = place_of(m["org_path"], names)
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


def role_choices() -> list[tuple[str, str]]:
    """The domain roles (admin/roles.py) that exist, clerks' first, Admin last."""
    present = {r.name for r in current_app.appbuilder.sm.get_all_roles()}
    return [(n, ROLE_LABELS[n]) for n in ROLE_ORDER if n in present and n in DOMAIN_ROLES]


def create_account(user: str, name: str, role: str, password: str) -> None:
    """A new web account with one role; every problem at once (FieldErrors), an existing name refused;
    the password follows the policy (`OneWindow.password_problems`). Audited."""
    sm = current_app.appbuilder.sm
    problems: dict[str, str] = {}
    if not USERNAME.match(user):
        problems["username"] = _("用户名为 1–64 位字母、数字或 _ . @ -")
    elif sm.find_user(username=user) is not None:
        problems["username"] = _("账号 %(user)s 已存在", user=user)
    found = sm.find_role(role) if role in DOMAIN_ROLES else None
    if found is None:
        problems["role"] = _("请选择角色")
    weak = service().password_problems(password, user)
    if weak:
        problems["password"] = "；".join(weak)
    if len(name) > 64:
        problems["name"] = _("姓名至多 64 个字符")
    if problems:
        raise FieldErrors(problems)
    email = f"{user}@onewindow.local"
    if sm.find_user(email=email) is not None or not sm.add_user(
        user, name or user, "-", email, found, password
    ):
        raise FieldErrors({"username": _("无法创建账号 %(user)s", user=user)})
    service().record_account_change(username(), user, "create", None, {"roles": [role], "active": True})


class FieldErrors(Exception):
    """Problems of a web-only form (accounts), by field, shown like the orchestrator's."""

    def __init__(self, by_field: dict[str, str]):
        super().__init__("; ".join(by_field.values()))
        self.by_field = by_field


def _form(*names: str) -> dict[str, str]:
    return {k: (request.form.get(k) or "").strip() for k in names}


class OrganisationView(BaseView):
    """组织机构 (admins only): org units, departments and their members, web accounts."""

    route_base = "/organisation"
    default_view = "index"

    def _page(self, status: int = 200, **context):
        units = _units()
        names = place_names(units)
        groups = _groups(names)
        group_names = {g["code"]: g["name"] for g in groups}
        context.setdefault("errors", {})
        context.setdefault("form", {})
        context.setdefault("failed", None)
        html = self.render_template(
            "onewindow/organisation/index.html",
            units=units,
            open_units=[u for u in units if not u["closed_at"]],
            levels=[(lv, LEVEL_LABELS[lv]) for lv in LEVELS],
            groups=groups,
            open_groups=[g for g in groups if not g["closed_at"]],
            accounts=_accounts(group_names, groups),
            roles=role_choices(),
            **context,
        )
        return html, status

    def _change(self, failed: str, form: dict, call: Callable[[], T], done: Callable[[T], str], anchor: str):
        """Run one change: its problems on its form's fields (422), a refusal above the form (409),
        else a message and back to where the admin was."""
        try:
            result = call()
        except InvalidInput as exc:
            return self._page(422, failed=failed, errors=problems_by_field(exc), form=form)
        except Conflict as exc:
            return self._page(409, failed=failed, errors={"": str(exc)}, form=form)
        flash(done(result), "success")
        return redirect(url_for("OrganisationView.index", _anchor=anchor))

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    # -- org units -----------------------------------------------------------------------------------
    @expose("/units", methods=["POST"])
    @has_access
    def add_unit(self):
        form = _form("code", "name", "level", "parent")
        try:
            unit = service().add_org_unit(
                form["code"], form["name"], form["level"], form["parent"] or None, actor=username()
            )
        except InvalidInput as exc:
            return self._page(422, failed="unit", errors=problems_by_field(exc), form=form)
        flash(_("已保存组织机构：%(name)s（%(code)s）", name=unit["name"], code=unit["code"]), "success")
        return redirect(url_for("OrganisationView.index", _anchor="units"))

    @expose("/units/<code>/rename", methods=["POST"])
    @has_access
    def rename_unit(self, code: str):
        form = _form("name")
        return self._change(
            f"unit-rename-{code}",
            form,
            lambda: service().rename_org_unit(code, form["name"], actor=username()),
            lambda u: _("已将组织机构 %(code)s 改名为 %(name)s", code=code, name=u["name"]),
            f"unit-{code}",
        )

    @expose("/units/<code>/move", methods=["POST"])
    @has_access
    def move_unit(self, code: str):
        form = _form("parent")
        return self._change(
            f"unit-move-{code}",
            form,
            lambda: service().move_org_unit(code, form["parent"] or None, actor=username()),
            lambda u: _("已将 %(name)s 迁移至 %(path)s", name=u["name"], path=u["path"]),
            f"unit-{code}",
        )

    @expose("/units/<code>/close", methods=["POST"])
    @has_access
    def close_unit(self, code: str):
        return self._change(
            f"unit-close-{code}",
            {},
            lambda: service().close_org_unit(code, actor=username()),
            lambda u: _("已撤销组织机构：%(name)s（%(code)s）", name=u["name"], code=code),
            f"unit-{code}",
        )

    @expose("/units/<code>/reopen", methods=["POST"])
    @has_access
    def reopen_unit(self, code: str):
        return self._change(
            f"unit-close-{code}",
            {},
            lambda: service().reopen_org_unit(code, actor=username()),
            lambda u: _("已恢复组织机构：%(name)s（%(code)s）", name=u["name"], code=code),
            f"unit-{code}",
        )

    # -- departments (用户组) -------------------------------------------------------------------------
    @expose("/groups", methods=["POST"])
    @has_access
    def add_group(self):
        form = _form("code", "name")
        return self._change(
            "group",
            form,
            lambda: service().create_group(form["code"], form["name"], actor=username()),
            lambda g: _("已新建用户组：%(name)s（%(code)s）", name=g["name"], code=g["code"]),
            f"group-{form['code']}",
        )

    @expose("/groups/<code>/rename", methods=["POST"])
    @has_access
    def rename_group(self, code: str):
        form = _form("name")
        return self._change(
            f"group-rename-{code}",
            form,
            lambda: service().rename_group(code, form["name"], actor=username()),
            lambda g: _("已将用户组 %(code)s 改名为 %(name)s", code=code, name=g["name"]),
            f"group-{code}",
        )

    @expose("/groups/<code>/close", methods=["POST"])
    @has_access
    def close_group(self, code: str):
        return self._change(
            f"group-close-{code}",
            {},
            lambda: service().close_group(code, actor=username()),
            lambda g: _("已停用用户组：%(name)s（%(code)s）", name=g["name"], code=code),
            f"group-{code}",
        )

    @expose("/groups/<code>/reopen", methods=["POST"])
    @has_access
    def reopen_group(self, code: str):
        return self._change(
            f"group-close-{code}",
            {},
            lambda: service().reopen_group(code, actor=username()),
            lambda g: _("已恢复用户组：%(name)s（%(code)s）", name=g["name"], code=code),
            f"group-{code}",
        )

    @expose("/members", methods=["POST"])
    @has_access
    def add_member(self):
        form = _form("username", "group", "org")
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

    # -- accounts ------------------------------------------------------------------------------------
    @expose("/accounts", methods=["POST"])
    @has_access
    def add_account(self):
        form = _form("username", "name", "role")
        try:
            create_account(form["username"], form["name"], form["role"], request.form.get("password") or "")
        except FieldErrors as exc:
            return self._page(422, failed="account", errors=exc.by_field, form=form)
        flash(_("已创建账号 %(user)s", user=form["username"]), "success")
        return redirect(url_for("OrganisationView.index", _anchor="accounts"))


def register(appbuilder: AppBuilder) -> None:
    """The 组织机构 menu: only for users who may use OrganisationView (admins)."""

    def allowed() -> bool:
        return appbuilder.sm.has_access("can_index", "OrganisationView")

    appbuilder.add_view(
        OrganisationView,
        "组织与人员",
        label=_l("组织与人员"),
        icon="fa-sitemap",
        category=CATEGORY,
        category_label=_l("组织机构"),
        category_icon="fa-university",
        menu_cond=allowed,
    )
