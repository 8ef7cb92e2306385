"""Signing in and out: sessions, throttling, CSRF and the audit trail."""
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import session
from core.tenancy import system_scope
from core.testing import TEST_PASSWORD


def audit_actions(app, target=None):
    with app.app_context(), system_scope(session):
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        if target:
            query = query.where(AuditEvent.target == target)
        return list(session.scalars(query))


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert "登录泉汇" in page
    assert 'name="csrf-token"' in page


def test_a_district_admin_lands_on_their_own_dashboard(client, make_user):
    make_user("lixia", "admin")
    response = client.login("lixia-admin")
    assert response.status_code == 303
    assert response.location == "/lixia/"
    page = client.get("/lixia/").get_data(as_text=True)
    assert "历下区 · 工作台" in page


def test_htmx_login_redirects_with_a_header(client, make_user):
    make_user("lixia", "admin")
    response = client.post(
        "/login", data={"username": "lixia-admin", "password": TEST_PASSWORD}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/lixia/"


def test_a_wrong_password_is_refused_in_chinese_and_audited(app, client, make_user):
    make_user("lixia", "admin")
    response = client.login("lixia-admin", "not-the-password")
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/lixia/").status_code == 302
    assert audit_actions(app, "lixia-admin") == ["auth.login_failed"]


def test_an_unknown_user_gets_the_same_message(client):
    response = client.login("nobody-here", "whatever-password")
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(client, make_user):
    make_user("lixia", "admin")
    assert client.get("/lixia/admin/users").location == "/login?next=/lixia/admin/users"
    response = client.post(
        "/login", data={"username": "lixia-admin", "password": TEST_PASSWORD, "next": "/lixia/admin/users"}
    )
    assert response.location == "/lixia/admin/users"
    client.post("/logout")
    response = client.post(
        "/login", data={"username": "lixia-admin", "password": TEST_PASSWORD, "next": "//evil.example/"}
    )
    assert response.location == "/lixia/"


def test_the_session_is_renewed_at_login(client, make_user):
    make_user("lixia", "admin")
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone before login"
    client.login("lixia-admin")
    with client.session_transaction() as cookie:
        assert "planted" not in cookie


def test_logout_ends_the_session_even_if_the_old_cookie_is_replayed(app, client, make_user):
    make_user("lixia", "admin")
    client.login("lixia-admin")
    with client.session_transaction() as cookie:
        stolen = dict(cookie)
    assert client.post("/logout").status_code == 303
    assert client.get("/lixia/").status_code == 302
    with client.session_transaction() as cookie:
        cookie.update(stolen)
    assert client.get("/lixia/").status_code == 302
    assert audit_actions(app, "lixia-admin") == ["auth.login", "auth.logout"]


def test_a_deactivated_user_cannot_sign_in(app, client, make_user):
    user = make_user("lixia", "viewer")
    with app.app_context(), system_scope(session):
        session.get(type(user), user.id).active = False
        session.commit()
    assert client.login("lixia-viewer").status_code == 422


def test_ten_failed_logins_in_a_minute_are_throttled_and_audited_once(app, client, make_user):
    make_user("lixia", "admin")
    statuses = [client.login("lixia-admin", f"wrong-password-{n}").status_code for n in range(10)]
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429] * 5
    assert "操作太频繁" in client.login("lixia-admin").get_data(as_text=True)
    actions = audit_actions(app, "lixia-admin")
    assert actions.count("auth.login_failed") == 5
    assert actions.count("auth.throttled") == 1


def test_throttling_one_account_does_not_lock_out_another(client, make_user):
    make_user("lixia", "admin")
    make_user("shizhong", "admin")
    for n in range(6):
        client.login("lixia-admin", f"wrong-password-{n}")
    assert client.login("shizhong-admin").status_code == 303


def test_a_post_without_the_csrf_token_is_refused_with_a_chinese_message(client, make_user):
    make_user("lixia", "admin")
    response = client.post("/login", data={"username": "lixia-admin", "password": TEST_PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert client.get("/lixia/").status_code == 302


def test_an_expired_csrf_token_is_refused(app, client, make_user):
    make_user("lixia", "admin")
    token = client.csrf_token()
    app.config["WTF_CSRF_TIME_LIMIT"] = -1
    response = client.post(
        "/login", data={"username": "lixia-admin", "password": TEST_PASSWORD}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_signing_in_again_ends_the_previous_login(client, make_user):
    make_user("lixia", "admin")
    make_user("lixia", "viewer")
    client.login("lixia-admin")
    with client.session_transaction() as cookie:
        first = dict(cookie)
    client.login("lixia-viewer")
    with client.session_transaction() as cookie:
        cookie.clear()
        cookie.update(first)
    assert client.get("/lixia/").status_code == 302


def test_behind_a_declared_proxy_the_audit_log_records_the_clients_address(app, make_user):
    from core.web.app import create_app

    proxied = create_app({**app.config, "QUANHUI_PROXY_HOPS": 1})
    proxied.test_client_class = type(app.test_client())
    make_user("lixia", "admin")
    client = proxied.test_client()
    client.post(
        "/login",
        data={"username": "lixia-admin", "password": TEST_PASSWORD},
        headers={"X-Forwarded-For": "10.37.1.8"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    with app.app_context(), system_scope(session):
        assert session.scalar(select(AuditEvent.ip).where(AuditEvent.action == "auth.login")) == "10.37.1.8"
