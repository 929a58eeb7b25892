"""The engine's notion of now: real time, or a travelled-to instant (tests, `--now`), like Camunda's ClockUtil.

SpiffWorkflow's timers read `datetime.now(timezone.utc)` in their own module; `install()` points that at
this clock so the job table and the diagrams agree on what time it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """Naive UTC now (the store's convention)."""
    return (_frozen or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)


@contextmanager
def travel(to: datetime) -> Iterator[None]:
    """Pretend it is `to` (naive = UTC) for the duration of the block."""
    global _frozen
    before = _frozen
    _frozen = to if to.tzinfo else to.replace(tzinfo=UTC)
    try:
        yield
    finally:
        _frozen = before


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: D102 - same contract as datetime.now
        if _frozen is None:
            return datetime.now(tz)
        return _frozen.astimezone(tz) if tz else _frozen.astimezone(UTC).replace(tzinfo=None)


def install() -> None:
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _ClockDatetime
