"""Definitions: deploy, publish and retire versions, edit them, compare them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from orchestrator.core.errors import InvalidInput, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import compare, definitions, drafts, exporting, importing, units, validation
from orchestrator.deploy.compare import Comparison
from orchestrator.deploy.definitions import ListedVersion, VersionDetails, VersionSummary
from orchestrator.gov import item_schema
from orchestrator.gov.vocabulary import STATUS
from orchestrator.identity import groups
from orchestrator.service import recording, testing
from orchestrator.service.base import Facade


class DefinitionsDoor(Facade):
    def deploy(
        self,
        path: str | Path,
        *,
        publish: bool = False,
        tag: str | None = None,
        actor: str | None = None,
        run_tests: bool = True,
    ) -> list[VersionSummary]:
        unit = units.read(path, self.settings.max_upload_bytes)
        return self.deploy_unit(unit, publish=publish, tag=tag, actor=actor, run_tests=run_tests)

    def deploy_unit(
        self,
        unit: units.Unit,
        *,
        publish: bool = False,
        tag: str | None = None,
        actor: str | None = None,
        run_tests: bool = True,
    ) -> list[VersionSummary]:
        """Validate and store a unit; publishing it first runs its process tests (refused on a failure)."""
        if publish and run_tests and unit.tests:
            run = testing.run_unit(type(self), unit, self.store, self.settings, reuse_passed=True)
            self._require_passing(run)
        return self._tx(
            lambda s: definitions.deploy(
                s,
                unit,
                forms_dir=self.settings.forms_dir,
                max_bytes=self.settings.max_upload_bytes,
                publish=publish,
                tag=tag,
                actor=actor,
            )
        )

    def import_diagrams(
        self,
        paths: list[str | Path],
        *,
        lane_map: dict[str, str] | None = None,
        key: str | None = None,
        actor: str | None = None,
    ) -> importing.Imported:
        """Import diagrams drawn elsewhere (files, folders, zips) as a draft with a report (see
        deploy.importing): only malformed or hostile XML is refused; an existing key needs `key`."""
        unit = importing.read(list(paths), self.settings.max_upload_bytes)
        return self.import_unit(unit, lane_map=lane_map, key=key, actor=actor)

    def import_unit(
        self,
        unit: units.Unit,
        *,
        lane_map: dict[str, str] | None = None,
        key: str | None = None,
        actor: str | None = None,
    ) -> importing.Imported:
        return self._tx(
            lambda s: importing.import_unit(
                s,
                unit,
                forms_dir=self.settings.forms_dir,
                max_bytes=self.settings.max_upload_bytes,
                lane_map=lane_map,
                key=key,
                actor=actor,
            )
        )

    def export(self, key: str, version: int) -> tuple[str, bytes]:
        """A version as a zip others' tools open: its BPMN 2.0 and DMN files, forms and catalog entry."""
        return self._tx(lambda s: exporting.export(s, key, version))

    def definitions(self) -> list[ListedVersion]:
        return self._tx(definitions.listing)

    def definition(self, key: str, version: int) -> VersionDetails:
        """One version with its files: diagrams, forms snapshot and catalog entry."""
        return self._tx(lambda s: definitions.details(s, key, version))

    def deploy_edit(
        self,
        files: dict[str, bytes],
        *,
        base: tuple[str, int] | None = None,
        publish: bool = False,
        tag: str | None = None,
        actor: str | None = None,
        keep: bool = False,
    ) -> list[VersionSummary]:
        """Deploy a stored version (key, version) with `files` replaced or added, as a new version (a draft
        unless `publish`); see definitions.edited_unit. Invalid: InvalidInput with every problem, nothing
        stored but, with `keep`, what was typed (`kept_edit` gives it back until a save succeeds)."""

        def edited(s: Session) -> units.Unit:
            return definitions.edited_unit(s, files, base, self.settings.max_upload_bytes)

        def work(s: Session) -> list[VersionSummary]:
            saved = definitions.deploy(
                s,
                edited(s),
                forms_dir=self.settings.forms_dir,
                max_bytes=self.settings.max_upload_bytes,
                publish=publish,
                tag=tag,
                actor=actor,
            )
            if keep and actor and base:
                drafts.discard(s, actor, base[0])
            return saved

        try:
            if publish:  # the tests run before the transaction: they read this deployment's groups
                unit = self._tx(edited)
                if unit.tests:
                    run = testing.run_unit(type(self), unit, self.store, self.settings, reuse_passed=True)
                    self._require_passing(run)
            return self._tx(work)
        except InvalidInput as refused:
            problems = refused.problems
            if keep and actor and base:
                self._tx(lambda s: drafts.keep(s, actor, base[0], base[1], files, problems))
            raise

    def kept_edit(self, user: str, key: str) -> drafts.Kept | None:
        """What `user` typed for `key` that a save refused (None when nothing is kept)."""
        return self._tx(lambda s: drafts.kept(s, user, key))

    def discard_edit(self, user: str, key: str) -> None:
        self._tx(lambda s: drafts.discard(s, user, key))

    def set_status(
        self, key: str, version: int, status: str, actor: str | None = None, run_tests: bool = True
    ) -> VersionSummary:
        """Publish or retire a version; publishing runs the version's process tests first and is refused
        (InvalidInput naming each failed test and why) when one fails."""
        if status == "published" and run_tests:
            run = self.run_tests(key, version, reuse_passed=True)
            if run["tests"]:
                self._require_passing(run)
        return self._tx(lambda s: definitions.set_status(s, key, version, status, actor))

    def run_tests(
        self, target: str | Path, version: int | None = None, *, reuse_passed: bool = False
    ) -> testing.Run:
        """Run the process tests of a unit folder / .zip / .bpmn, or of a stored version (KEY [VERSION]; the
        newest by default)."""
        path = Path(target)
        if version is None and (path.exists() or path.suffix in (".zip", ".bpmn")):
            unit = units.read(path, self.settings.max_upload_bytes)
            return testing.run_unit(type(self), unit, self.store, self.settings, reuse_passed=reuse_passed)
        key = str(target)

        def stored(s: Session) -> tuple[units.Unit, int]:
            found = definitions.get(s, key, version) if version else definitions.latest_version(s, key)
            if found is None:
                raise NotFound(_("no process '{key}'", key=key))
            return definitions.unit_of(found), found.version

        unit, number = self._tx(stored)
        return testing.run_unit(
            type(self), unit, self.store, self.settings, key, number, reuse_passed=reuse_passed
        )

    def record_test(self, case: str | int) -> dict:
        """A process test made from a case's real history (a case number; an instance id for a plain process):
        start data and starter's group, each finished step with its data, action and reason, waits where
        timers fired, and what the case reached (see service.recording). Always a loadable test."""
        return self._tx(lambda s: recording.record(s, case))

    @staticmethod
    def _require_passing(run: testing.Run) -> None:
        failed = [t for t in run["tests"] if not t["passed"]]
        if failed:
            raise InvalidInput(
                [
                    Problem(
                        _("test '{title}' failed: {why}", title=t["title"], why="; ".join(t["problems"])),
                        file=f"tests/{t['test']}",
                    )
                    for t in failed
                ]
            )

    def catalog_file(self, key: str, version: int, sha256: str) -> tuple[dict, Path]:
        """A blank template or sample of a material that the version's catalog entry names (anything else:
        not found), and where its bytes are (stored like any upload, by content)."""
        entry = self.definition(key, version)["catalog"]
        ref = _files_of(entry).get(sha256)
        path = self.settings.data_dir / "attachments" / sha256[:2] / sha256
        if ref is None or not path.is_file():
            raise NotFound(
                _("no file {sha256} in {key} v{version}", sha256=sha256[:12], key=key, version=version)
            )
        return ref, path

    def compare(self, key: str, old_version: int, new_version: int) -> Comparison:
        """What changed from one version to another: diagram, forms (fields, required-ness) and catalog."""

        def work(s: Session) -> Comparison:
            return compare.compare(
                definitions.details(s, key, old_version), definitions.details(s, key, new_version)
            )

        return self._tx(work)

    def delete_draft(self, key: str, version: int, actor: str | None = None) -> VersionSummary:
        return self._tx(lambda s: definitions.delete_draft(s, key, version, actor))

    def withdraw_item(self, key: str, actor: str | None = None) -> list[VersionSummary]:
        """Take an item off the 受理 list: its published version is retired (running cases finish)."""

        def work(s: Session) -> list[VersionSummary]:
            published = [d for d in definitions.listing(s) if d["key"] == key and d["status"] == "published"]
            if not published:
                raise NotFound(_("process '{key}' has no published version", key=key))
            return [definitions.set_status(s, key, d["version"], "retired", actor) for d in published]

        return self._tx(work)

    def item_schema(self, with_groups: bool = True) -> dict:
        """The catalog entry's JSON Schema (item.yaml); with the groups as choices for the catalog form."""
        if not with_groups:
            return item_schema.schema()
        return item_schema.schema(self._tx(lambda s: {g["code"]: g["name"] for g in groups.listing(s)}))

    def check_edit(self, files: dict[str, bytes], *, base: tuple[str, int] | None = None) -> list[dict]:
        """Every problem a save of `files` over version `base` would meet, without storing anything (the
        modeler marks them on the canvas before saving)."""

        def work(s: Session) -> list[dict]:
            unit = definitions.edited_unit(s, files, base, self.settings.max_upload_bytes)
            validation.validate(
                unit, groups.lane_names(s), self.settings.forms_dir, self.settings.max_upload_bytes
            )
            return []

        try:
            return self._tx(work)
        except InvalidInput as exc:
            return [p.as_dict() for p in exc.problems]

    def check_expression(self, source: str, kind: str = "condition") -> list[dict]:
        """The sandbox's verdict on one expression as the modeler's panel types it: a gateway `condition`,
        a `script`, or a timer (`duration`, `date`, `cycle`, as modelers write them)."""
        return [p.as_dict() for p in validation.expression_problems(source, kind)]

    def modeler_context(self, key: str | None = None, version: int | None = None) -> dict:
        """What the modeler's properties panel offers in its pickers: groups, forms (the version's and the
        shared ones, with their fields), case statuses and their meaning."""

        def work(s: Session) -> dict:
            forms_of_version = definitions.details(s, key, version)["forms"] if key and version else {}
            return {
                "groups": [{"code": g["code"], "name": g["name"]} for g in groups.listing(s)],
                "forms": shared_forms(self.settings.forms_dir) | forms_of_version,
                "case_statuses": [{"code": code, "name": name} for code, name in STATUS.items()],
            }

        return self._tx(work)


def shared_forms(folder: Path) -> dict[str, dict]:
    """The repository's shared forms (forms/*.json) that parse as JSON objects."""
    found: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            found[path.name] = doc
    return found


def _files_of(entry: dict | None) -> dict[str, dict]:
    """The files a catalog entry refers to (each material's blank template and sample), by sha256."""
    found: dict[str, dict] = {}
    for material in (entry or {}).get("materials") or []:
        for kind in ("template", "sample"):
            ref = material.get(kind) if isinstance(material, dict) else None
            if isinstance(ref, dict) and isinstance(ref.get("sha256"), str):
                found[ref["sha256"]] = ref
    return found
