"""The record-type builder: a tenant admin creates a type and changes it step by step.

Each change builds the whole new :class:`~core.entities.record_types.Definition`, which
checks itself, then stores it with a higher version, a copy in
``record_type_versions`` saying what changed, and an audit entry. Fields go through the
field designer's own form checks, so a built type's fields are exactly the designer's.
Taking a field or a state away retires it: records keep their values. A whole type is
retired the same way (停用: no new records, every record readable) and deleted only
when it never had a record.

Every refusal is a :class:`~core.entities.designer.DesignError` mapping form inputs to
Chinese messages, raised before anything is written.
"""
from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import delete, distinct, func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..db import utcnow
from ..plaintext import CONTROL_MESSAGE, has_control
from ..web.malformed import whole_number
from ..tenancy import Tenant, TenantScope, subtree_ids, system_scope, use_scope
from .definitions import DefinitionError, Field
from .designer import DesignError, FieldDesigner, Layout, UnknownType, _flag, _text, field_form
from .models import CustomField, Entity, EntityValue
from .record_type_schema import check_definition, check_document
from .record_types import (
    IDENTIFIER,
    IDENTIFIER_LIMIT,
    MAX_TRANSITIONS,
    RESERVED,
    ROLES,
    TITLE_FIELD,
    Definition,
    RecordType,
    RecordTypeVersion,
    ReportSpec,
    Summary,
    identifier_of,
    stored_name,
)

SPLIT = re.compile(r"[\r\n,,、;;]+")
#: The largest definition file an import reads.
IMPORT_LIMIT = 512 * 1024


class RecordTypeBuilder:
    """Built-type changes for the tenant of ``service`` (an EntityService), by its actor,
    or, with ``command_line``, by the ``quanhui`` command (which has no user)."""

    def __init__(self, service, *, command_line: bool = False):
        self.service = service
        self.session = service.session
        self.tenant = service.tenant
        self.registry = service.registry
        #: Whom the audit log names.
        self.actor = audit.COMMAND_LINE if command_line else service.actor

    # reading ----------------------------------------------------------

    def own(self) -> list[RecordType]:
        return list(self.session.scalars(
            select(RecordType).where(RecordType.tenant_id == self.tenant.id).order_by(RecordType.name)
        ))

    def inherited(self) -> list[Summary]:
        """The types the tenant's ancestors published: used here, changed only where built."""
        return [row for row in self.registry.built(self.session, self.tenant).rows.values()
                if row.tenant_id != self.tenant.id]

    def row(self, name: str) -> RecordType:
        """One of the tenant's own types; :class:`UnknownType` otherwise."""
        row = self.session.scalar(
            select(RecordType).where(RecordType.tenant_id == self.tenant.id, RecordType.name == name)
        )
        if row is None:
            raise UnknownType(name)
        return row

    def definition(self, name: str) -> Definition:
        return Definition.from_json(self.row(name).definition)

    def versions(self, name: str) -> list[RecordTypeVersion]:
        row = self.row(name)
        return list(self.session.scalars(
            select(RecordTypeVersion).where(RecordTypeVersion.record_type_id == row.id)
            .order_by(RecordTypeVersion.version.desc())
        ))

    def may_publish(self) -> bool:
        """Only a tenant with tenants below it has anyone to publish to."""
        return len(subtree_ids(self.session, self.tenant)) > 1

    # creating ---------------------------------------------------------

    def create(self, form: Mapping[str, Any]) -> RecordType:
        """A new type; the form's ``name`` is the identifier, stored with its owner."""
        identifier, label = _text(form, "name"), _text(form, "label")
        errors = {}
        clash = self._name_clash(identifier)
        if clash:
            errors["name"] = clash
        if not label:
            errors["label"] = "请填写类型名称,例如 重大事项报告"
        elif has_control(label):
            errors["label"] = CONTROL_MESSAGE
        title = _text(form, "title_label") or "标题"
        if errors:
            raise DesignError(errors)
        definition = self._checked(lambda: Definition(
            name=stored_name(self.tenant.id, identifier), label=label,
            fields=(Field(TITLE_FIELD, title, required=True, indexed=True, listed=True, max_length=200),),
        ))
        return self._insert(definition, f"新建类型「{label}」")

    def import_definition(self, data: Any) -> RecordType:
        """A type from an exported file, as it was exported (not published, in use);
        the file's ``name`` is the identifier, stored with this tenant as its owner. The
        file is checked whole against its schema, and each live field passes the field
        designer's own checks, so no imported type refuses every record."""
        self._checked(lambda: check_definition(data))
        identifier = data["name"]
        clash = self._name_clash(identifier)
        if clash:
            raise DesignError({"file": clash})
        definition = self._checked(lambda: dataclasses.replace(
            Definition.from_json({**data, "name": stored_name(self.tenant.id, identifier)}), retired=False))
        definition = self._checked(lambda: dataclasses.replace(definition, fields=self._designed(definition)))
        unknown = sorted({t["permission"] for t in definition.transitions if "permission" in t} - set(permission_titles()))
        if unknown:
            raise DesignError({"file": f"流程操作用到的权限 {'、'.join(unknown)} 在本平台不存在(可能来自未安装的插件)"})
        return self._insert(definition, f"从文件导入类型「{definition.label}」")

    def _designed(self, definition: Definition) -> tuple[Field, ...]:
        """The definition's live fields as the field designer makes them (its checks of
        labels, choices, limits, bounds and defaults); :class:`DesignError` names the field."""
        designer = FieldDesigner(self.service)
        layout = Layout(definition.entity_type(), [], [], [], [])
        targets = {t.name for t in self.registry.available(self.service.relay.enabled)}
        designed = []
        for field in definition.fields:
            if field.kind == "reference" and field.target not in targets:
                raise DesignError({"file": f"字段「{field.label}」关联的类型 {field.target} 不存在或在本单位未启用"})
            try:
                designed.append(designer._build(field_form(field), layout, existing=field))
            except DesignError as refusal:
                message = "；".join(refusal.errors.values())
                raise DesignError({"file": f"字段「{field.label}」（{field.name}）：{message}"}) from None
        return tuple(designed)

    def _name_clash(self, identifier: str) -> str:
        """Why ``identifier`` cannot name a new type here, or ''. It need only be unique
        within the tree line (this tenant, its ancestors and the tenants below): the ones
        that can see the type. The message never tells which tenant holds it."""
        if not identifier:
            return "请填写类型标识（英文），例如 major_report"
        if not IDENTIFIER.match(identifier):
            return (f"类型标识需以小写英文字母开头，只含小写字母、数字和下划线（不能连用两个下划线），"
                    f"最长 {IDENTIFIER_LIMIT} 个字符")
        if identifier in RESERVED or identifier in self.registry.plugin_names:
            return f"类型标识 {identifier} 是平台或插件保留的名称，请换一个"
        if identifier in self.registry.types:
            return f"类型标识 {identifier} 已被插件「{self.registry.types[identifier].plugin}」的记录类型使用，不能覆盖"
        line = {*self.tenant.ancestor_ids, *subtree_ids(self.session, self.tenant)}
        with system_scope(self.session):
            taken = self.session.scalar(select(func.count()).select_from(RecordType).where(
                RecordType.name.in_([stored_name(tenant_id, identifier) for tenant_id in line])))
        if taken:
            return f"类型标识 {identifier} 已被使用（本单位或上级、下级单位已有这个标识的类型），请换一个"
        return ""

    def _insert(self, definition: Definition, summary: str) -> RecordType:
        row = RecordType(tenant_id=self.tenant.id, name=definition.name, label=definition.label,
                         definition=definition.to_json(), published=False, version=1, updated_by=self._actor_id)
        try:
            with self.session.begin_nested():  # only this insert is undone when it fails
                self.session.add(row)
                self.session.flush()
        except IntegrityError:  # the same identifier taken here at the same moment
            raise DesignError({"name": f"类型标识 {identifier_of(definition.name)} 已被使用，请换一个"}) from None
        self._record(row, summary)
        audit.record(self.session, "record_type.created", tenant_id=self.tenant.id, target=definition.name,
                     actor=self.actor, summary=summary)
        return row

    # changing ---------------------------------------------------------

    def change_basics(self, name: str, form: Mapping[str, Any]) -> str:
        nav = _text(form, "nav_order")
        errors = {}
        if nav and whole_number(nav, 999) is None:
            errors["nav_order"] = "导航位置需为 0 到 999 之间的整数"
        if has_control(_text(form, "label")):
            errors["label"] = CONTROL_MESSAGE
        if has_control(_text(form, "description"), long_text=True):
            errors["description"] = CONTROL_MESSAGE
        if errors:
            raise DesignError(errors)
        return self._change(name, "修改基本信息", lambda d: dataclasses.replace(
            d, label=_text(form, "label"), description=_text(form, "description"), icon=_text(form, "icon"),
            colour=_text(form, "colour"), nav_order=(whole_number(nav, 999) if nav else 50) if _flag(form, "in_nav") else None,
        ))

    def add_field(self, name: str, form: Mapping[str, Any]) -> str:
        definition = self.definition(name)
        if _text(form, "name") in {f.name for f in definition.retired_fields}:
            raise DesignError({"name": "已停用的字段用了这个字段名,可在「已停用的字段」中恢复它"})
        below = self._district_field(name, _text(form, "name"))
        if below:
            raise DesignError({"name": below})
        entity_type = definition.entity_type()
        field = FieldDesigner(self.service)._build(form, Layout(entity_type, [], [], [], []), existing=None)
        return self._change(name, f"添加字段「{field.label}」",
                            lambda d: dataclasses.replace(d, fields=(*d.fields, field)))

    def change_field(self, name: str, field_name: str, form: Mapping[str, Any]) -> str:
        """Edit a live field with the field designer's own checks: its name, kind and
        reference target stay, so the values records hold keep their meaning."""
        definition = self.definition(name)
        before = self.field(name, field_name)
        layout = Layout(definition.entity_type(), [], [], [], [])
        field = FieldDesigner(self.service)._build(form, layout, existing=before)
        same = next((f for f in definition.fields if f.label == field.label and f.name != field_name), None)
        if same is not None:
            raise DesignError({"label": f"中文名称与已有字段「{same.label}」({same.name})相同,请换一个"})
        if field_name == definition.title_field and not field.required:
            raise DesignError({"required": "标题字段必须必填"})
        if field_name == definition.title_field and field.read_roles:
            raise DesignError({"read_roles": "标题字段凡能看到记录的人都要看到，不能限定谁能看到"})
        removed = [c for c in before.choices if c not in field.choices]
        used = self._choices_in_use(name, before, removed) if removed else {}
        if used:
            listed = "、".join(f"「{choice}」{count} 条" for choice, count in used.items())
            raise DesignError({"choices": f"记录仍在使用要删除的选项({listed}),删除后这些记录的值将无效;请先修改这些记录或保留这些选项"})
        return self._change(name, f"修改字段「{field.label}」", lambda d: dataclasses.replace(
            d, fields=tuple(field if f.name == field_name else f for f in d.fields),
        ))

    def move_field(self, name: str, field_name: str, direction: str) -> str:
        """Move a live field one place ``up`` or ``down`` on the forms and lists."""
        definition = self.definition(name)
        field = self.field(name, field_name)
        names = [f.name for f in definition.fields]
        index = names.index(field_name)
        other = index - 1 if direction == "up" else index + 1
        if direction not in ("up", "down") or not 0 <= other < len(names):
            return "没有改动"
        fields = list(definition.fields)
        fields[index], fields[other] = fields[other], fields[index]
        where = "上移" if direction == "up" else "下移"
        return self._change(name, f"{where}字段「{field.label}」", lambda d: dataclasses.replace(d, fields=tuple(fields)))

    def _choices_in_use(self, name: str, field: Field, choices: list[str]) -> dict[str, int]:
        """How many live records (here and below) hold each of ``choices`` in ``field``:
        one grouped count on the projection when the field is indexed, else a scan of the
        type's JSON in these tenants."""
        ids = subtree_ids(self.session, self.tenant)
        live = (Entity.type == name, Entity.tenant_id.in_(ids), Entity.deleted_at.is_(None))
        with use_scope(self.session, TenantScope.of(self.tenant).widened_to(ids)):
            if field.indexed and field.kind == "choice":
                rows = self.session.execute(
                    select(EntityValue.text_value, func.count(distinct(Entity.id)))
                    .join(Entity, Entity.id == EntityValue.entity_id)
                    .where(*live, EntityValue.type == name, EntityValue.field == field.name,
                           EntityValue.text_value.in_(choices))
                    .group_by(EntityValue.text_value)
                )
                counts = dict(rows.all())
            else:
                counts = dict.fromkeys(choices, 0)
                query = select(Entity.data).where(*live).execution_options(yield_per=500)
                for data in self.session.scalars(query):
                    value = (data or {}).get(field.name)
                    for choice in value if isinstance(value, list) else [value]:
                        if choice in counts:
                            counts[choice] += 1
        return {choice: counts[choice] for choice in choices if counts.get(choice)}

    def field(self, name: str, field_name: str) -> Field:
        """A live field of the tenant's type; :class:`UnknownType` otherwise."""
        found = next((f for f in self.definition(name).fields if f.name == field_name), None)
        if found is None:
            raise UnknownType(field_name)
        return found

    def retire_field(self, name: str, field_name: str) -> str:
        definition = self.definition(name)
        field = self.field(name, field_name)
        if field_name == definition.title_field:
            raise DesignError({"": "标题字段不能停用"})
        if any(r.field == field_name or r.group_by == field_name for r in definition.reports):
            raise DesignError({"": f"报表用到了字段「{field.label}」,请先删除那张报表"})
        return self._change(name, f"停用字段「{field.label}」(数据保留)", lambda d: dataclasses.replace(
            d, fields=tuple(f for f in d.fields if f.name != field_name), retired_fields=(*d.retired_fields, field),
        ))

    def restore_field(self, name: str, field_name: str) -> str:
        definition = self.definition(name)
        field = next((f for f in definition.retired_fields if f.name == field_name), None)
        if field is None:
            raise UnknownType(field_name)
        return self._change(name, f"恢复字段「{field.label}」", lambda d: dataclasses.replace(
            d, fields=(*d.fields, field), retired_fields=tuple(f for f in d.retired_fields if f.name != field_name),
        ))

    def _district_field(self, name: str, field_name: str) -> str:
        """Why the type may not take ``field_name`` because a tenant below added a field of
        that name to it (in the field designer), or ''."""
        with system_scope(self.session):
            taken = self.session.scalar(
                select(Tenant.name).join(CustomField, CustomField.tenant_id == Tenant.id)
                .where(CustomField.type == name, CustomField.name == field_name,
                       CustomField.tenant_id.in_(subtree_ids(self.session, self.tenant)))
                .order_by(Tenant.path).limit(1)
            )
        return f"下级单位({taken})已为这个类型添加了字段名为 {field_name} 的字段,请换一个" if taken else ""

    def set_states(self, name: str, form: Mapping[str, Any]) -> str:
        """The states, one per line in order (the first is where a record starts); a state
        left out is retired (records in it keep it), a retired one listed again returns."""
        listed = list(dict.fromkeys(part.strip() for part in SPLIT.split(_text(form, "states")) if part.strip()))
        final = {part.strip() for part in SPLIT.split(_text(form, "final")) if part.strip()}
        errors = {}
        if not listed:
            errors["states"] = "请至少填写一个状态,每行一个"
        elif any(len(state) > 40 for state in listed):
            errors["states"] = "每个状态最多 40 个字"
        unknown = final - set(listed)
        if unknown:
            errors["final"] = f"结束状态需是上面列出的状态之一:{'、'.join(sorted(unknown))}"
        if errors:
            raise DesignError(errors)

        def apply(d: Definition) -> Definition:
            states = [{"name": s, **({"final": True} if s in final else {})} for s in listed]
            states += [{**s, "retired": True} for s in d.states if s["name"] not in listed]
            return dataclasses.replace(d, states=tuple(states))

        return self._change(name, f"设置流程状态:{'、'.join(listed)}", apply)

    def add_transition(self, name: str, form: Mapping[str, Any]) -> str:
        definition = self.definition(name)
        live = [s["name"] for s in definition.live_states]
        label = _text(form, "label")
        sources = [s for s in _values(form, "sources") if s]
        target = _text(form, "target")
        roles = [r for r in _values(form, "roles") if r]
        fields = list(dict.fromkeys(f for f in _values(form, "fields") if f))
        permission = _text(form, "permission")
        errors = {}
        if not live:
            errors[""] = "请先设置流程状态"
        if not label or len(label) > 40:
            errors["label"] = "请填写操作名称(最多 40 个字),例如 受理"
        elif has_control(label):
            errors["label"] = CONTROL_MESSAGE
        if not sources or any(s not in live for s in sources):
            errors["sources"] = "请选择可以从哪些状态执行"
        if target not in live:
            errors["target"] = "请选择执行后的状态"
        if not roles or any(r not in ROLES for r in roles):
            errors["roles"] = "请选择谁可以执行"
        if any(f not in {field.name for field in definition.fields} for f in fields):
            errors["fields"] = "要填写的字段需是本类型正在使用的字段"
        if permission and permission not in permission_titles():
            errors["permission"] = "请选择平台已有的权限"
        if len(definition.transitions) >= MAX_TRANSITIONS:
            errors[""] = f"流程最多 {MAX_TRANSITIONS} 个操作"
        if errors:
            raise DesignError(errors)
        taken = {t["name"] for t in definition.transitions}
        number = len(definition.transitions) + 1
        while f"step_{number}" in taken:
            number += 1
        transition = {"name": f"step_{number}", "label": label, "sources": sources, "target": target, "roles": roles}
        if _flag(form, "needs_reason"):
            transition["needs_reason"] = True
        if fields:
            transition["fields"] = fields
        if permission:
            transition["permission"] = permission
        return self._change(name, f"添加流程操作「{label}」",
                            lambda d: dataclasses.replace(d, transitions=(*d.transitions, transition)))

    def remove_transition(self, name: str, transition_name: str) -> str:
        definition = self.definition(name)
        found = next((t for t in definition.transitions if t["name"] == transition_name), None)
        if found is None:
            raise UnknownType(transition_name)
        return self._change(name, f"删除流程操作「{found['label']}」", lambda d: dataclasses.replace(
            d, transitions=tuple(t for t in d.transitions if t["name"] != transition_name),
        ))

    def add_report(self, name: str, form: Mapping[str, Any]) -> str:
        definition = self.definition(name)
        title = _text(form, "title")
        measure = _text(form, "measure") or "count"
        errors = {}
        if not title or len(title) > 40:
            errors["title"] = "请填写报表名称(最多 40 个字)"
        if measure == "sum" and not _text(form, "field"):
            errors["field"] = "求和需要选择一个数字或金额字段"
        if errors:
            raise DesignError(errors)
        taken = {r.name for r in definition.reports}
        number = len(definition.reports) + 1
        while f"report_{number}" in taken:
            number += 1
        spec = ReportSpec(
            name=f"report_{number}", title=title, group_by=_text(form, "group_by") or "tenant", measure=measure,
            field=(_text(form, "field") or None) if measure == "sum" else None, chart=_text(form, "chart") or "bar",
        )
        return self._change(name, f"添加报表「{title}」", lambda d: dataclasses.replace(d, reports=(*d.reports, spec)))

    def remove_report(self, name: str, report_name: str) -> str:
        definition = self.definition(name)
        found = next((r for r in definition.reports if r.name == report_name), None)
        if found is None:
            raise UnknownType(report_name)
        return self._change(name, f"删除报表「{found.title}」", lambda d: dataclasses.replace(
            d, reports=tuple(r for r in d.reports if r.name != report_name),
        ))

    def publish(self, name: str, on: bool) -> str:
        row = self.row(name)
        if on and not self.may_publish():
            raise DesignError({"": "本单位没有下级单位,无需发布"})
        if row.published == on:
            return "没有改动"
        row.published = on
        summary = "发布到下级单位" if on else "停止向下级单位发布(下级已填的记录保留)"
        self._bump(row, summary)
        audit.record(self.session, "record_type.published" if on else "record_type.unpublished",
                     tenant_id=self.tenant.id, target=name, actor=self.actor)
        return summary

    # taking a type out of use ------------------------------------------

    def retire(self, name: str, on: bool) -> str:
        """停用 (``on``) or 启用 the type: a version and an audit entry like any change."""
        label = self.row(name).label
        summary = (f"停用类型「{label}」(不能再新建记录,已有记录保留可查)" if on
                   else f"启用类型「{label}」")
        return self._change(name, summary, lambda d: dataclasses.replace(d, retired=on),
                            action="record_type.retired" if on else "record_type.restored")

    def deletion_refusal(self, name: str) -> str:
        """Why the type may not be deleted, or '': one that ever had a record (the recycle
        bin counts) or that tenants below use keeps its definition; it can be retired."""
        row = self.row(name)
        with system_scope(self.session):
            counts = dict(self.session.execute(
                select(Entity.tenant_id, func.count(Entity.id)).where(Entity.type == name).group_by(Entity.tenant_id)
            ).all())
            fields_below = self.session.scalar(
                select(func.count(CustomField.id)).where(CustomField.type == name, CustomField.tenant_id != self.tenant.id)
            )
        own = counts.pop(self.tenant.id, 0)
        below = sum(counts.values())
        keep = "不再使用可以「停用」,已有记录会保留。"
        if below or fields_below:
            use = f"已填报 {below} 条记录" if below else "已为它添加了自己的字段"
            published = "已发布到下级单位," if row.published else ""
            return f"「{row.label}」{published}下级单位在使用({use}),不能删除;{keep}"
        if own:
            return f"「{row.label}」已有 {own} 条记录(含回收站中的),不能删除;{keep}"
        return ""

    def delete(self, name: str) -> str:
        """Delete a type that never had a record: its definition and every version of it."""
        refusal = self.deletion_refusal(name)
        if refusal:
            raise DesignError({"": refusal})
        row = self.row(name)
        summary = f"删除类型「{row.label}」(第 {row.version} 版,从未有过记录)"
        self.session.execute(delete(RecordTypeVersion).where(RecordTypeVersion.record_type_id == row.id))
        self.session.delete(row)
        self.session.flush()
        audit.record(self.session, "record_type.deleted", tenant_id=self.tenant.id, target=name,
                     actor=self.actor, summary=summary, definition=row.definition)
        self.registry.forget()
        return summary

    # internals --------------------------------------------------------

    def _change(self, name: str, summary: str, apply, action: str = "record_type.changed") -> str:
        row = self.row(name)
        before = Definition.from_json(row.definition)
        after = self._checked(lambda: apply(before))
        if after == before:
            return "没有改动"
        row.definition = after.to_json()
        row.label = after.label
        self._bump(row, summary)
        audit.record(self.session, action, tenant_id=self.tenant.id, target=name, actor=self.actor,
                     summary=summary, version=row.version)
        if ({(f.name, f.indexed, f.unique) for f in after.fields if f.indexed or f.unique}
                != {(f.name, f.indexed, f.unique) for f in before.fields if f.indexed or f.unique}):
            self._reproject(after)
        return summary

    def _reproject(self, definition: Definition) -> None:
        """Indexed or unique fields changed: rebuild the projections and unique keys wherever
        the type has records."""
        FieldDesigner(self.service)._reproject(definition.name)

    def _bump(self, row: RecordType, summary: str) -> None:
        row.version += 1
        row.updated_at = utcnow()
        row.updated_by = self._actor_id
        self.session.flush()
        self._record(row, summary)

    def _record(self, row: RecordType, summary: str) -> None:
        actor = self.service.actor
        name = audit.COMMAND_LINE_NAME if self.actor is audit.COMMAND_LINE else (
            getattr(actor, "display_name", "") or getattr(actor, "username", "") or "系统")
        self.session.add(RecordTypeVersion(
            tenant_id=self.tenant.id, record_type_id=row.id, version=row.version, definition=row.definition,
            published=row.published, summary=summary[:200], by=self._actor_id, by_name=name[:80],
        ))
        self.session.flush()
        self.registry.forget()

    @staticmethod
    def _checked(build) -> Definition:
        try:
            return build()
        except DefinitionError as refusal:
            raise DesignError({"": str(refusal)}) from None

    @property
    def _actor_id(self) -> int | None:
        return getattr(self.service.actor, "id", None)


def read_file(raw: bytes) -> Any:
    """The JSON of an exported type file (the web's upload, the command line's file);
    :class:`DesignError` on ``file`` when it is not one."""
    if len(raw) > IMPORT_LIMIT:
        raise DesignError({"file": "文件太大，不像是记录类型定义"})
    try:
        text = raw.decode("utf-8")
        check_document(text)
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DesignError({"file": "文件不是 UTF-8 编码的 JSON,请选择从泉汇导出的记录类型文件"}) from None
    except DefinitionError as refusal:
        raise DesignError({"file": str(refusal)}) from None


def export_text(definition: Definition) -> str:
    """The file a type is exported to: its definition as readable JSON, named by its
    identifier (the importing tenant becomes the owner). Whether it is in use here is
    this instance's business, so the file leaves that out."""
    exported = dataclasses.replace(definition, name=identifier_of(definition.name), retired=False)
    return json.dumps(exported.to_json(), ensure_ascii=False, indent=2)


def permission_titles() -> dict[str, str]:
    """Every permission the platform knows (the core's and the plugins'), name → title."""
    table = current_app.extensions["quanhui.permissions"]
    return {name: permission.title for name, (_, permission) in sorted(table.by_name.items())}


def _values(form: Mapping[str, Any], key: str) -> list[str]:
    if hasattr(form, "getlist"):
        return [str(v).strip() for v in form.getlist(key)]
    value = form.get(key)
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value]
    return [str(value).strip()] if value else []
