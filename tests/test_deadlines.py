"""Working-day deadlines over the calendar table: holidays, 调休, unknown years, admin edits."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from orchestrator.core import workdays
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput


def test_national_day_2026_and_its_make_up_working_day(harness):
    # 2026: 10-01..10-07 off, Saturday 10-10 is a 调休 working day; Mid-Autumn 09-25..27 off.
    assert harness.ow.calendar_due("2026-09-29", 4) == {"due": "2026-10-10", "provisional": False}
    assert harness.ow.calendar_due("2026-09-24", 1) == {"due": "2026-09-28", "provisional": False}
    assert harness.ow.calendar_due("2026-10-03", 0) == {"due": "2026-10-08", "provisional": False}  # 即办件
    assert harness.ow.calendar_due("2026-09-18", 1) == {
        "due": "2026-09-20",
        "provisional": False,
    }  # Sunday 调休


def test_a_year_without_schedule_is_weekends_only_and_provisional(harness):
    assert harness.ow.calendar_due("2026-12-30", 3) == {"due": "2027-01-04", "provisional": True}
    assert harness.ow.calendar_due("2026-12-01", 5) == {"due": "2026-12-08", "provisional": False}


def test_admin_enters_a_new_years_schedule(harness):
    before = harness.ow.calendar_due("2027-01-29", 1)
    assert before == {"due": "2027-02-01", "provisional": True}
    changed = harness.ow.calendar_set("2027-02-01", "rest", note="春节", actor="admin")
    assert changed == {"day": "2027-02-01", "working": False, "before": None, "recomputed": []}
    for day, kind in (
        ("2027-01-29", "work"),
        ("2027-01-30", "rest"),
        ("2027-01-31", "rest"),
        ("2027-02-02", "work"),
    ):
        harness.ow.calendar_set(day, kind, actor="admin")
    assert harness.ow.calendar_due("2027-01-29", 1) == {"due": "2027-02-02", "provisional": False}
    assert workdays.is_working_day(date(2027, 2, 1)) is False  # the sandbox helpers follow the table


@pytest.mark.parametrize(
    ("day", "n", "field"),
    [
        ("2026-13-01", 1, "date"),
        ("yesterday", 1, "date"),
        ("2026-10-01", -1, "n"),
        ("2026-10-01", 99999, "n"),
    ],
)
def test_bad_calendar_input_is_refused(harness, day, n, field):
    with pytest.raises(InvalidInput) as info:
        harness.ow.calendar_due(day, n)
    assert info.value.problems[0].field == field
    with pytest.raises(InvalidInput):
        harness.ow.calendar_set("2026-10-01", "holiday")


def test_cli_calendar(tmp_path):
    env = {"ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "PATH": "/usr/bin:/bin"}

    def cli(*args, expect=0):
        out = subprocess.run(
            [sys.executable, "-m", "orchestrator.cli", *args, "--json"],
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )
        assert out.returncode == expect, out.stderr
        return json.loads(out.stdout)

    cli("db", "upgrade")
    assert cli("calendar", "due", "2026-09-29", "4") == {"due": "2026-10-10", "provisional": False}
    assert cli("calendar", "due", "2026-09-29", "four", expect=2)["errors"][0]["field"] == "n"
    cli("calendar", "set", "2026-10-09", "rest", "--note", "临时调整")
    assert cli("calendar", "due", "2026-09-29", "4") == {"due": "2026-10-12", "provisional": False}
