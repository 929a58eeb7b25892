"""A library item's documents at each stage: receipt, one-time notice, acceptance with due dates, refusal."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from test_cases import APPLICANT, at

from orchestrator.core import clock
from orchestrator.core.config import REPO_ROOT

PERMIT = REPO_ROOT / "processes" / "hr_service_permit"


@pytest.fixture
def h(sqlite_harness):
    sqlite_harness.members(clerk=["frontdesk", "renshe", "delivery"])
    sqlite_harness.ow.deploy(PERMIT, publish=True)
    return sqlite_harness


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_permit_documents_follow_the_case(h):
    with clock.travel(at("2026-09-29 10:00")):
        started = h.ow.start("hr_service_permit", {**APPLICANT, "channel": "网上"})
        number = started["case_number"]
        html, pdf, _ = h.ow.document(number, "receipt")
        assert number in pdf_text(pdf) and "收件凭证" in pdf_text(pdf) and "王小明" in html
        h.ow.complete(started["tasks"][0]["id"], "clerk", {"eligible": True, "complete": True})
    html, pdf, _ = h.ow.document(number, "acceptance")
    text = pdf_text(pdf)
    # 承诺 4 working days from 09-29: 09-30, 10-08, 10-09, 10-10 (调休 Saturday)
    assert "受理通知书" in text and "人力资源服务许可" in text and "2026年10月10日" in text
    assert "2026年10月10日" in html


def test_refusal_notice_gives_reasons_and_appeal_rights(h):
    started = h.ow.start("hr_service_permit", {**APPLICANT, "channel": "网上"})
    h.ow.complete(
        started["tasks"][0]["id"], "clerk", {"eligible": False, "refuse_reason": "不属于本机关职权范围"}
    )
    case = h.ow.case(started["case_number"])
    assert case["status"] == "不予受理"
    text = pdf_text(h.ow.document(case["case_number"], "refusal")[1])
    assert "不予受理通知书" in text and "行政复议" in text and "行政诉讼" in text
    assert "不属于本机关职权范围" in text
