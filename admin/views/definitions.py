"""Process definitions for analysts and admins: versions, upload, diagram, diff, modeler and form editor.

Every change goes through `OneWindow` (deploy, deploy_edit, set_status), which validates the whole unit and
stores nothing when anything is wrong; these pages only show what it reports, problem by problem.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path, PurePosixPath

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from orchestrator import forms
from orchestrator.diff import diff_files
from orchestrator.errors import Conflict, InvalidInput, OneWindowError, Problem

from .. import formrender
from ..web import flash_error, service, username

CATEGORY = "流程定义"
STATUS_LABELS = {"draft": _l("草稿"), "published": _l("已发布"), "retired": _l("已停用")}
STATUS_CLASSES = {"draft": "label-default", "published": "label-success", "retired": "label-warning"}
CHANGE_LABELS = {
    "type": _l("类型"),
    "attribute": _l("属性"),
    "condition": _l("条件"),
    "script": _l("脚本"),
    "timer": _l("定时器"),
    "property": _l("扩展属性"),
    "extension": _l("扩展"),
    "documentation": _l("说明"),
    "flowNodeRef": _l("泳道成员"),
    "detail": _l("细节"),
}
PLAIN_NAME = re.compile(r"[\w\-. ()]{1,120}")  # a file name as given by the analyst, Chinese included
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,199}")  # a process id (XML NCName)
CHINA = timedelta(hours=8)


def _local_time(iso: str | None) -> str:
    """Stored times are naive UTC; the hall reads Beijing time."""
    if not iso:
        return ""
    return (datetime.fromisoformat(iso) + CHINA).strftime("%Y-%m-%d %H:%M")


def _plain(name: str | None, suffix: str) -> bool:
    return bool(name and PLAIN_NAME.fullmatch(name) and not name.startswith(".") and name.endswith(suffix))


def _problem_rows(exc: InvalidInput) -> list[dict]:
    return [p.as_dict() for p in exc.problems]


def _result_message(result: dict) -> str:
    label = STATUS_LABELS.get(result["status"], result["status"])
    if result.get("unchanged"):
        return _(
            "%(key)s 未变化：与 v%(version)s（%(status)s）内容相同",
            key=result["key"],
            version=result["version"],
            status=label,
        )
    return _(
        "%(key)s 已部署为 v%(version)s（%(status)s）",
        key=result["key"],
        version=result["version"],
        status=label,
    )


def _ui_name_for(form_name: str) -> str:
    stem = form_name.removesuffix(".json").removesuffix(".schema")
    return f"{stem}.uischema.json"


def _is_ui(name: str) -> bool:
    return name.endswith(".uischema.json") or name.endswith("-uischema.json")


def _versions_by_key(rows: list[dict]) -> list[dict]:
    """The listing grouped by key, newest version first."""
    out = []
    for key, group in groupby(rows, key=lambda r: r["key"]):
        versions = sorted(group, key=lambda r: r["version"], reverse=True)
        for v in versions:
            v["deployed_local"] = _local_time(v.get("deployed_at"))
        out.append({"key": key, "name": versions[0].get("name") or key, "versions": versions})
    return out


def _versions_of(key: str) -> list[dict]:
    return sorted((r for r in service().definitions() if r["key"] == key), key=lambda r: r["version"])


def _diff_pair(numbers: list[int], version: int) -> tuple[int, int] | None:
    """This version against the one before it (or, for the first, the one after it)."""
    before = [n for n in numbers if n < version]
    after = [n for n in numbers if n > version]
    if before:
        return before[-1], version
    return (version, after[0]) if after else None


def _shown(value: object) -> str:
    """A diff value as one readable text."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


class DefinitionView(BaseView):
    """流程定义: what analysts and admins publish; clerks have no permission on it (admin/roles.py)."""

    route_base = "/definitions"
    default_view = "index"

    def _page(self, template: str, status: int = 200, **context):
        context.setdefault("status_labels", STATUS_LABELS)
        context.setdefault("status_classes", STATUS_CLASSES)
        return self.render_template(f"onewindow/definitions/{template}", **context), status

    # -- list, publish, retire -----------------------------------------------------------------------------

    @expose("/")
    @has_access
    def index(self):
        return self._page("list.html", keys=_versions_by_key(service().definitions()))

    @expose("/<key>/<int:version>/status", methods=["POST"])
    @has_access
    def status(self, key: str, version: int):
        wanted = request.form.get("status", "")
        try:
            result = service().set_status(key, version, wanted, actor=username())
        except (InvalidInput, Conflict) as exc:
            flash_error(exc)
        else:
            label = STATUS_LABELS.get(result["status"], result["status"])
            flash(_("%(key)s v%(version)s 现为%(status)s", key=key, version=version, status=label), "success")
        if request.form.get("back") == "version":
            return redirect(url_for("DefinitionView.version", key=key, version=version))
        return redirect(url_for("DefinitionView.index", _anchor=f"key-{key}"))

    # -- upload --------------------------------------------------------------------------------------------

    @expose("/upload", methods=["GET", "POST"])
    @has_access
    def upload(self):
        limit_mb = service().settings.max_upload_bytes // 1048576
        if request.method == "GET":
            keys = _versions_by_key(service().definitions())
            return self._page(
                "upload.html", limit_mb=limit_mb, keys=keys, problems=None, base=request.args.get("base")
            )
        tag = (request.form.get("tag") or "").strip() or None
        publish = request.form.get("publish") == "1"
        base = request.form.get("base") or None
        try:
            results = self._deploy_upload(request.files.get("file"), tag=tag, publish=publish, base=base)
        except InvalidInput as exc:
            return self._page(
                "upload.html",
                422,
                limit_mb=limit_mb,
                keys=_versions_by_key(service().definitions()),
                problems=_problem_rows(exc),
                tag=tag,
                publish=publish,
                base=base,
            )
        except OneWindowError as exc:
            flash_error(exc)
            return redirect(url_for("DefinitionView.upload"))
        for r in results:
            flash(_result_message(r), "info" if r["unchanged"] else "success")
        return redirect(
            url_for("DefinitionView.index", _anchor=f"key-{results[0]['key']}" if results else None)
        )

    @staticmethod
    def _deploy_upload(file, *, tag: str | None, publish: bool, base: str | None) -> list[dict]:
        """The upload is read bounded and written under its own name into a private folder, deployed from
        there (OneWindow.deploy reads .bpmn and .zip files), and the folder is removed. A lone .bpmn given
        for an existing process replaces its diagram in a copy of its newest version, forms and catalog
        entry included (as an analyst who downloaded, edited and re-uploads the XML expects)."""
        if file is None or not file.filename:
            raise InvalidInput(Problem(_("请选择一个 .bpmn 或 .zip 文件"), field="file"))
        name = PurePosixPath(file.filename.replace("\\", "/")).name
        suffix = Path(name).suffix.lower()
        if suffix not in (".bpmn", ".zip"):
            raise InvalidInput(Problem(_("只接受 .bpmn 或 .zip 文件"), file=name))
        limit = service().settings.max_upload_bytes
        data = file.stream.read(limit + 1)
        if len(data) > limit:
            raise InvalidInput(Problem(_("文件超过 %(mb)s MB 上限", mb=limit // 1048576), file=name))
        if not _plain(name, Path(name).suffix):
            name = f"upload{suffix}"
        if base:
            if suffix != ".bpmn":
                raise InvalidInput(Problem(_("沿用已有流程时只能上传单个 .bpmn 文件"), file=name))
            versions = _versions_of(base)
            if not versions:
                raise InvalidInput(Problem(_("没有流程 %(key)s", key=base), field="base"))
            latest = versions[-1]["version"]
            files = service().definition(base, latest)["files"]
            target = name if name in files or len(files) != 1 else next(iter(files))
            return service().deploy_edit(
                {target: data}, base=(base, latest), publish=publish, tag=tag, actor=username()
            )
        with tempfile.TemporaryDirectory(prefix="ow-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            return service().deploy(path, publish=publish, tag=tag, actor=username())

    # -- one version: metadata, catalog, forms, diagram ------------------------------------------------------

    @expose("/<key>/<int:version>")
    @has_access
    def version(self, key: str, version: int):
        d = service().definition(key, version)
        files = sorted(d["files"])
        current = request.args.get("file") if request.args.get("file") in d["files"] else files[0]
        return self._page(
            "version.html",
            d=d,
            files=files,
            current=current,
            deployed_local=_local_time(d["deployed_at"]),
            form_names=sorted(d["forms"]),
            is_ui=_is_ui,
            diff_pair=_diff_pair([v["version"] for v in _versions_of(key)], version),
        )

    @expose("/<key>/<int:version>/xml")
    @has_access
    def xml(self, key: str, version: int):
        """The BPMN XML as stored. Served sandboxed: an uploaded file must never run as a page of this site."""
        d = service().definition(key, version)
        name = request.args.get("file") or sorted(d["files"])[0]
        if name not in d["files"]:
            abort(404)
        response = Response(d["files"][name], mimetype="application/xml")
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Disposition"] = "inline"
        return response

    # -- diff ----------------------------------------------------------------------------------------------

    @expose("/<key>/diff")
    @has_access
    def diff(self, key: str):
        versions = _versions_of(key)
        if not versions:
            abort(404)
        numbers = [v["version"] for v in versions]
        new = request.args.get("new", type=int) or numbers[-1]
        old = request.args.get("old", type=int) or (numbers[-2] if len(numbers) > 1 else numbers[-1])
        result, problems = None, None
        if old not in numbers or new not in numbers:
            abort(404)
        try:
            result = diff_files(
                service().definition(key, old)["files"], service().definition(key, new)["files"]
            )
        except InvalidInput as exc:
            problems = _problem_rows(exc)
        return self._page(
            "diff.html",
            key=key,
            versions=versions,
            old=old,
            new=new,
            result=result,
            problems=problems,
            change_labels=CHANGE_LABELS,
            shown=_shown,
        )

    # -- modeler -------------------------------------------------------------------------------------------

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
            save_url=url_for("DefinitionView.modeler_save", key=key, version=version),
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
            return redirect(url_for("DefinitionView.modeler", key=key, version=versions[-1]["version"]))
        return self._page(
            "modeler.html",
            d=None,
            key=key,
            file_name=f"{key}.bpmn",
            files=[],
            xml_url="",
            save_url=url_for("DefinitionView.modeler_save_new"),
        )

    @expose("/<key>/<int:version>/modeler/save", methods=["POST"])
    @has_access
    def modeler_save(self, key: str, version: int):
        return self._save_diagram(base=(key, version))

    @expose("/modeler/save", methods=["POST"])
    @has_access
    def modeler_save_new(self):
        return self._save_diagram(base=None)

    @staticmethod
    def _save_diagram(base: tuple[str, int] | None):
        """JSON {"xml", "file_name"} → a new draft: 201 [{key, version, status}], 200 if unchanged, 422 errors."""
        body = request.get_json(silent=True)
        xml = body.get("xml") if isinstance(body, dict) else None
        file_name = body.get("file_name") if isinstance(body, dict) else None
        if not isinstance(xml, str) or not xml.strip():
            return _json_errors([Problem(_('请求须为 JSON {"xml", "file_name"}，xml 不能为空'))])
        if not isinstance(file_name, str) or not _plain(file_name, ".bpmn"):
            return _json_errors([Problem(_("文件名须为不含路径的 .bpmn 文件名"), file=str(file_name))])
        return _json_deploy({file_name: xml.encode("utf-8")}, base)

    # -- form editor ---------------------------------------------------------------------------------------

    @expose("/forms/")
    @has_access
    def forms_start(self):
        """Start empty, or pick a process whose newest version's forms to edit."""
        return self._page(
            "form_editor.html",
            d=None,
            keys=_versions_by_key(service().definitions()),
            form_name="form.schema.json",
            ui_name="form.uischema.json",
            schema_text=json.dumps({"type": "object", "properties": {}}, ensure_ascii=False, indent=2),
            ui_text="{}",
            problems=None,
            preview=_preview_html(b'{"type": "object", "properties": {}}', b"{}", "form.schema.json")[0],
            preview_ok=True,
        )

    @expose("/<key>/<int:version>/forms")
    @has_access
    def form_editor(self, key: str, version: int):
        d = service().definition(key, version)
        names = sorted(n for n in d["forms"] if not _is_ui(n))
        name = request.args.get("form")
        if name not in d["forms"]:
            name = names[0] if names else "form.schema.json"
        ui_name = _ui_name_for(name)
        schema = d["forms"].get(name, {"type": "object", "properties": {}})
        schema_text = json.dumps(schema, ensure_ascii=False, indent=2)
        ui_text = json.dumps(d["forms"].get(ui_name, {}), ensure_ascii=False, indent=2)
        return self._editor(d, name, ui_name, schema_text, ui_text)

    def _editor(self, d: dict, name: str, ui_name: str, schema_text: str, ui_text: str, problems=None):
        html, ok = _preview_html(schema_text.encode(), ui_text.encode(), name)
        return self._page(
            "form_editor.html",
            422 if problems else 200,
            d=d,
            names=sorted(n for n in d["forms"] if not _is_ui(n)),
            form_name=name,
            ui_name=ui_name,
            schema_text=schema_text,
            ui_text=ui_text,
            problems=problems,
            preview=html,
            preview_ok=ok,
        )

    @expose("/forms/preview", methods=["POST"])
    @has_access
    def form_preview(self):
        """JSON {"schema", "ui"} (texts as typed) → the rendered fields, or what is wrong with them (422)."""
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        schema, ui = body.get("schema"), body.get("ui")
        if not isinstance(schema, str) or not isinstance(ui, str | None):
            abort(400)
        html, ok = _preview_html(
            schema.encode(), (ui or "").encode(), str(body.get("name") or "form.schema.json")
        )
        return Response(html, status=200 if ok else 422, mimetype="text/html")

    @expose("/<key>/<int:version>/forms/save", methods=["POST"])
    @has_access
    def form_save(self, key: str, version: int):
        """The edited form (and uiSchema) in a new draft version of the process."""
        d = service().definition(key, version)
        name = (request.form.get("form_name") or "").strip()
        ui_name = (request.form.get("ui_name") or "").strip()
        schema_text, ui_text = request.form.get("schema", ""), request.form.get("ui", "")
        problems = []
        if not _plain(name, ".json"):
            problems.append(Problem(_("表单文件名须为不含路径的 .json 文件名"), file=name))
        if ui_text.strip() not in ("", "{}") and not _plain(ui_name, ".json"):
            problems.append(Problem(_("uiSchema 文件名须为不含路径的 .json 文件名"), file=ui_name))
        files = {f"forms/{name}": schema_text.encode("utf-8")}
        if ui_text.strip() not in ("", "{}") or ui_name in d["forms"]:
            files[f"forms/{ui_name}"] = (ui_text.strip() or "{}").encode("utf-8")
        if not problems:
            try:
                results = service().deploy_edit(files, base=(key, version), actor=username())
            except InvalidInput as exc:
                problems = exc.problems
            except OneWindowError as exc:
                flash_error(exc)
                return redirect(url_for("DefinitionView.form_editor", key=key, version=version, form=name))
        if problems:
            rows = [p.as_dict() for p in problems]
            return self._editor(d, name, ui_name, schema_text, ui_text, problems=rows)
        mine = next((r for r in results if r["key"] == key), results[0])
        for r in results:
            flash(_result_message(r), "info" if r["unchanged"] else "success")
        if mine["unchanged"] and name not in d["forms"]:
            flash(_("流程图中没有用户任务引用表单 %(name)s，所以它不属于任何版本", name=name), "warning")
        return redirect(url_for("DefinitionView.form_editor", key=key, version=mine["version"], form=name))


def _json_errors(problems: list[Problem], status: int = 422):
    return jsonify({"errors": [p.as_dict() for p in problems]}), status


def _json_deploy(files: dict[str, bytes], base: tuple[str, int] | None):
    try:
        results = service().deploy_edit(files, base=base, actor=username())
    except InvalidInput as exc:
        return _json_errors(exc.problems)
    except OneWindowError as exc:
        return jsonify({"error": str(exc)}), exc.http_status
    body = [{k: r[k] for k in ("key", "version", "status", "unchanged")} for r in results]
    return jsonify(body), 200 if all(r["unchanged"] for r in results) else 201


def _preview_html(schema_raw: bytes, ui_raw: bytes, name: str) -> tuple[Markup, bool]:
    """The form as a clerk would see it, or the problems (invalid JSON, invalid JSON Schema) instead."""
    schema, problems = forms.load_schema(name if name.endswith(".json") else "form.schema.json", schema_raw)
    ui: dict = {}
    if ui_raw.strip():
        ui_doc, ui_problems = forms.load_schema("form.uischema.json", ui_raw)
        problems += [Problem(f"uiSchema: {p.message}", line=p.line) for p in ui_problems]
        ui = ui_doc or {}
    if not problems:
        try:
            title = schema.get("title")
            heading = Markup('<h4 class="ow-form-title">{}</h4>').format(title) if title else Markup("")
            return heading + formrender.render(schema, ui), True
        except Exception as exc:  # a valid schema the renderer cannot draw: say so, never a 500
            problems = [Problem(_("无法预览：%(error)s", error=f"{type(exc).__name__}: {exc}"))]
    html = render_template(
        "onewindow/definitions/_problems.html", problems=[p.as_dict() for p in problems], preview=True
    )
    return Markup(html), False


def register(appbuilder: AppBuilder) -> None:
    """The 流程定义 menu; it shows only to users who may use DefinitionView (analysts, admins)."""

    def allowed() -> bool:
        return appbuilder.sm.has_access("can_index", "DefinitionView")

    appbuilder.add_view(
        DefinitionView, "流程列表", icon="fa-sitemap", category=CATEGORY, category_icon="fa-sitemap",
        menu_cond=allowed,
    )  # fmt: skip
    appbuilder.add_link(
        "上传流程", href="/definitions/upload", icon="fa-upload", category=CATEGORY, cond=allowed
    )
    appbuilder.add_link(
        "新建流程图", href="/definitions/modeler/new", icon="fa-pencil", category=CATEGORY, cond=allowed
    )
    appbuilder.add_link(
        "表单设计", href="/definitions/forms/", icon="fa-wpforms", category=CATEGORY, cond=allowed
    )
