"""The login and logout pages (htmx forms that also work without JavaScript)."""
from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select, update

from .. import audit
from ..db import session, upsert
from ..tenancy import Tenant, system_scope
from ..web.errors import error_response
from ..web.htmx import redirect_to
from . import throttle
from .identity import end_session, start_session
from .models import UnknownLoginTally, User
from .passwords import hash_password, needs_rehash, verify_password
from .throttle import Attempt

bp = Blueprint("auth", __name__)

FAILED = "用户名或密码不正确"
THROTTLED = "这个账号或这个网络地址一分钟内输错密码的次数已到上限，请稍等一分钟再试。"


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
    login_throttle = current_app.extensions["quanhui.login_throttle"]
    attempt = login_throttle.attempt(username, request.remote_addr or "")
    with system_scope(session):
        user = session.scalar(select(User).where(User.username == username)) if username else None
        root_id = session.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)))
    if attempt.refused:
        return _refuse(attempt, username, user.tenant_id if user else root_id)
    password_matches = verify_password(user.password_hash if user else None, password)
    if user is None or not user.active or not password_matches:
        if user is not None:
            audit.record_now(session, "auth.login_failed", tenant_id=user.tenant_id, target=username[:200], actor=None)
        elif root_id is not None:
            _tally_unknown_name(root_id, username)
        page = render_template("auth/login.html", next=request.form.get("next", ""), error=FAILED, username=username)
        return page, 422
    login_throttle.succeeded(attempt)
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


def _refuse(attempt: Attempt, username: str, tenant_id: int | None):
    """429 while a limit is used up; only the first refusal of a window is audited, so a
    flood of attempts past the limit writes nothing more."""
    if tenant_id is not None and any(hit.first_over for hit in attempt.refused):
        limits = "；".join(str(hit.limit) for hit in attempt.refused)
        audit.record_now(session, "auth.throttled", tenant_id=tenant_id, target=username[:200], actor=None,
                         limit=limits)
    response = make_response(error_response(429, THROTTLED))
    wait = max(hit.window_end for hit in attempt.refused) - throttle.clock()
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def _tally_unknown_name(root_id: int, username: str) -> None:
    """Failures for names with no account count into one audit event per address and minute."""
    table = UnknownLoginTally.__table__
    ip = (request.remote_addr or "")[:45]
    minute = dt.datetime.fromtimestamp(throttle.clock() // 60 * 60, dt.UTC)
    with system_scope(session):
        statement = upsert(session.get_bind(), table, [{"tenant_id": root_id, "ip": ip, "minute": minute, "count": 1}],
                           ["tenant_id", "ip", "minute"], lambda excluded: {"count": table.c.count + 1})
        tally_id, count = session.execute(statement.returning(table.c.id, table.c.count)).one()
        if count == 1:
            event = audit.record(session, "auth.unknown_user", tenant_id=root_id, target=username[:200], actor=None)
            session.execute(update(table).where(table.c.id == tally_id).values(audit_event_id=event.id))
        session.commit()


def init_app(app) -> None:
    """Register the pages and the failed-login throttle they count attempts with."""
    app.register_blueprint(bp)
    throttle.init_app(app)
