"""Generic entity storage: records, revisions, typed projections, custom fields.

Revision ID: 0002_entities
Revises: 0001_core
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId, UTCDateTime
from core.migrations.rls import enable_tenant_rls

revision = "0002_entities"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def _tenant_fk(table: str) -> sa.Column:
    return sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name=f"fk_{table}_tenant_id_tenants"), nullable=False)


def _user_fk(table: str, column: str) -> sa.Column:
    fk = sa.ForeignKey("users.id", name=f"fk_{table}_{column}_users", ondelete="SET NULL")
    return sa.Column(column, BigId, fk)


def _entity_fk(table: str) -> sa.Column:
    fk = sa.ForeignKey("entities.id", name=f"fk_{table}_entity_id_entities", ondelete="CASCADE")
    return sa.Column("entity_id", BigId, fk, nullable=False)


def upgrade():
    op.create_table(
        "entities",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("entities"),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        _user_fk("entities", "created_by"),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        _user_fk("entities", "updated_by"),
        sa.Column("deleted_at", UTCDateTime),
    )
    op.create_index("ix_entities_tenant_type_live", "entities", ["tenant_id", "type", "deleted_at", "id"])
    op.create_table(
        "entity_revisions",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("entity_revisions"),
        _entity_fk("entity_revisions"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        _user_fk("entity_revisions", "by"),
        sa.Column("by_name", sa.String(80), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    op.create_index("ix_entity_revisions_tenant_entity", "entity_revisions", ["tenant_id", "entity_id", "version"])
    op.create_table(
        "entity_values",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("entity_values"),
        _entity_fk("entity_values"),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("text_value", sa.String(400)),
        sa.Column("num_value", sa.Numeric(20, 4)),
        sa.Column("date_value", sa.Date),
    )
    for name, column in (("text", "text_value"), ("num", "num_value"), ("date", "date_value")):
        op.create_index(f"ix_entity_values_{name}", "entity_values", ["tenant_id", "type", "field", column])
    op.create_index("ix_entity_values_entity", "entity_values", ["tenant_id", "entity_id"])
    op.create_table(
        "entity_custom_fields",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("entity_custom_fields"),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("retired_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        _user_fk("entity_custom_fields", "updated_by"),
    )
    op.create_index(
        "ix_entity_custom_fields_tenant_type", "entity_custom_fields", ["tenant_id", "type", "name"], unique=True
    )
    for table in ("entities", "entity_revisions", "entity_values", "entity_custom_fields"):
        enable_tenant_rls(op, table)


def downgrade():
    for table in ("entity_custom_fields", "entity_values", "entity_revisions", "entities"):
        op.drop_table(table)
