"""Record types built without code: stored definitions that become :class:`EntityType` objects.

A tenant admin builds a type in the browser (:mod:`core.entities.record_type_builder`):
its fields (the field designer's kinds and checks), an optional workflow, optional
reports and its place in the navigation. The definition is one JSON document kept in
``record_types``; every change also writes a full copy to ``record_type_versions``.

Who sees a type: the tenant that built it, and, once the city publishes it, every
tenant below (each files its own records; the city's reports roll them up). A
district's own type stays in that district.

A type is stored under a name that carries its owner, ``t<tenant id>__<identifier>``
(``t7__meeting``): type names stay unique across the instance (reports, permissions,
the API document and queries rely on that), while the identifier an admin types only
has to be unique within its own tree line, so no tenant learns a sibling's names by
being refused one. URLs, the API and the command line use the stored name; the
exported file carries the identifier.

The same JSON, with a ``format`` key, is the file a type is exported to and imported
from, and what ``quanhui plugin new NAME --from-type FILE`` turns into code.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, and_, distinct, func, or_, select
from sqlalchemy.orm import Mapped, aliased, mapped_column

from ..db import Base, BigId, UTCDateTime, utcnow
from ..reports.aggregates import TENANT, count_by, sum_by
from ..reports.aggregates import _value_join as value_join
from ..reports.definitions import CHART_KINDS, Chart, Column, Report, ReportContext
from ..tenancy import Tenant, TenantOwned
from .definitions import NAME, DefinitionError, EntityType, Field, State, Transition, Workflow
from .fields import projection_column
from .models import Entity, EntityValue

FORMAT = "quanhui.record_type/1"
#: The plugin a built type belongs to: the core, always on, so no switch hides it.
PLUGIN = "core"
#: URL segments under /<tenant>/entities/<type>/ and names the platform keeps.
RESERVED = frozenset({"new", "recycle", "check", "admin", "api", "static", "types", "fields", "reports", "core"})
#: Between the owner and the identifier of a stored name; no plugin type name holds it.
OWNER_SEPARATOR = "__"
#: What an admin types: no double underscore, short enough for ``t<id>__`` in front.
IDENTIFIER = re.compile(r"^[a-z](?:[a-z0-9]|_(?!_)){0,29}$")
IDENTIFIER_LIMIT = 30
LABEL_LIMIT = 40
DESCRIPTION_LIMIT = 200
MAX_FIELDS = 60
MAX_STATES = 20
MAX_TRANSITIONS = 40
MAX_REPORTS = 10
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: A permission's name: ``plugin.right``.
PERMISSION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
ICON_LIMIT = 4
ROLES = {"admin": "管理员", "editor": "编辑", "association": "协会账号"}
MEASURES = {"count": "数量", "sum": "合计"}
#: Report groupings besides a choice field of the type.
GROUPS = {"tenant": "按单位", "month": "按填报月份"}
CHARTS = {"bar": "柱状图", "line": "折线图", "pie": "饼图", "doughnut": "环形图", "none": "不画图"}
WORKFLOW_FIELD = "state"
TITLE_FIELD = "title"
SUM_KINDS = ("integer", "decimal", "money")
#: China has one time zone; a month of filing is a month there.
CHINA = "Asia/Shanghai"


class RecordType(TenantOwned, Base):
    """A type a tenant built; ``definition`` is its JSON (see :class:`Definition`)."""

    __tablename__ = "record_types"
    __table_args__ = (
        Index("ix_record_types_name", "name", unique=True),
        Index("ix_record_types_tenant", "tenant_id", "name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(LABEL_LIMIT))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Used by every tenant below the one that built it.
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))


class RecordTypeVersion(TenantOwned, Base):
    """One change of a built type: the whole definition after it, who and what."""

    __tablename__ = "record_type_versions"
    __table_args__ = (Index("ix_record_type_versions_type", "tenant_id", "record_type_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_type_id: Mapped[int] = mapped_column(BigId, ForeignKey("record_types.id", ondelete="CASCADE"))
    version: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    by_name: Mapped[str] = mapped_column(String(80), default="")


def stored_name(tenant_id: int, identifier: str) -> str:
    """The name a type ``tenant_id`` builds as ``identifier`` is kept under."""
    return f"t{tenant_id}{OWNER_SEPARATOR}{identifier}"


def identifier_of(name: str) -> str:
    """The identifier an admin typed, from a stored name."""
    return name.partition(OWNER_SEPARATOR)[2] or name


# the definition --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ReportSpec:
    """A report of a built type: a count (or a sum of a number field) per group."""

    name: str
    title: str
    group_by: str = "tenant"
    measure: str = "count"
    field: str | None = None
    chart: str = "bar"

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in dataclasses.asdict(self).items() if value is not None}


@dataclasses.dataclass(frozen=True)
class Definition:
    """A built type as data. ``states`` keep retired ones (records may still be in
    them); ``retired_fields`` keep the fields taken off the forms, whose values stay."""

    name: str
    label: str
    fields: tuple[Field, ...]
    title_field: str = TITLE_FIELD
    description: str = ""
    icon: str = ""
    colour: str = ""
    #: Where the type appears in the navigation (lower first); None: not in it.
    nav_order: int | None = 50
    retired_fields: tuple[Field, ...] = ()
    #: [{"name", "final", "retired"}]; the first live state is where a record starts.
    states: tuple[dict[str, Any], ...] = ()
    #: [{"name", "label", "sources", "target", "roles", "needs_reason", "fields", "permission"}]:
    #: ``fields`` the user fills while firing, ``permission`` the role must also hold.
    transitions: tuple[dict[str, Any], ...] = ()
    reports: tuple[ReportSpec, ...] = ()
    #: Taken out of use (停用) by the tenant that built it: out of the navigation, no new
    #: records, every record still readable.
    retired: bool = False

    def __post_init__(self) -> None:
        check(self)

    @property
    def live_states(self) -> tuple[dict[str, Any], ...]:
        return tuple(s for s in self.states if not s.get("retired"))

    def workflow(self) -> Workflow | None:
        """The workflow; transitions into a retired state are left out, so no record
        enters it again, while records already there keep it and may leave it."""
        if not self.live_states:
            return None
        retired = {s["name"] for s in self.states if s.get("retired")}
        return Workflow(
            field=WORKFLOW_FIELD,
            label="状态",
            initial=self.live_states[0]["name"],
            states=tuple(State(s["name"], final=bool(s.get("final"))) for s in self.states),
            transitions=tuple(
                Transition(t["name"], t["label"], tuple(t["sources"]), t["target"], roles=tuple(t["roles"]),
                           permission=t.get("permission"), needs_reason=bool(t.get("needs_reason")),
                           fields=tuple(t.get("fields") or ()))
                for t in self.transitions if t["target"] not in retired
            ),
        )

    def entity_type(self) -> EntityType:
        return EntityType(
            name=self.name, label=self.label, fields=self.fields, title_field=self.title_field,
            description=self.description, plugin=PLUGIN, workflow=self.workflow(), retired=self.retired,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "icon": self.icon,
            "colour": self.colour,
            "nav_order": self.nav_order,
            "title_field": self.title_field,
            "fields": [f.to_json() for f in self.fields],
            "retired_fields": [f.to_json() for f in self.retired_fields],
            "states": [dict(s) for s in self.states],
            "transitions": [dict(t) for t in self.transitions],
            "reports": [r.to_json() for r in self.reports],
            **({"retired": True} if self.retired else {}),
        }

    @classmethod
    def from_json(cls, data: Any) -> Definition:
        """The definition in ``data``: a stored one, or a file that passed
        :func:`~core.entities.record_type_schema.check_definition` (stored ones are not
        held to it, so a type saved before a rule tightened stays usable and editable);
        :class:`DefinitionError` says what is wrong."""
        if data.get("format", FORMAT) != FORMAT:
            raise DefinitionError(f"文件格式 {str(data.get('format'))[:40]!r} 不是泉汇记录类型定义({FORMAT})")
        return cls(
            name=data["name"],
            label=data["label"],
            description=data.get("description") or "",
            icon=data.get("icon") or "",
            colour=data.get("colour") or "",
            nav_order=data.get("nav_order"),
            title_field=data.get("title_field") or TITLE_FIELD,
            fields=tuple(Field.from_json(f) for f in data.get("fields") or ()),
            retired_fields=tuple(Field.from_json(f) for f in data.get("retired_fields") or ()),
            states=tuple(_state(s) for s in data.get("states") or ()),
            transitions=tuple(_transition(t) for t in data.get("transitions") or ()),
            reports=tuple(ReportSpec(**r) for r in data.get("reports") or ()),
            retired=data.get("retired") is True,
        )


def _state(data: dict) -> dict[str, Any]:
    state = {"name": str(data.get("name", "")).strip()}
    if data.get("final"):
        state["final"] = True
    if data.get("retired"):
        state["retired"] = True
    return state


def _transition(data: dict) -> dict[str, Any]:
    transition = {
        "name": str(data.get("name", "")), "label": str(data.get("label", "")),
        "sources": [str(s) for s in data.get("sources") or []], "target": str(data.get("target", "")),
        "roles": [str(r) for r in data.get("roles") or []],
    }
    if data.get("needs_reason"):
        transition["needs_reason"] = True
    if data.get("fields"):
        transition["fields"] = [str(f) for f in data["fields"]]
    if data.get("permission"):
        transition["permission"] = str(data["permission"])
    return transition


def check(definition: Definition) -> None:
    """Raise :class:`DefinitionError` with a Chinese message for anything a built type may not be."""
    d = definition
    if not NAME.match(d.name) or d.name in RESERVED:
        raise DefinitionError(f"类型标识 {d.name!r} 不可用:需以小写英文字母开头,只含小写字母、数字和下划线,最长 40 个字符,且不是保留字")
    if not d.label.strip() or len(d.label) > LABEL_LIMIT:
        raise DefinitionError(f"类型名称需为 1 到 {LABEL_LIMIT} 个字")
    if len(d.description) > DESCRIPTION_LIMIT:
        raise DefinitionError(f"说明最多 {DESCRIPTION_LIMIT} 个字")
    if d.colour and not COLOUR.match(d.colour):
        raise DefinitionError("颜色需为 #RRGGBB 形式,例如 #c0392b")
    if len(d.icon) > ICON_LIMIT or any(c in d.icon for c in "<>\"'&"):
        raise DefinitionError(f"图标最多 {ICON_LIMIT} 个字符(一个表情或汉字即可)")
    if d.nav_order is not None and (not isinstance(d.nav_order, int) or isinstance(d.nav_order, bool)
                                    or not 0 <= d.nav_order <= 999):
        raise DefinitionError("导航位置需为 0 到 999 之间的整数")
    if len(d.fields) + len(d.retired_fields) > MAX_FIELDS:
        raise DefinitionError(f"一个类型最多 {MAX_FIELDS} 个字段(含已停用的)")
    names = [f.name for f in (*d.fields, *d.retired_fields)]
    if WORKFLOW_FIELD in names and d.states:
        raise DefinitionError(f"字段名 {WORKFLOW_FIELD} 留给流程的状态,请换一个")
    repeated = {n for n in names if names.count(n) > 1}
    if repeated:
        raise DefinitionError(f"字段名重复:{', '.join(sorted(repeated))}")
    if d.title_field not in [f.name for f in d.fields]:
        raise DefinitionError(f"标题字段 {d.title_field} 不存在或已停用")
    if len(d.states) > MAX_STATES:
        raise DefinitionError(f"流程最多 {MAX_STATES} 个状态")
    if len(d.transitions) > MAX_TRANSITIONS:
        raise DefinitionError(f"流程最多 {MAX_TRANSITIONS} 个操作")
    if d.transitions and not d.live_states:
        raise DefinitionError("流程操作需要先设置状态")
    for transition in d.transitions:
        unknown = [r for r in transition["roles"] if r not in ROLES]
        if unknown:
            raise DefinitionError(f"流程操作「{transition['label']}」的角色 {'、'.join(unknown)} 不存在")
        live = {f.name for f in d.fields}
        missing = [f for f in transition.get("fields", ()) if f not in live]
        if missing:
            raise DefinitionError(f"流程操作「{transition['label']}」要填写的字段 {'、'.join(missing)} 不存在或已停用")
        if "permission" in transition and not PERMISSION.match(transition["permission"]):
            raise DefinitionError(f"流程操作「{transition['label']}」的权限 {transition['permission'][:60]!r} 写法不对,例如 entities.edit")
    for state in d.states:
        if "," in state["name"] or "\n" in state["name"]:
            raise DefinitionError(f"状态名「{state['name']}」不能含逗号或换行")
    if len(d.reports) > MAX_REPORTS:
        raise DefinitionError(f"一个类型最多 {MAX_REPORTS} 张报表")
    report_names = [r.name for r in d.reports]
    if len(set(report_names)) != len(report_names):
        raise DefinitionError("报表标识重复")
    for report in d.reports:
        _check_report(d, report)
    d.entity_type()  # the workflow's and the type's own checks


def _check_report(definition: Definition, report: ReportSpec) -> None:
    if not NAME.match(report.name):
        raise DefinitionError(f"报表标识 {report.name!r} 不可用")
    if not report.title.strip() or len(report.title) > LABEL_LIMIT:
        raise DefinitionError(f"报表名称需为 1 到 {LABEL_LIMIT} 个字")
    if report.chart not in CHART_KINDS:
        raise DefinitionError(f"图表类型 {report.chart!r} 不可用")
    if report.measure not in MEASURES:
        raise DefinitionError(f"统计方式 {report.measure!r} 不可用:只能是计数(count)或求和(sum)")
    fields = {f.name: f for f in definition.fields}
    if report.measure == "sum":
        summed = fields.get(report.field or "")
        if summed is None or summed.kind not in SUM_KINDS or not summed.indexed:
            raise DefinitionError(f"报表「{report.title}」求和的字段需为可筛选的整数、小数或金额字段")
    elif report.field:
        raise DefinitionError(f"报表「{report.title}」是计数,不需要选字段")
    if report.group_by in GROUPS:
        return
    if report.group_by == WORKFLOW_FIELD and definition.live_states:
        return
    grouped = fields.get(report.group_by)
    if grouped is None or grouped.kind != "choice" or not grouped.indexed:
        raise DefinitionError(f"报表「{report.title}」只能按单位、填报月份、状态或可筛选的单选字段分组")


# reports ----------------------------------------------------------------------


def reports_of(definition: Definition) -> list[Report]:
    """The built type's reports as :class:`Report` objects, named ``<type>.<report>``;
    each rolls up the tenants below the one it is produced in."""
    return [_report(definition, spec) for spec in definition.reports]


def report_columns(definition: Definition, spec: ReportSpec) -> tuple[Column, Column]:
    """The group's column and the count's (or the sum's) column of a report."""
    entity_type = definition.entity_type()
    summed = entity_type.field(spec.field) if spec.field else None
    if summed is None:
        value = Column("count", "数量", "integer")
    else:
        value = Column("sum", f"{summed.label}合计", summed.kind if summed.kind in ("integer", "money") else "decimal")
    if spec.group_by == TENANT:
        return Column("tenant", "单位"), value
    if spec.group_by == "month":
        return Column("month", "月份"), value
    grouped = entity_type.field(spec.group_by)
    return Column(spec.group_by, grouped.label if grouped else spec.group_by), value


def _report(definition: Definition, spec: ReportSpec) -> Report:
    label, value_column = report_columns(definition, spec)

    def query(context: ReportContext):
        if spec.group_by == "month":
            return count_by_month(context, definition.name, sum_field=spec.field)
        group = (TENANT,) if spec.group_by == TENANT else (spec.group_by,)
        if spec.field:
            return sum_by(context, definition.name, spec.field, group_by=group)
        return count_by(context, definition.name, group_by=group)

    return Report(
        name=f"{definition.name}.{spec.name}",
        title=spec.title,
        description=f"{definition.label}:{GROUPS.get(spec.group_by, '按' + label.label)}{MEASURES[spec.measure]};上级单位的统计含下级单位。",
        query=query,
        columns=(label, value_column),
        chart=Chart(spec.chart, label=label.name, series=(value_column.name,)),
        rollup=True,
        plugin=PLUGIN,
    )


def count_by_month(context: ReportContext, type_name: str, *, date_field: str | None = None,
                   sum_field: str | None = None) -> list[dict[str, Any]]:
    """Live records of ``type_name`` in ``context.tenant_ids`` per month (``"2026-11"``),
    by the month they were filed (China time), or by the indexed date field ``date_field``;
    with ``sum``, the total of the indexed number field ``sum_field``. One SQL statement."""
    entity_type = context.entity_type(type_name)
    session = context.session
    live = [Entity.type == entity_type.name, Entity.deleted_at.is_(None), Entity.tenant_id.in_(tuple(context.tenant_ids))]
    joins = []
    if date_field is None:
        month = _month(session, Entity.created_at, shift=True)
    else:
        field = entity_type.field(date_field)
        if field is None or field.kind != "date" or not field.indexed:
            raise DefinitionError(f"字段 {date_field} 不是可筛选的日期字段,不能按月统计")
        value = aliased(EntityValue)
        joins.append((value, value_join(value, entity_type, field)))
        month = _month(session, value.date_value, shift=False)
    measures = [func.count(distinct(Entity.id)).label("count")]
    if sum_field is not None:
        field = entity_type.field(sum_field)
        if field is None or not field.indexed or projection_column(field) != "num_value":
            raise DefinitionError(f"字段 {sum_field} 不是可筛选的数字字段,不能求和")
        amount = aliased(EntityValue)
        joins.append((amount, value_join(amount, entity_type, field)))
        measures.append(func.coalesce(func.sum(amount.num_value), 0).label("sum"))
    statement = select(month.label("month"), *measures).select_from(Entity).where(*live)
    for alias, on in joins:
        statement = statement.join(alias, on)
    statement = statement.group_by(month).order_by(month)
    return [dict(row._mapping) for row in session.execute(statement)]


def _month(session, column, *, shift: bool):
    """``column`` as ``YYYY-MM``; a timestamp (stored in UTC) is read in China time."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(CHINA, column) if shift else column, "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours") if shift else func.strftime("%Y-%m", column)


# who sees which ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Summary:
    """What the navigation and the builder's list need of a type, detached from any session
    (the registry keeps it across requests)."""

    name: str
    label: str
    tenant_id: int
    published: bool
    icon: str
    nav_order: int | None
    retired: bool = False

    @classmethod
    def of(cls, row: RecordType) -> Summary:
        definition = row.definition or {}
        return cls(row.name, row.label, row.tenant_id, row.published, str(definition.get("icon") or ""),
                   definition.get("nav_order"), definition.get("retired") is True)


def visible_rows(session, tenant: Tenant) -> list[RecordType]:
    """The built types ``tenant`` uses: its own, and those its ancestors published.
    The caller reads in the system scope (the rows belong to other tenants)."""
    ancestors = tenant.ancestor_ids or (-1,)
    return list(session.scalars(
        select(RecordType)
        .where(or_(RecordType.tenant_id == tenant.id,
                   and_(RecordType.tenant_id.in_(ancestors), RecordType.published.is_(True))))
        .order_by(RecordType.name)
    ))


def stamp(session) -> tuple[int, int]:
    """What changes with every change of any built type: the newest version row, and how
    many there are (deleting a type deletes its versions, which may leave the newest)."""
    newest, count = session.execute(
        select(func.coalesce(func.max(RecordTypeVersion.id), 0), func.count(RecordTypeVersion.id))
    ).one()
    return newest, count
