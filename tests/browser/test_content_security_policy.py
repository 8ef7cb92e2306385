"""The Content-Security-Policy in Chromium: the key pages load and work (htmx swaps, charts
draw) under a policy that allows only the app's own scripts and styles, and Chromium
reports no violation on any of them: no inline script, style attribute or eval anywhere."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.enable_plugins("matching", "coverage", tenants=["jinan", "lixia"])


@pytest.fixture
def demo(app):
    """lixia's association directory, 百会联百村 and 党建覆盖 demo data."""
    from core.db import session
    from core.directory import quanhui_demo_data as directory_demo
    from core.tenancy import TenantScope, tenant_by_slug, use_scope
    from plugins.coverage.demo import fill as coverage_demo
    from plugins.matching.demo import fill as matching_demo

    with app.app_context():
        lixia = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia)):
            directory_demo(session, lixia)
            session.flush()
            matching_demo(session, lixia)
            coverage_demo(session, lixia)
            session.commit()


@pytest.fixture
def violations(page) -> list[str]:
    """What Chromium logged about the policy while the test ran."""
    seen = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    return seen


def test_key_pages_work_under_the_policy_with_no_violation(page, live_url, sign_in, make_user, demo, violations,
                                                           no_reload, settle):
    make_user("lixia", "admin")
    sign_in(page, "lixia-admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区 · 工作台")

    response = page.goto(f"{live_url}/lixia/entities/association")
    assert "style-src 'self';" in response.headers["content-security-policy"]
    rows = page.locator("#entity-table tbody tr")
    expect(rows.first).to_be_visible()
    with no_reload(page):
        page.get_by_role("searchbox").fill("没有这样的协会名称")
        expect(page.locator("#entity-table")).to_contain_text("没有符合条件的")

    page.goto(f"{live_url}/lixia/entities/association/new")
    with no_reload(page):
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".field-errors").first).not_to_be_empty()

    page.goto(f"{live_url}/lixia/admin/types/")
    form = page.locator("#new-type-form")
    form.get_by_label("类型名称").fill("走访记录")
    form.get_by_label("类型标识(英文)").fill("visit_log")
    form.get_by_label("标题字段的名称").fill("走访标题")
    form.get_by_role("button", name="新建").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("走访记录")
    with no_reload(page):
        page.locator("#field-form").get_by_label("字段类型").select_option(label="单选")
        expect(page.locator("#field-form").get_by_label("选项(每行一个)")).to_be_visible()

    page.goto(f"{live_url}/lixia/matching/")
    page.get_by_label("为对接对象推荐协会").select_option(index=1)
    page.locator("#pick-target").get_by_role("button", name="查看推荐").click()
    top = page.get_by_test_id("match-1")
    with no_reload(page):
        top.get_by_role("button", name="发起结对").click()
        expect(top).to_contain_text("已发起结对")

    page.goto(f"{live_url}/lixia/coverage/")
    chart = page.locator("figure.report-chart canvas").first
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 100

    assert violations == []
