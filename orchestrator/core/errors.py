"""The errors services raise; each maps to one CLI exit code, one HTTP status and one error code.

A message is a translatable `Message` (or plain text) until it is shown, so each door shows it in its
user's language. `as_dict()` is the error document both doors print: `{"error": {"code", "message",
"problems"}}`, plus `errors` (the problems again) for invalid input, as the CLI has always printed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.core.i18n import Message

Text = str | Message


@dataclass
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: Text
    file: str | None = None
    line: int | None = None
    element: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"message": str(self.message)}
        for key in ("file", "line", "element", "field"):
            value = getattr(self, key)
            if value is not None or key in ("file", "line", "element"):
                found[key] = value
        return found


class OneWindowError(Exception):
    exit_code = 1
    http_status = 500
    code = "unexpected"

    def __init__(self, message: Text = ""):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)

    @property
    def problems(self) -> list[Problem]:
        return []

    def as_dict(self) -> dict[str, Any]:
        problems = [p.as_dict() for p in self.problems]
        return {"error": {"code": self.code, "message": str(self), "problems": problems}}


class InvalidInput(OneWindowError):
    """Bad input; carries every problem found, not just the first."""

    exit_code = 2
    http_status = 422
    code = "invalid_input"

    def __init__(self, problems: list[Problem] | Problem | Text):
        if isinstance(problems, str | Message):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        super().__init__("")
        self._problems = problems

    def __str__(self) -> str:
        return "; ".join(str(p.message) for p in self._problems)

    @property
    def problems(self) -> list[Problem]:
        return self._problems

    @problems.setter
    def problems(self, value: list[Problem]) -> None:
        self._problems = value

    def as_dict(self) -> dict[str, Any]:
        found = super().as_dict()
        found["errors"] = found["error"]["problems"]
        return found


class Conflict(OneWindowError):
    """Lost a race, or the thing is no longer in a state that allows the action."""

    exit_code = 3
    http_status = 409
    code = "conflict"


class NotFound(OneWindowError):
    exit_code = 4
    http_status = 404
    code = "not_found"


class NotAllowed(OneWindowError):
    exit_code = 4
    http_status = 403
    code = "not_allowed"
