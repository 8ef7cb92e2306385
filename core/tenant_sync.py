"""Bring the tenants table in line with a tree file (``quanhui init``).

Idempotent: a node is matched by its code, else by its slug, so renames and code
changes update the existing tenant and keep its rows. A tenant no longer in the file is
removed only when it owns no data; otherwise it is kept and reported.
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants import TenantTree

from .tenancy import Tenant, system_scope, tenant_has_data


@dataclasses.dataclass
class SyncReport:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    kept: list[str] = dataclasses.field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


def sync_tree(session: Session, tree: TenantTree) -> SyncReport:
    """Apply ``tree`` to the database in the session's transaction; the caller commits."""
    report = SyncReport()
    with system_scope(session):
        existing = list(session.scalars(select(Tenant)))
        by_code = {t.code: t for t in existing}
        by_slug = {t.slug: t for t in existing}
        seen: dict[str, Tenant] = {}
        for position, node in enumerate(tree.ordered()):
            tenant = by_code.get(node.code) or by_slug.get(node.slug)
            parent = seen[node.parent] if node.parent else None
            values = dict(code=node.code, slug=node.slug, name=node.name, level=node.level, position=position)
            if tenant is None:
                tenant = Tenant(path="", **values)
                session.add(tenant)
                report.created.append(node.slug)
            elif any(getattr(tenant, key) != value for key, value in values.items()) or (
                tenant.parent_id != (parent.id if parent else None)
            ):
                for key, value in values.items():
                    setattr(tenant, key, value)
                report.updated.append(node.slug)
            tenant.parent_id = parent.id if parent else None
            session.flush()
            tenant.path = f"{parent.path if parent else '/'}{tenant.id}/"
            seen[node.slug] = tenant
        kept_ids = {t.id for t in seen.values()}
        for tenant in existing:
            if tenant.id in kept_ids:
                continue
            if tenant_has_data(session, tenant.id):
                report.kept.append(tenant.slug)
            else:
                session.delete(tenant)
                report.removed.append(tenant.slug)
        session.flush()
    return report

