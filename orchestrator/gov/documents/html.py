"""Documents as HTML: one Jinja template per kind (``templates/<kind>.html.j2``) holds its wording.

The templates extend ``_base.html.j2`` (the page frame: print styles, title, case number, addressee,
signature, seal and date) and import ``_clauses.html.j2`` (clauses several documents share, such as the
right to 行政复议 and 行政诉讼). They are filled with the context of ``model.context``.

Values come from applicants, so the environment is sandboxed and escapes every value (``autoescape``);
a value is text, never a template: ``{{ 7*7 }}`` in a name prints as itself. ``StrictUndefined`` makes a
name the context lacks an error instead of a blank. A line break in a value prints as ``<br>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import PackageLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

TEMPLATES = "templates"
SUFFIX = ".html.j2"


def _line_breaks(value: Any) -> Any:
    """Finalize each printed value: text with line breaks is escaped line by line, joined by <br>."""
    if isinstance(value, str) and not isinstance(value, Markup) and "\n" in value:
        return Markup("<br>").join(escape(line) for line in value.split("\n"))
    return value


def environment(loader=None) -> ImmutableSandboxedEnvironment:
    """The documents' Jinja environment (``loader``: the package's templates unless given)."""
    return ImmutableSandboxedEnvironment(
        loader=loader or PackageLoader(__package__, TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_line_breaks,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


_ENV = environment()


def template_name(kind: str) -> str:
    return f"{kind}{SUFFIX}"


def render(kind: str, context: Mapping[str, Any]) -> str:
    """The HTML page of document ``kind`` filled with ``context`` (from ``model.context``)."""
    return _ENV.get_template(template_name(kind)).render(context)
