"""百会联百村的报表:对接协会、合作意向、落地项目、分区县投资、市级汇总。

都在 SQL 里按建了索引的字段汇总;“对接协会”是有进行中或已结对(对接中、已结对)结对的
不同协会家数,一家协会结对多个对象只算一次。
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from core.api import Chart, Column, Entity, EntityValue, Report, Tenant, count_by, counted, sum_by

from .entities import DISTRICTS

LINKED_STATES = ("对接中", "已结对")


def _linked(session, tenant_ids: Sequence[int]) -> dict[int, int]:
    """Tenant id → distinct associations with a pairing 对接中 or 已结对: one grouped statement."""
    stage, association = aliased(EntityValue), aliased(EntityValue)
    statement = (
        select(Entity.tenant_id, func.count(func.distinct(association.num_value)))
        .join(stage, and_(stage.entity_id == Entity.id, stage.tenant_id == Entity.tenant_id,
                          stage.type == "pairing", stage.field == "stage"))
        .join(association, and_(association.entity_id == Entity.id, association.tenant_id == Entity.tenant_id,
                                association.type == "pairing", association.field == "association"))
        .where(Entity.type == "pairing", Entity.deleted_at.is_(None), Entity.tenant_id.in_(tuple(tenant_ids)),
               stage.text_value.in_(LINKED_STATES))
        .group_by(Entity.tenant_id)
    )
    return dict(session.execute(statement).all())


def linked_total(session, tenant_ids: Sequence[int]) -> int:
    """Associations with a pairing 对接中 or 已结对, over ``tenant_ids`` (each counted once per tenant)."""
    return sum(_linked(session, tenant_ids).values())


def project_totals(session, tenant_ids: Sequence[int]) -> dict:
    """Count and exact sum of the live projects' amounts over ``tenant_ids``."""
    amount = aliased(EntityValue)
    count, total = session.execute(
        select(func.count(func.distinct(Entity.id)), func.coalesce(func.sum(amount.num_value), 0))
        .select_from(Entity)
        .outerjoin(amount, and_(amount.entity_id == Entity.id, amount.tenant_id == Entity.tenant_id,
                                amount.type == "project", amount.field == "amount"))
        .where(Entity.type == "project", Entity.deleted_at.is_(None), Entity.tenant_id.in_(tuple(tenant_ids)),
               counted(Entity.data))
    ).one()
    return {"count": int(count or 0), "amount": Decimal(total or 0)}


def _rollup(context):
    linked = _linked(context.session, context.tenant_ids)
    intentions = {r["tenant_id"]: r["count"] for r in count_by(context, "intention", group_by=("tenant",))}
    projects = sum_by(context, "project", "amount", group_by=("tenant",))
    rows = [
        {"tenant": row["tenant"], "linked": linked.get(row["tenant_id"], 0),
         "intentions": intentions.get(row["tenant_id"], 0), "projects": row["count"], "amount": row["sum"]}
        for row in projects
    ]
    return rows if any(row["linked"] or row["intentions"] or row["projects"] for row in rows) else []


def _linked_by_tenant(context):
    linked = _linked(context.session, context.tenant_ids)
    names = context.session.execute(
        select(Tenant.id, Tenant.name).where(Tenant.id.in_(context.tenant_ids)).order_by(Tenant.position, Tenant.id))
    rows = [{"tenant": name, "linked": linked.get(tenant_id, 0)} for tenant_id, name in names]
    return rows if any(row["linked"] for row in rows) else []


def _intentions(context):
    rows = count_by(context, "intention", group_by=("tenant",))
    return [{"tenant": r["tenant"], "count": r["count"]} for r in rows] if any(r["count"] for r in rows) else []


def _projects(context):
    rows = sum_by(context, "project", "amount", group_by=("status",))
    return [{"status": r["status"], "count": r["count"], "amount": r["sum"]} for r in rows]


def _by_district(context):
    rows = sum_by(context, "project", "amount", group_by=("district",))
    order = {name: i for i, name in enumerate(DISTRICTS)}
    rows = sorted(rows, key=lambda r: (order.get(r["district"], len(order)), str(r["district"])))
    return [{"district": r["district"] or "未填写", "count": r["count"], "amount": r["sum"]} for r in rows]


REPORTS = (
    Report(
        name="matching.rollup",
        title="百会联百村汇总",
        description="各单位对接的协会商会家数(对接中、已结对)、合作意向、落地项目和投资额;市级含全部下级单位,末行为合计。",
        query=_rollup,
        columns=(Column("tenant", "单位"), Column("linked", "对接协会", "integer"),
                 Column("intentions", "合作意向", "integer"), Column("projects", "落地项目", "integer"),
                 Column("amount", "投资额(元)", "money")),
        chart=Chart("bar", label="tenant", series=("linked", "intentions", "projects")),
        rollup=True,
    ),
    Report(
        name="matching.linked",
        title="对接协会商会家数",
        description="有对接中或已结对结对的不同协会商会家数;市级按单位分列。",
        query=_linked_by_tenant,
        columns=(Column("tenant", "单位"), Column("linked", "对接协会", "integer")),
        chart=Chart("bar", label="tenant", series=("linked",)),
        rollup=True,
    ),
    Report(
        name="matching.intentions",
        title="合作意向",
        description="达成的合作意向数;市级按单位分列。",
        query=_intentions,
        columns=(Column("tenant", "单位"), Column("count", "合作意向", "integer")),
        chart=Chart("bar", label="tenant", series=("count",)),
        rollup=True,
    ),
    Report(
        name="matching.projects",
        title="落地项目",
        description="落地项目按状态的个数和投资额(元,精确到分)。",
        query=_projects,
        columns=(Column("status", "状态"), Column("count", "项目数", "integer"), Column("amount", "投资额(元)", "money")),
        chart=Chart("bar", label="status", series=("count",)),
        rollup=True,
    ),
    Report(
        name="matching.investment_by_district",
        title="投资额按区县",
        description="落地项目按所在区县的个数和投资额(元)。",
        query=_by_district,
        columns=(Column("district", "区县"), Column("count", "项目数", "integer"),
                 Column("amount", "投资额(元)", "money")),
        chart=Chart("bar", label="district", series=("amount",)),
        rollup=True,
    ),
)
