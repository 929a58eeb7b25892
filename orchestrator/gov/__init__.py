"""The government domain (一窗受理, 最多跑一次): service items and their catalog entries, cases with the national
status codes, working-day deadlines, supervision, evaluations, documents, the clerk's inbox and actions.

It is one client of the generic engine below it: `install()` wires it in through the engine's seams.
"""

from __future__ import annotations


def install() -> None:
    """Hook the domain into the layers below: instance hooks, job kinds, event handlers, deploy checks."""
    from orchestrator import jobs
    from orchestrator.core import events
    from orchestrator.deploy import extensions
    from orchestrator.gov import (
        calendar_days,
        case_documents,
        cases,
        catalog,
        deadlines,
        forms,
        hooks,
        milestones,
        notifications,
        online,
        supervision,
    )
    from orchestrator.runtime import hooks as runtime_hooks

    runtime_hooks.install(hooks.CaseHooks())
    jobs.register("sweep", supervision.run_sweep_job)
    jobs.register("notify", notifications.run_notify_job)
    jobs.register("document", case_documents.run_document_job)
    events.subscribe(calendar_days.CHANGED, deadlines.recompute_open)
    events.subscribe(cases.STATUS_CHANGED, online.status_changed)
    extensions.set_catalog_check(catalog.check_entry)
    extensions.add_diagram_check(milestones.check_diagram)
    extensions.add_form_preparer(forms.fill_materials)
