"""Process definitions: list them, deploy a .bpmn file or a .zip unit, publish and retire versions."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import Response, send_file
from flask_appbuilder.api import expose, protect
from flask_babel import gettext as _

from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.deploy import importing
from orchestrator.deploy.units import Unit, read_zip

from ..web import service, username
from .answers import DefinitionsSchema, DefinitionVersionSchema, DeployedSchema, ImportedSchema
from .base import OneWindowApi, get, load, ok, post
from .cases import BINARY
from .schemas import ImportSchema, UnitUploadSchema


def uploaded_unit(file_name: str, data: bytes, max_bytes: int) -> Unit:
    """A deployable unit from an uploaded .bpmn or .zip (read in memory, never extracted)."""
    name = Path(file_name).name
    if len(data) > max_bytes:
        raise InvalidInput(
            Problem(_("文件超过 %(mb)s MB 的上限", mb=max_bytes // (1024 * 1024)), file=name, field="file")
        )
    suffix = Path(name).suffix.lower()
    if suffix == ".bpmn":
        return Unit(name=Path(name).stem, bpmn={name: data})
    if suffix == ".zip":
        return read_zip(name, data, max_bytes)
    raise InvalidInput(Problem(_("请上传 .bpmn 文件或 .zip 压缩包"), file=name or None, field="file"))


class DefinitionApi(OneWindowApi):
    resource_name = "definitions"
    class_permission_name = "DefinitionApi"
    method_permission_name = {
        "listing": "get",
        "upload": "post",
        "publish": "post",
        "retire": "post",
        "import_unit": "post",
        "export": "get",
    }
    openapi_spec_methods = {
        "listing": get("List process definitions with their versions", DefinitionsSchema, "every key"),
        "upload": post(
            "Deploy a .bpmn file or a .zip unit as new version(s)",
            DeployedSchema,
            {
                201: "at least one new version was stored",
                200: "identical content is already deployed (`unchanged`)",
            },
            takes=UnitUploadSchema,
            errors=(422,),
        ),
        "import_unit": post(
            "Import a BPMN 2.0 file or zip drawn elsewhere as a draft, with a report",
            ImportedSchema,
            {201: "stored as draft(s)", 200: "identical content is already stored (`unchanged`)"},
            takes=ImportSchema,
            errors=(409, 422),
        ),
        "export": get(
            "Download a version as a zip of BPMN 2.0, DMN, forms and catalog entry",
            BINARY,
            "the zip",
            media="application/zip",
            errors=(404,),
        ),
        "publish": post(
            "Publish a version",
            DefinitionVersionSchema,
            "the version (`unchanged` when it was already published)",
            errors=(404, 409),
        ),
        "retire": post(
            "Retire a version",
            DefinitionVersionSchema,
            "the version (`unchanged` when it was already retired)",
            errors=(404, 409),
        ),
    }

    @expose("/", methods=["GET"])
    @protect()
    def listing(self) -> Response:
        """Process definitions with all their versions, oldest first (analysts and admins)."""
        grouped: dict[str, dict] = {}
        for row in service().definitions():
            entry = grouped.setdefault(
                row["key"], {"key": row["key"], "name": row["name"], "published": None, "versions": []}
            )
            entry["versions"].append(row)
            entry["name"], entry["latest"] = row["name"], row["version"]
            if row["status"] == "published":
                entry["published"] = row["version"]
        return ok({"definitions": list(grouped.values())})

    @expose("/", methods=["POST"])
    @protect()
    def upload(self) -> Response:
        """Validate and store an uploaded unit; nothing is stored when anything is wrong (422 lists all)."""
        form = load(UnitUploadSchema)
        max_bytes = service().settings.max_upload_bytes
        upload = form["file"]
        unit = uploaded_unit(upload.filename or "", upload.stream.read(max_bytes + 1), max_bytes)
        deployed = service().deploy_unit(unit, publish=form["publish"], tag=form.get("tag"), actor=username())
        return ok({"deployed": deployed}, 200 if all(d["unchanged"] for d in deployed) else 201)

    @expose("/import", methods=["POST"])
    @protect()
    def import_unit(self) -> Response:
        """Store any well-formed BPMN 2.0 (Camunda 7/8, Flowable, Signavio, SpiffArena …) as a draft: the
        report says what was translated, kept as documentation and is still to fix. Malformed or hostile
        XML is refused (422, nothing stored); a process id that already exists needs `key` (409)."""
        form = load(ImportSchema)
        max_bytes = service().settings.max_upload_bytes
        upload = form["file"]
        unit = uploaded_unit(upload.filename or "", upload.stream.read(max_bytes + 1), max_bytes)
        pairs = [p for p in re.split(r"[;\n]", form.get("map_lane") or "") if p.strip()]
        lanes = importing.parse_lane_map(pairs)
        done = service().import_unit(unit, lane_map=lanes, key=form.get("key"), actor=username())
        return ok(done, 200 if all(v["unchanged"] for v in done["versions"]) else 201)

    @expose("/<key>/<int:version>/export", methods=["GET"])
    @protect()
    def export(self, key: str, version: int) -> Response:
        """The version as a zip other modelers open (bpmn.io, Camunda Modeler): its BPMN 2.0 with layout and
        extensions, DMN, forms (JSON Schema, uiSchema), tests and item.yaml, as `deploy` and `import` read."""
        name, data = service().export(key, version)
        return send_file(io.BytesIO(data), mimetype="application/zip", download_name=name, as_attachment=True)

    @expose("/<key>/<int:version>/publish", methods=["POST"])
    @protect()
    def publish(self, key: str, version: int) -> Response:
        """Publish a version: new cases of the key start it."""
        return ok(service().set_status(key, version, "published", actor=username()))

    @expose("/<key>/<int:version>/retire", methods=["POST"])
    @protect()
    def retire(self, key: str, version: int) -> Response:
        """Retire a version: running cases go on, no new case starts it."""
        return ok(service().set_status(key, version, "retired", actor=username()))
