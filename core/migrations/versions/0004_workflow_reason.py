"""Workflows: the reason given for a transition, kept with its revision.

Revision ID: 0004_workflow_reason
Revises: 0003_association_accounts
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_workflow_reason"
down_revision = "0003_association_accounts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entity_revisions") as batch:
        batch.add_column(sa.Column("reason", sa.Text))


def downgrade():
    with op.batch_alter_table("entity_revisions") as batch:
        batch.drop_column("reason")
