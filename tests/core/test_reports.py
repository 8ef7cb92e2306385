"""Reports: each a table with a chart, an Excel download and JSON; the city's roll up
every district in one SQL statement.

The directory's three reports (by status, by category, by industry chain) are counted
from associations created through the entity service in lixia (历下区), shizhong
(市中区) and the city (济南市).
"""
from __future__ import annotations

import io
import json
import re
import types

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from core.db import session
from core.entities import service_for
from core.entities.uscc import make
from core.plugins import PluginMeta, hookimpl
from core.reports import Chart, Column, Parameter, Report, ReportDefinitionError, count_by, sum_by
from core.reports.definitions import ReportContext
from core.reports.excel import HEADER_ROW
from core.reports.registry import ReportRegistry
from core.tenancy import SCOPE_KEY, TenantScope, tenant_by_slug, use_scope

STATUS = "/{slug}/reports/association_status"
STATUS_API = "/api/v1/{slug}/reports/association_status"
_serial = iter(range(1, 10_000))


def associations(slug: str, *records: dict) -> list[int]:
    """Create associations in ``slug`` through the entity service; their ids."""
    tenant = tenant_by_slug(session, slug)
    ids = []
    with use_scope(session, TenantScope.of(tenant)):
        service = service_for(tenant)
        association = service.type("association")
        for record in records:
            number = next(_serial)
            data = {"name": f"{tenant.name}第{number}协会", "uscc": make("5", "1", tenant.code, number),
                    "category": "行业协会", **record}
            ids.append(service.create(association, data).id)
        service.commit()
    return ids


def change(slug: str, entity_id: int, action: str) -> None:
    tenant = tenant_by_slug(session, slug)
    with use_scope(session, TenantScope.of(tenant)):
        service = service_for(tenant)
        association = service.type("association")
        if action == "delete":
            service.delete(association, service.get(association, entity_id))
        else:
            service.restore(association, service.get(association, entity_id, deleted=True))
        service.commit()


@pytest.fixture
def directory(db_session):
    """lixia: 2 正常 + 1 整改中 (one 商会); shizhong: 1 正常 + 1 注销; the city: 1 正常 商会."""
    return {
        "lixia": associations(
            "lixia", {"status": "正常", "industry_chain": "高端装备"}, {"status": "正常", "category": "商会"},
            {"status": "整改中", "industry_chain": "新材料"},
        ),
        "shizhong": associations("shizhong", {"status": "正常"}, {"status": "注销", "industry_chain": "高端装备"}),
        "jinan": associations("jinan", {"status": "正常", "category": "商会"}),
    }


def by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


# a district's report --------------------------------------------------------


def test_a_district_sees_only_its_own_counts(login_client, directory):
    body = login_client("lixia", "viewer").get(STATUS_API.format(slug="lixia")).json
    assert body["rollup"] is False and body["tenant"] == "lixia"
    assert [c["name"] for c in body["columns"]] == ["status", "count", "share"]
    counts = {row["status"]: row["count"] for row in body["rows"]}
    assert counts == {"正常": 2, "整改中": 1, "注销": 0, "撤销": 0}
    assert body["total"] == {"status": "合计", "count": 3, "share": None}
    assert by(body["rows"], "status")["正常"]["share"] == pytest.approx(2 / 3, abs=1e-6)


def test_the_page_shows_the_table_the_total_and_the_chart(login_client, directory):
    page = login_client("lixia", "viewer").get(STATUS.format(slug="lixia"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "协会商会按状态统计" in html and "整改中" in html and "合计（本级）" in html and "66.7%" in html
    assert "<title>协会商会按状态统计（本级） · 历下区 · 泉汇</title>" in html
    # the chart: the vendored Chart.js, a static script, and the data in a JSON island
    assert "vendor/chartjs/chart.umd.min.js" in html and "reports.js" in html
    island = re.search(r'<script type="application/json" id="report-chart-data">(.*?)</script>', html, re.S)
    chart = json.loads(island.group(1))
    assert chart["kind"] == "bar" and chart["labels"] == ["正常", "整改中", "注销", "撤销"]
    assert chart["datasets"] == [{"label": "数量", "kind": "integer", "data": [2, 1, 0, 0]}]
    assert "<script>" not in html  # no inline script carries data
    assert "下载 Excel" in html and "/lixia/reports/association_status.xlsx" in html
    assert "/api/v1/lixia/reports/association_status" in html


def test_the_chart_script_is_served(client):
    response = client.get("/static/reports.js")
    assert response.status_code == 200
    assert b"data-report-chart" in response.data


def test_a_parameter_narrows_the_count_and_a_bad_one_is_refused(login_client, directory):
    client = login_client("lixia", "viewer")
    body = client.get(STATUS_API.format(slug="lixia") + "?category=商会").json
    assert body["parameters"] == {"category": "商会"}
    assert body["total"]["count"] == 1
    refused = client.get(STATUS_API.format(slug="lixia") + "?category=没有这种")
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"category": ["「类别」只能是:行业协会、商会、异地商会、其他"]}
    page = client.get(STATUS.format(slug="lixia") + "?category=没有这种")
    assert page.status_code == 422 and "报表参数有误" in page.get_data(as_text=True)
    assert client.get(STATUS.format(slug="lixia") + ".xlsx?category=没有这种").status_code == 422
    assert client.get(STATUS_API.format(slug="lixia") + "?scope=everything").status_code == 422


def test_the_parameter_form_swaps_just_the_result_with_htmx(login_client, directory):
    response = login_client("lixia", "viewer").get(
        STATUS.format(slug="lixia") + "?category=商会", headers={"HX-Request": "true", "HX-Target": "report-result"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="report-result"') and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_no_data_shows_an_empty_state(login_client):
    client = login_client("lixia", "viewer")
    html = client.get(STATUS.format(slug="lixia")).get_data(as_text=True)
    assert "没有可统计的数据" in html and "report-chart-data" not in html
    body = client.get(STATUS_API.format(slug="lixia")).json
    assert body["rows"] == [] and body["total"] is None
    assert "没有可统计的数据" in client.get("/lixia/reports/association_chain").get_data(as_text=True)
    # the city's roll-up is empty too when nothing exists anywhere
    assert "没有可统计的数据" in login_client("jinan", "viewer").get(STATUS.format(slug="jinan")).get_data(as_text=True)


# the city's roll-up -------------------------------------------------------------


def test_the_city_rolls_up_every_district_and_the_total(login_client, directory):
    body = login_client("jinan", "viewer").get(STATUS_API.format(slug="jinan")).json
    assert body["rollup"] is True
    assert [c["name"] for c in body["columns"]] == ["tenant", "active", "rectifying", "deregistered", "revoked", "total"]
    rows = by(body["rows"], "tenant")
    assert len(rows) == 13  # the city and its 12 districts and counties, none left out
    assert rows["历下区"] == {"tenant": "历下区", "active": 2, "rectifying": 1, "deregistered": 0, "revoked": 0, "total": 3}
    assert (rows["市中区"]["active"], rows["市中区"]["deregistered"], rows["市中区"]["total"]) == (1, 1, 2)
    assert rows["济南市"]["total"] == 1 and rows["槐荫区"]["total"] == 0
    assert body["total"] == {"tenant": "合计", "active": 4, "rectifying": 1, "deregistered": 1, "revoked": 0, "total": 6}
    assert body["scope_label"] == "本级及下级"
    assert list(rows)[:3] == ["济南市", "历下区", "市中区"]  # tree order


def test_the_city_may_count_only_its_own(login_client, directory):
    body = login_client("jinan", "viewer").get(STATUS_API.format(slug="jinan") + "?scope=own").json
    assert body["rollup"] is False
    assert {row["status"]: row["count"] for row in body["rows"]}["正常"] == 1 and body["total"]["count"] == 1
    assert body["scope_label"] == "本级"
    page = login_client("jinan", "viewer").get(STATUS.format(slug="jinan") + "?scope=own").get_data(as_text=True)
    assert "<title>协会商会按状态统计（本级） · 济南市 · 泉汇</title>" in page and "合计（本级）" in page


def test_category_and_chain_roll_up_over_the_subtree(login_client, directory):
    client = login_client("jinan", "viewer")
    categories = client.get("/api/v1/jinan/reports/association_category").json
    counts = {row["category"]: row["count"] for row in categories["rows"]}
    assert counts == {"行业协会": 4, "商会": 2, "异地商会": 0, "其他": 0}
    chains = client.get("/api/v1/jinan/reports/association_chain").json
    chain_counts = {row["industry_chain"]: row["count"] for row in chains["rows"]}
    assert chain_counts["高端装备"] == 2 and chain_counts["新材料"] == 1 and chain_counts["未填写"] == 3
    assert chains["total"]["count"] == 6
    active = client.get("/api/v1/jinan/reports/association_chain?status=正常").json
    assert {row["industry_chain"]: row["count"] for row in active["rows"]}["高端装备"] == 1


def test_the_roll_up_costs_the_same_queries_however_many_districts_and_records(app, login_client, db_session):
    """The report is aggregated in SQL: its statements do not grow with the data, and
    the districts that changed are recomputed together, in one grouped statement."""
    client = login_client("jinan", "viewer")
    engine = app.extensions["quanhui.db"].engine

    def statements() -> list[str]:
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(STATUS_API.format(slug="jinan"))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return seen

    def grouped(seen: list[str]) -> list[str]:
        return [s for s in seen if "GROUP BY" in s.upper() and "entities" in s]

    associations("lixia", {"status": "正常"})
    few = statements()
    for slug in ("shizhong", "huaiyin", "tianqiao", "licheng", "zhangqiu", "pingyin"):
        associations(slug, *({"status": status} for status in ("正常", "整改中", "注销", "正常", "撤销")))
    many = statements()
    assert len(many) == len(few)
    assert len(grouped(few)) == len(grouped(many)) == 1  # one grouped statement over the changed districts
    assert grouped(statements()) == []  # nothing changed since: every district's row is kept
    body = client.get(STATUS_API.format(slug="jinan")).json
    assert body["total"]["total"] == 31


def test_a_deleted_association_is_not_counted_until_restored(login_client, directory):
    client = login_client("jinan", "viewer")

    def lixia_total() -> tuple[int, int]:
        city = by(client.get(STATUS_API.format(slug="jinan")).json["rows"], "tenant")["历下区"]["total"]
        own = client.get(STATUS_API.format(slug="lixia")).json["total"]["count"]
        return city, own

    assert lixia_total() == (3, 3)
    change("lixia", directory["lixia"][0], "delete")
    assert lixia_total() == (2, 2)
    change("lixia", directory["lixia"][0], "restore")
    assert lixia_total() == (3, 3)


# Excel and JSON -------------------------------------------------------------


def test_the_excel_download_has_the_title_the_header_and_typed_rows(login_client, directory):
    response = login_client("jinan", "viewer").get(STATUS.format(slug="jinan") + ".xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "协会商会按状态统计"
    assert sheet.cell(1, 1).value == "协会商会按状态统计（本级及下级）"
    assert "济南市" in sheet.cell(2, 1).value and "本级及下级" in sheet.cell(2, 1).value
    rows = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    assert rows[0] == ("单位", "正常", "整改中", "注销", "撤销", "合计")
    assert rows[2] == ("历下区", 2, 1, 0, 0, 3)  # numbers, not text
    assert rows[-1] == ("合计（本级及下级）", 4, 1, 1, 0, 6)
    assert len(rows) == 1 + 13 + 1


def test_json_and_page_and_excel_agree(login_client, directory):
    client = login_client("lixia", "editor")
    body = client.get("/api/v1/lixia/reports/association_category").json
    assert {"name", "title", "plugin", "columns", "rows", "rollup", "tenant"} <= set(body)
    assert (body["name"], body["title"], body["plugin"]) == ("association_category", "协会商会按类别统计", "core")
    sheet = load_workbook(io.BytesIO(client.get("/lixia/reports/association_category.xlsx").data)).active
    excel_rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    json_rows = [(row["category"], row["count"], row["share"]) for row in body["rows"]]
    assert [(r[0], r[1]) for r in excel_rows[:-1]] == [(r[0], r[1]) for r in json_rows]
    assert [r[2] for r in excel_rows[:-1]] == pytest.approx([r[2] for r in json_rows], abs=1e-6)


def test_the_tenant_lists_its_reports(login_client):
    client = login_client("lixia", "viewer")
    items = client.get("/api/v1/lixia/reports").json["items"]
    assert {"name": "association_status", "title": "协会商会按状态统计", "plugin": "core"} in items
    assert {item["name"] for item in items} >= {"association_status", "association_category", "association_chain"}
    page = client.get("/lixia/reports/").get_data(as_text=True)
    assert "协会商会按类别统计" in page and "协会商会按产业链统计" in page
    dashboard = client.get("/lixia/").get_data(as_text=True)
    assert "统计报表" in dashboard and "/lixia/reports/" in dashboard


def test_an_unknown_report_is_404(login_client):
    client = login_client("lixia", "viewer")
    missing = client.get("/api/v1/lixia/reports/no_such_report")
    assert missing.status_code == 404 and missing.json["error"]["status"] == 404
    assert "no_such_report" in missing.json["error"]["message"]
    assert client.get("/lixia/reports/no_such_report").status_code == 404
    assert client.get("/lixia/reports/no_such_report.xlsx").status_code == 404


# who may see what -------------------------------------------------------------


def test_a_viewer_reads_but_a_sibling_district_gets_404(login_client, directory):
    assert login_client("lixia", "viewer").get(STATUS.format(slug="lixia")).status_code == 200
    sibling = login_client("shizhong", "admin")
    for url in (STATUS.format(slug="lixia"), STATUS.format(slug="lixia") + ".xlsx", "/lixia/reports/"):
        assert sibling.get(url).status_code == 404, url
    api = sibling.get(STATUS_API.format(slug="lixia"))
    assert api.status_code == 404 and api.json["error"]["status"] == 404
    assert sibling.get("/api/v1/lixia/reports").status_code == 404
    own = sibling.get(STATUS_API.format(slug="shizhong")).json
    assert own["total"]["count"] == 2  # its own figures, never lixia's


def test_anonymous_is_sent_to_log_in(client):
    assert client.get(STATUS.format(slug="lixia")).status_code == 302
    assert client.get(STATUS_API.format(slug="lixia")).status_code == 401


def test_an_association_account_has_no_reports(app, make_user, client):
    make_user("lixia", "association", username="lixia-assoc")
    assert client.login("lixia-assoc").status_code in (303, 204)
    assert client.get(STATUS.format(slug="lixia")).status_code == 403
    assert client.get("/api/v1/lixia/reports").status_code == 403
    assert "统计报表" not in client.get("/lixia/").get_data(as_text=True)


# a plugin's report --------------------------------------------------------------


def _members(context: ReportContext):
    rows = sum_by(context, "association", "member_count", group_by=("tenant",), where={"member_count__gte": context.params["minimum"]})
    return [{**row, "average": row["sum"] / row["count"] if row["count"] else None} for row in rows]


def _broken(context: ReportContext):
    raise RuntimeError("plugin bug")


tallies = types.ModuleType("tests_core_reports_tallies")
tallies.meta = PluginMeta(name="tallies", title="会员统计", version="1.0.0")
tallies.quanhui_reports = hookimpl(lambda: [
    Report(
        "tallies.members", "会员数统计", query=_members, rollup=True,
        columns=(Column("tenant", "单位"), Column("count", "协会数", "integer"), Column("sum", "会员总数", "integer"),
                 Column("average", "平均会员数", "decimal")),
        chart=Chart("line", label="tenant", series=("sum",)),
        parameters=(Parameter("minimum", "会员数至少", kind="integer", default="0"),),
    ),
    Report("tallies.broken", "出错的报表", query=_broken, columns=(Column("x", "X"),)),
])


@pytest.mark.quanhui_plugins(tallies)
@pytest.mark.enable_plugins("tallies", tenants=["jinan", "shizhong"])
def test_a_plugins_report_is_there_only_where_the_plugin_is_enabled(login_client, db_session):
    associations("shizhong", {"member_count": 100}, {"member_count": 51}, {"member_count": 10})
    shizhong = login_client("shizhong", "viewer")
    assert "tallies.members" in {item["name"] for item in shizhong.get("/api/v1/shizhong/reports").json["items"]}
    body = shizhong.get("/api/v1/shizhong/reports/tallies.members?minimum=50").json
    assert body["plugin"] == "tallies"
    assert body["rows"] == [{"tenant": "市中区", "count": 2, "sum": 151, "average": 75.5}]
    assert shizhong.get("/shizhong/reports/tallies.members.xlsx").status_code == 200
    assert shizhong.get("/api/v1/shizhong/reports/tallies.members?minimum=很多").status_code == 422

    lixia = login_client("lixia", "viewer")
    assert "tallies.members" not in {item["name"] for item in lixia.get("/api/v1/lixia/reports").json["items"]}
    missing = lixia.get("/api/v1/lixia/reports/tallies.members")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert lixia.get("/lixia/reports/tallies.members").status_code == 404
    assert lixia.get("/lixia/reports/tallies.members.xlsx").status_code == 404
    assert "会员数统计" not in lixia.get("/lixia/reports/").get_data(as_text=True)


@pytest.mark.quanhui_plugins(tallies)
@pytest.mark.enable_plugins("tallies", tenants=["lixia"])
def test_a_failing_report_says_so_and_the_rest_still_works(login_client):
    client = login_client("lixia", "viewer")
    page = client.get("/lixia/reports/tallies.broken")
    assert page.status_code == 500 and "这张报表生成时出错" in page.get_data(as_text=True)
    api = client.get("/api/v1/lixia/reports/tallies.broken")
    assert api.status_code == 500 and "报表生成时出错" in api.json["error"]["message"]
    assert client.get(STATUS_API.format(slug="lixia")).status_code == 200


# the building blocks ---------------------------------------------------------


def _context(slug: str, *, subtree: bool = False) -> ReportContext:
    from core.tenancy import subtree_ids

    tenant = tenant_by_slug(session, slug)
    ids = tuple(subtree_ids(session, tenant)) if subtree else (tenant.id,)
    return ReportContext(session=session, tenant=tenant, tenant_ids=ids, rollup=subtree, params={}, service=service_for(tenant))


def test_count_by_filters_and_groups_on_the_projections(db_session):
    associations("lixia", {"status": "正常", "tags": ["科技", "制造"]}, {"status": "注销", "tags": ["科技"]},
                 {"status": "整改中"})
    tenant = tenant_by_slug(session, "lixia")
    with use_scope(session, TenantScope.of(tenant)):
        context = _context("lixia")
        live = count_by(context, "association", group_by=("status",), where={"status__ne": "注销"})
        assert [(row["status"], row["count"]) for row in live] == [("正常", 1), ("整改中", 1)]
        tags = count_by(context, "association", group_by=("tags",))
        assert [(row["tags"], row["count"]) for row in tags] == [("制造", 1), ("科技", 2), (None, 1)]
        per_tenant = count_by(context, "association", group_by=("tenant",), where={"status": ["正常", "整改中"]})
        assert per_tenant == [{"tenant_id": tenant.id, "tenant": "历下区", "tenant_slug": "lixia", "count": 2}]
        with pytest.raises(ValueError, match="address"):
            count_by(context, "association", group_by=("address",))  # not indexed
        with pytest.raises(ValueError):
            sum_by(context, "association", "status")



def test_count_by_counts_the_contexts_tenants_alone_whatever_more_the_session_may_read(db_session):
    associations("lixia", {"status": "正常"}, {"status": "正常"})
    associations("shizhong", {"status": "正常"})
    lixia, shizhong = tenant_by_slug(session, "lixia"), tenant_by_slug(session, "shizhong")
    both = TenantScope.of(lixia).widened_to([shizhong.id])
    for scope in (both, TenantScope.of(shizhong)):  # may read more; may not read lixia at all
        with use_scope(session, scope):
            counted = count_by(_context("lixia"), "association", group_by=("tenant", "status"))
            assert session.info[SCOPE_KEY] == scope  # narrowed for the count alone
        expected = 2 if lixia.id in scope.read_ids else 0
        assert [(row["tenant"], row["status"], row["count"]) for row in counted] == [
            ("历下区", "正常" if expected else None, expected)]

def test_definitions_are_checked():
    with pytest.raises(ReportDefinitionError):
        Report("Bad Name", "坏", query=lambda c: [], columns=(Column("x", "X"),))
    with pytest.raises(ReportDefinitionError):
        Report("ends.xlsx", "坏", query=lambda c: [], columns=(Column("x", "X"),))
    with pytest.raises(ReportDefinitionError):
        Column("x", "X", kind="currency")
    with pytest.raises(ReportDefinitionError):
        Chart("radar")


def test_a_report_name_declared_twice_keeps_the_first(app):
    from core.plugins import PluginRegistry

    twin = types.ModuleType("tests_core_reports_twin")
    twin.meta = PluginMeta(name="twin", title="重名", version="1.0.0")
    twin.quanhui_reports = hookimpl(lambda: [Report("association_status", "冒名", query=lambda c: [], columns=(Column("x", "X"),))])
    registry = ReportRegistry(PluginRegistry([twin]))
    assert registry.reports["association_status"].plugin == "core"
    assert registry.get("association_status", frozenset({"twin"})) is None


def test_the_reports_index_is_grouped_by_the_plugin_that_provides_them(login_client, directory):
    page = login_client("lixia", "viewer").get("/lixia/reports/").get_data(as_text=True)
    groups = re.findall(r'data-testid="report-group">\s*<h2>(.*?)</h2>(.*?)</section>', page, re.S)
    assert [title for title, _ in groups] == ["平台核心"]
    assert "协会商会按状态统计" in groups[0][1]
