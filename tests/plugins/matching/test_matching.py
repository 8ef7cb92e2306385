"""百会联百村 in the app: what the city and a district see and do.

Enabling adds the association's offers and capacity as custom fields; the workbench
ranks associations for a village with reasons and starts a pairing through htmx; each
tenant's weights change its own ranking only; the assignment page shows the optimal total
beside greedy's; the demo's city roll-up shows the source's figures.
"""
from __future__ import annotations

import decimal
import re

import pytest
from flask import current_app
from sqlalchemy import select

from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import Tenant, TenantScope, use_scope

HX = {"HX-Request": "true"}
ALL_TENANTS = ["jinan", "lixia", "shizhong", "huaiyin", "tianqiao", "licheng", "changqing", "zhangqiu", "jiyang",
               "laiwu", "gangcheng", "pingyin", "shanghe"]

pytestmark = pytest.mark.enable_plugins("matching", tenants=["jinan", "lixia", "shizhong"])


@pytest.fixture
def programme(app, db_session, tenant):
    """In lixia and in shizhong: a village needing 技术 and 销售渠道 in 甲街道, and three associations."""
    ids = {}
    for slug in ("lixia", "shizhong"):
        place = tenant(slug)
        with use_scope(db_session, TenantScope.of(place)):
            service = service_for(place)
            kind = service.type("association")
            for serial, (name, offers, chain, town) in enumerate((
                ("农技协会", ["技术", "销售渠道"], "现代农业", "乙街道"),
                ("电商商会", ["销售渠道"], "商贸物流", "甲街道"),
                ("老朋友协会", ["资金"], "新材料", "丙街道"),
            ), start=1):
                ids[f"{slug}:{name}"] = service.create(kind, {
                    "name": name, "uscc": make("5", "1", place.code, serial), "category": "行业协会",
                    "industry_chain": chain, "matching_offers": offers, "matching_capacity": 2,
                    "matching_district": "历下区", "matching_town": town}).id
            ids[f"{slug}:村"] = service.create(service.type("village"), {
                "name": "东坞村", "district": "历下区", "town": "甲街道", "industry_chains": ["现代农业"],
                "needs": ["技术", "销售渠道"], "minimum": 0, "maximum": 1}).id
            service.commit()
    return ids


def ranked_names(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="match-\d+">\s*<td>\d+</td>\s*<td>([^<]+)</td>', page)


def test_enabling_adds_offers_and_capacity_to_the_association_as_custom_fields(app, db_session, tenant):
    city = tenant("jinan")
    with use_scope(db_session, TenantScope.of(city)):
        association = service_for(city).type("association")
        assert association.field("matching_offers").label == "可提供资源"
        assert association.field("matching_capacity").kind == "integer"
    # lixia inherits the city's fields rather than adding twins.
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        names = [f.name for f in service_for(lixia).type("association").fields]
        assert names.count("matching_offers") == 1


def test_the_workbench_ranks_associations_for_a_village_with_reasons(login_client, programme):
    staff = login_client("lixia", "editor")
    page = staff.get("/lixia/matching/", query_string={"target": programme["lixia:村"]}).get_data(as_text=True)
    assert ranked_names(page)[:2] == ["农技协会", "电商商会"]
    assert "需求契合:100% × 权重 40 → 40.0 分" in page and "产业链匹配:100% × 权重 25 → 25.0 分" in page
    empty = staff.get("/lixia/matching/").get_data(as_text=True)
    assert "请选择一个对接对象或一家协会商会" in empty
    # The other way round: the villages ranked for one association.
    for_association = staff.get("/lixia/matching/", query_string={"association": programme["lixia:电商商会"]})
    assert ranked_names(for_association.get_data(as_text=True)) == ["东坞村"]


def test_a_pairing_is_started_through_htmx_and_not_twice(login_client, programme):
    staff = login_client("lixia", "editor")
    form = {"programme": "百会联百村", "target": programme["lixia:村"], "association": programme["lixia:农技协会"]}
    started = staff.post("/lixia/matching/pairings", data=form, headers=HX)
    assert started.status_code == 200 and "已发起结对" in started.get_data(as_text=True)
    assert "推荐" in started.get_data(as_text=True)
    again = staff.post("/lixia/matching/pairings", data=form, headers=HX)
    assert again.status_code == 409 and "已有进行中的结对" in again.get_data(as_text=True)
    # The village takes one association at most: a second one is refused, not added.
    full = staff.post("/lixia/matching/pairings", headers=HX,
                      data={**form, "association": programme["lixia:电商商会"]})
    assert full.status_code == 409 and "该对象的结对数已达上限" in full.get_data(as_text=True)
    board = staff.get("/lixia/matching/board").get_data(as_text=True)
    assert "农技协会 — 东坞村" in board
    page = staff.get("/lixia/matching/", query_string={"target": programme["lixia:村"]}).get_data(as_text=True)
    assert "已有结对" in page


def test_a_tenants_weights_change_its_ranking_and_not_another_tenants(login_client, programme):
    lixia = login_client("lixia", "admin")
    created = lixia.post("/lixia/entities/matching_weights/", data={
        "note": "重距离", "need": "0", "chain": "0", "distance": "100", "history": "0"}, headers=HX)
    assert created.status_code == 204
    page = lixia.get("/lixia/matching/", query_string={"target": programme["lixia:村"]}).get_data(as_text=True)
    assert ranked_names(page)[0] == "电商商会"  # the one in the village's own street
    shizhong = login_client("shizhong", "admin")
    other = shizhong.get("/shizhong/matching/", query_string={"target": programme["shizhong:村"]}).get_data(as_text=True)
    assert ranked_names(other)[0] == "农技协会"
    second = lixia.post("/lixia/entities/matching_weights/", data={
        "note": "再来一条", "need": "1", "chain": "0", "distance": "0", "history": "0"}, headers=HX)
    assert second.status_code == 422 and "本单位已有匹配权重" in second.get_data(as_text=True)
    zero = shizhong.post("/shizhong/entities/matching_weights/", data={
        "note": "全零", "need": "0", "chain": "0", "distance": "0", "history": "0"}, headers=HX)
    assert zero.status_code == 422 and "四项权重不能都是 0" in zero.get_data(as_text=True)


def test_the_assignment_page_shows_the_optimum_beside_greedy_and_confirms_pairs(login_client, programme):
    staff = login_client("lixia", "editor")
    page = staff.get("/lixia/matching/assign", query_string={"programme": "百会联百村"}).get_data(as_text=True)
    optimal = float(re.search(r'data-testid="optimal-total">([\d.]+)<', page).group(1))
    greedy = float(re.search(r'data-testid="greedy-total">([\d.]+)<', page).group(1))
    assert optimal >= greedy > 0
    assert "已验证为全局最优" in page  # checked against every pair, not only the shortlist
    pair = re.search(r'name="pair" value="([\d-]+)"', page).group(1)
    confirmed = staff.post("/lixia/matching/assign", data={"programme": "百会联百村", "pair": [pair]})
    assert confirmed.status_code == 303
    assert "已确认 1 个结对" in staff.get(confirmed.location).get_data(as_text=True)
    # The village's one place is taken now: a second click pairs nothing more.
    again = staff.post("/lixia/matching/assign", data={"programme": "百会联百村", "pair": [pair]})
    assert "已确认 0 个结对,1 个已不可结对" in staff.get(again.location).get_data(as_text=True)
    after = staff.get("/lixia/matching/assign", query_string={"programme": "百会联百村"}).get_data(as_text=True)
    assert "没有可以新增的结对" in after


def test_a_pairing_names_the_target_its_programme_needs(login_client, programme):
    staff = login_client("lixia", "editor")
    refused = staff.post("/lixia/entities/pairing/", data={
        "title": "错配", "programme": "百会联百社", "association": programme["lixia:农技协会"],
        "village": programme["lixia:村"]}, headers=HX)
    assert refused.status_code == 422 and "「百会联百社」的结对需要选择一个社区" in refused.get_data(as_text=True)


def test_who_reaches_the_matching_pages(login_client, programme):
    viewer = login_client("lixia", "viewer")
    assert viewer.get("/lixia/matching/board").status_code == 200
    assert viewer.post("/lixia/matching/pairings", data={}).status_code == 403
    assert login_client("shizhong", "admin").get("/lixia/matching/").status_code == 404
    assert login_client("huaiyin", "admin").get("/huaiyin/matching/").status_code == 404  # not enabled
    other = login_client("lixia", "editor").get("/lixia/matching/", query_string={"target": programme["shizhong:村"]})
    assert other.status_code == 404


@pytest.mark.enable_plugins("matching", tenants=ALL_TENANTS)
def test_the_demo_city_rollup_shows_the_source_figures(app, db_session, login_client):
    from core.cli import _fill_demo_data

    registry = current_app.extensions["quanhui.plugins"]
    tenants = list(db_session.scalars(select(Tenant).order_by(Tenant.position)))
    _fill_demo_data(registry, tenants)
    db_session.commit()
    city = login_client("jinan", "viewer")
    rollup = city.get("/api/v1/jinan/reports/matching.rollup").json
    total = rollup["total"]
    assert total["linked"] >= 150 and total["intentions"] >= 50 and total["projects"] == 23
    assert decimal.Decimal(str(total["amount"])) == decimal.Decimal("1192800000.00")
    assert len(rollup["rows"]) == 13
    by_district = city.get("/api/v1/jinan/reports/matching.investment_by_district").json
    assert by_district["total"]["count"] == 23
    ledger = city.get("/jinan/matching/ledger").get_data(as_text=True)
    assert "共 23 个项目,投资额合计 1,192,800,000.00 元" in ledger
    page = city.get("/jinan/reports/matching.rollup").get_data(as_text=True)
    assert "百会联百村汇总" in page
    district = login_client("lixia", "editor").get("/lixia/matching/assign").get_data(as_text=True)
    assert 'data-testid="optimal-total"' in district


@pytest.mark.enable_plugins("matching", tenants=["lixia"])
def test_a_district_that_enabled_first_keeps_its_values_when_the_city_enables(app, db_session, tenant):
    from core.plugin_state import set_enabled

    lixia, city = tenant("lixia"), tenant("jinan")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        record = service.create(service.type("association"), {
            "name": "农技协会", "uscc": make("5", "1", lixia.code, 1), "category": "行业协会", "matching_capacity": 3})
        service.commit()
    with use_scope(db_session, TenantScope.of(city)):
        set_enabled(db_session, current_app.extensions["quanhui.plugins"], city, "matching", True, None)
        db_session.commit()
        assert service_for(city).type("association").field("matching_capacity") is not None
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        names = [f.name for f in service.type("association").fields]
        assert names.count("matching_capacity") == 1
        assert service.get(service.type("association"), record.id).data["matching_capacity"] == 3


def test_the_city_cockpit_adds_up_the_districts_projects_and_investment(app, db_session, login_client, tenant):
    for slug, amount in (("jinan", "1000000.50"), ("lixia", "2500000"), ("shizhong", "300000")):
        place = tenant(slug)
        with use_scope(db_session, TenantScope.of(place)):
            service = service_for(place)
            association = service.create(service.type("association"), {
                "name": f"{place.name}对接协会", "uscc": make("5", "1", place.code, 77), "category": "行业协会"})
            service.create(service.type("project"), {
                "title": f"{place.name}落地项目", "association": association.id, "district": "历下区",
                "amount": amount, "signed_on": "2026-05-01"})
            service.commit()
    city = login_client("jinan", "viewer")
    whole = city.get("/jinan/").get_data(as_text=True).split('data-plugin="matching"')[1].split("</article>")[0]
    assert "（全市）" in whole
    assert 'data-testid="projects">3<' in whole and 'data-testid="amount">3,800,000.50<' in whole
    own = city.get("/jinan/?scope=own").get_data(as_text=True).split('data-plugin="matching"')[1].split("</article>")[0]
    assert "（本级）" in own and 'data-testid="amount">1,000,000.50<' in own
