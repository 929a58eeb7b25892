"""The web app's part of the `onewindow` command line (found through the `onewindow.web` entry points,
so `orchestrator` never imports the web): serve, the demo accounts, and web users."""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

from werkzeug.serving import make_server

from orchestrator.core.config import Settings
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.service import OneWindow

# contract.md: demo accounts (password `demo`) and their roles
DEMO_ACCOUNTS = {
    "admin": ("Admin", "管理员"),
    "analyst": ("Analyst", "业务分析员"),
    "frontdesk": ("FrontDesk", "综合窗口"),
    "minzheng": ("BackOffice", "民政"),
    "renshe": ("BackOffice", "人社"),
    "yibao": ("BackOffice", "医保"),
    "shichang": ("BackOffice", "市场监管"),
    "supervisor": ("Supervisor", "督查"),
    "grid": ("Grid", "网格员"),
}


def _app(settings: Settings):
    from . import create_app

    secret = os.environ.get("ONEWINDOW_SECRET_KEY") or "command-line-only"  # no session is served
    return create_app(settings, {"SECRET_KEY": secret, "ONEWINDOW_RUN_JOBS": False})


def add_user(
    settings: Settings,
    username: str,
    role: str,
    password: str,
    *,
    name: str | None = None,
    app=None,
    demo: bool = False,
) -> dict[str, Any]:
    """Create a web account with one role (idempotent: an existing account keeps its password). A new
    password follows the policy (`identity.passwords`); only the demo accounts' `demo` is exempt."""
    app = app or _app(settings)
    with app.app_context():
        sm = app.appbuilder.sm
        found = sm.find_role(role)
        if found is None:
            roles = ", ".join(sorted(r.name for r in sm.get_all_roles()))
            raise InvalidInput(Problem(f"no role '{role}' (roles: {roles})", field="role"))
        user = sm.find_user(username=username)
        if user is None:
            problems = [] if demo else OneWindow.password_problems(password or "", username)
            if problems:
                raise InvalidInput([Problem(p, field="password") for p in problems])
            user = sm.add_user(
                username, name or username, "-", f"{username}@onewindow.local", found, password
            )
            if not user:
                raise InvalidInput(Problem(f"could not create user '{username}'", field="username"))
            created = True
        else:
            created = False
        return {"username": username, "role": role, "created": created}


def demo_accounts(settings: Settings) -> list[dict]:
    app = _app(settings)
    return [
        add_user(settings, user, role, "demo", name=name, app=app, demo=True)
        for user, (role, name) in DEMO_ACCOUNTS.items()
    ]


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080) -> None:
    from . import create_app

    app = create_app(settings)
    server = make_server(host, port, app, threaded=True)  # no development-server banner; requests at INFO
    logging.getLogger("werkzeug").setLevel(
        logging.INFO if logging.getLogger().level <= logging.INFO else logging.WARNING
    )
    print(f"OneWindow web app on http://{host}:{port}  (Ctrl-C stops it)", flush=True)
    # Ctrl-C and a service manager's SIGTERM stop it, even when started in the background by a shell
    # (which starts it with SIGINT ignored): the request being answered finishes first.
    stopping = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
