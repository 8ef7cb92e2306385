"""Which entity types exist, and what each looks like in one tenant.

Plugin types are collected once at start-up. A tenant's view of a type adds the
custom fields of its ancestors and its own, read from the database on every use, so
a field added in one worker is seen by every worker at once; the marshmallow schema
for that exact definition is built once and cached.

Types built in the browser (:mod:`core.entities.record_types`) are kept per tenant and
rebuilt only when a definition changed: a request compares one number (the newest
version row) with the one its cache was built at.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import threading

from flask import g, has_request_context
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..plugins import PluginRegistry
from ..tenancy import Tenant, system_scope
from ..vocabularies import declared as declared_vocabularies, in_effect as vocabularies_in_effect
from .definitions import DefinitionError, EntityType, Field
from .fields import build_schema
from .models import CustomField
from .record_types import OWNER_SEPARATOR, Definition, RecordType, Summary, reports_of, stamp as record_type_stamp, visible_rows

logger = logging.getLogger(__name__)


class EntityRegistry:
    """The entity types declared by the installed plugins (``quanhui_entity_types``)."""

    def __init__(self, plugins: PluginRegistry):
        self.types: dict[str, EntityType] = {}
        #: Declared vocabularies; a vocabulary field's choices default to their terms.
        self.vocabularies = declared_vocabularies(plugins)
        load_order = list(plugins.plugins)
        outcomes = sorted(plugins.each("quanhui_entity_types"), key=lambda o: load_order.index(o.plugin))
        for outcome in outcomes:
            if outcome.failed:
                continue
            for entity_type in outcome.value or ():
                if OWNER_SEPARATOR in entity_type.name:
                    logger.error("entity type %s of plugin %s ignored: names with %s belong to built types",
                                 entity_type.name, outcome.plugin, OWNER_SEPARATOR)
                    continue
                if entity_type.name in self.types:
                    logger.error(
                        "entity type %s of plugin %s ignored: plugin %s declared it first",
                        entity_type.name, outcome.plugin, self.types[entity_type.name].plugin,
                    )
                    continue
                self.types[entity_type.name] = self._with_vocabularies(_with_plugin(entity_type, outcome.plugin), {})
        #: A built type may not take a plugin's name (its reports are named ``<type>.<report>``).
        self.plugin_names = frozenset(load_order)
        self._built: dict[int, BuiltTypes] = {}
        self._published: tuple[tuple[int, int], list[EntityType]] | None = None
        self._lock = threading.Lock()

    def available(self, enabled: frozenset[str]) -> list[EntityType]:
        return [t for t in self.types.values() if t.plugin in enabled]

    def available_to(self, session: Session, tenant: Tenant, enabled: frozenset[str]) -> list[EntityType]:
        """The plugin types enabled in ``tenant`` and the built types it uses."""
        return [*self.available(enabled), *self.built(session, tenant).types.values()]

    def built(self, session: Session, tenant: Tenant) -> BuiltTypes:
        """The built types ``tenant`` uses, with their reports; cached until any definition changes."""
        current = self._stamp(session)
        cached = self._built.get(tenant.id)
        if cached is not None and cached.stamp == current:
            return cached
        with system_scope(session):
            rows = visible_rows(session, tenant)
        built = BuiltTypes(current, {}, {}, {row.name: Summary.of(row) for row in rows})
        for row in rows:
            if row.name in self.types:  # a plugin installed later declares the same name
                logger.error("record type %s of tenant %s is shadowed by plugin %s",
                             row.name, row.tenant_id, self.types[row.name].plugin)
                continue
            try:
                definition = Definition.from_json(row.definition)
            except DefinitionError:
                logger.exception("record type %s of tenant %s is unusable", row.name, row.tenant_id)
                continue
            built.types[row.name] = self._with_vocabularies(definition.entity_type(), {})
            built.reports.update((report.name, report) for report in reports_of(definition))
        with self._lock:
            self._built[tenant.id] = built
        return built

    def published(self, session: Session) -> list[EntityType]:
        """The built types published to the tenants below the one that built them (for
        the instance-wide API document); cached until any definition changes."""
        current = self._stamp(session)
        if self._published is None or self._published[0] != current:
            with system_scope(session):
                rows = session.scalars(select(RecordType).where(RecordType.published.is_(True)).order_by(RecordType.name))
                types = []
                for row in rows:
                    try:
                        if row.name not in self.types:
                            types.append(Definition.from_json(row.definition).entity_type())
                    except DefinitionError:
                        logger.exception("record type %s is unusable", row.name)
            self._published = (current, types)
        return self._published[1]

    def forget(self) -> None:
        """Drop the built types cached by this process and this request (after a change)."""
        with self._lock:
            self._built.clear()
            self._published = None
        if has_request_context():
            g.pop(STAMP_KEY, None)

    def _stamp(self, session: Session) -> tuple[int, int]:
        """The newest definition version, read once per request."""
        if has_request_context() and STAMP_KEY in g:
            return g.get(STAMP_KEY)
        with system_scope(session):
            current = record_type_stamp(session)
        if has_request_context():
            setattr(g, STAMP_KEY, current)
        return current

    def resolve(self, session: Session, tenant: Tenant, name: str, enabled: frozenset[str]) -> EntityType | None:
        """``name`` as ``tenant`` sees it, or None where its plugin is not enabled."""
        base = self.types.get(name)
        if base is None:
            base = self.built(session, tenant).types.get(name)
        if base is None or base.plugin not in enabled:
            return None
        own = {f.name for f in base.fields}
        added = []
        for field in custom_fields(session, tenant, name):
            if field.name in own:  # the plugin declared this name after a tenant added it
                logger.error("custom field %s.%s is shadowed by the plugin's own field", name, field.name)
                continue
            added.append(field)
        resolved = base.with_fields(tuple(added))
        if any(f.vocabulary for f in resolved.fields):
            resolved = self._with_vocabularies(resolved, vocabularies_in_effect(session, tenant))
        return resolved

    def _with_vocabularies(self, entity_type: EntityType, in_effect: dict) -> EntityType:
        """``entity_type`` with each vocabulary field's choices set to the terms in effect
        (else the declared defaults, else the field's own choices)."""
        if not any(f.vocabulary for f in entity_type.fields):
            return entity_type
        fields = []
        for field in entity_type.fields:
            if field.vocabulary:
                found = in_effect.get(field.vocabulary)
                declaration = self.vocabularies.get(field.vocabulary)
                choices = (found.terms if found is not None else ()) or (declaration.terms if declaration else ())
                field = dataclasses.replace(field, choices=choices or field.choices)
            fields.append(field)
        return dataclasses.replace(entity_type, fields=tuple(fields))


STAMP_KEY = "quanhui_record_type_stamp"


@dataclasses.dataclass(frozen=True)
class BuiltTypes:
    """The built types one tenant uses, as of definition version ``stamp``."""

    stamp: tuple[int, int]
    types: dict[str, EntityType]
    reports: dict[str, object]
    rows: dict[str, Summary]


def _with_plugin(entity_type: EntityType, plugin: str) -> EntityType:
    return dataclasses.replace(entity_type, plugin=plugin)


def custom_fields(session: Session, tenant: Tenant, type_name: str, *, retired: bool = False) -> tuple[Field, ...]:
    """The fields added to ``type_name`` by ``tenant`` and its ancestors, the city's first."""
    chain = (*tenant.ancestor_ids, tenant.id)
    query = (
        select(CustomField)
        .join(Tenant, Tenant.id == CustomField.tenant_id)
        .where(CustomField.tenant_id.in_(chain), CustomField.type == type_name)
        .order_by(Tenant.path, CustomField.position, CustomField.id)
    )
    if not retired:
        query = query.where(CustomField.retired_at.is_(None))
    with system_scope(session):
        rows = list(session.scalars(query))
    result = []
    for row in rows:
        try:
            result.append(Field.from_json(row.definition))
        except DefinitionError:
            logger.exception("custom field %s.%s of tenant %s is unusable", type_name, row.name, row.tenant_id)
    return tuple(result)


def schema_for(entity_type: EntityType) -> Schema:
    """The cached schema of exactly this definition (equal definitions share one)."""
    try:
        return _schemas_by_type[entity_type]
    except KeyError:
        schema = _schemas_by_type[entity_type] = _cached_schema(_definition_key(entity_type), entity_type)
        return schema
    except TypeError:  # a field default that is a list makes the definition unhashable
        return _cached_schema(_definition_key(entity_type), entity_type)


def _definition_key(entity_type: EntityType) -> str:
    return json.dumps([entity_type.name, [f.to_json() for f in entity_type.fields]], sort_keys=True, default=str)


_schemas: dict[str, Schema] = {}
_schemas_by_type: dict[EntityType, Schema] = {}


def _cached_schema(key: str, entity_type: EntityType) -> Schema:
    schema = _schemas.get(key)
    if schema is None:
        schema = _schemas.setdefault(key, build_schema(entity_type))
    return schema
