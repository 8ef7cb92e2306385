"""Grouped counts and sums over the indexed projections: one SQL statement per call.

The common report is "how many records of type T, by tenant and/or by an indexed
field, optionally filtered", or the same with a sum of a number or money field.
:func:`count_by` and :func:`sum_by` build that as one grouped query over
``entity_values`` (the typed, indexed copies of indexed fields) joined to ``entities``
(live records only) and, when grouping by tenant, to ``tenants`` for the name. No
record is ever loaded into Python, whatever the size of the subtree::

    count_by(context, "association", group_by=("tenant", "status"), where={"status__ne": "注销"})
    # [{"tenant_id": 2, "tenant": "历下区", "tenant_slug": "lixia", "status": "正常", "count": 41}, ...]

    sum_by(context, "association", "member_count", group_by=("category",))
    # [{"category": "商会", "sum": Decimal("5230"), "count": 12}, ...]

``where`` uses the filter keys of the record lists (:mod:`core.entities.query`):
``status="正常"``, ``status=["正常", "整改中"]``, ``status__ne="注销"``,
``member_count__gte=100``, ``registered_on__lt="2020-01-01"``. ``None`` or an empty
value is no filter.

Grouping by ``"tenant"`` lists every tenant of ``context.tenant_ids`` in tree order,
with 0 where it has no matching record. Groups of a choice field come in the order of
its choices, then any other value, then records without a value (``None``). A record
counts once in every group it belongs to: for a tags or multi-choice field, once per
tag, so such groups do not add up to the number of records.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import decimal
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import aliased

from ..entities.confirmation import counted
from ..entities.definitions import EntityType, Field
from ..entities.fields import projection_column
from ..entities.models import Entity, EntityValue
from ..entities.query import RANGE_OPERATORS, QueryError, parse_filters
from ..tenancy import SCOPE_KEY, Tenant, TenantScope, use_scope
from .definitions import ReportContext

TENANT = "tenant"


def count_by(
    context: ReportContext,
    type_name: str,
    group_by: Sequence[str] = (TENANT,),
    where: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Live records of ``type_name`` in ``context.tenant_ids``, counted per group.

    Each row has the group keys (``tenant_id``, ``tenant``, ``tenant_slug`` for
    ``"tenant"``; the field's name for a field) and ``count``. Raises
    :class:`~core.entities.query.QueryError` for a field that is unknown or not indexed.
    """
    return _grouped(context, type_name, tuple(group_by), where, None)


def sum_by(
    context: ReportContext,
    type_name: str,
    field: str,
    group_by: Sequence[str] = (TENANT,),
    where: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Like :func:`count_by`, with ``sum``: the total of the indexed number or money
    ``field`` over the group's records (``Decimal``, 0 where none has a value)."""
    return _grouped(context, type_name, tuple(group_by), where, field)


def pivot(
    rows: Iterable[Mapping[str, Any]],
    index: Sequence[str],
    column: str,
    keys: Mapping[Any, str],
    value: str = "count",
) -> list[dict[str, Any]]:
    """Long rows (one per index × column value) to wide rows (one per index value).

    ``keys`` maps each value of ``column`` to the output column that receives it
    (e.g. ``{"正常": "active", "整改中": "rectifying"}``); other values are dropped.
    Every output row has every key (0 where absent). Works on aggregated rows only: the
    counting itself happened in SQL.
    """
    wide: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        group = tuple(row[name] for name in index)
        target = wide.setdefault(group, {**{name: row[name] for name in index}, **dict.fromkeys(keys.values(), 0)})
        key = keys.get(row[column])
        if key is not None:
            target[key] += row[value] or 0
    return list(wide.values())


def complete(rows: list[dict[str, Any]], field: str, values: Sequence[Any], measures: Sequence[str] = ("count",)) -> list[dict[str, Any]]:
    """``rows`` grouped by ``field`` alone, with a zero row for each of ``values`` that
    has none (every choice of a choice field shows, even when nothing has it)."""
    present = {row[field] for row in rows}
    missing = [{field: value, **dict.fromkeys(measures, 0)} for value in values if value not in present]
    return _sorted(rows + missing, [(field, tuple(values))])


# internals -------------------------------------------------------------


def _grouped(context, type_name, group_by, where, summed):
    entity_type = context.entity_type(type_name)
    ids = tuple(context.tenant_ids)
    fields: list[Field] = []
    for name in group_by:
        if name == TENANT:
            continue
        field = entity_type.field(name)
        if field is None:
            raise QueryError(name, f"没有字段 {name},不能按它分组")
        if not field.indexed:
            raise QueryError(name, f"字段 {name}({field.label})未建索引,不能按它分组")
        fields.append(field)
    sum_field = None
    if summed is not None:
        sum_field = entity_type.field(summed)
        if sum_field is None or not sum_field.indexed or projection_column(sum_field) != "num_value" or sum_field.kind in ("boolean", "reference"):
            raise QueryError(summed, f"字段 {summed} 不是建了索引的数字或金额字段,不能求和")

    session = context.session
    with _reading_only(session, ids) as confined:
        # Confined, the scope is the one tenant condition on each table: PostgreSQL
        # multiplies the selectivities of repeated ones and then misjudges the joins.
        restrict = None if confined else ids
        by_tenant = session.get_bind().dialect.name != "postgresql"
        return _run(session, entity_type, group_by, fields, sum_field, where or {}, ids, restrict, by_tenant)


def _run(session, entity_type, group_by, fields, sum_field, where, ids, restrict, by_tenant):
    live = [Entity.type == entity_type.name, Entity.deleted_at.is_(None), *_within(Entity.tenant_id, restrict)]
    if entity_type.needs_confirmation:
        live.append(counted(Entity.data))
    live += _where(entity_type, where, restrict)

    group_columns, labels, joins = [], [], []
    for field in fields:
        value = aliased(EntityValue)
        joins.append((value, _value_join(value, entity_type, field, by_tenant)))
        column = getattr(value, projection_column(field))
        group_columns.append(column)
        labels.append(column.label(field.name))
    measures = [func.count(distinct(Entity.id)).label("count")]
    if sum_field is not None:
        amount = aliased(EntityValue)
        joins.append((amount, _value_join(amount, entity_type, sum_field, by_tenant)))
        measures.append(func.coalesce(func.sum(amount.num_value), 0).label("sum"))

    if TENANT in group_by:
        tenant_columns = [Tenant.id.label("tenant_id"), Tenant.name.label("tenant"), Tenant.slug.label("tenant_slug")]
        statement = (
            select(*tenant_columns, *labels, *measures)
            .select_from(Tenant)
            .outerjoin(Entity, and_(Entity.tenant_id == Tenant.id, *live))
            .where(Tenant.id.in_(ids))
        )
        grouping = [Tenant.id, Tenant.name, Tenant.slug, Tenant.position]
        order = [Tenant.position, Tenant.id]
    else:
        statement = select(*labels, *measures).select_from(Entity).where(*live)
        grouping, order = [], []
    for alias, on in joins:
        statement = statement.outerjoin(alias, on)
    statement = statement.group_by(*grouping, *group_columns).order_by(*order)

    rows = [dict(row._mapping) for row in session.execute(statement)]
    for row in rows:
        row["count"] = int(row["count"] or 0)
        if "sum" in row:
            row["sum"] = decimal.Decimal(row["sum"] or 0)
        for field in fields:
            row[field.name] = _typed(field, row[field.name])
    # Groups (already aggregated) in a reader's order: tenants stay in tree order.
    return _sorted(rows, [(field.name, field.choices) for field in fields], keep_first=TENANT in group_by)


def _value_join(value, entity_type: EntityType, field: Field, by_tenant: bool):
    """A record's values of ``field``. SQLite reaches them along the (tenant, record) index
    only when told the tenant; PostgreSQL, told it, may merge the two tables on the tenant
    alone and compare every pair of rows within it, so it joins by record id only."""
    return and_(
        value.entity_id == Entity.id,
        *((value.tenant_id == Entity.tenant_id,) if by_tenant else ()),
        value.type == entity_type.name,
        value.field == field.name,
    )


@contextlib.contextmanager
def _reading_only(session, ids: tuple[int, ...]) -> Iterator[bool]:
    """The session's scope narrowed to read exactly ``ids``, if it may read them all
    (yields True); otherwise the scope as it is (False)."""
    scope = session.info.get(SCOPE_KEY)
    wanted = frozenset(ids)
    if scope is None or not (scope.system or wanted <= scope.read_ids):
        yield False
        return
    with use_scope(session, TenantScope(scope.tenant_id, wanted, frozenset())):
        yield True


def _within(column, restrict: tuple[int, ...] | None) -> tuple:
    """``column IN restrict``; nothing when the scope already confines the statement (None)."""
    return () if restrict is None else (column.in_(restrict),)


def _where(entity_type: EntityType, where: Mapping[str, Any], restrict: tuple[int, ...] | None) -> list:
    conditions = []
    for condition in parse_filters(entity_type, where):
        column = getattr(EntityValue, projection_column(condition.field))
        matching = select(EntityValue.entity_id).where(
            *_within(EntityValue.tenant_id, restrict), EntityValue.type == entity_type.name,
            EntityValue.field == condition.field.name,
        )
        if condition.op == "eq":
            conditions.append(Entity.id.in_(matching.where(column.in_(condition.values))))
        elif condition.op == "ne":
            conditions.append(Entity.id.not_in(matching.where(column.in_(condition.values))))
        else:
            compare = getattr(column, RANGE_OPERATORS[condition.op])
            conditions.append(Entity.id.in_(matching.where(compare(condition.values[0]))))
    return conditions


def _typed(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.kind == "integer" and isinstance(value, decimal.Decimal | int | float):
        return int(value)
    if field.kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _sorted(rows: list[dict[str, Any]], keys: list[tuple[str, Sequence[Any]]], *, keep_first: bool = False) -> list[dict[str, Any]]:
    """Rows ordered by each key: the listed values in their order, then the rest in
    natural order, then None. With ``keep_first``, rows keep their tenant order first."""

    def rank(row):
        ranks = []
        for name, order in keys:
            value = row.get(name)
            if value is None:
                ranks.append((2, 0, ""))
            elif value in order:
                ranks.append((0, order.index(value), ""))
            else:
                ranks.append((1, 0, str(value) if not isinstance(value, int | decimal.Decimal) else f"{value:030.4f}"))
        return ranks

    if keep_first:
        position = {}
        for row in rows:
            position.setdefault(row["tenant_id"], len(position))
        return sorted(rows, key=lambda row: (position[row["tenant_id"]], rank(row)))
    return sorted(rows, key=rank)
