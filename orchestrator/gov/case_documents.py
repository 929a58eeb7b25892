"""A case's documents (办件文书): filled from the case, its catalog entry and its data, rendered by
`gov.documents`, and written under the data folder by a job once a case is closed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.core.clock import now
from orchestrator.core.config import Settings
from orchestrator.core.errors import InvalidInput, OneWindowError, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.gov import documents
from orchestrator.gov.cases import by_number
from orchestrator.gov.deadlines import CHINA
from orchestrator.gov.vocabulary import DOCUMENT_KINDS
from orchestrator.runtime import instances
from orchestrator.store.models import HumanTask, Job, ProcessDefinition, ProcessInstance, ServiceCase


def run_document_job(session: Session, job: Job) -> None:
    """Job kind "document": write one document of a case (`payload`: `case`, `kind`)."""
    folder = session.info.get("data_dir")
    payload = job.payload or {}
    write_document(session, payload["case"], payload["kind"], folder and folder / "documents")


def write_document(session: Session, number: str, kind: str, folder: Path | None = None) -> Path:
    """Render a case document and keep it under the data folder (`documents/<case number>/`)."""
    html, pdf, filename = document(session, number, kind)
    target = (folder or Settings.from_env().data_dir / "documents") / number
    target.mkdir(parents=True, exist_ok=True)
    (target / filename).write_bytes(pdf)
    (target / filename).with_suffix(".html").write_text(html, encoding="utf-8")
    return target / filename


def document(session: Session, number: str, kind: str) -> tuple[str, bytes, str]:
    """A case document as (HTML, PDF, file name), filled from the case, its catalog entry and its data."""
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(
            Problem(_("document must be one of {kinds}", kinds=Listing(list(DOCUMENT_KINDS))), field="kind")
        )
    case = by_number(session, number)
    instance = session.get_one(ProcessInstance, case.instance_id)
    definition = session.get_one(ProcessDefinition, instance.definition_id)
    entry = definition.catalog or {}
    data = instances.data_of(session, instance, definition)
    found = data.get("missing")
    missing: list = found if isinstance(found, list) else []
    materials = [m["name"] for m in entry.get("materials", [])]
    reasons = (
        data.get("reasons") or data.get("refuse_reason") or data.get("reason") or _last_opinion(session, case)
    )
    context = {
        "case_number": case.case_number,
        "item_name": case.item_name,
        "item_code": case.item_code,
        "item_type": entry.get("type"),
        "agency": entry.get("implementing_body"),
        "agency_phone": entry.get("phone"),
        "applicant": case.applicant,
        "proxy": case.proxy,
        "channel": case.channel,
        "received_at": _beijing(case.received_at),
        "accepted_at": _beijing(case.accepted_at),
        "promised_due": case.promised_due,
        "statutory_due": case.statutory_due,
        "completed_at": _beijing(case.closed_at),
        "supplement_days": entry.get("limits", {}).get("supplement_days"),
        "materials_received": [m for m in materials if m not in missing],
        "materials_missing": [m for m in missing if isinstance(m, str | dict)],
        "reasons": reasons,
        "result": case.result,
        "delivery": data.get("delivery") or None,
        "issued_at": _beijing(now()),
    }
    try:
        html, pdf = documents.render(kind, context)
    except OneWindowError:
        raise
    except Exception as exc:  # noqa: BLE001 - a document that cannot be made is reported, never a traceback
        raise DocumentFailed(
            _(
                "the {document} of case {number} could not be made: {error}",
                document=DOCUMENT_KINDS[kind],
                number=number,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
        ) from exc
    return html, pdf, documents.suggested_filename(kind, context)


class DocumentFailed(OneWindowError):
    """Rendering failed. From a job, the job retries and ends as an incident on the case."""

    code = "document_failed"


def _beijing(at: datetime | None) -> str | None:
    return (at + CHINA).isoformat(timespec="minutes") + "+08:00" if at else None


def _last_opinion(session: Session, case: ServiceCase) -> list[str]:
    opinion = session.scalars(
        select(HumanTask.opinion)
        .where(HumanTask.instance_id == case.instance_id, HumanTask.opinion.is_not(None))
        .order_by(HumanTask.id.desc())
        .limit(1)
    ).first()
    return [opinion] if opinion else []
