"""A per-tenant roll-up keeps each tenant's rows and recomputes only the tenants that changed.

The ``counted`` plugin's report counts associations by tenant and notes which tenants
each run of its query was asked for; the city's roll-up covers the 13 tenants of Jinan.
"""
from __future__ import annotations

import datetime as dt
import types

import pytest
from sqlalchemy import func, select

from core.db import session
from core.entities import service_for
from core.entities.data_versions import data_versions
from core.entities.uscc import make
from core.migrations import upgrade
from core.plugins import PluginMeta, hookimpl
from core.reports import Column, Report, count_by
from core.reports import rollup_cache
from core.reports.rollup_cache import KeptRollupRows
from core.tenancy import TenantScope, system_scope, tenant_by_slug, use_scope

API = "/api/v1/jinan/reports/counted.associations"
asked: list[tuple[int, ...]] = []
#: The tenants the session could read while the query ran.
readable: list[frozenset[int]] = []
_serial = iter(range(1, 10_000))


def _by_tenant(context):
    asked.append(tuple(context.tenant_ids))
    readable.append(context.session.scope.read_ids)
    return count_by(context, "association", group_by=("tenant",))


counted = types.ModuleType("tests_core_rollup_cache_counted")
counted.meta = PluginMeta(name="counted", title="计数", version="1.0.0")
counted.quanhui_reports = hookimpl(lambda: [
    Report("counted.associations", "协会数", query=_by_tenant, rollup=True, per_tenant=True,
           columns=(Column("tenant", "单位"), Column("count", "协会数", "integer"))),
])
pytestmark = [pytest.mark.quanhui_plugins(counted), pytest.mark.enable_plugins("counted", tenants=["jinan"])]


@pytest.fixture(autouse=True)
def forget_asked():
    asked.clear()
    readable.clear()


def add_association(slug: str, *, commit: bool = True) -> None:
    tenant = tenant_by_slug(session, slug)
    with use_scope(session, TenantScope.of(tenant)):
        service = service_for(tenant)
        number = next(_serial)
        service.create(service.type("association"), {
            "name": f"{tenant.name}计数协会{number}", "uscc": make("5", "1", tenant.code, number), "category": "商会",
        })
        service.commit() if commit else service.rollback()


def counts(client) -> dict[str, int]:
    response = client.get(API)
    assert response.status_code == 200
    return {row["tenant"]: row["count"] for row in response.json["rows"]}


def test_only_the_district_that_changed_is_counted_again(login_client, db_session):
    add_association("lixia")
    client = login_client("jinan", "viewer")
    before = counts(client)
    assert before["历下区"] == 1
    assert len(asked) == 1 and len(asked[0]) == 13  # the first time, every tenant at once

    assert counts(client) == before
    assert len(asked) == 1  # nothing changed: every row was kept

    add_association("lixia")
    assert counts(client) == {**before, "历下区": 2}
    jinan, lixia = tenant_by_slug(session, "jinan").id, tenant_by_slug(session, "lixia").id
    assert asked[1:] == [(lixia,)]
    assert readable[1:] == [{jinan, lixia}]  # the recount reads what it counts, not the whole city


def test_a_change_rolled_back_moves_no_counter(db_session):
    lixia = tenant_by_slug(session, "lixia").id
    with system_scope(session):
        before = data_versions(session, [lixia])[lixia]
    add_association("lixia", commit=False)
    with system_scope(session):
        assert data_versions(session, [lixia])[lixia] == before
    add_association("lixia")
    with system_scope(session):
        assert data_versions(session, [lixia])[lixia] == before + 1


def test_a_renamed_district_shows_its_new_name(login_client, db_session):
    add_association("lixia")
    client = login_client("jinan", "viewer")
    assert "历下区" in counts(client)
    with system_scope(session):
        tenant_by_slug(session, "lixia").name = "历下新区"
        session.commit()
    assert counts(client)["历下新区"] == 1


def test_the_rows_are_counted_again_the_next_day(login_client, db_session, monkeypatch):
    client = login_client("jinan", "viewer")
    counts(client)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(rollup_cache, "dt", types.SimpleNamespace(date=types.SimpleNamespace(today=lambda: tomorrow)))
    counts(client)
    assert len(asked) == 2 and len(asked[1]) == 13


def test_the_rows_are_kept_for_the_tenant_whose_report_they_are(login_client, db_session):
    counts(login_client("jinan", "viewer"))
    with system_scope(session):
        owners = set(session.scalars(select(KeptRollupRows.tenant_id).distinct()))
        assert owners == {tenant_by_slug(session, "jinan").id}


def test_an_upgrade_forgets_every_kept_row(app, login_client, db_session):
    counts(login_client("jinan", "viewer"))
    upgrade(app.extensions["quanhui.db"].engine, app.extensions["quanhui.plugins"])
    with system_scope(session):
        assert session.scalar(select(func.count(KeptRollupRows.id))) == 0
