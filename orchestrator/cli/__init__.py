"""`onewindow`: the command-line door. Exit codes: 0 done, 1 unexpected, 2 invalid input, 3 conflict,
4 not found or not allowed. With --json (before or after the sub-command) every command prints one JSON
document on stdout, an error too: `{"error": {"code", "message", "problems"}}`. Messages follow LANG."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError

from orchestrator.cli.commands import Finished
from orchestrator.cli.parser import LONG_RUNNING, build_parser
from orchestrator.core import i18n, logs
from orchestrator.core.config import Settings
from orchestrator.core.errors import InvalidInput, OneWindowError
from orchestrator.core.i18n import _
from orchestrator.service import OneWindow

log = logging.getLogger("onewindow.cli")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    i18n.use(i18n.from_env())
    wants_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
    except OneWindowError as exc:  # bad usage
        return _fail(exc, wants_json)
    logs.configure("INFO" if args.verbose else None, ours="INFO" if args.command in LONG_RUNNING else None)
    try:
        with OneWindow(Settings.from_env()) as ow:
            result = args.func(ow, args)
    except OneWindowError as exc:
        return _fail(exc, args.json)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - an unexpected error still answers in the asked format
        if args.verbose:
            log.exception("unexpected error")
        error = _unexpected(exc)
        return _fail(error, args.json, hint=not args.verbose and isinstance(error, _Unexpected))
    code = 0
    if isinstance(result, Finished):
        code = result.exit_code
        if not args.json:
            print(result.text)
            return code
        result = result.result
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        _print_human(result)
    return code


class _Unexpected(OneWindowError):
    pass


class _NotSetUp(OneWindowError):
    code = "database_not_set_up"


def _unexpected(exc: Exception) -> OneWindowError:
    if _missing_table(exc):
        return _NotSetUp(_("the database has no OneWindow tables yet: run `onewindow db upgrade` first"))
    return _Unexpected(_("unexpected error: {error}", error=f"{type(exc).__name__}: {exc}"))


def _missing_table(exc: Exception) -> bool:
    """A fresh or foreign database: SQLite's "no such table", PostgreSQL's undefined_table (42P01)."""
    if not isinstance(exc, OperationalError | ProgrammingError):
        return False
    return "no such table" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "42P01"


def _fail(exc: OneWindowError, as_json: bool, hint: bool = False) -> int:
    if as_json:
        print(json.dumps(exc.as_dict(), ensure_ascii=False, default=str))
    elif isinstance(exc, InvalidInput):
        for p in exc.problems:
            where = ":".join(str(x) for x in (p.file, p.line) if x is not None)
            element = f" [{p.element}]" if p.element else ""
            field = f" {p.field}:" if p.field else ""
            print(f"{where or _('input')}{element}{field} {p.message}", file=sys.stderr)
    else:
        print(f"{_('error')}: {exc}", file=sys.stderr)
        if hint:
            print(_("(run with -v for the traceback)"), file=sys.stderr)
    return exc.exit_code


def _print_human(result: Any) -> None:
    if result is None:
        return
    if isinstance(result, list) and result and isinstance(result[0], dict) and "unchanged" in result[0]:
        for r in result:
            state = _("unchanged") if r["unchanged"] else _("new version")
            print(f"{r['key']} v{r['version']} {r['status']} ({state}) {r['checksum'][:12]}")
        return
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
