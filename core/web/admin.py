"""Tenant administration: plugins, users and the audit log."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import func, select

from ..audit import AuditEvent
from ..auth.accounts import AccountError, create_user, revoke_api_token
from ..auth.models import ApiToken, UnknownLoginTally, User
from ..auth.permissions import ROLES, require_permission
from ..db import session
from ..entities.models import Entity, EntityValue
from ..plugin_state import PluginSetting, PluginStateError, set_enabled, set_offered, statuses
from ..tenancy import Tenant, system_scope
from .htmx import invalid_form, is_htmx, redirect_to
from .malformed import whole_number
from .pagination import Page

bp = Blueprint("admin", __name__, url_prefix="/<tenant>/admin")


def _registry():
    return current_app.extensions["quanhui.plugins"]


def _enabled_where(names: list[str]) -> dict[str, list[str]]:
    """For each plugin, the tenants of the current subtree where it is switched on."""
    with system_scope(session):
        rows = session.execute(
            select(PluginSetting.plugin, Tenant.name)
            .join(Tenant, Tenant.id == PluginSetting.tenant_id)
            .where(PluginSetting.enabled.is_(True), PluginSetting.plugin.in_(names), Tenant.path.startswith(g.tenant.path))
            .order_by(Tenant.position)
        )
        where: dict[str, list[str]] = {name: [] for name in names}
        for plugin, tenant_name in rows:
            where[plugin].append(tenant_name)
    return where


def _plugins_context(message: str = "", message_plugin: str = "") -> dict:
    registry = _registry()
    rows = statuses(session, registry, g.tenant)
    has_children = session.scalar(select(func.count()).select_from(Tenant).where(Tenant.parent_id == g.tenant.id)) > 0
    return {
        "rows": rows,
        "installed": registry.plugins,
        "hooks_of": registry.hooks_of,
        "enabled_where": _enabled_where([row.name for row in rows]),
        "has_children": has_children,
        "message": message,
        "message_plugin": message_plugin,
    }


@bp.get("/plugins")
@require_permission("core.manage_plugins")
def plugins(tenant):
    return render_template("admin/plugins.html", **_plugins_context())


@bp.post("/plugins/<name>/<switch>")
@require_permission("core.manage_plugins")
def toggle_plugin(tenant, name, switch):
    if switch not in ("enabled", "offered"):
        abort(404)
    if _registry().meta(name) is None:
        abort(404)
    on = request.form.get("on") == "1"
    change = set_enabled if switch == "enabled" else set_offered
    try:
        change(session, _registry(), g.tenant, name, on, current_user.user)
    except PluginStateError as refusal:
        session.rollback()
        return _answer("admin/plugins.html", "plugin_table", _plugins_context(str(refusal), name), 409)
    session.commit()
    g.plugins = _registry().relay(_live_plugins())
    if not is_htmx():
        return redirect_to(url_for("admin.plugins"))
    return render_block("admin/plugins.html", "plugin_update", refresh_nav=True, **_plugins_context())


def _answer(template: str, block: str, context: dict, status: int = 200):
    """The changed part for htmx, the whole page for a plain form post."""
    if is_htmx():
        return render_block(template, block, **context), status
    return render_template(template, **context), status


def _live_plugins():
    from ..plugin_state import enabled_names

    return enabled_names(session, _registry(), g.tenant)


@bp.get("/users")
@require_permission("core.manage_users")
def users(tenant):
    return render_template("admin/users.html", **_users_context())


def _users_context(**extra) -> dict:
    page = Page.from_request(select(User).order_by(User.username))
    return {
        "page": page, "roles": ROLES, "form": {}, "errors": {}, "associations": _associations(),
        "tokens": _active_tokens(), **extra,
    }


def _active_tokens() -> list[ApiToken]:
    """The live API tokens of the tenant's users, with their users (one query)."""
    return list(session.scalars(
        select(ApiToken).where(ApiToken.revoked_at.is_(None)).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def _associations() -> dict[int, str]:
    """The tenant's live associations by name, for binding association accounts (one query)."""
    rows = session.execute(
        select(EntityValue.entity_id, EntityValue.text_value)
        .join(Entity, Entity.id == EntityValue.entity_id)
        .where(EntityValue.type == "association", EntityValue.field == "name", Entity.deleted_at.is_(None))
        .order_by(EntityValue.text_value)
    )
    return dict(rows.all())


@bp.post("/users")
@require_permission("core.manage_users")
def create_user_view(tenant):
    form = {key: request.form.get(key, "") for key in ("username", "display_name", "role", "password", "association_id")}
    association_id = whole_number(form["association_id"])
    try:
        create_user(
            session, g.tenant, form["username"], form["password"], form["role"],
            display_name=form["display_name"], association_id=association_id, actor=current_user.user,
        )
    except AccountError as refusal:
        session.rollback()
        form["password"] = ""
        context = _users_context(form=form, errors=refusal.errors)
        if not is_htmx():
            return render_template("admin/users.html", **context), 422
        return invalid_form(render_block("admin/users.html", "user_form", **context), "#user-form")
    session.commit()
    if not is_htmx():
        return redirect_to(url_for("admin.users"))
    return render_block("admin/users.html", "users_panel", **_users_context(created=form["username"]))


@bp.post("/users/<int:user_id>/active")
@require_permission("core.manage_users")
def set_user_active(tenant, user_id):
    from .. import audit

    user = session.get(User, user_id)
    if user is None or user.tenant_id != g.tenant.id:
        abort(404)
    if user.id == current_user.user.id:
        abort(409, "不能停用自己的账号")
    user.active = request.form.get("on") == "1"
    audit.record(session, "user.activated" if user.active else "user.deactivated", tenant_id=g.tenant.id, target=user.username)
    session.commit()
    if not is_htmx():
        return redirect_to(url_for("admin.users"))
    return render_block("admin/users.html", "users_panel", **_users_context())


@bp.post("/tokens/<int:token_id>/revoke")
@require_permission("core.manage_users")
def revoke_token(tenant, token_id):
    """An admin revokes any API token of the tenant's users (a lost laptop, a leaver)."""
    row = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.tenant_id == g.tenant.id))
    if row is None:
        abort(404)
    revoke_api_token(session, row, actor=current_user.user)
    session.commit()
    if not is_htmx():
        return redirect_to(url_for("admin.users"))
    return render_block("admin/users.html", "users_panel", **_users_context(revoked_token=row.name))


@bp.get("/audit")
@require_permission("core.view_audit")
def audit_log(tenant):
    action = request.args.get("action", "")
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    actions = session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    page = Page.from_request(query)
    return render_template(
        "admin/audit.html", page=page, action=action, actions=actions, labels=ACTION_LABELS,
        tallies=_tallies(page.items),
    )


def _tallies(events) -> dict[int, int]:
    """How many failed logins each ``auth.unknown_user`` event stands for, by event id."""
    ids = [event.id for event in events if event.action == "auth.unknown_user"]
    if not ids:
        return {}
    rows = session.execute(
        select(UnknownLoginTally.audit_event_id, UnknownLoginTally.count)
        .where(UnknownLoginTally.audit_event_id.in_(ids))
    )
    return dict(rows.all())


#: What each audit action means, for the audit page; plugins' own actions show as recorded.
ACTION_LABELS = {
    "auth.login": "登录",
    "auth.logout": "退出",
    "auth.login_failed": "登录失败",
    "auth.throttled": "登录被限流",
    "auth.unknown_user": "不存在的用户名登录失败",
    "auth.denied": "访问被拒绝",
    "plugin.enabled": "启用插件",
    "plugin.disabled": "停用插件",
    "plugin.offered": "向下级开放插件",
    "plugin.withdrawn": "收回插件开放",
    "user.created": "新建用户",
    "user.activated": "恢复用户",
    "user.deactivated": "停用用户",
    "token.created": "创建 API 令牌",
    "vocabulary.changed": "修改词表",
    "field.added": "添加字段",
    "field.changed": "修改字段",
    "field.retired": "停用字段",
    "field.restored": "恢复字段",
    "entity.transition": "流程操作",
    "entity.code_confirmed": "确认例外信用代码",
    "entity.merged": "合并重复记录",
    "entities.import": "导入记录",
    "jobs.cancelled": "取消后台任务",
    "jobs.retried": "重试后台任务",
    "token.revoked": "撤销 API 令牌",
}
