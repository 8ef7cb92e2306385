"""Unique fields: a table of the values they hold, one row per live record and value.

Backfills the association's credit code, unique in the whole tree. A value that two
live records already hold gets no row: the migration never fails on such a database;
``quanhui check duplicates`` lists those values, and the constraint applies to a value
once its duplicates are gone (deleting one hands the value to the last record holding it).

Revision ID: 0016_unique_keys
Revises: 0014_login_throttle
Create Date: 2026-12-06
"""
from collections import Counter

import sqlalchemy as sa
from alembic import op

from core.db import BigId
from core.migrations.rls import enable_tenant_rls

revision = "0016_unique_keys"
down_revision = "0015_jobs"
branch_labels = None
depends_on = None

TENANTS = sa.table("tenants", sa.column("id"), sa.column("path"))
ENTITIES = sa.table("entities", sa.column("id"), sa.column("tenant_id"), sa.column("type"), sa.column("data", sa.JSON),
                    sa.column("deleted_at"))
#: The unique fields declared in code when this migration was written: (type, field, scope).
DECLARED = (("association", "uscc", "tree"),)


def upgrade():
    keys = op.create_table(
        "entity_unique_keys",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_entity_unique_keys_tenant_id_tenants"),
                  nullable=False),
        sa.Column("entity_id", BigId, sa.ForeignKey("entities.id", name="fk_entity_unique_keys_entity_id_entities",
                                                    ondelete="CASCADE"), nullable=False),
        sa.Column("scope_id", BigId, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("value", sa.String(400), nullable=False),
    )
    op.create_index("uq_entity_unique_keys_value", "entity_unique_keys", ["scope_id", "type", "field", "value"],
                    unique=True)
    op.create_index("ix_entity_unique_keys_tenant_entity", "entity_unique_keys", ["tenant_id", "entity_id"])
    enable_tenant_rls(op, "entity_unique_keys")
    _backfill(op.get_bind(), keys)


def _backfill(connection, keys) -> None:
    roots = {tenant_id: int(path.strip("/").split("/")[0]) for tenant_id, path in connection.execute(
        sa.select(TENANTS.c.id, TENANTS.c.path))}
    for type_name, field, scope in DECLARED:
        rows = []
        live = sa.select(ENTITIES.c.id, ENTITIES.c.tenant_id, ENTITIES.c.data).where(
            ENTITIES.c.type == type_name, ENTITIES.c.deleted_at.is_(None))
        for entity_id, tenant_id, data in connection.execute(live):
            value = (data or {}).get(field)
            if value not in (None, ""):
                scope_id = roots[tenant_id] if scope == "tree" else tenant_id
                rows.append({"tenant_id": tenant_id, "entity_id": entity_id, "scope_id": scope_id, "type": type_name,
                             "field": field, "value": str(value).strip()[:400]})
        held = Counter((row["scope_id"], row["value"]) for row in rows)
        single = [row for row in rows if held[row["scope_id"], row["value"]] == 1]
        for start in range(0, len(single), 1000):
            connection.execute(keys.insert(), single[start:start + 1000])


def downgrade():
    op.drop_table("entity_unique_keys")
