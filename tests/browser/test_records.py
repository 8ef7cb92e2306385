"""协会商会名录 as district staff use it: the list (search as you type, filters, sort,
columns, paging), the detail page with its history, two people editing one record at
once, deleting to the recycle view and restoring, and Excel import and export.

Records are made through the EntityService in the tests' setup, as the platform's own
code does; only what a user does goes through the browser.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from core.db import session
from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import TenantScope, tenant_by_slug, use_scope

CATEGORIES = ("行业协会", "商会", "异地商会", "其他")


def create_associations(app, slug: str, records: list[dict]) -> list[int]:
    """Create ``records`` in ``slug`` as the platform does (validated, with revisions); their ids."""
    with app.app_context():
        tenant = tenant_by_slug(session, slug)
        with use_scope(session, TenantScope.of(tenant)):
            service = service_for(tenant)
            association = service.type("association")
            ids = [service.create(association, record).id for record in records]
            service.commit()
    return ids


def association(n: int, name: str, **extra) -> dict:
    return {"name": name, "uscc": make("5", "1", "370102", n), "category": CATEGORIES[n % 4], **extra}


@pytest.fixture
def directory(app) -> dict[str, int]:
    """历下区's directory: 60 numbered associations and two with names worth searching for."""
    records = [association(n, f"历下区第{n:02d}协会", member_count=n) for n in range(1, 61)]
    records.append(association(61, "历下区茶叶商会", category="商会", member_count=300))
    records.append(association(62, "浙江商会济南历下联络处", category="异地商会", member_count=5))
    ids = create_associations(app, "lixia", records)
    return {"first": ids[0], "tea": ids[60], "zhejiang": ids[61]}


def list_url(live_url: str, slug: str = "lixia") -> str:
    return f"{live_url}/{slug}/entities/association/"


def table_names(page) -> list[str]:
    return page.locator("#entity-table tbody tr td:first-child").all_inner_texts()


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


# --- the list ---------------------------------------------------------------------------


def test_the_list_searches_as_you_type_filters_sorts_and_pages(
    app, page, live_url, make_user, sign_in, shot, no_reload, settle, directory
):
    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.locator("nav#nav").get_by_role("link", name="协会商会名录").click()
    expect(page.get_by_role("heading", name="历下区 · 协会商会")).to_be_visible()
    rows = page.locator("#entity-table tbody tr")
    # 62 records: 50 a page, newest first, and the pager says how many there are.
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("浙江商会济南历下联络处")
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text("第 1 / 2 页,共 62 条")
    expect(page.get_by_role("columnheader")).to_have_text(
        ["名称", "统一社会信用代码", "类别", "状态", "行业管理部门", "更新时间"]
    )

    pager.get_by_role("link", name="下一页").click()
    expect(pager).to_contain_text("第 2 / 2 页,共 62 条")
    expect(rows).to_have_count(12)
    expect(rows.last).to_contain_text("历下区第01协会")
    assert query_of(page)["page"] == ["2"]

    # Search as you type: the table follows, the page stays, the address keeps the query.
    page.goto(list_url(live_url))
    search = page.get_by_role("searchbox", name="搜索")
    with no_reload(page):
        search.press_sequentially("茶叶")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("历下区茶叶商会")
    assert query_of(page)["q"] == ["茶叶"]
    expect(pager).to_have_count(0)
    with no_reload(page):
        search.fill("没有这个协会")
        expect(page.get_by_text("没有符合条件的协会商会。")).to_be_visible()
    with no_reload(page):
        search.fill("第0")
        expect(rows).to_have_count(9)

    # A filter narrows the search further; the address carries both.
    with no_reload(page):
        page.get_by_role("combobox", name="类别").select_option("商会")
        expect(rows).to_have_count(3)
    assert table_names(page) == ["历下区第09协会", "历下区第05协会", "历下区第01协会"]
    assert query_of(page)["q"] == ["第0"] and query_of(page)["category"] == ["商会"]
    shot(page, "records")

    # A reload shows the same state.
    page.reload()
    expect(page.get_by_role("searchbox", name="搜索")).to_have_value("第0")
    expect(page.get_by_role("combobox", name="类别")).to_have_value("商会")
    expect(rows).to_have_count(3)

    # Clearing both brings every record back; sorting by a column is a click on its header.
    page.goto(list_url(live_url))
    with no_reload(page):
        page.get_by_role("columnheader", name="名称").get_by_role("link").click()
        expect(page.get_by_role("columnheader", name="名称 ↑")).to_be_visible()
    assert query_of(page)["sort"] == ["name"]
    names = table_names(page)
    assert names == sorted(names) and len(names) == 50
    with no_reload(page):
        page.get_by_role("columnheader", name="名称 ↑").get_by_role("link").click()
        expect(page.get_by_role("columnheader", name="名称 ↓")).to_be_visible()
    assert query_of(page)["sort"] == ["-name"]
    names = table_names(page)
    assert names == sorted(names, reverse=True)

    # Choosing the columns: 会员数 joins the table, 行业管理部门 leaves it.
    settle(page)
    page.get_by_text("显示的列").click()
    with no_reload(page):
        page.get_by_role("checkbox", name="会员数").check()
        expect(page.get_by_role("columnheader", name="会员数")).to_be_visible()
    with no_reload(page):
        page.get_by_role("checkbox", name="行业管理部门").uncheck()
        expect(page.get_by_role("columnheader", name="行业管理部门")).to_have_count(0)
    # Sorting by the chosen column, numbers in numeric order.
    page.get_by_text("显示的列").click()  # close the menu
    with no_reload(page):
        page.get_by_role("columnheader", name="会员数").get_by_role("link").click()
        expect(page.get_by_role("columnheader", name="会员数 ↑")).to_be_visible()
    expect(rows.first).to_contain_text("历下区第01协会")
    expect(rows.nth(1)).to_contain_text("历下区第02协会")


# --- the detail page, history and two people editing at once -----------------------------


def test_the_detail_page_shows_the_record_and_what_each_edit_changed(
    app, page, live_url, make_user, sign_in, shot, no_reload, directory
):
    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(list_url(live_url))
    page.get_by_role("searchbox", name="搜索").press_sequentially("茶叶")
    expect(page.locator("#entity-table tbody tr")).to_have_count(1)
    page.get_by_role("link", name="历下区茶叶商会").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区茶叶商会")

    page.get_by_role("button", name="修改", exact=True).click()
    expect(page.get_by_role("heading", name="修改协会商会")).to_be_visible()
    page.locator("#f-member_count").fill("320")
    page.locator("#f-industry_department").fill("区商务局")
    page.locator("#f-tags").fill("茶产业、老字号")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区茶叶商会")
    record = page.locator("dl.record")
    expect(record).to_contain_text("320")
    expect(record).to_contain_text("茶产业、老字号")

    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("修改")
    expect(history.nth(0)).to_contain_text("lixia-editor")
    expect(history.nth(1)).to_contain_text("新建")
    with no_reload(page):
        history.nth(0).get_by_role("link", name="查看改动").click()
        diff = page.locator("#diff table.diff")
        expect(diff.locator("tbody tr")).to_have_count(3)
    expect(diff.get_by_role("row").filter(has_text="会员数")).to_contain_text("300")
    expect(diff.get_by_role("row").filter(has_text="会员数")).to_contain_text("320")
    expect(diff.get_by_role("row").filter(has_text="行业管理部门")).to_contain_text("区商务局")
    shot(page, "record-detail")


def second_browser(_chromium, browser_events):
    """Another person's browser: a context of its own (its own cookies), watched like ``page``."""
    context = _chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    other = context.new_page()
    other.on("dialog", browser_events.on_dialog)
    other.on("pageerror", browser_events.on_page_error)
    return context, other


def edit_in_both(page, other, edit_url: str) -> None:
    """Both open the edit form; ``page`` saves 会员数 350 first, then ``other`` changes
    会员数 to 280 and adds an address, on the version it read (not saved yet)."""
    page.goto(edit_url)
    other.goto(edit_url)
    expect(other.locator("#f-member_count")).to_have_value("300")
    page.locator("#f-member_count").fill("350")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区茶叶商会")
    expect(page.locator("dl.record")).to_contain_text("350")
    other.locator("#f-member_count").fill("280")
    other.locator("#f-address").fill("历下区泉城路 1 号")


def test_a_save_after_someone_else_changed_other_fields_keeps_both_changes(
    app, _chromium, page, browser_events, live_url, make_user, sign_in, shot, no_reload, directory
):
    make_user("lixia", "admin")
    make_user("lixia", "editor")
    edit_url = f"{live_url}/lixia/entities/association/{directory['tea']}/edit"
    sign_in(page, "lixia-admin")
    context, other = second_browser(_chromium, browser_events)
    try:
        sign_in(other, "lixia-editor")
        page.goto(edit_url)
        other.goto(edit_url)
        page.locator("#f-legal_representative").fill("李四")
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page.locator("dl.record")).to_contain_text("李四")
        # The other tab changed only the address; its form still shows the old 法定代表人.
        other.locator("#f-address").fill("历下区泉城路 1 号")
        other.get_by_role("button", name="保存", exact=True).click()
        expect(other.get_by_role("heading", level=1)).to_have_text("历下区茶叶商会")
        notice = other.get_by_test_id("notice-merged")
        expect(notice).to_contain_text("lixia-admin")
        expect(notice).to_contain_text("修改了「法定代表人」")
        record = other.locator("dl.record")
        expect(record).to_contain_text("李四")
        expect(record).to_contain_text("历下区泉城路 1 号")
        shot(other, "record-merged")
    finally:
        context.close()
    page.reload()
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("lixia-editor")


def test_fields_both_changed_are_decided_one_by_one_and_nothing_is_saved_before(
    app, _chromium, page, browser_events, live_url, make_user, sign_in, shot, no_reload, directory
):
    make_user("lixia", "admin")
    make_user("lixia", "editor")
    edit_url = f"{live_url}/lixia/entities/association/{directory['tea']}/edit"
    sign_in(page, "lixia-admin")
    context, other = second_browser(_chromium, browser_events)
    try:
        sign_in(other, "lixia-editor")
        edit_in_both(page, other, edit_url)
        with no_reload(other):
            other.get_by_role("button", name="保存", exact=True).click()
            panel = other.get_by_test_id("conflict")
            expect(panel).to_contain_text("内容已被他人修改")
        # Who changed what and when; only 会员数 is asked about, the address is kept as typed.
        expect(panel.get_by_test_id("conflict-changes")).to_contain_text(re.compile(r"lixia-admin 于 \S+ \S+ 修改了「会员数」"))
        expect(panel.get_by_test_id("conflict-mine")).to_contain_text("地址")
        rows = panel.locator("tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(re.compile(r"会员数\s*350\s*280"))
        expect(other.locator("#f-address")).to_have_value("历下区泉城路 1 号")
        shot(other, "record-conflict")
        # Saving before deciding is refused again.
        with no_reload(other):
            other.get_by_role("button", name="保存", exact=True).click()
            expect(other.get_by_test_id("conflict-undecided")).to_be_visible()
        other.get_by_role("group", name="会员数").get_by_label("保留对方").check()
        other.get_by_role("button", name="保存", exact=True).click()
        record = other.locator("dl.record")
        expect(record).to_contain_text("350")
        expect(record).to_contain_text("历下区泉城路 1 号")
        expect(record).not_to_contain_text("280")
    finally:
        context.close()
    page.reload()
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(3)
    expect(history.locator("td:nth-child(4)")).to_have_text(["修改", "修改", "新建"])


def test_a_credit_code_already_registered_is_refused_as_the_user_leaves_the_field(
    app, page, live_url, make_user, sign_in, shot, no_reload, directory
):
    create_associations(app, "shizhong", [association(90, "市中区软件行业协会")])
    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(f"{list_url(live_url)}new")
    code = page.locator("#f-uscc")
    with no_reload(page):
        code.fill(make("5", "1", "370102", 61).lower())  # 历下区茶叶商会's, typed in lower case
        code.blur()
        expect(page.locator("#errors-uscc")).to_have_text("统一社会信用代码已被本单位的另一条记录使用，不能重复")
        shot(page, "record-duplicate-code")
        # A sibling district's code: the answer says only that it is taken, not whose it is.
        code.fill(make("5", "1", "370102", 90))
        code.blur()
        expect(page.locator("#errors-uscc")).to_have_text("统一社会信用代码已被其他单位的记录使用，不能重复登记")
        code.fill(make("5", "1", "370102", 91))
        code.blur()
        expect(page.locator("#errors-uscc")).to_have_text("")


# --- delete, recycle view, restore ---------------------------------------------------------


def test_a_deleted_record_waits_in_the_recycle_view_and_comes_back_with_its_history(
    app, page, live_url, make_user, sign_in, shot, no_reload, browser_events, directory
):
    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(f"{live_url}/lixia/entities/association/{directory['zhejiang']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("浙江商会济南历下联络处")

    # Cancelling the confirmation keeps it.
    with browser_events.expect_dialog(accept=False):
        page.get_by_role("button", name="删除", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("浙江商会济南历下联络处")

    with browser_events.expect_dialog(accept=True) as asked:
        page.get_by_role("button", name="删除", exact=True).click()
    assert asked[0] == "删除「浙江商会济南历下联络处」?删除后可在回收站恢复。"
    expect(page.get_by_role("heading", name="历下区 · 协会商会")).to_be_visible()
    expect(page.get_by_role("navigation", name="分页")).to_contain_text("共 61 条")
    expect(page.get_by_role("link", name="浙江商会济南历下联络处")).to_have_count(0)

    page.get_by_role("link", name="回收站").click()
    expect(page.get_by_role("heading", name="协会商会 · 回收站")).to_be_visible()
    deleted = page.get_by_role("row").filter(has_text="浙江商会济南历下联络处")
    expect(deleted).to_be_visible()
    shot(page, "recycle")

    deleted.get_by_role("button", name="恢复", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("浙江商会济南历下联络处")
    history = page.locator("table.history tbody tr")
    expect(history.locator("td:nth-child(4)")).to_have_text(["恢复", "删除", "新建"])

    page.get_by_role("link", name="返回协会商会").click()
    expect(page.get_by_role("navigation", name="分页")).to_contain_text("共 62 条")
    page.get_by_role("link", name="回收站").click()
    expect(page.get_by_text("回收站是空的。")).to_be_visible()


def test_deleting_a_record_someone_has_just_changed_is_refused(
    app, page, live_url, make_user, sign_in, browser_events, directory
):
    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(f"{live_url}/lixia/entities/association/{directory['tea']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区茶叶商会")

    # Meanwhile someone else changes it.
    with app.app_context():
        tenant = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(tenant)):
            service = service_for(tenant)
            association_type = service.type("association")
            record = service.get(association_type, directory["tea"])
            service.update(association_type, record, {"member_count": 310}, record.version)
            service.commit()

    with browser_events.expect_dialog(accept=True):
        page.get_by_role("button", name="删除", exact=True).click()
    expect(page.get_by_text("记录在您查看之后被修改过,请刷新后再决定是否删除。")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("历下区茶叶商会")
    expect(page.locator("dl.record")).to_contain_text("310")
    expect(page.locator("table.history tbody tr td:nth-child(4)")).to_have_text(["修改", "新建"])


# --- Excel ------------------------------------------------------------------------------------


def test_excel_import_names_the_bad_row_writes_nothing_and_then_imports_the_fixed_file(
    app, page, live_url, make_user, sign_in, shot, no_reload, settle, tmp_path
):
    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(f"{live_url}/lixia/entities/association/excel/")
    expect(page.get_by_role("heading", name="历下区 · 协会商会 · Excel 导入导出")).to_be_visible()

    # The template: an xlsx whose first sheet has the Chinese column names, required ones starred.
    with page.expect_download() as downloading:
        page.get_by_test_id("download-template").click()
    download = downloading.value
    assert download.suggested_filename == "协会商会-导入模板.xlsx"
    template = tmp_path / "template.xlsx"
    download.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook["协会商会"]
    header = [cell.value for cell in sheet[1]]
    assert header[:6] == ["*名称", "*统一社会信用代码", "*类别", "状态", "业务主管单位", "行业管理部门"]
    assert "会员数" in header and "标签" in header
    assert workbook.sheetnames[:2] == ["协会商会", "填写说明"]

    # Three rows filled in; the third has a credit code with a wrong check character.
    column = {name.lstrip("*"): index + 1 for index, name in enumerate(header)}
    good_code = make("5", "1", "370102", 903)
    bad_code = good_code[:17] + ("0" if good_code[17] != "0" else "1")
    rows = [
        ("历下区文化创意产业协会", make("5", "1", "370102", 901), "行业协会", 45),
        ("历下区餐饮商会", make("5", "1", "370102", 902), "商会", 120),
        ("历下区物业管理协会", bad_code, "行业协会", 80),
    ]
    for offset, (name, code, category, members) in enumerate(rows, start=2):
        sheet.cell(offset, column["名称"], name)
        sheet.cell(offset, column["统一社会信用代码"], code)
        sheet.cell(offset, column["类别"], category)
        sheet.cell(offset, column["会员数"], members)
    upload = tmp_path / "名录.xlsx"
    workbook.save(upload)

    page.get_by_label("Excel 文件(.xlsx)").set_input_files(upload)
    with no_reload(page):
        page.get_by_role("button", name="开始导入").click()
        result = page.locator("#import-result")
        expect(result).to_contain_text("校验未通过,未导入任何数据。")
    expect(result).to_contain_text("共检查 3 行,其中 1 行有误")
    expect(result.get_by_role("listitem")).to_have_text([f"第 4 行「统一社会信用代码」:校验位应为 {good_code[17]},实际为 {bad_code[17]}"])
    shot(page, "excel-import")

    # Nothing was written, not even the two good rows.
    page.goto(list_url(live_url))
    expect(page.get_by_text("还没有协会商会。")).to_be_visible()

    # Fixed, the same file imports all three.
    sheet.cell(4, column["统一社会信用代码"], good_code)
    workbook.save(upload)
    page.goto(f"{live_url}/lixia/entities/association/excel/")
    page.get_by_label("Excel 文件(.xlsx)").set_input_files(upload)
    with no_reload(page):
        page.get_by_role("button", name="开始导入").click()
        expect(page.get_by_role("status")).to_contain_text("导入完成:已新增 3 条协会商会。")
    page.get_by_role("link", name="查看列表").click()
    expect(page.locator("#entity-table tbody tr")).to_have_count(3)
    for name, *_ in rows:
        expect(page.get_by_role("link", name=name)).to_be_visible()


def test_only_the_valid_rows_are_imported_when_the_user_asks_and_the_rest_come_back_as_a_workbook(
    app, page, live_url, make_user, sign_in, no_reload, tmp_path
):
    make_user("lixia", "editor")
    sign_in(page, "lixia-editor")
    page.goto(f"{live_url}/lixia/entities/association/excel/")
    with page.expect_download() as downloading:
        page.get_by_test_id("download-template").click()
    template = tmp_path / "template.xlsx"
    downloading.value.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook["协会商会"]
    sheet.append(["历下区家政服务协会", make("5", "1", "370102", 911), "行业协会"])
    sheet.append(["历下区无类别协会", make("5", "1", "370102", 912), "联合会"])
    upload = tmp_path / "部分有误.xlsx"
    workbook.save(upload)

    page.get_by_label("Excel 文件(.xlsx)").set_input_files(upload)
    page.get_by_label("只导入通过校验的行").check()
    with no_reload(page):
        page.get_by_role("button", name="开始导入").click()
        result = page.locator("#import-result")
        expect(result).to_contain_text("已新增 1 条协会商会;1 行没有通过校验,未导入。")
    expect(result.get_by_role("listitem")).to_have_text([re.compile(r"^第 3 行「类别」:请从以下选项中选择")])

    with page.expect_download() as downloading:
        page.get_by_test_id("download-errors").click()
    errors = tmp_path / "errors.xlsx"
    downloading.value.save_as(errors)
    refused = load_workbook(errors).active
    assert [cell.value for cell in refused[1]][-1] == "错误原因"
    assert refused.max_row == 2 and refused.cell(2, 1).value == "历下区无类别协会"

    page.goto(list_url(live_url))
    expect(page.locator("#entity-table tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="历下区家政服务协会")).to_be_visible()
