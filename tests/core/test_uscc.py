"""Specifications for the Unified Social Credit Code (GB 32100-2015) helpers."""

from __future__ import annotations

import random

import pytest

from core.entities import uscc
from core.entities.uscc import (
    ALPHABET,
    DEPARTMENTS,
    ORG_TYPES,
    WEIGHTS,
    check_character,
    describe,
    make,
    normalise,
    organisation_check_digit,
    validate,
)

VALID_EXAMPLES = [
    "51420000MJH200395N",  # 民政 · 社会团体
    "52420000MJH233402K",  # 民政 · 民办非企业单位
    "53420000MJH2448303",  # 民政 · 基金会
    "91110000600037341L",  # 工商 · 企业
]


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


# --- the alphabet and weights --------------------------------------------------------


def test_alphabet_and_weights():
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    # Every weight is non-zero and distinct modulo the prime 31: this is what makes every
    # single substitution and every adjacent transposition detectable.
    assert all(w % 31 for w in WEIGHTS)
    assert len(set(WEIGHTS)) == 17


# --- the DOMAIN examples ---------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_EXAMPLES)
def test_domain_examples_pass(code):
    result = validate(code)
    assert result.ok, result.messages
    assert bool(result) is True
    assert result.message is None
    assert result.organisation_check_ok is True
    assert check_character(code[:17]) == code[17]
    assert organisation_check_digit(code[8:16]) == code[16]


def test_domain_failing_example_fails_on_check_character():
    result = validate("51420000MJH2003664")
    assert not result.ok
    assert result.kinds == ("check",)
    assert result.message == "校验位应为 N,实际为 4"
    assert result.expected_check == "N"
    assert result.only_check_failed
    # Its organisation-code part is also off (expected 0), reported softly.
    assert result.organisation_check_ok is False
    assert result.expected_organisation_check == "0"


def test_describe_domain_examples():
    d = describe("51420000MJH200395N")
    assert d.label == "民政 · 社会团体"
    assert (d.department, d.org_type, d.division) == ("民政", "社会团体", "420000")
    assert d.organisation_code == "MJH200395"
    assert describe("52420000MJH233402K").label == "民政 · 民办非企业单位"
    assert describe("53420000MJH2448303").label == "民政 · 基金会"
    assert describe("91110000600037341L").label == "工商 · 企业"
    assert describe("91110000600037341L").division == "110000"


def test_describe_unknown_parts_and_short_input():
    assert describe("X7370100MJH200395N").label == "未知(X) · 未知(7)"
    assert describe("57370100MJH200395N").label == "民政 · 未知(7)"
    with pytest.raises(ValueError):
        describe("5137")


# --- the error messages, in order -------------------------------------------------------


@pytest.mark.parametrize("code", ["", "   ", None, "\u3000"])
def test_empty(code):
    result = validate(code)
    assert result.kinds == ("empty",)
    assert result.message == "统一社会信用代码不能为空"
    assert result.organisation_check_ok is None


@pytest.mark.parametrize("code,n", [("51420000MJH200395", 17), ("51420000MJH200395NN", 19), ("5", 1)])
def test_length(code, n):
    result = validate(code)
    assert result.kinds == ("length",)
    assert result.message == f"统一社会信用代码应为 18 位,当前为 {n} 位"


@pytest.mark.parametrize("bad", list("IOZSV"))
def test_letters_never_used(bad):
    code = "51420000MJH20039" + bad + "N"
    result = validate(code)
    assert result.kinds == ("character",)
    assert result.errors[0].position == 17
    assert f"第 17 位字符“{bad}”" in result.message
    assert "I、O、Z、S、V" in result.message


def test_other_bad_characters_each_named():
    result = validate("51420000MJH2003-5#")
    assert result.kinds == ("character", "character")
    assert [e.position for e in result.errors] == [16, 18]
    assert "“-”" in result.messages[0] and "“#”" in result.messages[1]


def test_department():
    code = with_check("X1420000MJH200395")
    result = validate(code)
    assert result.kinds == ("department",)
    assert result.message == "第 1 位登记管理部门代码“X”无效"


def test_org_type_invalid_for_civil_affairs():
    code = with_check("54420000MJH200395")
    result = validate(code)
    assert result.kinds == ("org_type",)
    assert result.message.startswith("第 2 位机构类别代码“4”不适用于民政登记")
    assert "1 社会团体" in result.message and "3 基金会" in result.message


def test_org_type_depends_on_department():
    # 3 is a 基金会 under 民政 and a 农民专业合作社 under 工商, but nothing under 工会.
    assert validate(with_check("53370100MJH200395")).ok
    assert validate(with_check("93370100MJH200395")).ok
    assert validate(with_check("83370100MJH200395")).kinds == ("org_type",)


def test_division_must_be_digits():
    code = with_check("5137A100MJH200395")
    result = validate(code)
    assert result.kinds == ("division",)
    assert result.message == "第 3-8 位登记管理机关行政区划码应为 6 位数字,当前为“37A100”"


def test_wrong_check_character_message():
    result = validate("51420000MJH200395M")
    assert result.kinds == ("check",)
    assert result.message == "校验位应为 N,实际为 M"


def test_errors_are_listed_in_order():
    # Bad department, bad division and bad check character at once.
    result = validate("X1A20000MJH200395N")
    assert result.kinds == ("department", "division", "check")
    result = validate("57A20000MJH200395N")
    assert result.kinds == ("org_type", "division", "check")


@pytest.mark.parametrize(
    "department,types",
    [("1", "1239"), ("2", "19"), ("3", "123459"), ("4", "19"), ("5", "1239"), ("6", "129"),
     ("7", "129"), ("8", "19"), ("9", "123"), ("A", "19"), ("N", "1239"), ("Y", "1")],
)
def test_department_and_type_table(department, types):
    assert department in DEPARTMENTS
    assert "".join(ORG_TYPES[department]) == types
    for t in types:
        assert validate(make(department, t, "370100", "MJH20039")).ok


def test_departments_listed():
    assert DEPARTMENTS["1"] == "机构编制"
    assert DEPARTMENTS["5"] == "民政"
    assert DEPARTMENTS["9"] == "工商"
    assert DEPARTMENTS["Y"] == "其他"
    assert set(DEPARTMENTS) == set("123456789ANY")


# --- the organisation-code check digit: a soft finding ----------------------------------


def test_organisation_check_is_soft():
    # Position 17 wrong for GB 11714, but position 18 computed over it: still valid.
    code = with_check("51420000MJH200396")
    result = validate(code)
    assert result.ok
    assert result.organisation_check_ok is False
    assert result.expected_organisation_check == "5"


def test_organisation_check_digit_values():
    assert organisation_check_digit("MJH20039") == "5"
    assert organisation_check_digit("mjh20039") == "5"
    assert organisation_check_digit("60003734") == "1"
    # 11 -> "0" and 10 -> "X"
    assert organisation_check_digit("MJH24483") == "0"
    assert any(organisation_check_digit(f"{n:08d}") == "X" for n in range(100))
    with pytest.raises(ValueError):
        organisation_check_digit("1234567")


def test_check_character_needs_17_alphabet_characters():
    with pytest.raises(ValueError):
        check_character("5142")
    with pytest.raises(ValueError):
        check_character("51420000MJH20039I")


# --- normalisation ----------------------------------------------------------------------


def test_normalise():
    assert normalise("  51420000mjh200395n\n") == "51420000MJH200395N"
    assert normalise("５１４２００００ＭＪＨ２００３９５Ｎ") == "51420000MJH200395N"
    assert normalise("\u3000５１４２００００ｍｊｈ２００３９５ｎ\u3000") == "51420000MJH200395N"
    assert normalise(None) == ""


@pytest.mark.parametrize(
    "raw",
    ["51420000mjh200395n", " 51420000MJH200395N ", "５１４２００００ＭＪＨ２００３９５Ｎ", "５１４２００００ｍｊｈ２００３９５ｎ"],
)
def test_validate_normalises(raw):
    result = validate(raw)
    assert result.ok
    assert result.code == "51420000MJH200395N"


# --- make -------------------------------------------------------------------------------


def test_make_round_trips():
    code = make("5", "1", "370100", "MJH20039")
    # Positions 1-16 as given, 17 from GB 11714, 18 from GB 32100.
    assert code == "51370100MJH200395R"
    result = validate(code)
    assert result.ok and result.organisation_check_ok
    assert describe(code).label == "民政 · 社会团体"
    assert describe(code).division == "370100"
    # Rebuilding a DOMAIN example gives it back exactly.
    for example in VALID_EXAMPLES:
        assert make(example[0], example[1], example[2:8], example[8:16]) == example


def test_make_accepts_int_serial_and_lower_case():
    assert make("5", "1", "370100", 42)[8:16] == "00000042"
    assert make("5", "1", "370100", "mjh20039") == make("5", "1", "370100", "MJH20039")


@pytest.mark.parametrize(
    "args",
    [
        ("X", "1", "370100", "MJH20039"),
        ("5", "4", "370100", "MJH20039"),
        ("5", "1", "37010", "MJH20039"),
        ("5", "1", "37A100", "MJH20039"),
        ("5", "1", "370100", "MJH2003"),
        ("5", "1", "370100", "MJI20039"),
    ],
)
def test_make_rejects_bad_parts(args):
    with pytest.raises(ValueError):
        make(*args)


# --- properties over many deterministic random codes ------------------------------------


def random_codes(n: int, seed: int = 20150901) -> list[str]:
    rng = random.Random(seed)
    departments = sorted(DEPARTMENTS)
    codes = []
    for _ in range(n):
        department = rng.choice(departments)
        org_type = rng.choice(sorted(ORG_TYPES[department]))
        division = f"{rng.randrange(10**6):06d}"
        serial = "".join(rng.choice(ALPHABET) for _ in range(8))
        codes.append(make(department, org_type, division, serial))
    return codes


def test_many_made_codes_validate():
    codes = random_codes(3000)
    assert len(set(codes)) > 2990
    for code in codes:
        result = validate(code)
        assert result.ok, (code, result.messages)
        assert result.organisation_check_ok, code
        assert validate(code.lower()).ok


def test_every_single_substitution_is_caught():
    """31 is prime and no weight is 0 mod 31, so a changed character always changes the sum."""
    for code in random_codes(120, seed=7):
        for i in range(18):
            for ch in ALPHABET:
                if ch == code[i]:
                    continue
                changed = code[:i] + ch + code[i + 1:]
                result = validate(changed)
                assert not result.ok, (code, changed)
                assert "check" in result.kinds, (code, changed)
            for ch in "IOZSV":
                changed = code[:i] + ch + code[i + 1:]
                assert validate(changed).kinds[0] == "character"


def test_every_adjacent_transposition_is_caught():
    """Neighbouring weights differ mod 31, so swapping two different neighbours is caught."""
    for code in random_codes(300, seed=11):
        for i in range(17):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            assert not validate(swapped).ok, (code, swapped)


def test_module_exports():
    for name in ("validate", "normalise", "describe", "make", "check_character",
                 "organisation_check_digit", "ALPHABET", "USCCResult"):
        assert name in uscc.__all__


def test_a_value_that_is_not_text_is_refused_like_any_bad_code():
    """The JSON API may send a list or an object where a code belongs."""
    for value in ([None], {"code": "x"}, 91370102):
        assert not validate(value).ok
