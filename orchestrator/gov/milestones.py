"""Case-status milestones: flow nodes of an item's diagram marked `caseStatus` (a national status code) and,
for a special procedure, `casePause` (its kind). Checked at deploy time; read as a step completes them."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from orchestrator.bpmn import engine, xmlsafe
from orchestrator.core.errors import Problem
from orchestrator.core.i18n import _
from orchestrator.gov.vocabulary import STATUS

SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MARKER = "caseStatus"
PAUSE = "casePause"


@dataclass(frozen=True)
class CaseMark:
    """A completed flow node that moves its case to `status` (with the pause kind of a special procedure)."""

    status: int
    pause: str | None
    data: dict
    node: str


def case_mark(m: engine.Milestone) -> CaseMark:
    return CaseMark(int(m.value), m.properties.get(PAUSE), m.data, m.node)


def check_diagram(tree: etree._ElementTree, name: str) -> list[Problem]:
    """`caseStatus` marks must name a status code; `casePause` goes with 9 (特别程序开始)."""
    problems = []
    for prop in tree.iter(f"{{{SPIFF}}}property"):
        where = dict(file=name, line=prop.sourceline, element=xmlsafe.element_of(prop))
        if prop.get("name") == MARKER:
            value = (prop.get("value") or "").strip()
            if not value.isdigit() or int(value) not in STATUS:
                problems.append(
                    Problem(_("caseStatus '{value}' is not a case status code (1–15)", value=value), **where)
                )
        elif prop.get("name") == PAUSE:
            siblings = {p.get("name"): p.get("value") for p in prop.getparent()}
            if siblings.get(MARKER) != "9":
                problems.append(
                    Problem(_("casePause names the kind of a 特别程序: use it with caseStatus 9"), **where)
                )
    return problems
