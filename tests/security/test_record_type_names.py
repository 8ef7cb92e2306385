"""Record-type names tell no tenant what its siblings built (issue 17, item 11).

Type names were unique across the instance, so a district learnt a sibling's names by
being refused them (and could squat names before a sibling needed them). A type built
in the browser is now stored as ``t<owner id>__<identifier>``; the identifier an admin
types need only be unique within its tree line: the tenant, its ancestors and the
tenants below, the ones that can see the type. Tenant ids follow the tree file:
济南市 1, 历下区 2, 市中区 3.
"""
from __future__ import annotations

import io
import json
import types

import pytest

from core.api import PluginMeta, hookimpl
from core.entities.definitions import EntityType, Field
from tests.core.test_record_types import errors_of

TAKEN = "类型标识 meeting 已被使用（本单位或上级、下级单位已有这个标识的类型），请换一个"


def create(client, slug: str, name: str, label: str):
    return client.post(f"/{slug}/admin/types/", data={"name": name, "label": label})


@pytest.fixture
def lixia_meeting(app, login_client):
    """历下区 built 例会 with the identifier ``meeting`` and filed one record."""
    lixia = login_client("lixia", "admin")
    response = create(lixia, "lixia", "meeting", "历下例会")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/lixia/admin/types/t2__meeting")
    filed = lixia.post("/lixia/entities/t2__meeting/", data={"title": "十一月例会"})
    assert filed.status_code == 303, filed.get_data(as_text=True)[:2000]
    return lixia


def test_a_sibling_district_builds_the_same_identifier_and_learns_nothing(lixia_meeting, login_client, api_client):
    shizhong = login_client("shizhong", "admin")
    response = create(shizhong, "shizhong", "meeting", "市中例会")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/shizhong/admin/types/t3__meeting")
    for page in (shizhong.get("/shizhong/admin/types/"), shizhong.get("/shizhong/admin/types/t3__meeting"),
                 shizhong.get("/shizhong/")):
        text = page.get_data(as_text=True)
        assert "市中例会" in text
        assert "历下例会" not in text and "t2__meeting" not in text
    assert shizhong.get("/shizhong/entities/t2__meeting/").status_code == 404
    assert shizhong.get("/shizhong/admin/types/t2__meeting").status_code == 404
    # Each district files and lists its own records under its own type.
    assert api_client("shizhong", "editor").get("/api/v1/shizhong/entities/t3__meeting").json["total"] == 0
    assert api_client("lixia", "editor").get("/api/v1/lixia/entities/t2__meeting").json["total"] == 1


def test_the_same_identifier_twice_in_one_district_is_refused_without_naming_anyone(lixia_meeting):
    again = create(lixia_meeting, "lixia", "meeting", "又一个例会")
    assert again.status_code == 422
    assert errors_of(again) == {"name": TAKEN}


def test_the_city_may_not_take_an_identifier_a_district_below_it_uses(lixia_meeting, login_client):
    """The city sees its districts' types (it works in them), so one identifier there would mean two types."""
    refused = create(login_client("jinan", "admin"), "jinan", "meeting", "市级例会")
    assert refused.status_code == 422
    assert errors_of(refused) == {"name": TAKEN}


def test_a_district_may_not_take_an_identifier_the_city_uses(app, login_client):
    """Once published, the city's type is the district's too: the identifier is taken below as well."""
    assert create(login_client("jinan", "admin"), "jinan", "meeting", "市级例会").status_code == 303
    refused = create(login_client("tianqiao", "admin"), "tianqiao", "meeting", "天桥例会")
    assert refused.status_code == 422
    assert errors_of(refused) == {"name": TAKEN}


def test_an_imported_file_is_stored_under_the_importing_district(lixia_meeting, login_client):
    exported = lixia_meeting.get("/lixia/admin/types/t2__meeting/export")
    assert 'filename="meeting.quanhui-type.json"' in exported.headers["Content-Disposition"]
    assert json.loads(exported.get_data(as_text=True))["name"] == "meeting"
    shizhong = login_client("shizhong", "admin")
    upload = {"file": (io.BytesIO(exported.get_data()), "meeting.quanhui-type.json")}
    imported = shizhong.post("/shizhong/admin/types/import", data=upload, content_type="multipart/form-data")
    assert imported.status_code == 303
    assert imported.headers["Location"].endswith("/shizhong/admin/types/t3__meeting")
    twice = lixia_meeting.post("/lixia/admin/types/import", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(exported.get_data()), "again.json")})
    assert twice.status_code == 422 and TAKEN in twice.get_data(as_text=True)


@pytest.mark.parametrize("name", ["t2__meeting", "my__meeting", "a" * 31])
def test_an_identifier_that_could_pass_for_a_stored_name_is_refused(app, login_client, name):
    refused = create(login_client("shizhong", "admin"), "shizhong", name, "冒名")
    assert refused.status_code == 422
    assert errors_of(refused)["name"] == "类型标识需以小写英文字母开头，只含小写字母、数字和下划线（不能连用两个下划线），最长 30 个字符"


def test_the_command_line_works_with_the_stored_name(lixia_meeting, app, tmp_path):
    from core.cli import make_cli

    runner, cli = app.test_cli_runner(), make_cli()
    workbook = tmp_path / "meetings.xlsx"
    exported = runner.invoke(cli, ["export", "t2__meeting", str(workbook), "--tenant", "lixia"])
    assert exported.exit_code == 0 and "已导出 1 条历下例会" in exported.output
    imported = runner.invoke(cli, ["import", "t2__meeting", str(workbook), "--tenant", "lixia"])
    assert imported.exit_code == 0, imported.output
    definition = runner.invoke(cli, ["types", "export", "t2__meeting", "--tenant", "lixia"])
    assert json.loads(definition.output)["name"] == "meeting"
    elsewhere = runner.invoke(cli, ["export", "t2__meeting", str(workbook), "--tenant", "shizhong"])
    assert elsewhere.exit_code == 1


def squatter():
    """A plugin that declares a type under a stored name of lixia's."""
    module = types.ModuleType("squatter_plugin")
    module.meta = PluginMeta(name="squatter", title="抢注", version="1.0.0")
    squatted = EntityType("t2__meeting", "冒名例会", fields=(Field("title", "标题"),), title_field="title")
    module.quanhui_entity_types = hookimpl(lambda: [squatted])
    return module


@pytest.mark.quanhui_plugins(squatter())
@pytest.mark.enable_plugins("squatter", tenants=("lixia",))
def test_a_plugin_type_never_takes_a_stored_name(lixia_meeting, app):
    """Names with a double underscore belong to built types: a plugin's is left out."""
    assert "t2__meeting" not in app.extensions["quanhui.entities"].types
    page = lixia_meeting.get("/lixia/entities/t2__meeting/").get_data(as_text=True)
    assert "十一月例会" in page and "冒名例会" not in page
