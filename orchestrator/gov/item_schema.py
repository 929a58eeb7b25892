"""The service item's catalog entry (item.yaml, GB/T 39046-2020 fields) as a JSON Schema (draft 2020-12).

One description serves three ends: deploy checks an item.yaml against it (`gov.catalog`), the item studio
renders it as the catalog form, and `GET /api/v1/schemas/item` publishes it. Titles are the Chinese field
names a clerk knows; choices come from `gov.vocabulary`. Limits are working days, except
`supplement_days` (the 补正 answer period), which is calendar days.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.gov.vocabulary import (
    ITEM_TYPES,
    LOCAL_CLASSES,
    MATERIAL_FORMS,
    MATERIAL_NECESSITY,
    MATERIAL_SOURCES,
    NATIONAL_CLASSES,
    SCOPES,
)

SCHEMA_ID = "https://onewindow.example/schemas/item.schema.json"
SUPPLEMENT_DAYS = 30  # calendar days to answer a 补正 before the case ends as 不予受理
SUPERVISION_DEFAULTS = {"reminder_days_left": 1, "yellow_ratio": 0.9, "rectify_days": 15}
CODE_PATTERN = "^[A-Za-z0-9-]+$"
MAX_DAYS = 365


NOT_BLANK = "\\S"


def _text(title: str, max_length: int = 1000, **more: Any) -> dict:
    return {"type": "string", "title": title, "maxLength": max_length, "pattern": NOT_BLANK, **more}


def _days(title: str, low: int = 0, high: int = MAX_DAYS, **more: Any) -> dict:
    return {"type": "integer", "title": title, "minimum": low, "maximum": high, **more}


def _choice(title: str, options: Any, **more: Any) -> dict:
    return {"title": title, "enum": list(options), **more}


def _object(title: str, properties: dict, required: tuple[str, ...] = (), **more: Any) -> dict:
    return {
        "type": "object",
        "title": title,
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **more,
    }


def _department(title: str, groups: Mapping[str, str] | None) -> dict:
    """A group code; with the known groups, offered as a choice of their names."""
    found: dict[str, Any] = {"type": "string", "title": title, "minLength": 1}
    if groups:
        found["oneOf"] = [{"const": code, "title": f"{name}（{code}）"} for code, name in groups.items()]
    return found


FILE = _object(
    "文件",
    {
        "file_name": _text("文件名", 200),
        "sha256": {"type": "string", "title": "SHA-256", "pattern": "^[0-9a-f]{64}$"},
        "content_type": _text("类型", 100),
        "size": {"type": "integer", "title": "大小（字节）", "minimum": 0},
    },
    ("file_name", "sha256"),
    description="空白表格或示例样表，下载后照着填写",
)


def schema(groups: Mapping[str, str] | None = None) -> dict:
    """The catalog entry's JSON Schema; with `groups` (code → name) departments are offered as choices."""
    material = _object(
        "材料",
        {
            "name": _text("材料名称", 200),
            "necessity": _choice("必要性", MATERIAL_NECESSITY, description="容缺后补：可先受理，办结前补齐"),
            "form": _choice("材料形式", MATERIAL_FORMS),
            "copies": _object(
                "份数",
                {
                    "original": _days("原件份数", 0, 100),
                    "copy": _days("复印件份数", 0, 100),
                },
            ),
            "source": _choice("来源渠道", MATERIAL_SOURCES),
            "note": _text("备注"),
            "template": {**FILE, "title": "空白表格"},
            "sample": {**FILE, "title": "示例样表"},
        },
        ("name", "necessity", "form"),
    )
    fee = _object(
        "收费项目",
        {
            "name": _text("收费项目", 200),
            "amount": {"type": "number", "title": "金额（元）", "minimum": 0},
            "basis": _text("收费依据"),
        },
        ("name", "amount"),
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **_object(
            "事项目录条目",
            {
                "process": _text(
                    "流程标识", 200, description="条目所属流程的 id（单元只有一个流程时可省略）"
                ),
                "code": _text("基本编码", 64, pattern=CODE_PATTERN, description="字母、数字和“-”"),
                "implementation_code": _text("实施编码", 64),
                "name": _text("事项名称", 200),
                "type": _choice("事项类型", ITEM_TYPES),
                "implementing_body": _text("实施主体", 200),
                "lead_department": _department("主办部门", groups),
                "co_departments": {
                    "type": "array",
                    "title": "协办部门",
                    "items": _department("协办部门", groups),
                },
                "case_class": _object(
                    "办件类型",
                    {
                        "national": {
                            "title": "国家类型",
                            "oneOf": [
                                {"const": code, "title": f"{code} {name}"}
                                for code, name in NATIONAL_CLASSES.items()
                            ],
                        },
                        "local": _choice("地方类型", LOCAL_CLASSES),
                    },
                    ("national", "local"),
                ),
                "limits": _object(
                    "时限",
                    {
                        "statutory_days": _days("法定办结时限（工作日）"),
                        "promised_days": _days("承诺办结时限（工作日）"),
                        "supplement_days": _days("补正答复期限（自然日）", 1),
                        "department_days": {
                            "type": "object",
                            "title": "部门时限（工作日）",
                            "description": "联办件各部门自己的时限：部门代码 → 工作日",
                            "additionalProperties": _days("部门时限"),
                        },
                    },
                    ("statutory_days", "promised_days"),
                ),
                "materials": {"type": "array", "title": "申请材料", "items": material},
                "content": _text("办理内容", 2000, description="这个事项办的是什么、为谁办（办事指南首段）"),
                "life_events": {
                    "type": "array",
                    "title": "人生事件",
                    "description": "市民按“生育、就业、养老……”找事项时用的词",
                    "items": _text("人生事件", 20),
                    "uniqueItems": True,
                },
                "conditions": {"type": "array", "title": "受理条件", "items": _text("受理条件")},
                "legal_basis": {"type": "array", "title": "设定依据", "items": _text("设定依据")},
                "fees": {"type": "array", "title": "收费", "items": fee},
                "channels": _object(
                    "办理渠道",
                    {
                        "online": {"type": "boolean", "title": "网上办理"},
                        "appointment": {"type": "boolean", "title": "预约办理"},
                        "courier": {"type": "boolean", "title": "快递送达"},
                        "proxy": {"type": "boolean", "title": "代办"},
                        "visits": _days("到现场次数", 0, 5),
                    },
                    ("online", "courier", "proxy", "visits"),
                ),
                "scope": _choice("通办范围", SCOPES),
                "place": _text("办理地点", 200),
                "hours": _text("办理时间", 200),
                "phone": _text("咨询电话", 200),
                "complaint_phone": _text("投诉电话", 200),
                "supervision": _object(
                    "电子监察",
                    {
                        "reminder_days_left": _days("剩余几个工作日时提醒", 0, 30),
                        "yellow_ratio": {
                            "type": "number",
                            "title": "用时达到承诺时限的比例时亮黄牌",
                            "minimum": 0.5,
                            "maximum": 1,
                        },
                        "rectify_days": _days("差评整改时限（工作日）", 1, 60),
                    },
                ),
            },
            (
                "code",
                "name",
                "type",
                "implementing_body",
                "lead_department",
                "case_class",
                "limits",
                "materials",
                "channels",
            ),
        ),
    }


UI_SCHEMA = {
    "ui:order": [
        "name",
        "code",
        "implementation_code",
        "type",
        "case_class",
        "implementing_body",
        "lead_department",
        "co_departments",
        "limits",
        "content",
        "life_events",
        "materials",
        "conditions",
        "legal_basis",
        "fees",
        "channels",
        "scope",
        "place",
        "hours",
        "phone",
        "complaint_phone",
        "supervision",
        "process",
    ],
    "process": {"ui:widget": "hidden"},
    "content": {"ui:widget": "textarea"},
    "conditions": {"items": {"ui:widget": "textarea"}},
    "legal_basis": {"items": {"ui:widget": "textarea"}},
    "materials": {"items": {"note": {"ui:widget": "textarea"}}},
}
