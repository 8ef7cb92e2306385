"""A file field may accept only some kinds of file: an annual report only as PDF."""
import io
import types

import pytest

from core.api import PluginMeta, hookimpl
from core.entities.definitions import DefinitionError, EntityType, Field

HX = {"HX-Request": "true"}
PDF = b"%PDF-1.7\n" + b"quanhui" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"quanhui" * 100


def annual_plugin():
    module = types.ModuleType("annual_plugin")
    module.meta = PluginMeta(name="annual", title="年报", version="1.0.0")
    annual = EntityType("annual_report", "年度报告", fields=(
        Field("name", "标题", required=True, listed=True),
        Field("report", "年报文件", kind="file", accept=(".pdf",)),
    ))
    module.quanhui_entity_types = hookimpl(lambda: [annual])
    return module


pytestmark = [pytest.mark.quanhui_plugins(annual_plugin()), pytest.mark.enable_plugins("annual", tenants=["lixia"])]


def post(client, data: bytes, filename: str):
    return client.post("/lixia/entities/annual_report/", headers=HX, content_type="multipart/form-data",
                       data={"name": "2025 年年报", "report": (io.BytesIO(data), filename)})


def test_the_form_offers_and_takes_only_the_accepted_kind(login_client):
    editor = login_client("lixia", "editor")
    assert 'accept=".pdf"' in editor.get("/lixia/entities/annual_report/new").get_data(as_text=True)
    refused = post(editor, PNG, "扫描件.png")
    assert refused.status_code == 422
    assert "这里只能上传 PDF 文件" in refused.get_data(as_text=True)
    assert post(editor, PDF, "年报.pdf").status_code == 204


def test_the_api_upload_takes_only_the_accepted_kind(login_client, api_client):
    editor = login_client("lixia", "editor")
    record = int(post(editor, PDF, "年报.pdf").headers["HX-Redirect"].rstrip("/").split("/")[-1])
    api = api_client("lixia", "editor")
    url = f"/api/v1/lixia/entities/annual_report/{record}/files/report"
    refused = api.post(url, data={"file": (io.BytesIO(PNG), "扫描件.png")}, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "这里只能上传 PDF 文件" in str(refused.get_json())
    accepted = api.post(url, data={"file": (io.BytesIO(PDF), "年报-修订.pdf")}, content_type="multipart/form-data")
    assert accepted.status_code == 201


def test_accept_names_only_kinds_the_platform_stores_and_only_on_file_fields():
    with pytest.raises(DefinitionError, match=r"\.exe"):
        Field("report", "年报文件", kind="file", accept=(".exe",))
    with pytest.raises(DefinitionError, match="不是文件"):
        Field("title", "标题", accept=(".pdf",))
    assert Field.from_json(Field("report", "年报", kind="file", accept=(".pdf",)).to_json()).accept == (".pdf",)
