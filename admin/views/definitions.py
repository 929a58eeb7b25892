"""Process definitions for analysts and admins: versions, upload, diagram and diff (the modeler and the form
builder have modules of their own, on these permissions: modeler.py, forms.py).

Every change goes through `OneWindow` (deploy, deploy_edit, set_status), which validates the whole unit and
stores nothing when anything is wrong; these pages only show what it reports, problem by problem.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path, PurePosixPath

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.core.errors import Conflict, InvalidInput, OneWindowError, Problem

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
ASPECT_LABELS = {  # what changed about a form field (orchestrator.deploy.compare.ASPECTS)
    "title": _l("标题"),
    "type": _l("类型"),
    "required": _l("必填"),
    "enum": _l("可选值"),
    "const": _l("固定值"),
    "format": _l("格式"),
    "pattern": _l("格式规则"),
    "minimum": _l("最小值"),
    "maximum": _l("最大值"),
    "minLength": _l("最短长度"),
    "maxLength": _l("最大长度"),
    "minItems": _l("最少项数"),
    "maxItems": _l("最多项数"),
    "default": _l("默认值"),
    "readOnly": _l("只读"),
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
        comparison, problems = None, None
        if old not in numbers or new not in numbers:
            abort(404)
        try:
            comparison = service().compare(key, old, new)
        except InvalidInput as exc:
            problems = _problem_rows(exc)
        return self._page(
            "diff.html",
            key=key,
            versions=versions,
            old=old,
            new=new,
            comparison=comparison,
            result=comparison["diagram"] if comparison else None,
            problems=problems,
            change_labels=CHANGE_LABELS,
            aspect_labels=ASPECT_LABELS,
            shown=_shown,
        )


def register(appbuilder: AppBuilder) -> None:
    """The 流程定义 menu; it shows only to users who may use DefinitionView (analysts, admins). The catalog
    form and the version actions are views of their own on DefinitionView's permissions (below)."""

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
    _add_sharing(appbuilder)


def _add_sharing(appbuilder: AppBuilder) -> None:
    """The views that ride on DefinitionView's permissions (their methods map onto its permission names).
    Each is given DefinitionView's whole permission list, so registering one neither adds nor removes a
    stored permission (Flask-AppBuilder drops those a view does not list, which would leave the roles
    without them and log a refusal at every start)."""
    from . import catalog, versions  # they import this module's helpers

    shared = next(v for v in appbuilder.baseviews if isinstance(v, DefinitionView))
    for view_class in (catalog.CatalogView, versions.VersionsView):
        view = view_class()
        view.base_permissions = sorted(set(shared.base_permissions) | set(view.base_permissions))
        appbuilder.add_view_no_menu(view)
