"""The service hall's formats, checked on the server at every submission: a resident ID number's GB 11643
check digit, a unified social credit code's GB 32100 check character, mobile phones and postcodes."""

from __future__ import annotations

import pytest

from orchestrator.core import i18n
from orchestrator.deploy.formats import credit_code_valid, id_number_valid
from orchestrator.deploy.forms import compile_schema, field_errors

FORM = {
    "type": "object",
    "properties": {
        "applicant": {
            "type": "object",
            "title": "申请人",
            "properties": {
                "id_number": {"type": "string", "title": "身份证号", "format": "cn-id-number"},
                "phone": {"type": "string", "title": "手机号", "format": "cn-mobile"},
                "postcode": {"type": "string", "title": "邮政编码", "format": "cn-postcode"},
            },
        },
        "company_code": {"type": "string", "title": "统一社会信用代码", "format": "cn-credit-code"},
    },
}


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),  # a lower-case check character is the same
        ("110105194912310021", False),  # wrong check digit
        ("110105194913310028", False),  # month 13
        ("11010519491231002", False),  # 17 characters
        ("1101051949123100AX", False),
    ],
)
def test_a_resident_id_number_needs_its_check_digit_and_a_real_birth_date(number, valid):
    assert id_number_valid(number) is valid


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91350100M000100Y43", True),
        ("91110000600037341L", True),
        ("91350100M000100Y44", False),
        ("9135010", False),
    ],
)
def test_a_credit_code_needs_its_check_character(code, valid):
    assert credit_code_valid(code) is valid


def test_a_wrong_check_digit_is_refused_naming_the_field_in_chinese():
    validator = compile_schema(FORM)
    good = {
        "applicant": {"id_number": "11010519491231002X", "phone": "13800000000", "postcode": "315000"},
        "company_code": "91350100M000100Y43",
    }
    assert field_errors(validator, good) == []
    bad = {
        "applicant": {"id_number": "110105194912310021", "phone": "23800000000", "postcode": "3150"},
        "company_code": "91350100M000100Y44",
    }
    problems = {p.field: p.message for p in field_errors(validator, bad)}
    assert set(problems) == {"applicant/id_number", "applicant/phone", "applicant/postcode", "company_code"}
    with i18n.speaking("zh"):
        shown = str(problems["applicant/id_number"])
        assert "申请人 › 身份证号（applicant.id_number）" in shown and "居民身份证号码（含校验位）" in shown
        assert "统一社会信用代码（含校验位）" in str(problems["company_code"])
    with i18n.speaking("en"):
        assert "is not a valid resident ID number" in str(problems["applicant/id_number"])
