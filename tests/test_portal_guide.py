"""办事指南 without login, and citizen accounts (register by SMS code, separate login, reset, company)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from portal_helpers import PASSWORD, last_code, register, roomy_limits, token
from sqlalchemy import func, select, text

from orchestrator.store.portal import Citizen


@pytest.fixture(autouse=True)
def _limits(site):
    roomy_limits(site)


def names(response) -> list[str]:
    return re.findall(r"<strong>(.*?)</strong>", response.get_data(as_text=True))


def citizens(site) -> int:
    with site.ow.store.transaction() as s:
        return s.scalar(select(func.count(Citizen.id)))


# -- 办事指南 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=人力资源", "人力资源服务许可"),
        ("q=人社", "人力资源服务许可"),  # the department
        ("q=rlzy", "人力资源服务许可"),  # pinyin initials
        ("q=zuidi", "最低生活保障审核确认"),  # whole pinyin
        ("event=生育", "新生儿出生一件事"),  # life event
        ("q=养老", "最低生活保障审核确认"),
    ],
)
def test_anyone_finds_items_without_logging_in(site, query, expected):
    r = site.app.test_client().get(f"/portal/?{query}")
    assert r.status_code == 200
    assert any(expected in n for n in names(r)), names(r)


def test_a_life_event_lists_only_its_items_and_nothing_found_says_so(site):
    client = site.app.test_client()
    born = names(client.get("/portal/?event=生育"))
    assert "新生儿出生一件事" in born and not any("人力资源" in n for n in born)
    empty = client.get("/portal/?q=火星移民").get_data(as_text=True)
    assert "没有找到相关事项" in empty


def test_the_item_guide_shows_the_six_publics(site):
    html = site.app.test_client().get("/portal/items/XK-RS-0001").get_data(as_text=True)
    for shown in (
        "经营性人力资源服务机构从事职业中介活动",  # content
        "《人力资源市场暂行条例》第十八条",  # legal basis
        "有明确的章程和管理制度",  # conditions
        "人力资源服务许可申请书",  # materials
        "经营场所使用证明",
        "租期不少于1年",
        "跑动次数",
        "承诺时限",
        "不收费",
        "示范区行政服务中心人社窗口",
        "周一至周五",
        "0574-87000002",
        "12345",
        "网上办理",
        "快递送达",
        "不可代办",
    ):
        assert shown in html, shown
    steps = re.search(r'id="pt-steps">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", steps) == [
        "申请",
        "综合窗口受理",
        "人社审查",
        "作出决定",
        "快递送达或窗口领取",
    ]


def test_the_one_time_notice_prints_every_material(site):
    html = site.app.test_client().get("/portal/items/XK-RS-0001/notice").get_data(as_text=True)
    assert "一次性告知单" in html and "data-pt-print" in html
    assert len(re.findall(r"<tr><td>\d+</td>", html)) == 6


def test_unknown_items_and_files_are_not_found(site):
    client = site.app.test_client()
    assert client.get("/portal/items/NO-SUCH").status_code == 404
    assert client.get("/portal/items/XK-RS-0001/files/" + "0" * 64).status_code == 404
    assert client.get("/portal/items/XK-RS-0001/files/nothex").status_code == 404


def test_portal_pages_are_light_and_carry_no_inline_script(site):
    r = site.app.test_client().get("/portal/")
    html = r.get_data(as_text=True)
    assert "portal.css" in html and "bootstrap" not in html.lower()
    assert 'name="viewport"' in html
    assert "<script>" not in html and "Content-Security-Policy" in r.headers


# -- accounts --------------------------------------------------------------------------------------------
def test_registration_needs_the_sms_code_and_logs_in(site):
    client = register(site, "13800000001")
    page = client.get("/portal/account").get_data(as_text=True)
    assert "张三" in page and "138****0001" in page and "110***********002X" in page
    assert "11010519491231002X" not in page  # masked


def test_bad_registrations_are_refused_with_clear_chinese_and_store_nothing(site):
    client = site.app.test_client()
    csrf = token(client)
    before = citizens(site)
    client.post("/portal/register", data={"csrf_token": csrf, "phone": "13800000002", "action": "code"})
    good = {
        "csrf_token": csrf,
        "action": "register",
        "phone": "13800000002",
        "code": last_code(site, "13800000002"),
        "password": PASSWORD,
        "name": "李四",
        "id_number": "110101199003074514",
    }
    for change, message in (
        ({"id_number": "110101199003074515"}, "校验位"),
        ({"id_number": "12345"}, "身份证"),
        ({"password": "short"}, "密码"),
        ({"code": "000000" if good["code"] != "000000" else "111111"}, "验证码"),
        ({"phone": "1380000"}, "手机号"),
        ({"name": ""}, "姓名"),
        ({"credit_code": "91110000600037341X", "company_name": "某公司"}, "统一社会信用代码"),
    ):
        r = client.post("/portal/register", data={**good, **change})
        assert r.status_code == 422, change
        assert message in r.get_data(as_text=True), (change, r.get_data(as_text=True)[-3000:])
    assert citizens(site) == before


def test_a_wrong_code_five_times_burns_it(site):
    client = site.app.test_client()
    csrf = token(client)
    client.post("/portal/register", data={"csrf_token": csrf, "phone": "13800000003", "action": "code"})
    code = last_code(site, "13800000003")
    form = {
        "csrf_token": csrf,
        "action": "register",
        "phone": "13800000003",
        "password": PASSWORD,
        "name": "王五",
        "id_number": "110101199003074514",
    }
    wrong = "999999" if code != "999999" else "888888"
    for _ in range(5):
        assert client.post("/portal/register", data={**form, "code": wrong}).status_code == 422
    assert client.post("/portal/register", data={**form, "code": code}).status_code == 422


def test_a_registered_phone_cannot_register_again(site):
    register(site, "13800000004")
    with site.ow.store.transaction() as s:  # the last code was sent long ago
        s.execute(
            text("UPDATE sms_code SET created_at = :at WHERE phone = '13800000004'"),
            {"at": datetime(2000, 1, 1)},
        )
    client = site.app.test_client()
    csrf = token(client)
    client.post("/portal/register", data={"csrf_token": csrf, "phone": "13800000004", "action": "code"})
    assert "已注册" in site.ow.sms_outbox("13800000004")[0]["text"]


def test_citizen_login_is_separate_from_staff_login(site):
    register(site, "13800000005")
    # the citizen's phone and password open no staff page
    staff = site.app.test_client()
    csrf = token(staff, "/login/")
    staff.post("/login/", data={"username": "13800000005", "password": PASSWORD, "csrf_token": csrf})
    assert staff.get("/inbox/").status_code == 302
    # a staff account does not log into the portal
    portal = site.app.test_client()
    r = portal.post(
        "/portal/login",
        data={"csrf_token": token(portal, "/portal/login"), "phone": "frontdesk", "password": "demo"},
    )
    assert r.status_code == 401 and "手机号或密码不正确" in r.get_data(as_text=True)
    # a citizen logged into the portal is no staff user
    citizen = site.app.test_client()
    r = citizen.post(
        "/portal/login",
        data={"csrf_token": token(citizen, "/portal/login"), "phone": "13800000005", "password": PASSWORD},
    )
    assert r.status_code == 302
    assert citizen.get("/portal/account").status_code == 200
    assert citizen.get("/inbox/").status_code == 302 and citizen.get("/accept/").status_code == 302


def test_citizen_login_locks_after_five_failures(site):
    register(site, "13800000006")
    client = site.app.test_client()
    csrf = token(client, "/portal/login")
    for _ in range(5):
        client.post("/portal/login", data={"csrf_token": csrf, "phone": "13800000006", "password": "wrong"})
    r = client.post("/portal/login", data={"csrf_token": csrf, "phone": "13800000006", "password": PASSWORD})
    assert r.status_code == 401 and "锁定" in r.get_data(as_text=True)


def test_login_is_rate_limited(site):
    site.app.config["ONEWINDOW_PORTAL_LIMIT_LOGIN"] = "3 per minute"
    try:
        client = site.app.test_client()
        csrf = token(client, "/portal/login")
        codes = [
            client.post(
                "/portal/login", data={"csrf_token": csrf, "phone": "13800000099", "password": "x"}
            ).status_code
            for _ in range(4)
        ]
    finally:
        roomy_limits(site)
    assert codes == [401, 401, 401, 429]


def test_forms_need_the_csrf_token(site):
    r = site.app.test_client().post("/portal/login", data={"phone": "13800000005", "password": PASSWORD})
    assert r.status_code == 400


def test_password_reset_by_sms_code(site):
    register(site, "13800000007")
    client = site.app.test_client()
    csrf = token(client, "/portal/reset")
    client.post("/portal/reset", data={"csrf_token": csrf, "phone": "13800000007", "action": "code"})
    code = last_code(site, "13800000007")
    r = client.post(
        "/portal/reset",
        data={
            "csrf_token": csrf,
            "phone": "13800000007",
            "code": code,
            "password": "New-password-2",
            "action": "reset",
        },
    )
    assert r.status_code == 302
    r = client.post(
        "/portal/login", data={"csrf_token": csrf, "phone": "13800000007", "password": "New-password-2"}
    )
    assert r.status_code == 302
    # an unknown phone gets the same answer and no message
    client.post("/portal/reset", data={"csrf_token": csrf, "phone": "13800000077", "action": "code"})
    assert site.ow.sms_outbox("13800000077") == []


def test_a_citizen_acts_for_a_company_with_a_valid_credit_code(site):
    client = register(site, "13800000008")
    csrf = token(client, "/portal/account")
    r = client.post(
        "/portal/account/company",
        data={"csrf_token": csrf, "company_name": "示范人力公司", "credit_code": "91110000600037341X"},
    )
    assert r.status_code == 422 and "统一社会信用代码" in r.get_data(as_text=True)
    r = client.post(
        "/portal/account/company",
        data={"csrf_token": csrf, "company_name": "示范人力公司", "credit_code": "91110000600037341L"},
    )
    assert r.status_code == 302
    assert "示范人力公司（91110000600037341L）" in client.get("/portal/account").get_data(as_text=True)


def test_the_portal_speaks_english_on_request(site):
    html = site.app.test_client().get("/portal/items/XK-RS-0001?_l_=en").get_data(as_text=True)
    assert "Legal basis" in html and "Print the one-time notice" in html and "Visits needed" in html


def test_an_admin_sees_the_sms_outbox_with_phones_and_codes_hidden(site):
    register(site, "13800000009")
    html = site.client("admin").get("/sms-outbox/").get_data(as_text=True)
    assert "短信发件箱" in html and "138****0009" in html and "验证码 ******" in html
    assert "13800000009" not in html
    assert site.client("frontdesk").get("/sms-outbox/").status_code in (302, 403)


def test_a_portal_login_ends_after_hours_without_a_request(site):
    client = register(site, "13800000010")
    assert client.get("/portal/account").status_code == 200
    with client.session_transaction() as session:
        session["portal_seen"] -= 9 * 3600
    r = client.get("/portal/account")
    assert r.status_code == 302 and "/portal/login" in r.headers["Location"]


def test_every_portal_message_has_its_english():
    from babel.messages.pofile import read_po

    from orchestrator.core.config import REPO_ROOT

    sources = [*(REPO_ROOT / "admin" / "portal").glob("*.py")]
    sources += [*(REPO_ROOT / "admin" / "templates" / "onewindow" / "portal").glob("*.html")]
    used = set()
    for path in sources:
        used |= {
            m
            for m in re.findall(r'\b_l?\(\s*"([^"]+)"', path.read_text(encoding="utf-8"))
            if re.search(r"[\u4e00-\u9fff]", m)
        }
    english = set()
    for po in (REPO_ROOT / "admin" / "translations" / "en").glob("*.po"):
        with po.open("rb") as f:
            english |= {m.id for m in read_po(f, locale="en") if m.id and m.string}
    assert used and not used - english, sorted(used - english)


def test_a_materials_blank_form_is_downloaded_from_the_guide(site, tmp_path):
    import io
    import shutil

    import yaml

    from orchestrator.core.config import REPO_ROOT

    stored = site.ow.upload(
        io.BytesIO(b"%PDF-1.4\n%blank form\n%%EOF\n"), "申请书空白表.pdf", actor="analyst"
    )
    unit = tmp_path / "owners_committee_filing"
    shutil.copytree(REPO_ROOT / "processes" / "owners_committee_filing", unit)
    entry = yaml.safe_load((unit / "item.yaml").read_text(encoding="utf-8"))
    entry["materials"][0]["template"] = {"file_name": "申请书空白表.pdf", "sha256": stored["sha256"]}
    (unit / "item.yaml").write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    site.ow.deploy(unit, publish=True, run_tests=False)
    client = site.app.test_client()
    html = client.get("/portal/items/YWHBA-0001").get_data(as_text=True)
    link = re.search(r'href="(/portal/items/YWHBA-0001/files/[0-9a-f]{64})"', html)
    assert link and "申请书空白表.pdf" in html
    r = client.get(link.group(1))
    assert (
        r.status_code == 200
        and r.data.startswith(b"%PDF")
        and "attachment" in r.headers["Content-Disposition"]
    )
    assert "sandbox" in r.headers["Content-Security-Policy"]
