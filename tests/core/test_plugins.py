"""Plugins: installed is not enabled; enablement is per tenant, within what the city offers."""
import sys
import types

import pytest
from sqlalchemy import func, select

import core
from core.api import NavItem, PluginMeta, Widget, hookimpl
from core.audit import AuditEvent
from core.db import session
from core.plugins import PluginRegistry
from core.tenancy import system_scope
from tests import noticeboard

NOTICEBOARD = pytest.mark.quanhui_plugins("tests.noticeboard")


def make_plugin(name, **attributes):
    """A plugin module built in the test: ``meta`` plus hook implementations."""
    module = types.ModuleType(f"test_plugin_{name}")
    module.meta = attributes.pop("meta", None) or PluginMeta(name=name, title=f"测试{name}", version="1.0.0")
    for hook_name, function in attributes.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def toggle(client, slug, name, switch, on):
    return client.post(f"/{slug}/admin/plugins/{name}/{switch}", data={"on": "1" if on else "0"}, headers={"HX-Request": "true"})


def notices(app, slug_id):
    with app.app_context(), system_scope(session):
        return session.scalar(select(func.count(noticeboard.Notice.id)).where(noticeboard.Notice.tenant_id == slug_id))


@NOTICEBOARD
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia", "shizhong"])
def test_a_disabled_plugin_answers_404_in_that_tenant_only_and_keeps_its_data(app, login_client, tenant):
    lixia = login_client("lixia", "admin")
    shizhong = login_client("shizhong", "admin")
    assert lixia.post("/lixia/noticeboard/", data={"title": "历下区通知"}).status_code == 200
    assert toggle(lixia, "lixia", "noticeboard", "enabled", False).status_code == 200

    assert lixia.get("/lixia/noticeboard/").status_code == 404
    assert lixia.get("/api/v1/lixia/noticeboard/notices").status_code == 404
    assert lixia.post("/lixia/noticeboard/", data={"title": "x"}).status_code == 404
    assert shizhong.get("/shizhong/noticeboard/").status_code == 200
    assert notices(app, tenant("lixia").id) == 2

    assert toggle(lixia, "lixia", "noticeboard", "enabled", True).status_code == 200
    titles = [item["title"] for item in lixia.get("/api/v1/lixia/noticeboard/notices").json["items"]]
    assert titles == ["历下区通知", "欢迎使用公告栏"]


@NOTICEBOARD
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia"])
def test_a_disabled_plugins_navigation_and_widgets_vanish(login_client):
    client = login_client("lixia", "admin")
    dashboard = client.get("/lixia/").get_data(as_text=True)
    assert 'href="/lixia/noticeboard/"' in dashboard and 'data-plugin="noticeboard"' in dashboard
    response = toggle(client, "lixia", "noticeboard", "enabled", False)
    assert 'id="nav"' in response.get_data(as_text=True) and 'hx-swap-oob="true"' in response.get_data(as_text=True)
    assert 'href="/lixia/noticeboard/"' not in response.get_data(as_text=True)
    dashboard = client.get("/lixia/").get_data(as_text=True)
    assert 'href="/lixia/noticeboard/"' not in dashboard and 'data-plugin="noticeboard"' not in dashboard


@NOTICEBOARD
def test_a_district_may_enable_only_what_the_city_offers(app, login_client):
    lixia = login_client("lixia", "admin")
    refused = toggle(lixia, "lixia", "noticeboard", "enabled", True)
    assert refused.status_code == 409
    assert "上级尚未开放该插件" in refused.get_data(as_text=True)
    assert lixia.get("/lixia/noticeboard/").status_code == 404

    city = login_client("jinan", "admin")
    assert toggle(city, "jinan", "noticeboard", "offered", True).status_code == 200
    assert toggle(lixia, "lixia", "noticeboard", "enabled", True).status_code == 200
    assert lixia.get("/lixia/noticeboard/").status_code == 200

    assert toggle(city, "jinan", "noticeboard", "offered", False).status_code == 200
    assert lixia.get("/lixia/noticeboard/").status_code == 404


@NOTICEBOARD
def test_the_city_can_switch_a_plugin_on_inside_a_district(login_client):
    city = login_client("jinan", "admin")
    toggle(city, "jinan", "noticeboard", "offered", True)
    assert toggle(city, "lixia", "noticeboard", "enabled", True).status_code == 200
    page = city.get("/jinan/admin/plugins").get_data(as_text=True)
    assert "历下区" in page  # the city's page lists where each plugin is enabled


@NOTICEBOARD
def test_lifecycle_hooks_run_on_the_toggled_plugin_and_are_audited(app, login_client, tenant):
    noticeboard.lifecycle_calls.clear()
    city = login_client("jinan", "admin")
    toggle(city, "jinan", "noticeboard", "enabled", True)
    toggle(city, "jinan", "noticeboard", "enabled", False)
    assert noticeboard.lifecycle_calls == [("enabled", "jinan"), ("disabled", "jinan")]
    assert notices(app, tenant("jinan").id) == 1  # the welcome notice from the enable hook
    with app.app_context(), system_scope(session):
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.target == "noticeboard")))
    assert actions == ["plugin.enabled", "plugin.disabled"]


@NOTICEBOARD
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia"])
def test_only_admins_manage_plugins(login_client):
    for role in ("viewer", "editor"):
        client = login_client("lixia", role)
        assert client.get("/lixia/admin/plugins").status_code == 403
        assert toggle(client, "lixia", "noticeboard", "enabled", False).status_code == 403
    assert login_client("lixia", "admin").get("/lixia/noticeboard/").status_code == 200


def needs_noticeboard():
    return make_plugin("digest", meta=PluginMeta(name="digest", title="公告摘要", version="1.0.0", requires=("noticeboard",)))


@pytest.mark.quanhui_plugins("tests.noticeboard", needs_noticeboard())
def test_a_required_plugin_comes_first_and_cannot_be_disabled_under_its_dependant(login_client):
    city = login_client("jinan", "admin")
    refused = toggle(city, "jinan", "digest", "enabled", True)
    assert refused.status_code == 409
    assert "请先启用它依赖的插件:公告栏" in refused.get_data(as_text=True)
    assert toggle(city, "jinan", "noticeboard", "enabled", True).status_code == 200
    assert toggle(city, "jinan", "digest", "enabled", True).status_code == 200
    refused = toggle(city, "jinan", "noticeboard", "enabled", False)
    assert refused.status_code == 409
    assert "已启用的插件依赖它,不能停用:公告摘要" in refused.get_data(as_text=True)


def city_only():
    return make_plugin("citywide", meta=PluginMeta(name="citywide", title="市级专用", version="1.0.0", levels=("city",)))


@pytest.mark.quanhui_plugins(city_only())
def test_a_city_only_plugin_cannot_be_offered_or_enabled_in_districts(login_client):
    city = login_client("jinan", "admin")
    refused = toggle(city, "jinan", "citywide", "offered", True)
    assert refused.status_code == 409 and "只服务市级" in refused.get_data(as_text=True)
    refused = toggle(city, "lixia", "citywide", "enabled", True)
    assert refused.status_code == 409 and "不服务此层级" in refused.get_data(as_text=True)
    assert toggle(city, "jinan", "citywide", "enabled", True).status_code == 200


def broken_widget():
    def quanhui_dashboard_widgets(tenant, user):
        raise RuntimeError("widget exploded")

    def quanhui_nav_items(tenant, user):
        raise RuntimeError("nav exploded")

    return make_plugin("broken", quanhui_dashboard_widgets=quanhui_dashboard_widgets, quanhui_nav_items=quanhui_nav_items)


@pytest.mark.quanhui_plugins("tests.noticeboard", broken_widget())
@pytest.mark.enable_plugins("noticeboard", "broken", tenants=["lixia"])
def test_a_hook_that_raises_marks_its_part_failed_and_the_page_still_renders(login_client):
    page = login_client("lixia", "admin").get("/lixia/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "这一部分加载失败" in html
    assert 'class="widget part-failed" data-plugin="broken"' in html
    assert "测试broken · 加载失败" in html
    assert 'data-plugin="noticeboard"' in html and "条公告" in html


def bad_template_widget():
    def quanhui_dashboard_widgets(tenant, user):
        return [Widget("坏模板", "no/such/template.html")]

    def quanhui_nav_items(tenant, user):
        return [NavItem("坏链接", "no_such.endpoint")]

    return make_plugin("badtemplate", quanhui_dashboard_widgets=quanhui_dashboard_widgets, quanhui_nav_items=quanhui_nav_items)


@pytest.mark.quanhui_plugins(bad_template_widget())
@pytest.mark.enable_plugins("badtemplate", tenants=["lixia"])
def test_a_widget_whose_template_fails_is_marked_failed(login_client):
    html = login_client("lixia", "admin").get("/lixia/").get_data(as_text=True)
    assert 'class="widget part-failed" data-plugin="badtemplate"' in html
    assert "坏链接 · 加载失败" in html


def test_an_incompatible_plugin_is_refused_with_a_clear_message():
    future = make_plugin("future", meta=PluginMeta(name="future", title="未来", version="1.0.0", core=">=9"))
    registry = PluginRegistry([future])
    assert registry.plugins["future"].status == "incompatible"
    assert registry.plugins["future"].error == f"需要 quanhui core >=9,当前为 {core.__version__}"
    assert registry.meta("future") is None
    assert "future" not in dict(registry.pm.list_name_plugin())


def test_a_plugin_that_fails_to_import_is_listed_not_fatal(tmp_path, monkeypatch):
    (tmp_path / "exploding_plugin.py").write_text("raise ImportError('missing dependency foo')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = PluginRegistry(["exploding_plugin"])
    assert registry.plugins["exploding_plugin"].status == "failed"
    assert "missing dependency foo" in registry.plugins["exploding_plugin"].error
    assert registry.meta("core") is not None


def test_a_module_without_meta_is_refused():
    registry = PluginRegistry([types.ModuleType("no_meta_here")])
    assert registry.plugins["no_meta_here"].status == "failed"
    assert "meta" in registry.plugins["no_meta_here"].error


def test_plugins_are_discovered_through_the_quanhui_entry_point_group(tmp_path, monkeypatch):
    package = tmp_path / "district_vendor_plugin.py"
    package.write_text(
        "from core.api import PluginMeta, hookimpl, NavItem\n"
        "meta = PluginMeta(name='vendor', title='区县自建', version='2.1.0')\n"
        "@hookimpl\n"
        "def quanhui_nav_items(tenant, user):\n"
        "    return [NavItem('区县自建', 'shell.dashboard')]\n"
    )
    dist_info = tmp_path / "district_vendor_plugin-2.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: district-vendor-plugin\nVersion: 2.1.0\n")
    (dist_info / "entry_points.txt").write_text("[quanhui]\nvendor = district_vendor_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = PluginRegistry()
    assert registry.plugins["vendor"].status == "loaded"
    assert registry.plugins["vendor"].source == "district-vendor-plugin"
    assert registry.hooks_of("vendor") == ["quanhui_nav_items"]
    sys.modules.pop("district_vendor_plugin", None)


def test_relays_are_cached_per_enabled_set_and_call_only_enabled_plugins():
    calls = []
    one = make_plugin("one", quanhui_nav_items=lambda tenant, user: calls.append("one") or [])
    two = make_plugin("two", quanhui_nav_items=lambda tenant, user: calls.append("two") or [])
    registry = PluginRegistry([one, two])
    relay = registry.relay(frozenset({"core", "one"}))
    assert registry.relay(frozenset({"core", "one"})) is relay
    relay.quanhui_nav_items(tenant=None, user=None)
    assert calls == ["one"]
    outcomes = registry.relay(frozenset({"two"})).each("quanhui_nav_items", tenant=None, user=None)
    assert [o.plugin for o in outcomes] == ["two"] and not outcomes[0].failed


@NOTICEBOARD
def test_the_plugin_page_shows_versions_hooks_and_failed_plugins(login_client):
    html = login_client("jinan", "admin").get("/jinan/admin/plugins").get_data(as_text=True)
    assert "公告栏" in html and "1.0.0" in html
    assert "quanhui_dashboard_widgets" in html and "quanhui_migrations" in html


@NOTICEBOARD
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia"])
def test_the_api_lists_the_tenants_plugins(login_client):
    client = login_client("lixia", "viewer")
    assert client.get("/api/v1/lixia/").json["plugins"] == ["core", "directory", "noticeboard"]  # only these enabled
    items = {item["name"]: item for item in client.get("/api/v1/lixia/plugins").json["items"]}
    assert items["noticeboard"] == {"name": "noticeboard", "title": "公告栏", "version": "1.0.0", "enabled": True, "offered": False}
    assert not any(item["enabled"] for name, item in items.items() if name != "noticeboard")


def refusing_plugin():
    def quanhui_plugin_enabled(session, tenant, actor):
        raise RuntimeError("缺少配置项 api_key")

    return make_plugin("picky", quanhui_plugin_enabled=quanhui_plugin_enabled)


@pytest.mark.quanhui_plugins(refusing_plugin())
def test_a_lifecycle_hook_that_raises_refuses_the_change(login_client):
    city = login_client("jinan", "admin")
    refused = toggle(city, "jinan", "picky", "enabled", True)
    assert refused.status_code == 409
    assert "插件「测试picky」拒绝了此操作:缺少配置项 api_key" in refused.get_data(as_text=True)
    assert city.get("/api/v1/jinan/").json["plugins"] == ["core", "directory"]


@NOTICEBOARD
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia"])
def test_a_plugins_static_files_are_served_where_it_is_enabled(login_client):
    lixia = login_client("lixia", "viewer")
    served = lixia.get("/lixia/noticeboard/static/noticeboard.css")
    assert served.status_code == 200 and b"#notices" in served.data
    assert login_client("shizhong", "admin").get("/shizhong/noticeboard/static/noticeboard.css").status_code == 404
    assert lixia.get("/shizhong/noticeboard/static/noticeboard.css").status_code == 404
