"""The noticeboard's own table, on its own migration branch.

Revision ID: 0001_noticeboard
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from core.api import BigId, UTCDateTime, enable_tenant_rls

revision = "0001_noticeboard"
down_revision = None
branch_labels = ("noticeboard",)
depends_on = "0001_core"


def upgrade():
    op.create_table(
        "noticeboard_notices",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_noticeboard_notices_tenant"), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("posted_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_noticeboard_notices_tenant_posted", "noticeboard_notices", ["tenant_id", "posted_at"])
    enable_tenant_rls(op, "noticeboard_notices")


def downgrade():
    op.drop_table("noticeboard_notices")
