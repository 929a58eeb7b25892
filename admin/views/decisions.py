"""决策表: a version's DMN decision tables, edited in the browser with dmn-js (decision table view).

The page opens one `.dmn` file of the version in dmn-js' modeler (vendored by tools/assets.sh, no CDN) and saves
the edited XML as a new draft version of the unit through `OneWindow.deploy_edit(…, keep=True)`, which checks the
whole unit (the table's cells in the sandbox, the business rule tasks' calls) and stores nothing when anything is
wrong. A refused save leaves the table on screen as it was typed, lists the problems in the request's language,
and is kept for its author (offered again on the next visit until a save succeeds or it is discarded).
Analysts and admins only: the view rides on DefinitionView's permissions, as the catalog form does.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _

from orchestrator.core.errors import InvalidInput, OneWindowError, Problem

from ..web import service, username
from .definitions import STATUS_CLASSES, STATUS_LABELS, _local_time, _plain, _result_message

SUFFIX = ".dmn"


def dmn_files(d: dict) -> list[str]:
    """The version's decision tables, by file name."""
    return sorted(name for name in d["files"] if name.endswith(SUFFIX))


class DecisionView(BaseView):
    """The 决策表 tab of a version: the dmn-js editor, its save and the discard of a kept edit."""

    route_base = "/definitions"
    class_permission_name = "DefinitionView"
    method_permission_name = {  # DefinitionView's permissions (admin/roles.py unchanged)
        "decisions": "version",
        "decisions_save": "form_save",
        "decisions_discard": "form_save",
    }
    default_view = "decisions"

    @expose("/<key>/<int:version>/decisions")
    @has_access
    def decisions(self, key: str, version: int):
        d = service().definition(key, version)
        files = dmn_files(d)
        if not files:
            abort(404)
        name = request.args.get("file") if request.args.get("file") in files else files[0]
        page = self.render_template(
            "onewindow/definitions/decisions.html",
            d=d,
            files=files,
            file_name=name,
            kept=_kept_table(key, name),
            xml_url=url_for("DefinitionView.xml", key=key, version=version, file=name),
            config={
                "key": key,
                "version": version,
                "file_name": name,
                "urls": {
                    "save": url_for("DecisionView.decisions_save", key=key, version=version),
                    "list": url_for("DefinitionView.index", _anchor=f"key-{key}"),
                },
            },
            status_labels=STATUS_LABELS,
            status_classes=STATUS_CLASSES,
        )
        return page

    @expose("/<key>/<int:version>/decisions/save", methods=["POST"])
    @has_access
    def decisions_save(self, key: str, version: int):
        """JSON {"xml", "file_name"} → a new draft: 201 {"results", "url"}, 200 when unchanged, 422 {"errors"}
        (the problems, nothing stored, the edit kept for its author)."""
        body = request.get_json(silent=True)
        xml = body.get("xml") if isinstance(body, dict) else None
        name = body.get("file_name") if isinstance(body, dict) else None
        if not isinstance(xml, str) or not xml.strip():
            return _errors([Problem(_('请求须为 JSON {"xml", "file_name"}，xml 不能为空'))])
        try:
            d = service().definition(key, version)
            if not isinstance(name, str) or not _plain(name, SUFFIX) or name not in d["files"]:
                return _errors([Problem(_("文件名须为此版本中的一个 .dmn 决策表文件"), file=str(name))])
            results = service().deploy_edit(
                {name: xml.encode("utf-8")}, base=(key, version), actor=username(), keep=True
            )
        except InvalidInput as exc:
            return _errors(exc.problems)
        except OneWindowError as exc:
            return jsonify({"error": str(exc)}), exc.http_status
        mine = next((r for r in results if r["key"] == key), results[0])
        out = [{k: r[k] for k in ("key", "version", "status", "unchanged")} for r in results]
        if mine["unchanged"]:
            return jsonify({"results": out, "message": _result_message(mine)}), 200
        for r in results:
            flash(_result_message(r), "info" if r["unchanged"] else "success")
        url = url_for("DecisionView.decisions", key=key, version=mine["version"], file=name)
        return jsonify({"results": out, "url": url}), 201

    @expose("/<key>/decisions/discard", methods=["POST"])
    @has_access
    def decisions_discard(self, key: str):
        """Drop this user's kept (refused) edit of `key`, then back to the table."""
        service().discard_edit(username(), key)
        flash(_("已丢弃未保存的修改。"), "info")
        version = request.form.get("version", type=int)
        if version:
            return redirect(
                url_for("DecisionView.decisions", key=key, version=version, file=request.form.get("file"))
            )
        return redirect(url_for("DefinitionView.index", _anchor=f"key-{key}"))


def _kept_table(key: str, file_name: str) -> dict | None:
    """This user's refused save of `key`, if it holds this decision table: offered back when the page opens."""
    kept = service().kept_edit(username(), key)
    xml = (kept or {}).get("files", {}).get(file_name)
    if kept is None or xml is None:
        return None
    return {
        "file_name": file_name,
        "xml": xml,
        "problems": kept["problems"],
        "base_version": kept.get("base_version"),
        "saved_local": _local_time(kept.get("saved_at")),
    }


def _errors(problems: list[Problem], status: int = 422):
    return jsonify({"errors": [p.as_dict() for p in problems]}), status


def register(appbuilder: AppBuilder) -> None:
    """No menu entry: the page is a tab of a version. Like the catalog form it shares DefinitionView's
    permissions, so it is given every permission the views on DefinitionView list (registering it must
    neither add nor drop a stored permission; see definitions._add_sharing)."""
    view = DecisionView()
    shared: set[str] = set(view.base_permissions)
    for other in appbuilder.baseviews:
        if other.class_permission_name == DecisionView.class_permission_name:
            shared |= set(other.base_permissions)
    view.base_permissions = sorted(shared)
    appbuilder.add_view_no_menu(view)
