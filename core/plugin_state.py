"""Where each plugin is enabled: per tenant, in the database, within what the ancestors offer.

Installed is not enabled. A tenant's enabled set is the plugins that (1) loaded,
(2) serve its tier, (3) every ancestor offers to the tenants below it, (4) the tenant
itself enabled, and (5) have everything they require enabled too. Disabling only flips
the flag: every row the plugin wrote stays, and enabling it again shows them again.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ForeignKey, String, UniqueConstraint, exists, select
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from . import audit
from .db import Base, BigId, UTCDateTime, utcnow
from .plugins import PluginMeta, PluginRegistry
from .tenancy import Tenant, TenantOwned, system_scope


class PluginSetting(TenantOwned, Base):
    __tablename__ = "plugin_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(default=False)
    #: Whether the tenants below this one may enable the plugin.
    offered: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))


class PluginStateError(ValueError):
    """A toggle that the rules refuse; the message is for the admin who asked."""


@dataclasses.dataclass(frozen=True)
class PluginStatus:
    """One plugin as one tenant's admin sees it."""

    name: str
    enabled: bool
    offered: bool
    #: Why this tenant cannot enable it, or "" when it may.
    blocked_because: str


def _settings(session: Session, tenant: Tenant) -> dict[tuple[int, str], PluginSetting]:
    ids = (*tenant.ancestor_ids, tenant.id)
    with system_scope(session):
        rows = session.scalars(select(PluginSetting).where(PluginSetting.tenant_id.in_(ids)))
        return {(row.tenant_id, row.plugin): row for row in rows}


def _blocked_because(registry: PluginRegistry, tenant: Tenant, name: str, settings) -> str:
    meta = registry.meta(name)
    if meta is None:
        return "插件未能加载"
    if not meta.serves(tenant.tier):
        return "该插件不服务此层级" if tenant.tier == "district" else "该插件只服务区县"
    for ancestor_id in tenant.ancestor_ids:
        row = settings.get((ancestor_id, name))
        if row is None or not row.offered:
            return "上级尚未开放该插件"
    return ""


def enabled_names(session: Session, registry: PluginRegistry, tenant: Tenant) -> frozenset[str]:
    """The plugins whose hooks, routes and items are live in ``tenant``."""
    settings = _settings(session, tenant)
    candidates = {
        name
        for (tenant_id, name), row in settings.items()
        if tenant_id == tenant.id and row.enabled and not _blocked_because(registry, tenant, name, settings)
    }
    changed = True
    while changed:  # drop plugins whose requirements are not enabled here, transitively
        changed = False
        for name in list(candidates):
            if not set(registry.meta(name).requires) <= candidates:
                candidates.discard(name)
                changed = True
    return frozenset(candidates) | registry.always_on()


def enabled_in(session: Session, registry: PluginRegistry, name: str, tenant_ids: Iterable[int]) -> frozenset[int]:
    """The ids among ``tenant_ids`` of the tenants where ``name`` is enabled.

    The rules of :func:`enabled_names` as one query over all the tenants, for a page that
    links many tenants' pages (a city's districts) and must not ask tenant by tenant.
    """
    ids = list(tenant_ids)
    meta = registry.meta(name)
    if meta is None or not ids:
        return frozenset()
    if meta.always_on:
        return frozenset(ids)
    needed = _with_requirements(registry, name)
    if needed is None:
        return frozenset()
    conditions = [condition for each in needed for condition in _candidate(each, registry.meta(each))]
    with system_scope(session):
        return frozenset(session.scalars(select(Tenant.id).where(Tenant.id.in_(ids), *conditions)))


def _with_requirements(registry: PluginRegistry, name: str) -> set[str] | None:
    """``name`` and every plugin it requires, transitively; None when one of them did not load."""
    needed, pending = set(), [name]
    while pending:
        each = pending.pop()
        if each in needed:
            continue
        meta = registry.meta(each)
        if meta is None:
            return None
        needed.add(each)
        pending.extend(meta.requires)
    return needed


def _candidate(name: str, meta: PluginMeta) -> list:
    """SQL conditions on ``Tenant`` for a tenant that switched ``name`` on and is not blocked
    (see :func:`_blocked_because`): the plugin serves its tier and every ancestor offers it."""

    def setting(tenant_id, flag):
        return exists().where(PluginSetting.tenant_id == tenant_id, PluginSetting.plugin == name, flag.is_(True))

    ancestor = aliased(Tenant)
    conditions = [
        setting(Tenant.id, PluginSetting.enabled),
        ~exists().where(Tenant.path.startswith(ancestor.path), ancestor.id != Tenant.id,
                        ~setting(ancestor.id, PluginSetting.offered)),
    ]
    if not meta.serves("city"):
        conditions.append(Tenant.parent_id.is_not(None))
    if not meta.serves("district"):
        conditions.append(Tenant.parent_id.is_(None))
    return conditions


def statuses(session: Session, registry: PluginRegistry, tenant: Tenant) -> list[PluginStatus]:
    settings = _settings(session, tenant)
    live = enabled_names(session, registry, tenant)
    result = []
    for plugin in registry.loaded:
        if plugin.meta.always_on:
            continue
        row = settings.get((tenant.id, plugin.name))
        result.append(
            PluginStatus(
                name=plugin.name,
                enabled=plugin.name in live,
                offered=bool(row and row.offered),
                blocked_because=_blocked_because(registry, tenant, plugin.name, settings),
            )
        )
    return result


def set_enabled(session: Session, registry: PluginRegistry, tenant: Tenant, name: str, enabled: bool, actor) -> None:
    """Enable or disable ``name`` in ``tenant``, run its lifecycle hook, and audit it.

    Raises :class:`PluginStateError` (nothing changed) when the rules refuse.
    """
    meta = registry.meta(name)
    if meta is None or meta.always_on:
        raise PluginStateError(f"没有可切换的插件 {name}")
    settings = _settings(session, tenant)
    live = enabled_names(session, registry, tenant)
    if enabled:
        reason = _blocked_because(registry, tenant, name, settings)
        if reason:
            raise PluginStateError(reason)
        missing = [req for req in meta.requires if req not in live]
        if missing:
            raise PluginStateError(f"请先启用它依赖的插件:{'、'.join(_titles(registry, missing))}")
    else:
        dependants = [p for p in live if name in (registry.meta(p).requires if registry.meta(p) else ())]
        if dependants:
            raise PluginStateError(f"已启用的插件依赖它,不能停用:{'、'.join(_titles(registry, dependants))}")
    row = _row(session, settings, tenant, name)
    if row.enabled == enabled and (name in live) == enabled:
        return
    row.enabled = enabled
    row.updated_by = getattr(actor, "id", None)
    hook = "quanhui_plugin_enabled" if enabled else "quanhui_plugin_disabled"
    try:
        registry.call_one(name, hook, session=session, tenant=tenant, actor=actor)
    except Exception as exc:
        raise PluginStateError(f"插件「{meta.title}」拒绝了此操作:{exc}") from exc
    audit.record(session, "plugin.enabled" if enabled else "plugin.disabled", tenant_id=tenant.id, target=name, actor=actor)


def set_offered(session: Session, registry: PluginRegistry, tenant: Tenant, name: str, offered: bool, actor) -> None:
    """Let the tenants below ``tenant`` enable ``name``, or stop letting them."""
    meta = registry.meta(name)
    if meta is None or meta.always_on:
        raise PluginStateError(f"没有可切换的插件 {name}")
    if offered and "district" not in meta.levels:
        raise PluginStateError("该插件只服务市级,不能向区县开放")
    row = _row(session, _settings(session, tenant), tenant, name)
    if row.offered == offered:
        return
    row.offered = offered
    row.updated_by = getattr(actor, "id", None)
    audit.record(session, "plugin.offered" if offered else "plugin.withdrawn", tenant_id=tenant.id, target=name, actor=actor)


def _row(session: Session, settings, tenant: Tenant, name: str) -> PluginSetting:
    row = settings.get((tenant.id, name))
    if row is None:
        row = PluginSetting(tenant_id=tenant.id, plugin=name, enabled=False, offered=False)
        with system_scope(session):
            session.add(row)
            session.flush()
    return row


def _titles(registry: PluginRegistry, names) -> list[str]:
    return [registry.meta(n).title if registry.meta(n) else n for n in sorted(names)]
