"""Fixtures: an orchestrator on SQLite and on the real PostgreSQL, restartable between steps."""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orchestrator.core import workdays
from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.deploy import definitions
from orchestrator.gov import calendar_days
from orchestrator.service import OneWindow

BPMN_DIR = Path(__file__).parent / "bpmn"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KEEP_TABLES = ("alembic_version", "org_group", "calendar_day")  # seeded by migrations


def require_or_skip(reason: str) -> None:
    """Service-backed tests skip with a reason, or fail when ONEWINDOW_REQUIRE_SERVICES=1 (CI)."""
    if os.environ.get("ONEWINDOW_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_url():
    """A throwaway database on the test PostgreSQL server, migrated once for the session."""
    base = make_url(os.environ.get("ONEWINDOW_TEST_DATABASE_URL", DEFAULT_PG))
    name = f"ow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        require_or_skip(f"PostgreSQL not reachable at {base.render_as_string()}: {type(exc).__name__}")
    url = base.set(database=name).render_as_string(hide_password=False)
    ow = OneWindow(Settings(database_url=url))
    ow.upgrade()
    ow.close()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


SHARED_REDIS_FILES = ("test_faults.py", "test_dispatch.py", "test_metrics.py")


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs two workers), the tests that run Celery workers and beats run on
    one xdist worker, one after the other (they time real processes; two at once would starve each other);
    each xdist worker has its own PostgreSQL database and temp folders, each such test its own Redis."""
    for item in items:
        if "redis_url" in getattr(item, "fixturenames", ()) or item.path.name in SHARED_REDIS_FILES:
            item.add_marker(pytest.mark.xdist_group("shared_redis"))


@functools.cache
def _package_days() -> dict:
    return workdays.package_days()


def _truncate(url: str) -> None:
    calendar_days.forget()
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            if r[0] not in KEEP_TABLES
        ]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        # Restore the seeded calendar: drop admin edits, put back the package's days they replaced.
        conn.execute(text("DELETE FROM calendar_day WHERE source = 'admin'"))
        present = set(conn.execute(text("SELECT day FROM calendar_day")).scalars())
        missing = [{"day": d, "working": w} for d, w in _package_days().items() if d not in present]
        if missing:
            conn.execute(
                text(
                    "INSERT INTO calendar_day (day, working, source, changed_at) "
                    "VALUES (:day, :working, 'package', now())"
                ),
                missing,
            )
    engine.dispose()


class Harness:
    """An orchestrator that can be 'restarted': a new engine and empty caches, same database."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.ow = OneWindow(settings)

    def restart(self) -> OneWindow:
        self.ow.close()
        definitions.clear_cache()
        self.ow = OneWindow(self.settings)
        return self.ow

    def deploy(self, name: str, publish: bool = True) -> list[dict]:
        return self.ow.deploy(BPMN_DIR / f"{name}.bpmn", publish=publish)

    def members(self, **groups_by_user: list[str]) -> None:
        for user, codes in groups_by_user.items():
            for code in codes:
                self.ow.add_member(user, code)

    def row_counts(self) -> dict[str, int]:
        tables = (
            "process_definition",
            "process_instance",
            "human_task",
            "audit_event",
            "job",
            "message_subscription",
            "service_case",
            "case_pause",
            "evaluation",
            "supervision_warning",
            "group_member",
            "org_group",
        )
        with self.ow.store.engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=url,
        data_dir=tmp_path / "data",
        forms_dir=BPMN_DIR / "forms",
        processes_dir=REPO_ROOT / "processes",
    )


def _sqlite_harness(tmp_path: Path) -> Harness:
    h = Harness(_settings(f"sqlite:///{tmp_path / 'onewindow.db'}", tmp_path))
    h.ow.upgrade()
    return h


@pytest.fixture(params=["sqlite", "postgres"])
def harness(request, tmp_path):
    """The same test on SQLite and on PostgreSQL (a fresh, migrated schema either way)."""
    if request.param == "sqlite":
        h = _sqlite_harness(tmp_path)
    else:
        url = request.getfixturevalue("pg_url")
        _truncate(url)
        h = Harness(_settings(url, tmp_path))
    yield h
    h.ow.close()


@pytest.fixture
def sqlite_harness(tmp_path):
    h = _sqlite_harness(tmp_path)
    yield h
    h.ow.close()


from webapp import any_site, browser_page, chromium, live, site  # noqa: E402,F401  (web fixtures)
