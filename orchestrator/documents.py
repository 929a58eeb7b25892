"""Printable documents of a case (办件文书), as HTML and as PDF.

Five kinds (``KINDS`` maps each to its printed title):

=================== ================ ============================================================
kind                title            content
=================== ================ ============================================================
``receipt``         收件凭证         applicant, channel, time of receipt, list of materials received
``one_time_notice`` 一次性告知书     补正材料清单: *every* missing material at once, and the deadline
``acceptance``      受理通知书       accepted; promised (承诺) and statutory (法定) due dates
``refusal``         不予受理通知书   the reasons, and the right to 行政复议 (60 days) / 行政诉讼 (6 months)
``completion``      办结通知书       result (通过 / 不通过), result document name and number, delivery
=================== ================ ============================================================

Every document carries its title (centred), the case number, the item name, the agency, a signature
and seal line ("（盖章）") and a date, like the paper ones.

API::

    render_html(kind, case) -> str     # a complete, printable A4 page (inline CSS), everything escaped
    render_pdf(kind, case) -> bytes    # A4 PDF with an embedded, subset CJK TrueType font
    render(kind, case) -> (html, pdf)  # both from the same content
    suggested_filename(kind, case, ext="pdf") -> str

An unknown ``kind`` raises ``ValueError``. Text from ``case`` is data, never markup: ``<script>`` in a name
prints as the literal text in both formats.

The ``case`` dict
-----------------
Plain JSON-like data. Every key is optional: a missing key renders as a blank (fields meant to be
filled in by hand, e.g. the date) or is left out (lines that make no sense empty, e.g. 代理人).
Dates are ISO strings (``"2025-03-12"`` or ``"2025-03-12T09:30:00+08:00"``) or ``date``/``datetime``
objects, printed as ``2025年3月12日`` (receipt times also as ``09:30``); any other string prints as given.

- ``case_number`` str — 办件编号, printed on every document and on every PDF page.
- ``item_name`` str — 事项名称, e.g. ``"人力资源服务许可"``; ``item_code`` str — 实施编码.
- ``item_type`` str — 事项类型; when ``"行政许可"`` the notices cite 《中华人民共和国行政许可法》第三十二条.
- ``legal_basis`` str — overrides that citation (e.g. ``"《中华人民共和国行政许可法》第三十二条"``).
- ``agency`` str — 实施主体, the issuing body, printed above the seal line.
- ``agency_phone`` str — 咨询电话, printed under the signature when given.
- ``applicant`` {``name``, ``id_number``, ``phone``} — or just the name as a string. A company gives its
  统一社会信用代码 as ``id_number``.
- ``proxy`` {``name``, ``id_number``, ``phone``} | None — 代理人 / 代办员 (or just the name).
- ``channel`` str — ``window`` 窗口, ``online`` 网上, ``mobile`` 掌上, ``proxy`` 代办, ``kiosk`` 自助机, or any text.
- ``received_at`` — 收件时间; ``accepted_at`` — 受理日期; ``promised_due`` — 承诺办结日期;
  ``statutory_due`` — 法定办结日期; ``completed_at`` — 办结日期; ``supplement_due`` — 补正截止日期.
- ``supplement_days`` int — when no ``supplement_due``: days allowed for 补正 (default 30 calendar days).
- ``materials_received`` [str | {``name``, ``copies``, ``note``}] — 已收材料.
- ``materials_missing`` [str | {``name``, ``note``}] — 需补正材料; ``note`` says what is wrong or wanted.
- ``reasons`` [str] (or one str) — reasons for 不予受理 / 不通过.
- ``competent_agency`` str — refusal because the item is not this agency's: where to apply instead.
- ``review_body`` str — 行政复议机关; ``court`` str — 人民法院 (defaults: generic wording).
- ``result`` {``approved`` bool, ``name``, ``number``, ``valid_until``} — 办理结果 and 结果文书.
- ``delivery`` {``method``, ``tracking_number``, ``address``} — ``method`` ``window`` 窗口领取,
  ``courier`` 快递送达, ``electronic`` 电子证照, ``mail`` 邮寄, or any text.
- ``issued_at`` — the document's date (falls back to ``received_at`` for a receipt, ``accepted_at`` for an
  acceptance, ``completed_at`` for a completion; otherwise a blank "年 月 日" to fill in by hand).
- ``issuer`` str — 经办人, the clerk.

The PDF font
------------
PDFs embed a subset of a CJK TrueType font, so Chinese renders in any viewer. Looked up in this order:
``$ONEWINDOW_CJK_FONT`` (a .ttf/.ttc; face ``$ONEWINDOW_CJK_FONT_INDEX``, default 0), the PyPI package
``paperang-p2-fonts-cjk`` (WenQuanYi Micro Hei 文泉驿微米黑, a project dependency), then Debian's
``fonts-wqy-microhei`` / ``fonts-wqy-zenhei``. No font → ``FontUnavailableError`` naming what to install;
never a PDF of empty boxes. (CFF/PostScript-outline .otf fonts such as Noto Sans CJK are not usable.)
"""

from __future__ import annotations

import html
import io
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

from orchestrator.errors import OneWindowError

log = logging.getLogger(__name__)

KINDS: dict[str, str] = {
    "receipt": "收件凭证",
    "one_time_notice": "一次性告知书",
    "acceptance": "受理通知书",
    "refusal": "不予受理通知书",
    "completion": "办结通知书",
}

FONT_ENV = "ONEWINDOW_CJK_FONT"
FONT_INDEX_ENV = "ONEWINDOW_CJK_FONT_INDEX"
FONT_PACKAGE = "paperang-p2-fonts-cjk"
_FONT_MODULE, _FONT_RESOURCE = "paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc"
_SYSTEM_FONTS = (  # Debian: fonts-wqy-microhei, fonts-wqy-zenhei (TrueType outlines, embeddable)
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
_PDF_FONT_NAME = "OneWindowCJK"
_FONT_PROBE = "受理通知书办件编号申请人"

_CHANNELS = {"window": "窗口", "online": "网上", "mobile": "掌上", "proxy": "代办", "kiosk": "自助机"}
_DELIVERY = {
    "window": "窗口领取",
    "pickup": "窗口领取",
    "courier": "快递送达",
    "express": "快递送达",
    "mail": "邮寄",
    "electronic": "电子证照",
}
_PERMIT_LAW = "《中华人民共和国行政许可法》第三十二条"
_BLANK_DATE = "　　年　　月　　日"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class FontUnavailableError(OneWindowError, RuntimeError):
    """No usable CJK TrueType font for PDF documents (an installation problem, not bad input)."""


# --------------------------------------------------------------------------------------------------
# Reading the case
# --------------------------------------------------------------------------------------------------


def _s(value) -> str:
    """Any value as clean one-piece text ('' for None); control characters dropped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return _CONTROL.sub("", str(value)).strip()


def _get(case: Mapping, *path):
    cur = case
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def _person(value) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {k: _s(value.get(k)) for k in ("name", "id_number", "phone")}
    return {"name": _s(value), "id_number": "", "phone": ""}


def _items(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str | Mapping):
        return [value]
    return list(value) if isinstance(value, Iterable) else [value]


def _material(value) -> tuple[str, str]:
    """(name, remark) of a material given as a name or as {name, copies, note}."""
    if isinstance(value, Mapping):
        copies = _s(value.get("copies"))
        if copies.isdigit():
            copies = f"{copies}份"
        remark = "；".join(x for x in (copies, _s(value.get("note"))) if x)
        return _s(value.get("name")), remark
    return _s(value), ""


def _parse_when(value) -> tuple[date | None, bool]:
    if isinstance(value, datetime):
        return value, True
    if isinstance(value, date):
        return value, False
    text = _s(value)
    if not text:
        return None, False
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, False
    return parsed, len(text) > 10


def _fmt_date(value, with_time: bool = False) -> str:
    """ISO date/datetime → 2025年3月12日 [09:30]; other text unchanged; None → ''."""
    when, has_time = _parse_when(value)
    if when is None:
        return _s(value)
    text = f"{when.year}年{when.month}月{when.day}日"
    if with_time and has_time and isinstance(when, datetime):
        text += f" {when:%H:%M}"
    return text


def _label(value, table: dict[str, str]) -> str:
    text = _s(value)
    return table.get(text.lower(), text)


# --------------------------------------------------------------------------------------------------
# The document model: one list of blocks, rendered by both the HTML and the PDF writer
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Para:
    text: str
    style: str = "body"  # body (first line indented) | addressee | note


@dataclass(frozen=True)
class _Fields:
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width


@dataclass(frozen=True)
class _Numbered:
    items: tuple[str, ...]


@dataclass
class _Doc:
    kind: str
    title: str
    case_number: str
    agency: str
    date: str
    issuer: str = ""
    phone: str = ""
    blocks: list = field(default_factory=list)

    def texts(self) -> Iterable[str]:
        yield from (self.title, self.case_number, self.agency, self.date, self.issuer, self.phone)
        for block in self.blocks:
            if isinstance(block, _Para):
                yield block.text
            elif isinstance(block, _Fields):
                for row in block.rows:
                    yield from row
            elif isinstance(block, _Table):
                yield block.caption
                yield from block.header
                for row in block.rows:
                    yield from row
            elif isinstance(block, _Numbered):
                yield from block.items


def _fields(*rows: tuple[str, str, bool]) -> _Fields:
    """Rows of (label, value, always): a row with an empty value is kept only when ``always``."""
    return _Fields(tuple((label, value) for label, value, always in rows if value or always))


def _materials_table(caption: str, materials: list, remark: str = "备注") -> _Table:
    rows = []
    for n, material in enumerate(materials, 1):
        name, note = _material(material)
        rows.append((str(n), name, note))
    if not rows:
        rows.append(("", "（无）", ""))
    return _Table(caption, ("序号", "材料名称", remark), tuple(rows), (0.1, 0.55, 0.35))


def _legal_clause(case: Mapping) -> str:
    basis = _s(case.get("legal_basis"))
    if not basis and _s(case.get("item_type")) == "行政许可":
        basis = _PERMIT_LAW
    return f"根据{basis}的规定，" if basis else ""


def _appeal_rights(case: Mapping, decision: str) -> _Para:
    review_body = _s(case.get("review_body")) or "有管辖权的行政复议机关"
    court = _s(case.get("court")) or "有管辖权的人民法院"
    return _Para(
        f"如对本{decision}不服，可以自收到本通知书之日起六十日内依法向{review_body}申请行政复议，"
        f"也可以自收到本通知书之日起六个月内依法向{court}提起行政诉讼。"
    )


def _build(kind: str, case: Mapping | None) -> _Doc:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    if case is None:
        case = {}
    if not isinstance(case, Mapping):
        raise TypeError(f"case must be a dict, not {type(case).__name__}")

    applicant = _person(case.get("applicant"))
    proxy = _person(case.get("proxy"))
    item = _s(case.get("item_name"))
    item_ref = f"《{item}》" if item else ""
    received = _fmt_date(case.get("received_at"))
    when_received = f"于{received}" if received else ""
    case_number = _s(case.get("case_number"))
    numbered_ref = f"（办件编号：{case_number}）" if case_number else ""
    fallback_date = {"receipt": "received_at", "acceptance": "accepted_at", "completion": "completed_at"}
    issued = _fmt_date(case.get("issued_at")) or _fmt_date(case.get(fallback_date.get(kind, "issued_at")))

    doc = _Doc(
        kind=kind,
        title=KINDS[kind],
        case_number=case_number,
        agency=_s(case.get("agency")),
        date=issued or _BLANK_DATE,
        issuer=_s(case.get("issuer")),
        phone=_s(case.get("agency_phone")),
    )
    add = doc.blocks.append
    add(_Para(f"{applicant['name']}：" if applicant["name"] else "申请人：", "addressee"))

    if kind == "receipt":
        received_list = _items(case.get("materials_received"))
        add(
            _Para(
                f"你（单位）{when_received}提交的{item_ref}申请材料已收到，共{len(received_list)}件，清单如下。"
                "本机关将对申请材料进行审查，并于五个工作日内作出受理、不予受理或者一次性告知补正的决定。"
            )
        )
        add(
            _fields(
                ("办件编号", case_number, True),
                ("事项名称", item, True),
                ("事项编码", _s(case.get("item_code")), False),
                ("申请人", applicant["name"], True),
                ("证件号码", applicant["id_number"], True),
                ("联系电话", applicant["phone"], True),
                ("代理人", proxy["name"], False),
                ("代理人证件号码", proxy["id_number"], False),
                ("申请渠道", _label(case.get("channel"), _CHANNELS), True),
                ("收件时间", _fmt_date(case.get("received_at"), with_time=True), True),
            )
        )
        add(_materials_table("已收材料清单", received_list))
        add(_Para("本凭证仅证明已收到上述申请材料，不作为受理凭证。可凭办件编号查询办理进度。", "note"))

    elif kind == "one_time_notice":
        missing = _items(case.get("materials_missing"))
        add(
            _Para(
                f"你（单位）{when_received}提交的{item_ref}申请，经审查，申请材料不齐全或者不符合法定形式。"
                f"{_legal_clause(case)}现将需要补正的全部材料一次性告知如下（共{len(missing)}项）："
            )
        )
        add(_materials_table("补正材料清单", missing, "补正要求"))
        due = _fmt_date(case.get("supplement_due"))
        days = _s(case.get("supplement_days")) or "30"
        by_when = f"于{due}前" if due else f"自收到本告知书之日起{days}日内"
        add(
            _Para(
                f"请{by_when}按上述要求一次性补齐材料，凭本告知书或者办件编号向本机关提交。"
                "补正期间不计入办理时限；逾期未补正的，本机关将依法作出不予受理的决定。"
            )
        )
        received_list = _items(case.get("materials_received"))
        if received_list:
            add(_materials_table("已收材料", received_list))

    elif kind == "acceptance":
        add(
            _Para(
                f"你（单位）{when_received}提出的{item_ref}申请，经审查，申请材料齐全、符合法定形式，"
                f"{_legal_clause(case)}本机关决定予以受理。"
            )
        )
        add(
            _fields(
                ("办件编号", case_number, True),
                ("事项名称", item, True),
                ("申请人", applicant["name"], True),
                ("受理日期", _fmt_date(case.get("accepted_at")), True),
                ("承诺办结日期", _fmt_date(case.get("promised_due")), True),
                ("法定办结日期", _fmt_date(case.get("statutory_due")), True),
            )
        )
        add(
            _Para(
                "办理时限按工作日计算，自受理之日起算；依法需要补正、听证、检验、检测、鉴定、专家评审或者公示的，"
                "所需时间不计入办理时限。可凭办件编号通过窗口、网上或者掌上渠道查询办理进度。",
                "note",
            )
        )

    elif kind == "refusal":
        reasons = [r for r in (_s(x) for x in _items(case.get("reasons"))) if r]
        add(
            _Para(
                f"你（单位）{when_received}提出的{item_ref}申请{numbered_ref}，经审查，"
                f"{_legal_clause(case)}本机关决定不予受理" + ("，理由如下：" if reasons else "。")
            )
        )
        if reasons:
            add(_Numbered(tuple(reasons)))
        competent = _s(case.get("competent_agency"))
        if competent:
            add(_Para(f"该申请事项不属于本机关职权范围，请向{competent}提出申请。"))
        add(_appeal_rights(case, "决定"))

    elif kind == "completion":
        result = case.get("result") if isinstance(case.get("result"), Mapping) else {}
        approved = result.get("approved")
        outcome = {True: "通过", False: "不通过"}.get(approved, _s(approved))
        done = _fmt_date(case.get("completed_at")) or _fmt_date(case.get("issued_at"))
        method_code = _s(_get(case, "delivery", "method")).lower()
        method = _label(method_code, _DELIVERY)
        tracking = _s(_get(case, "delivery", "tracking_number"))
        add(
            _Para(
                f"你（单位）{when_received}提出的{item_ref}申请{numbered_ref}，"
                f"已{f'于{done}' if done else ''}办理完毕，办理结果为：{outcome or '　　'}。"
            )
        )
        add(
            _fields(
                ("办件编号", case_number, True),
                ("事项名称", item, True),
                ("申请人", applicant["name"], True),
                ("办理结果", outcome, True),
                ("结果文书", _s(result.get("name")), False),
                ("文书编号", _s(result.get("number")), False),
                ("有效期至", _fmt_date(result.get("valid_until")), False),
                ("送达方式", method, True),
                ("送达地址", _s(_get(case, "delivery", "address")), False),
                ("快递单号", tracking, False),
                ("办结日期", done, True),
            )
        )
        if approved is False:
            reasons = [r for r in (_s(x) for x in _items(case.get("reasons"))) if r]
            if reasons:
                add(_Para("不予通过的理由如下：", "addressee"))
                add(_Numbered(tuple(reasons)))
            add(_appeal_rights(case, "决定"))
        if _DELIVERY.get(method_code) == "快递送达":
            add(
                _Para(
                    "结果文书已通过快递寄出"
                    + (f"（运单号：{tracking}）" if tracking else "")
                    + "，请注意查收。"
                )
            )
        elif _DELIVERY.get(method_code) == "窗口领取":
            add(
                _Para(
                    "请凭本通知书和有效身份证件到出件窗口领取结果文书；委托他人领取的，还须提供授权委托书。"
                )
            )
        elif _DELIVERY.get(method_code) == "电子证照":
            add(_Para("电子证照已签发，可通过网上或者掌上渠道查看、下载，与纸质证照具有同等效力。"))
        add(_Para("欢迎对本次服务作出评价（好差评），您的意见是我们改进工作的依据。", "note"))

    return doc


# --------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 25mm 24mm 22mm 26mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #000; background: #fff;
  font-family: "SimSun", "Songti SC", "STSong", "Noto Serif CJK SC", "Source Han Serif SC",
    "WenQuanYi Micro Hei", serif;
  font-size: 13pt; line-height: 1.7; }
.doc { max-width: 160mm; margin: 0 auto; }
h1 { font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
    sans-serif;
  font-size: 20pt; font-weight: bold; text-align: center; letter-spacing: .15em; margin: 0 0 .2em; }
.docno { text-align: right; font-size: 10.5pt; margin: 0 0 1em; }
p { margin: 0 0 .5em; }
p.body { text-indent: 2em; }
p.note { font-size: 10.5pt; text-indent: 2em; color: #222; }
table { width: 100%; border-collapse: collapse; margin: .3em 0 .8em; font-size: 11pt; line-height: 1.4; }
caption { font-weight: bold; text-align: left; padding-bottom: .3em; }
th, td { border: 1px solid #000; padding: 3px 8px; text-align: left; vertical-align: middle;
  word-break: break-all; }
thead th { background: #eee; text-align: center; }
table.fields th { width: 32%; background: #f4f4f4; font-weight: normal; }
td.num { text-align: center; }
tr { page-break-inside: avoid; break-inside: avoid; }
ol.reasons { margin: 0 0 .8em 2em; padding-left: 1.2em; }
.closing { margin-top: 1.2em; page-break-inside: avoid; break-inside: avoid; }
.signature { margin: 1.2em 0 0 auto; width: 55%; text-align: center; }
.signature p { margin: 0 0 .3em; }
.issuer { font-size: 11pt; }
.seal { color: #444; }
@media screen {
  body { background: #e8e8e8; }
  .doc { width: 210mm; max-width: none; min-height: 297mm; padding: 25mm 24mm 22mm 26mm;
    margin: 10mm auto; background: #fff; box-shadow: 0 1px 6px rgba(0, 0, 0, .25); }
}
@media print { .doc { width: auto; min-height: 0; } }
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def _html(doc: _Doc) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(doc.title)}{(' · ' + _h(doc.case_number)) if doc.case_number else ''}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f'<article class="doc doc-{doc.kind}">',
        f"<h1>{_h(doc.title)}</h1>",
        f'<p class="docno">办件编号：<span class="case-number">{_h(doc.case_number)}</span></p>',
    ]
    for block in doc.blocks:
        if isinstance(block, _Para):
            out.append(f'<p class="{block.style}">{_h(block.text)}</p>')
        elif isinstance(block, _Fields):
            out.append('<table class="fields"><tbody>')
            out.extend(f"<tr><th>{_h(label)}</th><td>{_h(value)}</td></tr>" for label, value in block.rows)
            out.append("</tbody></table>")
        elif isinstance(block, _Table):
            out.append(f'<table class="list"><caption>{_h(block.caption)}</caption><colgroup>')
            out.extend(f'<col style="width:{w * 100:.0f}%">' for w in block.widths)
            out.append("</colgroup><thead><tr>")
            out.extend(f"<th>{_h(h)}</th>" for h in block.header)
            out.append("</tr></thead><tbody>")
            for row in block.rows:
                cells = [f'<td class="num">{_h(row[0])}</td>'] + [f"<td>{_h(c)}</td>" for c in row[1:]]
                out.append("<tr>" + "".join(cells) + "</tr>")
            out.append("</tbody></table>")
        elif isinstance(block, _Numbered):
            out.append('<ol class="reasons">')
            out.extend(f"<li>{_h(item)}</li>" for item in block.items)
            out.append("</ol>")
    out.append('<div class="closing">')
    if doc.issuer or doc.phone:
        parts = [f"经办人：{doc.issuer}" if doc.issuer else "", f"咨询电话：{doc.phone}" if doc.phone else ""]
        out.append(f'<p class="issuer">{_h("　　".join(p for p in parts if p))}</p>')
    out += [
        '<div class="signature">',
        f'<p class="agency">{_h(doc.agency)}</p>',
        '<p class="seal">（盖章）</p>',
        f'<p class="date">{_h(doc.date)}</p>',
        "</div>",
        "</div>",
        "</article>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# PDF (reportlab; the font is found and registered once per process)
# --------------------------------------------------------------------------------------------------

_pdf_lock = threading.Lock()  # reportlab's font subsetting state and registry are process-global


def _font_file() -> tuple[Path, int]:
    """The CJK TrueType font to embed, as (path, face index in a .ttc)."""
    configured = os.environ.get(FONT_ENV, "").strip()
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontUnavailableError(f"{FONT_ENV}={configured!r} is not a font file")
        try:
            index = int(os.environ.get(FONT_INDEX_ENV, "0") or 0)
        except ValueError as exc:
            raise FontUnavailableError(f"{FONT_INDEX_ENV} must be an integer") from exc
        return path, index
    try:
        packaged = resources.files(_FONT_MODULE).joinpath(_FONT_RESOURCE)
        if packaged.is_file():
            return Path(str(packaged)), 0
    except ModuleNotFoundError:
        pass
    for candidate in _SYSTEM_FONTS:
        if Path(candidate).is_file():
            return Path(candidate), 0
    raise FontUnavailableError(
        "No CJK font for PDF documents: Chinese text would print as empty boxes. Install the Python "
        f"package '{FONT_PACKAGE}' (pip install {FONT_PACKAGE}; it is a dependency of onewindow, so "
        "`pip install -e .` brings it), or Debian's 'fonts-wqy-microhei' (apt-get install fonts-wqy-microhei), "
        f"or point {FONT_ENV} at a TrueType .ttf/.ttc font with Chinese glyphs."
    )


@lru_cache(maxsize=1)
def _pdf_font():
    """Register the CJK font with reportlab once; return the reportlab TTFont."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path, index = _font_file()
    try:
        font = TTFont(_PDF_FONT_NAME, str(path), subfontIndex=index)
    except Exception as exc:  # TTFError (e.g. CFF outlines, no embedding rights), OSError
        raise FontUnavailableError(
            f"cannot embed {path} (face {index}) in PDFs: {exc}. Use a TrueType CJK font, e.g. the package "
            f"'{FONT_PACKAGE}' or Debian's 'fonts-wqy-microhei'."
        ) from exc
    lacking = [c for c in _FONT_PROBE if ord(c) not in font.face.charToGlyph]
    if lacking:
        raise FontUnavailableError(
            f"{path} has no glyphs for {''.join(lacking)}: not a Chinese font. Install '{FONT_PACKAGE}'."
        )
    pdfmetrics.registerFont(font)
    _teach_chinese_line_breaking()
    log.debug("PDF documents use the CJK font %s (face %d)", path, index)
    return font


# Chinese full-width punctuation that must not start a line (禁则). reportlab's CJK wrapping knows the
# Japanese set (、。）」…) but not ，；：！？》” — without these a line may begin with a comma.
_CANNOT_START_ZH = "\uff0c\uff1b\uff1a\uff01\uff1f\u300b\u3009\u201d\u2019\uff0e\u300d\u300f\u3011"


def _teach_chinese_line_breaking() -> None:
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    for module in (textsplit, paragraph):  # each holds its own copy of the string
        current = getattr(module, "ALL_CANNOT_START", None)
        if isinstance(current, str):  # reportlab internals: skip quietly if they ever change
            module.ALL_CANNOT_START = current + "".join(c for c in _CANNOT_START_ZH if c not in current)


def _p(text: str) -> str:
    """Text as reportlab paragraph markup. reportlab collapses runs of spaces, the full-width 　 included,
    so each 　 becomes four no-break spaces (about one em in this font): blanks to fill in by hand survive."""
    return _xml_escape(text).replace("\n", "<br/>").replace("\u3000", "\xa0" * 4)


def _pdf(doc: _Doc) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Flowable,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = _pdf_font()
    name = font.fontName
    missing = sorted(
        {c for t in doc.texts() for c in t if ord(c) not in font.face.charToGlyph and c not in "\n\t"}
    )
    if missing:
        log.warning(
            "case %s: font has no glyph for %s",
            doc.case_number,
            "".join(missing[:20]),
            extra={"case": doc.case_number},
        )

    def style(sname: str, size: float, leading: float, **kw) -> ParagraphStyle:
        return ParagraphStyle(sname, fontName=name, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    body = style("body", 13, 22, firstLineIndent=26, spaceAfter=5)
    addressee = style("addressee", 13, 22, spaceAfter=3)
    note = style("note", 10.5, 16, firstLineIndent=21, spaceAfter=5, textColor=colors.HexColor("#222222"))
    docno = style("docno", 10.5, 14, alignment=TA_RIGHT, spaceAfter=10)
    cell = style("cell", 11, 15)
    cell_centre = style("cellc", 11, 15, alignment=TA_CENTER)
    label = style("label", 11, 15, alignment=TA_LEFT)
    caption = style("caption", 11, 15, spaceBefore=2, spaceAfter=3)
    numbered = style("numbered", 13, 22, leftIndent=26 + 16, firstLineIndent=-16, spaceAfter=1)
    sign = style("sign", 13, 20, alignment=TA_CENTER)
    issuer = style("issuer", 11, 16)

    class Title(Flowable):
        """Centred title, faux bold (fill + thin stroke), slightly spaced like a printed 公文 title."""

        def __init__(self, text: str, size: float = 20):
            super().__init__()
            self.text, self.size = text, size

        def wrap(self, available_width, available_height):
            self.width = available_width
            return available_width, self.size * 1.8

        def draw(self):
            canvas = self.canv
            canvas.saveState()
            canvas.setFont(name, self.size)
            canvas.setLineWidth(self.size / 36)
            canvas.drawCentredString(
                self.width / 2, self.size * 0.55, self.text, mode=2, charSpace=self.size / 8
            )
            canvas.restoreState()

    own_font = ("FONT", (0, 0), (-1, -1), name, 11)  # tables default to Helvetica, even with Paragraph cells
    grid = [
        own_font,
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]
    page_w, page_h = A4
    margins = {"leftMargin": 26 * mm, "rightMargin": 24 * mm, "topMargin": 25 * mm, "bottomMargin": 22 * mm}
    width = page_w - margins["leftMargin"] - margins["rightMargin"]

    story: list = [Title(doc.title), Paragraph("办件编号：" + _p(doc.case_number), docno)]
    for block in doc.blocks:
        if isinstance(block, _Para):
            story.append(
                Paragraph(_p(block.text), {"body": body, "addressee": addressee, "note": note}[block.style])
            )
        elif isinstance(block, _Fields):
            rows = [[Paragraph(_p(k), label), Paragraph(_p(v), cell)] for k, v in block.rows]
            table = Table(rows, colWidths=[width * 0.3, width * 0.7])
            table.setStyle(TableStyle(grid + [("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f4f4f4"))]))
            story += [Spacer(1, 3), table, Spacer(1, 8)]
        elif isinstance(block, _Table):
            rows = [[Paragraph(_p(h), cell_centre) for h in block.header]]
            rows += [
                [Paragraph(_p(row[0]), cell_centre)] + [Paragraph(_p(c), cell) for c in row[1:]]
                for row in block.rows
            ]
            table = Table(rows, colWidths=[width * w for w in block.widths], repeatRows=1)
            table.setStyle(TableStyle(grid + [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]))
            story += [Paragraph(_p(block.caption), caption), table, Spacer(1, 8)]
        elif isinstance(block, _Numbered):
            story += [Paragraph(_p(f"{n}. {item}"), numbered) for n, item in enumerate(block.items, 1)]
            story.append(Spacer(1, 5))
    closing: list = [Spacer(1, 12)]
    if doc.issuer or doc.phone:
        parts = [f"经办人：{doc.issuer}" if doc.issuer else "", f"咨询电话：{doc.phone}" if doc.phone else ""]
        closing.append(Paragraph(_p("　　".join(p for p in parts if p)), issuer))
    signature = Table(
        [[Paragraph(_p(doc.agency), sign)], [Paragraph("（盖章）", sign)], [Paragraph(_p(doc.date), sign)]],
        colWidths=[width * 0.55],
        hAlign="RIGHT",
    )
    signature.setStyle(
        TableStyle([own_font, ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])
    )
    story.append(KeepTogether(closing + [Spacer(1, 14), signature]))

    def footer(canvas, template):
        canvas.saveState()
        canvas.setFont(name, 9)
        canvas.setFillColor(colors.HexColor("#555555"))
        y = margins["bottomMargin"] - 10 * mm
        if doc.case_number:
            canvas.drawString(margins["leftMargin"], y, f"{doc.title}　办件编号：{doc.case_number}")
        canvas.drawRightString(page_w - margins["rightMargin"], y, f"第 {canvas.getPageNumber()} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{doc.title} {doc.case_number}".strip(),
        author=doc.agency,
        subject=doc.case_number,
        creator="OneWindow",
        lang="zh-CN",
        initialFontName=name,  # so no unembedded standard font (Helvetica) is referenced at all
        initialFontSize=12,
        **margins,
    )
    with _pdf_lock:
        template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def render_html(kind: str, case: Mapping | None) -> str:
    """A complete printable HTML page (A4 print styles, inline CSS) for document ``kind`` of ``case``."""
    return _html(_build(kind, case))


def render_pdf(kind: str, case: Mapping | None) -> bytes:
    """An A4 PDF with an embedded subset CJK font; raises FontUnavailableError if there is no such font."""
    return _pdf(_build(kind, case))


def render(kind: str, case: Mapping | None) -> tuple[str, bytes]:
    """(HTML, PDF) of the same document."""
    doc = _build(kind, case)
    return _html(doc), _pdf(doc)


def suggested_filename(kind: str, case: Mapping | None, ext: str = "pdf") -> str:
    """A safe download name such as ``OW-2025-000123-受理通知书.pdf``."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    number = re.sub(r"[^\w.-]+", "_", _s((case or {}).get("case_number")))[:64].strip("._")
    return f"{number + '-' if number else ''}{KINDS[kind]}.{ext}"
