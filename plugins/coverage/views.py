"""党建覆盖的页面:看板、未覆盖名单(就地派驻指导员、成立临时党支部)、指导员工作量、
党建品牌、主题党日参考主题。

看板在市级汇总全市(一条分组查询,读范围临时放宽到下级),点区县名进入该区县的看板;
其余页面只列本单位的记录。名单上的两个操作都经 EntityService 新建记录(校验、修改记录、
索引一应俱全),并用“覆盖情况标记”防止两人同时处理同一家协会:标记变了答 409,行里显示
最新情况。
"""
from __future__ import annotations

import datetime as dt
import math

from flask import Blueprint, abort, render_template, request, url_for
from jinja2_fragments.flask import render_block
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from core.api import (
    Entity,
    EntityValue,
    Invalid,
    Page,
    Tenant,
    TenantScope,
    current_service,
    current_tenant,
    has_permission,
    is_htmx,
    plugin_enabled_in,
    redirect_to,
    require_permission,
    session,
    subtree_ids,
    use_scope,
)

from .entities import TEMPORARY
from .figures import NO_COVER, WORK_ONLY, Figures, coverage, uncovered_statement
from .snapshots import month_end, parse_month, shift, trend

pages = Blueprint("coverage", __name__, template_folder="templates", static_folder="static")

PER_PAGE = 50
BRANDS_PER_PAGE = 12
THEMES_PER_PAGE = 24
ACT = "coverage.cover"
WORK_FILTERS = {"": "全部", NO_COVER: "尚无任何覆盖", WORK_ONLY: "仅工作覆盖"}
#: The workload columns a user may sort by (``-`` before the name: descending).
WORKLOAD_SORTS = ("on_duty", "assignments", "latest", "name")


# helpers ----------------------------------------------------------------------


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _paged(statement, per_page: int) -> Page:
    """A page of rows (not only entities) of ``statement``: one COUNT and one LIMIT/OFFSET."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    number = min(_page_number(), max(1, math.ceil(total / per_page)))
    rows = [dict(row._mapping) for row in session.execute(statement.limit(per_page).offset((number - 1) * per_page))]
    return Page(rows, number, per_page, total)


def _value(alias, type_name: str, field: str):
    """The join condition of an ``entity_values`` alias onto ``Entity`` for one indexed field."""
    return and_(alias.entity_id == Entity.id, alias.tenant_id == Entity.tenant_id, alias.type == type_name,
                alias.field == field)


def total_of(rows: list[Figures], tenant) -> Figures:
    """The figures of several tenants' rows as one, named after ``tenant``."""
    return Figures(tenant.id, tenant.name, tenant.slug, sum(r.active for r in rows), sum(r.org_covered for r in rows),
                   sum(r.work_covered for r in rows))


def _change(now: float | None, then: float | None) -> float | None:
    return now - then if now is not None and then is not None else None


def _on_duty(instructor: dict, day: str) -> bool:
    """Whether an instructor record's term covers ``day`` (ISO), as the coverage figures count it."""
    return instructor.get("start_on", "") <= day and (not instructor.get("end_on") or instructor["end_on"] >= day)


def _chart(kind: str, labels: list[str], rows: list[dict]) -> dict:
    """What core/static/reports.js draws: the two rates as percent series."""
    return {"kind": kind, "stacked": False, "labels": labels, "datasets": [
        {"label": "组织覆盖率", "kind": "percent", "data": [row["org_rate"] for row in rows]},
        {"label": "工作覆盖率", "kind": "percent", "data": [row["work_rate"] for row in rows]},
    ]}


def summary_figures(tenant) -> dict:
    """The tenant's figures now (its whole subtree for the city), a year ago (rebuilt from the
    revisions, so no snapshot is needed) and per tenant, plus the 24-month trend."""
    ids = subtree_ids(session, tenant)
    year_ago = shift(parse_month(None), -12)
    with use_scope(session, TenantScope.of(tenant).widened_to(ids)):
        rows = coverage(session, ids)
        then = total_of(coverage(session, ids, cutoff=month_end(year_ago)), tenant)
        months = trend(session, ids, months=24)
    now = total_of(rows, tenant)
    return {
        "now": now, "then": then, "year_ago": year_ago, "rows": rows, "rollup": len(ids) > 1, "months": months,
        "org_change": _change(now.org_rate, then.org_rate), "work_change": _change(now.work_rate, then.work_rate),
    }


# the dashboard ------------------------------------------------------------------


@pages.get("/")
@require_permission("reports.view")
def dashboard(tenant):
    """The figures; on a roll-up, each tenant's row links its own pages where coverage is
    enabled there (elsewhere they answer 404)."""
    figures = summary_figures(current_tenant())
    by_tenant = [row.as_row() for row in figures["rows"]]
    bars = _chart("bar", [row["tenant"] for row in by_tenant], by_tenant) if figures["rollup"] else None
    line = _chart("line", [row["month"] for row in figures["months"]], figures["months"]) if figures["months"] else None
    linked = plugin_enabled_in("coverage", [row.tenant_id for row in figures["rows"]]) if figures["rollup"] else ()
    return render_template("coverage/dashboard.html", figures=figures, bars=bars, line=line, linked=linked)


@pages.get("/summary")
@require_permission("reports.view")
def summary(tenant):
    """The two rates alone: the uncovered list refreshes them after each action."""
    return render_template("coverage/_summary.html", figures=summary_figures(current_tenant()))


# the uncovered list ---------------------------------------------------------------


def _records_of(association_ids: list[int]) -> dict[int, list[dict]]:
    """Each association's live party organisations and instructors on duty (two queries)."""
    if not association_ids:
        return {}
    owner = aliased(EntityValue)
    rows = session.execute(
        select(owner.num_value, Entity.id, Entity.type, Entity.version, Entity.data)
        .select_from(Entity)
        .join(owner, and_(owner.entity_id == Entity.id, owner.tenant_id == Entity.tenant_id, owner.type == Entity.type,
                          owner.field == "association"))
        .where(Entity.type.in_(("party_org", "party_org_member", "instructor")),
               owner.num_value.in_(association_ids), Entity.deleted_at.is_(None))
        .order_by(Entity.id)
    ).all()
    joint_ids = {data.get("party_org") for _, _, kind, _, data in rows if kind == "party_org_member"} - {None}
    joint_names = dict(session.execute(
        select(Entity.id, Entity.data["name"].as_string()).where(Entity.id.in_(joint_ids), Entity.deleted_at.is_(None))
    ).all()) if joint_ids else {}
    today = dt.date.today().isoformat()
    found: dict[int, list[dict]] = {int(association): [] for association in association_ids}
    for association, entity_id, kind, version, data in rows:
        if kind == "instructor":
            label = f"指导员 {data.get('name', '')}" + ("" if _on_duty(data, today) else "(不在派驻期)")
        elif kind == "party_org_member":
            label = joint_names.get(data.get("party_org"), "联合党支部")
        else:
            label = data.get("name", "")
        found[int(association)].append({"id": entity_id, "type": kind, "version": version, "label": label})
    return found


def _mark(records: list[dict]) -> str:
    """What the user saw of an association's coverage; an action on a changed mark answers 409."""
    return ",".join(f"{r['type']}:{r['id']}:{r['version']}" for r in records) or "none"


def _uncovered_row(association_id: int) -> dict | None:
    """The association's row of the list, or None when it is no longer on it."""
    found = session.execute(uncovered_statement((current_tenant().id,), association_id=association_id)).first()
    if found is None:
        return None
    row = dict(found._mapping)
    row["records"] = _records_of([association_id])[association_id]
    row["mark"] = _mark(row["records"])
    return row


def _association_or_404(association_id: int) -> Entity:
    association = session.scalar(select(Entity).where(
        Entity.id == association_id, Entity.type == "association", Entity.tenant_id == current_tenant().id,
        Entity.deleted_at.is_(None)))
    if association is None:
        abort(404)
    return association


@pages.get("/uncovered")
@require_permission("reports.view")
def uncovered(tenant):
    work = request.args.get("work", "")
    work = work if work in WORK_FILTERS else ""
    search = request.args.get("q", "").strip()[:50]
    listing = _paged(uncovered_statement((current_tenant().id,), work=work or None, search=search or None), PER_PAGE)
    records = _records_of([row["association_id"] for row in listing.items])
    for row in listing.items:
        row["records"] = records[row["association_id"]]
        row["mark"] = _mark(row["records"])
    context = {"listing": listing, "work": work, "q": search, "filters": WORK_FILTERS, "may_act": has_permission(ACT)}
    if is_htmx() and request.headers.get("HX-Target") == "uncovered-table":
        return render_block("coverage/uncovered.html", "table", **context)
    return render_template("coverage/uncovered.html", figures=summary_figures(current_tenant()), **context)


@pages.get("/uncovered/<int:association_id>")
@require_permission("reports.view")
def row(tenant, association_id):
    """One row as it is now (the 取消 of a row's form); a plain request goes to the list."""
    association = _association_or_404(association_id)
    if not is_htmx():
        return redirect_to(url_for("coverage.uncovered"))
    return _render_row(association, _uncovered_row(association_id))


def _render_row(association: Entity, current: dict | None, *, message: str = "", status: int = 200, trigger=False):
    body = render_template("coverage/_row.html", row_id=association.id, name=association.data.get("name", ""),
                           row=current, message=message, may_act=has_permission(ACT))
    headers = {"HX-Trigger": "coverage-changed"} if trigger else {}
    return body, status, headers


ACTIONS = {
    "instructor": {
        "title": "派驻党建工作指导员", "type": "instructor", "fields": ("name", "unit", "phone", "start_on"),
        "done": "已派驻指导员 {name}",
    },
    "temporary-branch": {
        "title": "成立临时党支部", "type": "party_org", "fields": ("name", "founded_on", "secretary", "member_count"),
        "done": "已成立 {name}",
    },
}


def _defaults(action: str, association: Entity) -> dict:
    today = dt.date.today().isoformat()
    if action == "instructor":
        return {"start_on": today}
    return {"name": f"{association.data.get('name', '')}临时党支部"[:100], "founded_on": today}


def _record_data(action: str, association: Entity, form) -> dict:
    values = {name: form.get(name, "").strip() for name in ACTIONS[action]["fields"]}
    data = {name: value for name, value in values.items() if value}
    data["association"] = association.id
    if action == "temporary-branch":
        data["kind"] = TEMPORARY
    return data


@pages.route("/uncovered/<int:association_id>/<any(instructor, 'temporary-branch'):action>", methods=("GET", "POST"))
@require_permission(ACT)
def act(tenant, association_id, action):
    """Assign an instructor or found a temporary branch for an uncovered association, in its
    row (htmx) or on a page of its own (a plain link or post)."""
    association = _association_or_404(association_id)
    current = _uncovered_row(association_id)
    spec = ACTIONS[action]
    if request.method == "GET":
        if current is None:
            return _gone(association)
        return _form(association, current, action, _defaults(action, association), {})
    values = {name: request.form.get(name, "") for name in spec["fields"]}
    if current is None:
        return _gone(association, status=409)
    if request.form.get("mark") != current["mark"]:
        return _form(association, current, action, values, {}, status=409,
                     message="这家协会的覆盖情况刚被他人更新(见上方最新情况),请确认后再提交。")
    service = current_service()
    try:
        record = service.create(service.type(spec["type"]), _record_data(action, association, request.form))
    except Invalid as refusal:
        service.rollback()
        return _form(association, current, action, values, refusal.errors, status=422)
    service.commit()
    done = spec["done"].format(name=record.data.get("name", ""))
    if not is_htmx():
        return redirect_to(url_for("coverage.uncovered", q=association.data.get("name", "")))
    return _render_row(association, _uncovered_row(association_id), message=done, trigger=True)


def _gone(association: Entity, *, status: int = 200):
    message = "这家协会已不在未覆盖名单上(已有自己的党组织或联合党支部,或已注销、撤销)。"
    if is_htmx():
        return _render_row(association, None, message=message, status=status)
    return render_template("coverage/action.html", association=association, row=None, message=message), status


def _form(association, current, action, values, errors, *, status: int = 200, message: str = ""):
    spec = ACTIONS[action]
    entity_type = current_service().type(spec["type"])
    context = {"association": association, "row": current, "action": action, "spec": spec, "values": values,
               "errors": errors, "message": message,
               "fields": [entity_type.field(name) for name in spec["fields"]]}
    if is_htmx():
        return render_template("coverage/_row_form.html", **context), status
    return render_template("coverage/action.html", **context), status


# instructors, brands, themes ---------------------------------------------------------


@pages.get("/instructors")
@require_permission("reports.view")
def instructors(tenant):
    """Assignments per instructor (one person = the same name and unit), sorted and paged."""
    sort = request.args.get("sort", "-on_duty")
    key = sort.lstrip("-")
    if key not in WORKLOAD_SORTS:
        sort, key = "-on_duty", "on_duty"
    today = dt.date.today()
    name, unit, start, end = (aliased(EntityValue) for _ in range(4))
    on_duty = and_(start.date_value <= today, or_(end.date_value.is_(None), end.date_value >= today))
    columns = {
        "name": name.text_value,
        "assignments": func.count(Entity.id),
        "on_duty": func.coalesce(func.sum(case((on_duty, 1), else_=0)), 0),
        "latest": func.max(start.date_value),
    }
    order = columns[key].desc() if sort.startswith("-") else columns[key].asc()
    statement = (
        select(name.text_value.label("name"), unit.text_value.label("unit"),
               *(column.label(label) for label, column in columns.items() if label != "name"))
        .select_from(Entity)
        .join(name, _value(name, "instructor", "name"))
        .outerjoin(unit, _value(unit, "instructor", "unit"))
        .outerjoin(start, _value(start, "instructor", "start_on"))
        .outerjoin(end, _value(end, "instructor", "end_on"))
        .where(Entity.type == "instructor", Entity.deleted_at.is_(None), Entity.tenant_id == current_tenant().id)
        .group_by(name.text_value, unit.text_value)
        .order_by(order, name.text_value, unit.text_value)
    )
    listing = _paged(statement, PER_PAGE)
    _attach_current_associations(listing.items, today)
    return render_template("coverage/instructors.html", listing=listing, sort=sort, sorts=WORKLOAD_SORTS)


def _attach_current_associations(people: list[dict], today: dt.date) -> None:
    """The associations each listed instructor is on duty at now (two queries for the page)."""
    for person in people:
        person["associations"] = []
    if not people:
        return
    names = {person["name"] for person in people}
    rows = session.execute(
        select(Entity.data).where(Entity.type == "instructor", Entity.deleted_at.is_(None),
                                  Entity.tenant_id == current_tenant().id,
                                  Entity.data["name"].as_string().in_(names))
    ).scalars().all()
    on_duty = [data for data in rows if _on_duty(data, today.isoformat())]
    ids = {data.get("association") for data in on_duty} - {None}
    titles = dict(session.execute(
        select(Entity.id, Entity.data["name"].as_string()).where(Entity.type == "association", Entity.id.in_(ids))
    ).all()) if ids else {}
    by_person = {(person["name"], person["unit"]): person for person in people}
    for data in on_duty:
        person = by_person.get((data.get("name"), data.get("unit")))
        if person is not None and data.get("association") in titles:
            person["associations"].append((data["association"], titles[data["association"]]))


@pages.get("/brands")
@require_permission("reports.view")
def brands(tenant):
    """The Party-building brands of this tenant's party organisations, as cards."""
    brand = aliased(EntityValue)
    statement = (
        select(Entity.id.label("id"), Entity.data.label("data"), brand.text_value.label("brand"))
        .select_from(Entity)
        .join(brand, _value(brand, "party_org", "brand_name"))
        .where(Entity.type == "party_org", Entity.deleted_at.is_(None), Entity.tenant_id == current_tenant().id,
               brand.text_value != "")
        .order_by(brand.text_value, Entity.id)
    )
    listing = _paged(statement, BRANDS_PER_PAGE)
    ids = {row["data"].get("association") for row in listing.items} - {None}
    titles = dict(session.execute(
        select(Entity.id, Entity.data["name"].as_string()).where(Entity.type == "association", Entity.id.in_(ids))
    ).all()) if ids else {}
    return render_template("coverage/brands.html", listing=listing, titles=titles)


@pages.get("/themes")
@require_permission("entities.view")
def themes(tenant):
    """The monthly Party-day themes: the city's (read-only below it) next to this tenant's own."""
    service = current_service()
    theme = service.type("coverage_theme")
    with service.reading(theme):
        listing = _paged(themes_statement(current_tenant()).order_by(THEME_MONTH.desc(), Entity.id), THEMES_PER_PAGE)
    may_publish = has_permission("entities.edit") and service.may_create(theme)
    return render_template("coverage/themes.html", listing=listing, this_month=parse_month(None),
                           may_publish=may_publish, sources=_tenant_names(current_tenant()))


#: The month of a theme, read from the record itself: themes are a dozen rows a year, and an
#: association account's reads of the projections are confined to its own association's records.
THEME_MONTH = Entity.data["month"].as_string()


def themes_statement(tenant):
    """The live themes ``tenant`` reads (its ancestors' and its own); read inside ``reading``."""
    return (
        select(Entity.id.label("id"), Entity.tenant_id.label("tenant_id"), Entity.data.label("data"),
               THEME_MONTH.label("month"))
        .where(Entity.type == "coverage_theme", Entity.deleted_at.is_(None),
               Entity.tenant_id.in_((*tenant.ancestor_ids, tenant.id)))
    )


def _tenant_names(tenant) -> dict[int, str]:
    """This tenant and its ancestors by id: the 来源 of a published theme."""
    ids = (*tenant.ancestor_ids, tenant.id)
    return dict(session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(ids))).all())
