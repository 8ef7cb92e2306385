"""pytest fixtures for quanhui and its plugin authors (a ``pytest11`` entry point).

Every test gets an app on a fresh database with the migrations applied and the tenant
tree synced: a copy of a migrated SQLite file by default, or, when
``QUANHUI_TEST_DATABASE_URL`` names a PostgreSQL database, that database emptied (one
per xdist worker). pytest-flask's ``client`` is a :class:`QuanhuiClient`, which sends
the CSRF token with every state-changing request the way the pages' htmx does.

Markers::

    @pytest.mark.quanhui_plugins("my_plugin")            # add plugins to the app
    @pytest.mark.enable_plugins("my_plugin", tenants=["lixia"])   # switch them on

Fixtures: ``app``, ``client`` (pytest-flask), ``db_session``, ``tenant``, ``api_client``,
``make_user``, ``login_client``, ``live_url`` (the app over real HTTP, for a browser or
concurrent clients), ``cli_runner`` (the ``quanhui`` command line, plugins' commands included).

Association accounts (role ``association``) act for one association of their tenant's
directory: pass its id, e.g. ``login_client("lixia", "association", association_id=7)``
or ``make_user("lixia", "association", association_id=7)``.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler, make_server

TEST_PASSWORD = "test-pass-Quanhui-2026"
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class QuanhuiClient(FlaskClient):
    """A test client that carries the CSRF token and can sign in.

    Each request runs in an app context of its own, as in a real server: pytest-flask
    keeps a request context pushed for the whole test, and without this every request
    would share one ``g`` (its database session, its signed-in user, its CSRF token).
    """

    def open(self, *args, csrf: bool = True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        headers = dict(kwargs.pop("headers", None) or {})
        authorization = headers.get("Authorization") or self.environ_base.get("HTTP_AUTHORIZATION", "")
        bearer = authorization.startswith("Bearer ")
        if csrf and not bearer and method in ("POST", "PUT", "PATCH", "DELETE") and "X-CSRFToken" not in headers:
            headers["X-CSRFToken"] = self.csrf_token()
        with self.application.app_context():
            return super().open(*args, headers=headers, **kwargs)

    def __enter__(self):
        """pytest-flask's ``client`` enters the client; contexts are not preserved here
        (see the class docstring), so entering is a no-op."""
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def csrf_token(self) -> str:
        """The token the current page would carry, read from its ``<meta name="csrf-token">``."""
        page = self.open("/login", method="GET")
        if page.status_code in (302, 303):
            page = self.open(page.location, method="GET")
        match = _META_TOKEN.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def login(self, username: str, password: str = TEST_PASSWORD):
        return self.post("/login", data={"username": username, "password": password})


def pytest_configure(config):
    config.addinivalue_line("markers", "through_pgbouncer: the app connects through pgbouncer in transaction pooling "
                            "(QUANHUI_PGBOUNCER_PORT, default 6433) with prepared statements off")
    config.addinivalue_line("markers", "quanhui_plugins(*plugins): plugin objects or module names to install in the app")
    config.addinivalue_line(
        "markers", "enable_plugins(*names, tenants=[...]): enable plugins there (and offer them from the ancestors)"
    )


@pytest.fixture
def quanhui_plugins(request) -> tuple:
    """Plugins added to the app beyond the installed ones; set with the marker or override."""
    marker = request.node.get_closest_marker("quanhui_plugins")
    return tuple(marker.args) if marker else ()


class _Databases:
    """Fresh, migrated, tree-synced databases: one template (SQLite) or one database
    (PostgreSQL, per xdist worker) for each set of plugins, whose migrations differ."""

    def __init__(self, workdir, server_url: str | None, worker: str):
        self.workdir = workdir
        self.server_url = server_url
        self.worker = worker
        self.prepared: dict[tuple, str] = {}
        self.count = 0

    def fresh(self, plugins: tuple) -> str:
        key = tuple(sorted(map(_plugin_key, plugins)))
        if key not in self.prepared:
            self.prepared[key] = self._prepare(plugins, len(self.prepared))
        if self.server_url:
            return self._emptied(self.prepared[key], plugins)
        self.count += 1
        copy = self.workdir / f"test-{self.count}.db"
        shutil.copyfile(self.prepared[key], copy)
        return f"sqlite:///{copy}"

    def queue_file(self):
        """A job queue file of a test's own (for ``start_worker``)."""
        self.count += 1
        return self.workdir / f"queue-{self.count}.db"

    def _prepare(self, plugins: tuple, number: int) -> str:
        from .migrations import upgrade
        from .plugins import PluginRegistry

        if self.server_url:
            url = self._create_pg_database(f"{self.worker}_{number}")
        else:
            path = self.workdir / f"template-{number}.db"
            url = f"sqlite:///{path}"
        engine = create_engine(url)
        upgrade(engine, PluginRegistry(plugins))
        engine.dispose()
        _sync_tree(url, plugins)
        return url if self.server_url else str(path)

    def _create_pg_database(self, suffix: str) -> str:
        url = make_url(self.server_url)
        name = f"{url.database}_{suffix}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return url.set(database=name).render_as_string(hide_password=False)

    def _emptied(self, url: str, plugins: tuple) -> str:
        engine = create_engine(url)
        with engine.begin() as conn:
            tables = conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            ).all()
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        _sync_tree(url, plugins)
        return url


def _plugin_key(plugin) -> str:
    return plugin if isinstance(plugin, str) else getattr(plugin, "__name__", repr(plugin))


def _sync_tree(url: str, plugins: tuple) -> None:
    from .db import session
    from .tenant_sync import sync_tree
    from .web.app import create_app
    from tenants import DEFAULT_TREE, load_tree

    app = create_app({"QUANHUI_DATABASE_URL": url, "QUANHUI_SECRET_KEY": "tree-sync"}, plugins=plugins)
    with app.app_context():
        sync_tree(session, load_tree(DEFAULT_TREE))
        session.commit()
    app.extensions["quanhui.db"].engine.dispose()


@pytest.fixture(scope="session")
def quanhui_databases(tmp_path_factory) -> _Databases:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return _Databases(tmp_path_factory.mktemp("quanhui-db"), os.environ.get("QUANHUI_TEST_DATABASE_URL"), worker)


@pytest.fixture
def app(quanhui_databases, quanhui_plugins, request) -> Iterator[Flask]:
    """A quanhui app on a fresh database, with the tree synced and the marked plugins enabled."""
    from .web.app import create_app

    url = quanhui_databases.fresh(quanhui_plugins)
    through_pgbouncer = request.node.get_closest_marker("through_pgbouncer") is not None
    if through_pgbouncer:
        url = pgbouncer_url(url)
    app = create_app(
        {"TESTING": True, "QUANHUI_DATABASE_URL": url, "QUANHUI_SECRET_KEY": "quanhui-tests",
         "QUANHUI_DB_PREPARE": not through_pgbouncer,
         # Jobs run inside the request that starts them unless a test starts a worker.
         "QUANHUI_JOBS_IMMEDIATE": True, "QUANHUI_QUEUE_FILE": str(quanhui_databases.queue_file())},
        plugins=quanhui_plugins,
    )
    app.test_client_class = QuanhuiClient
    marker = request.node.get_closest_marker("enable_plugins")
    if marker:
        with app.app_context():
            enable_plugins(marker.args, marker.kwargs.get("tenants", ("jinan",)))
    yield app
    app.extensions["quanhui.db"].engine.dispose()


#: Where .ci/run starts pgbouncer (transaction pooling) in front of the PostgreSQL server.
PGBOUNCER_PORT = int(os.environ.get("QUANHUI_PGBOUNCER_PORT", "6433"))


def pgbouncer_url(url: str) -> str:
    """``url`` (a PostgreSQL database) reached through pgbouncer instead."""
    return make_url(url).set(host="127.0.0.1", port=PGBOUNCER_PORT).render_as_string(hide_password=False)


def pgbouncer_answers() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", PGBOUNCER_PORT), timeout=2).close()
    except OSError:
        return False
    return True


def enable_plugins(names, slugs) -> None:
    """Enable ``names`` in each tenant of ``slugs``, offering them from every ancestor first."""
    from flask import current_app
    from sqlalchemy import select

    from .db import session
    from .plugin_state import set_enabled, set_offered
    from .tenancy import Tenant, TenantScope, use_scope

    registry = current_app.extensions["quanhui.plugins"]
    for slug in slugs:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        for ancestor_id in tenant.ancestor_ids:
            ancestor = session.get(Tenant, ancestor_id)
            with use_scope(session, TenantScope.of(ancestor)):
                for name in names:
                    set_offered(session, registry, ancestor, name, True, None)
        with use_scope(session, TenantScope.of(tenant)):
            for name in names:
                set_enabled(session, registry, tenant, name, True, None)
        session.commit()


@pytest.fixture
def db_session(app):
    """The app's session inside an app context; scope it with ``core.api.use_scope``."""
    from .db import session

    with app.app_context():
        yield session


@pytest.fixture
def tenant(app) -> Callable:
    """``tenant("lixia")`` is that :class:`core.tenancy.Tenant`."""
    from .db import session
    from .tenancy import tenant_by_slug

    def get(slug: str):
        with app.app_context():
            found = tenant_by_slug(session, slug)
            assert found is not None, f"no tenant {slug}"
            return found

    return get


@functools.cache
def _test_password_hash() -> str:
    from .auth.passwords import hash_password

    return hash_password(TEST_PASSWORD)


@pytest.fixture
def make_user(app) -> Callable:
    """``make_user("lixia", "editor")`` creates ``lixia-editor`` with password :data:`TEST_PASSWORD`;
    a second user of the same tenant and role is ``lixia-editor-2``, and so on, unless
    ``username=`` names it."""
    from .auth.models import User
    from .db import session
    from .tenancy import TenantScope, tenant_by_slug, use_scope

    def make(slug: str, role: str = "admin", username: str | None = None, association_id: int | None = None) -> User:
        with app.app_context():
            home = tenant_by_slug(session, slug)
            with use_scope(session, TenantScope.of(home)):
                user = User(
                    tenant_id=home.id,
                    username=username or _free_username(session, f"{slug}-{role}"),
                    role=role,
                    password_hash=_test_password_hash(),
                    association_id=association_id,
                )
                session.add(user)
                session.commit()
            return user

    return make


def _free_username(session, base: str) -> str:
    from sqlalchemy import select

    from .auth.models import User

    taken = set(session.scalars(select(User.username).where(User.username.startswith(base))))
    number = 1
    while (name := base if number == 1 else f"{base}-{number}") in taken:
        number += 1
    return name


@pytest.fixture
def login_client(app, make_user) -> Callable:
    """``login_client("lixia", "viewer")``: a new client signed in as a new user of that tenant and role
    (``association_id=`` for an association account, ``username=`` to name the user)."""

    def make(slug: str, role: str = "admin", association_id: int | None = None,
             username: str | None = None) -> QuanhuiClient:
        user = make_user(slug, role, username=username, association_id=association_id)
        client = app.test_client()
        response = client.login(user.username)
        assert response.status_code in (204, 303), response.get_data(as_text=True)
        return client

    return make


class _QuietHandler(WSGIRequestHandler):
    """Keep werkzeug's one line per request out of the test output."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@contextlib.contextmanager
def serve(app: Flask) -> Iterator[str]:
    """``http://127.0.0.1:<port>``, serving ``app`` on a free port until the block ends.

    Each request runs in a thread of its own with its own app and request context (a new
    thread starts with empty context variables), so pytest-flask's request context,
    pushed in the test's thread, does not leak into the server.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="quanhui-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_url(app) -> Iterator[str]:
    """``app`` over real HTTP (see :func:`serve`), for a browser or several clients at once."""
    with serve(app) as url:
        yield url


@pytest.fixture
def api_client(app, make_user) -> Callable:
    """``api_client("lixia", "editor")``: a new client that calls /api/v1 with a bearer token
    of a new user of that tenant and role (no cookie, no CSRF token needed); ``association_id=``
    and ``username=`` as for :func:`login_client`."""
    from .auth.accounts import create_api_token
    from .db import session

    def make(slug: str, role: str = "admin", association_id: int | None = None,
             username: str | None = None) -> QuanhuiClient:
        user = make_user(slug, role, username=username, association_id=association_id)
        with app.app_context():
            token = create_api_token(session, user, "tests")
            session.commit()
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    return make


@pytest.fixture
def cli_runner(app, quanhui_plugins) -> Callable:
    """``cli_runner("hello", "--tenant", "lixia")`` runs a ``quanhui`` command on the test app's
    database, with the commands of every installed plugin and of the ``quanhui_plugins`` marker,
    and returns click's result (``exit_code``, ``output``, ``stderr``); ``input=`` feeds stdin."""
    from .cli import make_cli

    runner = app.test_cli_runner()
    cli = make_cli(quanhui_plugins)

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input)

    return run


class Worker:
    """A ``quanhui worker`` subprocess against a test app's database and job queue."""

    def __init__(self, app, workdir):
        self.app = app
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def environment(self) -> dict[str, str]:
        config = self.app.config
        settings = {"QUANHUI_DATABASE_URL": config["QUANHUI_DATABASE_URL"], "QUANHUI_QUEUE_FILE": config["QUANHUI_QUEUE_FILE"],
                    "QUANHUI_SECRET_KEY": config["QUANHUI_SECRET_KEY"], "QUANHUI_INSTANCE": str(self.workdir),
                    "QUANHUI_REDIS_URL": config["QUANHUI_REDIS_URL"] or ""}
        environment = {key: value for key, value in os.environ.items() if key != "QUANHUI_REDIS_URL"}
        return {**environment, **{key: value for key, value in settings.items() if value}}

    def start(self) -> Worker:
        command = [str(Path(sys.executable).with_name("quanhui")), "worker"]
        self.process = subprocess.Popen(command, env=self.environment, stdout=subprocess.DEVNULL,
                                        stderr=open(self.workdir / "worker.log", "ab"))
        return self

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-work, as in a crash or at the hands of the OOM killer."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_worker(app, tmp_path) -> Iterator[Callable[[], Worker]]:
    """``start_worker()`` starts ``quanhui worker`` as a subprocess against the app's (and so
    the live server's) database and job queue; jobs the app starts from then on go to it."""
    app.config["QUANHUI_JOBS_IMMEDIATE"] = False
    app.extensions.pop("quanhui.huey", None)
    workers: list[Worker] = []

    def start() -> Worker:
        workers.append(Worker(app, tmp_path).start())
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()
