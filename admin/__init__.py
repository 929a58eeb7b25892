"""The web app (Flask-AppBuilder) for analysts, clerks and admins: a door onto `orchestrator` services.

It holds no engine rules: every action calls `orchestrator.service.OneWindow`, which checks who may do
what (group and org unit). Flask-AppBuilder adds accounts, roles, CSRF, the menu and the REST API.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_wtf.csrf import CSRFProtect

from orchestrator.config import Settings
from orchestrator.service import OneWindow

from . import config as web_config
from . import translations

db = get_sqla_class()()
csrf = CSRFProtect()


def create_app(settings: Settings | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Application factory: settings come in (from the environment by default), nothing is global."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
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
        from . import api, errors, health, metrics_view, views

        views.register(appbuilder)
        api.register(appbuilder)
        errors.register(app)
        health.register(app)
        metrics_view.register(app)
    if app.config.get("ONEWINDOW_RUN_JOBS"):
        from . import jobs_thread

        jobs_thread.start(app, service)
    return app
