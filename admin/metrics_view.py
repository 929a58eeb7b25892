"""GET /metrics for Prometheus: a plain blueprint outside Flask-AppBuilder (a scraper has no account).

Without `ONEWINDOW_METRICS_TOKEN` (environment or app config) it answers only a scraper on the same machine
(a loopback address, not forwarded by a proxy); with it, `Authorization: Bearer <token>` is required from
anywhere and a request without it gets 401.
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from orchestrator.jobs import metrics

blueprint = Blueprint("onewindow_metrics", __name__)


def _token() -> str | None:
    return (
        current_app.config.get("ONEWINDOW_METRICS_TOKEN") or os.environ.get("ONEWINDOW_METRICS_TOKEN") or None
    )


def _authorized(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


def _local() -> bool:
    forwarded = request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded")
    return not forwarded and request.remote_addr in ("127.0.0.1", "::1")


@blueprint.get("/metrics")
def scrape() -> Response:
    expected = _token()
    if not expected and not _local():
        return Response(
            "metrics are served to this machine only; set ONEWINDOW_METRICS_TOKEN to scrape from elsewhere\n",
            status=403,
            mimetype="text/plain",
        )
    if expected and not _authorized(expected):
        return Response(
            "metrics need a bearer token\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    service = current_app.extensions["onewindow"]
    return Response(
        metrics.exposition(service.store, service.settings.broker_url),
        headers={"Content-Type": CONTENT_TYPE_LATEST},
    )


def register(app: Flask) -> None:
    app.register_blueprint(blueprint)
