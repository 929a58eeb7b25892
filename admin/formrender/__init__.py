"""Task forms on the server: JSON Schema (2020-12) + uiSchema → Bootstrap 3 HTML, and a posted form → typed JSON.

Forms are data published with a process, so the web app cannot hand-write one template per task. The schema
stays the single source of truth: `render` draws the fields, `parse` turns the submission back into JSON of the
right types, and `orchestrator.forms` validates it (the browser's `required` / `min` hints are comfort only).

Input names are `prefix.path` joined with "." (`f.members.0.name`); error keys are the "/"-joined paths of
`orchestrator.errors.Problem.field` (`members/0/name`). Every user-supplied string goes through markupsafe.
The output holds the fields only: the page supplies `<form method="post" enctype="multipart/form-data">`,
the CSRF token and the buttons.

The package: `schema` reads what the schema and uiSchema say about each field and lays out an object's
properties, `html` holds the tag helpers and the render context, `widgets` draws the edit fields, `static`
the read-only display, `submission` reads a posted form back, `materials` the materials checklist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from .html import HTML_REQUIRED_KINDS, AttachmentLink, CaseData, _Ctx, _help, _join, _tag
from .materials import NECESSITY_CLASS, material_file_fields, parse_materials, render_materials
from .schema import BOOL_CHOICES, Loc
from .static import EMPTY, _static_object
from .submission import DATETIME_OFFSET, file_fields
from .submission import parse as _parse
from .widgets import LABELLED_KINDS, _fields

__all__ = [
    "BOOL_CHOICES",
    "DATETIME_OFFSET",
    "EMPTY",
    "HTML_REQUIRED_KINDS",
    "LABELLED_KINDS",
    "NECESSITY_CLASS",
    "RUNTIME_JS",
    "AttachmentLink",
    "Loc",
    "file_fields",
    "material_file_fields",
    "parse",
    "parse_materials",
    "render",
    "render_materials",
    "set_case_data_source",
]


# --- the page script: conditional groups and table rows -----------------------------------------------------

RUNTIME_JS = """(function(){if(window.owFormRender)return;window.owFormRender=1;
function val(root,name){var v="";root.querySelectorAll("[name]").forEach(function(e){
if(e.name!==name||e.disabled)return;if((e.type==="radio"||e.type==="checkbox")&&!e.checked)return;v=e.value;});
return v;}
function test(c,root){var r;if(c.all){r=c.all.every(function(x){return test(x,root);});}else{
var v=val(root,c.field);if(v==="")return false;r=("const" in c)?v===String(c.const):
c.enum?c.enum.map(String).indexOf(v)>=0:true;}return c.not?!r:r;}
function hidden(e){for(var p=e.parentElement;p;p=p.parentElement){
if(p.hasAttribute("data-show-if")&&p.style.display==="none")return true;}return false;}
function sync(){for(var pass=0;pass<5;pass++){var moved=false;
document.querySelectorAll("[data-show-if]").forEach(function(el){
var ok=test(JSON.parse(el.getAttribute("data-show-if")),el.closest("form")||document);
if((el.style.display!=="none")!==ok){el.style.display=ok?"":"none";moved=true;}});
document.querySelectorAll("[data-show-if] input,[data-show-if] select,[data-show-if] textarea").forEach(
function(e){var off=hidden(e);if(off&&!e.disabled){e.disabled=true;e.setAttribute("data-ow-off","");}
else if(!off&&e.hasAttribute("data-ow-off")){e.disabled=false;e.removeAttribute("data-ow-off");}});
if(!moved)break;}}
function renumber(tb){var base=tb.getAttribute("data-array");Array.prototype.forEach.call(tb.children,
function(tr,i){tr.querySelectorAll("[name]").forEach(function(e){
e.name=base+"."+i+e.name.slice(base.length+1).replace(/^[^.]*/,"");});});}
document.addEventListener("click",function(ev){var b=ev.target.closest("[data-add-row],[data-remove-row]");
if(!b)return;var box=b.closest("[data-array-box]"),tb=box.querySelector(":scope>table>tbody");
if(b.hasAttribute("data-add-row")){tb.appendChild(box.querySelector(":scope>template").content.cloneNode(true));}
else{b.closest("tr").remove();}renumber(tb);sync();});
document.addEventListener("change",sync);document.addEventListener("input",sync);window.owFormSync=sync;
if(document.readyState==="loading"){document.addEventListener("DOMContentLoaded",sync);}else{sync();}})();
"""
"""What a rendered form needs in the page: hidden conditional groups shown when their condition holds (their
inputs disabled while hidden, so they are neither checked nor sent), table rows added and removed. The form
builder's page loads the same code (its preview is put in place without running scripts)."""


def _script() -> Markup:
    """The page script, with the page's CSP nonce when the app gives one (the `csp_nonce` Jinja global)."""
    nonce = None
    try:
        from flask import current_app, has_request_context

        if has_request_context():
            make = current_app.jinja_env.globals.get("csp_nonce")
            nonce = make() if callable(make) else None
    except ImportError:  # pragma: no cover - Flask is always there in the web app
        pass
    head = Markup('<script nonce="{}">').format(nonce) if nonce else Markup("<script>")
    return head + Markup(RUNTIME_JS) + Markup("</script>")


_case_data_source: CaseData | None = None


def set_case_data_source(source: CaseData | None) -> None:
    """Where `ui:prefill` finds the case's data when a page does not pass it: a callable asked (at most once
    per render or parse) when a form has a prefilled field; the web app gives the task page's case."""
    global _case_data_source
    _case_data_source = source


def _source(case_data: Mapping | CaseData | None) -> CaseData | None:
    if case_data is None:
        return _case_data_source
    if callable(case_data):
        return case_data
    return lambda: case_data


def _alert(ctx: _Ctx) -> Markup:
    left = [(k, m) for k, m in ctx.errors.items() if k not in ctx.claimed]
    items = _join(_tag("li", {}, Markup("<code>{}</code>：{}").format(k, m) if k else m) for k, m in left)
    return (
        _tag(
            "div",
            {"class": "alert alert-danger", "role": "alert"},
            _tag("ul", {"class": "list-unstyled"}, items),
        )
        if left
        else Markup("")
    )


def render(
    schema: dict,
    ui: dict | None = None,
    data: dict | None = None,
    errors: Mapping[str, str] | None = None,
    *,
    readonly: bool = False,
    prefix: str = "f",
    attachment_link: AttachmentLink | None = None,
    case_data: Mapping | CaseData | None = None,
) -> Markup:
    """The fields of a task form (edit mode) or its data as text (`readonly`, for earlier steps on a case page).

    `errors` maps Problem.field paths to messages: shown under their field, the rest ("" included) in an alert.
    `attachment_link("attachment:<id>")` → (file name, url) shows an uploaded file; None shows the reference.
    `case_data` (or a callable giving it; by default the source set by `set_case_data_source`) is where
    fields with `ui:prefill` find their first value.
    """
    ui = ui if isinstance(ui, dict) else {}
    data = data if isinstance(data, dict) else {}
    errs = {(k or ""): str(v) for k, v in (errors or {}).items()}
    ctx = _Ctx(prefix, errs, attachment_link, case_data=_source(case_data))
    body = _static_object(schema, ui, data, ctx) if readonly else _fields(schema, ui, data, (), ctx)
    script = _script() if ctx.scripted else Markup("")
    return _tag("div", {"class": "ow-form"}, _alert(ctx) + _help(schema, ui) + body + script)


def parse(
    schema: dict,
    form: Mapping[str, list[str]] | Any,
    *,
    prefix: str = "f",
    ui: dict | None = None,
    case_data: Mapping | CaseData | None = None,
) -> dict:
    """Typed JSON data from a submission; empty fields are left out so `required` reports them.

    Read-only fields are never taken from the submission (one with `ui:prefill` takes the case's value); with
    `ui`, neither are file fields (see file_fields).
    """
    return _parse(schema, form, prefix=prefix, ui=ui, case_data=_source(case_data))
