"""Finding records of one type: filters, text search, sort and paging on the projections.

:func:`search` (a page) serves the JSON API and the HTML list pages; :func:`matching`
(the same records as one unpaged, ordered select) serves the Excel export. Every
condition runs on ``entity_values`` (the typed, indexed copies of the fields marked
indexed) or, for the search words, on ``entity_search_texts`` (all of a record's
indexed text in one row), never on the JSON ``data``; a page costs exactly two
queries (the count and the rows), whatever the filters.

Filter keys (the query string of the list, less ``page``, ``per_page``, ``q`` and
``sort``)::

    status=正常                   equal (repeat the key for "any of": status=正常&status=整改中)
    tags=科技                     for tags and multi-choice: has this value
    member_count__gte=100         range: __gt, __gte, __lt, __lte (numbers and dates)
    status__ne=注销               not equal (records without the value are kept)
    registered_on__lt=2020-01-01

An empty value (``?status=``, as a form's "all" option sends) is no filter at all.
A field that is unknown, retired or not indexed raises :class:`QueryError` naming it.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from ..web.pagination import PER_PAGE, Page
from .definitions import EntityType, Field
from ..tenancy import Tenant
from .fields import parse_number, projection_column
from .models import Entity, EntitySearchText, EntityValue
from .published import readable_tenant_ids, reading
from .scope import RecordScope

#: Most rows one page may ask for.
MAX_PER_PAGE = 200
#: Pages beyond this are refused (an offset that large is a mistake or an attack).
MAX_PAGE = 1_000_000
#: Search words beyond this many are ignored.
MAX_TERMS = 8
#: Record columns every type can be sorted by, besides its indexed fields.
RECORD_SORTS = {"id": Entity.id, "created_at": Entity.created_at, "updated_at": Entity.updated_at}
DEFAULT_SORT = "-id"
RANGE_OPERATORS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}
OPERATORS = frozenset({"eq", "ne", *RANGE_OPERATORS})
MULTI_VALUED = frozenset({"tags", "multi_choice"})
TRUE_WORDS = {"true": 1, "1": 1, "是": 1, "yes": 1, "false": 0, "0": 0, "否": 0, "no": 0}


class QueryError(ValueError):
    """A filter, sort or paging parameter that cannot be used; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclasses.dataclass(frozen=True)
class Filter:
    """One parsed condition: ``field`` ``op`` any of ``values`` (already typed)."""

    key: str
    field: Field
    op: str
    values: tuple[Any, ...]


def search(
    session: Session,
    entity_type: EntityType,
    *,
    tenant=None,
    q: str | None = None,
    filters: Mapping[str, Any] | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    deleted: bool = False,
    scope: RecordScope | None = None,
) -> Page:
    """The records of ``entity_type`` that match, one page of them, newest first by default.

    - ``tenant`` (a :class:`~core.tenancy.Tenant` or its id): whose records; by default
      the session scope's tenant (inside a request, the URL's tenant). Naming it keeps
      every subquery on the indexes that lead with ``tenant_id``. For a published type
      (see :mod:`.published`) its ancestors' records are included.
    - ``q``: words (split on spaces), each of which must occur, case-insensitively, in
      one of the type's indexed text fields (text, choice, tags, codes, phones).
    - ``filters``: see the module docstring; values may be strings or lists of strings,
      and a werkzeug ``MultiDict`` (``request.args``) is read with ``getlist``.
    - ``sort``: ``field`` or ``-field`` (descending), an indexed field or ``id``,
      ``created_at``, ``updated_at``. Records without a value sort last either way.
    - ``page``/``per_page``: 1-based; ``per_page`` at most :data:`MAX_PER_PAGE`. A page
      past the end is empty (it is not moved back), so API clients can page until empty.
    - ``deleted``: the recycle view (soft-deleted records only) instead of the live ones.
    - ``scope``: a :class:`~core.entities.scope.RecordScope` (本级, 本级及下级 or one
      descendant) instead of ``tenant``: its tenants' records, read in one query.

    Returns a :class:`core.web.pagination.Page` of :class:`~core.entities.models.Entity`
    rows (``items``, ``number``, ``per_page``, ``total``, ``pages``, ``has_next``...).
    Raises :class:`QueryError` for an unknown field, a bad value, sort or page, before
    any query runs.
    """
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise QueryError("page", f"页码应为 1 到 {MAX_PAGE} 之间的整数")
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError("per_page", f"每页条数应为 1 到 {MAX_PER_PAGE} 之间的整数")
    tenant_ids, reading_block = _whose(session, entity_type, tenant, scope)
    conditions, order = _plan(entity_type, tenant_ids, q, filters, sort, deleted)
    with reading_block:
        total = session.scalar(select(func.count(Entity.id)).where(*conditions)) or 0
        if (page - 1) * per_page >= total:
            return Page([], page, per_page, total)
        query = order(select(Entity).where(*conditions), tenant_ids)
        items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, per_page, total)


def matching(
    session: Session,
    entity_type: EntityType,
    *,
    tenant=None,
    q: str | None = None,
    filters: Mapping[str, Any] | None = None,
    sort: str | None = None,
    deleted: bool = False,
    scope: RecordScope | None = None,
) -> Select:
    """The unpaged, ordered ``select(Entity)`` of the same records :func:`search` pages
    through (same arguments), for streaming them all, e.g. an Excel export of the list
    the user sees: ``session.scalars(matching(...).execution_options(yield_per=1000))``;
    for a published type, run it inside :func:`core.entities.published.reading`, for a
    ``scope``, inside its :meth:`~core.entities.scope.RecordScope.reading`.
    Raises :class:`QueryError` like :func:`search`."""
    tenant_ids = scope.tenant_ids if scope is not None else _tenant_ids(_tenant(session, tenant), entity_type)
    conditions, order = _plan(entity_type, tenant_ids, q, filters, sort, deleted)
    return order(select(Entity).where(*conditions), tenant_ids)


def parse_filters(entity_type: EntityType, filters: Mapping[str, Any]) -> list[Filter]:
    """The typed conditions of ``filters``; raises :class:`QueryError` naming a bad key."""
    result = []
    for key in filters:
        raw = filters.getlist(key) if hasattr(filters, "getlist") else filters[key]
        values = [raw] if isinstance(raw, str | int | float | decimal.Decimal | dt.date) or raw is None else list(raw)
        values = [v for v in values if v is not None and str(v).strip() != ""]
        if not values:
            continue
        name, op = _split_key(key)
        field = entity_type.field(name)
        if field is None:
            raise QueryError(key, f"没有字段 {name},不能按它筛选")
        if not field.indexed:
            raise QueryError(key, f"字段 {name}({field.label})未建索引,不能按它筛选")
        column = projection_column(field)
        if op in RANGE_OPERATORS and column == "text_value":
            raise QueryError(key, f"字段 {name}({field.label})是文字,只能按等于筛选,不能按范围")
        if op in RANGE_OPERATORS and len(values) > 1:
            raise QueryError(key, "范围筛选只能给一个值")
        result.append(Filter(key, field, op, tuple(_typed(key, field, column, v) for v in values)))
    return result


def sortable_fields(entity_type: EntityType) -> list[str]:
    """The names ``sort`` accepts (each also with a leading ``-``)."""
    return [f.name for f in entity_type.indexed_fields] + list(RECORD_SORTS)


def filter_keys(entity_type: EntityType) -> dict[str, Field]:
    """Every filter key the type accepts (for documentation): ``name``, ``name__gte``, ..."""
    keys: dict[str, Field] = {}
    for field in entity_type.indexed_fields:
        keys[field.name] = field
        keys[f"{field.name}__ne"] = field
        if projection_column(field) != "text_value":
            for op in RANGE_OPERATORS:
                keys[f"{field.name}__{op}"] = field
    return keys


# internals -------------------------------------------------------------


def _plan(entity_type: EntityType, tenant_ids: tuple[int, ...] | None, q, filters, sort, deleted: bool):
    """The WHERE conditions and the ordering function; every argument checked first."""
    parsed = parse_filters(entity_type, filters or {})
    order = _order(entity_type, sort)
    conditions = [Entity.type == entity_type.name]
    conditions.append(Entity.deleted_at.is_not(None) if deleted else Entity.deleted_at.is_(None))
    if tenant_ids is not None:
        conditions.append(_among(Entity.tenant_id, tenant_ids))
    for condition in parsed:
        conditions.append(_filter_condition(entity_type, tenant_ids, condition))
    for term in _terms(q):
        conditions.append(_search_condition(entity_type, tenant_ids, term))
    return conditions, order


def _split_key(key: str) -> tuple[str, str]:
    name, separator, op = key.rpartition("__")
    if separator and op in OPERATORS and name:
        return name, op
    return key, "eq"


def _typed(key: str, field: Field, column: str, value: Any) -> Any:
    text = str(value).strip()
    if len(text) > 400 or "\x00" in text:
        raise QueryError(key, "筛选值太长或含有不可用的字符")
    if column == "num_value":
        if field.kind == "boolean":
            if text.lower() not in TRUE_WORDS:
                raise QueryError(key, "请用 true 或 false 筛选是/否字段")
            return decimal.Decimal(TRUE_WORDS[text.lower()])
        number = parse_number(text, 10**16)
        if number is None:
            raise QueryError(key, f"“{text[:40]}”不是可用的数字（请用半角数字，绝对值小于 10 的 16 次方）")
        return number
    if column == "date_value":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise QueryError(key, f"“{text}”不是日期,格式如 2024-05-01") from None
    return text


def _values_of(field: Field, tenant_ids: tuple[int, ...] | None, entity_type: EntityType):
    """A select of entity ids from the field's projection rows (the conditions follow)."""
    query = select(EntityValue.entity_id).where(EntityValue.type == entity_type.name, EntityValue.field == field.name)
    if tenant_ids is not None:
        query = query.where(_among(EntityValue.tenant_id, tenant_ids))
    return query


def _filter_condition(entity_type: EntityType, tenant_ids: tuple[int, ...] | None, condition: Filter):
    column = getattr(EntityValue, projection_column(condition.field))
    ids = _values_of(condition.field, tenant_ids, entity_type)
    if condition.op in ("eq", "ne"):
        matching = ids.where(column.in_(condition.values))
        return Entity.id.in_(matching) if condition.op == "eq" else Entity.id.not_in(matching)
    compare = getattr(column, RANGE_OPERATORS[condition.op])
    return Entity.id.in_(ids.where(compare(condition.values[0])))


def _terms(q: str | None) -> list[str]:
    if not q:
        return []
    words = [word for word in str(q).replace("\x00", " ").split() if word]
    return [word[:100] for word in words[:MAX_TERMS]]


def _search_condition(entity_type: EntityType, tenant_ids: tuple[int, ...] | None, term: str):
    names = [f.name for f in entity_type.indexed_fields if projection_column(f) == "text_value"]
    if not names:
        return Entity.id.is_(None)  # nothing to search in: nothing matches
    query = select(EntitySearchText.entity_id).where(
        EntitySearchText.type == entity_type.name,
        EntitySearchText.text.contains(term.lower(), autoescape=True),  # the text is stored lower-cased
    )
    if tenant_ids is not None:
        query = query.where(_among(EntitySearchText.tenant_id, tenant_ids))
    return Entity.id.in_(query)


def _order(entity_type: EntityType, sort: str | None):
    """A function adding the ORDER BY (and any join it needs) to a select of Entity."""
    sort = (sort or DEFAULT_SORT).strip() or DEFAULT_SORT
    descending = sort.startswith("-")
    name = sort.lstrip("-+")
    tiebreak = Entity.id.desc() if descending else Entity.id.asc()
    if name in RECORD_SORTS:
        column = RECORD_SORTS[name]
        key = column.desc() if descending else column.asc()
        return lambda query, _tenant_ids: query.order_by(key, tiebreak) if name != "id" else query.order_by(key)
    field = entity_type.field(name)
    if field is None:
        raise QueryError("sort", f"没有字段 {name},不能按它排序")
    if not field.indexed:
        raise QueryError("sort", f"字段 {name}({field.label})未建索引,不能按它排序")
    column_name = projection_column(field)

    def ordered(query: Select, tenant_ids: tuple[int, ...] | None) -> Select:
        if field.kind in MULTI_VALUED:
            # several values per record: sort by the first of them, without multiplying rows
            inner = aliased(EntityValue)
            key = (
                select(func.min(getattr(inner, column_name)))
                .where(inner.entity_id == Entity.id, inner.field == field.name, inner.type == entity_type.name)
                .correlate(Entity)
                .scalar_subquery()
            )
        else:
            value = aliased(EntityValue)
            on = [value.entity_id == Entity.id, value.type == entity_type.name, value.field == field.name]
            if tenant_ids is not None:
                on.append(_among(value.tenant_id, tenant_ids))
            query = query.outerjoin(value, and_(*on))
            key = getattr(value, column_name)
        key = key.desc() if descending else key.asc()
        return query.order_by(key.nulls_last(), tiebreak)

    return ordered


def _whose(session: Session, entity_type: EntityType, tenant, scope: RecordScope | None):
    """The tenant ids the conditions name, and the block that may read them."""
    if scope is not None:
        return scope.tenant_ids, scope.reading(session)
    owner = _tenant(session, tenant)
    return _tenant_ids(owner, entity_type), _reading(session, owner, entity_type)


def _tenant(session: Session, tenant) -> Tenant | None:
    if tenant is None:
        scope = getattr(session, "scope", None)
        tenant = None if scope is None or scope.system else scope.tenant_id
    if isinstance(tenant, int):
        return session.get(Tenant, tenant)
    return tenant


def _tenant_ids(tenant: Tenant | None, entity_type: EntityType) -> tuple[int, ...] | None:
    return None if tenant is None else readable_tenant_ids(tenant, entity_type)


def _among(column, tenant_ids: tuple[int, ...]):
    """``column`` is one of ``tenant_ids``; a plain equality for the usual single tenant."""
    return column == tenant_ids[0] if len(tenant_ids) == 1 else column.in_(tenant_ids)


def _reading(session: Session, tenant: Tenant | None, entity_type: EntityType):
    return contextlib.nullcontext() if tenant is None else reading(session, tenant, entity_type)


__all__ = ["QueryError", "search", "matching", "parse_filters", "sortable_fields", "filter_keys", "MAX_PER_PAGE"]
