"""The field designer: tenant admins add, edit, reorder, retire and restore custom fields.

A custom field is a :class:`~core.entities.models.CustomField` row holding a
:class:`~core.entities.definitions.Field` as JSON. The registry lays the city's and
every ancestor's fields before the tenant's own, so a field the city adds applies in
every district, and a district's own field stays in that district.

The types are the plugins' and the record types an ancestor built and published: a
district extends the city's 重大事项报告 as it extends a plugin's type. A tenant's own
built types change in the record-type builder instead.

Every refusal is a :class:`DesignError` whose ``errors`` map each form input to a Chinese
message, raised before anything is written. Every change is audited.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..db import utcnow
from ..plaintext import CONTROL_MESSAGE, has_control
from ..tenancy import Tenant, TenantScope, subtree_ids, system_scope, use_scope
from ..web.malformed import whole_number
from .definitions import (
    FIELD_KINDS,
    NAME,
    RESERVED_NAMES,
    UNIQUE_KINDS,
    UNIQUE_SCOPES,
    DefinitionError,
    EntityType,
    Field,
)
from .fields import TEXT_LIMITS, marshmallow_field, parse_number
from .models import CustomField, Entity, EntityValue
from .record_types import PLUGIN as BUILT_TYPES_PLUGIN, RecordType
from .rights import AUDIENCES, KEPT, audience

CHOICE_KINDS = ("choice", "multi_choice")
NUMBER_KINDS = ("integer", "decimal", "money")
LIST_KINDS = ("multi_choice", "tags")
#: Kinds whose values are too long for a typed projection.
UNINDEXABLE_KINDS = ("long_text",)
LABEL_LIMIT = 40
HELP_LIMIT = 200
CHOICE_LIMIT = 50
MAX_CHOICES = 200
TRUE_VALUES = ("1", "on", "true", "yes", "y")
#: The inputs an edit may change; name, kind and (for references) target are fixed.
EDITABLE = ("label", "help", "required", "default", "choices", "indexed", "listed", "max_length", "minimum", "maximum",
            "unique", "read_roles", "write_roles", "own_tier_only")


class DesignError(Exception):
    """A refused change; ``errors`` maps form inputs to Chinese messages (``""`` is the form)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class UnknownType(LookupError):
    pass


class UnknownField(LookupError):
    pass


@dataclasses.dataclass
class FieldRow:
    """One field as the designer page lists it."""

    field: Field
    #: "system" (the plugin's), "inherited" (an ancestor's) or "own".
    source: str
    tenant_name: str = ""
    row: CustomField | None = None


@dataclasses.dataclass
class Layout:
    """A type's fields as one tenant sees them, grouped by where they come from."""

    entity_type: EntityType
    system: list[FieldRow]
    inherited: list[FieldRow]
    own: list[FieldRow]
    retired: list[FieldRow]

    @property
    def custom_count(self) -> int:
        return len(self.inherited) + len(self.own)


@dataclasses.dataclass
class Outcome:
    """What a change did, for the page to say."""

    field: Field
    action: str
    #: Set when a field became required: how many live records have no value for it.
    missing: int | None = None
    #: How many records had their projections rebuilt (indexed switched on or off).
    reprojected: int | None = None


class FieldDesigner:
    """Custom-field changes for the tenant of ``service`` (an EntityService), by its actor."""

    def __init__(self, service):
        self.service = service
        self.session: Session = service.session
        self.tenant: Tenant = service.tenant

    # reading ----------------------------------------------------------

    def base_type(self, type_name: str) -> EntityType:
        """The type as its plugin (or the ancestor that built it) declares it;
        :class:`UnknownType` where it is not available."""
        base = self.service.registry.types.get(type_name) or self.received().get(type_name)
        if base is None or base.plugin not in self.service.relay.enabled:
            raise UnknownType(type_name)
        return base

    def received(self) -> dict[str, EntityType]:
        """The built types an ancestor published to this tenant, by name."""
        built = self.service.registry.built(self.session, self.tenant)
        return {name: entity_type for name, entity_type in built.types.items()
                if built.rows[name].tenant_id != self.tenant.id}

    def built_by(self, type_name: str) -> str:
        """The name of the tenant that built ``type_name``, or '' for a plugin's type."""
        row = self.service.registry.built(self.session, self.tenant).rows.get(type_name)
        if row is None or type_name in self.service.registry.types:
            return ""
        with system_scope(self.session):
            return self.session.scalar(select(Tenant.name).where(Tenant.id == row.tenant_id)) or ""

    def types(self) -> list[tuple[EntityType, int, int]]:
        """Each available type with how many fields it has from ancestors and of its own."""
        bases = [*self.service.registry.available(self.service.relay.enabled), *self.received().values()]
        chain = (*self.tenant.ancestor_ids, self.tenant.id)
        with system_scope(self.session):
            counts = self.session.execute(
                select(CustomField.type, CustomField.tenant_id, func.count())
                .where(CustomField.tenant_id.in_(chain), CustomField.retired_at.is_(None))
                .group_by(CustomField.type, CustomField.tenant_id)
            ).all()
        inherited: dict[str, int] = {}
        own: dict[str, int] = {}
        for type_name, tenant_id, count in counts:
            target = own if tenant_id == self.tenant.id else inherited
            target[type_name] = target.get(type_name, 0) + count
        return [(base, inherited.get(base.name, 0), own.get(base.name, 0)) for base in bases]

    def layout(self, type_name: str) -> Layout:
        base = self.base_type(type_name)
        system = [FieldRow(f, "system") for f in base.fields]
        chain = (*self.tenant.ancestor_ids, self.tenant.id)
        with system_scope(self.session):
            rows = self.session.execute(
                select(CustomField, Tenant.name)
                .join(Tenant, Tenant.id == CustomField.tenant_id)
                .where(CustomField.tenant_id.in_(chain), CustomField.type == type_name)
                .order_by(Tenant.path, CustomField.position, CustomField.id)
            ).all()
        inherited, own, retired = [], [], []
        for row, tenant_name in rows:
            try:
                field = Field.from_json(row.definition)
            except DefinitionError:
                continue
            if row.tenant_id != self.tenant.id:
                if row.retired_at is None:
                    inherited.append(FieldRow(field, "inherited", tenant_name, row))
            elif row.retired_at is None:
                own.append(FieldRow(field, "own", tenant_name, row))
            else:
                retired.append(FieldRow(field, "own", tenant_name, row))
        return Layout(base, system, inherited, own, retired)

    def own_field(self, type_name: str, name: str) -> tuple[CustomField, Field]:
        self.base_type(type_name)
        row = self.session.scalar(
            select(CustomField).where(
                CustomField.tenant_id == self.tenant.id, CustomField.type == type_name, CustomField.name == name
            )
        )
        if row is None:
            raise UnknownField(name)
        return row, Field.from_json(row.definition)

    # changes ----------------------------------------------------------

    def add(self, type_name: str, form: Mapping[str, Any]) -> Outcome:
        base = self.base_type(type_name)
        layout = self.layout(type_name)
        field = self._build(form, layout, existing=None)
        position = self.session.scalar(
            select(func.coalesce(func.max(CustomField.position), -1)).where(
                CustomField.tenant_id == self.tenant.id, CustomField.type == type_name
            )
        )
        self.session.add(
            CustomField(
                tenant_id=self.tenant.id, type=type_name, name=field.name, definition=field.to_json(),
                position=position + 1, updated_by=self._actor_id,
            )
        )
        try:
            self.session.flush()
        except IntegrityError:  # the same name added at the same moment by another admin
            self.session.rollback()
            raise DesignError({"name": f"本单位已有字段名为 {field.name} 的字段"}) from None
        audit.record(self.session, "field.added", tenant_id=self.tenant.id, target=f"{base.name}.{field.name}",
                     definition=field.to_json())
        outcome = Outcome(field, "added")
        if field.indexed or field.unique:
            outcome.reprojected = self._reproject(type_name)
        if field.required:
            outcome.missing = self.missing_count(type_name, field)
        return outcome

    def ensure(self, type_name: str, field: Field) -> bool:
        """Add ``field`` as this tenant's own custom field of ``type_name``, for a plugin that
        extends another plugin's type when it is enabled; True if added.

        Nothing changes where the name is taken here or above. Where tenants below added
        exactly this field first (the plugin was enabled there before), their copies are
        retired in favour of this one: the values keep their name, so nothing is lost.
        A different field of that name below also leaves things as they are.
        """
        if self._clash_by_name(field.name, self.layout(type_name)) and not self._retire_copies_below(type_name, field):
            return False
        position = self.session.scalar(
            select(func.coalesce(func.max(CustomField.position), -1)).where(
                CustomField.tenant_id == self.tenant.id, CustomField.type == type_name
            )
        )
        self.session.add(CustomField(tenant_id=self.tenant.id, type=type_name, name=field.name,
                                     definition=field.to_json(), position=position + 1, updated_by=self._actor_id))
        self.session.flush()
        audit.record(self.session, "field.added", tenant_id=self.tenant.id, target=f"{type_name}.{field.name}",
                     definition=field.to_json())
        return True

    def _retire_copies_below(self, type_name: str, field: Field) -> bool:
        """Retire the copies of ``field`` that tenants below added, if the name is used by
        those copies alone; False (and nothing retired) otherwise."""
        with system_scope(self.session):
            rows = list(self.session.scalars(
                select(CustomField).join(Tenant, Tenant.id == CustomField.tenant_id).where(
                    CustomField.type == type_name, CustomField.name == field.name,
                    (Tenant.path.startswith(self.tenant.path)) | (Tenant.id.in_(self.tenant.ancestor_ids or (-1,))),
                )
            ))
            if not rows or any(row.tenant_id in (self.tenant.id, *self.tenant.ancestor_ids)
                               or row.definition != field.to_json() for row in rows):
                return False
            for row in rows:
                if row.retired_at is None:
                    row.retired_at = utcnow()
                    audit.record(self.session, "field.retired", tenant_id=row.tenant_id,
                                 target=f"{type_name}.{field.name}", replaced_by=self.tenant.id)
            self.session.flush()
        return True

    def change(self, type_name: str, name: str, form: Mapping[str, Any]) -> Outcome:
        row, before = self.own_field(type_name, name)
        if row.retired_at is not None:
            raise DesignError({"": "该字段已停用,请先恢复再修改"})
        layout = self.layout(type_name)
        field = self._build(form, layout, existing=before)
        if field == before:
            return Outcome(field, "unchanged")
        row.definition = field.to_json()
        row.updated_by = self._actor_id
        row.updated_at = utcnow()
        self.session.flush()
        changes = {
            key: {"before": _jsonable(getattr(before, key)), "after": _jsonable(getattr(field, key))}
            for key in EDITABLE if getattr(before, key) != getattr(field, key)
        }
        audit.record(self.session, "field.changed", tenant_id=self.tenant.id, target=f"{type_name}.{name}",
                     changes=changes)
        outcome = Outcome(field, "changed")
        unique_changed = field.unique != before.unique
        # The search text leaves out a field only some roles read (see service.search_rows).
        readers_changed = field.indexed and bool(field.read_roles) != bool(before.read_roles)
        if field.indexed != before.indexed or unique_changed or readers_changed:
            outcome.reprojected = self._reproject(type_name)
        if field.required and not before.required:
            outcome.missing = self.missing_count(type_name, field)
        return outcome

    def retire(self, type_name: str, name: str) -> Outcome:
        row, field = self.own_field(type_name, name)
        if row.retired_at is None:
            row.retired_at = utcnow()
            row.updated_by = self._actor_id
            self.session.flush()
            audit.record(self.session, "field.retired", tenant_id=self.tenant.id, target=f"{type_name}.{name}")
            if field.indexed or field.unique:
                self._reproject(type_name)
        return Outcome(field, "retired")

    def restore(self, type_name: str, name: str) -> Outcome:
        row, field = self.own_field(type_name, name)
        if row.retired_at is not None:
            clash = self._clash(field, self.layout(type_name), own_name=name)
            if clash:
                raise DesignError({"": clash})
            row.retired_at = None
            row.updated_by = self._actor_id
            live = self._positions(type_name)
            row.position = max((each.position for each in live if each is not row), default=-1) + 1
            self.session.flush()
            audit.record(self.session, "field.restored", tenant_id=self.tenant.id, target=f"{type_name}.{name}")
            if field.indexed or field.unique:
                self._reproject(type_name)
        return Outcome(field, "restored")

    def move(self, type_name: str, name: str, direction: str) -> Outcome:
        """Move one of the tenant's own fields one place ``up`` or ``down`` among its own."""
        row, field = self.own_field(type_name, name)
        if direction not in ("up", "down") or row.retired_at is not None:
            raise DesignError({"": "无法移动该字段"})
        rows = self._positions(type_name)
        index = rows.index(row)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
            for position, each in enumerate(rows):
                each.position = position
            self.session.flush()
            audit.record(self.session, "field.changed", tenant_id=self.tenant.id, target=f"{type_name}.{name}",
                         moved=direction, order=[each.name for each in rows])
        return Outcome(field, "moved")

    def _positions(self, type_name: str) -> list[CustomField]:
        return list(
            self.session.scalars(
                select(CustomField)
                .where(CustomField.tenant_id == self.tenant.id, CustomField.type == type_name,
                       CustomField.retired_at.is_(None))
                .order_by(CustomField.position, CustomField.id)
            )
        )

    # counting and projections -----------------------------------------

    def missing_count(self, type_name: str, field: Field) -> int:
        """Live records of this tenant and those below it (where the field applies) without a value."""
        ids = subtree_ids(self.session, self.tenant)
        live = (Entity.type == type_name, Entity.tenant_id.in_(ids), Entity.deleted_at.is_(None))
        with use_scope(self.session, TenantScope.of(self.tenant).widened_to(ids)):
            if field.indexed:
                has_value = exists().where(
                    EntityValue.entity_id == Entity.id, EntityValue.type == type_name, EntityValue.field == field.name
                )
                return self.session.scalar(select(func.count(Entity.id)).where(*live, ~has_value))
            # Not projected: a scan of the JSON, limited to these tenants and this type.
            query = select(Entity.data).where(*live).execution_options(yield_per=500)
            return sum(1 for data in self.session.scalars(query) if _empty((data or {}).get(field.name)))

    def _reproject(self, type_name: str) -> int:
        """Rebuild the projections of the type in every tenant of the subtree that has records of it."""
        from .service import EntityService

        ids = subtree_ids(self.session, self.tenant)
        with use_scope(self.session, TenantScope.of(self.tenant).widened_to(ids)):
            having = set(self.session.scalars(
                select(Entity.tenant_id).where(Entity.type == type_name, Entity.tenant_id.in_(ids)).distinct()
            ))
        if not having:
            return 0
        registry = self.service.registry
        plugin = registry.types[type_name].plugin if type_name in registry.types else BUILT_TYPES_PLUGIN
        total = 0
        for tenant in self.session.scalars(select(Tenant).where(Tenant.id.in_(having)).order_by(Tenant.path)):
            if tenant.id == self.tenant.id:
                total += self.service.reproject(self.service.type(type_name) or self._resolve(tenant, type_name, plugin))
                continue
            with use_scope(self.session, TenantScope.of(tenant)):
                service = EntityService(self.session, tenant, self.service.relay, registry, self.service.actor)
                total += service.reproject(self._resolve(tenant, type_name, plugin))
        return total

    def _resolve(self, tenant: Tenant, type_name: str, plugin: str) -> EntityType:
        return self.service.registry.resolve(self.session, tenant, type_name, frozenset({plugin}))

    # validation -------------------------------------------------------

    def _build(self, form: Mapping[str, Any], layout: Layout, existing: Field | None) -> Field:
        """The field the form describes, or :class:`DesignError` with a message per input."""
        errors: dict[str, str] = {}
        if existing is None:
            name = _text(form, "name")
            kind = _text(form, "kind") or "text"
            target = _text(form, "target") or None
        else:
            name, kind, target = existing.name, existing.kind, existing.target
        values: dict[str, Any] = {"name": name, "kind": kind}

        if existing is None:
            if not name:
                errors["name"] = "请填写字段名(英文标识)"
            elif not NAME.match(name):
                errors["name"] = "字段名需以小写英文字母开头,只含小写字母、数字和下划线,最长 40 个字符"
            elif name in RESERVED_NAMES:
                errors["name"] = f"{name} 是系统保留的名称,请换一个"
            else:
                clash = self._clash_by_name(name, layout)
                if clash:
                    errors["name"] = clash
            if kind not in FIELD_KINDS:
                errors["kind"] = "请选择字段类型"

        label = _text(form, "label")
        if not label:
            errors["label"] = "请填写中文名称"
        elif len(label) > LABEL_LIMIT:
            errors["label"] = f"中文名称最多 {LABEL_LIMIT} 个字"
        elif has_control(label):
            errors["label"] = CONTROL_MESSAGE
        else:
            same = next(
                (row for row in (*layout.system, *layout.inherited, *layout.own)
                 if row.field.label == label and row.field.name != name),
                None,
            )
            if same is not None:
                errors["label"] = f"中文名称与已有字段「{same.field.label}」({same.field.name})相同,请换一个"
        values["label"] = label

        help_text = _text(form, "help")
        if len(help_text) > HELP_LIMIT:
            errors["help"] = f"说明最多 {HELP_LIMIT} 个字"
        elif has_control(help_text, long_text=True):
            errors["help"] = CONTROL_MESSAGE
        values["help"] = help_text
        values["required"] = _flag(form, "required")
        values["listed"] = _flag(form, "listed")
        values["indexed"] = _flag(form, "indexed")
        if values["indexed"] and kind in UNINDEXABLE_KINDS:
            errors["indexed"] = "多行文本内容较长,不能用于筛选和排序"
        values["unique"] = _text(form, "unique") or None
        if values["unique"] is not None and values["unique"] not in UNIQUE_SCOPES:
            errors["unique"] = "请从列表中选择"
        elif values["unique"] is not None and kind not in UNIQUE_KINDS:
            errors["unique"] = "这种类型的字段不能设为不可重复"

        if kind in CHOICE_KINDS:
            choices = [line.strip() for line in re.split(r"[\r\n]+", str(form.get("choices") or "")) if line.strip()]
            if not choices:
                errors["choices"] = "单选和多选字段至少需要一个选项,每行一个"
            elif len(choices) > MAX_CHOICES:
                errors["choices"] = f"选项最多 {MAX_CHOICES} 个"
            elif any(len(choice) > CHOICE_LIMIT for choice in choices):
                errors["choices"] = f"每个选项最多 {CHOICE_LIMIT} 个字"
            elif any(has_control(choice) for choice in choices):
                errors["choices"] = CONTROL_MESSAGE
            else:
                repeated = sorted({c for c in choices if choices.count(c) > 1})
                if repeated:
                    errors["choices"] = f"选项重复:{'、'.join(repeated)}"
            values["choices"] = tuple(choices)

        if kind == "reference":
            if existing is None:
                available = {t.name for t in self.service.registry.available(self.service.relay.enabled)}
                if not target:
                    errors["target"] = "关联记录需要选择关联的类型"
                elif target not in available:
                    errors["target"] = "关联的类型不存在或在本单位未启用"
            values["target"] = target

        if kind in TEXT_LIMITS:
            limit = TEXT_LIMITS[kind]
            raw = _text(form, "max_length")
            if raw:
                if not 1 <= (whole_number(raw) or 0) <= limit:
                    errors["max_length"] = f"最多字数需为 1 到 {limit} 之间的整数"
                else:
                    values["max_length"] = int(raw)

        if kind in NUMBER_KINDS:
            for key, title in (("minimum", "最小值"), ("maximum", "最大值")):
                raw = _text(form, key)
                if not raw:
                    continue
                number = _number(raw)
                if number is None:
                    errors[key] = f"{title}需为数字"
                elif kind == "integer" and not isinstance(number, int):
                    errors[key] = f"整数字段的{title}需为整数"
                elif kind == "money" and key == "minimum" and number < 0:
                    errors[key] = "金额的最小值不能小于 0"
                else:
                    values[key] = number
            if "minimum" in values and "maximum" in values and values["minimum"] > values["maximum"]:
                errors["maximum"] = "最大值不能小于最小值"

        for key in ("read_roles", "write_roles"):
            chosen = _text(form, key)
            if chosen == KEPT and existing is not None:
                values[key] = getattr(existing, key)
            elif chosen in AUDIENCES:
                values[key] = AUDIENCES[chosen][1]
            else:
                errors[key] = "请从列表中选择"
        values["own_tier_only"] = _flag(form, "own_tier_only")

        if errors:
            raise DesignError(errors)
        try:
            field = Field(**values)
        except DefinitionError as refusal:
            raise DesignError({"": str(refusal)}) from None

        raw_default = form.get("default")
        if isinstance(raw_default, str):
            raw_default = raw_default.strip()
        if raw_default not in (None, "", []):
            try:
                default = _load_default(field, raw_default)
            except ValidationError as refusal:
                raise DesignError({"default": f"默认值不合适:{_first_message(refusal.messages)}"}) from None
            field = dataclasses.replace(field, default=default)
        return field

    def _clash_by_name(self, name: str, layout: Layout) -> str:
        """Why ``name`` cannot be added here, or ''."""
        system = layout.entity_type.field(name)
        if system is not None:
            received = layout.entity_type.name in self.received()
            where = f"{self.built_by(layout.entity_type.name)}设计的类型字段" if received else "系统字段"
            return f"字段名 {name} 已被{where}「{system.label}」使用"
        for row in layout.inherited:
            if row.field.name == name:
                return f"字段名 {name} 已被上级单位({row.tenant_name})添加的字段「{row.field.label}」使用"
        for row in layout.own:
            if row.field.name == name:
                return f"本单位已有字段名为 {name} 的字段「{row.field.label}」"
        for row in layout.retired:
            if row.field.name == name:
                return f"本单位已停用的字段「{row.field.label}」使用了字段名 {name},可在「已停用」中恢复它"
        retired = self._retired_built_field(layout.entity_type.name, name)
        if retired:
            return retired
        return self._clash_elsewhere(name, layout.entity_type.name)

    def _retired_built_field(self, type_name: str, name: str) -> str:
        """A built type keeps its retired fields (and their values in every record), so a
        tenant below may not reuse one of their names."""
        if type_name not in self.received():
            return ""
        with system_scope(self.session):
            definition = self.session.scalar(select(RecordType.definition).where(RecordType.name == type_name)) or {}
        found = next((f for f in definition.get("retired_fields") or [] if f.get("name") == name), None)
        if found is None:
            return ""
        return f"字段名 {name} 已被上级单位停用的字段「{found.get('label', name)}」使用(数据仍保留),请换一个"

    def _clash(self, field: Field, layout: Layout, own_name: str) -> str:
        """Whether restoring ``field`` would clash with a field added since it was retired."""
        for row in (*layout.system, *layout.inherited):
            if row.field.name == own_name:
                return f"无法恢复:字段名 {own_name} 已被{'系统' if row.source == 'system' else '上级单位'}字段「{row.field.label}」使用"
        return ""

    def _clash_elsewhere(self, name: str, type_name: str) -> str:
        """A name used by an ancestor's retired field or by a field of a tenant below this one
        would give a district two fields of one name, so it is refused as well."""
        with system_scope(self.session):
            row = self.session.execute(
                select(CustomField.tenant_id, Tenant.name, CustomField.retired_at)
                .join(Tenant, Tenant.id == CustomField.tenant_id)
                .where(
                    CustomField.type == type_name, CustomField.name == name, CustomField.tenant_id != self.tenant.id,
                    (Tenant.path.startswith(self.tenant.path)) | (Tenant.id.in_(self.tenant.ancestor_ids or (-1,))),
                )
                .order_by(Tenant.path)
                .limit(1)
            ).first()
        if row is None:
            return ""
        if row.tenant_id in self.tenant.ancestor_ids:
            return f"字段名 {name} 已被上级单位({row.name})的一个已停用字段使用,请换一个"
        return f"下级单位({row.name})已添加字段名为 {name} 的字段,请换一个"

    @property
    def _actor_id(self) -> int | None:
        return getattr(self.service.actor, "id", None)


def field_form(field: Field) -> dict[str, Any]:
    """The form values that describe ``field``, for an edit form."""
    default = field.default
    if isinstance(default, list):
        default = "\n".join(map(str, default))
    elif isinstance(default, bool):
        default = "true" if default else "false"
    return {
        "name": field.name, "label": field.label, "kind": field.kind, "help": field.help,
        "required": field.required, "indexed": field.indexed, "listed": field.listed, "unique": field.unique or "",
        "choices": "\n".join(field.choices), "target": field.target or "",
        "default": "" if default is None else str(default),
        "max_length": "" if field.max_length is None else str(field.max_length),
        "minimum": "" if field.minimum is None else _plain(field.minimum),
        "maximum": "" if field.maximum is None else _plain(field.maximum),
        "read_roles": audience(field.read_roles), "write_roles": audience(field.write_roles),
        "own_tier_only": field.own_tier_only,
    }


def _load_default(field: Field, raw: Any) -> Any:
    """``raw`` loaded by the field's own marshmallow field, as the JSON value it is stored as."""
    if field.kind in LIST_KINDS and isinstance(raw, str):
        raw = [part.strip() for part in re.split(r"[\r\n,,、]+", raw) if part.strip()]
    if field.kind == "boolean" and isinstance(raw, str):
        raw = {"是": True, "否": False}.get(raw, raw)
    plain = dataclasses.replace(field, required=False, default=None)
    schema = Schema.from_dict({"value": marshmallow_field(plain)})()
    loaded = schema.load({"value": raw})
    return schema.dump(loaded)["value"]


def _first_message(messages: Any) -> str:
    if isinstance(messages, dict):
        for value in messages.values():
            return _first_message(value)
    if isinstance(messages, list) and messages:
        return _first_message(messages[0])
    return str(messages)


def _text(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key)
    return str(value).strip() if value is not None else ""


def _flag(form: Mapping[str, Any], key: str) -> bool:
    value = form.get(key)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in TRUE_VALUES


def _number(raw: str) -> int | float | None:
    number = parse_number(raw)
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _plain(number: float | int) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
