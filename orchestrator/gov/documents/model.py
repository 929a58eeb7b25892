"""The ``case`` dict of a document, read into the plain context its template is filled with.

Every key of ``case`` is optional: a missing key renders as a blank (fields meant to be filled in by hand,
e.g. the date) or is left out (lines that make no sense empty, e.g. 代理人). Every value of the context is
clean text (control characters removed, never ``None``), a list or a dict of such text, or a bool: the
template decides the wording, this module only reads the data.

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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from orchestrator.core.i18n import _
from orchestrator.gov.vocabulary import CHANNEL_ALIASES, DOCUMENT_KINDS

KINDS: dict[str, str] = DOCUMENT_KINDS

# delivery method → (code the templates test, label printed)
_DELIVERY = {
    "window": ("window", "窗口领取"),
    "pickup": ("window", "窗口领取"),
    "courier": ("courier", "快递送达"),
    "express": ("courier", "快递送达"),
    "mail": ("mail", "邮寄"),
    "electronic": ("electronic", "电子证照"),
}
_OUTCOME = {True: "通过", False: "不通过"}
_DATE_OF_KIND = {"receipt": "received_at", "acceptance": "accepted_at", "completion": "completed_at"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # and lone surrogates (no font prints them)
# A document is bounded whatever a case holds: each text and each list is cut to what a page can carry,
# so that a huge value costs a few milliseconds, not minutes and gigabytes.
MAX_TEXT = 800  # a table cell must fit on one page
MAX_ITEMS = 200


def check_kind(kind: str) -> None:
    """Raise ValueError (a translatable message) unless ``kind`` is one of KINDS."""
    if kind not in KINDS:
        raise ValueError(
            _(
                "unknown document kind {kind}; expected one of {kinds}",
                kind=repr(kind),
                kinds=", ".join(KINDS),
            )
        )


def _s(value) -> str:
    """Any value as clean one-piece text ('' for None); control characters dropped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "…"
    return _CONTROL.sub("", text).strip()


def _get(case: Mapping, *path):
    cur: Any = case
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
    if not isinstance(value, Iterable):
        return [value]
    found: list = []
    for item in value:
        if len(found) == MAX_ITEMS:
            found.append("……")
            break
        found.append(item)
    return found


def _material(value) -> dict[str, str]:
    """{name, remark} of a material given as a name or as {name, copies, note}."""
    if isinstance(value, Mapping):
        copies = _s(value.get("copies"))
        if copies.isdigit():
            copies = f"{copies}份"
        remark = "；".join(x for x in (copies, _s(value.get("note"))) if x)
        return {"name": _s(value.get("name")), "remark": remark}
    return {"name": _s(value), "remark": ""}


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


def _label(value, table: Mapping[str, str]) -> str:
    text = _s(value)
    return table.get(text.lower(), text)


def _reasons(value) -> list[str]:
    return [r for r in (_s(x) for x in _items(value)) if r]


def context(kind: str, case: Mapping | None) -> dict[str, Any]:
    """The values the template of ``kind`` is filled with, read from ``case``."""
    check_kind(kind)
    if case is None:
        case = {}
    if not isinstance(case, Mapping):
        raise TypeError(_("case must be a dict, not {type}", type=type(case).__name__))

    found = case.get("result")
    result: Mapping = found if isinstance(found, Mapping) else {}
    approved = result.get("approved")
    method = _s(_get(case, "delivery", "method"))
    code, method_label = _DELIVERY.get(method.lower(), ("", method))
    issued = _fmt_date(case.get("issued_at")) or _fmt_date(case.get(_DATE_OF_KIND.get(kind, "issued_at")))
    return {
        "kind": kind,
        "title": KINDS[kind],
        "case_number": _s(case.get("case_number")),
        "item_name": _s(case.get("item_name")),
        "item_code": _s(case.get("item_code")),
        "item_type": _s(case.get("item_type")),
        "legal_basis": _s(case.get("legal_basis")),
        "agency": _s(case.get("agency")),
        "agency_phone": _s(case.get("agency_phone")),
        "issuer": _s(case.get("issuer")),
        "date": issued,
        "applicant": _person(case.get("applicant")),
        "proxy": _person(case.get("proxy")),
        "channel": _label(case.get("channel"), CHANNEL_ALIASES),
        "received": _fmt_date(case.get("received_at")),
        "received_time": _fmt_date(case.get("received_at"), with_time=True),
        "accepted": _fmt_date(case.get("accepted_at")),
        "promised_due": _fmt_date(case.get("promised_due")),
        "statutory_due": _fmt_date(case.get("statutory_due")),
        "completed": _fmt_date(case.get("completed_at")) or _fmt_date(case.get("issued_at")),
        "supplement_due": _fmt_date(case.get("supplement_due")),
        "supplement_days": _s(case.get("supplement_days")),
        "materials_received": [_material(m) for m in _items(case.get("materials_received"))],
        "materials_missing": [_material(m) for m in _items(case.get("materials_missing"))],
        "reasons": _reasons(case.get("reasons")),
        "competent_agency": _s(case.get("competent_agency")),
        "review_body": _s(case.get("review_body")),
        "court": _s(case.get("court")),
        "result": {
            "outcome": _OUTCOME[approved] if approved in (True, False) else _s(approved),
            "refused": approved is False,
            "name": _s(result.get("name")),
            "number": _s(result.get("number")),
            "valid_until": _fmt_date(result.get("valid_until")),
        },
        "delivery": {
            "code": code,
            "method": method_label,
            "tracking_number": _s(_get(case, "delivery", "tracking_number")),
            "address": _s(_get(case, "delivery", "address")),
        },
    }


def suggested_filename(kind: str, case: Mapping | None, ext: str = "pdf") -> str:
    """A safe download name such as ``OW-2025-000123-受理通知书.pdf``."""
    check_kind(kind)
    number = re.sub(r"[^\w.-]+", "_", _s((case or {}).get("case_number")))[:64].strip("._")
    return f"{number + '-' if number else ''}{KINDS[kind]}.{ext}"
