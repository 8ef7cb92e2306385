"""Uploaded workbooks are measured before openpyxl parses them: a zip bomb is refused with a
Chinese message before it costs memory; a real workbook passes."""
from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zipfile

import pytest

from core.entities import workbook_guard
from core.entities.excel import ImportRefused, _open
from tests.core.test_entity_excel import HEADER, association_row, records, run_import, upload, workbook

SHARED_STRINGS = "xl/sharedStrings.xml"


def with_part(content: bytes, name: str, chunks, *, level: int = 9) -> bytes:
    """``content`` (a workbook) with part ``name`` replaced by the bytes of ``chunks``, streamed into the zip."""
    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as out:
        for item in source.infolist():
            if item.filename != name:
                out.writestr(item, source.read(item))
        with out.open(name, "w") as part:
            for chunk in chunks:
                part.write(chunk)
    return target.getvalue()


def shared_strings(count: int, text=lambda i: "泉城行业协会"):
    yield f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}">'.encode()
    batch = []
    for i in range(count):
        batch.append(f"<si><t>{text(i)}</t></si>")
        if len(batch) == 10_000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sst>").encode()


def bomb() -> bytes:
    """The shape of the probe's bomb: a small workbook whose shared strings unpack to ~300 MB."""
    return with_part(workbook([association_row(1)]), SHARED_STRINGS, shared_strings(8_000_000))


def refusal(content: bytes) -> str:
    with pytest.raises(ImportRefused) as refused:
        _open(io.BytesIO(content))
    return str(refused.value)


def test_a_shared_strings_bomb_is_refused_before_it_costs_memory(tmp_path):
    """A subprocess opens the bomb through the import's reader: refused, and its peak memory
    stays near an interpreter's (parsing it took a worker to 809 MB)."""
    content = bomb()
    assert len(content) < 32 * 1024 * 1024  # it fits under the upload limit
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(content)
    script = textwrap.dedent(f"""
        import resource
        from core.entities.excel import ImportRefused, _open
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            _open({str(path)!r})
        except ImportRefused as refusal:
            print("refused", refusal)
        print(before // 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("refused ") and "超出了一次导入的范围" in lines[0]
    before, after = map(int, lines[-1].split())
    assert after - before < 50, f"opening the bomb grew the process from {before} MB to {after} MB"


def test_a_part_that_unpacks_far_beyond_its_size_is_refused():
    content = with_part(workbook([association_row(1)]), "xl/styles.xml", [b" " * (4 * 1024 * 1024)])
    assert "不像正常的 Excel 工作簿" in refusal(content)


def test_too_many_shared_strings_are_refused(monkeypatch):
    monkeypatch.setattr(workbook_guard, "MAX_SHARED_STRINGS", 50_000)
    content = with_part(workbook([association_row(1)]), SHARED_STRINGS, shared_strings(50_001, text=str))
    assert "超过 50,000 段不同的文字" in refusal(content)
    assert "分成几个文件" in refusal(content)


def test_a_part_larger_than_its_limit_is_refused(monkeypatch):
    monkeypatch.setattr(workbook_guard, "MAX_OTHER_PART_BYTES", 1024 * 1024)
    content = with_part(workbook([association_row(1)]), "xl/styles.xml", [str(i).encode() for i in range(400_000)])
    assert "某一部分解压后超过 1 MB" in refusal(content)


def test_too_many_parts_are_refused():
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for number in range(workbook_guard.MAX_PARTS + 1):
            out.writestr(f"xl/media/{number}.txt", b"x")
    assert "最多 1000 个" in refusal(target.getvalue())


def test_a_part_that_unpacks_to_more_than_it_declares_is_refused():
    """Half the sheet's real size declared in the zip's directory: unpacking overruns it and the checksum fails."""
    content = bytearray(workbook([association_row(1)]))
    name = b"xl/worksheets/sheet1.xml"
    entry = content.index(name, content.index(b"PK\x01\x02")) - 46  # its central directory record
    assert content[entry:entry + 4] == b"PK\x01\x02"
    size = int.from_bytes(content[entry + 24:entry + 28], "little")
    content[entry + 24:entry + 28] = (size // 2).to_bytes(4, "little")
    assert "已经损坏" in refusal(bytes(content))


def test_a_part_whose_compressed_data_is_broken_is_refused():
    content = bytearray(workbook([association_row(n) for n in range(1, 200)]))
    archive = zipfile.ZipFile(io.BytesIO(bytes(content)))
    part = archive.getinfo("xl/worksheets/sheet1.xml")
    data = part.header_offset + 30 + len(part.filename.encode()) + len(part.extra)
    content[data + 20:data + 60] = b"\xff" * 40
    assert "已经损坏" in refusal(bytes(content))


def test_the_page_shows_the_refusal_and_nothing_is_imported(app, login_client):
    client = login_client("lixia", "editor")
    response = upload(client, with_part(workbook([association_row(1)]), "xl/styles.xml", [b" " * (4 * 1024 * 1024)]))
    assert response.status_code == 422
    assert "不像正常的 Excel 工作簿" in response.get_data(as_text=True)
    assert records(app) == []


def test_a_real_workbook_passes_the_guard_and_imports(app):
    rows = [association_row(number) for number in range(1, 2001)]
    assert run_import(app, "lixia", io.BytesIO(workbook(rows, header=HEADER))).ok
    assert len(records(app)) == 2000


def test_a_sheet_beyond_the_row_cap_is_refused(app, monkeypatch):
    monkeypatch.setattr("core.entities.excel.MAX_ROWS", 3)
    result = pytest.raises(ImportRefused, run_import, app, "lixia",
                           io.BytesIO(workbook([association_row(n) for n in range(1, 5)], header=HEADER)))
    assert "一次最多导入" in str(result.value)
    assert records(app) == []
