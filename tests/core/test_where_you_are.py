"""Where you are: switching tenant keeps the page the user is on when the other tenant has
it, else the nearest page above it there; every page has breadcrumbs and a title that
names the tenant.
"""
from __future__ import annotations

import re

import pytest

from tests.core.test_list_scope import meetings_plugin
from tests.entity_helpers import create


def switched(client, slug: str, page: str) -> str:
    """Where the tenant switcher's link to ``slug`` from ``page`` lands."""
    answer = client.get(f"/{slug}/switch", query_string={"page": page})
    assert answer.status_code == 303
    return answer.headers["Location"]


def test_switching_keeps_the_list_with_its_search(login_client):
    city = login_client("jinan", "viewer")
    assert switched(city, "lixia", "/jinan/entities/association/?q=包装&scope=own&tenant=shizhong") \
        == "/lixia/entities/association/?q=%E5%8C%85%E8%A3%85&scope=own"
    assert switched(city, "jinan", "/lixia/reports/") == "/jinan/reports/"


def test_a_record_the_other_tenant_does_not_hold_lands_on_its_list(app, login_client):
    record = create(app, "lixia", name="历下区包装机械商会")
    city = login_client("jinan", "viewer")
    assert switched(city, "jinan", f"/lixia/entities/association/{record}") == "/jinan/entities/association/"
    assert switched(city, "lixia", f"/lixia/entities/association/{record}") == f"/lixia/entities/association/{record}"


@pytest.mark.quanhui_plugins(meetings_plugin())
@pytest.mark.enable_plugins("meetings", tenants=["jinan", "lixia"])
def test_a_page_the_other_tenant_does_not_have_lands_on_its_dashboard(login_client):
    city = login_client("jinan", "viewer")
    assert switched(city, "lixia", "/jinan/entities/joint_decision/") == "/lixia/entities/joint_decision/"
    assert switched(city, "shizhong", "/jinan/entities/joint_decision/") == "/shizhong/"
    for odd in ("", "https://evil.example/jinan/", "//evil.example/x", "/jinan/no/such/page"):
        assert switched(city, "lixia", odd) == "/lixia/"


def test_the_switcher_and_the_bar_link_to_the_same_page_elsewhere(app, login_client):
    record = create(app, "lixia", name="历下区包装机械商会")
    city = login_client("jinan", "viewer")
    page = city.get(f"/lixia/entities/association/{record}").get_data(as_text=True)
    assert f'href="/jinan/switch?page=/lixia/entities/association/{record}"' in page
    assert "返回济南市" in page


def test_a_sibling_cannot_switch_into_another_district(login_client):
    assert login_client("shizhong", "admin").get("/lixia/switch", query_string={"page": "/shizhong/"}).status_code == 404


def crumbs(page: str) -> list[str]:
    trail = page.split('data-testid="breadcrumbs"')[1].split("</nav>")[0]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", trail, re.S)]


def test_every_page_says_where_it_is_in_its_title_and_breadcrumbs(app, login_client):
    record = create(app, "lixia", name="历下区包装机械商会")
    city = login_client("jinan", "viewer")
    page = city.get(f"/lixia/entities/association/{record}").get_data(as_text=True)
    assert "<title>历下区包装机械商会 · 历下区 · 泉汇</title>" in page
    assert crumbs(page) == ["济南市", "历下区", "协会商会名录", "历下区包装机械商会"]
    assert '<a href="/jinan/">济南市</a>' in page and '<a href="/lixia/entities/association/">协会商会名录</a>' in page
    listing = city.get("/jinan/entities/association/").get_data(as_text=True)
    assert "<title>协会商会 · 济南市 · 泉汇</title>" in listing
    assert crumbs(listing) == ["济南市", "协会商会"]
    district = login_client("lixia", "viewer").get("/lixia/").get_data(as_text=True)
    assert crumbs(district) == ["历下区", "工作台"]
    assert "<title>工作台 · 历下区 · 泉汇</title>" in district
