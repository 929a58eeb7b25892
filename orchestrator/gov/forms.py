"""What the government domain adds to a unit's forms when it is deployed: a list of materials marked
`"x-catalog": "materials"` (一次性告知's 需补正的材料, 补正收件's 已补正的材料, …) offers the item's own
materials, so editing the catalog entry keeps the forms in step without touching them."""

from __future__ import annotations

import copy
from typing import Any

MARK = "x-catalog"


def fill_materials(entry: dict | None, form: dict) -> dict:
    """A copy of `form` whose fields marked for the catalog's materials offer them as choices."""
    names = [m["name"] for m in (entry or {}).get("materials") or [] if isinstance(m, dict) and m.get("name")]
    if not names or not _marked(form):
        return form
    filled = copy.deepcopy(form)
    _fill(filled, names)
    return filled


def _marked(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get(MARK) == "materials" or any(_marked(v) for v in node.values())
    if isinstance(node, list):
        return any(_marked(v) for v in node)
    return False


def _fill(node: Any, names: list[str]) -> None:
    if isinstance(node, dict):
        if node.get(MARK) == "materials":
            node["enum"] = list(names)
        for value in node.values():
            _fill(value, names)
    elif isinstance(node, list):
        for value in node:
            _fill(value, names)
