"""REST API /api/v1 (OpenAPI at /api/v1/_openapi): placeholder until its own change."""

from __future__ import annotations


def register(appbuilder) -> None:
    pass
