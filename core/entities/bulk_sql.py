"""Many rows into one table in one statement, at the least Python cost per row.

An ``executemany`` of N rows costs Python work for every row twice: in SQLAlchemy's
bind processing and in the driver (psycopg builds and sends one bound statement per row
in Python). On PostgreSQL :func:`insert_rows` instead sends each column as one array and
inserts ``SELECT … FROM unnest(…)``: psycopg dumps an array in C, and the statement stays
short whatever the number of rows. SQLite's driver loops in C, so there it is a plain
executemany. :func:`reserve_ids` takes a block of ids from a PostgreSQL sequence first,
so that rows referring to new records can be built before those records are written.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, Connection, Table, bindparam, func, select, text


def is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
                same: Mapping[str, Any] | None = None) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``; ``same`` holds the
    values every row shares (sent once)."""
    if not rows:
        return
    same = dict(same or {})
    if not is_postgresql(connection):
        connection.execute(table.insert(), [{**same, **row} for row in rows])
        return
    names = list(rows[0])
    arrays = [bindparam(f"many_{name}", [row[name] for row in rows], type_=ARRAY(table.c[name].type))
              for name in names]
    unnested = func.unnest(*arrays).table_valued(*names).render_derived()
    shared = [bindparam(f"same_{name}", value, type_=table.c[name].type).label(name) for name, value in same.items()]
    columns = [*same, *names]
    connection.execute(table.insert().from_select(columns, select(*shared, *unnested.c)))


def reserve_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """``count`` new ids of ``table``'s serial ``id``, ascending (PostgreSQL only)."""
    return list(connection.scalars(
        text("SELECT nextval((SELECT pg_get_serial_sequence(:table, 'id'))) FROM generate_series(1, :count) ORDER BY 1"),
        {"table": table.name, "count": count},
    ))
