"""Flask-AppBuilder's security manager, set up so that it has nothing to refuse at every start.

The built-in roles (admin/roles.py, `FAB_ROLES`) are granted by pattern (`can_.*`), which Flask-AppBuilder
checks from the configuration. Its stock `create_db` also stores each pattern as if it were a permission of
the view; every start then finds those "permissions" missing from the views, tries to delete them, and is
refused because a role holds them (two dozen warnings a start). Here the built-in roles are created
without stored permissions, and patterns stored by earlier versions are removed once.
"""

from __future__ import annotations

import logging

from flask import current_app, flash, g, has_request_context, request
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import gettext
from sqlalchemy import inspect

log = logging.getLogger("onewindow.web")
PATTERN_CHARS = ("*", "|", "^", "$")


def _names(pv) -> list[str]:
    return [x.name for x in (pv.permission, pv.view_menu) if x is not None and x.name]


class OneWindowSecurityManager(SecurityManager):
    def add_permissions_view(self, base_permissions, view_menu):
        """Several views share one permission name (the studio's pages ride on DefinitionView's), so a
        registration adds what its view lists and keeps what is stored: Flask-AppBuilder would otherwise drop
        the other views' permissions, and be refused at every start because roles hold them. Permissions
        of views that are gone are removed by `flask fab security-cleanup`, not at start."""
        view_menu_db = self.find_view_menu(view_menu)
        stored = (
            [pv.permission.name for pv in self.find_permissions_view_menu(view_menu_db)]
            if view_menu_db is not None
            else []
        )
        return super().add_permissions_view(sorted(set(base_permissions or []) | set(stored)), view_menu)

    def auth_user_db(self, username, password):
        """Flask-AppBuilder's password check, behind the core's lock and counted by it (web and API alike)."""
        service = current_app.extensions.get("onewindow")
        if service is None or not username:
            return super().auth_user_db(username, password)
        source = request.remote_addr if has_request_context() else None
        state = service.login_allowed(username, source)
        if state["locked_until"]:
            g.login_locked = state["locked_until"]
            if has_request_context() and not request.path.startswith("/api/"):
                flash(
                    str(
                        gettext(
                            "登录失败次数过多，账户已临时锁定至 %(until)s（UTC）",
                            until=state["locked_until"],
                        )
                    ),
                    "danger",
                )
            return None
        user = super().auth_user_db(username, password)
        if user is None:
            state = service.login_failed(username, source)
            if state["locked_until"]:
                g.login_locked = state["locked_until"]
        else:
            service.login_succeeded(username, source)
        return user

    def register_views(self) -> None:
        """Flask-AppBuilder's security views, registered as usual (login, own account and password, the
        API's login need them; `FAB_ADD_SECURITY_VIEWS` stays on) but left out of the menu: its raw screens
        (users, roles, its own "groups", permissions, views/menus) speak FAB's words, not the hall's.
        Admins manage accounts, departments and roles in 组织机构 (admin/views/accounts.py, organisation.py);
        the raw screens stay reachable by address for an admin who needs them."""
        super().register_views()
        menu = self.appbuilder.menu
        if menu is not None:
            menu.menu[:] = [item for item in menu.menu if item.name != "Security"]  # FAB's category

    def create_db(self) -> None:
        if not current_app.config.get("FAB_CREATE_DB", True):
            return
        engine = self.session.get_bind(mapper=None, clause=None)
        if not {"ab_user", "ab_group", "ab_api_key"} <= set(inspect(engine).get_table_names()):
            Model.metadata.create_all(engine)
        for role_name in self.builtin_roles:
            self.add_role(name=role_name)
        if self.auth_role_admin not in self.builtin_roles:
            self.add_role(self.auth_role_admin)
        self.add_role(self.auth_role_public)
        self._drop_stored_patterns()
        if self.count_users() == 0:
            log.info("no web account yet: `onewindow user add NAME --role Admin --password …` creates one")

    def _drop_stored_patterns(self) -> None:
        stored = [
            pv
            for pv in self.session.query(self.permissionview_model).all()
            if any(c in name for c in PATTERN_CHARS for name in _names(pv))
        ]
        if not stored:
            return
        for role in self.get_all_roles():
            role.permissions = [p for p in role.permissions if p not in stored]
        for pv in stored:
            self.session.delete(pv)
        self.session.commit()
