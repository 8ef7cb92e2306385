"""党建覆盖的报表:按单位的两个覆盖、未组织覆盖名单、近 24 个月走势。"""
from __future__ import annotations

from core.api import Chart, Column, Report, ReportContext

from .figures import coverage, uncovered
from .snapshots import trend

RATE_COLUMNS = (
    Column("active", "在册协会", "integer"),
    Column("org_covered", "组织覆盖数", "integer"),
    Column("org_rate", "组织覆盖率", "percent"),
    Column("work_covered", "工作覆盖数", "integer"),
    Column("work_rate", "工作覆盖率", "percent"),
)


def _by_tenant(context: ReportContext):
    return [figures.as_row() for figures in coverage(context.session, context.tenant_ids)]


def _uncovered(context: ReportContext):
    return uncovered(context.session, context.tenant_ids)


def _trend(context: ReportContext):
    return trend(context.session, context.tenant_ids, months=24)


REPORTS = (
    Report(
        name="coverage.coverage_by_tenant",
        title="党建两个覆盖(按单位)",
        description="在册协会商会(不含注销、撤销)的组织覆盖和工作覆盖,数量与比率;市级按区县分列,含下级单位。",
        query=_by_tenant,
        columns=(Column("tenant", "单位"), *RATE_COLUMNS),
        chart=Chart("bar", label="tenant", series=("org_rate", "work_rate")),
        rollup=True,
        per_tenant=True,
    ),
    Report(
        name="coverage.uncovered",
        title="尚未组织覆盖的协会商会",
        description="在册协会商会中既没有自己的党组织、也不在联合党支部里的;注明是否已由临时党支部或指导员工作覆盖。",
        query=_uncovered,
        columns=(
            Column("tenant", "单位"), Column("name", "协会商会"), Column("status", "状态"), Column("work", "工作覆盖"),
        ),
        rollup=True,
        total=False,
    ),
    Report(
        name="coverage.coverage_trend",
        title="党建覆盖走势(近 24 个月)",
        description="每月月底的两个覆盖,来自月度快照(quanhui coverage snapshot);市级为全市合计。"
                    "“同比”是组织覆盖率比 12 个月前增加的百分点。",
        query=_trend,
        columns=(Column("month", "月份"), *RATE_COLUMNS, Column("org_change", "组织覆盖率同比", "percent")),
        chart=Chart("line", label="month", series=("org_rate", "work_rate")),
        rollup=True,
        total=False,
    ),
)
