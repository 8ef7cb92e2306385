"""The core's own pages, permissions and navigation, contributed through the same
hooks any plugin uses (as pytest's own features are pytest plugins)."""
from __future__ import annotations

from .auth.permissions import Permission
from .plugins import PluginMeta, hookimpl
from .web.shell import NavItem

meta = PluginMeta(
    name="core",
    title="平台核心",
    version="0.1.0",
    description="租户、登录、插件管理和审计日志",
    always_on=True,
)


@hookimpl
def quanhui_permissions():
    return [
        Permission("core.view", "查看", roles=("admin", "editor", "viewer", "association")),
        Permission("core.manage_plugins", "管理插件", roles=("admin",)),
        Permission("core.manage_users", "管理用户", roles=("admin",)),
        Permission("core.view_audit", "查看审计日志", roles=("admin",)),
        Permission("entities.view", "查看记录", roles=("admin", "editor", "viewer", "association")),
        Permission("entities.edit", "新建和修改记录", roles=("admin", "editor", "association")),
        Permission("entities.delete", "删除和恢复记录", roles=("admin", "editor")),
        Permission("entities.import", "导入记录", roles=("admin", "editor")),
        Permission("entities.design", "设计字段", roles=("admin",)),
        Permission("entities.confirm_code", "确认校验位有误但真实的信用代码", roles=("admin",)),
        Permission("entities.confirm", "确认或退回协会账号填报的记录", roles=("admin", "editor")),
        Permission("reports.view", "查看统计报表", roles=("admin", "editor", "viewer")),
        Permission("vocabularies.manage", "维护词表", roles=("admin",)),
        Permission("jobs.manage", "取消和重试本单位的后台任务", roles=("admin",)),
    ]


@hookimpl
def quanhui_nav_items(tenant, user):
    return [
        NavItem("工作台", "shell.dashboard", order=0),
        NavItem("统计报表", "reports.index", order=800, permission="reports.view"),
        NavItem("待确认", "entities.pending", order=790, permission="entities.confirm"),
        NavItem("插件", "admin.plugins", order=900, permission="core.manage_plugins"),
        NavItem("字段设计", "field_designer.index", order=905, permission="entities.design"),
        NavItem("记录类型", "record_types.index", order=906, permission="entities.design"),
        *_built_type_items(tenant),
        NavItem("词表", "vocabularies.index", order=907, permission="vocabularies.manage"),
        NavItem("用户", "admin.users", order=910, permission="core.manage_users"),
        NavItem("审计日志", "admin.audit_log", order=920, permission="core.view_audit"),
        NavItem("后台任务", "jobs.index", order=925, permission="jobs.manage"),
        # Tokens belong to the home tenant: the page is there only.
        *([NavItem("我的令牌", "account.tokens", order=950, permission="core.view")] if _at_home(tenant, user) else []),
    ]


def _built_type_items(tenant) -> list[NavItem]:
    """A link to each record type built without code that asks for a place in the navigation
    and is in use (a retired one keeps its records, reached from the builder's list)."""
    if tenant is None:
        return []
    from flask import current_app

    from .db import session

    built = current_app.extensions["quanhui.entities"].built(session, tenant)
    items = []
    for name, row in built.rows.items():
        if name in built.types and row.nav_order is not None and not row.retired:
            items.append(NavItem(f"{row.icon} {row.label}".strip(), "entities.index", order=row.nav_order,
                                 permission="entities.view", args={"type_name": name}))
    return items


def _at_home(tenant, user) -> bool:
    return tenant is not None and user is not None and user.tenant_id == tenant.id


@hookimpl
def quanhui_reports():
    from .reports.builtin_reports import REPORTS

    return list(REPORTS)


@hookimpl
def quanhui_jobs():
    from .entities.excel_job import EXPORT_JOB, IMPORT

    return [IMPORT, EXPORT_JOB]
