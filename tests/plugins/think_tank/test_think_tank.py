"""智库与会企之声: what the city, a district and an association account see.

The specification: a third key topic in one year is refused with the message and accepted
once the city raises the cap to 3; association accounts file and see their own
suggestions only; staff see a possible duplicate while typing a title; the reports count
in SQL; the demo's city roll-up shows 186 suggestions, 34 reports and 151 adopted proposals.
"""
from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import select

from core.entities import service_for
from core.tenancy import Tenant, TenantScope, use_scope

HX = {"HX-Request": "true"}

pytestmark = pytest.mark.enable_plugins("think_tank", tenants=["jinan", "lixia", "shizhong"])


def topic(year, title, key=True):
    return {"year": str(year), "title": title, "research_base": "社科研究基地", "is_key": "true" if key else "false"}


# 研究课题: the key-topic cap --------------------------------------------------


def test_a_third_key_topic_is_refused_until_the_city_raises_the_cap(login_client):
    city = login_client("jinan", "admin")
    for title in ("民营经济与商会研究", "协会商会参与基层治理研究"):
        assert city.post("/jinan/entities/research_topic/", data=topic(2025, title), headers=HX).status_code == 204
    refused = city.post("/jinan/entities/research_topic/", data=topic(2025, "异地商会招商研究"), headers=HX)
    assert refused.status_code == 422
    assert "2025 年已有 2 项重点课题,每年最多 2 项" in refused.get_data(as_text=True)
    # Another year, or a topic that is not key, is fine.
    assert city.post("/jinan/entities/research_topic/", data=topic(2026, "异地商会招商研究"), headers=HX).status_code == 204
    assert city.post("/jinan/entities/research_topic/", data=topic(2025, "一般课题", key=False), headers=HX).status_code == 204

    saved = city.post("/jinan/admin/vocabularies/think_tank_key_topic_cap", data={"terms": "3"})
    assert saved.status_code in (302, 303)
    accepted = city.post("/jinan/entities/research_topic/", data=topic(2025, "异地商会招商研究"), headers=HX)
    assert accepted.status_code == 204
    fourth = city.post("/jinan/entities/research_topic/", data=topic(2025, "第四项"), headers=HX)
    assert "每年最多 3 项" in fourth.get_data(as_text=True)


def test_a_cap_written_in_other_digits_is_the_default_cap(login_client):
    """``²`` passes ``str.isdigit`` but not ``int``: the cap is read as ASCII digits, else the default."""
    city = login_client("jinan", "admin")
    assert city.post("/jinan/admin/vocabularies/think_tank_key_topic_cap", data={"terms": "²"}).status_code in (302, 303)
    for title in ("民营经济与商会研究", "协会商会参与基层治理研究"):
        assert city.post("/jinan/entities/research_topic/", data=topic(2025, title), headers=HX).status_code == 204
    refused = city.post("/jinan/entities/research_topic/", data=topic(2025, "异地商会招商研究"), headers=HX)
    assert refused.status_code == 422 and "每年最多 2 项" in refused.get_data(as_text=True)


def test_a_district_counts_its_own_key_topics_under_the_citys_cap(login_client):
    district = login_client("lixia", "editor")
    for title in ("历下区楼宇经济研究", "历下区商圈研究"):
        assert district.post("/lixia/entities/research_topic/", data=topic(2025, title), headers=HX).status_code == 204
    refused = district.post("/lixia/entities/research_topic/", data=topic(2025, "第三项"), headers=HX)
    assert refused.status_code == 422 and "每年最多 2 项" in refused.get_data(as_text=True)
    # The city's topics do not count against lixia's.
    assert login_client("jinan", "admin").post(
        "/jinan/entities/research_topic/", data=topic(2025, "市级课题"), headers=HX).status_code == 204


def test_editing_a_key_topic_does_not_count_it_twice(app, db_session, tenant):
    city = tenant("jinan")
    with use_scope(db_session, TenantScope.of(city)):
        service = service_for(city)
        kind = service.type("research_topic")
        first = service.create(kind, {"year": 2025, "title": "甲", "is_key": True})
        service.create(kind, {"year": 2025, "title": "乙", "is_key": True})
        service.commit()
        changed = service.update(kind, first, {"year": 2025, "title": "甲(修订)", "is_key": True},
                                 expected_version=first.version)
        service.commit()
        assert changed.data["title"] == "甲(修订)"


def test_the_topic_workflow_runs_from_call_to_transfer(app, db_session, tenant):
    city = tenant("jinan")
    with use_scope(db_session, TenantScope.of(city)):
        service = service_for(city)
        kind = service.type("research_topic")
        record = service.create(kind, {"year": 2025, "title": "课题", "is_key": False})
        assert record.data["stage"] == "征集"
        for name in ("approve", "start", "conclude", "transform"):
            record = service.transition(kind, record, name, record.version)
        service.commit()
        assert record.data["stage"] == "成果转化"


# 会企之声 ---------------------------------------------------------------------


def test_an_association_account_files_and_sees_only_its_own_suggestions(software_account, directory):
    filed = software_account.post("/lixia/entities/suggestion/", data={
        "title": "关于简化软件企业认定手续的建议", "association": str(directory["餐饮商会"]), "category": "营商环境",
        "submitted_on": "2025-04-01", "content": "认定材料重复提交。"}, headers=HX)
    assert filed.status_code == 204
    inbox = software_account.get("/lixia/think_tank/suggestions/").get_data(as_text=True)
    assert "关于简化软件企业认定手续的建议" in inbox and "软件协会会员企业融资难" in inbox
    assert "餐饮商会会员企业融资难" not in inbox
    assert software_account.get(f"/lixia/entities/suggestion/{directory['餐饮商会建议']}").status_code == 404
    # Similar suggestions never show another association's, nor another tenant's.
    similar = software_account.get("/lixia/think_tank/suggestions/similar", query_string={"title": "会员企业融资难问题"})
    text = similar.get_data(as_text=True)
    assert "软件协会会员企业融资难" in text and "餐饮商会" not in text and "物流协会" not in text


def test_staff_see_a_possible_duplicate_while_typing(login_client, directory):
    staff = login_client("lixia", "editor")
    page = staff.get("/lixia/think_tank/suggestions/new").get_data(as_text=True)
    assert 'hx-get="/lixia/think_tank/suggestions/similar"' in page and "软件协会" in page
    similar = staff.get("/lixia/think_tank/suggestions/similar",
                        query_string={"title": "关于会员企业融资难的建议"}, headers=HX).get_data(as_text=True)
    assert "可能重复" in similar
    assert "软件协会会员企业融资难" in similar and "餐饮商会会员企业融资难" in similar
    assert "物流协会" not in similar  # shizhong's: never across tenants
    unrelated = staff.get("/lixia/think_tank/suggestions/similar", query_string={"title": "停车位规划"}).get_data(as_text=True)
    assert "可能重复" not in unrelated and "没有找到相似的建议" in unrelated


def test_a_suggestion_is_routed_answered_and_adopted(app, db_session, tenant, directory):
    from core.entities.service import Invalid

    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        kind = service.type("suggestion")
        record = service.get(kind, directory["软件协会建议"])
        record = service.transition(kind, record, "assign", record.version, values={"department": "区金融办"})
        record = service.transition(kind, record, "handle", record.version)
        service.commit()
        with pytest.raises(Invalid) as short:
            service.transition(kind, record, "answer", record.version, values={"reply": "已收到"})
        assert "答复内容至少 10 个字" in str(short.value.errors)
        service.rollback()
        record = service.get(kind, directory["软件协会建议"])
        record = service.transition(kind, record, "answer", record.version,
                                    values={"reply": "已协调三家银行推出专项信贷产品,并建立常态化对接机制。"})
        record = service.transition(kind, record, "adopt", record.version)
        service.commit()
        assert record.data["stage"] == "已采纳" and record.data["department"] == "区金融办"


def test_linked_suggestion_ids_must_be_numbers(login_client):
    city = login_client("jinan", "editor")
    bad = city.post("/jinan/entities/industry_report/", data={"title": "报告", "year": "2025", "suggestions": "第3号"},
                    headers=HX)
    assert bad.status_code == 422 and "关联建议编号应为数字" in bad.get_data(as_text=True)
    good = city.post("/jinan/entities/industry_report/", data={"title": "报告", "year": "2025", "suggestions": "3,5"},
                     headers=HX)
    assert good.status_code == 204


# reports and demo data --------------------------------------------------------


def test_reports_count_suggestions_by_category_state_and_month(login_client, directory):
    district = login_client("lixia", "viewer")
    by_category = district.get("/api/v1/lixia/reports/think_tank.suggestions_by_category").json
    assert {row["category"]: row["count"] for row in by_category["rows"]}["融资服务"] == 2
    by_state = district.get("/api/v1/lixia/reports/think_tank.suggestions_by_state").json
    assert {row["stage"]: row["count"] for row in by_state["rows"]}["已提交"] == 2
    by_month = district.get("/api/v1/lixia/reports/think_tank.suggestions_by_month").json
    assert [(row["month"], row["count"]) for row in by_month["rows"]] == [("2025-03", 2)]
    city = login_client("jinan", "viewer").get("/api/v1/jinan/reports/think_tank.suggestions_by_month").json
    assert [(row["month"], row["count"]) for row in city["rows"]] == [("2025-03", 3)]


ALL_TENANTS = ["jinan", "lixia", "shizhong", "huaiyin", "tianqiao", "licheng", "changqing", "zhangqiu", "jiyang",
               "laiwu", "gangcheng", "pingyin", "shanghe"]


@pytest.mark.enable_plugins("think_tank", tenants=ALL_TENANTS)
def test_the_demo_city_rollup_shows_the_source_figures(app, db_session, login_client):
    from core.cli import _fill_demo_data

    registry = current_app.extensions["quanhui.plugins"]
    tenants = list(db_session.scalars(select(Tenant).order_by(Tenant.position)))
    _fill_demo_data(registry, tenants)
    db_session.commit()
    city = login_client("jinan", "viewer")
    rollup = city.get("/api/v1/jinan/reports/think_tank.rollup").json
    total = rollup["total"]
    assert (total["suggestions"], total["reports"], total["adopted_proposals"]) == (186, 34, 151)
    assert len(rollup["rows"]) == 13
    adopted = city.get("/api/v1/jinan/reports/think_tank.adopted_proposals_by_body").json
    assert adopted["total"]["count"] == 151
    per_year = city.get("/api/v1/jinan/reports/think_tank.reports_per_year").json
    assert per_year["total"]["count"] == 34
    page = city.get("/jinan/reports/think_tank.rollup").get_data(as_text=True)
    assert "智库与会企之声汇总" in page and "186" in page and "151" in page
    found = city.get("/jinan/think_tank/search", query_string={"q": "基层治理"}).get_data(as_text=True)
    assert "找到 2 条" in found  # the demo's call and the topic that answers it, indexed as they were made


def test_who_reaches_the_suggestion_pages(login_client, make_user, software_account, directory):
    viewer = login_client("lixia", "viewer")
    assert viewer.get("/lixia/think_tank/suggestions/").status_code == 200
    assert viewer.get("/lixia/think_tank/suggestions/new").status_code == 403  # viewers do not file
    assert software_account.get("/lixia/think_tank/suggestions/new").status_code == 200
    page = software_account.get("/lixia/think_tank/suggestions/new").get_data(as_text=True)
    assert "餐饮商会" not in page  # the account files for its own association, not from a list
    sibling = login_client("shizhong", "admin")
    assert sibling.get("/lixia/think_tank/suggestions/").status_code == 404
    assert sibling.get("/lixia/think_tank/suggestions/similar", query_string={"title": "融资"}).status_code == 404
    assert login_client("huaiyin", "admin").get("/huaiyin/think_tank/suggestions/").status_code == 404  # not enabled
