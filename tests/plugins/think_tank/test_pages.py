"""The think_tank pages as their users see them.

* 会企之声 inbox: states with counts, filters, paging; a row's 「办理」 opens a side panel
  where staff route a suggestion to a department, answer it and mark it 已采纳 or 未采纳,
  each through the workflow (who may, from which state, what must be filled, 409 on a
  stale panel); a plain form post works as well.
* Attachments: a suggestion's file and an industry report's file, uploaded and downloaded.
* The topic board by year and state, with the city's calls for topics that districts read.
* The report library by year with its downloads; the proposal ledger with its totals.
"""
from __future__ import annotations

import io
import re

import pytest

from core.entities import service_for
from core.tenancy import TenantScope, use_scope

pytestmark = pytest.mark.enable_plugins("think_tank", tenants=["jinan", "lixia", "shizhong"])
HX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def panel_action(panel: str, name: str) -> str:
    found = re.search(rf'action="([^"]+/act/{name})"', panel)
    assert found, f"no {name} button in the panel"
    return found.group(1)


def version_in(panel: str) -> str:
    return re.search(r'name="version" value="(\d+)"', panel).group(1)


# the inbox and its panel -------------------------------------------------------


def test_the_inbox_counts_states_and_filters_by_state_and_category(login_client, directory):
    staff = login_client("lixia", "viewer")
    page = staff.get("/lixia/think_tank/suggestions/").get_data(as_text=True)
    assert re.search(r'data-testid="count-已提交">2<', page)
    assert "软件协会会员企业融资难" in page and "餐饮商会会员企业融资难" in page
    assert "物流协会" not in page
    assert "没有符合条件的建议" in staff.get("/lixia/think_tank/suggestions/?stage=已答复").get_data(as_text=True)
    assert "没有符合条件的建议" in staff.get("/lixia/think_tank/suggestions/?category=人才引进").get_data(as_text=True)
    table = staff.get("/lixia/think_tank/suggestions/?category=融资服务",
                      headers={**HX, "HX-Target": "inbox-table"}).get_data(as_text=True)
    assert table.lstrip().startswith('<div id="inbox-table">') and "软件协会会员企业融资难" in table


def test_the_inbox_pages_by_twenty(app, db_session, tenant, login_client, directory):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        for n in range(21):
            service.create(service.type("suggestion"), {
                "title": f"关于第{n}号问题的建议", "association": directory["软件协会"], "category": "其他",
                "submitted_on": "2025-06-01", "content": "内容。"})
        service.commit()
    staff = login_client("lixia", "viewer")
    first = staff.get("/lixia/think_tank/suggestions/").get_data(as_text=True)
    assert "第 1 / 2 页,共 23 条" in first and "关于第20号问题的建议" in first
    second = staff.get("/lixia/think_tank/suggestions/?page=2").get_data(as_text=True)
    assert "关于第20号问题的建议" not in second and "餐饮商会会员企业融资难" in second
    oldest_first = staff.get("/lixia/think_tank/suggestions/?sort=id").get_data(as_text=True)
    assert oldest_first.index("软件协会会员企业融资难") < oldest_first.index("关于第0号问题的建议")


def test_staff_route_answer_and_adopt_from_the_panel(login_client, directory):
    editor = login_client("lixia", "editor")
    number = directory["软件协会建议"]
    panel = editor.get(f"/lixia/think_tank/suggestions/{number}", headers=HX).get_data(as_text=True)
    assert panel.lstrip().startswith('<aside id="panel"') and "会员企业反映贷款难、贷款贵。" in panel
    assert '<option value="市地方金融监管局">' in panel  # the city's list of departments

    empty = editor.post(panel_action(panel, "assign"), data={"version": version_in(panel), "department": ""}, headers=HX)
    assert empty.status_code == 422 and "「分办」没有执行" in empty.get_data(as_text=True)

    routed = editor.post(panel_action(panel, "assign"), data={"version": version_in(panel), "department": "区金融办"},
                         headers={**HX, "HX-Current-URL": "http://localhost/lixia/think_tank/suggestions/?stage=已提交"})
    assert routed.status_code == 200
    text = routed.get_data(as_text=True)
    assert "已分办:现为「已分办」" in text
    assert f'<tr id="s-{number}" hx-swap-oob="true">' in text and "区金融办" in text  # the row changes too
    tabs = text[text.index('<nav id="state-tabs"'):]
    assert 'hx-swap-oob="true"' in tabs and 'aria-current="page">已提交 <small data-testid="count-已提交">1<' in tabs

    handled = editor.post(panel_action(text, "handle"), data={"version": version_in(text)}, headers=HX)
    text = handled.get_data(as_text=True)
    short = editor.post(panel_action(text, "answer"), data={"version": version_in(text), "reply": "已收到"}, headers=HX)
    assert short.status_code == 422 and "答复内容至少 10 个字" in short.get_data(as_text=True)
    assert "已收到</textarea>" in short.get_data(as_text=True)  # what was typed stays
    reply = "已协调三家银行推出专项信贷产品,并建立常态化对接机制。"
    answered = editor.post(panel_action(text, "answer"), data={"version": version_in(text), "reply": reply}, headers=HX)
    text = answered.get_data(as_text=True)
    assert "现为「已答复」" in text and reply in text
    adopted = editor.post(panel_action(text, "adopt"), data={"version": version_in(text)}, headers=HX)
    text = adopted.get_data(as_text=True)
    assert 'data-testid="panel-state">已采纳<' in text and "/act/" not in text  # 已采纳 is final
    assert "分办" in text and "答复" in text and "采纳" in text  # the history in the panel


def test_declining_needs_a_reason(login_client, directory, app, db_session, tenant):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        kind = service.type("suggestion")
        record = service.get(kind, directory["餐饮商会建议"])
        for name, values in (("assign", {"department": "区商务局"}), ("handle", {}),
                             ("answer", {"reply": "经研究,相关政策已于今年出台。"})):
            record = service.transition(kind, record, name, record.version, values=values)
        service.commit()
    editor = login_client("lixia", "editor")
    panel = editor.get(f"/lixia/think_tank/suggestions/{record.id}", headers=HX).get_data(as_text=True)
    refused = editor.post(panel_action(panel, "decline"), data={"version": version_in(panel)}, headers=HX)
    assert refused.status_code == 422 and "请填写原因" in refused.get_data(as_text=True)
    declined = editor.post(panel_action(panel, "decline"), data={"version": version_in(panel), "reason": "现行政策已覆盖"},
                           headers=HX)
    assert 'data-testid="panel-state">未采纳<' in declined.get_data(as_text=True)


def test_a_stale_panel_gets_409_and_the_current_state(login_client, directory):
    first, second = login_client("lixia", "editor"), login_client("lixia", "admin")
    url = f"/lixia/think_tank/suggestions/{directory['软件协会建议']}"
    panel = first.get(url, headers=HX).get_data(as_text=True)
    assert second.post(panel_action(panel, "assign"), data={"version": "1", "department": "区金融办"},
                       headers=HX).status_code == 200
    stale = first.post(panel_action(panel, "assign"), data={"version": "1", "department": "区商务局"}, headers=HX)
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "已被他人办理(现为「已分办」)" in text and "「分办」没有执行" in text


def test_the_panel_works_without_htmx(login_client, directory):
    editor = login_client("lixia", "editor")
    url = f"/lixia/think_tank/suggestions/{directory['软件协会建议']}"
    page = editor.get(url).get_data(as_text=True)
    assert "<table id=\"suggestions\"" in page and '<aside id="panel"' in page  # the inbox with the panel open
    posted = editor.post(panel_action(page, "assign"), data={"version": "1", "department": "区金融办"})
    assert posted.status_code == 303 and posted.location.endswith(url)
    refused = editor.post(f"{url}/act/handle", data={"version": "1"})
    assert refused.status_code == 409


def test_who_may_act_in_the_panel(login_client, software_account, directory):
    viewer = login_client("lixia", "viewer")
    url = f"/lixia/think_tank/suggestions/{directory['软件协会建议']}"
    panel = viewer.get(url, headers=HX).get_data(as_text=True)
    assert "/act/" not in panel  # viewers read, they do not route
    refused = viewer.post(f"{url}/act/assign", data={"version": "1", "department": "区金融办"})
    assert refused.status_code == 403 and "您的角色不能执行「分办」" in refused.get_data(as_text=True)
    admin = login_client("lixia", "admin")
    log = admin.get("/lixia/admin/audit?action=auth.denied").get_data(as_text=True)
    assert log.count("reason=您的角色不能执行「分办」") == 1  # the refusal is logged, once
    own = software_account.get(url, headers=HX).get_data(as_text=True)
    assert "会员企业反映贷款难" in own and "/act/" not in own
    assert software_account.post(f"{url}/act/assign", data={"version": "1", "department": "区金融办"}).status_code == 403
    other = f"/lixia/think_tank/suggestions/{directory['餐饮商会建议']}"
    assert software_account.get(other).status_code == 404
    assert login_client("lixia", "editor").post(f"{url}/act/nothing", data={"version": "1"}).status_code == 404
    shizhong = f"/lixia/think_tank/suggestions/{directory['物流协会建议']}"
    assert admin.get(shizhong).status_code == 404  # another tenant's: 404
    assert login_client("shizhong", "admin").get(url).status_code == 404


# attachments -------------------------------------------------------------------


def test_a_suggestion_is_filed_with_its_attachment(software_account, directory):
    form = software_account.get("/lixia/think_tank/suggestions/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="attachment"' in form
    filed = software_account.post("/lixia/entities/suggestion/", data={
        "title": "关于软件企业研发费用加计扣除的建议", "category": "政策落实", "submitted_on": "2025-04-01",
        "content": "申报流程复杂。", "attachment": (io.BytesIO(PDF), "调研材料.pdf")}, content_type="multipart/form-data")
    assert filed.status_code == 303
    number = int(filed.location.rsplit("/", 1)[1])
    panel = software_account.get(f"/lixia/think_tank/suggestions/{number}", headers=HX).get_data(as_text=True)
    assert "调研材料.pdf" in panel
    download = software_account.get(f"/lixia/entities/suggestion/{number}/files/attachment")
    assert download.status_code == 200 and download.data == PDF
    refused = software_account.post("/lixia/entities/suggestion/", data={
        "title": "另一条", "category": "其他", "submitted_on": "2025-04-01", "content": "内容",
        "attachment": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "不支持这种文件类型:.exe" in refused.get_data(as_text=True)


def test_the_report_library_lists_years_and_downloads(login_client):
    editor = login_client("lixia", "editor")
    for year, title, upload in ((2024, "2024年软件行业发展报告", None),
                                (2025, "2025年软件行业发展报告", (io.BytesIO(PDF), "软件行业2025.pdf"))):
        data = {"title": title, "year": str(year)}
        if upload:
            data["file"] = upload
        assert editor.post("/lixia/entities/industry_report/", data=data,
                           content_type="multipart/form-data").status_code == 303
    library = editor.get("/lixia/think_tank/library/").get_data(as_text=True)
    assert library.index("2025年软件行业发展报告") < library.index("2024年软件行业发展报告")
    assert "软件行业2025.pdf" in library and "未上传" in library
    assert re.search(r"2025 年 <small>1</small>", library)
    only_2024 = editor.get("/lixia/think_tank/library/?year=2024").get_data(as_text=True)
    assert "2024年软件行业发展报告" in only_2024 and "2025年软件行业发展报告" not in only_2024
    link = re.search(r'href="([^"]+/files/file)"', library).group(1)
    assert editor.get(link).data == PDF
    assert "2023 年还没有行业发展报告" in editor.get("/lixia/think_tank/library/?year=2023").get_data(as_text=True)


# topics and calls --------------------------------------------------------------


def test_the_topic_board_shows_a_year_in_columns_by_state(login_client):
    city = login_client("jinan", "admin")
    for year, title in ((2025, "民营经济研究"), (2025, "基层治理研究"), (2024, "往年课题")):
        city.post("/jinan/entities/research_topic/", data={"year": str(year), "title": title, "is_key": "false"}, headers=HX)
    board = city.get("/jinan/think_tank/topics/").get_data(as_text=True)
    assert "研究课题 · 2025 年" in board and "民营经济研究" in board and "往年课题" not in board
    assert re.search(r'data-state="征集">\s*<h2>征集 <small class="muted">2</small>', board)
    older = city.get("/jinan/think_tank/topics/?year=2024").get_data(as_text=True)
    assert "往年课题" in older and "民营经济研究" not in older
    assert "2030 年还没有研究课题" in city.get("/jinan/think_tank/topics/?year=2030").get_data(as_text=True)


def test_districts_read_the_citys_calls_and_answer_them_with_topics(login_client, app, db_session, tenant):
    city = login_client("jinan", "editor")
    created = city.post("/jinan/entities/research_call/", data={
        "year": "2025", "title": "2025年度商协会发展研究课题征集", "deadline": "2025-04-30",
        "content": "围绕民营经济、基层治理等方向征集课题。"})
    assert created.status_code == 303
    call = int(created.location.rsplit("/", 1)[1])
    district = login_client("lixia", "editor")
    listing = district.get("/lixia/entities/research_call/").get_data(as_text=True)
    assert "2025年度商协会发展研究课题征集" in listing
    detail = district.get(f"/lixia/entities/research_call/{call}")
    assert detail.status_code == 200 and f"/lixia/entities/research_call/{call}/edit" not in detail.get_data(as_text=True)
    changed = district.post(f"/lixia/entities/research_call/{call}", data={"title": "改掉", "year": "2025",
                                                                         "content": "x", "version": "1"})
    assert changed.status_code in (403, 404)
    answered = district.post("/lixia/entities/research_topic/", data={
        "year": "2025", "title": "历下区商圈协会研究", "is_key": "false", "call": str(call)}, headers=HX)
    assert answered.status_code == 204
    board = district.get("/lixia/think_tank/topics/?year=2025").get_data(as_text=True)
    assert "2025年度商协会发展研究课题征集" in board and "(上级发布)" in board and "历下区商圈协会研究" in board
    assert city.post("/jinan/entities/research_topic/", data={
        "year": "2025", "title": "市级基层治理课题", "is_key": "false"}, headers=HX).status_code == 204
    found = district.get("/lixia/think_tank/search", query_string={"q": "基层治理"}).get_data(as_text=True)
    assert "2025年度商协会发展研究课题征集" in found  # the city's call, found from lixia
    assert "市级基层治理课题" not in found  # but not the city's own topics
    sibling = login_client("shizhong", "editor").get("/jinan/entities/research_call/")
    assert sibling.status_code == 404


# the proposal ledger -----------------------------------------------------------


def test_the_proposal_ledger_filters_and_totals(login_client):
    editor = login_client("lixia", "editor")
    for title, body, level, year, adopted in (
        ("关于支持软件产业的建议", "人大", "市级", 2025, True), ("关于餐饮业纾困的提案", "政协", "市级", 2025, True),
        ("关于人才公寓的提案", "政协", "区县级", 2024, False), ("关于停车难的建议", "人大", "区县级", 2025, False),
    ):
        assert editor.post("/lixia/entities/proposal/", data={
            "title": title, "person": "王建国", "body": body, "level": level, "year": str(year),
            "adopted": "true" if adopted else "false"}, headers=HX).status_code == 204
    ledger = editor.get("/lixia/think_tank/proposals/").get_data(as_text=True)
    totals = re.sub(r"\s+", "", ledger[ledger.index('id="totals"'):ledger.index("</table>", ledger.index('id="totals"'))])
    assert "人大</th><td>1</td><td>1</td><td>2</td>" in totals
    assert "政协</th><td>1</td><td>1</td><td>2</td>" in totals
    assert "合计</th><td>2</td><td>2</td><td>4</td>" in totals
    adopted_2025 = editor.get("/lixia/think_tank/proposals/?adopted=是&year=2025").get_data(as_text=True)
    assert "关于支持软件产业的建议" in adopted_2025 and "关于停车难的建议" not in adopted_2025
    assert "关于人才公寓的提案" not in adopted_2025
    cppcc = editor.get("/lixia/think_tank/proposals/?body=政协&level=区县级").get_data(as_text=True)
    assert "关于人才公寓的提案" in cppcc and "关于餐饮业纾困的提案" not in cppcc
    assert "没有符合条件的建议提案" in editor.get("/lixia/think_tank/proposals/?year=2020").get_data(as_text=True)


def test_who_reaches_the_boards(login_client, software_account):
    viewer, sibling, elsewhere = login_client("lixia", "viewer"), login_client("shizhong", "admin"), login_client("huaiyin", "admin")
    for path in ("topics/", "library/", "proposals/", "search"):
        assert viewer.get(f"/lixia/think_tank/{path}").status_code == 200
        assert software_account.get(f"/lixia/think_tank/{path}").status_code == 200
        assert sibling.get(f"/lixia/think_tank/{path}").status_code == 404
        assert elsewhere.get(f"/huaiyin/think_tank/{path}").status_code == 404  # not enabled there
    assert viewer.get("/lixia/think_tank/static/think_tank/think_tank.css").status_code == 200
    assert elsewhere.get("/huaiyin/think_tank/static/think_tank/think_tank.css").status_code == 404


def test_the_city_cockpit_counts_the_adopted_proposals_of_every_district(login_client):
    for slug, adopted in (("jinan", ("true", "false")), ("lixia", ("true", "true")), ("shizhong", ("false",))):
        editor = login_client(slug, "editor")
        for number, flag in enumerate(adopted):
            assert editor.post(f"/{slug}/entities/proposal/", data={
                "title": f"{slug}第{number}号提案", "person": "王建国", "body": "政协", "level": "市级", "year": "2025",
                "adopted": flag}, headers=HX).status_code == 204
    city = login_client("jinan", "viewer")
    whole = city.get("/jinan/").get_data(as_text=True).split('data-plugin="think_tank"')[1].split("</article>")[0]
    assert "（全市）" in whole and 'data-testid="adopted">3<' in whole
    own = city.get("/jinan/?scope=own").get_data(as_text=True).split('data-plugin="think_tank"')[1].split("</article>")[0]
    assert "（本级）" in own and 'data-testid="adopted">1<' in own
