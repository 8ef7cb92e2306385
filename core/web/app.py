"""The application factory."""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import Babel
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from tenants import DEFAULT_TREE

from .. import __version__
from ..auth import identity, views as auth_views
from ..auth.permissions import PermissionTable, has_permission
from ..db import Database, default_sqlite_url
from ..entities import views as entity_views
from ..entities import api as entity_api
from ..entities import designer_views
from ..entities import record_type_views
from ..entities import excel_views as entity_excel
from ..reports import api as report_api, views as report_views
from .. import vocabulary_views
from ..entities.registry import EntityRegistry
from ..entities.rights import AUDIENCES, describe
from ..plugins import PluginRegistry
from ..tenancy import ScopedSession
from . import admin, api, errors, health, malformed, scope, shell
from . import account
from ..jobs import views as job_views
from .headers import add_security_headers
from .htmx import vary_on_htmx
from .pagination import page_url, url_with

logger = logging.getLogger(__name__)

#: Settings read from the environment when set there (QUANHUI_* and the Flask names).
DEFAULTS: dict[str, Any] = {
    "QUANHUI_DATABASE_URL": None,
    "QUANHUI_REDIS_URL": None,
    #: psycopg's prepared statements on PostgreSQL; 0 behind pgbouncer in transaction mode.
    "QUANHUI_DB_PREPARE": True,
    #: The job queue's SQLite file when there is no Redis (default: instance/jobs-queue.db).
    "QUANHUI_QUEUE_FILE": None,
    #: Run each job inside the call that starts it, without a worker (tests).
    "QUANHUI_JOBS_IMMEDIATE": False,
    #: Longer lists are exported by a job, not inside the request.
    "QUANHUI_EXPORT_INLINE_ROWS": 10_000,
    "QUANHUI_SECRET_KEY": None,
    "QUANHUI_TREE_FILE": str(DEFAULT_TREE),
    #: Failed logins allowed per account name, and per client address (a district office's
    #: clerks share one address, so that limit is well above the other).
    "QUANHUI_LOGIN_LIMITS": "5 per minute",
    "QUANHUI_LOGIN_ADDRESS_LIMITS": "30 per minute",
    "QUANHUI_SECURE_COOKIES": False,
    #: How many reverse proxies stand in front; their X-Forwarded-For/-Proto are trusted.
    "QUANHUI_PROXY_HOPS": 0,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "WTF_CSRF_CHECK_DEFAULT": False,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "QUANHUI_MAX_FILE_BYTES": 20 * 1024 * 1024,
}
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def create_app(config: dict[str, Any] | None = None, *, plugins: Iterable[Any] = ()) -> Flask:
    """Build a quanhui app. ``plugins`` adds plugin objects or module names to those installed."""
    instance_path = os.environ.get("QUANHUI_INSTANCE", str(Path.cwd() / "instance"))
    app = Flask("core", instance_path=instance_path)
    app.config.update(DEFAULTS)
    for key in DEFAULTS:
        if key in os.environ:
            app.config[key] = _from_env(os.environ[key], DEFAULTS[key])
    app.config.update(config or {})
    app.config["SECRET_KEY"] = app.config["QUANHUI_SECRET_KEY"] or _instance_secret(app)
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["QUANHUI_SECURE_COOKIES"])
    app.config["QUANHUI_VERSION"] = __version__
    hops = app.config["QUANHUI_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    registry = PluginRegistry(plugins)
    app.extensions["quanhui.plugins"] = registry
    app.extensions["quanhui.permissions"] = PermissionTable.from_registry(registry)
    app.extensions["quanhui.entities"] = EntityRegistry(registry)
    url = app.config["QUANHUI_DATABASE_URL"] or default_sqlite_url(app.instance_path)
    Database(url, ScopedSession, prepare=bool(app.config["QUANHUI_DB_PREPARE"])).init_app(app)

    Babel(app)
    csrf = CSRFProtect(app)
    app.before_request(lambda: _check_csrf(csrf))
    identity.init_app(app)
    malformed.init_app(app)
    scope.init_app(app)
    errors.init_app(app)

    auth_views.init_app(app)
    for blueprint in (
        shell.bp,
        admin.bp,
        api.bp,
        health.bp,
        entity_views.bp,
        entity_api.bp,
        designer_views.bp,
        record_type_views.bp,
        entity_excel.bp,
        report_views.bp,
        report_api.bp,
        vocabulary_views.bp,
        account.bp,
        job_views.bp,
    ):
        app.register_blueprint(blueprint)
    _mount_plugin_blueprints(app, registry)

    app.context_processor(shell.shell_context)
    app.jinja_env.globals.update(has_permission=has_permission, page_url=page_url, url_with=url_with, quanhui_version=__version__,
                                 field_audiences=AUDIENCES, field_rights_text=describe)
    app.after_request(vary_on_htmx)
    app.after_request(add_security_headers)
    return app


def _check_csrf(csrf: CSRFProtect) -> None:
    """Every state change carries the CSRF token, htmx included. A call authenticated by
    a valid bearer token rides on no cookie a forger could use, so it is exempt."""
    if request.method not in STATE_CHANGING:
        return
    if current_user.is_authenticated and current_user.via_api_token:
        return
    csrf.protect()


def _mount_plugin_blueprints(app: Flask, registry: PluginRegistry) -> None:
    owners: dict[str, str] = {}
    for hook, prefix in (("quanhui_blueprints", "/<tenant>/{}"), ("quanhui_api_blueprints", "/api/v1/<tenant>/{}")):
        for outcome in registry.each(hook):
            if outcome.failed:
                logger.error("plugin %s could not give its blueprints: %s", outcome.plugin, outcome.error)
                continue
            for blueprint in outcome.value or ():
                app.register_blueprint(blueprint, url_prefix=prefix.format(outcome.plugin))
                owners[blueprint.name] = outcome.plugin
    app.extensions["quanhui.blueprint_owners"] = owners


def _instance_secret(app: Flask) -> str:
    """A random key kept in instance/secret_key, shared by every worker on the machine."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _from_env(value: str, default: Any) -> Any:
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    return value
