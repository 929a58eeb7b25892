"""The command line as a user drives it: JSON out, exit codes 0/2/3/4, same answers as the services."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from orchestrator.core.config import REPO_ROOT

DEMO = REPO_ROOT / "processes" / "general_approval"


@pytest.fixture
def cli(tmp_path):
    env = {"ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATH": "/usr/bin:/bin"}

    def run(*args: str, expect: int = 0):
        out = subprocess.run(
            [sys.executable, "-m", "orchestrator.cli", *args, "--json"],
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )
        assert out.returncode == expect, (out.returncode, out.stdout, out.stderr)
        return json.loads(out.stdout) if out.stdout.strip() else None

    run("db", "upgrade")
    return run


def test_a_case_from_deploy_to_done(cli):
    assert cli("deploy", str(DEMO), "--publish")[0]["status"] == "published"
    assert cli("deploy", str(DEMO))[0]["unchanged"] is True
    cli("group", "member", "zhang", "frontdesk")
    cli("group", "member", "li", "minzheng")
    started = cli(
        "start",
        "general_approval",
        "--business-key",
        "2026-0001",
        "--as",
        "zhang",
        "--data",
        '{"applicant": {"name": "张三", "phone": "13800000000"}, "channel": "窗口"}',
    )
    assert started["case_number"].startswith("DEMO-0001-")
    task = started["tasks"][0]
    assert (task["name"], task["group"]) == ("Task_accept", "frontdesk")
    assert cli("start", "general_approval", "--business-key", "2026-0001", expect=3)["error"][
        "message"
    ].endswith("already exists")
    assert [t["id"] for t in cli("tasks", "--as", "zhang")] == [task["id"]]
    assert cli("tasks", "--as", "li") == []
    assert (
        "not offered to li (group 'frontdesk')"
        in cli("claim", str(task["id"]), "--as", "li", expect=4)["error"]["message"]
    )
    cli("claim", str(task["id"]), "--as", "zhang")
    invalid = cli("complete", str(task["id"]), "--as", "zhang", "--data", '{"applicant": ""}', expect=2)
    assert {e["field"] for e in invalid["errors"]} == {"applicant", "accepted"}
    done = cli(
        "complete", str(task["id"]), "--as", "zhang", "--data", '{"applicant": "张三", "accepted": true}'
    )
    assert [t["name"] for t in done["tasks"]] == ["Task_review"]
    again = cli(
        "complete",
        str(task["id"]),
        "--as",
        "zhang",
        "--data",
        '{"applicant": "张三", "accepted": true}',
        expect=3,
    )
    assert "no longer open" in again["error"]["message"]
    review = done["tasks"][0]
    cli("complete", str(review["id"]), "--as", "zhang", "--data", '{"approved": true}', expect=4)
    cli("complete", str(review["id"]), "--as", "li", "--data", '{"approved": false, "opinion": "不符合条件"}')
    detail = cli("instance", str(started["instance"]))
    assert detail["status"] == "completed" and detail["business_key"] == "2026-0001"
    assert [e["action"] for e in detail["history"] if not e["action"].startswith("case_")] == [
        "start",
        "claim",
        "complete",
        "complete",
        "end",
    ]
    case = cli("case", started["case_number"])
    assert (case["status_code"], case["status"]) == (13, "办结(不通过)")
    assert case["applicant"]["name"] == "张三" and case["accepted_at"] and case["promised_due"]
    assert [(s["node"], s["handler"], s["action"]) for s in case["steps"]] == [
        ("Task_accept", "zhang", "通过"),
        ("Task_review", "li", "不通过"),
    ]
    assert case["steps"][1]["opinion"] == "不符合条件"
    assert cli("withdraw", started["case_number"], "--as", "zhang", expect=3)["error"]["message"].endswith(
        "(办结(不通过))"
    )
    assert cli("instance", "999", expect=4)["error"]["message"] == "no instance 999"
    assert cli("definitions")[0]["running_instances"] == 0


def test_bad_data_argument_is_invalid_input(cli):
    assert cli("start", "nothing", "--data", "{oops", expect=2)["errors"][0]["field"] == "data"
    assert (
        cli("start", "nothing", expect=4)["error"]["message"] == "process 'nothing' has no published version"
    )


def test_zip_unit_deploys_like_its_folder(cli, tmp_path):
    archive = tmp_path / "general_approval.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in DEMO.rglob("*"):
            if path.is_file():
                z.write(path, f"general_approval/{path.relative_to(DEMO)}")
    from_zip = cli("deploy", str(archive))[0]
    from_folder = cli("deploy", str(DEMO))[0]
    assert from_folder["unchanged"] and from_folder["checksum"] == from_zip["checksum"]
