"""How a request's transaction ends when the view did not commit it: whatever it wrote is
rolled back; a request that only read ends with COMMIT instead, which changes nothing
and lets PostgreSQL keep the connection's prepared statements (psycopg drops them at
every ROLLBACK)."""
import types

import pytest
from flask import Blueprint
from sqlalchemy import event, func, insert, select, text

from core import audit
from core.api import PluginMeta, current_tenant, hookimpl
from core.audit import AuditEvent
from core.db import session
from core.tenancy import SYSTEM, use_scope


def uncommitted_plugin():
    """Views that write and return without committing, and one whose query fails."""
    pages = Blueprint("uncommitted", __name__)

    @pages.get("/orm")
    def orm_write(tenant):
        audit.record(session, "test.uncommitted_orm", tenant_id=current_tenant().id)
        session.flush()
        return "written"

    @pages.get("/core")
    def core_write(tenant):
        session.execute(insert(AuditEvent), [{"tenant_id": current_tenant().id, "action": "test.uncommitted_core"}])
        return "written"

    @pages.get("/failed")
    def failed_read(tenant):
        try:
            session.execute(text("SELECT no_such_column FROM tenants"))
        except Exception:  # the view recovers and answers; its transaction is spoilt
            return "recovered"
        return "unexpected"

    module = types.ModuleType("uncommitted_plugin")
    module.meta = PluginMeta(name="uncommitted", title="未提交", version="1.0.0")
    module.quanhui_blueprints = hookimpl(lambda: [pages])
    return module


@pytest.fixture
def endings(app):
    """How each transaction on the app's engine ended, in order."""
    seen = []
    engine = app.extensions["quanhui.db"].engine
    commit, rollback = (lambda _connection: seen.append("commit")), (lambda _connection: seen.append("rollback"))
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    yield seen
    event.remove(engine, "commit", commit)
    event.remove(engine, "rollback", rollback)


def audited(app, action: str) -> int:
    with app.app_context(), use_scope(session, SYSTEM):
        return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def test_a_page_that_only_reads_ends_its_transaction_with_commit(login_client, endings):
    client = login_client("lixia", "admin")
    endings.clear()
    assert client.get("/lixia/entities/association/").status_code == 200
    assert endings == ["commit"]


@pytest.mark.quanhui_plugins(uncommitted_plugin())
@pytest.mark.enable_plugins("uncommitted", tenants=["lixia"])
@pytest.mark.parametrize(("path", "action"), [("orm", "test.uncommitted_orm"), ("core", "test.uncommitted_core")])
def test_what_a_view_wrote_and_did_not_commit_is_rolled_back(app, login_client, endings, path, action):
    client = login_client("lixia", "admin")
    endings.clear()
    assert client.get(f"/lixia/uncommitted/{path}").get_data(as_text=True) == "written"
    assert endings[-1] == "rollback"
    assert audited(app, action) == 0


@pytest.mark.quanhui_plugins(uncommitted_plugin())
@pytest.mark.enable_plugins("uncommitted", tenants=["lixia"])
def test_a_transaction_with_a_failed_statement_is_rolled_back(login_client, endings):
    client = login_client("lixia", "admin")
    endings.clear()
    assert client.get("/lixia/uncommitted/failed").get_data(as_text=True) == "recovered"
    assert endings[-1] == "rollback"


def test_postgresql_keeps_prepared_statements_from_one_read_only_request_to_the_next(app, login_client):
    engine = app.extensions["quanhui.db"].engine
    if engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are psycopg's, on PostgreSQL")
    client = login_client("lixia", "admin")
    for _ in range(7):  # psycopg prepares a statement at its fifth run on a connection
        assert client.get("/lixia/entities/association/").status_code == 200
    with engine.connect() as connection:
        prepared = connection.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("FROM entities" in statement for statement in prepared)
