"""Changes to web accounts, on the record. Accounts live in the web app's tables (Flask-AppBuilder's
`ab_user`); the web app makes the change with its security manager and reports it here, so that an account's
history sits in the same audit trail as everything else (痕迹管理). Secrets never reach the record."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import Listing, _

# what may happen to an account → its audit action
CHANGES = {
    "create": "account_created",
    "disable": "account_disabled",
    "enable": "account_enabled",
    "password": "account_password_reset",
    "role": "account_role_changed",
}
SECRET_KEYS = ("password", "password_hash", "secret", "token")


def record(
    session: Session,
    actor: str | None,
    username: str,
    change: str,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    problems = []
    if not (username or "").strip() or len(username) > 256:
        problems.append(Problem(_("a username has 1 to 100 characters"), field="username"))
    if change not in CHANGES:
        problems.append(
            Problem(_("change must be one of {changes}", changes=Listing(sorted(CHANGES))), field="change")
        )
    secrets = sorted({k for d in (before or {}, after or {}) for k in d if k.lower() in SECRET_KEYS})
    if secrets:
        problems.append(Problem(_("an account's record holds no secrets: {keys}", keys=Listing(secrets))))
    if problems:
        raise InvalidInput(problems)
    audit.record(
        session,
        CHANGES[change],
        actor,
        before={"username": username, **(before or {})} if before is not None else None,
        after={"username": username, **(after or {})},
    )
