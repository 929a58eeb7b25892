"""事项目录: a version's catalog entry (item.yaml) as a form, drawn from the published catalog schema.

Saving makes a new draft version through `deploy_edit`, which checks the whole entry: a refused save shows
every problem on its field, keeps what was typed on screen and, server-side, as the user's kept edit (offered
again on the next visit until a save succeeds or it is discarded). A plain process (no entry) becomes a
service item here too (设为服务事项), from sensible defaults. Each material's blank template and sample are
uploaded like any material (type-checked, stored by sha256) and downloaded from the version that names them.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from orchestrator.core.errors import InvalidInput, OneWindowError

from .. import formrender
from ..web import flash_error, service, username
from . import catalog_form as cf
from .definitions import STATUS_CLASSES, STATUS_LABELS, _local_time, _result_message

KEPT_FILE = "item.yaml"


def _kept(key: str) -> dict | None:
    """This user's kept catalog edit of `key` (a refused save), if any."""
    kept = service().kept_edit(username(), key)
    return kept if kept and KEPT_FILE in kept["files"] else None


class CatalogView(BaseView):
    """The 事项目录 tab of a version; analysts' and admins' (it shares DefinitionView's permissions)."""

    route_base = "/definitions"
    class_permission_name = "DefinitionView"
    method_permission_name = {  # DefinitionView's permissions (admin/roles.py unchanged)
        "catalog": "version",
        "catalog_file": "xml",
        "catalog_save": "form_save",
        "catalog_discard": "form_save",
    }
    default_view = "catalog"

    @expose("/<key>/<int:version>/catalog")
    @has_access
    def catalog(self, key: str, version: int):
        d = service().definition(key, version)
        kept = _kept(key)
        if request.args.get("restore") and kept:
            entry = cf.from_yaml(kept["files"][KEPT_FILE])
            typed = {KEPT_FILE: kept["files"][KEPT_FILE].encode("utf-8")}
            problems = service().check_edit(typed, base=(key, version))  # in this request's language
            return self._page(d, entry, cf.field_errors(problems, entry), restored=kept)
        if d["catalog"] is None and not request.args.get("new"):
            return self._page(d, None, kept=kept)
        entry = d["catalog"] or cf.new_entry(key, d.get("name"), d.get("lanes") or {})
        return self._page(d, entry, kept=kept, new=d["catalog"] is None)

    @expose("/<key>/<int:version>/catalog", methods=["POST"])
    @has_access
    def catalog_save(self, key: str, version: int):
        d = service().definition(key, version)
        schema, ui = self._schema()
        entry, uploads = cf.from_form(request.form, request.files, schema, ui, cf.signer(_secret()))
        cf.keep_order(entry, d["catalog"])
        errors = self._store_uploads(entry, uploads)
        if errors:  # a refused file: nothing is saved, the analyst picks it again
            return self._page(d, entry, errors, status=422, new=d["catalog"] is None)
        if d["catalog"] is not None and cf.normal(entry) == cf.normal(d["catalog"]):
            flash(_("事项目录没有变化，未生成新版本。"), "info")
            return redirect(url_for("CatalogView.catalog", key=key, version=version))
        try:
            results = service().deploy_edit(
                {KEPT_FILE: cf.to_yaml(entry)}, base=(key, version), actor=username(), keep=True
            )
        except InvalidInput as exc:
            problems = [p.as_dict() for p in exc.problems]
            errors = cf.field_errors(problems, entry)
            return self._page(d, entry, errors, status=422, refused=True, new=d["catalog"] is None)
        except OneWindowError as exc:
            flash_error(exc)
            return redirect(url_for("CatalogView.catalog", key=key, version=version))
        mine = next((r for r in results if r["key"] == key), results[0])
        for r in results:
            flash(_result_message(r), "info" if r["unchanged"] else "success")
        return redirect(url_for("CatalogView.catalog", key=key, version=mine["version"]))

    @expose("/<key>/catalog/discard", methods=["POST"])
    @has_access
    def catalog_discard(self, key: str):
        service().discard_edit(username(), key)
        flash(_("已丢弃未保存的修改。"), "info")
        version = request.form.get("version", type=int)
        if version and request.form.get("next") == "forms":
            return redirect(url_for("FormView.form_editor", key=key, version=version))
        if version:
            return redirect(url_for("CatalogView.catalog", key=key, version=version))
        return redirect(url_for("DefinitionView.index", _anchor=f"key-{key}"))

    @expose("/<key>/<int:version>/catalog/files/<sha256>")
    @has_access
    def catalog_file(self, key: str, version: int, sha256: str):
        """A material's blank template or sample, as the version's catalog names it (a download, never a
        page of this site)."""
        ref, path = service().catalog_file(key, version, sha256)
        response = send_file(
            path,
            mimetype=ref.get("content_type") or "application/octet-stream",
            download_name=ref.get("file_name") or sha256[:12],
            as_attachment=True,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    # -- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _schema() -> tuple[dict, dict]:
        return cf.form_schema(service().item_schema(), _)

    @staticmethod
    def _store_uploads(entry: dict, uploads: dict) -> dict[str, str]:
        """Store each chosen template or sample and put its reference into the entry; refusals by field."""
        errors: dict[str, str] = {}
        for (row, kind), upload in uploads.items():
            material = entry["materials"][row]
            try:
                found = service().upload(
                    upload.stream, upload.filename, material=material.get("name"), actor=username()
                )
            except InvalidInput as exc:
                errors[f"materials/{row}/{kind}"] = "；".join(str(p.message) for p in exc.problems)
                continue
            material[kind] = cf.file_ref(found)
        return errors

    def _page(self, d: dict, entry: dict | None, errors: dict | None = None, *, status: int = 200, **flags):
        key, version = d["key"], d["version"]
        form = None
        if entry is not None:
            schema, ui = self._schema()
            named = {
                ref["sha256"]: ref.get("file_name") or ref["sha256"][:12]
                for m in (d["catalog"] or {}).get("materials") or []
                for ref in _files(m)
            }

            def link(ref: str):
                sha = ref.removeprefix("sha256:")
                if sha not in named:  # typed but not saved yet: no version names it
                    return None
                return named[sha], url_for("CatalogView.catalog_file", key=key, version=version, sha256=sha)

            values = cf.to_form(entry, cf.signer(_secret()))
            form = formrender.render(schema, ui, values, errors or {}, prefix=cf.PREFIX, attachment_link=link)
        kept = flags.pop("kept", None)
        page = self.render_template(
            "onewindow/definitions/catalog.html",
            d=d,
            form=form,
            problem_count=len(errors or {}),
            kept=kept if kept and not flags.get("restored") else None,
            kept_local=_local_time(kept["saved_at"]) if kept else "",
            status_labels=STATUS_LABELS,
            status_classes=STATUS_CLASSES,
            **flags,
        )
        return page, status


def _files(material: dict) -> list[dict]:
    found = [material.get(kind) for kind in cf.FILE_KINDS] if isinstance(material, dict) else []
    return [ref for ref in found if isinstance(ref, dict) and isinstance(ref.get("sha256"), str)]


def _secret() -> str:
    return current_app.config["SECRET_KEY"]
