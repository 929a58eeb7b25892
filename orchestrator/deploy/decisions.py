"""Deploy-time checks of a unit's DMN decision tables (`x.dmn`) and of the business rule tasks calling them.

SpiffWorkflow 3.2 runs a `bpmn:businessRuleTask` whose `spiffworkflow:calledDecisionId` names a decision: it
evaluates the decision table's cells as Python with the workflow's script engine (our sandbox), one file per
decision, one table per decision. What it would trip over at run time, or word in English or not at all, is
refused here, located (file, line, rule id) and every problem at once:

- the file: a DMN 1.1–1.3 `definitions` (XSD-valid where SpiffWorkflow ships a loadable schema), exactly one
  decision, which is a decision table, every element the engine reads has an id, the decision ids are unique
  in the unit;
- the table: a hit policy the engine implements (UNIQUE, FIRST, ANY, COLLECT without aggregation), input
  expressions, output names that are variable names, as many cells in each rule as columns;
- every cell, composed into the expression the engine evaluates (`DMNEngine.evaluate`), passes the sandbox;
  FEEL's `true`/`false`/`null` (what dmn-js' editors write) are refused with what to write instead;
- every business rule task names a decision that a .dmn file of the unit defines.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from lxml import etree

from orchestrator.bpmn import sandbox
from orchestrator.bpmn.namespaces import BPMN, SPIFF
from orchestrator.core.errors import Problem
from orchestrator.core.i18n import Listing, Message, _

DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # 1.1
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # 1.2
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # 1.3 (dmn-js writes this one)
)
# The standard's hit policies, and those SpiffWorkflow's DMNEngine implements.
HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
RUNNABLE_HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "COLLECT")
MAX_CELL_CHARS = 2_000
FEEL_LITERALS = {"true": "True", "false": "False", "null": "None"}
# SpiffWorkflow's DMNEngine: a '?' outside quotes stands for the input's value.
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_INPUT_VALUE = "dmninputexpr"
SYNTAX_ERROR = "syntax error: {detail}"  # the sandbox's message id for code that does not parse
_CELL_HINT = _(
    "cells are Python: write < 1200, >= 2, 1, \"text\", True or a range as 2 <= ? <= 4 ('?' is the input's value)"
)


def check(
    decisions: dict[str, etree._ElementTree],
    diagrams: dict[str, etree._ElementTree],
    *,
    all_read: bool = True,
) -> list[Problem]:
    """Every problem of the unit's decision tables and of its business rule tasks' references to them.
    `all_read`: every .dmn file of the unit parsed (else a called decision may be in one that did not)."""
    problems: list[Problem] = []
    defined: dict[str, str] = {}  # decision id → file
    for name, tree in sorted(decisions.items()):
        file_problems, ids = _file(name, tree)
        problems += file_problems
        for decision_id, node in ids:
            if decision_id in defined:
                problems.append(
                    Problem(
                        _(
                            "decision id '{decision}' is also defined in {other}: decision ids must be unique in the unit",
                            decision=decision_id,
                            other=defined[decision_id],
                        ),
                        file=name,
                        line=node.sourceline,
                        element=decision_id,
                    )
                )
            else:
                defined[decision_id] = name
    for name, tree in sorted(diagrams.items()):
        problems += _calls(name, tree, defined, all_read)
    return problems


# --- one .dmn file -----------------------------------------------------------------------------------------


def _file(name: str, tree: etree._ElementTree) -> tuple[list[Problem], list[tuple[str, etree._Element]]]:
    root = tree.getroot()
    ns = etree.QName(root).namespace
    if ns not in DMN_NAMESPACES or etree.QName(root).localname != "definitions":
        return [
            Problem(
                _("not a DMN decision file: the root element must be the definitions of DMN 1.1, 1.2 or 1.3"),
                file=name,
                line=root.sourceline,
            )
        ], []
    problems = _xsd(name, root, ns)
    decisions = list(root.iter(f"{{{ns}}}decision"))
    if not decisions:
        problems.append(Problem(_("the file defines no decision"), file=name, line=root.sourceline))
        return problems, []
    for extra in decisions[1:]:
        problems.append(
            Problem(
                _(
                    "one decision per .dmn file (the engine reads only the first): move '{decision}' to a file of its own",
                    decision=extra.get("id") or extra.get("name"),
                ),
                file=name,
                line=extra.sourceline,
                element=extra.get("id"),
            )
        )
    decision = decisions[0]
    problems += _ids(name, decision, ns)
    tables = decision.findall(f"{{{ns}}}decisionTable")
    if len(tables) != 1:
        message = (
            _(
                "decision '{decision}' is not a decision table: the engine runs decision tables only",
                decision=_label(decision),
            )
            if not tables
            else _("decision '{decision}' has more than one decision table", decision=_label(decision))
        )
        problems.append(Problem(message, file=name, line=decision.sourceline, element=decision.get("id")))
    else:
        problems += _table(name, tables[0], ns)
    found = [(decision.get("id"), decision)] if decision.get("id") else []
    return problems, found


@lru_cache(maxsize=4)
def _schema(ns: str) -> etree.XMLSchema | None:
    """SpiffWorkflow's XSD of a DMN version, or None where it ships none that loads (its DMN 1.2 does not)."""
    from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS

    path = SCHEMAS.get(ns)
    if path is None:
        return None
    try:
        return etree.XMLSchema(etree.parse(path))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError):
        return None


def _xsd(name: str, root: etree._Element, ns: str) -> list[Problem]:
    schema = _schema(ns)
    if schema is None or schema.validate(root):
        return []
    problems = []
    for err in schema.error_log:
        if "'hitPolicy'" in err.message:
            continue  # reported by _table, in words that say what to do
        detail = err.message.replace(f"{{{ns}}}", "dmn:")
        problems.append(Problem(_("not valid DMN: {detail}", detail=detail), file=name, line=err.line))
    return problems


def _ids(name: str, decision: etree._Element, ns: str) -> list[Problem]:
    """The engine reads the id of each of these elements (a missing one fails it with a KeyError)."""
    tags = ("decision", "decisionTable", "input", "output", "rule", "inputEntry", "outputEntry")
    problems = []
    for node in decision.iter(*[f"{{{ns}}}{tag}" for tag in tags]):
        if not (node.get("id") or "").strip():
            problems.append(
                Problem(
                    _("dmn:{tag} has no id", tag=etree.QName(node).localname),
                    file=name,
                    line=node.sourceline,
                )
            )
    return problems


def _label(node: etree._Element) -> str:
    return node.get("label") or node.get("name") or node.get("id") or "?"


def _table(name: str, table: etree._Element, ns: str) -> list[Problem]:
    problems = []
    where = {"file": name, "line": table.sourceline, "element": table.get("id")}
    policy = table.get("hitPolicy", "UNIQUE")
    if policy not in HIT_POLICIES:
        problems.append(
            Problem(
                _(
                    "unknown hit policy '{policy}': use one of {policies}",
                    policy=policy,
                    policies=Listing(RUNNABLE_HIT_POLICIES),
                ),
                **where,
            )
        )
    elif policy not in RUNNABLE_HIT_POLICIES:
        problems.append(
            Problem(
                _(
                    "the engine does not implement the hit policy '{policy}': use one of {policies}",
                    policy=policy,
                    policies=Listing(RUNNABLE_HIT_POLICIES),
                ),
                **where,
            )
        )
    if table.get("aggregation"):
        problems.append(
            Problem(
                _(
                    "the engine does not aggregate (aggregation '{aggregation}'): remove it; COLLECT gives lists",
                    aggregation=table.get("aggregation"),
                ),
                **where,
            )
        )
    inputs: list[tuple[str, str]] = []  # (label, expression)
    outputs: list[str] = []  # labels
    variables: list[str] = []  # the names they write
    rules: list[etree._Element] = []
    for child in table:
        kind = etree.QName(child).localname if isinstance(child.tag, str) else None
        if kind == "input":
            label, expression, input_problems = _input(name, child, ns)
            inputs.append((label, expression))
            problems += input_problems
        elif kind == "output":
            problems += _output(name, child, variables)
            outputs.append(_label(child))
        elif kind == "rule":
            rules.append(child)
        else:  # the engine refuses anything else inside a table, even a comment
            what = f"dmn:{kind}" if kind else _("an XML comment or processing instruction")
            problems.append(
                Problem(
                    _("a decision table holds only inputs, outputs and rules, not {what}", what=what),
                    file=name,
                    line=child.sourceline,
                    element=table.get("id"),
                )
            )
    if not outputs:
        problems.append(Problem(_("the decision table has no output"), **where))
    for number, rule in enumerate(rules, 1):
        problems += _rule(name, rule, number, inputs, outputs, ns)
    return problems


def _input(name: str, node: etree._Element, ns: str) -> tuple[str, str, list[Problem]]:
    """An input column: its label, its expression as the engine reads it (raw), and its problems."""
    label = _label(node)
    text = node.find(f"{{{ns}}}inputExpression/{{{ns}}}text")
    expression = (text.text or "") if text is not None else ""
    where = {"file": name, "line": (text if text is not None else node).sourceline, "element": node.get("id")}
    if not expression.strip():
        message = _(
            "input '{input}' has no expression: write the variable it reads, like income", input=label
        )
        return label, "", [Problem(message, **where)]
    problems = [
        Problem(
            _("input '{input}': expression refused: {problem}", input=label, problem=err.message), **where
        )
        for err in _refusals(expression)
    ]
    return label, expression, problems


_OUTPUT_NAME = re.compile(r"[^\W\d]\w*(\.[^\W\d]\w*)*")


def _output(name: str, node: etree._Element, variables: list[str]) -> list[Problem]:
    variable = (node.get("name") or "").strip()
    where = {"file": name, "line": node.sourceline, "element": node.get("id")}
    variables.append(variable or _label(node))
    if not variable:
        return [
            Problem(
                _(
                    "output '{output}' has no name: give the variable it writes, like eligible",
                    output=_label(node),
                ),
                **where,
            )
        ]
    if not _OUTPUT_NAME.fullmatch(variable) or any(part.startswith("_") for part in variable.split(".")):
        return [
            Problem(
                _(
                    "output name '{name}' is not a variable name (letters, digits and '_', not first; no leading '_')",
                    name=variable,
                ),
                **where,
            )
        ]
    if variables.count(variable) > 1:
        return [Problem(_("two outputs write '{name}'", name=variable), **where)]
    return []


def _rule(
    name: str, rule: etree._Element, number: int, inputs: list[tuple[str, str]], outputs: list[str], ns: str
) -> list[Problem]:
    problems = []
    entries = rule.findall(f"{{{ns}}}inputEntry")
    results = rule.findall(f"{{{ns}}}outputEntry")
    if len(entries) != len(inputs) or len(results) != len(outputs):
        problems.append(
            Problem(
                _(
                    "rule {rule} has {entries} input and {results} output cells; the table has {inputs} inputs and {outputs} outputs",
                    rule=number,
                    entries=len(entries),
                    results=len(results),
                    inputs=len(inputs),
                    outputs=len(outputs),
                ),
                file=name,
                line=rule.sourceline,
                element=rule.get("id"),
            )
        )
    for entry, (label, expression) in zip(entries, inputs, strict=False):
        text = entry.find(f"{{{ns}}}text")
        if text is None:  # the engine fails on an input cell without text (`-` is "any value")
            message = _("the cell has no text: write - for any value")
            problems.append(_cell_problem(name, rule, number, label, entry, message))
            continue
        if text.text is None or text.text == "-" or not expression:
            continue
        source = entry_source(expression, text.text)
        problems += _cell_problems(name, rule, number, label, text, text.text, source)
    for entry, label in zip(results, outputs, strict=False):
        text = entry.find(f"{{{ns}}}text")
        if text is not None and text.text:  # no text: the output is ""
            problems += _cell_problems(name, rule, number, label, text, text.text, text.text)
    return problems


def entry_source(expression: str, cell: str) -> str:
    """The Python the engine evaluates for an input cell (SpiffWorkflow's DMNEngine.evaluate): with '?' the
    cell itself (the input's value stands for '?'), a whole expression is compared for equality, and an
    incomplete one (`< 1200`) is appended to the input's expression."""
    if len(cell) > MAX_CELL_CHARS:
        return cell  # refused for its length before it is looked at
    replaced = _QUESTION.sub(_INPUT_VALUE, cell)
    if _INPUT_VALUE in replaced:
        return replaced
    try:
        ast.parse(cell)
    except (SyntaxError, ValueError):
        return expression + cell
    return f"({expression}) == ({cell})"


def _cell_problem(
    name: str, rule: etree._Element, number: int, column: str, node: etree._Element, problem: str | Message
) -> Problem:
    return Problem(
        _("rule {rule}, column '{column}': {problem}", rule=number, column=column, problem=problem),
        file=name,
        line=node.sourceline,
        element=rule.get("id"),
    )


def _cell_problems(
    name: str, rule: etree._Element, number: int, column: str, node: etree._Element, cell: str, source: str
) -> list[Problem]:
    """The problems of one cell (`cell` as written, `source` as the engine evaluates it)."""
    if len(cell) > MAX_CELL_CHARS:
        message = _(
            "the cell is {length} characters long; the limit is {limit}",
            length=len(cell),
            limit=MAX_CELL_CHARS,
        )
        return [_cell_problem(name, rule, number, column, node, message)]
    problems = []
    for err in _refusals(source):
        problem: str | Message = err.message
        if isinstance(problem, Message) and problem.msgid == SYNTAX_ERROR:
            problem = _("{problem} ({hint})", problem=problem, hint=_CELL_HINT)
        message = _("{cell}: expression refused: {problem}", cell=cell.strip(), problem=problem)
        problems.append(_cell_problem(name, rule, number, column, node, message))
    return problems


def _refusals(source: str) -> list[sandbox.SandboxError]:
    """What the sandbox refuses in `source`, and FEEL literals Python would not know."""
    refused = sandbox.check(source, "eval")
    if refused:
        return refused
    names = {n.id for n in ast.walk(ast.parse(source.lstrip(" \t"), mode="eval")) if isinstance(n, ast.Name)}
    return [
        sandbox.SandboxError(
            _("write {python}, not {feel}: cells are Python, not FEEL", python=FEEL_LITERALS[feel], feel=feel)
        )
        for feel in sorted(names & FEEL_LITERALS.keys())
    ]


# --- the diagrams' calls -----------------------------------------------------------------------------------


def _calls(name: str, tree: etree._ElementTree, defined: dict[str, str], all_read: bool) -> list[Problem]:
    problems = []
    for task in tree.iter(f"{{{BPMN}}}businessRuleTask"):
        ref = task.find(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}calledDecisionId")
        called = (ref.text or "").strip() if ref is not None else ""
        where = {
            "file": name,
            "line": (ref if ref is not None else task).sourceline,
            "element": task.get("id"),
        }
        task_name = task.get("name") or task.get("id")
        if not called:
            problems.append(
                Problem(
                    _(
                        "business rule task '{task}' calls no decision: set spiffworkflow:calledDecisionId to the id of a decision in the unit's .dmn files",
                        task=task_name,
                    ),
                    **where,
                )
            )
        elif called not in defined and all_read:
            message = (
                _(
                    "business rule task '{task}' calls decision '{decision}', which no .dmn file of the unit defines (defined: {known})",
                    task=task_name,
                    decision=called,
                    known=Listing(sorted(defined)),
                )
                if defined
                else _(
                    "business rule task '{task}' calls decision '{decision}', but the unit has no .dmn file",
                    task=task_name,
                    decision=called,
                )
            )
            problems.append(Problem(message, **where))
    return problems
