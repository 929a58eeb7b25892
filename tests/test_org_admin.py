"""An admin manages departments (groups) and org units in the core: create, rename, move and close, each
change audited, each refusal made with every reason and nothing stored; a moved unit takes its members,
cases and steps along. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from orchestrator.core import i18n
from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import Conflict, InvalidInput, NotFound
from orchestrator.service import DEMO_ORG

GENERAL = REPO_ROOT / "processes" / "general_approval"


@pytest.fixture
def hall(harness):
    """The demo org with clerks in both towns; `org_group` is seeded by migrations and kept between
    PostgreSQL tests, so the groups are put back as they were afterwards."""
    ow = harness.ow
    engine = ow.store.engine
    with engine.connect() as conn:
        seeded = conn.execute(text("SELECT code, name, closed_at FROM org_group")).all()
    for code, name, level, parent in DEMO_ORG:
        ow.add_org_unit(code, name, level, parent)
    for user, group, org in (
        ("fd_gq", "frontdesk", "gaoqiao"),
        ("fd_jsg", "frontdesk", "jishigang"),
        ("mz_gq", "minzheng", "gaoqiao"),
        ("mz_jsg", "minzheng", "jishigang"),
        ("grid_wc", "minzheng", "jishigang-wangchun"),
    ):
        ow.add_member(user, group, org)
    yield harness
    codes = [row.code for row in seeded]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM group_member"))
        for row in seeded:
            conn.execute(
                text("UPDATE org_group SET name = :name, closed_at = :closed_at WHERE code = :code"),
                {"code": row.code, "name": row.name, "closed_at": row.closed_at},
            )
        conn.execute(
            text("DELETE FROM org_group WHERE code NOT IN (" + ", ".join(f"'{c}'" for c in codes) + ")")
        )


def audit(ow, *actions: str) -> list[tuple]:
    with ow.store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action, actor, data_before, data_after FROM audit_event ORDER BY id")
        ).all()
    data = lambda v: json.loads(v) if isinstance(v, str) else v  # noqa: E731  (SQLite: text; PostgreSQL: JSON)
    return [(r[0], r[1], data(r[2]), data(r[3])) for r in rows if not actions or r.action in actions]


def state(ow) -> tuple:
    """Everything a refused change must leave as it was."""
    with ow.store.engine.connect() as conn:
        return tuple(
            conn.execute(text(sql)).all()
            for sql in (
                "SELECT code, name, closed_at FROM org_group ORDER BY code",
                "SELECT code, name, parent_code, path, closed_at FROM org_unit ORDER BY code",
                "SELECT username, group_code, org_path FROM group_member ORDER BY username, group_code",
                "SELECT id, org_path FROM process_instance ORDER BY id",
                "SELECT id, org_path FROM human_task ORDER BY id",
                "SELECT count(*) FROM audit_event",
            )
        )


def instance_version(ow, instance_id: int) -> int:
    with ow.store.engine.connect() as conn:
        query = text("SELECT version FROM process_instance WHERE id = :id")
        return conn.execute(query, {"id": instance_id}).scalar_one()


def zh(exc: Exception) -> str:
    with i18n.speaking("zh"):
        return str(exc)


# -- departments ---------------------------------------------------------------------------------


def test_an_admin_creates_renames_and_closes_a_department(hall):
    ow = hall.ow
    created = ow.create_group("shuiwu", "税务", actor="boss")
    assert created == {"code": "shuiwu", "name": "税务", "closed_at": None}
    assert "shuiwu" in {g["code"] for g in ow.groups()}
    ow.add_member("sw1", "shuiwu", "gaoqiao", actor="boss")
    renamed = ow.rename_group("shuiwu", "税务局", actor="boss")
    assert renamed["name"] == "税务局"
    ow.remove_member("sw1", "shuiwu", actor="boss")
    closed = ow.close_group("shuiwu", actor="boss")
    assert closed["closed_at"] is not None
    assert "shuiwu" not in {g["code"] for g in ow.groups()}  # pickers list open groups only
    listed = {g["code"]: g for g in ow.groups(include_closed=True)}
    assert listed["shuiwu"]["closed_at"] == closed["closed_at"] and listed["shuiwu"]["name"] == "税务局"
    events = audit(ow, "create_group", "rename_group", "close_group")
    assert [(a, actor) for a, actor, _b, _a in events] == [
        ("create_group", "boss"),
        ("rename_group", "boss"),
        ("close_group", "boss"),
    ]
    assert events[1][2]["name"] == "税务" and events[1][3]["name"] == "税务局"
    assert events[2][2]["closed_at"] is None and events[2][3]["closed_at"] == closed["closed_at"]

    with pytest.raises(InvalidInput) as refused:  # a closed group takes no new members
        ow.add_member("sw2", "shuiwu", "gaoqiao", actor="boss")
    assert refused.value.problems[0].field == "group" and "已停用" in zh(refused.value)
    with pytest.raises(Conflict):
        ow.rename_group("shuiwu", "别名", actor="boss")
    with pytest.raises(Conflict):
        ow.close_group("shuiwu", actor="boss")
    assert ow.reopen_group("shuiwu", actor="boss")["closed_at"] is None
    assert "shuiwu" in {g["code"] for g in ow.groups()}


def test_a_bad_or_duplicate_department_is_refused_with_every_problem_and_nothing_stored(hall):
    ow = hall.ow
    before = state(ow)
    with pytest.raises(InvalidInput) as refused:
        ow.create_group("minzheng", "民政", actor="boss")  # both taken
    assert {p.field for p in refused.value.problems} == {"code", "name"}
    assert "已存在" in zh(refused.value) and "已被用户组“minzheng”使用" in zh(refused.value)
    for code, name, field in (
        ("ShuiWu", "税务", "code"),
        ("1shuiwu", "税务", "code"),
        ("shui-wu", "税务", "code"),
        ("", "税务", "code"),
        ("s" * 65, "税务", "code"),
        ("shuiwu", "  ", "name"),
        ("shuiwu", "税" * 201, "name"),
    ):
        with pytest.raises(InvalidInput) as refused:
            ow.create_group(code, name, actor="boss")
        assert [p.field for p in refused.value.problems] == [field], (code, name)
    with pytest.raises(InvalidInput) as refused:
        ow.rename_group("renshe", "民政", actor="boss")
    assert refused.value.problems[0].field == "name"
    for call in (
        lambda: ow.rename_group("nosuch", "某部门"),
        lambda: ow.close_group("nosuch"),
        lambda: ow.reopen_group("nosuch"),
    ):
        with pytest.raises(NotFound):
            call()
    assert state(ow) == before


def test_a_department_with_open_work_or_a_published_lane_cannot_be_closed(hall):
    ow = hall.ow
    ow.deploy(GENERAL, publish=True)  # lanes: frontdesk, minzheng, delivery; lead department minzheng
    before = state(ow)
    with pytest.raises(Conflict) as refused:
        ow.close_group("minzheng", actor="boss")
    assert "不能停用用户组“民政”" in zh(refused.value) and "general_approval" in zh(refused.value)
    assert state(ow) == before

    started = ow.start("general_approval", {"applicant": "张三"}, actor="fd_gq")
    ow.set_status("general_approval", 1, "retired")  # no published version names it any more …
    before = state(ow)
    with pytest.raises(Conflict) as refused:
        ow.close_group("frontdesk", actor="boss")  # … but its task is open and the case runs on
    message = zh(refused.value)
    assert "还有 1 件未办结的任务" in message and "1 个运行中的流程实例" in message
    assert "general_approval" not in message
    assert state(ow) == before
    with i18n.speaking("en"):
        assert "1 open tasks are offered to it" in str(refused.value)

    ow.withdraw(started["case_number"], "张三")  # the case ends: nothing holds the group any more
    assert ow.close_group("frontdesk", actor="boss")["closed_at"]


def test_a_closed_department_is_no_lane_of_a_new_version_nor_of_a_published_one(hall):
    ow = hall.ow
    (draft,) = ow.deploy(GENERAL, publish=False)
    ow.close_group("delivery", actor="boss")  # a draft alone does not hold a group
    with pytest.raises(InvalidInput) as refused:
        ow.set_status("general_approval", draft["version"], "published", run_tests=False)
    assert "group 'delivery' is closed" in str(refused.value)
    assert ow.definition("general_approval", draft["version"])["status"] == "draft"
    with pytest.raises(InvalidInput) as refused:
        ow.deploy(GENERAL, publish=False)  # its lanes name a group that is not open
    assert "delivery" in str(refused.value)
    ow.reopen_group("delivery", actor="boss")
    ow.set_status("general_approval", draft["version"], "published", run_tests=False)


# -- org units -----------------------------------------------------------------------------------


def units(ow, include_closed=False) -> dict[str, dict]:
    return {u["code"]: u for u in ow.org_units(include_closed=include_closed)}


def test_an_admin_renames_a_unit_and_the_change_is_audited(hall):
    ow = hall.ow
    assert ow.rename_org_unit("jishigang-wangchun", " 望春社区 ", actor="boss")["name"] == "望春社区"
    assert units(ow)["jishigang-wangchun"]["path"] == "/shifanqu/jishigang/jishigang-wangchun/"
    ((_, actor, before, after),) = audit(ow, "rename_org_unit")
    assert actor == "boss" and before["name"] == "望春村" and after["name"] == "望春社区"
    with pytest.raises(InvalidInput) as refused:
        ow.rename_org_unit("jishigang-wangchun", "", actor="boss")
    assert refused.value.problems[0].field == "name"
    with pytest.raises(NotFound):
        ow.rename_org_unit("atlantis", "亚特兰蒂斯")


def test_a_moved_village_takes_its_grids_members_cases_and_steps_along(hall):
    ow = hall.ow
    ow.add_org_unit("jishigang-wangchun-1", "望春村第一网格", "网格", "jishigang-wangchun")
    ow.deploy(GENERAL, publish=True)
    started = ow.start("general_approval", {"applicant": "王五"}, actor="fd_jsg", org="jishigang-wangchun")
    accept = started["tasks"][0]
    assert accept["id"] in [t["id"] for t in ow.tasks("fd_jsg", view="group")]
    assert accept["id"] not in [t["id"] for t in ow.tasks("fd_gq", view="group")]
    version = lambda: instance_version(ow, started["instance"])  # noqa: E731
    before = version()
    moved = ow.move_org_unit("jishigang-wangchun", "gaoqiao", actor="boss")
    assert moved["parent"] == "gaoqiao" and moved["path"] == "/shifanqu/gaoqiao/jishigang-wangchun/"
    tree = units(ow)
    assert (
        tree["jishigang-wangchun-1"]["path"] == "/shifanqu/gaoqiao/jishigang-wangchun/jishigang-wangchun-1/"
    )
    assert version() == before  # a running step keeps its optimistic lock: the move is no engine step
    assert tree["jishigang-wangchun-1"]["depth"] == 3 and tree["jishigang-shanxia"]["parent"] == "jishigang"
    assert ("minzheng", "/shifanqu/gaoqiao/jishigang-wangchun/") in ow.memberships("grid_wc")
    assert ow.memberships("mz_jsg") == [("minzheng", "/shifanqu/jishigang/")]  # not below the unit: kept
    # the case now belongs to 高桥镇: its front desk has the step, 集士港镇's no longer does
    assert accept["id"] in [t["id"] for t in ow.tasks("fd_gq", view="group")]
    assert accept["id"] not in [t["id"] for t in ow.tasks("fd_jsg", view="group")]
    ow.claim(accept["id"], "fd_gq")
    done = ow.complete(accept["id"], "fd_gq", {"applicant": "王五", "accepted": True})
    (review,) = [t for t in done["tasks"] if t["name"] == "Task_review"]
    assert review["id"] in [t["id"] for t in ow.tasks("grid_wc", view="group")]  # the village's 民政
    assert review["id"] in [t["id"] for t in ow.tasks("mz_gq", view="group")]  # and its new town's
    assert review["id"] not in [t["id"] for t in ow.tasks("mz_jsg", view="group")]
    with hall.ow.store.engine.connect() as conn:
        paths = conn.execute(
            text(f"SELECT DISTINCT org_path FROM human_task WHERE instance_id = {started['instance']}")
        ).all()
    assert paths == [("/shifanqu/gaoqiao/jishigang-wangchun/",)]

    ((_, actor, before, after),) = audit(ow, "move_org_unit")
    assert actor == "boss" and before["parent"] == "jishigang" and after["parent"] == "gaoqiao"
    assert after["moved"] == {"units": 2, "instances": 1, "tasks": 1, "members": 1}


def test_a_move_that_breaks_the_tree_is_refused_and_nothing_changes(hall):
    ow = hall.ow
    ow.add_org_unit("beiqu", "北区", "区县")
    before = state(ow)
    for code, parent, says in (
        ("gaoqiao", "gaoqiao-xinxing", "不能迁移到自身或其下级单位之下"),  # a cycle
        ("gaoqiao", "gaoqiao", "不能迁移到自身或其下级单位之下"),
        ("gaoqiao-xinxing", "shifanqu", "村社只能隶属于镇街"),  # a village under the district
        ("gaoqiao-xinxing", "jishigang-wangchun", "村社只能隶属于镇街"),  # under another village
        ("gaoqiao-xinxing", None, "村社只能隶属于镇街"),  # at the top
        ("jishigang", "gaoqiao", "镇街只能隶属于区县"),
        ("shifanqu", "gaoqiao", "不能迁移到自身或其下级单位之下"),
        ("shifanqu", "beiqu", "区县没有上级单位"),
        ("gaoqiao-xinxing-1", "jishigang", "网格只能隶属于村社"),
        ("gaoqiao-xinxing", "atlantis", "atlantis"),
    ):
        with pytest.raises(InvalidInput) as refused:
            ow.move_org_unit(code, parent, actor="boss")
        assert refused.value.problems[0].field == "parent"
        assert says in zh(refused.value), (code, parent, zh(refused.value))
    with pytest.raises(NotFound):
        ow.move_org_unit("atlantis", "gaoqiao")
    assert (
        ow.move_org_unit("gaoqiao-xinxing", "gaoqiao", actor="boss")["path"]
        == "/shifanqu/gaoqiao/gaoqiao-xinxing/"
    )
    assert state(ow) == before  # the last one was where it already is: nothing to do, nothing audited


def test_a_unit_with_open_cases_members_or_open_units_below_cannot_be_closed(hall):
    ow = hall.ow
    ow.deploy(GENERAL, publish=True)
    started = ow.start("general_approval", {"applicant": "赵六"}, actor="fd_jsg", org="jishigang-wangchun")
    before = state(ow)
    with pytest.raises(Conflict) as refused:
        ow.close_org_unit("jishigang-wangchun", actor="boss")
    message = zh(refused.value)
    assert "不能撤销组织机构“望春村”" in message
    assert "还有 1 件未办结的办件" in message and "1 名成员" in message
    with pytest.raises(Conflict) as refused:
        ow.close_org_unit("jishigang", actor="boss")  # the case is below the town too
    message = zh(refused.value)
    assert (
        "1 件未办结的办件" in message and "jishigang-shanxia" in message and "jishigang-wangchun" in message
    )
    assert state(ow) == before

    ow.withdraw(started["case_number"], "赵六")
    ow.remove_member("grid_wc", "minzheng", actor="boss")
    closed = ow.close_org_unit("jishigang-wangchun", actor="boss")
    assert closed["closed_at"]
    assert "jishigang-wangchun" not in units(ow) and units(ow, True)["jishigang-wangchun"]["closed_at"]
    ((_, actor, before_close, after_close),) = audit(ow, "close_org_unit")
    assert actor == "boss" and before_close["closed_at"] is None and after_close["closed_at"]

    # a closed unit takes nothing new: no members, no cases, no units below, no moves, no renames
    with pytest.raises(InvalidInput) as refused:
        ow.add_member("grid_wc", "minzheng", "jishigang-wangchun")
    assert refused.value.problems[0].field == "org" and "已撤销" in zh(refused.value)
    with pytest.raises(InvalidInput):
        ow.start("general_approval", {"applicant": "钱七"}, actor="fd_jsg", org="jishigang-wangchun")
    with pytest.raises(InvalidInput) as refused:
        ow.add_org_unit("jishigang-wangchun-1", "网格", "网格", "jishigang-wangchun")
    assert refused.value.problems[0].field == "parent"
    with pytest.raises(InvalidInput):
        ow.move_org_unit("gaoqiao-xinxing-1", "jishigang-wangchun")
    for call in (
        lambda: ow.move_org_unit("jishigang-wangchun", "gaoqiao"),
        lambda: ow.rename_org_unit("jishigang-wangchun", "x"),
        lambda: ow.close_org_unit("jishigang-wangchun"),
    ):
        with pytest.raises(Conflict):
            call()
    assert ow.reopen_org_unit("jishigang-wangchun", actor="boss")["closed_at"] is None
    assert "jishigang-wangchun" in units(ow)


# -- accounts ------------------------------------------------------------------------------------


def test_account_changes_are_audited_and_never_hold_a_secret(hall):
    ow = hall.ow
    ow.record_account_change("admin", "yibao", "disable", {"active": True}, {"active": False})
    ow.record_account_change("admin", "yibao", "password", None, {"password_changed": True})
    assert audit(ow, "account_disabled", "account_password_reset") == [
        (
            "account_disabled",
            "admin",
            {"username": "yibao", "active": True},
            {"username": "yibao", "active": False},
        ),
        ("account_password_reset", "admin", None, {"username": "yibao", "password_changed": True}),
    ]
    before = state(ow)
    with pytest.raises(InvalidInput):
        ow.record_account_change("admin", "yibao", "explode", {}, {})
    with pytest.raises(InvalidInput):
        ow.record_account_change("admin", "yibao", "password", None, {"password": "hunter2"})
    with pytest.raises(InvalidInput):
        ow.record_account_change("admin", "", "disable", None, {"active": False})
    assert state(ow) == before
