"""Excel pages of every entity type: template, export of the current list, import.

An import is a job (:mod:`core.entities.excel_job`): the upload goes into the database,
a worker imports it, and the page polls the job (htmx) from whichever web server
answers, reading progress, result and error workbook from the database. So is the
export of a list longer than ``QUANHUI_EXPORT_INLINE_ROWS``.
"""
from __future__ import annotations

import datetime as dt
import io
import tempfile
import types
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import func, select

from ..auth.permissions import has_permission, require_permission
from ..db import session
from ..entities.data_versions import data_version
from ..jobs.models import CANCELLED, DONE, FAILED, Job, JobFile
from ..jobs.runner import latest_job, start_job
from ..web.htmx import is_htmx
from . import current_service, excel, query
from .definitions import EntityType
from .excel_job import EXPORT, KIND, export_statement, owner_names, scope_note
from .views import list_scope

bp = Blueprint("entity_excel", __name__, url_prefix="/<tenant>/entities/<type_name>/excel")

XLSX_MAGIC = b"PK\x03\x04"
#: Query-string keys of the list page besides its filters.
_LIST_ARGUMENTS = frozenset({"q", "sort", "col", "scope", "tenant"})


def _type(type_name: str) -> EntityType:
    entity_type = current_service().type(type_name)
    if entity_type is None:
        abort(404)
    return entity_type


def _stamp() -> str:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d-%H%M")


# pages -------------------------------------------------------------------


@bp.get("/")
@require_permission("entities.view")
def page(tenant, type_name):
    entity_type = _type(type_name)
    return render_template("entities_excel/page.html", **_page_context(entity_type))


def _page_context(entity_type: EntityType, **extra) -> dict:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    may_import = has_permission("entities.import")
    closed = current_service().creation_refusal(entity_type) if may_import else None
    filters = {k: v for k, v in request.args.to_dict(flat=False).items() if k in _LIST_ARGUMENTS or "__" in k
               or k in {f.name for f in entity_type.indexed_fields}}
    return {
        "entity_type": entity_type,
        "job": None,
        "can_import": may_import and closed is None,
        # Why this user, who may import, cannot import this type here (a retired type...).
        "closed": closed,
        "max_mb": round(limit / 1024 / 1024) if limit else None,
        "filters": filters,
        "scope": list_scope(entity_type),
        # The list's query string, for the links back to it and to its export.
        "query": urlencode(filters, doseq=True),
        "result": None,
        "refusal": "",
        **extra,
    }


@bp.get("/template.xlsx")
@require_permission("entities.view")
def template(tenant, type_name):
    entity_type = _type(type_name)
    target = tempfile.TemporaryFile()
    excel.write_template(entity_type, target, current_service().rights)
    target.seek(0)
    return _xlsx(target, f"{entity_type.label}-导入模板.xlsx")


@bp.get("/export.xlsx")
@require_permission("entities.view")
def export(tenant, type_name):
    """The list the user sees as a workbook: at once when it is short, else from a job
    (the answer is then a page that follows the job and offers the file when it is written)."""
    entity_type = _type(type_name)
    scope = list_scope(entity_type)
    indexed = {f.name for f in entity_type.indexed_fields}
    filters = {key: request.args.getlist(key) for key in request.args if key.split("__")[0] in indexed}
    filters, sort = current_service().rights.list_arguments(entity_type, filters, request.args.get("sort") or None)
    params = {"type": entity_type.name, "q": request.args.get("q") or None,
              "filters": filters, "sort": sort,
              "scope": None if scope.chosen else scope.kind, "tenant": scope.chosen.slug if scope.chosen else None}
    with scope.reading(session):
        try:
            statement = export_statement(entity_type, scope, params)
        except query.QueryError as refusal:
            abort(422, f"筛选条件有误：{refusal.message}")
        rows = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
        if rows <= current_app.config["QUANHUI_EXPORT_INLINE_ROWS"]:
            target = tempfile.TemporaryFile()
            excel.write_export(entity_type, session.scalars(statement.execution_options(yield_per=1000)), target,
                               fields=current_service().rights.readable(entity_type), scope=scope_note(scope),
                               owners=owner_names(scope))
            target.seek(0)
            return _xlsx(target, _export_name(entity_type, scope))
    params.update(user=current_user.user.id, version=data_version(session, g.tenant.id),
                  filename=_export_name(entity_type, scope))
    job = latest_job(EXPORT, params)
    if job is None or job.state in (FAILED, CANCELLED):
        job = start_job(EXPORT, params=params, title=f"导出{entity_type.label}：{rows} 条")
    return redirect(url_for("entity_excel.export_job", type_name=entity_type.name, job_id=job.id), 303)


def _export_name(entity_type: EntityType, scope=None) -> str:
    return f"{entity_type.label}-{g.tenant.name}{scope.label if scope else ''}-{_stamp()}.xlsx"


@bp.get("/exports/<int:job_id>")
@require_permission("entities.view")
def export_job(tenant, type_name, job_id):
    entity_type = _type(type_name)
    job = _own_job(entity_type, job_id, EXPORT)
    if is_htmx():
        return render_block("entities_excel/export.html", "export", entity_type=entity_type, job=job)
    return render_template("entities_excel/export.html", entity_type=entity_type, job=job)


@bp.get("/exports/<int:job_id>.xlsx")
@require_permission("entities.view")
def export_file(tenant, type_name, job_id):
    entity_type = _type(type_name)
    job = _own_job(entity_type, job_id, EXPORT)
    return _xlsx(_kept_file(job, "export"), job.params.get("filename") or _export_name(entity_type))


def _kept_file(job: Job, name: str) -> io.BytesIO:
    """A workbook the job kept in the database (404 while there is none)."""
    data = session.scalar(select(JobFile.data).where(JobFile.job_id == job.id, JobFile.name == name))
    if data is None:
        abort(404)
    return io.BytesIO(data)


def _xlsx(file, name: str):
    response = send_file(file, mimetype=excel.XLSX_MIMETYPE, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


# import ------------------------------------------------------------------


@bp.post("/import")
@require_permission("entities.import")
def import_(tenant, type_name):
    entity_type = _type(type_name)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused(entity_type, "请选择要导入的 Excel 文件（.xlsx）。")
    content = upload.stream.read()
    if not content.startswith(XLSX_MAGIC):
        return _refused(entity_type, f"「{upload.filename}」不是 Excel 工作簿（.xlsx）。如果是 .xls 或 .csv 文件，请在 Excel 中另存为 .xlsx 后再导入。")
    refusal = current_service().creation_refusal(entity_type)
    if refusal:
        return _refused(entity_type, refusal)
    job = start_job(KIND, params={"type": entity_type.name, "valid_only": request.form.get("mode") == "valid_only",
                                  "filename": upload.filename[:200]},
                    files={"upload": (upload.filename, content)}, title=f"导入{entity_type.label}：{upload.filename[:100]}")
    return _job_answer(entity_type, session.get(Job, job.id, populate_existing=True))


def _refused(entity_type: EntityType, message: str):
    return _answer(_page_context(entity_type, refusal=message), 422)


def _answer(context: dict, status: int):
    if is_htmx():
        return render_block("entities_excel/page.html", "result", **context), status
    return render_template("entities_excel/page.html", **context), status


def _job_answer(entity_type: EntityType, job: Job):
    """The result area for an import job: its progress while it runs, then its outcome."""
    if not job.finished:
        return _answer(_page_context(entity_type, job=job), 200)
    if job.state != DONE:
        return _answer(_page_context(entity_type, job=job, refusal=job.message), 422)
    result = types.SimpleNamespace(**job.result, ok=job.result["failed"] == 0)
    context = _page_context(entity_type, job=job, result=result, has_error_workbook=result.has_error_workbook)
    return _answer(context, 422 if result.failed and not result.valid_only else 200)


def _own_job(entity_type: EntityType, job_id: int, kind: str) -> Job:
    """The signed-in user's job of ``kind`` on this type in this tenant, or 404."""
    job = session.get(Job, job_id, populate_existing=True)
    if (job is None or job.kind != kind or job.actor_id != current_user.user.id
            or job.params.get("type") != entity_type.name):
        abort(404)
    return job


@bp.get("/jobs/<int:job_id>")
@require_permission("entities.import")
def progress(tenant, type_name, job_id):
    entity_type = _type(type_name)
    return _job_answer(entity_type, _own_job(entity_type, job_id, KIND))


@bp.get("/jobs/<int:job_id>/errors.xlsx")
@require_permission("entities.import")
def errors(tenant, type_name, job_id):
    entity_type = _type(type_name)
    job = _own_job(entity_type, job_id, KIND)
    return _xlsx(_kept_file(job, "errors"), f"{entity_type.label}-导入错误-{_stamp()}.xlsx")
