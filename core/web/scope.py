"""Every request under ``/<tenant>/`` or ``/api/v1/<tenant>/``: resolve the tenant,
check the user's grant, scope the session, and pick the plugins that are live there.

A tenant the user may not open answers 404, exactly like one that does not exist, so
slugs and ids of other tenants reveal nothing.
"""
from __future__ import annotations

from flask import Flask, abort, current_app, g, request
from flask_login import current_user

from .. import audit
from ..auth.permissions import ASSOCIATION_ROLE
from ..db import session
from ..entities.ownership import restrict_to_association
from ..plugin_state import enabled_names
from ..tenancy import TenantScope, set_scope, tenant_by_slug


def enter_tenant():
    slug = (request.view_args or {}).get("tenant") or g.pop("static_tenant", None)
    if slug is None:
        return None
    tenant = tenant_by_slug(session, slug)
    if tenant is None:
        abort(404)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    home = current_user.user.tenant
    if not home.contains(tenant):
        audit.record_now(session, "auth.denied", tenant_id=home.id, target=request.path[:200], reason="foreign tenant")
        abort(404)
    g.tenant = tenant
    g.role = current_user.user.role
    set_scope(session, TenantScope.of(tenant))
    if g.role == ASSOCIATION_ROLE:
        restrict_to_association(session, current_user.user.association_id)
    registry = current_app.extensions["quanhui.plugins"]
    g.plugins = registry.relay(enabled_names(session, registry, tenant))
    owner = current_app.extensions["quanhui.blueprint_owners"].get((request.blueprint or "").split(".")[0])
    if owner is not None and owner not in g.plugins.enabled:
        abort(404)
    return None


def tenant_url_defaults(endpoint: str, values: dict) -> None:
    """``url_for`` inside a tenant fills in the current tenant's slug."""
    if "tenant" in values or "tenant" not in g:
        return
    try:
        expects_tenant = current_app.url_map.is_endpoint_expecting(endpoint, "tenant")
    except KeyError:  # an unknown endpoint: let url_for raise its BuildError
        return
    if expects_tenant:
        values["tenant"] = g.tenant.slug


def _tenant_of_static_files(endpoint: str | None, values: dict | None) -> None:
    """A plugin blueprint's static files live under /<tenant>/<plugin>/static/; Flask's
    static view takes no tenant, so it is set aside here and still checked by enter_tenant."""
    if endpoint and endpoint.endswith(".static") and values and "tenant" in values:
        g.static_tenant = values.pop("tenant")


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_tenant_of_static_files)
    app.before_request(enter_tenant)
    app.url_defaults(tenant_url_defaults)
