"""会企之声 and 智库检索 in the browser.

An editor opens a suggestion's panel from the inbox, routes it to a department, starts
handling, answers it and marks it 已采纳, all in the panel beside the list, without a
page load; the row's state follows each step. Then the editor searches for a two-character
word and a longer phrase and sees the hits highlighted. The screenshots illustrate
docs/guide/think_tank.md.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.enable_plugins("think_tank", tenants=["jinan", "lixia"])


@pytest.fixture
def suggestions(app):
    from core.db import session
    from core.entities import service_for
    from core.entities.uscc import make
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    with app.app_context():
        lixia = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia)):
            service = service_for(lixia)
            kind = service.type("suggestion")
            software = service.create(service.type("association"), {
                "name": "历下区软件行业协会", "uscc": make("5", "1", "370102", 1), "category": "行业协会"})
            catering = service.create(service.type("association"), {
                "name": "历下区餐饮商会", "uscc": make("5", "1", "370102", 2), "category": "商会"})
            ids = {}
            for key, title, association, category, content in (
                ("finance", "关于缓解软件企业融资难问题的建议", software, "融资服务",
                 "轻资产的软件企业缺少抵押物,贷款难、贷款贵,建议推广知识产权质押融资。"),
                ("parking", "关于增设泉城路商圈停车位的建议", catering, "营商环境",
                 "商圈周末停车难,影响客流,建议错时开放机关事业单位停车场。"),
                ("talent", "关于完善餐饮业技能人才评价的建议", catering, "人才引进",
                 "建议将中式烹调师纳入技能人才评价目录。"),
            ):
                ids[key] = service.create(kind, {"title": title, "association": association.id, "category": category,
                                                 "submitted_on": "2025-03-02", "content": content}).id
            service.commit()
    return ids


def test_an_editor_routes_answers_and_adopts_a_suggestion_in_the_panel(
    page, live_url, sign_in, make_user, shot, no_reload, suggestions
):
    from playwright.sync_api import expect

    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(f"{live_url}/lixia/think_tank/suggestions/")
    row = page.locator(f"#s-{suggestions['finance']}")
    panel = page.locator("#panel")
    expect(panel).to_contain_text("点一条建议的「办理」")

    with no_reload(page):
        row.get_by_role("button", name="办理").click()
        expect(panel).to_contain_text("轻资产的软件企业缺少抵押物")
    with no_reload(page):
        panel.get_by_label("承办部门").fill("市地方金融监管局")
        panel.get_by_role("button", name="分办").click()
        expect(panel.get_by_test_id("panel-message")).to_have_text("已分办:现为「已分办」。")
        expect(row.get_by_test_id("stage")).to_have_text("已分办")
        expect(page.get_by_test_id("count-已分办")).to_have_text("1")  # the counts follow
    with no_reload(page):
        panel.get_by_role("button", name="开始办理").click()
        expect(row.get_by_test_id("stage")).to_have_text("办理中")
    with no_reload(page):
        panel.get_by_label("答复意见").fill("已收到")
        panel.get_by_role("button", name="答复").click()
        expect(panel.get_by_test_id("panel-message")).to_contain_text("答复内容至少 10 个字")
        expect(row.get_by_test_id("stage")).to_have_text("办理中")
    with no_reload(page):
        panel.get_by_label("答复意见").fill("已会同人民银行济南分行推出“科创贷”,知识产权质押登记可线上办理。")
        panel.get_by_role("button", name="答复").click()
        expect(row.get_by_test_id("stage")).to_have_text("已答复")
    shot(page, "think_tank-inbox")
    with no_reload(page):
        panel.get_by_role("button", name="采纳", exact=True).click()
        expect(panel.get_by_test_id("panel-state")).to_have_text("已采纳")
        expect(row.get_by_test_id("stage")).to_have_text("已采纳")
        expect(panel.get_by_test_id("panel-history")).to_contain_text("分办")
        expect(panel.get_by_role("button")).to_have_count(0)  # 已采纳 is final

    page.reload()  # the page shows the same state after a reload
    expect(row.get_by_test_id("stage")).to_have_text("已采纳")
    expect(page.get_by_test_id("count-已采纳")).to_have_text("1")


def test_search_finds_short_and_long_words_and_marks_them(page, live_url, sign_in, make_user, shot, no_reload,
                                                         suggestions):
    from playwright.sync_api import expect

    make_user("lixia", "viewer")
    sign_in(page, "lixia-viewer")
    page.goto(f"{live_url}/lixia/think_tank/search")
    results = page.get_by_test_id("search-results")
    with no_reload(page):
        page.get_by_label("关键词").press_sequentially("停车", delay=30)
        expect(results).to_contain_text("找到 1 条")
        expect(results).to_contain_text("关于增设泉城路商圈停车位的建议")
    with no_reload(page):
        page.get_by_label("关键词").fill("知识产权质押")
        expect(results).to_contain_text("关于缓解软件企业融资难问题的建议")
        expect(results.locator("mark").first).to_have_text("知识产权质押")
    assert "q=" in page.url  # the address keeps the search: a reload or a link shows it again
    shot(page, "think_tank-search")
    with no_reload(page):
        page.get_by_label("关键词").fill("停车 人才")
        expect(results).to_contain_text("没有找到")


def test_a_district_sees_the_citys_call_above_its_topic_board(app, page, live_url, sign_in, make_user, shot):
    from playwright.sync_api import expect

    from core.db import session
    from core.entities import service_for
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    with app.app_context():
        for slug, rows in (("jinan", ()), ("lixia", (("历下区楼宇经济中商会作用研究", "调研中", True),
                                                    ("泉城路商圈商户联盟研究", "立项", False),
                                                    ("历下区行业协会人才培养研究", "征集", False)))):
            place = tenant_by_slug(session, slug)
            with use_scope(session, TenantScope.of(place)):
                service = service_for(place)
                if not rows:
                    service.create(service.type("research_call"), {
                        "year": 2025, "title": "2025年度商协会发展研究课题征集", "deadline": "2025-04-30",
                        "content": "围绕民营经济、基层治理等方向征集课题。"})
                kind = service.type("research_topic")
                for title, stage, key in rows:
                    record = service.create(kind, {"year": 2025, "title": title, "is_key": key,
                                                   "research_base": "济南市社科研究基地"})
                    for name in {"征集": (), "立项": ("approve",), "调研中": ("approve", "start")}[stage]:
                        record = service.transition(kind, record, name, record.version)
                service.commit()
    make_user("lixia", "viewer")
    sign_in(page, "lixia-viewer")
    page.goto(f"{live_url}/lixia/think_tank/topics/")
    calls = page.get_by_test_id("calls")
    expect(calls).to_contain_text("2025年度商协会发展研究课题征集")
    expect(calls).to_contain_text("(上级发布)")
    board = page.get_by_test_id("board")
    expect(board.locator('[data-state="调研中"]')).to_contain_text("历下区楼宇经济中商会作用研究")
    expect(board.locator('[data-state="立项"]')).to_contain_text("泉城路商圈商户联盟研究")
    expect(board.locator('[data-state="征集"]')).to_contain_text("历下区行业协会人才培养研究")
    shot(page, "think_tank-topics")
