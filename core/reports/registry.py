"""Which reports exist, which a tenant has, and producing one for a tenant.

Reports are collected once per app from the ``quanhui_reports`` hook of every installed
plugin; a tenant has those whose plugin is enabled there (like entity types). Producing
a roll-up widens the session's read scope to the tenant's subtree for the duration of
the report's query only.
"""
from __future__ import annotations

import dataclasses
import decimal
import logging
import threading
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from ..plugins import PluginRegistry
from ..tenancy import SCOPE_KEY, Tenant, TenantScope, subtree_ids, use_scope
from . import rollup_cache
from .definitions import (
    ParameterError,
    Report,
    ReportContext,
    ReportDefinitionError,
    ReportResult,
)

logger = logging.getLogger(__name__)

EXTENSION = "quanhui.reports"
#: The query-string key that narrows a roll-up to the tenant's own records.
SCOPE_PARAMETER = "scope"
SCOPES = {"all": "本级及下级", "own": "仅本级"}
TOTAL_LABEL = "合计"
_lock = threading.Lock()


class ReportRegistry:
    """The reports declared by the installed plugins."""

    def __init__(self, plugins: PluginRegistry):
        self.reports: dict[str, Report] = {}
        # pluggy calls the last registered first; "first" here means first loaded (the
        # bundled plugins, then entry points, then extras), so no plugin shadows the core's.
        order = {name: index for index, name in enumerate(plugins.plugins)}
        outcomes = sorted(plugins.each("quanhui_reports"), key=lambda outcome: order.get(outcome.plugin, len(order)))
        for outcome in outcomes:
            if outcome.failed:
                continue
            for report in outcome.value or ():
                if not isinstance(report, Report):
                    logger.error("plugin %s returned %r from quanhui_reports, not a Report", outcome.plugin, report)
                    continue
                if report.name in self.reports:
                    logger.error(
                        "report %s of plugin %s ignored: plugin %s declared it first",
                        report.name, outcome.plugin, self.reports[report.name].plugin,
                    )
                    continue
                self.reports[report.name] = dataclasses.replace(report, plugin=outcome.plugin)

    def available(self, enabled: frozenset[str]) -> list[Report]:
        """The reports of the enabled plugins, in declaration order."""
        return [r for r in self.reports.values() if r.plugin in enabled]

    def get(self, name: str, enabled: frozenset[str]) -> Report | None:
        report = self.reports.get(name)
        return report if report is not None and report.plugin in enabled else None


def registry_for(app: Flask) -> ReportRegistry:
    """The app's :class:`ReportRegistry`, built on first use from its plugins."""
    registry = app.extensions.get(EXTENSION)
    if registry is None:
        with _lock:
            registry = app.extensions.get(EXTENSION)
            if registry is None:
                registry = app.extensions[EXTENSION] = ReportRegistry(app.extensions["quanhui.plugins"])
    return registry


def parse_parameters(report: Report, args: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The typed parameters and the scope (``all`` or ``own``) from a query string;
    raises :class:`ParameterError` naming the first bad one."""
    params = {parameter.name: parameter.parse(_first(args, parameter.name)) for parameter in report.parameters}
    scope = (_first(args, SCOPE_PARAMETER) or "all").strip() or "all"
    if scope not in SCOPES:
        raise ParameterError(SCOPE_PARAMETER, "统计范围只能是 all(本级及下级)或 own(仅本级)")
    return params, scope


def produce(report: Report, *, session: Session, tenant: Tenant, service, args: Mapping[str, Any]) -> ReportResult:
    """Run ``report`` for ``tenant``: parameters checked, scope widened for a roll-up,
    rows normalised to the columns, the total row computed from them.

    Raises :class:`ParameterError` for a bad parameter, before any query runs.
    """
    params, scope = parse_parameters(report, args)
    ids: tuple[int, ...] = (tenant.id,)
    if report.rollup and scope == "all":
        ids = tuple(subtree_ids(session, tenant))
    rollup = len(ids) > 1
    context = ReportContext(session=session, tenant=tenant, tenant_ids=ids, rollup=rollup, params=params, service=service)
    columns = report.columns_for(context)
    chart = report.chart_for(context)

    def normalised(row: Mapping[str, Any]) -> dict[str, Any]:
        return {column.name: _value(column.kind, row.get(column.name)) for column in columns}

    current: TenantScope | None = session.info.get(SCOPE_KEY)

    def reading(tenant_ids: tuple[int, ...]):
        """The session's scope widened to ``tenant_ids`` alone: what the query reads, and
        all PostgreSQL's planner is told about (201 ids where 2 are read misled it)."""
        return use_scope(session, current.widened_to(tenant_ids)) if rollup and current and not current.system \
            else nullcontext()

    with reading(ids):
        if report.per_tenant and rollup and rollup_cache.usable(session):
            def compute(stale: tuple[int, ...]):
                with reading(stale):
                    return list(report.query(dataclasses.replace(context, tenant_ids=stale)))

            rows = [normalised(row) for row in rollup_cache.kept_rows(
                session, viewer=tenant, report=report.name, params=params, tenant_ids=ids,
                compute=compute, normalise=normalised)]
        else:
            rows = [normalised(row) for row in report.query(context)]
    if report.per_tenant and not any(row[column.name] for row in rows for column in columns if column.numeric):
        rows = []
    total = _total(columns, rows) if report.total and rows else None
    return ReportResult(report=report, context=context, columns=columns, rows=rows, total=total, chart=chart)


def _first(args: Mapping[str, Any], name: str) -> str | None:
    if hasattr(args, "getlist"):
        values = args.getlist(name)
        return values[0] if values else None
    value = args.get(name)
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _value(kind: str, value: Any) -> Any:
    if value is None:
        return None if kind == "text" else (None if kind == "percent" else 0)
    if kind == "text":
        return str(value)
    if kind == "integer":
        return int(value)
    if isinstance(value, float):
        return decimal.Decimal(str(value))
    return decimal.Decimal(value) if not isinstance(value, decimal.Decimal) else value


def _total(columns, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The 合计 row: numeric columns summed (percentages are not added up), the label in
    the first text column."""
    total: dict[str, Any] = {}
    labelled = False
    for column in columns:
        if column.kind == "text":
            total[column.name] = None if labelled else TOTAL_LABEL
            labelled = True
        elif column.kind == "percent":
            total[column.name] = None
        else:
            total[column.name] = sum((row[column.name] or 0) for row in rows)
    return total


__all__ = ["ReportRegistry", "registry_for", "produce", "parse_parameters", "ReportDefinitionError", "SCOPES"]
