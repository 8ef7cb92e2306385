"""百会联百村 in the browser: a district editor picks a village in the workbench, reads why
the top association is recommended, and starts the pairing in place (htmx, no reload);
the programme's optimal assignment shows beside greedy's, and beats it where greedy's
first pick blocks a better pair. Screenshots for the guide."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.enable_plugins("matching", tenants=["lixia"])


@pytest.fixture
def programme(app):
    from core.db import session
    from core.entities import service_for
    from core.entities.uscc import make
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    with app.app_context():
        lixia = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia)):
            service = service_for(lixia)
            kind = service.type("association")
            for serial, (name, offers, chain, town, capacity) in enumerate((
                ("历下区农业技术协会", ["技术", "销售渠道"], "现代农业", "龙洞街道", 1),
                ("历下区电子商务商会", ["销售渠道"], "商贸物流", "姚家街道", 1),
                ("历下区文化旅游协会", ["文化", "就业"], "文化旅游", "千佛山街道", 1),
            ), start=1):
                service.create(kind, {
                    "name": name, "uscc": make("5", "1", lixia.code, serial), "category": "行业协会",
                    "industry_chain": chain, "matching_offers": offers, "matching_capacity": capacity,
                    "matching_district": "历下区", "matching_town": town})
            village = service.type("village")
            # After 龙洞村 takes the agricultural association, greedy gives 佛山村 its best (文化旅游,
            # 65) and leaves 姚家村 the e-commerce chamber (20): 85. The optimum swaps them: 57 + 57.
            for name, town, needs, chains in (("龙洞村", "龙洞街道", ["技术", "销售渠道"], ["现代农业"]),
                                              ("佛山村", "千佛山街道", ["文化", "销售渠道"], ["文化旅游", "商贸物流"]),
                                              ("姚家村", "姚家街道", ["文化", "技术"], ["文化旅游"])):
                service.create(village, {"name": name, "district": "历下区", "town": town, "needs": needs,
                                         "industry_chains": chains, "minimum": 1, "maximum": 1})
            service.commit()


def test_a_village_gets_its_top_match_explained_and_paired_in_place(page, live_url, sign_in, make_user, shot,
                                                                    no_reload, programme):
    from playwright.sync_api import expect

    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.get_by_role("link", name="匹配工作台").click()
    page.get_by_label("为对接对象推荐协会").select_option(label="龙洞村")
    page.locator("#pick-target").get_by_role("button", name="查看推荐").click()
    top = page.get_by_test_id("match-1")
    expect(top).to_contain_text("历下区农业技术协会")
    expect(top).to_contain_text("需求契合:100% × 权重 40 → 40.0 分")
    expect(top).to_contain_text("距离相近:100% × 权重 20 → 20.0 分")
    shot(page, "matching-workbench")
    with no_reload(page):
        top.get_by_role("button", name="发起结对").click()
        expect(top).to_contain_text("已发起结对")
    expect(top.get_by_role("link", name="历下区农业技术协会 — 龙洞村")).to_be_visible()
    expect(top).to_contain_text("推荐")

    page.get_by_role("link", name="全局最优匹配").click()
    expect(page.get_by_test_id("optimal-total")).to_have_text("114.0")
    expect(page.get_by_test_id("greedy-total")).to_have_text("85.0")
    shot(page, "matching-assign")
    page.get_by_role("button", name="确认勾选的结对(进入“推荐”状态)").click()
    expect(page.get_by_role("status")).to_contain_text("已确认")
    expect(page.get_by_test_id("state-推荐")).to_contain_text("历下区文化旅游协会 — 姚家村")
    expect(page.get_by_test_id("state-推荐")).to_contain_text("历下区电子商务商会 — 佛山村")
    shot(page, "matching-board")
