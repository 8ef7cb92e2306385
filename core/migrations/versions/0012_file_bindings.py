"""Files bound to the record and field they were uploaded for.

``entity_files`` gains ``entity_id`` and ``field``, filled from today's records: each
file goes to the record field that names it. A file two records name (one of them named
another's file by its id) goes to the record whose revisions named it first, which is
the one it was uploaded with; ``quanhui check files`` lists the other.

Revision ID: 0012
Revises: 0011_policies_read_ids_once
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from core.db import BigId
from core.entities.files import references

revision = "0012_file_bindings"
down_revision = "0011_policies_read_ids_once"
branch_labels = None
depends_on = None

ENTITIES = sa.table("entities", sa.column("id"), sa.column("tenant_id"), sa.column("data", sa.JSON))
REVISIONS = sa.table("entity_revisions", sa.column("id"), sa.column("entity_id"), sa.column("after", sa.JSON))
FILES = sa.table("entity_files", sa.column("id"), sa.column("tenant_id"), sa.column("entity_id"), sa.column("field"))


def upgrade():
    with op.batch_alter_table("entity_files") as batch:
        batch.add_column(sa.Column("entity_id", BigId, sa.ForeignKey(
            "entities.id", name="fk_entity_files_entity_id_entities", ondelete="CASCADE")))
        batch.add_column(sa.Column("field", sa.String(40)))
        batch.create_index("ix_entity_files_entity", ["entity_id"])
    _bind_named_files(op.get_bind())


def _bind_named_files(connection) -> None:
    tenant_of = dict(connection.execute(sa.select(FILES.c.id, FILES.c.tenant_id)).all())
    claims: dict[int, list[tuple[int, str]]] = {}
    naming = sa.select(ENTITIES.c.id, ENTITIES.c.tenant_id, ENTITIES.c.data).where(
        sa.cast(ENTITIES.c.data, sa.Text).like('%"file"%'))
    for entity_id, tenant_id, data in connection.execute(naming):
        for field, file_id in references(data):
            if tenant_of.get(file_id) == tenant_id:
                claims.setdefault(file_id, []).append((entity_id, field))
    for file_id, claimants in claims.items():
        entity_id, field = claimants[0] if len(claimants) == 1 else _first_to_name(connection, file_id, claimants)
        connection.execute(FILES.update().where(FILES.c.id == file_id).values(entity_id=entity_id, field=field))


def _first_to_name(connection, file_id: int, claimants: list[tuple[int, str]]) -> tuple[int, str]:
    revisions = sa.select(REVISIONS.c.entity_id, REVISIONS.c.after).where(
        REVISIONS.c.entity_id.in_({entity_id for entity_id, _ in claimants})).order_by(REVISIONS.c.id)
    for entity_id, after in connection.execute(revisions):
        for field, named in references(after):
            if named == file_id and (entity_id, field) in claimants:
                return entity_id, field
    return min(claimants)


def downgrade():
    with op.batch_alter_table("entity_files") as batch:
        batch.drop_index("ix_entity_files_entity")
        batch.drop_column("field")
        batch.drop_column("entity_id")
