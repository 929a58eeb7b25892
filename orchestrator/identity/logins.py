"""Login protection, the same for staff and citizens: failed logins in a row are counted per account name
(also for names nobody has, so that a lock says nothing about who exists); after `MAX_FAILURES` the name is
locked for `LOCK_MINUTES`, unlocked by time or by an admin. Every failed and successful login is audited.

The web app asks `allowed` before it checks a password and reports the outcome with `failed`/`succeeded`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.store.models import LoginGuard

MAX_FAILURES = 5
LOCK_MINUTES = 15
FORGET_AFTER = timedelta(hours=1)  # failures further apart than this do not add up


class LoginState(TypedDict):
    username: str
    failures: int
    locked_until: str | None  # naive UTC, ISO


def _name(username: str) -> str:
    return (username or "").strip()[:256]


def _state(guard: LoginGuard | None, username: str) -> LoginState:
    locked = (
        guard.locked_until
        if guard is not None and guard.locked_until and guard.locked_until > now()
        else None
    )
    return {
        "username": username,
        "failures": guard.failures if guard is not None else 0,
        "locked_until": locked.isoformat(timespec="seconds") if locked else None,
    }


def state(session: Session, username: str) -> LoginState:
    name = _name(username)
    return _state(session.get(LoginGuard, name), name)


def allowed(session: Session, username: str, source: str | None = None) -> LoginState:
    """The name's state; a locked name's attempt is audited (and not counted again)."""
    found = state(session, username)
    if found["locked_until"]:
        audit.record(session, "login_refused_locked", _name(username), after={"source": source})
    return found


def failed(session: Session, username: str, source: str | None = None) -> LoginState:
    name = _name(username)
    at = now()
    guard = session.get(LoginGuard, name)
    if guard is None:
        guard = LoginGuard(username=name, failures=0)
        session.add(guard)
    if guard.last_failure_at is not None and at - guard.last_failure_at > FORGET_AFTER:
        guard.failures = 0
    guard.failures += 1
    guard.last_failure_at = at
    locked = guard.failures >= MAX_FAILURES
    if locked:
        guard.locked_until = at + timedelta(minutes=LOCK_MINUTES)
    audit.record(
        session,
        "login_failed",
        name,
        after={"source": source, "failures": guard.failures, "locked": locked},
    )
    session.flush()
    return _state(guard, name)


def succeeded(session: Session, username: str, source: str | None = None) -> None:
    name = _name(username)
    guard = session.get(LoginGuard, name)
    if guard is not None:
        session.delete(guard)
    audit.record(session, "login", name, after={"source": source})


def unlock(session: Session, username: str, actor: str | None) -> LoginState:
    name = _name(username)
    guard = session.get(LoginGuard, name)
    before = _state(guard, name)
    if guard is not None:
        session.delete(guard)
    audit.record(session, "login_unlocked", actor, before=dict(before), after={"username": name})
    return {"username": name, "failures": 0, "locked_until": None}


def locked_until(found: LoginState) -> datetime | None:
    return datetime.fromisoformat(found["locked_until"]) if found["locked_until"] else None
