"""「我的令牌」: a signed-in user makes API tokens for other systems, sees each one once,
and revokes it; an admin revokes any token of the tenant's users."""
import re

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.auth.accounts import create_api_token
from core.auth.models import ApiToken
from core.tenancy import system_scope

HX = {"HX-Request": "true"}
TOKEN = re.compile(r"qh_[A-Za-z0-9_-]{20,}")
ONCE = "令牌只显示这一次,请立即妥善保存"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def created_token(response) -> str:
    found = TOKEN.findall(response.get_data(as_text=True))
    assert len(found) == 1, response.get_data(as_text=True)
    return found[0]


def audit_actions(db_session, action):
    db_session.rollback()
    with system_scope(db_session):
        return db_session.execute(
            select(AuditEvent.actor, AuditEvent.target, AuditEvent.detail).where(AuditEvent.action == action)
        ).all()


@pytest.fixture
def editor(login_client):
    return login_client("lixia", "editor")


def test_the_page_explains_tokens_and_offers_a_form(editor):
    page = editor.get("/lixia/account/tokens")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "我的 API 令牌" in html and "您还没有 API 令牌。" in html and "创建令牌" in html
    assert 'href="/lixia/account/tokens"' in html  # 「我的令牌」 in the navigation


def test_a_new_token_is_shown_once_and_opens_the_api_of_the_home_tenant(editor, client):
    answer = editor.post("/lixia/account/tokens", data={"name": "数据上报"}, headers=HX)
    assert answer.status_code == 200
    assert ONCE in answer.get_data(as_text=True) and "已创建令牌「数据上报」" in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    token = created_token(answer)
    assert "<code" in answer.get_data(as_text=True)

    api = client.get("/api/v1/lixia/", headers=bearer(token))
    assert api.status_code == 200 and api.json["role"] == "editor"

    listing = editor.get("/lixia/account/tokens").get_data(as_text=True)
    assert "数据上报" in listing and "有效" in listing and token not in listing and token[:12] not in listing
    assert ONCE not in listing


def test_a_plain_form_post_also_shows_the_token_on_the_page_itself(editor, client):
    answer = editor.post("/lixia/account/tokens", data={"name": "办公系统"})
    assert answer.status_code == 200  # no redirect: the token would be lost
    html = answer.get_data(as_text=True)
    assert "<h1>我的 API 令牌</h1>" in html and ONCE in html
    assert client.get("/api/v1/lixia/", headers=bearer(created_token(answer))).status_code == 200


@pytest.mark.parametrize("name, message", [("   ", "请给令牌起个名字,例如用途或系统名"), ("长" * 81, "令牌名称不能超过 80 个字")])
def test_a_token_needs_a_short_name(editor, db_session, name, message):
    answer = editor.post("/lixia/account/tokens", data={"name": name}, headers=HX)
    assert answer.status_code == 422 and answer.headers["HX-Retarget"] == "#token-form"
    assert message in answer.get_data(as_text=True) and TOKEN.search(answer.get_data(as_text=True)) is None
    plain = editor.post("/lixia/account/tokens", data={"name": name})
    assert plain.status_code == 422 and message in plain.get_data(as_text=True)
    with system_scope(db_session):
        assert db_session.scalars(select(ApiToken)).all() == []


def test_revoking_a_token_locks_it_out_at_once(editor, client, db_session):
    token = created_token(editor.post("/lixia/account/tokens", data={"name": "旧系统"}, headers=HX))
    with system_scope(db_session):
        token_id = db_session.scalar(select(ApiToken.id))

    answer = editor.post(f"/lixia/account/tokens/{token_id}/revoke", headers=HX)
    assert answer.status_code == 200 and "已撤销令牌「旧系统」" in answer.get_data(as_text=True)
    assert client.get("/api/v1/lixia/", headers=bearer(token)).status_code == 401
    assert "已撤销" in editor.get("/lixia/account/tokens").get_data(as_text=True)
    again = editor.post(f"/lixia/account/tokens/{token_id}/revoke")  # a plain post: PRG back to the page
    assert again.status_code == 303 and again.location == "/lixia/account/tokens"

    assert [(actor, target, detail["name"]) for actor, target, detail in audit_actions(db_session, "token.created")] == [
        ("lixia-editor", "lixia-editor", "旧系统")
    ]
    assert [(actor, target) for actor, target, _ in audit_actions(db_session, "token.revoked")] == [
        ("lixia-editor", "lixia-editor")
    ]


def test_nobody_revokes_or_sees_someone_elses_token(app, editor, make_user, db_session, client):
    colleague = make_user("lixia", "viewer")
    with app.app_context():
        from core.db import session

        token = create_api_token(session, colleague, "同事的令牌")
        session.commit()
    with system_scope(db_session):
        token_id = db_session.scalar(select(ApiToken.id))
    assert "同事的令牌" not in editor.get("/lixia/account/tokens").get_data(as_text=True)
    assert editor.post(f"/lixia/account/tokens/{token_id}/revoke", headers=HX).status_code == 404
    assert client.get("/api/v1/lixia/", headers=bearer(token)).status_code == 200


def test_tokens_live_in_the_home_tenant_only(login_client):
    city = login_client("jinan", "admin")
    assert city.get("/jinan/account/tokens").status_code == 200
    assert city.get("/lixia/account/tokens").status_code == 404
    assert city.post("/lixia/account/tokens", data={"name": "x"}).status_code == 404
    assert 'href="/lixia/account/tokens"' not in city.get("/lixia/").get_data(as_text=True)
    assert login_client("shizhong", "admin").get("/lixia/account/tokens").status_code == 404


def test_creating_and_revoking_need_the_csrf_token(editor, db_session):
    assert editor.post("/lixia/account/tokens", data={"name": "伪造"}, csrf=False).status_code == 400
    with system_scope(db_session):
        assert db_session.scalars(select(ApiToken)).all() == []
    created_token(editor.post("/lixia/account/tokens", data={"name": "真的"}, headers=HX))
    with system_scope(db_session):
        token_id = db_session.scalar(select(ApiToken.id))
    assert editor.post(f"/lixia/account/tokens/{token_id}/revoke", csrf=False).status_code == 400
    db_session.rollback()
    with system_scope(db_session):
        assert db_session.scalar(select(ApiToken.revoked_at)) is None


def test_every_role_may_hold_tokens_with_its_own_rights(login_client, client):
    viewer = login_client("lixia", "viewer")
    token = created_token(viewer.post("/lixia/account/tokens", data={"name": "只读"}, headers=HX))
    assert client.get("/api/v1/lixia/", headers=bearer(token)).json["role"] == "viewer"
    refused = client.post("/api/v1/lixia/entities/association", json={"name": "新协会"}, headers=bearer(token))
    assert refused.status_code == 403


def test_a_token_does_not_open_the_pages(editor, app):
    token = created_token(editor.post("/lixia/account/tokens", data={"name": "接口"}, headers=HX))
    stranger = app.test_client()
    page = stranger.get("/lixia/account/tokens", headers=bearer(token))
    assert page.status_code == 302 and page.location.startswith("/login")


def test_an_admin_sees_and_revokes_the_tenants_tokens(app, login_client, make_user, db_session, client):
    colleague = make_user("lixia", "editor", username="zhangsan")
    with app.app_context():
        from core.db import session

        token = create_api_token(session, colleague, "张三的脚本")
        session.commit()
    with system_scope(db_session):
        token_id = db_session.scalar(select(ApiToken.id))
    admin = login_client("lixia", "admin")
    page = admin.get("/lixia/admin/users").get_data(as_text=True)
    assert "张三的脚本" in page and token not in page

    sibling = login_client("shizhong", "admin")
    assert sibling.post(f"/lixia/admin/tokens/{token_id}/revoke").status_code == 404
    assert sibling.post(f"/shizhong/admin/tokens/{token_id}/revoke").status_code == 404
    assert login_client("lixia", "viewer").post(f"/lixia/admin/tokens/{token_id}/revoke").status_code == 403
    assert client.get("/api/v1/lixia/", headers=bearer(token)).status_code == 200

    answer = admin.post(f"/lixia/admin/tokens/{token_id}/revoke", headers=HX)
    assert answer.status_code == 200 and "已撤销令牌「张三的脚本」" in answer.get_data(as_text=True)
    assert "本单位用户没有有效的 API 令牌。" in answer.get_data(as_text=True)
    assert client.get("/api/v1/lixia/", headers=bearer(token)).status_code == 401
    assert [(actor, target, detail["name"]) for actor, target, detail in audit_actions(db_session, "token.revoked")] == [
        ("lixia-admin", "zhangsan", "张三的脚本")
    ]
    assert "撤销 API 令牌" in admin.get("/lixia/admin/audit").get_data(as_text=True)


def test_the_city_admin_revokes_a_district_users_token(app, login_client, make_user, db_session, client):
    colleague = make_user("lixia", "viewer", username="lisi")
    with app.app_context():
        from core.db import session

        token = create_api_token(session, colleague, "李四的脚本")
        session.commit()
    with system_scope(db_session):
        token_id = db_session.scalar(select(ApiToken.id))
    city = login_client("jinan", "admin")
    assert city.post(f"/jinan/admin/tokens/{token_id}/revoke").status_code == 404  # not jinan's token
    assert city.post(f"/lixia/admin/tokens/{token_id}/revoke").status_code == 303
    assert client.get("/api/v1/lixia/", headers=bearer(token)).status_code == 401
