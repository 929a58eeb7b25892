"""Diagrams from other modelers: what plain SpiffWorkflow runs runs here too, engine data errors are the
user's input errors, collaborations are checked for their executable pools only, and units keep their DMN."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from conftest import BPMN_DIR

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import Conflict, InvalidInput, NotAllowed, NotFound

INTEROP = BPMN_DIR / "interop"
OPEN = ("open", "claimed")  # a step in no lane is claimed by whoever started the instance


def run_to_end(harness, key: str) -> dict:
    """Start `key` and complete every open task with empty data, restarting between steps."""
    ow = harness.ow
    started = ow.start(key, actor="admin")
    for _step in range(10):
        ow = harness.restart()
        open_tasks = [t for t in ow.instance(started["instance"])["tasks"] if t["state"] in OPEN]
        if not open_tasks:
            break
        ow.complete(open_tasks[0]["id"], "admin", {})
    return ow.instance(started["instance"])


def test_an_event_sub_process_diagram_runs_to_its_end(harness):
    """The main path's two steps, then a signal thrown to an event sub-process with its own step: the
    instance ends, as plain SpiffWorkflow ends it, on a spec restored between steps and reused."""
    harness.ow.deploy(INTEROP / "event_subprocess.bpmn", publish=True)
    for _run in range(2):  # a second instance on the same restored spec
        done = run_to_end(harness, "event_subprocess")
        assert done["status"] == "completed", done
        assert [t["name"] for t in done["tasks"]] == ["First", "Second", "Handle"]
    assert harness.ow.incidents() == []


ERROR_START = (INTEROP / "event_subprocess_error_start.bpmn").read_text()
ESCALATION_START = (
    ERROR_START.replace("errorEventDefinition", "escalationEventDefinition")
    .replace('errorRef="Err_1"', 'escalationRef="Esc_1"')
    .replace(
        '<bpmn:error id="Err_1" name="Withdrawn" errorCode="withdrawn" />',
        '<bpmn:escalation id="Esc_1" name="Late" escalationCode="late" />',
    )
)


@pytest.mark.parametrize("text", [ERROR_START, ESCALATION_START], ids=["error", "escalation"])
def test_an_event_sub_process_started_by_an_error_waits_for_it(harness, tmp_path, text):
    """SpiffWorkflow 3.2 reads an error (or escalation) start event as a plain start, so the sub-process
    would open its step as soon as the process starts. Here it waits: 'Handle' opens only when the main
    path throws the error at its end, and the instance ends after it, across restarts."""
    path = tmp_path / "event_subprocess_error_start.bpmn"
    path.write_text(text)
    harness.ow.deploy(path, publish=True)
    done = run_to_end(harness, "event_subprocess_error_start")
    assert done["status"] == "completed", done
    assert [t["name"] for t in done["tasks"]] == ["First", "Second", "Handle"]
    started = harness.ow.start("event_subprocess_error_start", actor="admin")
    opened = [t["name"] for t in harness.ow.instance(started["instance"])["tasks"] if t["state"] in OPEN]
    assert opened == ["First"]  # not 'Handle' too
    assert harness.ow.incidents() == []


def test_a_compensation_start_of_an_event_sub_process_is_refused(harness, tmp_path):
    """Compensation has no meaning here: the engine would start the sub-process with the process."""
    path = tmp_path / "event_subprocess_compensation.bpmn"
    path.write_text(
        ERROR_START.replace(
            '<bpmn:errorEventDefinition id="EED_1" errorRef="Err_1" />',
            '<bpmn:compensateEventDefinition id="CED_1" />',
        )
    )
    before = harness.row_counts()
    with pytest.raises(InvalidInput) as info:
        harness.ow.deploy(path)
    (problem,) = info.value.problems
    assert problem.element == "CancelStart"
    assert "use an error, escalation, message, signal or timer start" in str(problem.message)
    assert harness.row_counts() == before


def test_a_step_in_no_lane_is_the_starter_s_alone(harness):
    """A step in no lane is offered to no group: as in SpiffArena it goes to whoever started the instance,
    and nobody else may see it, do it or send it back to a group."""
    harness.ow.deploy(INTEROP / "data_output.bpmn", publish=True)
    harness.members(zhang=["frontdesk"], li=["frontdesk"], wang=["minzheng"])
    task = harness.ow.start("data_output", actor="zhang")["tasks"][0]
    assert (task["assignee"], task["state"]) == ("zhang", "claimed")
    for other in ("li", "wang"):
        with pytest.raises(NotAllowed):
            harness.ow.task(task["id"], other)
        with pytest.raises(NotAllowed, match="in no lane"):
            harness.ow.complete(task["id"], other, {"amount": 5})
    with pytest.raises(Conflict, match="in no lane"):
        harness.ow.unclaim(task["id"], "zhang")
    assert harness.ow.complete(task["id"], "zhang", {"amount": 5})["status"] == "completed"


def test_engine_refused_data_is_invalid_input_and_the_task_stays(harness):
    harness.ow.deploy(INTEROP / "data_output.bpmn", publish=True)
    started = harness.ow.start("data_output", actor="admin")
    task = started["tasks"][0]
    before = harness.row_counts()
    with pytest.raises(InvalidInput) as info:
        harness.ow.complete(task["id"], "admin", {})
    problem = info.value.problems[0]
    assert problem.field == "amount"
    assert "amount" in str(problem.message)
    assert harness.row_counts() == before
    assert (
        harness.ow.instance(started["instance"])["tasks"][0]["state"] == "claimed"
    )  # by admin, who started it
    assert harness.ow.complete(task["id"], "admin", {"amount": 5})["status"] == "completed"


def test_cli_complete_with_refused_data_exits_2_with_a_message(tmp_path):
    env = {"ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "orchestrator.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )

    assert cli("db", "upgrade").returncode == 0
    assert cli("deploy", str(INTEROP / "data_output.bpmn"), "--publish").returncode == 0
    started = json.loads(cli("start", "data_output", "--as", "admin", "--json").stdout)
    out = cli("complete", str(started["tasks"][0]["id"]), "--as", "admin", "--data", "{}")
    assert out.returncode == 2, out
    assert "Traceback" not in out.stderr
    assert "amount" in out.stderr


def test_a_non_executable_pool_is_not_checked_as_executable(harness):
    """Signavio-style: the applicant's pool (isExecutable="false") has a lane named after a role and a
    gateway without conditions; the office's pool is fine. It deploys, and the office's process runs."""
    deployed = harness.ow.deploy(INTEROP / "signavio_collaboration.bpmn", publish=True)
    assert [d["key"] for d in deployed] == ["sid-office-process"]
    started = harness.ow.start("sid-office-process", actor="admin")
    assert started["tasks"][0]["group"] == "frontdesk"
    harness.members(zhang=["frontdesk"])
    assert harness.ow.complete(started["tasks"][0]["id"], "zhang", {})["status"] == "completed"


def test_a_wholly_non_executable_model_is_refused_as_not_executable(harness, tmp_path):
    model = INTEROP / "signavio_collaboration.bpmn"
    path = tmp_path / "documentation.bpmn"
    path.write_text(model.read_text().replace('isExecutable="true"', 'isExecutable="false"'))
    before = harness.row_counts()
    with pytest.raises(InvalidInput) as info:
        harness.ow.deploy(path)
    assert [str(p.message) for p in info.value.problems] == [
        'not executable: no executable process (isExecutable="true") in the unit'
    ]
    assert harness.row_counts() == before


def test_a_spiffarena_process_model_folder_with_a_dmn_table_deploys_and_decides(harness, tmp_path):
    folder = INTEROP / "spiffarena_subsidy"
    deployed = harness.ow.deploy(folder, publish=True)
    assert deployed[0]["key"] == "heating_subsidy"
    stored = harness.ow.definition("heating_subsidy", 1)
    assert sorted(stored["files"]) == ["heating_subsidy.bpmn", "subsidy_rules.dmn"]
    assert sorted(stored["forms"]) == ["apply-schema.json", "apply-uischema.json"]
    for income, eligible in ((900, True), (2400, False)):
        started = harness.ow.start("heating_subsidy", actor="admin")
        done = harness.ow.complete(
            started["tasks"][0]["id"], "admin", {"household_size": 2, "monthly_income": income}
        )
        assert done["status"] == "completed"
        assert harness.ow.instance(started["instance"])["data"]["eligible"] is eligible
    # the same folder zipped, as SpiffArena downloads it: the same unit
    archive = tmp_path / "heating_subsidy.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"heating_subsidy/{f.name}")
    assert harness.ow.deploy(archive)[0]["unchanged"] is True


def test_a_dmn_file_out_of_place_is_named_not_dropped(harness, tmp_path):
    folder = INTEROP / "spiffarena_subsidy"
    archive = tmp_path / "nested.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(folder.iterdir()):
            inner = f"unit/rules/{f.name}" if f.suffix == ".dmn" else f"unit/{f.name}"
            z.write(f, inner)
    before = harness.row_counts()
    with pytest.raises(InvalidInput) as info:
        harness.ow.deploy(archive)
    assert any(p.file == "rules/subsidy_rules.dmn" for p in info.value.problems), info.value.problems
    assert harness.row_counts() == before


def test_a_message_starts_an_event_sub_process(harness):
    """A note from the applicant drawn as a non-interrupting event sub-process with a message start: the
    instance waits for the message from its start, the message opens the sub-process's own step beside the
    main path, and the instance ends when both are done."""
    harness.ow.deploy(INTEROP / "event_subprocess_message.bpmn", publish=True)
    started = harness.ow.start("event_subprocess_message", actor="admin")
    harness.restart()
    assert harness.ow.send_message("note", {}, instance_id=started["instance"])["message"] == "note"
    inst = harness.ow.instance(started["instance"])
    assert sorted(t["name"] for t in inst["tasks"] if t["state"] in OPEN) == ["First", "Handle"]
    done = run_to_end_of(harness, started["instance"])
    assert done["status"] == "completed"
    assert sorted(t["name"] for t in done["tasks"]) == ["First", "Handle", "Second"]
    with pytest.raises(NotFound):  # nothing waits any more
        harness.ow.send_message("note", {}, instance_id=started["instance"])


def run_to_end_of(harness, instance: int) -> dict:
    """Complete every open task of `instance` with empty data, restarting between steps."""
    for _step in range(10):
        harness.restart()
        open_tasks = [t for t in harness.ow.instance(instance)["tasks"] if t["state"] in OPEN]
        if not open_tasks:
            break
        harness.ow.complete(open_tasks[0]["id"], "admin", {})
    return harness.ow.instance(instance)


def test_a_missing_multi_instance_output_item_is_invalid_input(harness):
    """会签 (sequential multi-instance) collects each reviewer's `opinion`; a step without it is refused with
    the field named, and the step stays open."""
    harness.deploy("multi_instance_sequential")
    harness.members(a=["frontdesk"], b=["minzheng"])
    started = harness.ow.start("multi_instance_sequential", actor="a")
    harness.ow.complete(started["tasks"][0]["id"], "a", {"applicant": "周九", "reviewers": ["p", "q"]})
    (review,) = [t for t in harness.ow.instance(started["instance"])["tasks"] if t["state"] in OPEN]
    with pytest.raises(InvalidInput) as info:
        harness.ow.complete(review["id"], "b", {"approved": True})
    assert info.value.problems[0].field == "opinion"
    assert (
        harness.ow.complete(review["id"], "b", {"approved": True, "opinion": "同意"})["status"] == "running"
    )


def test_instances_after_a_message_started_event_sub_process_still_wait_for_their_own(harness):
    """Once a message has started the event sub-process of one instance, the next instances of the version
    (on the same spec in this process, or restored elsewhere) still open it only when their message comes."""
    harness.ow.deploy(INTEROP / "event_subprocess_message.bpmn", publish=True)
    first = harness.ow.start("event_subprocess_message", actor="admin")
    harness.ow.send_message("note", {}, instance_id=first["instance"])
    for restart in (False, True):
        if restart:
            harness.restart()
        later = harness.ow.start("event_subprocess_message", actor="admin")
        assert [t["name"] for t in later["tasks"]] == ["First"]
        harness.ow.send_message("note", {}, instance_id=later["instance"])
        done = run_to_end_of(harness, later["instance"])
        assert done["status"] == "completed"
        assert sorted(t["name"] for t in done["tasks"]) == ["First", "Handle", "Second"]
    assert run_to_end_of(harness, first["instance"])["status"] == "completed"


def test_an_interrupting_event_sub_process_stops_the_rest_of_the_process(harness):
    """BPMN's default: a message that starts an interrupting event sub-process (withdrawal, say) cancels the
    steps still open in the process; the instance ends when the sub-process does. SpiffWorkflow 3.2 would
    leave 'First' open beside it."""
    harness.ow.deploy(INTEROP / "event_subprocess_interrupting.bpmn", publish=True)
    started = harness.ow.start("event_subprocess_interrupting", actor="admin")
    harness.restart()
    harness.ow.send_message("note", {}, instance_id=started["instance"])
    harness.restart()
    inst = harness.ow.instance(started["instance"])
    assert [t["name"] for t in inst["tasks"] if t["state"] in OPEN] == ["Handle"]
    (handle,) = [t for t in inst["tasks"] if t["state"] in OPEN]
    assert harness.ow.complete(handle["id"], "admin", {})["status"] == "completed"
    marks = harness.ow.progress(started["instance"], parts=("marks",))["marks"]["completed"]
    assert "CancelEnd" in marks and "Second" not in marks and "EndEvent_1" not in marks
    with pytest.raises(NotFound):  # nothing waits any more
        harness.ow.send_message("note", {}, instance_id=started["instance"])
    other = harness.ow.start("event_subprocess_interrupting", actor="admin")
    assert [t["name"] for t in other["tasks"]] == ["First"]  # the next instance is not interrupted
    assert harness.ow.incidents() == []


def test_a_non_interrupting_message_still_runs_beside_the_process(harness):
    harness.ow.deploy(INTEROP / "event_subprocess_message.bpmn", publish=True)
    started = harness.ow.start("event_subprocess_message", actor="admin")
    harness.ow.send_message("note", {}, instance_id=started["instance"])
    opened = [t["name"] for t in harness.ow.instance(started["instance"])["tasks"] if t["state"] in OPEN]
    assert sorted(opened) == ["First", "Handle"]


def test_a_process_done_before_its_event_sub_process_timer_ends_without_waiting_for_it(harness):
    """A reminder after five days, drawn as a timer-started event sub-process: reviewed within two days,
    the instance ends then (SpiffWorkflow 3.2 kept it open until the fifth day), and no reminder comes."""
    harness.ow.deploy(INTEROP / "event_subprocess_timer.bpmn", publish=True)
    started = harness.ow.start("event_subprocess_timer", actor="admin")
    with clock.travel(clock.now() + timedelta(days=2)):
        harness.ow.run_due_jobs()
        (review,) = [t for t in harness.ow.instance(started["instance"])["tasks"] if t["state"] in OPEN]
        assert harness.ow.complete(review["id"], "admin", {})["status"] == "completed"
    with clock.travel(clock.now() + timedelta(days=6)):
        harness.ow.run_due_jobs()
    inst = harness.ow.instance(started["instance"])
    assert inst["status"] == "completed" and [t["name"] for t in inst["tasks"]] == ["Review"]
    assert harness.ow.incidents() == []


def test_an_event_sub_process_timer_that_fires_first_runs_beside_the_process(harness):
    harness.ow.deploy(INTEROP / "event_subprocess_timer.bpmn", publish=True)
    started = harness.ow.start("event_subprocess_timer", actor="admin")
    with clock.travel(clock.now() + timedelta(days=5, seconds=1)):
        harness.ow.run_due_jobs()
        harness.restart()
        opened = {
            t["name"]: t for t in harness.ow.instance(started["instance"])["tasks"] if t["state"] in OPEN
        }
        assert sorted(opened) == ["Chase", "Review"]
        assert (
            harness.ow.complete(opened["Review"]["id"], "admin", {})["status"] == "running"
        )  # the chase runs
        assert harness.ow.complete(opened["Chase"]["id"], "admin", {})["status"] == "completed"
