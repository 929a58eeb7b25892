"""No input can poison a case: data over the limits, deep JSON, lone surrogates, NaN and bad UTF-8 are
refused at every door with a message naming the field, and nothing is stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from orchestrator.core import i18n, limits
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import InvalidInput

HOSTILE = {
    "20 MB string": (
        {"applicant": {"name": "张" * (20 * 1024 * 1024)}},
        "applicant.name has 20971520 characters",
    ),
    "lone surrogate": ({"applicant": "\ud800"}, "applicant is not valid Unicode text"),
    "NaN": ({"applicant": "张三", "income": float("nan")}, "income: nan is not a number"),
    "Infinity": ({"applicant": "张三", "income": float("inf")}, "income: inf is not a number"),
    "deep": ({"applicant": "张三", "x": json.loads("[" * 40 + "]" * 40)}, "nested more than 32 levels"),
    "many keys": ({"applicant": "张三", **{f"k{i}": i for i in range(1200)}}, "keys; at most 1000"),
}


def deploy_item(harness) -> str:
    harness.ow.deploy(REPO_ROOT / "templates" / "promised", publish=True, run_tests=False)
    return "tpl_promised"


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_start_data_is_refused_and_stores_nothing(harness, name):
    key = deploy_item(harness)
    data, message = HOSTILE[name]
    before = harness.row_counts()
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        harness.ow.start(key, data)
    assert harness.row_counts() == before


def test_hostile_form_data_is_refused_and_the_task_stays_open(harness):
    key = deploy_item(harness)
    harness.members(clerk=["frontdesk"])
    task = harness.ow.start(key, {"applicant": "张三"})["tasks"][0]
    harness.ow.claim(task["id"], "clerk")
    with pytest.raises(InvalidInput, match="not valid Unicode"):
        harness.ow.complete(task["id"], "clerk", {"opinion": "\udfff"})
    assert harness.ow.task(task["id"], "clerk")["state"] == "claimed"


def test_the_message_names_the_field_in_chinese():
    problems = limits.check({"applicant": {"name": "\ud800"}, "income": float("inf")})
    with i18n.speaking("zh"):
        shown = sorted(str(p.message) for p in problems)
    assert shown == [
        "data.applicant.name 不是有效的 Unicode 文本（含孤立代理字符）",
        "data.income：inf 不是 JSON 可表示的数",
    ]


def test_read_json_never_raises_anything_but_invalid_input():
    for text, message in [
        ("[" * 100_000 + "]" * 100_000, "nested more than"),
        (b"\xff\xfe{}", "not UTF-8"),
        ('{"a": NaN}', "not valid JSON"),
        ('{"a": Infinity}', "not valid JSON"),
        ("{oops", "not valid JSON"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            limits.read_json(text)


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env |= {"ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=120,
    )


def test_the_command_line_refuses_deep_json_bad_utf8_and_raw_bytes_with_exit_2(tmp_path):
    assert _cli(tmp_path, "db", "upgrade").returncode == 0
    deep = tmp_path / "deep.json"
    deep.write_text('{"applicant": ' + "[" * 100_000 + "]" * 100_000 + "}")
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"applicant": "Zoë"}'.encode("latin-1"))
    for data in (f"@{deep}", f"@{latin}", os.fsdecode(b'{"applicant": "\xff\xfe"}')):
        done = _cli(tmp_path, "start", "general_approval", "--data", data, "--json")
        assert done.returncode == 2, done.stderr
        assert b"Traceback" not in done.stderr
        assert json.loads(done.stdout)["error"]["code"] == "invalid_input"


def test_a_diagram_of_too_many_elements_is_refused_and_nothing_stored(harness, tmp_path):
    from diagrams import approval

    from orchestrator.bpmn import xmlsafe

    xml = approval("huge")
    padding = "<bpmn:documentation>说明</bpmn:documentation>" * (xmlsafe.MAX_ELEMENTS + 1)
    xml = xml.replace('<bpmn:startEvent id="Start_1">', f'<bpmn:startEvent id="Start_1">{padding}', 1)
    path = tmp_path / "huge.bpmn"
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(InvalidInput, match="XML elements; at most") as refused:
        harness.ow.deploy(path, publish=True)
    assert refused.value.problems[0].file == "huge.bpmn"
    assert harness.ow.definitions() == []


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_uploads_waiting_for_a_case_are_bounded(harness):
    import io

    from orchestrator.runtime import attachments

    for i in range(attachments.MAX_WAITING):
        harness.ow.upload(io.BytesIO(PDF), f"材料{i}.pdf", actor="frontdesk")
    with pytest.raises(InvalidInput, match="waiting for a case") as refused:
        harness.ow.upload(io.BytesIO(PDF), "多一个.pdf", actor="frontdesk")
    assert refused.value.problems[0].field == "file"
    harness.ow.upload(io.BytesIO(PDF), "别人的.pdf", actor="minzheng")  # counted per user
