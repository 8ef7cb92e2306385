"""规范整治的页面:行动看板、案件列表、案件详情(办理和时间线)、协会的自查自纠填报。

目录(情形、措施、行动)用平台的通用记录页维护,市级以外只读。列表的筛选、排序和
计数都在建了索引的投影上完成;协会账号只看到本协会的案件,由平台的会话保证。
"""
from __future__ import annotations

import datetime as dt
import math

from flask import Blueprint, abort, g, render_template, request, url_for
from jinja2_fragments.flask import render_block
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import aliased

from core.api import (
    Conflict,
    Entity,
    EntityValue,
    Invalid,
    NotFound,
    Page,
    ReportContext,
    current_service,
    has_permission,
    int_argument,
    invalid_form,
    is_htmx,
    redirect_to,
    require_permission,
    session,
    subtree_ids,
    transition_form,
    use_scope,
)

from . import reports
from .cases import catalogue, current_campaign, fire, measures, overdue_days
from .entities import CAMPAIGN, CASE, LEAD, MEASURE, PHASES, RECTIFYING, SELF_INSPECTION, SITUATION, SOURCES, STATES

pages = Blueprint("rectification", __name__, template_folder="templates", static_folder="static")

PER_PAGE = 50
SORTS = {"-found_on": "发现日期(新的在前)", "found_on": "发现日期(早的在前)", "deadline": "整改期限(近的在前)",
         "-id": "最近登记"}
ACTIONS = {"create": "登记", "update": "修改", "delete": "删除", "restore": "恢复"}


def _case_type():
    case_type = current_service().type(CASE)
    if case_type is None:
        abort(404)
    return case_type


def _titles(type_name: str) -> dict[int, str]:
    return {row.id: row.data.get("name", f"#{row.id}") for row in catalogue(current_service(), type_name)}


def _association_names(ids) -> dict[int, str]:
    ids = set(ids) - {None}
    if not ids:
        return {}
    rows = session.execute(select(Entity.id, Entity.data).where(Entity.type == "association", Entity.id.in_(ids)))
    return {entity_id: (data or {}).get("name", f"#{entity_id}") for entity_id, data in rows}


def _value(field: str, column: str, values):
    """Cases whose indexed ``field`` is any of ``values``."""
    return Entity.id.in_(select(EntityValue.entity_id).where(
        EntityValue.type == CASE, EntityValue.field == field, getattr(EntityValue, column).in_(values)))


def _overdue(today: dt.date):
    return and_(_value("stage", "text_value", (RECTIFYING,)), Entity.id.in_(select(EntityValue.entity_id).where(
        EntityValue.type == CASE, EntityValue.field == "deadline", EntityValue.date_value < today)))


def panel_figures(tenant_ids: tuple[int, ...], today: dt.date) -> dict:
    """The 工作台 panel's figures over ``tenant_ids`` (the session may read them): cases by
    stage, and those past their deadline still being rectified (逾期未整改)."""
    live = (Entity.type == CASE, Entity.deleted_at.is_(None), Entity.tenant_id.in_(tenant_ids))
    stages = dict(session.execute(
        select(EntityValue.text_value, func.count(distinct(Entity.id)))
        .join(Entity, Entity.id == EntityValue.entity_id)
        .where(EntityValue.type == CASE, EntityValue.field == "stage", *live)
        .group_by(EntityValue.text_value)
    ).all())
    overdue = session.scalar(select(func.count(Entity.id)).where(*live, _overdue(today)))
    return {"stages": stages, "states": STATES, "overdue": overdue or 0}


# the board ----------------------------------------------------------------


@pages.get("/")
@require_permission("entities.view")
def board(tenant):
    """The current campaign's phases, this tenant's cases by source and state, and (for the
    city) every unit's figures from the roll-up report."""
    _case_type()
    today = dt.date.today()
    campaign = current_campaign(current_service())
    phases = []
    if campaign is not None:
        for key, label in PHASES:
            start, end = campaign.data.get(f"{key}_start"), campaign.data.get(f"{key}_end")
            phases.append({"label": label, "start": start, "end": end,
                           "current": bool(start and end and start <= today.isoformat() <= end)})
    source, stage = aliased(EntityValue), aliased(EntityValue)
    counts = session.execute(
        select(source.text_value, stage.text_value, func.count(distinct(Entity.id)))
        .select_from(Entity)
        .join(source, and_(source.entity_id == Entity.id, source.type == CASE, source.field == "source"))
        .join(stage, and_(stage.entity_id == Entity.id, stage.type == CASE, stage.field == "stage"))
        .where(Entity.type == CASE, Entity.deleted_at.is_(None), Entity.tenant_id == g.tenant.id)
        .group_by(source.text_value, stage.text_value)
    ).all()
    matrix = {(row_source, row_stage): count for row_source, row_stage, count in counts}
    row_totals: dict[str, int] = {}
    for (row_source, _), count in matrix.items():
        row_totals[row_source] = row_totals.get(row_source, 0) + count
    overdue = session.scalar(
        select(func.count(Entity.id)).where(Entity.type == CASE, Entity.deleted_at.is_(None),
                                            Entity.tenant_id == g.tenant.id, _overdue(today)))
    return render_template(
        "rectification/board.html", campaign=campaign, phases=phases, matrix=matrix, sources=SOURCES,
        states=STATES, overdue=overdue, total=sum(matrix.values()), row_totals=row_totals, units=_units(),
    )


def _units() -> list[dict]:
    """For a tenant with units below it (the city), each unit's figures, as the by-unit report counts them."""
    ids = tuple(subtree_ids(session, g.tenant))
    if len(ids) < 2 or not has_permission("reports.view"):
        return []
    context = ReportContext(session=session, tenant=g.tenant, tenant_ids=ids, rollup=True, params={},
                            service=current_service())
    with use_scope(session, session.scope.widened_to(ids)):
        return reports.by_tenant(context)


# the case list --------------------------------------------------------------


def _int(name: str) -> int | None:
    return int_argument(request.args, name)


@pages.get("/cases/")
@require_permission("entities.view")
def cases(tenant):
    """Cases filtered by state, source, situation, measure and overdue, searched by name, sorted, paged."""
    _case_type()
    today = dt.date.today()
    chosen = {
        "stage": request.args.get("stage", ""), "source": request.args.get("source", ""),
        "situation": _int("situation"), "measure": _int("measure"), "overdue": request.args.get("overdue") == "1",
        "q": request.args.get("q", "").strip()[:50], "sort": request.args.get("sort", ""),
    }
    if chosen["sort"] not in SORTS:
        chosen["sort"] = "-found_on"
    conditions = [Entity.type == CASE, Entity.deleted_at.is_(None), Entity.tenant_id == g.tenant.id]
    if chosen["stage"] in STATES:
        conditions.append(_value("stage", "text_value", (chosen["stage"],)))
    if chosen["source"] in SOURCES:
        conditions.append(_value("source", "text_value", (chosen["source"],)))
    for field in ("situation", "measure"):
        if chosen[field] is not None:
            conditions.append(_value(field, "num_value", (chosen[field],)))
    if chosen["overdue"]:
        conditions.append(_overdue(today))
    if chosen["q"]:
        conditions.append(Entity.id.in_(select(EntityValue.entity_id).where(
            EntityValue.type == CASE, EntityValue.field == "title", EntityValue.text_value.contains(chosen["q"]))))
    total = session.scalar(select(func.count(Entity.id)).where(*conditions))
    number = max(1, min(_int("page") or 1, math.ceil(total / PER_PAGE) or 1))
    statement = select(Entity).where(*conditions)
    sort = chosen["sort"].lstrip("-")
    descending = chosen["sort"].startswith("-")
    if sort == "id":
        statement = statement.order_by(Entity.id.desc() if descending else Entity.id)
    else:
        key = aliased(EntityValue)
        statement = statement.outerjoin(key, and_(key.entity_id == Entity.id, key.type == CASE, key.field == sort))
        order = key.date_value.desc() if descending else key.date_value.asc()
        statement = statement.order_by(order.nulls_last(), Entity.id.desc())
    items = list(session.scalars(statement.limit(PER_PAGE).offset((number - 1) * PER_PAGE)))
    context = {
        "page": Page(items, number, PER_PAGE, total), "chosen": chosen, "states": STATES, "sources": SOURCES, "sorts": SORTS,
        "situations": _titles(SITUATION), "measures": _titles(MEASURE),
        "associations": _association_names(item.data.get("association") for item in items),
        "overdue_days": {item.id: overdue_days(item.data, today) for item in items},
        "may_file": has_permission("entities.edit") and current_service().may_create(_case_type()),
        "page_url": lambda n: url_for("rectification.cases", **{**request.args.to_dict(), "page": n}),
    }
    if is_htmx() and request.headers.get("HX-Target") == "case-table":
        return render_block("rectification/cases.html", "table", **context)
    return render_template("rectification/cases.html", **context)


# one case -------------------------------------------------------------------


def _case(case_type, case_id: int) -> Entity:
    try:
        return current_service().get(case_type, case_id)
    except NotFound:
        abort(404)


def _timeline(case_type, revisions) -> list[dict]:
    """Every revision, newest first: what was done, by whom, the state before and after, the reason."""
    workflow = case_type.workflow
    entries = []
    for revision in revisions:
        before, after = revision.before or {}, revision.after or {}
        if revision.action.startswith("transition:"):
            transition = workflow.transition(revision.action.split(":", 1)[1])
            label = transition.label if transition is not None else revision.action
        else:
            label = ACTIONS.get(revision.action, revision.action)
        entries.append({"revision": revision, "label": label, "from": before.get(workflow.field),
                        "to": after.get(workflow.field), "reason": revision.reason or ""})
    return entries[::-1]


def _case_context(case_type, case: Entity, **workflow) -> dict:
    service = current_service()
    known = measures(service)
    situations = _titles(SITUATION)
    transitions = service.available_transitions(case_type, case)
    campaign = case.data.get("campaign")
    return {
        "case_type": case_type, "case": case, "transitions": transitions,
        "timeline": _timeline(case_type, service.revisions(case)),
        "association": _association_names([case.data.get("association")]).get(case.data.get("association"), ""),
        "campaign": _titles(CAMPAIGN).get(campaign, "") if campaign else "",
        "situations": situations, "measures": known, "overdue_days": overdue_days(case.data),
        "active": None, "errors": {}, "input": {}, "message": "",
        "may_edit": has_permission("entities.edit") and (
            getattr(service.actor, "association_id", None) is None
            or (case.data.get("stage") == LEAD and case.data.get("source") == SELF_INSPECTION)),
        **workflow,
    }


@pages.get("/cases/<int:case_id>")
@require_permission("entities.view")
def case(tenant, case_id):
    case_type = _case_type()
    return render_template("rectification/case.html", **_case_context(case_type, _case(case_type, case_id)))


@pages.post("/cases/<int:case_id>/transitions/<name>")
@require_permission("entities.view")
def transition(tenant, case_id, name):
    """Fire a transition (who may is the transition's rule); 作出处理 ends the registration
    in the same transaction when the measure says so. A refused role is the core's 403,
    audited there."""
    case_type = _case_type()
    record = _case(case_type, case_id)
    asked = transition_form(case_type, name, request.form)
    chosen, expected, values, reason = asked.transition, asked.version, asked.values, asked.reason
    service = current_service()
    try:
        fire(service, case_type, record, name, expected, reason=reason, values=values)
    except Conflict:
        service.rollback()
        current = _case(case_type, case_id)
        message = (f"案件在您查看之后已被修改(现为「{current.data.get('stage')}」),「{chosen.label}」没有执行。"
                   "请看清当前状态后再操作。")
        return _workflow_answer(case_type, current, 409, message=message)
    except Invalid as refusal:
        service.rollback()
        return _workflow_answer(case_type, _case(case_type, case_id), 422, active=name, errors=refusal.errors,
                                input={**values, "reason": reason}, message=f"「{chosen.label}」没有执行:")
    service.commit()
    return redirect_to(url_for("rectification.case", case_id=case_id))


def _workflow_answer(case_type, record: Entity, status: int, **workflow):
    """A refused transition: htmx swaps the 办理 panel in place, with the message; nothing changed."""
    context = _case_context(case_type, record, **workflow)
    if is_htmx():
        return render_block("rectification/case.html", "workflow", **context), status
    return render_template("rectification/case.html", **context), status


# self-inspection ------------------------------------------------------------


@pages.route("/self-inspection", methods=["GET", "POST"])
@require_permission("entities.edit")
def self_inspection(tenant):
    """An association reports a problem it found itself; staff may file one for an association."""
    case_type = _case_type()
    service = current_service()
    own = getattr(service.actor, "association_id", None)
    campaign = current_campaign(service)
    values = {"found_on": dt.date.today().isoformat()}
    errors: dict = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in ("title", "situation", "found_on", "description")}
        raw = {**values, "source": SELF_INSPECTION, "association": own or request.form.get("association", "")}
        if campaign is not None:
            raw["campaign"] = campaign.id
        try:
            record = service.create(case_type, raw)
        except Invalid as refusal:
            service.rollback()
            errors = refusal.errors
            values["association"] = raw["association"]
        else:
            service.commit()
            return redirect_to(url_for("rectification.case", case_id=record.id))
    context = {
        "values": values, "errors": errors, "own_association": own, "situations": _titles(SITUATION),
        "associations": [] if own is not None else _all_associations(),
    }
    if errors:
        if is_htmx():
            return invalid_form(render_block("rectification/self_inspection.html", "form", **context), "#self-inspection")
        return render_template("rectification/self_inspection.html", **context), 422
    return render_template("rectification/self_inspection.html", **context)


def _all_associations() -> list[tuple[int, str]]:
    name = aliased(EntityValue)
    return session.execute(
        select(Entity.id, name.text_value)
        .outerjoin(name, and_(name.entity_id == Entity.id, name.type == "association", name.field == "name"))
        .where(Entity.type == "association", Entity.deleted_at.is_(None), Entity.tenant_id == g.tenant.id)
        .order_by(name.text_value, Entity.id)
        .limit(500)
    ).all()
