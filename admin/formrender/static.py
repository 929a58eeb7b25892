"""Read-only display: a form's data as text (choice labels, 是/否, attachment links, nested lists and
tables), for earlier steps on a case page."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from .html import _attachment, _Ctx, _join, _tag
from .schema import BOOL_CHOICES, _choices, _items, _kind, _label, _layout, _sub, _to_str, _type

EMPTY = Markup('<span class="text-muted">—</span>')


# --- read-only display --------------------------------------------------------------------------------------


def _static(schema: dict, ui: dict, value: Any, ctx: _Ctx) -> Markup:
    """A value as text: choice labels, 是/否, links for attachments, nested lists and tables."""
    if value is None or value == "":
        return EMPTY
    if _kind(schema, ui) == "file" and isinstance(value, str):
        return _attachment(value, ctx)
    if isinstance(value, dict):
        return _static_object(schema if _type(schema) == "object" else {}, ui, value, ctx)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return _static_table(_items(schema), _sub(ui, "items"), value, ctx)
        return Markup("、").join(_static(_items(schema), _sub(ui, "items"), v, ctx) for v in value)
    choices = _choices(schema, ui) or (BOOL_CHOICES if isinstance(value, bool) else [])
    labels = [label for v, label in choices if _to_str(v) == _to_str(value)]
    return escape(labels[0] if labels else _to_str(value))


def _static_object(schema: dict, ui: dict, data: dict, ctx: _Ctx) -> Markup:
    lay = _layout(schema, ui)
    known = [
        (_label(lay.props[n], _sub(ui, n), n), _static(lay.props[n], _sub(ui, n), data[n], ctx))
        for n in lay.order
        if n in data
    ]
    extra = [(str(k), _static({}, {}, v, ctx)) for k, v in data.items() if k not in lay.props]
    if not known and not extra:
        return Markup('<p class="text-muted">（无数据）</p>')
    out = _dl(known) if known else Markup("")
    if extra:  # keys the form does not know (an older version's, a script's): shown, not dropped
        out += (Markup('<h5 class="ow-other">其他</h5>') if lay.props else Markup("")) + _dl(extra)
    return out


def _dl(rows: list[tuple[str, Markup]]) -> Markup:
    items = _join(_tag("dt", {}, k) + _tag("dd", {"style": "white-space:pre-wrap"}, v) for k, v in rows)
    return _tag("dl", {"class": "ow-readonly"}, items)


def _static_table(items: dict, ui: dict, rows: list[dict], ctx: _Ctx) -> Markup:
    lay = _layout(items, ui)
    cols = [n for n in lay.order if any(n in r for r in rows)]
    cols += list(dict.fromkeys(k for r in rows for k in r if k not in lay.props))
    specs = [(lay.props.get(c, {}), _sub(ui, c), c) for c in cols]
    head = _join(_tag("th", {}, _label(*spec)) for spec in specs)
    body = _join(
        _tag("tr", {}, _join(_tag("td", {}, _static(s, u, r.get(c), ctx)) for s, u, c in specs)) for r in rows
    )
    return Markup(
        '<table class="table table-condensed table-bordered"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
    ).format(head, body)
