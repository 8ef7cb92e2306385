"""The core's JSON API under /api/v1/<tenant>/."""
from __future__ import annotations

from flask import Blueprint, current_app, g

from ..db import session
from ..plugin_state import statuses

bp = Blueprint("api", __name__, url_prefix="/api/v1/<tenant>")


def tenant_json(tenant) -> dict:
    return {"slug": tenant.slug, "code": tenant.code, "name": tenant.name, "level": tenant.level}


@bp.get("/")
def tenant_info(tenant):
    return {"tenant": tenant_json(g.tenant), "role": g.role, "plugins": sorted(g.plugins.enabled)}


@bp.get("/plugins")
def plugins(tenant):
    registry = current_app.extensions["quanhui.plugins"]
    return {
        "items": [
            {
                "name": row.name,
                "title": registry.meta(row.name).title,
                "version": registry.meta(row.name).version,
                "enabled": row.enabled,
                "offered": row.offered,
            }
            for row in statuses(session, registry, g.tenant)
        ]
    }
