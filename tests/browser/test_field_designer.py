"""字段设计, as city and district admins use it: a field added in the designer is on the
record form at once, checked as the user leaves it; a district's field stays in that
district, and a field the city adds appears in every district."""
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from core.entities.uscc import make

PRESIDENT_PHONE_MESSAGE = "请输入手机号(11 位,1 开头)或座机号(如 0531-86123456)"


def open_designer(page, type_label: str) -> None:
    page.locator("nav#nav").get_by_role("link", name="字段设计").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r" · 字段设计$"))
    page.locator("tr").filter(has_text=type_label).get_by_role("link", name="设计字段").click()
    expect(page.get_by_role("heading", name=f"{type_label} · 字段设计")).to_be_visible()


def add_field(page, settle, no_reload, *, name: str, label: str, kind: str, required: bool = False) -> None:
    """Fill in 「添加字段」 as an admin does: the kind first (the form adapts to it), then the rest."""
    form = page.locator("#field-form")
    form.get_by_label("字段类型").select_option(label=kind)
    settle(page)  # the form is re-rendered for the chosen kind
    form = page.locator("#field-form")
    form.get_by_label("字段名(英文标识)").fill(name)
    form.get_by_label("中文名称").fill(label)
    if required:
        form.get_by_label("必填", exact=True).check()
    with no_reload(page):
        form.get_by_role("button", name="添加字段").click()
        expect(page.get_by_role("status")).to_have_text(f"已添加字段「{label}」")


def open_new_association_form(page, live_url, slug: str) -> None:
    page.goto(f"{live_url}/{slug}/entities/association/new")
    expect(page.get_by_role("heading", name="新建协会商会")).to_be_visible()


def sign_out(page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_a_district_field_is_on_its_form_at_once_and_checked_beside_the_input(
    app, page, live_url, make_user, sign_in, shot, no_reload, settle, tmp_path
):
    make_user("lixia", "admin")
    make_user("shizhong", "admin")
    sign_in(page, "lixia-admin")
    open_designer(page, "协会商会")
    expect(page.locator("#system-fields tr[data-field=uscc]")).to_contain_text("统一社会信用代码")
    expect(page.locator("#own-fields-empty")).to_have_text("本单位还没有添加字段。")

    add_field(page, settle, no_reload, name="president_phone", label="会长手机号", kind="电话", required=True)
    row = page.locator("#own-fields tr[data-field=president_phone]")
    expect(row).to_contain_text("会长手机号")
    expect(row).to_contain_text("电话")
    expect(row.get_by_role("cell", name="是", exact=True)).to_be_visible()  # 必填
    shot(page, "fields")

    # The form shows the new field at once, marked required.
    open_new_association_form(page, live_url, "lixia")
    phone = page.locator("#f-president_phone")
    expect(page.locator("label[for=f-president_phone]")).to_have_text("会长手机号 *")

    # 12345 is refused beside the field as soon as the user leaves it; the page stays.
    page.locator("#f-name").fill("历下区软件行业协会")
    with no_reload(page):
        phone.fill("12345")
        phone.blur()
        expect(page.locator("#errors-president_phone")).to_have_text(PRESIDENT_PHONE_MESSAGE)
    # The other fields the user has not reached yet say nothing.
    expect(page.locator("#errors-uscc")).to_have_text("")
    shot(page, "record-form-invalid")

    # A real mobile number clears the message, and the record saves with it.
    with no_reload(page):
        phone.fill("13905310000")
        phone.blur()
        expect(page.locator("#errors-president_phone")).to_have_text("")
    page.locator("#f-uscc").fill(make("5", "1", "370102", 1))
    page.locator("#f-category").select_option("行业协会")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区软件行业协会")
    record = page.locator("dl.record")
    expect(record).to_contain_text("会长手机号")
    expect(record).to_contain_text("13905310000")

    # 历下区's Excel template has the column, required.
    page.goto(f"{live_url}/lixia/entities/association/excel/")
    with page.expect_download() as downloading:
        page.get_by_test_id("download-template").click()
    template = tmp_path / "template.xlsx"
    downloading.value.save_as(template)
    header = [cell.value for cell in load_workbook(template)["协会商会"][1]]
    assert header[-1] == "*会长手机号"

    # 市中区 has not added it: its form does not have the field.
    sign_out(page)
    sign_in(page, "shizhong-admin")
    open_new_association_form(page, live_url, "shizhong")
    expect(page.locator("#f-name")).to_be_visible()
    expect(page.locator("#f-president_phone")).to_have_count(0)
    expect(page.get_by_text("会长手机号")).to_have_count(0)


def test_a_field_the_city_adds_appears_in_every_district(page, live_url, make_user, sign_in, no_reload, settle):
    make_user("jinan", "admin")
    make_user("lixia", "admin")
    sign_in(page, "jinan-admin")
    expect(page.get_by_text("本单位(市级)添加的字段在所有区县生效。")).to_have_count(0)
    open_designer(page, "协会商会")
    expect(page.get_by_text("本单位(市级)添加的字段在所有区县生效。")).to_be_visible()
    add_field(page, settle, no_reload, name="contact_person", label="联系人", kind="单行文本")
    expect(page.locator("#own-fields tr[data-field=contact_person]")).to_contain_text("单行文本")

    # Every district's form has it, after the system fields ...
    for slug in ("lixia", "shizhong"):
        open_new_association_form(page, live_url, slug)
        expect(page.locator("label[for=f-contact_person]")).to_have_text("联系人")

    # ... and a district admin sees it in the designer as the city's, read-only.
    sign_out(page)
    sign_in(page, "lixia-admin")
    open_designer(page, "协会商会")
    inherited = page.locator("#inherited-fields tr[data-field=contact_person]")
    expect(inherited).to_contain_text("上级添加 · 济南市")
    expect(inherited.get_by_role("button")).to_have_count(0)
    expect(inherited.get_by_role("link")).to_have_count(0)
    open_new_association_form(page, live_url, "lixia")
    expect(page.locator("#f-contact_person")).to_be_visible()


def test_a_retired_field_leaves_the_form_and_comes_back_when_restored(
    page, live_url, make_user, sign_in, no_reload, settle, browser_events
):
    make_user("lixia", "admin")
    sign_in(page, "lixia-admin")
    open_designer(page, "协会商会")
    add_field(page, settle, no_reload, name="founded_year", label="成立年份", kind="整数")

    with no_reload(page):
        with browser_events.expect_dialog(accept=True) as asked:
            page.locator("#own-fields tr[data-field=founded_year]").get_by_role("button", name="停用", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("已停用字段「成立年份」,已有数据保留")
    assert "已有数据保留" in asked[0]
    expect(page.locator("#retired-fields tr[data-field=founded_year]")).to_contain_text("成立年份")
    open_new_association_form(page, live_url, "lixia")
    expect(page.locator("#f-name")).to_be_visible()
    expect(page.locator("#f-founded_year")).to_have_count(0)

    open_designer(page, "协会商会")
    with no_reload(page):
        page.locator("#retired-fields tr[data-field=founded_year]").get_by_role("button", name="恢复", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("已恢复字段「成立年份」")
    open_new_association_form(page, live_url, "lixia")
    expect(page.locator("#f-founded_year")).to_be_visible()
