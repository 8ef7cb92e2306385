"""All of a record's indexed text in one row, for the list's search box.

Filled here from the text projections every live record already has, lower-cased in
Python (SQLite's lower() knows ASCII only), in batches along the index that orders
entity_values by record.

Revision ID: 0010_entity_search_texts
Revises: 0009_rollup_cache
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId
from core.migrations.rls import enable_tenant_rls

revision = "0010_entity_search_texts"
down_revision = "0009_rollup_cache"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    table = op.create_table(
        "entity_search_texts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_entity_search_texts_tenant_id_tenants"),
                  nullable=False),
        sa.Column("entity_id", BigId,
                  sa.ForeignKey("entities.id", name="fk_entity_search_texts_entity_id_entities", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_entity_search_texts_tenant_type", "entity_search_texts", ["tenant_id", "type"])
    op.create_index("ix_entity_search_texts_entity", "entity_search_texts", ["entity_id"], unique=True)
    enable_tenant_rls(op, "entity_search_texts")
    _fill(op.get_bind(), table)


def _fill(connection, table) -> None:
    values = connection.execute(sa.text(
        "SELECT tenant_id, entity_id, type, text_value FROM entity_values WHERE text_value IS NOT NULL "
        "ORDER BY tenant_id, entity_id"
    ).execution_options(stream_results=True, yield_per=BATCH))
    batch, current, texts = [], None, []
    for tenant_id, entity_id, type_name, text in values:
        if current is not None and current[1] != entity_id:
            batch.append(_row(current, texts))
            texts = []
            if len(batch) >= BATCH:
                connection.execute(table.insert(), batch)
                batch = []
        current = (tenant_id, entity_id, type_name)
        texts.append(text)
    if current is not None:
        batch.append(_row(current, texts))
    if batch:
        connection.execute(table.insert(), batch)


def _row(record: tuple, texts: list[str]) -> dict:
    tenant_id, entity_id, type_name = record
    return {"tenant_id": tenant_id, "entity_id": entity_id, "type": type_name, "text": "\n".join(texts).lower()}


def downgrade():
    op.drop_table("entity_search_texts")
