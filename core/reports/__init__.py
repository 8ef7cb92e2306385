"""Named reports: declared by plugins (``quanhui_reports``), each an HTML table with a
chart, an Excel download and JSON at ``/api/v1/<tenant>/reports/<name>``.

A plugin declares::

    from core.reports import Chart, Column, Report, count_by

    def by_kind(context):
        return count_by(context, "party_org", group_by=("kind",))

    @hookimpl
    def quanhui_reports():
        return [Report("party_org_kinds", "党组织按类型统计", query=by_kind,
                       columns=(Column("kind", "类型"), Column("count", "数量", "integer")),
                       chart=Chart("bar", label="kind", series=("count",)))]

Queries aggregate in SQL over the indexed projections (:func:`count_by`,
:func:`sum_by`); a report with ``rollup=True`` produced in the city aggregates over
every descendant, in the same one statement.
"""
from .aggregates import complete, count_by, pivot, sum_by
from .definitions import (
    CHART_KINDS,
    COLUMN_KINDS,
    NO_CHART,
    Chart,
    Column,
    Parameter,
    ParameterError,
    Report,
    ReportContext,
    ReportDefinitionError,
    ReportResult,
)

__all__ = [
    "CHART_KINDS",
    "COLUMN_KINDS",
    "NO_CHART",
    "Chart",
    "Column",
    "Parameter",
    "ParameterError",
    "Report",
    "ReportContext",
    "ReportDefinitionError",
    "ReportResult",
    "complete",
    "count_by",
    "pivot",
    "sum_by",
]
