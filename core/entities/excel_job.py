"""Excel import as a job: the upload is kept in the database, a worker imports it under
the uploader's scope (staged, so nobody sees part of it), and the page polls the job."""
from __future__ import annotations

import io

from .. import audit
from ..db import session
from ..jobs.runner import JobContext, JobFailed, JobKind
from . import current_service, excel

KIND = "entities.import"
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
