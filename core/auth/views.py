"""The login and logout pages (htmx forms that also work without JavaScript)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session as cookie_session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from .. import audit
from ..db import session
from ..tenancy import Tenant, system_scope
from ..web.htmx import redirect_to
from .identity import end_session, start_session
from .models import User
from .passwords import hash_password, needs_rehash, verify_password

bp = Blueprint("auth", __name__)

FAILED = "用户名或密码不正确"


def _login_key() -> str:
    """Failed logins are counted per account name, so guessing one account is throttled."""
    return "login:" + request.form.get("username", "").strip().lower()


def _safe_next(target: str | None) -> str | None:
    """A local path to return to after login, or None; browsers read ``\\`` as ``/``,
    so ``/\\evil.example`` would leave the site through htmx's HX-Redirect."""
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("shell.dashboard", tenant=current_user.user.tenant.slug))
        return render_template("auth/login.html", next=request.args.get("next", ""), error="", username="")
    username = request.form.get("username", "").strip().lower()
    password = request.form.get("password", "")
    with system_scope(session):
        user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active or not verify_password(user.password_hash, password):
        root = user.tenant_id if user else session.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)))
        if root is not None:
            audit.record_now(session, "auth.login_failed", tenant_id=root, target=username[:200], actor=None)
        return render_template("auth/login.html", next=request.form.get("next", ""), error=FAILED, username=username), 422
    if needs_rehash(user.password_hash):
        with system_scope(session):
            user.password_hash = hash_password(password)
    if current_user.is_authenticated:
        end_session(current_user._get_current_object())
    cookie_session.clear()  # a new session at login: nothing from before survives
    principal = start_session(user)
    audit.record(session, "auth.login", tenant_id=user.tenant_id, target=user.username, actor=user)
    session.commit()
    login_user(principal)
    return redirect_to(_safe_next(request.form.get("next")) or url_for("shell.dashboard", tenant=user.tenant.slug))


@bp.post("/logout")
@login_required
def logout():
    user = current_user.user
    end_session(current_user._get_current_object())
    audit.record(session, "auth.logout", tenant_id=user.tenant_id, target=user.username, actor=user)
    session.commit()
    logout_user()
    cookie_session.clear()
    return redirect_to(url_for("auth.login"))


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("shell.dashboard", tenant=current_user.user.tenant.slug))
    return redirect(url_for("auth.login"))


def init_app(app, limiter) -> None:
    """Register the pages, with failed logins limited per account (a 422 counts, a success does not)."""
    app.register_blueprint(bp)
    app.view_functions["auth.login"] = limiter.limit(
        app.config["QUANHUI_LOGIN_LIMITS"],
        key_func=_login_key,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == 422,
        on_breach=_throttled,
    )(login)


def _throttled(limit) -> None:
    username = request.form.get("username", "").strip().lower()
    with system_scope(session):
        user = session.scalar(select(User).where(User.username == username)) if username else None
        tenant_id = user.tenant_id if user else session.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)))
    if tenant_id is not None:
        audit.record_now(session, "auth.throttled", tenant_id=tenant_id, target=username[:200], actor=None, limit=str(limit.limit))
