"""Logging for every OneWindow process: one line per record on stderr, JSON for log collectors on request.

`configure()` once at process start (the `onewindow` command does it): ONEWINDOW_LOG_FORMAT=json gives JSON
lines (`time`, `level`, `logger`, `message`, the case fields below when present, `exc` with the traceback),
anything else a readable line. Quiet by default: WARNING and above (ONEWINDOW_LOG_LEVEL or `-v` show more);
a long-running process (serve, worker, beat) also logs OneWindow's own INFO lines (`ours=INFO`).
SpiffWorkflow logs every task state change at INFO; its loggers are turned down to WARNING.

Case fields tie a line to its case: pass them as `extra={"instance": 7, "job": 12}` or bind them once::

    log = logs.bind(logging.getLogger("onewindow.jobs"), job=job.id, instance=job.instance_id)
    log.warning("failed (attempt %s): %s", attempts, exc)

Only FIELDS are written: other `extra` keys (Spiff puts whole task data there) stay out of the logs.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import sys
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

FIELDS = ("instance", "job", "task", "case")
SPIFF_LOGGERS = ("spiff", "spiff.task", "spiff.workflow", "spiff.metrics", "spiff.data", "SpiffWorkflow")


def quiet_spiff() -> None:
    """SpiffWorkflow's per-step INFO lines (state changes with task data) down to WARNING."""
    for name in SPIFF_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _timestamp(record: logging.LogRecord) -> str:
    return (
        datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in FIELDS if getattr(record, name, None) is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (tracebacks escaped inside `exc`)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return jsonlib.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-05-01T08:00:00.123Z WARNING onewindow.jobs: message job=12 instance=7`, traceback below."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{name}={value}" for name, value in _fields(record).items())
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        line = f"{line} {fields}" if fields else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return line


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test runners and daemons swap it after configure)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


OURS = "onewindow"  # the loggers of our own processes: onewindow.jobs, onewindow.dispatch, …


def configure(
    level: int | str | None = None, json: bool | None = None, *, ours: int | str | None = None
) -> logging.Handler:
    """Install the stderr handler on the root logger (replacing one a previous call installed).

    `level` is every logger's (default ONEWINDOW_LOG_LEVEL, else WARNING); `ours` lowers the threshold of
    OneWindow's own loggers only, so a server says what it does without the libraries' chatter."""
    env = os.environ
    level = _level(level if level is not None else (env.get("ONEWINDOW_LOG_LEVEL") or "WARNING"))
    logging.getLogger(OURS).setLevel(min(_level(ours), level) if ours is not None else logging.NOTSET)
    json = json if json is not None else env.get("ONEWINDOW_LOG_FORMAT", "").strip().lower() == "json"
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    quiet_spiff()
    return handler


def _level(value: int | str) -> int:
    if isinstance(value, int):
        return value
    found = logging.getLevelName(value.upper())
    return found if isinstance(found, int) else logging.WARNING


class BoundLogger(logging.LoggerAdapter):
    """A logger that adds fixed case fields to each record; a call's own `extra` wins over them."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **(kwargs.get("extra") or {})}
        return msg, kwargs


def bind(logger: logging.Logger | logging.LoggerAdapter, **fields: Any) -> BoundLogger:
    """`logger` with `fields` (instance=, job=, task=, case=) on every record; binding a bound one adds up."""
    base: Mapping[str, Any] = {}
    if isinstance(logger, BoundLogger):
        base, logger = logger.extra or {}, logger.logger
    return BoundLogger(logger, {**base, **fields})
