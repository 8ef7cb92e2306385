"""Roles and the permissions they carry; plugins add permissions through a hook.

A user has one role in their home tenant and keeps it in every tenant below. The
table of which role holds which permission is built once at start-up.
"""
from __future__ import annotations

import dataclasses
import functools

from flask import abort, current_app, g, request

#: Every role, in one registry: permissions, field rights and transitions name these.
ROLES = {"admin": "管理员", "editor": "编辑", "viewer": "查看者", "association": "协会账号", "department": "部门账号"}
#: Roles that act for one association and see only the records it owns.
ASSOCIATION_ROLE = "association"


@dataclasses.dataclass(frozen=True)
class Permission:
    """A named right, with a Chinese title and the roles that hold it by default."""

    name: str
    title: str
    roles: tuple[str, ...] = ("admin",)


class PermissionTable:
    def __init__(self, permissions: list[tuple[str, Permission]]):
        self.by_name = {perm.name: (plugin, perm) for plugin, perm in permissions}
        self.by_role = {role: frozenset(p.name for _, p in permissions if role in p.roles) for role in ROLES}

    def allows(self, role: str | None, name: str) -> bool:
        if name not in self.by_name:
            raise KeyError(f"unknown permission {name!r}")
        return name in self.by_role.get(role or "", frozenset())

    @classmethod
    def from_registry(cls, registry) -> PermissionTable:
        collected = []
        for outcome in registry.each("quanhui_permissions"):
            if outcome.failed:
                continue
            collected.extend((outcome.plugin, perm) for perm in outcome.value or ())
        return cls(collected)


def has_permission(name: str) -> bool:
    """Whether the signed-in user holds ``name`` in the current tenant."""
    table: PermissionTable = current_app.extensions["quanhui.permissions"]
    return table.allows(g.get("role"), name)


def require_permission(name: str):
    """Decorate a view: answer 403 (and audit the denial) unless the user holds ``name``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not has_permission(name):
                deny(name)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def deny(permission: str):
    from .. import audit
    from ..db import session

    audit.record_now(session, "auth.denied", tenant_id=g.tenant.id, target=request.path, permission=permission)
    abort(403)
