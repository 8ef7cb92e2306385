"""主题党日参考主题:市级按月发布,各区县和协会账号只读地看到;区县改不了市级的主题。"""
from __future__ import annotations

import pytest

from core.entities.service import Invalid
from plugins.coverage.snapshots import parse_month, shift
from tests.plugins.coverage.test_coverage import associations, create

pytestmark = [
    pytest.mark.quanhui_plugins("plugins.coverage"),
    pytest.mark.enable_plugins("coverage", tenants=["jinan", "lixia", "shizhong"]),
]


@pytest.fixture
def themes(app, db_session):
    this_month = parse_month(None)
    return {
        "city": create("jinan", "coverage_theme", month=this_month, title="七一主题党日",
                       content="表彰优秀党员,讲一堂党课。"),
        "city_last": create("jinan", "coverage_theme", month=shift(this_month, -1), title="学习党章党规"),
        "shizhong": create("shizhong", "coverage_theme", month=this_month, title="市中区自定主题"),
    }


def test_every_district_reads_the_city_themes_newest_first_with_their_source(themes, login_client):
    page = login_client("lixia", "viewer").get("/lixia/coverage/themes").get_data(as_text=True)
    assert page.index("七一主题党日") < page.index("学习党章党规")
    assert page.count("<td>济南市</td>") == 2 and "本月" in page
    assert "市中区自定主题" not in page  # a sibling's themes stay out of sight
    assert "发布主题" not in page  # a viewer publishes nothing


def test_a_district_cannot_change_a_city_theme(themes, login_client):
    district = login_client("lixia", "admin")
    assert district.get(f"/lixia/entities/coverage_theme/{themes['city']}").status_code == 200
    edit = district.patch(f"/api/v1/lixia/entities/coverage_theme/{themes['city']}", json={"title": "改掉"},
                          headers={"If-Match": '"1"'})
    assert edit.status_code in (403, 404)
    city = login_client("jinan", "viewer").get(f"/api/v1/jinan/entities/coverage_theme/{themes['city']}").json
    assert city["data"]["title"] == "七一主题党日"


def test_the_dashboard_shows_this_month_theme_to_districts_and_association_accounts(themes, login_client):
    (association,) = associations("lixia", 1)
    account = login_client("lixia", "association", association_id=association)
    for client in (login_client("lixia", "viewer"), account):
        dashboard = client.get("/lixia/").get_data(as_text=True)
        assert "本月主题党日" in dashboard and "七一主题党日" in dashboard and "学习党章党规" not in dashboard
    listed = account.get("/lixia/coverage/themes").get_data(as_text=True)
    assert "七一主题党日" in listed and "学习党章党规" in listed


def test_the_city_publishes_a_theme_with_a_month_written_right(app, db_session, login_client):
    city = login_client("jinan", "admin")
    assert "发布主题" in city.get("/jinan/coverage/themes").get_data(as_text=True)
    assert "还没有发布参考主题" in city.get("/jinan/coverage/themes").get_data(as_text=True)
    with pytest.raises(Invalid) as refused:
        create("jinan", "coverage_theme", month="2026-7", title="志愿服务进社区")
    assert refused.value.errors["month"] == ["月份应写成 YYYY-MM,例如 2026-07"]
