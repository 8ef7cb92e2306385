"""Who is asking: browser login sessions and bearer tokens, through Flask-Login.

The session cookie carries only a random token whose digest names a
:class:`LoginSession` row, so logging out (revoking the row) ends the session even if
the old cookie is replayed, and any worker can check it.
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, jsonify, redirect, request, url_for
from flask_login import LoginManager, UserMixin
from sqlalchemy import select

from ..db import session, utcnow
from ..web.htmx import is_htmx
from ..tenancy import system_scope
from .models import ApiToken, LoginSession, User, new_token, token_digest

SESSION_LIFETIME = dt.timedelta(hours=12)
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=5)

login_manager = LoginManager()


class Principal(UserMixin):
    """The signed-in user, as Flask-Login's ``current_user``."""

    def __init__(self, user: User, token: str, *, via_api_token: bool = False):
        self.user = user
        self._token = token
        self.via_api_token = via_api_token

    def get_id(self) -> str:
        return self._token

    def __getattr__(self, name):
        return getattr(self.user, name)


def start_session(user: User) -> Principal:
    """Open a new login session row for ``user``; the caller commits and calls login_user."""
    token = new_token()
    with system_scope(session):
        session.add(
            LoginSession(
                tenant_id=user.tenant_id,
                user_id=user.id,
                token_hash=token_digest(token),
                expires_at=utcnow() + SESSION_LIFETIME,
                ip=request.remote_addr or "",
            )
        )
        session.flush()
    return Principal(user, token)


def end_session(principal: Principal) -> None:
    with system_scope(session):
        row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_digest(principal.get_id())))
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
            session.flush()


def _bearer_token(req) -> str | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
        return None
    return header.removeprefix("Bearer ").strip()


@login_manager.user_loader
def _load_session(token: str) -> Principal | None:
    if _bearer_token(request) is not None:
        return None  # an API call that names a token is judged by the token alone, never the cookie
    with system_scope(session):
        row = session.scalar(
            select(LoginSession).where(
                LoginSession.token_hash == token_digest(token),
                LoginSession.revoked_at.is_(None),
                LoginSession.expires_at > utcnow(),
            )
        )
    if row is None or not row.user.active:
        return None
    return Principal(row.user, token)


@login_manager.request_loader
def _load_bearer(req) -> Principal | None:
    token = _bearer_token(req)
    if token is None:
        return None
    with system_scope(session):
        row = session.scalar(
            select(ApiToken).where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
        )
        if row is None or not row.user.active:
            return None
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
            row.last_used_at = now
            session.commit()
    return Principal(row.user, token, via_api_token=True)


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        response = jsonify(error={"status": 401, "code": "unauthorized", "message": "需要登录或有效的 API 令牌"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="quanhui"'
        return response
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        return "", 401, {"HX-Redirect": login_url}
    return redirect(login_url)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
