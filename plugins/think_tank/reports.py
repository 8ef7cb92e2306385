"""智库与会企之声的报表:都在 SQL 里按建了索引的字段分组;市级统计含全部下级单位。"""
from __future__ import annotations

from sqlalchemy import and_, extract, func, select

from core.api import Chart, Column, Entity, EntityValue, Report, count_by

from .entities import BODIES, SUGGESTION_CATEGORIES, SUGGESTION_STATES

COUNT = Column("count", "数量", "integer")


def _complete(rows, field, values):
    present = {row[field] for row in rows}
    rows = rows + [{field: value, "count": 0} for value in values if value not in present]
    order = {value: index for index, value in enumerate(values)}
    rows = [row if row[field] is not None else {**row, field: "未填写"} for row in rows]
    rows = sorted(rows, key=lambda row: (order.get(row[field], len(order)), str(row[field])))
    return rows if any(row["count"] for row in rows) else []


def _by_category(context):
    return _complete(count_by(context, "suggestion", group_by=("category",)), "category", SUGGESTION_CATEGORIES)


def _by_state(context):
    return _complete(count_by(context, "suggestion", group_by=("stage",)), "stage", SUGGESTION_STATES)


def _by_month(context):
    """Suggestions per month of their 提交日期: one grouped statement over the date projection."""
    date = select(EntityValue.entity_id, EntityValue.date_value).where(
        EntityValue.tenant_id.in_(context.tenant_ids), EntityValue.type == "suggestion",
        EntityValue.field == "submitted_on",
    ).subquery()
    year, month = extract("year", date.c.date_value), extract("month", date.c.date_value)
    statement = (
        select(year.label("y"), month.label("m"), func.count(func.distinct(Entity.id)).label("count"))
        .select_from(Entity)
        .join(date, and_(date.c.entity_id == Entity.id))
        .where(Entity.tenant_id.in_(context.tenant_ids), Entity.type == "suggestion", Entity.deleted_at.is_(None))
        .group_by(year, month)
        .order_by(year, month)
    )
    return [{"month": f"{int(y)}-{int(m):02d}", "count": int(count)} for y, m, count in context.session.execute(statement)]


def _reports_per_year(context):
    rows = count_by(context, "industry_report", group_by=("year",))
    return [{"year": str(row["year"]) if row["year"] is not None else "未填写", "count": row["count"]} for row in rows]


def _adopted_by_body(context):
    return _complete(count_by(context, "proposal", group_by=("body",), where={"adopted": "true"}), "body", BODIES)


def unit_totals(context) -> dict[str, int]:
    """The by-unit report's three figures added up over ``context.tenant_ids`` (the 工作台 panel)."""
    rows = _rollup(context)
    return {key: sum(row[key] for row in rows) for key in ("suggestions", "reports", "adopted_proposals")}


def _rollup(context):
    """Per unit: suggestions, industry reports and adopted proposals (three grouped counts)."""
    suggestions = count_by(context, "suggestion", group_by=("tenant",))
    reports = {row["tenant_id"]: row["count"] for row in count_by(context, "industry_report", group_by=("tenant",))}
    adopted = {
        row["tenant_id"]: row["count"]
        for row in count_by(context, "proposal", group_by=("tenant",), where={"adopted": "true"})
    }
    rows = [
        {"tenant": row["tenant"], "suggestions": row["count"], "reports": reports.get(row["tenant_id"], 0),
         "adopted_proposals": adopted.get(row["tenant_id"], 0)}
        for row in suggestions
    ]
    return rows if any(row["suggestions"] or row["reports"] or row["adopted_proposals"] for row in rows) else []


REPORTS = (
    Report(
        name="think_tank.suggestions_by_category",
        title="会企之声建议按类别统计",
        description="各类别的建议数量;市级统计含下级单位。",
        query=_by_category,
        columns=(Column("category", "类别"), COUNT),
        chart=Chart("bar", label="category", series=("count",)),
        rollup=True,
    ),
    Report(
        name="think_tank.suggestions_by_state",
        title="会企之声建议按办理状态统计",
        description="已提交、已分办、办理中、已答复、已采纳、未采纳各有多少;市级统计含下级单位。",
        query=_by_state,
        columns=(Column("stage", "办理状态"), COUNT),
        chart=Chart("bar", label="stage", series=("count",)),
        rollup=True,
    ),
    Report(
        name="think_tank.suggestions_by_month",
        title="会企之声建议按月统计",
        description="按提交日期所在月份统计建议数量;市级统计含下级单位。",
        query=_by_month,
        columns=(Column("month", "月份"), COUNT),
        chart=Chart("line", label="month", series=("count",)),
        rollup=True,
    ),
    Report(
        name="think_tank.reports_per_year",
        title="行业发展报告按年度统计",
        description="每年形成的行业发展报告数量;市级统计含下级单位。",
        query=_reports_per_year,
        columns=(Column("year", "年度"), COUNT),
        chart=Chart("bar", label="year", series=("count",)),
        rollup=True,
    ),
    Report(
        name="think_tank.adopted_proposals_by_body",
        title="已采纳建议提案按类别统计",
        description="已采纳的人大代表建议和政协委员提案数量;市级统计含下级单位。",
        query=_adopted_by_body,
        columns=(Column("body", "类别"), COUNT),
        chart=Chart("doughnut", label="body", series=("count",)),
        rollup=True,
    ),
    Report(
        name="think_tank.rollup",
        title="智库与会企之声汇总",
        description="各单位的会企之声建议、行业发展报告和已采纳建议提案数量;市级含全部下级单位,末行为合计。",
        query=_rollup,
        columns=(
            Column("tenant", "单位"),
            Column("suggestions", "会企之声建议", "integer"),
            Column("reports", "行业发展报告", "integer"),
            Column("adopted_proposals", "已采纳建议提案", "integer"),
        ),
        chart=Chart("bar", label="tenant", series=("suggestions", "reports", "adopted_proposals")),
        rollup=True,
    ),
)
