"""Field rights: who may read and who may write each field of a record.

A :class:`~core.entities.definitions.Field` may name the roles that read it
(``read_roles``) and the roles that write it (``write_roles``), and may be kept by the
tenant that holds the record (``own_tier_only``: users of an ancestor read it but do
not set it). A field that declares nothing is read and written by whoever reads and
writes the record, as before. A field one may not read is left out of forms, pages,
API answers and exports; a field one may read but not write shows read-only, and
:meth:`~core.entities.service.EntityService.create` and ``update`` refuse a change to
it (see :func:`refused_fields`), whichever path the change comes by.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from ..auth.permissions import ROLES
from .definitions import EntityType, Field

#: The roles of the staff who keep records for the tenant: a field only they set is
#: declared ``write_roles=STAFF``.
STAFF = ("admin", "editor")
#: Who reads or writes a field, as the field designer offers it: form value -> (Chinese, roles).
#: A field whose roles are none of these (declared in code) shows as :data:`KEPT` and keeps them.
AUDIENCES = {"": ("所有人", ()), "staff": ("仅工作人员（管理员、编辑）", STAFF), "admin": ("仅管理员", ("admin",))}
KEPT = "kept"


def audience(roles: tuple[str, ...]) -> str:
    """The designer's form value for ``roles``."""
    return next((key for key, (_, preset) in AUDIENCES.items() if set(preset) == set(roles)), KEPT)


def describe(field: Field) -> str:
    """The field's rights in Chinese for the designer's tables (empty: it declares none)."""
    parts = [f"{'、'.join(ROLES[role] for role in roles)}{verb}"
             for roles, verb in ((field.read_roles, "可看"), (field.write_roles, "可填")) if roles]
    if field.own_tier_only:
        parts.append("本单位填写")
    return "；".join(parts)


@dataclasses.dataclass(frozen=True)
class FieldRights:
    """What one actor may do with the fields of a tenant's records.

    ``role`` None is the system (the command line, demo data, a plugin reacting to a
    change): it reads and writes every field. ``from_above`` is a user whose home
    tenant is an ancestor of the tenant acting there.
    """

    role: str | None
    from_above: bool = False

    def may_read(self, field: Field) -> bool:
        return self.role is None or not field.read_roles or self.role in field.read_roles

    def may_write(self, field: Field) -> bool:
        if self.role is None:
            return True
        if not self.may_read(field) or (field.write_roles and self.role not in field.write_roles):
            return False
        return not (field.own_tier_only and self.from_above)

    def readable(self, entity_type: EntityType) -> tuple[Field, ...]:
        return tuple(f for f in entity_type.fields if self.may_read(f))

    def hidden(self, entity_type: EntityType) -> frozenset[str]:
        """The names of the fields this actor may not read: nor filter nor sort by them."""
        return frozenset(f.name for f in entity_type.fields if not self.may_read(f))

    def list_arguments(self, entity_type: EntityType, filters: dict[str, Any], sort: str | None) -> tuple[dict, str | None]:
        """A list's filters and sort without those on fields this actor may not read."""
        hidden = self.hidden(entity_type)
        kept = {key: value for key, value in filters.items() if key.split("__")[0] not in hidden}
        return kept, None if sort and sort.lstrip("-") in hidden else sort


#: The system's rights: every field.
SYSTEM = FieldRights(None)


def rights_of(actor, tenant) -> FieldRights:
    """The rights of ``actor`` (a user, or None for the system) acting in ``tenant``."""
    if actor is None:
        return SYSTEM
    return FieldRights(actor.role, from_above=actor.tenant_id != tenant.id)


def refused_fields(rights: FieldRights, entity_type: EntityType, given: dict[str, Any],
                   before: dict[str, Any] | None) -> dict[str, list[str]]:
    """The fields of ``given`` (values as they would be stored) that this change sets though
    ``rights`` do not let it, each with its Chinese refusal. A new record (``before`` None)
    sets a field it gives a value; a change sets a field whose stored value it changes, so
    a form or an API client that sends back a read-only value unchanged is not refused."""
    refused = {}
    for field in entity_type.fields:
        if field.name not in given or rights.may_write(field):
            continue
        value = given[field.name]
        if value not in (None, "", []) if before is None else value != before.get(field.name):
            refused[field.name] = [refusal(rights, field)]
    return refused


def refusal(rights: FieldRights, field: Field) -> str:
    """Why ``rights`` do not let a user set ``field``, in Chinese, naming the field."""
    if field.write_roles and rights.role not in field.write_roles:
        who = "、".join(ROLES[role] for role in field.write_roles)
        return f"您无权填写或修改“{field.label}”：这一项由{who}填写"
    if not rights.may_read(field):
        return f"您无权填写或修改“{field.label}”"
    return f"您无权填写或修改“{field.label}”：这一项由记录所在单位填写，上级单位只能查看"
