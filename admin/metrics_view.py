"""GET /metrics for Prometheus: a plain blueprint outside Flask-AppBuilder (a scraper has no account).

Open by default, like most exporters behind a private network; set `ONEWINDOW_METRICS_TOKEN` (environment or
app config) to require `Authorization: Bearer <token>` and answer 401 without it.
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from orchestrator import metrics

blueprint = Blueprint("onewindow_metrics", __name__)


def _token() -> str | None:
    return (
        current_app.config.get("ONEWINDOW_METRICS_TOKEN") or os.environ.get("ONEWINDOW_METRICS_TOKEN") or None
    )


def _authorized(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


@blueprint.get("/metrics")
def scrape() -> Response:
    expected = _token()
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
