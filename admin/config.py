"""Flask and Flask-AppBuilder configuration, built from `orchestrator.config.Settings` and the environment."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask
from flask_appbuilder.const import AUTH_DB, AUTH_LDAP, AUTH_OAUTH

from orchestrator.core.config import REPO_ROOT, Settings

from .hardening import login_key
from .roles import FAB_ROLES

AUTH_TYPES = {"db": AUTH_DB, "ldap": AUTH_LDAP, "oidc": AUTH_OAUTH}


def flask_config(settings: Settings, env: dict[str, str] | None = None) -> dict[str, Any]:
    env = dict(os.environ if env is None else env)
    demo = env.get("ONEWINDOW_DEMO") == "1"
    https = env.get("ONEWINDOW_HTTPS") == "1"
    config: dict[str, Any] = {
        "SECRET_KEY": env.get("ONEWINDOW_SECRET_KEY") or (_demo_secret(settings) if demo else None),
        "ONEWINDOW_DEMO": demo,
        # without a broker the demo's web process runs due jobs itself; with one, Celery workers do
        "ONEWINDOW_RUN_JOBS": env.get("ONEWINDOW_RUN_JOBS", "1" if demo and not settings.broker_url else "0")
        == "1",
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "APP_NAME": "OneWindow 一窗受理",
        "APP_THEME": "",
        "AUTH_TYPE": AUTH_TYPES.get(env.get("ONEWINDOW_AUTH", "db"), AUTH_DB),
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        "AUTH_USER_REGISTRATION": False,
        "FAB_ROLES": FAB_ROLES,
        "FAB_SECURITY_MANAGER_CLASS": "admin.security.OneWindowSecurityManager",
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_SWAGGER_UI": True,
        "FAB_API_MAX_PAGE_SIZE": 200,
        "FAB_BASE_TEMPLATE": "onewindow/base.html",
        "FAB_INDEX_VIEW": "admin.views.home.HomeIndexView",
        "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:600000" if not demo else "pbkdf2:sha256:1000",
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_TRANSLATION_DIRECTORIES": str(REPO_ROOT / "admin" / "translations"),
        "LANGUAGES": {"zh": {"flag": "cn", "name": "中文"}, "en": {"flag": "gb", "name": "English"}},
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # a form left open longer than a working day asks again
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "ONEWINDOW_HTTPS": https,
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # logins: Flask-AppBuilder's limit per address and account name, on top of the core's lock
        "AUTH_RATE_LIMITED": True,
        "AUTH_RATE_LIMIT": env.get("ONEWINDOW_LOGIN_RATE_LIMIT", "30 per minute"),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_KEY_FUNC": login_key,
        "RATELIMIT_STORAGE_URI": _limiter_storage(settings),
        "RATELIMIT_SWALLOW_ERRORS": True,  # Redis away: logins still work (the lock still counts)
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "MAX_CONTENT_LENGTH": settings.max_material_bytes * 4 + 1024 * 1024,
        "JWT_ACCESS_TOKEN_EXPIRES": 3600,
    }
    # LDAP / OIDC: set ONEWINDOW_AUTH and the Flask-AppBuilder keys through ONEWINDOW_FAB_<KEY> variables.
    for key, value in env.items():
        if key.startswith("ONEWINDOW_FAB_"):
            config[key.removeprefix("ONEWINDOW_FAB_")] = value
    return config


def _limiter_storage(settings: Settings) -> str:
    broker = settings.broker_url or ""
    return broker if broker.startswith(("redis://", "rediss://")) else "memory://"


def require_secret(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "ONEWINDOW_SECRET_KEY is required outside demo mode (ONEWINDOW_DEMO=1); "
            "set it to a long random string, e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )


def _demo_secret(settings: Settings) -> str:
    """Demo mode only: a key generated once and kept under var/, so sessions survive a restart."""
    path = settings.data_dir.parent / "demo-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
