"""Printable case documents (收件凭证, 一次性告知书, 受理通知书, 不予受理通知书, 办结通知书): HTML and PDF."""

from __future__ import annotations

import io
import re
import time

import pytest

pypdf = pytest.importorskip("pypdf")

from orchestrator.gov import documents  # noqa: E402
from orchestrator.gov.documents import KINDS, FontUnavailableError, render, render_html, render_pdf  # noqa: E402

SCRIPT = "<script>alert(1)</script>"


def realistic_case(**overrides) -> dict:
    case = {
        "case_number": "OW-2025-000123",
        "item_name": "人力资源服务许可",
        "item_code": "11330110002494XXXX4330121001000",
        "item_type": "行政许可",
        "agency": "杭州市余杭区人力资源和社会保障局",
        "agency_phone": "0571-86220000",
        "applicant": {
            "name": "浙江汇才人力资源有限公司",
            "id_number": "91330110MA2H1X2Y3Z",
            "phone": "13800138000",
        },
        "proxy": {"name": "李建国"},
        "channel": "window",
        "received_at": "2025-03-12T09:30:00+08:00",
        "accepted_at": "2025-03-13",
        "promised_due": "2025-03-27",
        "statutory_due": "2025-04-10",
        "materials_received": [
            "人力资源服务许可申请书",
            {"name": "营业执照副本", "copies": 1, "note": "原件核验后退回"},
        ],
        "materials_missing": [
            {"name": "经营场所使用证明", "note": "租赁合同须在有效期内"},
            {"name": "专职工作人员名单及资格证明", "note": "不少于5名，附劳动合同"},
            {"name": "服务管理制度文本", "note": "须加盖公章"},
        ],
        "reasons": ["申请人不具备法定的申请资格", "申请事项依法不需要取得行政许可"],
        "result": {"approved": True, "name": "人力资源服务许可证", "number": "浙人社许字〔2025〕第0123号"},
        "delivery": {"method": "courier", "tracking_number": "SF1234567890"},
        "issued_at": "2025-03-13",
        "issuer": "王晓梅",
        "completed_at": "2025-03-20",
    }
    case.update(overrides)
    return case


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squeeze(text: str) -> str:
    """Layout may put spaces or line breaks between characters (the title is letter-spaced)."""
    return re.sub(r"\s+", "", text)


def page_fonts(pdf: bytes) -> list:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.append(font.get_object())
    return fonts


def embedded_file(font) -> object | None:
    """The embedded font program of a simple or composite font, or None."""
    if "/DescendantFonts" in font:
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return None
    descriptor = descriptor.get_object()
    for key in ("/FontFile2", "/FontFile3", "/FontFile"):
        if key in descriptor:
            return descriptor[key].get_object()
    return None


# -- every kind, both formats -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_renders_html_and_pdf(kind):
    case = realistic_case()
    page, pdf = render(kind, case)

    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in page and "@page" in page and "A4" in page
    for text in (
        KINDS[kind],
        "OW-2025-000123",
        "人力资源服务许可",
        "杭州市余杭区人力资源和社会保障局",
        "（盖章）",
    ):
        assert text in page, text
    assert "2025年3月13日" in page  # the document's date

    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text = squeeze(pdf_text(pdf))
    for expected in (
        KINDS[kind],
        "OW-2025-000123",
        "人力资源服务许可",
        "杭州市余杭区人力资源和社会保障局",
        "（盖章）",
    ):
        assert expected in text, expected
    assert "2025年3月13日" in text


@pytest.mark.parametrize("kind", list(KINDS))
def test_pdf_embeds_a_subset_cjk_font_and_nothing_else(kind):
    pdf = render_pdf(kind, realistic_case())
    fonts = page_fonts(pdf)
    assert fonts
    for font in fonts:
        assert embedded_file(font) is not None, f"font {font.get('/BaseFont')} is not embedded"
        assert "/ToUnicode" in font  # so the text can be searched and copied
    # a subset, not the 5 MB font file
    assert len(pdf) < 150_000, len(pdf)


def test_acceptance_pdf_text():
    text = squeeze(pdf_text(render_pdf("acceptance", realistic_case())))
    assert "受理通知书" in text
    assert "OW-2025-000123" in text
    assert "浙江汇才人力资源有限公司" in text
    assert "承诺办结日期2025年3月27日" in text
    assert "法定办结日期2025年4月10日" in text
    assert "决定予以受理" in text
    assert "行政许可法》第三十二条" in text


def test_receipt_lists_materials_received_and_applicant():
    case = realistic_case()
    page = render_html("receipt", case)
    text = squeeze(pdf_text(render_pdf("receipt", case)))
    for doc in (page, text):
        assert "人力资源服务许可申请书" in doc
        assert "营业执照副本" in doc
        assert "91330110MA2H1X2Y3Z" in doc
        assert "李建国" in doc  # the proxy
        assert "窗口" in doc  # the channel, in words
    assert "2025年3月12日09:30" in text  # receipt time, with the time of day
    assert "不作为受理凭证" in text


# -- escaping -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_markup_in_case_fields_is_text(kind):
    case = realistic_case(
        applicant={"name": SCRIPT, "id_number": '"><img src=x onerror=alert(2)>', "phone": "1&2"},
        item_name="人力资源服务许可<b>粗体</b>",
        agency="<i>某局</i>",
        issuer="<u>x</u>",
    )
    page, pdf = render(kind, case)
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page and "<i>" not in page and "<u>" not in page and "<img" not in page
    assert "&lt;b&gt;粗体&lt;/b&gt;" in page

    text = pdf_text(pdf)
    assert SCRIPT in text  # printed literally, not interpreted as markup
    assert "<b>粗体</b>" in squeeze(text)
    assert "<i>某局</i>" in squeeze(text)


def test_receipt_shows_escaped_id_number_in_html():
    page = render_html("receipt", realistic_case(applicant={"name": "张三", "id_number": "<x>&"}))
    assert "&lt;x&gt;&amp;" in page


# -- content rules --------------------------------------------------------------------------------------


def test_one_time_notice_lists_every_missing_material_at_once():
    missing = [{"name": f"补正材料{i}号", "note": f"要求{i}"} for i in range(1, 26)] + ["身份证明复印件"]
    case = realistic_case(materials_missing=missing, supplement_due="2025-04-11")
    page, pdf = render("one_time_notice", case)
    text = squeeze(pdf_text(pdf))
    for i in range(1, 26):
        assert f"补正材料{i}号" in page and f"补正材料{i}号" in text
        assert f"要求{i}" in page and f"要求{i}" in text
    assert "身份证明复印件" in page and "身份证明复印件" in text
    assert "共26项" in text and "共26项" in page
    assert "一次性告知" in text
    assert "2025年4月11日前" in text
    assert "不予受理" in text  # what happens if the applicant does not answer
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 2  # a long list flows onto the next page


def test_one_time_notice_default_period_is_30_days():
    text = squeeze(pdf_text(render_pdf("one_time_notice", realistic_case())))
    assert "自收到本告知书之日起30日内" in text
    for name in ("经营场所使用证明", "专职工作人员名单及资格证明", "服务管理制度文本"):
        assert name in text


def test_refusal_lists_reasons_and_appeal_rights():
    case = realistic_case(review_body="杭州市余杭区人民政府", court="杭州互联网法院")
    page, pdf = render("refusal", case)
    text = squeeze(pdf_text(pdf))
    for doc in (page, text):
        assert "申请人不具备法定的申请资格" in doc
        assert "申请事项依法不需要取得行政许可" in doc
        assert "不予受理" in doc
        assert "六十日内" in doc and "行政复议" in doc
        assert "六个月内" in doc and "行政诉讼" in doc
        assert "杭州市余杭区人民政府" in doc and "杭州互联网法院" in doc
    assert "<ol" in page
    assert "1.申请人不具备法定的申请资格" in text


def test_refusal_default_appeal_wording_and_competent_agency():
    text = squeeze(pdf_text(render_pdf("refusal", realistic_case(competent_agency="杭州市市场监督管理局"))))
    assert "有管辖权的行政复议机关申请行政复议" in text
    assert "有管辖权的人民法院提起行政诉讼" in text
    assert "请向杭州市市场监督管理局提出申请" in text


def test_completion_approved_shows_result_document_and_delivery():
    page, pdf = render("completion", realistic_case())
    text = squeeze(pdf_text(pdf))
    for doc in (page, text):
        assert "人力资源服务许可证" in doc
        assert "浙人社许字〔2025〕第0123号" in doc
        assert "快递送达" in doc
        assert "SF1234567890" in doc
        assert "通过" in doc
    assert "行政复议" not in text  # no appeal notice for an approval


def test_completion_rejected_gives_reasons_and_appeal_rights():
    case = realistic_case(
        result={"approved": False},
        reasons=["经实地核查，经营场所与申报不符"],
        delivery={"method": "window"},
    )
    text = squeeze(pdf_text(render_pdf("completion", case)))
    assert "不通过" in text
    assert "经实地核查，经营场所与申报不符" in text
    assert "行政复议" in text and "行政诉讼" in text
    assert "窗口领取" in text


# -- robustness -------------------------------------------------------------------------------------------


def test_unknown_kind_raises_value_error():
    with pytest.raises(ValueError, match="unknown document kind"):
        render_html("licence", realistic_case())
    with pytest.raises(ValueError):
        render_pdf("", realistic_case())
    with pytest.raises(ValueError):
        render("RECEIPT", realistic_case())


MINIMAL = {
    "case_number": "OW-2025-000001",
    "item_name": "城乡居民基本养老保险参保登记",
    "agency": "某某镇便民服务中心",
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    "case",
    [MINIMAL, {}, {**MINIMAL, "applicant": "张三", "proxy": None, "reasons": "材料不全", "result": None}],
    ids=["minimal", "empty", "odd-shapes"],
)
def test_sparse_cases_still_render(kind, case):
    page, pdf = render(kind, case)
    assert KINDS[kind] in page and "（盖章）" in page
    text = squeeze(pdf_text(pdf))
    assert KINDS[kind] in text
    if case.get("case_number"):
        assert case["case_number"] in text and case["case_number"] in page
        assert case["item_name"] in text
    assert "None" not in page and "None" not in text
    assert "年月日" in text  # a blank date line to fill in by hand: these cases have no dates
    assert "办件编号：）" not in text and "《》" not in text and "于提" not in text


def test_dates_accept_date_objects_and_pass_other_text_through():
    from datetime import date, datetime

    case = realistic_case(
        accepted_at=date(2025, 5, 6), promised_due=datetime(2025, 5, 20, 17, 0), statutory_due="待定"
    )
    text = squeeze(pdf_text(render_pdf("acceptance", case)))
    assert "受理日期2025年5月6日" in text
    assert "承诺办结日期2025年5月20日" in text
    assert "法定办结日期待定" in text


def test_characters_the_font_lacks_are_reported(caplog):
    with caplog.at_level("WARNING", logger="orchestrator.gov.documents.pdf"):
        render_pdf("receipt", realistic_case(applicant={"name": "张三\U0001f600"}))
    assert any("no glyph" in r.getMessage() and "\U0001f600" in r.getMessage() for r in caplog.records)


def test_case_must_be_a_mapping():
    with pytest.raises(TypeError):
        render_html("receipt", ["not", "a", "dict"])


def test_suggested_filename():
    assert documents.suggested_filename("acceptance", realistic_case()) == "OW-2025-000123-受理通知书.pdf"
    assert (
        documents.suggested_filename("receipt", {"case_number": "../../x y"}, "html") == "x_y-收件凭证.html"
    )
    with pytest.raises(ValueError):
        documents.suggested_filename("nope", {})


def test_pdf_is_fast_and_small():
    case = realistic_case()
    render_pdf("receipt", case)  # font loaded once per process
    for kind in KINDS:
        start = time.perf_counter()
        pdf = render_pdf(kind, case)
        elapsed = time.perf_counter() - start
        assert elapsed < 0.5, f"{kind}: {elapsed:.3f}s"  # typically ~25 ms; generous for slow CI machines
        assert len(pdf) < 100_000, f"{kind}: {len(pdf)} bytes"


# -- the font -------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_font():
    documents.fonts._pdf_font.cache_clear()
    yield
    documents.fonts._pdf_font.cache_clear()


def test_missing_font_fails_loudly_naming_the_package(monkeypatch, fresh_font):
    monkeypatch.delenv(documents.FONT_ENV, raising=False)
    monkeypatch.setattr(documents.fonts, "_FONT_MODULE", "onewindow_no_such_font_package")
    monkeypatch.setattr(documents.fonts, "_SYSTEM_FONTS", ())
    with pytest.raises(FontUnavailableError) as excinfo:
        render_pdf("acceptance", realistic_case())
    message = str(excinfo.value)
    assert documents.FONT_PACKAGE in message and "pip install" in message
    assert "fonts-wqy-microhei" in message
    render_html("acceptance", realistic_case())  # HTML needs no font file


def test_configured_font_that_does_not_exist_is_an_error(monkeypatch, tmp_path, fresh_font):
    monkeypatch.setenv(documents.FONT_ENV, str(tmp_path / "nope.ttf"))
    with pytest.raises(FontUnavailableError, match=documents.FONT_ENV):
        render_pdf("receipt", realistic_case())


def test_configured_file_that_is_not_a_font_is_an_error(monkeypatch, tmp_path, fresh_font):
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font at all" * 10)
    monkeypatch.setenv(documents.FONT_ENV, str(bogus))
    with pytest.raises(FontUnavailableError, match="cannot embed"):
        render_pdf("receipt", realistic_case())


def test_the_packaged_font_is_the_default(monkeypatch, fresh_font):
    monkeypatch.delenv(documents.FONT_ENV, raising=False)
    path, index = documents.fonts._font_file()
    assert path.is_file() and path.name == "wqy-microhei.ttc" and index == 0
    font = documents.fonts._pdf_font()
    assert all(ord(c) in font.face.charToGlyph for c in "一次性告知书补正材料清单行政复议诉讼盖章")


def test_chinese_punctuation_does_not_start_a_line():
    # a narrow column forces many breaks; no line of the paragraph may begin with ，。；：》
    text = pdf_text(render_pdf("one_time_notice", realistic_case(item_name="人力资源服务许可，" * 12)))
    starts = [line.strip()[:1] for line in text.splitlines() if line.strip()]
    assert not [s for s in starts if s in "，。；：、》）"], starts
