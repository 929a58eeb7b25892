"""Log lines as an operator reads them: JSON for the collector, case fields attached, no Spiff chatter."""

from __future__ import annotations

import json
import logging

import pytest

from orchestrator.core import logs

ACCEPT = {"applicant": "张三", "amount": 500}


@pytest.fixture
def restore_logging():
    """configure() changes the root logger and Spiff's levels: put them back for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    spiff = {name: logging.getLogger(name).level for name in logs.SPIFF_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in spiff.items():
        logging.getLogger(name).setLevel(was)


def lines(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_json_lines_carry_the_case_fields(restore_logging, capsys, monkeypatch):
    monkeypatch.setenv("ONEWINDOW_LOG_FORMAT", "json")
    logs.configure()
    logging.getLogger("onewindow.test").warning("定时任务 %s 失败", 12, extra={"instance": 7, "job": 12})
    [line] = lines(capsys)
    entry = json.loads(line)
    assert entry["message"] == "定时任务 12 失败"
    assert (entry["level"], entry["logger"], entry["instance"], entry["job"]) == (
        "WARNING",
        "onewindow.test",
        7,
        12,
    )
    assert entry["time"].endswith("Z") and "T" in entry["time"]
    assert "task" not in entry and "case" not in entry and "exc" not in entry


def test_an_exception_stays_on_one_json_line(restore_logging, capsys):
    logs.configure(json=True)
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        logging.getLogger("onewindow.test").exception("job failed", extra={"job": 3})
    [line] = lines(capsys)
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["job"] == 3
    assert entry["exc"].startswith("Traceback") and "ZeroDivisionError: division by zero" in entry["exc"]


def test_bind_adds_fields_to_every_record(restore_logging, capsys):
    logs.configure("INFO", json=True)  # quiet by default: WARNING
    log = logs.bind(logging.getLogger("onewindow.jobs"), job=5, instance=9)
    log.info("claimed")
    logs.bind(log, task=31).warning("step failed", extra={"case": "DEMO-0001"})
    log.info("done", extra={"job": 6})  # a call's own field wins
    entries = [json.loads(line) for line in lines(capsys)]
    assert [{k: e.get(k) for k in ("message", *logs.FIELDS)} for e in entries] == [
        {"message": "claimed", "instance": 9, "job": 5, "task": None, "case": None},
        {"message": "step failed", "instance": 9, "job": 5, "task": 31, "case": "DEMO-0001"},
        {"message": "done", "instance": 9, "job": 6, "task": None, "case": None},
    ]


def test_the_default_is_one_readable_line_and_configure_is_idempotent(restore_logging, capsys, monkeypatch):
    monkeypatch.delenv("ONEWINDOW_LOG_FORMAT", raising=False)
    logs.configure()
    logs.configure(level="warning")
    logging.getLogger("onewindow.test").info("not shown at WARNING")
    logging.getLogger("onewindow.test").warning("办件 %s 超期", "DEMO-0002", extra={"case": "DEMO-0002"})
    [line] = lines(capsys)  # one handler, not two
    assert line.endswith(" WARNING onewindow.test: 办件 DEMO-0002 超期 case=DEMO-0002")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_a_workflow_step_logs_nothing_from_spiffworkflow(restore_logging, sqlite_harness, caplog):
    h = sqlite_harness
    h.members(clerk=["frontdesk", "minzheng", "renshe"])
    h.deploy("exclusive_gateway")

    def run_case() -> list[logging.LogRecord]:
        caplog.clear()
        started = h.ow.start("exclusive_gateway", {})
        h.ow.complete(started["tasks"][0]["id"], "clerk", ACCEPT)
        return [r for r in caplog.records if r.name.startswith("spiff") and r.levelno < logging.WARNING]

    for name in logs.SPIFF_LOGGERS:  # SpiffWorkflow as it comes: a line per task state change
        logging.getLogger(name).setLevel(logging.INFO)
    chatter = run_case()
    assert any(r.getMessage().startswith("State changed to") for r in chatter), "the capture sees Spiff"

    logs.configure(json=True)
    assert {logging.getLogger(name).level for name in logs.SPIFF_LOGGERS} == {logging.WARNING}
    assert run_case() == []


def test_quiet_by_default_and_servers_log_their_own_info_lines(restore_logging, capsys, monkeypatch):
    monkeypatch.delenv("ONEWINDOW_LOG_LEVEL", raising=False)
    logs.configure()
    logging.getLogger("alembic.runtime.plugins").info("setup plugin")
    logging.getLogger("onewindow.jobs").info("claimed")
    assert lines(capsys) == []
    logs.configure(ours="INFO")  # serve, worker and beat
    logging.getLogger("alembic.runtime.plugins").info("setup plugin")
    logging.getLogger("onewindow.jobs").info("claimed")
    logging.getLogger("flask_appbuilder").warning("refused")
    assert [line.split(" ", 1)[1] for line in lines(capsys)] == [
        "INFO onewindow.jobs: claimed",
        "WARNING flask_appbuilder: refused",
    ]
