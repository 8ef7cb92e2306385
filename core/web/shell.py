"""The page shell: navigation and dashboard assembled from plugin hooks.

Each plugin's part is built on its own (:meth:`core.plugins.HookRelay.each`), so a
plugin whose hook or template raises shows as one failed part and the rest renders.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

from flask import Blueprint, g, render_template, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError

from ..auth.permissions import ROLES, has_permission
from ..db import session
from ..tenancy import visible_tenants

logger = logging.getLogger(__name__)
bp = Blueprint("shell", __name__)


@dataclasses.dataclass(frozen=True)
class NavItem:
    """A link in the navigation; ``endpoint`` is resolved in the current tenant."""

    title: str
    endpoint: str
    order: int = 100
    permission: str | None = None
    #: URL arguments of the endpoint besides the tenant, e.g. ``{"type_name": "association"}``.
    args: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Widget:
    """A dashboard panel: a template rendered with ``context``."""

    title: str
    template: str
    context: dict[str, Any] = dataclasses.field(default_factory=dict)
    order: int = 100


@dataclasses.dataclass(frozen=True)
class Part:
    """One plugin's contribution as rendered, or the fact that it failed."""

    plugin: str
    title: str
    order: int = 100
    url: str = ""
    html: Markup | None = None
    failed: bool = False
    active: bool = False


def navigation() -> list[Part]:
    from flask import request

    parts = []
    for outcome in g.plugins.each("quanhui_nav_items", tenant=g.tenant, user=current_user.user):
        if outcome.failed:
            parts.append(Part(outcome.plugin, _plugin_title(outcome.plugin), order=999, failed=True))
            continue
        for item in outcome.value or ():
            if item.permission and not has_permission(item.permission):
                continue
            try:
                url = url_for(item.endpoint, **item.args)
            except BuildError:
                logger.exception("nav item %s of plugin %s has no route", item.endpoint, outcome.plugin)
                parts.append(Part(outcome.plugin, item.title, order=item.order, failed=True))
                continue
            active = request.path == url or (request.path.startswith(url) and url.rstrip("/") != f"/{g.tenant.slug}")
            parts.append(Part(outcome.plugin, item.title, order=item.order, url=url, active=active))
    return sorted(parts, key=lambda p: (p.order, p.title))


def dashboard_widgets() -> list[Part]:
    parts = []
    for outcome in g.plugins.each("quanhui_dashboard_widgets", tenant=g.tenant, user=current_user.user):
        if outcome.failed:
            parts.append(Part(outcome.plugin, _plugin_title(outcome.plugin), order=999, failed=True))
            continue
        for widget in outcome.value or ():
            try:
                html = Markup(render_template(widget.template, **widget.context))
            except Exception:
                logger.exception("widget %s of plugin %s failed to render", widget.title, outcome.plugin)
                parts.append(Part(outcome.plugin, widget.title, order=widget.order, failed=True))
            else:
                parts.append(Part(outcome.plugin, widget.title, order=widget.order, html=html))
    return sorted(parts, key=lambda p: (p.order, p.title))


def _plugin_title(name: str) -> str:
    from flask import current_app

    meta = current_app.extensions["quanhui.plugins"].meta(name)
    return meta.title if meta else name


@bp.get("/<tenant>/")
def dashboard(tenant):
    return render_template("shell/dashboard.html", widgets=dashboard_widgets())


def same_page_in(other) -> str:
    """Where a user in this tenant goes to be in tenant ``other``: its dashboard."""
    return url_for("shell.dashboard", tenant=other.slug)


def shell_context() -> dict[str, Any]:
    """Template globals of every page inside a tenant."""
    if "tenant" not in g or not current_user.is_authenticated:
        return {}
    return {
        "tenant": g.tenant,
        "home": current_user.user.tenant,
        "same_page_in": same_page_in,
        "navigation": navigation,
        "switchable_tenants": lambda: visible_tenants(session, current_user.user.tenant),
        "role_title": ROLES.get(g.role, g.role),
    }
