"""Uploaded materials (附件): size-limited, type-checked by content, stored once by sha256 under the data
folder, and linked to their case."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, TypedDict

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from orchestrator.core import limits
from orchestrator.core.clock import now
from orchestrator.core.errors import InvalidInput, NotFound, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.store.models import Attachment

MAX_BYTES = 10 * 1024 * 1024
MAX_WAITING = 50  # a user's uploads not yet linked to a case
MAX_PER_CASE = 200
CHUNK = 64 * 1024
# extension → (content type, magic bytes at the start of the file)
TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),  # 版式文件 (GB/T 33190), a zip container
}


def save(
    session: Session,
    data_dir: Path,
    stream: BinaryIO,
    file_name: str,
    *,
    material: str | None = None,
    actor: str | None = None,
    max_bytes: int = MAX_BYTES,
    field: str = "file",
) -> AttachmentSummary:
    """Check and store one upload; nothing is kept when it is refused."""
    waiting = session.scalar(
        select(func.count())
        .select_from(Attachment)
        .where(Attachment.instance_id.is_(None), Attachment.uploaded_by == actor)
    )
    if waiting and waiting >= MAX_WAITING:
        raise InvalidInput(
            Problem(
                _(
                    "{count} of your uploads are waiting for a case; link or let them go before uploading more",
                    count=waiting,
                ),
                field=field,
            )
        )
    name = safe_name(file_name)
    ext = Path(name).suffix.lower()
    if not name or len(name) > 255:
        raise InvalidInput(Problem(_("a file needs a name of at most 255 characters"), field=field))
    if ext not in TYPES:
        allowed = Listing(sorted(TYPES), " ", "、")
        raise InvalidInput(
            Problem(
                _("{name}: file type not allowed (allowed: {allowed})", name=name, allowed=allowed),
                field=field,
            )
        )
    folder = Path(data_dir) / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
        try:
            head = b""
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(
                        Problem(
                            _(
                                "{name}: larger than the limit of {limit} MB",
                                name=name,
                                limit=max_bytes // (1024 * 1024),
                            ),
                            field=field,
                        )
                    )
                if len(head) < 16:
                    head += chunk[:16]
                digest.update(chunk)
                tmp.write(chunk)
            if size == 0:
                raise InvalidInput(Problem(_("{name}: the file is empty", name=name), field=field))
            content_type, magics = TYPES[ext]
            if not any(head.startswith(m) for m in magics):
                raise InvalidInput(
                    Problem(
                        _("{name}: the content is not a {type} file", name=name, type=ext[1:]), field=field
                    )
                )
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    sha = digest.hexdigest()
    target = folder / sha[:2] / sha
    target.parent.mkdir(exist_ok=True)
    os.replace(tmp.name, target)
    row = Attachment(
        material=material,
        file_name=name,
        content_type=content_type,
        size=size,
        sha256=sha,
        uploaded_by=actor,
        uploaded_at=now(),
    )
    session.add(row)
    session.flush()
    return summary(row)


def link(
    session: Session, ids: list[int], instance_id: int, task_id: int | None = None, actor: str | None = None
) -> None:
    """Attach the actor's own uploads, made before the case existed (or for a step), to it."""
    if not ids:
        return
    rows = session.scalars(select(Attachment).where(Attachment.id.in_(ids))).all()
    mine = {a.id for a in rows if a.instance_id is None and a.uploaded_by == actor}
    refused = [i for i in ids if i not in mine]
    if refused:
        raise InvalidInput(
            Problem(
                _("attachments {ids} are not uploads of yours waiting for a case", ids=str(refused)),
                field="attachments",
            )
        )
    already = session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.instance_id == instance_id)
    )
    if (already or 0) + len(mine) > MAX_PER_CASE:
        raise InvalidInput(
            Problem(_("a case holds at most {limit} attachments", limit=MAX_PER_CASE), field="attachments")
        )
    session.execute(
        update(Attachment).where(Attachment.id.in_(ids)).values(instance_id=instance_id, task_id=task_id)
    )


class AttachmentSummary(TypedDict):
    id: int
    ref: str  # "attachment:ID", how form data points at it
    material: str | None
    file_name: str
    content_type: str
    size: int
    sha256: str
    instance: int | None
    uploaded_by: str | None
    uploaded_at: str


def of_instance(session: Session, instance_id: int) -> list[AttachmentSummary]:
    rows = session.scalars(
        select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)
    )
    return [summary(a) for a in rows]


def get(session: Session, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(_("no attachment {id}", id=attachment_id))
    return row


def path_of(data_dir: Path, row: Attachment) -> Path:
    return Path(data_dir) / "attachments" / row.sha256[:2] / row.sha256


def safe_name(file_name: str | None) -> str:
    """A file name as it may be stored and sent back in a download header: no folder, no control
    characters (a NUL or a line break would otherwise reach the header), no lone surrogates."""
    name = limits.clean_text((file_name or "").replace("\\", "/")).replace("\t", " ").replace("\n", " ")
    return Path(name).name.strip().lstrip(".")


def summary(a: Attachment) -> AttachmentSummary:
    return {
        "id": a.id,
        "ref": f"attachment:{a.id}",
        "material": a.material,
        "file_name": safe_name(a.file_name) or f"attachment-{a.id}",
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "instance": a.instance_id,
        "uploaded_by": a.uploaded_by,
        "uploaded_at": a.uploaded_at.isoformat(),
    }
