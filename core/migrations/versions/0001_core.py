"""The core's tables: tenants, users, login sessions, API tokens, audit log, plugin settings.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId, UTCDateTime
from core.migrations.rls import create_app_role, enable_tenant_rls, grant_read

revision = "0001_core"
down_revision = None
branch_labels = ("core",)
depends_on = None


def _tenant_fk(table: str) -> sa.Column:
    return sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name=f"fk_{table}_tenant_id_tenants"), nullable=False)


def _user_fk(table: str) -> sa.Column:
    fk = sa.ForeignKey("users.id", name=f"fk_{table}_user_id_users", ondelete="CASCADE")
    return sa.Column("user_id", BigId, fk, nullable=False)


def upgrade():
    op.create_table(
        "platform_flags",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_table(
        "tenants",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("parent_id", BigId, sa.ForeignKey("tenants.id", name="fk_tenants_parent_id_tenants")),
        sa.Column("path", sa.String(400), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_tenants_path", "tenants", ["path"])
    op.create_table(
        "audit_events",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("audit_events"),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor_id", BigId),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
    )
    op.create_index("ix_audit_events_tenant_at", "audit_events", ["tenant_id", "at"])
    op.create_table(
        "users",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("users"),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_users_tenant_username", "users", ["tenant_id", "username"])
    op.create_table(
        "login_sessions",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("login_sessions"),
        _user_fk("login_sessions"),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
        sa.Column("ip", sa.String(45), nullable=False),
    )
    op.create_index("ix_login_sessions_tenant_user", "login_sessions", ["tenant_id", "user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("api_tokens"),
        _user_fk("api_tokens"),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_used_at", UTCDateTime),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_index("ix_api_tokens_tenant_user", "api_tokens", ["tenant_id", "user_id"])
    op.create_table(
        "plugin_settings",
        sa.Column("id", BigId, primary_key=True),
        _tenant_fk("plugin_settings"),
        sa.Column("plugin", sa.String(80), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("offered", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", BigId, sa.ForeignKey("users.id", name="fk_plugin_settings_updated_by_users", ondelete="SET NULL")),
        sa.UniqueConstraint("tenant_id", "plugin", name="uq_plugin_settings_tenant_id_plugin"),
    )

    create_app_role(op)
    grant_read(op, "tenants")
    grant_read(op, "platform_flags")
    for table in ("users", "login_sessions", "api_tokens", "plugin_settings"):
        enable_tenant_rls(op, table)
    enable_tenant_rls(op, "audit_events", append_only=True)


def downgrade():
    for table in ("plugin_settings", "login_sessions", "api_tokens", "users", "audit_events", "tenants", "platform_flags"):
        op.drop_table(table)
