"""Roll-up rows kept per tenant: a city report recomputes only the tenants that changed.

A report declared ``per_tenant=True`` promises that each tenant's rows depend only on
that tenant's own records and on today's date. In a roll-up the core then keeps each
tenant's rows, stamped with the tenant's change counter
(:mod:`core.entities.data_versions`), its name and the day. The next request reads the
200 stamps and rows in one statement and runs the report's query only for the tenants
whose stamp moved, as one query over those tenants together; at steady state a city
report costs one indexed read whatever the number of records.

Kept rows belong to the tenant whose report they are (row-level security applies to
reading them), so a district never reads what was computed for the city; a user
confined to one association's records never uses them (:func:`usable`). They are written
in a transaction of their own, by the platform rather than the user (a viewer may not
write), so producing a report never commits the request's work.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import JSON, Index, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, BigId, get_db, upsert
from ..entities.data_versions import data_versions
from ..entities.ownership import restricted_association
from ..tenancy import Tenant, TenantOwned, system_scope

Rows = list[dict[str, Any]]


class KeptRollupRows(TenantOwned, Base):
    """One subject tenant's rows of one report with one set of parameters, as the tenant
    ``tenant_id`` (the one whose report it is) saw them under ``stamp``."""

    __tablename__ = "report_rollup_rows"
    __table_args__ = (
        Index("ix_report_rollup_rows_key", "tenant_id", "report", "params", "subject_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report: Mapped[str] = mapped_column(String(81))
    #: The report's parameters as canonical JSON.
    params: Mapped[str] = mapped_column(String(400))
    subject_id: Mapped[int] = mapped_column(BigId)
    #: The subject's change counter, the day and its name when the rows were computed.
    stamp: Mapped[str] = mapped_column(String(200))
    rows: Mapped[list] = mapped_column(JSON)


def usable(session: Session) -> bool:
    """Whether kept rows may serve this session: not when it sees one association's records only."""
    return restricted_association(session) is None


def kept_rows(session: Session, *, viewer: Tenant, report: str, params: Mapping[str, Any],
              tenant_ids: tuple[int, ...], compute: Callable[[tuple[int, ...]], Iterable[Mapping[str, Any]]],
              normalise: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Rows:
    """The rows of every tenant of ``tenant_ids``, in that order: kept rows where still
    current, ``compute(stale_ids)`` for the rest (each of its rows carries ``tenant_id``).
    ``normalise`` turns a computed row into the stored shape (values of the columns)."""
    key = _params_key(params)
    stamps = _stamps(session, tenant_ids)  # before any record is read: see data_versions
    kept = {
        subject_id: (stamp, rows)
        for subject_id, stamp, rows in session.execute(
            select(KeptRollupRows.subject_id, KeptRollupRows.stamp, KeptRollupRows.rows).where(
                KeptRollupRows.tenant_id == viewer.id, KeptRollupRows.report == report,
                KeptRollupRows.params == key, KeptRollupRows.subject_id.in_(tenant_ids),
            )
        )
    }
    by_tenant = {subject_id: rows for subject_id, (stamp, rows) in kept.items() if stamp == stamps[subject_id]}
    stale = tuple(subject_id for subject_id in tenant_ids if subject_id not in by_tenant)
    if stale:
        fresh: dict[int, Rows] = {subject_id: [] for subject_id in stale}
        for row in compute(stale):
            if row.get("tenant_id") not in fresh:
                raise ValueError(f"报表 {report} 声明为按单位保存(per_tenant),但返回的行没有所查单位的 tenant_id")
            fresh[row["tenant_id"]].append(_storable(normalise(row)))
        by_tenant.update(fresh)
        _keep(session, viewer, report, key, {subject_id: (stamps[subject_id], fresh[subject_id]) for subject_id in stale})
    return [row for subject_id in tenant_ids for row in by_tenant[subject_id]]


def forget_all(connection) -> None:
    """Drop every kept row (after a migration, whose changes no counter saw)."""
    connection.execute(delete(KeptRollupRows))


def _stamps(session: Session, tenant_ids: tuple[int, ...]) -> dict[int, str]:
    versions = data_versions(session, tenant_ids)
    today = dt.date.today().isoformat()
    names = session.execute(select(Tenant.id, Tenant.slug, Tenant.name).where(Tenant.id.in_(tenant_ids)))
    return {tenant_id: f"{versions[tenant_id]}|{today}|{slug}|{name}" for tenant_id, slug, name in names}


def _keep(session: Session, viewer: Tenant, report: str, key: str, computed: dict[int, tuple[str, Rows]]) -> None:
    """Write the recomputed rows in a transaction of their own."""
    table = KeptRollupRows.__table__
    writer = get_db().sessionmaker()
    try:
        statement = upsert(
            writer.get_bind(), table,
            [{"tenant_id": viewer.id, "report": report, "params": key, "subject_id": subject_id, "stamp": stamp,
              "rows": rows} for subject_id, (stamp, rows) in computed.items()],
            [table.c.tenant_id, table.c.report, table.c.params, table.c.subject_id],
            lambda excluded: {"stamp": excluded.stamp, "rows": excluded.rows},
        )
        with system_scope(writer):
            writer.execute(statement)
            writer.commit()
    finally:
        writer.close()


def _params_key(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str, ensure_ascii=False)


def _storable(row: dict[str, Any]) -> dict[str, Any]:
    """Decimals as text (exact); the report's column kinds turn them back."""
    return {name: str(value) if isinstance(value, decimal.Decimal) else value for name, value in row.items()}
