"""Entity types as data: what a kind of record is, field by field.

Plugins declare :class:`EntityType` objects through the ``quanhui_entity_types`` hook;
tenant admins add :class:`Field` objects to any type from the field designer, stored in
the database. Both are the same dataclasses, so a type built without code behaves
exactly like one a plugin declares.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from ..auth.permissions import ROLES

#: Field kinds and their Chinese names, in the order the field designer offers them.
FIELD_KINDS: dict[str, str] = {
    "text": "单行文本",
    "long_text": "多行文本",
    "integer": "整数",
    "decimal": "小数",
    "money": "金额(元)",
    "date": "日期",
    "boolean": "是/否",
    "choice": "单选",
    "multi_choice": "多选",
    "tags": "标签",
    "reference": "关联记录",
    "uscc": "统一社会信用代码",
    "phone": "电话",
    "file": "文件",
}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Tenant tiers (``Tenant.tier``) and their Chinese names.
TIERS = {"city": "市级", "district": "区县"}
#: Names the storage uses for its own columns; a field may not take them.
RESERVED_NAMES = frozenset({"id", "tenant", "tenant_id", "type", "version", "created_at", "updated_at", "deleted_at"})


class DefinitionError(ValueError):
    """A type or field definition that cannot be used; the message says why, in Chinese."""


#: Where a unique field's value may occur once: in the record's own tenant, or in its whole tree.
UNIQUE_SCOPES = {"tenant": "本单位内", "tree": "全市"}
#: The kinds whose value is one comparable text (lists, files and yes/no are not).
UNIQUE_KINDS = ("text", "integer", "decimal", "money", "date", "choice", "reference", "uscc", "phone")


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    required: bool = False
    default: Any = None
    help: str = ""
    #: Kept in a typed projection, so lists filter and sort on it and roll-ups group by it.
    indexed: bool = False
    #: For choice and multi_choice.
    choices: tuple[str, ...] = ()
    #: For reference: the entity type it points to.
    target: str | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: Shown as a column of the list page.
    listed: bool = False
    #: For choice and multi_choice: the name of a vocabulary (see :mod:`core.vocabularies`)
    #: whose terms, as the tenant sees them, are the choices; ``choices`` may then be empty.
    vocabulary: str | None = None
    #: For file: the extensions it accepts (``(".pdf",)``); every kind the platform
    #: stores when empty (see :data:`core.entities.files.ALLOWED`).
    accept: tuple[str, ...] = ()
    #: "tenant": no two live records of the type in one tenant hold the same value;
    #: "tree": none in the whole tenant tree (see :mod:`core.entities.unique`).
    unique: str | None = None
    #: The roles that see this field (see :mod:`core.entities.rights`); empty: whoever sees the record.
    read_roles: tuple[str, ...] = ()
    #: The roles that set it (``rights.STAFF``: the tenant's staff); empty: whoever changes the record.
    write_roles: tuple[str, ...] = ()
    #: Set only by users of the tenant that holds the record, not by those of an ancestor.
    own_tier_only: bool = False

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.name in RESERVED_NAMES:
            raise DefinitionError(f"字段名 {self.name!r} 不可用:需以小写字母开头,只含小写字母、数字和下划线,且不是保留字")
        if self.kind not in FIELD_KINDS:
            raise DefinitionError(f"字段 {self.name} 的类型 {self.kind!r} 未知")
        if self.kind in ("choice", "multi_choice") and not self.choices and not self.vocabulary:
            raise DefinitionError(f"字段 {self.name} 是选择题,需要至少一个选项或一个词表")
        if self.kind == "file" and self.indexed:
            raise DefinitionError(f"字段 {self.name} 是文件,不能用于筛选和排序(不能设为索引字段)")
        if self.kind == "reference" and not self.target:
            raise DefinitionError(f"字段 {self.name} 关联记录,需要指明关联的类型")
        if not self.label.strip():
            raise DefinitionError(f"字段 {self.name} 需要中文名称")
        for attribute in ("read_roles", "write_roles"):
            roles = getattr(self, attribute)
            if isinstance(roles, str) or any(role not in ROLES for role in roles):
                raise DefinitionError(f"字段 {self.name} 的 {attribute} 应为角色的元组，角色可选：{'、'.join(ROLES)}")
            object.__setattr__(self, attribute, tuple(roles))
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise DefinitionError(f"字段 {self.name} 的最小值不能大于最大值")
        if self.unique is not None and self.unique not in UNIQUE_SCOPES:
            raise DefinitionError(f"字段 {self.name} 的唯一范围 {self.unique!r} 未知，可选：tenant（本单位内）、tree（全市）")
        if self.unique is not None and self.kind not in UNIQUE_KINDS:
            raise DefinitionError(f"字段 {self.name} 的类型不能设为不可重复")
        if self.accept:
            self._check_accept()

    def _check_accept(self) -> None:
        from .files import ALLOWED

        if self.kind != "file":
            raise DefinitionError(f"字段 {self.name} 不是文件，不能限定文件类型")
        unknown = [ext for ext in self.accept if ext not in ALLOWED]
        if unknown:
            raise DefinitionError(f"字段 {self.name} 限定的文件类型 {'、'.join(unknown)} 不是平台接受的类型"
                                  f"（可用：{'、'.join(ALLOWED)}）")

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["choices"] = list(self.choices)
        data["accept"] = list(self.accept)
        # Drop what is empty or off, but keep a real 0 (a minimum or default of zero).
        return {
            key: value for key, value in data.items()
            if not (value is None or value is False or (not isinstance(value, (int, float)) and value in ((), [], "")))
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Field:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise DefinitionError(f"字段定义里有未知的项:{', '.join(sorted(unknown))}")
        roles = {key: tuple(data[key]) for key in ("read_roles", "write_roles") if key in data}
        return cls(**{**data, "choices": tuple(data.get("choices", ())), "accept": tuple(data.get("accept", ())), **roles})


@dataclasses.dataclass(frozen=True)
class State:
    """One state of a workflow. ``name`` is what the record stores (and what lists filter
    on), so it is best the Chinese word itself; ``label`` defaults to it."""

    name: str
    label: str = ""
    #: A state where the matter is settled (结案, 已答复…); shown as such, and a report may
    #: count open records as those not in a final state. Transitions may still leave it.
    final: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 40:
            raise DefinitionError(f"状态名 {self.name!r} 不可用:需为 1-40 个字")
        if not self.label:
            object.__setattr__(self, "label", self.name)


#: A guard: ``guard(data, context)`` returns a Chinese refusal message, or None to allow.
#: ``data`` is the record as it would be after the transition, ``context`` a
#: :class:`core.entities.workflows.TransitionContext` (previous data, reason, actor...).
Guard = Callable[[dict[str, Any], Any], "str | None"]


@dataclasses.dataclass(frozen=True)
class Transition:
    """A named move from any of ``sources`` to ``target``.

    Who may fire it: an actor whose role is in ``roles`` and, when ``permission`` is
    given, whose role also holds that permission. ``fields`` are fields of the type the
    user fills while firing (a deadline, a measure); each must be given a value.
    ``needs_reason`` asks for a reason, kept with the revision. ``guard`` may refuse with
    a message (see :data:`Guard`).
    """

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...] = ("admin", "editor")
    permission: str | None = None
    needs_reason: bool = False
    fields: tuple[str, ...] = ()
    guard: Guard | None = None

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise DefinitionError(f"流程操作名 {self.name!r} 不可用:需以小写字母开头,只含小写字母、数字和下划线")
        if not self.label.strip():
            raise DefinitionError(f"流程操作 {self.name} 需要中文名称")
        for attribute in ("sources", "roles", "fields"):
            value = getattr(self, attribute)
            if isinstance(value, str):  # ("核查中") without the comma is a string, not a tuple
                raise DefinitionError(f"流程操作 {self.name} 的 {attribute} 应为元组,例如 ({value!r},)")
            object.__setattr__(self, attribute, tuple(value))
        if not self.sources:
            raise DefinitionError(f"流程操作 {self.name} 需要至少一个起始状态")
        if not self.roles:
            raise DefinitionError(f"流程操作 {self.name} 需要至少一个可以执行它的角色")
        if self.guard is not None and not callable(self.guard):
            raise DefinitionError(f"流程操作 {self.name} 的 guard 应为函数")


@dataclasses.dataclass(frozen=True)
class Workflow:
    """States and transitions of one type, kept in the choice field ``field``.

    The type adds that field itself when it does not declare it (a required, indexed,
    listed choice labelled ``label``); a type that declares it (to place or label it)
    must declare a choice field whose choices are exactly the state names. Either way
    the field is made indexed and listed, with ``initial`` as its default: lists filter
    and sort on the state like on any indexed choice field. The state is set to
    ``initial`` when a record is created and changes only by firing a transition
    (see :mod:`core.entities.workflows`).
    """

    field: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    initial: str
    label: str = "状态"

    def __post_init__(self) -> None:
        if not NAME.match(self.field) or self.field in RESERVED_NAMES:
            raise DefinitionError(f"流程的状态字段名 {self.field!r} 不可用")
        object.__setattr__(self, "states", tuple(self.states))
        object.__setattr__(self, "transitions", tuple(self.transitions))
        if not self.states:
            raise DefinitionError("流程需要至少一个状态")
        states = [s.name for s in self.states]
        repeated = {n for n in states if states.count(n) > 1}
        if repeated:
            raise DefinitionError(f"流程有重名状态:{'、'.join(sorted(repeated))}")
        names = [t.name for t in self.transitions]
        repeated = {n for n in names if names.count(n) > 1}
        if repeated:
            raise DefinitionError(f"流程有重名操作:{', '.join(sorted(repeated))}")
        if self.initial not in states:
            raise DefinitionError(f"流程的初始状态 {self.initial!r} 不是它的状态之一")
        for transition in self.transitions:
            unknown = [s for s in (*transition.sources, transition.target) if s not in states]
            if unknown:
                raise DefinitionError(f"流程操作 {transition.name} 用到了未知的状态:{'、'.join(unknown)}")

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    def state(self, name: str | None) -> State | None:
        return next((s for s in self.states if s.name == name), None)

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def state_field(self, declared: Field | None) -> Field:
        """The state field: ``declared`` checked and completed, or a new one."""
        if declared is None:
            return Field(self.field, self.label, kind="choice", choices=self.state_names, required=True,
                         default=self.initial, indexed=True, listed=True)
        if declared.kind != "choice" or set(declared.choices) != set(self.state_names):
            raise DefinitionError(
                f"流程的状态字段 {self.field} 应为单选字段,选项恰好是流程的状态:{'、'.join(self.state_names)}"
            )
        return dataclasses.replace(declared, choices=self.state_names, required=True, default=self.initial,
                                   indexed=True, listed=True)


@dataclasses.dataclass(frozen=True)
class EntityType:
    name: str
    label: str
    fields: tuple[Field, ...]
    #: The field whose value names a record in lists, links and titles.
    title_field: str = "name"
    description: str = ""
    #: The plugin that declared it (filled in by the registry).
    plugin: str = ""
    #: A reference field naming the association each record belongs to: its association
    #: account may see and change the record, and files new ones for itself only.
    owner_field: str | None = None
    #: States and transitions (see :class:`Workflow`); its state field is added if absent.
    workflow: Workflow | None = None
    #: Kept by one tenant for everyone below it (catalogues, calls, theme lists): each
    #: descendant lists and reads its ancestors' records next to its own, read-only.
    published: bool = False
    #: The tenant tiers ("city", "district") whose users may add and change records of this
    #: type; empty for every tier. A catalogue the city keeps: ``kept_by=("city",)``.
    kept_by: tuple[str, ...] = ()
    #: Taken out of use (a built type its tenant retired): no new records, the others readable.
    retired: bool = False
    #: What association accounts file counts in figures only once the staff confirm it
    #: (see :mod:`core.entities.confirmation`).
    needs_confirmation: bool = False

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise DefinitionError(f"类型名 {self.name!r} 不可用")
        names = [f.name for f in self.fields]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise DefinitionError(f"类型 {self.name} 有重名字段:{', '.join(sorted(duplicates))}")
        if self.title_field not in names:
            raise DefinitionError(f"类型 {self.name} 的标题字段 {self.title_field} 不存在")
        if self.workflow is not None:
            self._complete_workflow(names)
        if set(self.kept_by) - set(TIERS):
            raise DefinitionError(f"类型 {self.name} 的 kept_by 只能是 {'、'.join(TIERS)}")
        for name in (self.title_field, self.owner_field, self.workflow.field if self.workflow else None):
            if name is not None and getattr(self.field(name), "read_roles", ()):
                raise DefinitionError(f"类型 {self.name} 的字段 {name} 是标题、归属或状态，凡能看到记录的人都要看到它，不能限定查看角色")
        if self.owner_field is not None:
            owner = self.field(self.owner_field)
            if owner is None or owner.kind != "reference" or owner.target != "association":
                raise DefinitionError(f"类型 {self.name} 的归属字段 {self.owner_field} 须是关联到协会商会的字段")

    def _complete_workflow(self, names: list[str]) -> None:
        workflow = self.workflow
        state_field = workflow.state_field(self.field(workflow.field))
        if workflow.field in names:
            fields = tuple(state_field if f.name == workflow.field else f for f in self.fields)
        else:
            fields = (*self.fields, state_field)
        object.__setattr__(self, "fields", fields)
        for transition in workflow.transitions:
            for name in transition.fields:
                if name == workflow.field:
                    raise DefinitionError(f"流程操作 {transition.name} 不能让用户直接填写状态字段 {name}")
                if name not in names:
                    raise DefinitionError(f"流程操作 {transition.name} 要填写的字段 {name} 不是类型 {self.name} 的字段")

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def with_fields(self, extra: tuple[Field, ...]) -> EntityType:
        """This type with a tenant's own fields appended."""
        return dataclasses.replace(self, fields=self.fields + extra)

    @property
    def indexed_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.indexed)

    @property
    def unique_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.unique)

    @property
    def listed_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.listed and f.name != self.title_field)
