"""Placeholder: filled in by its own change."""

from __future__ import annotations


def register(appbuilder) -> None:
    pass
