"""Who is known: a user the core has heard of holds a group membership or an account of the web app.

Accounts live in the web app's table (Flask-AppBuilder's `ab_user`, in the same database); the core reads
their names only, and a database without that table (a deployment with no web app) has no accounts.
"""

from __future__ import annotations

from sqlalchemy import column, exists, inspect, select, table
from sqlalchemy.orm import Session

from orchestrator.core.errors import NotFound
from orchestrator.core.i18n import _
from orchestrator.store.models import GroupMember

ACCOUNTS = table("ab_user", column("username"))
_has_accounts: dict[str, bool] = {}


def _accounts_table(session: Session) -> bool:
    url = str(session.get_bind().engine.url)
    if not _has_accounts.get(url):  # asked again until the web app made it
        _has_accounts[url] = inspect(session.connection()).has_table(ACCOUNTS.name)
    return _has_accounts[url]


def known(session: Session, username: str) -> bool:
    if session.scalar(select(exists().where(GroupMember.username == username))):
        return True
    return _accounts_table(session) and bool(
        session.scalar(select(exists().where(ACCOUNTS.c.username == username)))
    )


def require(session: Session, username: str) -> None:
    """Refuse a user nobody has heard of (rather than answer for them with an empty list)."""
    if not known(session, username):
        raise NotFound(_("no user '{username}'", username=username))
