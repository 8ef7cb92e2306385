"""Markup typed into any text a user can enter is shown as text and never runs."""
from playwright.sync_api import expect

from core.db import session
from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import TenantScope, tenant_by_slug, use_scope

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'


def test_markup_in_every_kind_of_text_stays_inert_on_every_page(app, page, live_url, make_user, sign_in):
    make_user("lixia", "admin")
    with app.app_context():
        lixia = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia)):
            service = service_for(lixia)
            association = service.type("association")
            record = service.create(association, {
                "name": f"协会{SCRIPT}", "uscc": make("5", "1", "370102", 1), "category": "行业协会",
                "legal_representative": IMAGE, "address": f"{IMAGE}{SCRIPT}", "tags": [SCRIPT, IMAGE],
            })
            service.update(association, record, {"supervisor": SCRIPT}, expected_version=1)
            service.commit()
    sign_in(page, "lixia-admin")
    base = f"{live_url}/lixia/entities/association"
    for path in ("/", f"/?q={SCRIPT}", f"/{record.id}", f"/{record.id}/edit", f"/{record.id}/revisions/2", "/excel/"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    page.goto(f"{base}/{record.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"协会{SCRIPT}")
    expect(page.locator("dl.record")).to_contain_text(IMAGE)
    assert page.locator("img[src=x]").count() == 0
    # the page fixture fails the test if any dialog opened or any script error happened
