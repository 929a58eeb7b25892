"""The materials checklist (收件清单) of a catalog item: rendered with its upload inputs, and read back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from .html import _attrs, _join, _tag
from .schema import _to_str
from .submission import _Form

NECESSITY_CLASS = {"必要": "label-danger", "容缺后补": "label-warning", "非必要": "label-default"}


def _copies(copies: Any) -> str:
    if not isinstance(copies, dict):
        return _to_str(copies)
    parts = [(label, copies.get(key)) for key, label in (("original", "原件"), ("copy", "复印件"))]
    return "，".join(f"{label} {n} 份" for label, n in parts if n)


def _material_row(index: int, material: dict, checked: bool, prefix: str) -> Markup:
    name, necessity = str(material.get("name", "")), str(material.get("necessity", ""))
    box = {
        "type": "checkbox",
        "name": f"{prefix}.received",
        "value": name,
        "checked": checked,
        "aria-label": f"已收 {name}",
    }
    form = _tag("small", {"class": "text-muted"}, material["form"]) if material.get("form") else ""
    cells = [
        Markup('<label class="checkbox-inline"><input{}> 已收</label>').format(_attrs(box)),
        escape(name) + (" " + form if form else ""),
        _tag("span", {"class": "label " + NECESSITY_CLASS.get(necessity, "label-default")}, necessity),
        _copies(material.get("copies")),
        material.get("note") or "",
        Markup('<input type="file" name="{}.file.{}">').format(prefix, index),
    ]
    return _tag("tr", {}, _join(_tag("td", {}, c) for c in cells))


def render_materials(materials: list[dict], received: Iterable[str] = (), *, prefix: str = "m") -> Markup:
    """The acceptance checklist of a catalog item's materials: tick what was handed in, optionally upload it."""
    got = {str(r) for r in received}
    rows = _join(
        _material_row(i, m, str(m.get("name")) in got, prefix)
        for i, m in enumerate(materials)
        if isinstance(m, dict)
    )
    return Markup(
        '<table class="table table-condensed table-bordered ow-materials"><thead><tr><th>已收</th><th>材料名称</th>'
        "<th>必要性</th><th>份数</th><th>备注</th><th>上传</th></tr></thead><tbody>{}</tbody></table>"
    ).format(rows)


def parse_materials(
    materials: list[dict], form: Mapping[str, list[str]] | Any, prefix: str = "m"
) -> list[str]:
    """The ticked material names, in catalog order; names not in the catalog are ignored."""
    picked = set(_Form(form).values(f"{prefix}.received"))
    names = [str(m.get("name")) for m in materials if isinstance(m, dict)]
    return list(dict.fromkeys(n for n in names if n in picked))


def material_file_fields(materials: list[dict], prefix: str = "m") -> list[tuple[str, str]]:
    """(input name, material name) of every material's upload input."""
    return [
        (f"{prefix}.file.{i}", str(m.get("name"))) for i, m in enumerate(materials) if isinstance(m, dict)
    ]
