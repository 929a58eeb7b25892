"""Reading command-line input: JSON data given inline or as @file, and whole numbers."""

from __future__ import annotations

from pathlib import Path

from orchestrator.core import limits
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import _


def data(value: str | None) -> dict | None:
    """`--data '{"a": 1}'` or `--data @file.json`: a JSON object."""
    if value is None:
        return None
    try:
        text: str | bytes = Path(value[1:]).read_bytes() if value.startswith("@") else value
    except OSError as exc:
        raise InvalidInput(
            Problem(_("--data is not JSON or a readable @file: {error}", error=str(exc)), field="data")
        ) from None
    found = limits.read_json(text, "data")
    if not isinstance(found, dict):
        raise InvalidInput(Problem(_("--data must be a JSON object"), field="data"))
    return found


def whole_number(value: str, field: str) -> int:
    if not value.isdigit():
        raise InvalidInput(
            Problem(_("{field} must be a whole number, not '{value}'", field=field, value=value), field=field)
        )
    return int(value)
