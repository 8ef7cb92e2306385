"""The records API: /api/v1/<tenant>/entities/<type>[/<id>] and its OpenAPI documents.

What an integrating system sees: JSON pages with filters, search and sort on indexed
fields; 201/422 with each field's Chinese message; ETag and If-Match for concurrency;
404 for whatever is not theirs; bearer tokens without CSRF, cookies with it.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, event as note_event, given, settings, strategies as st
from sqlalchemy import event, func, select

from core.auth.accounts import create_api_token
from core.db import session
from core.entities.definitions import Field
from core.entities.models import CustomField, Entity, EntityRevision
from core.entities.uscc import make
from core.tenancy import TenantScope, system_scope, use_scope

API = "/api/v1/lixia/entities/association"
CODES = [make("5", "1", "370102", n) for n in range(1, 40)]
VALID = {"name": "济南市软件行业协会", "uscc": CODES[0], "category": "行业协会"}


# helpers ----------------------------------------------------------------


@pytest.fixture
def token(app, make_user):
    """``token("lixia", "editor")``: a bearer token of a new user of that tenant and role."""

    made = []

    def make_token(slug: str = "lixia", role: str = "editor") -> str:
        made.append(slug)
        user = make_user(slug, role, username=f"{slug}-{role}-api{len(made)}")
        with app.app_context():
            value = create_api_token(session, user, "数据对接", actor=None)
            session.commit()
        return value

    return make_token


@pytest.fixture
def api(client, token):
    """A client calling as a lixia editor with a bearer token (no cookie, no CSRF token)."""
    headers = {"Authorization": f"Bearer {token('lixia', 'editor')}"}

    class Caller:
        def get(self, url, **kw):
            return client.get(url, headers={**headers, **kw.pop("headers", {})}, **kw)

        def post(self, url, body, **kw):
            return client.post(url, json=body, headers={**headers, **kw.pop("headers", {})}, **kw)

        def patch(self, url, body, **kw):
            return client.patch(url, json=body, headers={**headers, **kw.pop("headers", {})}, **kw)

        def delete(self, url, **kw):
            return client.delete(url, headers={**headers, **kw.pop("headers", {})}, **kw)

    return Caller()


def association(number: int, **fields) -> dict:
    return {"name": f"济南市第{number}行业协会", "uscc": CODES[number], "category": "行业协会", **fields}


def count(app, slug_id=None, deleted=False) -> int:
    with app.app_context(), system_scope(session):
        query = select(func.count(Entity.id)).where(Entity.type == "association")
        query = query.where(Entity.deleted_at.is_not(None) if deleted else Entity.deleted_at.is_(None))
        if slug_id is not None:
            query = query.where(Entity.tenant_id == slug_id)
        return session.scalar(query)


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["data"]["name"] for item in response.json["items"]]


@pytest.fixture
def directory(api):
    """Six lixia associations with different statuses, categories, member counts and dates."""
    rows = [
        association(1, status="正常", category="商会", member_count=50, registered_on="2010-03-01", tags=["科技"]),
        association(2, status="正常", category="商会", member_count=150, registered_on="2015-06-01"),
        association(3, status="整改中", category="行业协会", member_count=300, registered_on="2021-01-01",
                    tags=["科技", "制造"]),
        association(4, status="正常", category="行业协会", member_count=100, registered_on="2019-12-31"),
        association(5, status="注销", category="异地商会", registered_on="2008-08-08"),
        association(6, name="济南市软件行业协会", industry_department="市工业和信息化局", member_count=220),
    ]
    ids = []
    for row in rows:
        response = api.post(API, row)
        assert response.status_code == 201, response.get_data(as_text=True)
        ids.append(response.json["id"])
    return ids


# listing ----------------------------------------------------------------


def test_a_list_is_a_page_of_items_with_the_total(api, directory):
    response = api.get(API)
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"items", "page", "per_page", "total"}
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 6)
    item = body["items"][0]
    assert set(item) == {"id", "version", "data", "created_at", "updated_at"}
    assert item["id"] == directory[-1]  # newest first by default
    assert item["version"] == 1
    assert item["data"]["name"] == "济南市软件行业协会"
    assert item["data"]["status"] == "正常"  # the default was filled in
    assert item["data"]["contact_phone"] is None  # every field is there, absent ones as null
    assert item["created_at"].endswith("+00:00")


def test_paging_walks_through_every_record_once(api, directory):
    first = api.get(f"{API}?per_page=4&sort=id").json
    second = api.get(f"{API}?per_page=4&sort=id&page=2").json
    past_the_end = api.get(f"{API}?per_page=4&sort=id&page=3").json
    assert [i["id"] for i in first["items"] + second["items"]] == directory
    assert (second["page"], second["total"], len(second["items"])) == (2, 6, 2)
    assert past_the_end["items"] == [] and past_the_end["total"] == 6


def test_per_page_is_at_most_200_and_paging_parameters_must_be_numbers(api, directory):
    for query, field in (("per_page=201", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"),
                         ("page=abc", "page"), ("per_page=-1", "per_page")):
        response = api.get(f"{API}?{query}")
        assert response.status_code == 422, query
        assert response.json["error"]["code"] == "invalid"
        assert field in response.json["error"]["fields"], query
    assert len(api.get(f"{API}?per_page=200").json["items"]) == 6


def test_filters_on_indexed_fields_combine(api, directory):
    assert sorted(names(api.get(f"{API}?status=正常&category=商会"))) == ["济南市第1行业协会", "济南市第2行业协会"]
    assert sorted(names(api.get(f"{API}?status=整改中&status=注销"))) == ["济南市第3行业协会", "济南市第5行业协会"]
    assert names(api.get(f"{API}?tags=制造")) == ["济南市第3行业协会"]
    assert len(names(api.get(f"{API}?status=注销&status__ne=注销"))) == 0
    assert len(names(api.get(f"{API}?status="))) == 6  # an empty value filters nothing, as a form's "all"


def test_range_filters_on_numbers_and_dates(api, directory):
    assert sorted(names(api.get(f"{API}?member_count__gte=100&sort=member_count"))) == [
        "济南市第2行业协会", "济南市第3行业协会", "济南市第4行业协会", "济南市软件行业协会"]
    assert names(api.get(f"{API}?member_count__gt=100&member_count__lt=300&sort=member_count")) == [
        "济南市第2行业协会", "济南市软件行业协会"]
    assert names(api.get(f"{API}?registered_on__lt=2010-03-01")) == ["济南市第5行业协会"]
    assert names(api.get(f"{API}?registered_on__gte=2020-01-01&registered_on__lte=2021-01-01")) == ["济南市第3行业协会"]


def test_search_looks_in_the_indexed_text_fields(api, directory):
    assert names(api.get(f"{API}?q=软件")) == ["济南市软件行业协会"]
    assert names(api.get(f"{API}?q=工业和信息化")) == ["济南市软件行业协会"]  # industry_department
    assert names(api.get(f"{API}?q={CODES[4].lower()}")) == ["济南市第4行业协会"]  # codes, any case
    assert names(api.get(f"{API}?q=济南市 第3")) == ["济南市第3行业协会"]  # every word must occur
    assert names(api.get(f"{API}?q=100%25")) == []  # % is a character, not a wildcard
    assert names(api.get(f"{API}?q=整改中&category=行业协会")) == ["济南市第3行业协会"]


def test_sort_by_an_indexed_field_either_way_with_blanks_last(api, directory):
    ascending = names(api.get(f"{API}?sort=member_count"))
    assert ascending == ["济南市第1行业协会", "济南市第4行业协会", "济南市第2行业协会", "济南市软件行业协会",
                         "济南市第3行业协会", "济南市第5行业协会"]
    descending = names(api.get(f"{API}?sort=-member_count"))
    assert descending[:5] == list(reversed(ascending[:5])) and descending[-1] == "济南市第5行业协会"
    assert names(api.get(f"{API}?sort=registered_on"))[0] == "济南市第5行业协会"
    assert set(names(api.get(f"{API}?sort=tags"))[:2]) == {"济南市第1行业协会", "济南市第3行业协会"}  # multi-valued
    assert [i["id"] for i in api.get(f"{API}?sort=created_at").json["items"]] == directory
    assert len(names(api.get(f"{API}?sort=-updated_at"))) == 6


def test_unknown_or_unindexed_filter_and_sort_fields_are_named_in_a_422(api, directory):
    cases = {
        "colour=red": "colour",
        "address=历下区": "address",  # a field, but not indexed
        "sort=address": "sort",
        "sort=-colour": "sort",
        "member_count__gte=很多": "member_count__gte",
        "registered_on__lt=去年": "registered_on__lt",
        "name__gte=济南": "name__gte",  # ranges are for numbers and dates
    }
    for query, field in cases.items():
        response = api.get(f"{API}?{query}")
        assert response.status_code == 422, query
        error = response.json["error"]
        assert error["code"] == "invalid" and field in error["fields"], (query, error)
        assert field in error["message"] or query.split("=")[1].lstrip("-") in error["message"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])


def test_the_same_query_serves_pages_and_exports(app, api, directory, tenant):
    from core.entities.query import QueryError, matching, search

    lixia = tenant("lixia")
    entity_type = app.extensions["quanhui.entities"].types["association"]
    with app.app_context(), use_scope(session, TenantScope.of(lixia)):
        arguments = {"q": "济南", "filters": {"member_count__gte": ["100"]}, "sort": "-member_count"}
        page = search(session, entity_type, page=1, per_page=2, **arguments)
        everything = list(session.scalars(matching(session, entity_type, **arguments)))
        assert (page.total, page.pages, page.has_next) == (4, 2, True)
        assert [e.id for e in page.items] == [e.id for e in everything[:2]]
        assert [e.data["member_count"] for e in everything] == [300, 220, 150, 100]
        with pytest.raises(QueryError) as refused:
            search(session, entity_type, filters={"colour": "red"})
        assert refused.value.field == "colour" and "colour" in refused.value.message


def test_a_list_page_costs_the_same_few_queries_however_many_rows(app, api, directory):
    engine = app.extensions["quanhui.db"].engine
    statements = []

    def count_statement(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "entities" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        api.get(f"{API}?per_page=1&sort=name&status=正常&q=济南")
        one = len(statements)
        statements.clear()
        api.get(f"{API}?per_page=50&sort=name&status=正常&q=济南")
        many = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert one == many == 2  # the count and the page
    assert all("json" not in s.lower() for s in statements)


# creating ---------------------------------------------------------------


def test_a_created_record_answers_201_with_its_location_and_etag(api, app):
    response = api.post(API, {**VALID, "member_count": 120, "tags": ["软件", "信息"]})
    assert response.status_code == 201, response.get_data(as_text=True)
    item = response.json
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"{API}/{item['id']}")
    assert item["data"]["member_count"] == 120 and item["data"]["tags"] == ["软件", "信息"]
    fetched = api.get(response.headers["Location"])
    assert fetched.status_code == 200 and fetched.json == item and fetched.headers["ETag"] == '"1"'


def test_invalid_input_is_refused_with_every_fields_chinese_message_and_nothing_written(api, app):
    response = api.post(API, {"uscc": "51420000MJH2003664", "category": "协会", "member_count": "很多"})
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["status"], error["code"]) == (422, "invalid")
    assert error["fields"]["name"] == ["此项必填"]
    assert error["fields"]["uscc"] == ["校验位应为 N,实际为 4"]
    assert error["fields"]["member_count"] == ["请输入整数"]
    assert error["fields"]["category"][0].startswith("请从以下选项中选择")
    assert "name" in error["message"] and "uscc" in error["message"]
    assert count(app) == 0


def test_a_number_too_large_to_store_is_refused_on_every_database(api, app):
    for value in (10**16, 10**30, 1e300, "1e400", -(10**30)):
        response = api.post(API, {**VALID, "member_count": value})
        assert response.status_code == 422, value
        assert list(response.json["error"]["fields"]) == ["member_count"]
    assert "数值太大,超出了可以保存的范围(绝对值不超过 10 的 15 次方)" in api.post(
        API, {**VALID, "member_count": 10**16}).json["error"]["fields"]["member_count"]
    assert count(app) == 0


def test_an_unknown_field_is_named_in_the_422(api, app):
    response = api.post(API, {**VALID, "colour": "红"})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"colour": ["没有这个字段"]}
    assert "colour" in response.json["error"]["message"]
    assert count(app) == 0


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b"[1, 2]", 422),
        (b'"name"', 422),
        (b"", 400),
        (b'{"name": NaN}', 400),
        (b'{"name": "\\u0000"}', 422),
        (b'{"name": "\\ud800"}', 422),
        (b"[" * 5000 + b"]" * 5000, 400),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_in_chinese(api, app, client, token, body, status):
    headers = {"Authorization": f"Bearer {token('lixia', 'admin')}", "Content-Type": "application/json"}
    response = client.post(API, data=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json["error"]["message"])
    assert count(app) == 0


# reading one, concurrency -----------------------------------------------


def test_patch_needs_if_match_and_changes_only_the_fields_given(api, app):
    created = api.post(API, {**VALID, "member_count": 10}).json
    url = f"{API}/{created['id']}"

    missing = api.patch(url, {"member_count": 11})
    assert missing.status_code == 428
    assert missing.json["error"]["code"] == "precondition_required"
    assert "If-Match" in missing.json["error"]["message"]

    changed = api.patch(url, {"member_count": 11}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.headers["ETag"] == '"2"'
    assert changed.json["version"] == 2
    assert changed.json["data"]["member_count"] == 11 and changed.json["data"]["name"] == VALID["name"]


def test_a_stale_patch_gets_412_with_the_current_record_and_changes_nothing(api, app):
    created = api.post(API, {**VALID, "member_count": 10}).json
    url = f"{API}/{created['id']}"
    assert api.patch(url, {"member_count": 20}, headers={"If-Match": '"1"'}).status_code == 200

    stale = api.patch(url, {"member_count": 30}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json["error"]["code"] == "precondition_failed"
    assert "已被他人修改" in stale.json["error"]["message"]
    assert stale.json["current"]["version"] == 2 and stale.json["current"]["data"]["member_count"] == 20
    assert stale.headers["ETag"] == '"2"'
    assert api.get(url).json["data"]["member_count"] == 20
    with app.app_context(), system_scope(session):
        versions = session.scalars(select(EntityRevision.version).where(EntityRevision.entity_id == created["id"]))
        assert list(versions) == [1, 2]


def test_a_patch_is_validated_like_a_create(api, app):
    created = api.post(API, VALID).json
    url = f"{API}/{created['id']}"
    refused = api.patch(url, {"name": "", "contact_phone": "12345"}, headers={"If-Match": '"1"'})
    assert refused.status_code == 422
    assert refused.json["error"]["fields"]["name"] == ["此项必填"]
    assert refused.json["error"]["fields"]["contact_phone"][0].startswith("请输入手机号")
    assert api.get(url).headers["ETag"] == '"1"'


def test_a_deleted_record_answers_404_and_waits_in_the_recycle_bin(api, app):
    created = api.post(API, VALID).json
    url = f"{API}/{created['id']}"
    assert api.delete(url, headers={"If-Match": '"7"'}).status_code == 412  # If-Match is checked when given
    response = api.delete(url)
    assert response.status_code == 204 and response.get_data() == b""
    assert api.get(url).status_code == 404
    assert api.patch(url, {"name": "x"}, headers={"If-Match": '"2"'}).status_code == 404
    assert api.delete(url).status_code == 404
    assert api.get(API).json["total"] == 0
    assert count(app, deleted=True) == 1


def test_unknown_ids_and_types_answer_404_in_chinese(api):
    for url in (f"{API}/999999", f"{API}/99999999999999999999999", "/api/v1/lixia/entities/no_such_type",
                "/api/v1/lixia/entities/no_such_type/1"):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.json["error"]["code"] == "not_found"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json["error"]["message"])


def test_a_type_of_a_plugin_not_enabled_in_the_tenant_answers_404(app, api):
    from core.entities.definitions import EntityType

    # a type whose plugin is installed in this app but enabled in no tenant
    registry = app.extensions["quanhui.entities"]
    registry.types["gadget"] = EntityType("gadget", "小工具", (Field("name", "名称"),), plugin="not_enabled_plugin")
    assert api.get("/api/v1/lixia/entities/gadget").status_code == 404
    assert api.post("/api/v1/lixia/entities/gadget", {"name": "x"}).status_code == 404


# who may ---------------------------------------------------------------


def test_another_tenants_record_answers_404(app, api, token, client, tenant):
    created = api.post(API, VALID).json
    shizhong = {"Authorization": f"Bearer {token('shizhong', 'admin')}"}
    assert client.get(f"/api/v1/shizhong/entities/association/{created['id']}", headers=shizhong).status_code == 404
    assert client.get(f"{API}/{created['id']}", headers=shizhong).status_code == 404  # lixia itself is not theirs
    assert client.patch(f"/api/v1/shizhong/entities/association/{created['id']}", json={"name": "x"},
                        headers={**shizhong, "If-Match": '"1"'}).status_code == 404
    assert client.delete(f"/api/v1/shizhong/entities/association/{created['id']}", headers=shizhong).status_code == 404
    assert client.get("/api/v1/shizhong/entities/association", headers=shizhong).json["total"] == 0
    assert count(app, tenant("lixia").id) == 1


def test_the_city_reads_a_districts_records_in_the_districts_url(app, api, token, client):
    api.post(API, VALID)
    city = {"Authorization": f"Bearer {token('jinan', 'viewer')}"}
    assert client.get(API, headers=city).json["total"] == 1
    assert client.get("/api/v1/jinan/entities/association", headers=city).json["total"] == 0


def test_a_viewer_reads_but_may_not_write(app, api, token, client):
    created = api.post(API, VALID).json
    viewer = {"Authorization": f"Bearer {token('lixia', 'viewer')}"}
    assert client.get(API, headers=viewer).status_code == 200
    assert client.get(f"{API}/{created['id']}", headers=viewer).status_code == 200
    for response in (
        client.post(API, json=association(2), headers=viewer),
        client.patch(f"{API}/{created['id']}", json={"name": "改名"}, headers={**viewer, "If-Match": '"1"'}),
        client.delete(f"{API}/{created['id']}", headers=viewer),
    ):
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"
        assert "权限" in response.json["error"]["message"]
    assert count(app) == 1


def test_without_a_token_or_session_the_api_answers_401(client):
    response = client.get(API)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert client.get(API, headers={"Authorization": "Bearer qh_not-a-token"}).status_code == 401


def test_a_bearer_token_needs_no_csrf_token_but_a_session_cookie_does(app, login_client, token, client):
    bearer = {"Authorization": f"Bearer {token('lixia', 'editor')}"}
    assert client.post(API, json=VALID, headers=bearer, csrf=False).status_code == 201

    browser = login_client("lixia", "editor")
    refused = browser.post(API, json=association(2), csrf=False)
    assert refused.status_code == 400
    assert "页面已过期" in refused.json["error"]["message"]
    assert browser.post(API, json=association(2)).status_code == 201  # with the page's CSRF token
    created = browser.get(API).json["items"][0]
    url = f"{API}/{created['id']}"
    assert browser.patch(url, json={"name": "新名"}, headers={"If-Match": '"1"'}, csrf=False).status_code == 400
    assert browser.delete(url, csrf=False).status_code == 400
    assert browser.patch(url, json={"name": "新名"}, headers={"If-Match": '"1"'}).status_code == 200
    assert browser.delete(url).status_code == 204
    assert count(app) == 1


# OpenAPI ---------------------------------------------------------------


def test_the_openapi_document_lists_every_path_and_the_association_schema(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "泉汇 quanhui API"
    from core import __version__

    assert doc["info"]["version"] == __version__
    assert set(doc["paths"]["/api/v1/{tenant}/entities/association"]) >= {"get", "post"}
    assert set(doc["paths"]["/api/v1/{tenant}/entities/association/{id}"]) >= {"get", "patch", "delete"}
    schema = doc["components"]["schemas"]["Association"]
    assert set(schema["required"]) == {"name", "uscc", "category"}
    assert schema["properties"]["status"]["enum"] == ["正常", "整改中", "注销", "撤销"]
    assert schema["properties"]["name"]["title"] == "名称"
    assert schema["properties"]["member_count"]["type"] == "integer"
    assert schema["additionalProperties"] is False
    assert "required" not in doc["components"]["schemas"]["AssociationPatch"]
    assert set(doc["components"]["schemas"]["ErrorDetail"]["properties"]) == {"status", "code", "message", "fields"}
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "API 令牌(qh_ 开头)"}
    assert "/api/v1/<单位>/openapi.json" in doc["info"]["description"]
    listing = doc["paths"]["/api/v1/{tenant}/entities/association"]["get"]
    parameters = {p["name"] for p in listing["parameters"]}
    assert {"page", "per_page", "q", "sort", "status", "member_count__gte", "registered_on__lt"} <= parameters
    assert "address" not in parameters  # not indexed, so not a filter


def test_the_document_is_built_once_per_app(app, client):
    first = client.get("/api/openapi.json").json
    assert app.extensions["quanhui.openapi"] is not None
    assert client.get("/api/openapi.json").json == first


def test_a_tenants_document_includes_its_own_custom_fields_and_no_one_elses(app, login_client, tenant, client, token):
    lixia = tenant("lixia")
    field = Field("president_phone", "会长手机号", kind="phone", required=True)
    with app.app_context(), use_scope(session, TenantScope.of(lixia)):
        session.add(CustomField(tenant_id=lixia.id, type="association", name=field.name, definition=field.to_json()))
        session.commit()

    lixia_doc = client.get("/api/v1/lixia/openapi.json", headers={"Authorization": f"Bearer {token('lixia')}"}).json
    schema = lixia_doc["components"]["schemas"]["Association"]
    assert schema["properties"]["president_phone"]["title"] == "会长手机号"
    assert "president_phone" in schema["required"]
    shizhong = {"Authorization": f"Bearer {token('shizhong')}"}
    shizhong_doc = client.get("/api/v1/shizhong/openapi.json", headers=shizhong).json
    assert "president_phone" not in shizhong_doc["components"]["schemas"]["Association"]["properties"]
    assert "president_phone" not in client.get("/api/openapi.json").json["components"]["schemas"]["Association"][
        "properties"]
    assert client.get("/api/v1/lixia/openapi.json", headers=shizhong).status_code == 404
    client.get("/api/v1/shizhong/openapi.json", headers=shizhong)
    assert len(app.extensions["quanhui.openapi_tenants"]) == 2  # one per distinct definition, not per request
    assert client.get("/api/v1/lixia/openapi.json").status_code == 401

    # and the API itself asks for the field in lixia only
    editor = {"Authorization": f"Bearer {token('lixia', 'editor')}"}
    refused = client.post(API, json=VALID, headers=editor)
    assert refused.json["error"]["fields"] == {"president_phone": ["此项必填"]}
    assert client.post(API, json={**VALID, "president_phone": "12345"}, headers=editor).status_code == 422
    created = client.post(API, json={**VALID, "president_phone": "13905310000"}, headers=editor)
    assert created.status_code == 201 and created.json["data"]["president_phone"] == "13905310000"


# any input --------------------------------------------------------------

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def plausible(prop: dict):
    """Values of the right shape for a property of the OpenAPI schema, so some bodies pass."""
    if "enum" in prop:
        return st.sampled_from([v for v in prop["enum"] if v is not None])
    if prop.get("x-quanhui-kind") == "uscc":
        return st.sampled_from(CODES)
    if prop.get("format") == "date":
        return st.dates().map(lambda d: d.isoformat())
    if prop.get("type") == "integer":
        return st.integers(min_value=-10, max_value=10**6) | st.integers()
    if prop.get("type") == "array":
        return st.lists(st.text(min_size=1, max_size=30), max_size=3)
    return st.text(min_size=1, max_size=prop.get("maxLength", 50))


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_json_object_gets_201_or_422_and_only_a_201_writes(app, client, token, data):
    if not hasattr(app, "_api_test_headers"):
        app._api_test_headers = {"Authorization": f"Bearer {token('lixia', 'admin')}"}
        app._api_test_schema = client.get("/api/openapi.json").json["components"]["schemas"]["Association"]
    schema = app._api_test_schema
    properties = schema["properties"]
    keys = st.sampled_from([*properties, "colour", "id", "version"]) | st.text(max_size=8)
    body = data.draw(
        st.fixed_dictionaries(
            {name: plausible(properties[name]) for name in schema["required"]},
            optional={name: plausible(prop) | JSON_VALUES for name, prop in properties.items()
                      if name not in schema["required"]},
        )
        | st.dictionaries(keys, JSON_VALUES, max_size=6)
    )
    before = count(app)
    response = client.post(API, data=json.dumps(body), headers={**app._api_test_headers,
                                                               "Content-Type": "application/json"})
    assert response.status_code in (201, 422), (body, response.status_code, response.get_data(as_text=True))
    assert count(app) == before + (response.status_code == 201)
    note_event(f"answered {response.status_code}")
    if response.status_code == 422:
        assert response.json["error"]["fields"] or response.json["error"]["message"]


def test_the_api_client_fixture_calls_with_a_bearer_token_and_no_csrf(api_client):
    client = api_client("lixia", "editor")
    created = client.post("/api/v1/lixia/entities/association", json={
        "name": "历下区测试协会", "uscc": "51420000MJH200395N", "category": "行业协会"})
    assert created.status_code == 201
    assert client.get("/api/v1/shizhong/").status_code == 404
