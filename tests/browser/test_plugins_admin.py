"""插件的启用与停用, and the tenant switcher, as city and district admins see them.

The plugin used is the test plugin 公告栏 (tests/noticeboard).
"""
import pytest
from playwright.sync_api import expect

from core.db import session
from core.plugin_state import set_offered
from core.tenancy import TenantScope, tenant_by_slug, use_scope

pytestmark = pytest.mark.quanhui_plugins("tests.noticeboard")


def offer_from_the_city(app, name: str) -> None:
    """What 济南市's admin does with the 「开放」 button (tested below through the page)."""
    with app.app_context():
        city = tenant_by_slug(session, "jinan")
        with use_scope(session, TenantScope.of(city)):
            set_offered(session, app.extensions["quanhui.plugins"], city, name, True, None)
            session.commit()


def plugin_row(page, name: str):
    return page.locator(f"tr#plugin-{name}")


def test_the_city_offers_a_plugin_to_the_districts(page, live_url, make_user, sign_in, shot, no_reload):
    make_user("jinan", "admin")
    make_user("lixia", "admin")
    sign_in(page, "jinan-admin")
    page.locator("nav#nav").get_by_role("link", name="插件").click()
    expect(page.get_by_role("heading", name="插件", exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name="向下级开放")).to_be_visible()

    row = plugin_row(page, "noticeboard")
    expect(row).to_contain_text("公告栏")
    expect(row).to_contain_text("未开放")
    with no_reload(page):
        row.get_by_role("button", name="开放").click()
        expect(row).to_contain_text("已开放")
    expect(row.get_by_role("button", name="收回")).to_be_visible()
    shot(page, "plugins-city")

    # Offering does not switch it on anywhere: each district decides for itself.
    expect(row.get_by_role("cell", name="无")).to_be_visible()
    expect(page.locator("nav#nav").get_by_role("link", name="公告栏")).to_have_count(0)


def test_before_the_city_offers_it_a_district_cannot_enable_a_plugin(page, make_user, sign_in):
    make_user("lixia", "admin")
    sign_in(page, "lixia-admin")
    page.locator("nav#nav").get_by_role("link", name="插件").click()
    row = plugin_row(page, "noticeboard")
    expect(row).to_contain_text("上级尚未开放该插件")
    expect(row.get_by_role("button")).to_have_count(0)


def test_a_district_admin_enables_and_disables_a_plugin_without_reloading(
    app, page, live_url, make_user, sign_in, shot, no_reload, browser_events
):
    offer_from_the_city(app, "noticeboard")
    make_user("lixia", "admin")
    sign_in(page, "lixia-admin")
    nav = page.locator("nav#nav")

    page.goto(f"{live_url}/lixia/admin/plugins")
    expect(page.get_by_role("heading", name="插件", exact=True)).to_be_visible()
    expect(page.locator("nav#nav"), "the page has one navigation").to_have_count(1)
    row = plugin_row(page, "noticeboard")
    expect(row).to_contain_text("未启用")
    expect(nav.get_by_role("link", name="公告栏")).to_have_count(0)
    shot(page, "plugins")

    # 启用: the row and the navigation change in place.
    with no_reload(page):
        page.get_by_test_id("toggle-noticeboard").click()
        expect(nav.get_by_role("link", name="公告栏")).to_be_visible()
        expect(row).to_contain_text("已启用")
        expect(page.get_by_test_id("toggle-noticeboard")).to_have_text("停用")
    expect(row).to_contain_text("历下区")  # 已启用的单位

    # The plugin's page is there, with the notice it posts when first enabled.
    nav.get_by_role("link", name="公告栏").click()
    expect(page.get_by_role("heading", name="历下区 · 公告栏")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="欢迎使用公告栏")).to_be_visible()
    with no_reload(page):
        page.get_by_label("标题").fill("五月主题党日活动安排")
        page.get_by_role("button", name="发布").click()
        expect(page.locator("#notices").get_by_role("link", name="五月主题党日活动安排")).to_be_visible()
    expect(page.get_by_label("标题")).to_have_value("")
    shot(page, "noticeboard")

    # 停用 asks first; once confirmed, the link leaves the navigation, again in place.
    nav.get_by_role("link", name="插件").click()
    with no_reload(page):
        with browser_events.expect_dialog(accept=True) as asked:
            page.get_by_test_id("toggle-noticeboard").click()
        expect(nav.get_by_role("link", name="公告栏")).to_have_count(0)
        expect(row).to_contain_text("未启用")
    assert "停用「公告栏」" in asked[0] and "数据会保留" in asked[0]

    # A disabled plugin's pages are gone for this district ...
    page.goto(f"{live_url}/lixia/noticeboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("404 · 页面不存在")

    # ... and enabling it again brings its notices back.
    page.goto(f"{live_url}/lixia/admin/plugins")
    with no_reload(page):
        page.get_by_test_id("toggle-noticeboard").click()
        expect(nav.get_by_role("link", name="公告栏")).to_be_visible()
    nav.get_by_role("link", name="公告栏").click()
    expect(page.locator("#notices").get_by_role("link", name="五月主题党日活动安排")).to_be_visible()


def test_cancelling_the_confirmation_keeps_the_plugin_enabled(
    app, page, live_url, make_user, sign_in, browser_events, settle
):
    offer_from_the_city(app, "noticeboard")
    make_user("lixia", "admin")
    sign_in(page, "lixia-admin")
    page.goto(f"{live_url}/lixia/admin/plugins")
    page.get_by_test_id("toggle-noticeboard").click()
    expect(page.get_by_test_id("toggle-noticeboard")).to_have_text("停用")
    settle(page)

    with browser_events.expect_dialog(accept=False):
        page.get_by_test_id("toggle-noticeboard").click()
    page.reload()
    expect(plugin_row(page, "noticeboard")).to_contain_text("已启用")
    expect(page.locator("nav#nav").get_by_role("link", name="公告栏")).to_be_visible()


def test_a_city_admin_switches_to_a_district(page, live_url, make_user, sign_in, shot):
    make_user("jinan", "admin")
    sign_in(page, "jinan-admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("济南市 · 工作台")

    switcher = page.get_by_test_id("tenant-switcher")
    expect(switcher).to_have_text("济南市")
    switcher.click()
    districts = page.locator("details.tenant-switcher")
    expect(districts.get_by_role("link", name="济南市")).to_have_attribute("aria-current", "page")
    expect(districts.get_by_role("link")).to_have_count(13)
    shot(page, "tenant-switcher")

    districts.get_by_role("link", name="历下区").click()
    expect(page).to_have_url(f"{live_url}/lixia/")
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区 · 工作台")
    expect(page.get_by_test_id("tenant-switcher")).to_have_text("历下区")
    # The city admin keeps their own role in the district.
    expect(page.get_by_role("banner")).to_contain_text("jinan-admin · 管理员")
