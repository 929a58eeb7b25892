"""The citizen portal (网上办 / 掌上办) under /portal/: its own blueprint, base template and light mobile CSS,
Chinese by default, and its own login, separate from the staff app's (a citizen is kept in the session under
`portal_citizen`, never as a Flask-AppBuilder user, so no staff page ever opens for a citizen).

Pages: `guide` (办事指南, no login), `account` (register, login, reset by SMS code, company), `cases` (apply
online, my cases, supplement, withdraw, evaluate, message, progress query), `visits` (预约, 上门代办, and the
front desk's 今日预约), `outbox` (the admins' SMS outbox), `staffing` (the admins' 市民账户 and 预约容量).
The REST twin is `rest` with its schemas and tokens in `api` (/api/v1/portal/). Every action goes through
`orchestrator.service.OneWindow`, which decides what is whose. A portal login lasts `ONEWINDOW_PORTAL_SESSION_HOURS` (8) hours without a request.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from limits import parse as parse_limit
from werkzeug.exceptions import HTTPException

from orchestrator.core.errors import NotFound

from ..web import service

SESSION_KEY = "portal_citizen"
SEEN_KEY = "portal_seen"  # when the citizen last made a request (epoch seconds)
LIMITS = {  # per address (and phone where there is one); ONEWINDOW_PORTAL_LIMIT_<KIND> overrides
    "login": "20 per minute",
    "register": "10 per minute",
    "code": "10 per minute",
    "progress": "30 per minute",
}


# The status as a citizen reads it (the national status stays beside it, in `status`).
PLAIN = {
    1: _l("已提交，等待窗口预审"),
    2: _l("已撤件"),
    3: _l("已受理，正在办理"),
    4: _l("不属于受理范围，未受理"),
    5: _l("不予受理"),
    6: _l("待您补正材料（暂停计时）"),
    7: _l("补正材料已收到"),
    8: _l("部门正在办理"),
    9: _l("特别程序中（暂停计时）"),
    10: _l("特别程序结束，继续办理"),
    11: _l("已办结，准予"),
    12: _l("已办结（容缺），请按约定补齐材料"),
    13: _l("已办结，未予准许"),
    14: _l("已撤回"),
    15: _l("已被撤销"),
}


def plain(found: dict) -> dict:
    """`found` (a case, a listed case or a progress answer) with `status_text` in plain words."""
    code = found.get("status_code")
    return {**found, "status_text": str(PLAIN[code]) if code in PLAIN else found.get("status", "")}


def citizen_id() -> int | None:
    found, seen = session.get(SESSION_KEY), session.get(SEEN_KEY)
    if not isinstance(found, int) or not isinstance(seen, int | float):
        return None
    hours = current_app.config.get("ONEWINDOW_PORTAL_SESSION_HOURS", 8)
    at = time.time()
    if at - seen > hours * 3600:  # idle too long: log in again
        sign_out()
        return None
    if at - seen > 60:
        session[SEEN_KEY] = int(at)
    return found


def current_citizen() -> dict | None:
    """The logged-in citizen's account, looked up once a request; None (and logged out) when there is
    none or an admin disabled it since."""
    if "portal_citizen" in g:
        return g.portal_citizen
    found, account = citizen_id(), None
    if found is not None:
        try:
            account = dict(service().citizen(found))
        except NotFound:
            sign_out()
    g.portal_citizen = account
    return account


def sign_in(found: int) -> None:
    session.pop(SESSION_KEY, None)
    session[SESSION_KEY] = found
    session[SEEN_KEY] = int(time.time())
    session.permanent = True


def sign_out() -> None:
    session.pop(SESSION_KEY, None)
    session.pop(SEEN_KEY, None)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_citizen() is None:
            return redirect(url_for("portal.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def too_many(kind: str, extra: str = "") -> bool:
    """Count this request against the portal's `kind` limit (the staff login's limiter: Redis when a broker
    is configured, memory otherwise); True when it is over."""
    appbuilder = current_app.appbuilder  # type: ignore[attr-defined]
    limiter = getattr(appbuilder.sm, "limiter", None)
    if limiter is None or not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    value = current_app.config.get(f"ONEWINDOW_PORTAL_LIMIT_{kind.upper()}", LIMITS[kind])
    key = f"{get_remote_address()}|{extra.strip().lower()[:40]}"
    try:
        return not limiter.limiter.hit(parse_limit(value), "portal", kind, key)
    except Exception:  # noqa: BLE001  (storage away: the login lock still counts)
        return False


def page(template: str, status: int = 200, **context: Any):
    context.setdefault("citizen", current_citizen())
    if context["citizen"] is not None:
        context.setdefault("unread", service().citizen_unread(context["citizen"]["id"]))
    return render_template(f"onewindow/portal/{template}", **context), status


CHINA = ZoneInfo("Asia/Shanghai")


def china_time(value: str | None, length: int = 16) -> str:
    """A stored time (naive UTC, ISO) as the citizen reads it: Beijing time, "2026-12-05 04:14"."""
    if not value:
        return ""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value[:length]
    if len(value) == 10:  # a date stays a date
        return value
    return at.replace(tzinfo=UTC).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")[:length]


def error_page(exc: HTTPException):
    """The portal's own error page, in its look and words (nothing is stored on an error)."""
    status = exc.code or 500
    words = {
        400: (_("页面已过期"), _("页面停留太久或提交的内容有误，请刷新页面后重新提交。")),
        404: (_("没有找到"), _("要找的事项或办件不存在，或不是您的办件。")),
        413: (_("文件太大"), _("上传的文件太大：单个材料不超过 10 MB，请压缩或拆分后重新提交。")),
        429: (_("操作太频繁"), _("请稍后再试。")),
    }
    title, message = words.get(status, (_("出错了"), _("请稍后再试。")))
    return page("error.html", status, code=status, title=title, message=message)


def register(app: Flask) -> None:
    from . import account, cases, guide, visits

    bp = Blueprint("portal", __name__, url_prefix="/portal")  # one per app: tests make several
    bp.add_app_template_filter(china_time, "pt_time")
    for status in (400, 404, 413, 429):
        bp.register_error_handler(status, error_page)
    for module in (guide, account, cases, visits):
        module.routes(bp)
    app.register_blueprint(bp)
    from . import outbox, staffing
    from .rest import PortalApi

    app.appbuilder.add_api(PortalApi)  # type: ignore[attr-defined]
    outbox.register(app.appbuilder)  # type: ignore[attr-defined]
    staffing.register(app.appbuilder)  # type: ignore[attr-defined]
    visits.register_view(app.appbuilder)  # type: ignore[attr-defined]
