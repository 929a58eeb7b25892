"""What every response carries and every login passes through.

- Headers: a Content-Security-Policy with a fresh nonce per request (inline scripts carry
  `nonce="{{ csp_nonce() }}"`, as Flask-AppBuilder's own templates already do; no `unsafe-eval`), no framing,
  nosniff, a Referrer-Policy, and HSTS when `ONEWINDOW_HTTPS=1` (which also marks cookies `Secure`).
- Ids in URLs are bounded to what the database can hold, so `/api/v1/tasks/99999999999999999999` is a 404.
- Logins (the web form and `POST /api/v1/security/login` alike): Flask-AppBuilder's rate limit
  (`AUTH_RATE_LIMITED`, Flask-Limiter, per address and account name, Redis when a broker is configured) and
  the core's failure count with a temporary lock (`orchestrator.identity.logins`), both audited.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, has_request_context, jsonify, request
from flask_babel import gettext
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # a BIGINT; larger ids exist nowhere

CSP = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; "  # bpmn-js and dmn-js style their shapes inline
    "img-src 'self' data: blob:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)


class BoundedInt(IntegerConverter):
    """`<int:…>` for ids: one larger than the database can hold is simply not found (404)."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def csp_nonce() -> str:
    if not has_request_context():
        return ""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("ONEWINDOW_HTTPS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def login_key() -> str:
    """Rate-limit key of a login: the address and the account name tried (another account still gets in)."""
    name = request.form.get("username")
    if name is None:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return f"{get_remote_address()}|{str(name or '').strip().lower()[:100]}"


def _locked_api_login(response: Response) -> Response:
    """A locked account's API login: 429 with when to try again, rather than a bare 401."""
    locked = g.get("login_locked")
    if locked and request.path == "/api/v1/security/login" and response.status_code == 401:
        answer = jsonify(
            {"message": str(gettext("登录失败次数过多，账户已临时锁定至 %(until)s（UTC）", until=locked))}
        )
        answer.status_code = 429
        answer.headers["Retry-After"] = str(current_app.config.get("ONEWINDOW_LOGIN_LOCK_SECONDS", 900))
        return answer
    return response


def register(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_locked_api_login)
    app.after_request(add_headers)


def limit_api_login(app: Flask, appbuilder) -> None:
    """Flask-AppBuilder limits its login form's POSTs; its login API gets the same limit here."""
    from flask_appbuilder.security.api import SecurityApi

    if not app.config.get("AUTH_RATE_LIMITED"):
        return
    for view in appbuilder.baseviews:
        if isinstance(view, SecurityApi) and view.blueprint is not None:
            appbuilder.sm.limiter.limit(app.config["AUTH_RATE_LIMIT"], methods=["POST"])(view.blueprint)
