"""What every page and API endpoint shares: the service, who is asking, and errors turned into answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, flash

from orchestrator.core.errors import Conflict, InvalidInput, OneWindowError
from orchestrator.service import OneWindow

from .roles import sees_all, username

T = TypeVar("T")

__all__ = ["service", "username", "sees_all", "flash_error", "problems_by_field"]


def service() -> OneWindow:
    return current_app.extensions["onewindow"]


def flash_error(exc: OneWindowError) -> None:
    """A clear message for the clerk instead of an error page (lost races, bad input)."""
    if isinstance(exc, InvalidInput):
        for p in exc.problems:
            flash(f"{p.field + ': ' if p.field else ''}{p.message}", "danger")
    elif isinstance(exc, Conflict):
        flash(f"操作未完成：{exc}（可能已被他人处理，请刷新）", "warning")
    else:
        flash(str(exc), "danger")


def problems_by_field(exc: InvalidInput) -> dict[str, str]:
    found: dict[str, str] = {}
    for p in exc.problems:
        key = p.field or ""
        found[key] = f"{found[key]}；{p.message}" if key in found else str(p.message)
    return found


def attempt(work: Callable[[], T]) -> T | None:
    """Run a service call; on a OneWindow error flash it and return None."""
    try:
        return work()
    except OneWindowError as exc:
        flash_error(exc)
        return None
