"""Shared fixtures of the rectification tests: the city's catalogues and campaign, a few
associations of lixia and shizhong, and helpers that act as the entity service does."""
from __future__ import annotations

import pytest

from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import TenantScope, tenant_by_slug, use_scope

HX = {"HX-Request": "true"}
SITUATIONS = ("出租、出借登记证书或印章", "超出章程规定的宗旨和业务范围开展活动", "未按期换届")
MEASURES = (("约谈提醒", 1, "保留登记"), ("警告", 3, "保留登记"), ("撤销登记", 6, "撤销"), ("注销登记", 5, "注销"))


def act(db_session, slug: str):
    """The entity service of ``slug`` with the session scoped to it (use inside ``with``)."""
    tenant = tenant_by_slug(db_session, slug)
    return use_scope(db_session, TenantScope.of(tenant)), service_for(tenant)


@pytest.fixture
def world(app, db_session):
    """The city's catalogues and campaign; 软件协会 and 餐饮商会 of lixia, 物流协会 of shizhong."""
    ids = {}
    scope, service = act(db_session, "jinan")
    with scope:
        for position, name in enumerate(SITUATIONS, start=1):
            ids[name] = service.create(service.type("rectification_situation"), {"position": position, "name": name}).id
        for name, severity, registration in MEASURES:
            ids[name] = service.create(service.type("rectification_measure"), {
                "name": name, "severity": severity, "registration": registration}).id
        ids["行动"] = service.create(service.type("rectification_campaign"), {
            "name": "2024 年规范整治专项行动", "start_on": "2024-03-01", "end_on": "2024-08-31",
            "self_check_start": "2024-03-01", "self_check_end": "2024-03-31",
            "screening_start": "2024-04-01", "screening_end": "2024-04-30",
            "cross_check_start": "2024-05-01", "cross_check_end": "2024-05-31",
            "concentrated_start": "2024-06-01", "concentrated_end": "2024-08-15",
            "summary_start": "2024-08-16", "summary_end": "2024-08-31"}).id
        service.commit()
    for slug, names in (("lixia", ("软件协会", "餐饮商会")), ("shizhong", ("物流协会",))):
        scope, service = act(db_session, slug)
        with scope:
            place = service.tenant
            for serial, name in enumerate(names, start=1):
                ids[name] = service.create(service.type("association"), {
                    "name": name, "uscc": make("5", "1", place.code, serial), "category": "行业协会"}).id
            service.commit()
    return ids


def new_case(db_session, slug: str, association: int, **extra) -> int:
    scope, service = act(db_session, slug)
    with scope:
        record = service.create(service.type("rectification_case"), {
            "title": "超范围开展评比表彰", "association": association, "source": "专项摸排",
            "found_on": "2024-04-10", "description": "行业管理部门排查发现:以协会名义开展评比表彰并收费。", **extra})
        service.commit()
        return record.id


def case_data(db_session, slug: str, case_id: int) -> dict:
    scope, service = act(db_session, slug)
    with scope:
        return dict(service.get(service.type("rectification_case"), case_id).data)


def association_status(db_session, slug: str, association_id: int) -> str:
    scope, service = act(db_session, slug)
    with scope:
        return service.get(service.type("association"), association_id).data["status"]
