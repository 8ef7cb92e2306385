"""记录类型: the pages where a tenant admin builds record types without code.

::

    GET  /<tenant>/admin/types/                        own and inherited types; new and import forms
    POST /<tenant>/admin/types/                        create a type
    POST /<tenant>/admin/types/import                  create a type from an exported file
    GET  /<tenant>/admin/types/<name>                  the builder (basics, fields, workflow, reports)
    POST /<tenant>/admin/types/<name>/<part>           one change (basics, fields, states, transitions,
                                                       reports, publish, and their retire/remove forms)
    GET  /<tenant>/admin/types/<name>/fields/<field>   the edit form of one field
    POST /<tenant>/admin/types/<name>/fields/<field>   change the field (up/down: .../<field>/up|down)
    POST /<tenant>/admin/types/<name>/retire           停用 (on=1) or 启用 (on=0) the type
    GET  /<tenant>/admin/types/<name>/delete           the confirmation page (or why it cannot be deleted)
    POST /<tenant>/admin/types/<name>/delete           delete a type that never had a record (confirm=1)
    GET  /<tenant>/admin/types/<name>/versions         every version of the definition
    GET  /<tenant>/admin/types/<name>/export           the definition as a file

Every change answers 303 back to the builder (htmx: a redirect); a refused form comes
back (422) with its messages beside the inputs. The builder refuses before it writes
anything, so a refusal needs no rollback (which would also expire the signed-in user,
whom a city admin working in a district could then not reload).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for

from ..auth.permissions import require_permission
from ..db import session
from ..web.htmx import invalid_form, is_htmx, redirect_to
from . import current_service
from .definitions import FIELD_KINDS, DefinitionError
from .designer import CHOICE_KINDS, NUMBER_KINDS, UNINDEXABLE_KINDS, DesignError, UnknownType
from .designer import field_form as field_form_of
from .designer_views import FORM_KEYS
from .fields import TEXT_LIMITS
from .record_type_builder import IMPORT_LIMIT, RecordTypeBuilder, export_text, permission_titles, read_file
from .record_types import CHARTS, GROUPS, MEASURES, ROLES, SUM_KINDS, Definition, identifier_of

bp = Blueprint("record_types", __name__, url_prefix="/<tenant>/admin/types")

@bp.app_template_filter("type_identifier")
def type_identifier(name: str) -> str:
    """What the admin typed for a built type, shown beside the stored name URLs use."""
    return identifier_of(name)


def _builder() -> RecordTypeBuilder:
    return RecordTypeBuilder(current_service())


@bp.get("/")
@require_permission("entities.design")
def index(tenant):
    return render_template("record_types/index.html", **_index_context(_builder()))


def _index_context(builder: RecordTypeBuilder, **extra) -> dict:
    context = {"own": builder.own(), "inherited": builder.inherited(), "form": {}, "errors": {},
               "import_errors": {}, "notice": request.args.get("notice", "")[:200]}
    context.update(extra)
    return context


@bp.post("/")
@require_permission("entities.design")
def create(tenant):
    builder = _builder()
    form = {key: request.form.get(key, "") for key in ("name", "label", "title_label")}
    try:
        row = builder.create(form)
    except DesignError as refusal:
        return _refused_index(builder, "#new-type-form", form=form, errors=refusal.errors)
    session.commit()
    return redirect_to(url_for(".builder", name=row.name))


@bp.post("/import")
@require_permission("entities.design")
def import_type(tenant):
    builder = _builder()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise DesignError({"file": "请选择导出的记录类型文件(.json)"})
        row = builder.import_definition(read_file(upload.stream.read(IMPORT_LIMIT + 1)))
    except DesignError as refusal:
        errors = {"file": refusal.errors.get("file") or refusal.errors.get("") or next(iter(refusal.errors.values()))}
        return _refused_index(builder, "#import-form", import_errors=errors)
    session.commit()
    return redirect_to(url_for(".builder", name=row.name))


def _refused_index(builder, selector: str, **extra):
    body = render_template("record_types/index.html", **_index_context(builder, **extra))
    if is_htmx():
        return invalid_form(body, selector)
    return body, 422


# the builder ------------------------------------------------------------------


def _context(builder: RecordTypeBuilder, name: str, **extra) -> dict:
    try:
        row = builder.row(name)
    except UnknownType:
        abort(404)
    definition = Definition.from_json(row.definition)
    service = current_service()
    field_form = {key: request.args.get(key, "") for key in FORM_KEYS}
    if field_form["kind"] not in FIELD_KINDS:
        field_form["kind"] = "text"
    context = {
        "row": row, "definition": definition,
        "retired_states": [s["name"] for s in definition.states if s.get("retired")], "entity_type": definition.entity_type(),
        "may_publish": builder.may_publish(), "kinds": FIELD_KINDS,
        "targets": service.registry.available_to(session, service.tenant, service.relay.enabled),
        "choice_kinds": CHOICE_KINDS, "number_kinds": NUMBER_KINDS, "text_limits": TEXT_LIMITS,
        "unindexable": UNINDEXABLE_KINDS, "roles": ROLES, "groups": GROUPS, "measures": MEASURES, "charts": CHARTS,
        "sum_kinds": SUM_KINDS, "permissions": permission_titles(), "section": "", "errors": {}, "form": {}, "field_form": field_form,
        "notice": request.args.get("notice", "")[:200],
    }
    context.update(extra)
    return context


@bp.get("/<name>")
@require_permission("entities.design")
def builder(tenant, name):
    return render_template("record_types/builder.html", **_context(_builder(), name))


#: The changes a builder form posts: part → (method, the form id a refusal re-renders).
PARTS = {
    "basics": ("change_basics", "#basics-form"),
    "fields": ("add_field", "#field-form"),
    "states": ("set_states", "#states-form"),
    "transitions": ("add_transition", "#transition-form"),
    "reports": ("add_report", "#report-form"),
}


@bp.post("/<name>/<any(basics, fields, states, transitions, reports):part>")
@require_permission("entities.design")
def change(tenant, name, part):
    builder_ = _builder()
    method, selector = PARTS[part]
    try:
        summary = getattr(builder_, method)(name, request.form)
    except UnknownType:
        abort(404)
    except DesignError as refusal:
        form = {key: request.form.get(key, "") for key in request.form}
        extra = {"section": part, "errors": refusal.errors, "form": form}
        if part == "fields":
            extra["field_form"] = {**{key: "" for key in FORM_KEYS}, **form}
            if extra["field_form"]["kind"] not in FIELD_KINDS:
                extra["field_form"]["kind"] = "text"
        body = render_template("record_types/builder.html", **_context(builder_, name, **extra))
        if is_htmx():
            return invalid_form(body, selector)
        return body, 422
    return _done(name, summary)


@bp.get("/<name>/fields/<item>")
@require_permission("entities.design")
def edit_field(tenant, name, item):
    return _field_page(_builder(), name, item)


@bp.post("/<name>/fields/<item>")
@require_permission("entities.design")
def change_field(tenant, name, item):
    builder_ = _builder()
    try:
        summary = builder_.change_field(name, item, request.form)
    except UnknownType:
        abort(404)
    except DesignError as refusal:
        form = {**{key: "" for key in FORM_KEYS}, **{key: request.form.get(key, "") for key in request.form}}
        body = _field_page(builder_, name, item, form=form, errors=refusal.errors)
        if is_htmx():
            return invalid_form(body, "#field-edit-form")
        return body, 422
    return _done(name, summary)


def _field_page(builder: RecordTypeBuilder, name: str, item: str, form: dict | None = None, errors=None):
    """The edit form of one live field: the designer's inputs, filled from the field."""
    try:
        field = builder.field(name, item)
    except UnknownType:
        abort(404)
    context = _context(builder, name, field=field, errors=errors or {},
                       field_form=form if form is not None else field_form_of(field))
    return render_template("record_types/field.html", **context)


@bp.post("/<name>/<any(fields, transitions, reports):part>/<item>/<any(retire, restore, remove, up, down):action>")
@require_permission("entities.design")
def change_item(tenant, name, part, item, action):
    builder_ = _builder()
    methods = {("fields", "retire"): builder_.retire_field, ("fields", "restore"): builder_.restore_field,
               ("fields", "up"): lambda n, i: builder_.move_field(n, i, "up"),
               ("fields", "down"): lambda n, i: builder_.move_field(n, i, "down"),
               ("transitions", "remove"): builder_.remove_transition, ("reports", "remove"): builder_.remove_report}
    method = methods.get((part, action))
    if method is None:
        abort(404)
    return _applied(name, lambda: method(name, item))


@bp.post("/<name>/publish")
@require_permission("entities.design")
def publish(tenant, name):
    return _applied(name, lambda: _builder().publish(name, request.form.get("on") == "1"))


@bp.post("/<name>/retire")
@require_permission("entities.design")
def retire(tenant, name):
    return _applied(name, lambda: _builder().retire(name, request.form.get("on") == "1"))


def _applied(name: str, change):
    """Run one change of the builder: 404 for an unknown type, 409 with the reason when refused."""
    try:
        summary = change()
    except UnknownType:
        abort(404)
    except DesignError as refusal:
        abort(409, refusal.errors.get("", "无法完成这项修改"))
    return _done(name, summary)


@bp.get("/<name>/delete")
@require_permission("entities.design")
def confirm_delete(tenant, name):
    """Deleting asks once more, on a page of its own, and says why when it may not."""
    builder_ = _builder()
    try:
        row = builder_.row(name)
    except UnknownType:
        abort(404)
    return render_template("record_types/delete.html", row=row, refusal=builder_.deletion_refusal(name))


@bp.post("/<name>/delete")
@require_permission("entities.design")
def delete(tenant, name):
    builder_ = _builder()
    try:
        builder_.row(name)
    except UnknownType:
        abort(404)
    if request.form.get("confirm") != "1":
        return redirect_to(url_for(".confirm_delete", name=name))
    try:
        summary = builder_.delete(name)
    except DesignError as refusal:
        return render_template("record_types/delete.html", row=builder_.row(name),
                               refusal=refusal.errors.get("", "")), 409
    session.commit()
    return redirect_to(url_for(".index", notice=summary))


def _done(name: str, summary: str):
    session.commit()
    return redirect_to(url_for(".builder", name=name, notice=summary))


@bp.get("/<name>/versions")
@require_permission("entities.design")
def versions(tenant, name):
    builder_ = _builder()
    try:
        rows = builder_.versions(name)
    except UnknownType:
        abort(404)
    return render_template("record_types/versions.html", row=builder_.row(name), versions=rows)


@bp.get("/<name>/export")
@require_permission("entities.design")
def export(tenant, name):
    try:
        definition = _builder().definition(name)
    except (UnknownType, DefinitionError):
        abort(404)
    return Response(export_text(definition), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{identifier_of(definition.name)}.quanhui-type.json"',
        "Cache-Control": "no-store",
    })
