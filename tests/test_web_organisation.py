"""组织机构 as an admin meets it: the org tree, adding a unit (errors next to the field), group members and
where they work, web accounts; and that nobody else gets in."""

from __future__ import annotations

import re

import pytest
from webapp import csrf_of, login, screenshot

URL = "/organisation/"


def page(client) -> str:
    r = client.get(URL)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def post(client, path: str, data: dict, follow: bool = True):
    token = csrf_of(client.get(URL).get_data(as_text=True))
    return client.post(f"/organisation/{path}", data={**data, "csrf_token": token}, follow_redirects=follow)


def unit_rows(html: str) -> list[tuple[str, int]]:
    return [(code, int(depth)) for code, depth in re.findall(r'data-unit="([^"]+)" data-depth="(\d+)"', html)]


def field_error(html: str, form: str, field: str) -> str | None:
    """The inline error under one field of one form (None: the field has none)."""
    section = html.split(f'id="{form}-form"', 1)[1].split("</form>", 1)[0]
    found = re.search(rf'data-field="{field}">.*?(?:ow-field-error">([^<]*)<|</div>)', section, re.S)
    return found.group(1) if found else None


def test_the_tree_lists_every_unit_parents_first_indented_by_depth(site):
    html = page(site.client("admin"))
    rows = unit_rows(html)
    assert rows[:3] == [("shifanqu", 0), ("gaoqiao", 1), ("gaoqiao-qiaoxi", 2)]
    assert ("gaoqiao-xinxing-1", 3) in rows and ("jishigang-wangchun", 2) in rows
    assert "高桥镇" in html and "新星村第一网格" in html and "镇街" in html


def test_admin_adds_a_village_under_a_town(site):
    admin = site.client("admin")
    r = post(
        admin, "units", {"parent": "jishigang", "level": "村社", "code": "jishigang-dongcun", "name": "东村"}
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "已保存组织机构：东村（jishigang-dongcun）" in html
    assert ("jishigang-dongcun", 2) in unit_rows(html)
    assert {"code": "jishigang-dongcun", "path": "/shifanqu/jishigang/jishigang-dongcun/"}.items() <= next(
        u for u in site.ow.org_units() if u["code"] == "jishigang-dongcun"
    ).items()


def test_a_wrong_unit_is_refused_with_the_problem_next_to_its_field(site):
    admin = site.client("admin")
    r = post(admin, "units", {"parent": "gaoqiao", "level": "村社", "code": "Bad_Code", "name": "坏代码"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "a-z" in field_error(html, "unit", "code")  # the code's own problem, under the code field
    assert field_error(html, "unit", "name") is None and field_error(html, "unit", "level") is None
    assert 'value="坏代码"' in html  # what the admin typed is kept
    r = post(admin, "units", {"parent": "gaoqiao", "level": "网格", "code": "gaoqiao-x", "name": "某网格"})
    assert r.status_code == 422
    assert "村社" in field_error(r.get_data(as_text=True), "unit", "level")  # under a town comes a 村社
    assert {"Bad_Code", "gaoqiao-x"}.isdisjoint(u["code"] for u in site.ow.org_units())


def test_admin_puts_a_user_in_a_group_at_a_place_and_takes_them_out(site):
    admin = site.client("admin")
    r = post(admin, "members", {"username": "clerk9", "group": "renshe", "org": "jishigang"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "已将 clerk9 加入用户组 renshe" in html
    renshe = html.split('id="group-renshe"', 1)[1].split("</tr>", 1)[0]
    assert 'data-username="clerk9" data-org-path="/shifanqu/jishigang/"' in renshe and "集士港镇" in renshe
    assert ("renshe", "/shifanqu/jishigang/") in site.ow.memberships("clerk9")

    r = post(admin, "members/remove", {"username": "clerk9", "group": "renshe"})
    assert "已将 clerk9 移出用户组 renshe" in r.get_data(as_text=True)
    assert site.ow.memberships("clerk9") == []
    r = post(admin, "members/remove", {"username": "clerk9", "group": "renshe"})  # already gone: said so
    assert r.status_code == 200 and "clerk9 不在用户组“renshe”中" in r.get_data(as_text=True)


def test_a_member_in_an_unknown_group_or_place_is_refused_inline(site):
    admin = site.client("admin")
    r = post(admin, "members", {"username": "clerk8", "group": "nosuch", "org": ""}, follow=False)
    assert r.status_code == 422 and "nosuch" in field_error(r.get_data(as_text=True), "member", "group")
    r = post(admin, "members", {"username": "clerk8", "group": "yibao", "org": "atlantis"}, follow=False)
    assert r.status_code == 422 and "atlantis" in field_error(r.get_data(as_text=True), "member", "org")
    assert site.ow.memberships("clerk8") == []


def test_accounts_are_listed_with_roles_and_groups_and_admin_creates_one(site):
    admin = site.client("admin")
    html = page(admin)
    row = html.split('data-account="frontdesk"', 1)[1].split("</tr>", 1)[0]
    assert "综合窗口" in row and "出件窗口" in row  # role 综合窗口; groups 综合窗口 and 出件窗口
    r = post(
        admin,
        "accounts",
        {"username": "clerk7", "name": "王七", "role": "BackOffice", "password": "s3cret-pw-7"},
    )
    assert "已创建账号 clerk7" in r.get_data(as_text=True)
    assert "后台审批" in r.get_data(as_text=True).split('data-account="clerk7"', 1)[1].split("</tr>", 1)[0]
    signs_in = site.client("clerk7", password="s3cret-pw-7").get("/").status_code
    assert signs_in == 302  # the new account signs in

    r = post(
        admin, "accounts", {"username": "clerk7", "role": "BackOffice", "password": "short"}, follow=False
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "已存在" in field_error(html, "account", "username")
    assert "10" in field_error(html, "account", "password")


def test_in_english_on_request(site):
    client = site.client("admin")
    client.get("/lang/en")
    html = page(client)
    assert "Add an org unit" in html and "Groups and members" in html and "Town" in html
    assert "新增组织机构" not in html


@pytest.mark.parametrize("user", ["frontdesk", "analyst", "supervisor"])
def test_nobody_but_an_admin_gets_in(site, user):
    client = site.client(user)
    denied = client.get(URL)
    assert denied.status_code == 403
    token = csrf_of(denied.get_data(as_text=True))
    r = client.post("/organisation/members", data={"username": user, "group": "command", "csrf_token": token})
    assert r.status_code == 403
    assert ("command", "/") not in site.ow.memberships(user)


def test_a_post_without_csrf_token_is_refused(site):
    r = site.client("admin").post("/organisation/units", data={"code": "x", "name": "x", "level": "区县"})
    assert r.status_code == 400
    assert "x" not in {u["code"] for u in site.ow.org_units()}


def test_in_the_browser(browser_page):
    page_ = browser_page
    login(page_, "admin")
    page_.goto(URL)
    page_.select_option("#unit-parent", "gaoqiao-qiaoxi")
    page_.select_option("#unit-level", "网格")
    page_.fill("#unit-code", "gaoqiao-qiaoxi-1")
    page_.fill("#unit-name", "桥西社区第一网格")
    page_.click("#unit-form button[type=submit]")
    page_.wait_for_selector('tr[data-unit="gaoqiao-qiaoxi-1"][data-depth="3"]')
    page_.select_option("#member-group", "grid")
    page_.fill("#member-username", "grid2")
    page_.select_option("#member-org", "gaoqiao-qiaoxi-1")
    page_.click("#member-form button[type=submit]")
    page_.wait_for_selector('#group-grid [data-username="grid2"]')
    assert "桥西社区第一网格" in page_.inner_text("#group-grid")
    screenshot(page_, "organisation")
    page_.select_option("#unit-parent", "gaoqiao")
    page_.select_option("#unit-level", "网格")
    page_.fill("#unit-code", "Bad Code")
    page_.fill("#unit-name", "坏")
    page_.click("#unit-form button[type=submit]")
    error = page_.locator('#unit-form [data-field="code"].has-error .ow-field-error')
    assert "a-z" in error.inner_text()
    screenshot(page_, "organisation-error")
