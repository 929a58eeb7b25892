"""The forms of the item templates (written into templates/<class>/forms/ by make_templates.py)."""

from __future__ import annotations

MATERIALS = {"type": "string", "x-catalog": "materials"}


def _schema(title: str, properties: dict, required: list[str], **more) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        **more,
    }


def _when(field: str, value, required: list[str]) -> dict:
    return {
        "if": {"properties": {field: {"const": value}}, "required": [field]},
        "then": {"required": required},
    }


OPINION = {"type": "string", "title": "意见", "maxLength": 2000}
FORMS = {
    "check.schema.json": _schema(
        "收件审查",
        {
            "eligible": {"type": "boolean", "title": "符合受理条件"},
            "complete": {"type": "boolean", "title": "材料齐全"},
            "received": {
                "type": "array",
                "title": "已收材料",
                "items": MATERIALS,
                "uniqueItems": True,
            },
            "refuse_reason": {"type": "string", "title": "不予受理理由", "minLength": 1, "maxLength": 2000},
            "opinion": {**OPINION, "title": "收件意见"},
        },
        ["eligible"],
        allOf=[_when("eligible", True, ["complete"]), _when("eligible", False, ["refuse_reason"])],
    ),
    "notice.schema.json": _schema(
        "一次性告知",
        {
            "missing": {
                "type": "array",
                "title": "需补正的材料",
                "items": MATERIALS,
                "minItems": 1,
                "uniqueItems": True,
            },
            "notice": {"type": "string", "title": "补正要求（一次性告知书）", "maxLength": 2000},
            "opinion": {**OPINION, "title": "告知意见"},
        },
        ["missing"],
    ),
    "notice.uischema.json": {
        "ui:order": ["missing", "notice", "opinion"],
        "missing": {"ui:widget": "checkboxes"},
        "notice": {"ui:widget": "textarea"},
    },
    "resubmit.schema.json": _schema(
        "补正收件",
        {
            "supplied": {
                "type": "array",
                "title": "已补正的材料",
                "items": MATERIALS,
                "minItems": 1,
                "uniqueItems": True,
            },
            "opinion": {**OPINION, "title": "收件意见"},
        },
        ["supplied"],
    ),
    "resubmit.uischema.json": {"supplied": {"ui:widget": "checkboxes"}},
    "review.schema.json": _schema(
        "审查",
        {
            "recommend": {"type": "boolean", "title": "拟同意"},
            "opinion": {**OPINION, "title": "审查意见", "minLength": 1},
        },
        ["recommend", "opinion"],
    ),
    "decide.schema.json": _schema(
        "审批决定",
        {
            "approved": {"type": "boolean", "title": "是否准予"},
            "result_name": {"type": "string", "title": "结果名称（证照、批文）", "maxLength": 100},
            "result_number": {"type": "string", "title": "文号或证照编号", "maxLength": 100},
            "reasons": {
                "type": "string",
                "title": "不予准予的理由（含申请行政复议或提起行政诉讼的权利）",
                "minLength": 1,
                "maxLength": 2000,
            },
            "opinion": {**OPINION, "title": "决定意见"},
        },
        ["approved"],
        allOf=[_when("approved", False, ["reasons"])],
    ),
    "decide.uischema.json": {
        "ui:order": ["approved", "result_name", "result_number", "reasons", "opinion"],
        "reasons": {"ui:widget": "textarea"},
        "opinion": {"ui:widget": "textarea"},
    },
    "deliver.schema.json": _schema(
        "出件",
        {
            "delivery": {"type": "string", "title": "送达方式", "enum": ["窗口领取", "快递送达", "电子证照"]},
            "tracking_number": {"type": "string", "title": "快递单号", "maxLength": 50},
            "recipient": {"type": "string", "title": "领取人/收件人", "maxLength": 100},
        },
        ["delivery"],
        allOf=[_when("delivery", "快递送达", ["tracking_number"])],
    ),
}
PROXY_FORMS = {
    "register.schema.json": _schema(
        "代办员登记委托",
        {
            "authorised": {"type": "boolean", "title": "已签署授权委托书", "const": True},
            "handed_over": {
                "type": "array",
                "title": "交接的材料",
                "items": MATERIALS,
                "uniqueItems": True,
            },
            "opinion": {**OPINION, "title": "备注"},
        },
        ["authorised"],
    ),
    "work_record.schema.json": _schema(
        "代办工作记录",
        {
            "delivered_on": {"type": "string", "title": "送达日期", "format": "date"},
            "applicant_signed": {"type": "boolean", "title": "申请人已签收", "const": True},
            "proxy_signed": {"type": "boolean", "title": "代办员已签字", "const": True},
            "opinion": {**OPINION, "title": "工作记录"},
        },
        ["delivered_on", "applicant_signed", "proxy_signed"],
    ),
}
