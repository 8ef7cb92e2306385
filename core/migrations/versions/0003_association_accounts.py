"""Association accounts: users bound to one association, records owned by one.

Revision ID: 0003_association_accounts
Revises: 0002_entities
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId

revision = "0003_association_accounts"
down_revision = "0002_entities"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("association_id", BigId))
    with op.batch_alter_table("entities") as batch:
        batch.add_column(sa.Column("owner_id", BigId))
    op.create_index("ix_entities_tenant_owner", "entities", ["tenant_id", "owner_id"])


def downgrade():
    op.drop_index("ix_entities_tenant_owner", "entities")
    with op.batch_alter_table("entities") as batch:
        batch.drop_column("owner_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("association_id")
