"""An uploaded workbook's zip, checked before openpyxl parses any of it.

An .xlsx is a zip of XML parts. openpyxl's read-only mode streams the worksheets, but it
reads the shared strings (every distinct text of the workbook) and the other parts whole
into memory; a 1.3 MB upload whose shared-strings part unpacks to gigabytes took a worker
to 809 MB. Here every part is measured first: how many there are, each one's declared
size and compression ratio, and then its actual size, read in chunks without keeping
them (a part that unpacks to more than it declares fails its checksum), counting the
shared strings on the way. The limits leave room for the largest workbook an import
takes (:data:`MAX_ROWS` rows) and nothing like a bomb.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from typing import IO

#: The most data rows one import takes (docs/guide/excel.md states it).
MAX_ROWS = 100_000
MAX_PARTS = 1_000
#: Worksheets are streamed row by row, so they may be large.
MAX_SHEET_BYTES = 256 * 1024 * 1024
#: The shared strings are held in memory whole: 1,000,000 texts (10 per row at the row cap).
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_SHARED_STRINGS = 1_000_000
#: Styles, relationships, properties and the rest: small in any real workbook.
MAX_OTHER_PART_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
#: XML compresses about 10:1; a part above 1 MB that unpacks more than 200 times over is a bomb.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024
SHARED_STRINGS = re.compile(r"xl/sharedStrings\d*\.xml$", re.IGNORECASE)
WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_STRING_TAG = re.compile(rb"<(?:\w+:)?si[\s>/]")
_CHUNK = 1024 * 1024
_MB = 1024 * 1024


class WorkbookRefused(ValueError):
    """The upload is no workbook an import could read; the message says why, in Chinese."""


def check_workbook(source: str | IO[bytes]) -> None:
    """Raise :class:`WorkbookRefused` unless every part of ``source`` (a path or a binary
    file, left at its start) is within the limits."""
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise WorkbookRefused(f"这个文件包含 {len(parts)} 个部件，超过了 Excel 工作簿的正常范围（最多 {MAX_PARTS} 个），无法导入。")
            declared = sum(part.file_size for part in parts)
            if declared > MAX_TOTAL_BYTES:
                raise WorkbookRefused(_too_large(f"解压后共超过 {MAX_TOTAL_BYTES // _MB} MB"))
            for part in parts:
                _check_declared(part)
            unpacked = 0
            for part in parts:
                unpacked += _check_actual(archive, part)
                if unpacked > MAX_TOTAL_BYTES:
                    raise WorkbookRefused(_too_large(f"解压后共超过 {MAX_TOTAL_BYTES // _MB} MB"))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        # Not a zip, a broken checksum or stream, an unsupported compression or encryption.
        raise WorkbookRefused(
            "无法读取这个文件：它不是有效的 Excel 工作簿（.xlsx），或者已经损坏。"
            "如果是 .xls 或 .csv 文件，请在 Excel 中另存为 .xlsx 后再导入。"
        ) from None
    finally:
        if hasattr(source, "seek"):
            source.seek(0)


def _limit(name: str) -> int:
    if SHARED_STRINGS.match(name):
        return MAX_SHARED_STRINGS_BYTES
    if WORKSHEET.match(name):
        return MAX_SHEET_BYTES
    return MAX_OTHER_PART_BYTES


def _check_declared(part: zipfile.ZipInfo) -> None:
    if part.file_size > _limit(part.filename):
        raise WorkbookRefused(_too_large(f"某一部分解压后超过 {_limit(part.filename) // _MB} MB"))
    if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
        raise WorkbookRefused(
            f"这个文件解压后比文件本身大 {part.file_size // max(part.compress_size, 1)} 倍，不像正常的 Excel 工作簿，无法导入。"
        )


def _check_actual(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> int:
    """Unpack ``part`` chunk by chunk, keeping only counts, and return its size; more than
    it declared is a broken checksum."""
    limit, size, strings, tail = _limit(part.filename), 0, 0, b""
    counting = bool(SHARED_STRINGS.match(part.filename))
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise WorkbookRefused(_too_large(f"某一部分解压后超过 {limit // _MB} MB"))
            if counting:
                block = tail + chunk
                strings += len(_STRING_TAG.findall(block)) - len(_STRING_TAG.findall(tail))
                tail = block[-16:]
                if strings > MAX_SHARED_STRINGS:
                    raise WorkbookRefused(
                        f"这个工作簿含有超过 {MAX_SHARED_STRINGS:,} 段不同的文字，超出了一次导入的范围"
                        f"（最多 {MAX_ROWS:,} 行）。请分成几个文件导入。"
                    )
    return size


def _too_large(what: str) -> str:
    return f"这个工作簿的内容太大（{what}），超出了一次导入的范围（最多 {MAX_ROWS:,} 行）。请分成几个文件导入。"
