"""API bearer tokens: they open /api/v1/ for their user's tenants, and nothing else."""
from __future__ import annotations

import pytest

UNAUTHORIZED_MESSAGE = "需要登录或有效的 API 令牌"


@pytest.fixture
def lixia_token(app, make_user):
    """A token for a new lixia editor, created the way the UI and the CLI create one."""
    from core.auth.accounts import create_api_token
    from core.db import session

    user = make_user("lixia", "editor")
    with app.app_context():
        token = create_api_token(session, user, "数据对接")
        session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.is_json
    assert response.get_json() == {"error": {"status": 401, "code": "unauthorized", "message": UNAUTHORIZED_MESSAGE}}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_opens_its_own_tenant(client, lixia_token):
    response = client.get("/api/v1/lixia/", headers=bearer(lixia_token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["tenant"]["slug"] == "lixia"
    assert response.get_json()["role"] == "editor"


def test_token_stores_only_a_digest(app, lixia_token, db_session):
    from sqlalchemy import select

    from core.auth.models import ApiToken
    from core.tenancy import system_scope

    with system_scope(db_session):
        stored = db_session.scalars(select(ApiToken.token_hash)).all()
    assert len(stored) == 1 and lixia_token not in stored[0] and lixia_token.startswith("qh_")


def test_token_does_not_open_a_sibling_district(client, lixia_token):
    response = client.get("/api/v1/shizhong/", headers=bearer(lixia_token))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_token_does_not_open_the_city_above(client, lixia_token):
    assert client.get("/api/v1/jinan/", headers=bearer(lixia_token)).status_code == 404


def test_token_is_only_for_the_api(client, lixia_token):
    """A bearer token is not a browser login: a page under /lixia/ still asks to sign in."""
    response = client.get("/lixia/", headers=bearer(lixia_token))
    assert response.status_code == 302
    assert response.location.startswith("/login")


@pytest.mark.parametrize("header", ["Bearer qh_not-a-real-token", "Bearer ", "Basic bGl4aWE6cGFzcw=="])
def test_wrong_token_is_401_json(client, lixia_token, header):
    assert_unauthorized(client.get("/api/v1/lixia/", headers={"Authorization": header}))


def test_no_token_is_401_json(client):
    assert_unauthorized(client.get("/api/v1/lixia/"))


def test_revoked_token_is_401(app, client, lixia_token):
    from sqlalchemy import select

    from core.auth.models import ApiToken, token_digest
    from core.db import session, utcnow
    from core.tenancy import system_scope

    assert client.get("/api/v1/lixia/", headers=bearer(lixia_token)).status_code == 200
    with app.app_context(), system_scope(session):
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(lixia_token)))
        row.revoked_at = utcnow()
        session.commit()
    assert_unauthorized(client.get("/api/v1/lixia/", headers=bearer(lixia_token)))


def test_token_of_a_deactivated_user_is_401(app, client, lixia_token):
    from sqlalchemy import select

    from core.auth.models import User
    from core.db import session
    from core.tenancy import system_scope

    with app.app_context(), system_scope(session):
        session.scalar(select(User).where(User.username == "lixia-editor")).active = False
        session.commit()
    assert_unauthorized(client.get("/api/v1/lixia/", headers=bearer(lixia_token)))


def test_wrong_token_does_not_fall_back_to_the_session_cookie(login_client):
    client = login_client("lixia", "admin")
    assert_unauthorized(client.get("/api/v1/lixia/", headers=bearer("qh_not-a-real-token")))
