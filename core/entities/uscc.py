"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015).

Pure functions, no Flask, no database.  An 18-character code is laid out as::

    position  1      registration department (登记管理部门代码)
    position  2      organisation type under that department (机构类别代码)
    positions 3-8    division code of the registering authority (GB/T 2260)
    positions 9-17   the organisation code (主体标识码, GB 11714); 17 is its check digit
    position  18     check character over positions 1-17

Characters come from a 31-character alphabet without I, O, Z, S and V.  The check
character is ``(31 - sum(value * 3**i mod 31)) mod 31``.  Because 31 is prime and every
weight is non-zero modulo 31, any single substituted character and any swap of two
adjacent different characters changes the check value, so both are always detected.

The organisation-code check digit (position 17, GB 11714 modulus 11) is reported as a
softer finding, ``USCCResult.organisation_check_ok``: some genuine codes fail it, so it never
makes ``validate`` fail.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field

__all__ = [
    "ALPHABET",
    "WEIGHTS",
    "ORGANISATION_WEIGHTS",
    "DEPARTMENTS",
    "ORG_TYPES",
    "USCCError",
    "USCCResult",
    "USCCDescription",
    "normalise",
    "check_character",
    "organisation_check_digit",
    "validate",
    "is_valid",
    "describe",
    "with_correct_check",
    "make",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
#: Weights for positions 1-17: 3**i mod 31 for i = 0..16.
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
#: GB 11714 weights for positions 9-16 (the eight body characters of the organisation code).
ORGANISATION_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)

#: Registration departments (position 1).  GB 32100-2015 itself lists 1, 5, 9 and Y; the
#: others were added afterwards for registrars that came into the scheme later.
DEPARTMENTS: dict[str, str] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}

#: Organisation types (position 2) allowed under each department.
ORG_TYPES: dict[str, dict[str, str]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    "2": {"1": "外国常驻新闻机构", "9": "其他"},
    "3": {
        "1": "律师执业机构",
        "2": "公证处",
        "3": "基层法律服务所",
        "4": "司法鉴定机构",
        "5": "仲裁委员会",
        "9": "其他",
    },
    "4": {"1": "外国在华文化中心", "9": "其他"},
    "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
    "6": {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地(大陆)代表机构", "9": "其他"},
    "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},
    "8": {"1": "基层工会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    "A": {"1": "军队事业单位", "9": "其他"},
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    "Y": {"1": "其他"},
}

_NEVER_USED = "IOZSV"


@dataclass(frozen=True)
class USCCError:
    """One way a code is wrong: a stable ``kind`` for programs, a Chinese ``message`` for people."""

    kind: str  # empty | length | character | department | org_type | division | check
    message: str
    position: int | None = None  # 1-based, where it applies


@dataclass(frozen=True)
class USCCResult:
    """The outcome of :func:`validate`.

    ``ok`` is true when there are no errors.  ``organisation_check_ok`` is ``None`` when the
    code is too malformed to compute it, otherwise whether position 17 matches GB 11714;
    it never affects ``ok``.
    """

    code: str
    errors: tuple[USCCError, ...] = ()
    organisation_check_ok: bool | None = None
    expected_check: str | None = None
    expected_organisation_check: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def __bool__(self) -> bool:
        return self.ok

    @property
    def message(self) -> str | None:
        """The first error message, or ``None`` when the code is valid."""
        return self.errors[0].message if self.errors else None

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(e.message for e in self.errors)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(e.kind for e in self.errors)

    @property
    def only_check_failed(self) -> bool:
        """True when the sole error is the final check character (an exception a user may confirm)."""
        return self.kinds == ("check",)


@dataclass(frozen=True)
class USCCDescription:
    code: str
    department_code: str
    department: str | None
    org_type_code: str
    org_type: str | None
    division: str
    organisation_code: str = field(default="")

    @property
    def label(self) -> str:
        """E.g. ``民政 · 社会团体``; unknown parts are shown as ``未知(x)``."""
        dept = self.department or f"未知({self.department_code})"
        kind = self.org_type or f"未知({self.org_type_code})"
        return f"{dept} · {kind}"


def normalise(code: str | None) -> str:
    """Strip, convert full-width characters to half-width and upper-case."""
    if code is None:
        return ""
    text = unicodedata.normalize("NFKC", str(code))
    return text.strip().upper()


def _values(chars: str) -> list[int]:
    try:
        return [_VALUE[c] for c in chars]
    except KeyError as exc:
        raise ValueError(f"字符“{exc.args[0]}”不是统一社会信用代码使用的字符") from None


def check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters."""
    if len(first17) != 17:
        raise ValueError(f"需要 17 位字符,当前为 {len(first17)} 位")
    total = sum(v * w for v, w in zip(_values(first17), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def _gb11714_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"字符“{ch}”不能出现在组织机构代码中")


def organisation_check_digit(code8: str) -> str:
    """GB 11714 check digit (position 17) over the eight characters at positions 9-16.

    Letters count A=10 ... Z=35, digits as themselves; check = 11 - (sum mod 11), with
    10 written ``X`` and 11 written ``0``.
    """
    if len(code8) != 8:
        raise ValueError(f"需要 8 位字符,当前为 {len(code8)} 位")
    total = sum(_gb11714_value(c) * w for c, w in zip(code8.upper(), ORGANISATION_WEIGHTS))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def validate(code: str | None) -> USCCResult:
    """Validate a code (after :func:`normalise`).  Errors are listed in a fixed order:

    empty; length; characters outside the alphabet; department; organisation type;
    division code; check character.  Empty, wrong length and bad characters stop the
    checks there (the later ones would be meaningless).
    """
    return _validate(normalise(code))


@functools.lru_cache(maxsize=1024)
def _validate(text: str) -> USCCResult:
    """The checks of :func:`validate` on a normalised code. Results are immutable and kept
    for the last 1,024 codes: saving a record checks its code twice (for a confirmed
    exception, then as the field's own check)."""
    if not text:
        return USCCResult(text, (USCCError("empty", "统一社会信用代码不能为空"),))
    if len(text) != 18:
        return USCCResult(
            text, (USCCError("length", f"统一社会信用代码应为 18 位,当前为 {len(text)} 位"),)
        )
    bad = []
    for pos, ch in enumerate(text, start=1):
        if ch not in _VALUE:
            if ch in _NEVER_USED:
                why = "统一社会信用代码不使用 I、O、Z、S、V"
            else:
                why = "只能使用数字和除 I、O、Z、S、V 以外的大写字母"
            bad.append(USCCError("character", f"第 {pos} 位字符“{ch}”无效({why})", pos))
    if bad:
        return USCCResult(text, tuple(bad))

    errors: list[USCCError] = []
    dept, kind, division = text[0], text[1], text[2:8]
    if dept not in DEPARTMENTS:
        errors.append(
            USCCError("department", f"第 1 位登记管理部门代码“{dept}”无效", 1)
        )
    elif kind not in ORG_TYPES[dept]:
        allowed = "、".join(f"{k} {v}" for k, v in ORG_TYPES[dept].items())
        errors.append(
            USCCError(
                "org_type",
                f"第 2 位机构类别代码“{kind}”不适用于{DEPARTMENTS[dept]}登记(可用:{allowed})",
                2,
            )
        )
    if not (division.isascii() and division.isdigit()):
        errors.append(
            USCCError("division", f"第 3-8 位登记管理机关行政区划码应为 6 位数字,当前为“{division}”", 3)
        )
    expected = check_character(text[:17])
    if text[17] != expected:
        errors.append(USCCError("check", f"校验位应为 {expected},实际为 {text[17]}", 18))

    expected_org = organisation_check_digit(text[8:16])
    return USCCResult(
        code=text,
        errors=tuple(errors),
        organisation_check_ok=text[16] == expected_org,
        expected_check=expected,
        expected_organisation_check=expected_org,
    )


def is_valid(code: str | None) -> bool:
    return validate(code).ok


def describe(code: str) -> USCCDescription:
    """Department, organisation type (in Chinese) and division code of a code.

    Works on any normalised code of at least 8 characters; it does not validate the code.
    """
    text = normalise(code)
    if len(text) < 8:
        raise ValueError(f"统一社会信用代码应为 18 位,当前为 {len(text)} 位")
    dept, kind = text[0], text[1]
    return USCCDescription(
        code=text,
        department_code=dept,
        department=DEPARTMENTS.get(dept),
        org_type_code=kind,
        org_type=ORG_TYPES.get(dept, {}).get(kind),
        division=text[2:8],
        organisation_code=text[8:17],
    )


def with_correct_check(code: str) -> str:
    """``code`` with its check character recomputed (for a code confirmed as a real exception)."""
    code = normalise(code)
    return code[:17] + check_character(code[:17])


def make(department: str, org_type: str, division: str, serial8: str | int) -> str:
    """Build a valid 18-character code, computing positions 17 and 18.

    ``serial8`` is the eight-character body of the organisation code (positions 9-16), from
    the code alphabet; an int is zero-padded to eight digits.
    """
    department = normalise(department)
    org_type = normalise(org_type)
    division = normalise(division)
    serial = f"{serial8:08d}" if isinstance(serial8, int) else normalise(serial8)
    if department not in DEPARTMENTS:
        raise ValueError(f"登记管理部门代码“{department}”无效")
    if org_type not in ORG_TYPES[department]:
        raise ValueError(f"机构类别代码“{org_type}”不适用于{DEPARTMENTS[department]}登记")
    if len(division) != 6 or not (division.isascii() and division.isdigit()):
        raise ValueError(f"行政区划码应为 6 位数字,当前为“{division}”")
    if len(serial) != 8 or any(c not in _VALUE for c in serial):
        raise ValueError(f"主体标识码应为 8 位代码字符,当前为“{serial}”")
    first16 = department + org_type + division + serial
    first17 = first16 + organisation_check_digit(serial)
    return first17 + check_character(first17)
