"""Report pages: the tenant's list of reports, each report as a table with a chart,
a parameter form (htmx swaps the result in place) and an Excel download.

::

    GET /<tenant>/reports/                 the reports this tenant has
    GET /<tenant>/reports/<name>           one report (parameters in the query string)
    GET /<tenant>/reports/<name>.xlsx      the same, as an Excel workbook
"""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request, send_file
from jinja2_fragments.flask import render_block

from ..auth.permissions import deny, has_permission, require_permission
from ..db import session
from ..entities import current_service
from ..web.htmx import is_htmx
from . import excel
from .definitions import ParameterError, Report, ReportResult
from .registry import SCOPE_PARAMETER, SCOPES, produce, registry_for

logger = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/<tenant>/reports")


# shared with the API ------------------------------------------------------


def tenant_reports() -> list[Report]:
    """The reports of the plugins enabled here and of the built types used here, that the user may see."""
    reports = [*registry_for(current_app).available(g.plugins.enabled), *_built_reports().values()]
    return [r for r in reports if has_permission(r.permission)]


def _built_reports() -> dict[str, Report]:
    return current_app.extensions["quanhui.entities"].built(session, g.tenant).reports


def report_or_404(name: str) -> Report:
    """The report ``name`` if its plugin is enabled here; 404 otherwise, 403 without its permission."""
    report = registry_for(current_app).get(name, g.plugins.enabled) or _built_reports().get(name)
    if report is None:
        abort(404, description=f"没有名为 {name[:80]} 的报表,或它所属的插件在本单位未启用。")
    if not has_permission(report.permission):
        deny(report.permission)
    return report


class ReportFailed(Exception):
    """The report's own query raised; logged, and the caller shows a Chinese message."""


def run(report: Report) -> ReportResult:
    """Produce ``report`` for the request's tenant and query string.

    Raises :class:`ParameterError` for a bad parameter and :class:`ReportFailed` when
    the report's query itself fails (a plugin's bug must not answer a bare 500).
    """
    try:
        return produce(report, session=session, tenant=g.tenant, service=current_service(), args=request.args)
    except ParameterError:
        raise
    except Exception as exc:
        logger.exception("report %s of plugin %s failed in %s", report.name, report.plugin, g.tenant.slug)
        session.rollback()
        raise ReportFailed(str(exc)) from exc


def query_arguments(report: Report) -> dict[str, str]:
    """The report's parameters as the request gave them (for links to JSON and Excel)."""
    names = [p.name for p in report.parameters] + ([SCOPE_PARAMETER] if report.rollup else [])
    return {name: request.args.get(name, "") for name in names if request.args.get(name, "").strip()}


# pages ----------------------------------------------------------------------


@bp.get("/")
@require_permission("reports.view")
def index(tenant):
    registry = current_app.extensions["quanhui.plugins"]
    groups: dict[str, list[Report]] = {}
    for report in tenant_reports():
        groups.setdefault(_plugin_title(registry, report.plugin), []).append(report)
    return render_template("reports/index.html", groups=groups)


@bp.get("/<name>")
@require_permission("reports.view")
def show(tenant, name):
    report = report_or_404(name)
    context: dict[str, Any] = {"report": report, "result": None, "chart": None, "error": "", "failed": False,
                               "arguments": query_arguments(report), "scopes": SCOPES}
    status = 200
    try:
        context["result"] = run(report)
    except ParameterError as refusal:
        context["error"], status = refusal.message, 422
    except ReportFailed:
        context["failed"], status = True, 500
    result = context["result"]
    if result is not None:
        context["chart"] = chart_data(result)
    # The scope choice is offered where there is a subtree to roll up.
    context["offer_scope"] = report.rollup and (
        (result is not None and result.context.rollup) or request.args.get(SCOPE_PARAMETER) == "own"
    )
    if is_htmx() and request.headers.get("HX-Target") == "report-result":
        return render_block("reports/show.html", "result", **context), status
    return render_template("reports/show.html", **context), status


@bp.get("/<name>.xlsx")
@require_permission("reports.view")
def download(tenant, name):
    report = report_or_404(name)
    try:
        result = run(report)
    except ParameterError as refusal:
        abort(422, description=f"报表参数有误:{refusal.message}")
    except ReportFailed:
        abort(500)
    target = tempfile.TemporaryFile()
    excel.write_report(result, target, generated_at=_now())
    target.seek(0)
    name = f"{report.title}-{g.tenant.name}-{_now():%Y%m%d-%H%M}.xlsx"
    response = send_file(target, mimetype=excel.XLSX_MIMETYPE, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


# helpers --------------------------------------------------------------------


def chart_data(result: ReportResult) -> dict[str, Any] | None:
    """What static/reports.js draws, as a JSON island: labels and one dataset per series."""
    chart = result.chart
    if not chart.drawn or not result.rows:
        return None
    by_name = {column.name: column for column in result.columns}
    label = chart.label or next((c.name for c in result.columns if c.kind == "text"), None)
    series = [by_name[name] for name in chart.series if name in by_name]
    if label is None or not series:
        return None
    return {
        "kind": chart.kind,
        "stacked": chart.stacked,
        "labels": [str(row.get(label) if row.get(label) is not None else "") for row in result.rows],
        "datasets": [
            {"label": column.label, "kind": column.kind, "data": [_number(row.get(column.name)) for row in result.rows]}
            for column in series
        ],
    }


def _number(value) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def _plugin_title(registry, name: str) -> str:
    meta = registry.meta(name)
    return meta.title if meta else name


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
