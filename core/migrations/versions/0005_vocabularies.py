"""Vocabularies: named lists of terms a tenant maintains for the tenants below it.

Revision ID: 0005_vocabularies
Revises: 0004_workflow_reason
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId, UTCDateTime
from core.migrations.rls import enable_tenant_rls

revision = "0005_vocabularies"
down_revision = "0004_workflow_reason"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "vocabularies",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_vocabularies_tenant_id_tenants"),
                  nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", BigId,
                  sa.ForeignKey("users.id", name="fk_vocabularies_updated_by_users", ondelete="SET NULL")),
    )
    op.create_index("ix_vocabularies_tenant_name", "vocabularies", ["tenant_id", "name"], unique=True)
    enable_tenant_rls(op, "vocabularies")


def downgrade():
    op.drop_table("vocabularies")
