"""Case documents from templates: each kind is one Jinja template holding its wording; the PDF is made from
the HTML that template renders, by a walker that knows a fixed vocabulary of elements and refuses the rest."""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

from jinja2 import ChoiceLoader, DictLoader, StrictUndefined, UndefinedError  # noqa: E402
from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: E402

from orchestrator.core.i18n import Message  # noqa: E402
from orchestrator.gov import documents  # noqa: E402
from orchestrator.gov.documents import KINDS, html, pdf  # noqa: E402

TEMPLATES = resources.files("orchestrator.gov.documents").joinpath("templates")

# a clause of each document's legal wording, as written in its template
CLAUSES = {
    "receipt": "本凭证仅证明已收到上述申请材料，不作为受理凭证。",
    "one_time_notice": "补正期间不计入办理时限；逾期未补正的，本机关将依法作出不予受理的决定。",
    "acceptance": "申请材料齐全、符合法定形式",
    "refusal": "本机关决定不予受理",
    "completion": "办理完毕，办理结果为：",
}

CASE = {
    "case_number": "OW-2025-000777",
    "item_name": "人力资源服务许可",
    "item_type": "行政许可",
    "agency": "杭州市余杭区人力资源和社会保障局",
    "applicant": {"name": "浙江汇才人力资源有限公司", "id_number": "91330110MA2H1X2Y3Z"},
    "received_at": "2025-03-12T09:30:00+08:00",
    "accepted_at": "2025-03-13",
    "materials_received": ["人力资源服务许可申请书"],
    "materials_missing": [{"name": "经营场所使用证明", "note": "租赁合同须在有效期内"}],
    "reasons": ["申请人不具备法定的申请资格"],
    "result": {"approved": False},
    "delivery": {"method": "courier", "tracking_number": "SF1234567890"},
}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def template_source(name: str) -> str:
    return TEMPLATES.joinpath(name).read_text(encoding="utf-8")


# -- one template per kind ---------------------------------------------------------------------------


def test_the_templates_are_the_kinds_and_their_shared_parts():
    names = {entry.name for entry in TEMPLATES.iterdir() if entry.name.endswith(html.SUFFIX)}
    kinds = {html.template_name(kind) for kind in KINDS}
    assert kinds <= names
    assert all(name.startswith("_") for name in names - kinds)  # the page frame and shared clauses


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_renders_html_and_pdf_from_its_template(kind):
    clause = CLAUSES[kind]
    assert clause in template_source(html.template_name(kind))
    page, data = documents.render(kind, CASE)
    assert page.startswith("<!DOCTYPE html>") and data.startswith(b"%PDF-")
    text = squeeze(pdf_text(data))
    for expected in (KINDS[kind], clause, "OW-2025-000777", "杭州市余杭区人力资源和社会保障局", "（盖章）"):
        assert expected in page, expected
        assert expected in text, expected


def test_shared_clauses_print_from_their_template():
    appeal = "依法向有管辖权的行政复议机关申请行政复议"
    basis = "根据《中华人民共和国行政许可法》第三十二条的规定，"
    shared = template_source("_clauses.html.j2")
    assert "申请行政复议" in shared and "《中华人民共和国行政许可法》第三十二条" in shared
    for kind in ("refusal", "completion"):  # the completion says 不通过: CASE's result is not approved
        assert appeal in squeeze(pdf_text(documents.render_pdf(kind, CASE)))
    for kind in ("one_time_notice", "acceptance", "refusal"):
        assert basis in squeeze(pdf_text(documents.render_pdf(kind, CASE)))
    assert basis not in squeeze(
        pdf_text(documents.render_pdf("acceptance", {**CASE, "item_type": "公共服务"}))
    )


def test_changing_a_template_changes_both_formats(monkeypatch):
    source = template_source("acceptance.html.j2").replace(
        "本机关决定予以受理", "本机关决定予以受理（试行措辞）"
    )
    loader = ChoiceLoader([DictLoader({"acceptance.html.j2": source}), html._ENV.loader])
    monkeypatch.setattr(html, "_ENV", html.environment(loader))
    page, data = documents.render("acceptance", CASE)
    assert "本机关决定予以受理（试行措辞）" in page
    assert "本机关决定予以受理（试行措辞）" in squeeze(pdf_text(data))


def test_the_environment_is_sandboxed_escaping_and_strict():
    env = html._ENV
    assert isinstance(env, ImmutableSandboxedEnvironment)
    assert env.autoescape is True and env.undefined is StrictUndefined
    strict = html.environment(DictLoader({"x.html.j2": "<p>{{ no_such_name }}</p>"}))
    with pytest.raises(UndefinedError):
        strict.get_template("x.html.j2").render({})


# -- applicant text is data ------------------------------------------------------------------------------

NAME = "<script>alert(1)</script>{{ 7*7 }}{% if true %}x{% endif %}"


@pytest.mark.parametrize("kind", list(KINDS))
def test_markup_and_template_syntax_in_a_name_print_literally(kind):
    page, data = documents.render(kind, {**CASE, "applicant": {"name": NAME}, "agency": "某局{{ 6*7 }}"})
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}{% if true %}x{% endif %}" in page
    assert "某局{{ 6*7 }}" in page and "某局42" not in page
    text = squeeze(pdf_text(data))
    assert squeeze(NAME) in text
    assert "某局{{6*7}}" in text and "某局42" not in text


def test_control_characters_are_dropped_and_line_breaks_kept():
    case = {**CASE, "applicant": {"name": "张\x00三\x1b"}, "reasons": ["第一行\n第二行<b>"]}
    page, data = documents.render("refusal", case)
    assert "张三：" in page and "\x00" not in page and "\x1b" not in page
    assert "<li>第一行<br>第二行&lt;b&gt;</li>" in page
    lines = [line.strip() for line in pdf_text(data).splitlines()]
    assert "张三：" in lines
    assert any(line.endswith("第一行") for line in lines) and "第二行<b>" in lines


# -- the HTML → PDF walker --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> str:
    return documents.render_html("receipt", CASE)


def test_the_walker_accepts_what_the_templates_render(page):
    assert pdf.from_html(page).startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('<p class="note">', '<img src="x.png"><p class="note">', "<img"),
        ('<p class="note">', '<div class="box">框</div><p class="note">', '<div class="box">'),
        ('<p class="note">', '<p>没有类的段落</p><p class="note">', "<p>"),
        ('<p class="note">', '<p class="body">有<b>粗体</b></p><p class="note">', "<b>"),
        ('<p class="note">', '<p class="body" onclick="x()">', "onclick"),
        ('<p class="note">', '<!-- 注释 --><p class="note">', "comment"),
        ('<p class="note">', '<h2>小标题</h2><p class="note">', "<h2>"),
        ("<tr><th>办件编号</th>", "<tr>零散文字<th>办件编号</th>", "零散文字"),
        ('<col style="width:10%">', '<col style="color:red">', "color:red"),
        ('<col style="width:10%">', "", "<colgroup> of 2 columns"),
        ("<ol", "<ul", "ul"),
        ("（盖章）", "&nbsp;（盖章）", "&nbsp;"),
        ("<!DOCTYPE html>", '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN">', "doctype"),
    ],
)
def test_the_walker_refuses_what_it_does_not_know(page, old, new, named):
    page = documents.render_html("refusal", CASE) if old == "<ol" else page
    assert old in page
    with pytest.raises(pdf.UnsupportedMarkup) as refused:
        pdf.from_html(page.replace(old, new, 1))
    assert named in str(refused.value)


# -- messages and shape ------------------------------------------------------------------------------------


def test_errors_a_caller_sees_are_translatable(monkeypatch, tmp_path):
    with pytest.raises(ValueError) as unknown:
        documents.render_html("licence", CASE)
    message = unknown.value.args[0]
    assert (
        isinstance(message, Message)
        and message.msgid == "unknown document kind {kind}; expected one of {kinds}"
    )
    assert "'licence'" in str(unknown.value) and "receipt" in str(unknown.value)
    with pytest.raises(TypeError) as not_a_dict:
        documents.render_html("receipt", ["a", "list"])
    assert isinstance(not_a_dict.value.args[0], Message)
    monkeypatch.setenv(documents.FONT_ENV, str(tmp_path / "nope.ttf"))
    with pytest.raises(documents.FontUnavailableError) as no_font:
        documents.fonts._font_file()
    assert isinstance(no_font.value.message, Message)


def test_the_modules_stay_small():
    package = Path(documents.__file__).parent
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in package.glob("*.py")}
    assert {"__init__.py", "model.py", "html.py", "pdf.py", "fonts.py"} <= set(sizes)
    assert max(sizes.values()) <= 400, sizes
