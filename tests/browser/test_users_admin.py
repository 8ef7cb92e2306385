"""用户管理 and 审计日志, as a district admin sees them."""
from playwright.sync_api import expect

from core.testing import TEST_PASSWORD


def test_a_district_admin_creates_a_user_after_the_password_is_refused(
    page, live_url, make_user, sign_in, shot, no_reload, browser_events, settle
):
    make_user("lixia", "admin")
    sign_in(page, "lixia-admin")
    page.locator("nav#nav").get_by_role("link", name="用户").click()
    expect(page.get_by_role("heading", name="历下区 · 用户")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="lixia-admin")).to_contain_text("管理员")
    expect(page.get_by_text("至少 12 个字符,不能是常见密码")).to_be_visible()

    # A short password is refused next to the password field; what was typed stays.
    page.get_by_label("用户名").fill("lixia-wangmin")
    page.get_by_label("姓名").fill("王敏")
    page.get_by_label("角色").select_option(label="编辑")
    page.get_by_label("初始密码").fill("short-pw")
    with no_reload(page):
        page.get_by_role("button", name="创建").click()
        password_error = page.locator("#err-password")
        expect(password_error).to_have_text("密码至少需要 12 个字符")
    password = page.get_by_label("初始密码")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", "err-password")
    expect(password).to_have_value("")
    expect(page.get_by_label("用户名")).to_have_value("lixia-wangmin")
    expect(page.get_by_label("姓名")).to_have_value("王敏")
    expect(page.get_by_label("角色")).to_have_value("editor")
    expect(page.get_by_role("row").filter(has_text="lixia-wangmin")).to_have_count(0)
    shot(page, "users-invalid")

    # A common password is refused too.
    password.fill("password1234")
    page.get_by_role("button", name="创建").click()
    expect(page.locator("#err-password")).to_have_text("这是常见密码,请换一个")
    settle(page)

    # A good password creates the user, who shows in the table.
    page.get_by_label("初始密码").fill("Quanquan-Lixia-2026!")
    with no_reload(page):
        page.get_by_role("button", name="创建").click()
        expect(page.get_by_role("status")).to_have_text("已创建用户 lixia-wangmin")
    new_row = page.get_by_role("row").filter(has_text="lixia-wangmin")
    expect(new_row).to_contain_text("王敏")
    expect(new_row).to_contain_text("编辑")
    expect(new_row).to_contain_text("正常")
    expect(page.get_by_label("用户名")).to_have_value("")
    shot(page, "users")

    # Deactivating asks first; the user stays in the table as 已停用 and can be restored.
    with no_reload(page):
        with browser_events.expect_dialog(accept=True) as asked:
            new_row.get_by_role("button", name="停用").click()
        expect(new_row).to_contain_text("已停用")
        expect(new_row.get_by_role("button", name="恢复")).to_be_visible()
    assert "停用用户 lixia-wangmin" in asked[0] and "无法登录" in asked[0]
    # Nobody can deactivate themselves: their own row has no button.
    expect(page.get_by_role("row").filter(has_text="lixia-admin").get_by_role("button")).to_have_count(0)


def test_the_audit_log_shows_sign_ins_and_failures(page, live_url, make_user, sign_in, shot):
    make_user("lixia", "admin")
    page.goto(f"{live_url}/login")
    page.get_by_label("用户名").fill("lixia-admin")
    page.get_by_label("密码").fill("a-wrong-guess")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确")
    sign_in(page, "lixia-admin", TEST_PASSWORD)

    page.locator("nav#nav").get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("heading", name="历下区 · 审计日志")).to_be_visible()
    rows = page.locator("#audit-table tbody tr")
    # Newest first: the sign-in, then the failed attempt before it, each with the account and IP.
    expect(rows.locator("td[title]")).to_have_text(["登录", "登录失败"])
    expect(rows.nth(0)).to_contain_text("lixia-admin")
    expect(rows.nth(1)).to_contain_text("lixia-admin")
    expect(rows.nth(1)).to_contain_text("127.0.0.1")
    shot(page, "audit")

    # Choosing an action filters the table in place and puts the filter in the address.
    page.get_by_label("操作").select_option("auth.login_failed")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("登录失败")
    expect(page).to_have_url(f"{live_url}/lixia/admin/audit?action=auth.login_failed")
