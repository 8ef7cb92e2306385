"""登录与退出, as a district admin sees it in the browser."""
import re

from playwright.sync_api import expect

from core.testing import TEST_PASSWORD


def test_a_district_admin_signs_in_after_a_wrong_password_and_signs_out(page, live_url, make_user, shot, no_reload):
    make_user("lixia", "admin")

    # Anyone who is not signed in is sent to the login page.
    page.goto(f"{live_url}/")
    expect(page).to_have_url(f"{live_url}/login")
    expect(page.get_by_role("heading", name="登录泉汇")).to_be_visible()
    shot(page, "login")

    # A wrong password: the message appears beside the form, the page is not reloaded,
    # and the user name stays filled in.
    page.get_by_label("用户名").fill("lixia-admin")
    page.get_by_label("密码").fill("not-the-password")
    with no_reload(page):
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确")
    expect(page.get_by_label("用户名")).to_have_value("lixia-admin")
    expect(page.get_by_label("密码")).to_have_value("")

    # The right password opens 历下区's dashboard.
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区 · 工作台")
    expect(page).to_have_url(f"{live_url}/lixia/")
    expect(page).to_have_title(re.compile("历下区"))
    expect(page.get_by_role("banner")).to_contain_text("lixia-admin · 管理员")
    expect(page.locator("nav#nav").get_by_role("link", name="工作台")).to_have_attribute("aria-current", "page")
    expect(page.locator(".part-failed"), "no part of the page failed to load").to_have_count(0)
    shot(page, "dashboard")

    # 退出 returns to the login page, and the dashboard is closed again.
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(f"{live_url}/login")
    expect(page.get_by_role("heading", name="登录泉汇")).to_be_visible()
    page.goto(f"{live_url}/lixia/")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_after_five_wrong_passwords_the_account_waits_a_minute(page, live_url, make_user, shot, no_reload, settle):
    make_user("lixia", "admin")
    page.goto(f"{live_url}/login")
    with no_reload(page):
        for attempt in range(5):
            page.get_by_label("用户名").fill("lixia-admin")
            page.get_by_label("密码").fill(f"wrong-guess-{attempt}")
            with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
                page.get_by_role("button", name="登录").click()
            assert answer.value.status == 422
            settle(page)
            expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确")
            expect(page.get_by_label("密码")).to_have_value("")

        # The sixth try is refused even with the right password, with a message at the top.
        page.get_by_label("用户名").fill("lixia-admin")
        page.get_by_label("密码").fill(TEST_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.locator("#messages")).to_have_text(
            re.compile("^操作太频繁[:：]这个账号或这个网络地址一分钟内输错密码的次数已到上限，请稍等一分钟再试。$"))
    expect(page).to_have_url(f"{live_url}/login")
    shot(page, "login-throttled")
