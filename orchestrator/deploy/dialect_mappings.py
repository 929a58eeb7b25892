"""Camunda 8's input and output mappings (`zeebe:ioMapping`) as the step's pre- and post-script (part of
`dialects`).

Zeebe sets a step's variables from its input mappings before it runs and copies its output mappings into the
process after; SpiffWorkflow runs a step's `spiffworkflow:preScript` before it and `postScript` after it, in
the sandbox. So `<zeebe:input source="= applicant.name" target="applicantName"/>` becomes the pre-script line
`applicantName = applicant['name']`, and a static value (`source="manual"`) a string. A mapping whose source
has no safe translation (a FEEL function, `if … then … else`) or whose target is a path is not run: an input
is kept as documentation (the step goes without it), an output is to fix (the process would miss it). Events
run no scripts, so a mapping on an event is to fix.
"""

from __future__ import annotations

from lxml import etree

from orchestrator.bpmn.namespaces import BPMN, SPIFF, ZEEBE
from orchestrator.core.i18n import Message, _
from orchestrator.deploy import expressions
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


def translate(root: etree._Element) -> list[Line]:
    lines: list[Line] = []
    for process in root.findall("bpmn:process", NS):
        if process.get("isExecutable", "true") != "true":
            continue
        for mapping in list(process.iter(f"{{{ZEEBE}}}ioMapping")):
            owner = mapping.getparent().getparent() if mapping.getparent() is not None else None
            if owner is not None and isinstance(owner.tag, str):
                lines += _mapping(owner, mapping)
    return lines


def assignment(source: str | None, target: str | None) -> str | None:
    """The sandbox line for one mapping (`target = expression`), or None when it has no safe translation."""
    target, source = (target or "").strip(), (source or "").strip()
    if not is_variable(target):
        return None
    if not source.startswith("="):  # Zeebe reads a source without '=' as a static string
        return f"{target} = {source!r}"
    python = expressions.translate(source).python
    return f"{target} = {python}" if python else None


def _mapping(owner: etree._Element, mapping: etree._Element) -> list[Line]:
    name, oid = label(owner), owner.get("id")
    is_step = etree.QName(owner).localname in STEPS
    found: dict[str, list[str]] = {"input": [], "output": []}
    lines: list[Line] = []
    for kind in ("input", "output"):
        for m in mapping.findall(f"zeebe:{kind}", NS):
            source, target = m.get("source"), m.get("target")
            line = assignment(source, target) if is_step else None
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
        if not found[kind]:
            continue
        ext = owner.find("bpmn:extensionElements", NS)
        existing = ext.find(f"spiffworkflow:{tag}", NS)
        if existing is None:
            existing = etree.SubElement(ext, f"{{{SPIFF}}}{tag}", nsmap={"spiffworkflow": SPIFF})
            existing.text = ""
        script = "\n".join(found[kind])
        if script in (existing.text or ""):  # translated on an earlier import (an exported draft read back)
            continue
        if existing.text and kind == "input":  # the mappings first, then what the step's own script does
            script = f"{script}\n{existing.text}"
        elif existing.text:
            script = f"{existing.text}\n{script}"
        existing.text = script
        message = _(
            "{kind} mappings of step '{element}' → its {script}: {lines}",
            kind=_KINDS[kind](),
            element=name,
            script=tag,
            lines="; ".join(found[kind]),
        )
        lines.append(("translated", message, mapping.sourceline, oid))
    return lines
