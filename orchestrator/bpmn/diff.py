"""What changed between two versions of a unit's BPMN files, element by element (by id, across all files).

Diagram interchange (bpmndi: shapes, edges, bounds, waypoints) is layout, not meaning: it is only counted, as
``layout_changed``. Each element's incoming/outgoing lists are left out, being the flows' sourceRef/targetRef
seen from the other end.
"""

from __future__ import annotations

from lxml import etree

from orchestrator.bpmn import xmlsafe
from orchestrator.bpmn.namespaces import BPMN, BPMNDI, SPIFF
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import _

# Parts of an element that carry ids but are compared as part of their owner, not as elements of their own.
_OWNED = {
    "definitions", "laneSet", "childLaneSet", "extensionElements", "documentation", "conditionExpression",
    "script", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "loopCardinality",
    "completionCondition", "loopDataInputRef", "loopDataOutputRef", "inputDataItem", "outputDataItem",
    "timeDate", "timeDuration", "timeCycle", "ioSpecification", "inputSet", "outputSet",
}  # fmt: skip
_SKIP = {"incoming", "outgoing"}
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_SPIFF_SCRIPTS = {"preScript", "postScript"}


def diff_files(old: dict[str, str], new: dict[str, str]) -> dict:
    """Compare two ``{file name: BPMN XML}`` maps; raise InvalidInput if any file is unsafe or malformed.

    Returns ``{"added": [el], "removed": [el], "changed": [el + "changes"], "layout_changed": n}``, each list
    sorted by id, where el is ``{"id", "type", "name"}`` and a change is ``{"what", ["name",] "old", "new"}``
    with what one of type, attribute, condition, script, timer, property, extension, documentation,
    flowNodeRef (a lane's members) or detail (any other part, e.g. multiInstanceLoopCharacteristics).
    """
    problems: list[Problem] = []
    old_trees, new_trees = _parse(old, "old", problems), _parse(new, "new", problems)
    if problems:
        raise InvalidInput(problems)
    before, after = _elements(old_trees), _elements(new_trees)
    changed = []
    for id_ in sorted(before.keys() & after.keys()):
        (old_el, old_aspects), (new_el, new_aspects) = before[id_], after[id_]
        changes = []
        if old_el["type"] != new_el["type"]:
            changes.append({"what": "type", "old": old_el["type"], "new": new_el["type"]})
        for key in sorted(old_aspects.keys() | new_aspects.keys(), key=lambda k: (k[0], k[1] or "")):
            was, now = old_aspects.get(key), new_aspects.get(key)
            if was != now:
                changes.append(
                    {"what": key[0], **({"name": key[1]} if key[1] else {}), "old": was, "new": now}
                )
        if changes:
            changed.append({**new_el, "changes": changes})
    old_layout, new_layout = _layout(old_trees), _layout(new_trees)
    moved = {key[1] for key in old_layout.keys() & new_layout.keys() if old_layout[key] != new_layout[key]}
    return {
        "added": [after[i][0] for i in sorted(after.keys() - before.keys())],
        "removed": [before[i][0] for i in sorted(before.keys() - after.keys())],
        "changed": changed,
        "layout_changed": len(moved),
    }


def _parse(files: dict[str, str], side: str, problems: list[Problem]) -> list[etree._ElementTree]:
    trees = []
    for name, text in sorted(files.items()):
        try:
            trees.append(xmlsafe.parse(text.encode("utf-8") if isinstance(text, str) else text))
        except xmlsafe.UnsafeXml as exc:
            if side == "old":
                message = _("old version: {problem}", problem=exc.message)
            else:
                message = _("new version: {problem}", problem=exc.message)
            problems.append(Problem(message, file=name, line=exc.line))
    return trees


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _tracked(node: etree._Element) -> bool:
    if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN or not node.get("id"):
        return False
    return _local(node) not in _OWNED and not _local(node).endswith("EventDefinition")


def _elements(trees: list[etree._ElementTree]) -> dict[str, tuple[dict, dict]]:
    found: dict[str, tuple[dict, dict]] = {}
    for tree in trees:
        for node in tree.getroot().iter(f"{{{BPMN}}}*"):
            if _tracked(node) and node.get("id") not in found:
                el = {"id": node.get("id"), "type": _local(node), "name": node.get("name")}
                found[el["id"]] = (el, _aspects(node))
    return found


def _aspects(node: etree._Element) -> dict[tuple[str, str | None], object]:
    """Everything that makes up one element, keyed (what, name), its child elements excluded."""
    out: dict[tuple[str, str | None], object] = {}
    for attr, value in node.attrib.items():
        if attr != "id":
            out[("attribute", _attr_name(node, attr))] = value
    for child in node.iterchildren(etree.Element):
        _collect(child, out)
    return out


def _collect(node: etree._Element, out: dict) -> None:
    if _tracked(node) or _local(node) in _SKIP:
        return
    local, ns = _local(node), etree.QName(node).namespace
    if local in ("laneSet", "childLaneSet", "extensionElements", "properties"):
        for child in node.iterchildren(etree.Element):
            _collect(child, out)
    elif local == "flowNodeRef":
        out[("flowNodeRef", None)] = sorted([*out.get(("flowNodeRef", None), []), (node.text or "").strip()])
    elif ns == SPIFF and local == "property":
        out[("property", node.get("name"))] = node.get("value")
    elif ns == SPIFF:
        key = ("script", local) if local in _SPIFF_SCRIPTS else ("extension", local)
        _add(out, key, _canon(node, head=False))
    elif local in ("documentation", "conditionExpression", "script"):
        what = {"conditionExpression": "condition"}.get(local, local)
        _add(out, (what, None), (node.text or "").strip())
    elif local == "timerEventDefinition":
        parts = [f"{_local(c)}: {(c.text or '').strip()}" for c in node.iterchildren(etree.Element)]
        _add(out, ("timer", None), "; ".join(parts))
    else:
        _add(out, ("detail", local), _canon(node, head=False))


def _add(out: dict, key: tuple[str, str | None], value: str) -> None:
    out[key] = f"{out[key]}\n{value}" if key in out else value


def _attr_name(node: etree._Element, attr: str) -> str:
    qname = etree.QName(attr)
    if not qname.namespace:
        return qname.localname
    prefix = {uri: p for p, uri in node.nsmap.items()}.get(qname.namespace)
    return f"{prefix}:{qname.localname}" if prefix else attr


def _canon(node: etree._Element, head: bool = True) -> str:
    """A stable one-line text for a part not reported on its own (editor-made DI and event ids left out)."""
    keep_id = etree.QName(node).namespace == BPMN and not _local(node).endswith("EventDefinition")
    noise = {_XSI_TYPE} if keep_id else {_XSI_TYPE, "id"}
    attrs = [f'{_attr_name(node, k)}="{v}"' for k, v in sorted(node.attrib.items()) if k not in noise]
    lead = " ".join([_local(node)] * head + attrs)
    kids = [_canon(c) for c in node.iterchildren(etree.Element) if not _tracked(c)]
    body = "; ".join(p for p in ((node.text or "").strip(), *kids) if p)
    return f"{lead}: {body}" if lead and body else lead or body


def _layout(trees: list[etree._ElementTree]) -> dict[tuple[str, str], str]:
    shapes: dict[tuple[str, str], str] = {}
    for tree in trees:
        for tag in ("BPMNShape", "BPMNEdge"):
            for node in tree.getroot().iter(f"{{{BPMNDI}}}{tag}"):
                shapes.setdefault((tag, node.get("bpmnElement") or ""), _canon(node))
    return shapes
