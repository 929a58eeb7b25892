"""The government domain's lists, each defined once: channels, case classes and status codes, evaluation
and warning levels, document kinds, and the catalog's choices (domain.md §2–§6).

Values are what is stored and shown (Chinese); status codes and evaluation levels are the national codes.
"""

from __future__ import annotations

# -- channels (申请渠道) -------------------------------------------------------------------------------
WINDOW, ONLINE, MOBILE, PROXY, KIOSK = "窗口", "网上", "掌上", "代办", "自助机"
CHANNELS = (WINDOW, ONLINE, MOBILE, PROXY, KIOSK)
CHANNEL_ALIASES = {"window": WINDOW, "online": ONLINE, "mobile": MOBILE, "proxy": PROXY, "kiosk": KIOSK}
VISIT_CHANNELS = (WINDOW, KIOSK)  # evaluated once per visit (一次一评); the others once per case (一事一评)
EVALUATION_CHANNELS = (WINDOW, ONLINE, MOBILE, KIOSK)


def channels_for(entry: dict) -> list[str]:
    """The channels a service item may be applied through, by its catalog entry's `channels`."""
    allowed = entry.get("channels") or {}
    found = [WINDOW]
    if allowed.get("online"):
        found += [ONLINE, MOBILE]
    if allowed.get("proxy"):
        found.append(PROXY)
    return [*found, KIOSK]


# -- case status codes (办件状态, domain.md §3) ----------------------------------------------------------
STATUS = {
    1: "已接件",
    2: "已撤件",
    3: "已受理",
    4: "不受理",
    5: "不予受理",
    6: "补正开始",
    7: "补正结束",
    8: "部门开始办理",
    9: "特别程序开始",
    10: "特别程序结束",
    11: "办结(通过)",
    12: "办结(容缺通过)",
    13: "办结(不通过)",
    14: "撤回",
    15: "撤销",
}
CLOSED = frozenset({2, 4, 5, 11, 12, 13, 14, 15})
DELIVERED = frozenset({11, 12, 13})  # closed with a result: may be evaluated
REFUSED = frozenset({4, 5})
SUPPLEMENT = "补正"  # the pause of status 6; also the inbox action that starts it
SPECIAL_PROCEDURE = "特别程序"  # the pause of status 9 when the diagram names no kind

# -- case classes (办件类型) and item types -------------------------------------------------------------
NATIONAL_CLASSES = {1: "即办件", 2: "承诺件", 9: "其他"}
LOCAL_CLASSES = ("即办", "承诺", "联办", "上报", "特殊")
ITEM_TYPES = (
    "行政许可",
    "行政确认",
    "行政给付",
    "行政征收",
    "行政奖励",
    "行政裁决",
    "其他行政权力",
    "公共服务",
)
MATERIAL_NECESSITY = ("必要", "非必要", "容缺后补")
MATERIAL_FORMS = ("纸质", "电子", "纸质和电子")
MATERIAL_SOURCES = ("申请人自备", "政府部门核发", "其他")
SCOPES = ("全市", "跨市", "跨省", "本地")

# -- 好差评 (GB/T 39046 codes: 1 best … 5 worst) -------------------------------------------------------
EVALUATION_LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
BAD_LEVELS = frozenset({4, 5})  # 差评

# -- 电子监察 ------------------------------------------------------------------------------------------
WARNING_LEVELS = {"reminder": "提醒", "yellow": "黄牌", "red": "红牌"}

# -- documents (办件文书) -------------------------------------------------------------------------------
DOCUMENT_KINDS = {
    "receipt": "收件凭证",
    "one_time_notice": "一次性告知书",
    "acceptance": "受理通知书",
    "refusal": "不予受理通知书",
    "completion": "办结通知书",
}
