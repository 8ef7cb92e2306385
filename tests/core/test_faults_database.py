"""When the database fails: a Chinese 503 for people and the API, nothing half-written,
and service again as soon as the database is back, without restarting anything.

* Unreachable: on SQLite, the folder holding the database file is moved away (a worker
  that opens the file meanwhile cannot); on PostgreSQL, the running app's database is
  renamed under it (its pooled connections are cut). Both come back by themselves.
* Locked (SQLite): another connection holds the write lock; a save waits, then is refused.
* Full (SQLite): ``PRAGMA max_page_count`` caps the file, as a full disk would.
"""
from __future__ import annotations

import shutil
import sqlite3
import time

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from core.auth.accounts import create_user
from core.cli import make_cli
from core.db import session
from core.directory import ASSOCIATION
from core.entities import excel
from core.entities.models import Entity, EntityRevision, EntityValue
from core.tenancy import SYSTEM, tenant_by_slug, use_scope
from core.testing import TEST_PASSWORD, QuanhuiClient
from core.web.app import create_app
from core.web.errors import DATABASE_BUSY, DATABASE_FULL
from tests.entity_helpers import association

UNAVAILABLE = "数据库暂时无法访问"


def _sqlite_only(app) -> str:
    """The app's SQLite file (the test is skipped on PostgreSQL)."""
    url = make_url(app.config["QUANHUI_DATABASE_URL"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("this fault is SQLite's: its file lock and page limit (PostgreSQL: see the other tests here)")
    return url.database


def _counts(app) -> tuple[int, int, int]:
    """Records, revisions and projection rows of every tenant."""
    with app.app_context(), use_scope(session, SYSTEM):
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (Entity, EntityRevision, EntityValue))


def _on_every_connection(app, pragma: str):
    """Run ``pragma`` on each new connection of the app's engine, from now on; returns the hook."""
    engine = app.extensions["quanhui.db"].engine

    def hook(dbapi_connection, _record):
        dbapi_connection.execute(pragma)

    event.listen(engine, "connect", hook)
    engine.dispose()
    return hook


def _assert_unavailable(client) -> None:
    page = client.get("/lixia/")
    assert page.status_code == 503
    assert UNAVAILABLE in page.get_data(as_text=True)
    assert page.headers["Retry-After"]
    api = client.get("/api/v1/lixia/")
    assert api.status_code == 503
    assert api.json["error"]["code"] == "unavailable"
    assert client.get("/healthz").json == {"status": "unavailable", "database": "unreachable"}


# -- unreachable ------------------------------------------------------------------------


def test_sqlite_moved_away_answers_503_and_the_same_app_serves_again_once_it_is_back(quanhui_databases, tmp_path):
    if quanhui_databases.server_url:
        pytest.skip("SQLite variant; on PostgreSQL the database is renamed instead (next test)")
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(make_url(quanhui_databases.fresh(())).database, folder / "quanhui.db")
    app = create_app({"TESTING": True, "QUANHUI_DATABASE_URL": f"sqlite:///{folder / 'quanhui.db'}",
                      "QUANHUI_SECRET_KEY": "faults"})
    app.test_client_class = QuanhuiClient
    with app.app_context():
        create_user(session, tenant_by_slug(session, "lixia"), "lixia-viewer", TEST_PASSWORD, "viewer")
        session.commit()
    app.extensions["quanhui.db"].engine.dispose()  # a worker with no open connection yet
    away = tmp_path / "data-away"
    folder.rename(away)
    client = app.test_client()
    try:
        _assert_unavailable(client)
        assert client.login("lixia-viewer").status_code == 503
    finally:
        away.rename(folder)

    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    assert client.login("lixia-viewer").status_code == 303
    assert client.get("/lixia/").status_code == 200
    app.extensions["quanhui.db"].engine.dispose()


def test_postgresql_renamed_under_a_running_app_answers_503_then_recovers(app, login_client):
    url = make_url(app.config["QUANHUI_DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL variant (QUANHUI_TEST_DATABASE_URL); on SQLite the file is moved instead")
    client = login_client("lixia", "viewer")
    assert client.get("/lixia/").status_code == 200
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name, away = url.database, f"{url.database}_away"
    try:
        _rename(server, name, away)
        _assert_unavailable(client)
    finally:
        _rename(server, away, name)
        server.dispose()

    assert client.get("/lixia/").status_code == 200
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}


def _rename(server, name: str, new_name: str) -> None:
    """Cut every connection to ``name`` and rename it (retrying while they close)."""
    deadline = time.monotonic() + 10
    with server.connect() as conn:
        while True:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            try:
                conn.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{new_name}"'))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


# -- locked -----------------------------------------------------------------------------


def test_a_save_while_another_process_holds_the_write_lock_is_refused_clearly_and_writes_nothing(
    app, login_client, api_client
):
    path = _sqlite_only(app)
    _on_every_connection(app, "PRAGMA busy_timeout = 300")
    browser, api = login_client("lixia", "editor"), api_client("lixia", "admin")
    before = _counts(app)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # e.g. a backup or a long import in another process
    try:
        page = browser.post("/lixia/entities/association/", data=association())
        assert page.status_code == 503
        assert DATABASE_BUSY in page.get_data(as_text=True)
        answer = api.post("/api/v1/lixia/entities/association", json=association())
        assert answer.status_code == 503
        assert answer.json["error"]["message"] == DATABASE_BUSY
    finally:
        holder.rollback()
        holder.close()
    assert _counts(app) == before

    assert browser.post("/lixia/entities/association/", data=association()).status_code == 303
    assert _counts(app)[:2] == (before[0] + 1, before[1] + 1)


# -- full -------------------------------------------------------------------------------


def test_a_full_disk_refuses_saves_and_imports_clearly_and_keeps_every_saved_record_whole(app, api_client, tmp_path):
    path = _sqlite_only(app)
    api = api_client("lixia", "editor")
    with sqlite3.connect(path) as probe:
        pages = probe.execute("PRAGMA page_count").fetchone()[0]
    hook = _on_every_connection(app, f"PRAGMA max_page_count = {pages + 2}")
    before = _counts(app)
    saved, refusal = 0, None
    for _ in range(200):  # fill the little room left, until a save is refused
        answer = api.post("/api/v1/lixia/entities/association", json=association(address="历下区" * 60))
        if answer.status_code != 201:
            refusal = answer
            break
        saved += 1
    assert refusal is not None, "the page limit never filled up"
    assert refusal.status_code == 503
    assert refusal.json["error"]["message"] == DATABASE_FULL
    records, revisions, values = _counts(app)
    assert (records, revisions) == (before[0] + saved, before[1] + saved)  # each saved record whole, the refused one absent
    with app.app_context(), use_scope(session, SYSTEM):
        revised = select(EntityRevision.id).where(EntityRevision.entity_id == Entity.id).exists()
        assert session.scalar(select(func.count()).select_from(Entity).where(~revised)) == 0

    workbook = tmp_path / "名录.xlsx"
    excel.write_export(ASSOCIATION, [association(address="槐荫区" * 60) for _ in range(300)], workbook)
    result = app.test_cli_runner().invoke(make_cli(), ["import", "association", str(workbook), "--tenant", "lixia"])
    assert result.exit_code == 1
    assert f"导入中断:{DATABASE_FULL}" in result.output
    assert _counts(app) == (records, revisions, values)

    event.remove(app.extensions["quanhui.db"].engine, "connect", hook)
    app.extensions["quanhui.db"].engine.dispose()  # the disk was cleaned up
    assert api.post("/api/v1/lixia/entities/association", json=association()).status_code == 201
