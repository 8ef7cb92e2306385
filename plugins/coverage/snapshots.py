"""月度快照:按修改记录重算某月月底的两个覆盖,存入 coverage_snapshots。

一个月的数字是该月最后一刻(UTC)的状态;当月则是计算那一刻的状态。因为用的是
修改记录,任何漏掉的月份都可以事后补算,结果与当时算的一致。
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from core.api import utcnow

from .figures import Figures, coverage
from .models import CoverageSnapshot

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """月份写错了;消息是中文。"""


def parse_month(text: str | None, *, today: dt.date | None = None) -> str:
    today = today or utcnow().date()
    if not text:
        return f"{today.year:04d}-{today.month:02d}"
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1990:
        raise MonthError(f"月份“{text}”格式不对,应为 YYYY-MM,例如 2025-06")
    month = text.strip()
    if month > f"{today.year:04d}-{today.month:02d}":
        raise MonthError(f"{month} 还没有到,不能生成快照")
    return month


def month_end(month: str) -> dt.datetime:
    """该月之后的第一刻(UTC):快照取这一刻之前的最新状态。"""
    year, number = int(month[:4]), int(month[5:])
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return dt.datetime(year, number, 1, tzinfo=dt.UTC)


def shift(month: str, months: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def figures_for_month(session, tenant, month: str) -> Figures:
    """按修改记录重算 ``tenant`` 自己的协会在 ``month`` 月底的覆盖(不写入)。"""
    cutoff = min(month_end(month), utcnow())
    return coverage(session, (tenant.id,), cutoff=cutoff)[0]


def take_snapshot(session, tenant, month: str) -> CoverageSnapshot:
    """重算并保存(已有的同月快照被覆盖);由调用者提交。"""
    figures = figures_for_month(session, tenant, month)
    snapshot = session.scalar(
        select(CoverageSnapshot).where(CoverageSnapshot.tenant_id == tenant.id, CoverageSnapshot.month == month)
    )
    if snapshot is None:
        snapshot = CoverageSnapshot(tenant_id=tenant.id, month=month)
        session.add(snapshot)
    snapshot.active = figures.active
    snapshot.org_covered = figures.org_covered
    snapshot.work_covered = figures.work_covered
    snapshot.computed_at = utcnow()
    session.flush()
    return snapshot


def trend(session, tenant_ids, *, months: int = 24, today: dt.date | None = None) -> list[dict]:
    """最近 ``months`` 个月的快照,各租户逐月相加(一条分组查询)。"""
    last = parse_month(None, today=today)
    first = shift(last, -(months - 1))
    statement = (
        select(
            CoverageSnapshot.month,
            func.sum(CoverageSnapshot.active),
            func.sum(CoverageSnapshot.org_covered),
            func.sum(CoverageSnapshot.work_covered),
        )
        .where(CoverageSnapshot.tenant_id.in_(tuple(tenant_ids)), CoverageSnapshot.month >= first,
               CoverageSnapshot.month <= last)
        .group_by(CoverageSnapshot.month)
        .order_by(CoverageSnapshot.month)
    )
    rows = []
    for month, active, org, work in session.execute(statement):
        active, org, work = int(active or 0), int(org or 0), int(work or 0)
        rows.append({
            "month": month, "active": active, "org_covered": org, "work_covered": work,
            "org_rate": org / active if active else None, "work_rate": work / active if active else None,
        })
    by_month = {row["month"]: row for row in rows}
    for row in rows:
        before = by_month.get(shift(row["month"], -12))
        row["org_change"] = (
            row["org_rate"] - before["org_rate"]
            if before and before["org_rate"] is not None and row["org_rate"] is not None else None
        )
    return rows


def previous_month(due: dt.datetime) -> str:
    """The month that ended just before ``due`` (the 1st of a month): the one to snapshot."""
    return shift(f"{due.year:04d}-{due.month:02d}", -1)


def snapshot_job(job) -> dict:
    """The monthly snapshot of one tenant, as a job (the schedule starts one per tenant)."""
    from core.api import session

    saved = take_snapshot(session, job.tenant, job.params["month"])
    session.commit()
    return {"month": saved.month, "active": saved.active, "org_covered": saved.org_covered,
            "work_covered": saved.work_covered}
