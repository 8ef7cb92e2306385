"""Failed logins counted where every worker sees them, and made-up names tallied.

``login_counters`` holds each key's attempts in the current window when no Redis is
configured; ``unknown_login_tallies`` counts the failures for names with no account,
one row (and one audit event) per address and minute.

Revision ID: 0014_login_throttle
Revises: 0011_policies_read_ids_once
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId, UTCDateTime
from core.migrations.rls import enable_tenant_rls

revision = "0014_login_throttle"
down_revision = "0013_record_type_owner_names"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_counters",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("window_end", sa.BigInteger, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "unknown_login_tallies",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_unknown_login_tallies_tenant_id_tenants"),
                  nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("minute", UTCDateTime, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("audit_event_id", BigId, unique=True),
        sa.UniqueConstraint("tenant_id", "ip", "minute", name="uq_unknown_login_tallies_ip_minute"),
    )
    enable_tenant_rls(op, "unknown_login_tallies")


def downgrade():
    op.drop_table("unknown_login_tallies")
    op.drop_table("login_counters")
