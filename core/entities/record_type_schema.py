"""The shape of a record-type definition file, checked whole before any of it is read.

An imported file is untrusted: a label that is a number or ``max_length: "abc"`` once
passed and then made every create of the type fail. :func:`check_document` bounds how
deep the text nests before it is parsed (a 5,000-deep file would exhaust the parser's
recursion), and :func:`check_definition` validates every key's type against the
schema below, answering in Chinese with where the problem is. What the values mean
(field checks, workflow, reports) is checked afterwards by the definition itself.
"""
from __future__ import annotations

import math
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..auth.permissions import ROLES
from .definitions import FIELD_KINDS, DefinitionError

#: A definition nests four levels (document, fields, field, choices); a few more are spare.
MAX_DEPTH = 8
#: How many problems one refusal lists.
SHOWN = 3
TEXT = {"invalid": "应为文字", "required": "缺少这一项", "null": "不能为空"}
FLAG = {"invalid": "应为 true 或 false", "required": "缺少这一项", "null": "不能为空"}
WHOLE = {"invalid": "应为整数", "required": "缺少这一项", "null": "不能为空"}
LIST = {"invalid": "应为列表", "required": "缺少这一项", "null": "不能为空"}
OBJECT = {"type": "应为对象", "required": "缺少这一项", "null": "不能为空"}


def check_document(text: str) -> None:
    """Raise :class:`DefinitionError` when ``text`` nests arrays or objects deeper than
    :data:`MAX_DEPTH` (brackets inside strings do not count)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise DefinitionError(f"文件嵌套超过 {MAX_DEPTH} 层，不是泉汇导出的记录类型定义")
        elif char in "]}":
            depth -= 1


def check_definition(data: Any) -> None:
    """Raise :class:`DefinitionError` naming up to :data:`SHOWN` keys whose values have the wrong type."""
    if not isinstance(data, dict):
        raise DefinitionError("文件内容不是记录类型定义")
    problems = list(_flattened(DefinitionSchema().validate(data)))
    if problems:
        listed = "；".join(f"{where} {message}" for where, message in problems[:SHOWN])
        more = f"等 {len(problems)} 处" if len(problems) > SHOWN else ""
        raise DefinitionError(f"记录类型定义有误：{listed}{more}")


def _flattened(errors: Any, path: tuple = ()):
    """(where, message) for each message of marshmallow's nested error dict:
    ``fields 第 2 项的 label``."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "_schema":  # the object itself, not one of its keys
                yield from _flattened(value, path)
            else:
                yield from _flattened(value, (*path, f"第 {key + 1} 项的" if isinstance(key, int) else str(key)[:40]))
    elif isinstance(errors, list):
        for message in errors:
            yield from _flattened(message, path)
    else:
        yield " ".join(path).removesuffix("的"), str(errors)


def _no_controls(value: str) -> None:
    """Control characters break the Excel export and template of the type (line breaks and tabs excepted)."""
    if any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in value):
        raise ValidationError("不能含控制字符")


def _finite(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("应为数字")


def _text(**options) -> fields.String:
    return fields.String(error_messages=TEXT, validate=_no_controls, **options)


def _flag() -> fields.Boolean:
    return fields.Boolean(truthy={True}, falsy={False}, error_messages=FLAG)


def _texts() -> fields.List:
    return fields.List(_text(), error_messages=LIST)


def _objects(schema: type[Schema], **options) -> fields.List:
    return fields.List(fields.Nested(schema, error_messages=OBJECT), error_messages=LIST, **options)


class _Strict(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "是未知的项", "type": "应为对象"}


class FieldSchema(_Strict):
    """One field as the builder makes it (no vocabulary: the builder offers none)."""

    name = _text(required=True)
    label = _text(required=True)
    kind = fields.String(error_messages=TEXT, validate=validate.OneOf(FIELD_KINDS, error="不是可用的字段类型"))
    required = _flag()
    default = fields.Raw(allow_none=True)
    help = _text()
    indexed = _flag()
    choices = _texts()
    target = _text(allow_none=True)
    max_length = fields.Integer(strict=True, allow_none=True, error_messages=WHOLE)
    minimum = fields.Raw(allow_none=True, validate=_finite)
    maximum = fields.Raw(allow_none=True, validate=_finite)
    listed = _flag()
    read_roles = fields.List(fields.String(validate=validate.OneOf(ROLES, error="不是可用的角色")), error_messages=LIST)
    write_roles = fields.List(fields.String(validate=validate.OneOf(ROLES, error="不是可用的角色")), error_messages=LIST)
    own_tier_only = _flag()
    unique = fields.String(allow_none=True, error_messages=TEXT,
                           validate=validate.OneOf(("tenant", "tree"), error="只能是 tenant（本单位内）或 tree（全市）"))


class StateSchema(_Strict):
    name = _text(required=True)
    final = _flag()
    retired = _flag()


class TransitionSchema(_Strict):
    name = _text(required=True)
    label = _text(required=True)
    sources = _texts()
    target = _text(required=True)
    roles = _texts()
    needs_reason = _flag()
    fields_ = fields.List(_text(), data_key="fields", error_messages=LIST)
    permission = _text()


class ReportSchema(_Strict):
    name = _text(required=True)
    title = _text(required=True)
    group_by = _text()
    measure = _text()
    field = _text(allow_none=True)
    chart = _text()


class DefinitionSchema(_Strict):
    format = _text()
    name = _text(required=True)
    label = _text(required=True)
    description = _text()
    icon = _text()
    colour = _text()
    nav_order = fields.Integer(strict=True, allow_none=True, error_messages=WHOLE)
    title_field = _text()
    fields_ = _objects(FieldSchema, data_key="fields")
    retired_fields = _objects(FieldSchema)
    states = _objects(StateSchema)
    transitions = _objects(TransitionSchema)
    reports = _objects(ReportSchema)
    retired = _flag()
