"""OneWindow errors as HTTP answers: JSON under /api/, a readable page elsewhere (never a stack trace)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request

from orchestrator.core.errors import OneWindowError


def register(app: Flask) -> None:
    @app.errorhandler(OneWindowError)
    def onewindow_error(exc: OneWindowError):
        if request.path.startswith("/api/"):
            return jsonify(exc.as_dict()), exc.http_status
        return render_template("onewindow/error.html", error=exc, appbuilder=app.appbuilder), exc.http_status

    for status in (403, 404):

        @app.errorhandler(status)
        def http_error(exc, status=status):
            if request.path.startswith("/api/"):
                return jsonify({"message": getattr(exc, "description", str(exc))}), status
            return (
                render_template("onewindow/error.html", error=exc, status=status, appbuilder=app.appbuilder),
                status,
            )
