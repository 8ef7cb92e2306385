"""An association's own form in the browser: what the regulator decides is read-only.

A revoked association's account opens the form of its own directory entry on a desktop
and on a phone: status, credit code, category and supervising units show as text with a
note, not as inputs; it changes its address and saves; the status stays 撤销. An editor
confirms the Party organisation the account filed on 待确认. The pictures of
docs/guide/records.md (字段权限, 待确认) are taken here.
"""
from __future__ import annotations

import pytest

STAFF_ONLY = ("status", "uscc", "category", "supervisor", "industry_department", "registered_on")


@pytest.fixture
def revoked(app):
    from core.db import session
    from core.entities import service_for
    from core.entities.uscc import make
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    with app.app_context():
        lixia = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia)):
            service = service_for(lixia)
            entity = service.create(service.type("association"), {
                "name": "济南市历下区某某行业协会", "uscc": make("5", "1", "370102", 3), "category": "行业协会",
                "status": "撤销", "supervisor": "历下区民政局", "industry_department": "历下区商务局",
                "registered_on": "2012-05-08", "address": "历下区泉城路 1 号"})
            service.commit()
            return entity.id


@pytest.mark.parametrize(("size", "name"), [((1440, 900), "field-rights-association-form"),
                                            ((390, 844), "field-rights-association-form-phone")])
def test_an_associations_form_shows_the_staff_fields_read_only(page, live_url, sign_in, make_user, revoked, shot,
                                                                size, name):
    from playwright.sync_api import expect

    make_user("lixia", "association", username=f"lixia-assoc-{size[0]}", association_id=revoked)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, f"lixia-assoc-{size[0]}")
    page.goto(f"{live_url}/lixia/entities/association/{revoked}/edit")
    for field in STAFF_ONLY:
        shown = page.locator(f'[data-read-only="{field}"]')
        expect(shown).to_be_visible()
        expect(shown).to_contain_text("您只能查看这一项")
        expect(page.locator(f'[name="{field}"]')).to_have_count(0)
    expect(page.locator('[data-read-only="status"]')).to_contain_text("撤销")
    shot(page, name)

    page.get_by_label("地址").fill("历下区泉城路 2 号")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("dl.record")).to_contain_text("历下区泉城路 2 号")
    expect(page.locator("dl.record")).to_contain_text("撤销")


@pytest.mark.enable_plugins("coverage", tenants=["jinan", "lixia"])
def test_the_staff_confirm_what_an_association_filed(app, page, live_url, sign_in, make_user, revoked, shot):
    """An association's own Party organisation waits on 待确认 until an editor confirms it."""
    from playwright.sync_api import expect

    from core.db import session
    from core.entities import service_for
    from core.entities.ownership import ASSOCIATION_KEY, restrict_to_association
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    account = make_user("lixia", "association", association_id=revoked)
    with app.app_context():
        lixia = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia)):
            restrict_to_association(session, revoked)
            service = service_for(lixia, actor=account)
            service.create(service.type("party_org"), {"name": "某某行业协会党支部", "kind": "党支部"})
            service.commit()
            session.info.pop(ASSOCIATION_KEY)
    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.get_by_role("link", name="待确认").click()
    row = page.locator("[data-pending]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("某某行业协会党支部")
    shot(page, "pending-confirmation")
    row.get_by_role("button", name="确认").click()
    expect(page.locator("#pending-empty")).to_have_text("没有待确认的记录。")
