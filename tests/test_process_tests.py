"""Process tests (流程测试, `tests/*.json` beside each diagram): every folder of the library and every item
template ships tests and they pass; a test whose expectation is wrong fails through the CLI with its first
difference, blocks publishing, and a test file of the wrong shape is refused at deploy.

The library's tests run in-process (`OneWindow.run_tests`); only the broken copy goes through the CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.core.errors import InvalidInput
from orchestrator.service import OneWindow

FOLDERS = sorted(
    f"{kind}/{folder.name}"
    for kind in ("processes", "templates")
    for folder in (REPO_ROOT / kind).iterdir()
    if folder.is_dir() and any(folder.glob("*.bpmn"))
)
BROKEN = REPO_ROOT / "processes" / "hr_service_permit"  # copied, then one expectation is changed
KEY = "hr_service_permit"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    """A scratch deployment with the demo org (the tests run with its groups and calendar)."""
    folder = tmp_path_factory.mktemp("process-tests")
    settings = Settings(database_url=f"sqlite:///{folder / 'onewindow.db'}", data_dir=folder / "data")
    with OneWindow(settings) as ow:
        ow.upgrade()
        ow.load_demo_org()
    return settings


@pytest.fixture
def ow(settings):
    with OneWindow(settings) as ow:
        yield ow


def broken_copy(tmp_path: Path) -> Path:
    """hr_service_permit whose main.json expects 许可决定 where the case goes to 审查 (path step 2)."""
    folder = tmp_path / KEY
    shutil.copytree(BROKEN, folder)
    main = folder / "tests" / "main.json"
    test = json.loads(main.read_text(encoding="utf-8"))
    assert test["expect"]["path"][:2] == ["Task_check", "Task_review"]
    test["expect"]["path"][1] = "Task_decide"
    main.write_text(json.dumps(test, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return folder


def published(ow: OneWindow, key: str) -> list[int]:
    return [d["version"] for d in ow.definitions() if d["key"] == key and d["status"] == "published"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_folder_ships_process_tests_and_they_pass(ow, folder):
    run = ow.run_tests(REPO_ROOT / folder)
    assert run["tests"], f"{folder} ships no process tests (tests/*.json)"
    failed = {
        t["test"]: f"{t['title']}: {'; '.join(t['problems'])} (path: {' → '.join(t['path'])})"
        for t in run["tests"]
        if not t["passed"]
    }
    assert not failed, f"{folder}: " + json.dumps(failed, ensure_ascii=False, indent=2)
    assert run["passed"]


def test_a_broken_test_fails_through_the_cli_with_its_first_difference(settings, tmp_path):
    folder = broken_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEWINDOW_", "LC_"))}
    env |= {
        "ONEWINDOW_DATABASE_URL": settings.database_url,
        "ONEWINDOW_DATA_DIR": str(settings.data_dir),
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "test", str(folder), "--json"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    run = json.loads(done.stdout)
    assert (run["key"], run["passed"]) == (KEY, False)
    assert [t["test"] for t in run["tests"]] == sorted(p.name for p in (folder / "tests").glob("*.json"))
    assert all(t["path"] and t["path"][0] == "Task_check" for t in run["tests"])  # every test, with its path
    failed = [t for t in run["tests"] if not t["passed"]]
    assert [t["test"] for t in failed] == ["main.json"]
    main = failed[0]
    assert main["path"] == ["Task_check", "Task_review", "Task_decide", "Task_license", "Task_courier"]
    assert (main["end"], main["status_code"]) == ("End_done", 11)  # the case itself ran to the end
    assert main["problems"][0] == "path step 2: expected Task_decide, the case went to Task_review"


def test_publish_refuses_a_version_whose_tests_fail(ow, tmp_path):
    [draft] = ow.deploy(broken_copy(tmp_path))  # a draft: its tests run when it is published
    assert (draft["key"], draft["status"]) == (KEY, "draft")
    with pytest.raises(InvalidInput) as refused:
        ow.set_status(KEY, draft["version"], "published")
    [problem] = refused.value.problems
    assert problem.file == "tests/main.json"
    assert "主路径：受理到办结" in str(problem.message) and "Task_decide" in str(problem.message)
    assert published(ow, KEY) == []
    assert [d["status"] for d in ow.definitions() if d["key"] == KEY] == ["draft"]


def test_a_test_file_of_the_wrong_shape_is_refused_at_deploy_naming_its_file_and_field(ow, tmp_path):
    folder = tmp_path / KEY
    shutil.copytree(BROKEN, folder)
    bad = {
        "title": "未知操作",
        "steps": [
            {"task": "Task_check", "data": {"eligible": True, "complete": True}},
            {"task": "Task_review", "action": "approve"},
        ],
        "expect": {"end": "End_done"},
    }
    (folder / "tests" / "unknown_action.json").write_text(
        json.dumps(bad, ensure_ascii=False), encoding="utf-8"
    )
    before = ow.definitions()
    with pytest.raises(InvalidInput) as refused:
        ow.deploy(folder, publish=True)
    assert [(p.file, p.field) for p in refused.value.problems] == [
        ("tests/unknown_action.json", "steps/1/action")
    ]
    assert "approve" in str(refused.value.problems[0].message)
    assert ow.definitions() == before  # nothing stored


def test_tests_that_passed_are_run_again_when_the_working_day_calendar_changes(tmp_path):
    """Publishing the same content twice does not re-run its tests, but a changed calendar does."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'calendar.db'}", data_dir=tmp_path / "data")
    folder = REPO_ROOT / "processes" / "general_approval"
    with OneWindow(settings) as ow:
        ow.upgrade()
        ow.load_demo_org()
        first = ow.run_tests(folder, reuse_passed=True)
        assert first["passed"]
        assert ow.run_tests(folder, reuse_passed=True) == first  # the same run, timings included
        ow.calendar_set("2026-10-13", "rest", note="测试：临时放假")
        changed = ow.run_tests(folder, reuse_passed=True)
    assert not changed["passed"]
    main = next(t for t in changed["tests"] if t["test"] == "main.json")
    assert main["promised_due"] == "2026-10-20"  # five working days from 12 October, 13 October now off
    assert any("2026-10-19" in p for p in main["problems"])
