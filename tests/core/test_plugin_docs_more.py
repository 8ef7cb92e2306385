"""The examples of docs/plugins/directory.md, reports.md and access.md work as written, as
one plugin (annual reports of associations), and the generic pages answer as
docs/plugins/pages.md says."""
import datetime as dt
import io
import re
import types
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.api import Invalid, PluginMeta
from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import TenantScope, use_scope

DOCS = Path(__file__).parents[2] / "docs" / "plugins"
EXAMPLES = ("directory.md", "reports.md", "access.md")
HX = {"HX-Request": "true"}
SUBMISSION = "/api/v1/{slug}/reports/annual.submission"


def documented_plugin():
    module = types.ModuleType("annual_plugin")
    module.meta = PluginMeta(name="annual", title="协会年报", version="1.0.0")
    for name in EXAMPLES:
        page = DOCS / name
        for block in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            exec(compile(block, str(page), "exec"), module.__dict__)
    return module


ENABLED = pytest.mark.enable_plugins("annual", tenants=["jinan", "lixia"])


@pytest.fixture
def plugin(request):
    """The module the test's ``quanhui_plugins`` marker installed."""
    return request.node.get_closest_marker("quanhui_plugins").args[0]


def installed(test):
    """Install a fresh copy of the documented plugin for ``test``."""
    return pytest.mark.quanhui_plugins(documented_plugin())(test)


@pytest.fixture
def directory(app, db_session, tenant):
    """历下区: 甲 and 乙 (正常), 丙 (注销); 甲 filed its reports for 2025 (3000 元) and 2024
    (1000 元), 乙 none. 市中区, where the plugin is not enabled: 丁 (正常)."""
    ids = {}
    for slug, names in (("lixia", ("甲", "乙", "丙")), ("shizhong", ("丁",))):
        place = tenant(slug)
        with use_scope(db_session, TenantScope.of(place)):
            service = service_for(place)
            kind = service.type("association")
            for serial, name in enumerate(names, start=len(ids) + 1):
                status = "注销" if name == "丙" else "正常"
                code = make("5", "1", place.code, serial)
                ids[name] = service.create(kind, {"name": f"{name}协会", "uscc": code, "category": "商会",
                                                  "status": status}).id
            if slug == "lixia":
                reports = service.type("annual_report")
                for year, income in (("2025", "3000"), ("2024", "1000")):
                    ids[f"甲{year}"] = service.create(reports, {
                        "title": f"甲协会{year}年度报告", "association": ids["甲"], "year": year, "income": income}).id
            service.commit()
    return ids


def submission(client, slug, query=""):
    return client.get(SUBMISSION.format(slug=slug) + query).get_json()


def row_of(body, tenant_name):
    return next(row for row in body["rows"] if row["tenant"] == tenant_name)


# directory.md ----------------------------------------------------------------------------


@installed
@ENABLED
def test_a_plugin_reads_one_association_and_the_associations_of_a_status(db_session, tenant, directory, plugin):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        assert plugin.association_name(service, directory["甲"]) == "甲协会"
        assert plugin.association_name(service, directory["丁"]) == ""  # 市中区's: not found here
        assert [record.data["name"] for record in plugin.associations_with_status("注销")] == ["丙协会"]


@installed
@ENABLED
def test_enabling_the_plugin_adds_its_field_to_the_directory_and_a_reference_must_point_at_it(db_session, tenant):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        assert service.type("association").field("annual_contact").label == "年报联系人"
        with pytest.raises(Invalid) as refused:
            service.create(service.type("annual_report"), {"title": "无主的报告", "association": 999999, "year": "2025"})
    assert refused.value.errors["association"] == ["关联的记录不存在或已删除"]


# reports.md ------------------------------------------------------------------------------


@installed
@ENABLED
def test_the_year_parameter_filters_and_the_total_row_sums_every_number_but_the_rate(login_client, directory):
    viewer = login_client("lixia", "viewer")
    body = submission(viewer, "lixia", "?year=2025")
    assert body["parameters"] == {"year": "2025"}
    assert body["rows"] == [{"tenant": "历下区", "associations": 2, "submitted": 1, "missing": 1, "rate": 0.5,
                             "income": 3000}]
    assert body["total"] == {"tenant": "合计", "associations": 2, "submitted": 1, "missing": 1, "rate": None,
                             "income": 3000}
    assert submission(viewer, "lixia", "?year=2024")["rows"][0]["income"] == 1000
    every_year = submission(viewer, "lixia")  # no year: no filter
    assert every_year["parameters"] == {"year": None}
    assert (every_year["rows"][0]["submitted"], every_year["rows"][0]["income"]) == (2, 4000)


@installed
@ENABLED
def test_a_bad_parameter_is_refused_before_the_query_runs(login_client, directory):
    viewer = login_client("lixia", "viewer")
    answer = viewer.get(SUBMISSION.format(slug="lixia") + "?year=1999")
    assert answer.status_code == 422 and list(answer.get_json()["error"]["fields"]) == ["year"]
    page = viewer.get("/lixia/reports/annual.submission?year=1999")
    assert page.status_code == 422 and "年度" in page.get_data(as_text=True)


@installed
@ENABLED
def test_the_city_rolls_up_every_district_and_the_kept_rows_follow_the_parameter(app, db_session, tenant,
                                                                                login_client, directory):
    city = login_client("jinan", "viewer")
    first = submission(city, "jinan", "?year=2025")
    assert first["rollup"] is True
    assert row_of(first, "历下区")["submitted"] == 1
    assert row_of(first, "市中区") == {"tenant": "市中区", "associations": 1, "submitted": 0, "missing": 1,
                                       "rate": 0, "income": 0}  # the plugin is not enabled there
    assert (first["total"]["associations"], first["total"]["submitted"]) == (3, 1)
    assert row_of(submission(city, "jinan", "?year=2024"), "历下区")["income"] == 1000  # not 2025's kept rows
    assert submission(city, "jinan", "?year=2025") == first
    own = submission(city, "jinan", "?year=2025&scope=own")  # the city has no association of its own
    assert (own["rollup"], own["rows"], own["total"]) == (False, [], None)  # all zero: the empty state

    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        service.create(service.type("annual_report"), {
            "title": "乙协会2025年度报告", "association": directory["乙"], "year": "2025", "income": "500"})
        service.commit()
    assert row_of(submission(city, "jinan", "?year=2025"), "历下区")["submitted"] == 2


@installed
@ENABLED
def test_the_page_stacks_the_chart_and_the_workbook_carries_the_parameter_and_the_total(login_client, directory):
    viewer = login_client("jinan", "viewer")
    page = viewer.get("/jinan/reports/annual.submission?year=2025").get_data(as_text=True)
    assert '"stacked": true' in page
    workbook = load_workbook(io.BytesIO(viewer.get("/jinan/reports/annual.submission.xlsx?year=2025").data))
    sheet = workbook.active
    assert sheet.cell(1, 1).value == "年报提交情况（本级及下级）" and "2025" in sheet.cell(2, 1).value
    assert [cell.value for cell in sheet[4]] == ["单位", "协会商会", "已提交", "未提交", "提交率", "收入合计（元）"]
    assert [cell.value for cell in sheet[sheet.max_row]] == ["合计（本级及下级）", 3, 1, 2, None, 3000]


@installed
@ENABLED
def test_reports_are_counted_by_the_month_they_were_filed(login_client, directory):
    body = login_client("lixia", "viewer").get("/api/v1/lixia/reports/annual.by_month").get_json()
    this_month = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
    assert body["rows"] == [{"month": this_month, "count": 2}]


# access.md -------------------------------------------------------------------------------


@installed
@ENABLED
def test_an_association_account_sees_and_files_only_its_own_reports(app, db_session, tenant, login_client,
                                                                     directory):
    account = login_client("lixia", "association", association_id=directory["乙"])
    assert account.get(f"/lixia/entities/annual_report/{directory['甲2025']}").status_code == 404
    assert account.get(f"/api/v1/lixia/entities/annual_report/{directory['甲2025']}").status_code == 404
    assert account.get("/api/v1/lixia/entities/annual_report").get_json()["total"] == 0
    assert account.get("/lixia/reports/annual.submission").status_code == 403
    filed = account.post("/lixia/entities/annual_report/", data={
        "title": "乙协会2025年度报告", "association": str(directory["甲"]), "year": "2025"})
    assert filed.status_code == 303
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        record = service_for(lixia).get(service_for(lixia).type("annual_report"), int(filed.location.rsplit("/", 1)[1]))
        assert record.data["association"] == directory["乙"]  # the owner field is forced to its own association


@installed
@ENABLED
def test_the_city_reads_its_districts_through_the_widened_scope_and_a_district_only_itself(login_client, directory):
    city = login_client("jinan", "editor")
    items = {item["tenant"]: item["missing"] for item in city.get("/api/v1/jinan/annual/missing/2025").get_json()["items"]}
    assert (items["jinan"], items["lixia"], items["shizhong"]) == (0, 1, 1)
    district = login_client("lixia", "editor")
    assert district.get("/api/v1/lixia/annual/missing/2025").get_json() == {"items": [{"tenant": "lixia", "missing": 1}]}
    assert district.get("/api/v1/jinan/annual/missing/2025").status_code == 404  # above its own tenant
    assert district.get("/api/v1/lixia/annual/missing/1999").status_code == 404
    assert login_client("lixia", "viewer").get("/api/v1/lixia/annual/missing/2025").status_code == 403
    assert login_client("shizhong", "editor").get("/api/v1/shizhong/annual/missing/2025").status_code == 404


# pages.md --------------------------------------------------------------------------------


@installed
@ENABLED
def test_saving_answers_303_or_204_refusing_422_and_a_stale_version_409(login_client, directory):
    editor = login_client("lixia", "editor")
    form = {"title": "乙协会2024年度报告", "association": str(directory["乙"]), "year": "2024"}
    created = editor.post("/lixia/entities/annual_report/", data=form)
    assert created.status_code == 303 and re.fullmatch(r"/lixia/entities/annual_report/\d+", created.location)
    by_htmx = editor.post("/lixia/entities/annual_report/", data=form, headers=HX)
    assert by_htmx.status_code == 204 and by_htmx.headers["HX-Redirect"].startswith("/lixia/entities/annual_report/")
    refused = editor.post("/lixia/entities/annual_report/", data={**form, "year": "1999"}, headers=HX)
    assert refused.status_code == 422 and refused.headers["HX-Retarget"] == "#entity-form"
    stale = editor.post(f"/lixia/entities/annual_report/{directory['甲2025']}", data={
        "title": "改过的标题", "association": str(directory["甲"]), "year": "2025", "version": "0"})
    assert stale.status_code == 409
    assert editor.post(f"/lixia/entities/annual_report/{directory['甲2025']}", data={"title": "x"}).status_code == 400
    assert login_client("lixia", "viewer").get("/lixia/entities/annual_report/new").status_code == 403
    assert editor.get(f"/shizhong/entities/association/{directory['丁']}").status_code == 404


@installed
@ENABLED
def test_the_list_is_filtered_sorted_and_searched_by_its_url(login_client, directory):
    editor = login_client("lixia", "editor")

    def titles(query):
        answer = editor.get(f"/lixia/entities/annual_report/{query}")
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        return [title for title in ("甲协会2025年度报告", "甲协会2024年度报告") if title in page], page

    assert titles("?year=2025")[0] == ["甲协会2025年度报告"]
    assert titles("?year__ne=2025")[0] == ["甲协会2024年度报告"]
    assert titles("?income__gte=2000")[0] == ["甲协会2025年度报告"]
    assert titles("?q=2024")[0] == ["甲协会2024年度报告"]
    assert titles("?year=2024&year=2025")[0] == ["甲协会2024年度报告"]  # the first value only
    assert titles("?year=")[0] == ["甲协会2025年度报告", "甲协会2024年度报告"]
    shown, page = titles("?income__gte=abc")
    assert shown == ["甲协会2025年度报告", "甲协会2024年度报告"] and "不是可用的数字" in page
    newest_first = titles("?sort=-income")[1]
    assert newest_first.index("甲协会2025年度报告") < newest_first.index("甲协会2024年度报告")
    cheapest_first = titles("?sort=income")[1]
    assert cheapest_first.index("甲协会2024年度报告") < cheapest_first.index("甲协会2025年度报告")
    either = editor.get("/api/v1/lixia/entities/annual_report?year=2024&year=2025").get_json()
    assert either["total"] == 2
    assert editor.get("/lixia/entities/annual_report/excel/export.xlsx?income__gte=abc").status_code == 422


def test_every_link_between_the_plugin_pages_leads_to_a_file():
    pages = [*DOCS.glob("*.md"), DOCS.parent / "index.md"]
    broken = [
        f"{page.name}: {target}"
        for page in pages
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8"))
        if not (page.parent / target).exists()
    ]
    assert broken == []
