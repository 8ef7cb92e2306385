"""Excel import and large exports as jobs. An import's upload is kept in the database, a
worker imports it under the uploader's scope (staged, so nobody sees part of it), and the
page polls the job; an export of a long list is written by a worker into the database,
for whichever web server answers the download."""
from __future__ import annotations

import io

from flask import current_app
from sqlalchemy import func, select

from .. import audit
from ..db import session
from ..jobs.runner import JobContext, JobFailed, JobKind
from . import current_service, excel, query
from .scope import SUBTREE, RecordScope, ScopeRefused, resolve_scope

KIND = "entities.import"
EXPORT = "entities.export"
#: Rows between two progress reports of an export.
EXPORT_EVERY = 500
#: Rows between two progress reports (each also ends one short write transaction).
PROGRESS_EVERY = 250


def stage_of(job: JobContext) -> str:
    """The type name the job's records are stored under until the import is complete."""
    return f"~import-{job.id}"


def run_import(job: JobContext) -> dict:
    service = current_service()
    entity_type = service.type(job.params["type"])
    if entity_type is None:
        raise JobFailed("本单位已不能使用这种记录，未导入任何数据。")
    upload = job.file("upload")
    if upload is None:
        raise JobFailed("找不到上传的文件，未导入任何数据。请重新上传。")
    errors = io.BytesIO()
    try:
        result = excel.import_rows(service, entity_type, io.BytesIO(upload), valid_only=job.params.get("valid_only", False),
                                   every=PROGRESS_EVERY, progress=job.progress, error_workbook=errors, stage=stage_of(job))
    except excel.ImportRefused as refusal:
        raise JobFailed(str(refusal)) from None
    if result.error_workbook is not None:
        job.keep("errors", f"{entity_type.label}-导入错误.xlsx", errors.getvalue())
    if result.created:
        audit.record(session, "entities.import", tenant_id=job.tenant.id, target=entity_type.name,
                     created=result.created, failed=result.failed, file=job.params.get("filename", "")[:100])
        session.commit()
    return {"total": result.total, "created": result.created, "failed": result.failed,
            "error_count": result.error_count, "errors": [str(error) for error in result.errors],
            "valid_only": result.valid_only, "has_error_workbook": result.error_workbook is not None}


def discard_import(job: JobContext) -> None:
    current_service().discard_stage(stage_of(job))


IMPORT = JobKind(KIND, "Excel 导入", run=run_import, discard=discard_import, lease=120)


def export_statement(entity_type, scope, params: dict):
    """The list the user saw (its scope, search, filters and sort), as :func:`query.matching` selects it."""
    return query.matching(session, entity_type, scope=scope, q=params.get("q"), filters=params.get("filters") or {},
                          sort=params.get("sort"))


def scope_note(scope: RecordScope) -> str:
    """What an export holds, for its notes sheet: 济南市 本级及下级（共 13 个单位）."""
    if scope.kind == SUBTREE:
        return f"{scope.tenant.name} {scope.label}（共 {len(scope.tenants)} 个单位）"
    return f"{scope.tenant.name} {scope.label}" if scope.chosen is None else scope.label


def owner_names(scope: RecordScope):
    """For a list of several tenants' records, each record's 所属单位."""
    if not scope.spans:
        return None
    return lambda entity: scope.owner(entity.tenant_id).name


def run_export(job: JobContext) -> dict:
    service = current_service()
    entity_type = service.type(job.params["type"])
    if entity_type is None:
        raise JobFailed("本单位已不能使用这种记录。")
    try:
        scope = resolve_scope(session, current_app.extensions["quanhui.plugins"], job.tenant, entity_type,
                              scope=job.params.get("scope"), tenant_slug=job.params.get("tenant"))
    except ScopeRefused as refusal:
        raise JobFailed(refusal.message) from None
    with scope.reading(session):
        statement = export_statement(entity_type, scope, job.params)
        total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
        target = io.BytesIO()
        rows = _reporting(session.scalars(statement.execution_options(yield_per=1000)), job, total)
        count = excel.write_export(entity_type, rows, target, fields=service.rights.readable(entity_type),
                                   scope=scope_note(scope), owners=owner_names(scope))
    job.keep("export", job.params.get("filename", "export.xlsx"), target.getvalue())
    return {"rows": count}


def _reporting(rows, job: JobContext, total: int):
    for done, row in enumerate(rows, 1):
        if done % EXPORT_EVERY == 0:
            job.progress(done, total)
        yield row


EXPORT_JOB = JobKind(EXPORT, "Excel 导出", run=run_export, idempotent=True, lease=120)
