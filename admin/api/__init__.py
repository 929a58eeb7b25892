"""REST API /api/v1 (described at /api/v1/_openapi): the same services as the CLI, behind bearer tokens.

Every endpoint is a Flask-AppBuilder `BaseApi` method with `@protect()`, so FAB checks the role against the
class permission names of `admin/roles.py` (TaskApi, CaseApi, DefinitionApi); which task or case a user may
see or act on is decided by `orchestrator` (NotAllowed → 403), never here. Methods map to the permissions
`can_get` (reads) and `can_post` (writes) through `method_permission_name`.

Requests are read with the marshmallow schemas of `schemas`, which are also the OpenAPI components; the
operations are declared next to the endpoints (`openapi_spec_methods`). Errors are JSON answers registered
once in `base.OneWindowApi`: a "message" and the CLI's error document (for 422, every problem under
"errors", each with its `field`).
"""

from __future__ import annotations

from flask import current_app, request
from flask_appbuilder import AppBuilder
from werkzeug.exceptions import HTTPException

from .base import OneWindowApi, json_error
from .cases import AttachmentApi, CaseApi
from .definitions import DefinitionApi
from .items import ItemApi, SchemaApi, TemplateApi
from .stats import StatsApi
from .tasks import TaskApi

APIS = (DefinitionApi, CaseApi, AttachmentApi, TaskApi, TemplateApi, ItemApi, SchemaApi, StatsApi)

__all__ = ["APIS", "OneWindowApi", "register"]


def register(appbuilder: AppBuilder) -> None:
    app = current_app
    # Token errors (missing, expired) answer {"message": …} like every other API error.
    app.config["JWT_ERROR_MESSAGE_KEY"] = "message"
    for api in APIS:
        appbuilder.add_api(api)

    @app.errorhandler(405)
    def method_not_allowed(exc: HTTPException):
        """A wrong method under /api/ answers JSON too (no blueprint sees it); elsewhere Flask's own page."""
        return json_error(exc) if request.path.startswith("/api/") else exc
