"""The association directory's reports: by status, by category, by industry chain.

Returned by the core plugin's ``quanhui_reports`` (:mod:`core.builtin`). Each counts
live associations in SQL over the indexed projections; in the city (a tenant with
descendants) each is a roll-up over the whole subtree.
"""
from __future__ import annotations

from ..directory import CATEGORIES, INDUSTRY_CHAINS, STATUSES
from .aggregates import complete, count_by, pivot
from .definitions import Chart, Column, Parameter, Report, ReportContext

TYPE = "association"
#: Column names of the statuses in the per-tenant × status table.
STATUS_COLUMNS = {"正常": "active", "整改中": "rectifying", "注销": "deregistered", "撤销": "revoked"}
NO_VALUE = "未填写"

CATEGORY_PARAMETER = Parameter("category", "类别", choices=CATEGORIES, help="只统计这一类别")
STATUS_PARAMETER = Parameter("status", "状态", choices=STATUSES, help="只统计这一状态")
TENANT_COLUMN = Column("tenant", "单位")
COUNT_COLUMN = Column("count", "数量", "integer")


def _where(context: ReportContext, *names: str) -> dict:
    return {name: context.params.get(name) for name in names}


# by status -------------------------------------------------------------


def _status_columns(context: ReportContext) -> tuple[Column, ...]:
    if context.rollup:
        statuses = tuple(Column(name, status, "integer") for status, name in STATUS_COLUMNS.items())
        return (TENANT_COLUMN, *statuses, Column("total", "合计", "integer"))
    return (Column("status", "状态"), COUNT_COLUMN, Column("share", "占比", "percent"))


def _status_chart(context: ReportContext) -> Chart:
    if context.rollup:
        return Chart("bar", label="tenant", series=tuple(STATUS_COLUMNS.values()), stacked=True)
    return Chart("bar", label="status", series=("count",))


def _by_status(context: ReportContext):
    where = _where(context, "category")
    if context.rollup:
        rows = pivot(
            count_by(context, TYPE, group_by=("tenant", "status"), where=where),
            index=("tenant_id", "tenant"), column="status", keys=STATUS_COLUMNS,
        )
        for row in rows:
            row["total"] = sum(row[name] for name in STATUS_COLUMNS.values())
        return rows
    return _with_share(_labelled(complete(count_by(context, TYPE, group_by=("status",), where=where), "status", STATUSES), "status"))


# by category and by chain ----------------------------------------------


def _by_category(context: ReportContext):
    rows = count_by(context, TYPE, group_by=("category",), where=_where(context, "status"))
    return _with_share(_labelled(complete(rows, "category", CATEGORIES), "category"))


def _by_chain(context: ReportContext):
    rows = count_by(context, TYPE, group_by=("industry_chain",), where=_where(context, "status", "category"))
    return _with_share(_labelled(complete(rows, "industry_chain", INDUSTRY_CHAINS), "industry_chain"))


def _labelled(rows: list[dict], field: str) -> list[dict]:
    """Records without a value are shown as 未填写 (only when there are some)."""
    result = []
    for row in rows:
        if row[field] is None:
            if not row["count"]:
                continue
            row = {**row, field: NO_VALUE}
        result.append(row)
    return result


def _with_share(rows: list[dict]) -> list[dict]:
    total = sum(row["count"] for row in rows)
    if not total:
        return []  # nothing to count: the page shows its empty state
    return [{**row, "share": row["count"] / total} for row in rows]


REPORTS = (
    Report(
        name="association_status",
        title="协会商会按状态统计",
        description="各状态(正常、整改中、注销、撤销)的协会商会数量;市级按区县分列,含下级单位。",
        query=_by_status,
        columns=_status_columns,
        chart=_status_chart,
        rollup=True,
        per_tenant=True,
        parameters=(CATEGORY_PARAMETER,),
    ),
    Report(
        name="association_category",
        title="协会商会按类别统计",
        description="行业协会、商会、异地商会等各类别的数量;市级统计含下级单位。",
        query=_by_category,
        columns=(Column("category", "类别"), COUNT_COLUMN, Column("share", "占比", "percent")),
        chart=Chart("doughnut", label="category", series=("count",)),
        rollup=True,
        parameters=(STATUS_PARAMETER,),
    ),
    Report(
        name="association_chain",
        title="协会商会按产业链统计",
        description="各产业链(“4+10”)的协会商会数量;未填写产业链的单列;市级统计含下级单位。",
        query=_by_chain,
        columns=(Column("industry_chain", "产业链"), COUNT_COLUMN, Column("share", "占比", "percent")),
        chart=Chart("bar", label="industry_chain", series=("count",)),
        rollup=True,
        parameters=(STATUS_PARAMETER, CATEGORY_PARAMETER),
    ),
)
