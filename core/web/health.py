"""GET /healthz: is the process up and can it reach its database."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from ..db import session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        session.execute(text("SELECT 1"))
    except Exception:
        session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
