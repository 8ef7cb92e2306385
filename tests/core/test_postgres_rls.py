"""Row-level security on PostgreSQL: the database confines raw SQL to the scope's tenants.

The ORM layer (``core.tenancy``) adds ``tenant_id IN (scope)`` to every ORM statement;
these tests deliberately bypass it with ``text()`` SQL run through the app's own session,
so what they observe is PostgreSQL's own enforcement: every scoped transaction runs as
``quanhui_app`` (owns no table, has no BYPASSRLS) with the scope in transaction-local
settings, and every tenant-owned table has policies with FORCE ROW LEVEL SECURITY.

They run only when ``QUANHUI_TEST_DATABASE_URL`` names a PostgreSQL database, e.g.::

    QUANHUI_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/quanhui_test \\
        .venv/bin/python -m pytest tests/core/test_postgres_rls.py
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url

from core.tenancy import APP_ROLE, SYSTEM, TenantScope, set_scope, use_scope


def _postgres_url() -> str | None:
    url = os.environ.get("QUANHUI_TEST_DATABASE_URL")
    if url and make_url(url).get_backend_name() == "postgresql":
        return url
    return None


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        _postgres_url() is None,
        reason="row-level security needs PostgreSQL: set QUANHUI_TEST_DATABASE_URL=postgresql+psycopg://...",
    ),
    pytest.mark.quanhui_plugins("tests.noticeboard"),
    pytest.mark.enable_plugins("noticeboard", tenants=["lixia", "shizhong"]),
]


def _tenant_ids(session, table: str) -> set[int]:
    return set(session.scalars(text(f"SELECT tenant_id FROM {table}")))


def _count(session, sql: str, **params) -> int:
    return session.scalar(text(sql), params)


# -- reading ----------------------------------------------------------------------------


def test_raw_select_under_a_scope_sees_only_that_tenants_notices(db_session, tenant):
    lixia, shizhong = tenant("lixia"), tenant("shizhong")
    with use_scope(db_session, SYSTEM):
        assert _tenant_ids(db_session, "noticeboard_notices") == {lixia.id, shizhong.id}
    db_session.rollback()

    set_scope(db_session, TenantScope.of(lixia))

    assert _tenant_ids(db_session, "noticeboard_notices") == {lixia.id}
    assert _count(db_session, "SELECT count(*) FROM noticeboard_notices WHERE tenant_id = :t", t=shizhong.id) == 0


def test_raw_select_under_a_scope_sees_only_that_tenants_users(db_session, tenant, make_user):
    make_user("lixia", "admin")
    make_user("shizhong", "admin")
    lixia = tenant("lixia")

    with use_scope(db_session, TenantScope.of(lixia)):
        assert _tenant_ids(db_session, "users") == {lixia.id}
        assert set(db_session.scalars(text("SELECT username FROM users"))) == {"lixia-admin"}


def test_a_session_without_scope_sees_no_rows_through_raw_sql(db_session, make_user):
    make_user("lixia", "admin")
    with use_scope(db_session, SYSTEM):
        assert _count(db_session, "SELECT count(*) FROM noticeboard_notices") == 2
        assert _count(db_session, "SELECT count(*) FROM users") == 1
    db_session.commit()

    assert db_session.info.get("quanhui.scope") is None  # a fresh session has no scope
    assert _count(db_session, "SELECT count(*) FROM noticeboard_notices") == 0
    assert _count(db_session, "SELECT count(*) FROM users") == 0
    assert db_session.scalar(text("SELECT current_user")) == APP_ROLE


def test_a_scope_that_may_only_read_writes_nothing(db_session, tenant):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia, writable=False)):
        assert _tenant_ids(db_session, "noticeboard_notices") == {lixia.id}
        changed = db_session.execute(text("UPDATE noticeboard_notices SET title = 'x'"))
        assert changed.rowcount == 0


# -- writing ----------------------------------------------------------------------------


def test_raw_insert_for_another_tenant_is_refused_by_the_database(db_session, tenant):
    lixia, shizhong = tenant("lixia"), tenant("shizhong")
    set_scope(db_session, TenantScope.of(lixia))

    with pytest.raises(exc.ProgrammingError, match="row-level security"):
        db_session.execute(
            text("INSERT INTO noticeboard_notices (tenant_id, title, posted_at) VALUES (:t, '越界公告', now())"),
            {"t": shizhong.id},
        )
    db_session.rollback()

    with use_scope(db_session, SYSTEM):
        assert _count(db_session, "SELECT count(*) FROM noticeboard_notices WHERE title = '越界公告'") == 0


def test_raw_insert_for_the_scopes_own_tenant_is_allowed(db_session, tenant):
    lixia = tenant("lixia")
    set_scope(db_session, TenantScope.of(lixia))

    db_session.execute(
        text("INSERT INTO noticeboard_notices (tenant_id, title, posted_at) VALUES (:t, '本区公告', now())"),
        {"t": lixia.id},
    )
    db_session.commit()

    assert _count(db_session, "SELECT count(*) FROM noticeboard_notices WHERE title = '本区公告'") == 1


def test_raw_update_of_another_tenants_rows_changes_nothing(db_session, tenant):
    lixia, shizhong = tenant("lixia"), tenant("shizhong")
    set_scope(db_session, TenantScope.of(lixia))

    by_tenant = db_session.execute(
        text("UPDATE noticeboard_notices SET title = '被改了' WHERE tenant_id = :t"), {"t": shizhong.id}
    )
    moving_in = db_session.execute(
        text("UPDATE noticeboard_notices SET tenant_id = :lixia WHERE tenant_id = :t"),
        {"lixia": lixia.id, "t": shizhong.id},
    )
    assert (by_tenant.rowcount, moving_in.rowcount) == (0, 0)
    db_session.commit()

    with use_scope(db_session, SYSTEM):
        titles = set(db_session.scalars(text("SELECT title FROM noticeboard_notices WHERE tenant_id = :t"), {"t": shizhong.id}))
    assert titles == {"欢迎使用公告栏"}


def test_moving_an_own_row_into_another_tenant_is_refused(db_session, tenant):
    lixia, shizhong = tenant("lixia"), tenant("shizhong")
    set_scope(db_session, TenantScope.of(lixia))

    with pytest.raises(exc.ProgrammingError, match="row-level security"):
        db_session.execute(
            text("UPDATE noticeboard_notices SET tenant_id = :s WHERE tenant_id = :t"), {"s": shizhong.id, "t": lixia.id}
        )
    db_session.rollback()


def test_raw_delete_of_another_tenants_rows_deletes_nothing(db_session, tenant):
    lixia, shizhong = tenant("lixia"), tenant("shizhong")
    set_scope(db_session, TenantScope.of(lixia))

    notices = db_session.execute(text("DELETE FROM noticeboard_notices WHERE tenant_id = :t"), {"t": shizhong.id})
    everything = db_session.execute(text("DELETE FROM plugin_settings WHERE tenant_id <> :t"), {"t": lixia.id})
    assert (notices.rowcount, everything.rowcount) == (0, 0)
    db_session.commit()

    with use_scope(db_session, SYSTEM):
        assert _count(db_session, "SELECT count(*) FROM noticeboard_notices WHERE tenant_id = :t", t=shizhong.id) == 1
        assert _count(db_session, "SELECT count(*) FROM plugin_settings WHERE tenant_id = :t", t=shizhong.id) == 1


# -- the audit log ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'forged' WHERE tenant_id = :t",
        "DELETE FROM audit_events WHERE tenant_id = :t",
    ],
    ids=["update", "delete"],
)
def test_the_app_role_cannot_change_the_audit_log_even_in_its_own_tenant(db_session, tenant, statement):
    lixia = tenant("lixia")
    set_scope(db_session, TenantScope.of(lixia))
    assert _count(db_session, "SELECT count(*) FROM audit_events WHERE tenant_id = :t", t=lixia.id) >= 1

    with pytest.raises(exc.ProgrammingError, match="permission denied"):
        db_session.execute(text(statement), {"t": lixia.id})
    db_session.rollback()

    with use_scope(db_session, SYSTEM):
        assert _count(db_session, "SELECT count(*) FROM audit_events WHERE action = 'plugin.enabled' AND tenant_id = :t", t=lixia.id) == 1


def test_the_app_role_may_append_to_its_own_tenants_audit_log(db_session, tenant):
    lixia = tenant("lixia")
    set_scope(db_session, TenantScope.of(lixia))

    db_session.execute(
        text(
            "INSERT INTO audit_events (tenant_id, at, actor, action, target, detail, ip)"
            " VALUES (:t, now(), '', 'test.appended', '', '{}', '')"
        ),
        {"t": lixia.id},
    )
    db_session.commit()

    assert _count(db_session, "SELECT count(*) FROM audit_events WHERE action = 'test.appended'") == 1


# -- connections and the schema ---------------------------------------------------------


def test_a_connection_returned_to_the_pool_carries_no_scope(app, db_session, tenant):
    engine = app.extensions["quanhui.db"].engine
    engine.dispose()  # so the next checkout is the very connection the session used
    lixia = tenant("lixia")
    set_scope(db_session, TenantScope.of(lixia))
    assert db_session.scalar(text("SELECT current_user")) == APP_ROLE
    assert db_session.scalar(text("SELECT current_setting('quanhui.read_ids', true)")) == str(lixia.id)
    backend = db_session.scalar(text("SELECT pg_backend_pid()"))
    db_session.commit()
    db_session.close()

    with engine.connect() as connection:
        assert connection.scalar(text("SELECT pg_backend_pid()")) == backend
        assert connection.scalar(text("SELECT current_setting('quanhui.read_ids', true)")) in (None, "")
        assert connection.scalar(text("SELECT current_setting('quanhui.write_ids', true)")) in (None, "")
        assert connection.scalar(text("SELECT current_user")) == make_url(_postgres_url()).username
        assert connection.scalar(text("SELECT current_user = session_user"))


def test_every_tenant_owned_table_forces_row_level_security(db_session):
    import core.models  # noqa: F401  (every core table in the metadata)
    import tests.noticeboard  # noqa: F401
    from core.tenancy import tenant_owned_tables

    tables = [table.name for table in tenant_owned_tables()]
    assert {"users", "audit_events", "plugin_settings", "noticeboard_notices"} <= set(tables)

    for name in tables:
        relname, enabled, forced, owner, policies = db_session.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner),"
                " (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname)"
                " FROM pg_class c WHERE c.oid = to_regclass(:name)"
            ),
            {"name": f"public.{name}"},
        ).one()
        assert (relname, enabled, forced) == (name, True, True), name
        assert owner != APP_ROLE, f"{name} must not be owned by {APP_ROLE}"
        assert policies == (2 if name == "audit_events" else 4), name


def test_the_app_role_owns_nothing_and_bypasses_nothing(db_session):
    can_login, bypasses, superuser = db_session.execute(
        text("SELECT rolcanlogin, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}
    ).one()
    assert (can_login, bypasses, superuser) == (False, False, False)
    assert db_session.scalar(
        text("SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = :r)"),
        {"r": APP_ROLE},
    ) == 0


def test_policies_read_the_scope_once_per_statement_and_old_ones_are_rewritten(app, db_session):
    """A sub-select (an InitPlan) instead of parsing the id list again for every row;
    rewrite_tenant_policies brings a policy written the old way up to date."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from core.migrations.rls import rewrite_tenant_policies

    def clauses():
        return dict(db_session.execute(text(
            "SELECT policyname, coalesce(qual, with_check) FROM pg_policies WHERE tablename = 'noticeboard_notices'")).all())

    assert all("SELECT" in clause for clause in clauses().values())
    inline = "tenant_id = ANY (string_to_array(nullif(current_setting('quanhui.read_ids', true), ''), ',')::bigint[])"
    with use_scope(db_session, SYSTEM):
        db_session.execute(text(f"ALTER POLICY noticeboard_notices_read ON noticeboard_notices USING ({inline})"))
        assert "SELECT" not in clauses()["noticeboard_notices_read"]
        rewrite_tenant_policies(Operations(MigrationContext.configure(db_session.connection())))
        assert "SELECT" in clauses()["noticeboard_notices_read"]
        db_session.commit()
