"""覆盖走势:按修改记录重算过去任一月,`quanhui coverage snapshot` 保存月度快照,
走势报表给出近 24 个月和同比;演示数据里市级组织覆盖率一年上升约 19 个百分点。"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core.cli import make_cli
from core.db import session
from core.demo.associations import city_associations
from core.entities import service_for
from core.entities.models import EntityRevision, EntityValue
from core.entities.uscc import make
from core.tenancy import TenantScope, tenant_by_slug, use_scope
from plugins.coverage import demo
from plugins.coverage.figures import coverage
from plugins.coverage.models import CoverageSnapshot
from plugins.coverage.snapshots import figures_for_month, parse_month, shift

pytestmark = [
    pytest.mark.quanhui_plugins("plugins.coverage"),
    pytest.mark.enable_plugins("coverage", tenants=["jinan", "lixia"]),
]


def create(slug, type_name, **data):
    tenant = tenant_by_slug(session, slug)
    with use_scope(session, TenantScope.of(tenant)):
        service = service_for(tenant)
        entity = service.create(service.type(type_name), data)
        service.commit()
        return entity


def backdate(slug, entity_id, day: str):
    tenant = tenant_by_slug(session, slug)
    with use_scope(session, TenantScope.of(tenant)):
        session.execute(update(EntityRevision).where(EntityRevision.entity_id == entity_id)
                        .values(at=dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)))
        session.commit()


def month_figures(slug, month):
    tenant = tenant_by_slug(session, slug)
    with use_scope(session, TenantScope.of(tenant)):
        found = figures_for_month(session, tenant, month)
    return found.active, found.org_covered, found.work_covered


@pytest.fixture
def lixia_history(app, db_session):
    """Two associations registered in January 2025; a branch founded in June 2025 and
    deleted now; an instructor on duty from March to August 2025."""
    ids = [create("lixia", "association", name=f"历下区第{n}协会", uscc=make("5", "1", "370102", n),
                  category="行业协会").id for n in (1, 2)]
    for entity_id in ids:
        backdate("lixia", entity_id, "2025-01-10")
    branch = create("lixia", "party_org", name="甲党支部", kind="党支部", association=ids[0])
    backdate("lixia", branch.id, "2025-06-15")
    instructor = create("lixia", "instructor", name="王建国", association=ids[1], start_on="2025-03-01",
                        end_on="2025-08-31")
    backdate("lixia", instructor.id, "2025-02-20")
    tenant = tenant_by_slug(session, "lixia")
    with use_scope(session, TenantScope.of(tenant)):
        service = service_for(tenant)
        party_org = service.type("party_org")
        service.delete(party_org, service.get(party_org, branch.id))
        service.commit()
    return ids


def test_any_past_month_is_rebuilt_from_the_revisions(lixia_history):
    assert month_figures("lixia", "2024-12") == (0, 0, 0)
    assert month_figures("lixia", "2025-02") == (2, 0, 0)  # the instructor starts in March
    assert month_figures("lixia", "2025-05") == (2, 0, 1)
    assert month_figures("lixia", "2025-06") == (2, 1, 2)
    assert month_figures("lixia", "2025-09") == (2, 1, 1)  # the instructor's term ended in August
    # The branch was deleted just now: this month has none, and agrees with the live figures.
    this_month = parse_month(None)
    assert month_figures("lixia", this_month) == (2, 0, 0)
    lixia = tenant_by_slug(session, "lixia")
    with use_scope(session, TenantScope.of(lixia)):
        live = coverage(session, (lixia.id,))[0]
    assert (live.active, live.org_covered, live.work_covered) == (2, 0, 0)


def test_the_snapshot_command_stores_months_and_refuses_bad_ones(app, lixia_history, login_client):
    runner = app.test_cli_runner()
    cli = make_cli(("plugins.coverage",))
    result = runner.invoke(cli, ["coverage", "snapshot", "--month", "2025-06", "--tenant", "lixia"])
    assert result.exit_code == 0, result.output
    assert "历下区 2025-06:在册 2,组织覆盖 1(50.0%),工作覆盖 2" in result.output
    again = runner.invoke(cli, ["coverage", "snapshot", "--month", "2025-06", "--tenant", "lixia"])
    assert again.exit_code == 0
    assert runner.invoke(cli, ["coverage", "snapshot"]).exit_code == 0  # this month, every tenant
    bad = runner.invoke(cli, ["coverage", "snapshot", "--month", "2025-13"])
    assert bad.exit_code != 0 and "月份“2025-13”格式不对,应为 YYYY-MM" in bad.output
    future = runner.invoke(cli, ["coverage", "snapshot", "--month", shift(parse_month(None), 1)])
    assert future.exit_code != 0 and "还没有到,不能生成快照" in future.output
    unknown = runner.invoke(cli, ["coverage", "snapshot", "--tenant", "nowhere"])
    assert unknown.exit_code != 0 and "没有简称为 nowhere 的单位" in unknown.output

    with use_scope(session, TenantScope.of(tenant_by_slug(session, "lixia"))):
        months = session.scalars(select(CoverageSnapshot.month).order_by(CoverageSnapshot.month)).all()
    assert months == ["2025-06", parse_month(None)]  # one row per month, recomputed in place
    rows = login_client("lixia", "viewer").get("/api/v1/lixia/reports/coverage.coverage_trend").json["rows"]
    assert (rows[0]["month"], rows[0]["active"], rows[0]["org_covered"], rows[0]["org_rate"]) == ("2025-06", 2, 1, 0.5)


def test_demo_data_rises_about_19_points_and_its_snapshots_match_the_revisions(app, db_session, login_client):
    city = tenant_by_slug(session, "jinan")
    with use_scope(session, TenantScope.of(city)):
        service = service_for(city)
        association = service.type("association")
        for record in city_associations(338):
            service.create(association, record)
        session.flush()
        demo.fill(session, city)
        session.commit()
        snapshots = {s.month: s for s in session.scalars(select(CoverageSnapshot))}
        this_month = parse_month(None)
        assert len(snapshots) == 13
        past = shift(this_month, -6)
        rebuilt = figures_for_month(session, city, past)
        assert (rebuilt.active, rebuilt.org_covered, rebuilt.work_covered) == (
            snapshots[past].active, snapshots[past].org_covered, snapshots[past].work_covered)
        brands = session.scalars(select(EntityValue.text_value).where(
            EntityValue.type == "party_org", EntityValue.field == "brand_name")).all()
        assert len(set(brands)) == 12

    client = login_client("jinan", "viewer")
    answer = client.get("/api/v1/jinan/reports/coverage.coverage_trend?scope=own").json
    rows = {row["month"]: row for row in answer["rows"]}
    now, year_ago = rows[this_month], rows[shift(this_month, -12)]
    assert now["org_change"] == pytest.approx(now["org_rate"] - year_ago["org_rate"], abs=1e-6)
    assert now["org_change"] == pytest.approx(0.19, abs=0.005)
    assert 0.45 < year_ago["org_rate"] < 0.55 and now["work_rate"] > now["org_rate"]
    widget_page = client.get("/jinan/").get_data(as_text=True)
    assert "党建两个覆盖" in widget_page
