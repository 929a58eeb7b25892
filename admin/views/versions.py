"""What happens to a key's versions, asked before it is done: publish (the published version it supersedes
is retired, new cases start on the new one), retire, delete an unused draft, and withdraw a whole item from
the 受理 list. Each action is a page that says what will change and a POST form (with its CSRF token) that
does it; the core refuses what may not be done (a used or published version is never deleted)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from orchestrator.core.errors import Conflict, InvalidInput, NotFound

from ..web import flash_error, service, username
from .definitions import STATUS_CLASSES, STATUS_LABELS, _versions_of

ACTIONS = ("publish", "retire", "delete")


def published_of(versions: list[dict]) -> dict | None:
    """The version new cases start on (one published version per key)."""
    return next((v for v in reversed(versions) if v["status"] == "published"), None)


class VersionsView(BaseView):
    """Confirmation pages and the delete / withdraw actions (DefinitionView's permissions)."""

    route_base = "/definitions"
    class_permission_name = "DefinitionView"
    method_permission_name = dict.fromkeys(("confirm", "delete", "withdraw_confirm", "withdraw"), "status")
    default_view = "confirm"

    @expose("/<key>/<int:version>/confirm/<action>")
    @has_access
    def confirm(self, key: str, version: int, action: str):
        if action not in ACTIONS:
            abort(404)
        versions = _versions_of(key)
        target = next((v for v in versions if v["version"] == version), None)
        if target is None:
            abort(404)
        return self._page(
            action=action,
            key=key,
            target=target,
            versions=versions,
            published=published_of(versions),
            back=request.args.get("back") if request.args.get("back") == "version" else None,
        )

    @expose("/<key>/<int:version>/delete", methods=["POST"])
    @has_access
    def delete(self, key: str, version: int):
        try:
            service().delete_draft(key, version, actor=username())
        except (Conflict, InvalidInput, NotFound) as exc:
            _refused(exc)
            return redirect(url_for("DefinitionView.index", _anchor=f"key-{key}"))
        flash(_("已删除草稿 %(key)s v%(version)s", key=key, version=version), "success")
        return redirect(url_for("DefinitionView.index", _anchor=f"key-{key}"))

    @expose("/<key>/withdraw", methods=["GET"])
    @has_access
    def withdraw_confirm(self, key: str):
        versions = _versions_of(key)
        if not versions:
            abort(404)
        published = published_of(versions)
        return self._page(
            action="withdraw", key=key, target=published, versions=versions, published=published, back=None
        )

    @expose("/<key>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, key: str):
        try:
            retired = service().withdraw_item(key, actor=username())
        except (Conflict, InvalidInput, NotFound) as exc:
            _refused(exc)
        else:
            numbers = "、".join(f"v{r['version']}" for r in retired)
            flash(_("%(key)s 已从受理列表撤下（%(versions)s 已停用）", key=key, versions=numbers), "success")
        return redirect(url_for("DefinitionView.index", _anchor=f"key-{key}"))

    def _page(self, **context):
        context.setdefault("status_labels", STATUS_LABELS)
        context.setdefault("status_classes", STATUS_CLASSES)
        return self.render_template("onewindow/definitions/confirm.html", **context)


def _refused(exc: Conflict | InvalidInput | NotFound) -> None:
    if isinstance(exc, InvalidInput):
        flash_error(exc)
    else:
        flash(_("未完成：%(reason)s", reason=str(exc)), "danger")
