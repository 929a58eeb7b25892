"""What a clerk can do to a task, and where: org units scope the inbox; 驳回, 退回, 转办, 评论, 催办 and
uploads behave as a clerk expects on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest

from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import Conflict, InvalidInput, NotAllowed
from orchestrator.service import DEMO_ORG

GENERAL = REPO_ROOT / "processes" / "general_approval"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def hall(harness):
    """The demo org; front desks and 民政 clerks in two towns and one for the whole district."""
    ow = harness.ow
    for code, name, level, parent in DEMO_ORG:
        ow.add_org_unit(code, name, level, parent)
    for user, group, org in (
        ("fd_gq", "frontdesk", "gaoqiao"),
        ("fd_gq2", "frontdesk", "gaoqiao"),
        ("fd_jsg", "frontdesk", "jishigang"),
        ("mz_gq", "minzheng", "gaoqiao"),
        ("mz_jsg", "minzheng", "jishigang"),
        ("mz_all", "minzheng", "shifanqu"),
        ("rs_gq", "renshe", "gaoqiao"),
    ):
        ow.add_member(user, group, org)
    ow.deploy(GENERAL, publish=True)
    return harness


def _accepted(ow, starter="fd_gq", name="张三") -> tuple[dict, dict]:
    """A general_approval case accepted at the front desk; returns (start result, review task)."""
    started = ow.start("general_approval", {"applicant": name}, actor=starter)
    accept = started["tasks"][0]
    ow.claim(accept["id"], starter)
    done = ow.complete(accept["id"], starter, {"applicant": name, "accepted": True})
    (review,) = [t for t in done["tasks"] if t["name"] == "Task_review"]
    return started, review


def test_a_case_belongs_to_the_town_that_received_it(hall):
    ow = hall.ow
    _, review = _accepted(ow)
    ids = lambda user: [t["id"] for t in ow.tasks(user, view="group")]  # noqa: E731
    assert review["id"] in ids("mz_gq")
    assert review["id"] in ids("mz_all")  # the district sees its towns
    assert review["id"] not in ids("mz_jsg")  # another town's 民政 does not
    assert review["id"] not in ids("rs_gq")  # nor another department
    for stranger in ("mz_jsg", "rs_gq"):
        with pytest.raises(NotAllowed):
            ow.claim(review["id"], stranger)
        with pytest.raises(NotAllowed):
            ow.task(review["id"], stranger)
        with pytest.raises(NotAllowed):
            ow.instance(review["instance"], stranger, see_all=False)
    assert ow.task(review["id"], "mz_gq")["actions"][:1] == ["claim"]
    started_elsewhere = ow.start("general_approval", {"applicant": "李四"}, actor="fd_jsg")
    assert started_elsewhere["tasks"][0]["id"] not in [t["id"] for t in ow.tasks("fd_gq", view="group")]


def test_inbox_views_follow_the_clerk(hall):
    ow = hall.ow
    started, review = _accepted(ow)
    assert [t["id"] for t in ow.tasks("mz_gq", view="todo")] == []
    ow.claim(review["id"], "mz_gq")
    (todo,) = ow.tasks("mz_gq", view="todo")
    assert (todo["id"], todo["case_number"], todo["applicant"]) == (
        review["id"],
        started["case_number"],
        "张三",
    )
    assert todo["item"] and todo["days_left"] is not None
    assert [t["id"] for t in ow.tasks("mz_gq", view="mine")] == [review["id"]]
    assert [t["name"] for t in ow.tasks("fd_gq", view="done")] == ["Task_accept"]
    assert [t["id"] for t in ow.tasks("fd_gq", view="started")] == [review["id"]]
    assert ow.tasks("fd_gq2", view="started") == []
    with pytest.raises(InvalidInput):
        ow.tasks("mz_gq", view="everything")


def test_reject_needs_a_reason_and_takes_the_no_path(hall):
    ow = hall.ow
    started, review = _accepted(ow)
    ow.claim(review["id"], "mz_gq")
    before = hall.row_counts()
    with pytest.raises(InvalidInput) as refused:
        ow.reject(review["id"], "mz_gq", "  ")
    assert refused.value.problems[0].field == "opinion"
    assert hall.row_counts() == before
    ow.reject(review["id"], "mz_gq", "材料不实")
    done = ow.tasks("mz_gq", view="done")[0]
    assert (done["action"], done["opinion"]) == ("不通过", "材料不实")
    history = ow.instance(review["instance"])["history"]
    assert any(e["action"] == "reject" and e["opinion"] == "材料不实" for e in history)
    assert ow.case(started["case_number"])["status_code"] == 13  # 不予许可
    with pytest.raises(InvalidInput):  # general_approval declares no 补正 path on its review step
        _, other = _accepted(ow, name="王五")
        ow.supplement(other["id"], "mz_gq", "缺材料")


def test_send_back_offers_the_previous_step_again(hall):
    ow = hall.ow
    _, review = _accepted(ow)
    assert "send_back" in ow.task(review["id"], "mz_gq")["actions"]
    with pytest.raises(InvalidInput):
        ow.send_back(review["id"], "mz_gq", "")
    back = ow.send_back(review["id"], "mz_gq", "身份证号有误，请核实")
    (accept_again,) = back["tasks"]
    assert (accept_again["name"], accept_again["group"]) == ("Task_accept", "frontdesk")
    assert accept_again["id"] in [t["id"] for t in ow.tasks("fd_gq", view="group")]
    assert review["id"] not in [t["id"] for t in ow.tasks("mz_gq")]
    assert ow.tasks("mz_gq", view="done")[0]["action"] == "退回"
    ow.claim(accept_again["id"], "fd_gq")
    again = ow.complete(accept_again["id"], "fd_gq", {"applicant": "张三", "accepted": True})
    assert [t["name"] for t in again["tasks"]] == ["Task_review"]
    with pytest.raises(InvalidInput):  # nothing before the first step
        ow.send_back(
            ow.start("general_approval", {"applicant": "赵六"}, actor="fd_gq")["tasks"][0]["id"], "fd_gq", "x"
        )


def test_transfer_comment_and_urge(hall):
    ow = hall.ow
    started, review = _accepted(ow)
    ow.claim(review["id"], "mz_gq")
    with pytest.raises(InvalidInput):
        ow.transfer(review["id"], "mz_gq", "rs_gq")  # not in the task's group
    with pytest.raises(InvalidInput):
        ow.transfer(review["id"], "mz_gq", "mz_jsg")  # in the group, but another town
    ow.transfer(review["id"], "mz_gq", "mz_all", "请区里审核")
    assert [t["id"] for t in ow.tasks("mz_all", view="todo")] == [review["id"]]
    with pytest.raises(Conflict):
        ow.complete(review["id"], "mz_gq", {"approved": True})  # no longer theirs
    ow.comment(review["id"], "mz_all", "已电话核实")
    with pytest.raises(NotAllowed):
        ow.comment(review["id"], "rs_gq", "路过")
    with pytest.raises(NotAllowed):
        ow.urge(review["id"], "rs_gq")
    ow.urge(review["id"], "fd_gq", "申请人来电催问")  # the starter may urge
    (row,) = ow.tasks("mz_all", view="todo")
    assert row["urged_at"] is not None
    actions = [e["action"] for e in ow.instance(review["instance"])["history"]]
    assert {"transfer", "comment", "urge"} <= set(actions)


def test_uploads_are_checked_and_stored_once(hall, tmp_path):
    ow = hall.ow
    first = ow.upload(io.BytesIO(PDF), "身份证.pdf", material="身份证", actor="fd_gq")
    second = ow.upload(io.BytesIO(PDF), "copy.pdf", actor="fd_gq")
    import hashlib

    assert first["sha256"] == second["sha256"] == hashlib.sha256(PDF).hexdigest()
    files = list((hall.ow.settings.data_dir / "attachments").rglob("*"))
    assert len([f for f in files if f.is_file()]) == 1
    with pytest.raises(NotAllowed):
        ow.attachment(first["id"], "mz_gq")  # not linked to a case they may see yet
    started = ow.start("general_approval", {"applicant": "张三"}, actor="fd_gq", attachment_ids=[first["id"]])
    assert [a["id"] for a in ow.attachments_of(started["instance"])] == [first["id"]]
    summary, path = ow.attachment(first["id"], "fd_gq")
    assert path.read_bytes() == PDF and summary["material"] == "身份证"
    for name, body in (
        ("virus.exe", b"MZ..."),
        ("fake.pdf", b"\x89PNG\r\n\x1a\n...."),
        ("empty.pdf", b""),
        ("big.pdf", b"%PDF-" + b"0" * (ow.settings.max_material_bytes + 1)),
    ):
        with pytest.raises(InvalidInput):
            ow.upload(io.BytesIO(body), name, actor="fd_gq")
    left = [f for f in (hall.ow.settings.data_dir / "attachments").rglob("*") if f.is_file()]
    assert len(left) == 1  # refused uploads leave nothing behind


def test_org_units_refuse_a_bad_tree(hall):
    ow = hall.ow
    before = hall.row_counts()
    for args in (
        ("x", "某村", "村社", "shifanqu"),  # a village directly under a district
        ("Bad_Code", "某镇", "镇街", "shifanqu"),
        ("y", "某镇", "镇街", "nowhere"),
        ("z", "", "镇街", "shifanqu"),
    ):
        with pytest.raises(InvalidInput):
            ow.add_org_unit(*args)
    assert hall.row_counts() == before
    assert [u["code"] for u in ow.org_units()][:2] == ["shifanqu", "gaoqiao"]


def test_only_your_own_waiting_uploads_join_a_case(hall):
    ow = hall.ow
    theirs = ow.upload(io.BytesIO(PDF), "a.pdf", actor="fd_gq2")
    before = hall.row_counts()
    with pytest.raises(InvalidInput):
        ow.start("general_approval", {"applicant": "张三"}, actor="fd_gq", attachment_ids=[theirs["id"]])
    with pytest.raises(InvalidInput):
        ow.start("general_approval", {"applicant": "张三"}, actor="fd_gq", attachment_ids=[999999])
    assert hall.row_counts() == before  # the refused start stored nothing


def test_an_urge_is_sent_by_a_job_and_a_closed_case_gets_its_notice_printed(hall):
    ow = hall.ow
    started, review = _accepted(ow)
    ow.urge(review["id"], "fd_gq", "申请人来电")  # unclaimed: every 民政 clerk who may take it
    ow.run_due_jobs()
    notified = [e for e in ow.instance(review["instance"])["history"] if e["action"] == "notified"]
    assert sorted(e["after"]["to"] for e in notified) == ["mz_all", "mz_gq"]  # not 集士港镇's clerk
    assert "申请人来电" in notified[0]["after"]["text"]
    ow.claim(review["id"], "mz_gq")
    done = ow.complete(review["id"], "mz_gq", {"approved": True})
    (deliver,) = done["tasks"]
    ow.add_member("fd_gq", "delivery", "gaoqiao")  # the front desk also hands out results
    ow.claim(deliver["id"], "fd_gq")
    ow.complete(deliver["id"], "fd_gq", {"delivery": "窗口领取"})
    assert ow.case(started["case_number"])["status_code"] == 11
    folder = ow.settings.data_dir / "documents" / started["case_number"]
    assert not folder.exists()  # printed by a worker, not in the clerk's step
    ow.run_due_jobs()
    (pdf,) = folder.glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
