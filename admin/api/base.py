"""What every endpoint of /api/v1 shares: the base class (version, error answers registered once on each
blueprint, the OpenAPI operations built from `schemas`), reading a request with its schema, JSON answers."""

from __future__ import annotations

import copy
import inspect
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from apispec import APISpec
from apispec.exceptions import DuplicateComponentNameError
from flask import Blueprint, Response, current_app, jsonify, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi
from flask_babel import gettext as _
from marshmallow import ValidationError
from marshmallow.exceptions import SCHEMA
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from orchestrator.core import limits
from orchestrator.core.errors import InvalidInput, OneWindowError, Problem

from . import answers, schemas
from .schemas import OwSchema

log = logging.getLogger(__name__)
JSON = "application/json"
MEDIA = {"json": JSON, "form": "multipart/form-data"}
ERROR_RESPONSES = {
    401: ("OwUnauthorized", "no or invalid bearer token"),
    403: ("OwForbidden", "the role may not use this endpoint, or the thing is not yours"),
    404: ("OwNotFound", "no such thing"),
    409: ("OwConflict", "lost a race, or no longer in a state that allows the action"),
    422: ("OwInvalid", "invalid input; `errors` lists every problem (field or file/line/element)"),
}
RULE_PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
CONVERTER_TYPES = {"int": "integer", "float": "number"}
COMPONENTS = tuple(
    kind
    for module in (schemas, answers)
    for kind in vars(module).values()
    if isinstance(kind, type)
    and issubclass(kind, OwSchema)
    and kind.__module__ == module.__name__
    and kind is not OwSchema
)


# -- answers -----------------------------------------------------------------------------------------
def ok(body: Any, status: int = 200) -> Response:
    answer = jsonify(body)
    answer.status_code = status
    return answer


def error_answer(exc: OneWindowError) -> Response:
    """`{"message", ...}` plus what the CLI prints with --json (`errors` for 422, `error` always)."""
    return ok({"message": str(exc), **exc.as_dict()}, exc.http_status)


def problems_of(messages: Any, path: tuple[str, ...] = ()) -> Iterator[Problem]:
    """marshmallow's nested error messages as problems, each `field` a dotted path (`attachments.0`)."""
    if isinstance(messages, Mapping):
        for key, inner in messages.items():
            yield from problems_of(inner, path if key == SCHEMA else (*path, str(key)))
    elif isinstance(messages, list | tuple):
        for inner in messages:
            yield from problems_of(inner, path)
    else:
        field = ".".join(path) or None
        yield Problem(f"{field}: {messages}" if field else str(messages), field=field)


def invalid(exc: ValidationError) -> Response:
    return error_answer(InvalidInput(list(problems_of(exc.messages))))


def too_large(exc: RequestEntityTooLarge) -> Response:
    limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    return error_answer(InvalidInput(Problem(_("请求超过 %(mb)s MB 的上限", mb=limit), field="file")))


def json_error(exc: HTTPException) -> Response:
    return ok({"message": exc.description or exc.name}, exc.code or 500)


def unexpected(exc: Exception) -> Response:
    """Anything else: the app's own handler if it has one (Flask-JWT-Extended's 401s), else a logged 500."""
    handlers = current_app.error_handler_spec.get(None, {}).get(None, {})
    handler: Callable[[Exception], Any] | None = next(
        (handlers[kind] for kind in type(exc).__mro__ if kind in handlers and kind is not Exception), None
    )
    if handler is not None:
        return current_app.make_response(current_app.ensure_sync(handler)(exc))
    log.error("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return error_answer(OneWindowError(_("服务器内部错误（已记录），请稍后再试")))


# -- reading requests --------------------------------------------------------------------------------
def load(schema: type[OwSchema]) -> dict[str, Any]:
    """The request's query, multipart form or JSON body (as the schema's `location` says), loaded with it:
    a ValidationError answers 422 with every problem. Empty values of a query or form are absent."""
    if schema.location == "query":
        return schema().load({k: v for k, v in request.args.items() if v != ""})
    if schema.location == "form":
        values = {k: v for k, v in request.form.items() if v != ""}
        return schema().load({**values, **request.files.to_dict()})
    if (request.content_length or 0) > limits.MAX_TEXT_BYTES:  # refused before it is read (422 as any)
        kb = limits.MAX_TEXT_BYTES // 1024
        raise InvalidInput(Problem(_("请求体超过 %(kb)s KB 的上限", kb=kb), field="body"))
    raw = request.get_data(cache=True)
    if not raw.strip():
        if not schema.body_optional:
            raise InvalidInput(Problem(_("请求体须为 JSON 对象")))
        return schema().load({})
    value = limits.read_json(raw, "body")  # too deep, too large, not UTF-8, NaN: 422 naming the problem
    if not isinstance(value, dict):
        raise InvalidInput(Problem(_("请求体须为 JSON 对象，而不是 %(kind)s", kind=type(value).__name__)))
    return schema().load(value)


# -- OpenAPI -----------------------------------------------------------------------------------------
def operation(
    method: str,
    summary: str,
    answer: type[OwSchema] | dict,
    answers: str | dict[int, str] = "done",
    *,
    takes: type[OwSchema] | None = None,
    errors: tuple[int, ...] = (),
    media: str = JSON,
    path: dict[str, dict] | None = None,
) -> dict[str, dict]:
    """One endpoint's OpenAPI operation, FAB's `openapi_spec_methods` style (`{method: operation}`):
    `answer` is the schema of each success status in `answers`, `takes` the request's schema (a body, or
    query parameters), `errors` the statuses besides 401 and 403, `path` schemas of path parameters (the
    others are read from the URL rule)."""
    described = {200: answers} if isinstance(answers, str) else answers
    responses: dict[str, Any] = {
        str(status): {"description": text, "content": {media: {"schema": answer}}}
        for status, text in described.items()
    }
    for status in sorted({401, 403, *errors}):
        responses[str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    spec: dict[str, Any] = {"summary": summary, "responses": responses}
    spec["parameters"] = [
        {"in": "path", "name": name, "required": True, "schema": schema}
        for name, schema in (path or {}).items()
    ]
    if takes is not None and takes.location == "query":
        spec["parameters"].append({"in": "query", "schema": takes})
    elif takes is not None:
        spec["requestBody"] = {
            "required": not takes.body_optional,
            "content": {MEDIA[takes.location]: {"schema": takes}},
        }
    return {method: spec}


def get(
    summary: str, answer: type[OwSchema] | dict, answers: str | dict[int, str] = "done", **more: Any
) -> dict[str, dict]:
    return operation("get", summary, answer, answers, **more)


def post(
    summary: str, answer: type[OwSchema] | dict, answers: str | dict[int, str] = "done", **more: Any
) -> dict[str, dict]:
    return operation("post", summary, answer, answers, **more)


class OneWindowApi(BaseApi):
    """What all our APIs share: version v1, bearer tokens, JSON error answers, schema components."""

    version = "v1"
    allow_browser_login = False  # bearer tokens only: no cookie, so no CSRF to worry about
    openapi_spec_component_schemas = COMPONENTS

    def create_blueprint(
        self, appbuilder: AppBuilder, endpoint: str | None = None, static_folder: str | None = None
    ) -> Blueprint:
        """The blueprint answers every error as JSON (endpoints raise; no @safe, which would hide them)."""
        blueprint = super().create_blueprint(appbuilder, endpoint, static_folder)
        blueprint.register_error_handler(OneWindowError, error_answer)
        blueprint.register_error_handler(ValidationError, invalid)
        blueprint.register_error_handler(RequestEntityTooLarge, too_large)
        blueprint.register_error_handler(HTTPException, json_error)
        blueprint.register_error_handler(Exception, unexpected)
        return blueprint

    def add_apispec_components(self, api_spec: APISpec) -> None:
        super().add_apispec_components(api_spec)
        for name, description in ERROR_RESPONSES.values():
            error = {"description": description, "content": {JSON: {"schema": schemas.ErrorSchema}}}
            try:
                api_spec.components.response(name, error)
            except DuplicateComponentNameError:
                pass

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        methods: list[str] | None = None,
        func: Callable[..., Response] | None = None,
        **kwargs: Any,
    ) -> None:
        """The operation declared in `openapi_spec_methods`, the docstring as its description, the path
        parameters of the URL rule and FAB's security requirement."""
        assert func is not None and operations is not None
        declared = self.openapi_spec_methods.get(func.__name__, {})
        rule = next(url for url, _methods in func._urls if self.path_helper(url) == path)
        for method in methods or ():
            spec = copy.deepcopy(declared.get(method.lower(), {}))
            spec.setdefault("description", inspect.getdoc(func) or "")
            named = {p["name"] for p in spec.get("parameters", []) if p.get("in") == "path"}
            from_rule = [
                {
                    "in": "path",
                    "name": name,
                    "required": True,
                    "schema": {"type": CONVERTER_TYPES.get(kind, "string")},
                }
                for kind, name in RULE_PART.findall(rule)
                if name not in named
            ]
            spec["parameters"] = from_rule + spec.get("parameters", [])
            if not spec["parameters"]:
                del spec["parameters"]
            if self.get_method_permission(func.__name__):
                spec["security"] = [{"jwt": []}, {"api_key": []}]
            operations[method.lower()] = spec
