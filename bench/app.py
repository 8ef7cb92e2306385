"""The app the benchmarks run: the real one, plus what only the bench needs.

- :func:`make_app` builds the product's app on a database URL; ``extra_plugins`` adds
  installed-but-idle plugins (scenario 5).
- ``/bench/reference``, in the bench's app only, is the reference endpoint of scenario 1:
  the SQL the list page ran (captured by :func:`with_list_reference`), executed on a raw
  DB-API connection, rendered with the same template and the page-shell values the
  platform computed once.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import types
from typing import Any

from flask import Blueprint, Flask, g, render_template
from sqlalchemy import event

from core.entities.rights import SYSTEM as SYSTEM_RIGHTS
from core.plugins import PluginMeta, hookimpl
from core.web.app import create_app
from core.web.pagination import Page

BENCH_USER = "bench-admin"
BENCH_PASSWORD = "bench-pass-Quanhui-2026"
CITY = "jinan"
SECRET = "quanhui-bench"


def make_app(url: str, *, extra_plugins: tuple = ()) -> Flask:
    app = create_app({"QUANHUI_DATABASE_URL": url, "QUANHUI_SECRET_KEY": SECRET,
                      "QUANHUI_LOGIN_LIMITS": "1000 per minute"}, plugins=extra_plugins)
    _install_reference(app)
    return app


def idle_plugins(count: int) -> tuple:
    """``count`` installed plugins that implement the per-request hooks and do nothing."""
    made = []
    for number in range(count):
        name = f"bench_idle_{number:02d}"

        @hookimpl
        def quanhui_nav_items(tenant, user):
            return []

        @hookimpl
        def quanhui_dashboard_widgets(tenant, user):
            return []

        @hookimpl
        def quanhui_validate_entity(tenant, entity_type, data, previous):
            return None

        @hookimpl
        def quanhui_entity_changed(session, tenant, entity_type, entity_id, action, before, after):
            return None

        made.append(types.SimpleNamespace(
            __name__=name, meta=PluginMeta(name=name, title=f"空插件 {number}", version="1.0"),
            quanhui_nav_items=quanhui_nav_items, quanhui_dashboard_widgets=quanhui_dashboard_widgets,
            quanhui_validate_entity=quanhui_validate_entity, quanhui_entity_changed=quanhui_entity_changed,
        ))
    return tuple(made)


class Capture:
    """The SQL one request runs on ``entities`` and the context its template got."""

    def __init__(self, app: Flask):
        self.app = app
        self.statements: list[tuple[str, Any]] = []
        self.context: dict[str, Any] = {}

    def __enter__(self) -> Capture:
        from flask import template_rendered

        self.engine = self.app.extensions["quanhui.db"].engine
        event.listen(self.engine, "before_cursor_execute", self._statement)
        template_rendered.connect(self._rendered, self.app)
        return self

    def __exit__(self, *exc_info) -> None:
        from flask import template_rendered

        event.remove(self.engine, "before_cursor_execute", self._statement)
        template_rendered.disconnect(self._rendered, self.app)

    def _statement(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        if "FROM entities" in statement:
            self.statements.append((statement, parameters))

    def _rendered(self, _app, template, context) -> None:
        """Keep the context, with the shell's lazy parts evaluated while the request is live."""
        if template.name == "entities/list.html":
            self.context = {**context, "navigation": context["navigation"](),
                            "switchable_tenants": context["switchable_tenants"](),
                            "current_user": context["current_user"]}


def _install_reference(app: Flask) -> None:
    """Register ``/bench/reference``; it answers once :func:`with_list_reference` has
    given it the captured request.

    It runs the captured count and page queries as they are on a raw DB-API connection,
    builds the page from the rows by hand, and renders ``entities/list.html`` with the
    shell's parts (navigation, tenant switcher, user) as the platform computed them.
    """
    bp = Blueprint("bench_reference", __name__)

    @bp.get("/bench/reference")
    def reference():
        captured = app.extensions["bench.reference"]
        (count_sql, page_sql), fixed = captured["statements"], captured["context"]
        connection = app.extensions["quanhui.db"].engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(*count_sql)
            total = cursor.fetchone()[0]
            cursor.execute(*page_sql)
            names = [column[0] for column in cursor.description]
            items = [_row(dict(zip(names, values))) for values in cursor.fetchall()]
            connection.commit()
        finally:
            connection.close()
        g.tenant = fixed["tenant"]  # url_for fills in the tenant's slug, as inside a tenant
        arguments = fixed["arguments"]
        # No one is signed in here: the shell's breadcrumbs and viewing bar, which read the
        # user's home tenant, are left out (``home`` None), and every field is readable.
        shown = {**fixed, "home": None, "field_rights": lambda: SYSTEM_RIGHTS}
        return render_template("entities/list.html", **shown, has_permission=lambda _name: True,
                               result=Page(items, arguments["page"], arguments["per_page"], total))

    app.register_blueprint(bp)


def _row(values: dict[str, Any]) -> types.SimpleNamespace:
    data = values["data"]
    updated = values["updated_at"]
    if isinstance(data, str):
        data = json.loads(data)
    if isinstance(updated, str):
        updated = dt.datetime.fromisoformat(updated)
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=dt.UTC)
    return types.SimpleNamespace(id=values["id"], tenant_id=values["tenant_id"], data=data, updated_at=updated)


#: Scenario 1's request: the city's association list, filtered, searched, sorted, page 2.
LIST_QUERY = "status=正常&q=济南&sort=name&page=2"
LIST_PATH = f"/{CITY}/entities/association/?{LIST_QUERY}"
PER_REQUEST = frozenset({"request", "session", "g", "config", "result"})
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def signed_in(app: Flask):
    """A test client of ``app`` signed in as the bench's city admin."""
    client = app.test_client()
    page = client.get("/login")
    token = _META_TOKEN.search(page.get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": token})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"bench login failed ({answer.status_code}): run python -m bench.generate first")
    return client


def with_list_reference(app: Flask, client) -> str:
    """Run the list request once under :class:`Capture`, register the reference; its URL."""
    with Capture(app) as capture:
        answer = client.get(LIST_PATH)
    if answer.status_code != 200 or len(capture.statements) < 2:
        raise RuntimeError(f"list page answered {answer.status_code} with {len(capture.statements)} queries")
    # Everything the page's template got, but what Flask binds to each request anew.
    context = {key: value for key, value in capture.context.items() if key not in PER_REQUEST}
    context["navigation"] = (lambda parts: lambda: parts)(context["navigation"])
    context["switchable_tenants"] = (lambda tenants: lambda: tenants)(context["switchable_tenants"])
    app.extensions["bench.reference"] = {"statements": capture.statements[-2:], "context": context}
    return f"/bench/reference?{LIST_QUERY}"
