"""The city's leader in a browser: the city's own 名录 holds every district's associations,
one is found by name, and opened under its own district with a bar saying whose it is;
going back, and switching tenant, keep the page.

Screenshots for the guide's city chapter (docs/guide/city.md), at a desktop's 1440×900 and
a phone's 390×844.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_records import association, create_associations

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def both_sizes(page, shot, name: str) -> None:
    """``docs/screenshots/<name>.png`` at 1440×900 and ``<name>-mobile.png`` at 390×844."""
    page.set_viewport_size(DESKTOP)
    shot(page, name)
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-mobile")
    page.set_viewport_size(DESKTOP)


def test_the_city_finds_a_district_association_in_its_own_directory_and_opens_it_there(
    app, page, live_url, make_user, sign_in, shot, no_reload
):
    create_associations(app, "jinan", [association(1, "济南市软件行业协会"), association(2, "济南市物流协会")])
    packaging, = create_associations(app, "lixia", [association(3, "历下区包装机械商会", category="商会")])
    create_associations(app, "lixia", [association(4, "历下区餐饮协会")])
    create_associations(app, "shizhong", [association(5, "市中区包装机械协会")])
    make_user("jinan", "admin")
    sign_in(page, "jinan-admin")

    # The 工作台 opens on the whole city: the directory panel counts every district's associations.
    expect(page.get_by_test_id("dashboard-scope")).to_have_text("正在显示：全市")
    directory = page.locator('article[data-plugin="directory"]')
    expect(directory.get_by_test_id("widget-scope")).to_have_text("（全市）")
    expect(directory).to_contain_text("正常 5")
    both_sizes(page, shot, "city-cockpit")
    page.get_by_role("navigation", name="统计范围").get_by_role("link", name="本级").click()
    expect(page.get_by_test_id("dashboard-scope")).to_have_text("正在显示：本级")
    expect(directory).to_contain_text("正常 2")

    page.locator("nav#nav").get_by_role("link", name="协会商会名录").click()

    # The city's list opens on the whole tree, says so, and names each record's unit.
    expect(page.get_by_role("heading", level=1)).to_have_text("济南市 · 协会商会 （本级及下级）")
    rows = page.locator("#entity-table tbody tr")
    expect(rows).to_have_count(5)
    expect(page.get_by_role("columnheader", name="所属单位")).to_be_visible()

    with no_reload(page):
        page.get_by_role("searchbox", name="搜索").press_sequentially("包装机械")
        expect(rows).to_have_count(2)
    expect(rows.filter(has_text="历下区包装机械商会").get_by_test_id("owner")).to_have_text("历下区")
    with no_reload(page):
        page.get_by_label("所属单位").select_option(label="历下区")
        expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("历下区包装机械商会")
    both_sizes(page, shot, "city-directory")

    rows.first.get_by_role("link", name="历下区包装机械商会").click()
    expect(page).to_have_url(re.compile(rf"/lixia/entities/association/{packaging}$"))
    bar = page.get_by_test_id("viewing-bar")
    expect(bar).to_have_text("正在查看：历下区 · 返回济南市")
    expect(page.get_by_role("heading", level=1)).to_contain_text("历下区包装机械商会")
    both_sizes(page, shot, "city-drilldown")

    expect(page.get_by_test_id("breadcrumbs")).to_have_text(re.compile(r"济南市\s*›?\s*历下区"))
    expect(page).to_have_title("历下区包装机械商会 · 历下区 · 泉汇")

    # Back in the city, the record is not the city's: the nearest page above it is its list.
    bar.get_by_role("link", name="返回济南市").click()
    expect(page.get_by_test_id("viewing-bar")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/jinan/entities/association/$"))
    expect(page).to_have_title("协会商会 · 济南市 · 泉汇")

    # Switching tenant keeps the page: 名录 of 市中区.
    page.get_by_test_id("tenant-switcher").click()
    page.locator(".tenant-switcher").get_by_role("link", name="市中区", exact=True).click()
    expect(page).to_have_url(re.compile(r"/shizhong/entities/association/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("市中区 · 协会商会")
    expect(page.locator("#entity-table tbody tr")).to_have_count(1)
