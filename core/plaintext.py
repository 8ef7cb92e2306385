"""Text the platform keeps is free of control characters.

A label, a name or a one-line value takes none (a vertical tab in a field label once
broke the Excel export and template of its type for every district); long text keeps
its line breaks and tabs. Values stored before the rule are cleaned where they are
written to a workbook (``core.entities.excel``).
"""
from __future__ import annotations

import re

#: C0 and C1 control characters and DEL, line breaks and tabs included.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: The same, but for line breaks (``\n``, ``\r``) and tabs, which long text keeps.
CONTROL_IN_LONG_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "含有控制字符（如换行、制表符或看不见的字符），请删除后重试"


def has_control(text: str, *, long_text: bool = False) -> bool:
    """Whether ``text`` holds a control character (``long_text`` allows line breaks and tabs)."""
    return bool((CONTROL_IN_LONG_TEXT if long_text else CONTROL).search(text))
