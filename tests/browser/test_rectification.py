"""规范整治 in the browser: an association reports a problem it found itself, and district
staff take the case from lead to closure on the case page, each step an htmx form; the
revocation chosen at the end takes the association off the register.

The city's catalogues and campaign and the association are made through the EntityService
in the setup; everything a user does goes through the browser. The pictures of the user
guide (docs/guide/rectification.md) are taken on the way.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from core.db import session
from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import TenantScope, tenant_by_slug, use_scope

pytestmark = pytest.mark.enable_plugins("rectification", tenants=["jinan", "lixia"])

SITUATIONS = ("出租、出借登记证书或印章", "超出章程规定的宗旨和业务范围开展活动", "拒不接受监督检查", "未按期换届")
MEASURES = (("约谈提醒", 1, "保留登记"), ("责令改正", 2, "保留登记"), ("警告", 3, "保留登记"),
            ("列入活动异常名录", 4, "保留登记"), ("限期停止活动", 5, "保留登记"), ("撤销登记", 6, "撤销"))


@pytest.fixture
def setting(app) -> dict[str, int]:
    """The city's catalogues and this year's campaign (now in its 专项摸排 phase); three
    associations of 历下区, two of them with cases that screening found, one being rectified."""
    today = dt.date.today()
    with app.app_context():
        city = tenant_by_slug(session, "jinan")
        with use_scope(session, TenantScope.of(city)):
            service = service_for(city)
            situations = {name: service.create(service.type("rectification_situation"),
                                               {"position": position, "name": name}).id
                          for position, name in enumerate(SITUATIONS, start=1)}
            for name, severity, registration in MEASURES:
                service.create(service.type("rectification_measure"),
                               {"name": name, "severity": severity, "registration": registration})
            start = today - dt.timedelta(days=40)
            phases = {}
            for n, key in enumerate(("self_check", "screening", "cross_check", "concentrated", "summary")):
                phases[f"{key}_start"] = (start + dt.timedelta(days=30 * n)).isoformat()
                phases[f"{key}_end"] = (start + dt.timedelta(days=30 * n + 29)).isoformat()
            service.create(service.type("rectification_campaign"), {
                "name": f"{today.year} 年行业协会商会规范整治专项行动", "start_on": start.isoformat(),
                "end_on": (start + dt.timedelta(days=149)).isoformat(), **phases})
            service.commit()
        lixia = tenant_by_slug(session, "lixia")
        with use_scope(session, TenantScope.of(lixia)):
            service = service_for(lixia)
            ids = {name: service.create(service.type("association"), {
                "name": name, "uscc": make("5", "1", "370102", n), "category": "行业协会"}).id
                for n, name in enumerate(("历下区软件行业协会", "历下区餐饮商会", "历下区物业管理协会"), start=1)}
            case = service.type("rectification_case")
            found = (today - dt.timedelta(days=20)).isoformat()
            leads = [service.create(case, {
                "title": title, "association": ids[association], "source": "专项摸排", "found_on": found,
                "description": "行业管理部门专项摸排发现。"})
                for association, title in (("历下区餐饮商会", "以协会名义开展评比表彰并收费"),
                                           ("历下区物业管理协会", "擅自设立分支机构"))]
            record = leads[0]
            for name, values in (("verify", {}), ("confirm", {"situation": situations[SITUATIONS[1]]}),
                                 ("rectify", {"deadline": (today + dt.timedelta(days=20)).isoformat()})):
                record = service.transition(case, record, name, record.version, values=values)
            service.commit()
    return ids


def step(page, name: str, label: str) -> None:
    """Open the 办理 form of transition ``name``, whose button says ``label``."""
    page.locator("#workflow summary", has_text=label).click()
    expect(page.locator(f'form[data-transition="{name}"]')).to_be_visible()


def submit(page, name: str, label: str) -> None:
    page.locator(f'form[data-transition="{name}"]').get_by_role("button", name=f"确认{label}").click()


def test_a_self_inspection_is_taken_from_lead_to_closure(page, live_url, sign_in, make_user, shot, no_reload,
                                                       settle, browser_events, setting):
    make_user("lixia", "association", username="ruanjian", association_id=setting["历下区软件行业协会"])
    make_user("lixia", "editor")

    # The association reports what it found itself.
    sign_in(page, "ruanjian")
    page.locator("nav#nav").get_by_role("link", name="自查自纠").click()
    expect(page.get_by_role("heading", name="填报自查自纠")).to_be_visible()
    expect(page.get_by_label("协会商会")).to_have_count(0)  # it reports for itself
    page.get_by_label("问题概述").fill("第三届理事会未按期换届")
    page.get_by_label("问题情形").select_option(label="未按期换届")
    page.get_by_label("发现日期").fill((dt.date.today() - dt.timedelta(days=30)).isoformat())
    page.get_by_label("问题描述").fill("第三届理事会任期已于上月届满,换届大会尚未召开。")
    shot(page, "rectification-self-inspection")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("state")).to_have_text("线索")
    expect(page.locator("#workflow form")).to_have_count(0)  # staff handle it from here
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login"))

    # District staff: the board, the list, the case.
    sign_in(page, "lixia-editor")
    page.locator("nav#nav").get_by_role("link", name="规范整治").click()
    expect(page.get_by_test_id("phases").locator("li.current")).to_contain_text("专项摸排")
    expect(page.get_by_test_id("board")).to_contain_text("自查自纠")
    shot(page, "rectification-board")
    page.get_by_test_id("board").locator("tr", has_text="自查自纠").get_by_role("link", name="1").first.click()
    expect(page.get_by_test_id("cases")).to_contain_text("第三届理事会未按期换届")
    page.get_by_role("link", name="第三届理事会未按期换届").click()

    step(page, "verify", "开始核查")
    submit(page, "verify", "开始核查")
    expect(page.get_by_test_id("state")).to_have_text("核查中")

    # A required choice left out: refused in place, nothing changes.
    step(page, "confirm", "认定为整治对象")
    with no_reload(page):
        page.get_by_label("问题情形").select_option("")
        submit(page, "confirm", "认定为整治对象")
        expect(page.get_by_test_id("workflow-message")).to_contain_text("「认定为整治对象」没有执行")
    expect(page.get_by_test_id("state")).to_have_text("核查中")
    page.locator('form[data-transition="confirm"]').get_by_label("问题情形").select_option(label="未按期换届")
    submit(page, "confirm", "认定为整治对象")
    expect(page.get_by_test_id("state")).to_have_text("认定为整治对象")

    step(page, "rectify", "责令整改")
    page.get_by_label("整改期限").fill((dt.date.today() - dt.timedelta(days=3)).isoformat())
    submit(page, "rectify", "责令整改")
    expect(page.get_by_test_id("state")).to_have_text("整改中")
    expect(page.get_by_test_id("overdue")).to_contain_text("已逾期 3 天")

    page.get_by_role("link", name="返回整治案件").click()
    expect(page.locator("tr.overdue")).to_contain_text("逾期 3 天")
    shot(page, "rectification-cases")
    page.get_by_role("link", name="第三届理事会未按期换届").click()

    # The measure ends the registration: the page asks first.
    step(page, "decide", "作出处理")
    page.get_by_label("处理措施").select_option(label="6. 撤销登记(协会将被撤销)")
    with browser_events.expect_dialog() as dialogs:
        submit(page, "decide", "作出处理")
        expect(page.get_by_test_id("state")).to_have_text("已处理")
    assert "协会商会的状态会随之改变" in dialogs[0]

    step(page, "close", "结案")
    page.get_by_label("结案意见").fill("撤销登记决定已送达,登记证书和印章已收缴。")
    submit(page, "close", "结案")
    expect(page.get_by_test_id("state")).to_have_text("结案")
    timeline = page.get_by_test_id("timeline")
    for label in ("登记", "开始核查", "认定为整治对象", "责令整改", "作出处理", "结案"):
        expect(timeline).to_contain_text(label)
    expect(timeline).to_contain_text("整改中 → 已处理")
    shot(page, "rectification-case")

    page.get_by_role("link", name="历下区软件行业协会").click()
    expect(page.locator("dl.record")).to_contain_text("撤销")
