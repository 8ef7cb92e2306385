"""Excel pages of every entity type: template, export of the current list, import.

An import runs inside its POST request. Its progress is written, every few hundred rows,
to a small JSON file under ``instance/imports/`` keyed by tenant and import id, which the
page polls (htmx) from whichever worker answers: every worker on the machine reads the
same instance folder. The error workbook of an import is kept there as well for a day.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, g, render_template, request, send_file, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from .. import audit
from ..auth.permissions import has_permission, require_permission
from ..db import session
from ..web.htmx import is_htmx
from . import current_service, excel, query
from .definitions import EntityType

bp = Blueprint("entity_excel", __name__, url_prefix="/<tenant>/entities/<type_name>/excel")

IMPORT_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Rows between two progress writes.
PROGRESS_EVERY = 250
#: Import files (progress, error workbooks) older than this are removed.
KEEP_SECONDS = 24 * 3600
#: A running import whose progress file has not moved for this long has died with its worker.
STALE_SECONDS = 300
#: Polls of an import whose upload has not arrived yet before the page gives up waiting.
WAITING_POLLS = 180
XLSX_MAGIC = b"PK\x03\x04"
#: Query-string keys of the list page besides its filters.
_LIST_ARGUMENTS = frozenset({"q", "sort", "col"})


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
    return {
        "entity_type": entity_type,
        "import_id": secrets.token_urlsafe(18),
        "can_import": may_import and closed is None,
        # Why this user, who may import, cannot import this type here (a retired type...).
        "closed": closed,
        "max_mb": round(limit / 1024 / 1024) if limit else None,
        "filters": {k: v for k, v in request.args.to_dict(flat=False).items() if k in _LIST_ARGUMENTS or "__" in k
                    or k in {f.name for f in entity_type.indexed_fields}},
        "result": None,
        "refusal": "",
        # An htmx answer also hands the form a fresh import id, out of band.
        "oob": is_htmx(),
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
    entity_type = _type(type_name)
    target = tempfile.TemporaryFile()
    with current_service().reading(entity_type):
        excel.write_export(entity_type, _matching(entity_type), target,
                           fields=current_service().rights.readable(entity_type))
    target.seek(0)
    return _xlsx(target, f"{entity_type.label}-{g.tenant.name}-{_stamp()}.xlsx")


def _xlsx(file, name: str):
    response = send_file(file, mimetype=excel.XLSX_MIMETYPE, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def _matching(entity_type: EntityType):
    """The live records of the list the user sees (its ``q``, filters and sort), streamed."""
    indexed = {f.name for f in entity_type.indexed_fields}
    filters = {key: request.args.getlist(key) for key in request.args if key.split("__")[0] in indexed}
    filters, sort = current_service().rights.list_arguments(entity_type, filters, request.args.get("sort") or None)
    try:
        statement = query.matching(
            session, entity_type, tenant=g.tenant, q=request.args.get("q"), filters=filters, sort=sort,
        )
    except query.QueryError as refusal:
        abort(422, f"筛选条件有误:{refusal.message}")
    return session.scalars(statement.execution_options(yield_per=1000))


# import ------------------------------------------------------------------


@bp.post("/import")
@require_permission("entities.import")
def import_(tenant, type_name):
    entity_type = _type(type_name)
    valid_only = request.form.get("mode") == "valid_only"
    import_id = request.form.get("import_id", "")
    if not IMPORT_ID.match(import_id):
        import_id = secrets.token_urlsafe(18)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused(entity_type, "请选择要导入的 Excel 文件(.xlsx)。", import_id)
    head = upload.stream.read(4)
    upload.stream.seek(0)
    if head != XLSX_MAGIC:
        return _refused(entity_type, f"「{upload.filename}」不是 Excel 工作簿(.xlsx)。如果是 .xls 或 .csv 文件,请在 Excel 中另存为 .xlsx 后再导入。", import_id)

    store = _Progress(import_id)
    store.clean_old()
    store.write("running", 0, 0)
    error_path = store.errors_path
    try:
        result = excel.import_rows(
            current_service(), entity_type, upload.stream, valid_only=valid_only, every=PROGRESS_EVERY,
            progress=lambda done, total: store.write("running", done, total), error_workbook=str(error_path),
        )
    except excel.ImportRefused as refusal:
        store.write("refused", 0, 0)
        return _refused(entity_type, str(refusal), import_id)
    except BaseException:
        store.write("failed", 0, 0)
        raise
    store.write("done", result.total, result.total)
    if result.created:
        audit.record(session, "entities.import", tenant_id=g.tenant.id, target=entity_type.name,
                     created=result.created, failed=result.failed, file=upload.filename[:100])
        session.commit()
    context = _page_context(entity_type, result=result, finished_id=import_id,
                            has_error_workbook=result.error_workbook is not None, filename=upload.filename)
    status = 422 if result.failed and not valid_only else 200
    if is_htmx():
        return render_block("entities_excel/page.html", "result", **context), status
    return render_template("entities_excel/page.html", **context), status


def _refused(entity_type: EntityType, message: str, import_id: str):
    context = _page_context(entity_type, refusal=message, finished_id=import_id)
    if is_htmx():
        return render_block("entities_excel/page.html", "result", **context), 422
    return render_template("entities_excel/page.html", **context), 422


@bp.get("/progress/<import_id>")
@require_permission("entities.import")
def progress(tenant, type_name, import_id):
    entity_type = _type(type_name)
    if not IMPORT_ID.match(import_id):
        abort(404)
    try:
        polls = int(request.args.get("n", "0"))
    except ValueError:
        polls = 0
    state = _Progress(import_id).read()
    if state is None and polls >= WAITING_POLLS:
        state = {"state": "lost", "done": 0, "total": 0}
    return render_template("entities_excel/_progress.html", entity_type=entity_type, import_id=import_id,
                           state=state, polls=polls + 1)


@bp.get("/errors/<import_id>.xlsx")
@require_permission("entities.import")
def errors(tenant, type_name, import_id):
    entity_type = _type(type_name)
    if not IMPORT_ID.match(import_id):
        abort(404)
    store = _Progress(import_id)
    if store.read() is None or not store.errors_path.exists():
        abort(404)
    return _xlsx(open(store.errors_path, "rb"), f"{entity_type.label}-导入错误-{_stamp()}.xlsx")


class _Progress:
    """One import's progress, on disk under the instance folder, for the user who runs it."""

    def __init__(self, import_id: str):
        self.folder = Path(current_app.instance_path) / "imports"
        self.stem = f"{g.tenant.id}-{current_user.user.id}-{import_id}"
        self.path = self.folder / f"{self.stem}.json"
        self.errors_path = self.folder / f"{self.stem}-errors.xlsx"
        self.last_write = 0.0

    def write(self, state: str, done: int, total: int) -> None:
        now = time.monotonic()
        if state == "running" and done and now - self.last_write < 0.5:
            return
        self.last_write = now
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"state": state, "done": done, "total": total}), encoding="utf-8")
        os.replace(partial, self.path)

    def read(self) -> dict | None:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            age = time.time() - self.path.stat().st_mtime
        except (OSError, ValueError):
            return None
        if state.get("state") == "running" and age > STALE_SECONDS:
            state["state"] = "lost"
        return state

    def clean_old(self) -> None:
        if not self.folder.is_dir():
            return
        cutoff = time.time() - KEEP_SECONDS
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue


def progress_url(entity_type: EntityType, import_id: str, polls: int = 0) -> str:
    return url_for("entity_excel.progress", type_name=entity_type.name, import_id=import_id, n=polls)


@bp.context_processor
def _helpers():
    return {"progress_url": progress_url}
