"""Association accounts: a user who acts for one association sees only what it owns.

Each record carries ``owner_id``, the association it belongs to: an association owns
itself; a record of a type with an ``owner_field`` (a reference to an association, such
as a suggestion's or a self-report's) belongs to that association. For an association
account the session adds ``owner_id = <its association>`` to every statement on the
entities table, the same way tenancy confines a session to its tenant, so no page,
API call or export can reach another association's records. The records of a published
type that its ancestors keep (catalogues, see :mod:`.published`) stay readable to it.
"""
from __future__ import annotations

from sqlalchemy import event, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from ..tenancy import ScopedSession
from .definitions import EntityType
from .models import Entity, EntityValue
from .published import PUBLISHED_READ_KEY

ASSOCIATION_KEY = "quanhui.association"
ASSOCIATION_TYPE = "association"
#: What an account bound to no association sees: nothing.
NO_ASSOCIATION = -1


def restrict_to_association(session: Session, association_id: int | None) -> None:
    """From now on this session reads and changes only records ``association_id`` owns."""
    session.info[ASSOCIATION_KEY] = association_id if association_id is not None else NO_ASSOCIATION


def restricted_association(session: Session) -> int | None:
    return session.info.get(ASSOCIATION_KEY)


def owner_of(entity_type: EntityType, entity_id: int, data: dict) -> int | None:
    """The association a record belongs to, by the rule above."""
    if entity_type.name == ASSOCIATION_TYPE:
        return entity_id
    if entity_type.owner_field:
        return data.get(entity_type.owner_field)
    return None


@event.listens_for(ScopedSession, "do_orm_execute")
def _restrict_statement(state: ORMExecuteState) -> None:
    association_id = state.session.info.get(ASSOCIATION_KEY)
    if association_id is None or state.is_column_load or state.is_relationship_load or state.is_insert:
        return
    touched = {getattr(table, "name", "") for table in find_tables(state.statement, include_aliases=True, include_crud=True)}
    published = tuple(state.session.info.get(PUBLISHED_READ_KEY) or ())
    if Entity.__tablename__ in touched:
        state.statement = state.statement.options(
            with_loader_criteria(
                Entity, lambda cls: or_(cls.owner_id == association_id, cls.tenant_id.in_(published)), include_aliases=True
            )
        )
    if EntityValue.__tablename__ in touched:  # counts over projections alone (widgets, reports)
        owned = select(Entity.id).where(Entity.owner_id == association_id)
        state.statement = state.statement.options(
            with_loader_criteria(
                EntityValue, lambda cls: or_(cls.entity_id.in_(owned), cls.tenant_id.in_(published)), include_aliases=True
            )
        )
