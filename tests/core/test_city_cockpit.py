"""The city's 工作台 shows 全市 by default, with a 全市 / 本级 switch, and every panel says
which it holds: a panel that counts over the subtree follows the switch; one that only knows
its own tenant is labelled 本级, never passed off as 全市.

The directory panel's figures are counted again here with a plain scan of the records, and
move when one of 历下区's associations changes.
"""
from __future__ import annotations

import collections
import re
import types

import pytest
from sqlalchemy import select

from core.api import PluginMeta, Widget, hookimpl
from core.db import session
from core.entities.models import Entity
from core.tenancy import system_scope
from tests.entity_helpers import create, service


def own_only_plugin():
    """A plugin whose panel knows nothing of scopes (written before the hook had one)."""
    module = types.ModuleType("own_only_plugin")
    module.meta = PluginMeta(name="own_only", title="本级面板", version="1.0.0", levels=("city", "district"))
    module.quanhui_dashboard_widgets = hookimpl(
        lambda tenant, user: [Widget("本级公告", "errors/fragment.html", {"title": "公告", "message": "本单位的公告"})])
    return module


@pytest.fixture
def directory(app):
    made = {}
    for slug, statuses in {"jinan": ["正常", "整改中"], "lixia": ["正常", "正常"], "shizhong": ["注销"]}.items():
        made[slug] = [create(app, slug, status=status) for status in statuses]
    return made


def counted(app, slugs=None) -> dict[str, int]:
    """The statuses of the live associations, by a plain scan of the records."""
    from core.tenancy import tenant_by_slug

    with app.app_context(), system_scope(session):
        query = select(Entity).where(Entity.type == "association", Entity.deleted_at.is_(None))
        if slugs:
            query = query.where(Entity.tenant_id.in_([tenant_by_slug(session, s).id for s in slugs]))
        return dict(collections.Counter(e.data["status"] for e in session.scalars(query)))


def panel(page: str, plugin: str) -> str:
    return page.split(f'data-plugin="{plugin}"')[1].split("</article>")[0]


def figures(page: str) -> dict[str, int]:
    return {name: int(number) for name, number in
            re.findall(r"<li>(\S+) <strong>(\d+)</strong></li>", panel(page, "directory")) if int(number)}


@pytest.mark.quanhui_plugins(own_only_plugin())
@pytest.mark.enable_plugins("own_only", tenants=["jinan"])
def test_the_city_dashboard_shows_the_whole_city_by_default_and_says_so(app, login_client, directory):
    city = login_client("jinan", "viewer")
    page = city.get("/jinan/").get_data(as_text=True)
    assert 'data-testid="dashboard-scope">正在显示：全市<' in page
    assert figures(page) == counted(app) == {"正常": 3, "整改中": 1, "注销": 1}
    assert "（全市）" in panel(page, "directory")
    assert "（本级）" in panel(page, "own_only") and "全市" not in panel(page, "own_only")

    own = city.get("/jinan/", query_string={"scope": "own"}).get_data(as_text=True)
    assert 'data-testid="dashboard-scope">正在显示：本级<' in own
    assert figures(own) == counted(app, ["jinan"]) == {"正常": 1, "整改中": 1}


def test_a_change_in_a_district_moves_the_city_figure(app, login_client, directory):
    city = login_client("jinan", "viewer")
    with app.app_context():
        svc = service(app, "lixia")
        association = svc.type("association")
        record = svc.get(association, directory["lixia"][0])
        svc.update(association, record, {"status": "整改中"}, record.version)
        svc.commit()
    page = city.get("/jinan/").get_data(as_text=True)
    assert figures(page) == counted(app) == {"正常": 2, "整改中": 2, "注销": 1}
    assert figures(city.get("/jinan/?scope=own").get_data(as_text=True)) == {"正常": 1, "整改中": 1}


def test_a_district_without_children_has_no_switch(login_client, directory):
    page = login_client("lixia", "viewer").get("/lixia/").get_data(as_text=True)
    assert 'data-testid="dashboard-scope"' not in page and "全市" not in page
    assert figures(page) == {"正常": 2}
