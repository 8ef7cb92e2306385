"""Shared fixtures of the think_tank tests: a small directory with a suggestion per
association, and a signed-in association account of lixia's 软件协会."""
from __future__ import annotations

import pytest

from core.auth.accounts import create_user
from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import TenantScope, use_scope
from core.testing import TEST_PASSWORD


@pytest.fixture
def directory(app, db_session, tenant):
    """Two associations of lixia, one of shizhong, and a suggestion of each."""
    ids = {}
    for slug, names in (("lixia", ("软件协会", "餐饮商会")), ("shizhong", ("物流协会",))):
        place = tenant(slug)
        with use_scope(db_session, TenantScope.of(place)):
            service = service_for(place)
            for serial, name in enumerate(names, start=1):
                ids[name] = service.create(service.type("association"), {
                    "name": name, "uscc": make("5", "1", place.code, serial), "category": "行业协会"}).id
            for name in names:
                ids[f"{name}建议"] = service.create(service.type("suggestion"), {
                    "title": f"关于{name}会员企业融资难问题的建议", "association": ids[name], "category": "融资服务",
                    "submitted_on": "2025-03-02", "content": "会员企业反映贷款难、贷款贵。"}).id
            service.commit()
    return ids


@pytest.fixture
def software_account(app, db_session, tenant, directory):
    create_user(db_session, tenant("lixia"), "ruanjian", TEST_PASSWORD, "association", association_id=directory["软件协会"])
    db_session.commit()
    client = app.test_client()
    assert client.login("ruanjian").status_code == 303
    return client
