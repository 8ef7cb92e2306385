"""规范整治的报表:总览、按情形、按措施、按单位和逾期名单。

全部在 SQL 里、在建了索引的投影(``entity_values``)上汇总:案件和目录各整理成一张
“表”(每条记录一行,各字段一列),再分组计数。市级的报表含全部下级单位,一条语句完成。
整治对象按协会商会计(同一家协会的多件案件只算一次)。
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import aliased

from core.api import Chart, Column, Entity, EntityValue, Report, ReportContext, Tenant

from .entities import (
    CASE,
    CLOSED,
    ENDING_OUTCOMES,
    HANDLED,
    MEASURE,
    RECTIFYING,
    SITUATION,
    TARGET_STATES,
)

_COLUMNS = {"text": "text_value", "num": "num_value", "date": "date_value"}
CASE_FIELDS = {"title": "text", "stage": "text", "association": "num", "situation": "num", "measure": "num",
               "deadline": "date"}
MEASURE_FIELDS = {"name": "text", "severity": "num", "registration": "text"}
SITUATION_FIELDS = {"name": "text", "position": "num"}


def records(type_name: str, fields: dict[str, str], tenant_ids: Sequence[int]):
    """Live records of ``type_name`` in ``tenant_ids`` as a CTE: id, tenant_id and one column per field."""
    statement = select(Entity.id.label("id"), Entity.tenant_id.label("tenant_id"))
    for name, kind in fields.items():
        value = aliased(EntityValue)
        statement = statement.add_columns(getattr(value, _COLUMNS[kind]).label(name)).outerjoin(
            value, and_(value.entity_id == Entity.id, value.tenant_id == Entity.tenant_id, value.type == type_name,
                        value.field == name),
        )
    statement = statement.where(Entity.type == type_name, Entity.deleted_at.is_(None), Entity.tenant_id.in_(tuple(tenant_ids)))
    return statement.cte(f"{type_name}_rows")


def catalogue_ids(tenant) -> tuple[int, ...]:
    """Whose catalogue records ``tenant`` reads: its own and its ancestors'."""
    return (*tenant.ancestor_ids, tenant.id)


class Tables:
    """The cases of a report's tenants and the catalogues they use, read in one scope."""

    def __init__(self, context: ReportContext, today: dt.date | None = None):
        self.context = context
        self.today = today or dt.date.today()
        self.cases = records(CASE, CASE_FIELDS, context.tenant_ids)
        self.measures = records(MEASURE, MEASURE_FIELDS, catalogue_ids(context.tenant))
        self.situations = records(SITUATION, SITUATION_FIELDS, catalogue_ids(context.tenant))

    def run(self, statement):
        """Execute with the city's catalogues readable (a district reads them, read-only)."""
        with self.context.service.reading(self.context.entity_type(MEASURE)):
            return self.context.session.execute(statement).all()

    @property
    def target(self):
        return self.cases.c.stage.in_(TARGET_STATES)

    @property
    def ended(self):
        """A target whose measure ends the registration."""
        ending = select(self.measures.c.id).where(self.measures.c.registration.in_(ENDING_OUTCOMES))
        return and_(self.target, self.cases.c.measure.in_(ending))

    @property
    def overdue(self):
        return and_(self.cases.c.stage == RECTIFYING, self.cases.c.deadline < self.today)


def _count_if(condition, column=None):
    """COUNT(DISTINCT column) of the rows meeting ``condition`` (the case id by default)."""
    return func.count(distinct(case((condition, column), else_=None)))


def overview(context: ReportContext) -> list[dict]:
    """案件数、整治对象、用到的措施种类、注销撤销、逾期未整改: one statement."""
    tables = Tables(context)
    cases = tables.cases
    statement = select(
        func.count(cases.c.id),
        _count_if(tables.target, cases.c.association),
        _count_if(and_(tables.target, cases.c.measure.is_not(None)), cases.c.measure),
        _count_if(tables.ended, cases.c.association),
        _count_if(tables.overdue, cases.c.id),
    ).select_from(cases)
    total, targets, measures_used, ended, overdue = tables.run(statement)[0]
    if not total:
        return []
    return [
        {"indicator": "整治案件", "value": int(total)},
        {"indicator": "整治对象(协会商会)", "value": int(targets)},
        {"indicator": "用到的处理措施(种)", "value": int(measures_used)},
        {"indicator": "注销、撤销登记(协会商会)", "value": int(ended)},
        {"indicator": "逾期未整改(案件)", "value": int(overdue)},
    ]


def by_tenant(context: ReportContext) -> list[dict]:
    """Per tenant of the subtree (tree order): cases, targets, handled, ended, overdue."""
    tables = Tables(context)
    cases = tables.cases
    handled = cases.c.stage.in_((HANDLED, CLOSED))
    statement = (
        select(
            Tenant.name, Tenant.slug, func.count(cases.c.id),
            _count_if(tables.target, cases.c.association), _count_if(handled, cases.c.id),
            _count_if(tables.ended, cases.c.association), _count_if(tables.overdue, cases.c.id),
        )
        .select_from(Tenant)
        .outerjoin(cases, cases.c.tenant_id == Tenant.id)
        .where(Tenant.id.in_(tuple(context.tenant_ids)))
        .group_by(Tenant.id, Tenant.name, Tenant.slug, Tenant.position)
        .order_by(Tenant.position, Tenant.id)
    )
    rows = [
        {"tenant": name, "tenant_slug": slug, "cases": int(total), "targets": int(targets), "handled": int(done),
         "ended": int(ended), "overdue": int(overdue)}
        for name, slug, total, targets, done, ended, overdue in tables.run(statement)
    ]
    return rows if any(row["cases"] for row in rows) else []


def by_situation(context: ReportContext) -> list[dict]:
    """Every situation of the catalogue, in its order, with its targets (0 where none)."""
    tables = Tables(context)
    situations, cases = tables.situations, tables.cases
    statement = (
        select(situations.c.name, _count_if(tables.target, cases.c.association))
        .select_from(situations)
        .outerjoin(cases, cases.c.situation == situations.c.id)
        .group_by(situations.c.id, situations.c.name, situations.c.position)
        .order_by(situations.c.position, situations.c.id)
    )
    rows = [{"situation": name, "targets": int(count)} for name, count in tables.run(statement)]
    return rows if any(row["targets"] for row in rows) else []


def by_measure(context: ReportContext) -> list[dict]:
    """Every measure, mildest first, with the targets it was chosen for (0 where none)."""
    tables = Tables(context)
    measures, cases = tables.measures, tables.cases
    statement = (
        select(measures.c.name, measures.c.registration, _count_if(tables.target, cases.c.association))
        .select_from(measures)
        .outerjoin(cases, cases.c.measure == measures.c.id)
        .group_by(measures.c.id, measures.c.name, measures.c.registration, measures.c.severity)
        .order_by(measures.c.severity, measures.c.id)
    )
    rows = [{"measure": name, "registration": registration, "targets": int(count)}
            for name, registration, count in tables.run(statement)]
    return rows if any(row["targets"] for row in rows) else []


def overdue_cases(context: ReportContext) -> list[dict]:
    """Cases still being rectified after their deadline, longest overdue first."""
    tables = Tables(context)
    cases = tables.cases
    names = records("association", {"name": "text"}, context.tenant_ids)
    statement = (
        select(Tenant.name, cases.c.id, cases.c.title, names.c.name, cases.c.deadline)
        .select_from(cases)
        .join(Tenant, Tenant.id == cases.c.tenant_id)
        .outerjoin(names, names.c.id == cases.c.association)
        .where(tables.overdue)
        .order_by(cases.c.deadline, Tenant.position, cases.c.id)
    )
    return [
        {"tenant": tenant, "case_id": case_id, "title": title, "association": association,
         "deadline": deadline.isoformat() if deadline else None,
         "days": (tables.today - deadline).days if deadline else None}
        for tenant, case_id, title, association, deadline in tables.run(statement)
    ]


TARGETS = Column("targets", "整治对象", "integer")

REPORTS = (
    Report(
        name="rectification.overview",
        title="规范整治总览",
        description="整治案件、整治对象(按协会商会计)、用到的处理措施种类、注销撤销登记和逾期未整改的数量;"
                    "市级为全市合计(含全部区县)。",
        query=overview,
        columns=(Column("indicator", "指标"), Column("value", "数量", "integer")),
        chart=Chart("bar", label="indicator", series=("value",)),
        rollup=True,
        total=False,
    ),
    Report(
        name="rectification.by_tenant",
        title="规范整治按单位统计",
        description="各单位的整治案件、整治对象、已处理、注销撤销和逾期未整改;市级含全部区县,末行为合计。",
        query=by_tenant,
        columns=(
            Column("tenant", "单位"), Column("cases", "整治案件", "integer"), TARGETS,
            Column("handled", "已处理(案件)", "integer"), Column("ended", "注销撤销", "integer"),
            Column("overdue", "逾期未整改", "integer"),
        ),
        chart=Chart("bar", label="tenant", series=("targets", "ended", "overdue")),
        rollup=True,
    ),
    Report(
        name="rectification.by_situation",
        title="整治对象按问题情形统计",
        description="按市级目录的问题情形统计整治对象(协会商会)数量;市级含全部区县。",
        query=by_situation,
        columns=(Column("situation", "问题情形"), TARGETS),
        chart=Chart("bar", label="situation", series=("targets",)),
        rollup=True,
    ),
    Report(
        name="rectification.by_measure",
        title="整治对象按处理措施统计",
        description="按严厉程度从轻到重列出处理措施,及采用该措施的整治对象数量;市级含全部区县。",
        query=by_measure,
        columns=(Column("measure", "处理措施"), Column("registration", "登记处理"), TARGETS),
        chart=Chart("bar", label="measure", series=("targets",)),
        rollup=True,
    ),
    Report(
        name="rectification.overdue",
        title="逾期未整改的案件",
        description="处于“整改中”且已过整改期限的案件,逾期最久的在前;市级含全部区县。",
        query=overdue_cases,
        columns=(
            Column("tenant", "单位"), Column("case_id", "案件编号", "integer"), Column("title", "案件名称"),
            Column("association", "协会商会"), Column("deadline", "整改期限"), Column("days", "逾期天数", "integer"),
        ),
        rollup=True,
        total=False,
    ),
)
