"""The embedded default: without a broker the web process runs due jobs itself, in one daemon thread."""

from __future__ import annotations

import logging
import threading

from orchestrator import jobs
from orchestrator.service import OneWindow

log = logging.getLogger(__name__)


def start(app, service: OneWindow, poll_seconds: float = 1.0) -> threading.Thread:
    stop = threading.Event()
    service.start_supervision()

    def loop() -> None:
        while not stop.is_set():
            try:
                if not jobs.run_due(service.store, limit=100):
                    stop.wait(poll_seconds)
            except Exception:  # keep running: the job table keeps the work, a later pass retries
                log.exception("in-process job runner")
                stop.wait(poll_seconds)

    thread = threading.Thread(target=loop, name="onewindow-jobs", daemon=True)
    thread.start()
    app.extensions["onewindow_jobs_stop"] = stop
    return thread
