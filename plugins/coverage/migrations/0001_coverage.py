"""党建覆盖的月度快照表,在插件自己的迁移分支上。

Revision ID: 0001_coverage
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from core.api import BigId, UTCDateTime, enable_tenant_rls

revision = "0001_coverage"
down_revision = None
branch_labels = ("coverage",)
depends_on = "0001_core"


def upgrade():
    op.create_table(
        "coverage_snapshots",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_coverage_snapshots_tenant"), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
        sa.Column("org_covered", sa.Integer, nullable=False),
        sa.Column("work_covered", sa.Integer, nullable=False),
        sa.Column("computed_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_coverage_snapshots_tenant_month", "coverage_snapshots", ["tenant_id", "month"], unique=True)
    enable_tenant_rls(op, "coverage_snapshots")


def downgrade():
    op.drop_table("coverage_snapshots")
