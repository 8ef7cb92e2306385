"""Errors reach people as Chinese pages and the API as one JSON body, never a bare 500."""
import types

import pytest
from flask import Blueprint

from core.api import PluginMeta, hookimpl
from core.web.app import create_app


def failing_plugin():
    pages = Blueprint("failing", __name__)
    api = Blueprint("failing_api", __name__)

    @pages.get("/")
    def boom(tenant):
        raise RuntimeError("a bug in a plugin view")

    @api.get("/boom")
    def api_boom(tenant):
        raise RuntimeError("a bug in a plugin API")

    module = types.ModuleType("failing_plugin")
    module.meta = PluginMeta(name="failing", title="出错插件", version="1.0.0")
    module.quanhui_blueprints = hookimpl(lambda: [pages])
    module.quanhui_api_blueprints = hookimpl(lambda: [api])
    return module


@pytest.mark.quanhui_plugins(failing_plugin())
@pytest.mark.enable_plugins("failing", tenants=["lixia"])
def test_an_unexpected_error_shows_a_chinese_500_page_and_json_for_the_api(login_client):
    client = login_client("lixia", "admin")
    page = client.get("/lixia/failing/")
    assert page.status_code == 500
    assert "系统出错了" in page.get_data(as_text=True)
    assert "a bug in a plugin view" not in page.get_data(as_text=True)
    api = client.get("/api/v1/lixia/failing/boom")
    assert api.status_code == 500
    assert api.json["error"]["code"] == "server_error"


def test_htmx_errors_carry_their_message_in_a_header(login_client):
    response = login_client("lixia", "viewer").get("/lixia/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "%E6%B2%A1%E6%9C%89%E6%9D%83%E9%99%90" in response.headers["X-Quanhui-Message"]  # 没有权限


def test_an_unreachable_database_answers_503_and_healthz_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("QUANHUI_INSTANCE", str(tmp_path))
    app = create_app({"QUANHUI_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none", "QUANHUI_SECRET_KEY": "x"})
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    page = client.get("/lixia/")
    assert page.status_code == 503
    assert "数据库暂时无法访问" in page.get_data(as_text=True)
    api = client.get("/api/v1/lixia/")
    assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"


def test_unknown_pages_are_404_in_chinese(client):
    response = client.get("/no/such/page/at/all")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    assert client.get("/api/v1/lixia/nothing-here").json["error"]["status"] == 404
