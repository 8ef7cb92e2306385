"""The job queue's own tables: jobs (the source of truth) and the files they keep.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId, UTCDateTime
from core.migrations.rls import enable_tenant_rls

revision = "0015_jobs"
down_revision = "0014_login_throttle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_jobs_tenant_id_tenants"), nullable=False),
        sa.Column("actor_id", BigId, sa.ForeignKey("users.id", name="fk_jobs_actor_id_users", ondelete="SET NULL")),
        sa.Column("actor_name", sa.String(80), nullable=False, server_default=""),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("heartbeat_at", UTCDateTime),
        sa.Column("lease_seconds", sa.Integer, nullable=False, server_default="60"),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("idempotent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime),
        sa.Column("finished_at", UTCDateTime),
    )
    op.create_index("ix_jobs_tenant_created", "jobs", ["tenant_id", "created_at"])
    op.create_index("ix_jobs_state_heartbeat", "jobs", ["state", "heartbeat_at"])
    enable_tenant_rls(op, "jobs")
    op.create_table(
        "job_files",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_job_files_tenant_id_tenants"),
                  nullable=False),
        sa.Column("job_id", BigId, sa.ForeignKey("jobs.id", name="fk_job_files_job_id_jobs", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False, server_default=""),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_job_files_job_name", "job_files", ["tenant_id", "job_id", "name"], unique=True)
    enable_tenant_rls(op, "job_files")


def downgrade():
    op.drop_table("job_files")
    op.drop_table("jobs")
