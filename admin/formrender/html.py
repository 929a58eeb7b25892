"""HTML building blocks shared by the edit widgets and the read-only display: attributes and tags (every
user-supplied string escaped by markupsafe), the render context and one field's model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from .schema import Loc, _input_name, _kind, _type

HTML_REQUIRED_KINDS = {"text", "textarea", "date", "datetime", "number", "select", "radio"}

AttachmentLink = Callable[[str], "tuple[str, str] | None"]
CaseData = Callable[[], "Mapping | None"]  # the case's data, asked for when a field has ui:prefill
_join = Markup("").join


# --- the render context and one field -----------------------------------------------------------------------


@dataclass
class _Ctx:
    prefix: str
    errors: dict[str, str]
    attachment_link: AttachmentLink | None
    claimed: set[str] = field(default_factory=set)
    scripted: bool = False
    conditional: bool = False  # inside a data-show-if group: a hidden `required` input would block submit
    case_data: CaseData | None = None
    _case: list = field(default_factory=list)

    def case(self) -> Mapping | None:
        """The case's data (for ui:prefill), looked up once."""
        if not self._case:
            found = self.case_data() if self.case_data else None
            self._case.append(found if isinstance(found, Mapping) else None)
        return self._case[0]

    def take(self, loc: Loc, subtree: bool = False) -> list[str]:
        """The messages for this field (and below it), which the top alert then leaves out."""
        key = "/".join(map(str, loc))
        hits = [k for k in self.errors if k == key or (subtree and k.startswith(key + "/"))]
        self.claimed.update(hits)
        return [self.errors[k] for k in hits]


class _F(NamedTuple):
    schema: dict
    ui: dict
    value: Any
    loc: Loc
    ctx: _Ctx
    required: bool  # always required (not: only under a condition)
    ident: str | None  # no ids inside table rows: they are renumbered

    @property
    def name(self) -> str:
        return _input_name(self.ctx.prefix, self.loc)

    @property
    def html_required(self) -> bool:
        kind = _kind(self.schema, self.ui)
        plain = kind in HTML_REQUIRED_KINDS and _type(self.schema) != "boolean"
        return self.required and plain and not self.ctx.conditional


def _attrs(attrs: dict) -> Markup:
    parts = []
    for key, value in attrs.items():
        if value is True:
            parts.append(Markup(" {}").format(key))
        elif value is not None and value is not False:
            parts.append(Markup(' {}="{}"').format(key, value))
    return _join(parts)


def _tag(tag: str, attrs: dict, body: Any = "") -> Markup:
    return Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), _attrs(attrs), body)


def _attachment(ref: str, ctx: _Ctx) -> Markup:
    link = ctx.attachment_link(ref) if ctx.attachment_link and ref.startswith("attachment:") else None
    if link is None:
        return escape(ref)
    return _tag("a", {"href": link[1], "target": "_blank", "rel": "noopener"}, link[0])


def _star(shown: bool) -> Markup:
    return Markup(' <span class="text-danger ow-required" title="必填">*</span>') if shown else Markup("")


def _errors(errs: list[str]) -> Markup:
    return _join(_tag("span", {"class": "help-block ow-error"}, e) for e in errs)


def _help(schema: dict, ui: dict) -> Markup:
    texts = [ui.get("ui:description") or schema.get("description"), ui.get("ui:help")]
    return _join(_tag("p", {"class": "help-block"}, t) for t in texts if t)
