"""新建事项 in the browser's pages: an analyst makes a draft item from a template with a form, sees every
refused answer next to its field, and keeps a published item as a template."""

from __future__ import annotations

from webapp import csrf_of


def post_new(client, **fields):
    token = csrf_of(client.get("/items/new").get_data(as_text=True))
    form = {"csrf_token": token, "template": "promised", "statutory": "15", "promised": "3", **fields}
    return client.post("/items/new", data=form)


def test_an_analyst_makes_a_new_item_from_a_template_without_any_file(site):
    analyst = site.client("analyst")
    page = analyst.get("/items/new").get_data(as_text=True)
    assert "承诺件模板" in page and "联办件模板" in page and "市场监管" in page
    r = post_new(analyst, key="getihu_web", name="个体工商户设立登记", code="SC-0201", lead="shichang",
                 org="gaoqiao", type="行政许可", materials="个体工商户设立登记申请书\n经营者身份证明")  # fmt: skip
    assert r.status_code == 302 and r.headers["Location"].endswith("/definitions/getihu_web/1")
    version = site.ow.definition("getihu_web", 1)
    assert version["status"] == "draft" and version["catalog"]["lead_department"] == "shichang"
    assert [m["name"] for m in version["catalog"]["materials"]] == [
        "个体工商户设立登记申请书",
        "经营者身份证明",
    ]


def test_refused_answers_are_shown_on_their_fields_and_nothing_is_stored(site):
    analyst = site.client("analyst")
    before = len(site.ow.definitions())
    r = post_new(analyst, key="bad_web", name="坏事项", code="SC 2", lead="", promised="30")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'data-field="code"' in html and 'data-field="lead"' in html and 'data-field="promised"' in html
    assert "承诺时限（30）不得超过法定时限（15）" in html
    assert 'value="坏事项"' in html  # what was typed stays
    assert len(site.ow.definitions()) == before
    joint = post_new(analyst, key="lianban_web", name="联办", code="LB-2", lead="minzheng", template="joint")
    assert joint.status_code == 422 and 'data-field="co"' in joint.get_data(as_text=True)


def test_a_published_item_is_kept_as_a_template_and_clerks_may_not_make_items(site):
    analyst = site.client("analyst")
    page = analyst.get("/definitions/hr_service_permit/1").get_data(as_text=True)
    token = csrf_of(page)
    r = analyst.post(
        "/items/hr_service_permit/1/template",
        data={"csrf_token": token, "code": "hr_like", "name": "许可类模板"},
    )
    assert r.status_code == 302 and "template=hr_like" in r.headers["Location"]
    assert "许可类模板" in analyst.get("/items/new").get_data(as_text=True)
    clerk = site.client("frontdesk")
    assert clerk.get("/items/new").status_code in (302, 403)
    assert post_new(clerk, key="by_clerk", name="x", code="X-1", lead="minzheng").status_code in (302, 403)
    assert all(d["key"] != "by_clerk" for d in site.ow.definitions())
