"""Reports as data: what a named report is, column by column.

Plugins return :class:`Report` objects from the ``quanhui_reports`` hook. A report
names its columns, its chart and its parameters, and a ``query`` function that turns a
:class:`ReportContext` into rows (mappings from column name to value). The core gives
every report an HTML page with a table and a chart, an Excel download and a JSON
answer; it adds the total row and checks the parameters before ``query`` runs.

Values by column kind (what ``query`` returns and the JSON carries)::

    text      str (or None)
    integer   int
    decimal   a number (int, float or Decimal); JSON: a number
    money     a number of yuan; JSON: a number; Excel: #,##0.00
    percent   a fraction: 0.25 is shown as 25.0%; JSON: 0.25
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..entities.definitions import EntityType
    from ..entities.service import EntityService
    from ..tenancy import Tenant

#: Column kinds and their Chinese names.
COLUMN_KINDS: dict[str, str] = {
    "text": "文字",
    "integer": "整数",
    "decimal": "小数",
    "percent": "百分比",
    "money": "金额(元)",
}
NUMERIC_KINDS = frozenset({"integer", "decimal", "percent", "money"})
#: Chart kinds (Chart.js types) and "none" for a table alone.
CHART_KINDS = ("bar", "line", "pie", "doughnut", "none")
PARAMETER_KINDS = ("choice", "text", "date", "integer")
#: ``name`` or ``plugin.name``: lower-case segments; not ending in a file suffix the URLs use.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39})?$")
RESERVED_SUFFIXES = ("xlsx", "json")
COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,59}$")


class ReportDefinitionError(ValueError):
    """A report definition that cannot be used; the message says why."""


class ParameterError(ValueError):
    """A parameter value the report refuses; ``parameter`` names it, the message is Chinese."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a report: ``name`` is the key in each row and in the JSON."""

    name: str
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if not COLUMN_NAME.match(self.name):
            raise ReportDefinitionError(f"列名 {self.name!r} 不可用:需为字母、数字、下划线")
        if self.kind not in COLUMN_KINDS:
            raise ReportDefinitionError(f"列 {self.name} 的类型 {self.kind!r} 不可用(可用:{', '.join(COLUMN_KINDS)})")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "label": self.label, "kind": self.kind}


@dataclasses.dataclass(frozen=True)
class Chart:
    """How the rows are drawn: ``label`` is the column along the axis (or the slices),
    ``series`` the numeric columns drawn (one dataset each). ``stacked`` stacks bars."""

    kind: str = "bar"
    label: str | None = None
    series: tuple[str, ...] = ()
    stacked: bool = False

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ReportDefinitionError(f"图表类型 {self.kind!r} 不可用(可用:{', '.join(CHART_KINDS)})")
        object.__setattr__(self, "series", tuple(self.series))

    @property
    def drawn(self) -> bool:
        return self.kind != "none" and bool(self.series)


NO_CHART = Chart("none")


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A filter the report's page offers as a form field and the API reads from the query string.

    An empty value means "not set" (the default applies). ``choice`` values must be one
    of ``choices``; ``date`` is ISO (2024-05-01); ``integer`` an integer.
    """

    name: str
    label: str
    kind: str = "choice"
    choices: tuple[str, ...] = ()
    default: str | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if not COLUMN_NAME.match(self.name) or self.name in ("scope",):
            raise ReportDefinitionError(f"参数名 {self.name!r} 不可用")
        if self.kind not in PARAMETER_KINDS:
            raise ReportDefinitionError(f"参数 {self.name} 的类型 {self.kind!r} 不可用(可用:{', '.join(PARAMETER_KINDS)})")
        object.__setattr__(self, "choices", tuple(self.choices))

    def parse(self, raw: str | None) -> Any:
        """The typed value of ``raw`` (None when empty and no default); raises :class:`ParameterError`."""
        text = (raw or "").strip()
        if not text:
            text = self.default or ""
        if not text:
            return None
        if len(text) > 200 or "\x00" in text:
            raise ParameterError(self.name, f"「{self.label}」的值太长或含有不可用的字符")
        if self.kind == "choice":
            if text not in self.choices:
                raise ParameterError(self.name, f"「{self.label}」只能是:{'、'.join(self.choices)}")
            return text
        if self.kind == "date":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise ParameterError(self.name, f"「{self.label}」不是日期,格式如 2024-05-01") from None
        if self.kind == "integer":
            if not re.fullmatch(r"-?\d{1,15}", text):
                raise ParameterError(self.name, f"「{self.label}」应为整数")
            return int(text)
        return text


Columns = Sequence[Column] | Callable[["ReportContext"], Sequence[Column]]
ChartSpec = Chart | Callable[["ReportContext"], Chart]


@dataclasses.dataclass(frozen=True)
class Report:
    """A named report a plugin declares.

    - ``name``: global, in URLs: ``association_status`` or ``myplugin.monthly``.
    - ``query(context) -> rows``: an iterable of mappings from column name to value,
      computed in SQL (see :func:`core.reports.count_by` and :func:`core.reports.sum_by`).
    - ``columns`` and ``chart``: fixed, or a function of the context (a roll-up may
      show one column per status where a district shows one row per status).
    - ``rollup``: in a tenant with descendants (the city), ``context.tenant_ids`` is
      the whole subtree and the session may read it; the query groups by tenant.
    - ``total``: the core appends a 「合计」 row summing the numeric columns (percent
      columns are left empty); set False where a sum means nothing.
    - ``permission``: what a user needs to see it (default ``reports.view``: admins,
      editors and viewers; not association accounts).
    - ``per_tenant``: each tenant's rows depend only on that tenant's own records and
      on today's date, and each row carries ``tenant_id``. In a roll-up the core then
      keeps every tenant's rows and reruns ``query`` only for the tenants whose records
      changed since (``context.tenant_ids`` is those tenants); and a report whose
      numbers are all zero shows its empty state. Not for a report that reads another
      tenant's records or a plugin's own tables.
    """

    name: str
    title: str
    query: Callable[[ReportContext], Iterable[Mapping[str, Any]]]
    columns: Columns
    description: str = ""
    chart: ChartSpec = NO_CHART
    rollup: bool = False
    parameters: tuple[Parameter, ...] = ()
    total: bool = True
    permission: str = "reports.view"
    per_tenant: bool = False
    #: Filled in by the registry: the plugin that declared the report.
    plugin: str = ""

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.name.rsplit(".", 1)[-1] in RESERVED_SUFFIXES:
            raise ReportDefinitionError(f"报表名 {self.name!r} 不可用:需为小写字母开头的字母、数字、下划线,可带一个“插件名.”前缀")
        if not callable(self.query):
            raise ReportDefinitionError(f"报表 {self.name} 的 query 不是函数")
        object.__setattr__(self, "parameters", tuple(self.parameters))
        if not callable(self.columns):
            object.__setattr__(self, "columns", tuple(self.columns))
            _check_columns(self.name, self.columns)
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ReportDefinitionError(f"报表 {self.name} 的参数名重复")

    def columns_for(self, context: ReportContext) -> tuple[Column, ...]:
        columns = tuple(self.columns(context)) if callable(self.columns) else self.columns
        if callable(self.columns):
            _check_columns(self.name, columns)
        return columns

    def chart_for(self, context: ReportContext) -> Chart:
        return self.chart(context) if callable(self.chart) else self.chart

    def to_summary(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "plugin": self.plugin}


def _check_columns(report: str, columns: tuple[Column, ...]) -> None:
    if not columns:
        raise ReportDefinitionError(f"报表 {report} 没有列")
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ReportDefinitionError(f"报表 {report} 的列名重复")


@dataclasses.dataclass
class ReportContext:
    """What a report's ``query`` gets.

    - ``session``: the database session, whose read scope covers ``tenant_ids``.
    - ``tenant``: the tenant whose report this is (the URL's).
    - ``tenant_ids``: the tenants to aggregate over: the tenant alone, or, for a
      roll-up, the tenant and every descendant.
    - ``rollup``: whether ``tenant_ids`` is a subtree (group by tenant then).
    - ``params``: the report's parameters, typed (``None`` where not set).
    - ``service``: the tenant's :class:`~core.entities.service.EntityService`, for
      entity types as the tenant sees them (``context.entity_type("association")``).
    """

    session: Session
    tenant: Tenant
    tenant_ids: tuple[int, ...]
    rollup: bool
    params: dict[str, Any]
    service: EntityService

    def entity_type(self, name: str) -> EntityType:
        entity_type = self.service.type(name)
        if entity_type is None:
            raise LookupError(f"记录类型 {name} 在本单位不可用")
        return entity_type


@dataclasses.dataclass
class ReportResult:
    """A report as produced for one context: its columns, rows (the total row last when
    ``total`` is set), chart and the context it was produced in."""

    report: Report
    context: ReportContext
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None
    chart: Chart

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def scope_label(self) -> str:
        """本级及下级 for a roll-up over the subtree, 本级 for the tenant's own records."""
        return "本级及下级" if self.context.rollup else "本级"

    @property
    def shown_total(self) -> dict[str, Any] | None:
        """The total row as pages and workbooks show it: its label names the scope, 合计（本级）."""
        if self.total is None:
            return None
        return {name: f"{value}（{self.scope_label}）" if isinstance(value, str) else value
                for name, value in self.total.items()}
