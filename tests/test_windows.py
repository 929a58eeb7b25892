"""窗口: admins open a hall's numbered windows, a clerk sits at one (我的窗口), a case records the window it was
received at, and the statistics break down by window (the full name: hall + number + kind). Bad windows —
unknown, closed, another hall's, or given for a case applied for on the phone — are refused in Chinese and
store nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from conftest import BPMN_DIR
from sqlalchemy import select, text

from orchestrator.core import i18n
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput
from orchestrator.gov import stats
from orchestrator.gov.deadlines import china_date
from orchestrator.store.models import ServiceCase
from orchestrator.store.stats import SUMS, StatsAggregate

UNIT = BPMN_DIR / "case_lifecycle"
APPLICANT = {"applicant": {"name": "王小明"}}


@pytest.fixture
def h(harness):
    ow = harness.ow
    ow.add_org_unit("d", "示范区", "区县", actor="admin")
    ow.add_org_unit("t1", "高桥镇", "镇街", "d", actor="admin")
    ow.add_org_unit("t2", "集士港镇", "镇街", "d", actor="admin")
    ow.add_org_unit("t1-v", "新星村", "村社", "t1", actor="admin")
    ow.add_member("clerk", "frontdesk", "t1")
    ow.add_member("other", "frontdesk", "t2")
    ow.deploy(UNIT, publish=True)
    return harness


def _problems(call) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught, i18n.speaking("zh"):
        call()
    with i18n.speaking("zh"):
        return {p.field or "": str(p.message) for p in caught.value.problems}


def _window_of(h, number: str) -> int | None:
    with h.ow.store.transaction() as s:
        return s.scalar(select(ServiceCase.window_id).where(ServiceCase.case_number == number))


def _sums(h) -> set:
    cols = [StatsAggregate.__table__.c[c] for c in ("grain", "basis", "dim", "day", "scope", "key", *SUMS)]
    with h.ow.store.transaction() as s:
        return {tuple(r) for r in s.execute(select(*cols)) if any(r[6:])}


def test_admins_number_open_close_and_reopen_the_windows_of_a_hall(h):
    ow = h.ow
    three = ow.add_window("t1", 3, "综合窗口", actor="admin")
    assert three["name"] == "高桥镇便民服务中心 3号综合窗口" and three["open"]
    assert ow.add_window("d", 1, "综合窗口", actor="admin")["name"] == "示范区政务服务中心 1号综合窗口"
    assert _problems(lambda: ow.add_window("t1", 3, "出件窗口", actor="admin")) == {
        "number": "本大厅已有使用中的 3号窗口"
    }
    assert set(_problems(lambda: ow.add_window("nowhere", 0, "窗", actor="admin"))) == {
        "hall",
        "number",
        "kind",
    }
    assert set(_problems(lambda: ow.add_window("t1-v", 1, "综合窗口", actor="admin"))) == {
        "hall"
    }  # a village
    assert set(_problems(lambda: ow.add_window("t1", True, "综合窗口", actor="admin"))) == {"number"}
    assert [w["number"] for w in ow.windows("t1")] == [3]

    closed = ow.close_window(three["id"], actor="admin")
    assert not closed["open"] and closed["closed_at"]
    with pytest.raises(Conflict):
        ow.close_window(three["id"], actor="admin")
    delivery = ow.add_window("t1", 3, "出件窗口", actor="admin")  # the number is free again
    assert delivery["name"] == "高桥镇便民服务中心 3号出件窗口"
    with pytest.raises(Conflict):  # two open windows 3 in one hall
        ow.reopen_window(three["id"], actor="admin")
    ow.close_window(delivery["id"], actor="admin")
    assert ow.reopen_window(three["id"], actor="admin")["open"]
    assert [(w["number"], w["kind"], w["open"]) for w in ow.windows("t1", include_closed=True)] == [
        (3, "综合窗口", True),
        (3, "出件窗口", False),
    ]
    with ow.store.engine.connect() as conn:
        actions = conn.execute(
            text("SELECT action, actor FROM audit_event WHERE action LIKE 'window_%' ORDER BY id")
        ).all()
    assert [tuple(a) for a in actions] == [
        ("window_add", "admin"),
        ("window_add", "admin"),
        ("window_close", "admin"),
        ("window_add", "admin"),
        ("window_close", "admin"),
        ("window_reopen", "admin"),
    ]


def test_a_case_records_the_window_it_was_received_at_and_counts_by_window(h):
    ow = h.ow
    one = ow.add_window("t1", 1, "综合窗口", actor="admin")
    two = ow.add_window("t1", 2, "综合窗口", actor="admin")
    ow.add_window("t2", 1, "综合窗口", actor="admin")
    assert [w["id"] for w in ow.window_choices("clerk")] == [one["id"], two["id"]]
    assert ow.my_window("clerk") is None
    assert ow.choose_window("clerk", one["id"])["name"] == "高桥镇便民服务中心 1号综合窗口"
    assert ow.my_window("clerk")["id"] == one["id"]

    at_mine = ow.start("case_lifecycle", APPLICANT, actor="clerk")["case_number"]
    at_two = ow.start("case_lifecycle", APPLICANT, actor="clerk", window=two["id"])["case_number"]
    phoned = ow.start("case_lifecycle", {**APPLICANT, "channel": "掌上"}, actor="clerk")["case_number"]
    unseated = ow.start("case_lifecycle", APPLICANT, actor="other")["case_number"]
    assert [_window_of(h, n) for n in (at_mine, at_two, phoned, unseated)] == [
        one["id"],
        two["id"],
        None,
        None,
    ]

    today = china_date(now()).isoformat()
    with i18n.speaking("zh"):
        report = ow.stats("window", today, today)
    rows = {r["key"]: (r["name"], r["received"]) for r in report["rows"]}
    assert rows == {
        str(one["id"]): ("高桥镇便民服务中心 1号综合窗口", 1),
        str(two["id"]): ("高桥镇便民服务中心 2号综合窗口", 1),
        "": ("（无窗口：网上、掌上等）", 2),
    }
    assert report["total"]["received"] == 4
    town = ow.stats("window", today, today, org="t2")  # within a town: its own windows' cases
    assert [(r["key"], r["received"]) for r in town["rows"]] == [("", 1)]
    drilled = ow.stats_cases(today, today, by="window", key=str(two["id"]), figure="received")
    assert [c["case_number"] for c in drilled["cases"]] == [at_two]

    kept = _sums(h)
    with h.ow.store.transaction() as s:
        stats.recount(s)
    assert _sums(h) == kept  # the sums by window kept from the audit trail equal a recount

    ow.close_window(one["id"], actor="admin")  # the clerk stands up; the window's cases keep it
    assert ow.my_window("clerk") is None
    again = ow.start("case_lifecycle", APPLICANT, actor="clerk")["case_number"]
    assert _window_of(h, again) is None
    names = {r["key"]: r["name"] for r in ow.stats("window", today, today)["rows"]}
    assert names[str(one["id"])] == "高桥镇便民服务中心 1号综合窗口"


def test_bad_windows_are_refused_in_chinese_and_store_nothing(h):
    ow = h.ow
    mine = ow.add_window("t1", 1, "综合窗口", actor="admin")["id"]
    closed = ow.add_window("t1", 2, "综合窗口", actor="admin")["id"]
    ow.close_window(closed, actor="admin")
    elsewhere = ow.add_window("t2", 1, "综合窗口", actor="admin")["id"]
    before = h.row_counts()
    refused = {
        999_999: "没有窗口 999999",
        closed: "高桥镇便民服务中心 2号综合窗口已撤销，不能在此收件",
        elsewhere: "集士港镇便民服务中心 1号综合窗口不是您工作的大厅的窗口",
        "1": "window 须为窗口的编号（整数）",
    }
    for window, message in refused.items():
        got = _problems(lambda w=window: ow.start("case_lifecycle", APPLICANT, actor="clerk", window=w))
        assert got == {"window": message}
        assert _problems(lambda w=window: ow.choose_window("clerk", w)) == {"window": message}
    phoned = {**APPLICANT, "channel": "掌上"}
    assert _problems(lambda: ow.start("case_lifecycle", phoned, actor="clerk", window=mine)) == {
        "window": "掌上申请的办件没有收件窗口"
    }
    assert h.row_counts() == before  # no case, no instance, no audit event
    assert ow.my_window("clerk") is None


# -- the web app: 组织机构 › 窗口 (admins only), 我的窗口 on the 受理 pages, the API and the statistics -------


def _csrf(client, path: str) -> str:
    from webapp import csrf_of

    return csrf_of(client.get(path).get_data(as_text=True))


def test_only_admins_manage_windows_and_every_change_needs_the_csrf_token(site):
    for user in ("frontdesk", "supervisor", "analyst", "minzheng"):
        client = site.client(user)
        assert client.get("/windows/").status_code in (302, 403), user
        r = client.post(
            "/windows/gaoqiao",
            data={"csrf_token": _csrf(client, "/inbox/"), "number": "7", "kind": "综合窗口"},
        )
        assert r.status_code in (302, 403), user
    admin = site.client("admin")
    assert admin.post("/windows/gaoqiao", data={"number": "7", "kind": "综合窗口"}).status_code == 400
    assert not [w for w in site.ow.windows("gaoqiao", include_closed=True) if w["number"] == 7]

    page = admin.get("/windows/?hall=gaoqiao").get_data(as_text=True)
    assert "该大厅尚未设置窗口" in page or "window-" in page
    form = {"csrf_token": _csrf(admin, "/windows/"), "number": "7", "kind": "出件窗口"}
    assert admin.post("/windows/gaoqiao", data=form).status_code == 303
    seven = next(w for w in site.ow.windows("gaoqiao") if w["number"] == 7)
    assert "高桥镇便民服务中心 7号出件窗口" in admin.get("/windows/?hall=gaoqiao").get_data(as_text=True)
    again = admin.post("/windows/gaoqiao", data=form)
    assert again.status_code == 422 and "本大厅已有使用中的 7号窗口" in again.get_data(as_text=True)
    bad = admin.post("/windows/gaoqiao", data={**form, "number": "0"})
    assert bad.status_code == 422 and "1 到 999 的整数" in bad.get_data(as_text=True)
    assert (
        admin.post("/windows/gaoqiao-xinxing", data={**form, "number": "8"}).status_code == 404
    )  # a village
    page = admin.get("/windows/?hall=gaoqiao").get_data(as_text=True)
    assert "data-confirm" in page  # closing is confirmed
    r = admin.post(
        f"/windows/{seven['id']}/close", data={"csrf_token": _csrf(admin, "/windows/"), "hall": "gaoqiao"}
    )
    assert r.status_code == 303 and not [w for w in site.ow.windows("gaoqiao") if w["number"] == 7]


def test_the_front_desk_sits_at_a_window_and_the_api_records_it(site):
    one = next(w for w in site.ow.windows("gaoqiao") if w["number"] == 1)  # the demo's windows
    shut = site.ow.add_window("gaoqiao", 9, "综合窗口", actor="admin")
    site.ow.close_window(shut["id"], actor="admin")
    away = next(w for w in site.ow.windows("jishigang") if w["number"] == 1)
    assert site.ow.my_window("frontdesk")["id"] == one["id"]  # the demo seats the front desk there
    site.ow.choose_window("frontdesk", None)
    desk = site.client("frontdesk")
    page = desk.get("/accept/").get_data(as_text=True)
    assert "我的窗口" in page and "高桥镇便民服务中心 1号综合窗口" in page and "集士港镇" not in page
    r = desk.post(
        "/accept/my-window", data={"csrf_token": _csrf(desk, "/accept/"), "window": str(away["id"])}
    )
    assert r.status_code == 303 and site.ow.my_window("frontdesk") is None
    r = desk.post("/accept/my-window", data={"csrf_token": _csrf(desk, "/accept/"), "window": str(one["id"])})
    assert r.status_code == 303 and site.ow.my_window("frontdesk")["id"] == one["id"]
    assert "ow-my-window-name" in desk.get("/accept/general_approval").get_data(as_text=True)

    api = site.api("frontdesk")
    body = {"item": "general_approval", "data": {"applicant": "李四", "channel": "窗口"}}
    for window, message in (
        (999_999, "没有窗口 999999"),
        (shut["id"], "已撤销"),
        (away["id"], "不是您工作的大厅的窗口"),
    ):
        r = api.post("/api/v1/cases/", json={**body, "window": window})
        assert r.status_code == 422 and r.json["errors"][0]["field"] == "window", r.json
        assert message in r.json["errors"][0]["message"]
    assert api.post("/api/v1/cases/", json={**body, "window": "1"}).status_code == 422
    number = api.post("/api/v1/cases/", json=body).json["case_number"]  # 我的窗口
    with site.ow.store.transaction() as s:
        assert s.scalar(select(ServiceCase.window_id).where(ServiceCase.case_number == number)) == one["id"]
    assert site.ow.case(number)["window"] == "高桥镇便民服务中心 1号综合窗口"
    shown = desk.get(f"/cases/{number}").get_data(as_text=True)
    assert "收件窗口" in shown and "高桥镇便民服务中心 1号综合窗口" in shown
    schemas = api.get("/api/v1/_openapi").json["components"]["schemas"]
    assert "window" in schemas["StartCase"]["properties"]
    assert "window" in str(schemas["StatsQuery"])
    today = china_date(now()).isoformat()
    supervisor = site.api("supervisor")
    report = supervisor.get(f"/api/v1/stats/cases?by=window&from={today}&to={today}").json
    row = next(r for r in report["rows"] if r["key"] == str(one["id"]))
    assert row["name"] == "高桥镇便民服务中心 1号综合窗口" and row["received"] >= 1
    csv_text = supervisor.get(f"/api/v1/stats/cases.csv?by=window&from={today}&to={today}").data.decode(
        "utf-8-sig"
    )
    assert "高桥镇便民服务中心 1号综合窗口" in csv_text
    drilled = supervisor.get(
        f"/api/v1/stats/cases/list?from={today}&to={today}&by=window&key={one['id']}"
    ).json
    assert number in [c["case_number"] for c in drilled["cases"]]
    dashboard = (
        site.client("supervisor").get(f"/stats/?by=window&kind=day&date={today}").get_data(as_text=True)
    )
    assert "按窗口" in dashboard and "高桥镇便民服务中心 1号综合窗口" in dashboard


def test_migration_0018_counts_the_cases_counted_before_under_no_window_and_goes_back(h):
    from alembic import command

    from orchestrator.store.migrate import alembic_config

    ow = h.ow
    for channel in ("窗口", "掌上", "窗口"):
        ow.start("case_lifecycle", {**APPLICANT, "channel": channel}, actor="clerk")
    today = china_date(now()).isoformat()
    ow.stats("all", today, today)  # the sums as they were kept before windows

    def migrate(step, revision: str) -> None:
        cfg = alembic_config(ow.store.engine.url.render_as_string(hide_password=False))
        with ow.store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg, revision)

    migrate(command.downgrade, "0017")
    with ow.store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM stats_aggregate WHERE dim = 'window'")).scalar() == 0
    migrate(command.upgrade, "head")
    h.restart()
    kept = _sums(h)
    assert any(row[2] == "window" for row in kept)
    with h.ow.store.transaction() as s:
        stats.recount(s)
    assert _sums(h) == kept
    assert [(r["key"], r["received"]) for r in h.ow.stats("window", today, today)["rows"]] == [("", 3)]
