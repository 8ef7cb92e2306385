"""Published record types: what a tenant keeps for everyone below it.

A type declared with ``published=True`` (a catalogue, a call for topics, a list of
monthly themes) is written by the tenant that keeps it, normally the city, and read by
every descendant next to its own records of the type, read-only. Reading is widened only
for the block that reads such a type (:func:`reading`); the write scope never changes, so
the tenancy checks refuse any write to an ancestor's record, on PostgreSQL by row-level
security as well.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.orm import Session

from ..tenancy import Tenant, use_scope
from .definitions import EntityType

#: Session key holding the ancestor ids a :func:`reading` block opened; association
#: accounts (:mod:`.ownership`) may read those tenants' records too.
PUBLISHED_READ_KEY = "quanhui.published_read"


def readable_tenant_ids(tenant: Tenant, entity_type: EntityType) -> tuple[int, ...]:
    """Whose records of ``entity_type`` ``tenant`` reads: its own, plus its ancestors'
    for a published type."""
    if entity_type.published:
        return (*tenant.ancestor_ids, tenant.id)
    return (tenant.id,)


@contextlib.contextmanager
def reading(session: Session, tenant: Tenant, entity_type: EntityType | None) -> Iterator[None]:
    """Within the block, ``session`` may read the ancestors' records of a published type
    (``None``, a type not enabled here, reads as unpublished)."""
    ancestors = tenant.ancestor_ids if entity_type is not None and entity_type.published else ()
    scope = getattr(session, "scope", None)
    if not ancestors or scope is None or scope.system:
        yield
        return
    previous = session.info.get(PUBLISHED_READ_KEY)
    session.info[PUBLISHED_READ_KEY] = ancestors
    try:
        with use_scope(session, scope.widened_to(ancestors)):
            yield
    finally:
        session.info[PUBLISHED_READ_KEY] = previous
