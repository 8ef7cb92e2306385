"""The tenant tree, the request's tenant scope, and the rules that enforce it.

Isolation has two layers. In every database the ORM adds ``tenant_id IN (scope)`` to
each select, bulk update and bulk delete of a tenant-owned class, and refuses to flush
a row outside the scope; a session that has no scope fails closed. On PostgreSQL every
transaction also runs as the non-owner role :data:`APP_ROLE` with the scope in
transaction-local settings, so row-level security confines even raw SQL.
"""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Iterator

from sqlalchemy import ForeignKey, String, event, inspect, select, text
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql.util import find_tables

from .db import Base, BigId

#: The PostgreSQL role every scoped transaction runs as; it owns no table.
APP_ROLE = "quanhui_app"
SCOPE_KEY = "quanhui.scope"


class ScopeError(RuntimeError):
    """A tenant-owned row was touched without a scope, or outside it."""


class Tenant(Base):
    """A node of the tenant tree: the city, a district or county, a zone, a street."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    #: Materialised path of ids, "/1/3/": ancestors and descendants are prefix matches.
    path: Mapped[str] = mapped_column(String(400), index=True)
    position: Mapped[int] = mapped_column(default=0)

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def tier(self) -> str:
        """'city' for the root of the tree, 'district' for every node below it."""
        return "city" if self.is_root else "district"

    @property
    def ancestor_ids(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.path.strip("/").split("/")[:-1])

    def contains(self, other: Tenant) -> bool:
        """True when ``other`` is this tenant or one of its descendants."""
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class TenantOwned:
    """Mixin for every row that belongs to a tenant; indexes should lead with tenant_id."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("tenants.id"), nullable=False)


@dataclasses.dataclass(frozen=True)
class TenantScope:
    """Which tenants' rows a session may read and write."""

    tenant_id: int | None
    read_ids: frozenset[int]
    write_ids: frozenset[int]
    system: bool = False

    @classmethod
    def of(cls, tenant: Tenant | int, *, writable: bool = True) -> TenantScope:
        tenant_id = tenant if isinstance(tenant, int) else tenant.id
        ids = frozenset({tenant_id})
        return cls(tenant_id, ids, ids if writable else frozenset())

    def widened_to(self, tenant_ids: Iterable[int]) -> TenantScope:
        """This scope reading a whole subtree as well, for roll-ups."""
        return dataclasses.replace(self, read_ids=self.read_ids | frozenset(tenant_ids))


#: For platform work that is not done on behalf of one tenant (init, sync, login).
SYSTEM = TenantScope(None, frozenset(), frozenset(), system=True)


class ScopedSession(Session):
    """The session class of every quanhui app; the events below enforce its scope."""

    @property
    def scope(self) -> TenantScope | None:
        return self.info.get(SCOPE_KEY)


def set_scope(session: Session, scope: TenantScope | None) -> None:
    """Change the session's scope; pending changes are flushed first, under the scope
    they were made in. A transaction that has failed (the database refused a write) is
    left alone: it can only be rolled back, and its error, not a second one, must surface."""
    transaction = session.get_transaction()
    failed = transaction is not None and not transaction.is_active
    if not failed and (session.new or session.dirty or session.deleted):
        session.flush()
    session.info[SCOPE_KEY] = scope
    if session.in_transaction() and not failed:
        _apply_database_scope(session.connection(), scope)


@contextlib.contextmanager
def use_scope(session: Session, scope: TenantScope | None) -> Iterator[Session]:
    """Run a block under another scope, then restore the one before it."""
    previous = session.info.get(SCOPE_KEY)
    set_scope(session, scope)
    try:
        yield session
    finally:
        set_scope(session, previous)


def system_scope(session: Session):
    return use_scope(session, SYSTEM)


@contextlib.contextmanager
def reading_also(session: Session, tenant_ids: Iterable[int]) -> Iterator[Session]:
    """Run a block whose session also reads ``tenant_ids`` (its writes are unchanged); a
    session with no scope, or the system scope, is left as it is."""
    current = session.info.get(SCOPE_KEY)
    if current is None or current.system:
        yield session
        return
    with use_scope(session, current.widened_to(tenant_ids)):
        yield session


def _is_tenant_owned(cls) -> bool:
    return isinstance(cls, type) and issubclass(cls, TenantOwned)


@event.listens_for(ScopedSession, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria of the statement that loaded the parent already apply
    scope = state.session.info.get(SCOPE_KEY)
    if scope is not None and scope.system:
        return
    if not _touches_tenant_tables(state.statement):
        return
    if scope is None:
        raise ScopeError("没有租户范围的会话不能访问租户数据")
    if state.is_insert:
        _check_insert_parameters(state, scope)
        return
    ids = tuple(sorted(scope.read_ids if state.is_select else scope.write_ids))
    state.statement = state.statement.options(
        with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id.in_(ids), include_aliases=True)
    )


def _touches_tenant_tables(statement) -> bool:
    """Whether any table in the statement, in its FROM, joins or subqueries, is tenant-owned.

    Looking only at the selected entities would miss ``select(func.count()).select_from(X)``.
    """
    for table in find_tables(statement, include_aliases=True, include_crud=True):
        columns = getattr(table, "c", None)
        if columns is not None and "tenant_id" in columns and getattr(table, "name", "") != "tenants":
            return True
    return False


def _check_insert_parameters(state: ORMExecuteState, scope: TenantScope) -> None:
    rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
    for row in rows:
        if row.get("tenant_id") not in scope.write_ids:
            raise ScopeError(f"不能向租户 {row.get('tenant_id')} 写入数据")


@event.listens_for(ScopedSession, "before_flush")
def _check_flush(session: Session, _context, _instances) -> None:
    owned = [obj for obj in (*session.new, *session.dirty, *session.deleted) if _is_tenant_owned(type(obj))]
    if not owned:
        return
    scope = session.info.get(SCOPE_KEY)
    if scope is None:
        raise ScopeError("没有租户范围的会话不能写入租户数据")
    if scope.system:
        return
    for obj in owned:
        if obj in session.new and obj.tenant_id is None:
            obj.tenant_id = scope.tenant_id
        history = session.is_modified(obj) and _tenant_history(obj)
        touched = {obj.tenant_id, *(history or ())}
        if not touched <= scope.write_ids:
            raise ScopeError(f"不能写入租户 {sorted(touched - scope.write_ids)} 的数据")


def _tenant_history(obj) -> tuple[int, ...]:
    return tuple(inspect(obj).attrs.tenant_id.history.deleted or ())


@event.listens_for(ScopedSession, "after_begin")
def _scope_transaction(session: Session, _transaction, connection) -> None:
    _apply_database_scope(connection, session.info.get(SCOPE_KEY))


def _apply_database_scope(connection, scope: TenantScope | None) -> None:
    """On PostgreSQL: the role and the transaction-local settings row-level security reads."""
    if connection.dialect.name != "postgresql":
        return
    if scope is not None and scope.system:
        connection.exec_driver_sql("SET LOCAL ROLE NONE")
        return
    read_ids = ",".join(map(str, sorted(scope.read_ids))) if scope else ""
    write_ids = ",".join(map(str, sorted(scope.write_ids))) if scope else ""
    # One round trip: set_config('role', …, true) is SET LOCAL ROLE (scopes change several
    # times per request, python -m bench.run scenario 1).
    connection.execute(
        text("SELECT set_config('role', :role, true), set_config('quanhui.read_ids', :r, true), "
             "set_config('quanhui.write_ids', :w, true)"),
        {"role": APP_ROLE, "r": read_ids, "w": write_ids},
    )


def tenant_owned_tables() -> list:
    """Every table with a tenant_id column, core's and plugins' alike."""
    return [table for table in Base.metadata.tables.values() if "tenant_id" in table.c and table.name != "tenants"]


def tenant_by_slug(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def subtree_ids(session: Session, tenant: Tenant) -> list[int]:
    """The ids of ``tenant`` and every tenant below it, in tree order."""
    return list(
        session.scalars(select(Tenant.id).where(Tenant.path.startswith(tenant.path)).order_by(Tenant.position, Tenant.id))
    )


def visible_tenants(session: Session, home: Tenant) -> list[Tenant]:
    """The tenants a user of ``home`` may open: home itself and every descendant, in tree order."""
    return list(
        session.scalars(select(Tenant).where(Tenant.path.startswith(home.path)).order_by(Tenant.position))
    )


def tenant_has_data(session: Session, tenant_id: int) -> bool:
    """Whether any tenant-owned table in this database holds a row of the tenant.

    Only tables that exist here are asked: a model may be imported whose plugin's
    migrations this database never ran.
    """
    existing = set(inspect(session.connection()).get_table_names())
    with system_scope(session):
        for table in tenant_owned_tables():
            if table.name not in existing:
                continue
            if session.scalar(select(table.c.tenant_id).where(table.c.tenant_id == tenant_id).limit(1)) is not None:
                return True
    return False
