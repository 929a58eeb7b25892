"""Notifications (催办 reminders, …) sent by jobs through a `Notifier`: the SMS / message gateway is not
here, so the default notifier records the message in the audit trail and the log; a deployment plugs in
its gateway by implementing `send`."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.identity import groups
from orchestrator.store.models import GroupMember, Job

log = logging.getLogger("onewindow.notifications")


class Notifier(Protocol):
    def send(self, to: str, text: str) -> None: ...


class AuditNotifier:
    """Records each message as sent (audit `notified`) and logs it: what a gateway would deliver."""

    def __init__(self, session: Session, instance_id: int | None):
        self.session, self.instance_id = session, instance_id

    def send(self, to: str, text: str) -> None:
        audit.record(
            self.session, "notified", None, instance_id=self.instance_id, after={"to": to, "text": text}
        )
        log.info("notify %s: %s", to, text, extra={"instance": self.instance_id})


def run_notify_job(session: Session, job: Job) -> None:
    """Job kind "notify": send `payload.text` to `payload.user`, or to `payload.group` within `org_path`."""
    deliver(session, job.instance_id, job.payload or {})


def deliver(
    session: Session, instance_id: int | None, payload: dict, notifier: Notifier | None = None
) -> list[str]:
    """Send the payload's text to its user, or to every member of its group; return who got it."""
    notifier = notifier or AuditNotifier(session, instance_id)
    text = str(payload.get("text") or "")
    if payload.get("user"):
        recipients = [payload["user"]]
    else:
        group = payload.get("group")
        recipients = sorted(
            u for u, code, _ in _members(session) if code == group and _covers(session, u, group, payload)
        )
    for user in recipients:
        notifier.send(user, text)
    return recipients


def _members(session: Session):
    return session.query(GroupMember.username, GroupMember.group_code, GroupMember.org_path).all()


def _covers(session: Session, user: str, group: str, payload: dict) -> bool:
    org_path = payload.get("org_path") or "/"
    return any(
        code == group and org_path.startswith(path) for code, path in groups.memberships(session, user)
    )
