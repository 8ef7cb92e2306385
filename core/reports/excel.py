"""A report as an Excel workbook: the title, what it covers, a header row, typed cells.

Layout of the one sheet (named after the report's title)::

    row 1   the title                      (bold)
    row 2   the tenant, the scope, the parameters and when it was made
    row 4   the column labels              (HEADER_ROW, bold, shaded)
    row 5…  the rows; the 合计 row last    (bold)

Numbers are numbers (integers ``0``, decimals and money ``#,##0.00``, percentages
``0.0%``), so the sheet can be summed and charted in Excel as it is.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .definitions import ReportResult
from .registry import SCOPES

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE_ROW = 1
NOTE_ROW = 2
HEADER_ROW = 4
FORMATS = {"integer": "0", "decimal": "#,##0.00", "money": "#,##0.00", "percent": "0.0%", "text": "@"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BOLD = Font(bold=True)


def write_report(result: ReportResult, target: str | IO[bytes], *, generated_at: dt.datetime) -> None:
    report = result.report
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _BAD_SHEET_CHARS.sub("", report.title).strip().strip("'")[:31] or "报表"
    width = len(result.columns)

    title = sheet.cell(TITLE_ROW, 1, _text(f"{report.title}（{result.scope_label}）"))
    title.font = Font(bold=True, size=14)
    _as_text(title)
    _as_text(sheet.cell(NOTE_ROW, 1, _text(_note(result, generated_at))))
    if width > 1:
        sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
        sheet.merge_cells(start_row=NOTE_ROW, start_column=1, end_row=NOTE_ROW, end_column=width)

    for index, column in enumerate(result.columns, start=1):
        cell = sheet.cell(HEADER_ROW, index, _text(column.label))
        _as_text(cell)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, _display_width(column.label) + 4))

    row_number = HEADER_ROW
    rows = list(result.rows) + ([result.shown_total] if result.total else [])
    for position, row in enumerate(rows):
        row_number += 1
        is_total = result.total is not None and position == len(rows) - 1
        for index, column in enumerate(result.columns, start=1):
            value = row.get(column.name)
            cell = sheet.cell(row_number, index, _cell_value(column.kind, value))
            _as_text(cell)
            if value is not None:
                cell.number_format = FORMATS[column.kind]
            if is_total:
                cell.font = _BOLD
            if column.kind == "text":
                letter = get_column_letter(index)
                current = sheet.column_dimensions[letter].width or 10
                sheet.column_dimensions[letter].width = max(current, min(40, _display_width(str(value or "")) + 2))
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    workbook.save(target)


def _note(result: ReportResult, generated_at: dt.datetime) -> str:
    context = result.context
    parts = [f"单位:{context.tenant.name}"]
    if result.report.rollup:
        parts.append(f"范围:{SCOPES['all'] if context.rollup else SCOPES['own']}")
    for parameter in result.report.parameters:
        value = context.params.get(parameter.name)
        if value is not None:
            parts.append(f"{parameter.label}:{value}")
    parts.append(f"生成时间:{generated_at:%Y-%m-%d %H:%M}")
    return "  ".join(parts)


def _cell_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "text":
        return _text(str(value))
    if kind == "integer":
        return int(value)
    return float(value)


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _as_text(cell) -> None:
    """A text starting with = stays text: never a formula in someone else's Excel."""
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
