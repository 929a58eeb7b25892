"""流程测试: a version's process tests in the browser, for analysts and admins (DefinitionView's permissions).

The 流程测试 tab lists the version's tests and runs them, all or one: each verdict says passed or failed, draws
the path it took on the diagram (the step where it left what was expected in red) and gives the first
difference in words (the runner's `problems`). A test is recorded from a case (`OneWindow.record_test`: its
real history) or written from scratch, and edited as a form — title, day, start data, each step (a user task
of the diagram, the action, the reason, the data as key/value rows or JSON), waits, and what to expect (the
path as a list, the end event, the status code, the promised due date) — and run from the editor before it is
saved. Saving a test, or deleting one, makes a new draft version (`deploy_edit`); a refused save keeps what
was typed, on screen with each problem on its field and, server-side, as the user's kept edit.

A single test, and an edited one, run on their own: the version's files with only that test are written to a
private folder and run there (`OneWindow.run_tests`), so nothing of the run reaches the deployment.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from lxml import etree

from orchestrator.core.errors import InvalidInput, NotFound, OneWindowError

from ..web import flash_error, service, username
from . import catalog_form as cf
from .definitions import STATUS_CLASSES, STATUS_LABELS, DefinitionView, _local_time, _result_message
from .process_test_form import ACTIONS, TYPES, WAIT_UNITS, element_of, form_model, place_problems, read_form

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
HUMAN_TASKS = ("userTask", "manualTask")


class ProcessTestsView(BaseView):
    """The 流程测试 tab and the test editor (DefinitionView's permissions: analysts and admins)."""

    route_base = "/definitions"
    class_permission_name = "DefinitionView"
    method_permission_name = {  # DefinitionView's permissions (admin/roles.py unchanged)
        "tests": "version",
        "tests_run": "version",
        "test_new": "version",
        "test_record": "version",
        "test_edit": "version",
        "test_save": "form_save",
        "test_delete": "form_save",
        "tests_discard": "form_save",
    }
    default_view = "tests"

    # -- the tab: list and run -----------------------------------------------------------------------------

    @expose("/<key>/<int:version>/tests")
    @has_access
    def tests(self, key: str, version: int):
        return self._list(service().definition(key, version))

    @expose("/<key>/<int:version>/tests/run", methods=["POST"])
    @has_access
    def tests_run(self, key: str, version: int):
        d = service().definition(key, version)
        wanted = request.form.get("test") or None
        if wanted is not None and wanted not in d["tests"]:
            abort(404)
        try:
            if wanted is None:
                run = service().run_tests(key, version)
            else:
                run = _run_alone(d, wanted, d["tests"][wanted])
        except OneWindowError as exc:
            flash_error(exc)
            return self._list(d, status=422)
        diagram = _diagram(d)
        verdicts = [_verdict(v, d["tests"].get(v["test"]), diagram) for v in run["tests"]]
        return self._list(d, verdicts=verdicts, ran=wanted or "")

    # -- the editor ----------------------------------------------------------------------------------------

    @expose("/<key>/<int:version>/tests/new")
    @has_access
    def test_new(self, key: str, version: int):
        d = service().definition(key, version)
        test = {"title": "", "accepted_on": date.today().isoformat(), "steps": [], "expect": {"path": []}}
        return self._editor(d, form_model(test, _free_name(d, "test"), new=True))

    @expose("/<key>/<int:version>/tests/record")
    @has_access
    def test_record(self, key: str, version: int):
        """保存为流程测试: the test a case's history makes, opened in the editor (saved by the analyst)."""
        d = service().definition(key, version)
        number = (request.args.get("case") or "").strip()
        back = redirect(url_for("ProcessTestsView.tests", key=key, version=version))
        if not number:
            flash(_("请输入办件编号。"), "warning")
            return back
        case: str | int = int(number) if number.isdigit() else number  # digits: a plain process's instance
        try:
            details = service().instance(
                service().case(number)["instance"] if isinstance(case, str) else case
            )
            if details["process"] != key:
                flash(_("办件 %(number)s 不是 %(key)s 的办件。", number=number, key=key), "danger")
                return back
            test = service().record_test(case)
        except NotFound:
            flash(_("未找到办件 %(number)s", number=number), "warning")
            return back
        except OneWindowError as exc:
            flash_error(exc)
            return back
        name = _free_name(d, "recorded_" + re.sub(r"[^\w\-]", "_", number))
        note = _("已从办件 %(number)s 的实际经过录制，检查后保存。", number=number)
        if details["version"] != version:
            note += " " + _(
                "此办件按 v%(used)s 办理，测试将保存到 v%(version)s 的新草稿中。",
                used=details["version"],
                version=version,
            )
        return self._editor(d, form_model(test, name, new=True), recorded=note)

    @expose("/<key>/<int:version>/tests/<name>/edit")
    @has_access
    def test_edit(self, key: str, version: int, name: str):
        d = service().definition(key, version)
        kept = _kept(key)
        if request.args.get("restore") and kept and f"tests/{name}" in kept["files"]:
            try:
                test = json.loads(kept["files"][f"tests/{name}"])
            except ValueError:
                test = {}
            model = form_model(test if isinstance(test, dict) else {}, name, new=name not in d["tests"])
            typed = {f"tests/{name}": kept["files"][f"tests/{name}"].encode("utf-8")}
            problems = service().check_edit(typed, base=(key, version))  # in this request's language
            errors, general = place_problems(problems, name, model)
            return self._editor(d, model, errors, general, restored=kept)
        if name not in d["tests"]:
            abort(404)
        return self._editor(d, form_model(d["tests"][name], name, new=False))

    @expose("/<key>/<int:version>/tests/save", methods=["POST"])
    @has_access
    def test_save(self, key: str, version: int):
        d = service().definition(key, version)
        diagram = _diagram(d)
        model, test, errors = read_form(
            request.form, d, diagram, service().modeler_context()["case_statuses"]
        )
        if errors:  # refused here: nothing is stored, what was typed stays on screen
            return self._editor(d, model, errors, status=422, refused=True)
        name = model["name"]
        if request.form.get("do") == "run":
            try:
                run = _run_alone(d, name, test)
            except InvalidInput as exc:
                errors, general = place_problems([p.as_dict() for p in exc.problems], name, model)
                return self._editor(d, model, errors, general, status=422, refused=True, trial=True)
            except OneWindowError as exc:
                flash_error(exc)
                return self._editor(d, model, status=exc.http_status)
            verdict = _verdict(run["tests"][0], test, diagram) if run["tests"] else None
            return self._editor(d, model, verdict=verdict)
        if not model["new"] and d["tests"].get(name) == test:
            flash(_("流程测试没有变化，未生成新版本。"), "info")
            return redirect(url_for("ProcessTestsView.tests", key=key, version=version))
        text = json.dumps(test, ensure_ascii=False, indent=2) + "\n"
        try:
            results = service().deploy_edit(
                {f"tests/{name}": text.encode("utf-8")}, base=(key, version), actor=username(), keep=True
            )
        except InvalidInput as exc:
            errors, general = place_problems([p.as_dict() for p in exc.problems], name, model)
            return self._editor(d, model, errors, general, status=422, refused=True, kept_note=True)
        except OneWindowError as exc:
            flash_error(exc)
            return self._editor(d, model, status=409)
        return self._saved(key, results)

    @expose("/<key>/<int:version>/tests/<name>/delete", methods=["POST"])
    @has_access
    def test_delete(self, key: str, version: int, name: str):
        d = service().definition(key, version)
        if name not in d["tests"]:
            abort(404)
        files = _unit_files(d, {n: t for n, t in d["tests"].items() if n != name})
        try:
            results = service().deploy_edit(files, actor=username())
        except OneWindowError as exc:
            flash_error(exc)
            return redirect(url_for("ProcessTestsView.tests", key=key, version=version))
        flash(_("已删除流程测试 %(name)s。", name=name), "info")
        return self._saved(key, results)

    @expose("/<key>/tests/discard", methods=["POST"])
    @has_access
    def tests_discard(self, key: str):
        service().discard_edit(username(), key)
        flash(_("已丢弃未保存的修改。"), "info")
        version = request.form.get("version", type=int)
        if version:
            return redirect(url_for("ProcessTestsView.tests", key=key, version=version))
        return redirect(url_for("DefinitionView.index", _anchor=f"key-{key}"))

    # -- pages ---------------------------------------------------------------------------------------------

    def _saved(self, key: str, results: list[dict]):
        mine = next((r for r in results if r["key"] == key), results[0])
        for r in results:
            flash(_result_message(r), "info" if r["unchanged"] else "success")
        return redirect(url_for("ProcessTestsView.tests", key=key, version=mine["version"]))

    def _list(self, d: dict, *, verdicts: list[dict] | None = None, ran: str = "", status: int = 200):
        kept = _kept(d["key"])
        kept_tests = sorted(
            n.removeprefix("tests/") for n in (kept or {}).get("files", {}) if n[:6] == "tests/"
        )
        shown = next((v for v in verdicts or [] if not v["passed"]), (verdicts or [None])[0])
        diagram = _diagram(d)
        page = self.render_template(
            "onewindow/definitions/tests.html",
            d=d,
            tests=[_summary(n, t, diagram) for n, t in sorted(d["tests"].items())],
            verdicts=verdicts,
            by_test={v["test"]: v for v in verdicts or []},
            shown=shown,
            ran=ran,
            diagram=diagram,
            kept=kept if kept_tests else None,
            kept_tests=kept_tests,
            kept_local=_local_time(kept["saved_at"]) if kept else "",
            status_labels=STATUS_LABELS,
            status_classes=STATUS_CLASSES,
        )
        return page, status

    def _editor(
        self,
        d: dict,
        model: dict,
        errors: dict | None = None,
        general: list[dict] | None = None,
        *,
        status: int = 200,
        verdict: dict | None = None,
        **flags,
    ):
        context = service().modeler_context()
        kept = flags.pop("restored", None)
        page = self.render_template(
            "onewindow/definitions/tests_edit.html",
            d=d,
            m=model,
            errors=errors or {},
            general=general or [],
            problem_count=len(errors or {}) + len(general or []),
            verdict=verdict,
            diagram=_diagram(d),
            groups=context["groups"],
            statuses=context["case_statuses"],
            actions=ACTIONS,
            types=TYPES,
            wait_units=WAIT_UNITS,
            restored=kept,
            kept_local=_local_time(kept["saved_at"]) if kept else "",
            status_labels=STATUS_LABELS,
            status_classes=STATUS_CLASSES,
            **flags,
        )
        return page, status


# -- the diagram -------------------------------------------------------------------------------------------


def _diagram(d: dict) -> dict:
    """The version's diagram of its process: its file, user tasks and end events (id → name), in order."""
    files = sorted(n for n in d["files"] if n.endswith(".bpmn"))
    chosen, tasks, ends = (files[0] if files else ""), {}, {}
    for name in files:
        root = etree.fromstring(
            d["files"][name].encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
        )
        if any(p.get("id") == d["key"] for p in root.iter(f"{{{BPMN}}}process")):
            chosen = name
        for kind in HUMAN_TASKS:
            tasks |= {e.get("id"): e.get("name") or e.get("id") for e in root.iter(f"{{{BPMN}}}{kind}")}
        ends |= {e.get("id"): e.get("name") or e.get("id") for e in root.iter(f"{{{BPMN}}}endEvent")}
    tasks.pop(None, None)
    ends.pop(None, None)
    return {"file": chosen, "tasks": tasks, "ends": ends, "names": {**tasks, **ends}}


def _verdict(verdict: dict, test: dict | None, diagram: dict) -> dict:
    """A verdict as shown: its path and end by name, and the marks drawn on the diagram."""
    red = None if verdict["passed"] else _diverged(test or {}, verdict, diagram["tasks"])
    done = [*verdict["path"], *([verdict["end"]] if verdict["end"] else [])]
    names = diagram["names"]
    return {
        **verdict,
        "path_names": [names.get(e, e) for e in verdict["path"]],
        "end_name": names.get(verdict["end"], verdict["end"]) if verdict["end"] else None,
        "diverged": red,
        "diverged_name": names.get(red, red) if red else None,
        "marks": {"completed": [e for e in done if e != red], "incident": [red] if red else []},
    }


def _diverged(test: dict, verdict: dict, tasks: dict[str, str]) -> str | None:
    """The element where a failed run left what its test expected: the step it could not do, the first
    step of the path that differs (or the one expected next), the end reached instead."""
    wanted = [s["task"] for s in test.get("steps") or [] if isinstance(s, dict) and "task" in s]
    path = verdict["path"]
    if len(path) < len(wanted):
        return element_of(str(wanted[len(path)]), tasks)
    expect = test.get("expect") or {}
    expected = expect.get("path")
    if isinstance(expected, list) and expected != path:
        for want, got in zip(expected, path, strict=False):
            if want != got:
                return got
        return (
            path[len(expected)] if len(path) > len(expected) else element_of(str(expected[len(path)]), tasks)
        )
    if "end" in expect and expect["end"] != verdict["end"]:
        return verdict["end"] or expect["end"]
    return verdict["end"] or (path[-1] if path else None)


def _summary(name: str, test: dict, diagram: dict) -> dict:
    steps = test.get("steps") or []
    expect = test.get("expect") or {}
    names = diagram["names"]
    return {
        "name": name,
        "title": test.get("title") or name,
        "accepted_on": test.get("accepted_on"),
        "steps": sum(1 for s in steps if "task" in s),
        "waits": sum(1 for s in steps if "wait" in s),
        "path": [names.get(e, e) for e in expect.get("path") or []] if "path" in expect else None,
        "end": names.get(expect["end"], expect["end"]) if expect.get("end") else None,
        "status_code": expect.get("status_code"),
        "promised_due": expect.get("promised_due"),
    }


# -- running a test on its own -----------------------------------------------------------------------------


def _unit_files(d: dict, tests: dict[str, dict]) -> dict[str, bytes]:
    """The version's files (diagrams, forms snapshot, catalog entry) with `tests` as its tests."""
    files = {name: text.encode("utf-8") for name, text in d["files"].items()}
    files |= {f"forms/{n}": _json(doc) for n, doc in d["forms"].items()}
    files |= {f"tests/{n}": _json(test) for n, test in tests.items()}
    if d["catalog"] is not None:
        files["item.yaml"] = cf.to_yaml(d["catalog"])
    return files


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _run_alone(d: dict, name: str, test: dict) -> dict:
    """Run one test against the version: its files with only this test, from a private folder."""
    with tempfile.TemporaryDirectory(prefix="ow-test-") as folder:
        root = Path(folder) / d["key"]
        for rel, data in _unit_files(d, {name: test}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return service().run_tests(root)


def _free_name(d: dict, stem: str) -> str:
    stem = stem[:70]
    for n in range(1, 1000):
        name = f"{stem}.json" if n == 1 and stem != "test" else f"{stem}_{n}.json"
        if name not in d["tests"]:
            return name
    return f"{stem}_x.json"


def _kept(key: str) -> dict | None:
    kept = service().kept_edit(username(), key)
    return kept if kept and any(n.startswith("tests/") for n in kept["files"]) else None


def register(appbuilder: AppBuilder) -> None:
    """No menu entry: the 流程测试 tab of a version's page. Given DefinitionView's whole permission list, so
    registering it neither adds nor removes a stored permission."""
    view = ProcessTestsView()
    shared = next((v for v in appbuilder.baseviews if isinstance(v, DefinitionView)), None)
    if shared is not None:
        view.base_permissions = sorted(set(shared.base_permissions) | set(view.base_permissions))
    appbuilder.add_view_no_menu(view)
