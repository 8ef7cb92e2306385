"""Excel for every entity type: a template with the tenant's own fields, export of the list,
import that checks every row and writes all or nothing (or only the valid rows, with an
error workbook), from the page and from the command line."""
import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.cli import make_cli
from core.db import session
from core.entities import excel, service_for
from core.entities.models import CustomField, Entity, EntityRevision
from core.entities.uscc import make
from core.tenancy import TenantScope, set_scope, system_scope, tenant_by_slug, use_scope

HX = {"HX-Request": "true"}
HEADER = ["*名称", "*统一社会信用代码", "*类别", "状态", "登记日期", "会员数", "标签", "联系电话"]


def code(number: int, division: str = "370102") -> str:
    """A valid credit code of a social organisation (民政 · 社会团体)."""
    return make("5", "1", division, number)


def wrong_check(valid: str) -> tuple[str, str]:
    """``valid`` with a wrong check character, and the character it should have been."""
    other = "0" if valid[-1] != "0" else "1"
    return valid[:-1] + other, valid[-1]


def association_row(number: int) -> list:
    return [f"济南市第{number}行业协会", code(number), "行业协会", "正常", dt.date(2015, 3, 1 + number % 28),
            100 + number, "科技、制造", "0531-8612" + f"{number % 10000:04d}"]


def workbook(rows, *, header=HEADER, title="协会商会") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def corrupted(content: bytes) -> bytes:
    """``content`` with its data sheet's XML cut off half-way."""
    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            out.writestr(item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    return target.getvalue()


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def run_import(app, slug, source, **options):
    """Import ``source`` into ``slug`` as the command line would: a service with no actor."""
    with app.app_context():
        tenant = tenant_by_slug(session, slug)
        set_scope(session, TenantScope.of(tenant))
        service = service_for(tenant)
        return excel.import_rows(service, service.type("association"), source, **options)


def records(app, slug="lixia"):
    with app.app_context(), system_scope(session):
        tenant = tenant_by_slug(session, slug)
        rows = session.scalars(
            select(Entity).where(Entity.tenant_id == tenant.id, Entity.deleted_at.is_(None)).order_by(Entity.id)
        )
        return [row.data for row in rows]


def revisions_per_entity(app):
    with app.app_context(), system_scope(session):
        return dict(session.execute(
            select(EntityRevision.entity_id, func.count()).group_by(EntityRevision.entity_id)
        ).all())


def add_field(app, slug, definition):
    with app.app_context():
        tenant = tenant_by_slug(session, slug)
        with use_scope(session, TenantScope.of(tenant)):
            session.add(CustomField(tenant_id=tenant.id, type="association", name=definition["name"], definition=definition))
            session.commit()


def header_of(content: bytes, title="协会商会"):
    book = load_workbook(io.BytesIO(content))
    sheet = book[title]
    return book, sheet, [cell.value for cell in sheet[1]]


def test_the_template_has_the_tenants_fields_dropdowns_and_notes(app, login_client):
    add_field(app, "lixia", {"name": "president_phone", "label": "会长手机号", "kind": "phone", "required": True,
                             "help": "会长本人的手机"})
    response = login_client("lixia", "editor").get("/lixia/entities/association/excel/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == excel.XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    book, sheet, header = header_of(response.data)
    assert book.sheetnames[0] == "协会商会"
    assert header[:4] == ["*名称", "*统一社会信用代码", "*类别", "状态"]
    assert header[-1] == "*会长手机号"
    notes = {cell.value: cell.comment.text for cell in sheet[1]}
    assert notes["*会长手机号"].startswith("必填") and "会长本人的手机" in notes["*会长手机号"]
    assert "不填则为“正常”" in notes["状态"] and "格式:2024-05-01" in notes["登记日期"]
    assert sheet.max_row == 1  # no data, no notes row: data starts on row 2
    dropdowns = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert "C2" in dropdowns and dropdowns["C2"].startswith("'_fields'!")  # 类别
    assert book["_fields"].sheet_state == "hidden"
    mapping = {row[0]: row[1] for row in book["_fields"].iter_rows(min_row=2, max_col=2, values_only=True) if row[0]}
    assert mapping["会长手机号"] == "president_phone" and mapping["名称"] == "name"
    listed = [row[5] for row in book["_fields"].iter_rows(min_row=2, values_only=True) if row[5]]
    assert listed == ["行业协会", "商会", "异地商会", "其他"]
    assert "会长手机号" in [row[0] for row in book["填写说明"].iter_rows(values_only=True)][1:][-3]

    other = login_client("shizhong", "editor").get("/shizhong/entities/association/excel/template.xlsx")
    assert "*会长手机号" not in header_of(other.data)[2]


def test_an_export_imports_back_as_the_same_records(app, tmp_path):
    source = workbook([association_row(n) for n in range(1, 4)] + [
        ["含公式的名称", code(9), "商会", "整改中", None, None, None, None],
    ])
    assert run_import(app, "lixia", io.BytesIO(source)).created == 4
    exported = io.BytesIO()
    with app.app_context():
        tenant = tenant_by_slug(session, "lixia")
        set_scope(session, TenantScope.of(tenant))
        service = service_for(tenant)
        rows = session.scalars(select(Entity).where(Entity.type == "association").order_by(Entity.id))
        assert excel.write_export(service.type("association"), rows, exported) == 4
    book, sheet, header = header_of(exported.getvalue())
    first = [cell.value for cell in sheet[2]]
    assert first[header.index("登记日期")] == dt.datetime(2015, 3, 2)  # a real date, not text
    assert sheet.cell(2, header.index("登记日期") + 1).number_format == "yyyy-mm-dd"
    assert first[header.index("会员数")] == 101 and first[header.index("标签")] == "科技、制造"

    exported.seek(0)
    before = records(app, "lixia")
    with app.app_context():  # a credit code is unique in the whole tree: the originals make way
        tenant = tenant_by_slug(session, "lixia")
        set_scope(session, TenantScope.of(tenant))
        service = service_for(tenant)
        for entity in session.scalars(select(Entity).where(Entity.type == "association")).all():
            service.delete(service.type("association"), entity)
        service.commit()
    assert run_import(app, "shizhong", exported).created == 4
    assert records(app, "shizhong") == before


def test_a_thousand_rows_with_one_bad_row_write_nothing_and_name_the_row_and_column(app):
    rows = [association_row(n) for n in range(1, 1001)]
    rows[5][1], expected = wrong_check(rows[5][1])  # the sixth record is on row 7 of the sheet
    result = run_import(app, "lixia", io.BytesIO(workbook(rows)))
    assert (result.total, result.created, result.failed) == (1000, 0, 1)
    assert [str(e) for e in result.errors] == [f"第 7 行「统一社会信用代码」:校验位应为 {expected},实际为 {rows[5][1][-1]}"]
    assert records(app) == [] and revisions_per_entity(app) == {}

    rows[5][1] = code(6)
    seen = []
    result = run_import(app, "lixia", io.BytesIO(workbook(rows)), progress=lambda done, total: seen.append((done, total)))
    assert result.ok and result.created == 1000
    assert len(records(app)) == 1000
    assert sorted(set(revisions_per_entity(app).values())) == [1] and len(revisions_per_entity(app)) == 1000
    assert seen[-1] == (1000, 1000) and len(seen) >= 10


def test_every_bad_row_is_reported_with_its_column_and_nothing_is_written(app):
    rows = [association_row(n) for n in range(1, 6)]
    rows[1][0] = None                     # row 3: 名称 empty
    rows[3][2] = "联合会"                  # row 5: 类别 not a choice
    rows[3][5] = "很多"                    # row 5: 会员数 not a number
    result = run_import(app, "lixia", io.BytesIO(workbook(rows)))
    assert [str(e) for e in result.errors] == [
        "第 3 行「名称」:此项必填",
        "第 5 行「类别」:请从以下选项中选择:行业协会、商会、异地商会、其他",
        "第 5 行「会员数」:请输入整数",
    ]
    assert result.failed == 2 and records(app) == []


@pytest.mark.parametrize(("content", "message"), [
    (workbook([association_row(1)], title="Sheet1"), "工作簿里没有名为「协会商会」的工作表(找到的是:「Sheet1」)"),
    (workbook([association_row(1)[1:]], header=HEADER[1:]), "缺少必填列:「名称」"),
    (workbook([association_row(1) + ["张三"]], header=HEADER + ["会长姓名"]), "无法识别的列:「会长姓名」(第 I 列)"),
    (workbook([association_row(1) + ["x"]], header=HEADER + ["名称"]), "重复的列:「名称」"),
    (b"name,uscc\n", "不是有效的 Excel 工作簿"),
    (workbook([]).replace(b"xl/worksheets", b"xl/worksheetz"), "没有名为「协会商会」的工作表(找到的是:无)"),
    (b"PK\x03\x04" + b"\x00" * 200, "不是有效的 Excel 工作簿"),
    (corrupted(workbook([association_row(n) for n in range(1, 50)])), "工作表第 \\d+ 行附近的内容已损坏"),
])
def test_a_wrong_sheet_or_header_is_refused_with_a_clear_message(app, content, message):
    with pytest.raises(excel.ImportRefused, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        run_import(app, "lixia", io.BytesIO(content))
    assert "请" in str(refused.value)
    assert records(app) == []


def test_valid_only_writes_the_good_rows_and_returns_an_error_workbook_that_imports_once_fixed(app):
    rows = [association_row(n) for n in range(1, 6)]
    rows[1][1], _ = wrong_check(rows[1][1])
    rows[3][4] = "2020-13-45"
    result = run_import(app, "lixia", io.BytesIO(workbook(rows)), valid_only=True)
    assert (result.created, result.failed) == (3, 2)
    assert [r["name"] for r in records(app)] == ["济南市第1行业协会", "济南市第3行业协会", "济南市第5行业协会"]

    book, sheet, header = header_of(result.error_workbook.getvalue())
    assert header == HEADER + ["错误原因"]
    failed = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in failed] == ["济南市第2行业协会", "济南市第4行业协会"]
    assert failed[0][-1].startswith("统一社会信用代码:校验位应为") and "请输入日期" in failed[1][-1]

    sheet.cell(2, 2).value = code(2)
    sheet.cell(3, 5).value = dt.date(2020, 12, 1)
    fixed = io.BytesIO()
    book.save(fixed)
    fixed.seek(0)
    again = run_import(app, "lixia", fixed)  # 「错误原因」 is ignored
    assert again.ok and again.created == 2
    assert len(records(app)) == 5 and records(app)[-1]["registered_on"] == "2020-12-01"


def test_cells_are_read_as_people_type_them(app):
    rows = [[" 济南市甲协会 ", code(1).lower(), "商会", None, "2019/7/1", 12.0, "科技,制造; 物流", 13905310000]]
    header = ["名称", "统一社会信用代码", "类别", "状态", "登记日期", "会员数", "标签", "联系电话"]
    assert run_import(app, "lixia", io.BytesIO(workbook(rows, header=header))).ok
    expected = {
        "name": "济南市甲协会", "uscc": code(1), "category": "商会", "status": "正常", "registered_on": "2019-07-01",
        "member_count": 12, "tags": ["科技", "制造", "物流"], "contact_phone": "13905310000",
    }
    data = records(app)[0]
    assert {key: data.get(key) for key in expected} == expected
    refused = run_import(app, "lixia", io.BytesIO(workbook([[None, None, None, None, None, 3.5, None, None, "多余"]],
                                                           header=header)))
    assert [str(e) for e in refused.errors] == [
        "第 2 行:第 I 列有内容,但这一列没有表头", "第 2 行「名称」:此项必填", "第 2 行「统一社会信用代码」:此项必填",
        "第 2 行「类别」:此项必填", "第 2 行「会员数」:请输入整数（不能有小数）",
    ]


@pytest.fixture
def quanhui(app):
    runner = app.test_cli_runner()
    cli = make_cli()

    def run(*args):
        return runner.invoke(cli, list(args))

    return run


def test_the_command_line_imports_with_progress_and_exports(app, quanhui, tmp_path):
    rows = [association_row(n) for n in range(1, 41)]
    rows[9][2] = "联合会"
    bad = write(tmp_path, "bad.xlsx", workbook(rows))
    errors = tmp_path / "errors.xlsx"
    result = quanhui("import", "association", str(bad), "--tenant", "lixia", "--errors-out", str(errors))
    assert result.exit_code == 1
    assert "第 11 行「类别」:请从以下选项中选择" in result.stderr and "未导入任何数据" in result.stderr
    assert records(app) == [] and errors.exists()

    result = quanhui("import", "association", str(bad), "--tenant", "lixia", "--valid-only")
    assert result.exit_code == 1 and "已导入 39 条协会商会,1 行未通过校验" in result.stdout
    rows[9][2] = "商会"
    good = write(tmp_path, "good.xlsx", workbook(rows[9:10]))
    result = quanhui("import", "association", str(good), "--tenant", "lixia")
    assert result.exit_code == 0, result.output
    assert "已导入 1 条协会商会" in result.stdout and "(100%)" in result.stderr
    with system_scope(session):
        entry = session.scalars(select(AuditEvent).where(AuditEvent.action == "entities.import")
                                .order_by(AuditEvent.id.desc())).first()
        assert (entry.actor, entry.detail["created"]) == ("命令行", 1)

    out = tmp_path / "out.xlsx"
    result = quanhui("export", "association", str(out), "--tenant", "lixia")
    assert result.exit_code == 0 and "已导出 40 条" in result.stdout
    names = [row[0] for row in load_workbook(out)["协会商会"].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(row[0] for row in rows)

    many = write(tmp_path, "many.xlsx", workbook([association_row(n) for n in range(100, 300)]))
    result = quanhui("import", "association", str(many), "--tenant", "shizhong")
    assert result.exit_code == 0, result.output
    assert [line.split("(")[-1] for line in result.stderr.splitlines()] == [f"{p}%)" for p in range(10, 101, 10)]

    assert quanhui("import", "nothing", str(good), "--tenant", "lixia").exit_code == 1
    refused = quanhui("import", "association", str(write(tmp_path, "x.xlsx", b"not excel")), "--tenant", "lixia")
    assert refused.exit_code == 1 and "不是有效的 Excel 工作簿" in refused.output


def upload(client, content, *, mode="all", name="名录.xlsx", slug="lixia", headers=HX):
    return client.post(
        f"/{slug}/entities/association/excel/import",
        data={"file": (io.BytesIO(content), name), "mode": mode},
        content_type="multipart/form-data", headers=headers,
    )


def test_an_editor_imports_through_the_page_and_sees_each_error(app, login_client):
    client = login_client("lixia", "editor")
    page = client.get("/lixia/entities/association/excel/").get_data(as_text=True)
    assert "下载导入模板" in page and "导出当前列表" in page and 'name="mode" value="valid_only"' in page

    rows = [association_row(n) for n in range(1, 4)]
    rows[1][1], _ = wrong_check(rows[1][1])
    refused = upload(client, workbook(rows))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "校验未通过,未导入任何数据" in html and "第 3 行「统一社会信用代码」:校验位应为" in html
    assert "下载错误工作簿" in html
    assert records(app) == []
    errors_url = re.search(r'href="([^"]+/errors\.xlsx)"', html).group(1)
    errors = client.get(errors_url)
    assert errors.status_code == 200 and header_of(errors.data)[2][-1] == "错误原因"
    polled = client.get(errors_url.removesuffix("/errors.xlsx"), headers=HX)
    assert "校验未通过,未导入任何数据" in polled.get_data(as_text=True)
    assert "hx-trigger" not in polled.get_data(as_text=True)

    rows[1][1] = code(2)
    done = upload(client, workbook(rows))
    assert done.status_code == 200
    assert "导入完成:已新增 3 条协会商会" in done.get_data(as_text=True)
    assert len(records(app)) == 3

    partial = upload(client, workbook([association_row(7), ["", code(8), "商会"]]), mode="valid_only", headers={})
    assert partial.status_code == 200 and "已新增 1 条协会商会;1 行没有通过校验" in partial.get_data(as_text=True)
    assert "<html" in partial.get_data(as_text=True)  # a plain form post gets the whole page

    other = login_client("lixia", "admin")
    assert other.get(errors_url).status_code == 404


def test_uploads_that_are_not_workbooks_or_too_large_are_refused_in_chinese(app, login_client):
    client = login_client("lixia", "editor")
    not_excel = upload(client, b"\xd0\xcf\x11\xe0 old xls", name="名录.xls")
    assert not_excel.status_code == 422 and "「名录.xls」不是 Excel 工作簿（.xlsx）" in not_excel.get_data(as_text=True)
    missing = client.post("/lixia/entities/association/excel/import", data={"mode": "all"}, headers=HX)
    assert missing.status_code == 422 and "请选择要导入的 Excel 文件" in missing.get_data(as_text=True)
    wrong = upload(client, workbook([association_row(1)], title="Sheet1"))
    assert wrong.status_code == 422 and "工作簿里没有名为「协会商会」的工作表" in wrong.get_data(as_text=True)

    app.config["MAX_CONTENT_LENGTH"] = 20_000
    too_large = upload(client, workbook([association_row(n) for n in range(1, 2000)]), headers={})
    assert too_large.status_code == 413 and "文件太大" in too_large.get_data(as_text=True)
    assert records(app) == []


def test_a_viewer_may_download_but_not_import(app, login_client):
    client = login_client("lixia", "viewer")
    page = client.get("/lixia/entities/association/excel/")
    assert page.status_code == 200 and "import-form" not in page.get_data(as_text=True)
    assert client.get("/lixia/entities/association/excel/template.xlsx").status_code == 200
    assert client.get("/lixia/entities/association/excel/export.xlsx").status_code == 200
    assert upload(client, workbook([association_row(1)])).status_code == 403
    assert records(app) == []
    assert client.get("/lixia/entities/nothing/excel/").status_code == 404


def test_the_export_follows_the_lists_search_and_filters(app, login_client):
    rows = [association_row(n) for n in range(1, 6)]
    rows[1][3] = rows[3][3] = "整改中"
    assert run_import(app, "lixia", io.BytesIO(workbook(rows))).created == 5
    client = login_client("lixia", "viewer")
    response = client.get("/lixia/entities/association/excel/export.xlsx?status=整改中&sort=name")
    assert response.status_code == 200
    names = [row[0] for row in header_of(response.data)[1].iter_rows(min_row=2, values_only=True)]
    assert names == ["济南市第2行业协会", "济南市第4行业协会"]
    everything = client.get("/lixia/entities/association/excel/export.xlsx")
    assert len(list(header_of(everything.data)[1].iter_rows(min_row=2))) == 5
    assert client.get("/lixia/entities/association/excel/export.xlsx?member_count__gte=abc").status_code == 422
    page = client.get("/lixia/entities/association/excel/?status=整改中").get_data(as_text=True)
    assert "export.xlsx?status=" in page
