"""Jobs: pending work as rows of the job table, run by the embedded runner or by Celery workers.

`from orchestrator import jobs` gives the table's operations (`jobs.schedule`, `jobs.run_due`, …).
"""

from orchestrator.jobs.registry import register
from orchestrator.jobs.table import (
    claim_for_dispatch,
    incidents,
    new_due_ids,
    pending_of,
    retry,
    run_due,
    run_job,
    run_next,
    schedule,
    unmark_dispatched,
    work_forever,
)

__all__ = [
    "claim_for_dispatch",
    "incidents",
    "new_due_ids",
    "pending_of",
    "register",
    "retry",
    "run_due",
    "run_job",
    "run_next",
    "schedule",
    "unmark_dispatched",
    "work_forever",
]
