"""The item studio's templates: every class template, made into an item with `onewindow item new` and
published unchanged, runs from 受理 to 办结 with CLI commands only; new items refuse bad answers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from orchestrator.core.config import REPO_ROOT, Settings
from orchestrator.core.errors import InvalidInput, NotFound
from orchestrator.service import OneWindow

# The data each template's forms take on the main path (the forms are the templates' own).
MAIN_PATH = {
    "check.schema.json": {"eligible": True, "complete": True, "opinion": "材料齐全"},
    "review.schema.json": {"recommend": True, "opinion": "同意"},
    "decide.schema.json": {"approved": True, "result_name": "批准文书", "result_number": "示范〔2026〕1号"},
    "deliver.schema.json": {"delivery": "窗口领取", "recipient": "张三"},
    "register.schema.json": {"authorised": True},
    "work_record.schema.json": {"delivered_on": "2026-12-04", "applicant_signed": True, "proxy_signed": True},
}
# Who works in each group of the demo org (orchestrator.service.organisation.DEMO_MEMBERS).
CLERKS = {
    "frontdesk": "frontdesk",
    "delivery": "frontdesk",
    "minzheng": "minzheng",
    "renshe": "renshe",
    "yibao": "yibao",
    "grid": "grid",
}
TEMPLATES = {
    # template: (extra arguments, who starts the case, the national class at the end)
    "immediate": ([], "frontdesk"),
    "promised": ([], "frontdesk"),
    "joint": (["--co", "renshe", "--co", "yibao"], "frontdesk"),
    "report": ([], "frontdesk"),
    "proxy": ([], "grid"),
}


@pytest.fixture
def cli(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'items.db'}", data_dir=tmp_path / "data")
    with OneWindow(settings) as ow:
        ow.upgrade()
        ow.load_demo_org()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    env |= {
        "ONEWINDOW_DATABASE_URL": settings.database_url,
        "ONEWINDOW_DATA_DIR": str(settings.data_dir),
        "LANG": "C.UTF-8",
    }

    def run(*args: str, expect: int = 0):
        done = subprocess.run(
            [sys.executable, "-m", "orchestrator.cli", *args, "--json"],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == expect, done.stdout + done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    run.settings = settings
    return run


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_made_into_an_item_and_published_unchanged_runs_from_acceptance_to_done(cli, template):
    extra, starter = TEMPLATES[template]
    key = f"item_{template}"
    made = cli("item", "new", key, "--template", template, "--name", f"{template}测试事项", "--code", f"T-{template}",
               "--lead", "minzheng", "--org", "gaoqiao", "--statutory", "20",
               "--promised", "0" if template == "immediate" else "5", "--as", "analyst", *extra)  # fmt: skip
    assert made == {"key": key, "version": 1, "status": "draft"}
    assert cli("publish", key, "1", "--as", "analyst")["status"] == "published"
    started = cli("start", key, "--data", json.dumps({"applicant": {"name": "张三"}}), "--as", starter)
    number = started["case_number"]
    assert number.startswith(f"T-{template}-") and cli("case", number)["status_code"] == 1

    steps = []
    for _ in range(12):  # every open step, by its group's clerk, with its form's main-path data
        open_tasks = cli("instance", str(started["instance"]))["open_tasks"]
        if not open_tasks:
            break
        for task in open_tasks:
            clerk = CLERKS[task["group"]]
            cli("claim", str(task["id"]), "--as", clerk)
            cli("complete", str(task["id"]), "--as", clerk, "--data", json.dumps(MAIN_PATH[task["form"]]))
            steps.append((task["title"], task["group"]))
    case = cli("case", number)
    assert (case["status_code"], case["status"]) == (11, "办结(通过)"), steps
    assert case["accepted_at"] and case["closed_at"] and case["result"]["approved"] is True
    assert ("收件审查", "frontdesk") in steps
    if template == "joint":  # the co-department lane was cloned: each department reviewed
        groups = {g for _, g in steps}
        assert {"renshe", "yibao", "minzheng"} <= groups
        assert case["promised_limit"] == 5
    if template == "proxy":
        assert steps[0] == ("代办员登记委托", "grid") and steps[-1][1] == "grid"


def test_a_new_item_names_its_process_lanes_and_catalog_after_the_answers(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'one.db'}", data_dir=tmp_path / "data")
    with OneWindow(settings) as ow:
        ow.upgrade()
        ow.load_demo_org()
        ow.new_item("getihu", template="承诺", name="个体工商户设立登记", code="SC-0001", lead="shichang",
                    statutory_days=15, promised_days=3, org="gaoqiao", item_type="行政许可",
                    materials=["个体工商户设立登记申请书", "经营者身份证明"], actor="analyst")  # fmt: skip
        version = ow.definition("getihu", 1)
        entry = version["catalog"]
        assert (entry["name"], entry["code"], entry["type"]) == ("个体工商户设立登记", "SC-0001", "行政许可")
        assert (entry["lead_department"], entry["implementing_body"]) == ("shichang", "高桥镇便民服务中心")
        assert (entry["limits"]["statutory_days"], entry["limits"]["promised_days"]) == (15, 3)
        assert [m["name"] for m in entry["materials"]] == ["个体工商户设立登记申请书", "经营者身份证明"]
        assert set(version["lanes"].values()) == {"frontdesk", "shichang", "delivery"}
        diagram = next(iter(version["files"].values()))
        assert 'id="getihu"' in diagram and 'name="个体工商户设立登记"' in diagram
        # the forms offer the item's own materials (一次性告知 lists what may be missing)
        missing = version["forms"]["notice.schema.json"]["properties"]["missing"]["items"]
        assert missing["enum"] == ["个体工商户设立登记申请书", "经营者身份证明"]
        assert (
            yaml.safe_load((REPO_ROOT / "templates" / "promised" / "item.yaml").read_text())["name"]
            == "承诺件模板"
        )


def test_bad_answers_are_refused_with_every_problem_and_store_nothing(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bad.db'}", data_dir=tmp_path / "data")
    with OneWindow(settings) as ow:
        ow.upgrade()
        ow.load_demo_org()
        with pytest.raises(InvalidInput) as refused:
            ow.new_item("getihu", template="promised", name="个体", code="SC 1", lead="nosuch", statutory_days=3,
                        promised_days=5)  # fmt: skip
        fields = {p.field for p in refused.value.problems}
        assert {"code", "lead_department", "limits.promised_days"} <= fields
        with pytest.raises(InvalidInput) as joint:
            ow.new_item("lianban", template="联办", name="联办", code="LB-1", lead="minzheng", statutory_days=20,
                        promised_days=10)  # fmt: skip
        assert [p.field for p in joint.value.problems] == ["co"]
        with pytest.raises(InvalidInput) as key:
            ow.new_item("1bad key", template="承诺", name="x", code="X-1", lead="minzheng", statutory_days=1,
                        promised_days=1, org="nowhere")  # fmt: skip
        assert {p.field for p in key.value.problems} == {"key", "org"}
        with pytest.raises(NotFound):
            ow.new_item(
                "x", template="nope", name="x", code="X-1", lead="minzheng", statutory_days=1, promised_days=1
            )
        assert ow.definitions() == []


def test_a_published_item_becomes_a_template_for_new_items(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'saved.db'}", data_dir=tmp_path / "data")
    with OneWindow(settings) as ow:
        ow.upgrade()
        ow.load_demo_org()
        ow.deploy(REPO_ROOT / "processes" / "hr_service_permit", publish=True)
        saved = ow.save_template("hr_service_permit", 1, "hr_like", "人社许可类模板", actor="analyst")
        assert (saved["source"], saved["based_on"], saved["local_class"]) == (
            "saved",
            "hr_service_permit v1",
            "承诺",
        )
        assert "hr_like" in [t["code"] for t in ow.item_templates()]
        made = ow.new_item("laowu", template="hr_like", name="劳务派遣经营许可", code="RS-0002", lead="renshe",
                           statutory_days=20, promised_days=5)  # fmt: skip
        assert (made["key"], made["status"]) == ("laowu", "draft")
        assert ow.definition("laowu", 1)["catalog"]["name"] == "劳务派遣经营许可"


def test_a_step_with_its_own_limit_is_due_that_many_working_days_after_it_opens(tmp_path):
    from datetime import datetime

    from orchestrator.core import clock, workdays
    from orchestrator.gov.deadlines import china_date, close_of

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'step.db'}", data_dir=tmp_path / "data")
    with OneWindow(settings) as ow:
        ow.upgrade()
        ow.load_demo_org()
        ow.new_item("buchong", template="承诺", name="补充测试", code="T-STEP", lead="minzheng", statutory_days=20,
                    promised_days=10)  # fmt: skip
        version = ow.definition("buchong", 1)
        [(file_name, xml)] = version["files"].items()
        marked = re.sub(
            r'<spiffworkflow:property name="caseStatus" value="8"\s*/>',
            '<spiffworkflow:property name="caseStatus" value="8"/><spiffworkflow:property name="stepDays" value="2"/>',
            xml,
        )
        assert marked != xml
        ow.deploy_edit({file_name: marked.encode()}, base=("buchong", 1), publish=True)
        with clock.travel(datetime(2026, 9, 30, 2)):  # 10:00 in Beijing, the day before the National Day week
            started = ow.start("buchong", {"applicant": "张三"}, actor="frontdesk")
            check = started["tasks"][0]
            ow.claim(check["id"], "frontdesk")
            review = ow.complete(check["id"], "frontdesk", MAIN_PATH["check.schema.json"])["tasks"][0]
            expected = close_of(workdays.package_calendar().due_date(china_date(clock.now()), 2).date)
        assert review["title"] == "审查" and review["due_at"] == expected.isoformat()
        assert (
            china_date(expected).isoformat() == "2026-10-09"
        )  # the National Day week is skipped: 10-08, 10-09
