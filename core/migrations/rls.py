"""PostgreSQL row-level security for tenant-owned tables, for core and plugin migrations.

Policies compare a plain, indexed ``tenant_id`` with the ids the transaction's scope put
in ``quanhui.read_ids`` / ``quanhui.write_ids`` (see :mod:`core.tenancy`). With no scope
set both are empty, so nothing is visible or writable: the database fails closed too.
On SQLite these functions do nothing.

The ids are read in a sub-select, which PostgreSQL runs once per statement (an InitPlan):
written inline, the list would be parsed again for every row a policy checks, about a
sixth of the list page's database time (python -m bench.run, scenario 3).
"""
from __future__ import annotations

from sqlalchemy import text

from ..tenancy import APP_ROLE

_IDS = "(SELECT string_to_array(nullif(current_setting('quanhui.{kind}_ids', true), ''), ',')::bigint[])::bigint[]"
READ = f"tenant_id = ANY ({_IDS.format(kind='read')})"
WRITE = f"tenant_id = ANY ({_IDS.format(kind='write')})"


def _is_postgresql(op) -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_app_role(op) -> None:
    """The role every scoped transaction switches to; it owns nothing and bypasses nothing."""
    if not _is_postgresql(op):
        return
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        """
    )
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
            EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
          END IF;
        END $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def grant_read(op, table: str) -> None:
    """Shared, non-tenant tables (the tenant tree itself) are read-only to the app role."""
    if _is_postgresql(op):
        op.execute(f"GRANT SELECT ON {table} TO {APP_ROLE}")


def enable_tenant_rls(op, table: str, *, append_only: bool = False) -> None:
    """Confine ``table`` to the scope's tenants; ``append_only`` tables take no UPDATE or DELETE."""
    if not _is_postgresql(op):
        return
    privileges = "SELECT, INSERT" if append_only else "SELECT, INSERT, UPDATE, DELETE"
    op.execute(f"GRANT {privileges} ON {table} TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    commands = ("SELECT", "INSERT") if append_only else ("SELECT", "INSERT", "UPDATE", "DELETE")
    for command in commands:
        op.execute(f"CREATE POLICY {table}_{_NAMES[command]} ON {table} FOR {command} {_CLAUSES[command]}")


#: Each command's policy: its name's suffix and its clauses.
_NAMES = {"SELECT": "read", "INSERT": "insert", "UPDATE": "update", "DELETE": "delete"}
_CLAUSES = {"SELECT": f"USING ({READ})", "INSERT": f"WITH CHECK ({WRITE})",
            "UPDATE": f"USING ({WRITE}) WITH CHECK ({WRITE})", "DELETE": f"USING ({WRITE})"}


def rewrite_tenant_policies(op) -> None:
    """Give every policy :func:`enable_tenant_rls` made, core's and plugins', today's clauses."""
    if not _is_postgresql(op):
        return
    policies = op.get_bind().execute(text(
        "SELECT tablename, policyname, cmd FROM pg_policies WHERE schemaname = current_schema()"
        " AND strpos(coalesce(qual, with_check), 'quanhui.') > 0"
    )).all()
    for table, policy, command in policies:
        if policy == f"{table}_{_NAMES.get(command)}":
            op.execute(f"ALTER POLICY {policy} ON {table} {_CLAUSES[command]}")
