"""网上申报, 我的办件 and 进度查询 through the portal's pages: a case opens with channel 网上 and status 1 and
reaches the front desk's 待签收 as 网上预审; 补正 asked online, supplemented online; 撤件; 好差评; nobody sees
another citizen's case; the anonymous progress query shows no personal data and cannot be enumerated."""

from __future__ import annotations

import io

import pytest
from portal_helpers import HR, PDF, apply, case_number, new_phone, register, roomy_limits, token
from sqlalchemy import func, select

from orchestrator.store.models import ServiceCase


@pytest.fixture(autouse=True)
def _limits(site):
    roomy_limits(site)


def cases(site) -> int:
    with site.ow.store.transaction() as s:
        return s.scalar(select(func.count(ServiceCase.id)))


def check_task(site, number: str) -> dict:
    rows = [t for t in site.ow.tasks("frontdesk", view="group") if t["case_number"] == number]
    assert rows, f"no 网上预审 of {number} in the front desk's 待签收"
    return rows[0]


def test_applying_online_opens_a_case_for_the_front_desks_online_check(site):
    phone = new_phone()
    citizen = register(site, phone)
    number = case_number(apply(citizen))
    case = site.ow.case(number)
    assert case["channel"] == "网上" and case["status_code"] == 1
    assert case["applicant"]["name"] == "张三"
    task = check_task(site, number)
    assert task["name"] == "网上预审" or "网上预审" in str(task)
    page = citizen.get(f"/portal/cases/{number}").get_data(as_text=True)
    assert "已提交，等待窗口预审" in page and "材料0.pdf" in page and "高桥镇新星村 1 号" in page
    assert number in citizen.get("/portal/cases").get_data(as_text=True)
    assert "等待网上预审" in citizen.get("/portal/account").get_data(as_text=True)  # 站内信
    assert any("等待网上预审" in m["text"] for m in site.ow.sms_outbox(phone))


@pytest.mark.parametrize(
    "change, files, message",
    [
        ({}, 0, "请至少上传一份申请材料"),
        ({"address": ""}, 1, "收件地址"),
        ({"hall": "nowhere"}, 1, "请选择办理大厅"),
        ({"delivery": "drone"}, 1, "领取方式"),
        ({"f.contact_phone": "12"}, 1, "手机号"),
    ],
)
def test_a_bad_application_is_refused_in_chinese_and_opens_no_case(site, change, files, message):
    citizen = register(site, new_phone(), name="赵六")
    before = cases(site)
    r = apply(citizen, files=files, **change)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert cases(site) == before


def test_a_non_pdf_upload_is_refused(site):
    citizen = register(site, new_phone())
    before = cases(site)
    form = {
        "csrf_token": token(citizen, f"/portal/items/{HR}/apply"),
        "f.contact_phone": "13900000011",
        "hall": "gaoqiao",
        "delivery": "window",
        "m.file.0": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.pdf"),
    }
    r = citizen.post(f"/portal/items/{HR}/apply", data=form, content_type="multipart/form-data")
    assert r.status_code == 422 and cases(site) == before


def test_applying_needs_a_login(site):
    r = site.app.test_client().get(f"/portal/items/{HR}/apply")
    assert r.status_code == 302 and "/portal/login" in r.headers["Location"]


def test_a_citizen_never_sees_or_touches_another_citizens_case(site):
    owner = register(site, new_phone())
    number = case_number(apply(owner))
    other = register(site, new_phone(), id_number="110101199003074514", name="李四")
    csrf = token(other, "/portal/account")
    assert other.get(f"/portal/cases/{number}").status_code == 404
    assert other.get(f"/portal/cases/{number}/documents/receipt").status_code == 404
    for action in ("withdraw", "evaluation", "supplement"):
        assert (
            other.post(
                f"/portal/cases/{number}/{action}", data={"csrf_token": csrf, "level": "5"}
            ).status_code
            == 404
        )
    assert number not in other.get("/portal/cases").get_data(as_text=True)
    assert site.ow.case(number)["status_code"] == 1  # untouched
    # and the owner still sees it, with its receipt
    assert owner.get(f"/portal/cases/{number}/documents/receipt").status_code == 200


def test_withdrawing_before_acceptance(site):
    citizen = register(site, new_phone())
    number = case_number(apply(citizen))
    r = citizen.post(
        f"/portal/cases/{number}/withdraw", data={"csrf_token": token(citizen, "/portal/account")}
    )
    assert r.status_code == 302
    assert site.ow.case(number)["status_code"] == 2
    assert not [t for t in site.ow.tasks("frontdesk", view="group") if t["case_number"] == number]


def test_supplement_asked_online_is_answered_online_and_the_case_goes_on(site):
    citizen = register(site, new_phone())
    number = case_number(apply(citizen))
    task = check_task(site, number)
    site.ow.claim(task["id"], "frontdesk")
    site.ow.supplement(task["id"], "frontdesk", "缺少专职工作人员名单及学历证明")
    notice = [t for t in site.ow.tasks("frontdesk", view="group") if t["case_number"] == number][0]
    site.ow.claim(notice["id"], "frontdesk")
    site.ow.complete(
        notice["id"],
        "frontdesk",
        {"missing": ["专职工作人员名单及学历证明"], "notice": "请补交专职工作人员名单及学历证明"},
    )
    assert site.ow.case(number)["status_code"] == 6
    page = citizen.get(f"/portal/cases/{number}").get_data(as_text=True)
    assert "请补正材料" in page and "专职工作人员名单及学历证明" in page
    assert "需要补正材料" in citizen.get("/portal/account").get_data(as_text=True)
    csrf = token(citizen, "/portal/account")
    r = citizen.post(
        f"/portal/cases/{number}/supplement",
        data={
            "csrf_token": csrf,
            "material": "专职工作人员名单及学历证明",
            "file": (io.BytesIO(PDF), "名单.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    assert "名单.pdf" in citizen.get(f"/portal/cases/{number}").get_data(as_text=True)
    # withdrawing is still allowed while a 补正 is asked; once accepted it is not
    resubmit = [t for t in site.ow.tasks("frontdesk", view="group") if t["case_number"] == number][0]
    site.ow.claim(resubmit["id"], "frontdesk")
    site.ow.complete(resubmit["id"], "frontdesk", {"supplied": ["专职工作人员名单及学历证明"]})
    again = check_task(site, number)
    site.ow.claim(again["id"], "frontdesk")
    site.ow.complete(again["id"], "frontdesk", {"eligible": True, "complete": True, "opinion": "予以受理"})
    assert site.ow.case(number)["status_code"] == 3
    r = citizen.post(f"/portal/cases/{number}/withdraw", data={"csrf_token": csrf})
    assert site.ow.case(number)["status_code"] == 3
    assert "不能在网上撤件" in citizen.get(f"/portal/cases/{number}").get_data(as_text=True)


def test_a_refusal_shows_its_reason_to_the_citizen(site):
    citizen = register(site, new_phone())
    number = case_number(apply(citizen))
    task = check_task(site, number)
    site.ow.claim(task["id"], "frontdesk")
    site.ow.complete(task["id"], "frontdesk", {"eligible": False, "refuse_reason": "申请人不具备经营场所"})
    assert site.ow.case(number)["status_code"] == 5
    page = citizen.get(f"/portal/cases/{number}").get_data(as_text=True)
    assert "不予受理理由" in page and "申请人不具备经营场所" in page


def test_the_progress_query_needs_the_id_tail_and_shows_no_personal_data(site):
    phone = new_phone()
    citizen = register(site, phone)
    number = case_number(apply(citizen))
    anyone = site.app.test_client()
    r = anyone.get(f"/portal/progress?case={number}&tail=31002X")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "已提交，等待窗口预审" in html and "网上预审" in html
    assert "张三" not in html and "11010519491231002X" not in html and phone not in html
    wrong = anyone.get(f"/portal/progress?case={number}&tail=123456")
    missing = anyone.get("/portal/progress?case=XK-RS-0001-20990101-999999&tail=31002X")
    assert wrong.status_code == missing.status_code == 404
    body = lambda r: r.get_data(as_text=True).replace(number, "N").replace("XK-RS-0001-20990101-999999", "N")  # noqa: E731
    assert body(wrong) == body(missing)


def test_the_progress_query_is_rate_limited(site):
    site.app.config["ONEWINDOW_PORTAL_LIMIT_PROGRESS"] = "2 per minute"
    try:
        anyone = site.app.test_client()
        codes = [anyone.get("/portal/progress?case=X&tail=123456").status_code for _ in range(3)]
    finally:
        roomy_limits(site)
    assert codes == [404, 404, 429]


def test_errors_are_portal_pages_in_chinese_and_store_nothing(site):
    citizen = register(site, new_phone())
    r = citizen.get("/portal/cases/NO-SUCH-CASE")
    assert (
        r.status_code == 404
        and "没有找到" in r.get_data(as_text=True)
        and "portal.css" in r.get_data(as_text=True)
    )
    before = cases(site)
    huge = io.BytesIO(b"%PDF-1.4\n" + b"0" * (site.app.config["MAX_CONTENT_LENGTH"] + 10))
    r = citizen.post(
        f"/portal/items/{HR}/apply",
        data={"csrf_token": token(citizen, "/portal/account"), "m.file.0": (huge, "big.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413 and "文件太大" in r.get_data(as_text=True)
    r = citizen.post(f"/portal/items/{HR}/apply", data={"csrf_token": "stale"})
    assert r.status_code == 400 and "页面已过期" in r.get_data(as_text=True)
    assert cases(site) == before


def test_a_company_case_is_seen_by_the_companys_people_only(site):
    company = {"company_name": "示范人力公司", "credit_code": "91110000600037341L"}
    agent = register(site, new_phone(), **company)
    number = case_number(apply(agent, for_company="1"))
    case = site.ow.case(number)
    assert (
        case["applicant"]["name"] == "示范人力公司" and case["applicant"]["id_number"] == "91110000600037341L"
    )
    colleague = register(site, new_phone(), id_number="110101199003074514", name="李四", **company)
    assert colleague.get(f"/portal/cases/{number}").status_code == 200
    stranger = register(site, new_phone(), id_number="110101199003074514", name="王五")
    assert stranger.get(f"/portal/cases/{number}").status_code == 404
    anyone = site.app.test_client()
    assert (
        anyone.get(f"/portal/progress?case={number}&tail=37341L").status_code == 200
    )  # the company code's tail


def test_new_notices_are_counted_until_read(site):
    citizen = register(site, new_phone())
    apply(citizen)
    page = citizen.get("/portal/").get_data(as_text=True)
    assert 'id="pt-unread"' in page and ">1<" in page.split('id="pt-unread"')[1][:80]
    assert "pt-new" in citizen.get("/portal/account").get_data(as_text=True)
    assert 'id="pt-unread"' not in citizen.get("/portal/").get_data(as_text=True)
