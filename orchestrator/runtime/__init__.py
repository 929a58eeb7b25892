"""The runtime: process instances stepped one transaction at a time, their human tasks, attachments and
progress. `install()` registers its job kinds and event handlers with the layers below."""

from __future__ import annotations


def install() -> None:
    from orchestrator import jobs
    from orchestrator.core import events
    from orchestrator.deploy import definitions
    from orchestrator.runtime import instances

    jobs.register("timer", instances.run_timer_job)
    jobs.register("continue", instances.run_continue_job)
    events.subscribe(definitions.PUBLISHED, instances.on_published)
