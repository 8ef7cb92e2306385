"""OpenAPI 3 documents of the records API, generated from the marshmallow schemas.

Two documents, each built once and cached rather than per request:

- ``GET /api/openapi.json``: every entity type installed, with the fields its plugin
  declares (one per app);
- ``GET /api/v1/<tenant>/openapi.json``: the types enabled in that tenant, each with the
  custom fields the tenant and its ancestors added (one per distinct set of definitions,
  so a field added in the field designer shows up at the next request, in every worker).

Each type ``foo_bar`` gives the components ``FooBar`` (the fields, from the same cached
marshmallow schema that validates input, via apispec's ``MarshmallowPlugin``),
``FooBarPatch`` (the same, nothing required), ``FooBarItem``, ``FooBarPage`` and
``FooBarConflict``; ``Error`` is the one error body of the whole API.
"""
from __future__ import annotations

import copy
import decimal
import json
import threading
from collections import OrderedDict
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields

from .. import __version__
from .definitions import FIELD_KINDS, EntityType, Field
from .fields import PHONE, projection_column
from .query import MAX_PAGE, MAX_PER_PAGE, RANGE_OPERATORS, RECORD_SORTS
from .record_types import OWNER_SEPARATOR
from .registry import schema_for

TITLE = "泉汇 quanhui API"
OPENAPI_VERSION = "3.0.3"
#: Tenant variants kept per app; the least recently used is dropped beyond this.
CACHE_SIZE = 256
_lock = threading.Lock()

DESCRIPTION = """泉汇平台的记录接口:每种记录类型(协会商会名录及各插件的类型)一组增删改查接口。

- 认证:`Authorization: Bearer <令牌>`(在“API 令牌”页面或 `quanhui tokens create` 创建),或浏览器登录后的会话 Cookie;
  用 Cookie 提交修改时需带 `X-CSRFToken`,用令牌时不需要。
- 列表:`page`、`per_page`(最多 200,默认 50)、`q`(在有索引的文字字段中搜索)、`sort=字段` / `sort=-字段`,
  以及按有索引字段筛选:`status=正常`、`member_count__gte=100`、`registered_on__lt=2020-01-01`。
- 并发:读取时得到 `ETag: "<版本>"`;修改(PATCH)必须带 `If-Match`,版本不符返回 412 和最新内容,缺少返回 428。
- 错误:统一为 `{"error": {"status", "code", "message", "fields"}}`,`fields` 列出每个字段的中文提示。

本文档只含各插件声明的字段。各单位在字段设计器中添加的自定义字段因单位而异:
`GET /api/v1/<单位>/openapi.json` 给出该单位自己的版本(只含该单位启用的类型,包括它和上级添加的字段)。
"""

USCC_PATTERN = "^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$"


ErrorDetailSchema = Schema.from_dict(
    {
        "status": fields.Integer(required=True, metadata={"description": "HTTP 状态码"}),
        "code": fields.String(required=True, metadata={"description": "机器可读的错误代码,如 invalid、not_found"}),
        "message": fields.String(required=True, metadata={"description": "中文说明"}),
        "fields": fields.Dict(
            keys=fields.String(), values=fields.List(fields.String()),
            metadata={"description": "校验未通过时:字段名 → 中文提示列表"},
        ),
    },
    name="ErrorDetailSchema",
)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def component_name(entity_type: EntityType) -> str:
    """``rectification_case`` → ``RectificationCase``; a built type keeps its owner apart:
    ``t7__major_report`` → ``T7_MajorReport`` (no plugin type's name has an underscore)."""
    return "_".join("".join(word.capitalize() for word in part.split("_"))
                    for part in entity_type.name.split(OWNER_SEPARATOR))


def global_document(app: Flask) -> dict[str, Any]:
    """The document of every installed type and every published built type, built once
    per app and again only when a built type changes."""
    from ..db import session

    registry = app.extensions["quanhui.entities"]
    published = registry.published(session)
    key = _definitions_key(published)
    cached = app.extensions.get("quanhui.openapi")
    if cached is None or cached[0] != key:
        cached = app.extensions["quanhui.openapi"] = (key, build_document([*registry.types.values(), *published]))
    return cached[1]


def tenant_document(app: Flask, tenant, entity_types: list[EntityType]) -> dict[str, Any]:
    """The document of ``entity_types`` as ``tenant`` sees them, cached per set of definitions."""
    key = _definitions_key(entity_types)
    with _lock:
        cache: OrderedDict = app.extensions.setdefault("quanhui.openapi_tenants", OrderedDict())
        document = cache.get(key)
        if document is not None:
            cache.move_to_end(key)
            return document
    document = build_document(entity_types, tenant_name=getattr(tenant, "name", None))
    with _lock:
        cache[key] = document
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return document


def _definitions_key(entity_types: list[EntityType]) -> str:
    return json.dumps(
        sorted([t.name, t.label, [f.to_json() for f in t.fields]] for t in entity_types), sort_keys=True, default=str
    )


def build_document(entity_types: list[EntityType], *, tenant_name: str | None = None) -> dict[str, Any]:
    """An OpenAPI 3 document of the records API for ``entity_types``."""
    description = DESCRIPTION if tenant_name is None else f"{tenant_name}的接口版本,含本单位的自定义字段。\n\n{DESCRIPTION}"
    spec = APISpec(
        title=TITLE,
        version=__version__,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": description},
        security=[{"bearerAuth": []}, {"cookieAuth": []}],
    )
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "API 令牌(qh_ 开头)"}
    )
    spec.components.security_scheme(
        "cookieAuth",
        {"type": "apiKey", "in": "cookie", "name": "session", "description": "浏览器登录的会话;提交修改需带 X-CSRFToken"},
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for entity_type in sorted(entity_types, key=lambda t: t.name):
        _add_type(spec, entity_type)
    document = spec.to_dict()
    for entity_type in entity_types:
        _describe_fields(document["components"]["schemas"], entity_type)
        _transition_values(document["components"]["schemas"], entity_type)
    return copy.deepcopy(document)


def _add_type(spec: APISpec, entity_type: EntityType) -> None:
    name = component_name(entity_type)
    schema = schema_for(entity_type)
    spec.components.schema(name, schema=schema)
    spec.components.schema(f"{name}Patch", schema=type(schema)(partial=True))
    spec.components.schema(
        f"{name}Item",
        {
            "type": "object",
            "required": ["id", "version", "data", "created_at", "updated_at",
                         *(["transitions"] if entity_type.workflow is not None else [])],
            "properties": {
                "id": {"type": "integer", "format": "int64"},
                "version": {"type": "integer", "description": "每次修改加一;即 ETag 的值"},
                "data": {"$ref": f"#/components/schemas/{name}"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                **_transitions_property(entity_type),
                **({"pending": {"type": "boolean", "description": "待确认：协会账号填报，工作人员确认前不计入统计"}}
                   if entity_type.needs_confirmation else {}),
            },
        },
    )
    spec.components.schema(
        f"{name}Page",
        {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}Item"}},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer", "description": "符合条件的记录总数"},
            },
        },
    )
    spec.components.schema(
        f"{name}Conflict",
        {
            "type": "object",
            "required": ["error", "current"],
            "properties": {
                "error": {"$ref": "#/components/schemas/ErrorDetail"},
                "current": {"$ref": f"#/components/schemas/{name}Item"},
            },
        },
    )
    label = entity_type.label
    collection = f"/api/v1/{{tenant}}/entities/{entity_type.name}"
    tags = [label]
    item = {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Item"}}}
    etag_header = {"ETag": {"description": "记录版本,如 \"3\"", "schema": {"type": "string"}}}
    spec.path(
        path=collection,
        parameters=[TENANT_PARAMETER],
        operations={
            "get": {
                "tags": tags,
                "summary": f"{label}列表",
                "operationId": f"list_{entity_type.name}",
                "parameters": _list_parameters(entity_type),
                "responses": {
                    "200": {
                        "description": "一页记录",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Page"}}},
                    },
                    **_errors(401, 403, 404, 422),
                },
            },
            "post": {
                "tags": tags,
                "summary": f"新建{label}",
                "operationId": f"create_{entity_type.name}",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                },
                "responses": {
                    "201": {
                        "description": "已创建",
                        "headers": {
                            **etag_header,
                            "Location": {"description": "新记录的地址", "schema": {"type": "string"}},
                        },
                        "content": item,
                    },
                    **_errors(400, 401, 403, 404, 422),
                },
            },
        },
    )
    spec.path(
        path=f"{collection}/{{id}}",
        parameters=[TENANT_PARAMETER, ID_PARAMETER],
        operations={
            "get": {
                "tags": tags,
                "summary": f"查看一条{label}",
                "operationId": f"get_{entity_type.name}",
                "responses": {
                    "200": {"description": "记录", "headers": etag_header, "content": item},
                    **_errors(401, 403, 404),
                },
            },
            "patch": {
                "tags": tags,
                "summary": f"修改{label}(只需给出要改的字段)",
                "operationId": f"update_{entity_type.name}",
                "parameters": [IF_MATCH_PARAMETER],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Patch"}}},
                },
                "responses": {
                    "200": {"description": "已修改", "headers": etag_header, "content": item},
                    "412": {
                        "description": "版本不符:记录已被他人修改,响应体带最新内容",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Conflict"}}},
                    },
                    **_errors(400, 401, 403, 404, 422, 428),
                },
            },
            "delete": {
                "tags": tags,
                "summary": f"删除{label}(进入回收站,可恢复)",
                "operationId": f"delete_{entity_type.name}",
                "parameters": [{**IF_MATCH_PARAMETER, "required": False}],
                "responses": {
                    "204": {"description": "已删除"},
                    "412": {
                        "description": "版本不符",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Conflict"}}},
                    },
                    **_errors(401, 403, 404),
                },
            },
        },
    )
    if entity_type.workflow is not None:
        _add_workflow(spec, entity_type, collection, tags, item, etag_header)
    if any(field.kind == "file" for field in entity_type.fields):
        _add_file_upload(spec, entity_type, collection, tags)


def _transitions_property(entity_type: EntityType) -> dict[str, Any]:
    """``transitions`` of an item, for a type with a workflow."""
    if entity_type.workflow is None:
        return {}
    items: dict[str, Any] = {"type": "string"}
    if entity_type.workflow.transitions:
        items["enum"] = [t.name for t in entity_type.workflow.transitions]
    return {"transitions": {"type": "array", "items": items, "description": "调用者现在可以执行的流程操作"}}


def _add_workflow(spec: APISpec, entity_type: EntityType, collection: str, tags, item, etag_header) -> None:
    """``POST .../{id}/transitions/{name}``: one path per type, the transition as a parameter."""
    workflow = entity_type.workflow
    name = component_name(entity_type)
    lines = []
    for transition in workflow.transitions:
        sources = "、".join(transition.sources)
        extras = []
        if transition.needs_reason:
            extras.append("需填写原因")
        if transition.fields:
            extras.append(f"需填写 {'、'.join(transition.fields)}")
        extra = f"({';'.join(extras)})" if extras else ""
        lines.append(f"- `{transition.name}` {transition.label}:{sources} → {transition.target}{extra}")
    spec.components.schema(
        f"{name}Transition",
        {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "maxLength": 2000, "description": "原因;部分操作必填"},
                "values": {
                    "type": "object",
                    "description": "执行操作时填写的字段(字段名 → 值),只限该操作要求的字段",
                    # Filled from the type's own schema once the document is built.
                    "properties": {field: {} for field in sorted({f for t in workflow.transitions for f in t.fields})},
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
    )
    spec.path(
        path=f"{collection}/{{id}}/transitions/{{name}}",
        parameters=[TENANT_PARAMETER, ID_PARAMETER],
        operations={
            "post": {
                "tags": tags,
                "summary": f"{entity_type.label}:执行流程操作",
                "description": f"{workflow.label}的流程操作(状态只能这样改变):\n\n" + "\n".join(lines),
                "operationId": f"transition_{entity_type.name}",
                "parameters": [
                    {"name": "name", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": [t.name for t in workflow.transitions]}},
                    IF_MATCH_PARAMETER,
                ],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Transition"}}},
                },
                "responses": {
                    "200": {"description": "已执行,返回新的记录", "headers": etag_header, "content": item},
                    "412": {
                        "description": "版本不符:记录已被他人修改,响应体带最新内容",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Conflict"}}},
                    },
                    **_errors(400, 401, 403, 404, 422, 428),
                },
            },
        },
    )


def _add_file_upload(spec: APISpec, entity_type: EntityType, collection: str, tags) -> None:
    """``POST .../{id}/files/{field}``: one path per type, the file field as a parameter."""
    names = [field.name for field in entity_type.fields if field.kind == "file"]
    spec.path(
        path=f"{collection}/{{id}}/files/{{field}}",
        parameters=[TENANT_PARAMETER, ID_PARAMETER],
        operations={
            "post": {
                "tags": tags,
                "summary": f"{entity_type.label}:上传文件",
                "description": "保存一个文件，归属这条记录的这一字段；再用 PATCH 或流程操作把返回的值写入该字段。"
                               "字段只能引用为本记录这一字段上传的文件。",
                "operationId": f"upload_{entity_type.name}_file",
                "parameters": [{"name": "field", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": names}}],
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": {
                        "type": "object", "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }}},
                },
                "responses": {
                    "201": {"description": "已保存，返回字段的值", "content": {"application/json": {"schema": FILE_VALUE}}},
                    **_errors(401, 403, 404, 413, 422),
                },
            },
        },
    )


FILE_VALUE = {
    "type": "object",
    "required": ["file", "name", "size", "type", "url"],
    "properties": {
        "file": {"type": "integer", "format": "int64"},
        "name": {"type": "string"},
        "size": {"type": "integer"},
        "type": {"type": "string"},
        "url": {"type": "string", "description": "下载地址（记录这一字段当前的文件）"},
    },
}
TENANT_PARAMETER = {
    "name": "tenant", "in": "path", "required": True, "schema": {"type": "string"},
    "description": "单位标识,如 jinan、lixia",
}
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64", "minimum": 1}}
IF_MATCH_PARAMETER = {
    "name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
    "description": "读取时得到的 ETag,如 \"3\"",
}
ERROR_DESCRIPTIONS = {
    400: "请求体不是有效的 JSON",
    401: "需要登录或有效的 API 令牌",
    403: "没有权限",
    404: "单位、类型或记录不存在(或无权查看)",
    413: "文件超过上传大小上限",
    422: "内容或参数未通过校验;error.fields 给出每个字段的中文提示",
    428: "缺少 If-Match",
}


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status in statuses
    }


def _list_parameters(entity_type: EntityType) -> list[dict[str, Any]]:
    sorts = [name for field in _sortable(entity_type) for name in (field, f"-{field}")]
    parameters = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
        {
            "name": "per_page", "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
        },
        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "在有索引的文字字段中搜索,空格分隔多个词"},
        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": sorts}, "description": "排序字段,前加 - 为倒序"},
    ]
    for field in entity_type.indexed_fields:
        parameters.append(
            {"name": field.name, "in": "query", "schema": _filter_schema(field), "description": f"{field.label}等于"}
        )
        if projection_column(field) != "text_value":
            for op in RANGE_OPERATORS:
                parameters.append(
                    {
                        "name": f"{field.name}__{op}", "in": "query", "schema": _filter_schema(field),
                        "description": f"{field.label} {RANGE_WORDS[op]}",
                    }
                )
    return parameters


RANGE_WORDS = {"gt": "大于", "gte": "大于等于", "lt": "小于", "lte": "小于等于"}


def _sortable(entity_type: EntityType) -> list[str]:
    return [f.name for f in entity_type.indexed_fields] + list(RECORD_SORTS)


def _filter_schema(field: Field) -> dict[str, Any]:
    if field.kind in ("choice", "multi_choice"):
        return {"type": "string", "enum": list(field.choices)}
    if field.kind == "boolean":
        return {"type": "boolean"}
    if field.kind in ("integer", "reference"):
        return {"type": "integer"}
    if field.kind in ("decimal", "money"):
        return {"type": "number"}
    if field.kind == "date":
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def _transition_values(schemas: dict[str, Any], entity_type: EntityType) -> None:
    """The fields a transition asks for, described as in the type's own schema."""
    name = component_name(entity_type)
    transition = schemas.get(f"{name}Transition")
    if transition is None:
        return
    own = schemas[f"{name}Patch"].get("properties", {})
    values = transition["properties"]["values"]["properties"]
    for field in values:
        values[field] = copy.deepcopy(own.get(field, {}))


def _describe_fields(schemas: dict[str, Any], entity_type: EntityType) -> None:
    """Add what the marshmallow schema cannot say: Chinese labels, help, kinds, formats."""
    name = component_name(entity_type)
    for component in (name, f"{name}Patch"):
        properties = schemas.get(component, {}).get("properties", {})
        for field in entity_type.fields:
            prop = properties.get(field.name)
            if prop is None:
                continue
            prop["title"] = field.label
            described = [field.help] if field.help else []
            if field.kind in ("decimal", "money"):
                described.append("返回时为字符串,如 \"12000.50\"")
                # apispec writes the bounds of an as_string Decimal as strings; OpenAPI needs numbers.
                for bound in ("minimum", "maximum"):
                    if isinstance(prop.get(bound), str):
                        number = decimal.Decimal(prop[bound])
                        prop[bound] = int(number) if number == number.to_integral_value() else float(number)
            if field.kind == "reference":
                described.append(f"关联的 {field.target} 记录编号")
            if described:
                prop["description"] = ";".join(described)
            prop["x-quanhui-kind"] = field.kind
            prop["x-quanhui-kind-label"] = FIELD_KINDS[field.kind]
            if field.indexed:
                prop["x-quanhui-indexed"] = True
            if field.kind == "uscc":
                prop.update({"minLength": 18, "maxLength": 18, "pattern": USCC_PATTERN})
            if field.kind == "phone":
                prop["pattern"] = PHONE.pattern


__all__ = ["build_document", "global_document", "tenant_document", "component_name"]
