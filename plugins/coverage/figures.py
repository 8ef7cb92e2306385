"""两个覆盖的计算,全部在 SQL 里完成。

同一套口径有两个数据来源:

- 现在:未删除的记录本身(`entities.data`),按单位和类型走索引取出;
- 某个过去时刻:修改记录(`entity_revisions`),每条记录取该时刻之前最新的一次修改,
  最新一次是删除的不算。

两者都先整理成同样的几张“表”(协会、党组织、联合覆盖、指导员),覆盖的口径只写一遍。
“现在”读记录里的值而不读索引投影:统计要的是一个单位某类记录的全部,按单位和类型
顺序读一遍,比为每条记录到投影表里各查三次值快得多(指导员有几十万条时尤其如此)。
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, case, func, or_, select, union
from sqlalchemy.orm import aliased

from core.api import Entity, EntityRevision, Tenant, counted

from .entities import KINDS, ORGANISATIONAL_KINDS

#: 注销、撤销的协会不在统计范围(分母)里。
INACTIVE_STATUSES = ("注销", "撤销")

#: 每类记录用到的字段;引用(num)取整数,文字和日期(ISO 文本)取字符串。
_FIELDS = {
    "association": {"name": "text", "status": "text"},
    "party_org": {"kind": "text", "association": "num"},
    "party_org_member": {"party_org": "num", "association": "num"},
    "instructor": {"association": "num", "start_on": "date", "end_on": "date"},
}


@dataclasses.dataclass
class Figures:
    tenant_id: int
    tenant: str
    tenant_slug: str
    active: int
    org_covered: int
    work_covered: int

    @property
    def org_rate(self) -> float | None:
        return self.org_covered / self.active if self.active else None

    @property
    def work_rate(self) -> float | None:
        return self.work_covered / self.active if self.active else None

    def as_row(self) -> dict:
        return {**dataclasses.asdict(self), "org_rate": self.org_rate, "work_rate": self.work_rate}


def _values(data, type_name: str) -> list:
    """The columns of ``type_name``'s fields, read from a record's JSON ``data``."""
    return [
        (data[name].as_integer() if kind == "num" else data[name].as_string()).label(name)
        for name, kind in _FIELDS[type_name].items()
    ]


def _live(type_name: str, tenant_ids: Sequence[int]):
    statement = select(Entity.id.label("id"), Entity.tenant_id.label("tenant_id"), *_values(Entity.data, type_name))
    statement = statement.where(Entity.tenant_id.in_(tenant_ids), Entity.type == type_name, Entity.deleted_at.is_(None),
                                counted(Entity.data))
    return statement.cte(f"{type_name}_now")


def _as_of(type_name: str, tenant_ids: Sequence[int], cutoff: dt.datetime):
    latest = (
        select(EntityRevision.entity_id, func.max(EntityRevision.version).label("version"))
        .join(Entity, and_(Entity.id == EntityRevision.entity_id, Entity.tenant_id == EntityRevision.tenant_id))
        .where(Entity.type == type_name, EntityRevision.tenant_id.in_(tenant_ids), EntityRevision.at < cutoff)
        .group_by(EntityRevision.entity_id)
        .subquery()
    )
    revision = aliased(EntityRevision)
    statement = (
        select(revision.entity_id.label("id"), revision.tenant_id.label("tenant_id"), *_values(revision.after, type_name))
        .join(latest, and_(revision.entity_id == latest.c.entity_id, revision.version == latest.c.version))
        .where(revision.tenant_id.in_(tenant_ids), revision.action != "delete", counted(revision.after))
    )
    return statement.cte(f"{type_name}_then")


def _sources(tenant_ids: Sequence[int], cutoff: dt.datetime | None):
    if cutoff is None:
        return {name: _live(name, tenant_ids) for name in _FIELDS}
    return {name: _as_of(name, tenant_ids, cutoff) for name in _FIELDS}


def _covered(sources, day: dt.date):
    """(组织覆盖的协会 id, 工作覆盖的协会 id) 两个子查询。"""
    orgs, members, instructors = sources["party_org"], sources["party_org_member"], sources["instructor"]
    on_day = day.isoformat()  # dates are ISO text in the records' JSON

    def by_kinds(kinds):
        return union(
            select(orgs.c.association.label("association_id")).where(orgs.c.kind.in_(kinds)),
            select(members.c.association).where(members.c.party_org.in_(select(orgs.c.id).where(orgs.c.kind.in_(kinds)))),
        )

    organisational = by_kinds(ORGANISATIONAL_KINDS)
    work = union(
        by_kinds(KINDS).subquery().select(),
        select(instructors.c.association).where(
            instructors.c.start_on <= on_day, or_(instructors.c.end_on.is_(None), instructors.c.end_on >= on_day)
        ),
    )
    return organisational, work


def coverage(session, tenant_ids: Sequence[int], *, cutoff: dt.datetime | None = None,
             day: dt.date | None = None) -> list[Figures]:
    """每个租户自己的两个覆盖(按租户树的顺序);``cutoff`` 给出时按修改记录重算那个时刻的状态。

    ``day`` 是判断指导员是否在岗的日期(默认今天,或 ``cutoff`` 前一天)。
    """
    tenant_ids = tuple(tenant_ids)
    historic = cutoff is not None
    if day is None:
        day = (cutoff - dt.timedelta(microseconds=1)).date() if historic else dt.date.today()
    sources = _sources(tenant_ids, cutoff)
    associations = sources["association"]
    organisational, work = _covered(sources, day)
    active = or_(associations.c.status.is_(None), associations.c.status.not_in(INACTIVE_STATUSES))
    statement = (
        select(
            Tenant.id, Tenant.name, Tenant.slug,
            func.count(associations.c.id),
            func.coalesce(func.sum(case((associations.c.id.in_(organisational), 1), else_=0)), 0),
            func.coalesce(func.sum(case((associations.c.id.in_(work), 1), else_=0)), 0),
        )
        .select_from(Tenant)
        .outerjoin(associations, and_(associations.c.tenant_id == Tenant.id, active))
        .where(Tenant.id.in_(tenant_ids))
        .group_by(Tenant.id, Tenant.name, Tenant.slug, Tenant.position)
        .order_by(Tenant.position, Tenant.id)
    )
    return [
        Figures(tenant_id, name, slug, int(count or 0), int(org or 0), int(work_count or 0))
        for tenant_id, name, slug, count, org, work_count in session.execute(statement)
    ]


NO_COVER, WORK_ONLY = "未覆盖", "已工作覆盖"


def uncovered_statement(tenant_ids: Sequence[int], *, day: dt.date | None = None, work: str | None = None,
                        search: str | None = None, association_id: int | None = None):
    """尚未组织覆盖的在册协会(现在),每家注明是否已有工作覆盖(临时党支部或在岗指导员)。

    ``work`` 只留“未覆盖”或“已工作覆盖”的;``search`` 按协会名称包含查找;``association_id``
    只看这一家。按单位、名称排序。
    """
    tenant_ids = tuple(tenant_ids)
    sources = _sources(tenant_ids, None)
    associations = sources["association"]
    organisational, covered = _covered(sources, day or dt.date.today())
    is_work_covered = associations.c.id.in_(covered)
    statement = (
        select(
            Tenant.name.label("tenant"), Tenant.slug.label("tenant_slug"), associations.c.id.label("association_id"),
            associations.c.name.label("name"), associations.c.status.label("status"),
            case((is_work_covered, WORK_ONLY), else_=NO_COVER).label("work"),
        )
        .join(Tenant, Tenant.id == associations.c.tenant_id)
        .where(
            or_(associations.c.status.is_(None), associations.c.status.not_in(INACTIVE_STATUSES)),
            associations.c.id.not_in(organisational),
        )
        .order_by(Tenant.position, Tenant.id, associations.c.name, associations.c.id)
    )
    if work == WORK_ONLY:
        statement = statement.where(is_work_covered)
    elif work == NO_COVER:
        statement = statement.where(~is_work_covered)
    if search:
        statement = statement.where(associations.c.name.contains(search, autoescape=True))
    if association_id is not None:
        statement = statement.where(associations.c.id == association_id)
    return statement


def uncovered(session, tenant_ids: Sequence[int], *, day: dt.date | None = None) -> list[dict]:
    """:func:`uncovered_statement` 的全部行。"""
    return [dict(row._mapping) for row in session.execute(uncovered_statement(tenant_ids, day=day))]
