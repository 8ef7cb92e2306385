"""你好: what a user sees. The fixtures come from core.testing (installed with quanhui
as a pytest plugin): ``app``, ``client``, ``login_client``, ``make_user``, ``tenant``,
``db_session`` and the markers ``quanhui_plugins`` and ``enable_plugins``.

Once this package is installed (``pip install -e .``) quanhui finds the plugin through
its entry point; the ``quanhui_plugins`` marker only makes the tests work before that.
"""
import pytest

HX = {"HX-Request": "true"}

pytestmark = [
    pytest.mark.quanhui_plugins("quanhui_hello"),
    pytest.mark.enable_plugins("hello", tenants=["lixia"]),
]


def test_the_page_shows_the_form_in_the_district_that_enabled_it(login_client):
    editor = login_client("lixia", "editor")
    page = editor.get("/lixia/hello/")
    assert page.status_code == 200
    assert "你好" in page.get_data(as_text=True)
    assert 'id="hello-form"' in page.get_data(as_text=True)


def test_a_district_that_has_not_enabled_it_answers_404(login_client):
    admin = login_client("shizhong", "admin")
    assert admin.get("/shizhong/hello/").status_code == 404
    assert admin.get("/shizhong/entities/hello_item/").status_code == 404


def test_the_htmx_form_adds_a_record_and_refuses_an_empty_title(login_client):
    editor = login_client("lixia", "editor")
    empty = editor.post("/lixia/hello/", data={"title": ""}, headers=HX)
    assert empty.status_code == 422
    assert "此项必填" in empty.get_data(as_text=True)
    added = editor.post("/lixia/hello/", data={"title": "第一条事项"}, headers=HX)
    assert added.status_code == 200
    assert "已添加:第一条事项" in added.get_data(as_text=True)
    listing = editor.get("/lixia/entities/hello_item/").get_data(as_text=True)
    assert "第一条事项" in listing


def test_viewers_see_the_page_without_the_form(login_client):
    viewer = login_client("lixia", "viewer")
    page = viewer.get("/lixia/hello/").get_data(as_text=True)
    assert 'id="hello-form"' not in page
    assert viewer.post("/lixia/hello/", data={"title": "不该写入"}, headers=HX).status_code == 403


def test_the_report_counts_by_category(login_client):
    editor = login_client("lixia", "editor")
    editor.post("/lixia/hello/", data={"title": "甲"}, headers=HX)
    editor.post("/lixia/hello/", data={"title": "乙"}, headers=HX)
    report = editor.get("/api/v1/lixia/reports/hello.by_category")
    assert report.status_code == 200, report.get_data(as_text=True)
    assert [(row["category"], row["count"]) for row in report.json["rows"]] == [("一般", 2)]


def test_the_stylesheet_is_served_from_the_plugin(login_client):
    viewer = login_client("lixia", "viewer")
    assert viewer.get("/lixia/hello/static/hello/hello.css").status_code == 200
