"""What plugins' commands share: the tenants a command runs for.

A command that works tenant by tenant (a snapshot, a rebuilt index) takes an optional
``--tenant SLUG``: that tenant, or every tenant when it is left out.
"""
from __future__ import annotations

import click
from sqlalchemy import select

from .db import session
from .tenancy import Tenant, system_scope, tenant_by_slug


def command_tenants(slug: str | None) -> list[Tenant]:
    """The tenant ``slug`` names, or every tenant in tree order when ``slug`` is empty.

    An unknown slug stops the command as a usage error (exit code 2), in Chinese, before
    anything is written.
    """
    with system_scope(session):
        if not slug:
            return list(session.scalars(select(Tenant).order_by(Tenant.position, Tenant.id)))
        found = tenant_by_slug(session, slug)
    if found is None:
        raise click.UsageError(f"没有简称为 {slug} 的单位")
    return [found]
