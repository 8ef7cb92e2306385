"""Whose records a list shows: 本级 (``own``), 本级及下级 (``subtree``) or one descendant.

DESIGN.md lets the users of an ancestor read every descendant. A list asks for it with
``?scope=own|subtree`` or ``?tenant=<slug of a descendant>``; :func:`resolve_scope` turns
that into a :class:`RecordScope` against the tenant of the URL: the ids of the tenants
whose records appear, only where the type's plugin is enabled (a district that switched
the plugin off shows none of its rows). A slug outside the tenant's subtree is refused
exactly like one that does not exist (404), so a district's subtree is itself and its
own children, never a sibling.

The write scope never changes: :meth:`RecordScope.reading` widens only what the
session reads, and both isolation layers (the ORM criteria and PostgreSQL row-level
security, see :mod:`core.tenancy`) confine it to those ids.
"""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

from flask import current_app, g
from sqlalchemy.orm import Session

from .. import db
from ..plugin_state import enabled_in
from ..plugins import PluginRegistry
from ..tenancy import Tenant, reading_also, visible_tenants
from .definitions import EntityType
from .published import reading

OWN = "own"
SUBTREE = "subtree"
#: A list narrowed to one descendant (``?tenant=<slug>``).
ONE = "tenant"
LABELS = {OWN: "本级", SUBTREE: "本级及下级"}


class ScopeRefused(ValueError):
    """A scope that cannot be used: ``status`` 404 for a tenant outside the subtree, 422
    for an unknown scope word; the message is for people."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclasses.dataclass(frozen=True)
class RecordScope:
    """The tenants whose records of one type a list in ``tenant`` shows."""

    kind: str
    entity_type: EntityType
    #: The tenant the list is asked in (the URL's).
    tenant: Tenant
    #: The descendant of a ``tenant=<slug>`` list.
    chosen: Tenant | None
    #: Whose records: the resolved tenants where the type is enabled, plus, for a
    #: published type, the ancestors whose catalogue ``tenant`` reads.
    tenant_ids: tuple[int, ...]
    #: The subtree's tenants where the type is enabled, in tree order: the filter's choices.
    tenants: tuple[Tenant, ...]

    @property
    def label(self) -> str:
        """本级, 本级及下级, or the chosen descendant's name."""
        return self.chosen.name if self.chosen is not None else LABELS[self.kind]

    @property
    def spans(self) -> bool:
        """Whether the list may hold another tenant's records (it shows 所属单位 then)."""
        return self.kind != OWN

    @property
    def descendants(self) -> tuple[Tenant, ...]:
        return tuple(t for t in self.tenants if t.id != self.tenant.id)

    def owner(self, tenant_id: int) -> Tenant:
        """The tenant a row of the list belongs to, for its 所属单位 and its link; an
        ancestor's catalogue entry is read where the list is."""
        return next((t for t in self.tenants if t.id == tenant_id), self.tenant)

    @contextlib.contextmanager
    def reading(self, session: Session) -> Iterator[None]:
        """A block in which ``session`` may read these tenants' records (writes unchanged),
        an ancestor's catalogue as :func:`~core.entities.published.reading` opens it."""
        with reading(session, self.tenant, self.entity_type), reading_also(session, self.tenant_ids):
            yield


def resolve_scope(
    session: Session,
    registry: PluginRegistry,
    tenant: Tenant,
    entity_type: EntityType,
    *,
    scope: str | None = None,
    tenant_slug: str | None = None,
    default: str = OWN,
) -> RecordScope:
    """The :class:`RecordScope` of a list of ``entity_type`` in ``tenant``.

    ``tenant_slug`` (one descendant, or ``tenant`` itself) wins over ``scope``; with
    neither, ``default`` applies, and a ``subtree`` default falls back to ``own`` where no
    descendant has the type enabled. Raises :class:`ScopeRefused`.
    """
    scope = (scope or "").strip()
    tenant_slug = (tenant_slug or "").strip()
    if scope and scope not in LABELS:
        raise ScopeRefused(422, f"查看范围“{scope[:20]}”不可用，只能是 own（本级）或 subtree（本级及下级）。")
    subtree = visible_tenants(session, tenant)
    enabled = enabled_in(session, registry, entity_type.plugin, [t.id for t in subtree])
    tenants = tuple(t for t in subtree if t.id in enabled)
    chosen = None
    if tenant_slug:
        chosen = next((t for t in subtree if t.slug == tenant_slug), None)
        if chosen is None:
            raise ScopeRefused(404, "没有这个下级单位。")
    if chosen is not None and chosen.id != tenant.id:
        kind, ids = ONE, tuple(t.id for t in tenants if t.id == chosen.id)
    else:
        chosen = None
        kind = scope or default
        if kind == SUBTREE and not scope and len(tenants) < 2:
            kind = OWN
        ids = tuple(t.id for t in tenants) if kind == SUBTREE else (tenant.id,)
    kept_above = tenant.ancestor_ids if entity_type.published else ()
    return RecordScope(kind, entity_type, tenant, chosen, (*kept_above, *ids), tenants)


def record_scope(entity_type: EntityType, *, scope: str | None = None, tenant: str | None = None,
                 default: str = OWN) -> RecordScope:
    """:func:`resolve_scope` inside a request: the list is the URL's tenant's, the
    plugins are this app's. ``tenant`` is a descendant's slug. Raises :class:`ScopeRefused`."""
    return resolve_scope(db.session, current_app.extensions["quanhui.plugins"], g.tenant, entity_type,
                         scope=scope, tenant_slug=tenant, default=default)


__all__ = ["OWN", "SUBTREE", "RecordScope", "ScopeRefused", "record_scope", "resolve_scope"]
