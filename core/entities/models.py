"""Generic entity storage: one row per record, its revisions, and typed projections.

The record's fields live in ``data`` (JSON). Fields marked indexed are copied into
``entity_values`` as text, number or date, one row per value, with indexes that lead
with tenant_id, so filters, sorts and roll-ups run on indexes instead of JSON scans.
"""
from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, BigId, UTCDateTime, utcnow
from ..tenancy import TenantOwned


class Entity(TenantOwned, Base):
    __tablename__ = "entities"
    __table_args__ = (
        Index("ix_entities_tenant_type_live", "tenant_id", "type", "deleted_at", "id"),
        Index("ix_entities_tenant_owner", "tenant_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    #: The association the record belongs to (an association owns itself); association
    #: accounts see only the records their association owns.
    owner_id: Mapped[int | None] = mapped_column(BigId)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Incremented by every change; a save that names an older version is a conflict.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    #: SQLAlchemy adds "AND version = <as read>" to every UPDATE: a concurrent save loses.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class EntityRevision(TenantOwned, Base):
    """One change of one record: who, when, what it was before and after."""

    __tablename__ = "entity_revisions"
    __table_args__ = (Index("ix_entity_revisions_tenant_entity", "tenant_id", "entity_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigId, ForeignKey("entities.id", ondelete="CASCADE"))
    version: Mapped[int]
    #: create, update, delete, restore, or transition:<name>
    action: Mapped[str] = mapped_column(String(60))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    by_name: Mapped[str] = mapped_column(String(80), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Why a workflow transition was fired, when it asks for a reason.
    reason: Mapped[str | None] = mapped_column(Text)


class EntityValue(TenantOwned, Base):
    """A typed copy of one value of one indexed field."""

    __tablename__ = "entity_values"
    __table_args__ = (
        Index("ix_entity_values_text", "tenant_id", "type", "field", "text_value"),
        Index("ix_entity_values_num", "tenant_id", "type", "field", "num_value"),
        Index("ix_entity_values_date", "tenant_id", "type", "field", "date_value"),
        Index("ix_entity_values_entity_field", "tenant_id", "entity_id", "type", "field"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigId, ForeignKey("entities.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(40))
    text_value: Mapped[str | None] = mapped_column(String(400))
    num_value: Mapped[decimal.Decimal | None] = mapped_column(Numeric(20, 4))
    date_value: Mapped[dt.date | None] = mapped_column(Date)


class EntitySearchText(TenantOwned, Base):
    """Every indexed text value of one live record, lower-cased and joined by newlines.

    The list's search box tests one row per record here instead of one per text field
    in ``entity_values`` (eleven for an association): a tenant's records are read once,
    along (tenant_id, type). A newline never occurs in a search word, so no match spans
    two values.
    """

    __tablename__ = "entity_search_texts"
    __table_args__ = (
        Index("ix_entity_search_texts_tenant_type", "tenant_id", "type"),
        Index("ix_entity_search_texts_entity", "entity_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigId, ForeignKey("entities.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)


class CustomField(TenantOwned, Base):
    """A field a tenant admin added to a type; the city's apply in every district below it."""

    __tablename__ = "entity_custom_fields"
    __table_args__ = (Index("ix_entity_custom_fields_tenant_type", "tenant_id", "type", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(40))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))


class EntityUniqueKey(TenantOwned, Base):
    """One value of a unique field, held by one live record (see :mod:`core.entities.unique`).

    The unique index on (scope_id, type, field, value) is what lets exactly one of two
    concurrent saves of one value win; ``scope_id`` is the record's tenant or the root of
    its tree, so admins' declarations need no DDL of their own.
    """

    __tablename__ = "entity_unique_keys"
    __table_args__ = (
        Index("uq_entity_unique_keys_value", "scope_id", "type", "field", "value", unique=True),
        Index("ix_entity_unique_keys_tenant_entity", "tenant_id", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigId, ForeignKey("entities.id", ondelete="CASCADE"))
    scope_id: Mapped[int] = mapped_column(BigId)
    type: Mapped[str] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(400))
