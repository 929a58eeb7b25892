"""Gunicorn settings of the web service: `gunicorn --no-control-socket --config docker/gunicorn.conf.py ...
'admin:create_app()'`, run from the repository root (or /app in the image, where the same path exists).

- Flask-AppBuilder creates its tables, roles and permissions the first time an app is created. Four workers
  doing that together on a fresh database collide (duplicate tables and keys) and gunicorn halts, so the
  master creates the app once before it forks and closes its connections; the workers find everything in place.
- /metrics adds up the counters of every worker through prometheus_client's multi-process directory: one is
  made for each start unless PROMETHEUS_MULTIPROC_DIR names one (then it is emptied), before anything imports
  prometheus_client; a dead worker's gauges are dropped (orchestrator.metrics.child_exit).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

accesslog = "-"  # access log on stdout, next to the error log on stderr (the container's log)
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # heartbeat files off the overlay disk

_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="onewindow-metrics-", dir=worker_tmp_dir)


def on_starting(server) -> None:
    """In the master, before any worker: a clean metrics directory, and Flask-AppBuilder's setup done once."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()
    from orchestrator.core import logs

    logs.configure()  # gunicorn does not go through the CLI: same log lines as worker and beat
    from admin import create_app, db

    app = create_app(None, {"ONEWINDOW_RUN_JOBS": False})
    with app.app_context():
        db.engine.dispose()  # no connection is inherited by the forked workers
    app.extensions["onewindow"].close()
    server.log.info("OneWindow: web tables, roles and permissions are in place")


def child_exit(server, worker) -> None:
    from orchestrator.jobs.metrics import child_exit

    child_exit(server, worker)


def on_exit(server) -> None:
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
