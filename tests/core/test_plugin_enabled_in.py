"""``core.api.plugin_enabled_in``: of many tenants, those where a plugin is enabled, that is
exactly those where its pages answer, found with one query (a city page links its districts)."""
import types

import pytest
from sqlalchemy import event, select

from core.api import PluginMeta, plugin_enabled_in
from core.db import session
from core.tenancy import Tenant, system_scope
from core.testing import enable_plugins


def digest():
    """A plugin that needs the noticeboard wherever it is enabled."""
    module = types.ModuleType("digest_plugin")
    module.meta = PluginMeta(name="digest", title="公告摘要", version="1.0.0", requires=("noticeboard",))
    return module


def city_only():
    module = types.ModuleType("citywide_plugin")
    module.meta = PluginMeta(name="citywide", title="市级专用", version="1.0.0", levels=("city",))
    return module


def toggle(client, slug, name, switch, on):
    return client.post(f"/{slug}/admin/plugins/{name}/{switch}", data={"on": "1" if on else "0"},
                       headers={"HX-Request": "true"})


@pytest.fixture
def enabled_in(app):
    """``enabled_in("noticeboard")``: the slugs of the Jinan tree where it is enabled, and the
    number of times the plugin settings were read to find them."""
    engine = app.extensions["quanhui.db"].engine

    def find(name: str) -> tuple[set[str], int]:
        reads = []

        def count(conn, cursor, statement, *args):
            if "plugin_settings" in statement:
                reads.append(statement)

        with app.app_context():
            with system_scope(session):
                slugs = {tenant_id: slug for tenant_id, slug in session.execute(select(Tenant.id, Tenant.slug))}
            event.listen(engine, "before_cursor_execute", count)
            try:
                found = plugin_enabled_in(name, slugs)
            finally:
                event.remove(engine, "before_cursor_execute", count)
        return {slugs[tenant_id] for tenant_id in found}, len(reads)

    return find


def pages_answering(client, name: str) -> set[str]:
    """The slugs where the city's admin (who may open every district) gets the plugin's page."""
    slugs = ["jinan", "lixia", "shizhong", "huaiyin", "tianqiao", "licheng", "changqing", "zhangqiu", "jiyang",
             "laiwu", "gangcheng", "pingyin", "shanghe"]
    return {slug for slug in slugs if client.get(f"/{slug}/{name}/").status_code == 200}


@pytest.mark.quanhui_plugins("tests.noticeboard", digest())
@pytest.mark.enable_plugins("noticeboard", tenants=["jinan", "lixia", "shizhong"])
def test_the_tenants_found_are_those_whose_pages_answer_in_one_query(app, enabled_in, login_client):
    city = login_client("jinan", "admin")
    assert enabled_in("noticeboard") == ({"jinan", "lixia", "shizhong"}, 1)
    assert pages_answering(city, "noticeboard") == {"jinan", "lixia", "shizhong"}

    with app.app_context():
        enable_plugins(("digest",), ("lixia",))
    assert enabled_in("digest") == ({"lixia"}, 1)

    # Switched off in a district; then no longer offered by the city: the districts' own
    # switches stay on, and neither the plugin nor what needs it is enabled there.
    assert toggle(city, "shizhong", "noticeboard", "enabled", False).status_code == 200
    assert toggle(city, "jinan", "noticeboard", "offered", False).status_code == 200
    assert enabled_in("noticeboard") == ({"jinan"}, 1)
    assert pages_answering(city, "noticeboard") == {"jinan"}
    assert enabled_in("digest") == (set(), 1)


@pytest.mark.quanhui_plugins(city_only())
@pytest.mark.enable_plugins("citywide", tenants=["jinan"])
def test_a_plugin_is_never_enabled_in_a_tier_it_does_not_serve(enabled_in):
    assert enabled_in("citywide") == ({"jinan"}, 1)


def test_a_plugin_that_is_not_installed_is_enabled_nowhere_and_the_core_everywhere(enabled_in):
    assert enabled_in("nothing") == (set(), 0)
    found, reads = enabled_in("directory")  # always on
    assert len(found) == 13 and reads == 0
