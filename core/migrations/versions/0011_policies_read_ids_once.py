"""Row-level security reads the scope's ids once per statement, not once per row.

Every tenant policy, core's and any plugin's, is rewritten with the clauses of
:mod:`core.migrations.rls`; the rows each one admits are the same.

Revision ID: 0011_policies_read_ids_once
Revises: 0010_entity_search_texts
Create Date: 2026-11-26
"""
from alembic import op

from core.migrations.rls import rewrite_tenant_policies

revision = "0011_policies_read_ids_once"
down_revision = "0010_entity_search_texts"
branch_labels = None
depends_on = None


def upgrade():
    rewrite_tenant_policies(op)


def downgrade():
    """Nothing to undo: the rewritten policies admit the same rows."""
