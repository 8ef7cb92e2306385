"""Generic pages for every entity type: list, detail with history, forms, recycle view.

Every page works as a full page (a direct link or a reload shows the same state) and
answers htmx with just the part that changed: the table while searching, the form
with its messages on 422, the conflict panel on 409.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, g, render_template, request, send_file, url_for
from flask_babel import format_datetime
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from .. import audit
from ..auth.permissions import deny, has_permission, require_permission
from ..db import session
from ..tenancy import Tenant
from ..web.htmx import invalid_form, is_htmx, redirect_to
from ..web.malformed import int_argument
from . import current_service, duplicates, files
from .confirmation import counted, is_pending
from .definitions import EntityType
from .forms import CONFIRM, display, form_input, form_value, transition_form
from .merge import BASE, DECISION, MINE, THEIRS, three_way
from .models import Entity, EntityValue
from .query import MAX_PAGE, QueryError, search
from .scope import SUBTREE, RecordScope, ScopeRefused, record_scope
from .service import Conflict, Forbidden, Invalid, NotFound, Taken
from .workflows import history as workflow_history, state_label

bp = Blueprint("entities", __name__, url_prefix="/<tenant>/entities")

PER_PAGE = 50
REFERENCE_CHOICES = 500


ACTIONS = {"create": "新建", "update": "修改", "delete": "删除", "restore": "恢复", "merge": "合并",
           "confirm": "确认", "reject": "退回（不予确认）"}


@bp.context_processor
def _helpers():
    return {"display": display, "form_value": form_value, "state_label": state_label, "action_label": _action_label,
            "size_text": files.size_text, "BASE": BASE, "DECISION": DECISION, "MINE": MINE, "THEIRS": THEIRS,
            "field_rights": lambda: current_service().rights, "is_pending": is_pending}


def _action_label(entity_type: EntityType, action: str) -> str:
    """A revision's action as people read it: 新建, 修改… or the transition's label."""
    if action.startswith("transition:"):
        name = action.split(":", 1)[1]
        found = entity_type.workflow.transition(name) if entity_type.workflow is not None else None
        return found.label if found is not None else name
    return ACTIONS.get(action, action)


def _type(type_name: str) -> EntityType:
    entity_type = current_service().type(type_name)
    if entity_type is None:
        abort(404)
    return entity_type


def _entity(entity_type: EntityType, entity_id: int, *, deleted: bool = False, readonly: bool = False) -> Entity:
    """The record, or 404; ``readonly`` views (inside ``reading``) also reach an ancestor's
    record of a published type, every other view only this tenant's."""
    try:
        return current_service().get(entity_type, entity_id, deleted=deleted, readonly=readonly)
    except NotFound:
        abort(404)


def _sources(entity_type: EntityType) -> dict[int, str]:
    """For a published type seen below its keeper: tenant names by id, for the 来源 column."""
    if not entity_type.published or not g.tenant.ancestor_ids:
        return {}
    ids = (*g.tenant.ancestor_ids, g.tenant.id)
    return dict(session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(ids))).all())


def _list_arguments(entity_type: EntityType) -> dict:
    indexed = {f.name for f in entity_type.indexed_fields}
    filters = {key: value for key, value in request.args.items() if key.split("__")[0] in indexed and value}
    page = _page()
    filters, sort = current_service().rights.list_arguments(entity_type, filters, request.args.get("sort") or None)
    return {"q": request.args.get("q", "").strip() or None, "filters": filters, "sort": sort, "page": page,
            "per_page": PER_PAGE}


def _columns(entity_type: EntityType) -> list:
    rights = current_service().rights
    chosen = request.args.getlist("col")
    if chosen:
        return [f for f in rights.readable(entity_type) if f.name in chosen and f.name != entity_type.title_field]
    return [f for f in entity_type.listed_fields if rights.may_read(f)]


@bp.get("/pending")
@require_permission("entities.confirm")
def pending(tenant):
    """待确认: what association accounts filed of types that count only once confirmed."""
    return _pending_page()


def _pending_page(message: str = "", status: int = 200):
    service = current_service()
    types = {t.name: t for t in service.types() if t.needs_confirmation}
    waiting = session.scalars(
        select(Entity).where(Entity.tenant_id == g.tenant.id, Entity.type.in_(tuple(types)),
                             Entity.deleted_at.is_(None), ~counted(Entity.data)).order_by(Entity.created_at, Entity.id)
    ).all()
    rows = [(types[entity.type], entity) for entity in waiting]
    return render_template("entities/pending.html", rows=rows, message=message), status


@bp.post("/<type_name>/<int:entity_id>/confirm")
@require_permission("entities.confirm")
def confirm(tenant, type_name, entity_id):
    return _settle(type_name, entity_id, lambda service, entity_type, entity, version: service.confirm(
        entity_type, entity, version))


@bp.post("/<type_name>/<int:entity_id>/reject")
@require_permission("entities.confirm")
def reject(tenant, type_name, entity_id):
    reason = request.form.get("reason", "")
    return _settle(type_name, entity_id, lambda service, entity_type, entity, version: service.reject(
        entity_type, entity, version, reason))


def _settle(type_name: str, entity_id: int, act):
    """Confirm or reject one 待确认 record, then show the list again (with why, if refused)."""
    entity_type = _type(type_name)
    entity = _entity(entity_type, entity_id)
    service = current_service()
    title = entity.data.get(entity_type.title_field)
    version = _form_version("version")
    try:
        act(service, entity_type, entity, version)
    except Conflict:
        service.rollback()
        return _pending_page(message=f"「{title}」在您查看之后已被修改，请看清后再操作。", status=409)
    except Invalid as refusal:
        service.rollback()
        messages = "；".join(m for ms in refusal.errors.values() for m in ms)
        return _pending_page(message=f"「{title}」没有处理：{messages}", status=422)
    service.commit()
    return redirect_to(url_for("entities.pending"))


@bp.get("/<type_name>/")
@require_permission("entities.view")
def index(tenant, type_name):
    entity_type = _type(type_name)
    arguments = _list_arguments(entity_type)
    scope = list_scope(entity_type)
    try:
        result = search(session, entity_type, scope=scope, **arguments)
        error = ""
    except QueryError as refusal:
        result, error = search(session, entity_type, scope=scope, page=1, per_page=PER_PAGE), str(refusal)
    context = {
        "entity_type": entity_type, "result": result, "columns": _columns(entity_type), "sources": _sources(entity_type),
        "may_create": current_service().may_create(entity_type),
        "arguments": arguments, "error": error, "scope": scope,
        "filter_fields": [f for f in entity_type.indexed_fields
                          if f.kind in ("choice", "multi_choice") and current_service().rights.may_read(f)],
    }
    if is_htmx() and request.headers.get("HX-Target") == "entity-table":
        return render_block("entities/list.html", "table", **context)
    return render_template("entities/list.html", **context)


def list_scope(entity_type: EntityType) -> RecordScope:
    """The scope the list page and its Excel export ask for (``?scope=``, ``?tenant=``):
    the whole subtree unless they say otherwise; a unit outside it is 404."""
    try:
        return record_scope(entity_type, scope=request.args.get("scope"), tenant=request.args.get("tenant"),
                            default=SUBTREE)
    except ScopeRefused as refusal:
        abort(refusal.status, refusal.message)


@bp.get("/<type_name>/new")
@require_permission("entities.edit")
def new(tenant, type_name):
    entity_type = _type(type_name)
    refusal = current_service().creation_refusal(entity_type)
    if refusal:
        abort(403, refusal)
    values = {f.name: f.default for f in entity_type.fields if f.default is not None}
    values.update(_prefilled(entity_type))
    return render_template("entities/form.html", **_form_context(entity_type, None, values, {}))


def _prefilled(entity_type) -> dict:
    """The values a link puts in a new record's form (``new?association=7&year=2025``),
    checked only on save like anything typed in."""
    given = form_input(entity_type, request.args)
    return {name: value for name, value in given.items() if name in request.args and entity_type.field(name)}


@bp.post("/<type_name>/")
@require_permission("entities.edit")
def create(tenant, type_name):
    entity_type = _type(type_name)
    service = current_service()
    raw = form_input(entity_type, request.form, service.rights)
    refused = attach_files(entity_type, raw, None)
    if refused:
        return refused
    try:
        entity = service.create(entity_type, raw)
    except Invalid as refusal:
        service.rollback()
        return _refused_form(entity_type, None, _without_uploads(entity_type, raw, None), refusal.errors)
    service.commit()
    return redirect_to(url_for("entities.detail", type_name=type_name, entity_id=entity.id))


@bp.post("/<type_name>/check/<field_name>")
@require_permission("entities.view")
def check_field(tenant, type_name, field_name):
    """Validate the whole form but report only this field: inline messages as the user leaves it."""
    entity_type = _type(type_name)
    field = entity_type.field(field_name)
    if field is None:
        abort(404)
    raw = form_input(entity_type, request.form)
    previous = entity_id = None
    if request.form.get("entity_id"):
        entity_id = int_argument(request.form, "entity_id")
        if entity_id is None:
            abort(404)
        previous = _entity(entity_type, entity_id).data
    try:
        current_service().validate(entity_type, raw, previous, entity_id=entity_id)
        messages = []
    except Invalid as refusal:
        messages = refusal.errors.get(field_name, [])
    return render_template("entities/_field_errors.html", field=field, messages=messages)


@bp.get("/<type_name>/<int:entity_id>")
@require_permission("entities.view")
def detail(tenant, type_name, entity_id):
    entity_type = _type(type_name)
    with current_service().reading(entity_type):
        entity = _entity(entity_type, entity_id, readonly=True)
        return render_template("entities/detail.html", **_detail_context(entity_type, entity))


def _detail_context(entity_type: EntityType, entity: Entity, **workflow) -> dict:
    """The detail page's context; ``workflow`` carries a refused transition's name
    (``active``), its ``errors``, the user's ``input`` and a ``message``."""
    service = current_service()
    revisions = service.revisions(entity)
    kept_above = entity.tenant_id != g.tenant.id  # an ancestor's record of a published type: read-only
    transitions = [] if kept_above else service.available_transitions(entity_type, entity)
    fields_used = {name for t in transitions for name in t.fields}
    merging = not kept_above and entity_type.unique_fields and has_permission(READ_DELETED)
    return {
        "entity_type": entity_type, "entity": entity, "revisions": revisions, "kept_above": kept_above,
        "twins": duplicates.twins(service, entity_type, entity) if merging else [],
        "titles": _reference_titles(entity_type, [entity]),
        "transitions": transitions,
        "workflow_history": workflow_history(entity_type, revisions),
        "references": _reference_options(entity_type, only=fields_used) if fields_used else {},
        "active": None, "errors": {}, "input": {}, "message": "",
        **workflow,
    }


@bp.post("/<type_name>/<int:entity_id>/transitions/<name>")
@require_permission("entities.view")
def transition(tenant, type_name, entity_id, name):
    """Fire a workflow transition; who may fire it is the transition's own rule."""
    entity_type = _type(type_name)
    entity = _entity(entity_type, entity_id)
    asked = transition_form(entity_type, name, request.form)
    chosen, expected, values, reason = asked.transition, asked.version, asked.values, asked.reason
    service = current_service()
    try:
        service.transition(entity_type, entity, name, expected, reason=reason, values=values)
    except Conflict:
        service.rollback()
        current = _entity(entity_type, entity_id)
        message = (f"记录在您查看之后已被修改(现为第 {current.version} 版,{entity_type.workflow.label}"
                   f"为「{state_label(entity_type.workflow, current.data.get(entity_type.workflow.field))}」),"
                   f"「{chosen.label}」没有执行。请看清当前状态后再操作。")
        return _workflow_answer(entity_type, current, 409, message=message)
    except Invalid as refusal:
        service.rollback()
        entity = _entity(entity_type, entity_id)
        return _workflow_answer(entity_type, entity, 422, active=name, errors=refusal.errors,
                                input={**values, "reason": reason}, message=f"「{chosen.label}」没有执行:")
    except Forbidden as refusal:
        service.rollback()
        audit.record_now(session, "auth.denied", tenant_id=g.tenant.id, target=request.path[:200],
                         permission=f"transition:{name}")
        abort(403, str(refusal))
    service.commit()
    return redirect_to(url_for("entities.detail", type_name=type_name, entity_id=entity_id))


def _workflow_answer(entity_type: EntityType, entity: Entity, status: int, **workflow):
    """A refused transition: htmx swaps the workflow panel in place, with the message."""
    context = _detail_context(entity_type, entity, **workflow)
    if is_htmx():
        return render_block("entities/detail.html", "workflow", **context), status
    return render_template("entities/detail.html", **context), status


@bp.get("/<type_name>/<int:entity_id>/revisions/<int:version>")
@require_permission("entities.view")
def revision(tenant, type_name, entity_id, version):
    entity_type = _type(type_name)
    deleted = request.args.get("deleted") == "1"
    if deleted:
        require_deleted_readable()
    with current_service().reading(entity_type):
        entity = _entity(entity_type, entity_id, deleted=deleted, readonly=not deleted)
        found = next((r for r in current_service().revisions(entity) if r.version == version), None)
    if found is None:
        abort(404)
    before, after = found.before or {}, found.after or {}
    changed = [f for f in entity_type.fields if before.get(f.name) != after.get(f.name)]
    context = {"entity_type": entity_type, "entity": entity, "revision": found, "changed": changed,
               "before": before, "after": after}
    if is_htmx():
        return render_block("entities/revision.html", "diff", **context)
    return render_template("entities/revision.html", **context)


@bp.get("/<type_name>/<int:entity_id>/edit")
@require_permission("entities.edit")
def edit(tenant, type_name, entity_id):
    entity_type = _type(type_name)
    entity = _entity(entity_type, entity_id)
    return render_template("entities/form.html", **_form_context(entity_type, entity, entity.data, {}))


@bp.post("/<type_name>/<int:entity_id>")
@require_permission("entities.edit")
def update(tenant, type_name, entity_id):
    """Save the form. A form read from an older version (``version``, or ``_base`` once the
    conflict panel was shown) is merged (see :mod:`.merge`): the user's own changes are laid
    over the record as it is now, and fields both people changed wait for a decision."""
    entity_type = _type(type_name)
    entity = _entity(entity_type, entity_id)
    service = current_service()
    raw = form_input(entity_type, request.form, service.rights)
    expected = _form_version("version")
    base = _form_version(BASE) if request.form.get(BASE) else expected
    refused = attach_files(entity_type, raw, entity)
    if refused:
        return refused
    merged = None
    if entity.version != expected or base != expected:
        merged = three_way(entity_type, entity, service.revisions(entity), base, raw)
        decided = entity.version == expected  # decisions made on the panel of the version now current
        changes = merged.changes_to_save(raw, {f.name: request.form.get(DECISION + f.name, "") for f in merged.both}
                                         if decided else {})
        if changes is None:
            service.rollback()
            return _conflict_form(entity_type, entity_id, base, raw, asked=decided)
        raw, expected = changes, entity.version
    try:
        service.update(entity_type, entity, raw, expected)
    except Conflict:
        service.rollback()
        return _conflict_form(entity_type, entity_id, base, raw, asked=False)
    except Invalid as refusal:
        service.rollback()
        entity = _entity(entity_type, entity_id)
        return _refused_form(entity_type, entity, {**entity.data, **_without_uploads(entity_type, raw, entity)},
                             refusal.errors)
    service.commit()
    if merged is not None and merged.changes and set(raw) - {CONFIRM}:
        flash(_merged_message(merged), "merged")
    return redirect_to(url_for("entities.detail", type_name=type_name, entity_id=entity_id))


def _form_version(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        abort(400, "表单缺少版本号，请刷新页面后重试。")


def _conflict_form(entity_type: EntityType, entity_id: int, base: int, raw: dict, *, asked: bool):
    """409 with the merge panel: the record as it is now with the user's own changes in
    the form, and a 保留对方 / 使用我的 choice for each field both people changed
    (``asked``: the user already saw the panel and left one undecided)."""
    current = _entity(entity_type, entity_id)
    merged = three_way(entity_type, current, current_service().revisions(current), base, raw)
    mine = merged.changes_to_save(raw, {f.name: MINE for f in merged.both})
    values = {**current.data, **_without_uploads(entity_type, mine, current)}
    context = _form_context(entity_type, current, values, {}, conflict=current)
    context.update(merge=merged, base=base, undecided=asked)
    if is_htmx():
        return invalid_form(render_block("entities/form.html", "form", **context), "#entity-form", status=409)
    return render_template("entities/form.html", **context), 409


def _merged_message(merged) -> str:
    """What the detail page says after a save that was merged with someone else's."""
    saves = "；".join(f"{change.by_name or '别人'} 于 {format_datetime(change.at, 'yyyy-MM-dd HH:mm')} "
                     f"修改了「{'、'.join(change.labels) or '其他内容'}」" for change in merged.changes)
    return f"您编辑期间，{saves}。对方的修改已保留，您的修改已一并保存。"


#: The form's checkbox (value: the field's name) that clears a file field.
DELETE_FILE = "_delete_file"


def attach_files(entity_type: EntityType, raw: dict, entity: Entity | None):
    """Store the form's uploads (in the request's transaction) and put their JSON in
    ``raw``; a ticked 删除文件 box clears the field, no upload keeps what is stored.
    Returns the refused form (422) when an upload is not accepted; nothing is written then."""
    wanted = [f for f in entity_type.fields if f.kind == "file"]
    if not wanted:
        return None
    service = current_service()
    cleared = set(request.form.getlist(DELETE_FILE))
    errors: dict[str, list[str]] = {}
    for field in wanted:
        upload = request.files.get(field.name)
        if upload is not None and upload.filename:
            try:
                raw[field.name] = files.store(session, g.tenant.id, upload, actor_id=getattr(service.actor, "id", None),
                                              accept=field.accept)
            except files.FileRefused as refusal:
                errors[field.name] = [str(refusal)]
        elif field.name in cleared:
            raw[field.name] = None
    if not errors:
        return None
    try:
        service.validate(entity_type, {k: v for k, v in raw.items() if k not in errors}, entity.data if entity else None,
                         entity_id=entity.id if entity else None)
    except Invalid as refusal:
        errors = {**refusal.errors, **errors}
    service.rollback()
    if entity is not None:
        entity = _entity(entity_type, entity.id)
    values = {**(entity.data if entity else {}), **_without_uploads(entity_type, raw, entity)}
    return _refused_form(entity_type, entity, values, errors)


def _without_uploads(entity_type: EntityType, raw: dict, entity: Entity | None) -> dict:
    """``raw`` with file fields as stored before: a refused save keeps no upload."""
    kept = {k: v for k, v in raw.items() if (f := entity_type.field(k)) is None or f.kind != "file"}
    if entity is not None:
        kept.update({f.name: entity.data.get(f.name) for f in entity_type.fields if f.kind == "file"})
    return kept


@bp.get("/<type_name>/<int:entity_id>/files/<field_name>")
@require_permission("entities.view")
def download_file(tenant, type_name, entity_id, field_name):
    """A record's file, as an attachment under its original name; only a file bound to
    this record and field (a reference that points elsewhere opens nothing)."""
    entity_type = _type(type_name)
    with current_service().reading(entity_type):
        entity = _entity(entity_type, entity_id, readonly=True)
        field = entity_type.field(field_name)
        value = entity.data.get(field_name) if field is not None and field.kind == "file" else None
        stored = files.find(session, entity.tenant_id, value.get("file")) if isinstance(value, dict) else None
    if stored is None or not stored.bound_to(entity.id, field_name):
        abort(404)
    response = send_file(
        io.BytesIO(stored.data), mimetype=files.download_type(stored.content_type), as_attachment=True,
        download_name=files.clean_name(stored.name), max_age=0, etag=stored.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/<type_name>/<int:entity_id>/delete")
@require_permission("entities.delete")
def delete(tenant, type_name, entity_id):
    entity_type = _type(type_name)
    entity = _entity(entity_type, entity_id)
    service = current_service()
    try:
        service.delete(entity_type, entity, _optional_version())
    except Conflict:
        service.rollback()
        abort(409, "记录在您查看之后被修改过,请刷新后再决定是否删除。")
    service.commit()
    return redirect_to(url_for("entities.index", type_name=type_name))


#: Deleted records are read where they are restored: by who holds the recycle bin's permission.
READ_DELETED = "entities.delete"


def require_deleted_readable() -> None:
    """The one rule for reading deleted records, the recycle bin's and a deleted record's
    history alike: 403 (audited) unless the user may delete and restore records. Deleted
    records are read in their own tenant only, never through a published type."""
    if not has_permission(READ_DELETED):
        deny(READ_DELETED)


@bp.get("/<type_name>/recycle")
@require_permission("entities.view")
def recycle(tenant, type_name):
    require_deleted_readable()
    entity_type = _type(type_name)
    result = search(session, entity_type, page=_page(), per_page=PER_PAGE, deleted=True)
    return render_template("entities/recycle.html", entity_type=entity_type, result=result)


@bp.post("/<type_name>/<int:entity_id>/merge")
@require_permission("entities.delete")
def merge(tenant, type_name, entity_id):
    """Merge a duplicate (the form's ``drop``) into this record."""
    entity_type = _type(type_name)
    keep = _entity(entity_type, entity_id)
    drop_id = int_argument(request.form, "drop")
    if drop_id is None:
        abort(400, "请选择要并入的重复记录。")
    drop = _entity(entity_type, drop_id)
    service = current_service()
    try:
        service.merge(entity_type, keep, drop)
    except Invalid as refusal:
        service.rollback()
        abort(409, "；".join(m for ms in refusal.errors.values() for m in ms))
    except Forbidden as refusal:
        service.rollback()
        abort(403, str(refusal))
    service.commit()
    return redirect_to(url_for("entities.detail", type_name=type_name, entity_id=entity_id))


@bp.post("/<type_name>/<int:entity_id>/restore")
@require_permission("entities.delete")
def restore(tenant, type_name, entity_id):
    entity_type = _type(type_name)
    entity = _entity(entity_type, entity_id, deleted=True)
    service = current_service()
    try:
        service.restore(entity_type, entity)
    except Taken as refusal:
        service.rollback()
        abort(409, str(refusal))
    service.commit()
    return redirect_to(url_for("entities.detail", type_name=type_name, entity_id=entity_id))


def _optional_version() -> int | None:
    try:
        return int(request.form["version"])
    except (KeyError, ValueError):
        return None


def _page() -> int:
    """``?page=``: past the last possible page is the last possible page."""
    return min(max(1, int_argument(request.args, "page", 1)), MAX_PAGE)


def _refused_form(entity_type, entity, values, errors):
    context = _form_context(entity_type, entity, values, errors)
    if is_htmx():
        return invalid_form(render_block("entities/form.html", "form", **context), "#entity-form")
    return render_template("entities/form.html", **context), 422


def _form_context(entity_type, entity, values, errors, conflict=None) -> dict:
    return {
        "entity_type": entity_type, "entity": entity, "values": values, "errors": errors,
        "conflict": conflict, "merge": None, "references": _reference_options(entity_type),
    }


def _reference_options(entity_type: EntityType, only: set[str] | None = None) -> dict[str, list[tuple[int, str]]]:
    """For each reference field (of ``only``, if given), the records it may point to, by
    title (one query per field)."""
    options = {}
    for field in entity_type.fields:
        if field.kind != "reference" or (only is not None and field.name not in only):
            continue
        target = current_service().type(field.target)
        if target is None:
            options[field.name] = []
            continue
        with current_service().reading(target):
            rows = session.execute(
                select(Entity.id, EntityValue.text_value)
                .join(EntityValue, (EntityValue.entity_id == Entity.id) & (EntityValue.field == target.title_field), isouter=True)
                .where(Entity.type == target.name, Entity.deleted_at.is_(None))
                .order_by(EntityValue.text_value, Entity.id)
                .limit(REFERENCE_CHOICES)
            ).all()
        options[field.name] = [(entity_id, title or f"#{entity_id}") for entity_id, title in rows]
    return options


def _reference_titles(entity_type: EntityType, entities: list[Entity]) -> dict[int, str]:
    """Titles of the records the given ones point to, in one query."""
    references = [f for f in entity_type.fields if f.kind == "reference"]
    ids = {e.data.get(f.name) for e in entities for f in references} - {None}
    if not ids:
        return {}
    registry_types = {t.name: t for t in current_service().types()}
    published = next((registry_types[f.target] for f in references
                      if f.target in registry_types and registry_types[f.target].published), None)
    with current_service().reading(published):  # a published target: ancestors' titles too
        rows = session.scalars(select(Entity).where(Entity.id.in_(ids))).all()
    return {
        row.id: str(row.data.get(registry_types[row.type].title_field, f"#{row.id}")) if row.type in registry_types else f"#{row.id}"
        for row in rows
    }
