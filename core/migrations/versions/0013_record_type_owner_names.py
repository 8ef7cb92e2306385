"""Types built in the browser are stored under a name that carries their owner.

``major_report`` built by tenant 7 becomes ``t7__major_report`` wherever a type name is
kept: the type's row and every version of its definition (its own name, and reference
fields pointing at it in any built type), the records, their projections and search
texts, and the fields tenants added to it in the field designer (their rows, and their
reference targets). The roll-up cache is emptied by every upgrade anyway; the audit log
keeps the names of its time. A name that would pass 40 characters is shortened.

Revision ID: 0013_record_type_owner_names
Revises: 0011_policies_read_ids_once
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_record_type_owner_names"
down_revision = "0012_file_bindings"
branch_labels = None
depends_on = None

#: Tables whose ``type`` column names an entity type.
TYPED = ("entities", "entity_values", "entity_custom_fields", "entity_search_texts")
#: Tables whose JSON ``definition`` is a whole built type, and the one holding single fields.
DEFINITIONS = ("record_types", "record_type_versions")
FIELDS = "entity_custom_fields"
LIMIT = 40
SEPARATOR = "__"


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT tenant_id, name FROM record_types ORDER BY id")).all()
    given: set[str] = set()
    _rename(connection, {name: _owned(tenant_id, name, given) for tenant_id, name in rows})


def downgrade():
    connection = op.get_bind()
    names = connection.scalars(sa.text("SELECT name FROM record_types ORDER BY id")).all()
    renames = {name: name.partition(SEPARATOR)[2] or name for name in names}
    if len(set(renames.values())) < len(renames):
        raise RuntimeError("two tenants built types with the same identifier; names without owners would clash")
    _rename(connection, renames)


def _owned(tenant_id: int, name: str, given: set[str]) -> str:
    """``name`` with its owner in front, within :data:`LIMIT` and unlike any in ``given``."""
    prefix = f"t{tenant_id}{SEPARATOR}"
    stem = name[: LIMIT - len(prefix)]
    candidate, number = prefix + stem, 1
    while candidate in given:
        number += 1
        suffix = f"_{number}"
        candidate = prefix + stem[: LIMIT - len(prefix) - len(suffix)] + suffix
    given.add(candidate)
    return candidate


def _rename(connection, renames: dict[str, str]) -> None:
    renames = {old: new for old, new in renames.items() if old != new}
    if not renames:
        return
    pairs = [{"old": old, "new": new} for old, new in renames.items()]
    connection.execute(sa.text("UPDATE record_types SET name = :new WHERE name = :old"), pairs)
    for table in TYPED:
        connection.execute(sa.text(f"UPDATE {table} SET type = :new WHERE type = :old"), pairs)
    for table in DEFINITIONS:
        _rewrite(connection, table, lambda definition: _renamed_type(definition, renames))
    _rewrite(connection, FIELDS, lambda field: _renamed_target(field, renames))


def _rewrite(connection, name: str, change) -> None:
    """Store ``change(definition)`` for every row of ``name`` whose definition it changes."""
    table = sa.table(name, sa.column("id"), sa.column("definition", sa.JSON))
    updates = []
    for row_id, definition in connection.execute(sa.select(table.c.id, table.c.definition)).all():
        changed = change(definition)
        if changed != definition:
            updates.append({"row_id": row_id, "definition": changed})
    if updates:
        connection.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                           .values(definition=sa.bindparam("definition")), updates)


def _renamed_type(definition, renames: dict[str, str]):
    if not isinstance(definition, dict):
        return definition
    changed = {**definition, "name": renames.get(definition.get("name"), definition.get("name"))}
    for key in ("fields", "retired_fields"):
        if isinstance(definition.get(key), list):
            changed[key] = [_renamed_target(field, renames) for field in definition[key]]
    return changed


def _renamed_target(field, renames: dict[str, str]):
    if not isinstance(field, dict) or field.get("target") not in renames:
        return field
    return {**field, "target": renames[field["target"]]}
