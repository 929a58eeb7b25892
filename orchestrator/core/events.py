"""Domain events: a lower layer says what happened, higher layers act on it, and neither imports the other.

A publisher names its events with constants in its own module (`definitions.PUBLISHED`,
`calendar_days.CHANGED`); a subscriber registers a handler when its layer is installed. Handlers run in
the publisher's transaction, in the order they subscribed, and their results come back to the publisher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

Handler = Callable[..., Any]
_handlers: dict[str, list[Handler]] = {}


def subscribe(event: str, handler: Handler) -> None:
    """Call `handler(session, **details)` whenever `event` is published (once, however often subscribed)."""
    handlers = _handlers.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


def publish(event: str, session: Session, **details: Any) -> list[Any]:
    """Run every handler of `event` in the caller's transaction; return their results in order."""
    return [handler(session, **details) for handler in _handlers.get(event, ())]
