"""A district extends a type the city built and published, as it extends a plugin's type.

lixia adds 分管领导 to the city's 重大事项报告 in the field designer: lixia's reports ask
for it on the form and in the API, show it in the list, on the record and in Excel; the
city's definition and shizhong's reports are untouched; the city still reads lixia's
reports, its own field included. Names stay unambiguous in both directions.
"""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import session
from core.tenancy import system_scope
from tests.core.test_record_types import BASE, RECORD, TYPE, build, built, errors_of  # noqa: F401 (built: a fixture)

SUPERVISOR = {"name": "supervisor", "label": "分管领导", "kind": "text", "required": "1", "indexed": "1",
              "listed": "1"}
DESIGNER = f"/lixia/admin/fields/{TYPE}"


@pytest.fixture
def extended(built, login_client):
    """The city builds and publishes the type; lixia's admin adds its own required field to it."""
    lixia = login_client("lixia", "admin")
    added = lixia.post(DESIGNER, data=SUPERVISOR)
    assert added.status_code == 303, added.get_data(as_text=True)[:2000]
    return lixia


def file(client, slug, **values):
    return client.post(f"/api/v1/{slug}/entities/{TYPE}", json={**RECORD, **values})


def test_the_field_designer_offers_the_citys_published_type_to_a_district(built, login_client):
    lixia = login_client("lixia", "admin")
    index = lixia.get("/lixia/admin/fields/").get_data(as_text=True)
    assert "重大事项报告" in index and f'href="{DESIGNER}"' in index
    page = lixia.get(DESIGNER).get_data(as_text=True)
    assert "类型本身的字段(济南市设计)" in page and 'data-field="matter_kind"' in page
    # The city changes its own type in the builder, not in the field designer.
    city = built
    assert f"/jinan/admin/fields/{TYPE}" not in city.get("/jinan/admin/fields/").get_data(as_text=True)
    assert city.get(f"/jinan/admin/fields/{TYPE}").status_code == 404


def test_an_unpublished_city_type_is_not_offered_to_districts(app, login_client):
    build(login_client("jinan", "admin"), publish=False)
    lixia = login_client("lixia", "admin")
    assert "重大事项报告" not in lixia.get("/lixia/admin/fields/").get_data(as_text=True)
    assert lixia.get(DESIGNER).status_code == 404


def test_the_districts_records_carry_its_field_in_the_api_and_on_the_pages(extended, api_client, login_client):
    editor = api_client("lixia", "editor")
    missing = file(editor, "lixia")
    assert missing.status_code == 422 and missing.json["error"]["fields"]["supervisor"] == ["此项必填"]
    filed = file(editor, "lixia", supervisor="王副会长")
    assert filed.status_code == 201 and filed.json["data"]["supervisor"] == "王副会长"
    record = filed.json["id"]
    assert editor.get(f"/api/v1/lixia/entities/{TYPE}/{record}").json["data"]["supervisor"] == "王副会长"
    schema = editor.get("/api/v1/lixia/openapi.json").json["components"]["schemas"]["T1_MajorReport"]
    assert "supervisor" in str(schema)

    pages = extended
    form = pages.get(f"/lixia/entities/{TYPE}/new").get_data(as_text=True)
    assert 'id="f-supervisor"' in form and "分管领导" in form
    listing = pages.get(f"/lixia/entities/{TYPE}/").get_data(as_text=True)
    assert "分管领导" in listing and "王副会长" in listing
    detail = pages.get(f"/lixia/entities/{TYPE}/{record}").get_data(as_text=True)
    assert "<dt>分管领导</dt>" in detail and "王副会长" in detail
    filtered = pages.get(f"/lixia/entities/{TYPE}/?supervisor=王副会长").get_data(as_text=True)
    assert "关于召开年度会员大会的报告" in filtered


def test_the_districts_field_is_a_column_of_its_excel_files(extended, api_client, login_client):
    assert file(api_client("lixia", "editor"), "lixia", supervisor="王副会长").status_code == 201
    pages = extended
    template = load_workbook(io.BytesIO(pages.get(f"/lixia/entities/{TYPE}/excel/template.xlsx").data))
    assert "*分管领导" in [cell.value for cell in next(template.worksheets[0].iter_rows(max_row=1))]
    export = load_workbook(io.BytesIO(pages.get(f"/lixia/entities/{TYPE}/excel/export.xlsx").data))
    header, row = list(export.worksheets[0].iter_rows(max_row=2, values_only=True))
    assert row[header.index("*分管领导")] == "王副会长"
    shizhong = login_client("shizhong", "viewer")
    elsewhere = load_workbook(io.BytesIO(shizhong.get(f"/shizhong/entities/{TYPE}/excel/template.xlsx").data))
    assert "*分管领导" not in [cell.value for cell in next(elsewhere.worksheets[0].iter_rows(max_row=1))]


def test_the_city_and_the_other_districts_are_unaffected(built, extended, app, api_client, login_client):
    shizhong = api_client("shizhong", "editor")
    assert file(shizhong, "shizhong").status_code == 201
    refused = file(shizhong, "shizhong", supervisor="王副会长")
    assert refused.status_code == 422 and refused.json["error"]["fields"]["supervisor"] == ["没有这个字段"]
    assert 'data-field="supervisor"' not in login_client("shizhong", "admin").get(
        f"/shizhong/admin/fields/{TYPE}").get_data(as_text=True)
    city = built
    assert 'data-field="supervisor"' not in city.get(f"{BASE}/{TYPE}").get_data(as_text=True)
    assert "supervisor" not in city.get(f"{BASE}/{TYPE}/export").get_data(as_text=True)
    with app.app_context(), system_scope(session):
        event = session.scalar(select(AuditEvent).where(AuditEvent.target == f"{TYPE}.supervisor"))
    assert (event.action, event.actor) == ("field.added", "lixia-admin")


def test_the_city_still_reads_the_districts_records_and_counts_them(built, extended, api_client):
    record = file(api_client("lixia", "editor"), "lixia", supervisor="王副会长").json["id"]
    city = built
    detail = city.get(f"/lixia/entities/{TYPE}/{record}")
    assert detail.status_code == 200
    page = detail.get_data(as_text=True)
    assert "关于召开年度会员大会的报告" in page and "王副会长" in page
    report = api_client("jinan", "viewer").get(f"/api/v1/jinan/reports/{TYPE}.report_1").json
    assert [row["count"] for row in report["rows"]] == [1]


def test_the_city_cannot_take_a_name_a_district_added_and_the_district_not_a_retired_one(built, extended):
    city = built
    taken = city.post(f"{BASE}/{TYPE}/fields", data={"name": "supervisor", "label": "督办人", "kind": "text"})
    assert taken.status_code == 422
    assert errors_of(taken)["name"] == "下级单位(历下区)已为这个类型添加了字段名为 supervisor 的字段,请换一个"

    assert city.post(f"{BASE}/{TYPE}/fields/participants/retire").status_code == 303
    reused = extended.post(DESIGNER, data={"name": "participants", "label": "列席人数", "kind": "integer"})
    assert reused.status_code == 422
    assert "字段名 participants 已被上级单位停用的字段「参加人数」使用(数据仍保留),请换一个" in reused.get_data(as_text=True)
    citys = extended.post(DESIGNER, data={"name": "matter_kind", "label": "类别", "kind": "text"})
    assert citys.status_code == 422
    assert "字段名 matter_kind 已被济南市设计的类型字段「" in citys.get_data(as_text=True)
