"""`import`: diagrams from Camunda 7/8, Flowable, Signavio, SpiffArena and the MIWG reference models are stored
as drafts with a report; mapped and fixed, they run; exported, they import again as the same content."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import BPMN_DIR
from test_deploy import BILLION_LAUGHS, EXTERNAL_ENTITY

from orchestrator.bpmn.namespaces import SPIFF
from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import Conflict, InvalidInput, NotAllowed

INTEROP = BPMN_DIR / "interop"
OPEN = ("open", "claimed")  # a step in no lane is claimed by whoever started the instance
MIWG = REPO_ROOT.parent / "shared" / "interop" / "miwg-reference"
assert MIWG.is_dir(), f"the MIWG reference models are expected at {MIWG}"
LANES = {"window": "frontdesk", "approvers": "民政"}
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
C_1_LANES = {"Approver": "minzheng", "Team Assistant": "frontdesk", "Accountant": "renshe"}
C_9_2_LANES = {"clerks": "frontdesk", "teamleaders": "minzheng", "riskteam": "gongan"}


def kinds(report: list[dict]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for r in report:
        found.setdefault(r["kind"], []).append(r["message"])
    return found


def publish_and_run(harness, key: str, version: int, steps: list[tuple[str, dict]]) -> dict:
    """Publish the draft, start it, do each (user, data) step on the open task; the instance at the end."""
    harness.ow.set_status(key, version, "published")
    harness.members(zhang=["frontdesk"], li=["minzheng"])
    started = harness.ow.start(key, actor="zhang")
    for user, data in steps:
        task = [t for t in harness.ow.instance(started["instance"])["tasks"] if t["state"] in OPEN][0]
        harness.ow.complete(task["id"], user, data)
    return harness.ow.instance(started["instance"])


def test_a_camunda_7_diagram_imports_translated_and_runs_once_its_lanes_are_mapped(harness):
    before = harness.row_counts()
    with pytest.raises(InvalidInput):  # deploy stays strict: JUEL, roles for lanes
        harness.ow.deploy(INTEROP / "camunda7_permit.bpmn")
    assert harness.row_counts() == before
    done = harness.ow.import_diagrams([INTEROP / "camunda7_permit.bpmn"], lane_map=LANES, actor="analyst")
    assert done["runnable"] is True
    assert [(v["key"], v["version"], v["status"]) for v in done["versions"]] == [
        ("street_permit", 1, "draft")
    ]
    found = kinds(done["report"])
    assert "fix" not in found
    assert "candidate group 'window' → lane 'frontdesk'" in found["translated"]
    assert "condition '${amount >= 0 && approved}' (juel) → amount >= 0 and approved" in found["translated"]
    assert (
        "assignee '${initiator}' → the step goes to the user named by the variable initiator"
        in found["translated"]
    )
    stored = harness.ow.definition("street_permit", 1)
    assert stored["import_report"] == done["report"]
    apply_form = stored["forms"]["apply.schema.json"]
    assert apply_form["required"] == ["applicant"]
    assert apply_form["properties"]["amount"] == {"type": "integer", "title": "Fee", "minimum": 0}
    assert [o["const"] for o in apply_form["properties"]["area"]["oneOf"]] == ["north", "south"]
    assert "BPMNShape" in stored["files"]["camunda7_permit.bpmn"]  # the layout is kept
    end = publish_and_run(
        harness,
        "street_permit",
        1,
        [("zhang", {"applicant": "王五", "amount": 20, "area": "north"}), ("li", {"approved": True})],
    )
    assert end["status"] == "completed"
    assert end["data"]["approved"] is True


def test_a_camunda_8_diagram_with_embedded_forms_and_feel(harness):
    done = harness.ow.import_diagrams([INTEROP / "camunda8_permit.bpmn"], lane_map=LANES)
    assert done["runnable"] is True, done["report"]
    stored = harness.ow.definition("market_permit", 1)
    schema, ui = stored["forms"]["apply.schema.json"], stored["forms"]["apply.uischema.json"]
    assert schema["required"] == ["applicant"]
    assert schema["properties"]["applicant"]["maxLength"] == 50
    assert [o["const"] for o in schema["properties"]["stall"]["oneOf"]] == ["fruit", "fish"]
    assert ui["notes"] == {"ui:widget": "textarea", "ui:help": "Anything the office should know"}
    assert ui["ui:order"] == ["applicant", "amount", "notes", "stall"]
    assert any("(feel) →" in m for m in kinds(done["report"])["translated"])
    for approved, end_reached in ((True, "granted"), (False, "refused")):
        end = publish_and_run(
            harness,
            "market_permit",
            1,
            [("zhang", {"applicant": "赵六", "amount": 5, "stall": "fish"}), ("li", {"approved": approved})],
        )
        assert end["status"] == "completed"
        marks = harness.ow.progress(end["instance"], parts=("marks",))["marks"]["completed"]
        assert end_reached in marks and {"granted", "refused"} - {end_reached} - set(marks)


def test_flowable_translates_and_a_form_key_without_its_form_is_documentation(harness):
    done = harness.ow.import_diagrams([INTEROP / "flowable_leave.bpmn"], lane_map={"managers": "minzheng"})
    assert done["runnable"] is True
    found = kinds(done["report"])
    assert "candidate group 'managers' → lane 'minzheng'" in found["translated"]
    assert (
        "condition '${days le 5 and !empty reason}' (juel) → days <= 5 and not (reason in (None, '', [], {}))"
        in found["translated"]
    )
    assert any(m.startswith("form key 'approve' kept as documentation") for m in found["documentation"])


def test_a_draft_with_something_to_fix_is_published_only_after_a_save_that_passes(harness, tmp_path):
    """A JUEL condition calling the engine's API has no safe translation: the draft cannot be published;
    the analyst rewrites it in the modeler, and the save makes a version that can."""
    source = (INTEROP / "flowable_leave.bpmn").read_text()
    path = tmp_path / "leave.bpmn"
    path.write_text(source.replace("${days le 5 and !empty reason}", '${execution.getVariable("days") <= 5}'))
    done = harness.ow.import_diagrams([path], lane_map={"managers": "minzheng"})
    assert done["runnable"] is False
    (fix,) = [r for r in done["report"] if r["kind"] == "fix"]
    assert fix["element"] == "toDone" and "has no safe translation" in fix["message"]
    with pytest.raises(InvalidInput) as info:
        harness.ow.set_status("leave_request", 1, "published", run_tests=False)
    assert "imported with problems to fix" in str(info.value.problems[0].message)
    xml = harness.ow.definition("leave_request", 1)["files"]["leave.bpmn"]
    assert harness.ow.check_edit({"leave.bpmn": xml.encode()}, base=("leave_request", 1))  # still refused
    fixed = xml.replace('${execution.getVariable("days") &lt;= 5}', "days &lt;= 5")
    saved = harness.ow.deploy_edit({"leave.bpmn": fixed.encode()}, base=("leave_request", 1))
    assert (saved[0]["version"], saved[0]["unchanged"]) == (2, False)
    assert harness.ow.set_status("leave_request", 2, "published")["status"] == "published"


def test_a_signavio_collaboration_imports_its_executable_pool_and_documents_the_other(harness):
    done = harness.ow.import_diagrams([INTEROP / "signavio_collaboration.bpmn"])
    assert done["runnable"] is True
    assert [v["key"] for v in done["versions"]] == ["sid-office-process"]
    assert (
        "pool '申请人' is not executable: kept and drawn, not run" in kinds(done["report"])["documentation"]
    )


def test_a_spiffarena_folder_imports_with_its_dmn(harness):
    done = harness.ow.import_diagrams([INTEROP / "spiffarena_subsidy"])
    assert done["runnable"] is True
    assert sorted(harness.ow.definition("heating_subsidy", 1)["files"]) == [
        "heating_subsidy.bpmn",
        "subsidy_rules.dmn",
    ]


def round_trip(harness, key: str, tmp_path) -> None:
    """Export version 1 and import it again: the same content, nothing left to translate or fix."""
    name, data = harness.ow.export(key, 1)
    path = tmp_path / name
    path.write_bytes(data)
    again = harness.ow.import_diagrams([path], key=key)
    assert again["versions"][0]["unchanged"] is True
    assert [r for r in again["report"] if r["kind"] != "documentation"] == []


def test_activiti_form_properties_become_a_form_that_checks_what_clerks_submit(harness, tmp_path):
    done = harness.ow.import_diagrams(
        [INTEROP / "activiti_expense.bpmn"], lane_map={"staff": "frontdesk", "managers": "minzheng"}
    )
    assert done["runnable"] is True, done["report"]
    assert "form properties (formProperty) → form claim.schema.json" in kinds(done["report"])["translated"]
    forms = harness.ow.definition("expense_claim", 1)["forms"]
    claim, review = forms["claim.schema.json"], forms["review.schema.json"]
    assert claim["required"] == ["employee", "amount"]
    assert claim["properties"]["amount"]["type"] == "integer"
    assert claim["properties"]["kind"]["oneOf"] == [
        {"const": "travel", "title": "Travel"},
        {"const": "meals", "title": "Meals"},
    ]
    assert claim["properties"]["kind"]["default"] == "travel"
    assert claim["properties"]["spentOn"]["format"] == "date"
    assert "hidden" not in claim["properties"]  # readable="false": not on the form
    assert review["properties"]["amount"]["readOnly"] is True and review["required"] == ["approved"]
    harness.ow.set_status("expense_claim", 1, "published")
    harness.members(zhang=["frontdesk"], li=["minzheng"])
    instance = harness.ow.start("expense_claim", actor="zhang")["instance"]
    claim_task = open_task(harness, instance, "claim")
    with pytest.raises(InvalidInput):  # the form's rules hold: an amount is required and a whole number
        harness.ow.complete(claim_task["id"], "zhang", {"employee": "Ada", "amount": "lots"})
    assert open_task(harness, instance, "claim")["id"] == claim_task["id"]
    harness.ow.complete(claim_task["id"], "zhang", {"employee": "Ada", "amount": 120, "kind": "meals"})
    end = harness.ow.complete(open_task(harness, instance, "review")["id"], "li", {"approved": True})
    assert end["status"] == "completed"
    assert "paid" in harness.ow.progress(instance, parts=("marks",))["marks"]["completed"]
    round_trip(harness, "expense_claim", tmp_path)


@pytest.mark.parametrize(("income", "approved", "end"), [(2000, True, "Granted"), (4000, True, "Refused")])
def test_zeebe_input_and_output_mappings_run_as_the_step_s_scripts(harness, tmp_path, income, approved, end):
    """Camunda 8 hands a step its variables through input mappings and takes results back through output
    mappings: the review sees the household's income per member, and its output decides the gateway."""
    done = harness.ow.import_diagrams([INTEROP / "camunda8_mappings.bpmn"], lane_map={"window": "frontdesk"})
    assert done["runnable"] is True, done["report"]
    translated = kinds(done["report"])["translated"]
    assert (
        "input mappings of step 'Review the household' → its preScript: income = household['income']; "
        "members = household['members']; season = 'winter 2026'"
    ) in translated
    assert (
        "output mappings of step 'Review the household' → its postScript: eligible = approved and income / "
        "members < 1500"
    ) in translated
    harness.ow.set_status("heating_allowance", 1, "published")
    harness.members(zhang=["frontdesk"])
    instance = harness.ow.start("heating_allowance", actor="zhang")["instance"]
    household = {"household": {"income": income, "members": 2}}
    harness.ow.complete(open_task(harness, instance, "Enter")["id"], "zhang", household)
    review = open_task(harness, instance, "Review")
    assert harness.ow.complete(review["id"], "zhang", {"approved": approved})["status"] == "completed"
    data = harness.ow.instance(instance)["data"]
    assert (data["income"], data["season"], data["eligible"]) == (income, "winter 2026", income / 2 < 1500)
    assert end in harness.ow.progress(instance, parts=("marks",))["marks"]["completed"]
    if end == "Granted":
        round_trip(harness, "heating_allowance", tmp_path)


@pytest.mark.parametrize(
    ("source", "target", "python"),
    [
        ("= applicant.name", "applicantName", "applicantName = applicant['name']"),
        ("manual", "mode", "mode = 'manual'"),
        ("= a + 1", "b", "b = a + 1"),
        ("= string(now())", "stamp", None),  # a FEEL function
        ("= x", "from.email", None),  # a path as target
        ("= x", "class", None),  # a Python keyword
        ("= __import__('os')", "x", None),
    ],
)
def test_a_mapping_translates_only_when_it_is_safe(source, target, python):
    from orchestrator.deploy.dialect_mappings import assignment

    assert assignment(source, target) == python


def test_a_camunda_8_form_linked_by_its_id_is_read_from_its_form_file(harness, tmp_path):
    done = harness.ow.import_diagrams([INTEROP / "camunda8_linked_form"], lane_map={"window": "frontdesk"})
    assert done["runnable"] is True, done["report"]
    assert (
        "linked form-js form parking-apply.form (zeebe:formDefinition formId) → form Apply.schema.json"
        in kinds(done["report"])["translated"]
    )
    stored = harness.ow.definition("parking_permit", 1)
    schema = stored["forms"]["Apply.schema.json"]
    assert schema["required"] == ["plate"] and schema["properties"]["plate"]["maxLength"] == 10
    assert schema["properties"]["months"]["maximum"] == 12
    assert stored["forms"]["Apply.uischema.json"]["ui:order"] == ["plate", "zone", "months"]
    assert "parking-apply.form" not in stored["forms"]  # translated, not kept as a second form
    harness.ow.set_status("parking_permit", 1, "published")
    harness.members(zhang=["frontdesk"])
    instance = harness.ow.start("parking_permit", actor="zhang")["instance"]
    apply = open_task(harness, instance, "Apply")
    with pytest.raises(InvalidInput):
        harness.ow.complete(apply["id"], "zhang", {"plate": "浙B12345", "months": 13})
    end = harness.ow.complete(apply["id"], "zhang", {"plate": "浙B12345", "zone": "harbour", "months": 3})
    assert end["status"] == "completed"
    round_trip(harness, "parking_permit", tmp_path)


def test_a_linked_form_that_is_not_form_js_is_left_to_fix(sqlite_harness, tmp_path):
    unit = tmp_path / "parking"
    unit.mkdir()
    (unit / "parking.bpmn").write_bytes((INTEROP / "camunda8_linked_form" / "parking.bpmn").read_bytes())
    (unit / "parking-apply.form").write_text('{"id": "parking-apply", "components": "none"}')
    done = sqlite_harness.ow.import_diagrams([unit], lane_map={"window": "frontdesk"})
    assert done["runnable"] is False
    assert [(r["element"], r["message"]) for r in done["report"] if r["kind"] == "fix"] == [
        ("Apply", "the form of 'Apply' cannot be read: no 'components' list")
    ]


@pytest.mark.parametrize("eligible", [True, False])
def test_data_objects_named_for_their_variable_carry_values_between_steps(harness, eligible, tmp_path):
    """Signavio and Camunda 7 name a data object for its variable and read it with bpmn:getDataObject('x'):
    a step writes it, a script reads it through its input, a gateway decides on it."""
    done = harness.ow.import_diagrams([INTEROP / "signavio_data_objects.bpmn"])
    assert done["runnable"] is True, done["report"]
    found = kinds(done["report"])
    assert "data object 'eligible' (id 'sid-do-eligible') → variable eligible" in found["translated"]
    assert "data object 'Case file' (id 'sid-do-file') → variable Case_file" in found["translated"]
    stored = harness.ow.definition("sid-benefit", 1)["files"]["signavio_data_objects.bpmn"]
    assert 'bpmnElement="sid-doa-assess"' in stored and 'bpmnElement="sid-ref-eligible"' in stored  # drawn
    harness.ow.set_status("sid-benefit", 1, "published")
    harness.members(zhang=["frontdesk"])
    instance = harness.ow.start("sid-benefit", actor="zhang")["instance"]
    end = harness.ow.complete(
        open_task(harness, instance, "sid-assess")["id"], "zhang", {"eligible": eligible}
    )
    assert end["status"] == "completed"
    assert harness.ow.instance(instance)["data"]["note"] == ("eligible" if eligible else "not eligible")
    reached = "sid-granted" if eligible else "sid-refused"
    assert reached in harness.ow.progress(instance, parts=("marks",))["marks"]["completed"]
    if eligible:
        round_trip(harness, "sid-benefit", tmp_path)


@pytest.mark.parametrize("model", sorted(p.name for p in MIWG.glob("*.bpmn")))
def test_every_miwg_reference_model_imports_as_a_draft_with_a_report(sqlite_harness, model):
    done = sqlite_harness.ow.import_diagrams([MIWG / model])
    assert done["versions"] and {v["status"] for v in done["versions"]} == {"draft"}
    assert done["report"], "every import says something"
    for r in done["report"]:
        assert r["kind"] in ("translated", "documentation", "fix") and r["message"]
    for v in done["versions"]:
        stored = sqlite_harness.ow.definition(v["key"], v["version"])
        assert "BPMNDiagram" in stored["files"][model]  # drawing kept


def test_a_documentation_only_model_says_so_first(sqlite_harness):
    done = sqlite_harness.ow.import_diagrams([MIWG / "A.1.0.bpmn"])
    first = done["report"][0]
    assert (first["kind"], first["message"]) == (
        "documentation",
        "no executable process: imported as documentation (mark a pool executable to run it)",
    )
    assert done["runnable"] is False


def test_an_existing_key_is_not_silently_reused(harness):
    harness.ow.import_diagrams([INTEROP / "camunda7_permit.bpmn"], lane_map=LANES)
    before = harness.row_counts()
    with pytest.raises(Conflict) as info:
        harness.ow.import_diagrams([INTEROP / "camunda7_permit.bpmn"], lane_map=LANES)
    assert "--key street_permit" in str(info.value)
    assert harness.row_counts() == before
    other = harness.ow.import_diagrams([INTEROP / "camunda7_permit.bpmn"], lane_map=LANES, key="stall_permit")
    assert other["versions"][0]["key"] == "stall_permit"
    assert 'id="stall_permit"' in harness.ow.definition("stall_permit", 1)["files"]["camunda7_permit.bpmn"]
    same = harness.ow.import_diagrams([INTEROP / "camunda7_permit.bpmn"], lane_map=LANES, key="street_permit")
    assert same["versions"][0]["unchanged"] is True


def test_export_then_import_gives_the_same_content(harness, tmp_path):
    harness.ow.import_diagrams([INTEROP / "camunda8_permit.bpmn"], lane_map=LANES)
    name, data = harness.ow.export("market_permit", 1)
    assert name == "market_permit-v1.zip"
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sorted(names) == [
        "market_permit-v1/camunda8_permit.bpmn",
        "market_permit-v1/forms/apply.schema.json",
        "market_permit-v1/forms/apply.uischema.json",
        "market_permit-v1/forms/review.schema.json",
        "market_permit-v1/forms/review.uischema.json",
    ]
    path = tmp_path / name
    path.write_bytes(data)
    again = harness.ow.import_diagrams([path], key="market_permit")
    assert again["versions"][0]["unchanged"] is True
    assert [r for r in again["report"] if r["kind"] != "documentation"] == []
    # and strict deploy takes the exported zip as it is
    assert harness.ow.deploy(path)[0]["key"] == "market_permit"


BAD_IMPORTS = {
    "malformed": (
        b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>",
        "not well-formed XML",
    ),
    "billion_laughs": (BILLION_LAUGHS, "DOCTYPE is not allowed"),
    "external_entity": (EXTERNAL_ENTITY, "DOCTYPE is not allowed"),
    "not_bpmn": (b"<html><body>hello</body></html>", "not a BPMN 2.0 file"),
    "no_process": (
        b"<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL' id='d' targetNamespace='x'/>",
        "the diagram has no process",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_IMPORTS))
def test_bad_input_is_refused_with_a_clear_error_and_nothing_stored(harness, tmp_path, case):
    content, expected = BAD_IMPORTS[case]
    path = tmp_path / "bad.bpmn"
    path.write_bytes(content)
    before = harness.row_counts()
    with pytest.raises(InvalidInput) as info:
        harness.ow.import_diagrams([path])
    assert expected in str(info.value.problems[0].message)
    assert harness.row_counts() == before


def test_files_beside_the_diagram_need_a_diagram_and_keep_to_the_size_limit(harness, tmp_path):
    table = INTEROP / "miwg_fixes" / "risk_check.dmn"
    before = harness.row_counts()
    with pytest.raises(InvalidInput, match=r"at least one \.bpmn file, folder or zip"):
        harness.ow.import_diagrams([table])
    big = tmp_path / "big.dmn"
    big.write_bytes(b"<x/>" + b" " * (harness.ow.settings.max_upload_bytes + 1))
    with pytest.raises(InvalidInput) as info:
        harness.ow.import_diagrams([INTEROP / "camunda7_permit.bpmn", big], lane_map=LANES)
    assert info.value.problems[0].file == "big.dmn"
    assert harness.row_counts() == before


def test_bad_lane_maps_and_keys_are_refused(harness):
    before = harness.row_counts()
    sample = [INTEROP / "camunda7_permit.bpmn"]
    with pytest.raises(InvalidInput, match="no group 'nobody'"):
        harness.ow.import_diagrams(sample, lane_map={"window": "nobody"})
    with pytest.raises(InvalidInput, match="no lane or candidate group"):
        harness.ow.import_diagrams(sample, lane_map={"Ghost": "frontdesk"})
    with pytest.raises(InvalidInput, match="--key names one process"):
        harness.ow.import_diagrams([MIWG / "C.4.0.bpmn"], key="four")
    assert harness.row_counts() == before


def test_the_command_line_imports_and_exports(tmp_path):
    env = {"ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "orchestrator.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    assert cli("db", "upgrade").returncode == 0
    sample = str(INTEROP / "camunda7_permit.bpmn")
    out = cli("import", sample, "--map-lane", "window=frontdesk", "--map-lane", "approvers=minzheng")
    assert out.returncode == 0, out.stderr
    assert "street_permit v1 draft" in out.stdout
    again = cli("import", sample, "--json")
    assert again.returncode == 3
    assert "--key street_permit" in json.loads(again.stdout)["error"]["message"]
    assert cli("import", sample, "--map-lane", "window").returncode == 2
    exported = cli("export", "street_permit", "1", "--json")
    assert exported.returncode == 0, exported.stderr
    assert zipfile.is_zipfile(tmp_path / json.loads(exported.stdout)["file"])
    assert "Traceback" not in exported.stderr + again.stderr


def test_the_runnable_miwg_model_runs_to_its_end_both_ways(harness):
    """C.9.1 (Camunda, document request): imported with nothing to fix, it runs to 'Document received' when
    the answer comes, and to 'Answer received' after a week's timer and the call."""
    done = harness.ow.import_diagrams([MIWG / "C.9.1.bpmn"])
    assert done["runnable"] is True
    key = done["versions"][0]["key"]
    harness.ow.set_status(key, 1, "published")
    first = harness.ow.start(key, actor="admin")
    harness.ow.send_message("MESSAGE_documentReceived", {}, instance_id=first["instance"])
    assert harness.ow.instance(first["instance"])["status"] == "completed"
    second = harness.ow.start(key, actor="admin")
    with clock.travel(clock.now() + timedelta(days=7, seconds=1)):
        for _round in range(8):  # the daily reminders, then the week's timer
            harness.ow.run_due_jobs()
    (call,) = [t for t in harness.ow.instance(second["instance"])["tasks"] if t["state"] in OPEN]
    assert call["name"] == "UserTask_CallCustomer"
    assert harness.ow.complete(call["id"], "admin", {})["status"] == "completed"


# --- what other modelers leave to their engine ------------------------------------------------------------


def test_a_service_task_without_implementation_only_records_the_step_and_deploy_stays_strict(harness):
    sample = INTEROP / "service_without_implementation.bpmn"
    with pytest.raises(InvalidInput) as info:  # a hand-written unit needs its operator
        harness.ow.deploy(sample)
    assert "A Service Task must have an operator" in str(info.value.problems[0].message)
    done = harness.ow.import_diagrams([sample])
    assert done["runnable"] is True, done["report"]
    (line,) = [r for r in done["report"] if r["kind"] == "translated"]
    assert line["element"] == "archive"
    assert line["message"] == (
        "service task 'Archive the filing' has no implementation → operator onewindow/record, which only "
        "records that the step ran (no system is called): set a real operator in the modeler if the step "
        "must call a system"
    )
    harness.ow.set_status("archive_filing", 1, "published")
    end = harness.ow.instance(harness.ow.start("archive_filing", actor="admin")["instance"])
    assert end["status"] == "completed"
    assert end["data"]["spiff__archive_result"]["operator"] == "onewindow/record"


@pytest.mark.parametrize(
    ("attribute", "named"),
    [
        ('camunda:class="org.example.Archive"', 'camunda:class="org.example.Archive"'),
        ('camunda:delegateExpression="${archive}"', 'camunda:delegateExpression="${archive}"'),
        ('camunda:type="external" camunda:topic="archive"', 'camunda:type="external"'),
    ],
)
def test_a_service_task_with_an_implementation_is_left_to_fix(sqlite_harness, tmp_path, attribute, named):
    source = (INTEROP / "service_without_implementation.bpmn").read_text()
    path = tmp_path / "archive.bpmn"
    path.write_text(source.replace('name="Archive the filing"', f'name="Archive the filing" {attribute}'))
    done = sqlite_harness.ow.import_diagrams([path])
    assert done["runnable"] is False
    (fix,) = [r for r in done["report"] if r["kind"] == "fix"]
    assert fix["element"] == "archive"
    assert fix["message"].startswith(f"service task 'Archive the filing' is implemented by {named}, which ")


def test_a_zeebe_service_task_definition_is_left_to_fix(sqlite_harness, tmp_path):
    source = (INTEROP / "service_without_implementation.bpmn").read_text()
    path = tmp_path / "archive.bpmn"
    path.write_text(
        source.replace(
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', f'xmlns:zeebe="{ZEEBE}"'
        ).replace(
            "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>\n    </bpmn:serviceTask>",
            '<bpmn:extensionElements><zeebe:taskDefinition type="archive" /></bpmn:extensionElements>'
            "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:serviceTask>",
        )
    )
    done = sqlite_harness.ow.import_diagrams([path])
    (fix,) = [r for r in done["report"] if r["kind"] == "fix"]
    assert 'zeebe:taskDefinition type="archive"' in fix["message"]


def test_a_data_store_keeps_its_value_with_the_instance(harness):
    done = harness.ow.import_diagrams([INTEROP / "data_store.bpmn"])
    assert done["runnable"] is True, done["report"]
    lines = {r["element"]: r["message"] for r in done["report"] if r["kind"] == "translated"}
    assert lines["ledger"] == (
        "data store 'General Ledger' has no implementation here → store onewindow.instance, whose value is "
        "kept with the instance's data (the old name stays as its documentation)"
    )
    assert lines["notes"].startswith(
        "data store 'Notes archive' has no implementation here"
    )  # no dataStoreRef
    stored = harness.ow.definition("ledger_entry", 1)["files"]["data_store.bpmn"]
    assert "<bpmn:documentation>General Ledger</bpmn:documentation>" in stored
    with pytest.raises(InvalidInput, match="Data Store with name General Ledger has no implementation"):
        harness.ow.deploy(INTEROP / "data_store.bpmn")  # deploy stays strict
    harness.ow.set_status("ledger_entry", 1, "published")
    instance = harness.ow.start("ledger_entry", actor="admin")["instance"]
    enter = harness.ow.instance(instance)["tasks"][0]
    harness.ow.complete(enter["id"], "admin", {"ledger": 21})  # written to the store, read by the script
    harness.restart()
    note = [t for t in harness.ow.instance(instance)["tasks"] if t["state"] in OPEN][0]
    end = harness.ow.complete(note["id"], "admin", {"DataStore_notes": "checked"})
    assert end["status"] == "completed"
    assert harness.ow.instance(instance)["data"]["doubled"] == 42


def test_a_zeebe_multi_instance_loop_runs_once_per_item(harness):
    done = harness.ow.import_diagrams([INTEROP / "zeebe_loop.bpmn"], lane_map={"window": "frontdesk"})
    assert done["runnable"] is True, done["report"]
    assert (
        'multi-instance loop (zeebe:loopCharacteristics inputCollection="=documents", inputElement="document", '
        'outputCollection="verdicts", outputElement="=verdict") → one instance per item of \'documents\''
        in kinds(done["report"])["translated"]
    )
    harness.ow.set_status("check_documents", 1, "published")
    harness.members(zhang=["frontdesk"])
    instance = harness.ow.start("check_documents", actor="zhang", data={"documents": ["passport", "payslip"]})
    for verdict in ("valid", "expired"):
        (task,) = [t for t in harness.ow.instance(instance["instance"])["tasks"] if t["state"] in OPEN]
        harness.ow.complete(task["id"], "zhang", {"verdict": verdict})
    end = harness.ow.instance(instance["instance"])
    assert end["status"] == "completed"
    assert end["data"]["verdicts"] == ["valid", "expired"]


@pytest.mark.parametrize("collection", ["=filter(documents, x > 1)", "=documents[1]", ""])
def test_a_zeebe_loop_that_is_not_a_plain_name_is_left_to_fix(sqlite_harness, tmp_path, collection):
    path = tmp_path / "loop.bpmn"
    path.write_text(
        (INTEROP / "zeebe_loop.bpmn")
        .read_text()
        .replace('inputCollection="=documents"', f'inputCollection="{collection}"')
    )
    done = sqlite_harness.ow.import_diagrams([path], lane_map={"window": "frontdesk"})
    assert done["runnable"] is False
    (fix,) = [r for r in done["report"] if r["kind"] == "fix"]
    assert fix["element"] == "check" and "has no translation: write its collection" in fix["message"]


# --- the MIWG models marked executable: which run, and why the others cannot as shipped ------------------


def open_task(harness, instance: int, name: str) -> dict:
    (task,) = [t for t in harness.ow.instance(instance)["tasks"] if t["state"] in OPEN and t["name"] == name]
    return task


def test_miwg_c_9_2_runs_to_its_end_with_the_document_requests_it_calls(harness):
    """C.9.2 (Zeebe, manual check) calls C.9.1's process once per requested document: its multi-instance
    loop is written Zeebe's way. Documents requested, the five days' reminder, a fraud check, the decision."""
    done = harness.ow.import_diagrams([MIWG / "C.9.1.bpmn", MIWG / "C.9.2.bpmn"], lane_map=C_9_2_LANES)
    assert done["runnable"] is True, done["report"]
    assert any(
        m.startswith("multi-instance loop (zeebe:loopCharacteristics")
        for m in kinds(done["report"])["translated"]
    )
    for v in done["versions"]:
        harness.ow.set_status(v["key"], v["version"], "published")
    harness.members(zhang=["frontdesk"], li=["minzheng"], wang=["gongan"])
    data = {"applicant": {"name": "Ada", "age": 41}, "risks": [], "documents": ["passport", "payslip"]}
    instance = harness.ow.start("ManualCheck", actor="zhang", data=data)["instance"]
    harness.ow.send_message("Message_DocumentRequested", {}, instance_id=instance)
    harness.ow.send_message("MESSAGE_documentReceived", {}, instance_id=instance)  # both requests answered
    with clock.travel(clock.now() + timedelta(days=5, seconds=1)):
        for _round in range(3):
            harness.ow.run_due_jobs()
        harness.ow.complete(open_task(harness, instance, "UserTask_AccelerateDecision")["id"], "li", {})
        harness.ow.send_message("Message_FraudSuspected", {}, instance_id=instance)
        harness.ow.complete(
            open_task(harness, instance, "UserTask_CheckForFraud")["id"], "wang", {"fraud": False}
        )
        decide = open_task(harness, instance, "UserTask_DecideOnApplication")
        assert decide["group"] == "frontdesk"
        end = harness.ow.complete(decide["id"], "zhang", {"applicationNumber": "A-1", "approved": True})
    assert end["status"] == "completed"
    assert harness.ow.instance(instance)["data"]["approved"] is True


def test_miwg_c_1_0_says_its_archive_service_cannot_be_called_and_runs_without_it(harness, tmp_path):
    """C.1.0 (invoice) archives through a Java bean, `#{archiveService}`: that is an implementation OneWindow
    cannot call, so the draft says so. The analyst removes it (the step is then only recorded) and the
    process runs: assign an approver, a refusal, a clarification, the approval, the bank transfer."""
    done = harness.ow.import_diagrams([MIWG / "C.1.0.bpmn"], lane_map=C_1_LANES)
    assert [(r["element"], r["message"]) for r in done["report"] if r["kind"] == "fix"] == [
        (
            "archiveInvoice",
            "service task 'Archive Invoice' is implemented by camunda:delegateExpression=\"#{archiveService}\", "
            "which OneWindow cannot call: set its operator (spiffworkflow:serviceTaskOperator) in the modeler, "
            "or remove the implementation to have the step only recorded",
        )
    ]
    path = tmp_path / "C.1.0.bpmn"
    path.write_text(
        (MIWG / "C.1.0.bpmn").read_text().replace(' camunda:delegateExpression="#{archiveService}"', "")
    )
    key = done["versions"][0]["key"]
    again = harness.ow.import_diagrams([path], lane_map=C_1_LANES, key=key)
    assert again["runnable"] is True, again["report"]
    assert any(
        m.startswith("service task 'Archive Invoice' has no implementation")
        for m in kinds(again["report"])["translated"]
    )
    harness.ow.set_status(key, 2, "published")
    harness.members(zhang=["frontdesk"], li=["minzheng"], wang=["renshe"])
    instance = harness.ow.start(key, actor="zhang")["instance"]
    harness.ow.send_message("invoice-received-C.1.0", {}, instance_id=instance)  # its message start
    for name, user, data in (
        ("assignApprover", "zhang", {"approver": "li"}),
        ("approveInvoice", "li", {"approved": False}),
        ("reviewInvoice", "zhang", {"clarified": "yes"}),
        ("approveInvoice", "li", {"approved": True}),
        ("prepareBankTransfer", "wang", {}),
    ):
        end = harness.ow.complete(open_task(harness, instance, name)["id"], user, data)
    assert end["status"] == "completed"
    assert (
        harness.ow.instance(instance)["data"]["spiff__archiveInvoice_result"]["operator"]
        == "onewindow/record"
    )


WHY_NOT = {  # the executable MIWG models that do not carry what they need, and what their report says
    "C.1.1.bpmn": [
        ("archiveInvoice", "service task 'Archive Invoice' is implemented by camunda:delegateExpression="),
    ],
    "C.3.0.bpmn": [
        (
            "Bpmn_FormalExpression_ipW2kBqIEeWDuOtG0oS24A",
            "condition 'Service Level == 'Premium'' (feel) has no safe",
        ),
        ("_b99800c3-c340-460c-a43e-098014a365d0", "flow 'Warranty' leaves gateway"),
        ("_437e5969-1e61-4cb9-aa76-4f8854f32eeb", "flow 'Emergency service' leaves gateway"),
        ("_ada039b6-94dd-4a15-a6b1-c7fe662c64ee", "flow 'Regular repair service' leaves gateway"),
        ("_cddf9325-a85b-4347-8c57-8b909fa77ae9", "flow 'Standard' leaves gateway"),
        ("_cf380e47-1401-4e7e-b710-193b626e49eb", "flow 'yes' leaves gateway"),
        ("_3fb323d5-2c59-487a-af63-804208f6c5cb", "flow 'no' leaves gateway"),
    ],
    "C.8.1.bpmn": [
        ("Lane_0", "lane 'manager' names no known group"),  # its potentialOwner, to map with --map-lane
        ("_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32", "business rule task 'Vacation Approval' calls no decision"),
        (
            "_2b960d84-feb1-46a9-a1a1-c300dd996b99",
            "service task 'Fetch Vacation Information' is implemented by zeebe:taskDefinition type=\"http\"",
        ),
        (
            "_4b72053b-8ebb-4ae6-99c6-7c93cf1c1d1b",
            "service task 'Update Remaining Vacation' is implemented by zeebe:taskDefinition type=\"update\"",
        ),
        (
            "_5e16a4e0-0f23-482a-be47-d3edbc5741ba",
            "service task 'Update Remaining Vacation' is implemented by zeebe:taskDefinition type=\"update\"",
        ),
        # the decision's result unpacked by a path into the decision's own output (a table drawn here writes
        # the two variables itself)
        (
            "_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32",
            "output mapping 'Vacation Approval ← = Vacation Approval Status.Approval' of step",
        ),
        (
            "_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32",
            "output mapping 'Reason ← = Vacation Approval Status.Reason' of step",
        ),
        # ports that neither an association nor a Trisotech binding fills (left over in the file)
        (
            "_a97c1a48-faba-447b-bfa6-7aa81a6fe0a0",
            "step 'Notify Employee of Approval' has a data input 'To' that nothing here fills",
        ),
        (
            "_a97c1a48-faba-447b-bfa6-7aa81a6fe0a0",
            "step 'Notify Employee of Approval' has a data input 'Current Vacation Status' that nothing here fills",
        ),
        (
            "_02232e32-c3d2-473c-a15d-9c5dca00eadc",
            "step 'Notify Employee of Refusal' has a data input 'To' that nothing here fills",
        ),
        (
            "_02232e32-c3d2-473c-a15d-9c5dca00eadc",
            "step 'Notify Employee of Refusal' has a data input 'Current Vacation Status' that nothing here fills",
        ),
    ],
    "C.9.0.bpmn": [
        ("StartEvent_ApplicationReceived", "output mapping 'documentReferenceId ← = string(now())' of event"),
        (
            "BusinessRuleTask_CheckApplicationAutomatically",
            "output mapping 'riskLevels ← = if result != null then result.riskLevel else [\"green\"]' of step",
        ),
        (
            "BusinessRuleTask_CheckApplicationAutomatically",
            "output mapping 'risks ← = if result != null then result.risk else []' of step",
        ),
        (
            "BusinessRuleTask_CheckApplicationAutomatically",
            "business rule task 'Check application automatically' calls decision 'risk_check', but the unit has no",
        ),
        (
            "ServiceTask_CancelApplication",
            "service task 'Cancel application' is implemented by zeebe:taskDefinition type=\"cancelApplication\"",
        ),
        (
            "SendTask_SendPolicy",
            "service task 'Send confirmation' is implemented by zeebe:taskDefinition type=\"io.camunda:sendgrid:1\"",
        ),
        (
            "ServiceTask_DeliverPolicy",
            "service task 'Deliver confirmation' is implemented by zeebe:taskDefinition type=\"issuePolicy\"",
        ),
        (
            "ServiceTask_RejectPolicy",
            "service task 'Reject application' is implemented by zeebe:taskDefinition type=\"rejectPolicy\"",
        ),
        (
            "SendTask_SendRejection",
            "service task 'Send rejection' is implemented by zeebe:taskDefinition type=\"io.camunda:sendgrid:1\"",
        ),
        (
            "ServiceTask_GetCreditScore",
            "service task 'Get credit score' is implemented by zeebe:taskDefinition type=\"calculateScore\"",
        ),
    ],
}


C_3_0_CONDITIONS = {  # what the analyst writes on C.3.0's gateway flows in the modeler's condition builder
    "_b99800c3-c340-460c-a43e-098014a365d0": "service == 'warranty'",
    "_437e5969-1e61-4cb9-aa76-4f8854f32eeb": "service == 'emergency'",
    "_ada039b6-94dd-4a15-a6b1-c7fe662c64ee": "service == 'repair'",
    "_cddf9325-a85b-4347-8c57-8b909fa77ae9": "level == 'standard'",
    "_cf380e47-1401-4e7e-b710-193b626e49eb": "successful",
    "_3fb323d5-2c59-487a-af63-804208f6c5cb": "not successful",
}
ANALYSE, STANDARD, PREMIUM, REPLACE = (
    "_c73a5f4a-72f1-4e11-bb40-2f98da75fb9a",
    "_d034722f-751d-4f37-a3d7-47993822e979",
    "_6a34496f-8cf7-42e5-88a9-d1af98cc3cba",
    "_a92069f7-377b-4dbd-a1fd-1da071aabf6d",
)


def c_3_0_with_conditions(tmp_path) -> Path:
    text = (MIWG / "C.3.0.bpmn").read_text()
    for flow, condition in C_3_0_CONDITIONS.items():
        m = re.search(rf'<sequenceFlow id="{re.escape(flow)}"[^>]*>.*?(</sequenceFlow>)', text, re.S)
        assert m, flow
        written = (
            f'<conditionExpression xsi:type="tFormalExpression"><![CDATA[{condition}]]></conditionExpression>'
        )
        text = text[: m.start(1)] + written + text[m.start(1) :]
    text = text.replace("<![CDATA[Service Level == 'Premium']]>", "<![CDATA[level == 'premium']]>")
    path = tmp_path / "C.3.0.bpmn"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("answers", "then", "end"),
    [
        ({"service": "warranty"}, [(REPLACE, {})], "_177bd313-c6c9-4df5-8f82-313beb30d2eb"),
        ({"service": "emergency", "successful": True}, [], "_b3dc1906-d4d3-40c5-aaf6-5a74148ae887"),
        (
            {"service": "repair", "level": "standard"},
            [(STANDARD, {})],
            "_dcee5c64-3010-4ee5-b480-bce856e6f29c",
        ),
        ("upgraded, then late", [(REPLACE, {})], "_177bd313-c6c9-4df5-8f82-313beb30d2eb"),
    ],
)
def test_miwg_c_3_0_runs_to_its_ends_once_its_gateways_have_conditions(harness, tmp_path, answers, then, end):
    """C.3.0 (fridge repair) is drawn for people: its gateways' flows carry names, not conditions, and its
    emergency repair is a collapsed sub-process with nothing inside. Its report names each flow; once the
    analyst has written the conditions, it runs to each of its ends. The empty sub-process passes through, as
    BPMN says; a standard repair is upgraded by the 'Service Level' message, and a premium repair that takes
    over 2 hours turns into an emergency repair, which here fails, so the fridge is replaced."""
    done = harness.ow.import_diagrams([c_3_0_with_conditions(tmp_path)])
    assert done["runnable"] is True, done["report"]
    assert any(
        m.startswith("sub-process 'Perform emergency repair' is drawn with nothing inside")
        for m in kinds(done["report"])["translated"]
    )
    key = done["versions"][0]["key"]
    harness.ow.set_status(key, 1, "published")
    harness.members(zhang=["frontdesk"])
    instance = harness.ow.start(key, actor="zhang")["instance"]
    harness.ow.send_message("Service Level", {}, instance_id=instance)  # its message start: a customer calls
    if answers == "upgraded, then late":
        data = {"service": "repair", "level": "standard", "successful": False}
        harness.ow.complete(open_task(harness, instance, ANALYSE)["id"], "zhang", data)
        harness.ow.send_message("Service Level", {}, instance_id=instance)  # upgraded to premium
        open_task(harness, instance, PREMIUM)
        with clock.travel(clock.now() + timedelta(hours=2, seconds=1)):
            harness.ow.run_due_jobs()
    else:
        harness.ow.complete(open_task(harness, instance, ANALYSE)["id"], "zhang", answers)
    for name, data in then:
        harness.ow.complete(open_task(harness, instance, name)["id"], "zhang", data)
    assert harness.ow.instance(instance)["status"] == "completed"
    assert end in harness.ow.progress(instance, parts=("marks",))["marks"]["completed"]


C_9_0_JOB_WORKERS = (
    "ServiceTask_GetCreditScore",
    "ServiceTask_DeliverPolicy",
    "SendTask_SendPolicy",
    "ServiceTask_RejectPolicy",
    "SendTask_SendRejection",
    "ServiceTask_CancelApplication",
)


def c_9_0_fixed(tmp_path) -> Path:
    """C.9.0 as the analyst leaves it: each Zeebe job worker's task definition removed in the modeler (the
    step is then only recorded), the two mappings with no translation removed (a reference number from
    FEEL's now(), and the decision's result unpacked with if-then-else: the table below writes riskLevels and
    risks itself); its decision table is drawn in the decision editor (miwg_fixes/)."""
    text = (MIWG / "C.9.0.bpmn").read_text()
    for element in ("StartEvent_ApplicationReceived", "BusinessRuleTask_CheckApplicationAutomatically"):
        m = re.search(rf'<bpmn2:\w+ id="{element}".*?(<zeebe:ioMapping>.*?</zeebe:ioMapping>)', text, re.S)
        assert m, element
        text = text[: m.start(1)] + text[m.end(1) :]
    for task in C_9_0_JOB_WORKERS:
        m = re.search(rf'<bpmn2:serviceTask id="{task}".*?</bpmn2:serviceTask>', text, re.S)
        assert m, task
        text = (
            text[: m.start()] + re.sub(r"\s*<zeebe:taskDefinition [^>]*/>", "", m.group(0)) + text[m.end() :]
        )
    path = tmp_path / "C.9.0.bpmn"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("story", "age", "end"),
    [
        ("green", 30, "EndEvent_ApplicationIssued"),
        ("red", 16, "EndEvent_ApplicationRejected"),
        ("yellow", 70, "EndEvent_ApplicationIssued"),
        ("fraud", 70, "TerminateEvent_ApplicationCanceledFraud"),
        ("cancelled", 70, "EndMessageEvent_InformCustomer"),
    ],
)
def test_miwg_c_9_0_runs_to_its_ends_once_its_job_workers_and_decision_are_given(
    harness, tmp_path, story, age, end
):
    """C.9.0 (customer onboarding, Zeebe) calls C.9.2's manual check, which calls C.9.1 per document. Its
    draft names the six job workers and the decision table it lacks; its FEEL quantifiers, its decision call,
    its lanes and forms translate. Once the analyst removes the job workers and draws the table (risk by
    age), it runs to each end: green is issued at once and red rejected at once; yellow goes through the
    manual check (the five days' reminder, the team leader, the clerk's decision) and is issued; a fraud
    suspected during the manual check and confirmed ends it as fraud (an error thrown in the called process,
    caught on the call); a cancellation interrupts it wherever it is."""
    unit = [
        MIWG / "C.9.1.bpmn",
        MIWG / "C.9.2.bpmn",
        c_9_0_fixed(tmp_path),
        INTEROP / "miwg_fixes" / "risk_check.dmn",
    ]
    done = harness.ow.import_diagrams(unit, lane_map=C_9_2_LANES)
    assert done["runnable"] is True, [r for r in done["report"] if r["kind"] == "fix"]
    assert (
        "business rule task 'Check application automatically' calls decision 'risk_check' → "
        "spiffworkflow:calledDecisionId; the table's outputs go into the step's data by their names (not under "
        "'result')"
    ) in kinds(done["report"])["translated"]
    for v in done["versions"]:
        harness.ow.set_status(v["key"], v["version"], "published")
    harness.members(zhang=["frontdesk"], li=["minzheng"], wang=["gongan"])
    data = {"applicant": {"name": "Ada", "age": age}, "documents": []}
    instance = harness.ow.start("customer_onboarding_en", actor="zhang", data=data)["instance"]
    risk = {"green": ["green"], "red": ["red"]}.get(story, ["yellow"])
    assert harness.ow.instance(instance)["data"]["riskLevels"] == risk
    if story == "yellow":
        with clock.travel(clock.now() + timedelta(days=5, seconds=1)):
            harness.ow.run_due_jobs()
            harness.ow.complete(open_task(harness, instance, "UserTask_AccelerateDecision")["id"], "li", {})
            decide = open_task(harness, instance, "UserTask_DecideOnApplication")
            harness.ow.complete(decide["id"], "zhang", {"applicationNumber": "A-7", "approved": True})
    elif story == "fraud":
        harness.ow.send_message("Message_FraudSuspected", {}, instance_id=instance)  # into the called process
        harness.ow.complete(
            open_task(harness, instance, "UserTask_CheckForFraud")["id"], "wang", {"fraud": True}
        )
        other = harness.ow.start("customer_onboarding_en", actor="zhang", data=data)["instance"]
        opened = [t["name"] for t in harness.ow.instance(other)["tasks"] if t["state"] in OPEN]
        assert opened == ["UserTask_DecideOnApplication"]  # the next applicant is not suspected of fraud
    elif story == "cancelled":
        harness.ow.send_message("Message_CancellationRequested", {}, instance_id=instance)
    inst = harness.ow.instance(instance)
    assert inst["status"] == "completed"
    assert [t["name"] for t in inst["tasks"] if t["state"] in OPEN] == []
    marks = harness.ow.progress(instance, parts=("marks",))["marks"]["completed"]
    assert end in marks
    others = {
        "EndEvent_ApplicationIssued",
        "EndEvent_ApplicationRejected",
        "TerminateEvent_ApplicationCanceledFraud",
    }
    assert not (others - {end}) & set(marks)
    assert harness.ow.incidents() == []


C_8_1_JOB_WORKERS = (  # Fetch Vacation Information, and Update Remaining Vacation twice
    "_2b960d84-feb1-46a9-a1a1-c300dd996b99",
    "_4b72053b-8ebb-4ae6-99c6-7c93cf1c1d1b",
    "_5e16a4e0-0f23-482a-be47-d3edbc5741ba",
)
C_8_1_UNFILLED_PORTS = (  # 'To' and 'Current Vacation Status' of both manual notifications
    "_34c6f8e2-b981-4ff2-ad77-bf89575b604c",
    "_d52e7328-818c-4352-ba80-25432f28d380",
    "_3a460194-21af-44b5-a9c9-386dd21ce7a6",
    "_4e07b75e-586a-4bcb-92b8-086ab645cb89",
)
C_8_1_DECISION = "_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32"


def c_8_1_fixed(tmp_path) -> Path:
    """C.8.1 as the analyst leaves it, doing what its draft names: the three HTTP job workers removed (the
    steps are then only recorded; with no HR system here, the employee's record comes with the request, so
    the fetch's output mapping reads `employee` instead of the HTTP body), the decision's two path mappings
    removed and its table drawn (miwg_fixes/vacation_approval.dmn, by the days remaining) and called, and the
    four ports nothing fills removed."""
    text = (MIWG / "C.8.1.bpmn").read_text()
    for task in C_8_1_JOB_WORKERS:
        m = re.search(rf'<semantic:serviceTask id="{task}".*?</semantic:serviceTask>', text, re.S)
        assert m, task
        fixed = re.sub(r"\s*<zeebe:taskDefinition [^>]*/>", "", m.group(0), count=1)
        fixed = re.sub(r' (implementation|operationRef)="[^"]*"', "", fixed, count=2)
        text = text[: m.start()] + fixed + text[m.end() :]
    text = text.replace('source="= body.value[1]"', 'source="= employee"')
    m = re.search(
        rf'<semantic:businessRuleTask id="{C_8_1_DECISION}".*?(<zeebe:ioMapping>.*?</zeebe:ioMapping>)',
        text,
        re.S,
    )
    assert m
    call = (
        f'<spiffworkflow:calledDecisionId xmlns:spiffworkflow="{SPIFF}">vacation_approval'
        "</spiffworkflow:calledDecisionId>"
    )
    text = text[: m.start(1)] + call + text[m.end(1) :]
    for port in C_8_1_UNFILLED_PORTS:
        text, n = re.subn(rf'\s*<semantic:dataInput [^>]*id="{port}"/>', "", text)
        text, k = re.subn(rf"\s*<semantic:dataInputRefs>{port}</semantic:dataInputRefs>", "", text)
        assert n == k == 1, port
    path = tmp_path / "C.8.1.bpmn"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("days", "decision", "end", "mail"),
    [
        (
            0,
            None,
            "_1688f604-5edf-4187-ad9e-18f74bfede53",
            "was declined for the following reason: No vacation",
        ),
        (12, None, "_6677ef80-82df-4951-919d-1f36123b681b", "was approved."),
        (3, "Approved", "_1cd5fe29-b3ec-4f21-a1aa-57773f0729ca", "was approved."),
        (3, "Refused", "_3ae826ca-5f38-43c4-be3a-35d1157aa27f", "for the following reason: busy season"),
    ],
)
def test_miwg_c_8_1_runs_to_its_ends_once_its_job_workers_and_decision_are_given(
    harness, tmp_path, days, decision, end, mail
):
    """C.8.1 (vacation request, Trisotech) keeps its data as Trisotech does: the process's own inputs
    (From, To) and outputs connected to the steps, data objects named with spaces ('Current Vacation
    Status'), steps' inputs filled by FEEL bindings, conditions on 'Vacation Approval'. All of that
    translates; once the analyst has done what the draft names, it runs to each end but 'Employee not
    found' (the HR system's 404): refused or approved at once by the table, or by the manager, and the mail
    each notification would send is built from the request, the employee's record and the reason."""
    unit = [c_8_1_fixed(tmp_path), INTEROP / "miwg_fixes" / "vacation_approval.dmn"]
    done = harness.ow.import_diagrams(unit, lane_map={"manager": "minzheng"})
    assert done["runnable"] is True, [r for r in done["report"] if r["kind"] == "fix"]
    translated = kinds(done["report"])["translated"]
    assert (
        'condition \'Vacation Approval = "Approved"\' (feel) → Vacation_Approval == "Approved"' in translated
    )
    assert any(m.startswith("the process's data input 'From' (id '_2bed4da9") for m in translated)
    assert any(
        "Remaining_Vacation_Days = Current_Vacation_Status['days']" in m
        for m in translated
        if m.startswith("Trisotech's bindings of step 'Manually Approve Vacation'")
    )
    harness.ow.set_status("VacationRequestProcess", 1, "published")
    assert "candidate group 'manager' → lane 'minzheng'" in translated  # its potentialOwner
    harness.members(zhang=["frontdesk"], li=["minzheng"])
    employee = {"name": "Ada", "email": "ada@example.org", "days": days}
    data = {"From": "2026-12-21", "To": "2026-12-24", "Employee_Badge_Number": 7, "employee": employee}
    instance = harness.ow.start("VacationRequestProcess", data, actor="zhang")["instance"]
    if decision:
        task = open_task(harness, instance, "_79523269-7444-4b01-90e9-e23957a9d020")
        with pytest.raises(NotAllowed):  # the manager's step, not the front desk's
            harness.ow.complete(task["id"], "zhang", {"Vacation_Approval": "Approved"})
        form = harness.ow.task(task["id"], "li")["form_schema"]["properties"]
        assert form["Vacation_Approval"]["oneOf"][0]["const"] == "Approved"  # the form writes the variable
        reason = "busy season" if decision == "Refused" else ""
        harness.ow.complete(task["id"], "li", {"Vacation_Approval": decision, "Reason": reason})
    inst = harness.ow.instance(instance)
    assert inst["status"] == "completed", inst["tasks"]
    assert mail in inst["data"]["mailBody"] and "Hi \xa0Ada" in inst["data"]["mailBody"]
    assert "2026-12-21" in inst["data"]["mailBody"]  # the process's input reached the notification
    assert end in harness.ow.progress(instance, parts=("marks",))["marks"]["completed"]
    assert harness.ow.incidents() == []


@pytest.mark.parametrize("model", sorted(WHY_NOT))
def test_an_executable_miwg_model_without_what_it_needs_says_exactly_why(sqlite_harness, model):
    lanes = {"accounting": "renshe"} if model == "C.1.1.bpmn" else {}
    done = sqlite_harness.ow.import_diagrams([MIWG / model], lane_map=lanes)
    assert done["runnable"] is False
    fixes = [(r["element"], r["message"]) for r in done["report"] if r["kind"] == "fix"]
    assert len(fixes) == len(WHY_NOT[model]), fixes
    for (element, message), (want_element, start) in zip(sorted(fixes), sorted(WHY_NOT[model]), strict=True):
        assert element == want_element and message.startswith(start), (element, message)


def test_a_port_named_by_its_variable_is_not_to_fix(sqlite_harness):
    """SpiffArena's way: a task's data output whose id is the variable the form writes."""
    done = sqlite_harness.ow.import_diagrams([INTEROP / "data_output.bpmn"])
    assert done["runnable"] is True, done["report"]


def test_miwg_c_9_0_s_feel_quantifiers_are_translated(sqlite_harness):
    done = sqlite_harness.ow.import_diagrams([MIWG / "C.9.0.bpmn"])
    assert (
        "condition '= some risk in riskLevels satisfies risk = \"red\"' (feel) → "
        'any((risk == "red") for risk in (riskLevels))'
    ) in kinds(done["report"])["translated"]


def test_miwg_c_1_1_runs_with_its_data_objects_once_its_archive_service_is_removed(harness, tmp_path):
    """C.1.1 is C.1.0 with data objects: each step writes one (approver, approved, clarified) through a typed
    output, and the gateways read them with bpmn:getDataObject('approved'). Imported, the objects are read by
    their names; once the analyst removes the Java bean, the invoice runs through a refusal, a clarification,
    the approval and the bank transfer to 'Invoice processed'."""
    path = tmp_path / "C.1.1.bpmn"
    path.write_text(
        (MIWG / "C.1.1.bpmn").read_text().replace(' camunda:delegateExpression="#{archiveService}"', "")
    )
    done = harness.ow.import_diagrams([path], lane_map={"accounting": "renshe"})
    assert done["runnable"] is True, done["report"]
    translated = kinds(done["report"])["translated"]
    for name in ("approver", "approved", "clarified"):
        assert any(m.startswith(f"data object '{name}' (id ") for m in translated), name
    assert "assignee '${approver}' → the step goes to the user named by the variable approver" in translated
    key = done["versions"][0]["key"]
    harness.ow.set_status(key, 1, "published")
    harness.members(zhang=["frontdesk"], li=["minzheng"], wang=["renshe"])
    instance = harness.ow.start(key, actor="zhang")["instance"]
    harness.ow.complete(open_task(harness, instance, "assignApprover")["id"], "zhang", {"approver": "li"})
    approve = open_task(harness, instance, "approveInvoice")
    assert approve["assignee"] == "li"  # the approver the first step named
    with pytest.raises(NotAllowed):  # in no lane, it is li's alone
        harness.ow.complete(approve["id"], "wang", {"approved": True})
    with pytest.raises(InvalidInput, match="approved"):  # the step's output is required, as the model says
        harness.ow.complete(approve["id"], "li", {})
    assert open_task(harness, instance, "approveInvoice")["id"] == approve["id"]
    for name, user, data in (
        ("approveInvoice", "li", {"approved": False}),
        ("reviewInvoice", "zhang", {"clarified": "yes"}),
        ("approveInvoice", "li", {"approved": True}),
    ):
        harness.ow.complete(open_task(harness, instance, name)["id"], user, data)
    bank = open_task(harness, instance, "prepareBankTransfer")
    assert bank["group"] == "renshe"
    assert harness.ow.complete(bank["id"], "wang", {})["status"] == "completed"
    marks = harness.ow.progress(instance, parts=("marks",))["marks"]["completed"]
    assert "invoiceProcessed" in marks and "invoiceNotProcessed" not in marks


def test_miwg_c_1_1_s_data_store_is_translated(sqlite_harness):
    done = sqlite_harness.ow.import_diagrams([MIWG / "C.1.1.bpmn"], lane_map={"accounting": "renshe"})
    assert (
        "data store 'Financial Accounting System' has no implementation here → store onewindow.instance, whose "
        "value is kept with the instance's data (the old name stays as its documentation)"
        in kinds(done["report"])["translated"]
    )


def test_an_operator_other_than_onewindow_s_calls_nothing_and_says_so(sqlite_harness, tmp_path, caplog):
    """A hand-written unit may name any operator (SpiffArena's `http/GetRequest`, say): only OneWindow's own
    run; the step fails with the operator's name and nothing reaches the network or the host."""
    spiff = "http://spiffworkflow.org/bpmn/schema/1.0/core"
    source = (INTEROP / "service_without_implementation.bpmn").read_text()
    path = tmp_path / "operator.bpmn"
    path.write_text(
        source.replace(
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', f'xmlns:spiffworkflow="{spiff}"'
        ).replace(
            "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>\n    </bpmn:serviceTask>",
            '<bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="http/GetRequest"><spiffworkflow:parameters>'
            '<spiffworkflow:parameter id="url" type="str" value="\'http://127.0.0.1:1/\'"/></spiffworkflow:parameters>'
            "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
            "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:serviceTask>",
        )
    )
    sqlite_harness.ow.deploy(path, publish=True)
    instance = sqlite_harness.ow.start("archive_filing", actor="admin")["instance"]
    sqlite_harness.ow.run_due_jobs()  # the step runs as a job, which fails and is retried later
    assert sqlite_harness.ow.instance(instance)["status"] == "running"
    assert "no service task operator 'http/GetRequest' here" in caplog.text
