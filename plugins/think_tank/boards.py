"""智库的其余页面:全文检索、研究课题看板、行业发展报告库、建议提案台账。

每页的筛选都落在核心建了索引的字段副本(``entity_values``)上,合计在 SQL 里分组;
列表按页读取。租户和协会账号的范围由平台的会话保证。
"""
from __future__ import annotations

from flask import render_template, request
from jinja2_fragments.flask import render_block
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from core.api import Entity, EntityValue, current_service, current_tenant, is_htmx, require_permission, session

from .entities import BODIES, LEVELS, TOPIC_STATES
from .search import SEARCHED, hits, search_statement, terms_of
from .views import PER_PAGE, _association_names, pages


def _number(name: str, low: int, high: int) -> int | None:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if low <= value <= high else None


def _page_number() -> int:
    return _number("page", 1, 1_000_000) or 1


def _paged(statement, columns: bool = False) -> dict:
    """One page of ``statement``: a count and a limited select."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    pages_count = max(1, -(-total // PER_PAGE))
    number = min(_page_number(), pages_count)
    limited = statement.limit(PER_PAGE).offset((number - 1) * PER_PAGE)
    items = list(session.execute(limited).all() if columns else session.scalars(limited))
    return {"items": items, "total": total, "number": number, "pages": pages_count}


def _ids_where(type_name: str, field: str, **match):
    """Ids of ``type_name`` records whose indexed ``field`` has the value in ``match``
    (``text_value=`` or ``num_value=``)."""
    (column, value), = match.items()
    return select(EntityValue.entity_id).where(
        EntityValue.type == type_name, EntityValue.field == field, getattr(EntityValue, column) == value)


def _years(type_name: str) -> list[int]:
    rows = session.scalars(
        select(EntityValue.num_value).where(EntityValue.type == type_name, EntityValue.field == "year")
        .distinct().order_by(EntityValue.num_value.desc()))
    return [int(value) for value in rows if value is not None]


def _live(type_name: str):
    return select(Entity).where(Entity.type == type_name, Entity.deleted_at.is_(None))


# 全文检索 ---------------------------------------------------------------------


@pages.get("/search")
@require_permission("entities.view")
def search(tenant):
    """Search as you type: htmx gets the results only."""
    service = current_service()
    kinds = {name: kind for name in SEARCHED if (kind := service.type(name)) is not None}
    labels = {name: kind.label for name, kind in kinds.items()}
    chosen = request.args.get("type", "")
    terms = terms_of(request.args.get("q", ""))
    result = None
    if terms:
        shared = tuple(name for name, kind in kinds.items() if kind.published)
        statement = search_statement(session, terms, [chosen] if chosen in labels else list(labels),
                                     current_tenant().id, shared)
        with service.reading(kinds.get("research_call")):
            rows = _paged(statement, columns=True)
        result = {**rows, "items": hits(rows["items"], terms)}
    context = {"q": request.args.get("q", "").strip(), "terms": terms, "chosen": chosen if chosen in labels else "",
               "labels": labels, "result": result}
    if is_htmx() and request.headers.get("HX-Target") == "search-results":
        return render_block("think_tank/search.html", "results", **context)
    return render_template("think_tank/search.html", **context)


# 研究课题看板 -----------------------------------------------------------------


@pages.get("/topics/")
@require_permission("entities.view")
def topics(tenant):
    """One year's topics in a column per state; the calls for topics of that year above them."""
    years = _years("research_topic")
    year = _number("year", 2000, 2100) or (years[0] if years else None)
    columns = {state: [] for state in TOPIC_STATES}
    if year is not None:
        statement = _live("research_topic").where(Entity.id.in_(_ids_where("research_topic", "year", num_value=year)))
        for record in session.scalars(statement.order_by(Entity.id)):
            columns.setdefault(record.data.get("stage") or TOPIC_STATES[0], []).append(record)
    return render_template("think_tank/topics.html", years=years, year=year, columns=columns,
                           calls=_calls(year), total=sum(map(len, columns.values())))


def _calls(year: int | None) -> list[Entity]:
    """The calls for topics of ``year`` this tenant reads: its own and those its ancestors publish."""
    service = current_service()
    kind = service.type("research_call")
    if kind is None or year is None:
        return []
    with service.reading(kind):
        statement = _live("research_call").where(Entity.id.in_(_ids_where("research_call", "year", num_value=year)))
        return list(session.scalars(statement.order_by(Entity.id.desc())))


# 行业发展报告库 ---------------------------------------------------------------


@pages.get("/library/")
@require_permission("entities.view")
def library(tenant):
    """Industry reports, newest year first, each with its file to download."""
    year = _number("year", 2000, 2100)
    counts = dict(session.execute(
        select(EntityValue.num_value, func.count(EntityValue.entity_id))
        .where(EntityValue.type == "industry_report", EntityValue.field == "year").group_by(EntityValue.num_value)
    ).all())
    year_value = aliased(EntityValue)
    statement = (
        _live("industry_report")
        .outerjoin(year_value, and_(year_value.entity_id == Entity.id, year_value.field == "year"))
        .order_by(year_value.num_value.desc(), Entity.id.desc())
    )
    if year is not None:
        statement = statement.where(Entity.id.in_(_ids_where("industry_report", "year", num_value=year)))
    page = _paged(statement)
    return render_template("think_tank/library.html", page=page, year=year, names=_association_names(page["items"]),
                           years=sorted(((int(y), n) for y, n in counts.items() if y is not None), reverse=True))


# 建议提案台账 -----------------------------------------------------------------

ADOPTED = {"是": 1, "否": 0}


@pages.get("/proposals/")
@require_permission("entities.view")
def proposals(tenant):
    """The ledger of deputies' and members' proposals, filtered, with totals by body and adoption."""
    chosen = {
        "body": request.args.get("body", "") if request.args.get("body") in BODIES else "",
        "level": request.args.get("level", "") if request.args.get("level") in LEVELS else "",
        "year": _number("year", 2000, 2100),
        "adopted": request.args.get("adopted", "") if request.args.get("adopted") in ADOPTED else "",
    }
    statement = _live("proposal")
    for field in ("body", "level"):
        if chosen[field]:
            statement = statement.where(Entity.id.in_(_ids_where("proposal", field, text_value=chosen[field])))
    if chosen["year"] is not None:
        statement = statement.where(Entity.id.in_(_ids_where("proposal", "year", num_value=chosen["year"])))
    if chosen["adopted"]:
        statement = statement.where(Entity.id.in_(_ids_where("proposal", "adopted", num_value=ADOPTED[chosen["adopted"]])))
    totals = _totals(statement)
    page = _paged(statement.order_by(Entity.id.desc()))
    return render_template("think_tank/proposals.html", page=page, chosen=chosen, totals=totals,
                           bodies=BODIES, levels=LEVELS, years=_years("proposal"), names=_association_names(page["items"]))


def _totals(statement) -> dict:
    """Counts by body and adoption of the records ``statement`` selects: one grouped select."""
    body, adopted = aliased(EntityValue), aliased(EntityValue)
    ids = statement.with_only_columns(Entity.id).order_by(None)
    rows = session.execute(
        select(body.text_value, adopted.num_value, func.count(body.entity_id))
        .join(adopted, and_(adopted.entity_id == body.entity_id, adopted.field == "adopted"))
        .where(body.type == "proposal", body.field == "body", body.entity_id.in_(ids))
        .group_by(body.text_value, adopted.num_value)
    ).all()
    table = {name: {"adopted": 0, "other": 0} for name in BODIES}
    for name, flag, count in rows:
        table.setdefault(name, {"adopted": 0, "other": 0})["adopted" if flag else "other"] += count
    total = {"adopted": sum(v["adopted"] for v in table.values()), "other": sum(v["other"] for v in table.values())}
    return {"rows": table, "total": total}
