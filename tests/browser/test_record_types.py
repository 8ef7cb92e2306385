"""记录类型, as the city's admin builds one and a district uses it: 重大事项报告 with five
fields, a three-state workflow and a count by month, published to the districts; lixia
files one and moves it through the workflow, giving the number of participants when it
closes the matter; the city's report counts it; the API document lists the type;
shizhong never sees lixia's report."""
import re

from playwright.sync_api import expect

IDENT = "major_report"
#: The city (济南市, tenant 1) stores the type with its owner in the name, which URLs show.
TYPE = "t1__major_report"
#: (name, label, kind, choices, required); the number of participants is known only when
#: the matter is closed, so 办结 asks for it.
FIELDS = (
    ("matter_kind", "事项类别", "单选", "重大活动\n重要人事\n其他", True),
    ("reported_on", "报告日期", "日期", None, True),
    ("content", "报告内容", "多行文本", None, True),
    ("participants", "参加人数", "整数", None, False),
)


def notice(page, text: str) -> None:
    expect(page.get_by_role("status")).to_have_text(text)


def add_field(page, settle, name: str, label: str, kind: str, choices: str | None, required: bool) -> None:
    form = page.locator("#field-form")
    form.get_by_label("字段类型").select_option(label=kind)
    settle(page)  # the form is re-rendered for the chosen kind
    form = page.locator("#field-form")
    form.get_by_label("字段名(英文标识)").fill(name)
    form.get_by_label("中文名称").fill(label)
    if choices:
        form.get_by_label("选项(每行一个)").fill(choices)
    if required:
        form.get_by_label("必填", exact=True).check()
    if kind != "多行文本":
        form.get_by_label("可筛选、排序和统计(建立索引)").check()
    form.get_by_role("button", name="添加字段").click()
    notice(page, f"添加字段「{label}」")


def add_transition(page, label: str, source: str, target: str, roles: tuple[str, ...], fields: tuple[str, ...] = ()) -> None:
    form = page.locator("#transition-form")
    form.get_by_label("操作名称").fill(label)
    form.get_by_label("执行后的状态").select_option(target)
    form.locator(f"input[name=sources][value='{source}']").check()
    for role in roles:
        form.get_by_label(role, exact=True).check()
    for field in fields:
        form.locator(f"input[name=fields][value='{field}']").check()
    form.get_by_role("button", name="添加操作").click()
    notice(page, f"添加流程操作「{label}」")


def sign_out(page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_the_city_builds_a_reporting_type_a_district_files_one_and_the_city_counts_it(
    app, page, live_url, make_user, sign_in, shot, settle, no_reload
):
    for slug in ("jinan", "lixia", "shizhong"):
        make_user(slug, "admin")

    # The city's admin builds the type.
    sign_in(page, "jinan-admin")
    page.locator("nav#nav").get_by_role("link", name="记录类型").click()
    expect(page.locator("#own-types-empty")).to_be_visible()
    form = page.locator("#new-type-form")
    form.get_by_label("类型名称").fill("重大事项报告")
    form.get_by_label("类型标识(英文)").fill(IDENT)
    form.get_by_label("标题字段的名称").fill("报告标题")
    form.get_by_role("button", name="新建").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("重大事项报告")

    # A name the type already uses is refused beside the input, in place.
    with no_reload(page):
        form = page.locator("#field-form")
        form.get_by_label("字段名(英文标识)").fill("title")
        form.get_by_label("中文名称").fill("另一个标题")
        form.get_by_role("button", name="添加字段").click()
        expect(page.locator("#field-form [data-error=name]")).to_have_text("字段名 title 已被系统字段「报告标题」使用")
    expect(page.locator("#field-form")).to_have_count(1)
    for name, label, kind, choices, required in FIELDS:
        add_field(page, settle, name, label, kind, choices, required)
    expect(page.locator("#type-fields tbody tr")).to_have_count(5)

    states = page.locator("#states-form")
    states.get_by_label("状态(每行一个,第一个为初始状态)").fill("已报送\n审核中\n已办结")
    states.get_by_label("结束状态(可不填,多个用顿号分隔)").fill("已办结")
    states.get_by_role("button", name="保存状态").click()
    notice(page, "设置流程状态:已报送、审核中、已办结")
    add_transition(page, "受理", "已报送", "审核中", ("管理员", "编辑"))
    add_transition(page, "办结", "审核中", "已办结", ("管理员",), fields=("participants",))
    expect(page.get_by_text("需填写:参加人数")).to_be_visible()

    # A field is edited on its own page and moved up one place; its name and kind stay.
    page.locator("#type-fields tr[data-field=participants]").get_by_role("link", name="修改").click()
    edit = page.locator("#field-edit-form")
    expect(page.get_by_text("字段名 participants 和字段类型「整数」创建后不能修改")).to_be_visible()
    edit.get_by_label("中文名称").fill("参会人数")
    shot(page, "record-type-field-edit")
    edit.get_by_role("button", name="保存字段").click()
    notice(page, "修改字段「参会人数」")
    page.get_by_role("button", name="上移 参会人数").click()
    notice(page, "上移字段「参会人数」")
    expect(page.locator("#type-fields tbody tr").nth(3)).to_have_attribute("data-field", "participants")

    report = page.locator("#report-form")
    report.get_by_label("报表名称").fill("重大事项按月统计")
    report.get_by_label("分组").select_option(label="按填报月份")
    report.get_by_label("图表").select_option(label="柱状图")
    report.get_by_role("button", name="添加报表").click()
    notice(page, "添加报表「重大事项按月统计」")

    page.get_by_role("button", name="发布到下级单位").click()
    notice(page, "发布到下级单位")
    expect(page.locator("#publish-state")).to_contain_text("已发布")
    shot(page, "record-type-builder")
    page.get_by_role("link", name="版本记录").click()
    expect(page.locator("#versions tbody tr")).to_have_count(12)
    shot(page, "record-type-versions")
    sign_out(page)

    # lixia files one and moves it through the workflow.
    sign_in(page, "lixia-admin")
    page.locator("nav#nav").get_by_role("link", name="重大事项报告").click()
    expect(page.get_by_text("还没有重大事项报告。")).to_be_visible()
    page.get_by_role("link", name="新建第一条").click()
    page.locator("#f-title").fill("关于召开年度会员大会的报告")
    page.locator("#f-matter_kind").select_option("重大活动")
    page.locator("#f-reported_on").fill("2026-11-20")
    page.locator("#f-content").fill("拟于12月召开会员大会,约120人参加。")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("state")).to_have_text("已报送")
    page.locator("#workflow").get_by_role("button", name="受理").click()
    expect(page.get_by_test_id("state")).to_have_text("审核中")

    # 办结 asks for the number of participants: sent empty, it is refused beside the input, in place.
    workflow = page.locator("#workflow")
    workflow.get_by_role("button", name="办结").click()
    with no_reload(page):
        workflow.get_by_role("button", name="确认办结").click()
        expect(workflow.get_by_test_id("workflow-message")).to_contain_text("「办结」没有执行")
        expect(workflow.locator("#t-step_2-participants")).to_have_attribute("aria-invalid", "true")
        expect(workflow.locator("#t-step_2-participants ~ small.error")).to_have_text("此项必填")
    expect(page.get_by_test_id("state")).to_have_text("审核中")
    shot(page, "record-type-transition-fields")
    workflow.get_by_label("参会人数").fill("120")
    workflow.get_by_role("button", name="确认办结").click()
    expect(page.get_by_test_id("state")).to_have_text("已办结")
    record = page.locator("dl.record")
    expect(record.locator("dt", has_text="参会人数").locator("xpath=following-sibling::dd[1]")).to_have_text("120")
    expect(page.get_by_test_id("workflow-history").locator("tbody tr").first).to_contain_text("办结")
    history = page.locator("table.history").last
    expect(history.locator("tbody tr").first).to_contain_text("办结")
    history.locator("tbody tr").first.get_by_role("link", name="查看改动").click()
    expect(page.locator("#diff")).to_contain_text("120")
    shot(page, "record-type-record")
    sign_out(page)

    # shizhong uses the same type but never sees lixia's report.
    sign_in(page, "shizhong-admin")
    page.goto(f"{live_url}/shizhong/entities/{TYPE}/")
    expect(page.get_by_text("还没有重大事项报告。")).to_be_visible()
    expect(page.get_by_text("关于召开年度会员大会的报告")).to_have_count(0)
    sign_out(page)

    # The city's report counts lixia's record in this month.
    sign_in(page, "jinan-admin")
    page.goto(f"{live_url}/jinan/reports/{TYPE}.report_1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("重大事项按月统计")
    row = page.locator("table tbody tr").filter(has_text=re.compile(r"^\s*\d{4}-\d{2}"))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("1")
    shot(page, "record-type-report")

    document = page.request.get(f"{live_url}/api/openapi.json").json()
    assert f"/api/v1/{{tenant}}/entities/{TYPE}" in document["paths"]
    assert "T1_MajorReport" in document["components"]["schemas"]
