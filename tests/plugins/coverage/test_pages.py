"""党建覆盖的页面:看板、未覆盖名单上的就地操作、指导员工作量、党建品牌,以及谁能看、谁能做。

操作都从页面发出(htmx 请求带 ``HX-Request``,和浏览器里一样),检查的是用户看到的行、
数字和提示,以及记录是否真的经记录服务写入(有修改记录)。
"""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from core.db import session
from core.entities.models import Entity, EntityRevision
from core.tenancy import TenantScope, tenant_by_slug, use_scope
from plugins.coverage import views
from tests.plugins.coverage.test_coverage import associations, create

pytestmark = [
    pytest.mark.quanhui_plugins("plugins.coverage"),
    pytest.mark.enable_plugins("coverage", tenants=["jinan", "lixia", "shizhong"]),
]
HTMX = {"HX-Request": "true"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def summary(client, slug: str = "lixia") -> dict[str, str]:
    """The three figures at the top of the dashboard, as shown."""
    page = text_of(client.get(f"/{slug}/coverage/summary"))
    return {key: re.search(rf'data-testid="{key}">([^<]+)<', page).group(1)
            for key in ("active", "org-rate", "work-rate")}


def mark_of(page: str, association_id: int) -> str:
    """The coverage mark the association's form carries."""
    form = page[page.index(f'id="form-{association_id}"'):]
    return re.search(r'name="mark" value="([^"]*)"', form).group(1)


def records(slug: str, type_name: str) -> list[Entity]:
    with use_scope(session, TenantScope.of(tenant_by_slug(session, slug))):
        return list(session.scalars(select(Entity).where(Entity.type == type_name, Entity.deleted_at.is_(None))))


@pytest.fixture
def lixia(app, db_session):
    """Four associations of lixia: one with its own branch, one with a temporary branch, two with nothing."""
    own, temporary, first, second = associations("lixia", 4)
    create("lixia", "party_org", name="甲党支部", kind="党支部", association=own)
    create("lixia", "party_org", name="乙临时党支部", kind="临时党支部", association=temporary)
    return {"own": own, "temporary": temporary, "first": first, "second": second}


def test_the_dashboard_shows_both_rates_and_the_change_over_twelve_months(lixia, login_client):
    client = login_client("lixia", "viewer")
    page = text_of(client.get("/lixia/coverage/"))
    assert "历下区 · 党建覆盖" in page
    assert summary(client) == {"active": "4", "org-rate": "25.0%", "work-rate": "50.0%"}
    # A year ago the associations were not registered yet: no rate to compare with.
    assert "无从比较" in page
    assert 'data-report-chart="coverage-bars"' not in page  # a district has no bars by district
    assert "还没有月度快照" in page


def test_the_change_over_twelve_months_is_rebuilt_from_the_revisions(lixia, login_client):
    year_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=500)
    with use_scope(session, TenantScope.of(tenant_by_slug(session, "lixia"))):
        for entity in session.scalars(select(Entity).where(Entity.type == "association")):
            session.execute(EntityRevision.__table__.update().where(EntityRevision.entity_id == entity.id)
                            .values(at=year_ago))
        session.commit()
    page = text_of(login_client("lixia", "viewer").get("/lixia/coverage/"))
    # Then: 4 registered, none covered; now 1 of 4 organisationally, 2 of 4 at work.
    assert "+25.0 个百分点" in page and "+50.0 个百分点" in page


def test_the_city_sees_every_district_with_a_bar_chart_and_drills_down(lixia, login_client):
    associations("shizhong", 2)
    city = login_client("jinan", "viewer")
    page = text_of(city.get("/jinan/coverage/"))
    assert 'data-report-chart="coverage-bars"' in page
    bars = json.loads(re.search(r'<script type="application/json" id="coverage-bars">(.+?)</script>', page).group(1))
    assert len(bars["labels"]) == 13 and [set["label"] for set in bars["datasets"]] == ["组织覆盖率", "工作覆盖率"]
    lixia_bar = bars["labels"].index("历下区")
    assert (bars["datasets"][0]["data"][lixia_bar], bars["datasets"][1]["data"][lixia_bar]) == (0.25, 0.5)
    assert summary(city, "jinan") == {"active": "6", "org-rate": "16.7%", "work-rate": "33.3%"}
    assert 'href="/lixia/coverage/"' in page
    drilled = text_of(city.get("/lixia/coverage/"))
    assert "历下区 · 党建覆盖" in drilled and 'data-testid="org-rate">25.0%<' in drilled


def district_rows(page: str) -> dict[str, str]:
    """Each row of the city's table by district, as its HTML."""
    table = page[page.index('data-testid="by-tenant"'):]
    table = table[:table.index("</table>")]
    return {re.search(r"<td>(?:<a [^>]*>)?([^<(]+)", row).group(1).strip(): row
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td>" in row}


def test_the_city_links_only_the_districts_where_coverage_is_enabled(lixia, login_client):
    city = login_client("jinan", "admin")
    rows = district_rows(text_of(city.get("/jinan/coverage/")))
    assert len(rows) == 13
    assert 'href="/lixia/coverage/"' in rows["历下区"] and 'href="/lixia/coverage/uncovered"' in rows["历下区"]
    assert "未启用" not in rows["历下区"]
    tianqiao = rows["天桥区"]  # coverage was never switched on there: its pages answer 404
    assert "<a " not in tianqiao and "未启用" in tianqiao
    assert city.get("/tianqiao/coverage/").status_code == 404

    switched_off = city.post("/shizhong/admin/plugins/coverage/enabled", data={"on": "0"}, headers=HTMX)
    assert switched_off.status_code == 200
    shizhong = district_rows(text_of(city.get("/jinan/coverage/")))["市中区"]
    assert "<a " not in shizhong and "未启用" in shizhong


def test_the_trend_line_is_drawn_from_the_monthly_snapshots(app, lixia, login_client):
    from core.cli import make_cli

    cli = make_cli(("plugins.coverage",))
    result = app.test_cli_runner().invoke(cli, ["coverage", "snapshot", "--tenant", "lixia"])
    assert result.exit_code == 0, result.output
    page = text_of(login_client("lixia", "viewer").get("/lixia/coverage/"))
    line = json.loads(re.search(r'<script type="application/json" id="coverage-trend">(.+?)</script>', page).group(1))
    assert line["kind"] == "line" and [set["data"] for set in line["datasets"]] == [[0.25], [0.5]]


def test_the_uncovered_list_shows_who_has_no_party_organisation_and_filters(lixia, login_client):
    client = login_client("lixia", "editor")
    page = text_of(client.get("/lixia/coverage/uncovered"))
    assert page.count('data-testid="uncovered-row"') == 3  # the temporary branch is not organisational coverage
    assert "乙临时党支部" in page and "甲党支部" not in page
    nothing = text_of(client.get("/lixia/coverage/uncovered?work=未覆盖",
                                 headers={**HTMX, "HX-Target": "uncovered-table"}))
    assert nothing.strip().startswith('<div id="uncovered-table">')
    assert nothing.count('data-testid="uncovered-row"') == 2
    assert "乙临时党支部" not in nothing


def test_the_uncovered_list_pages(lixia, login_client, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    client = login_client("lixia", "viewer")
    first = text_of(client.get("/lixia/coverage/uncovered"))
    assert "第 1 / 2 页,共 3 条" in first and first.count('data-testid="uncovered-row"') == 2
    assert text_of(client.get("/lixia/coverage/uncovered?page=2")).count('data-testid="uncovered-row"') == 1


def test_assigning_an_instructor_in_the_row_raises_work_coverage(lixia, login_client):
    client = login_client("lixia", "editor")
    url = f"/lixia/coverage/uncovered/{lixia['first']}/instructor"
    form = text_of(client.get(url, headers=HTMX))
    assert form.strip().startswith(f'<tr id="uncovered-{lixia["first"]}"') and "派驻党建工作指导员" in form
    before = summary(client)

    answer = client.post(url, headers=HTMX, data={
        "name": "王建国", "unit": "市委社会工作部", "phone": "0531-86001234",
        "start_on": dt.date.today().isoformat(), "mark": mark_of(form, lixia["first"])})

    assert answer.status_code == 200 and answer.headers["HX-Trigger"] == "coverage-changed"
    row = text_of(answer)
    assert "已派驻指导员 王建国" in row and "已工作覆盖" in row
    assert summary(client)["work-rate"] == "75.0%" and summary(client)["org-rate"] == before["org-rate"]
    (instructor,) = records("lixia", "instructor")
    assert instructor.data["association"] == lixia["first"] and instructor.data["unit"] == "市委社会工作部"
    with use_scope(session, TenantScope.of(tenant_by_slug(session, "lixia"))):
        revision = session.scalar(select(EntityRevision).where(EntityRevision.entity_id == instructor.id))
    assert (revision.action, revision.by_name) == ("create", "lixia-editor")


def test_founding_a_temporary_branch_covers_the_association_at_work_only(lixia, login_client):
    client = login_client("lixia", "editor")
    url = f"/lixia/coverage/uncovered/{lixia['second']}/temporary-branch"
    form = text_of(client.get(url, headers=HTMX))
    default_name = re.search(r'name="name" value="([^"]+)"', form).group(1)
    assert default_name.endswith("临时党支部")

    answer = client.post(url, headers=HTMX, data={
        "name": default_name, "founded_on": dt.date.today().isoformat(), "secretary": "李丽娟", "member_count": "2",
        "mark": mark_of(form, lixia["second"])})

    row = text_of(answer)
    assert answer.status_code == 200 and f"已成立 {default_name}" in row
    assert "成立临时党支部</a>" not in row  # it has one now
    branch = next(org for org in records("lixia", "party_org") if org.data["name"] == default_name)
    assert (branch.data["kind"], branch.data["association"]) == ("临时党支部", lixia["second"])
    assert summary(client) == {"active": "4", "org-rate": "25.0%", "work-rate": "75.0%"}
    listed = text_of(client.get("/lixia/coverage/uncovered?work=未覆盖"))
    assert listed.count('data-testid="uncovered-row"') == 1  # it left the list of those with no coverage at all


def test_wrong_input_is_shown_in_the_row_and_nothing_is_saved(lixia, login_client):
    client = login_client("lixia", "editor")
    url = f"/lixia/coverage/uncovered/{lixia['first']}/instructor"
    mark = mark_of(text_of(client.get(url, headers=HTMX)), lixia["first"])
    answer = client.post(url, headers=HTMX, data={"name": "", "start_on": "2025-13-40", "mark": mark})
    assert answer.status_code == 422
    row = text_of(answer)
    assert row.strip().startswith(f'<tr id="uncovered-{lixia["first"]}"') and "有 2 处需要修改" in row
    assert "此项必填" in row and "请输入日期,格式如 2024-05-01" in row
    assert 'value="2025-13-40"' in row  # what the user typed stays
    assert records("lixia", "instructor") == []


def test_an_action_on_a_row_someone_else_just_changed_answers_409(lixia, login_client):
    client = login_client("lixia", "editor")
    url = f"/lixia/coverage/uncovered/{lixia['first']}/instructor"
    stale = mark_of(text_of(client.get(url, headers=HTMX)), lixia["first"])
    create("lixia", "instructor", name="张志强", association=lixia["first"], start_on=dt.date.today().isoformat())

    answer = client.post(url, headers=HTMX,
                         data={"name": "王建国", "start_on": dt.date.today().isoformat(), "mark": stale})

    assert answer.status_code == 409
    assert "刚被他人更新" in text_of(answer) and "指导员 张志强" in text_of(answer)
    assert [record.data["name"] for record in records("lixia", "instructor")] == ["张志强"]


def test_an_association_that_left_the_list_is_not_acted_on(lixia, login_client):
    client = login_client("lixia", "editor")
    answer = client.get(f"/lixia/coverage/uncovered/{lixia['own']}/temporary-branch", headers=HTMX)
    assert "已不在未覆盖名单上" in text_of(answer)
    refused = client.post(f"/lixia/coverage/uncovered/{lixia['own']}/temporary-branch", headers=HTMX,
                          data={"name": "丙临时党支部", "mark": "none"})
    assert refused.status_code == 409 and len(records("lixia", "party_org")) == 2


def test_the_actions_work_as_plain_pages_too(lixia, login_client):
    client = login_client("lixia", "editor")
    url = f"/lixia/coverage/uncovered/{lixia['first']}/instructor"
    page = text_of(client.get(url))
    assert page.startswith("<!doctype html>") and "返回名单" in page
    refused = client.post(url, data={"name": "", "start_on": "", "mark": mark_of(page, lixia["first"])})
    assert refused.status_code == 422 and "<!doctype html>" in text_of(refused) and "此项必填" in text_of(refused)
    done = client.post(url, data={"name": "王建国", "start_on": dt.date.today().isoformat(),
                                  "mark": mark_of(page, lixia["first"])})
    assert done.status_code == 303 and "/lixia/coverage/uncovered" in done.location
    assert client.get(f"/lixia/coverage/uncovered/{lixia['first']}").status_code == 303


def test_who_may_see_and_act(lixia, login_client, make_user, app):
    viewer = login_client("lixia", "viewer")
    page = text_of(viewer.get("/lixia/coverage/uncovered"))
    assert "派驻指导员</a>" not in page and "成立临时党支部</a>" not in page
    url = f"/lixia/coverage/uncovered/{lixia['first']}/instructor"
    assert viewer.get(url).status_code == 403
    assert viewer.post(url, data={"name": "王建国", "start_on": "2025-01-01", "mark": "none"}).status_code == 403

    sibling = login_client("shizhong", "admin")
    for path in ("/lixia/coverage/", "/lixia/coverage/uncovered", url, "/lixia/coverage/instructors",
                 "/lixia/coverage/brands", "/lixia/coverage/themes"):
        assert sibling.get(path).status_code == 404, path
    foreign = associations("shizhong", 1)[0]
    assert login_client("lixia", "admin").get(f"/lixia/coverage/uncovered/{foreign}/instructor").status_code == 404

    account = login_client("lixia", "association", association_id=lixia["first"])
    assert account.get("/lixia/coverage/").status_code == 403
    assert account.get("/lixia/coverage/uncovered").status_code == 403
    assert account.post(url, data={"name": "王建国", "start_on": "2025-01-01", "mark": "none"}).status_code == 403
    assert account.get("/lixia/coverage/themes").status_code == 200
    assert records("lixia", "instructor") == []


@pytest.mark.enable_plugins("coverage", tenants=["jinan", "shizhong"])
def test_disabled_in_a_district_its_pages_answer_404_there(app, db_session, login_client):
    client = login_client("lixia", "admin")
    for path in ("/lixia/coverage/", "/lixia/coverage/uncovered", "/lixia/coverage/themes", "/lixia/coverage/summary"):
        assert client.get(path).status_code == 404, path
    assert "党建覆盖" not in text_of(client.get("/lixia/"))


def test_the_instructor_workload_counts_assignments_per_person_sorted_and_paged(app, db_session, login_client,
                                                                                 monkeypatch):
    ids = associations("lixia", 4)
    today = dt.date.today()
    for association in ids[:3]:
        create("lixia", "instructor", name="王建国", unit="市民政局", association=association,
               start_on=str(today - dt.timedelta(days=10)))
    create("lixia", "instructor", name="李丽娟", unit="市工商联", association=ids[3],
           start_on=str(today - dt.timedelta(days=400)), end_on=str(today - dt.timedelta(days=30)))
    create("lixia", "instructor", name="张志强", unit="市商务局", association=ids[3], start_on=str(today))
    client = login_client("lixia", "viewer")

    rows = re.findall(r'instructor/\?name=[^"]+">([^<]+)</a></td>\s*<td>[^<]*</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>',
                      text_of(client.get("/lixia/coverage/instructors")))
    assert rows == [("王建国", "3", "3"), ("张志强", "1", "1"), ("李丽娟", "0", "1")]
    by_name = re.findall(r'instructor/\?name=[^"]+">([^<]+)</a></td>',
                         text_of(client.get("/lixia/coverage/instructors?sort=name")))
    assert by_name == sorted(by_name) and len(by_name) == 3
    monkeypatch.setattr(views, "PER_PAGE", 2)
    assert "第 1 / 2 页,共 3 条" in text_of(client.get("/lixia/coverage/instructors"))


def test_the_brand_gallery_shows_brand_name_and_story(app, db_session, login_client):
    client = login_client("lixia", "viewer")
    assert "还没有党建品牌" in text_of(client.get("/lixia/coverage/brands"))
    first, second = associations("lixia", 2)
    create("lixia", "party_org", name="甲党支部", kind="党支部", association=first, brand_name="红帆领航",
           brand_story="组建党员志愿服务队,参与社区治理。")
    create("lixia", "party_org", name="乙党支部", kind="党支部", association=second)
    page = text_of(client.get("/lixia/coverage/brands"))
    assert "共 1 个品牌" in page and "红帆领航" in page and "组建党员志愿服务队" in page and "乙党支部" not in page


def test_disabling_in_a_district_hides_its_pages_and_enabling_again_shows_its_data(lixia, login_client):
    admin = login_client("lixia", "admin")

    def switch(on: bool):
        answer = admin.post("/lixia/admin/plugins/coverage/enabled", data={"on": "1" if on else "0"}, headers=HTMX)
        assert answer.status_code == 200, text_of(answer)

    switch(False)
    assert admin.get("/lixia/coverage/uncovered").status_code == 404
    assert admin.get("/api/v1/lixia/reports/coverage.uncovered").status_code == 404
    switch(True)
    page = text_of(admin.get("/lixia/coverage/uncovered"))
    assert page.count('data-testid="uncovered-row"') == 3 and "乙临时党支部" in page
