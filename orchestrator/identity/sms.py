"""Text messages to citizens (verification codes, notices) go through one interface, `SmsSender`.

The default sender, `OutboxSender`, only writes each message to the `sms_outbox` table, where an admin (and a
test) reads it; a deployment installs a real gateway with `install`, e.g. one that also writes the outbox and
then calls the operator's API. The interface takes the caller's session, so a message is stored with the work
that caused it, or not at all.
"""

from __future__ import annotations

from typing import Protocol, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.core.clock import now
from orchestrator.store.portal import SmsOutbox

MAX_TEXT = 500


class SmsSender(Protocol):
    def send(self, session: Session, phone: str, text: str, kind: str) -> None:
        """Hand `text` to `phone`; `kind` is "code" (a verification code) or "notice"."""


class OutboxSender:
    """The default: the message is written to the outbox table, nothing leaves the machine."""

    def send(self, session: Session, phone: str, text: str, kind: str) -> None:
        session.add(SmsOutbox(phone=phone, kind=kind, text=text[:MAX_TEXT], created_at=now()))
        session.flush()


_sender: SmsSender = OutboxSender()


def install(sender: SmsSender) -> None:
    """Use `sender` for every message from now on (a deployment's gateway)."""
    global _sender
    _sender = sender


def current() -> SmsSender:
    return _sender


def send(session: Session, phone: str, text: str, kind: str = "notice") -> None:
    _sender.send(session, phone, text, kind)


class OutboxRow(TypedDict):
    id: int
    phone: str
    kind: str
    text: str
    created_at: str
    sent_at: str | None


def outbox(session: Session, phone: str | None = None, limit: int = 100) -> list[OutboxRow]:
    """The newest messages of the outbox (of one phone)."""
    query = select(SmsOutbox).order_by(SmsOutbox.id.desc()).limit(max(1, min(limit, 1000)))
    if phone:
        query = query.where(SmsOutbox.phone == phone)
    return [
        {
            "id": m.id,
            "phone": m.phone,
            "kind": m.kind,
            "text": m.text,
            "created_at": m.created_at.isoformat(timespec="seconds"),
            "sent_at": m.sent_at.isoformat(timespec="seconds") if m.sent_at else None,
        }
        for m in session.scalars(query)
    ]
