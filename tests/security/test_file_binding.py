"""Files are bound to the record and field they were uploaded for (issue 17, item 1).

File ids are sequential, so a record's file field may name only a file bound to that
record and field (or one its user uploads in the same request); the form, the API and
Excel import refuse anything else, and a download checks the binding against its URL.
"""
import io
import types

import pytest
from alembic import command
from openpyxl import Workbook
from sqlalchemy import inspect, select, update

from core.api import PluginMeta, hookimpl
from core.auth.accounts import create_user
from core.cli import make_cli
from core.db import session
from core.entities import excel, service_for
from core.entities.definitions import EntityType, Field
from core.entities.files import EntityFile
from core.entities.models import Entity
from core.entities.service import Invalid
from core.entities.uscc import make
from core.migrations import alembic_config, upgrade
from core.tenancy import TenantScope, system_scope, use_scope
from core.testing import TEST_PASSWORD

PDF = b"%PDF-1.7\n" + b"quanhui" * 100
OTHER_PDF = b"%PDF-1.7\n" + b"catering secrets" * 50


def dossier_plugin():
    """A type with two file fields, to tell a file's field from its record."""
    module = types.ModuleType("dossier_plugin")
    module.meta = PluginMeta(name="dossier", title="档案", version="1.0.0")
    dossier = EntityType("dossier", "档案", title_field="title", fields=(
        Field("title", "标题", required=True, indexed=True, listed=True),
        Field("scan", "扫描件", kind="file"),
        Field("proof", "证明材料", kind="file"),
    ))
    module.quanhui_entity_types = hookimpl(lambda: [dossier])
    return module


pytestmark = [pytest.mark.quanhui_plugins(dossier_plugin()),
              pytest.mark.enable_plugins("think_tank", "dossier", tenants=["lixia"])]


@pytest.fixture
def suggestions(app, db_session, tenant):
    """Two associations of lixia (软件协会, 餐饮商会) and a suggestion of each."""
    lixia = tenant("lixia")
    ids = {}
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        for serial, name in enumerate(("软件协会", "餐饮商会"), start=1):
            ids[name] = service.create(service.type("association"), {
                "name": name, "uscc": make("5", "1", lixia.code, serial), "category": "行业协会"}).id
            ids[f"{name}建议"] = service.create(service.type("suggestion"), {
                "title": f"{name}的建议", "association": ids[name], "category": "融资服务",
                "submitted_on": "2025-03-02", "content": "会员企业反映贷款难。"}).id
        service.commit()
    return ids


def association_client(app, db_session, tenant, username, association_id):
    create_user(db_session, tenant("lixia"), username, TEST_PASSWORD, "association", association_id=association_id)
    db_session.commit()
    client = app.test_client()
    assert client.login(username).status_code == 303
    return client


def file_of(app, entity_id: int, field: str) -> int:
    with app.app_context(), system_scope(session):
        return session.get(Entity, entity_id).data[field]["file"]


def binding(app, file_id: int) -> tuple[int | None, str | None]:
    with app.app_context(), system_scope(session):
        stored = session.get(EntityFile, file_id)
        return stored.entity_id, stored.field


def plant(app, entity_id: int, **values) -> None:
    """Write file references past the service, as the attack left them before files were bound."""
    with app.app_context(), system_scope(session):
        data = {**session.get(Entity, entity_id).data, **values}
        session.execute(update(Entity).where(Entity.id == entity_id).values(data=data))
        session.commit()


@pytest.fixture
def catering_file(app, db_session, tenant, suggestions):
    """餐饮商会's account attaches a file to its own suggestion through the form."""
    catering = association_client(app, db_session, tenant, "canyin", suggestions["餐饮商会"])
    url = f"/lixia/entities/suggestion/{suggestions['餐饮商会建议']}"
    form = catering.get(f"{url}/edit")
    assert form.status_code == 200
    saved = catering.post(url, data={
        "title": "餐饮商会的建议", "category": "融资服务", "submitted_on": "2025-03-02", "content": "会员企业反映贷款难。",
        "version": "1", "attachment": (io.BytesIO(OTHER_PDF), "内部材料.pdf")}, content_type="multipart/form-data")
    assert saved.status_code == 303, saved.get_data(as_text=True)
    return file_of(app, suggestions["餐饮商会建议"], "attachment")


def test_an_association_account_cannot_take_another_associations_file(app, db_session, tenant, suggestions,
                                                                      catering_file):
    software = association_client(app, db_session, tenant, "ruanjian", suggestions["软件协会"])
    own = suggestions["软件协会建议"]
    patched = software.patch(f"/api/v1/lixia/entities/suggestion/{own}", json={"attachment": {"file": catering_file}},
                             headers={"If-Match": "*"})
    assert patched.status_code == 422
    assert list(patched.get_json()["error"]["fields"]) == ["attachment"]
    download = software.get(f"/lixia/entities/suggestion/{own}/files/attachment")
    assert download.status_code == 404 and OTHER_PDF not in download.data


def test_a_form_upload_is_bound_to_the_record_and_field_it_was_saved_with(app, login_client):
    editor = login_client("lixia", "editor")
    created = editor.post("/lixia/entities/dossier/", data={"title": "年检", "scan": (io.BytesIO(PDF), "扫描.pdf")},
                          content_type="multipart/form-data")
    assert created.status_code == 303
    record = int(created.location.rsplit("/", 1)[1])
    scan = file_of(app, record, "scan")
    assert binding(app, scan) == (record, "scan")
    assert editor.get(f"/lixia/entities/dossier/{record}/files/scan").data == PDF

    edited = editor.post(f"/lixia/entities/dossier/{record}", data={
        "title": "年检", "version": "1", "proof": (io.BytesIO(PDF), "证明.pdf"), "scan": str(scan)},
        content_type="multipart/form-data")
    assert edited.status_code == 303
    proof = file_of(app, record, "proof")
    assert binding(app, proof) == (record, "proof") and file_of(app, record, "scan") == scan


def test_the_api_names_only_a_file_bound_to_the_record_and_field(app, login_client, suggestions, catering_file):
    editor = login_client("lixia", "editor")
    record = editor.post("/api/v1/lixia/entities/dossier", json={"title": "年检"}).get_json()["id"]
    uploaded = editor.post(f"/api/v1/lixia/entities/dossier/{record}/files/scan",
                           data={"file": (io.BytesIO(PDF), "扫描.pdf")}, content_type="multipart/form-data")
    assert uploaded.status_code == 201
    value = uploaded.get_json()
    assert value["name"] == "扫描.pdf" and value["url"].endswith(f"/lixia/entities/dossier/{record}/files/scan")
    assert binding(app, value["file"]) == (record, "scan")

    for refused in (
        editor.post("/api/v1/lixia/entities/dossier", json={"title": "副本", "scan": value}),
        editor.patch(f"/api/v1/lixia/entities/dossier/{record}", json={"proof": value}, headers={"If-Match": "*"}),
        editor.patch(f"/api/v1/lixia/entities/dossier/{record}", json={"scan": {"file": catering_file}},
                     headers={"If-Match": "*"}),
    ):
        assert refused.status_code == 422
        fields = refused.get_json()["error"]["fields"]
        assert fields == {name: ["这个文件不是为本记录的这一项上传的，请在这里重新上传"] for name in fields}
    missing = editor.patch(f"/api/v1/lixia/entities/dossier/{record}", json={"scan": {"file": 999999}},
                           headers={"If-Match": "*"})
    assert missing.status_code == 422 and missing.get_json()["error"]["fields"] == {"scan": ["文件不存在，请重新上传"]}

    named = editor.patch(f"/api/v1/lixia/entities/dossier/{record}", json={"scan": {"file": value["file"]}},
                         headers={"If-Match": "*"})
    assert named.status_code == 200 and named.get_json()["data"]["scan"] == value
    assert editor.get(value["url"]).data == PDF


def test_the_api_upload_is_checked_like_the_form(app, login_client, api_client, suggestions):
    editor = login_client("lixia", "editor")
    record = editor.post("/api/v1/lixia/entities/dossier", json={"title": "年检"}).get_json()["id"]
    url = f"/api/v1/lixia/entities/dossier/{record}/files"
    exe = editor.post(f"{url}/scan", data={"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
                      content_type="multipart/form-data")
    assert exe.status_code == 422 and list(exe.get_json()["error"]["fields"]) == ["scan"]
    empty = editor.post(f"{url}/scan", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422 and empty.get_json()["error"]["fields"] == {"scan": ["请选择要上传的文件"]}
    assert editor.post(f"{url}/title", data={"file": (io.BytesIO(PDF), "a.pdf")},
                       content_type="multipart/form-data").status_code == 404
    assert editor.post("/api/v1/lixia/entities/dossier/999999/files/scan", data={"file": (io.BytesIO(PDF), "a.pdf")},
                       content_type="multipart/form-data").status_code == 404
    assert login_client("shizhong", "admin").post(f"{url}/scan", data={"file": (io.BytesIO(PDF), "a.pdf")},
                                                  content_type="multipart/form-data").status_code == 404
    viewer = api_client("lixia", "viewer")
    assert viewer.post(f"{url}/scan", data={"file": (io.BytesIO(PDF), "a.pdf")},
                       content_type="multipart/form-data").status_code == 403
    with app.app_context(), system_scope(session):
        assert session.scalars(select(EntityFile.name)).all() == []


def test_an_association_account_uploads_only_to_its_own_records(app, db_session, tenant, suggestions):
    software = association_client(app, db_session, tenant, "ruanjian", suggestions["软件协会"])
    url = "/api/v1/lixia/entities/suggestion/{}/files/attachment"
    other = software.post(url.format(suggestions["餐饮商会建议"]), data={"file": (io.BytesIO(PDF), "a.pdf")},
                          content_type="multipart/form-data")
    assert other.status_code == 404
    own = software.post(url.format(suggestions["软件协会建议"]), data={"file": (io.BytesIO(PDF), "a.pdf")},
                        content_type="multipart/form-data")
    assert own.status_code == 201


def test_excel_import_and_bulk_writes_name_no_stored_file(app, db_session, tenant, catering_file):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        dossier = service.type("dossier")
        with pytest.raises(Invalid) as refused:
            service.create_many(dossier, [{"title": "导入", "scan": {"file": catering_file}}])
        assert refused.value.errors == {"0.scan": ["这个文件不是为本记录的这一项上传的，请在这里重新上传"]}

        book = Workbook()
        book.active.title = excel.sheet_title(dossier)
        book.active.append(["标题", "扫描件"])
        book.active.append(["导入", catering_file])
        source = io.BytesIO()
        book.save(source)
        source.seek(0)
        result = excel.import_rows(service, dossier, source)
        assert result.created == 0
        assert [(error.column, error.message) for error in result.errors] == [("扫描件", excel.FILE_CELL)]


def test_a_download_serves_only_the_file_bound_to_its_url(app, login_client):
    editor = login_client("lixia", "editor")
    first = editor.post("/lixia/entities/dossier/", data={"title": "甲", "scan": (io.BytesIO(PDF), "甲.pdf")},
                        content_type="multipart/form-data")
    first_id = int(first.location.rsplit("/", 1)[1])
    second_id = editor.post("/api/v1/lixia/entities/dossier", json={"title": "乙"}).get_json()["id"]
    scan = {"file": file_of(app, first_id, "scan"), "name": "甲.pdf", "size": len(PDF), "type": "application/pdf"}
    plant(app, first_id, proof=scan)
    plant(app, second_id, scan=scan)
    assert editor.get(f"/lixia/entities/dossier/{first_id}/files/scan").data == PDF
    assert editor.get(f"/lixia/entities/dossier/{first_id}/files/proof").status_code == 404
    assert editor.get(f"/lixia/entities/dossier/{second_id}/files/scan").status_code == 404
    assert editor.get(f"/lixia/entities/suggestion/{first_id}/files/scan").status_code == 404


def test_the_upgrade_binds_each_file_to_the_record_that_named_it_first(app, login_client, suggestions,
                                                                      catering_file):
    """The attacker's suggestion is the older record, so only the revisions tell who uploaded."""
    software, catering = suggestions["软件协会建议"], suggestions["餐饮商会建议"]
    created = login_client("lixia", "editor").post("/lixia/entities/dossier/", data={
        "title": "年检", "proof": (io.BytesIO(PDF), "证明.pdf")}, content_type="multipart/form-data")
    dossier = int(created.location.rsplit("/", 1)[1])
    proof = file_of(app, dossier, "proof")
    engine = app.extensions["quanhui.db"].engine
    registry = app.extensions["quanhui.plugins"]
    with engine.begin() as connection:
        command.downgrade(alembic_config(registry, connection), "0012-1")
    assert "entity_id" not in {column["name"] for column in inspect(engine).get_columns("entity_files")}
    plant(app, software, attachment={"file": catering_file})
    upgrade(engine, registry)
    assert binding(app, catering_file) == (catering, "attachment")
    assert binding(app, proof) == (dossier, "proof")


def test_check_files_lists_records_whose_references_point_elsewhere(app, suggestions, catering_file):
    runner, cli = app.test_cli_runner(), make_cli()
    clean = runner.invoke(cli, ["check", "files"])
    assert clean.exit_code == 0 and clean.output.strip() == "没有指向别处的文件引用"

    software, catering = suggestions["软件协会建议"], suggestions["餐饮商会建议"]
    plant(app, software, attachment={"file": catering_file})
    found = runner.invoke(cli, ["check", "files"])
    assert found.exit_code == 1
    assert found.output.splitlines() == [
        f"lixia suggestion {software} 的 attachment：文件 {catering_file} 属于记录 {catering} 的 attachment"]
