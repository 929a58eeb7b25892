"""Roles and what their pages are (Flask-AppBuilder permissions). Which tasks and cases a user sees
inside those pages is decided by `orchestrator` from groups and org units, not here."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

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
    ["CaseApi", "can_get|can_post"],  # read cases, upload materials; starting one (can_accept) is 受理's
]
_ACCEPT = [["AcceptView", "can_.*"], ["CaseApi", "can_accept"], ["TodayView", "can_.*"]]  # + 今日预约
FAB_ROLES = {
    "Analyst": [
        ["DefinitionView", "can_.*"],
        ["DefinitionApi", "can_.*"],
        ["CaseView", "can_.*"],
        *_SELF,
        _menus("流程定义", "流程列表", "新建事项", "上传流程", "新建流程图", "表单设计", "cases"),
    ],
    "FrontDesk": [*_CLERK, *_ACCEPT, *_SELF, _menus(*_CLERK_MENUS, "受理", "今日预约")],  # 综合窗口
    "BackOffice": [*_CLERK, *_SELF, _menus(*_CLERK_MENUS)],  # 部门后台
    "Supervisor": [
        *_CLERK,
        ["SupervisionView", "can_.*"],
        ["StatsView", "can_.*"],
        ["StatsApi", "can_get"],
        *_SELF,
        _menus(*_CLERK_MENUS, "督查", "电子监察", "统计分析", "考核"),
    ],
    "Grid": [*_CLERK, *_ACCEPT, *_SELF, _menus(*_CLERK_MENUS, "受理", "今日预约")],  # 网格员 / 代办员
    "Citizen": _SELF[:3],  # 市民 (the coming citizen portal): their own account, no staff page
}
# the roles an admin gives (by duty); FAB's "Public" is the anonymous visitor and never an account's
DOMAIN_ROLES = ("Admin", "Analyst", "FrontDesk", "BackOffice", "Supervisor", "Grid", "Citizen")
ROLE_LABELS = {
    "Admin": "管理员",
    "Analyst": "流程分析员",
    "FrontDesk": "综合窗口",
    "BackOffice": "后台审批",
    "Supervisor": "督查",
    "Grid": "网格员",
    "Citizen": "市民",
}
# what each role may do, in words (the roles page; English in translations/en/accounts.po)
ROLE_DUTIES = {
    "Admin": (
        _l("管理组织树（区县、镇街、村社、网格）：新增、改名、迁移、撤销"),
        _l("管理用户组（部门）及其成员与工作地"),
        _l("管理登录账号：新建、停用与启用、重置密码、解除登录锁定、分配角色"),
        _l("可进入全部页面，查看全部办件"),
    ),
    "Analyst": (
        _l("绘制与上传流程图，设计表单，维护事项目录"),
        _l("校验、发布、停用流程版本，对比版本差异"),
        _l("查看办件（只读）"),
    ),
    "FrontDesk": (
        _l("无差别受理任何事项：核验材料，受理、不予受理或一次性告知补正"),
        _l("办理本用户组在其工作地（含下级）的待办：签收、通过、驳回、退回、转办、评论"),
        _l("出件：向申请人交付办理结果"),
    ),
    "BackOffice": (
        _l("审核、审批本部门在其工作地（含下级）的办件"),
        _l("签收、通过、驳回、退回、转办、评论、催办"),
    ),
    "Supervisor": (
        _l("电子监察：查看提醒、黄牌、红牌预警与各部门统计，运行督查扫描"),
        _l("查看全部办件，催办任何任务"),
    ),
    "Grid": (
        _l("在村社、网格为群众代办受理（代办、助跑）"),
        _l("办理分派给本网格的任务"),
    ),
    "Citizen": (
        _l(
            "市民在市民门户 /portal/ 用手机号自行注册登录（网上申办、查询进度、评价服务），不需要工作人员账号"
        ),
        _l("只能管理自己的账号，不能进入任何工作人员页面"),
    ),
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
