"""党建覆盖 in the browser, on the demo data of the city and three districts.

An editor of 历下区 opens the list of associations with no Party coverage at all, assigns
an instructor in a row and sees the work-coverage rate at the top change without a reload;
founds a temporary branch for another, sees that association leave the list and the work
coverage risen on the dashboard, and reads the city's Party-day themes. The pictures of
docs/guide/coverage.md are taken here.
"""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.enable_plugins("coverage", tenants=["jinan", "lixia", "shizhong", "tianqiao"])

DISTRICTS = ("lixia", "shizhong", "tianqiao")


@pytest.fixture
def demo(app):
    """The directory's and this plugin's demo data for the city and three districts."""
    from core.db import session
    from core.directory import quanhui_demo_data as directory_demo
    from core.tenancy import TenantScope, tenant_by_slug, use_scope
    from plugins.coverage.demo import fill

    with app.app_context():
        for slug in ("jinan", *DISTRICTS):
            tenant = tenant_by_slug(session, slug)
            with use_scope(session, TenantScope.of(tenant)):
                directory_demo(session, tenant)
                session.flush()
                fill(session, tenant)
                session.commit()


def percent(locator) -> float:
    return float(re.search(r"([\d.]+)%", locator.inner_text()).group(1))


def test_covering_associations_from_the_uncovered_list(page, live_url, sign_in, make_user, demo, shot, no_reload,
                                                       settle):
    from playwright.sync_api import expect

    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(f"{live_url}/lixia/coverage/uncovered?work=未覆盖")
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区 · 尚未组织覆盖的协会商会")
    work_rate = page.get_by_test_id("work-rate")
    start = percent(work_rate)
    rows = page.get_by_test_id("uncovered-row")
    expect(rows.first).to_be_visible()
    shot(page, "coverage-uncovered")

    # An instructor for the first association: the row and the figures change in place.
    first = rows.first
    first_name = first.get_by_role("link").first.inner_text()
    with no_reload(page):
        first.get_by_role("link", name="派驻指导员").click()
        settle(page)
        form = page.get_by_role("form", name="派驻党建工作指导员")
        form.get_by_label("姓名").fill("王建国")
        form.get_by_label("工作单位").fill("区委社会工作部")
        form.get_by_role("button", name="保存").click()
        settle(page)
        row = page.get_by_test_id("uncovered-row").filter(has_text=first_name)
        expect(row).to_contain_text("已派驻指导员 王建国")
        expect(work_rate).not_to_have_text(f"{start:.1f}%")
    after_instructor = percent(work_rate)
    assert after_instructor > start

    # A temporary branch for the next one: an empty name is refused in the row first.
    second = page.get_by_test_id("uncovered-row").filter(has_text="尚无任何覆盖").first
    second_name = second.get_by_role("link").first.inner_text()
    with no_reload(page):
        second.get_by_role("link", name="成立临时党支部").click()
        settle(page)
        form = page.get_by_role("form", name="成立临时党支部")
        expect(form.get_by_label("名称")).to_have_value(f"{second_name}临时党支部")
        form.get_by_label("书记").fill("李丽娟")
        form.get_by_label("名称").fill("")
        form.get_by_role("button", name="保存").click()
        settle(page)
        form = page.get_by_role("form", name="成立临时党支部")
        expect(form).to_contain_text("此项必填")
        shot(page, "coverage-uncovered-form")
        form.get_by_label("名称").fill(f"{second_name}临时党支部")
        form.get_by_role("button", name="保存").click()
        settle(page)
        expect(page.get_by_test_id("uncovered-row").filter(has_text=second_name)).to_contain_text("已成立")
    assert percent(work_rate) > after_instructor
    final = work_rate.inner_text()

    page.reload()
    expect(page.get_by_test_id("uncovered-row").first).to_be_visible()
    expect(page.get_by_test_id("uncovered-row").filter(has_text=second_name)).to_have_count(0)
    expect(page.get_by_test_id("uncovered-row").filter(has_text=first_name)).to_have_count(0)

    page.goto(f"{live_url}/lixia/coverage/")
    expect(page.get_by_test_id("work-rate")).to_have_text(final)
    shot(page, "coverage-dashboard-district")

    page.goto(f"{live_url}/lixia/coverage/themes")  # the city's themes, read-only here
    expect(page.get_by_test_id("themes").locator("tbody tr")).to_have_count(12)
    expect(page.get_by_test_id("themes")).to_contain_text("济南市")
    shot(page, "coverage-themes")


def test_the_city_dashboard_and_the_other_pages(page, live_url, sign_in, make_user, demo, shot):
    from playwright.sync_api import expect

    make_user("jinan", "admin")
    sign_in(page, "jinan-admin")
    page.goto(f"{live_url}/jinan/coverage/")
    expect(page.get_by_role("heading", level=1)).to_have_text("济南市 · 党建覆盖")
    expect(page.get_by_test_id("org-rate")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.locator("canvas[data-report-chart='coverage-bars']")).to_be_visible()
    expect(page.locator("canvas[data-report-chart='coverage-trend']")).to_be_visible()
    page.wait_for_function("() => document.querySelectorAll('canvas[data-report-chart]').length === 2 && "
                           "[...document.querySelectorAll('canvas[data-report-chart]')].every(c => Chart.getChart(c))")
    shot(page, "coverage-dashboard")

    page.get_by_test_id("by-tenant").get_by_role("link", name="历下区").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区 · 党建覆盖")
    assert page.url.endswith("/lixia/coverage/")

    page.goto(f"{live_url}/jinan/coverage/instructors")
    expect(page.get_by_test_id("workload").locator("tbody tr").first).to_be_visible()
    shot(page, "coverage-instructors")

    page.goto(f"{live_url}/jinan/coverage/brands")
    expect(page.get_by_text("共 12 个品牌")).to_be_visible()
    shot(page, "coverage-brands")
