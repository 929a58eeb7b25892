"""String formats a service hall's forms need, checked on the server at every submission (JSON Schema
`"format": …`): the resident ID number with its GB 11643 check digit, the unified social credit code with
its GB 32100 check digit, mobile phone numbers, postcodes and amounts in yuan (a number with at most two
decimals). The browser hints the same patterns (`HINTS`: pattern, inputmode, maxlength)."""

from __future__ import annotations

import math
import re
from datetime import date

from jsonschema import FormatChecker

ID_NUMBER = "cn-id-number"
CREDIT_CODE = "cn-credit-code"
MOBILE = "cn-mobile"
POSTCODE = "cn-postcode"
AMOUNT = "cn-amount"  # a number of yuan: at least 0, at most two decimals (fen)
PATTERNS = {  # what the browser checks before the server does
    ID_NUMBER: "^[0-9]{17}[0-9Xx]$",
    CREDIT_CODE: "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
    MOBILE: "^1[3-9][0-9]{9}$",
    POSTCODE: "^[0-9]{6}$",
}
HINTS: dict[str, dict[str, str | int]] = {  # the input's attributes in the browser, by format
    ID_NUMBER: {"pattern": PATTERNS[ID_NUMBER], "inputmode": "text", "maxlength": 18},
    CREDIT_CODE: {  # lower case is read as upper case
        "pattern": "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$",
        "inputmode": "text",
        "maxlength": 18,
    },
    MOBILE: {"pattern": PATTERNS[MOBILE], "inputmode": "tel", "maxlength": 11},
    POSTCODE: {"pattern": PATTERNS[POSTCODE], "inputmode": "numeric", "maxlength": 6},
}
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def id_number_fault(value: str) -> str | None:
    """What is wrong with a resident ID number (GB 11643-1999): "shape" (not 17 digits and a check
    character), "date" (no real birth date), "check" (a wrong check character), or None."""
    if not re.fullmatch(PATTERNS[ID_NUMBER], value):
        return "shape"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "date"
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return None if _ID_CHECK[total % 11] == value[17].upper() else "check"


def id_number_valid(value: str) -> bool:
    """A resident ID number (GB 11643-1999): 17 digits, a real birth date, and the check character."""
    return id_number_fault(value) is None


def credit_code_fault(value: str) -> str | None:
    """What is wrong with a unified social credit code (GB 32100-2015): "shape" or "check", or None."""
    value = value.upper()
    if not re.fullmatch(PATTERNS[CREDIT_CODE], value):
        return "shape"
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(value[:17], _CODE_WEIGHTS, strict=True))
    return None if _CODE_CHARS[(31 - total % 31) % 31] == value[17] else "check"


def credit_code_valid(value: str) -> bool:
    """A unified social credit code (GB 32100-2015): 18 characters, the last one a check character."""
    return credit_code_fault(value) is None


def amount_valid(value: object) -> bool:
    """An amount of yuan: a number of at least 0 with at most two decimals (non-numbers pass: `type` says)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return True
    if not math.isfinite(value) or value < 0:
        return False
    cents = value * 100
    return abs(cents - round(cents)) < 1e-9 * max(1.0, abs(cents))


def checker() -> FormatChecker:
    """jsonschema's format checker with ours added (non-strings pass: `type` reports those)."""
    found = FormatChecker()
    found.checks(ID_NUMBER)(lambda v: not isinstance(v, str) or id_number_valid(v))
    found.checks(CREDIT_CODE)(lambda v: not isinstance(v, str) or credit_code_valid(v))
    found.checks(MOBILE)(lambda v: not isinstance(v, str) or re.fullmatch(PATTERNS[MOBILE], v) is not None)
    found.checks(POSTCODE)(
        lambda v: not isinstance(v, str) or re.fullmatch(PATTERNS[POSTCODE], v) is not None
    )
    found.checks(AMOUNT)(amount_valid)
    return found
