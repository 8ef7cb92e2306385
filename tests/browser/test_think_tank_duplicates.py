"""会企之声 in the browser: while an editor types a title close to an existing suggestion,
the possible duplicate shows up below the field, before anything is saved.

"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.enable_plugins("think_tank", tenants=["lixia"])


@pytest.fixture
def existing(app):
    from core.db import session
    from core.entities import service_for
    from core.entities.uscc import make
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    with app.app_context():
        lixia = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia)):
            service = service_for(lixia)
            association = service.create(service.type("association"), {
                "name": "历下区软件行业协会", "uscc": make("5", "1", "370102", 1), "category": "行业协会"})
            service.create(service.type("suggestion"), {
                "title": "关于优化涉企审批流程的建议", "association": association.id, "category": "营商环境",
                "submitted_on": "2025-03-02", "content": "审批环节多、材料重复。"})
            service.commit()


def test_typing_a_similar_title_shows_the_possible_duplicate_before_saving(page, live_url, sign_in, make_user,  # noqa: F811
                                                                          existing):
    from playwright.sync_api import expect

    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(f"{live_url}/lixia/think_tank/suggestions/new")
    page.get_by_label("标题").press_sequentially("进一步优化涉企审批流程", delay=20)
    hint = page.get_by_test_id("similar")
    expect(hint).to_contain_text("可能重复")
    expect(hint).to_contain_text("关于优化涉企审批流程的建议")
    assert page.url.endswith("/lixia/think_tank/suggestions/new")  # nothing submitted
    page.get_by_label("标题").fill("停车位规划")
    expect(hint).to_contain_text("没有找到相似的建议")
