"""Each BPMN behaviour through the orchestrator, with a save and a fresh load (a restart) between steps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from orchestrator.core import clock
from orchestrator.core.errors import Conflict, NotAllowed, NotFound

ALL_GROUPS = ["frontdesk", "minzheng", "renshe", "yibao", "weijian", "gongan", "delivery", "command", "grid"]


@pytest.fixture
def h(harness):
    harness.members(clerk=ALL_GROUPS)
    return harness


def open_tasks(h, instance: int) -> list[str]:
    return sorted(t["name"] for t in h.ow.instance(instance)["open_tasks"])


def do(h, instance: int, name: str, data: dict | None = None, user: str = "clerk") -> dict:
    """Restart, then complete the open task `name` of the instance."""
    ow = h.restart()
    task = next(t for t in ow.instance(instance)["open_tasks"] if t["name"] == name)
    return ow.complete(task["id"], user, data or {})


def start(h, key: str, data: dict | None = None) -> int:
    h.deploy(key)
    return h.restart().start(key, data or {})["instance"]


def finished(h, instance: int) -> dict:
    detail = h.restart().instance(instance)
    assert detail["status"] == "completed" and detail["open_tasks"] == []
    return detail


@pytest.mark.parametrize(("amount", "branch"), [(5000, "Task_review_minzheng"), (100, "Task_review_renshe")])
def test_exclusive_gateway(h, amount, branch):
    i = start(h, "exclusive_gateway")
    do(h, i, "Task_accept", {"applicant": "张三", "amount": amount})
    assert open_tasks(h, i) == [branch]
    do(h, i, branch, {"approved": True})
    assert finished(h, i)["data"]["approved"] is True


def test_parallel_gateway_joins_all_branches(h):
    i = start(h, "parallel_gateway")
    do(h, i, "Task_accept", {"applicant": "李四"})
    assert open_tasks(h, i) == ["Task_gongan", "Task_weijian", "Task_yibao"]
    do(h, i, "Task_weijian", {"approved": True})
    do(h, i, "Task_yibao", {"approved": True})
    assert open_tasks(h, i) == ["Task_gongan"]  # the join waits for the last branch
    do(h, i, "Task_gongan", {"approved": True})
    assert open_tasks(h, i) == ["Task_deliver"]
    do(h, i, "Task_deliver", {"delivery_method": "窗口领取"})
    finished(h, i)


@pytest.mark.parametrize(
    ("needs", "expected"),
    [
        ({"need_a": True, "need_b": False, "need_c": True}, ["Task_a", "Task_c"]),
        ({"need_a": False, "need_b": False, "need_c": False}, ["Task_default"]),
    ],
)
def test_inclusive_gateway_takes_every_true_branch_or_the_default(h, needs, expected):
    i = start(h, "inclusive_gateway")
    do(h, i, "Task_accept", {"applicant": "王五", **needs})
    assert open_tasks(h, i) == expected
    for name in expected:
        do(h, i, name, {"approved": True})
    finished(h, i)


def test_interrupting_boundary_timer_cancels_the_task(h):
    i = start(h, "boundary_timer_interrupting")
    do(h, i, "Task_accept", {"applicant": "赵六"})
    review = h.ow.instance(i)["open_tasks"][0]
    with clock.travel(clock.now() + timedelta(hours=1, seconds=1)):
        ow = h.restart()
        assert [o["kind"] for o in ow.run_due_jobs()] == ["timer"]
    assert open_tasks(h, i) == ["Task_timeout"]
    with pytest.raises(Conflict, match="no longer open"):
        h.restart().complete(review["id"], "clerk", {"approved": True})
    do(h, i, "Task_timeout", {"approved": False})
    finished(h, i)


def test_non_interrupting_boundary_timer_leaves_the_task_open(h):
    i = start(h, "boundary_timer_noninterrupting")
    with clock.travel(clock.now() + timedelta(hours=1, seconds=1)):
        assert [o["status"] for o in h.restart().run_due_jobs()] == ["done"]
    assert open_tasks(h, i) == ["Task_review"]
    do(h, i, "Task_review", {"approved": True})
    detail = finished(h, i)
    assert detail["data"]["approved"] is True


@pytest.mark.parametrize("key", ["intermediate_timer", "bare_iso_timer"])
def test_intermediate_timer_waits_then_continues(h, key):
    i = start(h, key)
    do(h, i, "Task_accept", {"applicant": "钱七"})
    assert open_tasks(h, i) == []
    assert h.restart().run_due_jobs() == []  # not yet due
    with clock.travel(clock.now() + timedelta(hours=2, seconds=1)):
        h.restart().run_due_jobs()
    assert open_tasks(h, i) == ["Task_review"]
    do(h, i, "Task_review", {"approved": True})
    finished(h, i)


def test_timer_start_event_starts_the_process_when_due(h):
    h.deploy("timer_start")  # publishing creates an instance waiting on its start timer
    instances = h.ow.definitions()[0]["running_instances"]
    assert instances == 1
    assert h.restart().tasks("clerk") == []
    with clock.travel(clock.now() + timedelta(minutes=1, seconds=1)):
        h.restart().run_due_jobs()
    inbox = h.restart().tasks("clerk")
    assert [t["name"] for t in inbox] == ["Task_review"]
    assert h.ow.instance(inbox[0]["instance"])["data"]["started_by_timer"] is True


def test_message_catch_is_delivered_by_correlation(h):
    h.deploy("message_correlation")
    first = h.ow.start("message_correlation", {})["instance"]
    second = h.ow.start("message_correlation", {})["instance"]
    do(h, first, "Task_accept", {"applicant": "甲", "order_id": "A-1"})
    do(h, second, "Task_accept", {"applicant": "乙", "order_id": "B-2"})
    ow = h.restart()
    with pytest.raises(NotFound):
        ow.send_message("payment_received", {"order_id": "C-3", "paid_amount": 10})
    ow.send_message("payment_received", {"order_id": "B-2", "paid_amount": 88})
    assert open_tasks(h, first) == []
    assert open_tasks(h, second) == ["Task_review"]
    do(h, second, "Task_review", {"approved": True})
    detail = finished(h, second)
    assert "88" in str(detail["data"])  # the message payload reached the process
    with pytest.raises(NotFound):  # the second instance no longer waits
        h.restart().send_message("payment_received", {"order_id": "B-2", "paid_amount": 1})


def test_call_activity_runs_the_called_process(h):
    i = start(h, "call_activity")
    do(h, i, "Task_accept", {"applicant": "孙八", "amount": 10})
    assert open_tasks(h, i) == ["Task_review"]  # the called process's task, in the minzheng lane
    assert h.ow.instance(i)["open_tasks"][0]["group"] == "minzheng"
    do(h, i, "Task_review", {"approved": True, "opinion": "同意"})
    assert open_tasks(h, i) == ["Task_deliver"]
    do(h, i, "Task_deliver", {"delivery_method": "邮寄"})
    data = finished(h, i)["data"]
    assert data["applicant"] == "孙八" and data["approved"] is True


def test_sequential_multi_instance_one_after_another(h):
    i = start(h, "multi_instance_sequential")
    do(h, i, "Task_accept", {"applicant": "周九", "reviewers": ["a", "b", "c"]})
    for n in range(3):
        assert open_tasks(h, i) == ["Task_review"]
        do(h, i, "Task_review", {"approved": True, "opinion": f"意见{n}"})
    assert len(finished(h, i)["data"]["opinions"]) == 3


def test_parallel_multi_instance_all_at_once(h):
    i = start(h, "multi_instance_parallel")
    do(h, i, "Task_accept", {"applicant": "吴十", "reviewers": ["a", "b", "c"]})
    assert open_tasks(h, i) == ["Task_review"] * 3
    for n in range(3):
        do(h, i, "Task_review", {"approved": True, "opinion": f"意见{n}"})
    assert len(finished(h, i)["data"]["opinions"]) == 3


@pytest.mark.parametrize(("amount", "path"), [(5000, "Task_special"), (10, "Task_deliver")])
def test_error_boundary_event(h, amount, path):
    i = start(h, "error_boundary")
    do(h, i, "Task_accept", {"applicant": "郑一", "amount": amount})
    assert open_tasks(h, i) == [path]


def test_lanes_become_candidate_groups_by_code_or_display_name(h):
    h.members(front=["frontdesk"], mz=["minzheng"], out=["delivery"])
    i = start(h, "lanes")
    groups = []
    for name, user, data in [
        ("Task_accept", "front", {"applicant": "冯二"}),
        ("Task_review", "mz", {"approved": True}),
        ("Task_recheck", "mz", {"approved": True}),
        ("Task_deliver", "out", {"delivery_method": "窗口领取"}),
    ]:
        task = h.ow.instance(i)["open_tasks"][0]
        groups.append(task["group"])
        assert [t["id"] for t in h.restart().tasks(user)] == [task["id"]]
        outsider = "front" if user != "front" else "out"
        assert h.ow.tasks(outsider) == []
        with pytest.raises(NotAllowed):
            h.ow.complete(task["id"], outsider, data)
        do(h, i, name, data, user=user)
    assert groups == ["frontdesk", "minzheng", "minzheng", "delivery"]  # "民政" resolves to minzheng
    finished(h, i)


def test_claim_unclaim_and_audit_trail(h):
    h.members(a=["frontdesk"], b=["frontdesk"])
    i = start(h, "exclusive_gateway")
    task = h.ow.instance(i)["open_tasks"][0]
    h.ow.claim(task["id"], "a")
    with pytest.raises(Conflict, match="claimed by a"):
        h.ow.claim(task["id"], "b")
    with pytest.raises(Conflict, match="claimed by a"):
        h.ow.complete(task["id"], "b", {"applicant": "x"})
    with pytest.raises(NotAllowed):
        h.ow.unclaim(task["id"], "b")
    h.ow.unclaim(task["id"], "a")
    h.ow.claim(task["id"], "b")
    h.ow.complete(task["id"], "b", {"applicant": "x", "amount": 1}, opinion="材料齐全")
    history = h.ow.instance(i)["history"]
    assert [(e["action"], e["actor"]) for e in history] == [
        ("start", None),
        ("claim", "a"),
        ("unclaim", "a"),
        ("claim", "b"),
        ("complete", "b"),
    ]
    done = history[-1]
    assert done["opinion"] == "材料齐全" and done["after"] == {"applicant": "x", "amount": 1}
    assert done["before"] == {"applicant": None, "amount": None}


def test_business_key_is_unique_per_process(h):
    h.deploy("exclusive_gateway")
    h.ow.start("exclusive_gateway", {}, business_key="2026-0001")
    before = h.row_counts()
    with pytest.raises(Conflict, match="already exists"):
        h.ow.start("exclusive_gateway", {}, business_key="2026-0001")
    assert h.row_counts() == before


def test_state_is_stored_without_spec_and_survives_restart(h):
    i = start(h, "parallel_gateway")
    with h.ow.store.engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM process_instance WHERE id = :i"), {"i": i}).scalar_one()
    assert '"spec"' not in state
    do(h, i, "Task_accept", {"applicant": "陈三"})
    assert len(open_tasks(h, i)) == 3
