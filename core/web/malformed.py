"""Input no view can use, refused at the door for every route.

* ``<int:...>`` in a URL takes ASCII digits up to 2^63-1, the largest id any database
  here stores: ``/entities/association/9223372036854775808`` or Arabic-Indic digits are
  404, like any id that names nothing, instead of an overflow deep in a query.
* A NUL byte anywhere in the path, the query or a form (names and values) is 400: no
  database stores it (PostgreSQL refuses it, SQLite cuts the text there).
* :func:`whole_number` and :func:`int_argument` read a whole number from the query or a
  form the same way for every view; :func:`json_depth_exceeded` bounds how deep an API
  body may nest.
"""
from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

#: The largest signed 64-bit integer: the widest id column on SQLite and PostgreSQL.
MAX_ID = 2**63 - 1
#: How deep a JSON body may nest; a record is an object of values and short lists.
MAX_JSON_DEPTH = 32
NUL_MESSAGE = "请求中含有空字符（\\0），无法处理。请删除后重试。"


class IdConverter(IntegerConverter):
    """``<int:...>``: ASCII digits only (``\\d`` would take every script's digits), at most 2^63-1."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits: int = 0, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=-MAX_ID - 1 if signed else 0, max=MAX_ID, signed=signed)


def refuse_nul_bytes() -> None:
    """400 for a NUL byte in the path, the query or a form field (its name or value)."""
    if "\x00" in request.path:
        abort(400, description=NUL_MESSAGE)
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in (key or "") or "\x00" in (value or ""):  # a multipart part may lack a name
                abort(400, description=NUL_MESSAGE)


def whole_number(text: str | None, maximum: int = MAX_ID) -> int | None:
    """``text`` as a whole number from 0 to ``maximum`` written in ASCII digits, else None
    (``²``, ``٣``, ``1E+9``, ``12.5``, a 25-digit id)."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def int_argument(values, name: str, default: int | None = None) -> int | None:
    """``values[name]`` (``request.args`` or ``request.form``) as :func:`whole_number`, or
    ``default`` when it is missing or not one."""
    number = whole_number(values.get(name))
    return default if number is None else number


def json_depth_exceeded(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``raw`` opens more than ``limit`` arrays or objects inside one
    another, counted without parsing it (brackets inside strings are skipped)."""
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def init_app(app: Flask) -> None:
    """Register the converter (before any blueprint adds a rule) and the NUL check (first of
    the request's checks, before the tenant is looked up)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_bytes)
