"""月度快照:每个租户每月一行,只记本租户自己的协会(市级汇总时再按下级相加)。"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, BigId, TenantOwned, UTCDateTime, utcnow


class CoverageSnapshot(TenantOwned, Base):
    __tablename__ = "coverage_snapshots"
    __table_args__ = (Index("ix_coverage_snapshots_tenant_month", "tenant_id", "month", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: YYYY-MM:该月月底(当月则为计算时)的状态。
    month: Mapped[str] = mapped_column(String(7))
    active: Mapped[int] = mapped_column(default=0)
    org_covered: Mapped[int] = mapped_column(default=0)
    work_covered: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
