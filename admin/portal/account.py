"""Citizen accounts: register (mobile, password, real name, ID number, SMS code), log in and out (separate
from staff login, throttled and locked like it), reset the password by SMS code, act for a company."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from orchestrator.core.errors import Conflict, InvalidInput

from ..web import problems_by_field, service
from . import citizen_id, login_required, page, sign_in, sign_out, too_many

REGISTER_FIELDS = ("phone", "name", "id_number", "code", "company_name", "credit_code")


def _safe_next(default: str) -> str:
    target = request.values.get("next") or ""
    local = target.startswith("/portal/") and "\\" not in target and "//" not in target
    return target if local else default


def _send_code(phone: str, purpose: str, errors: dict[str, str]) -> bool:
    if too_many("code", phone):
        errors["code"] = _("操作太频繁，请稍后再试")
        return False
    try:
        service().citizen_send_code(phone, purpose)
    except InvalidInput as exc:
        errors.update(problems_by_field(exc))
        return False
    except Conflict as exc:
        errors["code"] = str(exc)
        return False
    flash(_("验证码已发送至 %(phone)s，10 分钟内有效", phone=phone), "success")
    return True


def login():
    if request.method == "GET":
        return page("login.html", phone="", next=_safe_next(""))
    phone = (request.form.get("phone") or "").strip()[:20]
    password = request.form.get("password") or ""
    if too_many("login", phone):
        flash(_("登录尝试太频繁，请稍后再试"), "danger")
        return page("login.html", 429, phone=phone, next=_safe_next(""))
    found, state = service().citizen_login(phone, password, request.remote_addr)
    if found is None:
        if state["locked_until"]:
            flash(
                _("登录失败次数过多，账户已临时锁定至 %(until)s（UTC）", until=state["locked_until"]),
                "danger",
            )
        else:
            flash(_("手机号或密码不正确"), "danger")
        return page("login.html", 401, phone=phone, next=_safe_next(""))
    sign_in(found["id"])
    return redirect(_safe_next(url_for("portal.my_cases")))


def logout():
    sign_out()
    flash(_("已退出登录"), "success")
    return redirect(url_for("portal.index"))


def register():
    values = {k: (request.form.get(k) or "").strip()[:200] for k in REGISTER_FIELDS}
    if request.method == "GET":
        return page("register.html", values=values, errors={})
    errors: dict[str, str] = {}
    if request.form.get("action") == "code":
        _send_code(values["phone"], "register", errors)
        return page("register.html", 422 if errors else 200, values=values, errors=errors)
    if too_many("register"):
        errors[""] = _("注册太频繁，请稍后再试")
        return page("register.html", 429, values=values, errors=errors)
    try:
        found = service().citizen_register(
            values["phone"],
            request.form.get("password") or "",
            values["name"],
            values["id_number"],
            values["code"],
            company_name=values["company_name"] or None,
            credit_code=values["credit_code"] or None,
        )
    except InvalidInput as exc:
        return page("register.html", 422, values=values, errors=problems_by_field(exc))
    sign_in(found["id"])
    flash(_("注册成功，欢迎使用一窗通办"), "success")
    return redirect(_safe_next(url_for("portal.index")))


def reset():
    values = {k: (request.form.get(k) or "").strip()[:20] for k in ("phone", "code")}
    if request.method == "GET":
        return page("reset.html", values=values, errors={})
    errors: dict[str, str] = {}
    if request.form.get("action") == "code":
        _send_code(values["phone"], "reset", errors)
        return page("reset.html", 422 if errors else 200, values=values, errors=errors)
    try:
        service().citizen_reset_password(values["phone"], values["code"], request.form.get("password") or "")
    except InvalidInput as exc:
        return page("reset.html", 422, values=values, errors=problems_by_field(exc))
    flash(_("密码已重置，请用新密码登录"), "success")
    return redirect(url_for("portal.login"))


def account():
    if citizen_id() is None:
        return redirect(url_for("portal.login", next=url_for("portal.account")))
    return page(
        "account.html", notices=service().citizen_notices(citizen_id() or 0, mark_read=True), errors={}
    )


@login_required
def company():
    found = citizen_id() or 0
    name = (request.form.get("company_name") or "").strip()[:200]
    code = (request.form.get("credit_code") or "").strip()[:18]
    if request.form.get("action") == "remove":
        name, code = "", ""
    try:
        service().citizen_set_company(found, name or None, code or None)
    except InvalidInput as exc:
        return page(
            "account.html", 422, notices=service().citizen_notices(found), errors=problems_by_field(exc)
        )
    flash(_("已保存企业信息") if name else _("已取消代表企业办事"), "success")
    return redirect(url_for("portal.account"))


def routes(bp: Blueprint) -> None:
    bp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
    bp.add_url_rule("/register", "register", register, methods=["GET", "POST"])
    bp.add_url_rule("/reset", "reset", reset, methods=["GET", "POST"])
    bp.add_url_rule("/account", "account", account)
    bp.add_url_rule("/account/company", "company", company, methods=["POST"])
