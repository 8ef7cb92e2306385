"""Entity types as data: what a kind of record is, field by field.

Plugins declare :class:`EntityType` objects through the ``quanhui_entity_types`` hook;
tenant admins add :class:`Field` objects to any type from the field designer, stored in
the database. Both are the same dataclasses, so a type built without code behaves
exactly like one a plugin declares.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

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
}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Names the storage uses for its own columns; a field may not take them.
RESERVED_NAMES = frozenset({"id", "tenant", "tenant_id", "type", "version", "created_at", "updated_at", "deleted_at"})


class DefinitionError(ValueError):
    """A type or field definition that cannot be used; the message says why, in Chinese."""


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

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.name in RESERVED_NAMES:
            raise DefinitionError(f"字段名 {self.name!r} 不可用:需以小写字母开头,只含小写字母、数字和下划线,且不是保留字")
        if self.kind not in FIELD_KINDS:
            raise DefinitionError(f"字段 {self.name} 的类型 {self.kind!r} 未知")
        if self.kind in ("choice", "multi_choice") and not self.choices:
            raise DefinitionError(f"字段 {self.name} 是选择题,需要至少一个选项")
        if self.kind == "reference" and not self.target:
            raise DefinitionError(f"字段 {self.name} 关联记录,需要指明关联的类型")
        if not self.label.strip():
            raise DefinitionError(f"字段 {self.name} 需要中文名称")

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["choices"] = list(self.choices)
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
        return cls(**{**data, "choices": tuple(data.get("choices", ()))})


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

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise DefinitionError(f"类型名 {self.name!r} 不可用")
        names = [f.name for f in self.fields]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise DefinitionError(f"类型 {self.name} 有重名字段:{', '.join(sorted(duplicates))}")
        if self.title_field not in names:
            raise DefinitionError(f"类型 {self.name} 的标题字段 {self.title_field} 不存在")

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def with_fields(self, extra: tuple[Field, ...]) -> EntityType:
        """This type with a tenant's own fields appended."""
        return dataclasses.replace(self, fields=self.fields + extra)

    @property
    def indexed_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.indexed)

    @property
    def listed_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.listed and f.name != self.title_field)
