"""Other modelers' input and output mappings as the step's pre- and post-script (part of `dialects`).

Zeebe (`zeebe:ioMapping`) sets a step's variables from its input mappings before it runs and copies its
output mappings into the process after; SpiffWorkflow runs a step's `spiffworkflow:preScript` before it and
`postScript` after it, in the sandbox. So `<zeebe:input source="= applicant.name" target="applicantName"/>`
becomes the pre-script line `applicantName = applicant['name']`, and a static value (`source="manual"`) a
string. A mapping whose source has no safe translation (a FEEL function, `if … then … else`) or whose target
is a path is not run: an input is kept as documentation (the step goes without it), an output is to fix (the
process would miss it). Events run no scripts, so a mapping on an event is to fix.

Trisotech fills a step's data inputs with FEEL bindings (`triso:dataInputBindings`, one context entry per
input). SpiffWorkflow would stop the step for want of such an input (it reads inputs by their generated ids);
so each bound input becomes a plain property, and its binding a pre-script line setting the variable its
entry names (`Remaining_Vacation_Days = Current_Vacation_Status['days']`), or documentation when the
binding has no safe translation.
"""

from __future__ import annotations

import re

from lxml import etree

from orchestrator.bpmn.namespaces import BPMN, SPIFF, TRISO, ZEEBE
from orchestrator.core.i18n import Message, _
from orchestrator.deploy import dialect_data, expressions
from orchestrator.deploy.dialect_data import is_variable
from orchestrator.deploy.dialect_tasks import label

NS = {"bpmn": BPMN, "spiffworkflow": SPIFF, "zeebe": ZEEBE}
STEPS = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
}

Line = tuple[str, Message, int | None, str | None]
_KINDS = {"input": lambda: _("input"), "output": lambda: _("output")}


def translate(root: etree._Element, names: dict[str, str] | None = None) -> list[Line]:
    """Each step's mappings → its pre-/post-script (`names`: the data's names with spaces → variables)."""
    lines: list[Line] = []
    for process in root.findall("bpmn:process", NS):
        if process.get("isExecutable", "true") != "true":
            continue
        for mapping in list(process.iter(f"{{{ZEEBE}}}ioMapping")):
            owner = mapping.getparent().getparent() if mapping.getparent() is not None else None
            if owner is not None and isinstance(owner.tag, str):
                lines += _mapping(owner, mapping, names or {})
    return lines


def assignment(source: str | None, target: str | None, names: dict[str, str] | None = None) -> str | None:
    """The sandbox line for one mapping (`target = expression`), or None when it has no safe translation."""
    target, source = (target or "").strip(), (source or "").strip()
    target = (names or {}).get(target, target)
    if not is_variable(target):
        return None
    if not source.startswith("="):  # Zeebe reads a source without '=' as a static string
        return f"{target} = {source!r}"
    python = expressions.translate(source, names=names).python
    return f"{target} = {python}" if python else None


def _mapping(owner: etree._Element, mapping: etree._Element, names: dict[str, str]) -> list[Line]:
    name, oid = label(owner), owner.get("id")
    is_step = etree.QName(owner).localname in STEPS
    found: dict[str, list[str]] = {"input": [], "output": []}
    lines: list[Line] = []
    for kind in ("input", "output"):
        for m in mapping.findall(f"zeebe:{kind}", NS):
            source, target = m.get("source"), m.get("target")
            line = assignment(source, target, names) if is_step else None
            if line is not None:
                found[kind].append(line)
                continue
            written = f"{target or ''} ← {source or ''}"
            if not is_step:
                message = _(
                    "{kind} mapping '{mapping}' of event '{element}' is not run: the engine runs no script on "
                    "an event; set the variable in a step before or after it",
                    kind=_KINDS[kind](),
                    mapping=written,
                    element=name,
                )
                lines.append(("fix", message, m.sourceline, oid))
            elif kind == "input":
                message = _(
                    "input mapping '{mapping}' of step '{element}' has no safe translation: kept as "
                    "documentation, the step goes without '{target}'",
                    mapping=written,
                    element=name,
                    target=target or "",
                )
                lines.append(("documentation", message, m.sourceline, oid))
            else:
                message = _(
                    "output mapping '{mapping}' of step '{element}' has no safe translation: the process would "
                    "miss '{target}'; rewrite it as the step's post-script (a sandbox assignment) in the modeler",
                    mapping=written,
                    element=name,
                    target=target or "",
                )
                lines.append(("fix", message, m.sourceline, oid))
    for kind, tag in (("input", "preScript"), ("output", "postScript")):
        if not found[kind] or not _add_script(owner, tag, found[kind]):
            continue
        message = _(
            "{kind} mappings of step '{element}' → its {script}: {lines}",
            kind=_KINDS[kind](),
            element=name,
            script=tag,
            lines="; ".join(found[kind]),
        )
        lines.append(("translated", message, mapping.sourceline, oid))
    return lines


def _add_script(owner: etree._Element, tag: str, found: list[str]) -> bool:
    """Add the lines to the step's pre- (before its own) or post-script (after); False when already there."""
    ext = owner.find("bpmn:extensionElements", NS)
    if ext is None:
        ext = etree.Element(f"{{{BPMN}}}extensionElements")
        owner.insert(1 if owner.find("bpmn:documentation", NS) is not None else 0, ext)
    existing = ext.find(f"spiffworkflow:{tag}", NS)
    if existing is None:
        existing = etree.SubElement(ext, f"{{{SPIFF}}}{tag}", nsmap={"spiffworkflow": SPIFF})
        existing.text = ""
    script = "\n".join(found)
    if script in (existing.text or ""):  # translated on an earlier import (an exported draft read back)
        return False
    if existing.text and tag == "preScript":  # the mappings first, then what the step's own script does
        script = f"{script}\n{existing.text}"
    elif existing.text:
        script = f"{existing.text}\n{script}"
    existing.text = script
    return True


def trisotech_bindings(root: etree._Element, names: dict[str, str]) -> list[Line]:
    """Trisotech's bound data inputs → properties, their bindings → the step's pre-script."""
    lines: list[Line] = []
    for process in root.findall("bpmn:process", NS):
        if process.get("isExecutable", "true") != "true":
            continue
        for bindings in list(process.iter(f"{{{TRISO}}}dataInputBindings")):
            owner = bindings.getparent().getparent() if bindings.getparent() is not None else None
            if owner is not None and etree.QName(owner).localname in STEPS:
                lines += _bindings(owner, bindings, names)
    return lines


def _bindings(owner: etree._Element, bindings: etree._Element, names: dict[str, str]) -> list[Line]:
    io = owner.find("bpmn:ioSpecification", NS)
    inputs = {p.get("id"): p for p in io.findall("bpmn:dataInput", NS)} if io is not None else {}
    found: list[str] = []
    lines: list[Line] = []
    bound: list[etree._Element] = []
    for entry in bindings.iter():
        if not isinstance(entry.tag, str) or etree.QName(entry).localname != "contextEntry":
            continue
        variable = next((v for v in entry if _local(v) == "variable"), None)
        text = next((t for t in entry.iter() if _local(t) == "text"), None)
        if variable is None or text is None:
            continue
        port = inputs.get(variable.get(f"{{{TRISO}}}dataInputRef"))
        if port is None:
            continue
        bound.append(port)
        name = (variable.get("name") or "").strip()
        target = names.get(name) or re.sub(r"\s+", "_", name)
        source = "= " + (text.text or "").strip()
        line = None if _language(entry) not in ("", "feel") else assignment(source, target, names)
        if line == f"{target} = {target}":
            continue  # the variable already is what the step reads
        if line is not None:
            found.append(line)
            continue
        message = _(
            "the binding of data input '{name}' of step '{element}' has no safe translation: kept as "
            "documentation, the step goes without it",
            name=name,
            element=label(owner),
        )
        lines.append(("documentation", message, entry.sourceline, owner.get("id")))
    for port in bound:
        dialect_data.to_property(owner, port)
    if bound:
        message = _(
            "Trisotech's bindings of step '{element}' → its preScript: {lines}; the bound data inputs {ports} "
            "→ plain properties",
            element=label(owner),
            lines="; ".join(found) or "-",
            ports=", ".join(f"'{p.get('name') or p.get('id')}'" for p in bound),
        )
        if found:
            _add_script(owner, "preScript", found)
        lines.insert(0, ("translated", message, bindings.sourceline, owner.get("id")))
    return lines


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _language(entry: etree._Element) -> str:
    """'feel' for a FEEL expression (the default), else the expression language's last word."""
    for node in entry.iter():
        if _local(node) == "literalExpression":
            lang = (node.get("expressionLanguage") or "").lower()
            return "feel" if not lang or "feel" in lang else lang
    return ""
