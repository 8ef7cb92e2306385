"""党建覆盖:两个覆盖的口径、按单位和全市汇总、未覆盖名单、工作台面板。

协会、党组织、指导员都经记录服务创建(和页面、接口、导入走的是同一条路),
数字从报表的 JSON 里读,正是用户在报表页上看到的。
"""
from __future__ import annotations

import datetime as dt

import pytest

from core.db import session
from core.entities import service_for
from core.entities.service import Invalid
from core.entities.uscc import make
from core.tenancy import TenantScope, tenant_by_slug, use_scope

pytestmark = [
    pytest.mark.quanhui_plugins("plugins.coverage"),
    pytest.mark.enable_plugins("coverage", tenants=["jinan", "lixia", "shizhong"]),
]
_serial = iter(range(1, 100_000))


def create(slug: str, type_name: str, **data) -> int:
    tenant = tenant_by_slug(session, slug)
    with use_scope(session, TenantScope.of(tenant)):
        service = service_for(tenant)
        entity = service.create(service.type(type_name), data)
        service.commit()
        return entity.id


def associations(slug: str, count: int, **extra) -> list[int]:
    tenant = tenant_by_slug(session, slug)
    ids = []
    for _ in range(count):
        number = next(_serial)
        ids.append(create(slug, "association", name=f"{tenant.name}第{number}协会",
                          uscc=make("5", "1", tenant.code, number), category="行业协会", **extra))
    return ids


def update(slug: str, type_name: str, entity_id: int, **changes) -> None:
    tenant = tenant_by_slug(session, slug)
    with use_scope(session, TenantScope.of(tenant)):
        service = service_for(tenant)
        entity_type = service.type(type_name)
        entity = service.get(entity_type, entity_id)
        service.update(entity_type, entity, {**entity.data, **changes}, expected_version=entity.version)
        service.commit()


def figures(client, slug: str) -> dict[str, dict]:
    """The coverage report as the user sees it: one row per 单位."""
    answer = client.get(f"/api/v1/{slug}/reports/coverage.coverage_by_tenant")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {row["tenant"]: row for row in answer.json["rows"]}


def test_a_joint_branch_over_three_uncovered_associations_raises_the_rate_by_three(app, db_session, login_client):
    first, second, third, *others = associations("lixia", 10)
    create("lixia", "party_org", name="某协会党支部", kind="党支部", association=others[0])
    city = login_client("jinan", "viewer")
    before = figures(city, "jinan")["历下区"]
    assert (before["active"], before["org_covered"], before["org_rate"]) == (10, 1, 0.1)

    branch = create("lixia", "party_org", name="三家协会联合党支部", kind="联合党支部", association=first)
    create("lixia", "party_org_member", association=second, party_org=branch)
    create("lixia", "party_org_member", association=third, party_org=branch)

    district = figures(login_client("lixia", "viewer"), "lixia")
    assert list(district) == ["历下区"]
    assert district["历下区"]["org_covered"] == 4
    assert district["历下区"]["org_rate"] == pytest.approx(0.1 + 3 / 10)
    rolled_up = figures(city, "jinan")
    assert rolled_up["历下区"]["org_covered"] == 4
    assert rolled_up["历下区"]["org_rate"] - before["org_rate"] == pytest.approx(3 / 10)
    total = city.get("/api/v1/jinan/reports/coverage.coverage_by_tenant").json["total"]
    assert (total["active"], total["org_covered"]) == (10, 4)
    # The city's dashboard adds the districts up the same way: 4 of its 10 active associations.
    assert 'data-testid="org-rate">40.0%<' in city.get("/jinan/coverage/").get_data(as_text=True)


def test_work_coverage_counts_temporary_branches_and_instructors_on_duty(app, db_session, login_client):
    own, temporary, on_duty, ended, future, _nothing = associations("shizhong", 6)
    today = dt.date.today()
    create("shizhong", "party_org", name="甲党委", kind="党委", association=own)
    create("shizhong", "party_org", name="乙临时党支部", kind="临时党支部", association=temporary)
    create("shizhong", "instructor", name="王建国", association=on_duty, start_on=str(today - dt.timedelta(days=30)))
    create("shizhong", "instructor", name="李丽娟", association=ended, start_on=str(today - dt.timedelta(days=300)),
           end_on=str(today - dt.timedelta(days=1)))
    create("shizhong", "instructor", name="张志强", association=future, start_on=str(today + dt.timedelta(days=5)))

    client = login_client("shizhong", "viewer")
    row = figures(client, "shizhong")["市中区"]
    assert (row["active"], row["org_covered"], row["work_covered"]) == (6, 1, 3)
    assert row["work_rate"] == pytest.approx(0.5)

    listed = client.get("/api/v1/shizhong/reports/coverage.uncovered").json["rows"]
    names = {entry["name"]: entry["work"] for entry in listed}
    assert len(names) == 5  # 临时党支部只算工作覆盖
    assert names["市中区第" + str(_number_of(temporary)) + "协会"] == "已工作覆盖"
    assert sorted(names.values()).count("已工作覆盖") == 2


def _number_of(entity_id: int) -> int:
    from core.entities.models import Entity

    with use_scope(session, TenantScope.of(tenant_by_slug(session, "shizhong"))):
        name = session.get(Entity, entity_id).data["name"]
    return int(name.removeprefix("市中区第").removesuffix("协会"))


def test_a_revoked_association_leaves_the_denominator_and_keeps_its_records(app, db_session, login_client):
    covered, _other = associations("lixia", 2)
    org = create("lixia", "party_org", name="丙党支部", kind="党支部", association=covered)
    client = login_client("lixia", "viewer")
    assert (figures(client, "lixia")["历下区"]["active"], figures(client, "lixia")["历下区"]["org_covered"]) == (2, 1)

    update("lixia", "association", covered, status="撤销")

    row = figures(client, "lixia")["历下区"]
    assert (row["active"], row["org_covered"], row["org_rate"]) == (1, 0, 0)
    assert client.get(f"/api/v1/lixia/entities/party_org/{org}").status_code == 200
    assert client.get(f"/api/v1/lixia/entities/association/{covered}").json["data"]["status"] == "撤销"


def test_a_district_sees_only_its_own_figures_and_the_city_every_district(app, db_session, login_client):
    associations("lixia", 2)
    associations("shizhong", 3)
    district = login_client("lixia", "viewer")
    assert list(figures(district, "lixia")) == ["历下区"]
    assert district.get("/api/v1/shizhong/reports/coverage.coverage_by_tenant").status_code == 404
    assert district.get("/api/v1/lixia/reports/coverage.uncovered").json["rows"] and all(
        row["tenant"] == "历下区" for row in district.get("/api/v1/lixia/reports/coverage.uncovered").json["rows"]
    )
    city = figures(login_client("jinan", "viewer"), "jinan")
    assert len(city) == 13 and city["市中区"]["active"] == 3 and city["历下区"]["active"] == 2


def test_wrong_input_gets_a_chinese_message(app, db_session):
    first, second = associations("lixia", 2)
    branch = create("lixia", "party_org", name="丁党支部", kind="党支部", association=first)
    with pytest.raises(Invalid) as refused:
        create("lixia", "party_org_member", association=second, party_org=branch)
    assert refused.value.errors["party_org"] == ["只有联合党支部可以覆盖多家协会;请选择一个联合党支部"]
    with pytest.raises(Invalid) as refused:
        create("lixia", "instructor", name="王建国", association=first, start_on="2025-05-01", end_on="2025-04-01")
    assert refused.value.errors["end_on"] == ["派驻结束日期不能早于起始日期"]
    with pytest.raises(Invalid) as refused:
        create("lixia", "party_org", name="戊党支部", kind="党小组", association=first, standard_score=120)
    assert "kind" in refused.value.errors and "standard_score" in refused.value.errors


def test_the_dashboard_shows_both_rates(app, db_session, login_client):
    first, _second = associations("lixia", 2)
    create("lixia", "party_org", name="己党支部", kind="党支部", association=first)
    page = login_client("lixia", "viewer").get("/lixia/").get_data(as_text=True)
    assert "党建两个覆盖" in page
    assert "组织覆盖 <strong>1</strong>" in page and "50.0%" in page


def test_the_city_dashboard_shows_the_whole_citys_coverage_and_its_own_on_the_switch(app, db_session, login_client):
    city_first, _ = associations("jinan", 2)
    lixia_first, _, _ = associations("lixia", 3)
    create("jinan", "party_org", name="市级党支部", kind="党支部", association=city_first)
    create("lixia", "party_org", name="历下党支部", kind="党支部", association=lixia_first)
    client = login_client("jinan", "viewer")
    whole = client.get("/jinan/").get_data(as_text=True)
    panel = whole.split('data-plugin="coverage"')[1].split("</article>")[0]
    assert "（全市）" in panel and "在册协会 <strong>5</strong>" in panel and "组织覆盖 <strong>2</strong>" in panel
    assert "40.0%" in panel
    own = client.get("/jinan/?scope=own").get_data(as_text=True).split('data-plugin="coverage"')[1].split("</article>")[0]
    assert "（本级）" in own and "在册协会 <strong>2</strong>" in own and "50.0%" in own


@pytest.mark.enable_plugins("coverage", tenants=["jinan", "shizhong"])
def test_disabled_in_a_district_its_reports_answer_404_there(app, db_session, login_client):
    client = login_client("lixia", "admin")
    assert client.get("/api/v1/lixia/reports/coverage.coverage_by_tenant").status_code == 404
    assert client.get("/lixia/reports/coverage.uncovered").status_code == 404
    assert client.get("/api/v1/lixia/entities/party_org").status_code == 404
