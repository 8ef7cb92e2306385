"""字段设计: the pages where a tenant admin adds, edits, reorders, retires and restores fields.

Every page works as a full page; htmx requests get the part of the page that changed.
A refused form comes back (422) with a message beside each input it concerns.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from jinja2_fragments.flask import render_block

from ..auth.permissions import require_permission
from ..db import session
from ..web.htmx import invalid_form, is_htmx, redirect_to
from . import current_service
from .definitions import FIELD_KINDS, UNIQUE_KINDS, UNIQUE_SCOPES
from .designer import (
    CHOICE_KINDS, NUMBER_KINDS, UNINDEXABLE_KINDS, DesignError, FieldDesigner, UnknownField, UnknownType, field_form,
)
from .fields import TEXT_LIMITS

bp = Blueprint("field_designer", __name__, url_prefix="/<tenant>/admin/fields")
# The field form's macro is shared with the record-type builder and sees only globals.
bp.add_app_template_global(UNIQUE_KINDS, "unique_kinds")
bp.add_app_template_global(UNIQUE_SCOPES, "unique_scopes")

FORM_KEYS = ("name", "label", "kind", "help", "required", "default", "indexed", "listed", "choices", "target",
             "max_length", "minimum", "maximum", "unique", "read_roles", "write_roles", "own_tier_only")
#: What a field becomes where ``source`` says where it came from.
SOURCE_TITLES = {"system": "系统字段", "inherited": "上级添加", "own": "本单位添加"}


def _designer() -> FieldDesigner:
    return FieldDesigner(current_service())


def _form_values() -> dict:
    return {key: request.form.get(key, "") for key in FORM_KEYS}


def _context(designer: FieldDesigner, type_name: str, **extra) -> dict:
    try:
        layout = designer.layout(type_name)
    except UnknownType:
        abort(404)
    service = current_service()
    targets = service.registry.available(service.relay.enabled)
    context = {
        "layout": layout,
        "entity_type": layout.entity_type,
        "built_by": designer.built_by(type_name),
        "kinds": FIELD_KINDS,
        "targets": targets,
        "choice_kinds": CHOICE_KINDS,
        "number_kinds": NUMBER_KINDS,
        "text_limits": TEXT_LIMITS,
        "unindexable": UNINDEXABLE_KINDS,
        "source_titles": SOURCE_TITLES,
        "form": {"kind": "text"},
        "errors": {},
        "notice": "",
        "warning": "",
        "editing": None,
        "edit_form": {},
        "edit_errors": {},
    }
    context.update(extra)
    return context


def _panel(designer: FieldDesigner, type_name: str, **extra):
    return render_block("field_designer/type.html", "panel", **_context(designer, type_name, **extra))


def _after_change(designer: FieldDesigner, type_name: str, notice: str, warning: str = ""):
    session.commit()
    if is_htmx():
        return _panel(designer, type_name, notice=notice, warning=warning)
    return redirect_to(url_for("field_designer.type_fields", type_name=type_name))


def _missing_warning(outcome, label: str) -> str:
    if not outcome.missing:
        return ""
    return (f"目前有 {outcome.missing} 条记录尚未填写「{label}」。这些记录仍然保留,"
            f"下次编辑时需要补填该字段。")


@bp.get("/")
@require_permission("entities.design")
def index(tenant):
    return render_template("field_designer/index.html", rows=_designer().types())


@bp.get("/<type_name>")
@require_permission("entities.design")
def type_fields(tenant, type_name):
    return render_template("field_designer/type.html", **_context(_designer(), type_name))


@bp.get("/<type_name>/new")
@require_permission("entities.design")
def new_form(tenant, type_name):
    """The add form for the kind chosen so far (htmx re-renders it when the kind changes)."""
    form = {key: request.args.get(key, "") for key in FORM_KEYS}
    if form["kind"] not in FIELD_KINDS:
        form["kind"] = "text"
    context = _context(_designer(), type_name, form=form)
    if is_htmx():
        return render_block("field_designer/type.html", "field_form", **context)
    return render_template("field_designer/type.html", **context)


@bp.post("/<type_name>")
@require_permission("entities.design")
def add_field(tenant, type_name):
    designer = _designer()
    form = _form_values()
    try:
        outcome = designer.add(type_name, form)
    except UnknownType:
        abort(404)
    except DesignError as refusal:
        session.rollback()
        if form["kind"] not in FIELD_KINDS:
            form["kind"] = "text"
        context = _context(designer, type_name, form=form, errors=refusal.errors)
        if is_htmx():
            return invalid_form(render_block("field_designer/type.html", "field_form", **context), "#field-form")
        return render_template("field_designer/type.html", **context), 422
    notice = f"已添加字段「{outcome.field.label}」"
    return _after_change(designer, type_name, notice, _missing_warning(outcome, outcome.field.label))


@bp.get("/<type_name>/<name>/edit")
@require_permission("entities.design")
def edit_field(tenant, type_name, name):
    designer = _designer()
    try:
        row, field = designer.own_field(type_name, name)
    except (UnknownType, UnknownField):
        abort(404)
    if row.retired_at is not None:
        abort(404)
    context = _context(designer, type_name, editing=field, edit_form=field_form(field))
    if is_htmx():
        return render_block("field_designer/type.html", "edit_form", **context)
    return render_template("field_designer/type.html", **context)


@bp.post("/<type_name>/<name>")
@require_permission("entities.design")
def change_field(tenant, type_name, name):
    designer = _designer()
    form = _form_values()
    try:
        row, before = designer.own_field(type_name, name)
        outcome = designer.change(type_name, name, form)
    except (UnknownType, UnknownField):
        abort(404)
    except DesignError as refusal:
        session.rollback()
        form.update(name=before.name, kind=before.kind, target=before.target or "")
        context = _context(designer, type_name, editing=before, edit_form=form, edit_errors=refusal.errors)
        if is_htmx():
            return invalid_form(render_block("field_designer/type.html", "edit_form", **context), "#edit-form")
        return render_template("field_designer/type.html", **context), 422
    if outcome.action == "unchanged":
        notice = f"字段「{outcome.field.label}」没有改动"
    else:
        notice = f"已保存字段「{outcome.field.label}」"
        if outcome.reprojected:
            notice += f",已为 {outcome.reprojected} 条记录更新筛选索引"
    return _after_change(designer, type_name, notice, _missing_warning(outcome, outcome.field.label))


@bp.post("/<type_name>/<name>/move")
@require_permission("entities.design")
def move_field(tenant, type_name, name):
    designer = _designer()
    try:
        outcome = designer.move(type_name, name, request.form.get("direction", ""))
    except (UnknownType, UnknownField):
        abort(404)
    except DesignError as refusal:
        session.rollback()
        abort(409, refusal.errors.get("", "无法移动该字段"))
    return _after_change(designer, type_name, f"已移动字段「{outcome.field.label}」")


@bp.post("/<type_name>/<name>/retire")
@require_permission("entities.design")
def retire_field(tenant, type_name, name):
    designer = _designer()
    try:
        outcome = designer.retire(type_name, name)
    except (UnknownType, UnknownField):
        abort(404)
    return _after_change(designer, type_name, f"已停用字段「{outcome.field.label}」,已有数据保留")


@bp.post("/<type_name>/<name>/restore")
@require_permission("entities.design")
def restore_field(tenant, type_name, name):
    designer = _designer()
    try:
        outcome = designer.restore(type_name, name)
    except (UnknownType, UnknownField):
        abort(404)
    except DesignError as refusal:
        session.rollback()
        if is_htmx():
            return _panel(designer, type_name, warning=refusal.errors.get("", "")), 409
        abort(409, refusal.errors.get("", ""))
    return _after_change(designer, type_name, f"已恢复字段「{outcome.field.label}」")
