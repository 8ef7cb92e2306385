"""词表: the pages where the city maintains its vocabularies and every tenant reads them.

Every member may read the vocabularies in effect in their tenant; an admin
(``vocabularies.manage``) edits those their own tenant maintains (the city: every
vocabulary no ancestor defines). In a district the city's lists are read-only, marked
「由济南市维护」, and a save answers 403. A refused save comes back (422) with the
message beside the textarea; htmx requests get the panel that changed.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from .auth.permissions import deny, has_permission, require_permission
from .db import session
from .tenancy import Tenant
from .vocabularies import Terms, VocabularyError, forget_cached, in_effect, parse, set_terms
from .web.htmx import invalid_form, is_htmx, redirect_to

bp = Blueprint("vocabularies", __name__, url_prefix="/<tenant>/admin/vocabularies")
MANAGE = "vocabularies.manage"
TEMPLATE = "vocabularies/show.html"


def _declared() -> dict:
    return current_app.extensions["quanhui.entities"].vocabularies


def _rows() -> list[dict]:
    """Every vocabulary the tenant sees: the declared ones first, then any others in effect."""
    found = in_effect(session, g.tenant)
    names = list(dict.fromkeys([*_declared(), *sorted(found)]))
    return [_describe(name, found.get(name)) for name in names]


def _describe(name: str, found: Terms | None) -> dict:
    declaration = _declared().get(name)
    if found is not None:
        label, terms, keeper = found.label, found.terms, found.tenant_name
        own = found.tenant_id == g.tenant.id
    else:  # declared, not yet created: the root tenant maintains it
        label, terms = declaration.label, declaration.terms
        keeper, own = _root_name(), False
    # Nobody defines it yet: the root tenant maintains the declared vocabularies.
    maintained_here = own or (found is None and g.tenant.is_root)
    return {
        "name": name,
        "label": label,
        "terms": terms,
        "keeper": keeper,
        "default": found is None,
        "description": declaration.description if declaration is not None else "",
        "maintained_here": maintained_here,
        "editable": maintained_here and has_permission(MANAGE),
        "updated_at": found.updated_at if found is not None else None,
    }


def _root_name() -> str:
    if g.tenant.is_root:
        return g.tenant.name
    root = session.get(Tenant, g.tenant.ancestor_ids[0])
    return root.name if root is not None else ""


def _vocabulary(name: str) -> dict:
    found = in_effect(session, g.tenant).get(name)
    if found is None and name not in _declared():
        abort(404)
    return _describe(name, found)


def _used_by(name: str) -> list[tuple[str, str]]:
    """(type label, field label) of the fields whose choices come from ``name``."""
    registry = current_app.extensions["quanhui.entities"]
    return [
        (entity_type.label, field.label)
        for entity_type in registry.available(g.plugins.enabled)
        for field in entity_type.fields
        if field.vocabulary == name
    ]


def _context(name: str, **extra) -> dict:
    vocabulary = _vocabulary(name)
    context = {
        "vocabulary": vocabulary,
        "used_by": _used_by(name),
        "text": "\n".join(vocabulary["terms"]),
        "errors": {},
        "notice": "",
    }
    context.update(extra)
    return context


@bp.get("/")
@require_permission("entities.view")
def index(tenant):
    return render_template("vocabularies/index.html", rows=_rows())


@bp.get("/<name>")
@require_permission("entities.view")
def show(tenant, name):
    return render_template(TEMPLATE, **_context(name))


@bp.post("/<name>")
@require_permission(MANAGE)
def save(tenant, name):
    vocabulary = _vocabulary(name)
    if not vocabulary["maintained_here"]:
        deny(MANAGE)
    text = request.form.get("terms", "")
    try:
        row = set_terms(session, g.tenant, name, parse(text), label=vocabulary["label"], actor=current_user.user)
    except VocabularyError as refusal:
        session.rollback()
        forget_cached()
        context = _context(name, text=text, errors=refusal.errors)
        if is_htmx():
            return invalid_form(render_block(TEMPLATE, "vocabulary_form", **context), "#vocabulary-form")
        return render_template(TEMPLATE, **context), 422
    session.commit()
    if not is_htmx():
        return redirect_to(url_for("vocabularies.show", name=name))
    notice = f"已保存词表「{row.label}」,共 {len(row.terms)} 项"
    return render_block(TEMPLATE, "panel", **_context(name, notice=notice))
