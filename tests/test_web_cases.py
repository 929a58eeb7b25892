"""The case page (办件详情) and case search in the web app: what a clerk sees of a case, its documents,
diagram and materials, and that nobody sees a case that is not theirs."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from orchestrator.core import clock

XSS = "<script>alert(1)</script>"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def start(site, key: str = "general_approval", name: str = "王小明", **kw) -> dict:
    data = {"applicant": {"name": name, "id_number": "330106199001011234", "phone": "13800000000"}}
    return site.ow.start(key, data, actor=kw.pop("actor", "frontdesk"), **kw)


def accept(site, started: dict, opinion: str = "材料齐全", accepted: bool = True) -> dict:
    task = started["tasks"][0]["id"]
    site.ow.claim(task, "frontdesk")
    data = {"applicant": "王小明", "accepted": accepted, "opinion": opinion}
    return site.ow.complete(task, "frontdesk", data)


def approve(site, accepted: dict, approved: bool = True) -> dict:
    task = accepted["tasks"][0]["id"]
    site.ow.claim(task, "minzheng")
    return site.ow.complete(task, "minzheng", {"approved": approved, "opinion": "同意"})


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def frontdesk(site):
    return site.client("frontdesk")


@pytest.fixture(scope="module")
def renshe_case(site) -> tuple[dict, int]:
    """A 人力资源服务许可 case (frontdesk → renshe) with an uploaded material: none of minzheng's business."""
    upload = site.ow.upload(
        io.BytesIO(PDF_BYTES), "申请书.pdf", material="人力资源服务许可申请书", actor="frontdesk"
    )
    started = start(site, "hr_service_permit", name="某人力资源公司", attachment_ids=[upload["id"]])
    return started, upload["id"]


def test_case_page_shows_the_case_its_timeline_and_its_diagram(site, frontdesk):
    started = start(site)
    accept(site, started, opinion="材料齐全，予以受理")
    number = started["case_number"]
    page = frontdesk.get(f"/cases/{number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = text_of(html)
    assert f'<span id="case-number">{number}</span>' in html
    assert "一窗受理通用审批" in text and "王小明" in text and "13800000000" in text
    assert 'data-status-code="3"' in html and "3 已受理" in text
    assert "承诺办结日期" in text and "(5 个工作日)" in text and "(20 个工作日)" in text
    timeline = html[html.index('id="case-timeline"') : html.index("</ul>", html.index('id="case-timeline"'))]
    actions = re.findall(r'data-action="([a-z_]+)"', timeline)
    assert actions[:4] == ["start", "case_received", "claim", "complete"] and "case_status" in actions
    assert "签收" in timeline and "材料齐全，予以受理" in timeline and "3 已受理" in text_of(timeline)
    assert f'data-xml-url="/cases/{number}/diagram.xml"' in html
    assert f'data-marks-url="/cases/{number}/marks.json"' in html
    assert "bpmn-navigated-viewer.production.min.js" in html and "js/diagram.js" in html
    # what the accept step entered, drawn read-only with its form's labels; the materials of the item
    assert "是否受理" in text and "受理意见" in text
    assert "申请表" in text and "居民身份证" in text
    # documents that make sense now: receipt and acceptance, not yet a completion or refusal
    kinds = re.findall(r'data-kind="([a-z_]+)"', html)
    assert kinds == ["receipt", "acceptance"]


def test_diagram_xml_and_marks_of_the_case(site, frontdesk):
    started = start(site)
    accept(site, started)
    number = started["case_number"]
    xml = frontdesk.get(f"/cases/{number}/diagram.xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'<bpmn:process id="general_approval"' in xml.data
    assert xml.headers["X-Content-Type-Options"] == "nosniff"
    marks = frontdesk.get(f"/cases/{number}/marks.json")
    assert marks.status_code == 200
    assert marks.json["current"] == ["Task_review"]
    assert {"Task_accept", "Event_accepted", "Flow_accept"} <= set(marks.json["completed"])
    assert "Task_deliver" in marks.json["pending"] and marks.json["incident"] == []


def test_script_in_names_and_opinions_is_shown_as_text(site, frontdesk):
    started = start(site, name=XSS)
    accept(site, started, opinion=XSS + " 请核实")
    number = started["case_number"]
    html = frontdesk.get(f"/cases/{number}").get_data(as_text=True)
    assert XSS not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # applicant, timeline opinion, step data
    for kind in ("receipt", "acceptance"):
        doc = frontdesk.get(f"/cases/{number}/documents/{kind}.html")
        assert doc.status_code == 200 and doc.mimetype == "text/html"
        assert XSS not in doc.get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc.get_data(as_text=True)
        assert "default-src 'none'" in doc.headers["Content-Security-Policy"]
        pdf = frontdesk.get(f"/cases/{number}/documents/{kind}.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "<script>alert(1)</script>" in text.replace(" ", "")  # printed as the letters it is


def test_pdf_download(site, frontdesk):
    number = start(site)["case_number"]
    pdf = frontdesk.get(f"/cases/{number}/documents/receipt.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and len(pdf.data) > 1000
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert frontdesk.get(f"/cases/{number}/documents/nonsense.pdf").status_code == 404


def test_documents_follow_the_status(site, frontdesk):
    refused = start(site)
    accept(site, refused, opinion="不符合条件", accepted=False)
    html = frontdesk.get(f"/cases/{refused['case_number']}").get_data(as_text=True)
    assert re.findall(r'data-kind="([a-z_]+)"', html) == ["receipt", "refusal"]
    assert "5 不予受理" in text_of(html)

    done = start(site)
    approve(site, accept(site, done), approved=False)
    html = frontdesk.get(f"/cases/{done['case_number']}").get_data(as_text=True)
    assert re.findall(r'data-kind="([a-z_]+)"', html) == ["receipt", "acceptance", "completion"]
    assert "13 办结(不通过)" in text_of(html)
    pdf = frontdesk.get(f"/cases/{done['case_number']}/documents/completion.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_back_office_cannot_open_another_departments_case(site, renshe_case):
    started, attachment = renshe_case
    number = started["case_number"]
    minzheng = site.client("minzheng")
    for url in (
        f"/cases/{number}",
        f"/cases/{number}/diagram.xml",
        f"/cases/{number}/marks.json",
        f"/cases/{number}/documents/receipt.pdf",
        f"/cases/{number}/documents/receipt.html",
        f"/cases/attachments/{attachment}",
    ):
        answer = minzheng.get(url)
        assert answer.status_code == 403, url
        assert "某人力资源公司".encode() not in answer.data and PDF_BYTES not in answer.data
    listing = minzheng.get("/cases/").get_data(as_text=True)
    assert number not in listing
    # whoever received it and a supervisor (sees every case) may open it
    assert site.client("frontdesk").get(f"/cases/{number}").status_code == 200
    assert site.client("supervisor").get(f"/cases/{number}").status_code == 200


def test_tampered_numbers_and_ids_answer_not_found(site, frontdesk):
    number = start(site)["case_number"]
    for url in (
        f"/cases/{number}X",
        f"/cases/{number[:-1]}9/marks.json",
        "/cases/%3Cscript%3E",
        "/cases/attachments/999999",
        f"/cases/{number}X/documents/receipt.pdf",
    ):
        answer = frontdesk.get(url)
        assert answer.status_code == 404, url
        assert b"%PDF" not in answer.data and b"bpmn:process" not in answer.data


def test_attachment_download(site, renshe_case):
    started, attachment = renshe_case
    frontdesk = site.client("frontdesk")
    page = frontdesk.get(f"/cases/{started['case_number']}").get_data(as_text=True)
    assert f'href="/cases/attachments/{attachment}"' in page and "申请书.pdf" in page
    got = frontdesk.get(f"/cases/attachments/{attachment}")
    assert got.status_code == 200 and got.data == PDF_BYTES
    assert got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    # the uploaded material counts as received in the item's checklist
    row = re.search(r'<tr data-material-state="(\w+)">\s*<td>人力资源服务许可申请书</td>', page)
    assert row and row.group(1) == "received"


def test_search_finds_a_case_by_number_and_lists_my_cases(site, frontdesk):
    mine = start(site, name="赵六")
    found = frontdesk.get(f"/cases/?q={mine['case_number']}")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/cases/{mine['case_number']}")
    missing = frontdesk.get("/cases/?q=NO-SUCH-CASE", follow_redirects=True).get_data(as_text=True)
    assert "未找到办件 NO-SUCH-CASE" in missing
    listing = frontdesk.get("/cases/").get_data(as_text=True)
    assert f'href="/cases/{mine["case_number"]}"' in listing and "赵六" in listing
    assert site.client("yibao").get("/cases/").get_data(as_text=True).count("/cases/DEMO-") == 0


def test_a_supplement_shows_the_pause_the_notice_and_the_missing_materials(site, frontdesk):
    started = start(site, "hr_service_permit", name="某人力资源公司")
    check = started["tasks"][0]["id"]
    site.ow.claim(check, "frontdesk")
    notice = site.ow.supplement(check, "frontdesk", "材料不齐", {"received": ["人力资源服务许可申请书"]})
    notice_id = notice["tasks"][0]["id"]
    site.ow.claim(notice_id, "frontdesk")
    site.ow.complete(notice_id, "frontdesk", {"missing": ["营业执照"], "notice": "请补齐营业执照"})
    html = frontdesk.get(f"/cases/{started['case_number']}").get_data(as_text=True)
    assert "6 补正开始" in text_of(html)
    pauses = text_of(html[html.index('id="case-pauses"') : html.index('id="case-diagram"')])
    assert "补正" in pauses and "进行中" in pauses
    assert re.findall(r'data-kind="([a-z_]+)"', html) == ["receipt", "one_time_notice"]
    rows = re.findall(r'<tr data-material-state="(\w+)">\s*<td>([^<]+)</td>', html)
    states = {name: state for state, name in rows}
    assert states["人力资源服务许可申请书"] == "received" and states["营业执照"] == "missing"
    assert states["法定代表人身份证明"] == "absent"
    assert "退回补正" in html and "请补齐营业执照" in html  # the timeline and the notice step's data
    notice_doc = frontdesk.get(f"/cases/{started['case_number']}/documents/one_time_notice.html")
    assert "营业执照" in notice_doc.get_data(as_text=True)


def test_supervision_warnings_are_colour_coded(site, frontdesk):
    started = start(site)
    accept(site, started)
    with clock.travel(clock.now() + timedelta(days=40)):  # far past the promised and statutory dates
        site.ow.sweep()
    html = frontdesk.get(f"/cases/{started['case_number']}").get_data(as_text=True)
    box = html[html.index('id="case-warnings"') : html.index('id="case-diagram"')]
    assert 'class="ow-warning ow-warning-red" data-level="red"' in box and "红牌" in box


def test_case_page_in_english(site):
    started = start(site)
    accept(site, started)
    english = site.client("frontdesk")
    english.get("/lang/en")
    text = text_of(english.get(f"/cases/{started['case_number']}").get_data(as_text=True))
    assert "Timeline" in text and "3 Accepted" in text and "Promised by" in text
    assert "Claimed" in text and "Acceptance notice" in text and "(5 working days)" in text


def test_signed_out_visitors_are_sent_to_login(site):
    number = start(site)["case_number"]
    answer = site.client().get(f"/cases/{number}")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
