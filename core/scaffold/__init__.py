"""``quanhui plugin new NAME``: write a pip-installable plugin package to start from.

The templates live in ``core/scaffold/plugin/`` (package data). Each ``*.tmpl`` file is a
:class:`string.Template` (``${name}``, ``${title}``, ``${package}``, ``${dist}``); the
path segments ``package`` and ``PLUGIN`` become the package and the plugin name.

``--from-type FILE`` starts from a record type built in the browser and exported
(:mod:`core.entities.record_types`): the templates of ``core/scaffold/from_type/`` get
the type, its workflow and its reports written out as code, and tests made for them.
"""
from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..plugins import NAME, RESERVED_NAMES

TEMPLATES = Path(__file__).with_name("plugin")
FROM_TYPE = Path(__file__).with_name("from_type")


class ScaffoldError(Exception):
    """A name or a target the scaffold refuses, with a Chinese message."""


@dataclass(frozen=True)
class Scaffolded:
    root: Path
    files: tuple[Path, ...]


def check_name(name: str) -> None:
    """The rules of :data:`core.plugins.NAME` and the reserved URL segments."""
    if not NAME.match(name):
        raise ScaffoldError(
            f"插件名 {name!r} 不可用:须以小写字母开头,只含小写字母、数字和下划线,共 2 到 40 个字符"
        )
    if name in RESERVED_NAMES:
        raise ScaffoldError(f"插件名 {name!r} 是平台保留的网址段,请换一个(保留:{', '.join(sorted(RESERVED_NAMES))})")


def new_plugin(name: str, directory: Path, title: str | None = None, from_type: Path | None = None) -> Scaffolded:
    """Write ``quanhui-<name>/`` under ``directory``; refuse to overwrite anything."""
    check_name(name)
    _check_title(title)
    dist = f"quanhui-{name.replace('_', '-')}"
    root = Path(directory) / dist
    values = {"name": name, "title": title or name, "package": f"quanhui_{name}", "dist": dist}
    if from_type is None:
        sources = sorted(TEMPLATES.rglob("*.tmpl"))
    else:
        values.update(_type_values(name, from_type, title))
        sources = [TEMPLATES / "pyproject.toml.tmpl", *sorted(FROM_TYPE.rglob("*.tmpl"))]
    if root.exists():
        raise ScaffoldError(f"目录 {root} 已存在,不会覆盖;请换一个名字或目录")
    written = []
    for source in sources:
        base = FROM_TYPE if FROM_TYPE in source.parents else TEMPLATES
        relative = source.relative_to(base).with_suffix("")
        parts = [values["package"] if part == "package" else part.replace("PLUGIN", name) for part in relative.parts]
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(string.Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(target)
    return Scaffolded(root, tuple(written))


def _check_title(title: str | None) -> None:
    if title is not None and (not title.strip() or any(c in title for c in '"\\{}$<>\n')):
        raise ScaffoldError("插件标题不能为空,也不能含引号、反斜杠、花括号、$、尖括号或换行")


# --from-type --------------------------------------------------------------------

#: A value a generated test files for a required field of each kind.
SAMPLES = {
    "text": "示例", "long_text": "示例内容", "date": "2026-01-15", "boolean": True, "phone": "13905310000",
    "uscc": "51420000MJH200395N", "tags": ["示例"],
}
UNSAMPLED = ("reference", "file")


def _type_values(name: str, path: Path, title: str | None) -> dict[str, str]:
    """The template values that write the exported type in ``path`` out as code."""
    from ..entities.definitions import DefinitionError
    from ..entities.record_type_schema import check_definition, check_document
    from ..entities.record_types import Definition, report_columns

    try:
        text = Path(path).read_text(encoding="utf-8")
        check_document(text)
        data = json.loads(text)
        check_definition(data)
        definition = Definition.from_json(data)
    except OSError as missing:
        raise ScaffoldError(f"读不到记录类型文件 {path}:{missing.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ScaffoldError(f"{path} 不是 UTF-8 编码的 JSON,请使用「记录类型」页面导出的文件") from None
    except DefinitionError as refusal:
        raise ScaffoldError(f"{path} 不是可用的记录类型定义:{refusal}") from None
    _check_title(definition.label)
    entity_type = definition.entity_type()
    blocked = [f.label for f in entity_type.fields if f.required and f.kind in UNSAMPLED]
    if blocked:
        raise ScaffoldError(f"必填的关联或文件字段({'、'.join(blocked)})无法在生成的测试里自动填写,请先在类型中设为非必填")
    workflow = definition.workflow()
    imports = {"EntityType", "Field", "NavItem", "PluginMeta", "hookimpl"}
    if workflow is not None:
        imports |= {"State", "Transition", "Workflow"}
    functions, reports, names = [], [], []
    for spec in definition.reports:
        label, value = report_columns(definition, spec)
        if spec.group_by == "month":
            imports.add("count_by_month")
            call = f"count_by_month(context, TYPE{', sum_field=' + _literal(spec.field) if spec.field else ''})"
        else:
            imports.add("sum_by" if spec.field else "count_by")
            measure = f"sum_by(context, TYPE, {_literal(spec.field)}, " if spec.field else "count_by(context, TYPE, "
            call = f"{measure}group_by=({_literal(spec.group_by)},))"
        functions.append(f"\n\ndef _{spec.name}(context):\n    return {call}\n")
        imports |= {"Chart", "Column", "Report"}
        names.append(f"{name}.{spec.name}")
        reports.append("\n".join((
            "        Report(",
            f"            name={_literal(names[-1])},",
            f"            title={_literal(spec.title)},",
            f"            query=_{spec.name},",
            f"            columns=(Column({_literal(label.name)}, {_literal(label.label)}), "
            f"Column({_literal(value.name)}, {_literal(value.label)}, {_literal(value.kind)})),",
            f"            chart=Chart({_literal(spec.chart)}, label={_literal(label.name)}, series=({_literal(value.name)},)),",
            "            rollup=True,",
            "        ),",
        )))
    state_field = workflow.field if workflow is not None else None
    required = [f.name for f in entity_type.fields if f.required and f.name != state_field]
    first = None
    if workflow is not None:
        step = next((t for t in workflow.transitions if workflow.initial in t.sources), None)
        if step is not None:
            filled = [entity_type.field(name) for name in step.fields]
            blocked = [f.label for f in filled if f.kind in UNSAMPLED]
            if blocked:
                raise ScaffoldError(f"流程操作「{step.label}」要填写的关联或文件字段({'、'.join(blocked)})无法在生成的测试里自动填写")
            role = "admin" if step.permission and "admin" in step.roles else step.roles[0]
            body = {"values": {f.name: _sample(f) for f in filled}} if filled else {}
            if step.needs_reason:
                body["reason"] = "生成的测试"
            first = (step.name, role, step.target, body)
    return {
        "type_name": definition.name, "label": definition.label, "title_field": definition.title_field,
        "description": _literal(definition.description),
        "title": title or definition.label,
        "imports": "\n".join(f"    {item}," for item in sorted(imports, key=lambda i: (i[0].islower(), i))),
        "fields": "\n".join(f"        {_field(f)}," for f in definition.fields),
        "workflow": _workflow(workflow), "report_functions": "".join(functions),
        "reports": "\n".join(reports), "nav_order": str(definition.nav_order if definition.nav_order is not None else 50),
        "sample": _literal({f.name: _sample(f) for f in entity_type.fields if f.required and f.name != state_field}),
        "required": _literal(tuple(required)), "first_step": _literal(first), "report_names": _literal(tuple(names)),
    }


def _sample(field) -> Any:
    if field.kind in ("choice", "multi_choice"):
        return field.choices[0] if field.kind == "choice" else [field.choices[0]]
    if field.kind in ("integer", "decimal", "money"):
        low = field.minimum if field.minimum is not None else 1
        return int(low) if float(low).is_integer() else low
    return SAMPLES[field.kind]


def _field(field) -> str:
    data = field.to_json()
    name, label = data.pop("name"), data.pop("label")
    arguments = [_literal(name), _literal(label), *(f"{key}={_literal(value)}" for key, value in data.items())]
    return f"Field({', '.join(arguments)})"


def _workflow(workflow) -> str:
    if workflow is None:
        return "None"
    states = ", ".join(
        f"State({_literal(s.name)}{', final=True' if s.final else ''})" for s in workflow.states
    )
    transitions = "".join(
        f"\n            Transition({_literal(t.name)}, {_literal(t.label)}, {_literal(t.sources)}, {_literal(t.target)}, "
        f"roles={_literal(t.roles)}{', permission=' + _literal(t.permission) if t.permission else ''}"
        f"{', needs_reason=True' if t.needs_reason else ''}{', fields=' + _literal(t.fields) if t.fields else ''}),"
        for t in workflow.transitions
    )
    return (
        f"Workflow(\n        field={_literal(workflow.field)},\n        label={_literal(workflow.label)},\n"
        f"        initial={_literal(workflow.initial)},\n        states=({states},),\n"
        f"        transitions=({transitions}\n        ),\n    )"
    )


def _literal(value: Any) -> str:
    """``value`` as Python source: strings in double quotes, lists as tuples."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        items = [_literal(item) for item in value]
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)
