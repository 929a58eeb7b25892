"""The clerk's inbox, the task page and the front desk's generic acceptance (无差别受理), through the Flask test
client on a demo site: what a clerk sees in each tab, what each button does, and what is refused."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from webapp import csrf_of

from admin.commands import add_user
from orchestrator.core import clock

PERSON = {"name": "王小明", "id_number": "330203199001011234", "phone": "13800000000"}
GENERAL_MATERIALS = ["申请表", "居民身份证"]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def start(site, key: str = "general_approval", name: str = "王小明", **extra) -> dict:
    """A case started by the front desk, as the acceptance page starts it."""
    data = {"applicant": {**PERSON, "name": name}, "channel": "窗口", "materials_received": GENERAL_MATERIALS}
    data = {k: v for k, v in (data | extra).items() if v is not None}
    return site.ow.start(key, data, actor="frontdesk")


def page(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


def rows(html: str) -> list[str]:
    """Case numbers of the inbox rows, in order."""
    return re.findall(r'<tr data-task="\d+" data-case="([^"]*)"', html)


def post(client, url: str, data: dict, *, from_url: str | None = None, **kw):
    token = csrf_of(page(client, from_url or url))
    return client.post(url, data={"csrf_token": token, **data}, content_type="multipart/form-data", **kw)


def accepted(client, response) -> str:
    """The case number the acceptance page flashed."""
    assert response.status_code == 302, response.get_data(as_text=True)
    html = page(client, response.headers["Location"])
    return re.search(r"class='ow-case-number'>([^<]+)<", html).group(1)


def counts(site) -> tuple[int, int]:
    with site.ow.store.engine.connect() as conn:
        return tuple(
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in ("process_instance", "service_case")
        )


def first_task(started: dict) -> int:
    return started["tasks"][0]["id"]


@pytest.fixture(scope="module")
def frontdesk(site):
    return site.client("frontdesk")


# -- the inbox ------------------------------------------------------------------------------------------------


def test_tabs_show_the_right_rows_and_claiming_moves_a_task_to_todo(site, frontdesk):
    started = start(site, name="赵一")
    number, task_id = started["case_number"], first_task(started)
    group = page(frontdesk, "/inbox/?view=group")
    assert number in rows(group)
    row = group[group.index(f'data-case="{number}"') :].split("</tr>")[0]
    assert f'href="/cases/{number}"' in row and "一窗受理通用审批" in row and "赵一" in row and "受理" in row
    assert "签收" in row and f'href="/inbox/task/{task_id}"' in row
    assert number not in rows(page(frontdesk, "/inbox/?view=todo"))
    assert number in rows(page(frontdesk, "/inbox/?view=started"))

    r = post(
        frontdesk,
        f"/inbox/task/{task_id}",
        {"action": "claim", "next": "/inbox/?view=todo"},
        from_url="/inbox/?view=group",
    )
    assert (r.status_code, r.headers["Location"]) == (302, "/inbox/?view=todo")
    todo = page(frontdesk, "/inbox/?view=todo")
    assert number in rows(todo) and "已签收" in todo
    assert number not in rows(page(frontdesk, "/inbox/?view=group"))
    assert site.ow.task(task_id, "frontdesk")["assignee"] == "frontdesk"


def test_the_group_tab_is_paged_on_the_server_twenty_a_page(site, frontdesk):
    numbers = [
        start(site, "medical_insurance_enrollment", name=f"参保人{i}")["case_number"] for i in range(25)
    ]
    first = page(frontdesk, "/inbox/?view=group&item=medical_insurance_enrollment&sort=created")
    assert rows(first) == numbers[:20]
    assert 'rel="next"' in first and 'rel="prev"' not in first
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "page=2" in link and "item=medical_insurance_enrollment" in link
    second = page(frontdesk, link)
    assert rows(second) == numbers[20:]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "第 2 页" in second


def test_the_item_filter_lists_published_items_and_filters_rows(site, frontdesk):
    mine = start(site, "hr_service_permit", name="宁波甬才人力资源有限公司")["case_number"]
    other = start(site, name="钱二")["case_number"]
    html = page(frontdesk, "/inbox/?view=group&item=hr_service_permit")
    assert mine in rows(html) and other not in rows(html)
    assert re.search(r'<option value="hr_service_permit" selected>人力资源服务许可', html)
    assert '<option value="general_approval"' in html


def test_done_tab_after_completing_and_the_next_group_gets_the_case(site, frontdesk):
    started = start(site, name="孙三")
    task_id, number = first_task(started), started["case_number"]
    url = f"/inbox/task/{task_id}"
    html = page(frontdesk, url)
    assert (
        'value="王小明"' not in html and 'value="孙三"' in html
    )  # the accept form starts with the applicant
    r = post(
        frontdesk,
        url,
        {"action": "complete", "f.applicant": "孙三", "f.accepted": "true", "opinion": "材料齐全"},
    )
    assert (r.status_code, r.headers.get("Location")) == (302, "/inbox/"), re.findall(
        r"(?:ow-error|alert-danger)[^>]*>([^<]*)", r.get_data(as_text=True)
    )
    done = page(frontdesk, "/inbox/?view=done")
    assert number in rows(done) and "办理完成" in done and "下一环节：审核" in done
    assert site.ow.task(task_id, "frontdesk")["opinion"] == "材料齐全"
    minzheng = site.client("minzheng")
    assert number in rows(page(minzheng, "/inbox/?view=group"))
    closed = page(frontdesk, url)  # the 已办 link: read-only, no buttons
    assert "此环节已结束" in closed and 'name="action"' not in closed


def test_bad_form_data_is_shown_inline_and_the_task_stays_open(site, frontdesk):
    task_id = first_task(start(site, name="李四"))
    url = f"/inbox/task/{task_id}"
    r = post(
        frontdesk,
        url,
        {"action": "complete", "f.applicant": "李四", "f.id_number": "12345", "opinion": "<i>看</i>"},
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    id_group = html[html.index('data-path="id_number"') :].split('<div class="form-group')[0]
    accepted_group = html[html.index('data-path="accepted"') :].split('<div class="form-group')[0]
    assert "ow-error" in id_group and 'value="12345"' in id_group  # the message under the field, input kept
    assert "是否受理（accepted）为必填项" in accepted_group  # the core's messages: Chinese by default
    assert "&lt;i&gt;看&lt;/i&gt;</textarea>" in html  # the opinion is kept (escaped)
    assert site.ow.task(task_id, "frontdesk")["state"] == "open"


def test_reject_needs_a_reason_then_refuses_the_application(site, frontdesk):
    started = start(site, name="周五")
    url = f"/inbox/task/{first_task(started)}"
    r = post(frontdesk, url, {"action": "reject", "opinion": "  "})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    opinion_group = html[html.index('data-path="opinion"') :].split("</div>")[0]
    assert (
        "has-error" in html[html.index('data-path="opinion"') - 60 :]
        and "请在“意见”中填写理由" in opinion_group
    )
    assert site.ow.task(first_task(started), "frontdesk")["state"] == "open"
    r = post(frontdesk, url, {"action": "reject", "f.applicant": "周五", "opinion": "不属于本事项受理范围"})
    assert r.status_code == 302
    case = site.ow.case(started["case_number"])
    assert (case["status_code"], case["steps"][0]["opinion"]) == (5, "不属于本事项受理范围")


def test_supplement_offers_the_one_time_notice_and_its_pdf_link(site, frontdesk):
    started = start(site, "hr_service_permit", name="宁波某人力资源公司", materials_received=None)
    task_id = first_task(started)
    url = f"/inbox/task/{task_id}"
    html = page(frontdesk, url)
    assert 'value="supplement"' in html and "退回申请人补正" in html
    r = post(frontdesk, url, {"action": "supplement", "opinion": "营业执照已过期，请补交"})
    assert r.status_code == 302
    notice = site.ow.tasks("frontdesk", view="group", item="hr_service_permit")
    notice_id = next(t["id"] for t in notice if t["case_number"] == started["case_number"])
    assert site.ow.task(notice_id, "frontdesk")["name"] == "Task_notice"
    r = post(
        frontdesk,
        f"/inbox/task/{notice_id}",
        {"action": "complete", "f.missing": ["营业执照"], "f.notice": "请补交"},
    )
    assert r.status_code == 302
    resubmit = next(
        t["id"]
        for t in site.ow.tasks("frontdesk", view="group", item="hr_service_permit")
        if t["case_number"] == started["case_number"]
    )
    html = page(frontdesk, f"/inbox/task/{resubmit}")
    assert f"/cases/{started['case_number']}/documents/one_time_notice.pdf" in html


def test_a_step_without_a_materials_list_gets_the_checklist_with_uploads(site, frontdesk):
    started = start(site, name="吴六", materials_received=["申请表"])
    url = f"/inbox/task/{first_task(started)}"
    html = page(frontdesk, url)
    assert 'class="table table-condensed table-bordered ow-materials"' in html
    assert 'value="申请表" checked' in html and 'value="居民身份证" aria-label' in html
    accept = {"action": "complete", "f.applicant": "吴六", "f.accepted": "true", "m.present": "1"}
    accept |= {"m.received": ["申请表"]}
    r = post(frontdesk, url, accept)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "缺少必要材料（居民身份证）" in html  # 必要, not received
    assert 'value="申请表" checked' in html and site.ow.case(started["case_number"])["status_code"] == 1
    r = post(frontdesk, url, accept | {"m.file.1": (io.BytesIO(PDF), "身份证.pdf")})
    assert r.status_code == 302
    files = site.ow.attachments_of(started["instance"])
    assert [(f["material"], f["file_name"], f["instance"]) for f in files] == [
        ("居民身份证", "身份证.pdf", started["instance"])
    ]
    assert site.ow.case(started["case_number"])["status_code"] == 3  # 已受理
    task_page = page(frontdesk, url)
    assert f'href="/inbox/attachment/{files[0]["id"]}"' in task_page
    r = frontdesk.get(f"/inbox/attachment/{files[0]['id']}")
    assert (r.status_code, r.mimetype, r.data) == (200, "application/pdf", PDF)
    assert site.client("renshe").get(f"/inbox/attachment/{files[0]['id']}").status_code == 403


def test_a_form_with_its_own_received_list_records_materials_received(site, frontdesk):
    started = start(site, "medical_insurance_enrollment", name="蒋七", materials_received=["居民身份证"])
    url = f"/inbox/task/{first_task(started)}"
    html = page(frontdesk, url)
    assert 'class="table table-condensed table-bordered ow-materials"' not in html  # the form lists them
    assert 'name="f.received" value="居民身份证" checked' in html
    assert 'name="f.received" value="居民户口簿">' in html
    accept = {"action": "complete", "f.eligible": "true", "f.complete": "true", "f.received": ["居民身份证"]}
    r = post(frontdesk, url, accept)
    html = r.get_data(as_text=True)
    received = html[html.index('data-path="received"') :].split('<div class="form-group')[0]
    assert r.status_code == 422 and "居民户口簿" in received and "ow-error" in received
    r = post(frontdesk, url, accept | {"f.received": ["居民身份证", "居民户口簿"]})
    assert r.status_code == 302
    assert site.ow.case(started["case_number"])["status_code"] == 3  # 已受理: on to 医保


def test_overdue_and_urged_steps_are_marked_in_the_inbox(site, frontdesk):
    with clock.travel(datetime.now(UTC) - timedelta(days=30)):
        started = start(site, name="沈八")
        site.ow.complete(first_task(started), "frontdesk", {"applicant": "沈八", "accepted": True})
    review = site.ow.instance(started["instance"])["open_tasks"][0]["id"]
    r = post(
        frontdesk,
        f"/inbox/task/{review}",
        {"action": "urge", "next": "/inbox/?view=started"},
        from_url="/inbox/",
    )
    assert (r.status_code, r.headers["Location"]) == (302, "/inbox/?view=started")
    html = page(site.client("minzheng"), "/inbox/?view=group")
    row = html[html.index(f'data-case="{started["case_number"]}"') :].split("</tr>")[0]
    assert "ow-warning-red" in row and "已超期" in row and "ow-urged-mark" in row
    task_page = page(site.client("minzheng"), f"/inbox/task/{review}")
    left = task_page[task_page.index('id="ow-time-left"') :].split("</span>")[0]
    assert (
        "已超期" in left and "ow-warning-red" in task_page[task_page.index('id="ow-time-left"') - 60 :][:80]
    )


# -- who may do what ------------------------------------------------------------------------------------------


def test_another_department_gets_403_for_a_front_desk_task(site):
    task_id = first_task(start(site, name="郑七"))
    minzheng = site.client("minzheng")
    r = minzheng.get(f"/inbox/task/{task_id}")
    assert (
        r.status_code == 403
        and "无权访问" in r.get_data(as_text=True)
        and "郑七" not in r.get_data(as_text=True)
    )
    token = csrf_of(page(minzheng, "/inbox/"))
    for action in ("complete", "claim"):
        r = minzheng.post(
            f"/inbox/task/{task_id}", data={"csrf_token": token, "action": action, "f.accepted": "true"}
        )
        assert r.status_code == 403
    assert site.ow.task(task_id, "frontdesk")["state"] == "open"
    assert minzheng.get("/accept/").status_code != 200  # a back office does not accept applications


def test_two_clerks_of_one_group_submit_the_same_task_one_wins(site, frontdesk):
    site.ow.add_member("fd2", "frontdesk", "gaoqiao")
    add_user(site.settings, "fd2", "FrontDesk", "Window-2026-second", app=site.app)
    other = site.client("fd2", "Window-2026-second")
    task_id = first_task(start(site, name="冯八"))
    url = f"/inbox/task/{task_id}"
    mine, theirs = csrf_of(page(frontdesk, url)), csrf_of(page(other, url))  # both have the page open
    form = {"action": "complete", "f.applicant": "冯八", "f.accepted": "true"}
    first = frontdesk.post(url, data={"csrf_token": mine, **form})
    second = other.post(url, data={"csrf_token": theirs, **form}, follow_redirects=True)
    assert first.status_code == 302
    assert second.status_code == 200 and second.request.path == "/inbox/"
    assert "该任务已被他人处理" in second.get_data(as_text=True)
    assert site.ow.task(task_id, "frontdesk")["completed_by"] == "frontdesk"
    # a claim lost to a colleague reads the same way
    task_id = first_task(start(site, name="陈九"))
    assert post(other, f"/inbox/task/{task_id}", {"action": "claim"}, from_url="/inbox/").status_code == 302
    r = post(
        frontdesk, f"/inbox/task/{task_id}", {"action": "claim"}, from_url="/inbox/", follow_redirects=True
    )
    assert r.status_code == 200 and "该任务已被他人处理" in r.get_data(as_text=True)


def test_script_in_case_data_is_shown_escaped(site, frontdesk):
    evil = "<script>alert('x')</script>"
    started = start(site, name=evil)
    site.ow.claim(first_task(started), "frontdesk")
    for html in (
        page(frontdesk, "/inbox/?view=todo"),
        page(frontdesk, f"/inbox/task/{first_task(started)}"),
    ):
        assert evil not in html
        assert "&lt;script&gt;alert(" in html


def test_posts_without_the_csrf_token_are_refused(site, frontdesk):
    task_id = first_task(start(site, name="褚十"))
    assert frontdesk.post(f"/inbox/task/{task_id}", data={"action": "claim"}).status_code == 400
    before = counts(site)
    r = frontdesk.post("/accept/general_approval", data={"a.applicant.name": "褚十", "a.channel": "窗口"})
    assert r.status_code == 400 and counts(site) == before
    assert site.ow.task(task_id, "frontdesk")["state"] == "open"


# -- 无差别受理 -------------------------------------------------------------------------------------------------

APPLY = {
    "a.applicant.name": "卫十一",
    "a.applicant.id_number": "33020319900101123X",
    "a.applicant.phone": "13900000000",
    "a.channel": "窗口",
}


def test_accept_lists_published_items_with_their_catalog_names(site, frontdesk):
    html = page(frontdesk, "/accept/")
    for name, key in (("人力资源服务许可", "hr_service_permit"), ("一窗受理通用审批", "general_approval")):
        assert name in html and f'href="/accept/{key}"' in html
    form = page(frontdesk, "/accept/hr_service_permit")
    assert "营业执照" in form and "经营场所使用证明" in form and 'name="m.file.5"' in form
    assert 'name="a.proxy.name"' not in form  # hr_service_permit takes no proxy
    assert '<option value="网上"' in form
    assert 'name="a.proxy.name"' in page(frontdesk, "/accept/general_approval")
    assert frontdesk.get("/accept/no_such_item").status_code == 404


def test_accept_starts_the_case_with_its_uploads_and_opens_the_first_step(site, frontdesk):
    data = APPLY | {"m.received": ["申请表"], "m.file.1": (io.BytesIO(PDF), "身份证.pdf")}
    r = post(frontdesk, "/accept/general_approval", data)
    assert r.status_code == 302 and r.headers["Location"].startswith("/inbox/task/")
    html = page(frontdesk, r.headers["Location"])
    number = re.search(r"class='ow-case-number'>([^<]+)<", html).group(1)
    assert f"/cases/{number}/documents/receipt.pdf" in html and "卫十一" in html
    assert 'value="卫十一"' in html  # the check step's form starts from what was accepted
    case = site.ow.case(number)
    assert case["applicant"] == {"name": "卫十一", "id_number": "33020319900101123X", "phone": "13900000000"}
    assert case["channel"] == "窗口" and case["status_code"] == 1
    files = site.ow.attachments_of(case["instance"])
    assert [(f["material"], f["file_name"]) for f in files] == [("居民身份证", "身份证.pdf")]
    data = site.ow.instance(case["instance"])["data"]
    assert data["materials_received"] == GENERAL_MATERIALS  # ticked + uploaded, in catalog order


def test_accept_by_a_proxy_records_the_proxy(site, frontdesk):
    data = APPLY | {"a.proxy.name": "代办员甲", "a.channel": "代办"} | {"m.received": GENERAL_MATERIALS}
    number = accepted(frontdesk, post(frontdesk, "/accept/general_approval", data))
    assert (site.ow.case(number)["proxy"], site.ow.case(number)["channel"]) == ({"name": "代办员甲"}, "代办")


def test_accept_form_errors_are_inline_and_nothing_starts(site, frontdesk):
    before = counts(site)
    r = post(
        frontdesk, "/accept/general_approval", APPLY | {"a.applicant.name": "", "a.applicant.id_number": "1"}
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and counts(site) == before
    assert "请填写姓名/名称" in html and "证件号码格式不正确" in html
    assert 'value="13900000000"' in html  # what the clerk typed is kept


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "不允许的文件类型"),
        ("big.pdf", PDF + b"\x00" * (10 * 1024 * 1024), "超过 10 MB 的上限"),
    ],
)
def test_refused_uploads_show_a_message_and_start_nothing(site, frontdesk, name, content, message):
    before = counts(site)
    r = post(
        frontdesk,
        "/accept/general_approval",
        APPLY | {"m.received": GENERAL_MATERIALS, "m.file.0": (io.BytesIO(content), name)},
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and message in html and "申请表" in html and "未生成办件" in html
    assert counts(site) == before


def test_a_grid_proxy_accepts_and_lands_on_the_case_page(site):
    grid = site.client("grid")
    r = post(grid, "/accept/general_approval", APPLY | {"m.received": GENERAL_MATERIALS})
    assert r.status_code == 302 and r.headers["Location"].startswith("/cases/")
    number = r.headers["Location"].rsplit("/", 1)[1]
    assert site.ow.case(number)["status"] == "已接件"
    group = site.ow.tasks("frontdesk", view="group", item="general_approval", limit=200)
    assert number in [t["case_number"] for t in group]  # the town's front desk checks it


def test_the_pages_speak_english_when_asked(site):
    client = site.client("frontdesk")
    client.get("/lang/en")
    assert "My inbox" in page(client, "/inbox/") and "Group queue" in page(client, "/inbox/")
    assert "Step 1: choose the service item" in page(client, "/accept/")
