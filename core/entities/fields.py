"""Field kinds as marshmallow fields, with a Chinese message for every way input can be wrong.

A schema is built from a type's fields (see :mod:`core.entities.registry`, which caches
it per tenant). Loading gives typed Python values; dumping gives the JSON stored in the
entity row. Indexed fields also yield the values of their typed projections.
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..plaintext import CONTROL_MESSAGE, has_control
from . import uscc
from .definitions import EntityType, Field

REQUIRED = "此项必填"
FRACTION = "请输入整数（不能有小数）"
#: ASCII digits only (``re.ASCII``): Python's ``\d`` would also take full-width "０５３１" and other
#: scripts' digits, which no phone system dials; the pattern is also the OpenAPI ``pattern``.
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$", re.ASCII)
TEXT_LIMITS = {"text": 200, "long_text": 5000}
#: Numbers must fit the projections' NUMERIC(20, 4) (and SQLite's 64-bit integers) on every database.
STORABLE = validate.Range(min=-(10**15), max=10**15, error="数值太大,超出了可以保存的范围(绝对值不超过 10 的 15 次方)")


def parse_number(text: str, bound: int = 10**15) -> decimal.Decimal | None:
    """``text`` as a number below ``bound`` in absolute value, written in ASCII, else None.

    The exponent is checked before any arithmetic: ``abs(Decimal("1E+999999999"))``
    overflows, and PostgreSQL cannot bind ``1E-999999999`` as a NUMERIC."""
    if not text.isascii():
        return None
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    if not number.is_finite() or (number and not -20 <= number.adjusted() < len(str(bound))):
        return None
    return number if abs(number) < bound else None


SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_TAGS = 20
#: Projections index the first 400 characters of a text (the column's width); search and
#: sort see those, the record keeps all of it.
PROJECTED_TEXT = 400


class Text(fields.String):
    """A string without control characters (``long_text`` keeps line breaks and tabs) or
    lone surrogates, which no database stores."""

    def __init__(self, *args, long_text: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.long_text = long_text

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if SURROGATE.search(text) or has_control(text, long_text=self.long_text):
            raise ValidationError(CONTROL_MESSAGE)
        return text


class WholeNumber(fields.Integer):
    """An integer in ASCII digits. ``12.0`` (how Excel carries whole numbers) is 12; ``12.9``
    is refused rather than cut to 12."""

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            return value
        number = parse_number(str(value).strip(), 10**18) if isinstance(value, str | float | decimal.Decimal) else None
        if number is None:
            raise self.make_error("invalid")
        if number != number.to_integral_value():
            raise self.make_error("fraction")
        return int(number)


class Money(fields.Decimal):
    """Yuan with at most two decimals: 1.234 is refused rather than silently rounded."""

    def _validated(self, value):
        number = super()._validated(value)
        if number is not None and number.as_tuple().exponent < -2:
            raise self.make_error("places")
        return number


class FileRef(fields.Field):
    """A stored file, as ``{"file": id, ...}`` (see :mod:`core.entities.files`); the
    service checks that the id is one of the tenant's files and fills in the rest."""

    KEYS = frozenset({"file", "name", "size", "type", "url"})

    def _deserialize(self, value, attr, data, **kwargs):
        if (not isinstance(value, dict) or not set(value) <= self.KEYS or not isinstance(value.get("file"), int)
                or isinstance(value.get("file"), bool)):
            raise ValidationError("请上传文件;接口只接受已上传文件的 {\"file\": 编号} 或 null")
        return {"file": value["file"]}


def _messages(**extra: str) -> dict[str, str]:
    return {"required": REQUIRED, "null": REQUIRED, **extra}


def _uscc_check(value: str) -> None:
    result = uscc.validate(value)
    if not result.ok:
        raise ValidationError(result.message)


def _phone_check(value: str) -> None:
    if PHONE.fullmatch(value):  # match() would let "$" pass a trailing line break
        return
    if any(ch.isdigit() and not ch.isascii() for ch in value):
        raise ValidationError("电话号码请用半角数字 0-9 填写(不能用全角数字或其他文字的数字)")
    raise ValidationError("请输入手机号(11 位,1 开头)或座机号(如 0531-86123456)")


def marshmallow_field(field: Field) -> fields.Field:
    # A required field with a default is filled in when absent, but may not be emptied.
    common: dict[str, Any] = {"required": field.required and field.default is None, "allow_none": not field.required}
    if field.default is not None:
        # A default is stored as JSON; a date default is loaded as the date it names.
        default = field.default
        common["load_default"] = dt.date.fromisoformat(default) if field.kind == "date" and isinstance(default, str) else default
    kind = field.kind
    if kind in TEXT_LIMITS:
        limit = field.max_length or TEXT_LIMITS[kind]
        return Text(
            long_text=kind == "long_text",
            validate=validate.Length(max=limit, error=f"最多 {limit} 个字"),
            error_messages=_messages(invalid="请输入文字"),
            **common,
        )
    if kind in ("integer", "decimal", "money"):
        bounds = validate.Range(
            min=0 if kind == "money" and field.minimum is None else field.minimum,
            max=field.maximum,
            error=_range_message(field),
        )
        bounds = [bounds, STORABLE]
        if kind == "integer":
            return WholeNumber(validate=bounds, error_messages=_messages(invalid="请输入整数", fraction=FRACTION), **common)
        if kind == "decimal":
            return fields.Decimal(
                as_string=True, allow_nan=False, validate=bounds,
                error_messages=_messages(invalid="请输入数字", special="请输入数字"), **common,
            )
        return Money(
            as_string=True, allow_nan=False, validate=bounds,
            error_messages=_messages(invalid="请输入金额,例如 12000 或 12000.50", special="请输入金额",
                                     places="金额最多保留两位小数(分)"),
            **common,
        )
    if kind == "date":
        return fields.Date(error_messages=_messages(invalid="请输入日期,格式如 2024-05-01"), **common)
    if kind == "boolean":
        return fields.Boolean(error_messages=_messages(invalid="请选择是或否"), **common)
    if kind == "choice":
        return Text(validate=validate.OneOf(field.choices, error=_choice_message(field)), **common,
                             error_messages=_messages(invalid="请从列表中选择"))
    if kind == "multi_choice":
        inner = Text(validate=validate.OneOf(field.choices, error=_choice_message(field)))
        return fields.List(inner, error_messages=_messages(invalid="请从列表中选择"), **common)
    if kind == "tags":
        inner = Text(validate=validate.Length(min=1, max=30, error="每个标签 1-30 个字"))
        return fields.List(
            inner, validate=validate.Length(max=MAX_TAGS, error=f"最多 {MAX_TAGS} 个标签"),
            error_messages=_messages(invalid="标签格式不对"), **common,
        )
    if kind == "reference":
        return WholeNumber(validate=STORABLE, error_messages=_messages(invalid="请选择一条关联记录", fraction="请选择一条关联记录"),
                           **common)
    if kind == "uscc":
        return Text(validate=_uscc_check, error_messages=_messages(invalid="请输入统一社会信用代码"), **common)
    if kind == "phone":
        return Text(validate=_phone_check, error_messages=_messages(invalid="请输入电话号码"), **common)
    if kind == "file":
        return FileRef(error_messages=_messages(), **common)
    raise ValueError(f"unknown field kind {kind}")


def _range_message(field: Field) -> str:
    low = 0 if field.kind == "money" and field.minimum is None else field.minimum
    if low is not None and field.maximum is not None:
        return f"应在 {low} 到 {field.maximum} 之间"
    if low is not None:
        return f"不能小于 {low}"
    return f"不能大于 {field.maximum}"


def _choice_message(field: Field) -> str:
    return f"请从以下选项中选择:{'、'.join(field.choices)}"


def build_schema(entity_type: EntityType) -> Schema:
    """A marshmallow schema for one type as one tenant sees it; unknown keys are refused."""
    declared = {f.name: marshmallow_field(f) for f in entity_type.fields}
    schema_class = Schema.from_dict(declared, name=f"{entity_type.name.title().replace('_', '')}Schema")
    return schema_class(unknown=RAISE)


def clean_input(entity_type: EntityType, data: dict[str, Any]) -> dict[str, Any]:
    """Normalise raw input before validation: trimmed text, empty means none, codes upper-cased."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        field = entity_type.field(key)
        if isinstance(value, str):
            value = value.strip()
            if field is not None and field.kind == "uscc":
                value = uscc.normalise(value)
        cleaned[key] = None if value in ("", []) else value
    return cleaned


def projection_values(field: Field, value: Any) -> list[tuple[str, Any]]:
    """The (column, value) pairs a field's value is indexed under."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    column = projection_column(field)
    converted = []
    for item in values:
        if column == "text_value":
            item = str(item)[:PROJECTED_TEXT]
        elif column == "num_value":
            item = decimal.Decimal(int(item)) if isinstance(item, bool) else decimal.Decimal(str(item))
        elif column == "date_value" and isinstance(item, str):
            item = dt.date.fromisoformat(item)
        converted.append((column, item))
    return converted


def projection_column(field: Field) -> str:
    if field.kind in ("integer", "decimal", "money", "boolean", "reference"):
        return "num_value"
    if field.kind == "date":
        return "date_value"
    return "text_value"
