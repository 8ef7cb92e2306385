"""A link may open a new record's form with values filled in: a plugin's 新建年报 link from an
association's page opens the form with that association chosen."""
import types

import pytest

from core.api import PluginMeta, hookimpl
from core.entities.definitions import EntityType, Field

HX = {"HX-Request": "true"}


def annual_plugin():
    module = types.ModuleType("annual_prefill")
    module.meta = PluginMeta(name="annual", title="年报", version="1.0.0")
    annual = EntityType("annual_report", "年度报告", fields=(
        Field("name", "标题", required=True, listed=True),
        Field("association", "协会商会", kind="reference", target="association"),
        Field("year", "年度", kind="integer", default=2024),
        Field("topics", "主题", kind="multi_choice", choices=("党建", "财务", "活动")),
    ))
    module.quanhui_entity_types = hookimpl(lambda: [annual])
    return module


pytestmark = [pytest.mark.quanhui_plugins(annual_plugin()), pytest.mark.enable_plugins("annual", tenants=["lixia"])]


def test_a_link_fills_in_the_new_form_and_leaves_the_rest_to_defaults(login_client):
    admin = login_client("lixia", "admin")
    made = admin.post("/lixia/entities/association/", headers=HX, data={
        "name": "历下区软件行业协会", "uscc": "513701020000010116", "category": "行业协会"})
    association = made.headers["HX-Redirect"].rstrip("/").split("/")[-1]

    page = admin.get(f"/lixia/entities/annual_report/new?association={association}&topics=财务&page=3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<option value="{association}" selected' in html
    assert 'value="2024"' in html
    assert 'value="财务" checked' in html and 'value="党建" checked' not in html


def test_a_bad_value_in_the_link_is_shown_and_refused_only_on_save(login_client):
    admin = login_client("lixia", "admin")
    page = admin.get("/lixia/entities/annual_report/new?year=明年")
    assert page.status_code == 200 and 'value="明年"' in page.get_data(as_text=True)
    saved = admin.post("/lixia/entities/annual_report/", headers=HX, data={"name": "年报", "year": "明年"})
    assert saved.status_code == 422
