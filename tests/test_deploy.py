"""Deployment: validation before anything is stored, immutable versions, publish/retire, forms snapshot."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest
import yaml
from conftest import BPMN_DIR
from diagrams import approval
from sqlalchemy import text

from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput, NotFound

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">&lol9;</bpmn:process></bpmn:definitions>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"><bpmn:process id="p" name="&secret;" isExecutable="true"/></bpmn:definitions>"""


def write(tmp_path, content, name="unit.bpmn"):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def refused(harness, path) -> list[dict]:
    """Deploy must fail with InvalidInput and leave every table exactly as it was."""
    before = harness.row_counts()
    with pytest.raises(InvalidInput) as info:
        harness.ow.deploy(path)
    assert harness.row_counts() == before
    return [p.as_dict() for p in info.value.problems]


BAD = {
    "malformed": (
        b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><bpmn:process>",
        "not well-formed XML",
    ),
    "billion_laughs": (BILLION_LAUGHS, "DOCTYPE is not allowed"),
    "external_entity": (EXTERNAL_ENTITY, "DOCTYPE is not allowed"),
    "unknown_element": (
        approval(extra='<bpmn:madeUpThing id="X1" />', second_condition="x == 1"),
        "not valid BPMN 2.0: Element 'bpmn:madeUpThing'",
    ),
    "flow_without_condition": (approval(), "leaves gateway 'Gateway_1' without a condition"),
    "timer_unparseable": (
        approval(timer="P5X", second_condition="x == 1"),
        "timer duration 'P5X' is not valid",
    ),
    "timer_garbage": (approval(timer="'next tuesday'", second_condition="x == 1"), "is not valid ISO 8601"),
    "sandbox_escape_condition": (
        approval(condition="__import__('os').system('id') == 0", second_condition="1"),
        "expression refused",
    ),
    "sandbox_escape_script": (
        approval(script="x = ().__class__.__mro__", second_condition="1"),
        "expression refused",
    ),
    "infinite_loop_script": (
        approval(script="while True:\n    pass", second_condition="1"),
        "expression refused",
    ),
    "unknown_lane": (
        approval(lane="外星办", second_condition="x == 1"),
        "lane '外星办' names no known group",
    ),
    "missing_form": (
        approval(form="nowhere.schema.json", second_condition="x == 1"),
        "form 'nowhere.schema.json' not found",
    ),
    "dangling_flow": (
        approval(
            second_condition="x == 1",
            extra='<bpmn:sequenceFlow id="Flow_dangling" sourceRef="Task_review" targetRef="Nowhere" />',
        ),
        "targetRef 'Nowhere' names no element",
    ),
    "no_executable_process": (
        approval(second_condition="x == 1").replace('isExecutable="true"', 'isExecutable="false"'),
        "no executable process",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_bpmn_is_refused_with_a_clear_error_and_nothing_stored(harness, tmp_path, case):
    content, expected = BAD[case]
    problems = refused(harness, write(tmp_path, content))
    messages = " | ".join(p["message"] for p in problems)
    assert expected in messages
    assert all(p["file"] for p in problems if "executable" not in p["message"])
    assert "Traceback" not in messages


def test_file_over_the_size_limit_is_refused_before_parsing(harness, tmp_path):
    big = approval(second_condition="x == 1").replace(
        "</bpmn:definitions>", "<!--" + "x" * (50 * 1024 * 1024) + "--></bpmn:definitions>"
    )
    problems = refused(harness, write(tmp_path, big))
    assert "over the 5 MB limit" in problems[0]["message"]


def test_form_that_is_not_json_schema_is_refused(harness, tmp_path):
    unit = tmp_path / "unit"
    (unit / "forms").mkdir(parents=True)
    (unit / "approval.bpmn").write_text(approval(form="broken.schema.json", second_condition="x == 1"))
    (unit / "forms" / "broken.schema.json").write_text(
        json.dumps({"type": "object", "properties": {"a": {"type": 12}}})
    )
    problems = refused(harness, unit)
    assert "not a valid JSON Schema" in problems[0]["message"]
    assert problems[0]["element"] == "Task_review"
    (unit / "forms" / "broken.schema.json").write_text("{not json")
    assert "not valid JSON" in refused(harness, unit)[0]["message"]


def test_every_problem_is_reported_at_once_with_file_line_and_element(harness, tmp_path):
    xml = approval(lane="nobody", timer="PT", condition="x.__class__", form="missing.json")
    problems = refused(harness, write(tmp_path, xml, "many.bpmn"))
    elements = {p["element"] for p in problems}
    assert {
        "Lane_back",
        "Timer_1",
        "Flow_yes",
        "Flow_other",
        "Task_review",
    } <= elements  # a timer problem is on its event (drawn), not on its definition
    assert all(p["file"] == "many.bpmn" and isinstance(p["line"], int) for p in problems)


def test_bad_zip_and_zip_bomb_are_refused(harness, tmp_path):
    assert "not a valid zip" in refused(harness, write(tmp_path, b"PK\x03\x04garbage", "u.zip"))[0]["message"]
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("approval.bpmn", approval(second_condition="x == 1"))
        z.writestr("huge.bpmn", b"\0" * (60 * 1024 * 1024))
    assert "over the 5 MB limit" in refused(harness, bomb)[0]["message"]


def test_versions_are_immutable_numbered_per_key_and_identical_content_is_unchanged(harness, tmp_path):
    path = write(tmp_path, approval(second_condition="x == 1"))
    first = harness.ow.deploy(path, tag="v2026.1")
    assert first[0] | {"checksum": None} == {
        "key": "approval",
        "version": 1,
        "status": "draft",
        "checksum": None,
        "tag": "v2026.1",
        "unchanged": False,
    }
    assert len(first[0]["checksum"]) == 64
    again = harness.ow.deploy(path)
    assert again[0]["unchanged"] and again[0]["version"] == 1
    write(tmp_path, approval(second_condition="x == 2"))
    assert harness.ow.deploy(path)[0]["version"] == 2
    listing = harness.ow.definitions()
    assert [(d["key"], d["version"], d["status"]) for d in listing] == [
        ("approval", 1, "draft"),
        ("approval", 2, "draft"),
    ]


def test_start_uses_newest_published_and_running_instances_keep_their_version(harness, tmp_path):
    harness.members(clerk=["frontdesk", "minzheng"])
    path = write(tmp_path, approval(second_condition="x == 1"))
    harness.ow.deploy(path)
    with pytest.raises(NotFound, match="no published version"):
        harness.ow.start("approval")
    harness.ow.set_status("approval", 1, "published")
    old = harness.ow.start("approval")
    write(tmp_path, approval(second_condition="x == 1", name="审批（新版）"))
    harness.ow.deploy(path, publish=True)
    new = harness.ow.start("approval")
    ow = harness.restart()
    assert ow.instance(old["instance"])["version"] == 1
    assert ow.instance(new["instance"])["version"] == 2
    ow.complete(old["tasks"][0]["id"], "clerk", {})
    assert ow.instance(old["instance"])["open_tasks"][0]["name"] == "Task_review"
    # one published version per key: v2 superseded v1, so retiring v2 leaves nothing to start
    assert {d["version"]: d["status"] for d in ow.definitions()} == {1: "retired", 2: "published"}
    ow.set_status("approval", 2, "retired")
    with pytest.raises(NotFound, match="no published version"):
        ow.start("approval")
    ow.set_status("approval", 1, "published")  # an older version may be published again
    assert ow.start("approval")["instance"] and ow.instance(ow.start("approval")["instance"])["version"] == 1
    with pytest.raises(InvalidInput, match="status must be one of"):
        ow.set_status("approval", 2, "draft")
    counts = {d["version"]: d["running_instances"] for d in ow.definitions()}
    assert counts[1] == 3 and counts[2] == 1


def test_forms_are_snapshotted_into_the_version(harness, tmp_path):
    harness.members(clerk=["frontdesk", "minzheng"])
    unit = tmp_path / "unit"
    (unit / "forms").mkdir(parents=True)
    (unit / "approval.bpmn").write_text(approval(form="f.schema.json", second_condition="x == 1"))
    schema = {"type": "object", "properties": {"approved": {"type": "boolean"}}, "required": ["approved"]}
    (unit / "forms" / "f.schema.json").write_text(json.dumps(schema))
    harness.ow.deploy(unit, publish=True)
    task = harness.ow.start("approval")["tasks"][0]
    review = harness.ow.complete(task["id"], "clerk", {})["tasks"][0]
    schema["required"] = ["approved", "reason"]  # editing the file afterwards changes nothing running
    (unit / "forms" / "f.schema.json").write_text(json.dumps(schema))
    with pytest.raises(InvalidInput) as info:
        harness.ow.complete(review["id"], "clerk", {"approved": "yes"})
    assert [p.field for p in info.value.problems] == ["approved"]
    assert harness.ow.complete(review["id"], "clerk", {"approved": True})["status"] == "completed"
    assert harness.ow.deploy(unit)[0]["version"] == 2  # the edited form is new content


def test_spec_is_stored_once_per_version_not_per_instance(harness, tmp_path):
    harness.ow.deploy(write(tmp_path, approval(second_condition="x == 1")), publish=True)
    for _ in range(3):
        harness.ow.start("approval")
    with harness.ow.store.engine.connect() as conn:
        states = conn.execute(text("SELECT state FROM process_instance")).scalars().all()
        spec_size = conn.execute(text("SELECT length(spec) FROM process_definition")).scalar_one()
    for state in states:
        doc = json.loads(state)
        assert "spec" not in doc and "subprocess_specs" not in doc
        assert '"task_specs"' not in state
    assert spec_size > 1000


def test_cli_reports_invalid_units_as_json_with_exit_2(tmp_path):
    path = write(tmp_path, approval(lane="nobody", second_condition="x == 1"))
    env = {
        "ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "PATH": "/usr/bin:/bin",
        "ONEWINDOW_FORMS_DIR": str(BPMN_DIR / "forms"),
    }
    cli = [sys.executable, "-m", "orchestrator.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=REPO_ROOT)
    out = subprocess.run(
        [*cli, "deploy", str(path), "--json"], env=env, capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert out.returncode == 2, out.stderr
    errors = json.loads(out.stdout)["errors"]
    assert errors[0]["element"] == "Lane_back" and errors[0]["file"] == "unit.bpmn" and errors[0]["line"] == 6
    ok = subprocess.run(
        [*cli, "deploy", str(write(tmp_path, approval(second_condition="x == 1"))), "--publish", "--json"],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)[0]["status"] == "published"


def test_a_stored_item_saved_again_unchanged_makes_no_new_version(sqlite_harness):
    """The studio writes item.yaml and tests back from what is stored (other spacing, no comments): the same
    content is still "unchanged", and a real change of the catalog still makes a version."""
    ow = sqlite_harness.ow
    ow.load_demo_org()
    [first] = ow.deploy(REPO_ROOT / "processes" / "general_approval")
    stored = ow.definition("general_approval", first["version"])
    [again] = ow.deploy_edit(
        {"general_approval.bpmn": stored["files"]["general_approval.bpmn"].encode()},
        base=("general_approval", first["version"]),
    )
    assert again["unchanged"] and again["version"] == first["version"]
    catalog = stored["catalog"] | {"phone": "0574-87000000"}
    [changed] = ow.deploy_edit(
        {"item.yaml": yaml.safe_dump(catalog, allow_unicode=True).encode()}, base=("general_approval", 1)
    )
    assert not changed["unchanged"] and changed["version"] == first["version"] + 1
