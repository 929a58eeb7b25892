"""The errors services raise; each maps to one CLI exit code and one HTTP status."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    element: str | None = None
    field: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None or k in ("file", "line", "element")}


class OneWindowError(Exception):
    exit_code = 1
    http_status = 500

    def as_dict(self) -> dict:
        return {"error": str(self)}


class InvalidInput(OneWindowError):
    """Bad input; carries every problem found, not just the first."""

    exit_code = 2
    http_status = 422

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))

    def as_dict(self) -> dict:
        return {"errors": [p.as_dict() for p in self.problems]}


class Conflict(OneWindowError):
    """Lost a race, or the thing is no longer in a state that allows the action."""

    exit_code = 3
    http_status = 409


class NotFound(OneWindowError):
    exit_code = 4
    http_status = 404


class NotAllowed(OneWindowError):
    exit_code = 4
    http_status = 403
