"""Excel for every entity type: the import template, export, and import.

No Flask here: the pages (:mod:`core.entities.excel_views`) and the command line
(``quanhui import`` / ``quanhui export``) both call these functions.

Layout of every workbook this module writes (template, export, error workbook):

* the first sheet is named after the type's Chinese label; row 1 holds the column
  labels (``*`` before a required one), each with a comment giving its help text, kind,
  choices and format; data starts on row 2;
* ``填写说明`` lists the columns with the same notes, for readers that hide comments;
* the hidden sheet ``_fields`` maps each label to its field name (so a file made before
  a label was renamed still imports) and holds the lists behind the choice dropdowns.

Import reads with ``read_only=True`` and writes as it goes, inside one transaction:
every row is validated as :meth:`EntityService.create` validates it and written in batches
(:meth:`EntityService.bulk`); a refused row is recorded with its row number and column label. In the default all-or-nothing mode,
the first refusal rolls back what was written and the remaining rows are only validated,
so the report names every bad row and nothing is written; with ``valid_only`` the good
rows are committed and the refused ones go to an error workbook (the same columns plus
「错误原因」, which the import ignores, so the fixed workbook imports as it is).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from .definitions import FIELD_KINDS, EntityType, Field
from .rights import SYSTEM, FieldRights
from .service import EntityService, FieldsForbidden, Invalid
from .workbook_guard import MAX_ROWS, WorkbookRefused, check_workbook

FIELDS_SHEET = "_fields"
NOTES_SHEET = "填写说明"
#: The last column of an export that holds several tenants' records.
OWNER_COLUMN = "所属单位"
ERROR_COLUMN = "错误原因"
LIST_SEPARATOR = "、"
#: What separates the values of a multi-choice or tags cell on import.
SPLIT = re.compile(r"[、,,;;\n]+")
DATE_FORMAT = "yyyy-mm-dd"
#: Rows a data validation (dropdown) covers below the header.
DROPDOWN_ROWS = 100_000
TOO_MANY_ROWS = f"一次最多导入 {MAX_ROWS:,} 行，这个工作表超过了。请分成几个文件导入。"
#: Detailed row errors kept in memory; the count of all of them is kept as well.
MAX_ERRORS = 1000
FILE_CELL = "文件不能通过 Excel 导入：请把这一列留空，导入后在记录的修改页面上传文件"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_TRUE = frozenset({"是", "true", "yes", "y", "1", "√", "对"})
_FALSE = frozenset({"否", "false", "no", "n", "0", "×", "x", "错"})
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FONT = Font(bold=True)
_MISSING = object()

Source = str | os.PathLike | IO[bytes]
Progress = Callable[[int, int], None]


class ImportRefused(Exception):
    """The workbook as a whole cannot be imported (not an xlsx, wrong sheet, bad header);
    the message says why in Chinese. Nothing has been written."""


@dataclasses.dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"第 {self.row} 行「{self.column}」:{self.message}"
        return f"第 {self.row} 行:{self.message}"


@dataclasses.dataclass
class ImportResult:
    #: Data rows read (blank rows are skipped and not counted).
    total: int = 0
    #: Records created and committed.
    created: int = 0
    #: Rows refused.
    failed: int = 0
    #: The first :data:`MAX_ERRORS` problems, in row order.
    errors: list[RowError] = dataclasses.field(default_factory=list)
    #: Every problem, counted (one row may have several).
    error_count: int = 0
    valid_only: bool = False
    #: Where the error workbook went when rows were refused (what ``error_workbook`` named,
    #: or a BytesIO at position 0); None when every row passed.
    error_workbook: Any = None

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def written(self) -> bool:
        return self.created > 0


# ---------------------------------------------------------------------------
# writing: template and export


def sheet_title(entity_type: EntityType) -> str:
    """The data sheet's name: the type's label, as Excel allows sheet names."""
    title = _BAD_SHEET_CHARS.sub("", _text(entity_type.label)).strip().strip("'")[:31]
    return title or entity_type.name[:31]


def column_label(field: Field) -> str:
    """A column's header text: the label, ``*`` first when the column must be filled."""
    return f"*{field.label}" if _must_fill(field) else field.label


def _must_fill(field: Field) -> bool:
    return field.required and field.default is None


def field_notes(field: Field) -> str:
    """What a user needs to know to fill a column, in Chinese."""
    lines = ["必填" if _must_fill(field) else "选填" + (f",不填则为“{_display_default(field)}”" if field.default is not None else "")]
    lines.append(f"类型:{FIELD_KINDS.get(field.kind, field.kind)}")
    if field.help:
        lines.append(field.help)
    if field.kind in ("choice", "multi_choice"):
        lines.append(f"可选:{LIST_SEPARATOR.join(field.choices)}")
    if field.kind in ("multi_choice", "tags"):
        lines.append(f"多个值用“{LIST_SEPARATOR}”分隔")
    if field.kind == "date":
        lines.append("格式:2024-05-01")
    if field.kind == "boolean":
        lines.append("填“是”或“否”")
    if field.kind == "reference":
        lines.append("填关联记录的编号")
    if field.kind == "money":
        lines.append("单位:元,最多两位小数")
    if field.max_length:
        lines.append(f"最多 {field.max_length} 个字")
    if field.minimum is not None and field.maximum is not None:
        lines.append(f"范围:{_number(field.minimum)} 到 {_number(field.maximum)}")
    elif field.minimum is not None:
        lines.append(f"不小于 {_number(field.minimum)}")
    elif field.maximum is not None:
        lines.append(f"不大于 {_number(field.maximum)}")
    return "\n".join(lines)


def _display_default(field: Field) -> str:
    if isinstance(field.default, bool):
        return "是" if field.default else "否"
    if isinstance(field.default, list | tuple):
        return LIST_SEPARATOR.join(map(str, field.default))
    return str(field.default)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def write_template(entity_type: EntityType, target: Source, rights: FieldRights = SYSTEM) -> None:
    """The import template of ``entity_type`` as a tenant sees it (custom fields included),
    with the columns ``rights`` let the user fill."""
    write_export(entity_type, (), target, fields=tuple(f for f in entity_type.fields if rights.may_write(f)))


def write_export(entity_type: EntityType, rows: Iterable[Any], target: Source, *,
                 fields: tuple[Field, ...] | None = None, scope: str = "",
                 owners: Callable[[Any], str] | None = None) -> int:
    """Write ``rows`` (entities, or their ``data`` dicts) to ``target``; returns how many.
    ``fields`` are the columns (by default every field; a user's export: those they may read).

    Streams: the workbook is write-only, so rows are not held in memory; pass a query
    that yields rows as it goes (``yield_per``) for large lists. ``scope`` (本级及下级…)
    is noted on the notes sheet; ``owners`` names each entity's unit in a last
    所属单位 column, for a list of several tenants' records.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(entity_type))
    fields = tuple(_printable(field) for field in (entity_type.fields if fields is None else fields))
    _lay_out_header(sheet, fields, owners is not None)
    count = 0
    for row in rows:
        data = row if isinstance(row, dict) else row.data
        cells = [_export_cell(sheet, field, data.get(field.name)) for field in fields]
        sheet.append(cells + [owners(row)] if owners is not None else cells)
        count += 1
    _write_notes_sheet(workbook, fields, scope, owners is not None)
    _write_fields_sheet(workbook, sheet, fields)
    workbook.save(target)
    return count


def _printable(field: Field) -> Field:
    """``field`` with the characters a worksheet cannot hold taken out of its label, help and
    choices: labels stored before control characters were refused still export."""
    return dataclasses.replace(field, label=_text(field.label), help=_text(field.help),
                               choices=tuple(_text(choice) for choice in field.choices))


def _lay_out_header(sheet, fields: tuple[Field, ...], with_owner: bool = False) -> None:
    header = []
    for index, field in enumerate(fields, start=1):
        cell = WriteOnlyCell(sheet, value=column_label(field))
        cell.font = _REQUIRED_FONT if _must_fill(field) else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        comment = Comment(field_notes(field), "泉汇")
        comment.width, comment.height = 220, 30 + 18 * field_notes(field).count("\n") + 18
        cell.comment = comment
        header.append(cell)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(40, max(12, 2 * len(field.label) + 4, _content_width(field)))
    if with_owner:
        cell = WriteOnlyCell(sheet, value=OWNER_COLUMN)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        sheet.column_dimensions[get_column_letter(len(fields) + 1)].width = 16
        header.append(cell)
    sheet.freeze_panes = "A2"
    sheet.append(header)


def _content_width(field: Field) -> int:
    return {"uscc": 22, "date": 12, "long_text": 40, "phone": 16, "text": 20}.get(field.kind, 12)


def _write_notes_sheet(workbook: Workbook, fields: tuple[Field, ...], scope: str = "", with_owner: bool = False) -> None:
    notes = workbook.create_sheet(NOTES_SHEET)
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 80
    notes.append([_bold(notes, "列"), _bold(notes, "填写说明")])
    for field in fields:
        notes.append([column_label(field), field_notes(field).replace("\n", ";")])
    if with_owner:
        notes.append([OWNER_COLUMN, "记录所属的单位（只供查看）；作为新记录导入前请删除这一列。"])
    notes.append([])
    if scope:
        notes.append(["范围", f"本文件导出的是{scope}的记录。"])
    notes.append(["", "带 * 的列必须填写;数据从第 2 行开始,每行一条记录;请勿修改表头和工作表名称。"])


def _write_fields_sheet(workbook: Workbook, data_sheet, fields: tuple[Field, ...]) -> None:
    """The hidden label-to-name map, and the lists behind the choice dropdowns."""
    hidden = workbook.create_sheet(FIELDS_SHEET)
    hidden.sheet_state = "hidden"
    lists = [f for f in fields if f.kind in ("choice", "multi_choice")]
    hidden.append(["列名", "字段名", "类型", "必填", ""] + [f.name for f in lists])
    depth = max([len(fields)] + [len(f.choices) for f in lists])
    for i in range(depth):
        mapping = [fields[i].label, fields[i].name, fields[i].kind, "是" if _must_fill(fields[i]) else "否"] if i < len(fields) else [None] * 4
        hidden.append(mapping + [None] + [f.choices[i] if i < len(f.choices) else None for f in lists])
    for index, field in enumerate(fields, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{DROPDOWN_ROWS + 1}"
        if field.kind in ("choice", "multi_choice"):
            list_letter = get_column_letter(6 + lists.index(field))
            validation = DataValidation(
                type="list", formula1=f"'{FIELDS_SHEET}'!${list_letter}$2:${list_letter}${len(field.choices) + 1}",
                allow_blank=True,
                # A multi-choice cell holds several values: offer the list, accept any text.
                showErrorMessage=field.kind == "choice",
                errorTitle="请从列表中选择", error=f"可选:{LIST_SEPARATOR.join(field.choices)}"[:250],
            )
        elif field.kind == "boolean":
            validation = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
                                        errorTitle="请选择", error="请填“是”或“否”")
        else:
            continue
        validation.add(cells)
        data_sheet.data_validations.append(validation)


def _bold(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = _HEADER_FONT
    return cell


def _export_cell(sheet, field: Field, value: Any) -> Any:
    value = export_value(field, value)
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str) and value.startswith("="):
        # Text that looks like a formula stays text: an export never runs what a user typed.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def export_value(field: Field, value: Any) -> Any:
    """A stored JSON value as a typed cell value: dates as dates, numbers as numbers,
    booleans as 是/否, lists joined with “、”."""
    if value is None:
        return None
    kind = field.kind
    if kind == "file" and isinstance(value, dict):
        return _text(value.get("name") or "")
    try:
        if kind == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if kind in ("decimal", "money") and not isinstance(value, bool):
            return decimal.Decimal(str(value))
        if kind in ("integer", "reference") and not isinstance(value, bool):
            return int(value)
    except (ValueError, decimal.InvalidOperation, TypeError):
        return _text(value)
    if kind == "boolean" or isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(_text(item) for item in value)
    if isinstance(value, dict):
        return _text(value)
    return _text(value) if isinstance(value, str) else value


def _text(value: Any) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


# ---------------------------------------------------------------------------
# reading: import


def import_rows(
    service: EntityService,
    entity_type: EntityType,
    source: Source,
    *,
    valid_only: bool = False,
    progress: Progress | None = None,
    every: int | None = None,
    error_workbook: Source | None = None,
    stage: str | None = None,
) -> ImportResult:
    """Import the data sheet of ``source`` as new records of ``entity_type``.

    Raises :class:`ImportRefused` (nothing written) when the file, the sheet or the header
    is wrong. Otherwise every row is checked; all-or-nothing by default, or, with
    ``valid_only``, the valid rows are written and the others go to ``error_workbook``
    (a path or binary file; a BytesIO when not given). ``progress(done, total)`` is called
    every ``every`` rows (by default every 1% of the sheet, at most every 500 rows) and at
    the end; ``total`` is the sheet's row count less the header, so it may count blank rows. Commits once, through ``service.commit()``; any
    failure on the way rolls everything back. With ``stage`` (a job's import) the records
    are written under that type name in short transactions, one per ``every`` rows, then
    published in one more: other writers wait only that long, and nobody sees a part of
    the batch (a stage left by a killed worker is removed by :meth:`EntityService.discard_stage`). A type that takes no new records here (retired, or kept
    by another tier) is refused before the file is read.
    """
    refusal = service.creation_refusal(entity_type)
    if refusal:
        raise ImportRefused(refusal)
    workbook = _open(source)
    try:
        sheet = _data_sheet(workbook, entity_type)
        renamed = _label_map(workbook)
        rows = _rows(sheet)
        try:
            header_row = next(rows)[1]
        except StopIteration:
            raise ImportRefused("工作表是空的:第 1 行应为表头(列名)。请使用导入模板。") from None
        columns, stray = _columns(entity_type, header_row, renamed)
        total = max(0, (sheet.max_row or _count_rows(workbook, sheet)) - 1)
        if total > MAX_ROWS:
            raise ImportRefused(TOO_MANY_ROWS)
        return _import(service, entity_type, rows, columns, stray, header_row, sheet.title, total,
                       valid_only=valid_only, progress=progress,
                       every=max(1, every or min(500, total // 100)), error_workbook=error_workbook, stage=stage)
    finally:
        workbook.close()


def _open(source: Source):
    """The workbook, once :func:`~core.entities.workbook_guard.check_workbook` has measured its parts."""
    try:
        check_workbook(source)
    except WorkbookRefused as refusal:
        raise ImportRefused(str(refusal)) from None
    try:
        return load_workbook(source, read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl's own errors all mean one thing here
        raise ImportRefused(
            "无法读取这个文件:它不是有效的 Excel 工作簿(.xlsx)。如果是 .xls 或 .csv 文件,请在 Excel 中另存为 .xlsx 后再导入。"
        ) from None


def _data_sheet(workbook, entity_type: EntityType):
    wanted = sheet_title(entity_type)
    for name in (wanted, entity_type.label, entity_type.name):
        if name in workbook.sheetnames:
            return workbook[name]
    found = "、".join(f"「{n}」" for n in workbook.sheetnames if n not in (FIELDS_SHEET, NOTES_SHEET)) or "无"
    raise ImportRefused(f"工作簿里没有名为「{wanted}」的工作表(找到的是:{found})。请使用「{entity_type.label}」的导入模板。")


def _label_map(workbook) -> dict[str, str]:
    """Label to field name, from the hidden ``_fields`` sheet of a workbook we wrote."""
    if FIELDS_SHEET not in workbook.sheetnames:
        return {}
    mapping = {}
    try:
        for row in workbook[FIELDS_SHEET].iter_rows(min_row=2, max_col=2, values_only=True):
            if len(row) == 2 and isinstance(row[0], str) and isinstance(row[1], str):
                mapping[row[0].strip()] = row[1].strip()
    except Exception:
        return {}
    return mapping


def _rows(sheet) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values), turning a broken sheet into :class:`ImportRefused`."""
    iterator = sheet.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            values = next(iterator)
        except StopIteration:
            return
        except Exception:
            raise ImportRefused(f"工作表第 {number + 1} 行附近的内容已损坏,无法读取。请在 Excel 中打开并另存后再导入。") from None
        number += 1
        if number > MAX_ROWS + 1:  # the header and MAX_ROWS rows, whatever the sheet's dimension said
            raise ImportRefused(TOO_MANY_ROWS)
        yield number, values


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _count_rows(workbook, sheet) -> int:
    """Rows in a sheet whose file states no dimension (write-only workbooks, ours too):
    counted from the compressed XML without parsing it, for progress only."""
    try:
        with workbook._archive.open(sheet._worksheet_path) as xml:
            count, tail = 0, b""
            while chunk := xml.read(1 << 20):
                block = tail + chunk
                count += len(_ROW_TAG.findall(block))
                tail = block[-16:]
                count -= len(_ROW_TAG.findall(tail))
            return count + len(_ROW_TAG.findall(tail))
    except Exception:
        return 0


def _header_text(value: Any) -> str:
    return "" if value is None else str(value).replace("\n", "").strip().strip("*").strip()


def _columns(entity_type: EntityType, header: tuple, renamed: dict[str, str]) -> tuple[list[tuple[int, Field]], list[int]]:
    by_label = {f.label: f for f in entity_type.fields}
    by_name = {f.name: f for f in entity_type.fields}
    columns: list[tuple[int, Field]] = []
    stray: list[int] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    duplicates: list[str] = []
    for index, value in enumerate(header):
        text = _header_text(value)
        if not text:
            stray.append(index)
            continue
        if text == ERROR_COLUMN:
            continue
        field = by_label.get(text) or by_name.get(renamed.get(text, "")) or by_name.get(text)
        if field is None:
            unknown.append(f"「{text}」(第 {get_column_letter(index + 1)} 列)")
            continue
        if field.name in seen:
            duplicates.append(f"「{text}」")
            continue
        seen[field.name] = text
        columns.append((index, field))
    problems = []
    if unknown:
        problems.append(f"无法识别的列:{'、'.join(unknown)}。请删除这些列,或先在字段设计中添加同名字段")
    if duplicates:
        problems.append(f"重复的列:{'、'.join(duplicates)}")
    missing = [f"「{f.label}」" for f in entity_type.fields if _must_fill(f) and f.name not in seen]
    if missing:
        problems.append(f"缺少必填列:{'、'.join(missing)}")
    if problems:
        raise ImportRefused("表头有误,未导入任何数据。" + ";".join(problems) + "。请对照导入模板修改表头后重新导入。")
    return columns, stray


def _import(service, entity_type, rows, columns, stray, header_row, title, total, *,
            valid_only, progress, every, error_workbook, stage) -> ImportResult:
    result = ImportResult(valid_only=valid_only)
    labels = {field.name: _header_text(header_row[index]) for index, field in columns}
    errors_out = _ErrorWorkbook(title, header_row, error_workbook)
    writing = True
    with service.bulk(entity_type, stage=stage) as writer:
        try:
            for number, values in rows:
                if _blank(values):
                    continue
                result.total += 1
                raw = {}
                problems: dict[str, list[str]] = {}
                for index, field in columns:
                    converted = cell_to_input(field, values[index] if index < len(values) else None)
                    if converted is _MISSING:
                        continue
                    if field.kind == "file":  # a file belongs to its record: uploaded there, never named
                        problems[field.name] = [FILE_CELL]
                    else:
                        raw[field.name] = converted
                for index in (*stray, *range(len(header_row), len(values))):
                    if index < len(values) and not _blank((values[index],)):
                        problems.setdefault(f"#{index}", []).append(f"第 {get_column_letter(index + 1)} 列有内容,但这一列没有表头")
                try:
                    if writing and not problems:
                        writer.add(raw)
                    else:
                        writer.check(raw)
                except (Invalid, FieldsForbidden) as refusal:
                    problems.update(refusal.errors)
                if problems:
                    if writing and not valid_only:
                        # All or nothing: drop what was written; from here on only check.
                        writer.discard()
                        service.rollback()
                        writing = False
                    result.failed += 1
                    row_errors = _row_errors(number, problems, labels, entity_type, columns)
                    result.error_count += len(row_errors)
                    room = MAX_ERRORS - len(result.errors)
                    if room > 0:
                        result.errors.extend(row_errors[:room])
                    errors_out.add(values, "；".join(f"{e.column}:{e.message}" if e.column else e.message for e in row_errors))
                elif writing:
                    result.created += 1
                if result.total % every == 0:
                    if stage and writing:
                        writer.flush()
                        service.session.commit()
                    if progress is not None:
                        progress(result.total, max(total, result.total))
            if progress is not None:
                progress(result.total, result.total)
            if writing:
                writer.flush()
                if stage:
                    service.publish(entity_type, stage)
                service.commit()
            else:
                service.rollback()
                result.created = 0
                _discard_stage(service, stage)
        except BaseException:
            service.rollback()
            errors_out.discard()
            _discard_stage(service, stage)
            raise
    result.error_workbook = errors_out.save()
    return result


def _discard_stage(service: EntityService, stage: str | None) -> None:
    if stage:
        service.discard_stage(stage)
        service.session.commit()


def _blank(values: tuple) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _row_errors(number, problems, labels, entity_type, columns) -> list[RowError]:
    order = {field.name: position for position, (_, field) in enumerate(columns)}
    found = []
    for name, messages in sorted(problems.items(), key=lambda item: order.get(item[0], -1)):
        if name.startswith("#"):
            found.extend(RowError(number, None, message) for message in messages)
            continue
        field = entity_type.field(name)
        label = labels.get(name) or (field.label if field else name)
        found.append(RowError(number, label, ";".join(dict.fromkeys(messages))))
    return found


def cell_to_input(field: Field, value: Any) -> Any:
    """A cell's value as the input the entity schema expects; blank is left out, so
    defaults apply. Values that cannot be converted are passed on as text, so the
    schema's own Chinese message explains what is wrong."""
    if value is None:
        return _MISSING
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return _MISSING
    kind = field.kind
    if kind == "date":
        return _date_input(value)
    if kind == "boolean":
        return _boolean_input(value)
    if kind == "integer" or kind == "reference":
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, float):
            return int(value) if value.is_integer() else repr(value)
        return value if isinstance(value, int) else _plain_text(value)
    if kind in ("decimal", "money"):
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float | decimal.Decimal):
            return str(value) if not isinstance(value, float) else repr(value)
        return _plain_text(value)
    if kind in ("multi_choice", "tags"):
        if isinstance(value, str):
            return [part.strip() for part in SPLIT.split(value) if part.strip()]
        return [_plain_text(value)]
    return _plain_text(value)


def _plain_text(value: Any) -> str:
    """Numbers typed into a text column (phone numbers, codes) without a trailing ``.0``."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _date_input(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        try:
            return from_excel(value).date().isoformat()  # a date serial without a date format
        except (ValueError, OverflowError, TypeError):
            return str(value)
    text = str(value).strip()
    match = _DATE_TEXT.match(text)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups())).isoformat()
        except ValueError:
            return text
    return text


def _boolean_input(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = _plain_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return text


class _ErrorWorkbook:
    """The refused rows as they were, plus 「错误原因」; opened at the first refusal."""

    def __init__(self, title: str, header: tuple, target: Source | None):
        self.title = title
        self.header = header
        self.target = target
        self.workbook = None
        self.sheet = None

    def add(self, values: tuple, reason: str) -> None:
        if self.workbook is None:
            self.workbook = Workbook(write_only=True)
            self.sheet = self.workbook.create_sheet(self.title)
            self.sheet.freeze_panes = "A2"
            self.sheet.column_dimensions[get_column_letter(len(self.header) + 1)].width = 60
            cells = [_bold(self.sheet, "" if v is None else _text(v)) for v in self.header]
            error_header = _bold(self.sheet, ERROR_COLUMN)
            error_header.font = _REQUIRED_FONT
            self.sheet.append(cells + [error_header])
        width = len(self.header)
        row = [self._cell(v) for v in (tuple(values) + (None,) * width)[:width]]
        self.sheet.append(row + [reason])

    def _cell(self, value: Any) -> Any:
        if isinstance(value, dt.datetime | dt.date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if isinstance(value, str):
            cell = WriteOnlyCell(self.sheet, value=_text(value))
            cell.data_type = "s"
            return cell
        return value

    def save(self):
        if self.workbook is None:
            return None
        target = self.target if self.target is not None else io.BytesIO()
        self.workbook.save(target)
        if isinstance(target, io.BytesIO):
            target.seek(0)
        elif hasattr(target, "seek"):
            target.seek(0)
        return target

    def discard(self) -> None:
        self.workbook = None
        self.sheet = None

