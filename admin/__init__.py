"""The web app (Flask-AppBuilder) for analysts, clerks and admins: a door onto `orchestrator` services.

It holds no engine rules: every action calls `orchestrator.service.OneWindow`, which checks who may do
what (group and org unit). Flask-AppBuilder adds accounts, roles, CSRF, the menu and the REST API.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_babel import get_babel, get_locale
from flask_wtf.csrf import CSRFProtect

from orchestrator.core import i18n
from orchestrator.core.config import Settings
from orchestrator.service import OneWindow

from . import config as web_config
from . import hardening, translations

db = get_sqla_class()()
csrf = CSRFProtect()


def create_app(settings: Settings | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Application factory: settings come in (from the environment by default), nothing is global."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.url_map.converters["int"] = hardening.BoundedInt  # before any route is added
    app.config.from_mapping(web_config.flask_config(settings))
    app.config.update(overrides or {})
    web_config.require_secret(app)
    translations.compile_catalogs()
    service = OneWindow(settings)
    app.extensions["onewindow"] = service
    appbuilder = AppBuilder()
    csrf.init_app(app)  # every form post; the bearer-token API is exempt (Flask-AppBuilder's csrf_exempt)
    with app.app_context():
        db.init_app(app)
        appbuilder.init_app(app, db.session)
        get_babel(app).locale_selector = request_locale
        from . import api, errors, health, metrics_view, portal, views

        views.register(appbuilder)
        api.register(appbuilder)
        errors.register(app)
        hardening.register(app)
        hardening.limit_api_login(app, appbuilder)
        health.register(app)
        metrics_view.register(app)
        portal.register(app)  # the citizen portal /portal/ (its own login)
    app.before_request(speak_the_request_language)
    app.teardown_request(lambda _exc: i18n.use(None))
    if app.config.get("ONEWINDOW_RUN_JOBS"):
        from . import jobs_thread

        jobs_thread.start(app, service)
    return app


def request_locale() -> str:
    """The user's choice (Flask-AppBuilder's language menu keeps it in the session; `?_l_=` for one request),
    else the request's Accept-Language, else the default (Chinese)."""
    languages, default = current_app.config["LANGUAGES"], current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    for chosen in (request.args.get("_l_"), session.get("locale")):
        if chosen in languages:
            return chosen
    for tag, _quality in request.accept_languages:  # best first; zh-CN, zh-Hans … are zh
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in languages:
            return primary
    return default


def speak_the_request_language() -> None:
    """The core's messages (errors, statuses) in the request's language, like the app's own."""
    i18n.use(str(get_locale()))
