"""The signed-in user's own things: the API tokens that act with the user's rights.

A token belongs to its user's home tenant, so these pages exist only there: under any
other tenant (an ancestor's admin visiting a district, say) they answer 404. A token is
shown once, in the answer to the request that created it, and never again: only its
digest is stored.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from ..auth.accounts import AccountError, create_api_token, revoke_api_token
from ..auth.models import ApiToken
from ..auth.permissions import require_permission
from ..db import session
from .htmx import invalid_form, is_htmx, redirect_to

bp = Blueprint("account", __name__, url_prefix="/<tenant>/account")
TEMPLATE = "account/tokens.html"


@bp.before_request
def only_at_home():
    """Tokens are the home tenant's: nowhere else is there a page for them."""
    if "tenant" in g and g.tenant.id != current_user.user.tenant_id:
        abort(404)


def _own_tokens() -> list[ApiToken]:
    """The user's tokens, active ones first, newest first (one query)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == current_user.user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def _context(**extra) -> dict:
    return {"tokens": _own_tokens(), "form": {}, "errors": {}, "new_token": None, "revoked": None, **extra}


@bp.get("/tokens")
@require_permission("core.view")
def tokens(tenant):
    return render_template(TEMPLATE, **_context())


@bp.post("/tokens")
@require_permission("core.view")
def create_token(tenant):
    form = {"name": request.form.get("name", "")}
    try:
        token = create_api_token(session, current_user.user, form["name"], actor=current_user.user)
    except AccountError as refusal:
        session.rollback()
        context = _context(form=form, errors=refusal.errors)
        if not is_htmx():
            return render_template(TEMPLATE, **context), 422
        return invalid_form(render_block(TEMPLATE, "token_form", **context), "#token-form")
    session.commit()
    # Not a redirect, even for a plain form post: the token is in this answer and nowhere else.
    context = _context(new_token=token, new_token_name=form["name"].strip())
    headers = {"Cache-Control": "no-store"}
    if is_htmx():
        return render_block(TEMPLATE, "tokens_panel", **context), 200, headers
    return render_template(TEMPLATE, **context), 200, headers


@bp.post("/tokens/<int:token_id>/revoke")
@require_permission("core.view")
def revoke_token(tenant, token_id):
    row = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.user.id)
    )
    if row is None:
        abort(404)
    revoke_api_token(session, row, actor=current_user.user)
    session.commit()
    if not is_htmx():
        return redirect_to(url_for("account.tokens"))
    return render_block(TEMPLATE, "tokens_panel", **_context(revoked=row.name))
