"""The form builder (表单设计器) on DefinitionView's permissions: the page, its live preview, the check of
sample input typed into the preview, field names proposed from titles, and the save into a new draft version.

A form stays JSON Schema (draft 2020-12) + uiSchema, as the deploy checks it and `admin.formrender` draws it;
the builder (admin/static/js/formbuilder/) only writes those two texts, in the page's `#schema-text` and
`#ui-text`, which the save posts as the raw editor always did. The uiSchema conventions the builder writes
(rjsf's where there is one) are listed in admin/static/js/formbuilder/README.md; the renderer honours them.

Saving links the form to the diagram's user tasks: the task picked in the builder (or named by `?task=`, as
the modeler's form picker does) names the form, the tasks that named it under an earlier file name follow a
rename, and every task naming it names its uiSchema too (a uiSchema no task names is not part of a version).
"""

from __future__ import annotations

import json
import keyword
import re

from flask import (
    Response,
    abort,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from markupsafe import Markup
from pypinyin import Style, lazy_pinyin

from orchestrator.core.errors import InvalidInput, OneWindowError, Problem
from orchestrator.deploy import extensions, formats, forms
from orchestrator.service.definitions import shared_forms

from .. import formrender
from ..web import flash_error, sees_all, service, username
from .definitions import (
    STATUS_CLASSES,
    STATUS_LABELS,
    DefinitionView,
    _is_ui,
    _local_time,
    _plain,
    _result_message,
    _versions_by_key,
)

BLANK = {"type": "object", "properties": {}}
# The case data a preview fills `ui:prefill` fields from: what 受理 records about an applicant and a proxy.
SAMPLE_CASE = {
    "applicant": {"name": "张三", "id_number": "11010519491231002X", "phone": "13800138000"},
    "proxy": {"name": "李四", "id_number": "110101199003074514", "phone": "13900139000"},
    "channel": "窗口",
}
# Pages whose forms are a task's: there `ui:prefill` reads the task's case (see _task_case_data).
TASK_PAGES = ("InboxView.task", "InboxView.act")
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_TITLE = 200


# Endpoints that lived on DefinitionView before the builder had a module of its own; templates and other
# views still name them, so url_for() builds them as the FormView endpoints they now are.
def _ui_name_for(form_name: str) -> str:
    stem = form_name.removesuffix(".json").removesuffix(".schema")
    return f"{stem}.uischema.json"


class FormView(BaseView):
    """表单设计: a form's fields built from a palette, previewed as the clerk sees them, saved as a draft."""

    route_base = "/definitions"
    class_permission_name = "DefinitionView"
    # DefinitionView's permissions the form editor always had (admin/roles.py unchanged).
    method_permission_name = {
        "forms_start": "forms_start",
        "form_editor": "form_editor",
        "form_preview": "form_preview",
        "form_save": "form_save",
        "form_check": "form_preview",
        "form_field_name": "form_preview",
        "form_runtime": "form_editor",
    }
    default_view = "forms_start"

    def _page(self, template: str, status: int = 200, **context):
        context.setdefault("status_labels", STATUS_LABELS)
        context.setdefault("status_classes", STATUS_CLASSES)
        return self.render_template(f"onewindow/definitions/{template}", **context), status

    # -- the page ------------------------------------------------------------------------------------------

    @expose("/forms/")
    @has_access
    def forms_start(self):
        """Start empty (preview only), or pick a process whose newest version's forms to edit."""
        schema_text = json.dumps(BLANK, ensure_ascii=False, indent=2)
        return self._editor(
            None,
            "form.schema.json",
            "form.uischema.json",
            schema_text,
            "{}",
            keys=_versions_by_key(service().definitions()),
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
        task = request.args.get("task") or None
        kept = _kept_forms(key)
        if kept and request.args.get("restore"):
            texts = kept["forms"]
            name = name if name in texts else next((n for n in sorted(texts) if not _is_ui(n)), name)
            ui_name = _ui_name_for(name)
            schema_text = texts.get(name, "")
            ui_text = texts.get(ui_name) or json.dumps(
                d["forms"].get(ui_name, {}), ensure_ascii=False, indent=2
            )
            typed = {n: t.encode("utf-8") for n, t in kept["files"].items()}
            problems = service().check_edit(typed, base=(key, version))  # in this request's language
            return self._editor(
                d, name, ui_name, schema_text, ui_text, problems, 200, restored=kept, task=task
            )
        schema = d["forms"].get(name, BLANK)
        schema_text = json.dumps(schema, ensure_ascii=False, indent=2)
        ui_text = json.dumps(d["forms"].get(ui_name, {}), ensure_ascii=False, indent=2)
        return self._editor(d, name, ui_name, schema_text, ui_text, kept=kept, task=task)

    def _editor(
        self,
        d,
        name,
        ui_name,
        schema_text,
        ui_text,
        problems=None,
        status=None,
        kept=None,
        restored=None,
        task=None,
        opened=None,
        keys=None,
    ):
        html, ok = _preview_html(schema_text.encode(), ui_text.encode(), name, d)
        tasks = _tasks_of(d)
        using = [t["id"] for t in tasks if t["form"] == (opened or name)]
        picked = task if task in {t["id"] for t in tasks} else (using[0] if using else "")
        return self._page(
            "form_editor.html",
            status or (422 if problems else 200),
            kept=kept,
            restored=restored,
            kept_local=_local_time((kept or restored or {}).get("saved_at")),
            d=d,
            keys=keys,
            names=sorted(n for n in d["forms"] if not _is_ui(n)) if d else [],
            form_name=name,
            ui_name=ui_name,
            opened=opened or name,
            schema_text=schema_text,
            ui_text=ui_text,
            problems=problems,
            preview=html,
            preview_ok=ok,
            tasks=tasks,
            task=picked,
            builder_config=_builder_config(d),
        )

    # -- preview, sample input, field names ------------------------------------------------------------------

    @expose("/forms/preview", methods=["POST"])
    @has_access
    def form_preview(self):
        """JSON {"schema", "ui"[, "name", "key", "version", "sample"]} (texts as typed; `sample`: the preview's
        inputs, name → values, kept across edits) → the rendered fields, or what is wrong with them (422)."""
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        schema, ui = body.get("schema"), body.get("ui")
        if not isinstance(schema, str) or not isinstance(ui, str | None):
            abort(400)
        sample = body.get("sample") if isinstance(body.get("sample"), dict) else None
        html, ok = _preview_html(
            schema.encode(),
            (ui or "").encode(),
            str(body.get("name") or "form.schema.json"),
            _definition_of(body.get("key"), body.get("version")),
            sample=sample,
        )
        return Response(html, status=200 if ok else 422, mimetype="text/html")

    @expose("/forms/check", methods=["POST"])
    @has_access
    def form_check(self):
        """The preview's sample input (a multipart form: the inputs as a clerk's browser posts them, plus
        `__schema`, `__ui`, `__name`, `__key`, `__version`) checked as a clerk's submission is →
        {"ok", "html" (the form again, with the messages under their fields), "errors", "data"}."""
        schema_text, ui_text = request.form.get("__schema"), request.form.get("__ui", "")
        if not isinstance(schema_text, str):
            abort(400)
        d = _definition_of(request.form.get("__key"), request.form.get("__version"))
        name = request.form.get("__name") or "form.schema.json"
        schema, ui, problems = _form_of(schema_text.encode(), ui_text.encode(), name, d)
        if problems:
            return jsonify({"ok": False, "html": _problems_html(problems), "errors": [], "data": None}), 422
        data = formrender.parse(schema, request.form, ui=ui, case_data=SAMPLE_CASE)
        try:
            found = forms.field_errors(forms.compile_schema(schema), data)
        except Exception as exc:  # noqa: BLE001 - a schema the validator cannot use: say so, never a 500
            found = [Problem(_("无法校验：%(error)s", error=f"{type(exc).__name__}: {exc}"))]
        errors = [{"field": p.field or "", "message": str(p.message)} for p in found]
        by_field: dict[str, str] = {}
        for e in errors:
            by_field[e["field"]] = (
                f"{by_field[e['field']]}；{e['message']}" if e["field"] in by_field else e["message"]
            )
        html = _render(schema, ui, data, by_field)
        return jsonify({"ok": not errors, "html": str(html), "errors": errors, "data": data})

    @expose("/forms/field-name")
    @has_access
    def form_field_name(self):
        """?title=申请人姓名 → {"name": "sqrxm"}: a field name from a title's pinyin initials."""
        return jsonify({"name": field_name(request.args.get("title", "")[:MAX_TITLE])})

    @expose("/forms/runtime.js")
    @has_access
    def form_runtime(self):
        """The rendered forms' page script (conditional groups, table rows), for the builder's preview."""
        response = Response(formrender.RUNTIME_JS, mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-cache"
        return response

    # -- save ----------------------------------------------------------------------------------------------

    @expose("/<key>/<int:version>/forms/save", methods=["POST"])
    @has_access
    def form_save(self, key: str, version: int):
        """The edited form (and uiSchema) in a new draft version of the process, linked to its task."""
        d = service().definition(key, version)
        name = (request.form.get("form_name") or "").strip()
        ui_name = (request.form.get("ui_name") or "").strip()
        opened = (request.form.get("opened") or "").strip() or None
        task = (request.form.get("task") or "").strip() or None
        schema_text, ui_text = request.form.get("schema", ""), request.form.get("ui", "")
        problems = []
        if not _plain(name, ".json"):
            problems.append(Problem(_("表单文件名须为不含路径的 .json 文件名"), file=name))
        has_ui = ui_text.strip() not in ("", "{}")
        if has_ui and not _plain(ui_name, ".json"):
            problems.append(Problem(_("uiSchema 文件名须为不含路径的 .json 文件名"), file=ui_name))
        problems += _ui_text_problems(ui_text, ui_name)
        tasks = _tasks_of(d)
        if task and task not in {t["id"] for t in tasks}:
            problems.append(Problem(_("流程图中没有用户任务 %(task)s", task=task), field="task"))
        files = {f"forms/{name}": schema_text.encode("utf-8")}
        if has_ui or ui_name in d["forms"]:
            files[f"forms/{ui_name}"] = (ui_text.strip() or "{}").encode("utf-8")
        if not problems:
            files |= _linked_diagrams(d, name, ui_name if has_ui else None, task, opened)
            try:
                results = service().deploy_edit(files, base=(key, version), actor=username(), keep=True)
            except InvalidInput as exc:
                problems = exc.problems
            except OneWindowError as exc:
                flash_error(exc)
                return redirect(url_for("FormView.form_editor", key=key, version=version, form=name))
        if problems:
            rows = [p.as_dict() for p in problems]
            return self._editor(
                d, name, ui_name, schema_text, ui_text, problems=rows, task=task, opened=opened
            )
        mine = next((r for r in results if r["key"] == key), results[0])
        for r in results:
            flash(_result_message(r), "info" if r["unchanged"] else "success")
        if mine["unchanged"] and name not in d["forms"]:
            flash(_("流程图中没有用户任务引用表单 %(name)s，所以它不属于任何版本", name=name), "warning")
        return redirect(url_for("FormView.form_editor", key=key, version=mine["version"], form=name))


# -- helpers -------------------------------------------------------------------------------------------------


def field_name(title: str) -> str:
    """A field name from a title: the pinyin initials of each run of Chinese, each Latin word in lower case,
    joined by "_" ("申请人姓名" → "sqrxm", "ID号码" → "id_hm"); "field" when nothing is left."""
    parts = []
    for run in re.findall(r"[\u3400-\u9fff]+|[A-Za-z0-9]+", title):
        if run.isascii():
            parts.append(run.lower())
        else:
            initials = lazy_pinyin(run, style=Style.FIRST_LETTER)
            parts.append("".join(p[:1].lower() for p in initials if p[:1].isascii() and p[:1].isalpha()))
    name = "_".join(p for p in parts if p)[:40].strip("_") or "field"
    if not re.match(r"[A-Za-z_]", name):
        name = "f_" + name
    return name + "_" if keyword.iskeyword(name) else name


def _kept_forms(key: str) -> dict | None:
    """This user's kept form-editor edit of `key` (a refused save): its forms by name, problems and time."""
    kept = service().kept_edit(username(), key)
    forms_kept = {
        n.removeprefix("forms/"): t
        for n, t in (kept or {}).get("files", {}).items()
        if n.startswith("forms/")
    }
    return {**kept, "forms": forms_kept} if kept and forms_kept else None


def _definition_of(key: object, version: object) -> dict | None:
    """The version a preview is of (its forms for `$ref`, its catalog's materials), when it names one."""
    if not isinstance(key, str) or not key or not str(version or "").isdigit():
        return None
    try:
        return service().definition(key, int(str(version)))
    except OneWindowError:
        return None


def _tasks_of(d: dict | None) -> list[dict]:
    """The user tasks of a version's diagrams, with the forms they name."""
    found: list[dict] = []
    for file_name, xml in sorted((d or {}).get("files", {}).items()):
        if file_name.endswith(".bpmn"):
            try:
                found += [{**t, "file": file_name} for t in forms.user_tasks(xml.encode("utf-8"))]
            except Exception:  # noqa: BLE001 - a stored diagram always parses; never fail the page for it
                continue
    return found


def _linked_diagrams(d: dict, form: str, ui: str | None, task: str | None, opened: str | None) -> dict:
    """The version's diagrams whose user tasks change to stay linked to the saved form (see the module)."""
    changed = {}
    for file_name, xml in d["files"].items():
        if file_name.endswith(".bpmn"):
            new = forms.link_forms(xml.encode("utf-8"), form, ui=ui, task=task, previous=opened)
            if new is not None:
                changed[file_name] = new
    return changed


def _ui_text_problems(ui_text: str, ui_name: str) -> list[Problem]:
    try:
        doc = json.loads(ui_text) if ui_text.strip() else {}
    except ValueError:
        return []  # the deploy says what is wrong with the JSON, with its line
    problems = forms.ui_problems(doc) if isinstance(doc, dict) else []
    for p in problems:
        p.file = ui_name
    return problems


def _shared(d: dict | None) -> dict[str, dict]:
    """The forms a `$ref` may include: the version's own first, then the repository's shared ones."""
    return {**shared_forms(service().settings.forms_dir), **((d or {}).get("forms") or {})}


def _form_of(schema_raw: bytes, ui_raw: bytes, name: str, d: dict | None) -> tuple[dict, dict, list[Problem]]:
    """A typed form as a version would hold it (shared forms included, the catalog's materials offered), or
    its problems (invalid JSON, invalid JSON Schema, a missing shared form, a bad uiSchema)."""
    schema, problems = forms.load_schema(name if name.endswith(".json") else "form.schema.json", schema_raw)
    ui: dict = {}
    if ui_raw.strip():
        ui_doc, ui_problems = forms.load_schema("form.uischema.json", ui_raw)
        problems += [Problem(f"uiSchema: {p.message}", line=p.line) for p in ui_problems]
        ui = ui_doc or {}
        problems += forms.ui_problems(ui)
    if schema is not None and not problems:
        included = _shared(d)
        schema, missing = forms.include(schema, lambda ref: included.get(ref))
        problems += missing
        schema = extensions.prepare_form((d or {}).get("catalog"), schema)
    return schema or {}, ui, problems


def _render(schema: dict, ui: dict, data: dict | None = None, errors: dict | None = None) -> Markup:
    title = schema.get("title")
    heading = Markup('<h4 class="ow-form-title">{}</h4>').format(title) if title else Markup("")
    return heading + formrender.render(schema, ui, data or {}, errors, case_data=SAMPLE_CASE)


def _problems_html(problems: list[Problem]) -> Markup:
    html = render_template(
        "onewindow/definitions/_problems.html", problems=[p.as_dict() for p in problems], preview=True
    )
    return Markup(html)


def _preview_html(
    schema_raw: bytes, ui_raw: bytes, name: str, d: dict | None = None, sample: dict | None = None
) -> tuple[Markup, bool]:
    """The form as a clerk would see it (with `sample` input kept), or the problems instead."""
    schema, ui, problems = _form_of(schema_raw, ui_raw, name, d)
    if not problems:
        try:
            data = formrender.parse(schema, sample, ui=ui, case_data=SAMPLE_CASE) if sample else None
            return _render(schema, ui, data), True
        except Exception as exc:  # a valid schema the renderer cannot draw: say so, never a 500
            problems = [Problem(_("无法预览：%(error)s", error=f"{type(exc).__name__}: {exc}"))]
    return _problems_html(problems), False


def _builder_config(d: dict | None) -> dict:
    """What the builder's script needs besides its strings: where to ask, the shared forms, the prefill
    paths and the formats' browser hints."""
    shared = []
    for file_name, doc in sorted(shared_forms(service().settings.forms_dir).items()):
        if _is_ui(file_name) or not isinstance(doc, dict):
            continue
        props = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
        stem = file_name.removesuffix(".json").removesuffix(".schema")
        only = next(iter(props.items())) if len(props) == 1 else None
        if only and isinstance(only[1], dict) and only[1].get("type") == "array":  # a table: include it alone
            shared.append({"file": file_name, "ref": f"{file_name}#/properties/{only[0]}", "name": only[0]})
        else:
            shared.append({"file": file_name, "ref": file_name, "name": stem})
        shared[-1]["title"] = str(doc.get("title") or stem)
    return {
        "key": d["key"] if d else None,
        "version": d["version"] if d else None,
        "urls": {
            "preview": url_for("FormView.form_preview"),
            "check": url_for("FormView.form_check"),
            "field_name": url_for("FormView.form_field_name"),
        },
        "shared": shared,
        "prefill": [
            {"path": "applicant.name", "label": _("申请人姓名")},
            {"path": "applicant.id_number", "label": _("申请人证件号码")},
            {"path": "applicant.phone", "label": _("申请人联系电话")},
            {"path": "proxy.name", "label": _("代办人姓名")},
            {"path": "proxy.id_number", "label": _("代办人证件号码")},
            {"path": "proxy.phone", "label": _("代办人联系电话")},
            {"path": "channel", "label": _("申请渠道")},
        ],
        "formats": formats.HINTS,
        "materials": [
            m.get("name")
            for m in ((d or {}).get("catalog") or {}).get("materials") or []
            if isinstance(m, dict)
        ],
    }


def _task_case_data() -> dict | None:
    """The case data of the task whose page is being drawn or posted (for `ui:prefill`), looked up once."""
    if not has_request_context() or request.endpoint not in TASK_PAGES:
        return None
    if "ow_prefill_case" not in g:
        task_id = (request.view_args or {}).get("task_id")
        found = None
        try:
            task = service().task(task_id, username(), see_all=sees_all())
            found = service().instance(task["instance"], username(), see_all=sees_all()).get("data")
        except (OneWindowError, KeyError, TypeError):
            found = None
        g.ow_prefill_case = found if isinstance(found, dict) else None
    return g.ow_prefill_case


def register(appbuilder: AppBuilder) -> None:
    """No menu entry of its own: 表单设计 stays in the 流程定义 menu (admin/views/definitions.py). Given
    DefinitionView's whole permission list, so registering it neither adds nor removes a stored permission."""
    view = FormView()
    shared = next((v for v in appbuilder.baseviews if isinstance(v, DefinitionView)), None)
    if shared is not None:
        view.base_permissions = sorted(set(shared.base_permissions) | set(view.base_permissions))
    appbuilder.add_view_no_menu(view)
    formrender.set_case_data_source(_task_case_data)
