"""Fields whose value one live record holds at most once, in its tenant or its whole tree.

Each value of a unique field is a row of ``entity_unique_keys``, written by the entity
service in the record's own transaction; the table's unique index refuses the second of
two concurrent saves, whoever checked first. Before that, :func:`holder` answers whether
a value is taken: a yes/no probe that also sees records the user may not read (a sibling
district's), and that names the holder's tenant only where the user may see it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..tenancy import Tenant, system_scope
from .definitions import EntityType, Field
from .fields import PROJECTED_TEXT
from .models import Entity, EntityUniqueKey, EntityValue


def scope_id(field: Field, tenant: Tenant) -> int:
    """The tenant a value is unique in: the record's own, or the root of its tree."""
    if field.unique == "tree" and tenant.ancestor_ids:
        return tenant.ancestor_ids[0]
    return tenant.id


def key_value(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value).strip()[:PROJECTED_TEXT]


def key_rows(entity_type: EntityType, tenant: Tenant, entity_id: int, data: dict[str, Any]) -> list[dict]:
    """The entity_unique_keys rows of one record."""
    return [
        {"tenant_id": tenant.id, "entity_id": entity_id, "scope_id": scope_id(field, tenant), "type": entity_type.name,
         "field": field.name, "value": value}
        for field in entity_type.unique_fields
        if (value := key_value(data.get(field.name))) is not None
    ]


def holder(session: Session, tenant: Tenant, entity_type: EntityType, field: Field, value: Any,
           entity_id: int | None = None) -> int | None:
    """The tenant id of another record holding ``value`` in ``field``, or None. Read under
    the system scope on purpose: only this answer leaves the function, never the record."""
    wanted = key_value(value)
    if wanted is None:
        return None
    query = select(EntityUniqueKey.tenant_id).where(
        EntityUniqueKey.scope_id == scope_id(field, tenant), EntityUniqueKey.type == entity_type.name,
        EntityUniqueKey.field == field.name, EntityUniqueKey.value == wanted,
    )
    if entity_id is not None:
        query = query.where(EntityUniqueKey.entity_id != entity_id)
    with system_scope(session):
        return session.scalar(query.limit(1))


def held(session: Session, tenant: Tenant, entity_type: EntityType) -> dict[tuple[str, str], int]:
    """Every value the type's unique fields hold where this tenant's records count, by
    (field, value), with the holder's tenant id: what a bulk write checks its rows against."""
    wanted = {(field.name, scope_id(field, tenant)) for field in entity_type.unique_fields}
    if not wanted:
        return {}
    query = select(EntityUniqueKey.field, EntityUniqueKey.value, EntityUniqueKey.scope_id, EntityUniqueKey.tenant_id).where(
        EntityUniqueKey.type == entity_type.name, EntityUniqueKey.scope_id.in_({scope for _, scope in wanted}))
    with system_scope(session):
        return {(field, value): holder_id for field, value, scope, holder_id in session.execute(query)
                if (field, scope) in wanted}


def taken_message(session: Session, tenant: Tenant, field: Field, holder_id: int) -> str:
    """Why a value is refused; the holder's tenant is named only if this tenant sees it."""
    if holder_id == tenant.id:
        return f"{field.label}已被本单位的另一条记录使用，不能重复"
    with system_scope(session):
        other = session.get(Tenant, holder_id)
    if other is not None and tenant.contains(other):
        return f"{field.label}已被{other.name}的一条记录使用，不能重复"
    return f"{field.label}已被其他单位的记录使用，不能重复登记"


def errors(session: Session, tenant: Tenant, entity_type: EntityType, data: dict[str, Any],
           entity_id: int | None = None) -> dict[str, list[str]]:
    """The unique fields of ``data`` whose value another record holds, with their messages."""
    found = {}
    for field in entity_type.unique_fields:
        other = holder(session, tenant, entity_type, field, data.get(field.name), entity_id)
        if other is not None:
            found[field.name] = [taken_message(session, tenant, field, other)]
    return found


def write(session: Session, entity_type: EntityType, tenant: Tenant, entity_id: int,
          data: dict[str, Any]) -> dict[str, list[str]]:
    """Replace the record's keys by those of ``data``; the refused fields' messages when a
    value was taken meanwhile (nothing is written then), else an empty dict."""
    rows = key_rows(entity_type, tenant, entity_id, data)
    try:
        with session.begin_nested():
            session.execute(delete(EntityUniqueKey).where(EntityUniqueKey.entity_id == entity_id))
            if rows:
                session.execute(insert(EntityUniqueKey), rows)
    except IntegrityError:
        return errors(session, tenant, entity_type, data, entity_id) or {
            field.name: [f"{field.label}刚被别人保存的记录使用，不能重复"] for field in entity_type.unique_fields}
    return {}


def remove(session: Session, entity_id: int) -> None:
    """A deleted record frees its values."""
    session.execute(delete(EntityUniqueKey).where(EntityUniqueKey.entity_id == entity_id))


def duplicates(session: Session, types_by_tenant: list[tuple[Tenant, list[EntityType]]]) -> list[str]:
    """Every value of a unique field that more than one live record holds (records saved
    before the field was unique, or before the keys existed): one line per value, naming
    each record by tenant and id, for ``quanhui check duplicates``."""
    holders: dict[tuple, list[tuple[str, int]]] = {}
    labels: dict[tuple[str, str], str] = {}
    with system_scope(session):
        for tenant, types in types_by_tenant:
            for entity_type in types:
                if not entity_type.unique_fields:
                    continue
                live = select(Entity.id, Entity.data).where(
                    Entity.tenant_id == tenant.id, Entity.type == entity_type.name, Entity.deleted_at.is_(None))
                for entity_id, data in session.execute(live):
                    for row in key_rows(entity_type, tenant, entity_id, data or {}):
                        labels[entity_type.name, row["field"]] = (
                            f"{entity_type.label}「{entity_type.field(row['field']).label}」")
                        holders.setdefault((row["scope_id"], entity_type.name, row["field"], row["value"]), []).append(
                            (tenant.slug, entity_id))
    return [
        f"{labels[type_name, field]} {value}：" + "、".join(f"{slug} 的记录 {entity_id}" for slug, entity_id in found)
        for (_scope, type_name, field, value), found in sorted(holders.items(), key=lambda item: item[0])
        if len(found) > 1
    ]


def rebuild(session: Session, entity_type: EntityType, tenant: Tenant, records: list[tuple[int, dict]]) -> int:
    """Write the keys of ``records`` (this tenant's live records of the type) afresh, after
    a field became unique or stopped being so; a value held twice, here or by another
    tenant's record, gets no key (``quanhui check duplicates`` lists it). Returns how many
    values were skipped so."""
    session.execute(delete(EntityUniqueKey).where(EntityUniqueKey.tenant_id == tenant.id,
                                                  EntityUniqueKey.type == entity_type.name))
    rows = [row for entity_id, data in records for row in key_rows(entity_type, tenant, entity_id, data or {})]
    if not rows:
        return 0
    with system_scope(session):
        elsewhere = set(session.execute(select(
            EntityUniqueKey.scope_id, EntityUniqueKey.field, EntityUniqueKey.value,
        ).where(EntityUniqueKey.type == entity_type.name, EntityUniqueKey.tenant_id != tenant.id,
                EntityUniqueKey.scope_id.in_({row["scope_id"] for row in rows}))).all())
    seen: dict[tuple, int] = {}
    for row in rows:
        key = (row["scope_id"], row["field"], row["value"])
        seen[key] = seen.get(key, 0) + 1
    single = [row for row in rows if seen[row["scope_id"], row["field"], row["value"]] == 1
              and (row["scope_id"], row["field"], row["value"]) not in elsewhere]
    for start in range(0, len(single), 1000):
        session.execute(insert(EntityUniqueKey), single[start:start + 1000])
    return len({key for key, count in seen.items() if count > 1 or key in elsewhere})


def settle(session: Session, entity_type: EntityType, tenant: Tenant, data: dict[str, Any]) -> None:
    """After a record holding ``data`` was deleted: a value it shared with exactly one
    other live record (duplicates older than the keys) is that record's from now on, so
    the constraint takes effect once the duplicates are gone. Found through the indexed
    projection; a unique field that is not indexed waits for its record's next save."""
    for field in entity_type.unique_fields:
        value = key_value(data.get(field.name))
        if value is None or not field.indexed or holder(session, tenant, entity_type, field, value) is not None:
            continue
        scope = scope_id(field, tenant)
        with system_scope(session):
            in_scope = select(Tenant.id).where(Tenant.path.startswith(f"/{scope}/")) if field.unique == "tree" else None
            query = select(EntityValue.entity_id, EntityValue.tenant_id).join(
                Entity, Entity.id == EntityValue.entity_id).where(
                EntityValue.type == entity_type.name, EntityValue.field == field.name, EntityValue.text_value == value,
                Entity.deleted_at.is_(None),
                EntityValue.tenant_id.in_(in_scope) if in_scope is not None else EntityValue.tenant_id == tenant.id)
            remaining = session.execute(query.limit(2)).all()
            if len(remaining) == 1:
                entity_id, holder_id = remaining[0]
                session.execute(insert(EntityUniqueKey), [{
                    "tenant_id": holder_id, "entity_id": entity_id, "scope_id": scope, "type": entity_type.name,
                    "field": field.name, "value": value}])
