"""Work in progress that a save refused: the files an analyst typed are kept, per user and key, with the
problems they met, so nothing typed is lost; the next successful save (or a discard) removes them."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orchestrator.core.clock import now
from orchestrator.core.errors import Problem
from orchestrator.store.models import DraftEdit


class Kept(TypedDict):
    key: str
    base_version: int | None
    files: dict[str, str]
    problems: list[dict]
    saved_at: str


def keep(
    session: Session,
    user: str,
    key: str,
    base_version: int | None,
    files: dict[str, bytes],
    problems: list[Problem],
) -> None:
    """Keep what `user` typed for `key` (one kept edit per user and key: the newest wins)."""
    texts = {name: data.decode("utf-8", errors="replace") for name, data in files.items()}
    row = session.scalars(select(DraftEdit).where(DraftEdit.username == user, DraftEdit.key == key)).first()
    if row is None:
        row = DraftEdit(username=user, key=key)
        session.add(row)
    row.base_version, row.files, row.saved_at = base_version, texts, now()
    row.problems = [p.as_dict() for p in problems]


def kept(session: Session, user: str, key: str) -> Kept | None:
    row = session.scalars(select(DraftEdit).where(DraftEdit.username == user, DraftEdit.key == key)).first()
    if row is None:
        return None
    return {
        "key": row.key,
        "base_version": row.base_version,
        "files": dict(row.files),
        "problems": list(row.problems),
        "saved_at": row.saved_at.isoformat(),
    }


def discard(session: Session, user: str, key: str) -> None:
    session.execute(delete(DraftEdit).where(DraftEdit.username == user, DraftEdit.key == key))
