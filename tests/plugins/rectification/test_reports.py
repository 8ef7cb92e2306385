"""The campaign's figures, as the reports show them (JSON of the reports API).

The specification: targets count associations in a confirmed state; the catalogues give
every situation and measure a row; the city's reports add up every district in SQL; the
demo shows the source's figures city-wide (46 targets, 6 measures, 24 deregistered or
revoked); and with 党建覆盖 enabled too, 撤销登记 takes the association out of coverage's
denominator.
"""
from __future__ import annotations

import time

import pytest
from flask import current_app
from sqlalchemy import select

from core.audit import AuditEvent
from core.entities.models import Entity
from core.tenancy import Tenant, system_scope

from .conftest import HX, new_case

ALL_TENANTS = ["jinan", "lixia", "shizhong", "huaiyin", "tianqiao", "licheng", "changqing", "zhangqiu", "jiyang",
               "laiwu", "gangcheng", "pingyin", "shanghe"]


def fire(client, slug, case_id, steps):
    for version, (name, form) in enumerate(steps, start=1):
        answer = client.post(f"/{slug}/rectification/cases/{case_id}/transitions/{name}",
                             data={"version": version, **form}, headers=HX)
        assert answer.status_code == 204, answer.get_data(as_text=True)


def to_measure(world, measure, situation="未按期换届", deadline="2024-07-31"):
    return [("verify", {}), ("confirm", {"situation": world[situation]}), ("rectify", {"deadline": deadline}),
            ("decide", {"measure": world[measure]})]


def report(client, slug, name) -> dict:
    answer = client.get(f"/api/v1/{slug}/reports/rectification.{name}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def overview(client, slug) -> dict[str, int]:
    return {row["indicator"]: row["value"] for row in report(client, slug, "overview")["rows"]}


@pytest.mark.enable_plugins("rectification", tenants=["jinan", "lixia", "shizhong"])
def test_reports_count_targets_by_situation_measure_and_unit(login_client, db_session, world):
    lixia = login_client("lixia", "editor")
    fire(lixia, "lixia", new_case(db_session, "lixia", world["软件协会"]), to_measure(world, "约谈提醒"))
    fire(lixia, "lixia", new_case(db_session, "lixia", world["餐饮商会"]),
         to_measure(world, "撤销登记", situation="出租、出借登记证书或印章"))
    new_case(db_session, "lixia", world["软件协会"], title="尚是线索")  # not a target
    shizhong = login_client("shizhong", "editor")
    fire(shizhong, "shizhong", new_case(db_session, "shizhong", world["物流协会"]),
         [("verify", {}), ("confirm", {"situation": world["未按期换届"]}), ("rectify", {"deadline": "2024-05-01"})])

    assert overview(lixia, "lixia") == {"整治案件": 3, "整治对象(协会商会)": 2, "用到的处理措施(种)": 2,
                                        "注销、撤销登记(协会商会)": 1, "逾期未整改(案件)": 0}
    by_situation = {row["situation"]: row["targets"] for row in report(lixia, "lixia", "by_situation")["rows"]}
    assert by_situation == {"出租、出借登记证书或印章": 1, "超出章程规定的宗旨和业务范围开展活动": 0, "未按期换届": 1}
    by_measure = report(lixia, "lixia", "by_measure")["rows"]
    assert [(row["measure"], row["registration"], row["targets"]) for row in by_measure] == [
        ("约谈提醒", "保留登记", 1), ("警告", "保留登记", 0), ("注销登记", "注销", 0), ("撤销登记", "撤销", 1)]

    city = login_client("jinan", "viewer")
    assert overview(city, "jinan") == {"整治案件": 4, "整治对象(协会商会)": 3, "用到的处理措施(种)": 2,
                                       "注销、撤销登记(协会商会)": 1, "逾期未整改(案件)": 1}
    units = report(city, "jinan", "by_tenant")
    rows = {row["tenant"]: row for row in units["rows"]}
    assert (rows["历下区"]["targets"], rows["历下区"]["ended"], rows["市中区"]["overdue"]) == (2, 1, 1)
    assert units["total"]["targets"] == 3 and len(units["rows"]) == 13
    overdue = report(city, "jinan", "overdue")["rows"]
    assert [(row["tenant"], row["association"], row["deadline"]) for row in overdue] == [("市中区", "物流协会", "2024-05-01")]
    board = city.get("/jinan/rectification/").get_data(as_text=True)
    assert 'data-testid="units"' in board and "市中区" in board


@pytest.mark.enable_plugins("rectification", tenants=["jinan", "lixia"])
def test_reports_are_for_the_staff(login_client, world):
    account = login_client("lixia", "association", association_id=world["软件协会"])
    assert account.get("/api/v1/lixia/reports/rectification.overview").status_code == 403


@pytest.mark.enable_plugins("rectification", tenants=ALL_TENANTS)
def test_the_demo_shows_the_source_figures_city_wide(app, db_session, login_client):
    from core.cli import _fill_demo_data

    registry = current_app.extensions["quanhui.plugins"]
    tenants = list(db_session.scalars(select(Tenant).order_by(Tenant.position)))
    started = time.monotonic()
    _fill_demo_data(registry, tenants)
    db_session.commit()
    city = login_client("jinan", "viewer")
    figures = overview(city, "jinan")
    assert (figures["整治对象(协会商会)"], figures["用到的处理措施(种)"], figures["注销、撤销登记(协会商会)"]) == (46, 6, 24)
    assert figures["逾期未整改(案件)"] > 0
    by_measure = report(city, "jinan", "by_measure")["rows"]
    assert len(by_measure) == 6 and all(row["targets"] for row in by_measure)
    assert len(report(city, "jinan", "by_situation")["rows"]) == 10
    units = report(city, "jinan", "by_tenant")
    assert (units["total"]["targets"], units["total"]["ended"]) == (46, 24)
    assert all(row["targets"] >= 1 for row in units["rows"])
    # The revoked associations really left the register, each with its audit entry.
    with system_scope(db_session):
        ended = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "rectification.registration_ended")).all()
        revoked = {entity.id for entity in db_session.scalars(select(Entity).where(
            Entity.id.in_([int(e.target.split("/")[1]) for e in ended])))
            if entity.data["status"] == "撤销"}
    assert len(ended) == 24 and len(revoked) == 24
    assert time.monotonic() - started < 120


@pytest.mark.enable_plugins("coverage", "rectification", tenants=["jinan", "lixia"])
def test_revocation_lowers_the_coverage_denominator(login_client, db_session, world):
    city = login_client("jinan", "viewer")

    def active() -> int:
        answer = city.get("/api/v1/lixia/reports/coverage.coverage_by_tenant")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.json["rows"][0]["active"]

    assert active() == 2
    staff = login_client("lixia", "editor")
    fire(staff, "lixia", new_case(db_session, "lixia", world["餐饮商会"]), to_measure(world, "警告"))
    assert active() == 2  # a warning keeps the registration
    fire(staff, "lixia", new_case(db_session, "lixia", world["软件协会"]), to_measure(world, "撤销登记"))
    assert active() == 1


def panel(page: str) -> str:
    return page.split('data-plugin="rectification"')[1].split("</article>")[0]


@pytest.mark.enable_plugins("rectification", tenants=["jinan", "lixia", "shizhong"])
def test_the_city_cockpit_counts_every_districts_overdue_case(login_client, db_session, world):
    late = [("verify", {}), ("confirm", {"situation": world["未按期换届"]}), ("rectify", {"deadline": "2024-05-01"})]
    fire(login_client("lixia", "editor"), "lixia", new_case(db_session, "lixia", world["软件协会"]), late)
    fire(login_client("shizhong", "editor"), "shizhong", new_case(db_session, "shizhong", world["物流协会"]), late)
    new_case(db_session, "lixia", world["餐饮商会"], title="尚是线索")
    city = login_client("jinan", "viewer")
    whole = panel(city.get("/jinan/").get_data(as_text=True))
    assert "（全市）" in whole and "逾期未整改 <strong>2</strong>" in whole
    assert "整改中 <strong>2</strong>" in whole and "线索 <strong>1</strong>" in whole
    assert overview(city, "jinan")["逾期未整改(案件)"] == 2  # the roll-up report agrees
    own = panel(city.get("/jinan/?scope=own").get_data(as_text=True))
    assert "（本级）" in own and "逾期未整改 <strong>0</strong>" in own
    district = panel(login_client("lixia", "viewer").get("/lixia/").get_data(as_text=True))
    assert "逾期未整改 <strong>1</strong>" in district
