"""The bpmn-js modeler and the JSON its properties panel talks to (DefinitionView's permissions).

The page draws a diagram with a properties panel (admin/static/src/modeler/, bundled by tools/assets.sh) that
asks this module for its pickers (groups, forms, case statuses), checks expressions and whole diagrams as the
analyst types, and saves, publishes or drops a kept edit. Every rule lives in `OneWindow`; these endpoints
only check the shape of what they are sent (422 with the problems when it is wrong).
"""

from __future__ import annotations

import json

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext as _

from orchestrator.core.errors import InvalidInput, OneWindowError, Problem

from ..web import service, username
from .definitions import KEY, STATUS_CLASSES, STATUS_LABELS, _is_ui, _local_time, _plain, _versions_of

EXPRESSION_KINDS = ("condition", "script", "duration", "date", "cycle")
MAX_EXPRESSION = 20_000  # characters: an expression typed into the panel, not a file

# Endpoints that lived on DefinitionView before the modeler had a module of its own; templates may still
# name them, so url_for() builds them as the ModelerView endpoints they now are.
MOVED = {f"DefinitionView.{name}": f"ModelerView.{name}" for name in (
    "modeler", "modeler_new", "modeler_save", "modeler_save_new"
)}  # fmt: skip


class ModelerView(BaseView):
    """流程图建模器: the page, its save, and the panel's JSON (context, checks, publish, kept edit)."""

    route_base = "/definitions"
    class_permission_name = "DefinitionView"
    # The permissions DefinitionView always had; the panel's JSON rides on them (admin/roles.py unchanged).
    method_permission_name = {
        "modeler": "modeler",
        "modeler_new": "modeler_new",
        "modeler_save": "modeler_save",
        "modeler_save_new": "modeler_save_new",
        "modeler_context": "modeler",
        "check_expression": "modeler",
        "modeler_check": "modeler",
        "modeler_check_new": "modeler",
        "modeler_discard": "modeler_save",
        "modeler_publish": "status",
    }
    default_view = "modeler_new"

    def _page(self, template: str, status: int = 200, **context):
        context.setdefault("status_labels", STATUS_LABELS)
        context.setdefault("status_classes", STATUS_CLASSES)
        return self.render_template(f"onewindow/definitions/{template}", **context), status

    # -- the page ------------------------------------------------------------------------------------------

    @expose("/<key>/<int:version>/modeler")
    @has_access
    def modeler(self, key: str, version: int):
        d = service().definition(key, version)
        name = request.args.get("file") if request.args.get("file") in d["files"] else sorted(d["files"])[0]
        return self._page(
            "modeler.html",
            d=d,
            key=key,
            file_name=name,
            files=sorted(d["files"]),
            xml_url=url_for("DefinitionView.xml", key=key, version=version, file=name),
            save_url=url_for("ModelerView.modeler_save", key=key, version=version),
            config=_config(
                key, version, d["status"], url_for("ModelerView.modeler_check", key=key, version=version)
            ),
            kept=_kept_diagram(key, name),
        )

    @expose("/modeler/new")
    @has_access
    def modeler_new(self):
        """A blank diagram for a new key; an existing key opens its newest version instead."""
        key = (request.args.get("key") or "").strip()
        if not key:
            return self._page("modeler.html", d=None, key=None)
        if not KEY.fullmatch(key):
            flash(_("流程标识须以字母开头，只含字母、数字、下划线、点和连字符"), "danger")
            return self._page("modeler.html", d=None, key=None, wanted=key)
        versions = _versions_of(key)
        if versions:
            flash(_("流程 %(key)s 已存在，已打开其最新版本", key=key), "info")
            return redirect(url_for("ModelerView.modeler", key=key, version=versions[-1]["version"]))
        return self._page(
            "modeler.html",
            d=None,
            key=key,
            file_name=f"{key}.bpmn",
            files=[],
            xml_url="",
            save_url=url_for("ModelerView.modeler_save_new"),
            config=_config(key, None, None, url_for("ModelerView.modeler_check_new")),
            kept=None,
        )

    # -- save ----------------------------------------------------------------------------------------------

    @expose("/<key>/<int:version>/modeler/save", methods=["POST"])
    @has_access
    def modeler_save(self, key: str, version: int):
        return _save_diagram(base=(key, version))

    @expose("/modeler/save", methods=["POST"])
    @has_access
    def modeler_save_new(self):
        return _save_diagram(base=None)

    # -- the panel's JSON ----------------------------------------------------------------------------------

    @expose("/modeler/context")
    @has_access_api
    def modeler_context(self):
        """{"groups", "forms", "version_forms", "case_statuses"}: what the panel's pickers offer."""
        key, version = request.args.get("key") or None, request.args.get("version") or None
        if version is not None and not (version.isdigit() and key):
            return _json_errors([Problem(_("version 须为正整数，并与 key 一同给出"), field="version")])
        if key is not None and not KEY.fullmatch(key):
            return _json_errors(
                [Problem(_("流程标识须以字母开头，只含字母、数字、下划线、点和连字符"), field="key")]
            )
        number = int(version) if version else None
        try:
            context = service().modeler_context(key, number)
            own = service().definition(key, number)["forms"] if key and number else {}
        except OneWindowError as exc:
            return jsonify({"error": str(exc)}), exc.http_status
        return jsonify({**context, "version_forms": sorted(own)})

    @expose("/modeler/check-expression", methods=["POST"])
    @has_access_api
    def check_expression(self):
        """JSON {"source", "kind"} → {"problems": [{"message", "line", "field"}]} (empty: the sandbox accepts it)."""
        body = request.get_json(silent=True)
        source = body.get("source") if isinstance(body, dict) else None
        kind = body.get("kind", "condition") if isinstance(body, dict) else None
        problems = []
        if not isinstance(source, str) or len(source) > MAX_EXPRESSION:
            problems.append(
                Problem(_("source 须为不超过 %(n)s 个字符的文本", n=MAX_EXPRESSION), field="source")
            )
        if kind not in EXPRESSION_KINDS:
            problems.append(
                Problem(_("kind 须为 %(kinds)s 之一", kinds=", ".join(EXPRESSION_KINDS)), field="kind")
            )
        if problems:
            return _json_errors(problems)
        return jsonify({"problems": service().check_expression(source, kind)})

    @expose("/<key>/<int:version>/modeler/check", methods=["POST"])
    @has_access_api
    def modeler_check(self, key: str, version: int):
        """JSON {"xml", "file_name"} → {"problems": [{"file", "line", "element", "message"}]}, nothing stored."""
        return _check_diagram(base=(key, version))

    @expose("/modeler/check", methods=["POST"])
    @has_access_api
    def modeler_check_new(self):
        return _check_diagram(base=None)

    @expose("/modeler/publish", methods=["POST"])
    @has_access_api
    def modeler_publish(self):
        """JSON {"key", "version"}: publish a draft saved from the modeler; refused → 422 with the problems."""
        body = request.get_json(silent=True)
        key = body.get("key") if isinstance(body, dict) else None
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(key, str) or not KEY.fullmatch(key) or type(version) is not int or version < 1:
            return _json_errors([Problem(_('请求须为 JSON {"key", "version"}'))])
        try:
            result = service().set_status(key, version, "published", actor=username())
        except InvalidInput as exc:
            return _json_errors(exc.problems)
        except OneWindowError as exc:
            return jsonify({"error": str(exc)}), exc.http_status
        return jsonify({k: result[k] for k in ("key", "version", "status")})

    @expose("/<key>/modeler/discard", methods=["POST"])
    @has_access_api
    def modeler_discard(self, key: str):
        """Drop this user's kept (refused) edit of `key`."""
        if not KEY.fullmatch(key):
            return _json_errors(
                [Problem(_("流程标识须以字母开头，只含字母、数字、下划线、点和连字符"), field="key")]
            )
        service().discard_edit(username(), key)
        return jsonify({"discarded": key})


def _config(key: str, version: int | None, status: str | None, check_url: str) -> dict:
    """What the page's script needs besides its strings: where to ask, and about what."""
    context = url_for("ModelerView.modeler_context", key=key, version=version) if version else None
    return {
        "key": key,
        "version": version,
        "status": status,
        "urls": {
            "context": context or url_for("ModelerView.modeler_context"),
            "check": check_url,
            "check_expression": url_for("ModelerView.check_expression"),
            "publish": url_for("ModelerView.modeler_publish"),
            "discard": url_for("ModelerView.modeler_discard", key=key),
            "list": url_for("DefinitionView.index", _anchor=f"key-{key}"),
        },
    }


def _kept_diagram(key: str, file_name: str) -> dict | None:
    """This user's refused modeler save of `key`, if it holds a diagram: offered back when the page opens."""
    kept = service().kept_edit(username(), key)
    diagrams = {n: t for n, t in (kept or {}).get("files", {}).items() if n.endswith(".bpmn")}
    if not diagrams:
        return None
    name = file_name if file_name in diagrams else sorted(diagrams)[0]
    return {
        "file_name": name,
        "xml": diagrams[name],
        "problems": kept["problems"],
        "base_version": kept.get("base_version"),
        "saved_local": _local_time(kept.get("saved_at")),
    }


def _diagram_of(body) -> tuple[dict[str, bytes] | None, list[Problem]]:
    """The request's {"xml", "file_name"} as the files of an edit, or what is wrong with it."""
    xml = body.get("xml") if isinstance(body, dict) else None
    file_name = body.get("file_name") if isinstance(body, dict) else None
    if not isinstance(xml, str) or not xml.strip():
        return None, [Problem(_('请求须为 JSON {"xml", "file_name"}，xml 不能为空'))]
    if not isinstance(file_name, str) or not _plain(file_name, ".bpmn"):
        return None, [Problem(_("文件名须为不含路径的 .bpmn 文件名"), file=str(file_name))]
    return {file_name: xml.encode("utf-8")}, []


def _new_form(body, base: tuple[str, int] | None) -> tuple[dict[str, bytes], list[Problem]]:
    """A 新建表单 from the panel: an empty JSON Schema saved with the diagram that links it."""
    name = body.get("new_form") if isinstance(body, dict) else None
    if name is None:
        return {}, []
    if not isinstance(name, str) or not _plain(name, ".json") or _is_ui(name):
        return {}, [Problem(_("表单文件名须为不含路径的 .json 文件名"), file=str(name))]
    if base and name in service().definition(*base)["forms"]:
        return {}, [Problem(_("表单 %(name)s 已存在，请从列表中选择", name=name), file=name)]
    title = body.get("form_title") if isinstance(body.get("form_title"), str) else ""
    stem = name.removesuffix(".json").removesuffix(".schema")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title.strip()[:100] or stem,
        "type": "object",
        "properties": {},
    }
    return {f"forms/{name}": json.dumps(schema, ensure_ascii=False, indent=2).encode("utf-8")}, []


def _save_diagram(base: tuple[str, int] | None):
    """JSON {"xml", "file_name"[, "new_form", "form_title"]} → a new draft: 201 [{key, version, status,
    unchanged}], 200 if unchanged, 422 {"errors"}; a refused edit of a stored version is kept for its author."""
    body = request.get_json(silent=True)
    files, problems = _diagram_of(body)
    if problems:
        return _json_errors(problems)
    try:
        form, problems = _new_form(body, base)
        if problems:
            return _json_errors(problems)
        results = service().deploy_edit({**files, **form}, base=base, actor=username(), keep=True)
    except InvalidInput as exc:
        return _json_errors(exc.problems)
    except OneWindowError as exc:
        return jsonify({"error": str(exc)}), exc.http_status
    out = [{k: r[k] for k in ("key", "version", "status", "unchanged")} for r in results]
    if form:
        name = next(iter(form)).removeprefix("forms/")
        for r in out:
            r["form_editor_url"] = url_for(
                "FormView.form_editor", key=r["key"], version=r["version"], form=name
            )
    return jsonify(out), 200 if all(r["unchanged"] for r in results) else 201


def _check_diagram(base: tuple[str, int] | None):
    files, problems = _diagram_of(request.get_json(silent=True))
    if problems:
        return _json_errors(problems)
    try:
        return jsonify({"problems": service().check_edit(files, base=base)})
    except OneWindowError as exc:
        return jsonify({"error": str(exc)}), exc.http_status


def _json_errors(problems: list[Problem], status: int = 422):
    return jsonify({"errors": [p.as_dict() for p in problems]}), status


def _moved_endpoint(error, endpoint: str, values: dict) -> str:
    """url_for('DefinitionView.modeler', …) still works (Flask's url_build_error_handlers)."""
    if endpoint not in MOVED:
        raise error
    values = {k: v for k, v in values.items() if v is not None or not k.startswith("_")}
    return url_for(MOVED[endpoint], **values)


def register(appbuilder: AppBuilder) -> None:
    """No menu entry of its own: 新建流程图 stays in the 流程定义 menu (admin/views/definitions.py)."""
    appbuilder.add_view_no_menu(ModelerView)
    if _moved_endpoint not in current_app.url_build_error_handlers:  # registering runs in the app context
        current_app.url_build_error_handlers.append(_moved_endpoint)
