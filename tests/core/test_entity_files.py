"""The file field kind: an upload kept with a record, downloaded under its own name."""
import io
import types

import pytest
from sqlalchemy import func, select

from core.api import PluginMeta, hookimpl
from core.db import session
from core.entities.definitions import DefinitionError, EntityType, Field
from core.entities.files import EntityFile
from core.entities.models import Entity, EntityRevision
from core.tenancy import system_scope

HX = {"HX-Request": "true"}
PDF = b"%PDF-1.7\n" + b"\x00\x01\x02quanhui" * 200
NAME = "2024年度工作报告.pdf"


def filing_plugin():
    module = types.ModuleType("filing_plugin")
    module.meta = PluginMeta(name="filing", title="报送", version="1.0.0")
    filing = EntityType("filing", "报送材料", fields=(
        Field("name", "标题", required=True, indexed=True, listed=True),
        Field("attachment", "附件", kind="file", listed=True),
    ))
    module.quanhui_entity_types = hookimpl(lambda: [filing])
    return module


pytestmark = [pytest.mark.quanhui_plugins(filing_plugin()), pytest.mark.enable_plugins("filing", tenants=["lixia"])]


def upload(client, data=PDF, filename=NAME, url="/lixia/entities/filing/", **form):
    fields = {"name": "年度报告", **form}
    if filename is not None:
        fields["attachment"] = (io.BytesIO(data), filename)
    return client.post(url, data=fields, headers=HX, content_type="multipart/form-data")


def entity_id(response) -> int:
    return int(response.headers["HX-Redirect"].rstrip("/").split("/")[-1])


def counts(app):
    with app.app_context(), system_scope(session):
        return (session.scalar(select(func.count(Entity.id)).where(Entity.type == "filing")),
                session.scalar(select(func.count(EntityFile.id))))


def test_an_editor_uploads_a_file_and_downloads_the_same_bytes(app, login_client):
    client = login_client("lixia", "editor")
    form = client.get("/lixia/entities/filing/new").get_data(as_text=True)
    assert 'type="file"' in form and 'hx-encoding="multipart/form-data"' in form
    response = upload(client)
    assert response.status_code == 204
    record = entity_id(response)
    page = client.get(f"/lixia/entities/filing/{record}").get_data(as_text=True)
    link = f"/lixia/entities/filing/{record}/files/attachment"
    assert NAME in page and link in page and "2 KB" in page
    assert NAME in client.get("/lixia/entities/filing/").get_data(as_text=True)

    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''2024%E5%B9%B4" in disposition

    item = client.get(f"/api/v1/lixia/entities/filing/{record}").get_json()
    assert item["data"]["attachment"]["name"] == NAME and item["data"]["attachment"]["url"].endswith(link)
    assert login_client("shizhong", "admin").get(link).status_code == 404
    assert login_client("lixia", "viewer").get(link).status_code == 200


def test_bidi_controls_are_dropped_from_a_file_name(app, login_client):
    """U+202E and kin would show “报告\u202efdp.exe” as “报告exe.pdf”: the name keeps none."""
    client = login_client("lixia", "editor")
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    record = entity_id(upload(client, filename=f"报告{controls}fdp.exe.pdf"))
    item = client.get(f"/api/v1/lixia/entities/filing/{record}").get_json()
    assert item["data"]["attachment"]["name"] == "报告fdp.exe.pdf"
    disposition = client.get(f"/lixia/entities/filing/{record}/files/attachment").headers["Content-Disposition"]
    assert "%E2%80%AE" not in disposition and "%E2%81%A6" not in disposition
    assert "filename*=UTF-8''%E6%8A%A5%E5%91%8Afdp.exe.pdf" in disposition


def test_a_too_large_file_and_an_exe_are_refused_and_nothing_is_written(app, login_client, monkeypatch):
    client = login_client("lixia", "editor")
    monkeypatch.setitem(app.config, "QUANHUI_MAX_FILE_BYTES", 1024)
    response = upload(client)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "文件超过 1 KB" in html and "请重新选择" in html
    response = upload(client, data=b"MZ\x90\x00", filename="setup.exe")
    assert response.status_code == 422 and "不支持这种文件类型:.exe" in response.get_data(as_text=True)
    response = upload(client, data=b"MZ\x90\x00", filename="fake.pdf")
    assert response.status_code == 422 and "文件内容与扩展名 .pdf 不符" in response.get_data(as_text=True)
    # A refused record drops its upload too: nothing of it is kept.
    response = upload(client, data=b"%PDF-1.4 short", name="")
    assert response.status_code == 422 and "此项必填" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_editing_keeps_the_file_the_box_deletes_it_and_revisions_record_both(app, login_client):
    client = login_client("lixia", "editor")
    record = entity_id(upload(client))
    edit = client.get(f"/lixia/entities/filing/{record}/edit").get_data(as_text=True)
    assert "删除文件" in edit and NAME in edit
    url = f"/lixia/entities/filing/{record}"
    assert upload(client, filename=None, url=url, name="年度报告(修订)", version="1").status_code == 204
    assert client.get(f"{url}/files/attachment").data == PDF
    response = upload(client, filename=None, url=url, version="2", _delete_file="attachment")
    assert response.status_code == 204
    assert client.get(f"{url}/files/attachment").status_code == 404
    with app.app_context(), system_scope(session):
        revisions = session.scalars(select(EntityRevision).where(EntityRevision.entity_id == record)
                                    .order_by(EntityRevision.version)).all()
        assert [r.action for r in revisions] == ["create", "update", "update"]
        assert revisions[1].before["attachment"] == revisions[1].after["attachment"]
        assert revisions[1].after["attachment"]["name"] == NAME
        assert revisions[2].after.get("attachment") is None


def test_the_api_names_only_the_records_own_stored_file(app, login_client):
    client = login_client("lixia", "editor")
    record = entity_id(upload(client))
    item = client.get(f"/api/v1/lixia/entities/filing/{record}")
    stored = item.get_json()["data"]["attachment"]
    kept = client.patch(f"/api/v1/lixia/entities/filing/{record}", json={"name": "年度报告（定稿）", "attachment": stored},
                        headers={"If-Match": "*"})
    assert kept.status_code == 200 and kept.get_json()["data"]["attachment"]["file"] == stored["file"]
    copied = client.post("/api/v1/lixia/entities/filing", json={"name": "副本", "attachment": stored})
    assert copied.status_code == 422 and list(copied.get_json()["error"]["fields"]) == ["attachment"]
    refused = client.post("/api/v1/lixia/entities/filing", json={"name": "伪造", "attachment": {"file": 999999}})
    assert refused.status_code == 422 and refused.get_json()["error"]["fields"]["attachment"] == ["文件不存在，请重新上传"]
    refused = client.post("/api/v1/lixia/entities/filing", json={"name": "文本", "attachment": "a.pdf"})
    assert refused.status_code == 422


def test_a_file_field_cannot_be_indexed():
    with pytest.raises(DefinitionError, match="不能设为索引"):
        Field("scan", "扫描件", kind="file", indexed=True)
