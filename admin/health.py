"""`GET /health` for load balancers and container health checks: is this process up and can it reach its
database? A plain Flask blueprint, so Flask-AppBuilder asks for no login; the answer names no host or user."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    """200 {"status": "ok", "database": "ok"} after a `SELECT 1` through the service's own engine, else 503."""
    engine = current_app.extensions["onewindow"].store.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.warning("health: database unreachable: %s", exc)
        answer, status = {"status": "error", "database": "unreachable", "error": type(exc).__name__}, 503
    else:
        answer, status = {"status": "ok", "database": "ok"}, 200
    response = jsonify(answer)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
