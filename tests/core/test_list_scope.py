"""The scope of a list: 本级 (``own``), 本级及下级 (``subtree``) or one descendant (``tenant=``).

The city reads every district's records from its own lists: the JSON API keeps its
answer (``own``) unless asked for ``scope=subtree``; the HTML list and the Excel export
open on the whole subtree, with a 所属单位 column and a filter by unit. Search, filters,
sort and paging run over the subtree; a district whose plugin is off shows nothing.
"""
from __future__ import annotations

import io
import types

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from core.api import PluginMeta, hookimpl
from core.db import session
from core.entities.definitions import EntityType, Field
from core.plugin_state import set_enabled
from core.tenancy import TenantScope, tenant_by_slug, use_scope
from tests.core.test_record_types import RECORD, TYPE, build
from tests.entity_helpers import create, service

API = "/api/v1/jinan/entities/association"

DECISION = EntityType(
    "joint_decision", "联席会议议定事项",
    fields=(Field("title", "事项", required=True, indexed=True, listed=True),),
    title_field="title",
)


def meetings_plugin():
    module = types.ModuleType("meetings_plugin")
    module.meta = PluginMeta(name="meetings", title="联席会议", version="1.0.0", levels=("city", "district"))
    module.quanhui_entity_types = hookimpl(lambda: [DECISION])
    return module


@pytest.fixture
def directory(app):
    """Associations of the city, 历下区 and 市中区, by name."""
    names = {
        "jinan": ["济南市软件行业协会", "济南市物流协会"],
        "lixia": ["历下区包装机械商会", "历下区餐饮协会"],
        "shizhong": ["市中区包装机械协会"],
    }
    for slug, each in names.items():
        for name in each:
            assert isinstance(create(app, slug, name=name), int)
    return names


def names(answer) -> list[str]:
    return [item["data"]["name"] for item in answer.get_json()["items"]]


def test_the_api_keeps_its_own_answer_and_reads_the_subtree_when_asked(api_client, directory):
    city = api_client("jinan", "viewer")
    own = city.get(API)
    assert own.status_code == 200
    assert sorted(names(own)) == sorted(directory["jinan"])
    assert set(own.get_json()) == {"items", "page", "per_page", "total"}
    assert "tenant" not in own.get_json()["items"][0]
    asked = city.get(API, query_string={"scope": "own"}).get_json()
    assert asked["scope"] == {"kind": "own", "label": "本级", "tenant": None} and asked["total"] == 2

    whole = city.get(API, query_string={"scope": "subtree", "sort": "name"}).get_json()
    assert whole["total"] == 5 and whole["scope"]["label"] == "本级及下级"
    owners = {item["data"]["name"]: item["tenant"]["name"] for item in whole["items"]}
    assert owners == {"济南市软件行业协会": "济南市", "济南市物流协会": "济南市", "历下区包装机械商会": "历下区",
                      "历下区餐饮协会": "历下区", "市中区包装机械协会": "市中区"}

    one = city.get(API, query_string={"tenant": "lixia"}).get_json()
    assert sorted(item["data"]["name"] for item in one["items"]) == sorted(directory["lixia"])
    assert one["scope"] == {"kind": "tenant", "label": "历下区", "tenant": "lixia"}


def test_search_filters_sort_and_paging_run_over_the_subtree(api_client, directory, app):
    create(app, "shizhong", name="市中区商贸商会", category="商会")
    city = api_client("jinan", "viewer")
    found = city.get(API, query_string={"scope": "subtree", "q": "包装机械"})
    assert sorted(names(found)) == ["历下区包装机械商会", "市中区包装机械协会"]
    chambers = city.get(API, query_string={"scope": "subtree", "category": "商会"})
    assert names(chambers) == ["市中区商贸商会"]
    pages = [city.get(API, query_string={"scope": "subtree", "sort": "name", "per_page": 2, "page": n}).get_json()
             for n in (1, 2, 3)]
    assert [p["total"] for p in pages] == [6, 6, 6]
    listed = [item["data"]["name"] for p in pages for item in p["items"]]
    assert listed == sorted(listed) and len(set(listed)) == 6


def test_bad_scopes_are_refused_and_a_unit_outside_the_subtree_does_not_exist(api_client, directory):
    district = api_client("lixia", "admin")
    for slug in ("shizhong", "jinan", "nowhere"):
        refused = district.get("/api/v1/lixia/entities/association", query_string={"tenant": slug})
        assert refused.status_code == 404, slug
        assert "市中区" not in refused.get_data(as_text=True)
    wrong = district.get("/api/v1/lixia/entities/association", query_string={"scope": "everything"})
    assert wrong.status_code == 422
    assert "本级及下级" in wrong.get_json()["error"]["message"]


def test_the_city_reads_a_district_from_its_own_list_and_opens_it_under_the_district(login_client, directory):
    city = login_client("jinan", "viewer")
    page = city.get("/jinan/entities/association/", query_string={"q": "历下区包装机械"}).get_data(as_text=True)
    assert "历下区包装机械商会" in page and "<th>所属单位</th>" in page
    assert 'href="/lixia/entities/association/' in page
    link = page.split('href="/lixia/entities/association/')[1].split('"')[0]
    opened = city.get(f"/lixia/entities/association/{link}").get_data(as_text=True)
    assert "历下区包装机械商会" in opened
    assert "正在查看：历下区" in opened and "返回济南市" in opened
    own = city.get("/jinan/entities/association/", query_string={"scope": "own"}).get_data(as_text=True)
    assert "历下区包装机械商会" not in own and "济南市物流协会" in own


def test_a_district_without_children_lists_its_own_without_a_unit_column(login_client, directory):
    page = login_client("lixia", "viewer").get("/lixia/entities/association/").get_data(as_text=True)
    assert "历下区餐饮协会" in page and "济南市物流协会" not in page and "所属单位" not in page


def test_the_export_holds_the_scope_it_says(login_client, directory):
    city = login_client("jinan", "viewer")
    answer = city.get("/jinan/entities/association/excel/export.xlsx")
    assert answer.status_code == 200
    assert "本级及下级" in answer.headers["Content-Disposition"] or "%E6%9C%AC%E7%BA%A7%E5%8F%8A" in \
        answer.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(answer.data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][-1] == "所属单位"
    assert sorted((row[0], row[-1]) for row in rows[1:]) == sorted(
        [(n, "济南市") for n in directory["jinan"]] + [(n, "历下区") for n in directory["lixia"]]
        + [(n, "市中区") for n in directory["shizhong"]])
    notes = [row for row in book["填写说明"].iter_rows(values_only=True) if row and row[0] == "范围"]
    assert notes and "本级及下级" in notes[0][1]
    own = load_workbook(io.BytesIO(city.get("/jinan/entities/association/excel/export.xlsx",
                                            query_string={"scope": "own"}).data))
    assert len(list(own.worksheets[0].iter_rows())) == 1 + len(directory["jinan"])


@pytest.mark.quanhui_plugins(meetings_plugin())
@pytest.mark.enable_plugins("meetings", tenants=["jinan", "lixia", "shizhong"])
def test_a_district_that_switched_the_plugin_off_shows_none_of_its_records(app, api_client):
    for slug in ("jinan", "lixia", "shizhong"):
        with app.app_context():
            svc = service(app, slug)
            svc.create(svc.type("joint_decision"), {"title": f"{slug} 议定事项"})
            svc.commit()
    city = api_client("jinan", "viewer")
    url = "/api/v1/jinan/entities/joint_decision"
    assert sorted(i["data"]["title"] for i in city.get(url, query_string={"scope": "subtree"}).get_json()["items"]) \
        == ["jinan 议定事项", "lixia 议定事项", "shizhong 议定事项"]
    with app.app_context():
        shizhong = tenant_by_slug(session, "shizhong")
        with use_scope(session, TenantScope.of(shizhong)):
            set_enabled(session, app.extensions["quanhui.plugins"], shizhong, "meetings", False, None)
        session.commit()
    assert sorted(i["data"]["title"] for i in city.get(url, query_string={"scope": "subtree"}).get_json()["items"]) \
        == ["jinan 议定事项", "lixia 议定事项"]
    assert city.get(url, query_string={"tenant": "shizhong"}).get_json()["items"] == []


def test_the_city_lists_what_the_districts_filed_for_a_type_it_published(login_client, api_client):
    city = login_client("jinan", "admin")
    build(city)
    for slug, title in (("lixia", "历下区联席会议纪要"), ("shizhong", "市中区联席会议纪要")):
        filed = api_client(slug, "editor").post(f"/api/v1/{slug}/entities/{TYPE}", json={**RECORD, "title": title})
        assert filed.status_code == 201
    page = city.get(f"/jinan/entities/{TYPE}/").get_data(as_text=True)
    assert "历下区联席会议纪要" in page and "市中区联席会议纪要" in page
    assert "还没有" not in page
    assert "还没有" in city.get(f"/jinan/entities/{TYPE}/", query_string={"scope": "own"}).get_data(as_text=True)
    district = login_client("lixia", "viewer").get(f"/lixia/entities/{TYPE}/").get_data(as_text=True)
    assert "历下区联席会议纪要" in district and "市中区联席会议纪要" not in district


def test_a_subtree_page_costs_the_same_queries_however_many_rows_and_units(app, api_client, directory):
    engine = app.extensions["quanhui.db"].engine
    city = api_client("jinan", "viewer")
    statements = []

    def count_statement(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "set_config" not in statement:
            statements.append(statement)

    city.get(API, query_string={"scope": "subtree"})  # the caller's first request notes its token's use
    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        city.get(API, query_string={"scope": "subtree", "per_page": 1, "sort": "name", "q": "协会"})
        one = len(statements)
        statements.clear()
        city.get(API, query_string={"scope": "subtree", "per_page": 50, "sort": "name", "q": "协会"})
        many = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert one == many
    assert sum("entities" in s for s in statements) == 2  # the count and the page, over every unit at once
