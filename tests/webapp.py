"""The web app under test: a demo site (org, accounts, every process published) per test module, on
SQLite or PostgreSQL, with logged-in test clients, API tokens, a live server and headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.service import OneWindow

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


def _require_or_skip(reason: str) -> None:
    if os.environ.get("ONEWINDOW_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


class Site:
    """A demo deployment and ways in: `client(user)` (a logged-in browser-like client), `api(user)`."""

    def __init__(self, settings: Settings):
        from admin import create_app
        from admin.commands import demo_accounts

        self.settings = settings
        self.ow = OneWindow(settings)
        self.ow.upgrade()
        self.ow.load_demo()
        demo_accounts(settings)
        self.app = create_app(
            settings, {"SECRET_KEY": "test-secret-of-at-least-32-bytes-long", "ONEWINDOW_RUN_JOBS": False}
        )

    def client(self, user: str | None = None, password: str = "demo"):
        c = self.app.test_client()
        if user is not None:
            token = csrf_of(c.get("/login/").get_data(as_text=True))
            r = c.post("/login/", data={"username": user, "password": password, "csrf_token": token})
            assert r.status_code == 302, f"login of {user} failed"
        return c

    def token(self, user: str, password: str = "demo") -> str:
        r = self.app.test_client().post(
            "/api/v1/security/login", json={"username": user, "password": password, "provider": "db"}
        )
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.json["access_token"]

    def api(self, user: str, password: str = "demo"):
        """A client whose requests carry `user`'s bearer token."""
        return ApiClient(self.app.test_client(), self.token(user, password))

    def close(self) -> None:
        self.ow.close()


class ApiClient:
    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        call = getattr(self.client, method)

        def with_token(url, **kw):
            kw["headers"] = {**self.headers, **kw.get("headers", {})}
            return call(url, **kw)

        return with_token


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


def _pg_database(prefix: str):
    base = make_url(os.environ.get("ONEWINDOW_TEST_DATABASE_URL", DEFAULT_PG))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        _require_or_skip(f"PostgreSQL not reachable: {type(exc).__name__}")
    return admin, name, base.set(database=name).render_as_string(hide_password=False)


def make_site(kind: str, tmp: Path, broker_url: str | None = None):
    """Yields a Site on a fresh database of `kind` (sqlite / postgres) and drops it afterwards."""
    settings_of = lambda url: Settings(  # noqa: E731
        database_url=url, broker_url=broker_url, data_dir=tmp / "data", processes_dir=REPO_ROOT / "processes"
    )
    if kind == "sqlite":
        site = Site(settings_of(f"sqlite:///{tmp / 'web.db'}"))
        try:
            yield site
        finally:
            site.close()
        return
    admin, name, url = _pg_database("ow_web")
    site = Site(settings_of(url))
    try:
        yield site
    finally:
        site.close()
        with site.app.app_context():
            from admin import db

            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A demo site on SQLite, shared by a test module (tests start their own cases)."""
    yield from make_site("sqlite", tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def any_site(request, tmp_path_factory):
    """The same module's tests on SQLite and on PostgreSQL."""
    yield from make_site(request.param, tmp_path_factory.mktemp(f"site-{request.param}"))


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def live(site):
    server = LiveServer(site.app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        _require_or_skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _require_or_skip("the playwright package is not installed")
    expect.set_options(timeout=15_000)  # as pages wait (page.set_default_timeout): a busy CI machine is slow
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live):
    """A fresh browser context (own cookies) on the live server; `login(page, user)` signs in."""
    context = chromium.new_context(
        base_url=live.url, locale="zh-CN", viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def login(page, user: str, password: str = "demo") -> None:
    page.goto("/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
