"""Roles and what their pages are (Flask-AppBuilder permissions). Which tasks and cases a user sees
inside those pages is decided by `orchestrator` from groups and org units, not here."""

from __future__ import annotations

from flask import g

_SELF = [
    ["UserInfoEditView", "can_this_form_get|can_this_form_post"],
    ["UserDBModelView", "can_userinfo|userinfoedit"],
    ["ResetMyPasswordView", "can_this_form_get|can_this_form_post"],
    ["SwaggerView", "can_show"],
    ["OpenApi", "can_get"],
    ["MenuApi", "can_get"],
]


def _menus(*names: str) -> list[str]:
    """Which menu entries (categories and items) a role sees; the pages themselves are guarded above."""
    return ["^(" + "|".join(names) + ")$", "menu_access"]


_CLERK_MENUS = ("办件", "我的待办", "cases")
_CLERK = [
    ["InboxView", "can_.*"],
    ["CaseView", "can_.*"],
    ["TaskApi", "can_.*"],
    ["CaseApi", "can_.*"],
]
FAB_ROLES = {
    "Analyst": [
        ["DefinitionView", "can_.*"],
        ["DefinitionApi", "can_.*"],
        ["CaseView", "can_.*"],
        *_SELF,
        _menus("流程定义", "流程列表", "上传流程", "新建流程图", "表单设计", "cases"),
    ],
    "FrontDesk": [*_CLERK, ["AcceptView", "can_.*"], *_SELF, _menus(*_CLERK_MENUS, "受理")],  # 综合窗口
    "BackOffice": [*_CLERK, *_SELF, _menus(*_CLERK_MENUS)],  # 部门后台
    "Supervisor": [*_CLERK, ["SupervisionView", "can_.*"], *_SELF, _menus(*_CLERK_MENUS, "督查", "电子监察")],
    "Grid": [*_CLERK, ["AcceptView", "can_.*"], *_SELF, _menus(*_CLERK_MENUS, "受理")],  # 网格员 / 代办员
}
ROLE_LABELS = {
    "Admin": "管理员",
    "Analyst": "业务分析员",
    "FrontDesk": "综合窗口",
    "BackOffice": "部门后台",
    "Supervisor": "督查",
    "Grid": "网格员/代办员",
}
SEE_ALL = {"Admin", "Supervisor"}  # may open every case (read) and urge any task


def username() -> str | None:
    user = getattr(g, "user", None)
    return getattr(user, "username", None) if user is not None and user.is_authenticated else None


def role_names() -> set[str]:
    user = getattr(g, "user", None)
    if user is None or not user.is_authenticated:
        return set()
    return {r.name for r in user.roles}


def sees_all() -> bool:
    return bool(role_names() & SEE_ALL)
