"""Creating, changing, deleting and restoring records: the one path every change takes.

Pages, the API, Excel import and plugins all go through :class:`EntityService`, so each
change is validated the same way, bumps the version, writes a revision, refreshes the
projections, and, once committed, is announced to the tenant's plugins.
"""
from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import Connection, delete, event, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..db import utcnow
from ..plugins import HookRelay
from ..tenancy import ScopeError, Tenant, system_scope
from . import duplicates, files, unique, uscc
from .bulk_sql import insert_rows, is_postgresql, reserve_ids
from .confirmation import PENDING, is_pending
from .data_versions import note_change
from .definitions import TIERS, EntityType
from .fields import clean_input, projection_values
from .models import Entity, EntityRevision, EntitySearchText, EntityUniqueKey, EntityValue
from .ownership import owner_of, restricted_association
from .published import readable_tenant_ids, reading
from .registry import EntityRegistry, schema_for
from .rights import FieldRights, refused_fields, rights_of
from . import workflows


#: In input: the credit-code fields the user confirms as real exceptions.
CONFIRM = "_confirm"
#: In stored data: the confirmed exceptional codes, by field.
CONFIRMED = "_confirmed"
CONFIRM_PERMISSION = "entities.confirm_code"
#: Confirming or rejecting what association accounts filed (see :mod:`.confirmation`).
CONFIRM_RECORDS_PERMISSION = "entities.confirm"
#: Records a bulk writer holds before writing them with one statement per table.
BULK_BATCH = 1000


class EntityError(Exception):
    """Base of the refusals a caller turns into 404, 409 or 422."""


class NotFound(EntityError):
    pass


class Forbidden(EntityError):
    """The actor may not do this to this record; the message says why, in Chinese."""


class FieldsForbidden(Forbidden):
    """A change to fields the actor may not write (see :mod:`.rights`); ``errors`` maps
    each to its Chinese refusal, and the message names them all."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("；".join(m for messages in errors.values() for m in messages))
        self.errors = errors


class Invalid(EntityError):
    """Input refused; ``errors`` maps each field to its Chinese messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class Taken(Invalid):
    """A deleted record cannot come back: a value it held is now another record's."""

    def __str__(self) -> str:
        messages = "；".join(m for ms in self.errors.values() for m in ms)
        return f"不能恢复：{messages}。请先修改或删除占用它的记录。"


class Conflict(EntityError):
    """The record changed since the caller read it; ``current`` is what it is now."""

    def __init__(self, current: Entity):
        super().__init__(f"version {current.version} is current")
        self.current = current


@dataclasses.dataclass
class Change:
    """One committed change, as the ``quanhui_entity_changed`` hook receives it."""

    entity_type: EntityType
    entity_id: int
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class EntityService:
    """Record operations for one tenant, on behalf of one actor."""

    def __init__(self, session: Session, tenant: Tenant, relay: HookRelay, registry: EntityRegistry, actor=None):
        self.session = session
        self.tenant = tenant
        self.relay = relay
        self.registry = registry
        self.actor = actor
        self._changes: list[Change] = []
        self._bulk: BulkWriter | None = None

    # types ------------------------------------------------------------

    def type(self, name: str) -> EntityType | None:
        if self._bulk is not None:  # one definition for a whole batch: no query per row
            if name not in self._bulk.types:
                self._bulk.types[name] = self.registry.resolve(self.session, self.tenant, name, self.relay.enabled)
            return self._bulk.types[name]
        return self.registry.resolve(self.session, self.tenant, name, self.relay.enabled)

    def types(self) -> list[EntityType]:
        return [self.type(t.name) for t in self.registry.available_to(self.session, self.tenant, self.relay.enabled)]

    # reading ----------------------------------------------------------

    def get(self, entity_type: EntityType, entity_id: int, *, deleted: bool = False, readonly: bool = False) -> Entity:
        """This tenant's record; with ``readonly``, also an ancestor's record of a published
        type (read it inside :meth:`reading`)."""
        tenant_ids = readable_tenant_ids(self.tenant, entity_type) if readonly else (self.tenant.id,)
        entity = self.session.scalar(
            select(Entity).where(Entity.id == entity_id, Entity.type == entity_type.name, Entity.tenant_id.in_(tenant_ids))
        )
        if entity is None or (entity.deleted_at is not None) != deleted:
            raise NotFound(entity_id)
        return entity

    def reading(self, entity_type: EntityType | None):
        """A block in which this tenant reads ``entity_type`` as it may: for a published
        type, its ancestors' records too (see :mod:`.published`)."""
        return reading(self.session, self.tenant, entity_type)

    def revisions(self, entity: Entity) -> list[EntityRevision]:
        return list(
            self.session.scalars(
                select(EntityRevision).where(EntityRevision.entity_id == entity.id).order_by(EntityRevision.version)
            )
        )

    # validation -------------------------------------------------------

    def validate(self, entity_type: EntityType, raw: dict[str, Any], previous: dict[str, Any] | None = None, *,
                 entity_id: int | None = None, action: str | None = None) -> dict:
        """The JSON data to store for ``raw`` laid over ``previous`` (record ``entity_id``'s
        data; both None for a new record); raises :class:`Invalid`. ``action`` is what the
        validation hooks are told (``create``, ``update`` or ``transition:<name>``).

        ``raw[CONFIRM]`` may list credit-code fields whose code is real though its check
        character is wrong (early pilot codes); an authorised user's confirmation is kept
        with the record, so later edits accept the same code.
        """
        raw = dict(raw)
        asked = set(raw.pop(CONFIRM, None) or ())
        merged = {**(previous or {}), **clean_input(entity_type, raw)}
        known = {f.name for f in entity_type.fields}
        merged_known = {k: v for k, v in merged.items() if k in known}
        schema = schema_for(_keeping_previous_choices(entity_type, previous))
        errors: dict[str, list[str]] = {}
        denied: dict[str, list[str]] = {}
        confirmed, accepted = self._confirmed_codes(entity_type, merged_known, asked, previous, denied)
        merged_known.update({name: uscc.with_correct_check(code) for name, code in accepted.items()})
        unknown = sorted(set(raw) - known)
        for name in unknown:
            errors[name] = ["没有这个字段"]
        try:
            loaded = schema.load(merged_known)
        except ValidationError as refusal:
            errors.update({name: _flatten(messages) for name, messages in refusal.normalized_messages().items()})
            loaded = None
        if loaded is not None:
            errors.update(self._reference_errors(entity_type, loaded))
            errors.update(self._file_errors(entity_type, loaded, previous, entity_id))
            with self._watching_reads():
                outcomes = self.relay.each(
                    "quanhui_validate_entity", tenant=self.tenant, entity_type=entity_type, data=loaded,
                    previous=previous, before=_typed(schema, entity_type, previous), actor=self.actor,
                    entity_id=entity_id, action=action or ("create" if previous is None else "update"),
                )
            for outcome in outcomes:
                if outcome.failed:
                    raise outcome.error
                for name, message in (outcome.value or {}).items():
                    errors.setdefault(name, []).append(message)
        errors.update(self._unique_errors(entity_type, {k: v for k, v in merged_known.items() if k not in errors},
                                          entity_id))
        errors.update(denied)
        if errors:
            raise Invalid(errors)
        retired = {k: v for k, v in (previous or {}).items() if k not in known and k != CONFIRMED}
        data = {**retired, **schema.dump(loaded), **accepted}
        if confirmed:
            data[CONFIRMED] = confirmed
        return data

    def _confirmed_codes(self, entity_type, values, asked, previous, denied) -> tuple[dict, dict]:
        """The confirmations to keep, and the codes they let through this time."""
        kept = dict((previous or {}).get(CONFIRMED) or {})
        confirmed, accepted = {}, {}
        for field in entity_type.fields:
            code = values.get(field.name)
            if field.kind != "uscc" or not code or not uscc.validate(code).only_check_failed:
                continue
            if field.name in asked:
                if not self._may(CONFIRM_PERMISSION):
                    denied[field.name] = ["您没有确认例外代码的权限,请联系管理员"]
                    continue
                if kept.get(field.name) != code:
                    audit.record(self.session, "entity.code_confirmed", tenant_id=self.tenant.id,
                                 target=f"{entity_type.name}.{field.name}", actor=self.actor, code=code)
                kept[field.name] = code
            if kept.get(field.name) == code:
                confirmed[field.name] = code
                accepted[field.name] = code
        return confirmed, accepted

    @contextlib.contextmanager
    def _watching_reads(self):
        """While a bulk writer is open, count the statements plugins' checks run: a check
        that reads the database must see the rows the writer still holds."""
        writer = self._bulk
        if writer is None:
            yield
            return
        writer.watching = True
        try:
            yield
        finally:
            writer.watching = False

    def _may(self, permission: str) -> bool:
        table = current_app.extensions["quanhui.permissions"]
        return self.actor is not None and table.allows(self.actor.role, permission)

    def _reference_errors(self, entity_type: EntityType, loaded: dict[str, Any]) -> dict[str, list[str]]:
        errors = {}
        for field in entity_type.fields:
            value = loaded.get(field.name)
            if field.kind != "reference" or value is None:
                continue
            if self._bulk is not None and (field.target, value) in self._bulk.live:
                continue
            with self.reading(self.type(field.target)):
                exists = self.session.scalar(
                    select(func.count(Entity.id)).where(
                        Entity.id == value, Entity.type == field.target, Entity.deleted_at.is_(None)
                    )
                )
            if not exists:
                errors[field.name] = ["关联的记录不存在或已删除"]
            elif self._bulk is not None:
                self._bulk.live.add((field.target, value))
        return errors

    def _unique_errors(self, entity_type: EntityType, values: dict[str, Any], entity_id: int | None) -> dict:
        """Unique fields whose value another live record holds (or, in a bulk write, an
        earlier row of the same batch); checked on the fields' own valid input, so the
        inline check of one field reports it while the rest of the form is still empty.
        A bulk write reads the values held once, not once per row (the index decides races)."""
        if self._bulk is None or self._bulk.entity_type.name != entity_type.name:
            return unique.errors(self.session, self.tenant, entity_type, values, entity_id)
        writer, found = self._bulk, {}
        if writer.held_values is None:
            writer.held_values = unique.held(self.session, self.tenant, entity_type)
        for field in entity_type.unique_fields:
            value = unique.key_value(values.get(field.name))
            if value is None:
                continue
            if (field.name, value) in writer.held_values:
                found[field.name] = [unique.taken_message(self.session, self.tenant, field,
                                                          writer.held_values[field.name, value])]
            elif (field.name, value) in writer.unique_values:
                found[field.name] = [f"{field.label}与本次导入的另一行重复"]
        return found

    def _file_errors(self, entity_type: EntityType, loaded: dict[str, Any], previous: dict[str, Any] | None,
                     entity_id: int | None) -> dict[str, list[str]]:
        """A file field may name only a file bound to this record and field, one this actor
        stored in this request (a form that uploads and saves at once; not in a bulk write,
        which binds nothing), or the file it already named. Name, size and type are filled
        in from the stored file, whatever the input said."""
        errors = {}
        for field in entity_type.fields:
            value = loaded.get(field.name)
            if field.kind != "file" or value is None:
                continue
            stored = files.find(self.session, self.tenant.id, value.get("file"))
            kept = (previous or {}).get(field.name)
            if stored is None:
                errors[field.name] = ["文件不存在，请重新上传"]
            elif (stored.bound_to(entity_id, field.name) or (isinstance(kept, dict) and kept.get("file") == stored.id)
                  or (self._bulk is None and files.stored_unbound(self.session, stored, self._actor_id))):
                loaded[field.name] = stored.as_json()
            else:
                errors[field.name] = ["这个文件不是为本记录的这一项上传的，请在这里重新上传"]
        return errors

    # changes ----------------------------------------------------------

    def create(self, entity_type: EntityType, raw: dict[str, Any]) -> Entity:
        data = self._checked_new(entity_type, raw)
        now = utcnow()
        entity = Entity(
            tenant_id=self.tenant.id, type=entity_type.name, data=data, version=1,
            created_at=now, updated_at=now, created_by=self._actor_id, updated_by=self._actor_id,
        )
        self.session.add(entity)
        self.session.flush()
        entity.owner_id = owner_of(entity_type, entity.id, data)
        self._record(entity_type, entity, "create", None, data)
        self._project(entity_type, entity, fresh=True)
        return entity

    def bulk(self, entity_type: EntityType, *, batch: int = BULK_BATCH, stage: str | None = None) -> BulkWriter:
        """A :class:`BulkWriter`: records validated one by one, written in batches (with
        ``stage``, stored under that type name, out of sight until :meth:`publish`)."""
        return BulkWriter(self, entity_type, batch=batch, stage=stage)

    def publish(self, entity_type: EntityType, stage: str) -> None:
        """Make the records a staged bulk write stored under ``stage`` records of
        ``entity_type``: three short UPDATEs, so a long import is invisible until complete."""
        for model in (Entity, EntityValue, EntitySearchText):
            self.session.execute(
                update(model).where(model.tenant_id == self.tenant.id, model.type == stage).values(type=entity_type.name),
                execution_options={"synchronize_session": False},
            )

    def discard_stage(self, stage: str) -> None:
        """Delete what a staged bulk write left under ``stage`` (revisions and projections
        go with their records)."""
        self.session.execute(delete(Entity).where(Entity.tenant_id == self.tenant.id, Entity.type == stage),
                             execution_options={"synchronize_session": False})

    def create_many(
        self, entity_type: EntityType, rows: Iterable[dict[str, Any]], *,
        progress: Callable[[int], None] | None = None, every: int = BULK_BATCH,
    ) -> list[int]:
        """Create a record for each of ``rows``, all or nothing; returns their ids in order.

        Each row is validated exactly as :meth:`create` validates it; the records,
        revisions and projections are written a batch at a time. When any row is refused
        nothing is written and :class:`Invalid` is raised with the errors of every refused
        row, keyed ``"<row index>.<field>"``. ``progress(done)`` is called every ``every``
        rows and at the end. The caller commits (:meth:`commit`).
        """
        errors: dict[str, list[str]] = {}
        done = 0
        with self.bulk(entity_type) as writer:
            for index, raw in enumerate(rows):
                try:
                    if errors:
                        writer.check(raw)
                    else:
                        writer.add(raw)
                except (Invalid, FieldsForbidden) as refusal:
                    if not errors:
                        writer.discard()
                        self.rollback()
                    errors.update({f"{index}.{name}": messages for name, messages in refusal.errors.items()})
                done += 1
                if progress is not None and done % every == 0:
                    progress(done)
            if progress is not None:
                progress(done)
            if errors:
                raise Invalid(errors)
            writer.flush()
            return writer.ids

    def update(self, entity_type: EntityType, entity: Entity, raw: dict[str, Any], expected_version: int) -> Entity:
        if entity.version != expected_version:
            raise Conflict(entity)
        before = entity.data
        workflows.refuse_state_change(entity_type, raw, before or {})
        self._refuse_unwritable(entity_type, raw, before)
        data = self.validate(entity_type, self._for_own_association(entity_type, raw), before, entity_id=entity.id)
        if data == before:
            return entity
        data = self._awaiting_confirmation(entity_type, data)
        entity.data = data
        entity.owner_id = owner_of(entity_type, entity.id, data)
        return self._save(entity_type, entity, "update", before, data)

    def delete(self, entity_type: EntityType, entity: Entity, expected_version: int | None = None) -> Entity:
        self._refuse_unless_keeper(entity_type)
        if expected_version is not None and entity.version != expected_version:
            raise Conflict(entity)
        entity.deleted_at = utcnow()
        self._unproject(entity)
        unique.settle(self.session, entity_type, self.tenant, entity.data)
        return self._save(entity_type, entity, "delete", entity.data, None, project=False)

    def restore(self, entity_type: EntityType, entity: Entity) -> Entity:
        """Bring a deleted record back; :class:`Taken` when a value of one of its unique
        fields has since been given to another record."""
        self._refuse_unless_keeper(entity_type)
        entity.deleted_at = None
        try:
            return self._save(entity_type, entity, "restore", None, entity.data)
        except Invalid as refusal:
            raise Taken(refusal.errors) from None

    def merge(self, entity_type: EntityType, keep: Entity, drop: Entity) -> int:
        """Merge the duplicate ``drop`` into ``keep`` (see :mod:`.duplicates`); returns how
        many referring records now point to ``keep``."""
        self._refuse_unless_keeper(entity_type)
        return duplicates.merge(self, entity_type, keep, drop)

    def attach_file(self, entity_type: EntityType, entity: Entity, field_name: str, upload) -> dict[str, Any]:
        """Store ``upload`` bound to ``entity``'s file field ``field_name``; returns the
        value that names it. The record is unchanged until an update or a transition names
        the file. Raises :class:`Forbidden` or :class:`Invalid` (keyed by the field)."""
        self._refuse_unless_keeper(entity_type)
        if upload is None or not upload.filename:
            raise Invalid({field_name: ["请选择要上传的文件"]})
        try:
            return files.store(self.session, self.tenant.id, upload, actor_id=self._actor_id,
                               bind=(entity.id, field_name), accept=entity_type.field(field_name).accept)
        except files.FileRefused as refusal:
            raise Invalid({field_name: [str(refusal)]}) from None

    def may_create(self, entity_type: EntityType) -> bool:
        """Whether the 新建 button shows (see :meth:`creation_refusal`)."""
        return self.creation_refusal(entity_type) is None

    def creation_refusal(self, entity_type: EntityType) -> str | None:
        """Why this actor may not add records of ``entity_type`` here, or None: the type is
        retired, kept by another tier, or an association account meets a type no association owns."""
        if entity_type.retired:
            return f"{entity_type.label}已停用,不能新建记录;已有的记录仍可查看"
        refusal = self._keeper_refusal(entity_type)
        if refusal is None and restricted_association(self.session) is not None and entity_type.owner_field is None:
            refusal = f"协会账号不能新建{entity_type.label}"
        return refusal

    def _keeper_refusal(self, entity_type: EntityType) -> str | None:
        if not entity_type.kept_by or self.tenant.tier in entity_type.kept_by:
            return None
        keepers = "、".join(TIERS[tier] for tier in entity_type.kept_by)
        return f"{entity_type.label}由{keepers}维护,{self.tenant.name}只能查看和选用,不能新建或修改"

    def _refuse_unless_keeper(self, entity_type: EntityType) -> None:
        refusal = self._keeper_refusal(entity_type)
        if refusal is not None:
            raise Forbidden(refusal)

    @property
    def rights(self) -> FieldRights:
        """What this service's actor may read and write, field by field."""
        return rights_of(self.actor, self.tenant)

    def _checked_new(self, entity_type: EntityType, raw: dict[str, Any]) -> dict:
        """The data a new record stores for ``raw``, refused as :meth:`create` refuses it."""
        raw = self._for_own_association(entity_type, raw, creating=True)
        self._refuse_unwritable(entity_type, raw, None)
        data = self.validate(entity_type, workflows.initial_state(entity_type, raw))
        return self._awaiting_confirmation(entity_type, data)

    def _awaiting_confirmation(self, entity_type: EntityType, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` marked 待确认 when an association account files it for a type whose
        records count only once the staff confirm them (see :mod:`.confirmation`)."""
        if entity_type.needs_confirmation and restricted_association(self.session) is not None:
            return {**data, PENDING: True}
        return data

    def confirm(self, entity_type: EntityType, entity: Entity, expected_version: int) -> Entity:
        """The staff confirm a 待确认 record: from this revision on it counts in figures."""
        self._refuse_unless_confirmer(entity_type, entity, expected_version)
        before = entity.data
        entity.data = {key: value for key, value in before.items() if key != PENDING}
        audit.record(self.session, "entity.confirmed", tenant_id=self.tenant.id, actor=self.actor,
                     target=f"{entity_type.name}:{entity.id}")
        return self._save(entity_type, entity, "confirm", before, entity.data)

    def reject(self, entity_type: EntityType, entity: Entity, expected_version: int, reason: str) -> Entity:
        """The staff reject a 待确认 record: it is deleted (restorable), with the reason."""
        self._refuse_unless_confirmer(entity_type, entity, expected_version)
        reason = (reason or "").strip()
        if not reason or len(reason) > workflows.REASON_LIMIT:
            raise Invalid({"reason": [workflows.REASON_REQUIRED if not reason else "原因太长"]})
        audit.record(self.session, "entity.rejected", tenant_id=self.tenant.id, actor=self.actor,
                     target=f"{entity_type.name}:{entity.id}", reason=reason[:200])
        entity.deleted_at = utcnow()
        self._unproject(entity)
        return self._save(entity_type, entity, "reject", entity.data, None, project=False, reason=reason)

    def _refuse_unless_confirmer(self, entity_type: EntityType, entity: Entity, expected_version: int) -> None:
        """The staff (or the system) settle a 待确认 record, at the version they saw."""
        if self.actor is not None and (not self._may(CONFIRM_RECORDS_PERMISSION)
                                       or restricted_association(self.session) is not None):
            raise Forbidden(f"只有工作人员能确认或退回{entity_type.label}")
        if entity.version != expected_version:
            raise Conflict(entity)
        if not is_pending(entity.data):
            raise Invalid({"confirmation": [f"这条{entity_type.label}不是待确认的记录"]})

    def _refuse_unwritable(self, entity_type: EntityType, given: dict[str, Any], before: dict[str, Any] | None) -> None:
        """The one check of field rights on writes (creation, change, import and batch edits),
        before validation: a refused right is the answer, whatever else is wrong. A given
        value is compared with the stored one as validation would store it."""
        rights = self.rights
        unwritable = {f.name for f in entity_type.fields if f.name in given and not rights.may_write(f)}
        if not unwritable:
            return
        asked = clean_input(entity_type, {name: given[name] for name in unwritable})
        stored = asked
        if before is not None:
            schema = schema_for(_keeping_previous_choices(entity_type, before))
            try:
                stored = schema.dump(schema.load(asked, partial=True))
            except ValidationError:
                pass  # a value validation refuses is no stored value: a change
        refused = refused_fields(rights, entity_type, stored, before)
        if refused:  # the error handler rolls back and audits the denial
            raise FieldsForbidden(refused)

    def _for_own_association(self, entity_type: EntityType, raw: dict[str, Any], *, creating: bool = False) -> dict:
        """An association account files records for its own association only; no one
        writes a type another tier keeps."""
        if creating and (refusal := self.creation_refusal(entity_type)):
            raise Forbidden(refusal)
        self._refuse_unless_keeper(entity_type)
        association_id = restricted_association(self.session)
        if association_id is None:
            return raw
        if entity_type.owner_field is None:
            return raw
        return {**raw, entity_type.owner_field: association_id}

    def transition(
        self, entity_type: EntityType, entity: Entity, name: str, expected_version: int, *,
        reason: str = "", values: dict[str, Any] | None = None,
    ) -> Entity:
        """Fire workflow transition ``name``: the only way a record's state changes.

        Raises :class:`Conflict`, :class:`NotFound` (no such transition),
        :class:`Invalid` (wrong state, missing reason or values, a guard's refusal) or
        :class:`Forbidden`; see :mod:`core.entities.workflows`.
        """
        self._refuse_unless_keeper(entity_type)
        return workflows.fire(self, entity_type, entity, name, expected_version, reason=reason, values=values)

    def available_transitions(self, entity_type: EntityType, entity: Entity, actor=None) -> list:
        """The transitions ``actor`` (by default this service's) may fire on ``entity`` now."""
        return workflows.available_transitions(entity_type, entity, self.actor if actor is None else actor)

    def _save(self, entity_type, entity, action, before, after, *, project: bool = True, reason: str = "") -> Entity:
        entity.version += 1
        entity.updated_at = utcnow()
        entity.updated_by = self._actor_id
        try:
            self.session.flush()
        except StaleDataError:
            self.session.rollback()
            raise Conflict(self.get(entity_type, entity.id, deleted=action == "restore")) from None
        self._record(entity_type, entity, action, before, after, reason=reason)
        if project:
            self._project(entity_type, entity)
        return entity

    def _record(self, entity_type, entity, action, before, after, *, reason: str = "") -> None:
        if after is not None:
            files.bind_unbound(self.session, entity.id, {f.name: after.get(f.name) for f in entity_type.fields
                                                          if f.kind == "file"})
        self.session.add(
            EntityRevision(
                tenant_id=entity.tenant_id, entity_id=entity.id, version=entity.version, action=action,
                by=self._actor_id, by_name=getattr(self.actor, "username", "") or "", before=before, after=after,
                reason=reason or None,
            )
        )
        self._changes.append(Change(entity_type, entity.id, action, before, after))
        note_change(self.session, entity.tenant_id)

    def _project(self, entity_type: EntityType, entity: Entity, *, fresh: bool = False) -> None:
        taken = unique.write(self.session, entity_type, self.tenant, entity.id, entity.data)
        if taken:
            raise Invalid(taken)
        if not fresh:
            self._unproject(entity, keys=False)
        rows = projection_rows(entity_type, entity.tenant_id, entity.id, entity.data)
        if rows:
            self.session.execute(insert(EntityValue), rows)
        searched = search_rows(entity_type, rows)
        if searched:
            self.session.execute(insert(EntitySearchText), searched)

    def _unproject(self, entity: Entity, *, keys: bool = True) -> None:
        if keys:
            unique.remove(self.session, entity.id)
        self.session.execute(delete(EntityValue).where(EntityValue.entity_id == entity.id))
        self.session.execute(delete(EntitySearchText).where(EntitySearchText.entity_id == entity.id))

    def reproject(self, entity_type: EntityType) -> int:
        """Rebuild the projections and unique keys of every live ``entity_type`` record of
        this tenant, after a field's indexed or unique setting changed in the field designer
        or the record-type builder; returns how many records."""
        for table in (EntityValue, EntitySearchText):
            self.session.execute(delete(table).where(table.tenant_id == self.tenant.id, table.type == entity_type.name))
        live = select(Entity.id, Entity.data).where(
            Entity.tenant_id == self.tenant.id, Entity.type == entity_type.name, Entity.deleted_at.is_(None)
        )
        count, rows, searched, records = 0, [], [], []
        for entity_id, data in self.session.execute(live):
            count += 1
            values = projection_rows(entity_type, self.tenant.id, entity_id, data or {})
            rows.extend(values)
            searched.extend(search_rows(entity_type, values))
            records.append((entity_id, data))
        unique.rebuild(self.session, entity_type, self.tenant, records)
        for table, written in ((EntityValue, rows), (EntitySearchText, searched)):
            for start in range(0, len(written), 1000):
                self.session.execute(insert(table), written[start:start + 1000])
        note_change(self.session, self.tenant.id)
        return count

    @property
    def _actor_id(self) -> int | None:
        return getattr(self.actor, "id", None)

    # committing -------------------------------------------------------

    def commit(self) -> None:
        """Commit, then tell the tenant's plugins what changed (``quanhui_entity_changed``).

        A plugin reacting to a change may change records itself through its own service;
        those changes are committed by that service.
        """
        if self._bulk is not None:
            self._bulk.settle()
        self.session.commit()
        changes, self._changes = self._changes, []
        for change in changes:
            self.relay.quanhui_entity_changed(
                session=self.session, tenant=self.tenant, entity_type=change.entity_type,
                entity_id=change.entity_id, action=change.action, before=change.before, after=change.after,
            )

    def rollback(self) -> None:
        if self._bulk is not None:
            self._bulk.settle(quiet=True)
        self.session.rollback()
        self._changes = []
        if self.actor is not None and self.actor in self.session:
            # The rollback expired the signed-in user too. Reload it as sign-in loaded it
            # (system scope): a user of an ancestor (the city) is not readable under this
            # tenant's scope, and on PostgreSQL row-level security would hide its row.
            with system_scope(self.session):
                self.session.refresh(self.actor)


class BulkWriter:
    """Creates many records of one type: each validated as :meth:`EntityService.create`
    validates it, all written a batch at a time with one multi-row INSERT per table.

    Use it as a context manager (:meth:`EntityService.bulk`); :meth:`add` a row, which
    raises :class:`Invalid` for a refused row and holds a valid one; :meth:`flush`
    writes what is held (also done every ``batch`` rows); :attr:`ids` are those written.
    A plugin's check that reads the database must see the held rows, as it would
    record by record: when one does, the held rows are written, the row is checked
    again, and from then on every row is written before the next is checked. A type
    that refers to itself is written row by row for the same reason.

    A full batch is written by a thread of the writer's own, on the session's
    connection, while the next rows are checked: checking is Python's work and writing
    mostly the database's, so on two cores they overlap (``python -m bench.run``
    scenario 4). One batch is in flight at a time, and anything else that runs a
    statement on that connection, :meth:`flush`, :meth:`discard` and the service's
    commit and rollback first wait for it.
    """

    def __init__(self, service: EntityService, entity_type: EntityType, *, batch: int = BULK_BATCH,
                 stage: str | None = None):
        self.service = service
        self.entity_type = entity_type
        #: The type name the rows are stored under: a stage's until it is published.
        self.stored_as = stage or entity_type.name
        refers_to_itself = any(f.kind == "reference" and f.target == entity_type.name for f in entity_type.fields)
        self.batch = 1 if refers_to_itself else max(1, batch)
        self.reads = 0
        self.watching = False
        #: Entity types as resolved at the first row, and references found live, by (type, id).
        self.types: dict[str, EntityType | None] = {}
        self.live: set[tuple[str, int]] = set()
        #: The (field, value) pairs of unique fields the rows added so far hold.
        self.unique_values: set[tuple[str, str]] = set()
        #: The values other records held when the first row was checked, with their tenant.
        self.held_values: dict[tuple[str, str], int] | None = None
        self._held: list[dict[str, Any]] = []
        #: The ids of the records written so far, in the order they were added.
        self.ids: list[int] = []
        self._writer: ThreadPoolExecutor | None = None
        self._in_flight: tuple[list[dict[str, Any]], Future] | None = None
        self._watched: list = []

    def __enter__(self) -> BulkWriter:
        self.service._bulk = self
        event.listen(self._session, "do_orm_execute", self._count_read)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quanhui-bulk")
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        try:
            self.settle(quiet=exc_type is not None)
        finally:
            self._writer.shutdown()
            for connection in self._watched:
                event.remove(connection, "before_cursor_execute", self._wait_for_batch)
            self._watched = []
            event.remove(self._session, "do_orm_execute", self._count_read)
            self.service._bulk = None

    @property
    def _session(self) -> Session:
        session = self.service.session
        return session._get_current_object() if hasattr(session, "_get_current_object") else session

    def _count_read(self, _state) -> None:
        if self.watching:
            self.reads += 1

    def check(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The data :meth:`add` would store for ``raw``, without holding it; raises :class:`Invalid`."""
        return self.service._checked_new(self.entity_type, raw)

    def add(self, raw: dict[str, Any]) -> None:
        before = self.reads
        data = self.check(raw)
        if self.reads != before and self._held:
            self.batch = 1
            self.flush()
            data = self.check(raw)
        self._held.append(data)
        self.unique_values |= {(row["field"], row["value"])
                               for row in unique.key_rows(self.entity_type, self.service.tenant, 0, data)}
        if len(self._held) >= self.batch:
            self._send()

    def discard(self) -> None:
        """Forget the held rows (the caller rolls back what was written)."""
        self.settle(quiet=True)
        self._held = []
        self.ids = []

    def flush(self) -> None:
        """Write the held rows and wait until every row added so far is written."""
        self._send()
        self.settle()

    def settle(self, *, quiet: bool = False) -> None:
        """Wait for the batch in flight and take in its ids; with ``quiet``, drop its error
        (the transaction is being rolled back anyway)."""
        if self._in_flight is None:
            return
        (held, writing), self._in_flight = self._in_flight, None
        try:
            ids = writing.result()
        except BaseException:
            if quiet:
                return
            raise
        self.service._changes.extend(Change(self.entity_type, entity_id, "create", None, data)
                                     for entity_id, data in zip(ids, held))
        self.ids.extend(ids)

    def _send(self) -> None:
        """Hand the held rows to the writer thread (after the batch before them is written)."""
        if not self._held:
            return
        self.settle()
        service = self.service
        tenant_id = service.tenant.id
        scope = getattr(service.session, "scope", None)
        if scope is None or not (scope.system or tenant_id in scope.write_ids):
            raise ScopeError(f"不能向租户 {tenant_id} 写入数据")
        connection = service.session.connection()
        if connection not in self._watched:
            event.listen(connection, "before_cursor_execute", self._wait_for_batch)
            self._watched.append(connection)
        held, self._held = self._held, []
        keys = [unique.key_rows(self.entity_type, service.tenant, 0, data) for data in held]
        batch = _Batch(connection, self.entity_type, self.stored_as, tenant_id, service._actor_id,
                       getattr(service.actor, "username", "") or "", utcnow(), held, keys)
        note_change(service.session, tenant_id)
        self._in_flight = (held, self._writer.submit(batch.write))

    def _wait_for_batch(self, *_statement) -> None:
        """Before a statement on the writer's connection: the batch in flight comes first,
        unless this is the writer thread writing it."""
        if self._in_flight is not None and not _writing.active:
            self.settle()


class _WriterThread(threading.local):
    """Whether the current thread is a bulk writer's, writing a batch."""

    active = False


_writing = _WriterThread()


@dataclasses.dataclass(frozen=True)
class _Batch:
    """One batch of validated rows and everything needed to write it away from the
    request's thread (no session, no app context: the connection and plain values)."""

    connection: Connection
    entity_type: EntityType
    stored_as: str
    tenant_id: int
    actor_id: int | None
    by_name: str
    now: Any
    held: list[dict[str, Any]]
    #: Each held row's entity_unique_keys rows, their entity_id still to be filled in.
    keys: list[list[dict[str, Any]]]

    def write(self) -> list[int]:
        """One multi-row INSERT per table (the ORM's per-row bookkeeping is what a bulk
        write saves); the new records' ids, in order."""
        _writing.active = True
        try:
            return self._write()
        finally:
            _writing.active = False

    def _write(self) -> list[int]:
        entity_type, tenant_id, held = self.entity_type, self.tenant_id, self.held
        ids = self._write_records()
        stamp = {"tenant_id": tenant_id, "version": 1, "action": "create", "at": self.now, "by": self.actor_id,
                 "by_name": self.by_name, "before": None, "reason": None}
        insert_rows(self.connection, EntityRevision.__table__,
                    [{"entity_id": entity_id, "after": data} for entity_id, data in zip(ids, held)], stamp)
        values = [projection_rows(entity_type, tenant_id, entity_id, data) for entity_id, data in zip(ids, held)]
        searched = [row for record in values for row in search_rows(entity_type, record)]
        values = [row for record in values for row in record]
        if self.stored_as != entity_type.name:
            for row in (*values, *searched):
                row["type"] = self.stored_as
        insert_rows(self.connection, EntityValue.__table__, values)
        insert_rows(self.connection, EntitySearchText.__table__, searched)
        insert_rows(self.connection, EntityUniqueKey.__table__,
                    [{**row, "entity_id": entity_id} for entity_id, rows in zip(ids, self.keys) for row in rows])
        return ids

    def _write_records(self) -> list[int]:
        """The entities rows; their ids. An association owns itself, so its owner is its
        own id: known up front where ids can be reserved, set just after elsewhere."""
        connection, entity_type, held = self.connection, self.entity_type, self.held
        entities = Entity.__table__
        stamp = {"tenant_id": self.tenant_id, "type": self.stored_as, "version": 1, "created_at": self.now,
                 "updated_at": self.now, "created_by": self.actor_id, "updated_by": self.actor_id}
        if is_postgresql(connection):
            ids = reserve_ids(connection, entities, len(held))
            insert_rows(connection, entities, [{"id": entity_id, "data": data, "owner_id": owner_of(entity_type, entity_id, data)}
                                               for entity_id, data in zip(ids, held)], stamp)
            return ids
        ids = list(connection.execute(
            entities.insert().returning(entities.c.id, sort_by_parameter_order=True),
            [{**stamp, "data": data, "owner_id": owner_of(entity_type, None, data)} for data in held],
        ).scalars())
        own = [entity_id for entity_id, data in zip(ids, held) if owner_of(entity_type, entity_id, data) == entity_id]
        if own:
            connection.execute(entities.update().where(entities.c.id.in_(own)).values(owner_id=entities.c.id))
        return ids


def projection_rows(entity_type: EntityType, tenant_id: int, entity_id: int, data: dict[str, Any]) -> list[dict]:
    """The entity_values rows of one record: one per value of each indexed field."""
    return [
        {"tenant_id": tenant_id, "entity_id": entity_id, "type": entity_type.name, "field": field.name,
         "text_value": None, "num_value": None, "date_value": None, column: value}
        for field in entity_type.indexed_fields
        for column, value in projection_values(field, data.get(field.name))
    ]


def search_rows(entity_type: EntityType, projections: list[dict]) -> list[dict]:
    """The entity_search_texts row of one record (none without text) from its projection rows.
    A field only some roles read is left out: the search box would tell the others what it holds."""
    hidden = {f.name for f in entity_type.fields if f.read_roles}
    texts = [row["text_value"] for row in projections if row["text_value"] is not None and row["field"] not in hidden]
    if not texts:
        return []
    first = projections[0]
    return [{"tenant_id": first["tenant_id"], "entity_id": first["entity_id"], "type": entity_type.name,
             "text": "\n".join(texts).lower()}]


def _typed(schema, entity_type: EntityType, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """``stored`` as the validation hooks see new data (a Decimal, a date); a value that no
    longer passes its field's rules is given as stored."""
    if stored is None:
        return None
    known = {name: value for name, value in stored.items() if entity_type.field(name)}
    try:
        return schema.load(known, partial=True)
    except ValidationError as refusal:
        return {**known, **refusal.valid_data}


def _keeping_previous_choices(entity_type: EntityType, previous: dict[str, Any] | None) -> EntityType:
    """``entity_type`` whose choice fields also accept the values ``previous`` holds, so a
    value taken off a list (a vocabulary term, a designer's choice) survives unrelated edits."""
    if not previous:
        return entity_type
    fields, changed = [], False
    state = entity_type.workflow.field if entity_type.workflow is not None else None
    for field in entity_type.fields:
        value = previous.get(field.name)
        if field.kind in ("choice", "multi_choice") and field.name != state and value not in (None, "", []):
            kept = [v for v in (value if isinstance(value, list) else [value])
                    if isinstance(v, str) and v not in field.choices]
            if kept:
                field = dataclasses.replace(field, choices=(*field.choices, *dict.fromkeys(kept)))
                changed = True
        fields.append(field)
    return dataclasses.replace(entity_type, fields=tuple(fields)) if changed else entity_type


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flatten(value)]
    return [str(messages)]
