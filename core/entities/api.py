"""The JSON API of records, for every entity type, and its OpenAPI documents.

::

    GET    /api/v1/<tenant>/entities/<type>          list: page, per_page, q, sort, filters; scope=own
                                                     (the default) or subtree, or tenant=<descendant>
    POST   /api/v1/<tenant>/entities/<type>          create (201, Location, ETag)
    GET    /api/v1/<tenant>/entities/<type>/<id>     one record (ETag)
    PATCH  /api/v1/<tenant>/entities/<type>/<id>     change some fields (If-Match required)
    DELETE /api/v1/<tenant>/entities/<type>/<id>     soft delete (If-Match optional)
    POST   /api/v1/<tenant>/entities/<type>/<id>/files/<field>
                                                     store a file (multipart, part "file") bound to that
                                                     record and field (201); PATCH the field to use it
    POST   /api/v1/<tenant>/entities/<type>/<id>/transitions/<name>
                                                     fire a workflow transition (If-Match required;
                                                     body {"reason": ..., "values": {...}}, both optional)
    GET    /api/openapi.json                         OpenAPI 3: every installed type
    GET    /api/v1/<tenant>/openapi.json             OpenAPI 3: this tenant's types, custom fields included

Every route but the global document names ``<tenant>``, so the core resolves the
tenant, checks the caller's grant (bearer token or session cookie) and scopes the
session before the view runs (:mod:`core.web.scope`). Cookie-authenticated changes
carry the CSRF token; token-authenticated ones need none. Errors use the one body
format of :func:`core.web.errors.error_response`; a refused record adds
``error.fields``, a version mismatch adds ``current`` (the record as it is now).
"""
from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, abort, current_app, g, has_request_context, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.exc import DataError

from .. import audit
from ..auth.permissions import require_permission
from ..db import session
from ..tenancy import Tenant
from ..web.errors import error_response
from ..web.malformed import MAX_JSON_DEPTH, json_depth_exceeded
from ..web.pagination import PER_PAGE
from . import current_service, openapi
from .confirmation import is_pending
from .definitions import EntityType
from .models import Entity
from .query import QueryError, search
from .scope import ScopeRefused, record_scope
from .rights import SYSTEM, FieldRights, rights_of
from .service import Conflict, Forbidden, Invalid, NotFound
from .workflows import available_transitions

logger = logging.getLogger(__name__)

#: Every route names <tenant> except the global OpenAPI document, hence the short prefix.
bp = Blueprint("entity_api", __name__, url_prefix="/api")

#: Query-string keys of the list that are not filters.
LIST_PARAMETERS = frozenset({"page", "per_page", "q", "sort", "scope", "tenant"})


# documents --------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document():
    """OpenAPI 3 for every installed type, as its plugin declares it (public, cached per app)."""
    return jsonify(openapi.global_document(current_app))


@bp.get("/v1/<tenant>/openapi.json")
@require_permission("entities.view")
def tenant_openapi_document(tenant):
    """This tenant's variant: only its enabled types, with its own and inherited custom fields."""
    return jsonify(openapi.tenant_document(current_app, g.tenant, current_service().types()))


# records ----------------------------------------------------------------


@bp.get("/v1/<tenant>/entities/<type_name>")
@require_permission("entities.view")
def list_entities(tenant, type_name):
    entity_type = _type_or_404(type_name)
    args = request.args
    try:
        page = _int_argument("page", 1)
        per_page = _int_argument("per_page", PER_PAGE)
        filters = {key: args.getlist(key) for key in args if key not in LIST_PARAMETERS}
        scope = record_scope(entity_type, scope=args.get("scope"), tenant=args.get("tenant"))
        hidden = _caller_rights().hidden(entity_type)
        for key in (*filters, (args.get("sort") or "").lstrip("-")):
            if key.split("__")[0] in hidden:
                raise QueryError(key.split("__")[0], "没有这个字段")
        result = search(
            session, entity_type, scope=scope, q=args.get("q"), filters=filters,
            sort=args.get("sort"), page=page, per_page=per_page,
        )
    except QueryError as refusal:
        return error_response(422, f"参数 {refusal.field} 不可用:{refusal.message}", {refusal.field: [refusal.message]})
    except ScopeRefused as refusal:
        return error_response(refusal.status, refusal.message)
    answer = {
        "items": [item_json(entity_type, entity, owner=scope.owner(entity.tenant_id) if scope.spans else None)
                  for entity in result.items],
        "page": result.number,
        "per_page": result.per_page,
        "total": result.total,
    }
    if "scope" in args or "tenant" in args:  # a client that does not ask keeps its answer as it was
        answer["scope"] = {"kind": scope.kind, "label": scope.label, "tenant": scope.chosen.slug if scope.chosen else None}
    return answer


@bp.post("/v1/<tenant>/entities/<type_name>")
@require_permission("entities.edit")
def create_entity(tenant, type_name):
    entity_type = _type_or_404(type_name)
    body = _json_object()
    service = current_service()
    try:
        entity = service.create(entity_type, body)
        service.commit()
    except Invalid as refusal:
        service.rollback()
        return _invalid(refusal.errors)
    except DataError:
        service.rollback()
        logger.warning("record of %s refused by the database", type_name, exc_info=True)
        return error_response(422, "提交的值超出了可以保存的范围,请检查后重试。")
    response = _item_response(entity_type, entity, 201)
    response.headers["Location"] = url_for(".get_entity", tenant=g.tenant.slug, type_name=type_name, entity_id=entity.id)
    return response


@bp.get("/v1/<tenant>/entities/<type_name>/<int:entity_id>")
@require_permission("entities.view")
def get_entity(tenant, type_name, entity_id):
    entity_type = _type_or_404(type_name)
    with current_service().reading(entity_type):
        entity_type, entity = _entity_or_404(type_name, entity_id, readonly=True)
        return _item_response(entity_type, entity)


@bp.patch("/v1/<tenant>/entities/<type_name>/<int:entity_id>")
@require_permission("entities.edit")
def update_entity(tenant, type_name, entity_id):
    entity_type, entity = _entity_or_404(type_name, entity_id)
    if not request.if_match:
        return error_response(428, "修改记录需要带上 If-Match 请求头,值为读取记录时得到的 ETag,例如 If-Match: \"3\"。")
    if not _matches(entity):
        return _precondition_failed(entity_type, entity)
    body = _json_object()
    service = current_service()
    try:
        entity = service.update(entity_type, entity, body, entity.version)
        service.commit()
    except Invalid as refusal:
        service.rollback()
        return _invalid(refusal.errors)
    except Conflict as conflict:
        return _precondition_failed(entity_type, conflict.current)
    except DataError:
        service.rollback()
        logger.warning("change of %s %s refused by the database", type_name, entity_id, exc_info=True)
        return error_response(422, "提交的值超出了可以保存的范围,请检查后重试。")
    return _item_response(entity_type, entity)


@bp.delete("/v1/<tenant>/entities/<type_name>/<int:entity_id>")
@require_permission("entities.delete")
def delete_entity(tenant, type_name, entity_id):
    entity_type, entity = _entity_or_404(type_name, entity_id)
    if request.if_match and not _matches(entity):
        return _precondition_failed(entity_type, entity)
    service = current_service()
    try:
        service.delete(entity_type, entity, entity.version)
        service.commit()
    except Conflict as conflict:
        return _precondition_failed(entity_type, conflict.current)
    return "", 204


@bp.post("/v1/<tenant>/entities/<type_name>/<int:entity_id>/files/<field_name>")
@require_permission("entities.edit")
def upload_file(tenant, type_name, entity_id, field_name):
    """Store the ``file`` part bound to this record's file field; the answer is the value
    a PATCH or a transition gives the field to name it."""
    entity_type, entity = _entity_or_404(type_name, entity_id)
    field = entity_type.field(field_name)
    if field is None or field.kind != "file":
        abort(404, description=f"{entity_type.label}没有名为 {field_name} 的文件字段。")
    service = current_service()
    try:
        stored = service.attach_file(entity_type, entity, field_name, request.files.get("file"))
        service.commit()
    except Invalid as refusal:
        service.rollback()
        return _invalid(refusal.errors)
    response = jsonify(_shown(entity_type, entity, field, stored))
    response.status_code = 201
    return response


@bp.post("/v1/<tenant>/entities/<type_name>/<int:entity_id>/transitions/<name>")
@require_permission("entities.view")
def transition_entity(tenant, type_name, entity_id, name):
    """Fire workflow transition ``name``; who may fire it is the transition's own rule (403)."""
    entity_type, entity = _entity_or_404(type_name, entity_id)
    chosen = entity_type.workflow.transition(name) if entity_type.workflow is not None else None
    if chosen is None:
        names = "、".join(t.name for t in entity_type.workflow.transitions) if entity_type.workflow else ""
        known = f"可用的操作:{names}。" if names else f"{entity_type.label}没有流程。"
        abort(404, description=f"{entity_type.label}没有名为 {name} 的流程操作。{known}")
    if not request.if_match:
        return error_response(428, "执行流程操作需要带上 If-Match 请求头,值为读取记录时得到的 ETag,例如 If-Match: \"3\"。")
    if not _matches(entity):
        return _precondition_failed(entity_type, entity)
    body = _json_object() if request.get_data(cache=True).strip() else {}
    reason, values = body.get("reason", ""), body.get("values", {})
    unknown = sorted(set(body) - {"reason", "values"})
    problems = {key: ["没有这一项;请求体只含 reason 和 values"] for key in unknown}
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        problems["reason"] = ["原因应为文字"]
    if values is None:
        values = {}
    if not isinstance(values, dict):
        problems["values"] = ["values 应为 JSON 对象,键为字段名"]
    if problems:
        return _invalid(problems)
    service = current_service()
    try:
        entity = service.transition(entity_type, entity, name, entity.version, reason=reason, values=values)
        service.commit()
    except Invalid as refusal:
        service.rollback()
        messages = ";".join(m for ms in refusal.errors.values() for m in ms)
        return error_response(422, f"「{chosen.label}」没有执行:{messages}", refusal.errors)
    except Conflict as conflict:
        return _precondition_failed(entity_type, conflict.current)
    except Forbidden as refusal:
        service.rollback()
        audit.record_now(session, "auth.denied", tenant_id=g.tenant.id, target=request.path[:200],
                         permission=f"transition:{name}")
        return error_response(403, str(refusal))
    except DataError:
        service.rollback()
        logger.warning("transition %s of %s %s refused by the database", name, type_name, entity_id, exc_info=True)
        return error_response(422, "提交的值超出了可以保存的范围,请检查后重试。")
    return _item_response(entity_type, entity)


# shapes -----------------------------------------------------------------


def item_json(entity_type: EntityType, entity: Entity, owner: Tenant | None = None) -> dict[str, Any]:
    """One record as the API shows it: every current field of the type the caller may read
    (absent ones as null); values of retired fields stay stored but are not shown. A type
    with a workflow adds ``transitions``: the names of those the caller may fire now. In a
    list that spans several tenants, ``owner`` is the record's: ``tenant`` names it, and its
    URLs are its."""
    data = entity.data or {}
    readable = _caller_rights().readable(entity_type)
    shown = {
        "id": entity.id,
        "version": entity.version,
        "data": {field.name: _shown(entity_type, entity, field, data.get(field.name), owner) for field in readable},
        "created_at": entity.created_at.isoformat(),
        "updated_at": entity.updated_at.isoformat(),
    }
    if owner is not None:
        shown["tenant"] = {"slug": owner.slug, "name": owner.name}
    if entity_type.needs_confirmation:
        shown["pending"] = is_pending(data)
    if entity_type.workflow is not None:
        kept_above = has_request_context() and "tenant" in g and entity.tenant_id != g.tenant.id
        shown["transitions"] = [] if kept_above else [t.name for t in available_transitions(entity_type, entity, _caller())]
    return shown


def _shown(entity_type: EntityType, entity: Entity, field, value: Any, owner: Tenant | None = None) -> Any:
    """A stored value as the API shows it: a file adds the ``url`` it downloads from."""
    if field.kind == "file" and isinstance(value, dict) and has_request_context():
        where = {"tenant": owner.slug} if owner is not None else {}
        return {**value, "url": url_for("entities.download_file", type_name=entity_type.name, entity_id=entity.id,
                                        field_name=field.name, **where)}
    return value


def _caller():
    """The user the API answers (the system outside a request, e.g. in an export)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.user
    return None


def _caller_rights() -> FieldRights:
    """The caller's field rights in the request's tenant (the system's outside a request)."""
    if has_request_context() and "tenant" in g:
        return rights_of(_caller(), g.tenant)
    return SYSTEM


def etag(entity: Entity) -> str:
    return f'"{entity.version}"'


def _item_response(entity_type: EntityType, entity: Entity, status: int = 200):
    response = jsonify(item_json(entity_type, entity))
    response.status_code = status
    response.headers["ETag"] = etag(entity)
    return response


def _invalid(errors: dict[str, list[str]]):
    names = "、".join(errors)
    return error_response(422, f"提交的内容没有通过校验,请修改这些字段:{names}", errors)


def _precondition_failed(entity_type: EntityType, current: Entity):
    response = error_response(
        412, f"记录已被他人修改,当前版本为 {current.version}。请按返回的最新内容(current)重新修改,并带上新的 ETag。"
    )
    body = response.get_json()
    body["current"] = item_json(entity_type, current)
    response.set_data(json.dumps(body, ensure_ascii=False))
    response.headers["ETag"] = etag(current)
    return response


# reading the request ----------------------------------------------------


def _type_or_404(type_name: str) -> EntityType:
    entity_type = current_service().type(type_name)
    if entity_type is None:
        abort(404, description=f"没有记录类型 {type_name},或它所属的插件在本单位未启用。")
    return entity_type


def _entity_or_404(type_name: str, entity_id: int, *, readonly: bool = False) -> tuple[EntityType, Entity]:
    """This tenant's record; with ``readonly`` (inside ``reading``), also an ancestor's
    record of a published type."""
    entity_type = _type_or_404(type_name)
    try:
        return entity_type, current_service().get(entity_type, entity_id, readonly=readonly)
    except NotFound:
        abort(404, description=f"没有编号为 {entity_id} 的{entity_type.label}记录,或它已被删除。")


def _matches(entity: Entity) -> bool:
    """Whether If-Match names the record's current version (``*`` names any)."""
    return request.if_match.star_tag or request.if_match.contains(str(entity.version))


def _int_argument(name: str, default: int) -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise QueryError(name, f"“{value[:20]}”不是正整数")
    return int(value)


def _json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400/422 answer naming what is wrong."""
    raw = request.get_data(cache=True)
    if json_depth_exceeded(raw):
        abort(400, description=f"请求体嵌套过深（超过 {MAX_JSON_DEPTH} 层），记录的字段值不需要这么多层。")
    try:
        body = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        abort(400, description="请求体不是有效的 JSON(需为 UTF-8 编码的 JSON 对象)。")
    if not isinstance(body, dict):
        abort(error_response(422, "请求体应为 JSON 对象,键为字段名,例如 {\"name\": \"济南市软件行业协会\"}。"))
    unusable = sorted(key for key, value in body.items() if not _storable(key) or not _storable(value))
    if unusable:
        message = "含有无法保存的字符(如空字符或不成对的代理字符)"
        abort(error_response(422, f"{'、'.join(unusable)} {message}", {key: [message] for key in unusable}))
    return body


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _storable(value: Any) -> bool:
    """Whether every string in ``value`` can be stored: no NUL, no lone surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    return True
