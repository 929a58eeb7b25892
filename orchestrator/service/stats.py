"""Statistics (统计分析) and assessment (考核): breakdowns, the cases behind a number, grid events, the
ranked assessment table and its settings. What a user sees follows the org tree: their home unit's
subtree (admin and anyone without a unit: everything)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orchestrator.core.errors import NotAllowed
from orchestrator.core.i18n import _
from orchestrator.gov import stats
from orchestrator.gov.stats import assessment, events
from orchestrator.gov.stats.assessment import Settings as AssessmentSettings
from orchestrator.gov.stats.drill import Drill
from orchestrator.gov.stats.query import Breakdown
from orchestrator.identity import groups, orgs
from orchestrator.service.base import Facade


def scope_for(session: Session, user: str | None, org: str | None) -> str:
    """The org subtree a user asks for (`org`, a unit code), within what they may see."""
    home = groups.home_path(session, user)
    if not org:
        return home
    path = orgs.summary_of(session, org)["path"]
    if not path.startswith(home):
        raise NotAllowed(_("org unit {org} is outside what you may see", org=org))
    return path


class StatsDoor(Facade):
    def stats(
        self,
        by: str,
        start: str | None,
        end: str | None,
        *,
        basis: str = "accepted",
        org: str | None = None,
        user: str | None = None,
    ) -> Breakdown:
        """One breakdown of a period (YYYY-MM-DD to YYYY-MM-DD) within the user's subtree; `org` narrows
        it (for by=org: whose children are the rows)."""
        first, last = stats.parse_range(start, end)

        def work(s: Session) -> Breakdown:
            scope = scope_for(s, user, org)
            return stats.breakdown(s, by, first, last, basis=basis, scope=scope)

        self._tx(stats.refresh)  # its own transaction: readers wait for each other only while it runs
        return self._tx(work)

    def stats_cases(
        self,
        start: str | None,
        end: str | None,
        *,
        by: str = "all",
        key: str = "",
        figure: str = "received",
        basis: str = "accepted",
        org: str | None = None,
        user: str | None = None,
    ) -> Drill:
        """The cases behind one figure of one row (drill-down), newest first."""
        first, last = stats.parse_range(start, end)

        def work(s: Session) -> Drill:
            scope = scope_for(s, user, org)
            return stats.cases(s, first, last, basis=basis, scope=scope, by=by, key=key, figure=figure)

        self._tx(stats.refresh)
        return self._tx(work)

    def stats_recount(self) -> int:
        """Rebuild every fact and sum from the raw cases; the number of cases."""
        return self._tx(stats.recount)

    def stats_events(
        self, start: str | None, end: str | None, *, org: str | None = None, user: str | None = None
    ) -> events.EventReport:
        """Grid events per platform (四个平台): reported, accepted within 2 and closed within 7 working days."""
        first, last = stats.parse_range(start, end)
        return self._tx(lambda s: events.report(s, first, last, scope_for(s, user, org)))

    def assessment(
        self, level: str, period: str | None, *, org: str | None = None, user: str | None = None
    ) -> assessment.Assessment:
        """The ranked 考核 table of towns, villages, grids or proxies for a period (2026, 2026-Q3, 2026-09 …)."""
        first, last = stats.parse_period(period)

        def work(s: Session) -> assessment.Assessment:
            scope = scope_for(s, user, org)
            return assessment.table(s, level, first, last, scope)

        self._tx(stats.refresh)
        return self._tx(work)

    def assessment_settings(self) -> AssessmentSettings:
        return self._tx(assessment.settings)

    def set_assessment_settings(
        self, weights: object, threshold: object, actor: str | None = None
    ) -> AssessmentSettings:
        """Weights (figure → percent, adding up to 100) and the red threshold (percent); audited."""
        return self._tx(lambda s: assessment.save_settings(s, weights, threshold, actor))
