"""Statistics (统计分析) and assessment (考核): the figures halls are judged by (docs/statistics.md).

- `facts`: what one case counts for; `aggregate`: the per-day and per-month sums, kept up to date from
  the audit trail (`refresh`) or rebuilt (`recount`); `query`: breakdowns; `drill`: the cases behind a
  number; `events`: grid events per platform; `assessment`: the ranked 考核 table.
"""

from __future__ import annotations

from orchestrator.gov.stats.aggregate import recount, refresh
from orchestrator.gov.stats.drill import cases
from orchestrator.gov.stats.periods import parse_period, parse_range
from orchestrator.gov.stats.query import BY, COLUMNS, breakdown

__all__ = ["BY", "COLUMNS", "breakdown", "cases", "parse_period", "parse_range", "recount", "refresh"]
