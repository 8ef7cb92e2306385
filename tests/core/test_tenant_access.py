"""Who may open which tenant: own tenant, descendants for the city, never a sibling."""
import pytest

NOTICEBOARD = pytest.mark.quanhui_plugins("tests.noticeboard")


def test_an_unknown_tenant_slug_is_404(login_client):
    client = login_client("jinan", "admin")
    assert client.get("/no-such-place/").status_code == 404
    assert client.get("/api/v1/no-such-place/").status_code == 404


def test_a_district_never_sees_a_sibling_district(login_client):
    client = login_client("lixia", "admin")
    for path in ("/shizhong/", "/shizhong/admin/plugins", "/shizhong/admin/users", "/shizhong/admin/audit"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "页面不存在" in response.get_data(as_text=True)
    api = client.get("/api/v1/shizhong/")
    assert api.status_code == 404
    assert api.json == {"error": {"status": 404, "code": "not_found", "message": api.json["error"]["message"]}}


def test_a_district_cannot_open_the_city(login_client):
    client = login_client("lixia", "admin")
    assert client.get("/jinan/").status_code == 404


def test_the_city_reads_every_district(login_client):
    client = login_client("jinan", "admin")
    for slug, name in (("lixia", "历下区"), ("shanghe", "商河县"), ("jinan", "济南市")):
        page = client.get(f"/{slug}/")
        assert page.status_code == 200
        assert f"{name} · 工作台" in page.get_data(as_text=True)
    assert client.get("/api/v1/lixia/").json["tenant"]["name"] == "历下区"


def test_the_city_sees_a_tenant_switcher_and_a_district_does_not(login_client):
    city = login_client("jinan", "admin").get("/jinan/").get_data(as_text=True)
    assert 'data-testid="tenant-switcher"' in city
    assert city.count('/switch?page=/jinan/"') == 13 and 'href="/shanghe/switch?page=/jinan/"' in city
    district = login_client("lixia", "admin").get("/lixia/").get_data(as_text=True)
    assert 'data-testid="tenant-switcher"' not in district


def test_anonymous_pages_redirect_to_login_and_the_api_answers_401(client):
    page = client.get("/lixia/")
    assert page.status_code == 302
    assert page.location == "/login?next=/lixia/"
    api = client.get("/api/v1/lixia/")
    assert api.status_code == 401
    assert api.json["error"]["code"] == "unauthorized"
    assert api.headers["WWW-Authenticate"].startswith("Bearer")


def test_htmx_requests_of_signed_out_users_are_redirected_by_header(client):
    response = client.get("/lixia/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/lixia/"


def test_visiting_a_foreign_tenant_is_audited_as_a_denial(app, login_client):
    from sqlalchemy import select

    from core.audit import AuditEvent
    from core.db import session
    from core.tenancy import system_scope

    login_client("lixia", "admin").get("/shizhong/admin/users")
    with app.app_context(), system_scope(session):
        denial = session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.denied"))
    assert denial.target == "/shizhong/admin/users"
    assert denial.actor == "lixia-admin"


@NOTICEBOARD
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia", "shizhong"])
def test_another_tenants_object_is_404_not_403(app, login_client, tenant):
    from sqlalchemy import select

    from core.db import session
    from core.tenancy import system_scope
    from tests.noticeboard import Notice

    def tenant_id(slug):
        return tenant(slug).id

    with app.app_context(), system_scope(session):
        shizhong_notice = session.scalar(select(Notice).where(Notice.tenant_id == tenant_id("shizhong")))
        lixia_notice = session.scalar(select(Notice).where(Notice.tenant_id == tenant_id("lixia")))
    client = login_client("lixia", "admin")
    assert client.get(f"/lixia/noticeboard/{lixia_notice.id}").status_code == 200
    assert client.get(f"/lixia/noticeboard/{shizhong_notice.id}").status_code == 404
    assert client.get(f"/api/v1/lixia/noticeboard/notices/{shizhong_notice.id}").status_code == 404


def test_pages_vary_on_htmx(login_client):
    response = login_client("lixia", "admin").get("/lixia/")
    assert "HX-Request" in response.headers["Vary"]


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
