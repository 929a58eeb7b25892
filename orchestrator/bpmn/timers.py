"""Timer expressions as modelers write them (bare ISO 8601) and as Spiff writes them (a quoted Python string)."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from orchestrator.core.i18n import Message, _

# Loose on purpose: anything that looks like ISO 8601 is quoted, so a typo ("P5X") is reported as an
# invalid timer at deploy time instead of surfacing as an unknown variable when the timer starts.
_ISO = re.compile(r"^(R-?\d*/[^\s\"'()]+|-?P[\dT][^\s\"'()]*|\d{4}-\d{2}-\d{2}[^\s\"'()]*)$")

KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}
NAMES = {"duration": _("timer duration"), "date": _("timer date"), "cycle": _("timer cycle")}
"""How a message names a timer of each kind."""


def normalize(text: str) -> str:
    """Return a Spiff expression: bare ISO 8601 is quoted, anything else is left as written."""
    stripped = text.strip()
    if _ISO.match(stripped):
        return repr(stripped)
    return stripped


MAX_SPAN = timedelta(days=3653)  # a duration, or the interval of a cycle: ten years at most
MIN_INTERVAL = timedelta(minutes=1)  # a cycle that fires faster would keep a worker busy
MAX_REPEATS = 10_000
DATES = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def check_literal(expression: str, kind: str) -> Message | None:
    """If the (normalized) expression is a string literal, check it parses as the timer kind needs and is
    bounded: a duration is positive and at most ten years, a cycle's interval at least a minute and at most
    ten years, a date between 2000 and 2100."""
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None  # reported by the sandbox check
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None  # computed at run time from data; the sandbox check covers it (and the engine's bounds)
    return check_value(node.value, kind)


def check_value(value: str, kind: str) -> Message | None:
    """The problem of one timer value (None: fine), as deploy and the engine see it."""
    try:
        bounded = _bounded(value, kind)
    except Exception:  # Spiff raises bare Exception / ValueError / OverflowError for these
        examples = {"duration": "P5D, PT2H", "date": "2026-10-01T09:00:00+08:00", "cycle": "R3/PT1H"}[kind]
        return _(
            "{timer} '{value}' is not valid ISO 8601 (e.g. {examples})",
            timer=NAMES[kind],
            value=value,
            examples=examples,
        )
    return bounded


def _bounded(value: str, kind: str) -> Message | None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    if kind == "date":
        when = _parse_time_or_duration(value)
        if isinstance(when, datetime) and not DATES[0] <= _aware(when) <= DATES[1]:
            return _("{timer} '{value}' is not between 2000 and 2100", timer=NAMES[kind], value=value)
        return None
    if kind == "duration":
        if value.strip().startswith("-"):
            raise ValueError("negative")
        span = _timedelta_from_start(_parse_iso_duration(value), start)
        if not timedelta(0) < span <= MAX_SPAN:
            return _(
                "{timer} '{value}' must be longer than zero and at most ten years",
                timer=NAMES[kind],
                value=value,
            )
        return None
    repeats, _first, interval = _parse_iso_recurring_interval(value)
    if not (repeats == -1 or 1 <= repeats <= MAX_REPEATS) or not MIN_INTERVAL <= interval <= MAX_SPAN:
        return _(
            "{timer} '{value}' needs 1 to {repeats} repetitions (or R/ for no end) and an interval from a minute to ten years",
            timer=NAMES[kind],
            value=value,
            repeats=MAX_REPEATS,
        )
    return None


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# -- at run time -------------------------------------------------------------------------------------
# A timer computed from case data is checked when the engine reads it, with the same bounds: a zero-interval
# cycle would otherwise make SpiffWorkflow add children forever inside one step, and a huge duration would
# overflow. The engine then raises, and the step becomes a job that ends as a located incident.
_parse_iso_duration = TimerEventDefinition.parse_iso_duration
_parse_time_or_duration = TimerEventDefinition.parse_time_or_duration
_parse_iso_recurring_interval = TimerEventDefinition.parse_iso_recurring_interval
_timedelta_from_start = TimerEventDefinition.get_timedelta_from_start


class TimerOutOfBounds(ValueError):
    """A timer value the engine refuses to run (see MAX_SPAN, MIN_INTERVAL)."""


def _checked_recurring_interval(expression: str):
    cycles, start, interval = _parse_iso_recurring_interval(expression)
    if not MIN_INTERVAL <= interval <= MAX_SPAN:
        raise TimerOutOfBounds(f"timer cycle {expression!r}: the interval must be from a minute to ten years")
    return cycles, start, interval


def _checked_timedelta_from_start(parsed_duration: dict, start: datetime | None = None) -> timedelta:
    try:
        span = _timedelta_from_start(dict(parsed_duration), start)
    except (OverflowError, ValueError) as exc:
        raise TimerOutOfBounds(f"timer duration out of range: {exc}") from None
    if abs(span) > MAX_SPAN:
        raise TimerOutOfBounds("a timer duration may not exceed ten years")
    return span


def install() -> None:
    """Make SpiffWorkflow's timers refuse out-of-bounds values (the engine calls this once)."""
    TimerEventDefinition.parse_iso_recurring_interval = staticmethod(_checked_recurring_interval)
    TimerEventDefinition.get_timedelta_from_start = staticmethod(_checked_timedelta_from_start)


# -- working days ------------------------------------------------------------------------------------
# BPMN has no working-day duration. A timer event carrying `spiffworkflow:property name="workingDays"`
# keeps its ISO duration (P5D: what other modelers and engines read) and runs here as a date computed
# from the Chinese working-day calendar when the timer starts: `working_days_from_now(5)`.
WORKING_DAYS = "workingDays"
MAX_WORKING_DAYS = 2500  # about ten years
_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def working_day_timers(tree) -> list[tuple[Any, str, Any]]:
    """(event element, the property's value, its timer definition or None) for each event carrying
    a workingDays property."""
    found = []
    for prop in tree.iter(f"{{{_SPIFF}}}property"):
        if prop.get("name") != WORKING_DAYS:
            continue
        properties = prop.getparent()
        extension_elements = properties.getparent() if properties is not None else None
        event = extension_elements.getparent() if extension_elements is not None else None
        if event is None:
            continue
        timer = event.find(f"{{{_BPMN}}}timerEventDefinition")
        found.append((event, (prop.get("value") or "").strip(), timer))
    return found


def working_days_problem(value: str, timer) -> Message | None:
    """Why a workingDays property cannot run (None: it can)."""
    if timer is None or timer.find(f"{{{_BPMN}}}timeDuration") is None:
        return _("workingDays belongs on a timer with a duration")
    if not value.isdigit() or not 1 <= int(value) <= MAX_WORKING_DAYS:
        return _(
            "workingDays '{value}' must be a whole number of days from 1 to {most}",
            value=value,
            most=MAX_WORKING_DAYS,
        )
    return None


def compile_working_days(tree):
    """A copy of the diagram in which each working-day timer is the date it computes (for the engine)."""
    from copy import deepcopy

    tree = deepcopy(tree)
    for _event, value, timer in working_day_timers(tree):
        duration = timer.find(f"{{{_BPMN}}}timeDuration")
        duration.tag = f"{{{_BPMN}}}timeDate"
        duration.text = f"working_days_from_now({int(value)})"
    return tree
