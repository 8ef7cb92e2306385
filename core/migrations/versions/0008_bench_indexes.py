"""Projections looked up by record: (tenant_id, entity_id, type, field).

Every join from a record to one of its indexed values (a sort by a field, a roll-up by
a field, the coverage figures) names the record, the type and the field. With only
(tenant_id, entity_id) to go on, SQLite chose the (tenant_id, type, field, text_value)
index instead and scanned all of the tenant's values of that field for every record:
quadratic in the size of a tenant (python -m bench.run, scenario 2). The wider index
serves every query the old one did (it starts the same), so it replaces it.

Revision ID: 0008_bench_indexes
Revises: 0007_record_types
Create Date: 2026-11-25
"""
from alembic import op

revision = "0008_bench_indexes"
down_revision = "0007_record_types"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_entity_values_entity_field", "entity_values", ["tenant_id", "entity_id", "type", "field"])
    op.drop_index("ix_entity_values_entity", table_name="entity_values")


def downgrade():
    op.create_index("ix_entity_values_entity", "entity_values", ["tenant_id", "entity_id"])
    op.drop_index("ix_entity_values_entity_field", table_name="entity_values")
