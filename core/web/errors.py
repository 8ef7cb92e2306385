"""Error answers: Chinese pages for people, one JSON body format for the API.

The API body is always ``{"error": {"status", "code", "message"}}``; htmx requests get
the message in ``X-Quanhui-Message`` so the page can show it without a reload.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .. import audit
from ..db import session
from ..entities.service import Forbidden
from ..tenancy import system_scope
from .htmx import is_htmx

logger = logging.getLogger(__name__)

MESSAGES = {
    400: ("请求有误", "请求的内容无法处理,请检查后重试。"),
    401: ("需要登录", "请先登录。"),
    403: ("没有权限", "您的角色没有执行此操作的权限。如需开通,请联系本单位管理员。"),
    404: ("页面不存在", "您要找的页面不存在,或者您没有查看它的权限。"),
    405: ("不支持的操作", "此地址不支持这种请求方式。"),
    409: ("内容已被他人修改", "您编辑期间,别人已经保存了新的内容。请查看最新内容后再保存。"),
    412: ("内容已被他人修改", "记录已有更新的版本,请按返回的最新内容和 ETag 重新修改。"),
    413: ("文件太大", "上传的内容超过了允许的大小。"),
    422: ("内容有误", "提交的内容没有通过校验,请按提示修改。"),
    428: ("缺少版本信息", "修改记录需要带上 If-Match 请求头,值为读取记录时得到的 ETag。"),
    429: ("操作太频繁", "尝试次数过多,请稍等一分钟再试。"),
    500: ("系统出错了", "服务器处理请求时出错,已记录下来。请稍后重试。"),
    503: ("服务暂时不可用", "数据库暂时无法访问,请稍后重试。"),
}
#: What a database refusal means for the user, by its cause: the write was not saved.
DATABASE_BUSY = "数据库正忙(另一项操作正在写入),这次提交没有保存任何内容。请稍等片刻后重试。"
DATABASE_FULL = "服务器存储空间已满,这次提交没有保存任何内容。请联系系统管理员清理磁盘后重试。"
#: Seconds a client should wait before retrying a 503.
RETRY_AFTER = "5"
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 412: "precondition_failed", 413: "too_large", 422: "invalid", 428: "precondition_required",
    429: "too_many_requests", 500: "server_error",
    503: "unavailable",
}


def error_response(status: int, message: str | None = None, fields: dict[str, list[str]] | None = None):
    """``fields`` (API only) maps each refused field to its messages: ``error.fields``."""
    title, default_message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    message = message or default_message
    if request.path.startswith("/api/"):
        body = {"status": status, "code": CODES.get(status, "error"), "message": message}
        if fields:
            body["fields"] = fields
        response = jsonify(error=body)
        response.status_code = status
        return response
    if is_htmx():
        body = render_template("errors/fragment.html", status=status, title=title, message=message)
        return body, status, {"X-Quanhui-Message": quote(f"{title}:{message}")}
    return render_template("errors/page.html", status=status, title=title, message=message), status


def _http_error(exc: HTTPException):
    description = exc.description if exc.description and exc.description != type(exc).description else None
    return error_response(exc.code or 500, description if _is_chinese(description) else None)


def _is_chinese(text: str | None) -> bool:
    return bool(text) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _csrf_error(_exc: CSRFError):
    return error_response(400, "页面已过期或来源无法验证,请刷新页面后重试。")


def _record_forbidden(exc: Exception):
    """A record the actor may not change (an association account beyond its association,
    a district writing what its city keeps): nothing is written, and the denial is audited."""
    session.rollback()
    if "tenant" in g:
        with system_scope(session):  # the rollback expired the signed-in user, perhaps of an ancestor tenant
            audit.record_now(session, "auth.denied", tenant_id=g.tenant.id, target=request.path[:200],
                             reason=str(exc)[:200])
    return error_response(403, str(exc))


def _database_unavailable(exc: OperationalError):
    """503 for any operational failure; a busy (locked) or full database says so, since
    the user's next step differs. The transaction is rolled back: nothing half-written."""
    logger.error("database unavailable: %s", exc)
    session.rollback()
    # The answer must not need the database: no tenant shell (its navigation queries), and
    # the user as anonymous (loading or refreshing the signed-in user would query again).
    g.pop("tenant", None)
    g._login_user = current_app.login_manager.anonymous_user()
    response = make_response(error_response(ServiceUnavailable.code, database_problem(exc)))
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def database_problem(exc: OperationalError) -> str | None:
    """The Chinese message for a locked or full database (SQLite or PostgreSQL), else None."""
    cause = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if "database is locked" in cause or sqlstate == "55P03":
        return DATABASE_BUSY
    if "disk is full" in cause or sqlstate == "53100":
        return DATABASE_FULL
    return None


def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    logger.exception("unhandled error on %s %s", request.method, request.path)
    session.rollback()
    return error_response(InternalServerError.code)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Forbidden, _record_forbidden)
    app.register_error_handler(Exception, _unexpected)
