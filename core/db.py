"""Engine, sessions and the declarative base.

Each app owns one :class:`Database`; each app context gets one session, the way
Flask-SQLAlchemy scopes them, so a request, a CLI command or a test is one unit of
work. Tenant scoping is attached to that session class in :mod:`core.tenancy`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app, g
from sqlalchemy import BigInteger, DateTime, Engine, Integer, MetaData, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Integer keys: BIGINT on PostgreSQL, SQLite's rowid-backed INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use core.db.utcnow()")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def upsert(bind, table: Table, rows: list[dict], keys: list, changes):
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` on SQLite and PostgreSQL alike;
    ``changes(excluded)`` gives the columns to set on a conflict."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows)
    return statement.on_conflict_do_update(index_elements=keys, set_=changes(statement.excluded))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def default_sqlite_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'quanhui.db'}"


def make_engine(url: str, *, prepare: bool = True) -> Engine:
    """An engine with the pragmas quanhui relies on: WAL and foreign keys on SQLite.
    ``prepare=False`` turns psycopg's prepared statements off on PostgreSQL, for a pooler
    that hands each transaction another server connection (pgbouncer in transaction mode)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # LIFO: a request takes the connection used last, whose prepared statements are warm;
        # the others stay idle instead of taking turns (a login's own counter connection
        # would otherwise halve how often each one sees a statement).
        engine = create_engine(url, pool_pre_ping=True, pool_use_lifo=True,
                               connect_args={} if prepare else {"prepare_threshold": None})
    event.listen(engine, "begin", _forget_writes)
    event.listen(engine, "before_cursor_execute", _note_writes)
    event.listen(engine, "handle_error", _note_failure)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """The app's engine and session factory, kept in ``app.extensions['quanhui.db']``."""

    def __init__(self, url: str, session_class: type[Session], *, prepare: bool = True):
        self.url = url
        self.engine = make_engine(url, prepare=prepare)
        self.sessionmaker = sessionmaker(self.engine, class_=session_class, expire_on_commit=False)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def init_app(self, app) -> None:
        app.extensions["quanhui.db"] = self
        app.teardown_appcontext(_close_session)


def get_db() -> Database:
    return current_app.extensions["quanhui.db"]


def _get_session() -> Session:
    if "quanhui_session" not in g:
        g.quanhui_session = get_db().sessionmaker()
    return g.quanhui_session


def _close_session(exc) -> None:
    db_session = g.pop("quanhui_session", None)
    if db_session is None:
        return
    if exc is None and _only_read(db_session):
        # The same end as a rollback, but psycopg forgets its prepared statements at every
        # ROLLBACK: ending a request that only read with COMMIT lets the next requests on
        # this connection skip planning (python -m bench.run, scenario 3).
        db_session.commit()
    db_session.close()


#: ``Connection.info`` key: the transaction ran something besides reads, or a statement
#: failed, so it must end with ROLLBACK when nobody committed it.
UNCOMMITTABLE = "quanhui.uncommittable"
_READS = ("SELECT ", "SET LOCAL ROLE ", "SHOW ")


def _forget_writes(connection) -> None:
    connection.info[UNCOMMITTABLE] = False


def _note_writes(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
    if not statement.lstrip()[:15].upper().startswith(_READS):
        connection.info[UNCOMMITTABLE] = True


def _note_failure(context) -> None:
    if context.connection is not None:
        context.connection.info[UNCOMMITTABLE] = True


def _only_read(db_session: Session) -> bool:
    """Whether the session's open transaction holds nothing a rollback would undo."""
    if not db_session.in_transaction() or db_session.new or db_session.dirty or db_session.deleted:
        return False
    return not db_session.connection().info.get(UNCOMMITTABLE, True)


#: The session of the current app context.
session: Session = LocalProxy(_get_session)  # type: ignore[assignment]
