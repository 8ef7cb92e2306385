"""Files kept with records (the ``file`` field kind).

Revision ID: 0006_entity_files
Revises: 0005_vocabularies
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId, UTCDateTime
from core.migrations.rls import enable_tenant_rls

revision = "0006_entity_files"
down_revision = "0005_vocabularies"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "entity_files",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_entity_files_tenant_id_tenants"),
                  nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", BigId, nullable=False),
        sa.Column("content_type", sa.String(120), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", BigId,
                  sa.ForeignKey("users.id", name="fk_entity_files_created_by_users", ondelete="SET NULL")),
    )
    op.create_index("ix_entity_files_tenant_sha256", "entity_files", ["tenant_id", "sha256"])
    enable_tenant_rls(op, "entity_files")


def downgrade():
    op.drop_table("entity_files")
