"""Record types built in the browser, and every version of each definition.

Revision ID: 0007_record_types
Revises: 0006_entity_files
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId, UTCDateTime
from core.migrations.rls import enable_tenant_rls

revision = "0007_record_types"
down_revision = "0006_entity_files"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "record_types",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_record_types_tenant_id_tenants"),
                  nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", BigId,
                  sa.ForeignKey("users.id", name="fk_record_types_updated_by_users", ondelete="SET NULL")),
    )
    # Names are unique in the whole instance: records, URLs and reports are keyed by them.
    op.create_index("ix_record_types_name", "record_types", ["name"], unique=True)
    op.create_index("ix_record_types_tenant", "record_types", ["tenant_id", "name"])
    enable_tenant_rls(op, "record_types")

    op.create_table(
        "record_type_versions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_record_type_versions_tenant_id_tenants"),
                  nullable=False),
        sa.Column("record_type_id", BigId,
                  sa.ForeignKey("record_types.id", name="fk_record_type_versions_record_type_id_record_types",
                                ondelete="CASCADE"),
                  nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("by", BigId, sa.ForeignKey("users.id", name="fk_record_type_versions_by_users", ondelete="SET NULL")),
        sa.Column("by_name", sa.String(80), nullable=False),
    )
    op.create_index("ix_record_type_versions_type", "record_type_versions", ["tenant_id", "record_type_id", "version"])
    enable_tenant_rls(op, "record_type_versions")


def downgrade():
    op.drop_table("record_type_versions")
    op.drop_table("record_types")
