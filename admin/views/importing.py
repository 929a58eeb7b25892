"""导入: diagrams drawn in other modelers (Camunda 7/8, Flowable, Signavio, SpiffArena …) stored as a draft
with a report; 导出: a version as a zip others' tools open. On DefinitionView's permissions (导入 rides on
上传流程's, 导出 on the XML view's), like the other tabs of a version."""

from __future__ import annotations

import io
import re
from pathlib import Path, PurePosixPath

from flask import request, send_file
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _

from orchestrator.core.errors import Conflict, InvalidInput, Problem
from orchestrator.deploy import importing
from orchestrator.deploy.units import Unit, read_zip

from ..web import service, username

KIND_LABELS = {"translated": "已转换", "documentation": "作为说明保留", "fix": "待修正"}
KIND_CLASSES = {"translated": "success", "documentation": "info", "fix": "danger"}


def uploaded(file) -> Unit:
    """The uploaded .bpmn or .zip as a unit (read bounded, in memory, never extracted)."""
    if file is None or not file.filename:
        raise InvalidInput(Problem(_("请选择一个 .bpmn 或 .zip 文件"), field="file"))
    name = PurePosixPath(file.filename.replace("\\", "/")).name
    suffix = Path(name).suffix.lower()
    limit = service().settings.max_upload_bytes
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(Problem(_("文件超过 %(mb)s MB 上限", mb=limit // 1048576), file=name))
    if suffix == ".bpmn":
        stem = re.sub(r"[^\w.\-]+", "_", Path(name).stem)[:100] or "upload"
        return Unit(name=stem, bpmn={f"{stem}.bpmn": data})
    if suffix == ".zip":
        return read_zip(name, data, limit)
    raise InvalidInput(Problem(_("只接受 .bpmn 或 .zip 文件"), file=name))


class ImportView(BaseView):
    route_base = "/definitions"
    class_permission_name = "DefinitionView"
    method_permission_name = {"import_diagrams": "upload", "export": "xml"}
    default_view = "import_diagrams"

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_diagrams(self):
        context = {
            "limit_mb": service().settings.max_upload_bytes // 1048576,
            "kind_labels": KIND_LABELS,
            "kind_classes": KIND_CLASSES,
        }
        if request.method == "GET":
            return self.render_template("onewindow/definitions/import.html", **context)
        map_lane = request.form.get("map_lane") or ""
        key = (request.form.get("key") or "").strip() or None
        context.update(map_lane=map_lane, key=key)
        try:
            pairs = [p for p in re.split(r"[;\n]", map_lane) if p.strip()]
            done = service().import_unit(
                uploaded(request.files.get("file")),
                lane_map=importing.parse_lane_map(pairs),
                key=key,
                actor=username(),
            )
        except InvalidInput as exc:
            problems = [p.as_dict() for p in exc.problems]
            return self.render_template(
                "onewindow/definitions/import.html", problems=problems, **context
            ), 422
        except Conflict as exc:
            return self.render_template(
                "onewindow/definitions/import.html", conflict=str(exc), **context
            ), 409
        return self.render_template("onewindow/definitions/import.html", done=done, **context)

    @expose("/<key>/<int:version>/export")
    @has_access
    def export(self, key: str, version: int):
        name, data = service().export(key, version)
        return send_file(io.BytesIO(data), mimetype="application/zip", download_name=name, as_attachment=True)


def register(appbuilder: AppBuilder) -> None:
    """No menu entry of its own (导入 is a button of the definitions list). It is given every permission the
    views on DefinitionView list, so registering it neither adds nor drops a stored permission."""
    view = ImportView()
    shared: set[str] = set(view.base_permissions)
    for other in appbuilder.baseviews:
        if other.class_permission_name == ImportView.class_permission_name:
            shared |= set(other.base_permissions)
    view.base_permissions = sorted(shared)
    appbuilder.add_view_no_menu(view)
