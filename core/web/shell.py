"""The page shell: navigation and dashboard assembled from plugin hooks, and where the
user is (breadcrumbs, the dashboard's 全市 / 本级 scope, switching tenant on the same page).

Each plugin's part is built on its own (:meth:`core.plugins.HookRelay.each`), so a
plugin whose hook or template raises shows as one failed part and the rest renders.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from ..auth.permissions import ROLES, has_permission
from ..db import session
from ..entities import current_service
from ..entities.service import NotFound
from ..tenancy import Tenant, reading_also, subtree_ids, system_scope, visible_tenants

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
    #: The dashboard scopes its figures follow: ``("own",)`` counts the tenant's own rows
    #: whatever was chosen (labelled 本级), ``("own", "subtree")`` counts ``scope.tenant_ids``.
    scopes: tuple[str, ...] = ("own",)


@dataclasses.dataclass(frozen=True)
class DashboardScope:
    """What a dashboard shows: 本级 (``own``) or the tenant with every descendant
    (``subtree``: 全市 for the city, 本级及下级 below it)."""

    kind: str
    tenant: Tenant
    #: The tenants whose figures a ``subtree`` widget counts, in tree order.
    tenant_ids: tuple[int, ...]
    #: Whether the tenant has descendants, so that the choice is offered at all.
    offered: bool

    @property
    def label(self) -> str:
        if self.kind == "own":
            return "本级"
        return "全市" if self.tenant.is_root else "本级及下级"

    def label_of(self, widget: Widget) -> str:
        """The scope a widget's figures really hold."""
        return self.label if self.kind in widget.scopes else "本级"

    def reading(self, session):
        """A block in which ``session`` reads ``tenant_ids`` (writes unchanged)."""
        return reading_also(session, self.tenant_ids)


def dashboard_scope(asked: str | None) -> DashboardScope:
    """The request's dashboard scope: ``?scope=own`` for 本级, else the whole subtree
    where the tenant has one."""
    ids = tuple(subtree_ids(session, g.tenant))
    offered = len(ids) > 1
    if asked == "own" or not offered:
        return DashboardScope("own", g.tenant, (g.tenant.id,), offered)
    return DashboardScope("subtree", g.tenant, ids, offered)


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
    #: On a dashboard: 本级, 全市 or 本级及下级, what the panel's figures hold.
    scope: str = ""


def navigation() -> list[Part]:
    """The navigation of this tenant for this user, built once per request."""
    if "navigation" not in g:
        g.navigation = _navigation()
    return g.navigation


def _navigation() -> list[Part]:
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


def dashboard_widgets(scope: DashboardScope) -> list[Part]:
    parts = []
    for outcome in g.plugins.each("quanhui_dashboard_widgets", tenant=g.tenant, user=current_user.user, scope=scope):
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
                parts.append(Part(outcome.plugin, widget.title, order=widget.order, html=html,
                                  scope=scope.label_of(widget)))
    return sorted(parts, key=lambda p: (p.order, p.title))


def _plugin_title(name: str) -> str:
    from flask import current_app

    meta = current_app.extensions["quanhui.plugins"].meta(name)
    return meta.title if meta else name


@bp.get("/<tenant>/")
def dashboard(tenant):
    scope = dashboard_scope(request.args.get("scope"))
    return render_template("shell/dashboard.html", widgets=dashboard_widgets(scope), scope=scope)


@dataclasses.dataclass(frozen=True)
class Crumb:
    title: str
    url: str = ""


def breadcrumbs(page_title: str) -> list[Crumb]:
    """Where this page is: the tenants from the user's own down to this one, the section of
    the navigation it belongs to, and the page itself (the last two only when they differ)."""
    chain = [*g.tenant.ancestor_ids, g.tenant.id]
    chain = chain[chain.index(current_user.user.tenant_id):]
    tenants = {g.tenant.id: g.tenant}
    if len(chain) > 1:
        tenants = {t.id: t for t in session.scalars(select(Tenant).where(Tenant.id.in_(chain)))}
    crumbs = [Crumb(tenants[i].name, url_for("shell.dashboard", tenant=tenants[i].slug)) for i in chain]
    title = str(page_title).strip()
    section = next((part for part in navigation() if part.active), None)
    if section is not None and section.url != request.path:
        crumbs.append(Crumb(section.title, section.url))
        if title and title != section.title:
            crumbs.append(Crumb(title))
    elif title:
        crumbs.append(Crumb(title))
    return crumbs


def same_page_in(other) -> str:
    """The link that takes this page to tenant ``other`` (see :func:`switch`)."""
    return url_for("shell.switch", tenant=other.slug, page=request.full_path.rstrip("?"))


@bp.get("/<tenant>/switch")
def switch(tenant):
    """Open ``?page=`` (a page of another tenant) in this one: the same page when this
    tenant has it, else the nearest page above it (a record's list, a section's start), else
    the dashboard. The tenant is resolved and access-checked like any other page."""
    return redirect(_nearest_page(request.args.get("page", "")), code=303)


def _nearest_page(asked: str) -> str:
    """The URL in this tenant of the page ``asked`` (a path with its query) or of its nearest
    page above; the query is kept only for the page itself."""
    path, _, query = asked.partition("?")
    parts = path.split("/")
    if not path.startswith("/") or path.startswith("//") or len(parts) < 3:
        return url_for("shell.dashboard")
    kept = urlencode([(k, v) for k, v in parse_qsl(query) if k not in ("tenant", "page")])
    rest = [part for part in parts[2:] if part]
    for depth in range(len(rest), 0, -1):
        candidate = "/".join(["", g.tenant.slug, *rest[:depth]])
        for shape in ([candidate + "/", candidate] if path.endswith("/") or depth < len(rest) else [candidate]):
            if _has_page(shape):
                return f"{shape}?{kept}" if kept and depth == len(rest) else shape
    return url_for("shell.dashboard")


def _has_page(path: str) -> bool:
    """Whether ``path`` is a page of this tenant that answers: a GET route of a plugin live
    here, of a record type this tenant has, of a record it holds; other ids are another
    tenant's objects, so a page that names one is not this tenant's."""
    try:
        endpoint, args = current_app.url_map.bind("").match(path, method="GET")
    except HTTPException:
        return False
    if endpoint in (request.endpoint, "static") or args.pop("tenant", None) != g.tenant.slug:
        return False
    owner = current_app.extensions["quanhui.blueprint_owners"].get(endpoint.split(".")[0])
    if owner is not None and owner not in g.plugins.enabled:
        return False
    entity_type = None
    if "type_name" in args:
        entity_type = current_service().type(args.pop("type_name"))
        if entity_type is None:
            return False
    if "entity_id" in args:
        try:
            with current_service().reading(entity_type):
                current_service().get(entity_type, args.pop("entity_id"), readonly=True)
        except NotFound:
            return False
    return not any(isinstance(value, int) for value in args.values())


def _home_tenant() -> Tenant:
    """The signed-in user's own tenant. Read in the system scope: after a refused change
    rolled back, the user row is reloaded, and the page's tenant may not see its ancestor's
    users (row-level security)."""
    with system_scope(session):
        return current_user.user.tenant


def shell_context() -> dict[str, Any]:
    """Template globals of every page inside a tenant."""
    if "tenant" not in g or not current_user.is_authenticated:
        return {}
    return {
        "tenant": g.tenant,
        "home": _home_tenant(),
        "same_page_in": same_page_in,
        "breadcrumbs": breadcrumbs,
        "navigation": navigation,
        "switchable_tenants": lambda: visible_tenants(session, current_user.user.tenant),
        "role_title": ROLES.get(g.role, g.role),
    }
