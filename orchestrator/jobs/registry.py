"""Job kinds and their handlers: each layer registers the kinds it runs, so the job table runs them all
without knowing any of them. A kind nobody registered is refused when it is scheduled."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from orchestrator.store.models import Job

Handler = Callable[[Session, Job], None]
_handlers: dict[str, Handler] = {}


class UnknownJobKind(ValueError):
    """A programming error: a job of a kind no installed layer runs."""


def register(kind: str, handler: Handler) -> None:
    """Run jobs of `kind` with `handler(session, job)`, inside the job's transaction."""
    known = _handlers.get(kind)
    if known is not None and known is not handler:
        raise ValueError(f"job kind {kind!r} already has a handler: {known.__module__}.{known.__qualname__}")
    _handlers[kind] = handler


def check(kind: str) -> None:
    if kind not in _handlers:
        raise UnknownJobKind(f"unknown job kind {kind!r} (known: {', '.join(kinds()) or 'none'})")


def kinds() -> list[str]:
    return sorted(_handlers)


def run(session: Session, job: Job) -> None:
    check(job.kind)
    _handlers[job.kind](session, job)
