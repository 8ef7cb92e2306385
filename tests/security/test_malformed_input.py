"""The inputs of the 2026 probe that answered 500 (or 503): each is now a 4xx with a Chinese
message, or the page it asked for. ``test_input_fuzz.py`` sends every class of them to
every route; here each example of the report is one case, with what the user sees."""
from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from core.testing import TEST_PASSWORD

PLUGINS = ("think_tank", "matching", "rectification")
NUL = "请求中含有空字符"
STRONG = "Quanhui-长密码-" + "zq7Xr9wP" * 8  # 80 characters: more than bcrypt's 72 bytes


def message(response) -> str:
    """What the user is told: the page, the JSON message, or the htmx header."""
    body = response.get_json(silent=True)
    if body is not None:
        return body["error"]["message"]
    return unquote(response.headers.get("X-Quanhui-Message", "")) + response.get_data(as_text=True)


@pytest.mark.enable_plugins(*PLUGINS, tenants=["lixia"])
@pytest.mark.parametrize("url", [
    "/a%00b/", "/api/v1/a%00b/entities/association", "/lixia/think_tank/search?q=abc%00def",
    "/lixia/entities/association/?q=%00", "/api/v1/lixia/entities/association?q=a%00",
])
def test_a_nul_byte_in_the_path_or_the_query_is_refused(login_client, url):
    response = login_client("lixia", "admin").get(url)
    assert response.status_code == 400
    assert NUL in message(response)


def test_a_nul_byte_in_a_username_is_refused_at_login(client):
    response = client.post("/login", data={"username": "lixia\x00-admin", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert NUL in message(response)


def test_a_form_part_without_a_name_is_read_past(api_client):
    body = (b'--B\r\nContent-Disposition: form-data\r\n\r\n{}\r\n'
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc\r\n--B--\r\n')
    answer = api_client("lixia").post("/api/v1/lixia/entities/association/6000203981/files/file", data=body,
                                      content_type="multipart/form-data; boundary=B")
    assert answer.status_code == 404


@pytest.mark.parametrize("entity_id", ["9223372036854775808", "1234567890123456789012345", "%D9%A3", "%EF%BC%91"])
@pytest.mark.parametrize("path", [
    "/lixia/entities/association/{}", "/lixia/entities/association/{}/edit",
    "/lixia/entities/association/{}/revisions/1", "/api/v1/lixia/entities/association/{}",
])
def test_an_id_beyond_64_bits_or_in_other_digits_is_not_found(login_client, path, entity_id):
    """One converter for every ``<int:...>``: ASCII digits up to 2^63-1, else 404 like any unknown id."""
    response = login_client("lixia", "admin").get(path.format(entity_id))
    assert response.status_code == 404


def test_the_largest_id_is_still_looked_up(login_client):
    assert login_client("lixia", "admin").get("/lixia/entities/association/9223372036854775807").status_code == 404


@pytest.mark.parametrize("value", ["1E+999999999", "-1e999999999", "1E-999999999", "²"])
def test_a_number_filter_out_of_any_range_is_refused(login_client, value):
    client = login_client("lixia", "admin")
    page = client.get("/lixia/entities/association/", query_string={"member_count__gte": value})
    assert page.status_code in (200, 400, 422) and "不是可用的数字" in page.get_data(as_text=True)
    api = client.get("/api/v1/lixia/entities/association", query_string={"member_count__gte": value})
    assert api.status_code in (400, 422) and "不是可用的数字" in message(api)
    export = client.get("/lixia/entities/association/excel/export.xlsx", query_string={"member_count__gte": value})
    assert export.status_code == 422 and "不是可用的数字" in message(export)


@pytest.mark.parametrize(("key", "value", "refusal"), [
    ("minimum", "1E+999999999", "最小值"), ("maximum", "-1e999999999", "最大值"), ("max_length", "²", "最多字数"),
])
def test_the_designer_refuses_numbers_it_cannot_keep(login_client, key, value, refusal):
    kind = "text" if key == "max_length" else "integer"
    response = login_client("lixia", "admin").post(
        "/lixia/admin/fields/association", data={"name": "probe", "label": "探针", "kind": kind, key: value}
    )
    assert response.status_code == 422
    assert refusal in response.get_data(as_text=True)


@pytest.mark.parametrize("entity_id", ["abc", "1234567890123456789012345", "²"])
def test_the_field_check_answers_not_found_for_an_id_that_is_not_one(login_client, entity_id):
    response = login_client("lixia", "admin").post(
        "/lixia/entities/association/check/name", data={"name": "探针协会", "entity_id": entity_id}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("body", ["[" * 900 + "]" * 900, '{"name": ' + "[" * 900 + "]" * 900 + "}"])
def test_json_nested_too_deep_is_refused(api_client, body):
    client = api_client("lixia", "admin")
    response = client.post("/api/v1/lixia/entities/association", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套过深" in message(response)


def test_json_of_ordinary_depth_still_reaches_the_checks(api_client):
    client = api_client("lixia", "admin")
    body = json.dumps({"name": [[["x"]]]})
    response = client.post("/api/v1/lixia/entities/association", data=body, content_type="application/json")
    assert response.status_code == 422


def test_an_htmx_login_returns_to_a_page_whose_address_has_chinese_in_it(client, make_user):
    user = make_user("lixia", "viewer")
    response = client.post(
        "/login", data={"username": user.username, "password": TEST_PASSWORD, "next": "/lixia/think_tank/search?q=融资"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/lixia/think_tank/search?q=%E8%9E%8D%E8%B5%84"


@pytest.mark.enable_plugins("matching", tenants=["lixia"])
def test_a_pair_in_other_digits_is_skipped(login_client):
    response = login_client("lixia", "admin").post(
        "/lixia/matching/assign", data={"programme": "百会联百村", "pair": "²-1"}
    )
    assert response.status_code == 303
    assert "skipped=1" in response.location


def test_the_recycle_bin_far_past_its_end_is_a_page(login_client):
    response = login_client("lixia", "admin").get("/lixia/entities/association/recycle?page=2000000")
    assert response.status_code == 200


def create_user_form(**changes) -> dict:
    return {"username": "lixia-probe", "display_name": "探针", "role": "viewer", "password": STRONG,
            "association_id": "", **changes}


def test_a_password_longer_than_72_characters_is_kept_whole(app, login_client):
    """argon2 hashes every character (bcrypt would drop those past 72 bytes): the whole password signs in."""
    admin = login_client("lixia", "admin")
    assert admin.post("/lixia/admin/users", data=create_user_form()).status_code == 303
    assert app.test_client().login("lixia-probe", STRONG).status_code == 303
    assert app.test_client().login("lixia-probe", STRONG[:72]).status_code == 422


@pytest.mark.parametrize(("changes", "field", "refusal"), [
    ({"password": "Zq7-泉" * 40}, "password", "密码最多 128 个字符"),
    ({"display_name": "济" * 81}, "display_name", "姓名最多 80 个字"),
    ({"role": "association", "association_id": "²"}, "association_id", "协会账号须选择"),
])
def test_the_user_form_refuses_what_it_cannot_keep(login_client, changes, field, refusal):
    response = login_client("lixia", "admin").post("/lixia/admin/users", data=create_user_form(**changes))
    assert response.status_code == 422
    assert refusal in response.get_data(as_text=True)
