"""``quanhui plugin new NAME``: write a pip-installable plugin package to start from.

The templates live in ``core/scaffold/plugin/`` (package data). Each ``*.tmpl`` file is a
:class:`string.Template` (``${name}``, ``${title}``, ``${package}``, ``${dist}``); the
path segments ``package`` and ``PLUGIN`` become the package and the plugin name.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from ..plugins import NAME, RESERVED_NAMES

TEMPLATES = Path(__file__).with_name("plugin")


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


def new_plugin(name: str, directory: Path, title: str | None = None) -> Scaffolded:
    """Write ``quanhui-<name>/`` under ``directory``; refuse to overwrite anything."""
    check_name(name)
    if title is not None and (not title.strip() or any(c in title for c in '"\\{}$<>\n')):
        raise ScaffoldError("插件标题不能为空,也不能含引号、反斜杠、花括号、$、尖括号或换行")
    dist = f"quanhui-{name.replace('_', '-')}"
    root = Path(directory) / dist
    if root.exists():
        raise ScaffoldError(f"目录 {root} 已存在,不会覆盖;请换一个名字或目录")
    values = {"name": name, "title": title or name, "package": f"quanhui_{name}", "dist": dist}
    written = []
    for source in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATES).with_suffix("")
        parts = [values["package"] if part == "package" else part.replace("PLUGIN", name) for part in relative.parts]
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(string.Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(target)
    return Scaffolded(root, tuple(written))
