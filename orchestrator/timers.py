"""Timer expressions as modelers write them (bare ISO 8601) and as Spiff writes them (a quoted Python string)."""

from __future__ import annotations

import ast
import re

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

# Loose on purpose: anything that looks like ISO 8601 is quoted, so a typo ("P5X") is reported as an
# invalid timer at deploy time instead of surfacing as an unknown variable when the timer starts.
_ISO = re.compile(r"^(R\d*/[^\s\"'()]+|P[\dT][^\s\"'()]*|\d{4}-\d{2}-\d{2}[^\s\"'()]*)$")

KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}


def normalize(text: str) -> str:
    """Return a Spiff expression: bare ISO 8601 is quoted, anything else is left as written."""
    stripped = text.strip()
    if _ISO.match(stripped):
        return repr(stripped)
    return stripped


def check_literal(expression: str, kind: str) -> str | None:
    """If the (normalized) expression is a string literal, check it parses as the timer kind needs."""
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None  # reported by the sandbox check
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None  # computed at run time from data; the sandbox check covers it
    value = node.value
    try:
        if kind == "duration":
            TimerEventDefinition.parse_iso_duration(value)
        elif kind == "date":
            TimerEventDefinition.parse_time_or_duration(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # Spiff raises bare Exception / ValueError for these
        examples = {"duration": "P5D, PT2H", "date": "2026-10-01T09:00:00+08:00", "cycle": "R3/PT1H"}[kind]
        return f"timer {kind} '{value}' is not valid ISO 8601 (e.g. {examples})"
    return None
