"""账号管理 and 角色职责 for admins: one page per web account, and the roles described by duty.

Accounts and roles are Flask-AppBuilder's (`ab_user`, `ab_role`): disabling, enabling, a new password and a
new role are made here through its security manager (`appbuilder.sm`) and then put on the record through the
core (`OneWindow.record_account_change`: who, what, before and after; never a password). Group memberships
and work areas (`add_member`, `remove_member`) and the login lock (`login_state`, `unlock_login`) are the
core's and audited there. A disabled account cannot sign in (Flask-AppBuilder refuses inactive users at
login and drops their sessions). An admin cannot disable or demote themselves, nor the last active admin.
Only admins reach these pages (no other role of admin/roles.py holds AccountsView).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.core.errors import InvalidInput, NotFound, OneWindowError

from ..roles import DOMAIN_ROLES, ROLE_DUTIES, ROLE_LABELS
from ..web import flash_error, problems_by_field, service, username
from .organisation import CATEGORY, LEVEL_LABELS, place_names, place_of, role_choices

ADMIN = "Admin"


def _user(name: str):
    user = current_app.appbuilder.sm.find_user(username=name)
    if user is None:
        abort(404)
    return user


def _role_names(user) -> list[str]:
    return sorted(r.name for r in user.roles)


def _active_admins() -> list[str]:
    return [
        u.username
        for u in current_app.appbuilder.sm.get_all_users()
        if u.active and any(r.name == ADMIN for r in u.roles)
    ]


def _saved(user) -> bool:
    """Flask-AppBuilder's update: None when saved, False when it failed (and rolled back)."""
    return current_app.appbuilder.sm.update_user(user) is not False


class AccountsView(BaseView):
    """账号管理 (admins only)."""

    route_base = "/accounts"
    default_view = "index"
    method_permission_name = {
        "index": "list",
        "roles": "list",
        "show": "show",
        "set_active": "edit",
        "reset_password": "edit",
        "unlock": "edit",
        "set_role": "edit",
        "add_membership": "edit",
        "remove_membership": "edit",
    }

    @expose("/")
    @has_access
    def index(self):
        wanted = request.args.get("role") or None
        users = sorted(current_app.appbuilder.sm.get_all_users(), key=lambda u: u.username)
        groups = {g["code"]: g for g in service().groups(include_closed=True)}
        member_of: dict[str, list[str]] = {}
        for g in groups.values():
            for m in g["members"]:
                member_of.setdefault(m["username"], []).append(g["name"])
        accounts = [
            {
                "username": u.username,
                "name": " ".join(p for p in (u.first_name, u.last_name) if p and p != "-"),
                "roles": [ROLE_LABELS.get(r, r) for r in _role_names(u)],
                "active": u.active,
                "groups": member_of.get(u.username, []),
            }
            for u in users
            if wanted is None or wanted in _role_names(u)
        ]
        return self.render_template(
            "onewindow/accounts/index.html",
            accounts=accounts,
            wanted=wanted,
            wanted_label=ROLE_LABELS.get(wanted or "", wanted),
        )

    @expose("/roles")
    @has_access
    def roles(self):
        holders: dict[str, int] = {}
        for u in current_app.appbuilder.sm.get_all_users():
            for r in u.roles:
                holders[r.name] = holders.get(r.name, 0) + 1
        roles = [
            {"name": n, "label": ROLE_LABELS[n], "duties": ROLE_DUTIES[n], "holders": holders.get(n, 0)}
            for n in DOMAIN_ROLES
        ]
        return self.render_template("onewindow/accounts/roles.html", roles=roles)

    # -- one account ---------------------------------------------------------------------------------
    def _page(self, name: str, status: int = 200, failed: str | None = None, errors=None, form=None):
        user = _user(name)
        units = service().org_units(include_closed=True)
        names = place_names(units)
        groups = service().groups(include_closed=True)
        group_names = {g["code"]: g["name"] for g in groups}
        memberships = [
            {
                "group": code,
                "group_name": group_names.get(code, code),
                "org_path": path,
                "place": place_of(path, names),
            }
            for code, path in sorted(service().memberships(user.username))
        ]
        for u in units:
            u["level_label"] = LEVEL_LABELS.get(u["level"], u["level"])
        html = self.render_template(
            "onewindow/accounts/show.html",
            account=user,
            full_name=" ".join(p for p in (user.first_name, user.last_name) if p and p != "-"),
            role_names=_role_names(user),
            role_labels=ROLE_LABELS,
            roles=role_choices(),
            lock=service().login_state(user.username),
            memberships=memberships,
            open_groups=[g for g in groups if not g["closed_at"]],
            open_units=[u for u in units if not u["closed_at"]],
            is_self=user.username == username(),
            failed=failed,
            errors=errors or {},
            form=form or {},
        )
        return html, status

    def _back(self, name: str, message: str, anchor: str = ""):
        flash(message, "success")
        return redirect(url_for("AccountsView.show", name=name, _anchor=anchor or None))

    @expose("/user/<name>")
    @has_access
    def show(self, name: str):
        return self._page(name)

    @expose("/user/<name>/active", methods=["POST"])
    @has_access
    def set_active(self, name: str):
        user = _user(name)
        active = request.form.get("active") == "1"
        if user.active == active:
            return self._back(user.username, _("账号 %(user)s 未变化", user=user.username))
        if not active and user.username == username():
            return self._page(name, 409, "active", {"": _("不能停用自己的账号")})
        if not active and _active_admins() == [user.username]:
            return self._page(name, 409, "active", {"": _("至少要保留一个启用的管理员账号")})
        user.active = active
        if not _saved(user):
            return self._page(name, 500, "active", {"": _("保存失败，请重试")})
        change = "enable" if active else "disable"
        service().record_account_change(
            username(), user.username, change, {"active": not active}, {"active": active}
        )
        done = (
            _("已启用账号 %(user)s", user=user.username)
            if active
            else _("已停用账号 %(user)s", user=user.username)
        )
        return self._back(user.username, done)

    @expose("/user/<name>/password", methods=["POST"])
    @has_access
    def reset_password(self, name: str):
        user = _user(name)
        password, confirm = request.form.get("password") or "", request.form.get("confirm") or ""
        errors = {}
        problems = service().password_problems(password, user.username)
        if problems:
            errors["password"] = "；".join(problems)
        elif confirm != password:
            errors["confirm"] = _("两次输入的密码不一致")
        if errors:
            return self._page(name, 422, "password", errors)
        current_app.appbuilder.sm.reset_password(user.id, password)
        service().record_account_change(
            username(), user.username, "password", None, {"password_changed": True}
        )
        return self._back(user.username, _("已为 %(user)s 设置新密码", user=user.username))

    @expose("/user/<name>/unlock", methods=["POST"])
    @has_access
    def unlock(self, name: str):
        user = _user(name)
        service().unlock_login(user.username, actor=username())
        return self._back(user.username, _("已解除 %(user)s 的登录锁定", user=user.username))

    @expose("/user/<name>/role", methods=["POST"])
    @has_access
    def set_role(self, name: str):
        user = _user(name)
        sm = current_app.appbuilder.sm
        wanted = request.form.get("role") or ""
        role = sm.find_role(wanted) if wanted in DOMAIN_ROLES else None
        form = {"role": wanted}
        if role is None:
            return self._page(name, 422, "role", {"role": _("请选择角色")}, form)
        before = _role_names(user)
        if before == [wanted]:
            return self._back(user.username, _("账号 %(user)s 未变化", user=user.username))
        if ADMIN in before and wanted != ADMIN:
            if user.username == username():
                return self._page(name, 409, "role", {"role": _("不能取消自己的管理员角色")}, form)
            if user.active and _active_admins() == [user.username]:
                return self._page(name, 409, "role", {"role": _("至少要保留一个启用的管理员账号")}, form)
        user.roles = [role]
        if not _saved(user):
            return self._page(name, 500, "role", {"": _("保存失败，请重试")}, form)
        service().record_account_change(
            username(), user.username, "role", {"roles": before}, {"roles": [wanted]}
        )
        return self._back(
            user.username,
            _("已将 %(user)s 的角色改为 %(role)s", user=user.username, role=_(ROLE_LABELS[wanted])),
        )

    @expose("/user/<name>/memberships", methods=["POST"])
    @has_access
    def add_membership(self, name: str):
        user = _user(name)
        form = {k: (request.form.get(k) or "").strip() for k in ("group", "org")}
        try:
            service().add_member(user.username, form["group"], form["org"] or None, actor=username())
        except InvalidInput as exc:
            return self._page(name, 422, "member", problems_by_field(exc), form)
        except NotFound as exc:  # an org unit that is not (or no longer) in the tree
            return self._page(name, 422, "member", {"org": str(exc)}, form)
        return self._back(
            user.username,
            _("已将 %(user)s 加入用户组 %(group)s", user=user.username, group=form["group"]),
            "groups",
        )

    @expose("/user/<name>/memberships/remove", methods=["POST"])
    @has_access
    def remove_membership(self, name: str):
        user = _user(name)
        group = request.form.get("group") or ""
        try:
            service().remove_member(user.username, group, actor=username())
        except OneWindowError as exc:  # already removed (another admin): say so
            flash_error(exc)
            return redirect(url_for("AccountsView.show", name=user.username, _anchor="groups"))
        return self._back(
            user.username, _("已将 %(user)s 移出用户组 %(group)s", user=user.username, group=group), "groups"
        )


def register(appbuilder: AppBuilder) -> None:
    """账号管理 and 角色职责 under 组织机构: only for users who may use AccountsView (admins)."""

    def allowed() -> bool:
        return appbuilder.sm.has_access("can_list", "AccountsView")

    appbuilder.add_view(
        AccountsView,
        "账号管理",
        label=_l("账号管理"),
        icon="fa-id-card",
        category=CATEGORY,
        category_label=_l("组织机构"),
        category_icon="fa-university",
        menu_cond=allowed,
    )
    appbuilder.add_link(
        "角色与职责",
        href="AccountsView.roles",
        label=_l("角色与职责"),
        icon="fa-user-shield",
        category=CATEGORY,
        cond=allowed,
    )
