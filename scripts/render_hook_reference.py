"""Render the hook reference, docs/plugins/hooks.md, from core/hookspecs.py.

The hook specifications are the single source: their docstrings are the reference
and their ``Example::`` blocks the examples. This script turns them into Markdown
(reST literal blocks become fenced ``python`` blocks, ``literals`` and :roles:`x`
become code spans) and says for each hook whether it is called per tenant or once at
start-up. A test compares the committed file with this output, so the docs cannot
drift from the code.

Usage::

    .venv/bin/python scripts/render_hook_reference.py           # write docs/plugins/hooks.md
    .venv/bin/python scripts/render_hook_reference.py --check   # exit 1 if it is out of date

Standard library and the project only.
"""
from __future__ import annotations

import argparse
import inspect
import re
import sys
import textwrap
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "docs" / "plugins" / "hooks.md"
PROJECT = "quanhui"

#: Hooks called through the per-tenant relay: only plugins enabled in that tenant run.
PER_TENANT = frozenset(
    {
        "quanhui_nav_items",
        "quanhui_dashboard_widgets",
        "quanhui_plugin_enabled",
        "quanhui_plugin_disabled",
        "quanhui_demo_data",
        "quanhui_validate_entity",
        "quanhui_entity_changed",
    }
)
#: Hooks that build the application: called once at start-up for every installed plugin.
AT_START_UP = frozenset(
    {
        "quanhui_blueprints",
        "quanhui_api_blueprints",
        "quanhui_permissions",
        "quanhui_cli",
        "quanhui_migrations",
        "quanhui_jobs",
        "quanhui_schedules",
        "quanhui_entity_types",
        "quanhui_vocabularies",
        "quanhui_reports",
    }
)
WHEN = {
    "tenant": "**调用时机:按租户。** 针对某一个租户调用,只运行在该租户启用(或正被启用、停用)的插件的实现。",
    "start-up": "**调用时机:启动时一次。** 对每个已安装的插件调用;注册的内容再按租户启用与否放行或隐藏。",
}
SHORT_WHEN = {"tenant": "按租户", "start-up": "启动时一次"}

_ROLE = re.compile(r":[a-zA-Z]+(?::[a-zA-Z]+)?:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


class HookReferenceError(RuntimeError):
    """The hook specifications and this script disagree (a hook without a timing, say)."""


def hookspecs_in_source_order(module: ModuleType) -> list:
    """The functions of ``module`` marked with ``@hookspec``, in the order they are written."""
    marker = f"{PROJECT}_spec"
    specs = [
        obj
        for obj in vars(module).values()
        if inspect.isfunction(obj) and obj.__module__ == module.__name__ and hasattr(obj, marker)
    ]
    return sorted(specs, key=lambda func: inspect.getsourcelines(func)[1])


def timing(name: str) -> str:
    in_tenant, at_start = name in PER_TENANT, name in AT_START_UP
    if in_tenant == at_start:
        where = "both PER_TENANT and AT_START_UP" if in_tenant else "neither PER_TENANT nor AT_START_UP"
        raise HookReferenceError(
            f"hook {name} is in {where} of {Path(__file__).name}: say whether it is called per tenant or at start-up"
        )
    return "tenant" if in_tenant else "start-up"


def inline(text: str) -> str:
    """reST inline markup to Markdown: ``x`` and :class:`x` become `x`."""
    return _LITERAL.sub(r"`\1`", _ROLE.sub(r"``\1``", text))


def rest_to_markdown(docstring: str) -> str:
    """A docstring to Markdown: its ``::`` literal blocks become fenced python blocks."""
    lines = inspect.cleandoc(docstring).splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.rstrip()
        if not stripped.endswith("::"):
            out.append(inline(stripped))
            i += 1
            continue
        # "Example::" -> "Example:"; "text ::" -> "text"; a lone "::" disappears.
        base = len(line) - len(line.lstrip())
        head = stripped[:-2].rstrip()
        if head.strip():
            out.append(inline(head + (":" if not stripped[:-2].endswith(" ") else "")))
        i += 1
        block: list[str] = []
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > base):
            block.append(lines[i])
            i += 1
        code = textwrap.dedent("\n".join(block)).strip("\n")
        if not code:
            raise HookReferenceError(f"a literal block after {stripped!r} is empty")
        if out and out[-1] != "":
            out.append("")
        out.extend(["```python", *code.splitlines(), "```"])
        if i < len(lines):
            out.append("")
    return "\n".join(out).strip() + "\n"


def render(module: ModuleType | None = None) -> str:
    if module is None:
        from core import hookspecs as module
    specs = hookspecs_in_source_order(module)
    if not specs:
        raise HookReferenceError(f"no hook specifications found in {module.__name__}")
    stale = (PER_TENANT | AT_START_UP) - {spec.__name__ for spec in specs}
    if stale:
        raise HookReferenceError(f"{Path(__file__).name} names hooks that do not exist: {sorted(stale)}")
    parts = [
        "<!-- 本文件由 scripts/render_hook_reference.py 从 core/hookspecs.py 生成,请勿手工编辑。 -->",
        "",
        "# 钩子参考",
        "",
        rest_to_markdown(module.__doc__ or "").rstrip(),
        "",
        "| 钩子 | 调用时机 |",
        "| --- | --- |",
    ]
    parts.extend(f"| [`{spec.__name__}`](#{spec.__name__}) | {SHORT_WHEN[timing(spec.__name__)]} |" for spec in specs)
    for spec in specs:
        name = spec.__name__
        if not spec.__doc__:
            raise HookReferenceError(f"hook {name} has no docstring")
        parts += ["", f'<a id="{name}"></a>', "", f"## {name}{inspect.signature(spec)}", "", WHEN[timing(name)], ""]
        options = getattr(spec, f"{PROJECT}_spec")
        flags = [flag for flag in ("firstresult", "historic") if options.get(flag)]
        if flags:
            parts += [f"pluggy 选项:{'、'.join(f'`{flag}`' for flag in flags)}。", ""]
        parts.append(rest_to_markdown(spec.__doc__).rstrip())
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file on disk differs from the rendering")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"where to write (default {OUTPUT.relative_to(REPO_ROOT)})")
    args = parser.parse_args(argv)
    try:
        text = render()
    except HookReferenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shown = args.output.relative_to(REPO_ROOT) if args.output.is_relative_to(REPO_ROOT) else args.output
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{shown} is out of date: run scripts/render_hook_reference.py", file=sys.stderr)
            return 1
        print(f"ok  {shown} matches core/hookspecs.py")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    sys.exit(main())
