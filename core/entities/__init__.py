"""Low-code records: entity types as data, generic storage, revisions and projections."""
from __future__ import annotations

from flask import current_app, g
from flask_login import current_user


def current_service():
    """The :class:`~core.entities.service.EntityService` of the current request's tenant and user."""
    from ..db import session
    from .service import EntityService

    if "entity_service" not in g:
        actor = current_user.user if current_user.is_authenticated else None
        g.entity_service = EntityService(session, g.tenant, g.plugins, current_app.extensions["quanhui.entities"], actor)
    return g.entity_service


def service_for(tenant, actor=None):
    """An :class:`~core.entities.service.EntityService` for ``tenant`` outside a request
    (the CLI, demo data, a plugin reacting to a change); the session must be scoped to it."""
    from ..db import session
    from ..plugin_state import enabled_names
    from .service import EntityService

    plugins = current_app.extensions["quanhui.plugins"]
    relay = plugins.relay(enabled_names(session, plugins, tenant))
    return EntityService(session, tenant, relay, current_app.extensions["quanhui.entities"], actor)
