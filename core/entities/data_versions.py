"""How many times each tenant's records have changed: the key of what is kept between requests.

Every change the entity service makes notes its tenant in the session. Just before the
transaction commits, each noted tenant's counter goes up by one, inside that same
transaction, so the new count is visible exactly when the change is. A reader that
reads the counter *before* it reads the records, and keeps what it computed under that
count, knows its copy is stale as soon as the counter moves; reading it after could
pair old figures with a new count.

The counter is bumped last, at commit, so a transaction holds its row lock only for an
instant and never while it waits for another lock (no deadlock between two writers).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Index, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, BigId, upsert
from ..tenancy import ScopedSession, TenantOwned, system_scope

#: ``session.info`` key: the ids of the tenants whose records this transaction changed.
CHANGED_KEY = "quanhui.changed_tenants"


class TenantDataVersion(TenantOwned, Base):
    """One tenant's change counter."""

    __tablename__ = "tenant_data_versions"
    __table_args__ = (Index("ix_tenant_data_versions_tenant", "tenant_id", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


def note_change(session: Session, tenant_id: int) -> None:
    """Record that this transaction changed ``tenant_id``'s records (the entity service does)."""
    session.info.setdefault(CHANGED_KEY, set()).add(tenant_id)


def data_versions(session: Session, tenant_ids: Iterable[int]) -> dict[int, int]:
    """The committed counter of each tenant (0 for one never changed); read it first."""
    ids = tuple(tenant_ids)
    rows = session.execute(select(TenantDataVersion.tenant_id, TenantDataVersion.version)
                           .where(TenantDataVersion.tenant_id.in_(ids)))
    return {**dict.fromkeys(ids, 0), **{tenant_id: version for tenant_id, version in rows}}


def data_version(session: Session, tenant_id: int) -> int:
    """One tenant's committed counter: a result computed from its records (a job's) is
    current while this stays the same."""
    return data_versions(session, (tenant_id,))[tenant_id]


@event.listens_for(ScopedSession, "before_commit")
def _bump_changed(session: Session) -> None:
    changed = session.info.pop(CHANGED_KEY, None)
    if not changed:
        return
    table = TenantDataVersion.__table__
    statement = upsert(session.get_bind(), table, [{"tenant_id": tenant_id, "version": 1} for tenant_id in sorted(changed)],
                       [table.c.tenant_id], lambda _excluded: {"version": table.c.version + 1})
    # Each noted tenant passed the scope check when its record was written; the scope in
    # force at commit may be narrower (a block that wrote elsewhere has ended).
    with system_scope(session):
        session.execute(statement)


@event.listens_for(ScopedSession, "after_rollback")
def _forget_changed(session: Session) -> None:
    session.info.pop(CHANGED_KEY, None)
