"""Reports as JSON::

    GET /api/v1/<tenant>/reports            {"items": [{"name", "title", "plugin"}, ...]}
    GET /api/v1/<tenant>/reports/<name>     {"name", "title", "plugin", "description",
                                             "tenant", "rollup", "parameters", "columns",
                                             "rows", "total"}

``rows`` are objects keyed by column name; ``total`` is the 合计 row (or null) and is
not among ``rows``. Numbers are JSON numbers; a percentage is a fraction (0.25).
Parameters come in the query string, as on the page (``?category=商会``; a roll-up
takes ``scope=own`` for the tenant's own records only). An unknown report, or one
whose plugin is not enabled here, is 404; a bad parameter is 422 naming it.
"""
from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from flask import Blueprint, g

from ..auth.permissions import require_permission
from ..web.errors import error_response
from .definitions import ParameterError, ReportResult
from .views import ReportFailed, report_or_404, run, tenant_reports

bp = Blueprint("report_api", __name__, url_prefix="/api/v1/<tenant>/reports")


@bp.get("")
@require_permission("reports.view")
def list_reports(tenant):
    return {"items": [report.to_summary() for report in tenant_reports()]}


@bp.get("/<name>")
@require_permission("reports.view")
def report(tenant, name):
    found = report_or_404(name)
    try:
        result = run(found)
    except ParameterError as refusal:
        return error_response(422, f"参数 {refusal.parameter} 不可用:{refusal.message}", {refusal.parameter: [refusal.message]})
    except ReportFailed:
        return error_response(500, "报表生成时出错,已记录下来。请稍后重试,或联系管理员。")
    return result_json(result)


def result_json(result: ReportResult) -> dict[str, Any]:
    columns = result.columns
    return {
        **result.report.to_summary(),
        "description": result.report.description,
        "tenant": g.tenant.slug,
        "rollup": result.context.rollup,
        "scope_label": result.scope_label,
        "parameters": {name: json_value(value) for name, value in result.context.params.items()},
        "columns": [column.to_json() for column in columns],
        "rows": [{c.name: json_value(row.get(c.name)) for c in columns} for row in result.rows],
        "total": {c.name: json_value(result.total.get(c.name)) for c in columns} if result.total else None,
    }


def json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else round(float(value), 6)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
