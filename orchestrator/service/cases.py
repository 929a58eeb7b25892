"""Cases (办件): details, documents, progress, evaluations, withdrawal, supervision and the calendar."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orchestrator.gov import calendar_days, case_documents, cases, evaluations, supervision
from orchestrator.gov.calendar_days import DaySet, Due
from orchestrator.gov.cases import CaseDetails, CaseListed
from orchestrator.gov.evaluations import EvaluationSummary
from orchestrator.gov.supervision import StatusCount, WarningSummary
from orchestrator.runtime import progress
from orchestrator.service.base import Facade


class CasesDoor(Facade):
    def case(self, number: str) -> CaseDetails:
        return self._tx(lambda s: cases.details(s, number))

    def document(self, number: str, kind: str) -> tuple[str, bytes, str]:
        """(HTML, PDF, file name) of one of a case's documents."""
        return self._tx(lambda s: case_documents.document(s, number, kind))

    def progress(
        self,
        instance_id: int,
        user: str | None = None,
        *,
        see_all: bool = True,
        parts: tuple[str, ...] = ("marks", "diagram", "steps"),
    ) -> dict:
        """A case's progress for a user who may see it, in the `parts` asked for: "marks" (diagram element
        ids by progress), "diagram" (the version's BPMN XML), "steps" (application, finished steps with
        their data and forms, catalog entry)."""

        def work(s: Session):
            self._check_view(s, instance_id, user, see_all)
            found: dict = {}
            if "marks" in parts:
                found["marks"] = progress.marks(s, instance_id)
            if "diagram" in parts:
                found["diagram"] = progress.diagram(s, instance_id)
            if "steps" in parts:
                found.update(progress.steps(s, instance_id))
            return found

        return self._tx(work)

    def recent_cases(self, user: str, limit: int = 50) -> list[CaseListed]:
        """The newest cases a user started or held a step of."""
        return self._tx(lambda s: cases.recent(s, user, limit))

    def evaluate(
        self,
        number: str,
        level: int,
        *,
        channel: str = "网上",
        visit: str | None = None,
        comment: str | None = None,
        actor: str | None = None,
    ) -> EvaluationSummary:
        return self._tx(
            lambda s: evaluations.evaluate(
                s, number, level, channel=channel, visit=visit, comment=comment, actor=actor
            )
        )

    def evaluations(self, number: str) -> list[EvaluationSummary]:
        return self._tx(lambda s: evaluations.of_case(s, number))

    def withdraw(self, number: str, actor: str, reason: str | None = None) -> CaseDetails:
        return self._tx(lambda s: cases.withdraw(s, number, actor, reason=reason))

    def revoke(self, number: str, actor: str, reason: str) -> CaseDetails:
        return self._tx(lambda s: cases.withdraw(s, number, actor, reason=reason, revoke=True))

    def sweep(self) -> list[WarningSummary]:
        """Run the supervision sweep now (the worker also runs it every hour)."""
        return self._tx(supervision.sweep)

    def warnings(self, number: str | None = None) -> list[WarningSummary]:
        return self._tx(lambda s: supervision.warnings(s, number))

    def open_cases(self) -> list[StatusCount]:
        """Open cases counted by status code: [{"status_code", "status", "count"}]."""
        return self._tx(supervision.open_cases)

    def calendar_due(self, accepted_at: str, limit: int) -> Due:
        return self._tx(lambda s: calendar_days.due(s, accepted_at, limit))

    def calendar_set(
        self, day: str, kind: str, *, note: str | None = None, actor: str | None = None
    ) -> DaySet:
        try:
            return self._tx(lambda s: calendar_days.set_day(s, day, kind, note=note, actor=actor))
        except Exception:
            calendar_days.forget()  # it may have cached the edit that was just rolled back
            raise
