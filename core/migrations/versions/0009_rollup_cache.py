"""Each tenant's change counter, and the roll-up rows kept per tenant against it.

See core/entities/data_versions.py and core/reports/rollup_cache.py: a city roll-up
recomputes only the tenants whose records changed since it was last produced.

Revision ID: 0009_rollup_cache
Revises: 0008_bench_indexes
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId
from core.migrations.rls import enable_tenant_rls

revision = "0009_rollup_cache"
down_revision = "0008_bench_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tenant_data_versions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_tenant_data_versions_tenant_id_tenants"),
                  nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_tenant_data_versions_tenant", "tenant_data_versions", ["tenant_id"], unique=True)
    enable_tenant_rls(op, "tenant_data_versions")

    op.create_table(
        "report_rollup_rows",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_report_rollup_rows_tenant_id_tenants"),
                  nullable=False),
        sa.Column("report", sa.String(81), nullable=False),
        sa.Column("params", sa.String(400), nullable=False),
        sa.Column("subject_id", BigId, nullable=False),
        sa.Column("stamp", sa.String(200), nullable=False),
        sa.Column("rows", sa.JSON, nullable=False),
    )
    op.create_index("ix_report_rollup_rows_key", "report_rollup_rows", ["tenant_id", "report", "params", "subject_id"],
                    unique=True)
    enable_tenant_rls(op, "report_rollup_rows")


def downgrade():
    op.drop_table("report_rollup_rows")
    op.drop_table("tenant_data_versions")
