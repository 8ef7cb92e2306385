"""Issue 24's three attacks of a malicious association account, each refused.

1. Bound to a revoked association, it posts ``status=正常`` to its own record (see also
   tests/core/test_field_rights.py for the form, the API and import of field rights).
2. It files its own instructor and Party organisation to leave the city's uncovered list:
   they wait as 待确认 and count nowhere until the staff confirm them.
3. It files a project of 999,999,999,999,999.99 yuan to inflate the investment report:
   refused by the amount's bounds, and even a sane amount waits for confirmation.
"""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import session, utcnow
from core.entities import service_for
from core.entities.models import Entity, EntityRevision
from core.entities.ownership import ASSOCIATION_KEY, restrict_to_association
from core.entities.service import Conflict, Invalid
from core.entities.uscc import make
from core.tenancy import TenantScope, system_scope, tenant_by_slug, use_scope

pytestmark = [
    pytest.mark.quanhui_plugins("plugins.coverage", "plugins.matching"),
    pytest.mark.enable_plugins("coverage", "matching", tenants=["jinan", "lixia"]),
]
HX = {"HX-Request": "true"}
ABSURD = "999999999999999.99"


def create(slug: str, type_name: str, **data) -> int:
    tenant = tenant_by_slug(session, slug)
    with use_scope(session, TenantScope.of(tenant)):
        service = service_for(tenant)
        entity = service.create(service.type(type_name), data)
        service.commit()
        return entity.id


@pytest.fixture
def lixia(app, db_session):
    """Two lixia associations, neither with a Party organisation."""
    ours = create("lixia", "association", name="某某行业协会", uscc=make("5", "1", "370102", 1), category="行业协会")
    other = create("lixia", "association", name="另一家商会", uscc=make("5", "1", "370102", 2), category="商会")
    return {"ours": ours, "other": other}


def uncovered_names(client) -> set[str]:
    page = client.get("/lixia/coverage/uncovered").get_data(as_text=True)
    return {name for name in ("某某行业协会", "另一家商会") if name in page}


def coverage_row(client) -> dict:
    rows = client.get("/api/v1/jinan/reports/coverage.coverage_by_tenant").json["rows"]
    return next(row for row in rows if row["tenant"] == "历下区")


def stored(entity_id: int) -> Entity:
    with system_scope(session):
        return session.get(Entity, entity_id)


def test_its_own_party_organisation_and_instructor_count_only_once_staff_confirm(app, lixia, login_client, api_client):
    staff = login_client("lixia", "editor")
    city = login_client("jinan", "viewer")
    assert uncovered_names(staff) == {"某某行业协会", "另一家商会"}
    before = coverage_row(city)
    account = login_client("lixia", "association", association_id=lixia["ours"])
    filed = account.post("/lixia/entities/party_org/", headers=HX, data={
        "name": "某某行业协会党支部", "kind": "党支部", "association": str(lixia["ours"])})
    assert filed.status_code == 204
    party_org = int(filed.headers["HX-Redirect"].rsplit("/", 1)[1])
    instructor = api_client("lixia", "association", association_id=lixia["ours"]).post(
        "/api/v1/lixia/entities/instructor", json={"name": "王某", "start_on": "2024-01-01"})
    assert instructor.status_code == 201, instructor.json
    assert instructor.json["pending"] is True
    assert "待确认" in account.get(f"/lixia/entities/party_org/{party_org}").get_data(as_text=True)
    book = Workbook()
    book.active.title = "党组织"
    book.active.append(["名称", "类型", "所在协会商会"])
    book.active.append(["又一个党支部", "党支部", lixia["ours"]])
    sheet = io.BytesIO()
    book.save(sheet)
    imported = account.post("/lixia/entities/party_org/excel/import", headers=HX, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(sheet.getvalue()), "党组织.xlsx")})
    assert imported.status_code == 403  # association accounts do not import

    assert uncovered_names(staff) == {"某某行业协会", "另一家商会"}
    assert coverage_row(city) == before

    waiting = staff.get("/lixia/entities/pending").get_data(as_text=True)
    assert "某某行业协会党支部" in waiting and "王某" in waiting
    assert account.get("/lixia/entities/pending").status_code == 403
    version = stored(party_org).version
    assert account.post(f"/lixia/entities/party_org/{party_org}/confirm", headers=HX,
                        data={"version": str(version)}).status_code == 403
    confirmed = staff.post(f"/lixia/entities/party_org/{party_org}/confirm", headers=HX, data={"version": str(version)})
    assert confirmed.status_code == 204
    assert uncovered_names(staff) == {"另一家商会"}
    assert coverage_row(city)["org_covered"] == before["org_covered"] + 1

    instructor_id = instructor.json["id"]
    no_reason = staff.post(f"/lixia/entities/instructor/{instructor_id}/reject", headers=HX,
                           data={"version": str(stored(instructor_id).version), "reason": ""})
    assert no_reason.status_code == 422 and "请填写原因" in no_reason.get_data(as_text=True)
    rejected = staff.post(f"/lixia/entities/instructor/{instructor_id}/reject", headers=HX,
                          data={"version": str(stored(instructor_id).version), "reason": "查无此人"})
    assert rejected.status_code == 204
    assert stored(instructor_id).deleted_at is not None
    assert "没有待确认的记录" in staff.get("/lixia/entities/pending").get_data(as_text=True)
    with system_scope(session):
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("entity.%"))))
        history = [r.action for r in session.scalars(
            select(EntityRevision).where(EntityRevision.entity_id == instructor_id).order_by(EntityRevision.version))]
    assert {"entity.confirmed", "entity.rejected"} <= actions
    assert history == ["create", "reject"]


def test_a_change_by_the_association_waits_again_and_snapshots_follow_the_revisions(app, lixia, login_client):
    staff = login_client("lixia", "editor")
    account = login_client("lixia", "association", association_id=lixia["ours"])
    filed = account.post("/lixia/entities/party_org/", headers=HX, data={
        "name": "某某行业协会党支部", "kind": "党支部", "association": str(lixia["ours"])})
    party_org = int(filed.headers["HX-Redirect"].rsplit("/", 1)[1])
    staff.post(f"/lixia/entities/party_org/{party_org}/confirm", headers=HX,
               data={"version": str(stored(party_org).version)})
    confirmed_at = utcnow()
    changed = account.post(f"/lixia/entities/party_org/{party_org}", headers=HX, data={
        "name": "某某行业协会党支部", "kind": "党支部", "association": str(lixia["ours"]), "secretary": "李某",
        "version": str(stored(party_org).version)})
    assert changed.status_code == 204
    assert uncovered_names(staff) == {"某某行业协会", "另一家商会"}
    from plugins.coverage.figures import coverage

    lixia_id = tenant_by_slug(session, "lixia").id
    with system_scope(session):
        now = coverage(session, [lixia_id])[0]
        rebuilt = coverage(session, [lixia_id], cutoff=utcnow() + dt.timedelta(seconds=1))[0]
        confirmed_then = coverage(session, [lixia_id], cutoff=confirmed_at)[0]
    assert now.org_covered == rebuilt.org_covered == 0
    assert confirmed_then.org_covered == 1


def test_a_project_of_an_absurd_amount_is_refused_on_every_path(app, lixia, login_client, api_client):
    city = login_client("jinan", "viewer")
    before = city.get("/api/v1/jinan/reports/matching.investment_by_district").json["rows"]
    project = {"title": "天价项目", "district": "历下区", "amount": ABSURD, "signed_on": "2026-01-05"}
    api = api_client("lixia", "association", association_id=lixia["ours"])
    refused = api.post("/api/v1/lixia/entities/project", json=project)
    assert refused.status_code == 422
    assert refused.json["error"]["fields"]["amount"] == ["应在 0 到 100000000000 之间"]
    account = login_client("lixia", "association", association_id=lixia["ours"])
    form = account.post("/lixia/entities/project/", headers=HX, data=project)
    assert form.status_code == 422 and "应在 0 到 100000000000 之间" in form.get_data(as_text=True)

    book = Workbook()
    sheet = book.active
    sheet.title = "落地项目"
    sheet.append(["项目名称", "协会商会", "落地区县", "投资额(元)", "状态", "签约日期"])
    sheet.append(["天价项目", lixia["ours"], "历下区", ABSURD, "已签约", "2026-01-05"])
    content = io.BytesIO()
    book.save(content)
    imported = login_client("lixia", "editor").post("/lixia/entities/project/excel/import", headers=HX, data={
        "file": (io.BytesIO(content.getvalue()), "项目.xlsx")}, content_type="multipart/form-data")
    assert imported.status_code == 422 and "应在 0 到 100000000000 之间" in imported.get_data(as_text=True)

    sane = api.post("/api/v1/lixia/entities/project", json={**project, "amount": "50000000"})
    assert sane.status_code == 201
    assert city.get("/api/v1/jinan/reports/matching.investment_by_district").json["rows"] == before
    with pytest.raises(Invalid):
        lixia_tenant = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia_tenant)):
            service = service_for(lixia_tenant)
            service.create(service.type("project"), {**project, "association": lixia["ours"]})
    session.rollback()


def test_the_system_confirms_through_the_service_and_counts_from_that_revision(app, lixia, make_user):
    account = make_user("lixia", "association", association_id=lixia["ours"])
    lixia_tenant = tenant_by_slug(session, "lixia")
    with use_scope(session, TenantScope.of(lixia_tenant)):
        filing = service_for(lixia_tenant, actor=account)
        restrict_to_association(session, lixia["ours"])
        entity = filing.create(filing.type("party_org"), {"name": "自报党支部", "kind": "党委"})
        filing.commit()
        session.info.pop(ASSOCIATION_KEY)
        system = service_for(lixia_tenant)
        party_org = system.type("party_org")
        with pytest.raises(Conflict):
            system.confirm(party_org, system.get(party_org, entity.id), entity.version + 1)
        system.rollback()
        confirmed = system.confirm(party_org, system.get(party_org, entity.id), entity.version)
        system.commit()
        assert "_pending" not in confirmed.data
        with pytest.raises(Invalid) as again:
            system.confirm(party_org, confirmed, confirmed.version)
        assert again.value.errors == {"confirmation": ["这条党组织不是待确认的记录"]}
        system.rollback()
