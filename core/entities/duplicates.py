"""Merging a duplicate into the record that stays: one legal entity, one record.

The record that goes is deleted (restorable, its history kept, with a revision that
says where it went); every live record of this tenant that refers to it, whatever type
or plugin it belongs to, is changed to refer to the record that stays, each change a
revision like any edit; association accounts bound to it are bound to the one that
stays. The record that stays gets a revision naming the one merged into it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from .. import audit
from ..auth.models import User
from ..db import utcnow
from . import unique
from .definitions import EntityType
from .models import Entity, EntityValue

if TYPE_CHECKING:
    from .service import EntityService

MERGE = "merge"


def twins(service: EntityService, entity_type: EntityType, entity: Entity) -> list[Entity]:
    """This tenant's other live records of the type holding one of ``entity``'s unique
    values: found through the projection for an indexed field, by reading the type's
    records for one that is not."""
    ids: set[int] = set()
    for field in entity_type.unique_fields:
        value = unique.key_value(entity.data.get(field.name))
        if value is None:
            continue
        live = (Entity.tenant_id == service.tenant.id, Entity.type == entity_type.name, Entity.deleted_at.is_(None),
                Entity.id != entity.id)
        if field.indexed:
            ids.update(service.session.scalars(select(Entity.id).join(EntityValue, EntityValue.entity_id == Entity.id).where(
                *live, EntityValue.field == field.name, EntityValue.text_value == value)))
        else:
            ids.update(other_id for other_id, data in service.session.execute(select(Entity.id, Entity.data).where(*live))
                       if unique.key_value((data or {}).get(field.name)) == value)
    if not ids:
        return []
    return list(service.session.scalars(select(Entity).where(Entity.id.in_(ids)).order_by(Entity.id)))


def merge(service: EntityService, entity_type: EntityType, keep: Entity, drop: Entity) -> int:
    """Merge ``drop`` into ``keep`` (see the module); returns how many references moved.
    Raises the service's Invalid when a referring record cannot be saved as it is now."""
    from .service import Invalid

    if drop.id == keep.id or drop.id not in {twin.id for twin in twins(service, entity_type, keep)}:
        raise Invalid({"": ["只能合并与本记录重复的记录"]})
    moved = 0
    for other_type in service.types():
        fields = [f.name for f in other_type.fields if f.kind == "reference" and f.target == entity_type.name]
        if not fields:
            continue
        referring = select(Entity).where(Entity.tenant_id == service.tenant.id, Entity.type == other_type.name,
                                         Entity.deleted_at.is_(None), Entity.id != drop.id).order_by(Entity.id)
        for record in service.session.scalars(referring).all():
            changes = {name: keep.id for name in fields if record.data.get(name) == drop.id}
            if changes:
                service.update(other_type, record, changes, record.version)
                moved += 1
    accounts = service.session.execute(
        update(User).where(User.tenant_id == service.tenant.id, User.association_id == drop.id)
        .values(association_id=keep.id)
    ).rowcount
    title = entity_type.title_field
    drop.deleted_at = utcnow()
    service._unproject(drop)
    unique.settle(service.session, entity_type, service.tenant, drop.data)
    service._save(entity_type, drop, MERGE, drop.data, None, project=False,
                  reason=f"并入「{keep.data.get(title, '')}」")
    service._save(entity_type, keep, MERGE, keep.data, keep.data,
                  reason=f"并入了重复记录「{drop.data.get(title, '')}」")
    audit.record(service.session, "entity.merged", tenant_id=service.tenant.id, target=f"{entity_type.name}.{keep.id}",
                 actor=service.actor, merged=drop.id, references=moved, accounts=accounts)
    return moved
